//! CPython's executor shutdown tests, ported to pythreading-executor's
//! [`ThreadPoolExecutor::shutdown`] and `Drop`.
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_shutdown.py` (the thread-pool
//! class `ThreadPoolShutdownTest`, with the methods it inherits from
//! `ExecutorShutdownTest`), with `Lib/concurrent/futures/thread.py` of the
//! same version as the reference for behaviour. CPython is distributed under
//! the Python Software Foundation License Version 2 (PSF-2.0); Copyright (c)
//! 2001-2024 Python Software Foundation; All Rights Reserved. This file is
//! a Rust re-expression of those tests' intent against
//! `pythreading_executor`; no Python code is included.
//!
//! Counting Python test methods of `ThreadPoolShutdownTest` (7 of its own,
//! 7 inherited): all 14 ported, 10 of them here, in the module
//! `thread_pool_shutdown_test`, same names:
//! `test_run_after_shutdown`, `test_hang_issue12364`, `test_cancel_futures`,
//! `test_hang_gh94440`, `test_threads_terminate`,
//! `test_context_manager_shutdown`, `test_del_shutdown`,
//! `test_shutdown_no_wait`, `test_thread_names_assigned`,
//! `test_thread_names_default`. The four that run a child interpreter
//! (`test_interpreter_shutdown`, `test_submit_after_interpreter_shutdown`,
//! `test_hang_gh83386`, `test_cancel_futures_wait_false`) are in
//! `cpython_test_shutdown_exit.rs`.
//!
//! Added: `test_shutdown_is_idempotent` (CPython's docstring: "safe to call
//! this method several times"), `test_cancel_futures_cancels_exactly_the_pending_ones`,
//! `test_shutdown_from_inside_a_task` and
//! `test_shutdown_cancel_futures_from_inside_a_task` and
//! `test_last_handle_dropped_inside_a_task` (a task shutting its own pool
//! down, or dropping its last handle, must not wait for itself), and
//! `test_each_blocking_submit_starts_a_worker`: the first assertion of
//! `test_threads_terminate` (N tasks that block, submitted to a pool of at
//! least N workers, run on N workers) repeated 1000 times, because a single
//! run only rarely catches a pool that starts too few workers.
//!
//! ## Left out, and why
//!
//! - The process-pool classes (`ProcessPoolShutdownTest` and its
//!   `test_processes_terminate` etc.): no process pool here.
//!
//! ## Tweaks
//!
//! - `len(executor._threads)` is `stats().workers_started`; the worker
//!   threads CPython reads from `executor._threads` are found by name among
//!   pythreading's live threads (`{prefix}_{i}`), and joined within `LONG`.
//! - `del executor` and the end of a `with` block are dropping the
//!   `ThreadPoolExecutor` (which is `shutdown(wait=True)`), done on a helper
//!   thread that must return within `LONG`. Python's `del` does not wait
//!   for the workers; `Drop` does, so `test_del_shutdown` checks that the
//!   workers are finished right after the drop.
//! - The `time.sleep(.1)` tasks of `test_hang_issue12364` sleep 10 ms. Those
//!   of `test_cancel_futures` wait at a gate instead, and count how many
//!   started: CPython can only bound the number cancelled (> 20), here
//!   `cancelled + started == 50` is exact. The `shutdown(cancel_futures=True)`
//!   runs on a helper thread, and the test checks it cancels the pending
//!   futures while it is still waiting for the running ones.
//! - `test_hang_gh94440` bounds the shutdown with `LONG` instead of a 5 s
//!   `SIGALRM`.
//! - `test_threads_terminate` blocks its tasks on pythreading's
//!   `Semaphore(0)`, acquired within `LONG`, as CPython does with
//!   `threading.Semaphore(0)`.
//! - Python's `map()` results that are never iterated stay alive until the
//!   workers are joined: dropping a `MapResults` would cancel the tasks not
//!   started.

mod cpython_util;

mod thread_pool_shutdown_test {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;
    use std::time::Duration;

    use pythreading_executor::{ExecutorError, Future, FutureState, TaskError, ThreadPoolExecutor};
    use pythreading_sync::{Event, Semaphore};

    use crate::cpython_util::{
        Executor, Gate, LONG, WORKER_COUNT, await_done, is_worker_name, join_threads, join_within,
        on_drop, pass, pow, submit_acquires, threads_named, wait_until, within,
    };

    fn executor() -> Executor {
        Executor::new(WORKER_COUNT)
    }

    #[test]
    fn test_run_after_shutdown() {
        let executor = executor();
        executor.shutdown_within(true, false);
        let refused = executor.submit(|| pow(2, 5)).unwrap_err();
        assert!(matches!(refused, ExecutorError::ShutDown), "{refused:?}");
        assert_eq!(
            refused.to_string(),
            "cannot schedule new futures after shutdown"
        );
    }

    #[test]
    fn test_hang_issue12364() {
        let executor = executor();
        let fs: Vec<Future<()>> = (0..50)
            .map(|_| {
                executor
                    .submit(|| thread::sleep(Duration::from_millis(10)))
                    .unwrap()
            })
            .collect();
        executor.shutdown_within(true, false);
        for f in fs {
            assert_eq!(f.result(), Ok(()));
        }
    }

    #[test]
    fn test_cancel_futures() {
        let executor = executor();
        let gate = Gate::new();
        let started = Arc::new(AtomicUsize::new(0));
        let fs: Arc<Vec<Future<()>>> = Arc::new(
            (0..50)
                .map(|_| {
                    let (gate, started) = (gate.handle(), Arc::clone(&started));
                    executor
                        .submit(move || {
                            started.fetch_add(1, Ordering::SeqCst);
                            pass(&gate);
                        })
                        .unwrap()
                })
                .collect(),
        );
        let shutdown = {
            let executor = executor.shared();
            thread::spawn(move || executor.shutdown(true, true))
        };
        // Every future not started is cancelled, while the shutdown still
        // waits for the running ones.
        wait_until("the pending futures are cancelled", || {
            let cancelled = fs.iter().filter(|f| f.cancelled()).count();
            cancelled + started.load(Ordering::SeqCst) == 50
        });
        assert!(!shutdown.is_finished(), "shutdown(wait=True) did not wait");
        gate.open();
        join_within(shutdown);

        let fs = Arc::try_unwrap(fs).expect("the futures are ours alone");
        let (cancelled, others): (Vec<_>, Vec<_>) = fs.into_iter().partition(Future::cancelled);
        // With at most 5 workers, at least 45 were cancelled.
        assert!(cancelled.len() > 20, "{} cancelled", cancelled.len());
        assert_eq!(others.len(), started.load(Ordering::SeqCst));
        assert!(!others.is_empty());
        for fut in others {
            assert!(fut.done(), "{fut:?}");
            assert_eq!(fut.result(), Ok(()));
        }
        for fut in cancelled {
            assert_eq!(fut.result(), Err(TaskError::Cancelled));
        }
    }

    #[test]
    fn test_cancel_futures_cancels_exactly_the_pending_ones() {
        let executor = Executor::new(1);
        let gate = Gate::new();
        let running_started = Arc::new(Event::new());
        let running = {
            let (gate, running_started) = (gate.handle(), Arc::clone(&running_started));
            executor
                .submit(move || {
                    running_started.set();
                    pass(&gate);
                    -1
                })
                .unwrap()
        };
        assert!(running_started.wait_timeout(LONG));
        let pending: Vec<Future<i32>> = (0..10)
            .map(|n| executor.submit(move || n).unwrap())
            .collect();

        executor.shutdown_within(false, true);
        assert!(pending.iter().all(Future::cancelled));
        assert_eq!(running.state(), FutureState::Running);
        gate.open();
        await_done(&running);
        assert_eq!(running.result(), Ok(-1));
        executor.shutdown_within(true, false);
        assert_eq!(executor.stats().completed_tasks, 1);
    }

    #[test]
    fn test_hang_gh94440() {
        let executor = Executor::new(1);
        let first = executor.submit(|| 0).unwrap();
        await_done(&first);
        assert_eq!(first.result(), Ok(0));
        // Submitted and cancelled right before the shutdown.
        executor.submit(|| 0).unwrap().cancel();
        executor.shutdown_within(true, false);
    }

    #[test]
    fn test_threads_terminate() {
        let executor = executor();
        let sem = Arc::new(Semaphore::new(0));
        let fs = submit_acquires(&executor, &sem, 3);
        let release = on_drop(|| sem.release_n(3));
        assert_eq!(executor.stats().workers_started, 3);
        let threads = threads_named(executor.thread_name_prefix());
        assert_eq!(threads.len(), 3);
        drop(release);
        executor.shutdown_within(true, false);
        join_threads(&threads);
        for f in fs {
            assert_eq!(f.result(), Ok(()));
        }
    }

    #[test]
    fn test_each_blocking_submit_starts_a_worker() {
        for round in 0..1000 {
            let executor = Executor::new(3);
            let gate = Gate::new();
            for _ in 0..3 {
                let gate = gate.handle();
                let _ = executor.submit(move || pass(&gate)).unwrap();
            }
            let started = executor.stats().workers_started;
            assert_eq!(
                started, 3,
                "round {round}: 3 blocking tasks on a pool of 3 started {started} worker(s)"
            );
        }
    }

    /// abs() over -5..5, as CPython maps it.
    const ABS: [i64; 10] = [5, 4, 3, 2, 1, 0, 1, 2, 3, 4];

    #[test]
    fn test_context_manager_shutdown() {
        let e = ThreadPoolExecutor::new(5).unwrap();
        let results: Vec<i64> = e
            .map(|x: i64| x.abs(), -5..5)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(results, ABS);
        let threads = threads_named(e.thread_name_prefix());
        assert!(!threads.is_empty());
        within("the end of the with block", move || drop(e));
        assert!(threads.iter().all(|t| !t.is_alive()));
        join_threads(&threads);
    }

    #[test]
    fn test_del_shutdown() {
        let executor = ThreadPoolExecutor::new(5).unwrap();
        let res = executor.map(|x: i64| x.abs(), -5..5).unwrap();
        let threads = threads_named(executor.thread_name_prefix());
        within("del executor", move || drop(executor));
        assert!(threads.iter().all(|t| !t.is_alive()));
        join_threads(&threads);

        // The results were all computed before the executor was shut down.
        let res: Vec<Result<i64, TaskError>> = res.collect();
        assert_eq!(res, ABS.map(Ok));
    }

    #[test]
    fn test_shutdown_no_wait() {
        let executor = ThreadPoolExecutor::new(5).unwrap();
        let res = executor.map(|x: i64| x.abs(), -5..5).unwrap();
        let threads = threads_named(executor.thread_name_prefix());
        let executor = Arc::new(executor);
        {
            let executor = Arc::clone(&executor);
            within("shutdown(wait=False)", move || {
                executor.shutdown(false, false)
            });
        }
        join_threads(&threads);

        let res: Vec<Result<i64, TaskError>> = res.collect();
        assert_eq!(res, ABS.map(Ok));
        within("dropping the executor", move || drop(executor));
    }

    #[test]
    fn test_thread_names_assigned() {
        let executor = ThreadPoolExecutor::builder()
            .max_workers(5)
            .thread_name_prefix("SpecialPool")
            .build()
            .unwrap();
        let _results = executor.map(|x: i64| x.abs(), -5..5).unwrap();
        let threads = threads_named("SpecialPool");
        assert_eq!(threads.len(), executor.stats().workers_started);
        within("del executor", move || drop(executor));

        assert!(!threads.is_empty());
        for t in &threads {
            assert!(is_worker_name(&t.name(), "SpecialPool", 5), "{}", t.name());
        }
        join_threads(&threads);
    }

    #[test]
    fn test_thread_names_default() {
        let executor = ThreadPoolExecutor::new(5).unwrap();
        let _results = executor.map(|x: i64| x.abs(), -5..5).unwrap();
        let prefix = executor.thread_name_prefix().to_owned();
        let threads = threads_named(&prefix);
        // A sane default, unique to this executor.
        let number = prefix
            .strip_prefix("ThreadPoolExecutor-")
            .unwrap_or_else(|| panic!("default prefix {prefix:?}"));
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "{prefix:?}"
        );
        let other = ThreadPoolExecutor::new(1).unwrap();
        assert_ne!(other.thread_name_prefix(), prefix);
        within("del executor", move || drop(executor));

        assert!(!threads.is_empty());
        for t in &threads {
            assert!(is_worker_name(&t.name(), &prefix, 5), "{}", t.name());
        }
        join_threads(&threads);
    }

    #[test]
    fn test_shutdown_is_idempotent() {
        let executor = executor();
        let future = executor.submit(|| 1).unwrap();
        executor.shutdown_within(true, false);
        executor.shutdown_within(true, false);
        executor.shutdown_within(false, true);
        executor.shutdown_within(true, true);
        assert_eq!(future.result(), Ok(1));
        assert!(matches!(
            executor.submit(|| 2),
            Err(ExecutorError::ShutDown)
        ));
    }

    #[test]
    fn test_shutdown_from_inside_a_task() {
        let executor = Executor::new(1);
        let shared = executor.shared();
        let future = executor
            .submit(move || {
                // wait=True would join this very worker: it must skip it.
                shared.shutdown(true, false);
                shared.submit(|| ()).is_err()
            })
            .unwrap();
        await_done(&future);
        assert_eq!(future.result(), Ok(true), "submit after shutdown refused");
        assert!(matches!(
            executor.submit(|| false),
            Err(ExecutorError::ShutDown)
        ));
    }

    #[test]
    fn test_shutdown_cancel_futures_from_inside_a_task() {
        let executor = Executor::new(1);
        let shared = executor.shared();
        let go = Gate::new();
        let first = {
            let go = go.handle();
            executor
                .submit(move || {
                    pass(&go);
                    shared.shutdown(true, true);
                    0
                })
                .unwrap()
        };
        let pending: Vec<Future<i32>> = (1..=5)
            .map(|n| executor.submit(move || n).unwrap())
            .collect();
        go.open();
        await_done(&first);
        assert_eq!(first.result(), Ok(0));
        for future in pending {
            await_done(&future);
            assert_eq!(future.result(), Err(TaskError::Cancelled));
        }
    }

    #[test]
    fn test_last_handle_dropped_inside_a_task() {
        let executor = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let gate = Gate::new();
        let last = Arc::clone(&executor);
        let future = {
            let gate = gate.handle();
            executor
                .submit(move || {
                    pass(&gate);
                    // The last handle: dropping it is shutdown(wait=True)
                    // on a worker of this very pool.
                    drop(last);
                    1
                })
                .unwrap()
        };
        let workers = threads_named(executor.thread_name_prefix());
        drop(executor);
        gate.open();
        await_done(&future);
        assert_eq!(future.result(), Ok(1));
        join_threads(&workers);
    }
}
