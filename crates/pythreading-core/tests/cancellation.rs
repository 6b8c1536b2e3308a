//! Cancellation tokens: the tree, callbacks, waits on a token, the current
//! token of a thread and a region, `sleep`, and a join that obeys it.
//!
//! A test that cancels a blocked call first checks that the thread is
//! blocked (parked under the token, `CancellationToken::parked`), never
//! sleeps and hopes. Times are generous: the machine may be slow and shared.

use pythreading_core::{
    CancellationToken, Cancelled, Thread, ThreadError, cancelled, check_cancelled, current_token,
    sleep,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(30);

/// Waits until `token` has `n` threads parked under it.
fn wait_parked(token: &CancellationToken, n: usize) {
    let start = Instant::now();
    while token.parked() < n {
        assert!(start.elapsed() < PATIENCE, "nobody parked under the token");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_token_is_cancelled_once_and_for_good() {
    let token = CancellationToken::new();
    assert!(!token.is_cancelled());
    assert_eq!(token.check(), Ok(()));
    token.cancel();
    token.cancel();
    assert!(token.is_cancelled());
    assert_eq!(token.check(), Err(Cancelled));
    assert!(token.clone().is_cancelled());
    assert_eq!(token, token.clone());
    assert_ne!(token, CancellationToken::new());
    assert_eq!(Cancelled.to_string(), "the operation was cancelled");
}

#[test]
fn children_go_with_their_parent_and_never_the_other_way() {
    let parent = CancellationToken::new();
    let child = parent.child();
    let grandchild = child.child();
    let sibling = parent.child();
    child.cancel();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
    assert!(!parent.is_cancelled() && !sibling.is_cancelled());
    parent.cancel();
    assert!(sibling.is_cancelled());
    // Born of a cancelled parent: cancelled from the start.
    assert!(parent.child().is_cancelled());
}

#[test]
fn a_deep_chain_of_children_is_cancelled_without_overflowing() {
    let root = CancellationToken::new();
    let mut chain = vec![root.clone()];
    for _ in 0..100_000 {
        let next = chain.last().unwrap().child();
        chain.push(next);
    }
    root.cancel();
    assert!(chain.iter().all(CancellationToken::is_cancelled));
}

#[test]
fn many_dropped_children_do_not_pile_up() {
    let parent = CancellationToken::new();
    for _ in 0..100_000 {
        drop(parent.child());
    }
    let kept = parent.child();
    parent.cancel();
    assert!(kept.is_cancelled());
}

#[test]
fn callbacks_run_once_at_cancel_or_at_once_and_can_be_taken_back() {
    let token = CancellationToken::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = |ran: &Arc<AtomicUsize>| {
        let ran = Arc::clone(ran);
        move || {
            ran.fetch_add(1, Ordering::SeqCst);
        }
    };
    let _ = token.on_cancel(counter(&ran));
    let removed = token.on_cancel(counter(&ran));
    assert!(removed.remove());
    let _ = token.child().on_cancel(counter(&ran));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    token.cancel();
    assert_eq!(ran.load(Ordering::SeqCst), 2);
    token.cancel();
    assert_eq!(ran.load(Ordering::SeqCst), 2);
    let late = token.on_cancel(counter(&ran));
    assert_eq!(
        ran.load(Ordering::SeqCst),
        3,
        "registered late: ran at once"
    );
    assert!(!late.remove());
}

#[test]
fn a_panicking_callback_does_not_stop_the_others() {
    let token = CancellationToken::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let _ = token.on_cancel(|| panic!("a callback that panics"));
    let after = Arc::clone(&ran);
    let _ = token.on_cancel(move || {
        after.fetch_add(1, Ordering::SeqCst);
    });
    token.cancel();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn wait_ends_at_the_cancel_and_wait_timeout_says_which() {
    let token = CancellationToken::new();
    assert!(!token.wait_timeout(Duration::ZERO));
    assert!(!token.wait_timeout(Duration::from_millis(20)));
    let waiter = {
        let token = token.clone();
        std::thread::spawn(move || {
            token.wait();
            token.wait_timeout(Duration::MAX)
        })
    };
    std::thread::sleep(Duration::from_millis(10));
    token.cancel();
    assert!(waiter.join().unwrap());
}

#[test]
fn install_makes_a_token_current_for_a_region_and_restores_the_one_before() {
    assert_eq!(current_token(), None);
    assert!(!cancelled());
    let outer = CancellationToken::new();
    let inner = CancellationToken::new();
    {
        let _outer = outer.install();
        assert_eq!(current_token(), Some(outer.clone()));
        inner.run(|| {
            assert_eq!(current_token(), Some(inner.clone()));
            inner.cancel();
            assert!(cancelled());
            assert_eq!(check_cancelled(), Err(Cancelled));
        });
        assert_eq!(current_token(), Some(outer.clone()));
        assert!(!cancelled());
    }
    assert_eq!(current_token(), None);
    // Other threads never see this thread's token.
    let _region = inner.install();
    assert_eq!(std::thread::spawn(current_token).join().unwrap(), None);
}

#[test]
fn sleep_without_a_token_sleeps_and_with_a_cancelled_one_returns_at_once() {
    let start = Instant::now();
    assert_eq!(sleep(Duration::from_millis(30)), Ok(()));
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(sleep(Duration::ZERO), Ok(()));
    let token = CancellationToken::new();
    token.cancel();
    for duration in [Duration::ZERO, Duration::from_secs(3600), Duration::MAX] {
        assert_eq!(token.run(|| sleep(duration)), Err(Cancelled));
    }
}

#[test]
fn a_blocked_sleep_ends_when_its_token_is_cancelled() {
    let token = CancellationToken::new();
    let sleeper = {
        let token = token.clone();
        std::thread::spawn(move || token.run(|| sleep(Duration::MAX)))
    };
    wait_parked(&token, 1);
    token.cancel();
    assert_eq!(sleeper.join().unwrap(), Err(Cancelled));
    assert_eq!(token.parked(), 0);
}

#[test]
fn a_parent_cancel_reaches_a_sleep_under_a_child() {
    let parent = CancellationToken::new();
    let child = parent.child();
    let sleeper = {
        let child = child.clone();
        std::thread::spawn(move || child.run(|| sleep(Duration::MAX)))
    };
    wait_parked(&child, 1);
    parent.cancel();
    assert_eq!(sleeper.join().unwrap(), Err(Cancelled));
}

#[test]
fn a_thread_carries_its_token_from_its_first_instruction() {
    let token = CancellationToken::new();
    let thread = Thread::builder()
        .name("carrier")
        .cancel_token(token.clone())
        .spawn(|| (current_token(), sleep(Duration::MAX)))
        .unwrap();
    assert_eq!(thread.cancel_token(), Some(token.clone()));
    wait_parked(&token, 1);
    token.cancel();
    let (current, slept) = thread.into_result().unwrap();
    assert_eq!(current, Some(token));
    assert_eq!(slept, Err(Cancelled));
    assert_eq!(Thread::new(|| ()).cancel_token(), None);
}

#[test]
fn join_obeys_the_joining_threads_token() {
    let release = CancellationToken::new();
    let sleeper = {
        let release = release.clone();
        Thread::builder().spawn(move || release.wait()).unwrap()
    };
    let token = CancellationToken::new();
    let joiner = {
        let (token, sleeper) = (token.clone(), sleeper.clone());
        std::thread::spawn(move || {
            token.run(|| {
                (
                    sleeper.join().map_err(|e| e.to_string()),
                    sleeper
                        .join_timeout(Duration::MAX)
                        .map_err(|e| e.to_string()),
                )
            })
        })
    };
    wait_parked(&token, 1);
    token.cancel();
    let (join, join_timeout) = joiner.join().unwrap();
    let cancelled = ThreadError::Cancelled.to_string();
    assert_eq!(join, Err(cancelled.clone()));
    assert_eq!(join_timeout, Err(cancelled));
    // The thread goes on, and a join that obeys nothing still works.
    assert!(sleeper.is_alive());
    release.cancel();
    sleeper.join().unwrap();
    // A cancelled token on a join of a finished thread: it is finished.
    assert!(token.run(|| sleeper.join()).is_ok());
}

#[test]
fn a_cancel_that_races_many_sleeps_ends_every_one() {
    for _ in 0..50 {
        let token = CancellationToken::new();
        let sleepers: Vec<_> = (0..4)
            .map(|_| {
                let token = token.clone();
                std::thread::spawn(move || token.run(|| sleep(Duration::MAX)))
            })
            .collect();
        token.cancel();
        for sleeper in sleepers {
            assert_eq!(sleeper.join().unwrap(), Err(Cancelled));
        }
    }
}

#[test]
fn two_threads_cancelling_at_once_run_each_callback_once() {
    for _ in 0..200 {
        let token = CancellationToken::new();
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let ran = Arc::clone(&ran);
            let _ = token.child().on_cancel(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
        let cancellers: Vec<_> = (0..2)
            .map(|_| {
                let token = token.clone();
                std::thread::spawn(move || token.cancel())
            })
            .collect();
        for canceller in cancellers {
            canceller.join().unwrap();
        }
        assert_eq!(ran.load(Ordering::SeqCst), 3);
    }
}

/// A callback whose `Drop` panics.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("a callback's Drop panics");
    }
}

#[test]
fn a_callback_whose_drop_panics_is_reported_when_taken_back_or_never_run() {
    let token = CancellationToken::new();
    let held = PanicsOnDrop;
    let callback = token.on_cancel(move || {
        let _held = &held;
    });
    assert!(callback.remove(), "taken back, its Drop's panic reported");
    // Two of them in a token dropped uncancelled: both reported, no abort.
    let token = CancellationToken::new();
    for _ in 0..2 {
        let held = PanicsOnDrop;
        let _ = token.on_cancel(move || {
            let _held = &held;
        });
    }
    drop(token);
}
