//! Waits that help, and waits that would never end: a worker blocked on a
//! task of its own pool that nobody has started runs it itself; a wait
//! that would close a cycle of waits ends with `TaskError::Deadlock`.
//!
//! # Provenance
//!
//! The first two tests are the two programs of CPython's documentation of
//! `ThreadPoolExecutor` (`Doc/library/concurrent.futures.rst`, 3.13, the
//! "Deadlocks can occur…" examples), re-expressed in Rust: with
//! `max_workers=1`, a task waiting on a task it submitted; with two
//! workers, two tasks waiting on each other. CPython is distributed under
//! the Python Software Foundation License Version 2 (PSF-2.0); Copyright
//! (c) 2001-2024 Python Software Foundation; All Rights Reserved. No
//! Python code is included. In CPython both programs hang for ever; here
//! the first completes and the second reports the cycle.
//!
//! Every blocking call runs under `bounded`, so a hang fails the test
//! instead of stalling the suite.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use common::{bounded, named_pool, wait_until};
use pythreading_executor::{Future, ReturnWhen, TaskError, ThreadPoolExecutor, as_completed, wait};

#[test]
fn cpython_doc_one_worker_waiting_on_its_own_task_completes() {
    // def wait_on_future():
    //     f = executor.submit(pow, 5, 2)
    //     print(f.result())
    // executor = ThreadPoolExecutor(max_workers=1)
    // executor.submit(wait_on_future)
    let printed = bounded("the one-worker program", || {
        let executor = Arc::new(named_pool(1, "doc-one"));
        let inner = Arc::clone(&executor);
        let outer = executor
            .submit(move || {
                let f = inner.submit(|| 5u64.pow(2)).unwrap();
                f.result().unwrap().to_string()
            })
            .unwrap();
        let printed = outer.result();
        let started = executor.stats().workers_started;
        (printed, started)
    });
    assert_eq!(printed, (Ok("25".to_string()), 1));
}

#[test]
fn cpython_doc_two_tasks_waiting_on_each_other_report_the_cycle() {
    // def wait_on_b(): time.sleep(5); print(b.result()); return 5
    // def wait_on_a(): time.sleep(5); print(a.result()); return 6
    // executor = ThreadPoolExecutor(max_workers=2)
    // a = executor.submit(wait_on_b)
    // b = executor.submit(wait_on_a)
    // Each task gets the other's future through a channel (a future has one
    // owner); both must be running before either waits, as after the
    // sleeps of the original.
    let outcomes = bounded("the two-worker program", || {
        let executor = named_pool(2, "doc-two");
        let (to_a, for_a) = mpsc::channel::<Future<u32>>();
        let (to_b, for_b) = mpsc::channel::<Future<u32>>();
        let running = Arc::new(std::sync::Barrier::new(2));
        let (told, results) = mpsc::channel();
        let task = |name: &'static str, other: mpsc::Receiver<Future<u32>>, mine: u32| {
            let running = Arc::clone(&running);
            let told = told.clone();
            move || {
                running.wait();
                let other = other.recv().unwrap();
                let outcome = other.result();
                told.send((name, outcome)).unwrap();
                mine
            }
        };
        let a = executor.submit(task("a", for_a, 5)).unwrap();
        let b = executor.submit(task("b", for_b, 6)).unwrap();
        to_b.send(a).unwrap();
        to_a.send(b).unwrap();
        let first = results.recv().unwrap();
        let second = results.recv().unwrap();
        (first, second)
    });
    let ((first, first_outcome), (second, second_outcome)) = outcomes;
    // The one that closed the cycle learns of it; its task then returns,
    // which lets the other's wait end with that task's value.
    let Err(TaskError::Deadlock(cycle)) = first_outcome else {
        panic!("the first wait to end must be the deadlocked one: {first_outcome:?}");
    };
    // The second waits on the first's future: a returns 5, b 6.
    assert_ne!(first, second);
    assert_eq!(second_outcome, Ok(if first == "a" { 5 } else { 6 }));
    assert!(cycle.starts_with("a cycle of waits: doc-two_"), "{cycle}");
    assert!(
        cycle.contains("doc-two_0") && cycle.contains("doc-two_1"),
        "{cycle}"
    );
    assert_eq!(cycle.matches("waits on future ").count(), 2, "{cycle}");
}

