//! Cancellation that reaches running work: a task's token, `interrupt`,
//! the waits of the futures that obey the calling thread's token, and task
//! groups.
//!
//! A test that cancels a blocked call first checks that it is blocked
//! (parked under the token: `CancellationToken::parked`), and every wait
//! that should end is bounded, so a missed cancel fails the test after
//! [`PATIENCE`] instead of hanging it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{PATIENCE, bounded, gate, outcome, submit_gated, wait_running, wait_until};
use pythreading_core::{CancellationToken, Cancelled, current_token, sleep};
use pythreading_executor::{
    ReturnWhen, TaskError, ThreadPoolExecutor, as_completed, wait, wait_cancellable,
};

/// Waits until a thread is parked under `token`.
fn wait_parked(token: &CancellationToken) {
    wait_until("a thread parked under the token", || token.parked() > 0);
}

/// A task body that tells `tokens` its token, then sleeps until cancelled.
fn sleeper(
    tokens: &std::sync::mpsc::Sender<CancellationToken>,
) -> impl FnOnce() -> Result<(), Cancelled> + Send + 'static {
    let tokens = tokens.clone();
    move || {
        tokens.send(current_token().unwrap()).unwrap();
        sleep(Duration::MAX)
    }
}

/// Receives a token from a [`sleeper`] and waits until it is parked.
fn wait_sleeping(tokens: &std::sync::mpsc::Receiver<CancellationToken>) {
    let token = tokens.recv_timeout(PATIENCE).expect("a sleeper started");
    wait_parked(&token);
}

#[test]
fn every_task_runs_with_a_token_of_its_own() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let first = pool.submit(current_token).unwrap();
    let second = pool.submit(current_token).unwrap();
    let (first_token, second_token) = (first.cancel_token(), second.cancel_token());
    let (first, second) = (first.result().unwrap(), second.result().unwrap());
    assert_eq!(first, Some(first_token));
    assert_eq!(second, Some(second_token));
    assert_ne!(first, second);
    // Outside the task the worker has none.
    let after = pool.submit(|| ()).unwrap();
    after.result().unwrap();
    assert_eq!(current_token(), None);
}

#[test]
fn interrupt_stops_a_running_task_blocked_in_a_sleep() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let task = pool.submit(|| sleep(Duration::MAX)).unwrap();
    wait_running(&task);
    wait_parked(&task.cancel_token());
    assert!(task.interrupt());
    assert_eq!(
        bounded("the interrupted task", move || task.result()),
        Ok(Err(Cancelled))
    );
}

#[test]
fn interrupt_cancels_a_pending_task_and_is_false_once_done() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = gate();
    let busy = submit_gated(&pool, &gate);
    let queued = pool.submit(|| "never").unwrap();
    assert!(queued.interrupt());
    assert!(queued.cancelled());
    gate.set();
    assert_eq!(outcome(busy), Ok(true));
    let done = pool.submit(|| 1).unwrap();
    done.wait();
    assert!(!done.interrupt());
    assert_eq!(done.result(), Ok(1));
    assert_eq!(queued.result(), Err(TaskError::Cancelled));
}

#[test]
fn a_running_task_sees_its_token_cancelled_between_blocking_calls() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let started = gate();
    let go = Arc::clone(&started);
    let task = pool
        .submit(move || {
            go.set();
            let mut spins = 0u64;
            while !pythreading_core::cancelled() {
                spins += 1;
                std::hint::spin_loop();
            }
            spins
        })
        .unwrap();
    started.wait();
    assert!(task.interrupt());
    assert!(bounded("the polling task", move || task.result()).is_ok());
}

#[test]
fn result_obeys_the_waiting_threads_token_and_the_task_goes_on() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = gate();
    let task = Arc::new(submit_gated(&pool, &gate));
    let token = CancellationToken::new();
    let waiter = {
        let (token, task) = (token.clone(), Arc::clone(&task));
        std::thread::spawn(move || token.run(|| task.wait_cancellable(None)))
    };
    wait_parked(&token);
    token.cancel();
    assert_eq!(waiter.join().unwrap(), Err(Cancelled));
    assert!(!task.done());
    // Already cancelled: every obeying form says so at once; the plain
    // forms keep their meaning.
    token.run(|| {
        assert_eq!(task.wait_cancellable(Some(Duration::ZERO)), Ok(false));
        assert_eq!(
            task.wait_cancellable(Some(Duration::from_millis(20))),
            Err(Cancelled)
        );
        assert_eq!(task.wait_cancellable(Some(Duration::MAX)), Err(Cancelled));
        assert!(!task.wait_timeout(Duration::from_millis(20)));
    });
    gate.set();
    token.run(|| task.wait());
    assert_eq!(token.run(|| task.wait_cancellable(None)), Ok(true));
    let task = Arc::into_inner(task).unwrap();
    assert_eq!(
        token.run(|| task.result()),
        Ok(true),
        "done: its outcome, whatever the token"
    );
    let blocked = pool.submit(|| sleep(Duration::MAX)).unwrap();
    let interrupt = blocked.cancel_token();
    assert_eq!(
        token.run(|| blocked.result()),
        Err(TaskError::WaitCancelled)
    );
    interrupt.cancel();
}

