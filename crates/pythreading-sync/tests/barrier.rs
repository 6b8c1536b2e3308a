//! Every method and error of [`Barrier`]: indices, the action, `n_waiting`,
//! and each way of breaking it (timeout, default timeout, abort, reset,
//! panicking action) followed by a reset that makes it usable again.
//!
//! Waits that are expected to succeed have a generous timeout (via
//! `with_timeout` or `wait_timeout`), so a bug fails a test instead of
//! hanging it. No test asserts anything about speed.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use pythreading_sync::{Barrier, SyncError};

mod common;
use common::{join_all, wait_until};

/// Long enough never to expire on a loaded machine when all goes well.
const GENEROUS: Duration = Duration::from_secs(30);

/// Starts `n` threads that each call `barrier.wait()` once.
fn waiters(barrier: &Arc<Barrier>, n: usize) -> Vec<JoinHandle<Result<usize, SyncError>>> {
    (0..n)
        .map(|_| {
            let barrier = Arc::clone(barrier);
            thread::spawn(move || barrier.wait())
        })
        .collect()
}

/// Passes one full round with `parties` threads (this one included) and
/// returns the sorted indices.
fn full_round(barrier: &Arc<Barrier>) -> Vec<usize> {
    let handles = waiters(barrier, barrier.parties() - 1);
    let mut indices = vec![barrier.wait_timeout(GENEROUS).unwrap()];
    indices.extend(join_all(handles).into_iter().map(Result::unwrap));
    indices.sort_unstable();
    indices
}

#[test]
fn zero_parties_is_invalid_argument() {
    match Barrier::new(0) {
        Err(SyncError::InvalidArgument(msg)) => assert_eq!(msg, "parties must be > 0"),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    let barrier = Barrier::new(3).unwrap();
    assert_eq!(barrier.parties(), 3);
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
}

#[test]
fn single_party_passes_at_once_with_index_zero() {
    let barrier = Barrier::new(1).unwrap();
    assert_eq!(barrier.wait(), Ok(0));
    assert_eq!(barrier.wait(), Ok(0));
    assert_eq!(barrier.wait_timeout(Duration::ZERO), Ok(0));
}

#[test]
fn indices_are_distinct_in_every_round_and_nobody_leaves_early() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 200;
    let barrier = Arc::new(Barrier::new(THREADS).unwrap().with_timeout(GENEROUS));
    // Per round: a bit per index handed out, and how many threads arrived.
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
    let arrived: Arc<Vec<AtomicUsize>> =
        Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (barrier, seen, arrived) = (
                Arc::clone(&barrier),
                Arc::clone(&seen),
                Arc::clone(&arrived),
            );
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    arrived[round].fetch_add(1, Ordering::SeqCst);
                    let index = barrier.wait().unwrap();
                    assert!(index < THREADS, "index {index} out of range");
                    assert_eq!(
                        arrived[round].load(Ordering::SeqCst),
                        THREADS,
                        "left round {round} before everyone arrived"
                    );
                    let bit = 1 << index;
                    let before = seen[round].fetch_or(bit, Ordering::SeqCst);
                    assert_eq!(
                        before & bit,
                        0,
                        "index {index} given twice in round {round}"
                    );
                }
            })
        })
        .collect();
    join_all(handles);
    for (round, bits) in seen.iter().enumerate() {
        assert_eq!(bits.load(Ordering::SeqCst), 0b1111, "round {round}");
    }
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
}

#[test]
fn indices_follow_arrival_order() {
    let barrier = Arc::new(Barrier::new(3).unwrap().with_timeout(GENEROUS));
    let first = waiters(&barrier, 1);
    wait_until("the first thread waits", || barrier.n_waiting() == 1);
    let second = waiters(&barrier, 1);
    wait_until("the second thread waits", || barrier.n_waiting() == 2);
    assert_eq!(barrier.wait(), Ok(2));
    assert_eq!(join_all(first), [Ok(0)]);
    assert_eq!(join_all(second), [Ok(1)]);
}

