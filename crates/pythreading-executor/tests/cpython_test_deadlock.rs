//! CPython's executor deadlock tests, adapted to a thread pool:
//! pythreading-executor must turn a failing task into a failed future and go
//! on, never deadlock.
//!
//! # Provenance
//!
//! Adapted from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_deadlock.py`
//! (`ExecutorDeadlockTest`), with `Lib/concurrent/futures/thread.py` of the
//! same version as the reference for a thread pool's behaviour. CPython is
//! distributed under the Python Software Foundation License Version 2
//! (PSF-2.0); Copyright (c) 2001-2024 Python Software Foundation; All
//! Rights Reserved. This file is a Rust re-expression of those tests'
//! intent against `pythreading_executor`; no Python code is included.
//!
//! CPython runs `ExecutorDeadlockTest` only against process pools: its
//! failures are a worker process crashing, exiting, or failing to
//! (un)pickle. What carries over to a thread pool is the promise behind
//! `_check_crash`: a task that fails (here: panics) ends as a failed future
//! within the deadline, and the pool neither deadlocks nor loses its
//! worker. Adapted (Python → Rust), in the module `executor_deadlock_test`,
//! same names, 6 of 16 methods:
//! - `test_error_during_func_exec_on_worker`: the task panics; its future
//!   holds `TaskError::Panicked`, and the pool still runs tasks.
//! - `test_exit_during_func_exec_on_worker`: `sys.exit(1)` in the task
//!   raises `SystemExit` out of `result()` in a thread pool; the nearest
//!   Rust failure a thread can survive is a panic with a payload that is not
//!   a string (`std::panic::panic_any`), which must be caught as well.
//! - `test_shutdown_deadlock`: a task that fails once
//!   `shutdown(wait=True)` has begun (CPython's sleeps 0.1 s, hoping the
//!   shutdown is called by then; ours waits at a gate opened once a submit
//!   is refused); the shutdown returns and the future holds the failure.
//! - `test_shutdown_deadlock_pickle`: a task that fails after
//!   `shutdown(wait=False)` (CPython's fails at pickling); its future
//!   holds the failure and the workers end.
//! - `test_crash_big_data`: ten tasks each holding `PIPE_MAX_SIZE` bytes
//!   and failing; every result is the failure, none hangs.
//! - `test_gh105829_should_not_deadlock_if_wakeup_pipe_full`: 100 tasks
//!   mapped while the workers are slow to start (CPython delays its manager
//!   thread by 3 s and makes its wake-up pipe block); here the
//!   initializer holds the workers back until all 100 are submitted, so
//!   `map` must not block on them, then all 100 results come.
//!
//! Added: `test_panicking_task_does_not_kill_its_worker` (a one-worker pool
//! runs panicking and normal tasks in turn on the same thread).
//!
//! ## Left out, and why
//!
//! - `test_error_at_task_pickle`, `test_exit_at_task_unpickle`,
//!   `test_error_at_task_unpickle`, `test_crash_at_task_unpickle`,
//!   `test_crash_during_result_pickle_on_worker`,
//!   `test_exit_during_result_pickle_on_worker`,
//!   `test_error_during_result_pickle_on_worker`,
//!   `test_error_during_result_unpickle_in_result_handler`,
//!   `test_exit_during_result_unpickle_in_result_handler`: a thread pool
//!   hands tasks and results over in memory; nothing is pickled.
//! - `test_crash_during_func_exec_on_worker`: a segfault in a thread kills
//!   the whole process; only a process pool can survive it.
//!
//! ## Tweaks
//!
//! - `res.result(timeout=LONG_TIMEOUT)` (5 min) is a wait of `LONG` (30 s);
//!   CPython's `_fail_on_deadlock` (dump the tracebacks, kill the workers)
//!   is a failing assertion naming the future.

mod cpython_util;

mod executor_deadlock_test {
    use std::collections::HashSet;

    use pythreading_executor::{Future, MapOptions, TaskError, ThreadPoolExecutor};

    use crate::cpython_util::{
        Executor, Gate, LONG, await_done, gated_panic, join_threads, join_within, pass,
        threads_named, within,
    };

    /// CPython's `support.PIPE_MAX_SIZE` (4 MiB + 1).
    const PIPE_MAX_SIZE: usize = 4 * 1024 * 1024 + 1;

    /// CPython's `_check_crash`: on a fresh pool of 2, `task` must end as
    /// `expected` within `LONG`; then the pool must still run a task.
    fn check_crash(task: impl FnOnce() -> i32 + Send + 'static, expected: fn(&TaskError) -> bool) {
        let executor = Executor::new(2);
        let res = executor.submit(task).unwrap();
        await_done(&res);
        let error = res.result().unwrap_err();
        assert!(expected(&error), "{error:?}");
        let after = executor.submit(|| 7).unwrap();
        await_done(&after);
        assert_eq!(after.result(), Ok(7));
    }

