//! `ThreadPoolExecutor` next to its peers, in one run: the `threadpool`
//! crate, rayon's `ThreadPool` and a plain `std::thread::spawn` per task.
//!
//! ```text
//! cargo bench -p pythreading-executor --bench executor -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Three criterion groups, then one table printed by this binary:
//!
//! - `executor/round_trips`: 100,000 no-op tasks on a pool of 2 workers,
//!   all submitted, then every result collected (ours: `submit`, then
//!   `Future::result` on each; the peers: `execute`/`spawn` sending into
//!   one shared `std::sync::mpsc` channel, then 100,000 receives). A thread
//!   per task does 1,000 tasks for scale. Throughput is per task.
//! - `executor/latency`: one no-op task submitted and waited for, again
//!   and again, on an idle pool of 2 workers.
//! - `executor/cpu_bound`: 4 equal pieces of pure arithmetic (about 11 ms
//!   each) on 2 workers, against the same 4 run one after the other.
//! - then the latency again, each round trip timed on its own with
//!   `Instant` (20,000 per contender, in interleaved rounds so every
//!   contender sees the same machine), printed as p50 / p99 / p99.9.
//!
//! Pools are built once per contender, outside the timed part; their
//! workers are started by the warm-up. Run without `--bench` (as
//! `cargo test --benches` does), criterion runs each benchmark once and
//! the percentile table uses 200 round trips. `EXECUTOR_PERCENTILES=0`
//! skips that table (it does not follow criterion's name filter).

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use pythreading_executor::ThreadPoolExecutor;

/// Worker threads in every pool.
const WORKERS: usize = 2;
/// Tasks per round-trip batch.
const ROUND_TRIPS: u64 = 100_000;
/// Tasks per batch for a thread per task: far fewer, it is for scale.
const SPAWNS: u64 = 1_000;
/// CPU-bound pieces of work.
const PIECES: u64 = 4;
/// Steps of arithmetic per piece: about 11 ms on the machine of
/// BENCHMARKS.md.
const STEPS: u64 = 6_000_000;

fn ours() -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(WORKERS).expect("2 workers")
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

/// The sum of `0..n`: what every round-trip batch must add up to.
fn triangle(n: u64) -> u64 {
    n * (n - 1) / 2
}

// ------------------------------------------------------------ round trips

fn round_trips_ours(pool: &ThreadPoolExecutor, n: u64) -> u64 {
    let futures: Vec<_> = (0..n)
        .map(|i| pool.submit(move || i).expect("pool running"))
        .collect();
    futures
        .into_iter()
        .map(|f| f.result().expect("task ran"))
        .sum()
}

fn round_trips_threadpool(pool: &threadpool::ThreadPool, n: u64) -> u64 {
    let (tx, rx) = mpsc::channel();
    for i in 0..n {
        let tx = tx.clone();
        pool.execute(move || tx.send(i).expect("receiver alive"));
    }
    rx.iter().take(n as usize).sum()
}

fn round_trips_rayon(pool: &rayon::ThreadPool, n: u64) -> u64 {
    let (tx, rx) = mpsc::channel();
    for i in 0..n {
        let tx = tx.clone();
        pool.spawn(move || tx.send(i).expect("receiver alive"));
    }
    rx.iter().take(n as usize).sum()
}

fn round_trips_spawn(n: u64) -> u64 {
    let handles: Vec<_> = (0..n).map(|i| thread::spawn(move || i)).collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread ran"))
        .sum()
}

