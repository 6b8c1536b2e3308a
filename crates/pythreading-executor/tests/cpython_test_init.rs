//! CPython's executor initializer tests, ported to pythreading-executor's
//! [`ExecutorBuilder::initializer`].
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_init.py` (the thread-pool runs,
//! `ThreadPoolInitializerTest` and `ThreadPoolFailingInitializerTest`), with
//! `Lib/concurrent/futures/thread.py` of the same version as the reference
//! for behaviour. CPython is distributed under the Python Software
//! Foundation License Version 2 (PSF-2.0); Copyright (c) 2001-2024 Python
//! Software Foundation; All Rights Reserved. This file is a Rust
//! re-expression of those tests' intent against `pythreading_executor`; no
//! Python code is included.
//!
//! Ported (Python → Rust), 2 of 4 methods:
//! - `InitializerMixin.test_initializer` → `initializer_test::test_initializer`
//! - `FailingInitializerMixin.test_initializer` →
//!   `failing_initializer_test::test_initializer`
//!
//! Added: `initializer_test::test_initializer_runs_once_per_worker` (each
//! worker runs the initializer once, before its first task, however many
//! tasks it then takes) and
//! `failing_initializer_test::test_pending_futures_get_broken_pool` (every
//! task queued when the initializer fails ends with
//! `TaskError::BrokenPool`, and so does every later submit, with
//! `ExecutorError::BrokenPool`).
//!
//! ## Left out, and why
//!
//! - `FailingInitializerResourcesTest.test_spawn` and `test_forkserver`:
//!   they check that a process pool's resource tracker leaks nothing; no
//!   process pool here. So are the `ProcessPool*` runs of both mixins.
//!
//! ## Tweaks
//!
//! - CPython's initializer writes a module global through `initargs`; the
//!   tests here run in parallel, so it writes a thread-local instead (the
//!   initializer captures what would be `initargs`). That also checks it
//!   ran on the thread that then runs the task.
//! - CPython checks that the failure is logged at CRITICAL level
//!   (`assertLogs`); here it is reported through pythreading's excepthook,
//!   whose reports the test records and searches for the panic message.
//! - CPython polls `executor._broken` until the pool is broken. The port
//!   submits instead: once a future has failed with `BrokenPool` (or a
//!   submit was refused), the next submit must be refused with
//!   `ExecutorError::BrokenPool`, whose message is CPython's.
//! - Every wait is bounded by `LONG` (30 s).

mod cpython_util;

use std::cell::Cell;

thread_local! {
    /// CPython's `INITIALIZER_STATUS`, one per thread.
    static INITIALIZER_STATUS: Cell<&'static str> = const { Cell::new("uninitialized") };
}

fn init(x: &'static str) {
    INITIALIZER_STATUS.with(|status| status.set(x));
}

fn get_init_status() -> &'static str {
    INITIALIZER_STATUS.with(Cell::get)
}

/// CPython's `InitializerMixin.worker_count` and
/// `FailingInitializerMixin.worker_count`.
const WORKER_COUNT: usize = 2;

mod initializer_test {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use pythreading_executor::ThreadPoolExecutor;

    use super::{WORKER_COUNT, get_init_status, init};
    use crate::cpython_util::{Executor, Gate, await_done, pass};

    #[test]
    fn test_initializer() {
        let executor = Executor::build(
            ThreadPoolExecutor::builder()
                .max_workers(WORKER_COUNT)
                .initializer(|| init("initialized")),
        );
        let futures: Vec<_> = (0..WORKER_COUNT)
            .map(|_| executor.submit(get_init_status).unwrap())
            .collect();
        for f in futures {
            await_done(&f);
            assert_eq!(f.result(), Ok("initialized"));
        }
    }

    #[test]
    fn test_initializer_runs_once_per_worker() {
        let calls = Arc::new(AtomicUsize::new(0));
        let executor =
            {
                let calls = Arc::clone(&calls);
                Executor::build(ThreadPoolExecutor::builder().max_workers(3).initializer(
                    move || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        init("initialized");
                    },
                ))
            };
        let gate = Gate::new();
        // Blocking tasks first, so that several workers start; then many
        // short ones, taken by the same workers.
        let mut futures: Vec<_> = (0..3)
            .map(|_| {
                let gate = gate.handle();
                executor
                    .submit(move || {
                        pass(&gate);
                        (pythreading_core::get_ident(), get_init_status())
                    })
                    .unwrap()
            })
            .collect();
        gate.open();
        futures.extend((0..30).map(|_| {
            executor
                .submit(|| (pythreading_core::get_ident(), get_init_status()))
                .unwrap()
        }));
        let mut workers = HashSet::new();
        for f in futures {
            await_done(&f);
            let (worker, status) = f.result().unwrap();
            assert_eq!(status, "initialized");
            workers.insert(worker);
        }
        executor.shutdown_within(true, false);
        let started = executor.stats().workers_started;
        // Each started worker ran it once, whether or not it got a task.
        assert_eq!(calls.load(Ordering::SeqCst), started);
        assert!((1..=started).contains(&workers.len()), "{workers:?}");
    }
}

mod failing_initializer_test {
    use std::thread;
    use std::time::Duration;

    use pythreading_executor::{ExecutorError, TaskError, ThreadPoolExecutor};

    use super::{WORKER_COUNT, get_init_status};
    use crate::cpython_util::{Executor, Gate, await_done, capture_reports, pass, reported};

    /// The start of CPython's `BrokenThreadPool` message.
    const BROKEN: &str = "A thread initializer failed, the thread pool is not usable anymore";

    #[test]
    fn test_initializer() {
        capture_reports();
        let executor = Executor::build(
            ThreadPoolExecutor::builder()
                .max_workers(WORKER_COUNT)
                .initializer(|| {
                    thread::sleep(Duration::from_millis(100)); // let some futures be scheduled
                    panic!("ValueError: error in initializer (test_initializer)");
                }),
        );
        match executor.submit(get_init_status) {
            // Perhaps the executor is already broken.
            Err(ExecutorError::BrokenPool(_)) => {}
            Err(other) => panic!("{other:?}"),
            Ok(future) => {
                await_done(&future);
                let failed = future.result().unwrap_err();
                assert!(
                    matches!(&failed, TaskError::BrokenPool(message) if message.starts_with(BROKEN)),
                    "{failed:?}"
                );
            }
        }
        // From this point submit() is guaranteed to fail.
        let refused = executor.submit(get_init_status).unwrap_err();
        assert!(
            matches!(refused, ExecutorError::BrokenPool(_)),
            "{refused:?}"
        );
        assert!(refused.to_string().starts_with(BROKEN), "{refused}");
        assert!(
            !reported("ValueError: error in initializer (test_initializer)").is_empty(),
            "the initializer's panic was not reported"
        );
    }

    #[test]
    fn test_pending_futures_get_broken_pool() {
        capture_reports();
        let gate = Gate::new();
        let executor = {
            let gate = gate.handle();
            Executor::build(
                ThreadPoolExecutor::builder()
                    .max_workers(WORKER_COUNT)
                    .initializer(move || {
                        pass(&gate);
                        panic!("error in initializer (test_pending_futures_get_broken_pool)");
                    }),
            )
        };
        // Moved below the executor, so that it opens first on the way out.
        let gate = gate;
        let futures: Vec<_> = (0..5)
            .map(|n| executor.submit(move || n).unwrap())
            .collect();
        gate.open();
        for future in futures {
            await_done(&future);
            let failed = future.result().unwrap_err();
            assert!(
                matches!(&failed, TaskError::BrokenPool(message) if message.starts_with(BROKEN)),
                "{failed:?}"
            );
        }
        assert!(matches!(
            executor.submit(|| 0),
            Err(ExecutorError::BrokenPool(_))
        ));
        assert!(
            !reported("error in initializer (test_pending_futures_get_broken_pool)").is_empty()
        );
        assert_eq!(executor.stats().completed_tasks, 0);
    }
}
