//! `shutdown()` called by several threads at once: no call waits for a
//! thread that is itself inside `shutdown()`, so every call returns once
//! the other non-daemon threads have finished; each atexit hook runs once.
//!
//! `shutdown()` waits for every non-daemon thread of the process, so the
//! tests of this file run one at a time (`SHUTDOWN_LOCK`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, mpsc};
use std::time::Duration;

use pythreading_core::{ShutdownBlocker, ShutdownGuard, Thread, register_atexit, shutdown};

/// How long a bounded wait waits before the test calls it a hang.
const LONG: Duration = Duration::from_secs(30);

static SHUTDOWN_LOCK: Mutex<()> = Mutex::new(());

fn shutdown_lock() -> MutexGuard<'static, ()> {
    SHUTDOWN_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A non-daemon thread (threads made by a test thread are daemons by default).
fn non_daemon<T: Send + 'static>(target: impl FnOnce() -> T + Send + 'static) -> Thread<T> {
    let thread = Thread::builder().daemon(false).build(target);
    thread.start().unwrap();
    thread
}

/// A non-daemon thread that runs until `release` is sent to.
fn held_worker() -> (Thread, mpsc::Sender<()>) {
    let (release, wait) = mpsc::channel::<()>();
    let worker = non_daemon(move || {
        let _ = wait.recv();
    });
    (worker, release)
}

fn result_bounded<T: Send + 'static>(thread: Thread<T>) -> T {
    assert!(
        thread.join_timeout(LONG).unwrap(),
        "{thread:?} did not finish within {LONG:?}: a shutdown() call hangs"
    );
    thread.into_result().unwrap()
}

#[test]
fn two_threads_in_shutdown_do_not_wait_for_each_other() {
    let _lock = shutdown_lock();
    let (worker, release) = held_worker();
    let (entering_tx, entering) = mpsc::channel::<()>();
    let callers: Vec<Thread<bool>> = (0..2)
        .map(|_| {
            let (worker, entering_tx) = (worker.clone(), entering_tx.clone());
            non_daemon(move || {
                entering_tx.send(()).unwrap();
                shutdown();
                // Still waited for the thread that is not in shutdown().
                worker.is_alive()
            })
        })
        .collect();
    for _ in 0..2 {
        entering.recv_timeout(LONG).expect("a caller started");
    }
    release.send(()).unwrap();
    for caller in callers {
        assert!(!result_bounded(caller), "returned before the worker ended");
    }
}

#[test]
fn a_call_that_returned_first_is_not_waited_for_by_the_others() {
    // After shutdown() each caller waits for the other at a barrier: the
    // call that returns first runs on (it waits at the barrier), and the
    // other call must not wait for it. Both are started before either
    // calls shutdown(), so neither call can return before the other began
    // (a call that ended before the other began is rightly waited for).
    // Several rounds, as which call sees the other first varies.
    let _lock = shutdown_lock();
    for _ in 0..20 {
        let (started, returned) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
        let callers: Vec<Thread> = (0..2)
            .map(|_| {
                let (started, returned) = (Arc::clone(&started), Arc::clone(&returned));
                non_daemon(move || {
                    started.wait();
                    shutdown();
                    returned.wait();
                })
            })
            .collect();
        for caller in callers {
            result_bounded(caller);
        }
    }
}

#[test]
fn guards_dropped_in_many_threads_at_once_and_each_hook_runs_once() {
    let _lock = shutdown_lock();
    const HOOKS: usize = 5;
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..HOOKS).map(|_| AtomicUsize::new(0)).collect());
    for hook in 0..HOOKS {
        let runs = Arc::clone(&runs);
        register_atexit(move || {
            runs[hook].fetch_add(1, Ordering::SeqCst);
        });
    }
    let (worker, release) = held_worker();
    // Four pythreading threads and two threads it did not start; the test
    // thread makes seven at the barrier.
    let barrier = Arc::new(Barrier::new(7));
    let guard_in = {
        let (barrier, worker) = (Arc::clone(&barrier), worker.clone());
        move || {
            let guard = ShutdownGuard::new();
            barrier.wait();
            drop(guard);
            worker.is_alive()
        }
    };
    let started: Vec<Thread<bool>> = (0..4).map(|_| non_daemon(guard_in.clone())).collect();
    let foreign: Vec<_> = (0..2)
        .map(|_| {
            let (done_tx, done) = mpsc::channel();
            let guard_in = guard_in.clone();
            std::thread::spawn(move || done_tx.send(guard_in()));
            done
        })
        .collect();
    barrier.wait();
    release.send(()).unwrap();
    for caller in started {
        assert!(!result_bounded(caller), "returned before the worker ended");
    }
    for done in foreign {
        let alive = done
            .recv_timeout(LONG)
            .expect("a foreign thread's shutdown hangs");
        assert!(!alive, "returned before the worker ended");
    }
    let runs: Vec<usize> = runs.iter().map(|n| n.load(Ordering::SeqCst)).collect();
    assert_eq!(runs, [1; HOOKS], "each hook ran exactly once");
}

#[test]
fn a_call_doing_blocker_work_and_a_call_waiting_for_that_blocker() {
    // `doer` calls shutdown() inside its blocker's work, so its own call
    // does not wait for the blocker; `waiter` waits for it, but neither
    // waits for the other thread, which is in shutdown() too.
    let _lock = shutdown_lock();
    let blocker_gone = Arc::new(AtomicBool::new(false));
    let (made_tx, made) = mpsc::channel::<()>();
    let (go_tx, go) = mpsc::channel::<()>();
    let doer = {
        let blocker_gone = Arc::clone(&blocker_gone);
        non_daemon(move || {
            let blocker = ShutdownBlocker::new();
            made_tx.send(()).unwrap();
            go.recv().unwrap();
            let scope = blocker.enter();
            shutdown();
            drop(scope);
            blocker_gone.store(true, Ordering::SeqCst);
            drop(blocker);
        })
    };
    made.recv_timeout(LONG).expect("the blocker is made");
    let waiter = {
        let blocker_gone = Arc::clone(&blocker_gone);
        non_daemon(move || {
            shutdown();
            blocker_gone.load(Ordering::SeqCst)
        })
    };
    go_tx.send(()).unwrap();
    result_bounded(doer);
    assert!(
        result_bounded(waiter),
        "returned before the blocker was dropped"
    );
}
