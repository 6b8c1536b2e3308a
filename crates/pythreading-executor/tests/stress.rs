//! Bounded stress: many tasks, panics, cancellations, several submitting
//! threads, and shutdowns racing with submitters. Every future must end up
//! done with the outcome its task and its cancel call say, and nothing
//! submitted may be lost.
//!
//! Sized to run in a few seconds on 2 cores in a debug build; every wait is
//! bounded.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use common::{
    Bomb, PATIENCE, bounded, capture_excepthook, gate, outcome, reports_containing, wait_until,
};
use pythreading_executor::{
    ExecutorError, Future, FutureState, MapOptions, ReturnWhen, TaskError, ThreadPoolExecutor,
    as_completed, wait,
};

const TASKS: usize = 10_000;

fn expected(n: usize) -> Result<usize, TaskError> {
    if n.is_multiple_of(7) {
        Err(TaskError::Panicked(format!("task {n}")))
    } else {
        Ok(n * 2)
    }
}

fn task(n: usize) -> impl FnOnce() -> usize + Send + 'static {
    move || {
        if n.is_multiple_of(7) {
            panic!("task {n}");
        }
        n * 2
    }
}

/// Joins scoped threads, failing the test if one has not finished within
/// [`PATIENCE`].
fn join_scoped<T>(handles: Vec<thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    wait_until("the submitting threads finish", || {
        handles.iter().all(|handle| handle.is_finished())
    });
    handles
        .into_iter()
        .map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect()
}

#[test]
fn ten_thousand_tasks_some_panicking_some_cancelled_all_resolve() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    // Hold every worker first: the cancels made while submitting then meet
    // pending tasks for sure (the queue is FIFO, so the plugs run first).
    let plug = gate();
    let plugs: Vec<_> = (0..4).map(|_| common::submit_gated(&pool, &plug)).collect();
    let mut futures = Vec::with_capacity(TASKS);
    let mut cancelled = vec![false; TASKS];
    for (n, cancelled) in cancelled.iter_mut().enumerate() {
        let future = pool.submit(task(n)).unwrap();
        if n % 11 == 5 {
            *cancelled = future.cancel();
            assert!(*cancelled, "task {n} was not pending behind the plugs");
        }
        futures.push(future);
    }
    plug.set();
    // Some more cancels, now racing with the workers: either outcome is
    // fine, as long as the future agrees with what cancel said.
    for n in (0..TASKS).filter(|n| n % 13 == 6) {
        if futures[n].cancel() {
            cancelled[n] = true;
        }
    }
    let result = wait(&futures, Some(PATIENCE), ReturnWhen::AllCompleted);
    assert!(
        result.not_done.is_empty(),
        "{} futures never resolved",
        result.not_done.len()
    );
    let mut ran = 0u64;
    for (n, future) in futures.into_iter().enumerate() {
        assert!(future.done());
        if cancelled[n] {
            assert_eq!(future.state(), FutureState::Cancelled, "task {n}");
            assert_eq!(future.result(), Err(TaskError::Cancelled), "task {n}");
        } else {
            ran += 1;
            assert_eq!(future.state(), FutureState::Finished, "task {n}");
            assert_eq!(future.result(), expected(n), "task {n}");
        }
    }
    for plug in plugs {
        assert_eq!(outcome(plug), Ok(true));
    }
    // The plugs count too; a cancelled task does not.
    let completed = ran + 4;
    wait_until("the completed count catches up", || {
        pool.stats().completed_tasks >= completed
    });
    let stats = pool.stats();
    assert_eq!(stats.completed_tasks, completed);
    assert!(stats.workers_started <= 4);
    wait_until("the queue drains", || pool.stats().queued_tasks == 0);
}