fn round_trips(c: &mut Criterion) {
    let mut group = c.benchmark_group("executor/round_trips");
    // One iteration is 10 to 30 ms: ten samples of a few iterations each.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.throughput(Throughput::Elements(ROUND_TRIPS));

    let pool = ours();
    group.bench_function("pythreading", |b| {
        b.iter(|| assert_eq!(round_trips_ours(&pool, ROUND_TRIPS), triangle(ROUND_TRIPS)))
    });
    drop(pool);

    let pool = threadpool();
    group.bench_function("threadpool", |b| {
        b.iter(|| {
            assert_eq!(
                round_trips_threadpool(&pool, ROUND_TRIPS),
                triangle(ROUND_TRIPS)
            )
        })
    });
    pool.join();
    drop(pool);

    let pool = rayon();
    group.bench_function("rayon", |b| {
        b.iter(|| assert_eq!(round_trips_rayon(&pool, ROUND_TRIPS), triangle(ROUND_TRIPS)))
    });
    drop(pool);

    group.throughput(Throughput::Elements(SPAWNS));
    group.bench_function("thread_per_task_1k", |b| {
        b.iter(|| assert_eq!(round_trips_spawn(SPAWNS), triangle(SPAWNS)))
    });
    group.finish();
}

// ------------------------------------------------------------ latency

/// One way of running one no-op task and waiting for it.
trait OneTask {
    const NAME: &'static str;
    fn once(&self) -> u64;
}

/// `submit`, then `result`.
struct Ours(ThreadPoolExecutor);

impl OneTask for Ours {
    const NAME: &'static str = "pythreading";

    #[inline]
    fn once(&self) -> u64 {
        let x = black_box(7u64);
        self.0
            .submit(move || x)
            .expect("pool running")
            .result()
            .expect("task ran")
    }
}

/// `execute`, sending into a channel made for this task.
struct ThreadpoolFresh(threadpool::ThreadPool);

impl OneTask for ThreadpoolFresh {
    const NAME: &'static str = "threadpool_channel_per_task";

    #[inline]
    fn once(&self) -> u64 {
        let x = black_box(7u64);
        let (tx, rx) = mpsc::sync_channel(1);
        self.0.execute(move || tx.send(x).expect("receiver alive"));
        rx.recv().expect("task ran")
    }
}

/// `execute`, sending into one channel made once.
struct ThreadpoolReused {
    pool: threadpool::ThreadPool,
    tx: mpsc::Sender<u64>,
    rx: mpsc::Receiver<u64>,
}

impl ThreadpoolReused {
    fn new() -> Self {
        let (tx, rx) = mpsc::channel();
        Self {
            pool: threadpool(),
            tx,
            rx,
        }
    }
}

impl OneTask for ThreadpoolReused {
    const NAME: &'static str = "threadpool_reused_channel";

    #[inline]
    fn once(&self) -> u64 {
        let x = black_box(7u64);
        let tx = self.tx.clone();
        self.pool
            .execute(move || tx.send(x).expect("receiver alive"));
        self.rx.recv().expect("task ran")
    }
}

/// `spawn`, sending into one channel made once.
struct RayonSpawn {
    pool: rayon::ThreadPool,
    tx: mpsc::Sender<u64>,
    rx: mpsc::Receiver<u64>,
}

impl RayonSpawn {
    fn new() -> Self {
        let (tx, rx) = mpsc::channel();
        Self {
            pool: rayon(),
            tx,
            rx,
        }
    }
}

impl OneTask for RayonSpawn {
    const NAME: &'static str = "rayon_spawn_reused_channel";

    #[inline]
    fn once(&self) -> u64 {
        let x = black_box(7u64);
        let tx = self.tx.clone();
        self.pool.spawn(move || tx.send(x).expect("receiver alive"));
        self.rx.recv().expect("task ran")
    }
}

/// `install`: rayon's own way to run a closure on the pool and wait.
struct RayonInstall(rayon::ThreadPool);

impl OneTask for RayonInstall {
    const NAME: &'static str = "rayon_install";

    #[inline]
    fn once(&self) -> u64 {
        let x = black_box(7u64);
        self.0.install(move || x)
    }
}

fn bench_one<T: OneTask>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    t: &T,
) {
    group.bench_function(T::NAME, |b| b.iter(|| t.once()));
}

fn latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("executor/latency");
    bench_one(&mut group, &Ours(ours()));
    bench_one(&mut group, &ThreadpoolFresh(threadpool()));
    bench_one(&mut group, &ThreadpoolReused::new());
    bench_one(&mut group, &RayonSpawn::new());
    bench_one(&mut group, &RayonInstall(rayon()));
    group.finish();
}