/// Runs, on a worker of a one-worker pool named `prefix`, a task that gets
/// a handle on its own future and returns `body` of it; its outcome.
fn on_its_own_future<T: Send + 'static>(
    prefix: &'static str,
    body: impl FnOnce(&Future<T>) -> T + Send + 'static,
) -> Result<T, TaskError> {
    bounded(prefix, move || {
        let pool = named_pool(1, prefix);
        let (to_task, its_own) = mpsc::channel::<Arc<Future<T>>>();
        let task = Arc::new(pool.submit(move || body(&its_own.recv().unwrap())).unwrap());
        to_task.send(Arc::clone(&task)).unwrap();
        task.wait();
        // The task's handle went with its closure, before it completed.
        Arc::try_unwrap(task).ok().unwrap().result()
    })
}

#[test]
fn a_task_waiting_on_its_own_future_is_told_at_once() {
    // Returns at once, the future not done: the wait would never end.
    let outcome = on_its_own_future("self-wait", |me: &Future<bool>| {
        me.wait();
        me.done()
    });
    assert_eq!(outcome, Ok(false));
}

#[test]
fn the_deadlock_message_names_the_future_and_thread() {
    let message = bounded("a one-link cycle", || {
        let executor = named_pool(1, "named-cycle");
        let (to_task, its_own) = mpsc::channel::<Future<Result<u32, TaskError>>>();
        let (back, message) = mpsc::channel();
        let task = executor
            .submit(move || {
                let me = its_own.recv().unwrap();
                let id = me.id();
                // A future that waits on itself: its result is this result.
                let _ = back.send((id, me.result()));
                Ok(1)
            })
            .unwrap();
        to_task.send(task).unwrap();
        message.recv().unwrap()
    });
    let (id, outcome) = message;
    assert_eq!(
        outcome,
        Err(TaskError::Deadlock(format!(
            "a cycle of waits: named-cycle_0 waits on {id}, which runs on named-cycle_0"
        )))
    );
    assert_eq!(TaskError::Deadlock("x".into()).to_string(), "deadlock: x");
}

/// fib(n) by submit + result, on the pool of the task running it.
fn fib(pool: &Arc<ThreadPoolExecutor>, n: u64, names: &Arc<Mutex<BTreeSet<String>>>) -> u64 {
    names
        .lock()
        .unwrap()
        .insert(pythreading_core::current_thread().name());
    if n < 2 {
        return n;
    }
    let spawn = |k: u64| {
        let (pool2, names2) = (Arc::clone(pool), Arc::clone(names));
        pool.submit(move || fib(&pool2, k, &names2)).unwrap()
    };
    let (a, b) = (spawn(n - 1), spawn(n - 2));
    b.result().unwrap() + a.result().unwrap()
}

#[test]
fn recursive_fib_by_submit_and_result_runs_on_the_pool_alone() {
    let (value, names, started) = bounded("fib(18) on 2 workers", || {
        let pool = Arc::new(named_pool(2, "fib"));
        let names = Arc::new(Mutex::new(BTreeSet::new()));
        let (pool2, names2) = (Arc::clone(&pool), Arc::clone(&names));
        let value = pool
            .submit(move || fib(&pool2, 18, &names2))
            .unwrap()
            .result();
        let started = pool.stats().workers_started;
        let names = names.lock().unwrap().clone();
        (value, names, started)
    });
    assert_eq!(value, Ok(2584));
    assert!(started <= 2, "{started} workers started");
    let allowed: BTreeSet<String> = ["fib_0", "fib_1"].map(String::from).into();
    assert!(names.is_subset(&allowed), "tasks ran on {names:?}");
}

/// Task k submits task k - 1 and waits on it.
fn chain(pool: &Arc<ThreadPoolExecutor>, k: u32) -> u32 {
    if k == 0 {
        return 0;
    }
    let next = Arc::clone(pool);
    pool.submit(move || chain(&next, k - 1))
        .unwrap()
        .result()
        .unwrap()
        + 1
}

