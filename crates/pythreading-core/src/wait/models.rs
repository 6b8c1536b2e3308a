//! loom models of the parking table's hand-offs (`cargo xtask ci` runs them
//! with `--cfg loom`). Every key shares one bucket under loom.
//!
//! Each model is exhaustive within the preemption bound CI sets
//! (`LOOM_MAX_PREEMPTIONS`).

use super::{CancellationToken, Deadline, Key, Wake, park, park_cancellable, unpark, unpark_one};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, AtomicUsize};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A deadline that has not passed on the real clock; under loom a timed
/// park takes it as passed anyway, at whatever moment loom picks.
fn soon() -> Deadline {
    Deadline::at(Instant::now() + Duration::from_secs(3600))
}

/// A notify racing a deadline: the wake-up is either given (the waiter says
/// notified and the waker says it woke someone) or not given (timed out,
/// and the waker found nobody). Never both, never neither.
#[test]
fn loom_notify_versus_deadline() {
    loom::model(|| {
        let word = Arc::new(AtomicU32::new(0));
        let waiter = {
            let word = Arc::clone(&word);
            loom::thread::spawn(move || {
                park(
                    Key::of(&*word),
                    || word.load(Ordering::Acquire) == 0,
                    || {},
                    soon(),
                )
            })
        };
        word.store(1, Ordering::Release);
        let woke = unpark_one(Key::of(&*word));
        let wake = waiter.join().unwrap();
        match wake {
            Wake::Notified => assert!(woke),
            Wake::TimedOut | Wake::Invalid | Wake::Cancelled => assert!(!woke),
        }
    });
}

