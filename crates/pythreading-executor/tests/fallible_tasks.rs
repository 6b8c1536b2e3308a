//! `submit_fallible`: a task whose `Err` counts as failed for
//! `ReturnWhen::FirstException`, as a raised exception does in Python.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{PATIENCE, bounded, gate, outcome, submit_gated, wait_done};
use pythreading_executor::{
    Future, ReturnWhen, TaskError, ThreadPoolExecutor, WaitResult, as_completed, wait,
};

type Parsed = Result<u32, std::num::ParseIntError>;

/// `wait(.., None, FirstException)`, which must return on its own: a
/// failure it misses leaves it waiting on a gated task, and the test fails
/// after [`PATIENCE`] instead of hanging. The futures come back.
fn first_exception<T: Send + Sync + 'static>(
    futures: Vec<Future<T>>,
) -> (WaitResult, Vec<Future<T>>) {
    bounded("a FIRST_EXCEPTION wait", move || {
        let result = wait(&futures, None, ReturnWhen::FirstException);
        (result, futures)
    })
}

/// An `Err` ends a `FIRST_EXCEPTION` wait while another task still runs;
/// the future holds the task's `Result` as it returned it.
#[test]
fn an_err_ends_a_first_exception_wait() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = gate();
    let opener = Arc::clone(&gate);
    let futures = vec![
        pool.submit_fallible(move || -> Parsed {
            opener.wait_timeout(PATIENCE);
            "7".parse()
        })
        .unwrap(),
        pool.submit_fallible(|| -> Parsed { "seven".parse() })
            .unwrap(),
    ];
    let (result, futures) = first_exception(futures);
    assert_eq!((result.done, result.not_done), (vec![1], vec![0]));
    gate.set();
    let [slow, failed]: [_; 2] = futures.try_into().unwrap();
    assert_eq!(outcome(slow), Ok(Ok(7)));
    assert!(matches!(outcome(failed), Ok(Err(_))));
}

/// Every fallible task returning `Ok`: `FIRST_EXCEPTION` waits for all,
/// as `ALL_COMPLETED` does.
#[test]
fn all_ok_is_all_completed() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let futures: Vec<_> = (0..20u32)
        .map(|n| pool.submit_fallible(move || Ok::<_, String>(n)).unwrap())
        .collect();
    let (result, _) = first_exception(futures);
    assert_eq!(result.done, (0..20).collect::<Vec<_>>());
    assert!(result.not_done.is_empty());
}

/// A fallible task that panics has failed too; a cancelled one has not.
#[test]
fn a_panic_fails_a_fallible_task_and_a_cancel_does_not() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let (first, last) = (gate(), gate());
    let busy = submit_gated(&pool, &first);
    let cancelled = pool.submit_fallible(|| Ok::<u32, String>(1)).unwrap();
    assert!(cancelled.cancel());
    let panicking = pool
        .submit_fallible(|| -> Result<u32, String> { panic!("fallible boom") })
        .unwrap();
    let opener = Arc::clone(&last);
    let later = pool
        .submit_fallible(move || Ok::<u32, String>(u32::from(opener.wait_timeout(PATIENCE))))
        .unwrap();
    let futures = vec![cancelled, panicking, later];
    let short = wait(
        &futures,
        Some(Duration::from_millis(50)),
        ReturnWhen::FirstException,
    );
    assert_eq!(
        short.done,
        [0],
        "only the cancel is done, and it is no failure"
    );
    first.set();
    assert_eq!(outcome(busy), Ok(true));
    let (result, futures) = first_exception(futures);
    assert_eq!((result.done, result.not_done), (vec![0, 1], vec![2]));
    last.set();
    let [_, panicking, _]: [_; 3] = futures.try_into().unwrap();
    assert_eq!(
        outcome(panicking),
        Err(TaskError::Panicked("fallible boom".into()))
    );
}

/// A plain `submit` cannot tell an `Err` from any other value: its task
/// succeeded, and `FIRST_EXCEPTION` waits on.
#[test]
fn a_plain_submit_returning_err_has_not_failed() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = gate();
    let opener = Arc::clone(&gate);
    let futures = vec![
        pool.submit(|| Err::<u32, String>("plain".into())).unwrap(),
        pool.submit(move || {
            opener.wait_timeout(PATIENCE);
            Ok(2)
        })
        .unwrap(),
    ];
    wait_done(&futures[0]);
    let result = wait(
        &futures,
        Some(Duration::from_millis(50)),
        ReturnWhen::FirstException,
    );
    assert_eq!(result.not_done, [1], "the plain Err did not end the wait");
    gate.set();
}

/// The failure stays known once the future is done: a later wait on a
/// future that returned `Err` returns at once, also after it was read
/// by `as_completed`.
#[test]
fn a_done_err_ends_later_waits_at_once() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = gate();
    let failed = pool.submit_fallible(|| Err::<(), _>("early")).unwrap();
    wait_done(&failed);
    let busy = submit_gated(&pool, &gate);
    let pending = pool.submit_fallible(|| Ok::<(), &str>(())).unwrap();
    let mut futures = vec![failed, pending];
    for _ in 0..3 {
        let (result, back) = first_exception(futures);
        assert_eq!((result.done, result.not_done), (vec![0], vec![1]));
        futures = back;
    }
    gate.set();
    assert_eq!(outcome(busy), Ok(true));
    let completed: Vec<_> = bounded("as_completed on fallible futures", move || {
        as_completed(futures, None)
            .map(|future| future.unwrap().result())
            .collect()
    });
    assert_eq!(completed, [Ok(Err("early")), Ok(Ok(()))]);
}

/// A worker that waits with `FIRST_EXCEPTION` on fallible tasks of its own
/// pool runs them itself (the only worker), and stops at the first `Err`.
#[test]
fn a_helping_wait_judges_the_tasks_it_runs() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let outer = pool
        .submit(move || {
            let futures: Vec<_> = (0..5u32)
                .map(|n| {
                    inner
                        .submit_fallible(move || if n == 2 { Err(n) } else { Ok(n) })
                        .unwrap()
                })
                .collect();
            let result = wait(&futures, None, ReturnWhen::FirstException);
            (
                result.done,
                futures.iter().map(|f| f.done()).collect::<Vec<_>>(),
            )
        })
        .unwrap();
    let (done, each) = outcome(outer).unwrap();
    assert_eq!(
        done,
        [0, 1, 2],
        "the wait ran tasks in order, up to the Err"
    );
    assert_eq!(each, [true, true, true, false, false]);
}

/// A scope's fallible tasks are judged the same way.
#[test]
fn scope_fallible_tasks_fail_on_err() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let word = String::from("not a number");
    let gate = gate();
    let (done, not_done) = pool.scope(|s| {
        let opener = Arc::clone(&gate);
        let futures = vec![
            s.submit_fallible(move || {
                opener.wait_timeout(PATIENCE);
                Ok::<u32, std::num::ParseIntError>(1)
            })
            .unwrap(),
            s.submit_fallible(|| word.parse::<u32>()).unwrap(),
        ];
        // Longer than the gated task waits: a missed `Err` lets that task
        // end first, and both come back done.
        let result = wait(&futures, Some(2 * PATIENCE), ReturnWhen::FirstException);
        gate.set();
        (result.done, result.not_done)
    });
    assert_eq!((done, not_done), (vec![1], vec![0]));
}