/// Each round trip timed alone; p50, p99 and p99.9 per contender.
fn latency_percentiles(per_contender: usize) {
    let ours = Ours(ours());
    let fresh = ThreadpoolFresh(threadpool());
    let reused = ThreadpoolReused::new();
    let spawn = RayonSpawn::new();
    let install = RayonInstall(rayon());
    let contenders: [(&str, &dyn Fn() -> u64); 5] = [
        (Ours::NAME, &|| ours.once()),
        (ThreadpoolFresh::NAME, &|| fresh.once()),
        (ThreadpoolReused::NAME, &|| reused.once()),
        (RayonSpawn::NAME, &|| spawn.once()),
        (RayonInstall::NAME, &|| install.once()),
    ];
    // Interleaved rounds, so a busy spell of the machine hits everyone.
    const ROUNDS: usize = 10;
    let per_round = per_contender.div_ceil(ROUNDS);
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(per_contender); contenders.len()];
    for (_, once) in &contenders {
        for _ in 0..per_round {
            black_box(once()); // warm-up: workers started, caches hot
        }
    }
    for _ in 0..ROUNDS {
        for ((_, once), times) in contenders.iter().zip(&mut samples) {
            for _ in 0..per_round {
                let start = Instant::now();
                black_box(once());
                times.push(start.elapsed());
            }
        }
    }
    println!();
    println!(
        "single-task latency, {} round trips each, {WORKERS} workers, {} CPUs",
        ROUNDS * per_round,
        thread::available_parallelism().map_or(0, usize::from)
    );
    println!("{:<30}{:>12}{:>12}{:>12}", "", "p50", "p99", "p99.9");
    for ((name, _), mut times) in contenders.iter().zip(samples) {
        times.sort_unstable();
        let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name:<30}{:>12}{:>12}{:>12}",
            micros(pct(0.5)),
            micros(pct(0.99)),
            micros(pct(0.999))
        );
    }
}

fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

// ------------------------------------------------------------ CPU-bound

/// About 1.9 ns a step of a dependent multiply-add-xorshift chain: pure
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
    let mut group = c.benchmark_group("executor/cpu_bound");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    let expected: u64 = (0..PIECES).map(crunch).fold(0, u64::wrapping_add);

    group.bench_function("sequential", |b| {
        b.iter(|| assert_eq!((0..PIECES).map(crunch).fold(0, u64::wrapping_add), expected))
    });

    let pool = ours();
    group.bench_function("pythreading", |b| {
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
    drop(pool);

    let pool = threadpool();
    group.bench_function("threadpool", |b| {
        b.iter(|| {
            let (tx, rx) = mpsc::channel();
            for i in 0..PIECES {
                let tx = tx.clone();
                pool.execute(move || tx.send(crunch(i)).expect("receiver alive"));
            }
            let sum = rx.iter().take(PIECES as usize).fold(0, u64::wrapping_add);
            assert_eq!(sum, expected);
        })
    });
    pool.join();
    drop(pool);

    let pool = rayon();
    group.bench_function("rayon", |b| {
        b.iter(|| {
            let (tx, rx) = mpsc::channel();
            for i in 0..PIECES {
                let tx = tx.clone();
                pool.spawn(move || tx.send(crunch(i)).expect("receiver alive"));
            }
            let sum = rx.iter().take(PIECES as usize).fold(0, u64::wrapping_add);
            assert_eq!(sum, expected);
        })
    });
    drop(pool);
    group.finish();
}

criterion_group!(benches, round_trips, latency, cpu_bound);

fn main() {
    benches();
    if std::env::var("EXECUTOR_PERCENTILES").map_or(true, |v| v != "0") {
        let args: Vec<String> = std::env::args().collect();
        let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
        latency_percentiles(if full { 20_000 } else { 200 });
    }
    Criterion::default().configure_from_args().final_summary();
}