    #[test]
    fn test_error_during_func_exec_on_worker() {
        check_crash(
            || panic!("RuntimeError"),
            |error| matches!(error, TaskError::Panicked(message) if message == "RuntimeError"),
        );
    }

    /// What `sys.exit(1)` raises, as a panic payload.
    #[derive(Debug)]
    struct SystemExit(#[allow(dead_code)] i32);

    #[test]
    fn test_exit_during_func_exec_on_worker() {
        check_crash(
            || std::panic::panic_any(SystemExit(1)),
            |error| matches!(error, TaskError::Panicked(_)),
        );
    }

    #[test]
    fn test_shutdown_deadlock() {
        let executor = Executor::new(2);
        let gate = Gate::new();
        let f: Future<i32> = gated_panic(&executor, &gate, "crash");
        // The task fails only once the shutdown has begun (a submit is
        // refused), as CPython's fails 0.1 s into `shutdown(wait=True)`.
        let opener = {
            let executor = executor.shared();
            gate.open_when("the shutdown begins", move || {
                executor.submit(|| 0).is_err()
            })
        };
        executor.shutdown_within(true, false);
        join_within(opener);
        assert!(
            f.done(),
            "shutdown(wait=True) returned before the task ended"
        );
        assert_eq!(f.result(), Err(TaskError::Panicked("crash".into())));
    }

    #[test]
    fn test_shutdown_deadlock_pickle() {
        let executor = Executor::new(2);
        // Start the executor.
        let first = executor.submit(|| 42).unwrap();
        await_done(&first);
        assert_eq!(first.result(), Ok(42));
        let workers = threads_named(executor.thread_name_prefix());

        // A task that fails, and a shutdown without waiting.
        let gate = Gate::new();
        let f: Future<i32> = gated_panic(&executor, &gate, "PicklingError: Error in pickle");
        executor.shutdown_within(false, false);
        gate.open();
        await_done(&f);
        assert_eq!(
            f.result(),
            Err(TaskError::Panicked("PicklingError: Error in pickle".into()))
        );
        // The executor is eventually shut down, leaving no thread behind.
        join_threads(&workers);
    }

    #[test]
    fn test_crash_big_data() {
        let executor = Executor::new(2);
        let data = "a".repeat(PIPE_MAX_SIZE);
        let results: Vec<Result<(), TaskError>> = executor
            .map_with(
                |data: String| -> () { panic!("crash with {} bytes", data.len()) },
                vec![data; 10],
                MapOptions::new().timeout(LONG),
            )
            .unwrap()
            .collect();
        assert_eq!(results.len(), 10);
        let expected = format!("crash with {PIPE_MAX_SIZE} bytes");
        for result in results {
            assert_eq!(result, Err(TaskError::Panicked(expected.clone())));
        }
    }

    #[test]
    fn test_gh105829_should_not_deadlock_if_wakeup_pipe_full() {
        let gate = Gate::new();
        let executor = {
            let gate = gate.handle();
            Executor::build(
                ThreadPoolExecutor::builder()
                    .max_workers(2)
                    .initializer(move || pass(&gate)),
            )
        };
        // Moved below the executor, so that it opens first on the way out.
        let gate = gate;
        let job_num = 100;
        let shared = executor.shared();
        // Every job is submitted while no worker takes any.
        let results = within("submitting the jobs", move || {
            shared
                .map_with(|n: i32| n, 0..job_num, MapOptions::new().timeout(LONG))
                .unwrap()
        });
        assert_eq!(executor.stats().queued_tasks, 100);
        gate.open();
        let results: Vec<_> = results.collect();
        assert_eq!(results, (0..job_num).map(Ok).collect::<Vec<_>>());
    }

    #[test]
    fn test_panicking_task_does_not_kill_its_worker() {
        let executor = Executor::new(1);
        let mut workers = HashSet::new();
        for n in 0..10 {
            let f = executor
                .submit(move || {
                    let me = pythreading_core::get_ident();
                    if n % 2 == 0 {
                        panic!("task {n} fails");
                    }
                    me
                })
                .unwrap();
            await_done(&f);
            match f.result() {
                Ok(worker) => {
                    assert_eq!(n % 2, 1);
                    workers.insert(worker);
                }
                Err(error) => assert_eq!(error, TaskError::Panicked(format!("task {n} fails"))),
            }
        }
        assert_eq!(workers.len(), 1, "the tasks ran on more than one thread");
        assert_eq!(executor.stats().workers_started, 1);
        assert_eq!(executor.stats().completed_tasks, 10);
        let worker = threads_named(executor.thread_name_prefix());
        assert_eq!(worker.len(), 1);
        assert!(worker[0].is_alive());
    }
}
