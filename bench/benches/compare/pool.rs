//! `ThreadPoolExecutor` next to rayon's `ThreadPool`, the `threadpool`
//! crate and a `std::thread::spawn` per task: round trips, single-task
//! latency and a CPU-bound speed-up. rayon also runs as its users write
//! it: `par_iter` for a batch, `install` for one closure.

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use std::sync::Arc;

use pythreading::futures::{MapOptions, ThreadPoolExecutor};
use pythreading_bench::records::Unit;
use rayon::prelude::*;

use crate::harness::{Contender, Suite};

/// Worker threads in every pool.
const WORKERS: usize = 2;

fn ours() -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(WORKERS).expect("a pool of 2 workers")
}

fn threadpool() -> threadpool::ThreadPool {
    threadpool::ThreadPool::new(WORKERS)
}

fn rayon() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .expect("a rayon pool")
}

/// The sum of `0..n`: what every batch of round trips adds up to.
fn triangle(n: u64) -> u64 {
    n * (n - 1) / 2
}

/// Runs every pool workload the suite wants.
pub(crate) fn run(suite: &mut Suite) {
    if suite.wants("pool_round_trip") {
        round_trips(suite);
    }
    if suite.wants("pool_latency") {
        latency(suite);
    }
    if suite.wants("cpu_speedup") {
        cpu_speedup(suite);
    }
    if suite.wants("pool_nested") {
        nested(suite);
    }
    if suite.wants("pool_map_chunks") {
        map_chunks(suite);
    }
}

// ------------------------------------------------------------ round trips

/// `n` tasks, each returning `black_box(i)` for its number `i`, all
/// submitted, then every result collected and summed, by every contender;
/// the sum must be right. rayon runs twice: a task per item, its results
/// through a channel like threadpool's (the like-for-like form), and the
/// way a rayon user writes a batch, `(0..n).into_par_iter().map(..).sum()`
/// on the pool (rayon splits the range into a few jobs; no task per item).
fn round_trips(suite: &mut Suite) {
    let tasks = suite.size.pick(100_000, 20_000, 1_000);
    let spawns = suite.size.pick(1_000, 300, 20);
    let rounds = suite.rounds(15);
    let (pool, tp, ry) = (ours(), threadpool(), rayon());
    let timed_sum = |n: u64, run: &dyn Fn() -> u64| {
        let start = Instant::now();
        let sum = run();
        let elapsed = start.elapsed();
        assert_eq!(sum, triangle(n), "a task's result was lost");
        elapsed
    };
    suite.interleaved(
        "pool_round_trip",
        rounds,
        vec![
            Contender::new(
                "pythreading",
                "ThreadPoolExecutor (submit + result)",
                tasks,
                |n| timed_sum(n, &|| sum_by_futures(&pool, n, black_box)),
            ),
            Contender::new("rayon", "rayon (spawn + channel)", tasks, |n| {
                timed_sum(n, &|| {
                    sum_by_channel(n, |i, tx| {
                        ry.spawn(move || tx.send(black_box(i)).expect("receiver alive"))
                    })
                })
            }),
            Contender::new(
                "rayon/par_iter",
                "rayon (par_iter().map().sum())",
                tasks,
                |n| {
                    timed_sum(n, &|| {
                        ry.install(|| (0..n).into_par_iter().map(black_box).sum())
                    })
                },
            ),
            Contender::new("threadpool", "threadpool (execute + channel)", tasks, |n| {
                timed_sum(n, &|| {
                    sum_by_channel(n, |i, tx| {
                        tp.execute(move || tx.send(black_box(i)).expect("receiver alive"))
                    })
                })
            }),
            Contender::new("std", "std::thread::spawn per task + join", spawns, |n| {
                timed_sum(n, &|| {
                    let handles: Vec<_> = (0..n)
                        .map(|i| thread::spawn(move || black_box(i)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("thread ran"))
                        .sum()
                })
            }),
        ],
    );
}

/// `n` tasks, `task(i)` for each `i`, submitted to `pool`, then every
/// future's result collected and summed: pythreading's own way.
fn sum_by_futures(
    pool: &ThreadPoolExecutor,
    n: u64,
    task: impl Fn(u64) -> u64 + Copy + Send + 'static,
) -> u64 {
    let futures: Vec<_> = (0..n)
        .map(|i| pool.submit(move || task(i)).expect("pool running"))
        .collect();
    futures
        .into_iter()
        .map(|f| f.result().expect("task ran"))
        .sum()
}

/// `n` tasks handed to `spawn` with the channel they send their result
/// into, then `n` receives, summed: how the peers without futures return
/// a result (the `threadpool` crate's own example does just this).
fn sum_by_channel(n: u64, spawn: impl Fn(u64, mpsc::Sender<u64>)) -> u64 {
    let (tx, rx) = mpsc::channel();
    for i in 0..n {
        spawn(i, tx.clone());
    }
    rx.iter().take(n as usize).sum()
}

// ------------------------------------------------------------ latency

/// A contender of the latency workload: id, label, round trips to time,
/// and one round trip (returning the task's value, 7).
type OneTask<'a> = (&'static str, &'static str, usize, Box<dyn Fn() -> u64 + 'a>);

