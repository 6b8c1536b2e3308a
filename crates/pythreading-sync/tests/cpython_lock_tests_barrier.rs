//! A port of CPython's `BarrierTests`.
//!
//! Source: `Lib/test/lock_tests.py` of CPython 3.13.0, class `BarrierTests`
//! (run there against `threading.Barrier` by `test_threading.py`). Each
//! test keeps its Python name; the `Bunch` helper (N threads running the
//! same function, exceptions collected) becomes [`bunch`], which re-raises
//! the first panic of any thread, and the `results` lists become
//! `Mutex<Vec<_>>` or counters.
//!
//! Ported: `test_constructor`, `test_barrier`, `test_barrier_10`,
//! `test_wait_return`, `test_action`, `test_abort`, `test_reset`,
//! `test_abort_and_reset`, `test_timeout`, `test_default_timeout`,
//! `test_single_thread`, `test_repr`.
//!
//! Skipped: none of the tests; within `test_constructor`, `parties=-1`
//! cannot be expressed (`parties` is a `usize`). `tearDown`'s
//! `barrier.abort()` is not needed: every test has its own barrier, and a
//! failing thread cannot leave others hanging because every barrier has a
//! default timeout.
//!
//! Tweaks:
//! - `defaultTimeout` is 10 s instead of 2 s (a loaded 2-core machine can
//!   stall a thread for a while); `test_timeout`, which derived its sleep
//!   (`defaultTimeout / 2`) and its short timeout (`defaultTimeout / 4`)
//!   from it, keeps Python's values: sleep 1 s, timeout 0.5 s.
//! - `barrier2` of `test_abort_and_reset` gets the default timeout too
//!   (Python's waits for ever), so a bug fails instead of hanging.
//! - `test_repr`: our `Debug` is Python's repr without module and address,
//!   `<Barrier: waiters=2/3>` / `<Barrier: broken>`, so the regular
//!   expressions become exact comparisons.
//! - `support.sleeping_retry(SHORT_TIMEOUT)` polling loops become
//!   `common::wait_until`, with a 30 s limit as `SHORT_TIMEOUT`.

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_sync::{Barrier, SyncError};

mod common;
use common::wait_until;

/// `BarrierTests.N`.
const N: usize = 5;
/// `BarrierTests.defaultTimeout` (2.0 in Python; see the tweaks above).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// `setUp`: `self.barrier = Barrier(N, timeout=defaultTimeout)`.
fn set_up() -> Arc<Barrier> {
    Arc::new(Barrier::new(N).unwrap().with_timeout(DEFAULT_TIMEOUT))
}

/// `with Bunch(f, n): pass`: runs `f` in `n` threads and waits for all;
/// the first panic of any thread is re-raised here.
fn bunch(n: usize, f: impl Fn() + Send + Sync + 'static) {
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let f = Arc::clone(&f);
            thread::spawn(move || f())
        })
        .collect();
    let mut first_panic = None;
    for handle in handles {
        if let Err(payload) = handle.join() {
            first_panic.get_or_insert(payload);
        }
    }
    if let Some(payload) = first_panic {
        panic::resume_unwind(payload);
    }
}

/// `multipass`: `n` rounds of two waits each, checking the threads stay in
/// lockstep.
fn multipass(barrier: &Barrier, results: &[Mutex<Vec<bool>>; 2], n: usize) {
    let m = barrier.parties();
    assert_eq!(m, N);
    for i in 0..n {
        results[0].lock().unwrap().push(true);
        assert_eq!(results[1].lock().unwrap().len(), i * m);
        barrier.wait().unwrap();
        results[1].lock().unwrap().push(true);
        assert_eq!(results[0].lock().unwrap().len(), (i + 1) * m);
        barrier.wait().unwrap();
    }
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
}

#[test]
fn test_constructor() {
    assert!(matches!(
        Barrier::new(0),
        Err(SyncError::InvalidArgument(_))
    ));
}

fn test_barrier_passes(passes: usize) {
    let barrier = set_up();
    let results = Arc::new([Mutex::new(Vec::new()), Mutex::new(Vec::new())]);
    bunch(N, move || multipass(&barrier, &results, passes));
}

/// Test that a barrier is passed in lockstep.
#[test]
fn test_barrier() {
    test_barrier_passes(1);
}

/// Test that a barrier works for 10 consecutive runs.
#[test]
fn test_barrier_10() {
    test_barrier_passes(10);
}

/// Test the return value from barrier.wait.
#[test]
fn test_wait_return() {
    let barrier = set_up();
    let results = Arc::new(Mutex::new(Vec::new()));
    {
        let results = Arc::clone(&results);
        bunch(N, move || {
            let r = barrier.wait().unwrap();
            results.lock().unwrap().push(r);
        });
    }
    let results = results.lock().unwrap();
    assert_eq!(results.iter().sum::<usize>(), (0..N).sum::<usize>());
}

/// Test the 'action' callback.
#[test]
fn test_action() {
    let results = Arc::new(AtomicUsize::new(0));
    let barrier = {
        let results = Arc::clone(&results);
        Arc::new(
            Barrier::new(N)
                .unwrap()
                .with_timeout(DEFAULT_TIMEOUT)
                .with_action(move || {
                    results.fetch_add(1, Ordering::SeqCst);
                }),
        )
    };
    bunch(N, move || {
        barrier.wait().unwrap();
        assert_eq!(results.load(Ordering::SeqCst), 1);
    });
}

