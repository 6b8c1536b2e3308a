//! What the core of pythreading costs: starting and joining a `Thread`,
//! finding the current thread, the registry's module functions and a
//! thread-local `Local`. Our own API only; comparisons with other crates
//! live in the workspace's `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-core --bench thread
//! cargo bench -p pythreading-core --bench thread -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! - `core/thread/spawn`: `Thread::new` + `start` + `into_result` of a
//!   target returning a number, and the same through `Thread::builder()`
//!   with a name. Each iteration creates and ends one OS thread.
//! - `core/thread/current_thread`: `current_thread()` called on the main
//!   thread, inside a thread started by pythreading, and inside a thread
//!   started by `std::thread::spawn` (a "dummy" thread, registered on its
//!   first call, before the clock starts).
//! - `core/thread/registry`: `get_ident()`, and `active_count()` and
//!   `enumerate()` with 8 started threads alive besides the main thread.
//! - `core/thread/local`: `Local::with` on a value the thread already has.
//!
//! Every benchmark checks what it gets back (the target's value, the
//! thread found, the count of threads, the local's final value), so a
//! broken primitive fails the run instead of winning it.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pythreading_core::{
    Local, Thread, ThreadRef, active_count, current_thread, enumerate, get_ident, main_thread,
};

/// Threads kept alive while the registry is measured.
const ALIVE: usize = 8;

fn spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/thread/spawn");
    group.bench_function("new_start_join", |b| {
        b.iter(|| {
            let x = black_box(7u64);
            let t = Thread::new(move || x * 6);
            t.start().expect("thread started");
            assert_eq!(t.into_result().expect("thread finished"), 42);
        })
    });
    group.bench_function("builder_named_start_join", |b| {
        b.iter(|| {
            let x = black_box(7u64);
            let t = Thread::builder()
                .name("bench-worker")
                .spawn(move || x * 6)
                .expect("thread started");
            assert_eq!(t.into_result().expect("thread finished"), 42);
        })
    });
    group.finish();
}

/// Calls `current_thread()` `iters` times on the calling thread; checks
/// that every call found `me`.
fn time_current_thread(iters: u64, me: &ThreadRef) -> Duration {
    let start = Instant::now();
    let mut found = 0u64;
    for _ in 0..iters {
        found += u64::from(black_box(current_thread()) == *me);
    }
    let elapsed = start.elapsed();
    assert_eq!(found, iters, "current_thread() named another thread");
    elapsed
}

fn current(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/thread/current_thread");

    let main = main_thread();
    group.bench_function("main_thread", |b| {
        b.iter_custom(|iters| time_current_thread(iters, &main))
    });

    group.bench_function("pythreading_thread", |b| {
        b.iter_custom(|iters| {
            let t = Thread::new(move || {
                let me = current_thread();
                assert!(me.name().starts_with("Thread-"), "{me:?}");
                time_current_thread(iters, &me)
            });
            t.start().expect("thread started");
            t.into_result().expect("thread finished")
        })
    });

    group.bench_function("foreign_thread", |b| {
        b.iter_custom(|iters| {
            std::thread::spawn(move || {
                // The first call registers this thread as a dummy thread.
                let me = current_thread();
                assert!(me.name().starts_with("Dummy-"), "{me:?}");
                time_current_thread(iters, &me)
            })
            .join()
            .expect("thread finished")
        })
    });
    group.finish();
}

fn registry(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/thread/registry");

    let main_ident = get_ident();
    group.bench_function("get_ident", |b| {
        b.iter(|| assert_eq!(black_box(get_ident()), main_ident))
    });

    // `ALIVE` started threads, parked on a barrier until the end.
    let before = active_count();
    let release = Arc::new(Barrier::new(ALIVE + 1));
    let alive: Vec<Thread> = (0..ALIVE)
        .map(|_| {
            let release = Arc::clone(&release);
            let t = Thread::new(move || {
                release.wait();
            });
            t.start().expect("thread started");
            t
        })
        .collect();
    let expected = before + ALIVE;
    assert_eq!(active_count(), expected);

    group.bench_function("active_count_8_started", |b| {
        b.iter(|| assert_eq!(black_box(active_count()), expected))
    });
    group.bench_function("enumerate_8_started", |b| {
        b.iter(|| assert_eq!(black_box(enumerate()).len(), expected))
    });

    release.wait();
    for t in alive {
        t.join().expect("thread finished");
    }
    group.finish();
}

fn local(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/thread/local");
    group.bench_function("with", |b| {
        b.iter_custom(|iters| {
            let local = Local::<u64>::new();
            local.with(|n| *n = 0); // this thread's value exists from here
            let start = Instant::now();
            for _ in 0..iters {
                local.with(|n| *n += 1);
            }
            let elapsed = start.elapsed();
            assert_eq!(local.with(|n| *n), iters);
            elapsed
        })
    });
    group.finish();
}

criterion_group!(benches, spawn, current, registry, local);
criterion_main!(benches);