#[test]
fn n_waiting_counts_the_threads_in_the_current_round() {
    let barrier = Arc::new(Barrier::new(3).unwrap().with_timeout(GENEROUS));
    assert_eq!(barrier.n_waiting(), 0);
    let mut handles = waiters(&barrier, 1);
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    handles.extend(waiters(&barrier, 1));
    wait_until("two threads wait", || barrier.n_waiting() == 2);
    barrier.wait().unwrap();
    assert!(join_all(handles).iter().all(Result::is_ok));
    assert_eq!(barrier.n_waiting(), 0);
    // A broken barrier has nobody waiting in it.
    let handles = waiters(&barrier, 1);
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    barrier.abort();
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(join_all(handles), [Err(SyncError::BrokenBarrier)]);
}

#[test]
fn action_runs_once_per_round_in_the_last_thread_before_anyone_leaves() {
    const THREADS: usize = 3;
    const ROUNDS: usize = 50;
    let runs = Arc::new(AtomicUsize::new(0));
    let runner: Arc<Mutex<Option<ThreadId>>> = Arc::new(Mutex::new(None));
    let barrier = {
        let (runs, runner) = (Arc::clone(&runs), Arc::clone(&runner));
        Arc::new(
            Barrier::new(THREADS)
                .unwrap()
                .with_timeout(GENEROUS)
                .with_action(move || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    *runner.lock().unwrap() = Some(thread::current().id());
                }),
        )
    };
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (barrier, runs, runner) =
                (Arc::clone(&barrier), Arc::clone(&runs), Arc::clone(&runner));
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    let index = barrier.wait().unwrap();
                    // The next round's action cannot run before this thread
                    // arrives again, so the count is exact.
                    assert_eq!(runs.load(Ordering::SeqCst), round + 1);
                    let ran_it = *runner.lock().unwrap() == Some(thread::current().id());
                    assert_eq!(ran_it, index == THREADS - 1, "round {round}, index {index}");
                }
            })
        })
        .collect();
    join_all(handles);
    assert_eq!(runs.load(Ordering::SeqCst), ROUNDS);
}

#[test]
fn newcomers_wait_while_the_action_runs_and_actions_never_overlap() {
    let in_action = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = {
        let (in_action, runs) = (Arc::clone(&in_action), Arc::clone(&runs));
        Arc::new(
            Barrier::new(2)
                .unwrap()
                .with_timeout(GENEROUS)
                .with_action(move || {
                    assert!(!in_action.swap(true, Ordering::SeqCst), "actions overlap");
                    thread::sleep(Duration::from_millis(200));
                    runs.fetch_add(1, Ordering::SeqCst);
                    in_action.store(false, Ordering::SeqCst);
                }),
        )
    };
    let first = waiters(&barrier, 1);
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    let last = waiters(&barrier, 1);
    wait_until("the action runs", || in_action.load(Ordering::SeqCst));
    // Two newcomers form the next round, after the running action.
    let next = waiters(&barrier, 2);
    let mut next_indices: Vec<_> = join_all(next).into_iter().map(Result::unwrap).collect();
    next_indices.sort_unstable();
    assert_eq!(next_indices, [0, 1]);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(join_all(first), [Ok(0)]);
    assert_eq!(join_all(last), [Ok(1)]);
}

#[test]
fn timeout_breaks_the_barrier_for_everyone_until_reset() {
    let barrier = Arc::new(Barrier::new(3).unwrap().with_timeout(GENEROUS));
    let other = waiters(&barrier, 1);
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    let start = Instant::now();
    assert_eq!(
        barrier.wait_timeout(Duration::from_millis(50)),
        Err(SyncError::BrokenBarrier)
    );
    assert!(start.elapsed() >= Duration::from_millis(50));
    // The other waiter is released, broken, long before its own timeout.
    assert_eq!(join_all(other), [Err(SyncError::BrokenBarrier)]);
    assert!(start.elapsed() < GENEROUS / 2);
    assert!(barrier.broken());
    // Later waits fail fast, whatever their timeout.
    let start = Instant::now();
    assert_eq!(
        barrier.wait_timeout(GENEROUS),
        Err(SyncError::BrokenBarrier)
    );
    assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
    assert!(start.elapsed() < GENEROUS / 2);
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(full_round(&barrier), [0, 1, 2]);
}

