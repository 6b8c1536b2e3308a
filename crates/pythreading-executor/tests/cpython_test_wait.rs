//! CPython's `concurrent.futures.wait` tests, ported to
//! pythreading-executor's [`wait`].
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_wait.py` (the thread-pool run,
//! `ThreadPoolWaitTests`), with `Lib/concurrent/futures/_base.py` and
//! `Lib/concurrent/futures/thread.py` of the same version as the reference
//! for behaviour. CPython is distributed under the Python Software
//! Foundation License Version 2 (PSF-2.0); Copyright (c) 2001-2024 Python
//! Software Foundation; All Rights Reserved. This file is a Rust
//! re-expression of those tests' intent against `pythreading_executor`; no
//! Python code is included.
//!
//! Counting Python test methods of `ThreadPoolWaitTests` (its own and those
//! of `WaitTests`): 8 of 9 ported, in the module `thread_pool_wait_tests`,
//! same names: `test_first_completed`,
//! `test_first_completed_some_already_completed`, `test_first_exception`,
//! `test_first_exception_some_already_complete`,
//! `test_first_exception_one_already_failed`, `test_all_completed`,
//! `test_timeout`, `test_pending_calls_race`.
//!
//! Added, as regression tests for CPython issues #92001, #109934 and
//! #87893 (`wait` hangs on futures cancelled by
//! `shutdown(cancel_futures=True)` while a worker is still busy, because
//! CPython only notifies waiters once a worker dequeues the cancelled
//! item): `test_wait_all_completed_on_futures_cancelled_by_shutdown`,
//! `test_wait_first_completed_on_futures_cancelled_by_shutdown` and
//! `test_wait_blocked_before_shutdown_cancels_its_futures`. Each keeps the
//! worker busy for the whole wait and must return well before its bound.
//!
//! ## Left out, and why
//!
//! - `test_20369`: `wait([future, future])` with the same future twice must
//!   report it once. `wait` takes a slice of futures, and `Future` is not
//!   `Clone`: a slice cannot hold one future twice, so there is nothing to
//!   deduplicate.
//! - The process-pool runs of `WaitTests` (`ProcessPool*WaitTest`): no
//!   process pool here.
//!
//! ## Tweaks
//!
//! - `wait` returns indices into the slice (`WaitResult { done, not_done }`,
//!   each sorted) where CPython returns two sets of futures; the expected
//!   sets are written as index lists.
//! - The fixture futures are real tasks (`cpython_util`). CPython's
//!   `CANCELLED_FUTURE` (cancelled, waiters not notified yet) is "not done"
//!   for `wait`, and its `CANCELLED_AND_NOTIFIED_FUTURE` is done. Here a
//!   cancelled future is done at once, always: where CPython expects
//!   `CANCELLED_FUTURE` in `not_done`, the cancelled future is expected in
//!   `done`. `test_first_completed` therefore checks first without it
//!   (CPython's point: the quick future is done, the slow one is not), then
//!   with it.
//! - `time.sleep(1.5)` / `time.sleep(3)` futures, which CPython needs to be
//!   still running when `wait` returns, wait at a gate opened at the end of
//!   the test; `sleep_and_raise(1.5)` waits at a gate opened by a helper
//!   thread once `wait` watches it (`Future::waiting`), then panics. `divmod(x, 0)`
//!   panics (Rust's division by zero) where Python raises
//!   `ZeroDivisionError`.
//! - Waits CPython leaves unbounded get a timeout of `LONG` (30 s); running
//!   out of it shows up as futures wrongly in `not_done`.
//! - `test_timeout` also checks that `wait` did wait its 50 ms.
//! - `test_pending_calls_race`: `sys.setswitchinterval(1e-6)` has no
//!   counterpart; the 100 tasks still wait at one event, set all at once.

mod cpython_util;

mod thread_pool_wait_tests {
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use pythreading_executor::{Future, FutureState, ReturnWhen, TaskError, wait};
    use pythreading_sync::Event;

    use crate::cpython_util::{
        Busy, Executor, Gate, LONG, WORKER_COUNT, await_done, cancelled_future, divmod,
        exception_future, gated_panic, join_within, mul, pass, successful_future, wait_until,
    };

    /// A task on `executor` that stays running until `gate` opens (CPython's
    /// `time.sleep(1.5)`), then returns 0.
    fn sleeper(executor: &Executor, gate: &Gate) -> Future<i64> {
        let gate = gate.handle();
        executor
            .submit(move || {
                pass(&gate);
                0
            })
            .unwrap()
    }

    /// CPython's `sleep_and_raise`: waits for `gate`, then panics.
    fn sleep_and_raise(executor: &Executor, gate: &Gate) -> Future<i64> {
        gated_panic(executor, gate, "this is an exception")
    }

    #[test]
    fn test_first_completed() {
        let executor = Executor::new(WORKER_COUNT);
        let gate = Gate::new();
        let future1 = executor.submit(|| mul(21, 2)).unwrap();
        let future2 = sleeper(&executor, &gate);

        let futures = [future1, future2];
        let result = wait(&futures, Some(LONG), ReturnWhen::FirstCompleted);
        assert_eq!(result.done, [0]);
        assert_eq!(result.not_done, [1]);

        // With a cancelled future first: done at once, here.
        let [future1, future2] = futures;
        let futures = [cancelled_future(), future1, future2];
        let result = wait(&futures, Some(LONG), ReturnWhen::FirstCompleted);
        assert_eq!(result.done, [0, 1]);
        assert_eq!(result.not_done, [2]);
    }

    #[test]
    fn test_first_completed_some_already_completed() {
        let executor = Executor::new(WORKER_COUNT);
        let gate = Gate::new();
        let future1 = sleeper(&executor, &gate);

        let futures = [cancelled_future(), successful_future(), future1];
        let result = wait(&futures, Some(LONG), ReturnWhen::FirstCompleted);
        assert_eq!(result.done, [0, 1]);
        assert_eq!(result.not_done, [2]);
    }

    #[test]
    fn test_first_exception() {
        let executor = Executor::new(WORKER_COUNT);
        let raise_gate = Gate::new();
        let sleep_gate = Gate::new();
        let future1 = executor.submit(|| mul(2, 21)).unwrap();
        let future2 = sleep_and_raise(&executor, &raise_gate);
        let future3 = sleeper(&executor, &sleep_gate);
        // CPython's future1 is done long before future2 raises (1.5 s).
        await_done(&future1);

        let futures = Arc::new([future1, future2, future3]);
        let raiser = {
            let futures = Arc::clone(&futures);
            raise_gate.open_when("the test waits", move || futures[1].waiting() == 1)
        };
        let result = wait(&*futures, Some(LONG), ReturnWhen::FirstException);
        join_within(raiser);
        assert_eq!(result.done, [0, 1]);
        assert_eq!(result.not_done, [2]);
        let [_, future2, _] = Arc::into_inner(futures).expect("the raiser is gone");
        assert_eq!(
            future2.result(),
            Err(TaskError::Panicked("this is an exception".into()))
        );
    }

    #[test]
    fn test_first_exception_some_already_complete() {
        let executor = Executor::new(WORKER_COUNT);
        let gate = Gate::new();
        let future1 = executor.submit(|| divmod(21, 0).0).unwrap();
        let future2 = sleeper(&executor, &gate);

        let futures = [successful_future(), cancelled_future(), future1, future2];
        let result = wait(&futures, Some(LONG), ReturnWhen::FirstException);
        // A cancellation is not an exception: wait went on until future1
        // failed.
        assert_eq!(result.done, [0, 1, 2]);
        assert_eq!(result.not_done, [3]);
    }

    #[test]
    fn test_first_exception_one_already_failed() {
        let executor = Executor::new(WORKER_COUNT);
        let gate = Gate::new();
        let future1 = sleeper(&executor, &gate);

        let futures = [exception_future(), future1];
        let result = wait(&futures, Some(LONG), ReturnWhen::FirstException);
        assert_eq!(result.done, [0]);
        assert_eq!(result.not_done, [1]);
    }

    #[test]
    fn test_all_completed() {
        let executor = Executor::new(WORKER_COUNT);
        let future1 = executor.submit(|| divmod(2, 0).0).unwrap();
        let future2 = executor.submit(|| mul(2, 21)).unwrap();

        let futures = [
            successful_future(),
            cancelled_future(),
            exception_future(),
            future1,
            future2,
        ];
        let result = wait(&futures, Some(LONG), ReturnWhen::AllCompleted);
        assert_eq!(result.done, [0, 1, 2, 3, 4]);
        assert!(result.not_done.is_empty());
    }

    #[test]
    fn test_timeout() {
        let short_timeout = Duration::from_millis(50);
        let executor = Executor::new(WORKER_COUNT);
        let gate = Gate::new();
        let future = sleeper(&executor, &gate);

        let futures = [
            cancelled_future(),
            exception_future(),
            successful_future(),
            future,
        ];
        let start = Instant::now();
        let result = wait(&futures, Some(short_timeout), ReturnWhen::AllCompleted);
        assert!(start.elapsed() >= short_timeout, "{:?}", start.elapsed());
        assert_eq!(result.done, [0, 1, 2]);
        assert_eq!(result.not_done, [3]);
    }

    #[test]
    fn test_pending_calls_race() {
        let executor = Executor::new(WORKER_COUNT);
        let event = Arc::new(Event::new());
        let futures: Vec<Future<()>> = (0..100)
            .map(|_| {
                let event = Arc::clone(&event);
                executor.submit(move || pass(&event)).unwrap()
            })
            .collect();
        event.set();
        let result = wait(&futures, Some(LONG), ReturnWhen::AllCompleted);
        assert_eq!(result.done.len(), 100);
        assert!(result.not_done.is_empty());
    }

    /// A one-worker pool busy with a task, `n` futures pending behind it,
    /// and `shutdown(wait=False, cancel_futures=True)` done: the pending
    /// futures are cancelled while the worker is still busy.
    fn cancelled_by_shutdown(n: usize) -> (Busy, Future<i64>, Vec<Future<i64>>) {
        let (busy, running) = Busy::new();
        let pending: Vec<Future<i64>> = (0..n).map(|_| busy.pending()).collect();
        busy.executor().shutdown(false, true);
        (busy, running, pending)
    }

    #[test]
    fn test_wait_all_completed_on_futures_cancelled_by_shutdown() {
        let (busy, running, pending) = cancelled_by_shutdown(10);
        let start = Instant::now();
        let result = wait(&pending, Some(LONG), ReturnWhen::AllCompleted);
        assert_eq!(result.done, (0..10).collect::<Vec<_>>());
        assert!(result.not_done.is_empty());
        // Only a hang detector: the futures are done at once.
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert!(pending.iter().all(Future::cancelled));
        // The worker never got to them: it is still busy.
        assert_eq!(running.state(), FutureState::Running);
        busy.release();
        await_done(&running);
        assert_eq!(running.result(), Ok(0));
    }

    #[test]
    fn test_wait_first_completed_on_futures_cancelled_by_shutdown() {
        let (_busy, running, pending) = cancelled_by_shutdown(10);
        let mut futures = vec![running];
        futures.extend(pending);
        let result = wait(&futures, Some(LONG), ReturnWhen::FirstCompleted);
        assert_eq!(result.done, (1..=10).collect::<Vec<_>>());
        assert_eq!(result.not_done, [0]);
    }

    #[test]
    fn test_wait_blocked_before_shutdown_cancels_its_futures() {
        let (busy, running) = Busy::new();
        let pending: Arc<Vec<Future<i64>>> = Arc::new((0..10).map(|_| busy.pending()).collect());
        let waiter = {
            let pending = Arc::clone(&pending);
            thread::spawn(move || wait(&pending, Some(LONG), ReturnWhen::AllCompleted))
        };
        // The waiter is in `wait`, watching every future.
        wait_until("the waiter watches the futures", || {
            pending.iter().all(|future| future.waiting() == 1)
        });
        busy.executor().shutdown(false, true);
        let result = join_within(waiter);
        assert_eq!(result.done, (0..10).collect::<Vec<_>>());
        assert!(result.not_done.is_empty());
        assert_eq!(running.state(), FutureState::Running);
    }
}