#[test]
fn futures_wait_cancellable_and_as_completed_obey_the_token() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = gate();
    let futures = vec![pool.submit(|| false).unwrap(), submit_gated(&pool, &gate)];
    futures[0].wait();
    let token = CancellationToken::new();
    let waiting = {
        let token = token.clone();
        std::thread::spawn(move || {
            let waited = token.run(|| wait_cancellable(&futures, None, ReturnWhen::AllCompleted));
            (waited.map(|result| result.done), futures)
        })
    };
    wait_parked(&token);
    token.cancel();
    let (waited, futures) = waiting.join().unwrap();
    assert_eq!(waited, Err(Cancelled));
    // Done ones are reported whatever the token; the plain form ignores it.
    let first = token.run(|| wait_cancellable(&futures, None, ReturnWhen::FirstCompleted));
    assert_eq!(first.unwrap().done, [0]);
    assert_eq!(
        token
            .run(|| wait(
                &futures,
                Some(Duration::from_millis(20)),
                ReturnWhen::AllCompleted
            ))
            .done,
        [0]
    );
    let mut completed = token.run(|| {
        let mut iterator = as_completed(futures, None);
        let first = iterator.next().map(|done| done.map(|future| future.id()));
        let second = iterator.next().map(|done| done.map(|future| future.id()));
        assert!(iterator.next().is_none());
        (first, second, iterator.into_pending())
    });
    assert!(matches!(completed.0, Some(Ok(_))));
    assert_eq!(completed.1, Some(Err(TaskError::WaitCancelled)));
    assert_eq!(completed.2.len(), 1, "the future not yielded is kept");
    gate.set();
    assert_eq!(outcome(completed.2.pop().unwrap()), Ok(true));
}

#[test]
fn a_map_ends_as_after_a_timeout_when_its_wait_is_cancelled() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let token = CancellationToken::new();
    token.cancel();
    let results: Vec<_> = token.run(|| {
        pool.map(
            |n: u64| {
                let _ = sleep(Duration::from_millis(50));
                n
            },
            0..4,
        )
        .unwrap()
        .collect()
    });
    assert!(results.len() <= 4);
    assert_eq!(results.last(), Some(&Err(TaskError::WaitCancelled)));
}

#[test]
fn a_group_returns_every_outcome_in_submission_order() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let group = pool.group();
    for n in 0..10u64 {
        group.submit(move || n * n).unwrap();
    }
    assert_eq!(group.len(), 10);
    let results = group.join();
    assert_eq!(results.first_failure, None);
    assert!(results.failure().is_none());
    assert_eq!(results.ids.len(), 10);
    let squares: Vec<u64> = results.outcomes.into_iter().map(Result::unwrap).collect();
    assert_eq!(squares, (0..10).map(|n| n * n).collect::<Vec<_>>());
    let empty = pool.group::<()>();
    assert!(empty.is_empty());
    assert!(empty.join().outcomes.is_empty());
}

#[test]
fn the_first_failure_stops_running_tasks_and_cancels_queued_ones() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let group = pool.group();
    let (tokens, started) = std::sync::mpsc::channel();
    for _ in 0..2 {
        let body = sleeper(&tokens);
        group
            .submit_fallible(move || body().map(|()| "slept"))
            .unwrap();
    }
    let trigger = gate();
    let fail = Arc::clone(&trigger);
    group
        .submit_fallible(move || {
            fail.wait();
            Err(Cancelled)
        })
        .unwrap();
    // Queued behind the three running ones: cancelled before it starts.
    group.submit_fallible(|| Ok("never runs")).unwrap();
    wait_sleeping(&started);
    wait_sleeping(&started);
    trigger.set();
    let results = bounded("the group", move || group.join());
    assert_eq!(results.first_failure, Some(2));
    assert_eq!(results.failure(), Some(&Ok(Err(Cancelled))));
    assert_eq!(results.outcomes[0], Ok(Err(Cancelled)));
    assert_eq!(results.outcomes[1], Ok(Err(Cancelled)));
    assert_eq!(results.outcomes[3], Err(TaskError::Cancelled));
}

#[test]
fn a_panic_fails_a_group_and_its_message_is_kept() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let group = pool.group();
    let (tokens, started) = std::sync::mpsc::channel();
    let body = sleeper(&tokens);
    group.submit(move || body().is_err()).unwrap();
    wait_sleeping(&started);
    group.submit(|| panic!("a download failed")).unwrap();
    let results = bounded("the group", move || group.join());
    assert_eq!(results.first_failure, Some(1));
    assert_eq!(results.outcomes[0], Ok(true));
    assert_eq!(
        results.outcomes[1],
        Err(TaskError::Panicked("a download failed".into()))
    );
}