#[test]
fn zero_timeout_breaks_unless_last() {
    let barrier = Barrier::new(2).unwrap();
    assert_eq!(
        barrier.wait_timeout(Duration::ZERO),
        Err(SyncError::BrokenBarrier)
    );
    assert!(barrier.broken());
}

#[test]
fn wait_timeout_passes_when_everyone_comes_in_time() {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let other = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || barrier.wait_timeout(GENEROUS))
    };
    let mine = barrier.wait_timeout(GENEROUS).unwrap();
    let theirs = other.join().unwrap().unwrap();
    assert_eq!(mine + theirs, 1);
}

#[test]
fn with_timeout_is_the_default_of_wait() {
    let timeout = Duration::from_millis(100);
    let barrier = Barrier::new(2).unwrap().with_timeout(timeout);
    let start = Instant::now();
    assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
    assert!(start.elapsed() >= timeout);
    assert!(barrier.broken());
}

#[test]
fn abort_breaks_waiters_and_later_waits_until_reset() {
    let barrier = Arc::new(Barrier::new(3).unwrap().with_timeout(GENEROUS));
    let handles = waiters(&barrier, 2);
    wait_until("two threads wait", || barrier.n_waiting() == 2);
    barrier.abort();
    assert_eq!(
        join_all(handles),
        [Err(SyncError::BrokenBarrier), Err(SyncError::BrokenBarrier)]
    );
    assert!(barrier.broken());
    assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
    barrier.abort(); // again: harmless
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(full_round(&barrier), [0, 1, 2]);
}

#[test]
fn abort_with_nobody_waiting_breaks_it_too() {
    let barrier = Barrier::new(2).unwrap();
    barrier.abort();
    assert!(barrier.broken());
    assert_eq!(
        barrier.wait_timeout(GENEROUS),
        Err(SyncError::BrokenBarrier)
    );
}

#[test]
fn reset_while_threads_wait_breaks_them_and_leaves_it_usable() {
    let barrier = Arc::new(Barrier::new(3).unwrap().with_timeout(GENEROUS));
    let handles = waiters(&barrier, 2);
    wait_until("two threads wait", || barrier.n_waiting() == 2);
    barrier.reset();
    assert_eq!(
        join_all(handles),
        [Err(SyncError::BrokenBarrier), Err(SyncError::BrokenBarrier)]
    );
    // Unlike abort, reset leaves it usable at once.
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(full_round(&barrier), [0, 1, 2]);
}

#[test]
fn reset_of_an_idle_barrier_changes_nothing() {
    let barrier = Arc::new(Barrier::new(2).unwrap().with_timeout(GENEROUS));
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(full_round(&barrier), [0, 1]);
}

#[test]
fn panicking_action_breaks_the_barrier_and_panics_in_its_thread() {
    let panic_next = Arc::new(AtomicBool::new(true));
    let barrier = {
        let panic_next = Arc::clone(&panic_next);
        Arc::new(
            Barrier::new(3)
                .unwrap()
                .with_timeout(GENEROUS)
                .with_action(move || {
                    if panic_next.swap(false, Ordering::SeqCst) {
                        panic!("action failed");
                    }
                }),
        )
    };
    let handles = waiters(&barrier, 2);
    wait_until("two threads wait", || barrier.n_waiting() == 2);
    // This thread arrives last, so it runs the action.
    let caught = panic::catch_unwind(AssertUnwindSafe(|| barrier.wait()));
    let payload = caught.expect_err("the action's panic reaches the thread that ran it");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"action failed"));
    assert_eq!(
        join_all(handles),
        [Err(SyncError::BrokenBarrier), Err(SyncError::BrokenBarrier)]
    );
    assert!(barrier.broken());
    barrier.reset();
    assert_eq!(full_round(&barrier), [0, 1, 2]);
}