/// Each round trip timed alone, in interleaved rounds; `p50` and `p99`.
/// Every task returns `black_box(7)`, checked. rayon runs twice: `spawn`
/// with a reused channel, and `install`, rayon's own way to run one
/// closure on the pool and wait for its value.
fn latency(suite: &mut Suite) {
    let per_contender = suite.size.pick(20_000, 4_000, 100);
    let spawns = suite.size.pick(2_000, 400, 20);
    let rounds = suite.size.pick(10, 4, 1);

    let pool = ours();
    let (rtx, rrx) = mpsc::channel();
    let ry = rayon();
    let (ttx, trx) = mpsc::channel();
    let tp = threadpool();
    let mut contenders: Vec<OneTask<'_>> = vec![
        (
            "pythreading",
            "ThreadPoolExecutor (submit + result)",
            per_contender,
            Box::new(|| {
                pool.submit(|| black_box(7u64))
                    .expect("pool running")
                    .result()
                    .expect("task ran")
            }),
        ),
        (
            "rayon",
            "rayon (spawn + channel)",
            per_contender,
            Box::new(|| {
                let tx = rtx.clone();
                ry.spawn(move || tx.send(black_box(7u64)).expect("receiver alive"));
                rrx.recv().expect("task ran")
            }),
        ),
        (
            "rayon/install",
            "rayon (install)",
            per_contender,
            Box::new(|| ry.install(|| black_box(7u64))),
        ),
        (
            "threadpool",
            "threadpool (execute + channel)",
            per_contender,
            Box::new(|| {
                let tx = ttx.clone();
                tp.execute(move || tx.send(black_box(7u64)).expect("receiver alive"));
                trx.recv().expect("task ran")
            }),
        ),
        (
            "std",
            "std::thread::spawn + join",
            spawns,
            Box::new(|| {
                thread::spawn(|| black_box(7u64))
                    .join()
                    .expect("thread ran")
            }),
        ),
    ];
    // Per contender, per round: each round trip's time.
    let mut times: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(rounds); contenders.len()];
    for (_, _, n, once) in &contenders {
        for _ in 0..(n / 10).max(1) {
            assert_eq!(once(), 7); // warm-up: workers started, caches hot
        }
    }
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let (_, _, n, once) = &contenders[i];
            let mut round_times = Vec::with_capacity(n.div_ceil(rounds));
            for _ in 0..n.div_ceil(rounds) {
                let start = Instant::now();
                let value = once();
                round_times.push(start.elapsed().as_secs_f64());
                assert_eq!(value, 7);
            }
            times[i].push(round_times);
        }
    }
    for ((id, label, _, _), times) in contenders.drain(..).zip(times) {
        suite.push_percentiles("pool_latency", id, label, &times);
    }
    suite.report("pool_latency", "p50");
    suite.report("pool_latency", "p99");
}

// ------------------------------------------------------------ CPU-bound

