//! What `Lock`, `RLock`, `Semaphore` and `BoundedSemaphore` cost, alone and
//! under contention. Our own API only; comparisons with other crates live in
//! the workspace's `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-sync --bench lock
//! cargo bench -p pythreading-sync --bench lock -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! - `sync/lock/uncontended`: one thread; `Lock` acquire + release, guard,
//!   try_acquire + release; `RLock` guard, and two nested guards.
//! - `sync/lock/contended`: two threads increment one shared counter under
//!   a `Lock`; the time reported is wall time per increment. The counter is
//!   a plain load and store, so only the lock makes it exact, and it is
//!   checked at the end: a lock that failed to exclude fails the run rather
//!   than winning it.
//! - `sync/lock/semaphore`: uncontended guard of a `Semaphore` and of a
//!   `BoundedSemaphore`, then four threads sharing a `Semaphore` of two
//!   units (half of them wait at any moment; each checks that at most two
//!   are inside, and the units are all back at the end).

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pythreading_sync::{BoundedSemaphore, Lock, RLock, Semaphore};

/// Runs `op` `iters` times in total, split evenly over `threads` threads that
/// start together, and returns the wall time from the first start to the
/// last finish.
fn run_split(threads: u64, iters: u64, op: &(impl Fn() + Sync)) -> Duration {
    let start_line = Barrier::new(threads as usize);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                // The first `iters % threads` threads take one extra.
                let share = iters / threads + u64::from(t < iters % threads);
                let start_line = &start_line;
                s.spawn(move || {
                    start_line.wait();
                    let start = Instant::now();
                    for _ in 0..share {
                        op();
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("bench thread panicked"))
            .collect()
    });
    let first = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("at least one thread");
    let last = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("at least one thread");
    last - first
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/lock/uncontended");

    let lock = Lock::new();
    group.bench_function("Lock_acquire_release", |b| {
        b.iter(|| {
            lock.acquire();
            lock.release().expect("the lock was held");
        });
    });
    group.bench_function("Lock_guard", |b| {
        b.iter(|| drop(black_box(lock.guard())));
    });
    group.bench_function("Lock_try_acquire_release", |b| {
        b.iter(|| {
            assert!(black_box(&lock).try_acquire(), "a free lock was refused");
            lock.release().expect("the lock was held");
        });
    });
    assert!(!lock.locked(), "the lock was left held");

    let rlock = RLock::new();
    group.bench_function("RLock_guard", |b| {
        b.iter(|| drop(black_box(rlock.guard())));
    });
    group.bench_function("RLock_guard_nested_2", |b| {
        b.iter(|| {
            let outer = black_box(rlock.guard());
            let inner = black_box(rlock.guard());
            drop(inner);
            drop(outer);
        });
    });
    assert!(!rlock.locked(), "the rlock was left held");
    assert_eq!(rlock.recursion_count(), 0);

    group.finish();
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/lock/contended");
    group.bench_function("Lock_2_threads_counter", |b| {
        b.iter_custom(|iters| {
            let lock = Lock::new();
            // A plain load and store, not fetch_add: only the lock makes the
            // increment atomic, and the final count proves it did.
            let counter = AtomicU64::new(0);
            let elapsed = run_split(2, iters, &|| {
                let _held = lock.guard();
                let value = counter.load(Ordering::Relaxed);
                counter.store(value + 1, Ordering::Relaxed);
            });
            assert_eq!(counter.load(Ordering::Relaxed), iters, "an update was lost");
            elapsed
        });
    });
    group.finish();
}

fn semaphore(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/lock/semaphore");

    let sem = Semaphore::new(1);
    group.bench_function("Semaphore_guard", |b| {
        b.iter(|| drop(black_box(sem.guard())));
    });
    assert_eq!(sem.value(), 1, "a unit was lost");

    let bounded = BoundedSemaphore::new(1);
    group.bench_function("BoundedSemaphore_guard", |b| {
        b.iter(|| drop(black_box(bounded.guard())));
    });
    assert_eq!(bounded.value(), 1, "a unit was lost");

    // Four threads, two units: half of them wait at any moment.
    group.bench_function("Semaphore_4_threads_2_units", |b| {
        b.iter_custom(|iters| {
            let sem = Semaphore::new(2);
            let inside = AtomicUsize::new(0);
            let elapsed = run_split(4, iters, &|| {
                let _unit = sem.guard();
                let before = inside.fetch_add(1, Ordering::Relaxed);
                assert!(before < 2, "three threads inside a semaphore of two");
                inside.fetch_sub(1, Ordering::Relaxed);
            });
            assert_eq!(sem.value(), 2, "a unit was lost");
            elapsed
        });
    });

    group.finish();
}

criterion_group!(benches, uncontended, contended, semaphore);
criterion_main!(benches);