/// Two waiters of one key and a waiter of another key in the same bucket;
/// `unpark(key, 2)` wakes both of the key's waiters and never the other's,
/// and no wake-up is lost (a lost one would leave a thread parked for
/// ever, which loom reports as a deadlock).
#[test]
fn loom_notify_n_waiters() {
    loom::model(|| {
        let flag = Arc::new(AtomicU32::new(0));
        let other = Arc::new(AtomicU32::new(0));
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let flag = Arc::clone(&flag);
                let woken = Arc::clone(&woken);
                loom::thread::spawn(move || {
                    while flag.load(Ordering::Acquire) == 0 {
                        let wake = park(
                            Key::of(&*flag),
                            || flag.load(Ordering::Acquire) == 0,
                            || {},
                            Deadline::NEVER,
                        );
                        if wake == Wake::Notified {
                            woken.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        // A waiter of another key: it must not take the first key's
        // wake-ups. It parks with a deadline, so it never blocks the model.
        let bystander = {
            let other = Arc::clone(&other);
            loom::thread::spawn(move || park(Key::of(&*other), || true, || {}, soon()))
        };
        flag.store(1, Ordering::Release);
        let count = unpark(Key::of(&*flag), 2);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(count, woken.load(Ordering::Relaxed));
        assert_eq!(bystander.join().unwrap(), Wake::TimedOut);
    });
}

/// The lock word every lock is built the same way on: `fetch_or` to take
/// it, a PARKED bit that a release checks to decide whether to unpark.
/// Two threads take it in turn; a release racing a thread on its way to
/// park never strands it, and the lock excludes.
#[test]
fn loom_park_racing_a_release() {
    const LOCKED: u32 = 1;
    const PARKED: u32 = 2;

    fn lock(word: &AtomicU32) {
        if word.fetch_or(LOCKED, Ordering::Acquire) & LOCKED == 0 {
            return;
        }
        // Announce a waiter; whoever is woken announces itself again, as it
        // cannot know whether others still wait.
        while word.fetch_or(LOCKED | PARKED, Ordering::Acquire) & LOCKED != 0 {
            let _ = park(
                Key::of(word),
                || word.load(Ordering::Relaxed) == LOCKED | PARKED,
                || {},
                Deadline::NEVER,
            );
        }
    }

    fn unlock(word: &AtomicU32) {
        if word.swap(0, Ordering::Release) & PARKED != 0 {
            unpark_one(Key::of(word));
        }
    }

    loom::model(|| {
        let word = Arc::new(AtomicU32::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let word = Arc::clone(&word);
                let inside = Arc::clone(&inside);
                loom::thread::spawn(move || {
                    lock(&word);
                    assert_eq!(inside.fetch_add(1, Ordering::Relaxed), 0);
                    inside.fetch_sub(1, Ordering::Relaxed);
                    unlock(&word);
                })
            })
            .collect();
        lock(&word);
        assert_eq!(inside.fetch_add(1, Ordering::Relaxed), 0);
        inside.fetch_sub(1, Ordering::Relaxed);
        unlock(&word);
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(word.load(Ordering::Relaxed) & LOCKED, 0);
    });
}

/// A waiter that finds itself notified before the waker's unpark reaches
/// it goes on and blocks on something else, here a join. The late unpark
/// must wake only a park, never that join (under loom a thread unpark
/// makes the joining thread runnable, and loom fails the model). Two
/// waiters, so that the waker unparks one after the other, and the second
/// may be joining by then.
#[test]
fn loom_late_unpark_wakes_only_a_park() {
    fn wait_for(word: &AtomicU32) {
        while word.load(Ordering::Acquire) == 0 {
            let _ = park(
                Key::of(word),
                || word.load(Ordering::Acquire) == 0,
                || {},
                Deadline::NEVER,
            );
        }
    }

    loom::model(|| {
        let word = Arc::new(AtomicU32::new(0));
        let other = {
            let word = Arc::clone(&word);
            loom::thread::spawn(move || wait_for(&word))
        };
        let waker = {
            let word = Arc::clone(&word);
            loom::thread::spawn(move || {
                word.store(1, Ordering::Release);
                unpark(Key::of(&*word), 2);
            })
        };
        wait_for(&word);
        other.join().unwrap();
        waker.join().unwrap();
    });
}

/// Takes one unit of `count` if there is one.
fn try_take(count: &AtomicU32) -> bool {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

/// A cancel racing a notify, for two waiters of one key: one obeys a token
/// that is cancelled while an item is put and one waiter notified. The
/// cancelled waiter either took the item (it got there first) or took
/// nothing; and a notify spent on it as it was cancelled is passed on, so
/// the other waiter, which waits without a limit until the item is taken,
/// is never left parked (loom would report that as a deadlock).
#[test]
fn loom_cancel_versus_notify() {
    loom::model(|| {
        let count = Arc::new(AtomicU32::new(0));
        // Set once the item is taken, by whoever took it.
        let taken = Arc::new(AtomicU32::new(0));
        let token = CancellationToken::new();
        let cancellable = {
            let (count, taken, token) = (Arc::clone(&count), Arc::clone(&taken), token.clone());
            loom::thread::spawn(move || {
                let _current = token.install();
                loop {
                    if try_take(&count) {
                        taken.store(1, Ordering::Release);
                        unpark_one(Key::of(&*count));
                        return true;
                    }
                    let wake = park_cancellable(
                        Key::of(&*count),
                        || count.load(Ordering::Acquire) == 0,
                        || {},
                        Deadline::NEVER,
                    );
                    if wake == Wake::Cancelled {
                        return false;
                    }
                }
            })
        };
        let plain = {
            let (count, taken) = (Arc::clone(&count), Arc::clone(&taken));
            loom::thread::spawn(move || {
                loop {
                    if try_take(&count) {
                        taken.store(1, Ordering::Release);
                        return true;
                    }
                    if taken.load(Ordering::Acquire) == 1 {
                        return false;
                    }
                    let _ = park(
                        Key::of(&*count),
                        || count.load(Ordering::Acquire) == 0 && taken.load(Ordering::Acquire) == 0,
                        || {},
                        Deadline::NEVER,
                    );
                }
            })
        };
        let canceller = loom::thread::spawn(move || token.cancel());
        count.store(1, Ordering::Release);
        unpark_one(Key::of(&*count));
        canceller.join().unwrap();
        let by_cancellable = cancellable.join().unwrap();
        let by_plain = plain.join().unwrap();
        // Exactly one of them has the item: it was neither lost nor taken twice.
        assert!(by_cancellable ^ by_plain);
        assert_eq!(count.load(Ordering::Acquire), 0);
    });
}

/// A token tree: a child made while its parent is cancelled, and a
/// callback registered meanwhile. The child ends cancelled whichever came
/// first, and the callback runs exactly once, before `cancel` returns or
/// at its registration.
#[test]
fn loom_token_tree() {
    loom::model(|| {
        let parent = CancellationToken::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let maker = {
            let (parent, ran) = (parent.clone(), Arc::clone(&ran));
            loom::thread::spawn(move || {
                let child = parent.child();
                let grandchild = child.child();
                let _ = child.on_cancel(move || {
                    ran.fetch_add(1, Ordering::Relaxed);
                });
                (child, grandchild)
            })
        };
        parent.cancel();
        let (child, grandchild) = maker.join().unwrap();
        assert!(child.is_cancelled() && grandchild.is_cancelled());
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    });
}

/// A token cancelled while its waiter parks with a deadline: the wait ends
/// cancelled or timed out, never parked for ever, and a later wait that
/// does not obey the token is not disturbed by it.
#[test]
fn loom_cancel_versus_deadline() {
    loom::model(|| {
        let word = Arc::new(AtomicU32::new(0));
        let token = CancellationToken::new();
        let waiter = {
            let (word, token) = (Arc::clone(&word), token.clone());
            loom::thread::spawn(move || {
                let _current = token.install();
                let first = park_cancellable(Key::of(&*word), || true, || {}, soon());
                // A plain wait after it: only the store and unpark below end it.
                while word.load(Ordering::Acquire) == 0 {
                    let wake = park(
                        Key::of(&*word),
                        || word.load(Ordering::Acquire) == 0,
                        || {},
                        Deadline::NEVER,
                    );
                    assert_ne!(wake, Wake::Cancelled);
                }
                first
            })
        };
        token.cancel();
        word.store(1, Ordering::Release);
        unpark_one(Key::of(&*word));
        let first = waiter.join().unwrap();
        assert!(matches!(
            first,
            Wake::Cancelled | Wake::TimedOut | Wake::Notified
        ));
    });
}