/// A contender of the CPU-bound workload: id, label, and one parallel run.
type Parallel<'a> = (&'static str, &'static str, Box<dyn Fn() -> Duration + 'a>);

/// Pieces of work, on [`WORKERS`] workers.
const PIECES: u64 = 4;

/// A dependent multiply-add-xorshift chain of `steps`: arithmetic the
/// compiler cannot shorten (about 1.9 ns a step on a 2020s x86 core). The
/// result is the chain's top 32 bits, so that four of them add up without
/// overflow, as a plain `sum()`.
fn crunch(seed: u64, steps: u64) -> u64 {
    let mut x = black_box(seed);
    for _ in 0..black_box(steps) {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x ^= x >> 33;
    }
    x >> 32
}

/// Four pieces of about 11 ms, one after the other, then on each pool:
/// `speedup` is sequential time over parallel time, round by round. Each
/// contender computes `crunch(i, steps)` for the 4 pieces and sums them;
/// the sum is checked. rayon runs twice: `spawn` + channel, as threadpool,
/// and `par_iter().map().sum()` on the pool, as its users write it.
fn cpu_speedup(suite: &mut Suite) {
    let steps = suite.size.pick(6_000_000, 6_000_000, 100_000);
    let rounds = suite.size.pick(10, 4, 1);
    let piece = move |i: u64| crunch(i, steps);
    let expected: u64 = (0..PIECES).map(piece).sum();
    let timed_sum = |run: &dyn Fn() -> u64| {
        let start = Instant::now();
        let sum = run();
        let elapsed = start.elapsed();
        assert_eq!(sum, expected, "a piece computed a different result");
        elapsed
    };
    let sequential = || timed_sum(&|| (0..PIECES).map(piece).sum());
    let pool = ours();
    let tp = threadpool();
    let ry = rayon();
    let contenders: Vec<Parallel<'_>> = vec![
        (
            "pythreading",
            "ThreadPoolExecutor, 2 workers (submit + result)",
            Box::new(|| timed_sum(&|| sum_by_futures(&pool, PIECES, piece))),
        ),
        (
            "rayon",
            "rayon, 2 threads (spawn + channel)",
            Box::new(|| {
                timed_sum(&|| {
                    sum_by_channel(PIECES, |i, tx| {
                        ry.spawn(move || tx.send(piece(i)).expect("receiver alive"))
                    })
                })
            }),
        ),
        (
            "rayon/par_iter",
            "rayon, 2 threads (par_iter().map().sum())",
            Box::new(|| timed_sum(&|| ry.install(|| (0..PIECES).into_par_iter().map(piece).sum()))),
        ),
        (
            "threadpool",
            "threadpool, 2 threads (execute + channel)",
            Box::new(|| {
                timed_sum(&|| {
                    sum_by_channel(PIECES, |i, tx| {
                        tp.execute(move || tx.send(piece(i)).expect("receiver alive"))
                    })
                })
            }),
        ),
    ];
    // Warm-up: every pool's workers started.
    for (_, _, parallel) in &contenders {
        black_box(parallel());
    }
    let mut seq = Vec::with_capacity(rounds);
    let mut par: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
    let mut speedups: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        let s = sequential().as_secs_f64();
        seq.push(s);
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let p = (contenders[i].2)().as_secs_f64();
            par[i].push(p);
            speedups[i].push(s / p);
        }
    }
    for (((id, label, _), par), speedups) in contenders.iter().zip(par).zip(speedups) {
        suite.push("cpu_speedup", id, label, "speedup", Unit::Ratio, speedups);
        suite.push("cpu_speedup", id, label, "parallel", Unit::Seconds, par);
        suite.push(
            "cpu_speedup",
            id,
            label,
            "sequential",
            Unit::Seconds,
            seq.clone(),
        );
    }
    suite.report("cpu_speedup", "speedup");
}

// ------------------------------------------------------------ nested

