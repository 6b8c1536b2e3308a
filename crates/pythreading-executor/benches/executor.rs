//! What `ThreadPoolExecutor` costs: one task's round trip, batches of
//! no-op tasks through `submit`, `map`, `as_completed`, `wait` and a
//! `scope`, and CPU-bound work split over the workers. Our own API only;
//! comparisons with other pools (threadpool, rayon, a thread per task) and
//! the latency percentiles live in the workspace's `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-executor --bench executor
//! cargo bench -p pythreading-executor --bench executor -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! Every pool has 2 workers and is built once per benchmark, outside the
//! timed part; its workers are started by the warm-up.
//!
//! - `executor/latency/submit_result_idle_pool`: one no-op task submitted
//!   and its result waited for, again and again, on an idle pool.
//! - `executor/batch/*`: per task (throughput in elements):
//!   `round_trips_10k` submits 10,000 no-op tasks, then takes every
//!   result; `map_10k` is `map` over 10,000 items; `as_completed_1k` and
//!   `wait_all_1k` submit 1,000 tasks and collect them through
//!   `as_completed` or `wait(ALL_COMPLETED)`; `scope_100` runs 100 tasks
//!   that borrow their slot of a local array, in one `scope` (which starts
//!   its own threads). Each checks the sum of the results.
//! - `executor/cpu_bound_4_pieces`: 4 equal pieces of pure arithmetic
//!   (about 2.5 ms each) one after the other, then on the 2 workers: the
//!   ratio is the speed-up, at most 2.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pythreading_executor::{ReturnWhen, ThreadPoolExecutor, as_completed, wait};

/// Worker threads in every pool.
const WORKERS: usize = 2;
/// Tasks per round-trip and `map` batch.
const ROUND_TRIPS: u64 = 10_000;
/// Tasks per `as_completed` and `wait` batch.
const COLLECTED: u64 = 1_000;
/// Tasks per scope.
const SCOPED: u64 = 100;
/// CPU-bound pieces of work.
const PIECES: u64 = 4;
/// Steps of arithmetic per piece: about 2.5 ms at 1.9 ns a step.
const STEPS: u64 = 1_300_000;

fn pool() -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(WORKERS).expect("2 workers")
}

/// The sum of `0..n`: what every batch of no-op tasks must add up to.
fn triangle(n: u64) -> u64 {
    n * (n - 1) / 2
}

fn latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("executor/latency");
    let pool = pool();
    group.bench_function("submit_result_idle_pool", |b| {
        b.iter(|| {
            let x = black_box(7u64);
            let value = pool
                .submit(move || x)
                .expect("pool running")
                .result()
                .expect("task ran");
            assert_eq!(value, 7);
        })
    });
    group.finish();
}

fn batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("executor/batch");
    // One iteration takes a millisecond or more: flat sampling, so that the
    // sample count given on the command line fits in the measurement time.
    group.sampling_mode(SamplingMode::Flat);
    let pool = pool();

    group.throughput(Throughput::Elements(ROUND_TRIPS));
    group.bench_function("round_trips_10k", |b| {
        b.iter(|| {
            let futures: Vec<_> = (0..ROUND_TRIPS)
                .map(|i| pool.submit(move || i).expect("pool running"))
                .collect();
            let sum: u64 = futures
                .into_iter()
                .map(|f| f.result().expect("task ran"))
                .sum();
            assert_eq!(sum, triangle(ROUND_TRIPS));
        })
    });
    group.bench_function("map_10k", |b| {
        b.iter(|| {
            let sum: u64 = pool
                .map(|i: u64| i, 0..ROUND_TRIPS)
                .expect("pool running")
                .map(|r| r.expect("task ran"))
                .sum();
            assert_eq!(sum, triangle(ROUND_TRIPS));
        })
    });

    group.throughput(Throughput::Elements(COLLECTED));
    group.bench_function("as_completed_1k", |b| {
        b.iter(|| {
            let futures: Vec<_> = (0..COLLECTED)
                .map(|i| pool.submit(move || i).expect("pool running"))
                .collect();
            let sum: u64 = as_completed(futures, None)
                .map(|done| done.expect("no timeout").result().expect("task ran"))
                .sum();
            assert_eq!(sum, triangle(COLLECTED));
        })
    });
    group.bench_function("wait_all_1k", |b| {
        b.iter(|| {
            let futures: Vec<_> = (0..COLLECTED)
                .map(|i| pool.submit(move || i).expect("pool running"))
                .collect();
            let done = wait(&futures, None, ReturnWhen::AllCompleted);
            assert_eq!(done.done.len(), COLLECTED as usize);
            assert!(done.not_done.is_empty());
            let sum: u64 = futures
                .into_iter()
                .map(|f| f.result().expect("task ran"))
                .sum();
            assert_eq!(sum, triangle(COLLECTED));
        })
    });

    group.throughput(Throughput::Elements(SCOPED));
    group.bench_function("scope_100", |b| {
        b.iter(|| {
            let mut slots = [0u64; SCOPED as usize];
            pool.scope(|s| {
                for (i, slot) in (0..SCOPED).zip(slots.iter_mut()) {
                    let _ = s.submit(move || *slot = i).expect("pool running");
                }
            });
            assert_eq!(slots.iter().sum::<u64>(), triangle(SCOPED));
        })
    });
    group.finish();
}

/// A dependent multiply-add-xorshift chain of `STEPS` steps: pure
/// arithmetic the compiler cannot shorten.
fn crunch(seed: u64) -> u64 {
    let mut x = black_box(seed);
    for _ in 0..black_box(STEPS) {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x ^= x >> 33;
    }
    x
}

fn cpu_bound(c: &mut Criterion) {
    let mut group = c.benchmark_group("executor/cpu_bound_4_pieces");
    group.sampling_mode(SamplingMode::Flat);
    let expected: u64 = (0..PIECES).map(crunch).fold(0, u64::wrapping_add);

    group.bench_function("sequential", |b| {
        b.iter(|| assert_eq!((0..PIECES).map(crunch).fold(0, u64::wrapping_add), expected))
    });

    let pool = pool();
    group.bench_function("2_workers", |b| {
        b.iter(|| {
            let futures: Vec<_> = (0..PIECES)
                .map(|i| pool.submit(move || crunch(i)).expect("pool running"))
                .collect();
            let sum = futures
                .into_iter()
                .map(|f| f.result().expect("task ran"))
                .fold(0, u64::wrapping_add);
            assert_eq!(sum, expected);
        })
    });
    group.finish();
}

criterion_group!(benches, latency, batch, cpu_bound);
criterion_main!(benches);