#[test]
fn a_chain_of_ten_thousand_nested_waits_does_not_overflow() {
    let depth = bounded("a 10,000-deep chain", || {
        let pool = Arc::new(named_pool(2, "chain"));
        let inner = Arc::clone(&pool);
        let depth = pool.submit(move || chain(&inner, 10_000)).unwrap().result();
        (depth, pool.stats().workers_started)
    });
    assert_eq!(depth.0, Ok(10_000));
    assert!(depth.1 <= 2, "{} workers started", depth.1);
}

#[test]
fn racing_helpers_run_a_task_exactly_once() {
    bounded("racing helpers", || {
        let pool = Arc::new(named_pool(4, "race"));
        for _ in 0..200 {
            let runs = Arc::new(AtomicUsize::new(0));
            let target = {
                let runs = Arc::clone(&runs);
                Arc::new(
                    pool.submit(move || runs.fetch_add(1, Ordering::SeqCst))
                        .unwrap(),
                )
            };
            let helpers: Vec<_> = (0..3)
                .map(|_| {
                    let target = Arc::clone(&target);
                    pool.submit(move || target.wait()).unwrap()
                })
                .collect();
            for helper in helpers {
                helper.result().unwrap();
            }
            assert!(target.done());
            assert_eq!(
                runs.load(Ordering::SeqCst),
                1,
                "the task ran more than once"
            );
            let target = Arc::try_unwrap(target).ok().unwrap();
            assert_eq!(target.result(), Ok(0));
        }
        assert_eq!(pool.stats().completed_tasks, 200 * 4);
    });
}

#[test]
fn a_thread_outside_the_pool_does_not_run_its_tasks() {
    let ran_on = bounded("a wait from outside", || {
        let pool = named_pool(1, "outside");
        let gate = common::gate();
        let opener = Arc::clone(&gate);
        let busy = pool.submit(move || opener.wait()).unwrap();
        let queued = pool
            .submit(|| pythreading_core::current_thread().name())
            .unwrap();
        // The worker is busy; this thread waits for the queued task, which
        // only the worker may run.
        assert!(!queued.wait_timeout(common::SHORT));
        assert!(!queued.done());
        gate.set();
        busy.result().unwrap();
        queued.result()
    });
    assert_eq!(ran_on, Ok("outside_0".to_string()));
}

#[test]
fn wait_and_as_completed_on_a_worker_run_what_nobody_started() {
    let outcome = bounded("waits on many from the only worker", || {
        let pool = Arc::new(named_pool(1, "many"));
        let inner = Arc::clone(&pool);
        pool.submit(move || {
            let futures: Vec<_> = (0..4)
                .map(|n| inner.submit(move || n * 10).unwrap())
                .collect();
            let first = wait(&futures, None, ReturnWhen::FirstCompleted);
            assert_eq!(first.done, vec![0], "only the first one needed to run");
            let all = wait(&futures, None, ReturnWhen::AllCompleted);
            assert_eq!(all.done, vec![0, 1, 2, 3]);
            let more: Vec<_> = (0..3)
                .map(|n| inner.submit(move || n + 100).unwrap())
                .collect();
            let mut values: Vec<u32> = as_completed(more, None)
                .map(|done| done.unwrap().result().unwrap())
                .collect();
            values.sort_unstable();
            let mapped: Vec<_> = inner.map(|n: u32| n * 2, 0..5).unwrap().collect();
            (
                futures
                    .into_iter()
                    .map(|f| f.result().unwrap())
                    .sum::<u32>(),
                values,
                mapped,
            )
        })
        .unwrap()
        .result()
    });
    assert_eq!(
        outcome,
        Ok((
            60,
            vec![100, 101, 102],
            vec![Ok(0), Ok(2), Ok(4), Ok(6), Ok(8)]
        ))
    );
}

#[test]
fn a_timed_wait_in_a_cycle_times_out_instead() {
    let outcome = on_its_own_future("timed-cycle", |me: &Future<bool>| {
        me.wait_timeout(common::SHORT)
    });
    assert_eq!(outcome, Ok(false));
}

