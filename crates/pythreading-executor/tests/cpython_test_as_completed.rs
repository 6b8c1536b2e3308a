//! CPython's `concurrent.futures.as_completed` tests, ported to
//! pythreading-executor's [`as_completed`].
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_as_completed.py` (the thread-pool
//! run, `ThreadPoolAsCompletedTest`), with `Lib/concurrent/futures/_base.py`
//! of the same version as the reference for behaviour. CPython is
//! distributed under the Python Software Foundation License Version 2
//! (PSF-2.0); Copyright (c) 2001-2024 Python Software Foundation; All
//! Rights Reserved. This file is a Rust re-expression of those tests'
//! intent against `pythreading_executor`; no Python code is included.
//!
//! Counting Python test methods of `AsCompletedTests`: 4 of 5 ported, in
//! the module `thread_pool_as_completed_test`, same names:
//! `test_no_timeout`, `test_future_times_out`,
//! `test_free_reference_yielded_future`,
//! `test_correct_timeout_exception_msg`.
//!
//! Added: `test_yields_in_completion_order` (the order CPython's docstring
//! promises, "as they complete", which its tests leave unchecked) and, as
//! regression tests for CPython issues #92001, #109934 and #87893
//! (`as_completed` hangs on futures cancelled by
//! `shutdown(cancel_futures=True)` while a worker is busy),
//! `test_as_completed_on_futures_cancelled_by_shutdown` and
//! `test_as_completed_started_before_shutdown_cancels_its_futures`.
//!
//! ## Left out, and why
//!
//! - `test_duplicate_futures`: `as_completed` over one future repeated
//!   three times must yield it once. It takes a `Vec` of futures, and
//!   `Future` is not `Clone`: the same future cannot be passed twice.
//! - The process-pool runs (`ProcessPool*AsCompletedTest`): no process
//!   pool here.
//!
//! ## Tweaks
//!
//! - The fixture futures are real tasks (`cpython_util`);
//!   `CANCELLED_AND_NOTIFIED_FUTURE` is a cancelled future. CPython yields
//!   the already-done futures first, in set order; here they come first in
//!   the order given, and the tests check that order.
//! - Python raises `TimeoutError` out of the loop; here the iterator yields
//!   one `Err(TaskError::Timeout)` and then ends, and `into_pending()` gives
//!   back the futures not yielded. `test_correct_timeout_exception_msg`
//!   checks what CPython's message says ("2 (of 4) futures unfinished")
//!   through `into_pending().len()` and the number of futures given.
//! - `test_future_times_out`: the `time.sleep(1)` future waits at a gate
//!   opened at the end of the test.
//! - `test_free_reference_yielded_future`: CPython checks with `weakref`
//!   that the generator keeps no reference to a future it yielded. Here a
//!   yielded future is moved out to the caller; the test checks that
//!   dropping it frees the task's value (an `Arc` observed through a
//!   `Weak`), i.e. that neither the iterator nor the pool still holds the
//!   future. Each future is completed in turn by opening its own gate,
//!   where CPython calls `set_result`. The worker may drop its own handle on
//!   the task a moment after the future is done, so the `Weak` is polled
//!   (within `LONG`), as upstream CPython now does with `sleeping_retry`.

mod cpython_util;

mod thread_pool_as_completed_test {
    use std::sync::{Arc, Weak};
    use std::thread;
    use std::time::Duration;

    use pythreading_executor::{Future, TaskError, as_completed};

    use crate::cpython_util::{
        Busy, Executor, Gate, LONG, WORKER_COUNT, await_done, cancelled_future, exception_future,
        join_within, mul, pass, successful_future, wait_until,
    };

    /// The outcomes of the futures `as_completed` yielded, in order (`None`
    /// for the timeout).
    fn outcomes(
        yielded: impl Iterator<Item = Result<Future<i64>, TaskError>>,
    ) -> Vec<Option<Result<i64, TaskError>>> {
        yielded.map(|item| item.ok().map(Future::result)).collect()
    }

    #[test]
    fn test_no_timeout() {
        let executor = Executor::new(WORKER_COUNT);
        let future1 = executor.submit(|| mul(2, 21)).unwrap();
        let future2 = executor.submit(|| mul(7, 6)).unwrap();

        let completed = outcomes(as_completed(
            vec![
                cancelled_future(),
                exception_future(),
                successful_future(),
                future1,
                future2,
            ],
            None,
        ));
        assert_eq!(
            completed,
            [
                Some(Err(TaskError::Cancelled)),
                Some(Err(TaskError::Panicked("OSError".into()))),
                Some(Ok(42)),
                Some(Ok(42)),
                Some(Ok(42)),
            ]
        );
    }

    #[test]
    fn test_future_times_out() {
        for timeout in [Duration::ZERO, Duration::from_millis(100)] {
            let executor = Executor::new(WORKER_COUNT);
            let gate = Gate::new();
            let future = {
                let gate = gate.handle();
                executor
                    .submit(move || {
                        pass(&gate);
                        7
                    })
                    .unwrap()
            };
            let mut completed = as_completed(
                vec![
                    cancelled_future(),
                    exception_future(),
                    successful_future(),
                    future,
                ],
                Some(timeout),
            );
            let yielded = outcomes(completed.by_ref());
            assert_eq!(
                yielded,
                [
                    Some(Err(TaskError::Cancelled)),
                    Some(Err(TaskError::Panicked("OSError".into()))),
                    Some(Ok(42)),
                    None, // the timeout, then the end
                ],
                "timeout {timeout:?}"
            );
            assert!(
                completed.next().is_none(),
                "the iterator ends after the timeout"
            );

            // `future` was not completed, and comes back.
            let rest = completed.into_pending();
            assert_eq!(rest.len(), 1);
            assert!(!rest[0].done());
            gate.open();
            let [future] = <[Future<i64>; 1]>::try_from(rest).unwrap();
            await_done(&future);
            assert_eq!(future.result(), Ok(7));
        }
    }

    #[derive(Debug)]
    struct MyObject;

    /// A future on `executor` that returns a fresh object once `gate`
    /// opens; the `Weak` tells whether the object is still alive.
    fn object_future(executor: &Executor, gate: &Gate) -> (Future<Arc<MyObject>>, Weak<MyObject>) {
        let object = Arc::new(MyObject);
        let weak = Arc::downgrade(&object);
        let gate = gate.handle();
        let future = executor
            .submit(move || {
                pass(&gate);
                object
            })
            .unwrap();
        (future, weak)
    }

    #[test]
    fn test_free_reference_yielded_future() {
        let executor = Executor::new(WORKER_COUNT);
        let gates: Vec<Gate> = (0..8).map(|_| Gate::new()).collect();
        let (mut futures, mut weaks): (Vec<_>, Vec<_>) = gates
            .iter()
            .map(|gate| object_future(&executor, gate))
            .unzip();
        // A cancelled one and a finished one.
        let (busy, _running) = Busy::new();
        let object = Arc::new(MyObject);
        weaks.push(Arc::downgrade(&object));
        let cancelled = busy.executor().submit(move || object).unwrap();
        assert!(cancelled.cancel());
        futures.push(cancelled);
        // (On a pool of its own: the gated tasks keep every worker busy.)
        let open = Gate::new();
        open.open();
        let (finished, weak) = object_future(&Executor::new(1), &open);
        await_done(&finished);
        weaks.push(weak);
        futures.push(finished);

        // With no time to wait, the two done ones, then the timeout.
        let mut completed = as_completed(futures, Some(Duration::ZERO));
        let mut yielded = 0;
        for item in completed.by_ref() {
            let Ok(future) = item else { break };
            drop(future);
            yielded += 1;
        }
        assert_eq!(yielded, 2);
        for weak in &weaks[8..] {
            wait_until("a yielded future's value is freed", || {
                weak.strong_count() == 0
            });
        }
        let mut rest = completed.into_pending();
        assert_eq!(rest.len(), 8);

        // Then the others, completed one at a time.
        gates[0].open();
        let mut next_gate = 1;
        let mut completed = as_completed(std::mem::take(&mut rest), Some(LONG));
        for (index, item) in completed.by_ref().enumerate() {
            let future = item.expect("each future completes long before LONG");
            await_done(&future);
            drop(future);
            wait_until("a yielded future's value is freed", || {
                weaks[index].strong_count() == 0
            });
            if next_gate < gates.len() {
                gates[next_gate].open();
                next_gate += 1;
            }
        }
        assert_eq!(completed.remaining(), 0);
    }

    #[test]
    fn test_correct_timeout_exception_msg() {
        let (busy, running) = Busy::new();
        let pending = busy.pending();
        let futures = vec![cancelled_future(), pending, running, successful_future()];
        let given = futures.len();

        let mut completed = as_completed(futures, Some(Duration::ZERO));
        let yielded = outcomes(completed.by_ref());
        assert_eq!(
            yielded,
            [Some(Err(TaskError::Cancelled)), Some(Ok(42)), None]
        );
        assert_eq!(completed.remaining(), 2);
        assert_eq!(
            TaskError::Timeout.to_string(),
            "timed out waiting for the futures"
        );
        // "2 (of 4) futures unfinished"
        assert_eq!((completed.into_pending().len(), given), (2, 4));
    }

    #[test]
    fn test_yields_in_completion_order() {
        let executor = Executor::new(3);
        let gates: Vec<Gate> = (0..3).map(|_| Gate::new()).collect();
        let futures: Vec<Future<i64>> = (0..3)
            .map(|n| {
                let gate = gates[n].handle();
                executor
                    .submit(move || {
                        pass(&gate);
                        n as i64
                    })
                    .unwrap()
            })
            .collect();
        let mut completed = as_completed(futures, Some(LONG));
        for n in [1, 2, 0] {
            gates[n].open();
            let future = completed.next().unwrap().expect("done before LONG");
            assert_eq!(future.result(), Ok(n as i64));
        }
        assert!(completed.next().is_none());
    }

    #[test]
    fn test_as_completed_on_futures_cancelled_by_shutdown() {
        let (busy, running) = Busy::new();
        let pending: Vec<Future<i64>> = (0..10).map(|_| busy.pending()).collect();
        busy.executor().shutdown(false, true);

        // The worker is still busy: the cancelled futures must come anyway.
        let yielded = outcomes(as_completed(pending, Some(LONG)));
        assert_eq!(yielded, vec![Some(Err(TaskError::Cancelled)); 10]);
        assert!(running.running());
        busy.release();
        await_done(&running);
    }

    #[test]
    fn test_as_completed_started_before_shutdown_cancels_its_futures() {
        let (busy, running) = Busy::new();
        let pending: Vec<Future<i64>> = (0..10).map(|_| busy.pending()).collect();
        // `as_completed` watches the futures from the call on: the shutdown
        // cancels futures it already watches, whether the consumer is
        // asleep in `next` by then or about to be.
        let completed = as_completed(pending, Some(LONG));
        let consumer = thread::spawn(move || outcomes(completed));
        busy.executor().shutdown(false, true);
        let yielded = join_within(consumer);
        assert_eq!(yielded, vec![Some(Err(TaskError::Cancelled)); 10]);
        assert!(running.running());
    }
}