#[test]
fn concurrent_submitters_lose_nothing() {
    const SUBMITTERS: usize = 4;
    const EACH: usize = 1_500;
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let outcomes = thread::scope(|s| {
        let handles = (0..SUBMITTERS)
            .map(|id| {
                let pool = &pool;
                s.spawn(move || {
                    let futures: Vec<(usize, Future<usize>)> = (0..EACH)
                        .map(|i| {
                            let n = id * EACH + i;
                            (n, pool.submit(task(n)).unwrap())
                        })
                        .collect();
                    // Each submitter also waits for its own results while
                    // the others are still submitting.
                    futures
                        .into_iter()
                        .map(|(n, future)| (n, outcome(future)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        join_scoped(handles)
    });
    let mut seen = vec![false; SUBMITTERS * EACH];
    for (n, result) in outcomes.into_iter().flatten() {
        assert_eq!(result, expected(n), "task {n}");
        assert!(!seen[n], "task {n} came back twice");
        seen[n] = true;
    }
    assert!(seen.iter().all(|&seen| seen), "a task never came back");
    wait_until("every task counts as completed", || {
        pool.stats().completed_tasks == (SUBMITTERS * EACH) as u64
    });
}

/// Submitters keep going while the executor is shut down under them: every
/// submit is either refused with `ShutDown` or gives a future that resolves
/// (to its value, or to `Cancelled` when the shutdown cancels futures), and
/// exactly the futures that resolved to a value ran.
#[test]
fn a_shutdown_racing_with_submitters_loses_nothing() {
    const SUBMITTERS: usize = 3;
    for round in 0..40 {
        let (wait_for_workers, cancel_futures) = (round % 2 == 0, round % 3 != 0);
        let pool = ThreadPoolExecutor::new(2).unwrap();
        let submitted = AtomicUsize::new(0);
        let ran = Arc::new(AtomicUsize::new(0));
        let per_thread = thread::scope(|s| {
            let handles: Vec<_> = (0..SUBMITTERS)
                .map(|_| {
                    let (pool, submitted, ran) = (&pool, &submitted, &ran);
                    s.spawn(move || {
                        let mut futures = Vec::new();
                        loop {
                            let ran = Arc::clone(ran);
                            let n = submitted.fetch_add(1, Ordering::SeqCst);
                            match pool.submit(move || {
                                ran.fetch_add(1, Ordering::SeqCst);
                                n
                            }) {
                                Ok(future) => futures.push((n, future)),
                                Err(error) => return (futures, error),
                            }
                            assert!(futures.len() < 1_000_000, "shutdown never took effect");
                        }
                    })
                })
                .collect();
            wait_until("the submitters get going", || {
                submitted.load(Ordering::SeqCst) >= 300
            });
            pool.shutdown(wait_for_workers, cancel_futures);
            join_scoped(handles)
        });
        let mut values = 0;
        let mut cancelled = 0;
        for (futures, error) in per_thread {
            assert!(
                matches!(error, ExecutorError::ShutDown),
                "round {round}: refused with {error:?}"
            );
            for (n, future) in futures {
                assert!(
                    future.wait_timeout(PATIENCE),
                    "round {round}: task {n} never resolved"
                );
                match future.result() {
                    Ok(value) => {
                        assert_eq!(value, n);
                        values += 1;
                    }
                    Err(TaskError::Cancelled) if cancel_futures => cancelled += 1,
                    other => panic!("round {round}: task {n} gave {other:?}"),
                }
            }
        }
        drop(pool);
        assert_eq!(
            ran.load(Ordering::SeqCst),
            values,
            "round {round}: tasks ran {} times for {values} values ({cancelled} cancelled)",
            ran.load(Ordering::SeqCst)
        );
    }
}

/// Submitters race one or two `shutdown(cancel_futures: true)` calls with
/// closures that panic if dropped unrun: every future is done when a
/// shutdown returns, each closure cancelled (or refused at submit) is
/// reported exactly once, the ones that ran are not, and nothing hangs.
#[test]
fn cancelling_shutdowns_racing_submits_of_closures_that_panic_in_drop() {
    const SUBMITTERS: usize = 3;
    // Each report captures a backtrace under RUST_BACKTRACE=1: a few
    // hundred tasks per round.
    const MOST: usize = 200;
    let reports = capture_excepthook();
    for round in 0..10 {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        let submitted = AtomicUsize::new(0);
        let label = move |n: usize| format!("racing drop bomb {round}/{n}.");
        let going = || submitted.load(Ordering::SeqCst) >= 60;
        let (per_thread, refused) = thread::scope(|s| {
            let handles: Vec<_> = (0..SUBMITTERS)
                .map(|_| {
                    let (pool, submitted) = (&pool, &submitted);
                    s.spawn(move || {
                        let mut futures = Vec::new();
                        while futures.len() < MOST {
                            let n = submitted.fetch_add(1, Ordering::SeqCst);
                            let bomb = Bomb::new(label(n));
                            // Slower than a submit: some are queued at the shutdown.
                            let task = move || {
                                (0..20).for_each(|_| thread::yield_now());
                                bomb.defuse();
                            };
                            match pool.submit(task) {
                                Ok(future) => futures.push((n, future)),
                                Err(ExecutorError::ShutDown) => return (futures, Some(n)),
                                Err(other) => panic!("round {round}: refused with {other:?}"),
                            }
                        }
                        (futures, None)
                    })
                })
                .collect();
            let twin = (round % 2 == 1).then(|| {
                s.spawn(|| {
                    wait_until("the submitters get going", going);
                    pool.shutdown(false, true);
                })
            });
            wait_until("the submitters get going", going);
            pool.shutdown(false, true);
            join_scoped(twin.into_iter().collect());
            let (per_thread, refused): (Vec<_>, Vec<_>) = join_scoped(handles).into_iter().unzip();
            (per_thread, refused)
        });
        bounded("shutdown(wait: true)", move || drop(pool));
        let mut told = std::collections::HashMap::<usize, Vec<String>>::new();
        let prefix = format!("racing drop bomb {round}/");
        for (_, message) in reports_containing(reports, &prefix) {
            let n = message.rsplit('/').next().unwrap().trim_end_matches('.');
            told.entry(n.parse().unwrap()).or_default().push(message);
        }
        for n in refused.into_iter().flatten() {
            assert_eq!(
                told.remove(&n),
                Some(vec![format!(
                    "Exception ignored in drop of a task never run: {}",
                    label(n)
                )]),
                "round {round}: the refused task {n}"
            );
        }
        for (n, future) in per_thread.into_iter().flatten() {
            match future.state() {
                FutureState::Finished => assert_eq!(future.result(), Ok(())),
                FutureState::Cancelled => assert_eq!(
                    told.remove(&n),
                    Some(vec![format!(
                        "Exception ignored in drop of a cancelled task: {}",
                        label(n)
                    )]),
                    "round {round}: the cancelled task {n}"
                ),
                other => panic!("round {round}: task {n} is {other:?} after the shutdown"),
            }
        }
        assert!(
            told.is_empty(),
            "round {round}: reports of tasks that ran: {told:?}"
        );
    }
}

#[test]
fn as_completed_yields_every_future_exactly_once_under_load() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    let futures: Vec<_> = (0..3_000).map(|n| pool.submit(task(n)).unwrap()).collect();
    let mut seen = vec![false; 3_000];
    for done in as_completed(futures, Some(PATIENCE)) {
        let future = done.expect("everything completes before the timeout");
        assert!(future.done());
        match future.result() {
            Ok(value) => {
                let n = value / 2;
                assert!(!seen[n], "task {n} yielded twice");
                seen[n] = true;
            }
            Err(TaskError::Panicked(message)) => {
                let n: usize = message.trim_start_matches("task ").parse().unwrap();
                assert!(!seen[n], "task {n} yielded twice");
                seen[n] = true;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(seen.iter().all(|&seen| seen), "a future was never yielded");
}

#[test]
fn many_waiters_on_shared_futures_all_wake() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = gate();
    let futures: Arc<Vec<Future<bool>>> = Arc::new(
        (0..50)
            .map(|_| common::submit_gated(&pool, &gate))
            .collect(),
    );
    let waiters: Vec<_> = (0..8)
        .map(|i| {
            let futures = Arc::clone(&futures);
            thread::spawn(move || {
                let return_when = match i % 3 {
                    0 => ReturnWhen::AllCompleted,
                    1 => ReturnWhen::FirstCompleted,
                    _ => ReturnWhen::FirstException,
                };
                let result = wait(&futures, Some(PATIENCE), return_when);
                (return_when, result)
            })
        })
        .collect();
    // Every waiter watches every future before any is done.
    wait_until("the waiters watch every future", || {
        futures.iter().all(|future| future.waiting() == 8)
    });
    gate.set();
    wait_until("the waiters return", || {
        waiters.iter().all(|w| w.is_finished())
    });
    for waiter in waiters {
        let (return_when, result) = waiter.join().unwrap();
        match return_when {
            ReturnWhen::FirstCompleted => assert!(!result.done.is_empty()),
            _ => assert_eq!(result.done.len(), 50, "{return_when:?}"),
        }
    }
}

#[test]
fn a_long_buffered_map_with_panics_keeps_order() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let results = pool
        .map_with(
            |n: usize| task(n)(),
            0..5_000,
            MapOptions::new().buffersize(16).timeout(PATIENCE),
        )
        .unwrap();
    let mut count = 0;
    for (n, result) in results.enumerate() {
        assert_eq!(result, expected(n), "item {n}");
        count += 1;
    }
    assert_eq!(count, 5_000);
}

/// One node of a random tree of tasks, each submitting its children to its
/// own pool and waiting on them in one of four ways: what a node reports
/// and what the counters must add up to.
struct Tree {
    pool: Arc<ThreadPoolExecutor>,
    /// Nodes that started.
    ran: AtomicUsize,
    /// Nodes counted by a subtree that then panicked (its parent gets no
    /// count from it).
    lost: AtomicUsize,
}

/// xorshift64*: the same tree for the same seed.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Runs one node: returns how many nodes of its subtree ran, itself
/// included, unless it panics.
fn node(tree: &Arc<Tree>, depth: u32, mut seed: u64) -> usize {
    tree.ran.fetch_add(1, Ordering::Relaxed);
    let children = if depth == 0 {
        0
    } else {
        next_random(&mut seed) % 4
    };
    let futures: Vec<Future<usize>> = (0..children)
        .map(|_| {
            let (tree2, child_seed) = (Arc::clone(tree), next_random(&mut seed));
            tree.pool
                .submit(move || node(&tree2, depth - 1, child_seed))
                .unwrap()
        })
        .collect();
    // Sometimes cancel the last child: it never runs if the cancel wins.
    if next_random(&mut seed).is_multiple_of(5)
        && let Some(last) = futures.last()
    {
        last.cancel();
    }
    let outcomes: Vec<Result<usize, TaskError>> = match next_random(&mut seed) % 4 {
        0 => futures.into_iter().map(Future::result).collect(),
        1 => {
            for future in &futures {
                future.wait();
            }
            futures.into_iter().map(Future::result).collect()
        }
        2 => {
            let all = wait(&futures, None, ReturnWhen::AllCompleted);
            assert!(all.not_done.is_empty());
            futures.into_iter().map(Future::result).collect()
        }
        _ => as_completed(futures, None)
            .map(|done| done.unwrap().result())
            .collect(),
    };
    let mut count = 1;
    for outcome in outcomes {
        match outcome {
            Ok(below) => count += below,
            Err(TaskError::Cancelled | TaskError::Panicked(_)) => {}
            Err(other) => panic!("a nested wait ended with {other:?}"),
        }
    }
    if next_random(&mut seed).is_multiple_of(9) {
        tree.lost.fetch_add(count, Ordering::Relaxed);
        panic!("a node of the tree panics");
    }
    count
}

#[test]
fn random_nested_submit_and_wait_trees_all_resolve() {
    let _reports = capture_excepthook();
    bounded("random nested trees", || {
        for (round, workers) in (0..24u64).zip([1, 2, 3].into_iter().cycle()) {
            let tree = Arc::new(Tree {
                pool: Arc::new(ThreadPoolExecutor::new(workers).unwrap()),
                ran: AtomicUsize::new(0),
                lost: AtomicUsize::new(0),
            });
            let root = {
                let tree2 = Arc::clone(&tree);
                tree.pool
                    .submit(move || node(&tree2, 7, round * 7919 + 1))
                    .unwrap()
            };
            let counted = match root.result() {
                Ok(count) => count,
                Err(TaskError::Panicked(_)) => 0,
                Err(other) => panic!("round {round}: the root ended with {other:?}"),
            };
            let (ran, lost) = (
                tree.ran.load(Ordering::Relaxed),
                tree.lost.load(Ordering::Relaxed),
            );
            // A panicking root counted itself in `lost`.
            assert_eq!(
                ran,
                counted + lost,
                "round {round}: a node was lost or counted twice"
            );
            assert!(
                tree.pool.stats().workers_started <= workers,
                "round {round}: more workers than allowed"
            );
            tree.pool.shutdown(true, false);
        }
    });
}