#[test]
fn future_ids_are_unique_and_outlive_the_outcome() {
    let pool = named_pool(2, "ids");
    let futures: Vec<_> = (0..100).map(|n| pool.submit(move || n).unwrap()).collect();
    let ids: BTreeSet<_> = futures.iter().map(Future::id).collect();
    assert_eq!(ids.len(), 100);
    let gate = common::gate();
    let opener = Arc::clone(&gate);
    let busy = (0..2)
        .map(|_| {
            let opener = Arc::clone(&opener);
            pool.submit(move || opener.wait()).unwrap()
        })
        .collect::<Vec<_>>();
    let cancelled = pool.submit(|| 0).unwrap();
    let id = cancelled.id();
    assert!(cancelled.cancel());
    assert_eq!(cancelled.id(), id, "an id does not change with the state");
    assert!(!ids.contains(&id));
    let panicked = pool.submit(|| -> u32 { panic!("boom") }).unwrap();
    let panicked_id = panicked.id();
    gate.set();
    wait_until("the panicking task ends", || panicked.done());
    assert_eq!(panicked.id(), panicked_id);
    assert_eq!(panicked.result(), Err(TaskError::Panicked("boom".into())));
    for future in busy {
        future.result().unwrap();
    }
    for future in futures {
        future.result().unwrap();
    }
}

#[test]
fn a_wait_timeout_too_large_to_end_is_checked_as_a_wait_without_one() {
    let outcome = on_its_own_future("max-cycle", |me: &Future<bool>| {
        me.wait_timeout(std::time::Duration::MAX)
    });
    assert_eq!(
        outcome,
        Ok(false),
        "it returned at once, the future not done"
    );
}

#[test]
fn a_wait_timeout_that_runs_the_task_returns_when_it_is_done() {
    // A timed wait on a task nobody has started runs it: done, however
    // short the timeout. A zero timeout only looks.
    let outcome = bounded("a timed wait that helps", || {
        let pool = Arc::new(named_pool(1, "timed-help"));
        let inner = Arc::clone(&pool);
        pool.submit(move || {
            let slow = inner.submit(|| std::thread::sleep(common::SHORT)).unwrap();
            let looked = slow.wait_timeout(std::time::Duration::ZERO);
            let waited = slow.wait_timeout(std::time::Duration::from_nanos(1));
            (looked, waited, slow.done())
        })
        .unwrap()
        .result()
    });
    assert_eq!(outcome, Ok((false, true, true)));
}

#[test]
fn waits_on_many_with_a_zero_timeout_only_look() {
    let outcome = bounded("zero-timeout waits from the only worker", || {
        let pool = Arc::new(named_pool(1, "zero-many"));
        let inner = Arc::clone(&pool);
        pool.submit(move || {
            let futures: Vec<_> = (0..3).map(|n| inner.submit(move || n).unwrap()).collect();
            let zero = Some(std::time::Duration::ZERO);
            let looked = wait(&futures, zero, ReturnWhen::AllCompleted);
            let mut polled = as_completed(futures, zero);
            let first = polled.next().map(|next| next.map(|future| future.id()));
            let futures = polled.into_pending();
            let all = wait(&futures, None, ReturnWhen::AllCompleted);
            (looked.not_done, first, all.done)
        })
        .unwrap()
        .result()
    });
    assert_eq!(
        outcome,
        Ok((vec![0, 1, 2], Some(Err(TaskError::Timeout)), vec![0, 1, 2]))
    );
}

#[test]
fn hostile_a_helped_task_whose_callback_panics_loses_nothing() {
    let reports = common::capture_excepthook();
    let outcome = bounded("a helped task that panics around its value", || {
        let pool = Arc::new(named_pool(1, "hostile-help"));
        let inner = Arc::clone(&pool);
        pool.submit(move || {
            let bomb = inner
                .submit(|| common::Bomb::new("helped result drop"))
                .unwrap();
            bomb.add_done_callback(|| panic!("helped callback"));
            let panics = inner.submit(|| -> u32 { panic!("helped task") }).unwrap();
            // Both run here, inline; the panics stay where they belong.
            let panicked = panics.result();
            bomb.result().unwrap().defuse();
            panicked
        })
        .unwrap()
        .result()
    });
    assert_eq!(outcome, Ok(Err(TaskError::Panicked("helped task".into()))));
    // The callback's panic was reported once, and went no further.
    assert_eq!(
        common::reports_containing(reports, "helped callback").len(),
        1
    );
}
