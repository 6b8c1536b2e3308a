//! Every method and every error of Lock, RLock, Condition, Semaphore,
//! BoundedSemaphore and Event, through the public API.
//!
//! Waits in these tests are bounded (a broken primitive fails a test, it
//! does not hang the suite), and timing checks only say "waited at least",
//! never "at most": the machines running them are small and noisy.

use std::error::Error;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::wait_until;

use pythreading_sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, SyncError,
};

/// Long enough that a correct primitive never hits it.
const PATIENCE: Duration = Duration::from_secs(20);
const SHORT: Duration = Duration::from_millis(50);

/// Runs `f` on a thread and returns its result, failing after PATIENCE.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(PATIENCE)
        .expect("did not finish in time: a hang")
}

// ---------------------------------------------------------------- errors

#[test]
fn errors_are_std_errors_with_pythons_messages() {
    fn is_error<E: Error + Send + Sync + 'static>() {}
    is_error::<SyncError>();
    let cases = [
        (SyncError::ReleaseUnlocked, "release unlocked lock"),
        (SyncError::NotOwner, "cannot release un-acquired lock"),
        (
            SyncError::TooManyReleases,
            "Semaphore released too many times",
        ),
        (SyncError::BrokenBarrier, "barrier is broken"),
        // The error a Barrier of no parties really returns, not one built here.
        (
            Barrier::new(0).expect_err("0 parties is refused"),
            "parties must be > 0",
        ),
        (
            SyncError::TaskDoneTooManyTimes,
            "task_done() called too many times",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
    }
}

// ------------------------------------------------------------------ Lock

/// The named constructors behave as the plain ones, with or without the
/// `deadlock-detection` feature (without it the name is ignored).
#[test]
fn named_locks_are_ordinary_locks() {
    let lock = Lock::named("db");
    assert!(lock.try_acquire());
    assert!(!lock.try_acquire());
    lock.release().unwrap();
    assert_eq!(format!("{lock:?}"), "<unlocked Lock>");

    let rlock = RLock::named("cache");
    let _outer = rlock.guard();
    let _inner = rlock.guard();
    assert_eq!(rlock.recursion_count(), 2);

    let cond = Condition::named("ready");
    let _held = cond.guard();
    assert_eq!(cond.wait_timeout(Duration::from_millis(1)), Ok(false));

    let pool = Semaphore::named("pool", 2);
    assert_eq!(pool.value(), 2);
    let bounded = BoundedSemaphore::named("slots", 1);
    assert_eq!(bounded.release(), Err(SyncError::TooManyReleases));
    assert!(bounded.try_acquire());
    assert!(!bounded.try_acquire());
    bounded.release().unwrap();
}

#[test]
fn lock_acquire_release_locked() {
    let lock = Lock::new();
    assert!(!lock.locked());
    lock.acquire();
    assert!(lock.locked());
    assert_eq!(lock.release(), Ok(()));
    assert!(!lock.locked());
}

#[test]
fn lock_release_unlocked_is_an_error_and_changes_nothing() {
    let lock = Lock::default();
    assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
    assert!(!lock.locked());
    assert!(lock.try_acquire());
    assert_eq!(lock.release(), Ok(()));
    assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
}

#[test]
fn lock_try_acquire_does_not_block() {
    let lock = Lock::new();
    assert!(lock.try_acquire());
    assert!(!lock.try_acquire());
    lock.release().unwrap();
}

#[test]
fn lock_acquire_timeout_waits_then_gives_up() {
    let lock = Lock::new();
    lock.acquire();
    let start = Instant::now();
    assert!(!lock.acquire_timeout(SHORT));
    assert!(start.elapsed() >= SHORT);
    assert!(!lock.acquire_timeout(Duration::ZERO));
    lock.release().unwrap();
    assert!(lock.acquire_timeout(Duration::ZERO));
    lock.release().unwrap();
    // An enormous timeout is "for ever", not an overflow.
    assert!(lock.acquire_timeout(Duration::MAX));
}

#[test]
fn lock_is_not_owned_another_thread_may_release() {
    let lock = Arc::new(Lock::new());
    lock.acquire();
    let other = Arc::clone(&lock);
    bounded(move || other.release()).unwrap();
    assert!(!lock.locked());
}

#[test]
fn lock_blocked_acquire_wakes_on_release() {
    let lock = Arc::new(Lock::new());
    lock.acquire();
    let waiter = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || lock.acquire_timeout(PATIENCE))
    };
    wait_until("the waiter blocks", || lock.contended());
    lock.release().unwrap();
    assert!(waiter.join().unwrap());
    assert!(lock.locked());
}