#[test]
fn a_plain_err_does_not_fail_a_group_but_a_fallible_one_does() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let group = pool.group();
    group.submit(|| Err::<(), _>("plain")).unwrap();
    let results = group.join();
    assert_eq!(results.first_failure, None);
    let group = pool.group();
    group.submit_fallible(|| Err::<(), _>("fallible")).unwrap();
    assert_eq!(group.join().first_failure, Some(0));
}

#[test]
fn a_cancelled_group_cancels_tasks_submitted_after() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let group = pool.group();
    group.cancel();
    assert!(group.is_cancelled());
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    group
        .submit(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    let results = group.join();
    // Cancelled at once, unless a worker took it first (then it ran with
    // its token cancelled).
    match &results.outcomes[0] {
        Err(TaskError::Cancelled) => assert_eq!(ran.load(Ordering::SeqCst), 0),
        Ok(()) => assert_eq!(ran.load(Ordering::SeqCst), 1),
        other => panic!("unexpected outcome {other:?}"),
    }
}

#[test]
fn groups_nest_and_a_parent_cancel_reaches_the_inner_group() {
    let pool = Arc::new(ThreadPoolExecutor::new(3).unwrap());
    let outer = pool.group();
    let inner_pool = Arc::clone(&pool);
    let (tokens, started) = std::sync::mpsc::channel();
    outer
        .submit(move || {
            let inner = inner_pool.group();
            inner.submit(sleeper(&tokens)).unwrap();
            inner.join().outcomes
        })
        .unwrap();
    wait_sleeping(&started);
    outer.cancel();
    let results = bounded("the nested groups", move || outer.join());
    let inner = results.outcomes.into_iter().next().unwrap().unwrap();
    assert_eq!(inner, [Ok(Err(Cancelled))]);
}

#[test]
fn a_group_opened_under_a_token_is_cancelled_with_it() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let token = CancellationToken::new();
    let group = token.run(|| pool.group());
    let (tokens, started) = std::sync::mpsc::channel();
    group.submit(sleeper(&tokens)).unwrap();
    wait_sleeping(&started);
    token.cancel();
    assert!(group.is_cancelled());
    let results = bounded("the group", move || group.join());
    assert_eq!(results.outcomes, [Ok(Err(Cancelled))]);
}

#[test]
fn dropping_a_group_waits_for_its_tasks() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    {
        let group = pool.group();
        for _ in 0..3 {
            let ran = Arc::clone(&ran);
            group
                .submit(move || {
                    let _ = sleep(Duration::from_millis(5));
                    ran.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap();
        }
    }
    assert_eq!(ran.load(Ordering::SeqCst), 3);
}

#[test]
fn a_scope_task_has_a_token_too() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    pool.scope(|scope| {
        let task = scope.submit(|| sleep(Duration::MAX)).unwrap();
        wait_running(&task);
        wait_parked(&task.cancel_token());
        assert!(task.interrupt());
        assert_eq!(task.result(), Ok(Err(Cancelled)));
    });
    let _ = PATIENCE;
}

#[test]
fn a_shutdown_that_waits_waits_whatever_the_callers_token() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let (tokens, started) = std::sync::mpsc::channel();
    let body = sleeper(&tokens);
    let task = pool
        .submit(move || {
            let slept = body();
            // Some work after the cancel, which the shutdown must wait for.
            std::thread::sleep(Duration::from_millis(30));
            slept
        })
        .unwrap();
    wait_sleeping(&started);
    let caller = CancellationToken::new();
    caller.cancel();
    assert!(task.interrupt());
    caller.run(|| pool.shutdown(true, false));
    assert!(
        task.done(),
        "the shutdown returned before its worker finished"
    );
    assert_eq!(task.result(), Ok(Err(Cancelled)));
}

#[test]
fn join_always_sees_the_failure_of_a_task_that_ended_as_it_joined() {
    // A future is done a moment before its done callbacks run: join must
    // not read the group's first failure in between.
    let pool = ThreadPoolExecutor::new(2).unwrap();
    for _ in 0..500 {
        let group = pool.group();
        group.submit_fallible(|| Err::<(), _>("fails")).unwrap();
        let results = group.join();
        assert_eq!(results.first_failure, Some(0));
    }
}

#[test]
fn two_threads_cancelling_one_group_at_once_leave_every_outcome() {
    let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
    for _ in 0..50 {
        let group = Arc::new(pool.group());
        for _ in 0..4 {
            group.submit(|| sleep(Duration::from_millis(1))).unwrap();
        }
        let cancellers: Vec<_> = (0..2)
            .map(|_| {
                let group = Arc::clone(&group);
                std::thread::spawn(move || group.cancel())
            })
            .collect();
        for canceller in cancellers {
            canceller.join().unwrap();
        }
        let results = Arc::into_inner(group).unwrap().join();
        assert_eq!(results.outcomes.len(), 4);
        assert!(results.outcomes.iter().all(|outcome| matches!(
            outcome,
            Ok(Ok(())) | Ok(Err(Cancelled)) | Err(TaskError::Cancelled)
        )));
    }
}
