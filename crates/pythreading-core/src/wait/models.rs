//! loom models of the parking table's hand-offs (`cargo xtask ci` runs them
//! with `--cfg loom`). Every key shares one bucket under loom.
//!
//! Each model is exhaustive within the preemption bound CI sets
//! (`LOOM_MAX_PREEMPTIONS`).

use super::{Deadline, Key, Wake, park, unpark, unpark_one};
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
            Wake::TimedOut | Wake::Invalid => assert!(!woke),
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