#[test]
fn lock_guards_release_on_drop_and_on_panic() {
    let lock = Lock::new();
    {
        let guard = lock.guard();
        assert!(guard.lock().locked());
        assert!(lock.try_guard().is_none());
        assert!(lock.guard_timeout(SHORT).is_none());
    }
    assert!(!lock.locked());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _held = lock.guard();
        panic!("inside the lock");
    }));
    assert!(result.is_err());
    assert!(
        !lock.locked(),
        "a panic must release the lock, never poison it"
    );
    assert!(lock.try_guard().is_some());
    assert!(lock.guard_timeout(SHORT).is_some());
}

#[test]
fn lock_guard_may_be_dropped_on_another_thread() {
    static LOCK: Lock = Lock::new();
    let guard = LOCK.guard();
    thread::scope(|s| {
        s.spawn(move || drop(guard));
    });
    assert!(!LOCK.locked());
}

/// A guard whose hold was ended by hand (`release()`) does nothing when
/// dropped: it never releases a later hold, whoever took it.
#[test]
fn lock_guard_releases_only_the_hold_it_took() {
    let lock = Arc::new(Lock::new());
    let guard = lock.guard();
    lock.release().unwrap();
    let other = Arc::clone(&lock);
    bounded(move || other.acquire());
    drop(guard);
    assert!(lock.locked(), "the guard released another thread's hold");
    lock.release().unwrap();

    // The same on one thread, and with a guard taken in between.
    let guard = lock.guard();
    lock.release().unwrap();
    lock.acquire();
    drop(guard);
    assert!(lock.locked(), "the guard released a later hold");
    lock.release().unwrap();
    let stale = lock.guard();
    lock.release().unwrap();
    let fresh = lock.try_guard().expect("free");
    drop(stale);
    assert!(lock.locked(), "a stale guard released a fresh guard's hold");
    drop(fresh);
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
}

#[test]
fn lock_mutual_exclusion_under_contention() {
    let lock = Arc::new(Lock::new());
    let counter = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (lock, counter) = (Arc::clone(&lock), Arc::clone(&counter));
            thread::spawn(move || {
                for _ in 0..10_000 {
                    let _g = lock.guard();
                    let v = counter.load(Ordering::Relaxed);
                    counter.store(v + 1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::Relaxed), 40_000);
}

// ----------------------------------------------------------------- RLock

#[test]
fn rlock_is_reentrant_and_counts_levels() {
    let lock = RLock::new();
    assert!(!lock.is_owned());
    assert_eq!(lock.recursion_count(), 0);
    lock.acquire();
    assert!(lock.try_acquire());
    assert!(lock.acquire_timeout(SHORT));
    assert_eq!(lock.recursion_count(), 3);
    assert!(lock.is_owned() && lock.locked());
    for left in (0..3).rev() {
        lock.release().unwrap();
        assert_eq!(lock.recursion_count(), left);
    }
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(SyncError::NotOwner));
}

#[test]
fn rlock_release_by_non_owner_is_not_owner() {
    let lock = Arc::new(RLock::default());
    lock.acquire();
    let other = Arc::clone(&lock);
    let (released, owned, count) =
        bounded(move || (other.release(), other.is_owned(), other.recursion_count()));
    assert_eq!(released, Err(SyncError::NotOwner));
    assert!(!owned);
    assert_eq!(count, 0);
    assert!(lock.is_owned(), "a refused release changes nothing");
    lock.release().unwrap();
}

#[test]
fn rlock_excludes_other_threads_until_fully_released() {
    let lock = Arc::new(RLock::new());
    let _outer = lock.guard();
    let inner = lock.guard();
    let other = Arc::clone(&lock);
    assert!(!bounded(move || other.try_acquire()));
    let other = Arc::clone(&lock);
    assert!(!bounded(move || other.acquire_timeout(SHORT)));
    drop(inner);
    let other = Arc::clone(&lock);
    assert!(!bounded(move || other.try_acquire()));
    drop(_outer);
    let other = Arc::clone(&lock);
    assert!(bounded(move || {
        let got = other.try_acquire();
        other.release().unwrap();
        got
    }));
}

#[test]
fn rlock_guards() {
    let lock = RLock::new();
    {
        let a = lock.guard();
        let b = lock.try_guard().expect("re-entrant");
        let c = lock.guard_timeout(SHORT).expect("re-entrant");
        assert_eq!(a.lock().recursion_count(), 3);
        drop((b, c));
        assert_eq!(lock.recursion_count(), 1);
    }
    assert!(!lock.locked());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _a = lock.guard();
        let _b = lock.guard();
        panic!("inside");
    }));
    assert!(result.is_err());
    assert!(!lock.locked());
}