#[test]
fn action_may_abort_the_barrier_it_runs_for() {
    let barrier = Arc::new_cyclic(|me: &std::sync::Weak<Barrier>| {
        let me = me.clone();
        Barrier::new(2)
            .unwrap()
            .with_timeout(GENEROUS)
            .with_action(move || me.upgrade().expect("barrier alive").abort())
    });
    let other = waiters(&barrier, 1);
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
    assert_eq!(join_all(other), [Err(SyncError::BrokenBarrier)]);
    assert!(barrier.broken());
}

#[test]
fn timeout_during_the_action_breaks_the_round() {
    let barrier = Arc::new(
        Barrier::new(2)
            .unwrap()
            .with_action(|| thread::sleep(Duration::from_millis(300))),
    );
    let timed = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || barrier.wait_timeout(Duration::from_millis(100)))
    };
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    // Runs the 300 ms action; the other thread gives up meanwhile.
    assert_eq!(
        barrier.wait_timeout(GENEROUS),
        Err(SyncError::BrokenBarrier)
    );
    assert_eq!(timed.join().unwrap(), Err(SyncError::BrokenBarrier));
    assert!(barrier.broken());
}

/// A thread arriving for the next round while the full round's action runs
/// cannot break that round: every party of it has arrived (Python never
/// fails a full round). Its timeout breaks the round it came for: the full
/// round passes, and the barrier is broken after it, until a reset.
#[test]
fn newcomer_timing_out_during_the_action_does_not_break_the_full_round() {
    let (in_action, finish) = (Arc::new(AtomicBool::new(false)), Gate::default());
    let barrier = {
        let (in_action, finish) = (Arc::clone(&in_action), finish.clone());
        Arc::new(Barrier::new(2).unwrap().with_action(move || {
            in_action.store(true, Ordering::SeqCst);
            finish.wait();
        }))
    };
    let first = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || barrier.wait_timeout(GENEROUS))
    };
    wait_until("one thread waits", || barrier.n_waiting() == 1);
    let last = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || barrier.wait_timeout(GENEROUS))
    };
    wait_until("the action runs", || in_action.load(Ordering::SeqCst));
    // The action waits until the newcomer has given up.
    let newcomer = barrier.wait_timeout(Duration::from_millis(20));
    finish.open();
    assert_eq!(newcomer, Err(SyncError::BrokenBarrier));
    assert_eq!(join_all(vec![first, last]), [Ok(0), Ok(1)]);
    assert!(barrier.broken(), "the newcomer's round stays broken");
    assert_eq!(
        barrier.wait_timeout(GENEROUS),
        Err(SyncError::BrokenBarrier)
    );
    barrier.reset();
    assert_eq!(full_round(&barrier), [0, 1]);
}

/// A gate an action waits at (at most GENEROUS) until it is opened.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, opened) = &*self.0;
        let guard = open.lock().unwrap();
        let _ = opened.wait_timeout_while(guard, GENEROUS, |open| !*open);
    }

    fn open(&self) {
        let (open, opened) = &*self.0;
        *open.lock().unwrap() = true;
        opened.notify_all();
    }
}

#[test]
fn debug_shows_waiters_or_broken() {
    let barrier = Arc::new(Barrier::new(3).unwrap().with_timeout(GENEROUS));
    assert_eq!(format!("{barrier:?}"), "<Barrier: waiters=0/3>");
    let handles = waiters(&barrier, 2);
    wait_until("two threads wait", || barrier.n_waiting() == 2);
    assert_eq!(format!("{barrier:?}"), "<Barrier: waiters=2/3>");
    barrier.abort();
    assert_eq!(format!("{barrier:?}"), "<Barrier: broken>");
    join_all(handles);
}