/// Test that an abort will put the barrier in a broken state.
#[test]
fn test_abort() {
    let barrier = set_up();
    let results1 = Arc::new(AtomicUsize::new(0));
    let results2 = Arc::new(AtomicUsize::new(0));
    {
        let (barrier, results1, results2) = (
            Arc::clone(&barrier),
            Arc::clone(&results1),
            Arc::clone(&results2),
        );
        bunch(N, move || {
            // Python raises RuntimeError in one thread and catches it at
            // the end of the same `try`: here that is an early abort.
            let outcome = barrier.wait().and_then(|i| {
                if i == N / 2 {
                    barrier.abort();
                    return Ok(false);
                }
                barrier.wait().map(|_| true)
            });
            match outcome {
                Ok(true) => {
                    results1.fetch_add(1, Ordering::SeqCst);
                }
                Ok(false) => {}
                Err(SyncError::BrokenBarrier) => {
                    results2.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => panic!("unexpected error {e:?}"),
            }
        });
    }
    assert_eq!(results1.load(Ordering::SeqCst), 0);
    assert_eq!(results2.load(Ordering::SeqCst), N - 1);
    assert!(barrier.broken());
}

/// Test that a 'reset' on a barrier frees the waiting threads.
#[test]
fn test_reset() {
    let barrier = set_up();
    let results1 = Arc::new(AtomicUsize::new(0));
    let results2 = Arc::new(AtomicUsize::new(0));
    let results3 = Arc::new(AtomicUsize::new(0));
    {
        let (results1, results2, results3) = (
            Arc::clone(&results1),
            Arc::clone(&results2),
            Arc::clone(&results3),
        );
        bunch(N, move || {
            let i = barrier.wait().unwrap();
            if i == N / 2 {
                // Wait until the other threads are all in the barrier.
                wait_until("N - 1 threads wait", || barrier.n_waiting() >= N - 1);
                barrier.reset();
            } else {
                match barrier.wait() {
                    Ok(_) => results1.fetch_add(1, Ordering::SeqCst),
                    Err(SyncError::BrokenBarrier) => results2.fetch_add(1, Ordering::SeqCst),
                    Err(e) => panic!("unexpected error {e:?}"),
                };
            }
            // Now, pass the barrier again.
            barrier.wait().unwrap();
            results3.fetch_add(1, Ordering::SeqCst);
        });
    }
    assert_eq!(results1.load(Ordering::SeqCst), 0);
    assert_eq!(results2.load(Ordering::SeqCst), N - 1);
    assert_eq!(results3.load(Ordering::SeqCst), N);
}

/// Test that a barrier can be reset after being broken.
#[test]
fn test_abort_and_reset() {
    let barrier = set_up();
    let barrier2 = Arc::new(Barrier::new(N).unwrap().with_timeout(DEFAULT_TIMEOUT));
    let results1 = Arc::new(AtomicUsize::new(0));
    let results2 = Arc::new(AtomicUsize::new(0));
    let results3 = Arc::new(AtomicUsize::new(0));
    {
        let (results1, results2, results3) = (
            Arc::clone(&results1),
            Arc::clone(&results2),
            Arc::clone(&results3),
        );
        bunch(N, move || {
            let outcome = barrier.wait().and_then(|i| {
                if i == N / 2 {
                    barrier.abort();
                    return Ok(false);
                }
                barrier.wait().map(|_| true)
            });
            match outcome {
                Ok(true) => {
                    results1.fetch_add(1, Ordering::SeqCst);
                }
                Ok(false) => {}
                Err(SyncError::BrokenBarrier) => {
                    results2.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => panic!("unexpected error {e:?}"),
            }
            // Synchronize and reset the barrier. Must synchronize first so
            // that everyone has left it when we reset, and after so that no
            // one enters it before the reset.
            if barrier2.wait().unwrap() == N / 2 {
                barrier.reset();
            }
            barrier2.wait().unwrap();
            barrier.wait().unwrap();
            results3.fetch_add(1, Ordering::SeqCst);
        });
    }
    assert_eq!(results1.load(Ordering::SeqCst), 0);
    assert_eq!(results2.load(Ordering::SeqCst), N - 1);
    assert_eq!(results3.load(Ordering::SeqCst), N);
}

/// Test wait(timeout).
#[test]
fn test_timeout() {
    let barrier = set_up();
    bunch(N, move || {
        let i = barrier.wait().unwrap();
        if i == N / 2 {
            // One thread is late!
            thread::sleep(Duration::from_millis(1000));
        }
        // The default timeout is longer than this.
        assert_eq!(
            barrier.wait_timeout(Duration::from_millis(500)),
            Err(SyncError::BrokenBarrier)
        );
    });
}

/// Test the barrier's default timeout.
#[test]
fn test_default_timeout() {
    let timeout = Duration::from_millis(100);
    let barrier = Arc::new(Barrier::new(2).unwrap().with_timeout(timeout));
    let start_time = Instant::now();
    bunch(1, move || {
        assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
    });
    assert!(start_time.elapsed() >= timeout);
}

#[test]
fn test_single_thread() {
    let b = Barrier::new(1).unwrap();
    b.wait().unwrap();
    b.wait().unwrap();
}

#[test]
fn test_repr() {
    let barrier = Arc::new(Barrier::new(3).unwrap());
    // support.LONG_TIMEOUT
    let timeout = Duration::from_secs(300);
    assert_eq!(format!("{barrier:?}"), "<Barrier: waiters=0/3>");
    const THREADS: usize = 2;
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || barrier.wait_timeout(timeout))
        })
        .collect();
    // Threads blocked on barrier.wait()
    wait_until("every thread waits", || barrier.n_waiting() >= THREADS);
    assert_eq!(format!("{barrier:?}"), "<Barrier: waiters=2/3>");
    // Threads unblocked
    barrier.wait_timeout(timeout).unwrap();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
    assert_eq!(format!("{barrier:?}"), "<Barrier: waiters=0/3>");
    // Abort the barrier
    barrier.abort();
    assert_eq!(format!("{barrier:?}"), "<Barrier: broken>");
}