/// An RLock guard releases its level only while the hold it was taken in
/// lasts: once the lock was released by hand down to free, the guard does
/// nothing when dropped.
#[test]
fn rlock_guard_releases_only_the_hold_it_took() {
    let lock = RLock::new();
    let guard = lock.guard();
    lock.release().unwrap();
    assert!(!lock.locked());
    lock.acquire();
    drop(guard);
    assert_eq!(lock.recursion_count(), 1, "the guard released a later hold");
    lock.release().unwrap();
    assert!(!lock.locked());

    // Within one hold, levels are alike: a level released by hand and the
    // guards' drops add up to what was taken.
    let outer = lock.guard();
    let inner = lock.guard();
    lock.release().unwrap();
    drop(inner);
    assert!(!lock.locked());
    drop(outer);
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(SyncError::NotOwner));
}

// ------------------------------------------------------------- Condition

/// A Condition's guard outlives `wait` (which releases and retakes the
/// lock) and still releases, but a stale one never releases a later hold.
#[test]
fn condition_guard_survives_wait_and_releases_only_its_hold() {
    let cond = Condition::new();
    {
        let _held = cond.guard();
        assert_eq!(cond.wait_timeout(Duration::from_millis(1)), Ok(false));
        assert!(cond.is_owned());
    }
    assert!(
        !cond.lock().locked(),
        "the guard no longer released after wait"
    );
    let guard = cond.guard();
    cond.release().unwrap();
    cond.acquire();
    drop(guard);
    assert!(cond.is_owned(), "the guard released a later hold");
    cond.release().unwrap();
    assert!(!cond.lock().locked());
}

#[test]
fn condition_without_the_lock_is_not_owner() {
    let cond = Condition::new();
    assert_eq!(cond.wait(), Err(SyncError::NotOwner));
    assert_eq!(cond.wait_timeout(SHORT), Err(SyncError::NotOwner));
    assert_eq!(cond.wait_for(|| true, None), Err(SyncError::NotOwner));
    assert_eq!(cond.notify(1), Err(SyncError::NotOwner));
    assert_eq!(cond.notify_all(), Err(SyncError::NotOwner));
    assert_eq!(cond.release(), Err(SyncError::NotOwner));
    assert!(!cond.is_owned());
}

#[test]
fn condition_lock_methods() {
    let cond = Condition::default();
    cond.acquire();
    assert!(cond.is_owned());
    assert!(cond.try_acquire());
    assert!(cond.acquire_timeout(SHORT));
    assert_eq!(cond.lock().recursion_count(), 3);
    for _ in 0..3 {
        cond.release().unwrap();
    }
    assert!(!cond.lock().locked());
    {
        let _g = cond.guard();
        assert!(cond.is_owned());
    }
    assert!(!cond.is_owned());
}

#[test]
fn condition_wait_timeout_times_out_and_keeps_the_lock() {
    let cond = Condition::new();
    let _g = cond.guard();
    let start = Instant::now();
    assert_eq!(cond.wait_timeout(SHORT), Ok(false));
    assert!(start.elapsed() >= SHORT);
    assert!(cond.is_owned());
    assert_eq!(cond.waiting(), 0, "a timed-out waiter leaves the queue");
}

#[test]
fn condition_wait_restores_recursive_depth() {
    let cond = Arc::new(Condition::new());
    let woke = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (cond, woke) = (Arc::clone(&cond), Arc::clone(&woke));
        thread::spawn(move || {
            cond.acquire();
            cond.acquire();
            cond.acquire();
            let ok = cond.wait_for(|| woke.load(Ordering::SeqCst), Some(PATIENCE));
            let depth = cond.lock().recursion_count();
            for _ in 0..depth {
                cond.release().unwrap();
            }
            (ok, depth)
        })
    };
    // While the waiter sleeps, the lock is free for us: it released all levels.
    let deadline = Instant::now() + PATIENCE;
    while cond.waiting() == 0 {
        assert!(Instant::now() < deadline, "waiter never waited");
        thread::sleep(Duration::from_millis(1));
    }
    assert!(cond.acquire_timeout(PATIENCE));
    woke.store(true, Ordering::SeqCst);
    cond.notify(1).unwrap();
    cond.release().unwrap();
    assert_eq!(waiter.join().unwrap(), (Ok(true), 3));
}