/// fib(n) the recursive way, nothing but arithmetic: what every contender
/// of the nested workload must compute.
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// fib(n) by submit + result on `pool`: each call submits fib(n - 1),
/// computes fib(n - 2) itself, then waits for the first with `result`
/// (the shape of rayon's `join`). The divide and conquer a Python
/// programmer writes, which Python's own pool deadlocks on once its
/// workers all wait.
fn fib_by_futures(pool: &Arc<ThreadPoolExecutor>, n: u64) -> u64 {
    if n < 2 {
        return black_box(n);
    }
    let inner = Arc::clone(pool);
    let left = pool
        .submit(move || fib_by_futures(&inner, n - 1))
        .expect("pool running");
    let right = fib_by_futures(pool, n - 2);
    left.result().expect("task ran") + right
}

/// fib(n) by rayon's `join`, a join per call, as rayon's users write it.
fn fib_by_join(n: u64) -> u64 {
    if n < 2 {
        return black_box(n);
    }
    let (a, b) = rayon::join(|| fib_by_join(n - 1), || fib_by_join(n - 2));
    a + b
}

/// One fib(25) call tree (242,785 calls) on 2 workers, time per tree:
/// ours submits a task for one half of every call and waits on it with
/// `result` (the waiting worker runs it if nobody has started it), rayon
/// `join`s per call. For scale: rayon's `join` is the fastest way Rust
/// has to nest.
fn nested(suite: &mut Suite) {
    let n = suite.size.pick(25, 22, 12);
    let rounds = suite.rounds(10);
    let expected = fib(n);
    let pool = Arc::new(ours());
    let ry = rayon();
    let checked = |value: u64| assert_eq!(value, expected, "fib({n}) went wrong");
    suite.interleaved(
        "pool_nested",
        rounds,
        vec![
            Contender::new(
                "pythreading",
                "ThreadPoolExecutor (submit + result per call)",
                1,
                |_| {
                    let start = Instant::now();
                    let inner = Arc::clone(&pool);
                    let value = pool
                        .submit(move || fib_by_futures(&inner, n))
                        .expect("pool running")
                        .result()
                        .expect("task ran");
                    let elapsed = start.elapsed();
                    checked(value);
                    elapsed
                },
            ),
            Contender::new("rayon", "rayon (join per call)", 1, |_| {
                let start = Instant::now();
                let value = ry.install(|| fib_by_join(n));
                let elapsed = start.elapsed();
                checked(value);
                elapsed
            }),
        ],
    );
}

// ------------------------------------------------------------ map

/// The cheap function of the map workload.
fn cheap(x: u64) -> u64 {
    black_box(x).wrapping_mul(3).wrapping_add(1)
}

/// A million items through a cheap function on 2 workers, every result
/// collected into a `Vec` in input order; time per item. Ours maps in
/// chunks of 10,000 (100 tasks); rayon's `par_iter().map().collect()`
/// splits the range itself.
fn map_chunks(suite: &mut Suite) {
    let items = suite.size.pick(1_000_000, 200_000, 10_000);
    let rounds = suite.rounds(10);
    let pool = ours();
    let ry = rayon();
    let check = |results: &[u64], n: u64| {
        assert_eq!(results.len() as u64, n, "a result was lost");
        assert!(
            results
                .iter()
                .enumerate()
                .all(|(i, &r)| r == cheap(i as u64)),
            "a result is wrong or out of order"
        );
    };
    suite.interleaved(
        "pool_map_chunks",
        rounds,
        vec![
            Contender::new(
                "pythreading",
                "ThreadPoolExecutor map, chunksize 10,000",
                items,
                |n| {
                    let start = Instant::now();
                    let results: Vec<u64> = pool
                        .map_with(cheap, 0..n, MapOptions::new().chunksize(10_000))
                        .expect("pool running")
                        .map(|result| result.expect("task ran"))
                        .collect();
                    let elapsed = start.elapsed();
                    check(&results, n);
                    elapsed
                },
            ),
            Contender::new("rayon", "rayon par_iter().map().collect()", items, |n| {
                let start = Instant::now();
                let results: Vec<u64> = ry.install(|| (0..n).into_par_iter().map(cheap).collect());
                let elapsed = start.elapsed();
                check(&results, n);
                elapsed
            }),
        ],
    );
}
