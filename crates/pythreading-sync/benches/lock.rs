//! How fast `Lock`, `RLock` and the semaphores are, next to what people use
//! instead: `parking_lot::Mutex`, `std::sync::Mutex` and a semaphore
//! hand-rolled from `std::sync::{Mutex, Condvar}`.
//!
//! Run with `cargo bench -p pythreading-sync --bench lock`. Each group puts
//! the contenders side by side in one run, so their ratios are meaningful
//! even on a noisy machine whose absolute figures drift:
//!
//! - `lock/uncontended`: one thread, acquire + release (the mutexes also
//!   increment the `u64` they guard).
//! - `lock/contended_2_threads`: two threads increment one shared counter
//!   under the lock; the time reported is wall time per increment. The
//!   counter is checked at the end, so a lock that failed to exclude would
//!   fail the bench rather than win it.
//! - `semaphore`: uncontended acquire + release, then four threads sharing
//!   a semaphore of two units.
//!
//! The target for `Lock` is to stay within 1.5x of `parking_lot::Mutex` in
//! both lock groups.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use criterion::Criterion;
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
    let mut group = c.benchmark_group("lock/uncontended");

    let lock = Lock::new();
    group.bench_function("pythreading::Lock acquire+release", |b| {
        b.iter(|| {
            lock.acquire();
            black_box(lock.release())
        });
    });
    group.bench_function("pythreading::Lock guard", |b| {
        b.iter(|| drop(black_box(lock.guard())));
    });

    let rlock = RLock::new();
    group.bench_function("pythreading::RLock guard", |b| {
        b.iter(|| drop(black_box(rlock.guard())));
    });

    let pl = parking_lot::Mutex::new(0u64);
    group.bench_function("parking_lot::Mutex<u64> +1", |b| {
        b.iter(|| *black_box(&pl).lock() += 1);
    });

    let std_mutex = Mutex::new(0u64);
    group.bench_function("std::sync::Mutex<u64> +1", |b| {
        b.iter(|| *black_box(&std_mutex).lock().expect("not poisoned") += 1);
    });

    group.finish();
}

fn contended_2_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("lock/contended_2_threads");

    group.bench_function("pythreading::Lock", |b| {
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

    group.bench_function("parking_lot::Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            let counter = parking_lot::Mutex::new(0u64);
            let elapsed = run_split(2, iters, &|| *counter.lock() += 1);
            assert_eq!(*counter.lock(), iters);
            elapsed
        });
    });

    group.bench_function("std::sync::Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            let counter = Mutex::new(0u64);
            let elapsed = run_split(2, iters, &|| {
                *counter.lock().expect("not poisoned") += 1;
            });
            assert_eq!(*counter.lock().expect("not poisoned"), iters);
            elapsed
        });
    });

    group.finish();
}

/// The semaphore people write by hand: a count under a mutex, and a
/// condition variable to sleep on while it is 0.
struct StdSemaphore {
    count: Mutex<usize>,
    available: Condvar,
}

impl StdSemaphore {
    fn new(value: usize) -> Self {
        Self {
            count: Mutex::new(value),
            available: Condvar::new(),
        }
    }

    fn acquire(&self) {
        let count = self.count.lock().expect("not poisoned");
        let mut count = self
            .available
            .wait_while(count, |count| *count == 0)
            .expect("not poisoned");
        *count -= 1;
    }

    fn release(&self) {
        *self.count.lock().expect("not poisoned") += 1;
        self.available.notify_one();
    }
}

fn semaphore(c: &mut Criterion) {
    let mut group = c.benchmark_group("semaphore");

    let sem = Semaphore::new(1);
    group.bench_function("uncontended/pythreading::Semaphore", |b| {
        b.iter(|| drop(black_box(sem.guard())));
    });
    let bounded = BoundedSemaphore::new(1);
    group.bench_function("uncontended/pythreading::BoundedSemaphore", |b| {
        b.iter(|| drop(black_box(bounded.guard())));
    });
    let std_sem = StdSemaphore::new(1);
    group.bench_function("uncontended/std Mutex+Condvar", |b| {
        b.iter(|| {
            std_sem.acquire();
            std_sem.release();
        });
    });

    // Four threads, two units: half of them wait at any moment.
    group.bench_function("4_threads_2_units/pythreading::Semaphore", |b| {
        b.iter_custom(|iters| {
            let sem = Semaphore::new(2);
            let elapsed = run_split(4, iters, &|| drop(black_box(sem.guard())));
            assert_eq!(sem.value(), 2);
            elapsed
        });
    });
    group.bench_function("4_threads_2_units/std Mutex+Condvar", |b| {
        b.iter_custom(|iters| {
            let sem = StdSemaphore::new(2);
            let elapsed = run_split(4, iters, &|| {
                sem.acquire();
                sem.release();
            });
            assert_eq!(*sem.count.lock().expect("not poisoned"), 2);
            elapsed
        });
    });

    group.finish();
}

// What `criterion_group!` and `criterion_main!` would generate, written out
// because the generated `pub fn` trips the workspace's `missing_docs` lint.
fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    uncontended(&mut c);
    contended_2_threads(&mut c);
    semaphore(&mut c);
    c.final_summary();
}