#[test]
fn condition_notify_n_wakes_exactly_n() {
    let cond = Arc::new(Condition::new());
    let woken = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = (0..5)
        .map(|_| {
            let (cond, woken) = (Arc::clone(&cond), Arc::clone(&woken));
            thread::spawn(move || {
                let _g = cond.guard();
                if cond.wait_timeout(PATIENCE).unwrap() {
                    woken.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + PATIENCE;
    while cond.waiting() < 5 {
        assert!(Instant::now() < deadline);
        thread::sleep(Duration::from_millis(1));
    }
    {
        let _g = cond.guard();
        cond.notify(2).unwrap();
        cond.notify(0).unwrap();
    }
    let deadline = Instant::now() + PATIENCE;
    while woken.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline);
        thread::sleep(Duration::from_millis(1));
    }
    // notify takes the waiters it wakes out of the queue: the other three
    // are still in it, so none of them was woken.
    assert_eq!(cond.waiting(), 3);
    assert_eq!(
        woken.load(Ordering::SeqCst),
        2,
        "notify(2) woke more than 2"
    );
    assert_eq!(cond.waiting(), 3);
    {
        let _g = cond.guard();
        cond.notify_all().unwrap();
    }
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(woken.load(Ordering::SeqCst), 5);
}

#[test]
fn condition_wait_for_timeout_returns_last_predicate_value() {
    let cond = Condition::new();
    let _g = cond.guard();
    let calls = AtomicUsize::new(0);
    let start = Instant::now();
    let result = cond.wait_for(
        || {
            calls.fetch_add(1, Ordering::SeqCst);
            false
        },
        Some(SHORT),
    );
    assert_eq!(result, Ok(false));
    assert!(start.elapsed() >= SHORT);
    assert!(calls.load(Ordering::SeqCst) >= 1);
    // A true predicate returns at once without waiting.
    assert_eq!(cond.wait_for(|| true, Some(Duration::ZERO)), Ok(true));
    assert_eq!(cond.wait_for(|| false, Some(Duration::ZERO)), Ok(false));
}

// ------------------------------------------------------------- Semaphore

#[test]
fn semaphore_counts() {
    let s = Semaphore::new(2);
    assert_eq!(s.value(), 2);
    s.acquire();
    assert!(s.try_acquire());
    assert!(!s.try_acquire());
    assert!(!s.acquire_timeout(SHORT));
    assert_eq!(s.value(), 0);
    s.release();
    assert_eq!(s.value(), 1);
    s.release_n(3);
    assert_eq!(s.value(), 4, "a plain Semaphore may grow past its start");
    s.release_n(0);
    assert_eq!(s.value(), 4);
    assert_eq!(Semaphore::default().value(), 1);
}

#[test]
fn semaphore_zero_blocks_until_release_from_another_thread() {
    let s = Arc::new(Semaphore::new(0));
    let waiter = {
        let s = Arc::clone(&s);
        thread::spawn(move || s.acquire_timeout(PATIENCE))
    };
    wait_until("the waiter blocks", || s.waiting() == 1);
    s.release();
    assert!(waiter.join().unwrap());
    assert_eq!(s.value(), 0);
}

#[test]
fn semaphore_release_n_wakes_n_waiters() {
    let s = Arc::new(Semaphore::new(0));
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let s = Arc::clone(&s);
            thread::spawn(move || s.acquire_timeout(PATIENCE))
        })
        .collect();
    wait_until("three waiters block", || s.waiting() == 3);
    s.release_n(3);
    for w in waiters {
        assert!(w.join().unwrap());
    }
    assert_eq!(s.value(), 0);
}

#[test]
fn semaphore_guards() {
    let s = Semaphore::new(1);
    {
        let _g = s.guard();
        assert_eq!(s.value(), 0);
        assert!(s.try_guard().is_none());
        assert!(s.guard_timeout(SHORT).is_none());
    }
    assert_eq!(s.value(), 1);
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _g = s.guard();
        panic!("inside");
    }));
    assert_eq!(s.value(), 1);
    assert!(s.try_guard().is_some());
    assert!(s.guard_timeout(SHORT).is_some());
}

/// Units are alike: a release by hand while a guard is alive gives back
/// one more unit (it does not end the guard's), and the guard still gives
/// its own back; a bounded semaphore refuses the one that would pass its
/// bound.
#[test]
fn semaphore_guard_with_a_release_by_hand() {
    let s = Semaphore::new(1);
    let guard = s.guard();
    s.release();
    assert_eq!(s.value(), 1);
    drop(guard);
    assert_eq!(s.value(), 2, "a plain Semaphore counts both releases");

    let b = BoundedSemaphore::new(1);
    let guard = b.guard();
    b.release().unwrap();
    drop(guard);
    assert_eq!(b.value(), 1, "never above the bound");
}

