//! CPython's `Future` tests, ported to pythreading-executor's [`Future`].
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_future.py` and the state fixtures
//! of `Lib/test/test_concurrent_futures/util.py`, with
//! `Lib/concurrent/futures/_base.py` of the same version as the reference
//! for behaviour. CPython is distributed under the Python Software
//! Foundation License Version 2 (PSF-2.0); Copyright (c) 2001-2024 Python
//! Software Foundation; All Rights Reserved. This file is a Rust
//! re-expression of those tests' intent against `pythreading_executor`; no
//! Python code is included.
//!
//! Counting Python test methods of `FutureTests`: 18 of 20 ported, in the
//! module `future_tests`, same names: `test_done_callback_with_result`,
//! `test_done_callback_with_exception`, `test_done_callback_with_cancel`,
//! `test_done_callback_raises`, `test_done_callback_already_successful`,
//! `test_done_callback_already_failed`, `test_done_callback_already_cancelled`,
//! `test_done_callback_raises_already_succeeded`, `test_repr` (partly),
//! `test_cancel`, `test_cancelled`, `test_done`, `test_running`,
//! `test_result_with_timeout`, `test_result_with_success`,
//! `test_result_with_cancel`, `test_exception_with_timeout`,
//! `test_exception_with_success`.
//!
//! ## Left out, and why
//!
//! - `test_multiple_set_result`, `test_multiple_set_exception`: they call
//!   `Future.set_result` / `set_exception` twice and expect
//!   `InvalidStateError`. Those methods are for executor implementers; here
//!   only the pool completes a future, exactly once, and there is no public
//!   way to complete it again. (That a done future's outcome does not change
//!   under a later `cancel()` is checked in `test_cancel`.)
//!
//! ## Tweaks
//!
//! - CPython makes its fixture futures (`PENDING_FUTURE`, `RUNNING_FUTURE`,
//!   `CANCELLED_FUTURE`, `CANCELLED_AND_NOTIFIED_FUTURE`,
//!   `EXCEPTION_FUTURE`, `SUCCESSFUL_FUTURE`) by writing `Future._state`.
//!   Here they are real tasks brought to that state (`cpython_util`): a
//!   pending task behind a running one on a one-worker pool, a running task
//!   waiting at a gate, a task cancelled while pending, a task that panicked
//!   with `"OSError"`, a task that returned 42. `CANCELLED` and
//!   `CANCELLED_AND_NOTIFIED` are one state here: a cancelled future is done
//!   and its waiters are told at once.
//! - `set_result(5)` / `set_exception(Exception('test'))` by the test are a
//!   task waiting at a gate, then returning 5 / panicking with `"test"`,
//!   the gate being opened by the test (or by a helper thread, where CPython
//!   uses one). `Future.exception()` is the `Err` side of `result()`.
//! - A done callback takes no argument (it is `FnOnce()`); where CPython's
//!   callback reads the future, ours holds a `Weak` to it and records its
//!   state, and the test reads the result once the callback has run. A
//!   callback added to a pending future runs on the worker that finishes the
//!   task, after the waiters are woken (as in CPython, which also runs
//!   callbacks after `notify_all`), so the tests wait for it with an event.
//! - A panicking callback is reported through pythreading's excepthook
//!   (CPython logs it): the tests record the hook's reports instead of
//!   capturing stderr, and look for their own message.
//! - `test_repr`: `Debug` shows the state only, not the outcome's type.
//! - No wait is unbounded: Python's timeouts of 5 s and `SHORT_TIMEOUT`
//!   are `LONG` (30 s). Where CPython's helper threads sleep 1 s before
//!   completing or cancelling the future, ours wait until the test's thread
//!   waits for it (`Future::waiting`), then do it.

mod cpython_util;

mod future_tests {
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::Duration;

    use pythreading_executor::{Future, FutureState, TaskError};
    use pythreading_sync::Event;

    use crate::cpython_util::{
        Busy, Executor, Gate, LONG, await_done, cancelled_future, capture_reports,
        exception_future, gated_panic, join_within, pass, reported, successful_future, wait_until,
    };

    /// What a done callback saw: the state of its future, each time it ran.
    type Seen = Arc<Mutex<Vec<Option<FutureState>>>>;

    /// A done callback for `future` recording the future's state when it
    /// runs, then setting `called`.
    fn recorder(
        future: &Arc<Future<i64>>,
        seen: &Seen,
        called: &Arc<Event>,
    ) -> impl FnOnce() + Send + 'static {
        let future = Arc::downgrade(future);
        let (seen, called) = (Arc::clone(seen), Arc::clone(called));
        move || {
            let state = future.upgrade().map(|future| future.state());
            seen.lock().unwrap().push(state);
            called.set();
        }
    }

    fn seen(seen: &Seen) -> Vec<Option<FutureState>> {
        seen.lock().unwrap().clone()
    }

    /// The future back from its `Arc` (the callbacks hold only a `Weak`).
    fn unwrap(future: Arc<Future<i64>>) -> Future<i64> {
        Arc::try_unwrap(future).expect("nothing else holds the future")
    }

    /// Opens `gate` from a helper thread once a thread waits for `future`.
    fn open_when_waited(gate: &Gate, future: &Arc<Future<i64>>) -> thread::JoinHandle<()> {
        let future = Arc::clone(future);
        gate.open_when("the test waits for the future", move || {
            future.waiting() == 1
        })
    }

    /// A future on `executor` that returns 5 once `gate` opens.
    fn gated_five(executor: &Executor, gate: &Gate) -> Arc<Future<i64>> {
        let gate = gate.handle();
        Arc::new(
            executor
                .submit(move || {
                    pass(&gate);
                    5
                })
                .unwrap(),
        )
    }

    #[test]
    fn test_done_callback_with_result() {
        let executor = Executor::new(1);
        let gate = Gate::new();
        let future = gated_five(&executor, &gate);
        let (log, called) = (Seen::default(), Arc::new(Event::new()));
        future.add_done_callback(recorder(&future, &log, &called));
        assert!(
            seen(&log).is_empty(),
            "the callback ran before the future was done"
        );

        gate.open();
        assert!(called.wait_timeout(LONG), "the callback never ran");
        assert_eq!(seen(&log), [Some(FutureState::Finished)]);
        assert_eq!(unwrap(future).result(), Ok(5));
    }

    #[test]
    fn test_done_callback_with_exception() {
        let executor = Executor::new(1);
        let gate = Gate::new();
        let future = Arc::new(gated_panic::<i64>(&executor, &gate, "test"));
        let (log, called) = (Seen::default(), Arc::new(Event::new()));
        future.add_done_callback(recorder(&future, &log, &called));

        gate.open();
        assert!(called.wait_timeout(LONG), "the callback never ran");
        assert_eq!(seen(&log), [Some(FutureState::Finished)]);
        assert_eq!(
            unwrap(future).result(),
            Err(TaskError::Panicked("test".into()))
        );
    }

    #[test]
    fn test_done_callback_with_cancel() {
        let (busy, _running) = Busy::new();
        let future = Arc::new(busy.pending());
        let (log, called) = (Seen::default(), Arc::new(Event::new()));
        future.add_done_callback(recorder(&future, &log, &called));

        assert!(future.cancel());
        // The canceller runs the callbacks before cancel() returns.
        assert!(called.is_set(), "cancel() returned before the callback ran");
        assert_eq!(seen(&log), [Some(FutureState::Cancelled)]);
        assert_eq!(unwrap(future).result(), Err(TaskError::Cancelled));
    }

    #[test]
    fn test_done_callback_raises() {
        capture_reports();
        let executor = Executor::new(1);
        let gate = Gate::new();
        let future = gated_five(&executor, &gate);
        let raising_was_called = Arc::new(Event::new());
        let fn_was_called = Arc::new(Event::new());
        {
            let raising_was_called = Arc::clone(&raising_was_called);
            future.add_done_callback(move || {
                raising_was_called.set();
                panic!("doh! (test_done_callback_raises)");
            });
        }
        {
            let fn_was_called = Arc::clone(&fn_was_called);
            future.add_done_callback(move || fn_was_called.set());
        }

        gate.open();
        assert!(
            fn_was_called.wait_timeout(LONG),
            "the second callback never ran"
        );
        assert!(raising_was_called.is_set());
        // The first callback was reported before the second one ran.
        assert_eq!(reported("doh! (test_done_callback_raises)").len(), 1);
        assert_eq!(unwrap(future).result(), Ok(5));
    }

    #[test]
    fn test_done_callback_already_successful() {
        let future = Arc::new(successful_future());
        let (log, called) = (Seen::default(), Arc::new(Event::new()));
        future.add_done_callback(recorder(&future, &log, &called));
        // Done already: the callback ran at once, on this thread.
        assert!(called.is_set());
        assert_eq!(seen(&log), [Some(FutureState::Finished)]);
        assert_eq!(unwrap(future).result(), Ok(42));
    }

    #[test]
    fn test_done_callback_already_failed() {
        let future = Arc::new(exception_future());
        let (log, called) = (Seen::default(), Arc::new(Event::new()));
        future.add_done_callback(recorder(&future, &log, &called));
        assert!(called.is_set());
        assert_eq!(seen(&log), [Some(FutureState::Finished)]);
        assert_eq!(
            unwrap(future).result(),
            Err(TaskError::Panicked("OSError".into()))
        );
    }

    #[test]
    fn test_done_callback_already_cancelled() {
        let (busy, _running) = Busy::new();
        let future = Arc::new(busy.pending());
        assert!(future.cancel());
        let (log, called) = (Seen::default(), Arc::new(Event::new()));
        future.add_done_callback(recorder(&future, &log, &called));
        assert!(called.is_set());
        assert_eq!(seen(&log), [Some(FutureState::Cancelled)]);
    }

    #[test]
    fn test_done_callback_raises_already_succeeded() {
        capture_reports();
        let future = successful_future();
        // Done already, so the callback runs at once: its panic is reported,
        // not propagated to add_done_callback's caller.
        future.add_done_callback(|| panic!("doh! (test_done_callback_raises_already_succeeded)"));
        let reports = reported("doh! (test_done_callback_raises_already_succeeded)");
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(future.result(), Ok(42));
    }

    #[test]
    fn test_repr() {
        let (busy, running) = Busy::new();
        let pending = busy.pending();
        for (future, state) in [
            (&pending, "Pending"),
            (&running, "Running"),
            (&cancelled_future(), "Cancelled"),
            (&exception_future(), "Finished"),
            (&successful_future(), "Finished"),
        ] {
            let repr = format!("{future:?}");
            assert!(repr.starts_with("Future {"), "{repr}");
            assert!(repr.contains(&format!("state: {state}")), "{repr}");
        }
    }

    #[test]
    fn test_cancel() {
        let (busy, f2) = Busy::new();
        let f1 = busy.pending();
        let f3 = cancelled_future();
        let f5 = exception_future();
        let f6 = successful_future();

        assert!(f1.cancel());
        assert_eq!(f1.state(), FutureState::Cancelled);

        assert!(!f2.cancel());
        assert_eq!(f2.state(), FutureState::Running);

        // Cancelling a cancelled future (CPython's f3 and f4) says true.
        assert!(f3.cancel());
        assert_eq!(f3.state(), FutureState::Cancelled);

        assert!(!f5.cancel());
        assert_eq!(f5.state(), FutureState::Finished);

        assert!(!f6.cancel());
        assert_eq!(f6.state(), FutureState::Finished);

        // A done future keeps its outcome.
        assert_eq!(f5.result(), Err(TaskError::Panicked("OSError".into())));
        assert_eq!(f6.result(), Ok(42));
        busy.release();
        await_done(&f2);
        assert_eq!(f2.result(), Ok(0));
        assert_eq!(f1.result(), Err(TaskError::Cancelled));
    }

    /// The five fixture futures, in CPython's order: pending, running,
    /// cancelled, exception, successful (the `Busy` keeps the first two so).
    fn fixtures() -> (Busy, [Future<i64>; 5]) {
        let (busy, running) = Busy::new();
        let pending = busy.pending();
        (
            busy,
            [
                pending,
                running,
                cancelled_future(),
                exception_future(),
                successful_future(),
            ],
        )
    }

    #[test]
    fn test_cancelled() {
        let (_busy, futures) = fixtures();
        let cancelled: Vec<bool> = futures.iter().map(Future::cancelled).collect();
        assert_eq!(cancelled, [false, false, true, false, false]);
    }

    #[test]
    fn test_done() {
        let (_busy, futures) = fixtures();
        let done: Vec<bool> = futures.iter().map(Future::done).collect();
        assert_eq!(done, [false, false, true, true, true]);
    }

    #[test]
    fn test_running() {
        let (_busy, futures) = fixtures();
        let running: Vec<bool> = futures.iter().map(Future::running).collect();
        assert_eq!(running, [false, true, false, false, false]);
    }

    #[test]
    fn test_result_with_timeout() {
        let (_busy, [pending, running, cancelled, exception, successful]) = fixtures();
        // Python's result(timeout=0) raising TimeoutError.
        assert!(!pending.wait_timeout(Duration::ZERO));
        assert!(!running.wait_timeout(Duration::ZERO));
        for done in [&cancelled, &exception, &successful] {
            assert!(done.wait_timeout(Duration::ZERO));
        }
        assert_eq!(cancelled.result(), Err(TaskError::Cancelled));
        assert_eq!(
            exception.result(),
            Err(TaskError::Panicked("OSError".into()))
        );
        assert_eq!(successful.result(), Ok(42));
    }

    #[test]
    fn test_result_with_success() {
        let executor = Executor::new(1);
        let gate = Gate::new();
        let f1 = gated_five(&executor, &gate);
        // The notifier completes the future while this thread waits for it.
        let notifier = open_when_waited(&gate, &f1);
        assert!(f1.wait_timeout(LONG));
        join_within(notifier);
        assert_eq!(unwrap(f1).result(), Ok(5));
    }

    #[test]
    fn test_result_with_cancel() {
        let (busy, _running) = Busy::new();
        let f1 = Arc::new(busy.pending());
        let notifier = {
            let f1 = Arc::clone(&f1);
            thread::spawn(move || {
                wait_until("the test waits for the future", || f1.waiting() == 1);
                f1.cancel()
            })
        };
        // Woken by the cancel, long before LONG.
        assert!(f1.wait_timeout(LONG));
        assert!(
            join_within(notifier),
            "the pending future could not be cancelled"
        );
        assert_eq!(unwrap(f1).result(), Err(TaskError::Cancelled));
    }

    #[test]
    fn test_exception_with_timeout() {
        let (_busy, [pending, running, cancelled, exception, successful]) = fixtures();
        assert!(!pending.wait_timeout(Duration::ZERO));
        assert!(!running.wait_timeout(Duration::ZERO));
        assert_eq!(cancelled.result().err(), Some(TaskError::Cancelled));
        assert!(matches!(
            exception.result().err(),
            Some(TaskError::Panicked(message)) if message == "OSError"
        ));
        assert_eq!(successful.result().err(), None);
    }

    #[test]
    fn test_exception_with_success() {
        let executor = Executor::new(1);
        let gate = Gate::new();
        let f1 = Arc::new(gated_panic(&executor, &gate, "OSError"));
        let notifier = open_when_waited(&gate, &f1);
        assert!(f1.wait_timeout(LONG));
        join_within(notifier);
        assert_eq!(
            unwrap(f1).result().err(),
            Some(TaskError::Panicked("OSError".into()))
        );
    }
}