#[test]
fn bounded_semaphore_refuses_over_release_and_changes_nothing() {
    let s = BoundedSemaphore::new(3);
    assert_eq!(s.initial_value(), 3);
    assert_eq!(s.release(), Err(SyncError::TooManyReleases));
    assert_eq!(s.value(), 3);
    s.acquire();
    assert!(s.try_acquire());
    assert!(s.acquire_timeout(SHORT));
    assert!(!s.acquire_timeout(SHORT));
    assert_eq!(s.release_n(4), Err(SyncError::TooManyReleases));
    assert_eq!(s.value(), 0, "a refused release_n changes nothing");
    assert_eq!(s.release_n(2), Ok(()));
    assert_eq!(s.release_n(0), Ok(()));
    assert_eq!(s.release(), Ok(()));
    assert_eq!(s.release(), Err(SyncError::TooManyReleases));
    assert_eq!(s.value(), 3);
    {
        let _g = s.guard();
        assert!(s.try_guard().is_some());
        assert!(s.guard_timeout(SHORT).is_some());
    }
    assert_eq!(s.value(), 3);
    assert_eq!(BoundedSemaphore::default().initial_value(), 1);
}

#[test]
fn semaphore_never_admits_more_than_its_value() {
    let s = Arc::new(BoundedSemaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (s, inside, peak) = (Arc::clone(&s), Arc::clone(&inside), Arc::clone(&peak));
            thread::spawn(move || {
                for _ in 0..500 {
                    let _g = s.guard();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(peak.load(Ordering::SeqCst) <= 3);
    assert_eq!(s.value(), 3);
}

// ----------------------------------------------------------------- Event

#[test]
fn event_set_clear_is_set() {
    let e = Event::default();
    assert!(!e.is_set());
    assert!(!e.wait_timeout(SHORT));
    assert_eq!(e.waiting(), 0, "a timed-out waiter leaves");
    e.set();
    assert!(e.is_set());
    e.set();
    assert!(e.is_set());
    e.wait();
    assert!(e.wait_timeout(Duration::ZERO));
    e.clear();
    assert!(!e.is_set());
    assert!(!e.wait_timeout(Duration::ZERO));
    assert_eq!(e.waiting(), 0);
}

#[test]
fn event_set_wakes_every_waiter() {
    let e = Arc::new(Event::new());
    let waiters: Vec<_> = (0..6)
        .map(|_| {
            let e = Arc::clone(&e);
            thread::spawn(move || e.wait_timeout(PATIENCE))
        })
        .collect();
    wait_until("six waiters block", || e.waiting() == 6);
    e.set();
    for w in waiters {
        assert!(w.join().unwrap());
    }
}

#[test]
fn event_waiter_present_at_set_returns_true_even_if_cleared() {
    let e = Arc::new(Event::new());
    let waiter = {
        let e = Arc::clone(&e);
        thread::spawn(move || e.wait_timeout(PATIENCE))
    };
    wait_until("the waiter blocks", || e.waiting() == 1);
    e.set();
    e.clear();
    // Python returns True here too: the waiter was signalled.
    assert!(waiter.join().unwrap());
    assert!(!e.is_set());
}

#[test]
fn event_blocking_wait_returns_after_set() {
    let e = Arc::new(Event::new());
    let setter = {
        let e = Arc::clone(&e);
        thread::spawn(move || {
            wait_until("the waiter blocks", || e.waiting() == 1);
            e.set();
        })
    };
    let e2 = Arc::clone(&e);
    bounded(move || e2.wait());
    setter.join().unwrap();
}

// ------------------------------------------------------------ Debug text

#[test]
fn debug_texts() {
    assert_eq!(format!("{:?}", Lock::new()), "<unlocked Lock>");
    assert_eq!(format!("{:?}", RLock::new()), "<unlocked RLock count=0>");
    assert_eq!(format!("{:?}", Semaphore::new(2)), "<Semaphore value=2>");
    assert_eq!(
        format!("{:?}", BoundedSemaphore::new(2)),
        "<BoundedSemaphore value=2/2>"
    );
    assert_eq!(format!("{:?}", Event::new()), "<Event unset>");
    assert_eq!(
        format!("{:?}", Condition::new()),
        "<Condition(<unlocked RLock count=0>, 0)>"
    );
    let s = Semaphore::new(1);
    let g = s.guard();
    assert!(format!("{g:?}").contains("SemaphoreGuard"));
}
