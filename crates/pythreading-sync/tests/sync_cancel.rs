//! Cancellation of the locks, semaphores, Event, Condition, Barrier and
//! Timer, through the public API: every `*_cancellable` form and every call
//! that obeys the calling thread's token, and the calls that do not.
//!
//! A test that cancels a blocked call first checks that the thread is
//! blocked: parked under the token it obeys (`CancellationToken::parked`),
//! never a sleep and a hope. What a cancelled call leaves behind is checked
//! too: it holds nothing (the lock is still free or still the other
//! holder's, the semaphore's value is unchanged, the event is unset), and
//! the other waiters are still woken. Waits are bounded (a hang fails a
//! test) and times are generous: the machine may be slow and shared.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

mod common;
use common::{PATIENCE, join_all, wait_until};

use pythreading_core::{CancellationToken, Cancelled, ThreadError};
use pythreading_sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, SyncError, Timer,
};

/// A finite timeout that never passes during a test.
const LONG: Duration = Duration::from_secs(3600);
/// A timeout that passes during a test, for the waits that must time out.
const SHORT: Duration = Duration::from_millis(50);
/// A finite timeout for a wait that the token must end before it passes
/// (however slow the machine, a cancelled token is seen well within it).
const BOUNDED: Duration = Duration::from_secs(20);

/// Waits until `n` threads are parked in a wait that obeys `token`.
fn wait_parked(token: &CancellationToken, n: usize) {
    let start = Instant::now();
    while token.parked() < n {
        assert!(
            start.elapsed() < PATIENCE,
            "no thread parked under the token"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Joins one thread, failing the test if it does not finish in time.
fn join<T>(handle: JoinHandle<T>) -> T {
    join_all(vec![handle]).pop().expect("one result")
}

/// A cancelled token.
fn cancelled() -> CancellationToken {
    let token = CancellationToken::new();
    token.cancel();
    token
}

/// Which token a blocked call obeys when it is cancelled.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// The token installed on its thread.
    Own,
    /// The parent of the token installed on its thread.
    Parent,
}

const BOTH: [Via; 2] = [Via::Own, Via::Parent];

/// Runs `call` on a new thread whose current token is a new token (or its
/// child), waits until that thread is parked under it, cancels the token,
/// and returns what `call` returned.
fn cancel_blocked<T: Send + 'static>(via: Via, call: impl FnOnce() -> T + Send + 'static) -> T {
    let token = CancellationToken::new();
    let installed = match via {
        Via::Own => token.clone(),
        Via::Parent => token.child(),
    };
    let blocked = {
        let installed = installed.clone();
        thread::spawn(move || installed.run(call))
    };
    wait_parked(&installed, 1);
    token.cancel();
    join(blocked)
}

/// Runs `call` on a new thread under a cancelled token.
fn under_cancelled<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> T {
    let token = cancelled();
    join(thread::spawn(move || token.run(call)))
}

/// Timeouts of a cancellable wait that blocks until it is cancelled (none
/// of them passes during a test).
const BLOCKING_TIMEOUTS: [Option<Duration>; 3] = [None, Some(Duration::MAX), Some(LONG)];

/// The locks and semaphores, seen through their cancellable forms (each
/// method delegates to the type's own).
trait Cancellable: Send + Sync + 'static {
    /// `acquire_cancellable(timeout)`.
    fn cancellable_acquire(&self, timeout: Option<Duration>) -> Result<bool, Cancelled>;
    /// `guard_cancellable()`, its guard dropped at once.
    fn cancellable_guard(&self) -> Result<(), Cancelled>;
}

macro_rules! cancellable {
    ($($ty:ty),*) => {$(
        impl Cancellable for $ty {
            fn cancellable_acquire(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
                <$ty>::acquire_cancellable(self, timeout)
            }
            fn cancellable_guard(&self) -> Result<(), Cancelled> {
                <$ty>::guard_cancellable(self).map(drop)
            }
        }
    )*};
}

cancellable!(Lock, RLock, Condition, Semaphore, BoundedSemaphore);

/// Timeouts of the cancellable acquires that would wait, tried under a
/// cancelled token (a finite one, and the longest, and none).
const CANCELLED_TIMEOUTS: [Option<Duration>; 3] = [Some(BOUNDED), Some(Duration::MAX), None];

/// Runs, on a new thread under a cancelled token, with `target` not to be
/// taken at once: a plain try (a zero timeout), which says no, then
/// `acquire_cancellable` with each of `waits` and, if `guard`,
/// `guard_cancellable`, each of which is cancelled at once.
fn assert_unavailable_forms_cancelled<T: Cancellable>(
    target: &Arc<T>,
    waits: &'static [Option<Duration>],
    guard: bool,
) {
    let target = Arc::clone(target);
    let (tried, waited, guarded) = under_cancelled(move || {
        let tried = target.cancellable_acquire(Some(Duration::ZERO));
        let waited: Vec<_> = waits
            .iter()
            .map(|&timeout| target.cancellable_acquire(timeout))
            .collect();
        (tried, waited, guard.then(|| target.cancellable_guard()))
    });
    assert_eq!(tried, Ok(false));
    assert_eq!(waited, vec![Err(Cancelled); waits.len()], "{waits:?}");
    assert_eq!(guarded, guard.then_some(Err(Cancelled)));
}

/// `target` is free: under a cancelled token, every cancellable acquire
/// takes it without waiting (so the token is never looked at), and
/// `release` gives it back after each.
fn assert_free_forms_take_it<T: Cancellable>(
    target: &Arc<T>,
    release: fn(&T) -> Result<(), SyncError>,
) {
    for timeout in [None, Some(Duration::ZERO), Some(SHORT), Some(Duration::MAX)] {
        let target = Arc::clone(target);
        let outcome =
            under_cancelled(move || (target.cancellable_acquire(timeout), release(&target)));
        assert_eq!(outcome, (Ok(true), Ok(())), "free, {timeout:?}");
    }
}

/// Blocks `acquire_cancellable(timeout)` of `target` (which cannot be
/// taken) on a new thread, cancels it there through `via`, checks that it
/// returned `Cancelled`, and returns what `after` then saw on that thread.
fn acquire_cancelled_while_blocked<T: Cancellable, S: Send + 'static>(
    via: Via,
    target: &Arc<T>,
    timeout: Option<Duration>,
    after: fn(&T) -> S,
) -> S {
    let waiter = Arc::clone(target);
    let (outcome, seen) = cancel_blocked(via, move || {
        let outcome = waiter.cancellable_acquire(timeout);
        (outcome, after(&waiter))
    });
    assert_eq!(outcome, Err(Cancelled), "{via:?}, {timeout:?}");
    seen
}

/// Blocks `guard_cancellable()` of `target` (which cannot be taken) on a
/// new thread, cancels it there through `via`, and checks that it returned
/// `Cancelled`.
fn guard_cancelled_while_blocked<T: Cancellable>(via: Via, target: &Arc<T>) {
    let waiter = Arc::clone(target);
    let outcome = cancel_blocked(via, move || waiter.cancellable_guard());
    assert_eq!(outcome, Err(Cancelled), "{via:?}");
}

/// Runs `wait(target, SHORT)`, a plain timed wait that says whether it got
/// what it waited for, on a new thread under a cancelled token: it times
/// out, and is not ended early by the token.
fn assert_plain_wait_times_out<T: Send + Sync + 'static>(
    target: &Arc<T>,
    wait: fn(&T, Duration) -> bool,
) {
    let target = Arc::clone(target);
    let (taken, waited) = under_cancelled(move || {
        let start = Instant::now();
        (wait(&target, SHORT), start.elapsed())
    });
    assert!(!taken, "took it");
    assert!(waited >= SHORT, "gave up after {waited:?}");
}

// ---------------------------------------------------------------- errors

#[test]
fn sync_error_has_a_cancelled_variant_with_its_own_message() {
    let error = SyncError::Cancelled;
    assert_eq!(error.to_string(), "the wait was cancelled");
    assert_ne!(error, SyncError::BrokenBarrier);
    assert_eq!(SyncError::from(Cancelled), SyncError::Cancelled);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    assert_eq!(boxed.to_string(), "the wait was cancelled");
}

// ---------------------------------------------------------------- Lock

#[test]
fn lock_acquire_cancellable_cancelled_while_blocked_holds_nothing() {
    for via in BOTH {
        for timeout in BLOCKING_TIMEOUTS {
            let lock = Arc::new(Lock::new());
            lock.acquire();
            acquire_cancelled_while_blocked(via, &lock, timeout, |_| ());
            // Still this thread's hold: releasing it works once, and wakes
            // nobody who is not there.
            assert!(lock.locked());
            lock.release().unwrap();
            assert!(!lock.locked());
            assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
            assert!(lock.try_acquire(), "a free lock is taken at once");
            lock.release().unwrap();
        }
    }
}

#[test]
fn lock_guard_cancellable_cancelled_while_blocked_holds_nothing() {
    for via in BOTH {
        let lock = Arc::new(Lock::new());
        let held = lock.guard();
        guard_cancelled_while_blocked(via, &lock);
        assert!(lock.locked());
        drop(held);
        assert!(!lock.locked());
    }
}

#[test]
fn lock_cancellable_forms_under_a_cancelled_token() {
    let lock = Arc::new(Lock::new());
    // Free: taken without waiting, so the token is never looked at.
    assert_free_forms_take_it(&lock, Lock::release);
    let guarded = {
        let lock = Arc::clone(&lock);
        under_cancelled(move || lock.guard_cancellable().map(|guard| guard.lock().locked()))
    };
    assert_eq!(guarded, Ok(true));
    assert!(!lock.locked());

    // Held: a plain try says no; every wait is cancelled at once, before
    // it marks the lock as waited for.
    lock.acquire();
    assert_unavailable_forms_cancelled(&lock, &CANCELLED_TIMEOUTS, true);
    assert!(!lock.contended(), "a cancelled wait marked the lock");
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn lock_cancellable_forms_without_a_token_wait_as_before() {
    let lock = Arc::new(Lock::new());
    lock.acquire();
    let start = Instant::now();
    assert_eq!(lock.acquire_cancellable(Some(SHORT)), Ok(false));
    assert!(start.elapsed() >= SHORT);
    let waiter = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || {
            let taken = lock.acquire_cancellable(None);
            (taken, lock.release())
        })
    };
    wait_until("the waiter is blocked", || lock.contended());
    lock.release().unwrap();
    assert_eq!(join(waiter), (Ok(true), Ok(())));
}

#[test]
fn lock_plain_forms_do_not_obey_the_token() {
    let lock = Arc::new(Lock::new());
    lock.acquire();
    // acquire_timeout times out, and is not ended early by the token.
    assert_plain_wait_times_out(&lock, Lock::acquire_timeout);

    // acquire, a long acquire_timeout and guard block until the release
    // (the lock is marked contended once a waiter is about to sleep).
    type Taking = fn(&Lock);
    let forms: [(&str, Taking); 3] = [
        ("acquire", Lock::acquire),
        ("acquire_timeout", |lock| {
            assert!(lock.acquire_timeout(LONG))
        }),
        ("guard", |lock| std::mem::forget(lock.guard())),
    ];
    for (name, take) in forms {
        let released = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (lock, released) = (Arc::clone(&lock), Arc::clone(&released));
            let token = cancelled();
            thread::spawn(move || {
                token.run(|| take(&lock));
                let after_release = released.load(Ordering::SeqCst);
                lock.release().unwrap();
                after_release
            })
        };
        wait_until("the waiter is blocked", || lock.contended());
        released.store(true, Ordering::SeqCst);
        lock.release().unwrap();
        assert!(join(waiter), "{name}: took the lock before its release");
        assert!(!lock.locked(), "{name}");
        lock.acquire();
    }
    lock.release().unwrap();
}

/// A waiter cancelled next to another one (which obeys a token nobody
/// cancels, so that it can be seen parked): the holder's release still
/// wakes the other one, round after round (a wake-up spent on the cancelled
/// one, or a mark lost with it, would leave it parked).
#[test]
fn lock_cancelled_waiter_beside_another_strands_nobody() {
    for round in 0..200 {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let (token, never) = (CancellationToken::new(), CancellationToken::new());
        let waiter = |token: &CancellationToken| {
            let (lock, token) = (Arc::clone(&lock), token.clone());
            thread::spawn(move || {
                let outcome = token.run(|| lock.acquire_cancellable(Some(PATIENCE)));
                if outcome == Ok(true) {
                    lock.release().unwrap();
                }
                outcome
            })
        };
        // Either may be first in line for the release's wake-up.
        let (first, second) = if round % 2 == 0 {
            (&token, &never)
        } else {
            (&never, &token)
        };
        let first_waiter = waiter(first);
        wait_parked(first, 1);
        let second_waiter = waiter(second);
        wait_parked(second, 1);
        let (cancellable, other) = if round % 2 == 0 {
            (first_waiter, second_waiter)
        } else {
            (second_waiter, first_waiter)
        };
        let canceller = {
            let token = token.clone();
            thread::spawn(move || token.cancel())
        };
        lock.release().unwrap();
        join(canceller);
        let outcome = join(cancellable);
        assert!(
            matches!(outcome, Ok(true) | Err(Cancelled)),
            "round {round}: {outcome:?}"
        );
        assert_eq!(join(other), Ok(true), "round {round}: left waiting");
        assert!(!lock.locked(), "round {round}");
    }
}

// ---------------------------------------------------------------- RLock

#[test]
fn rlock_acquire_cancellable_cancelled_while_blocked_holds_nothing() {
    for via in BOTH {
        let lock = Arc::new(RLock::new());
        lock.acquire();
        lock.acquire();
        let seen = acquire_cancelled_while_blocked(via, &lock, None, |waiter| {
            (waiter.is_owned(), waiter.recursion_count())
        });
        assert_eq!(seen, (false, 0), "{via:?}");
        assert!(lock.is_owned());
        assert_eq!(lock.recursion_count(), 2);
        lock.release().unwrap();
        lock.release().unwrap();
        assert!(!lock.locked());
    }
}

#[test]
fn rlock_guard_cancellable_cancelled_while_blocked_holds_nothing() {
    for via in BOTH {
        let lock = Arc::new(RLock::new());
        let (held, release) = (mpsc::channel(), mpsc::channel::<()>());
        let holder = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                let _held = lock.guard();
                held.0.send(()).unwrap();
                release.1.recv().unwrap();
            })
        };
        held.1.recv().unwrap();
        guard_cancelled_while_blocked(via, &lock);
        assert!(lock.locked(), "still the holder's");
        release.0.send(()).unwrap();
        join(holder);
        assert!(!lock.locked());
    }
}

#[test]
fn rlock_cancellable_forms_under_a_cancelled_token() {
    let lock = Arc::new(RLock::new());
    // The owner's re-entrant acquire never waits: it succeeds.
    let reentrant = {
        let lock = Arc::clone(&lock);
        under_cancelled(move || {
            lock.acquire();
            let again = [
                lock.acquire_cancellable(None),
                lock.acquire_cancellable(Some(Duration::ZERO)),
                lock.guard_cancellable().map(|guard| {
                    let depth = guard.lock().recursion_count();
                    depth == 4
                }),
            ];
            let depth = lock.recursion_count();
            for _ in 0..depth {
                lock.release().unwrap();
            }
            (again, depth)
        })
    };
    assert_eq!(reentrant, ([Ok(true), Ok(true), Ok(true)], 3));
    assert!(!lock.locked());
    // Free: taken without waiting.
    assert_free_forms_take_it(&lock, RLock::release);
    // Held by another thread: a plain try says no, every wait is cancelled.
    lock.acquire();
    assert_unavailable_forms_cancelled(&lock, &CANCELLED_TIMEOUTS, true);
    assert_eq!(lock.recursion_count(), 1);
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn rlock_plain_forms_do_not_obey_the_token() {
    let lock = Arc::new(RLock::new());
    lock.acquire();
    assert_plain_wait_times_out(&lock, RLock::acquire_timeout);
    // An infallible acquire under a cancelled token ends holding the lock,
    // which it can only take once this thread has released it (the RLock
    // shows no waiter: what is checked is that it never returns without).
    let released = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (lock, released) = (Arc::clone(&lock), Arc::clone(&released));
        let token = cancelled();
        thread::spawn(move || {
            token.run(|| lock.acquire());
            let seen = (released.load(Ordering::SeqCst), lock.is_owned());
            lock.release().unwrap();
            seen
        })
    };
    released.store(true, Ordering::SeqCst);
    lock.release().unwrap();
    assert_eq!(join(waiter), (true, true));
    assert!(!lock.locked());
}

// ---------------------------------------------------------------- Condition's lock

#[test]
fn condition_acquire_cancellable_cancelled_while_blocked_holds_nothing() {
    for via in BOTH {
        let cond = Arc::new(Condition::new());
        cond.acquire();
        let owned = acquire_cancelled_while_blocked(via, &cond, None, Condition::is_owned);
        assert!(!owned, "{via:?}");
        guard_cancelled_while_blocked(via, &cond);
        assert!(cond.is_owned());
        cond.release().unwrap();
        assert!(!cond.lock().locked());
    }
}

#[test]
fn condition_lock_forms_under_a_cancelled_token() {
    let cond = Arc::new(Condition::new());
    let free = {
        let cond = Arc::clone(&cond);
        under_cancelled(move || {
            let taken = cond.acquire_cancellable(Some(SHORT));
            let guarded = cond
                .guard_cancellable()
                .map(|_| cond.lock().recursion_count());
            (taken, guarded, cond.release())
        })
    };
    assert_eq!(free, (Ok(true), Ok(2), Ok(())));
    let _held = cond.guard();
    assert_unavailable_forms_cancelled(&cond, &[Some(BOUNDED), None], false);
    // The plain timed acquire is not ended early by the token.
    assert_plain_wait_times_out(&cond, Condition::acquire_timeout);
}

// ---------------------------------------------------------------- Condition::wait

/// A Condition's waits cancelled while they wait: `Cancelled`, returned
/// holding the lock at the depth it had.
#[test]
fn condition_waits_cancelled_return_with_the_lock_held() {
    type Waiting = fn(&Condition) -> Result<bool, SyncError>;
    let waits: [(&str, Waiting); 3] = [
        ("wait", |cond| cond.wait().map(|()| true)),
        ("wait_timeout", |cond| cond.wait_timeout(LONG)),
        ("wait_for", |cond| cond.wait_for(|| false, None)),
    ];
    for via in BOTH {
        for (name, wait) in waits {
            let cond = Arc::new(Condition::new());
            let waiter = Arc::clone(&cond);
            let outcome = cancel_blocked(via, move || {
                let _a = waiter.guard();
                let _b = waiter.guard();
                let outcome = wait(&waiter);
                (outcome, waiter.is_owned(), waiter.lock().recursion_count())
            });
            assert_eq!(
                outcome,
                (Err(SyncError::Cancelled), true, 2),
                "{name}, {via:?}"
            );
            assert!(!cond.lock().locked(), "{name}: the guards released it");
            assert_eq!(cond.waiting(), 0);
        }
    }
}

/// Taking the lock back after a cancel is not cancellable: a waiter
/// cancelled while another thread holds the lock waits for it, and returns
/// holding it, after that thread let it go.
#[test]
fn condition_wait_cancelled_takes_the_lock_back_after_its_holder() {
    let cond = Arc::new(Condition::new());
    let released = Arc::new(AtomicBool::new(false));
    let token = CancellationToken::new();
    let waiter = {
        let (cond, released, token) = (Arc::clone(&cond), Arc::clone(&released), token.clone());
        thread::spawn(move || {
            let _held = cond.guard();
            let outcome = token.run(|| cond.wait());
            (outcome, released.load(Ordering::SeqCst), cond.is_owned())
        })
    };
    wait_parked(&token, 1);
    let held = cond.guard();
    token.cancel();
    // The waiter is woken, and cannot return before this thread lets go.
    released.store(true, Ordering::SeqCst);
    drop(held);
    assert_eq!(join(waiter), (Err(SyncError::Cancelled), true, true));
    assert!(!cond.lock().locked());
}

#[test]
fn condition_waits_under_a_cancelled_token() {
    let cond = Arc::new(Condition::new());
    let outcomes = {
        let cond = Arc::clone(&cond);
        under_cancelled(move || {
            let _held = cond.guard();
            let outcomes = [
                cond.wait().map(|()| true),
                cond.wait_timeout(Duration::ZERO),
                cond.wait_timeout(LONG),
                cond.wait_timeout(Duration::MAX),
                cond.wait_for(|| false, None),
                cond.wait_for(|| false, Some(LONG)),
                // A predicate true at once: no wait, so no cancellation.
                cond.wait_for(|| true, None),
            ];
            (outcomes, cond.lock().recursion_count())
        })
    };
    let cancelled = Err(SyncError::Cancelled);
    assert_eq!(
        outcomes,
        (
            [
                cancelled.clone(),
                cancelled.clone(),
                cancelled.clone(),
                cancelled.clone(),
                cancelled.clone(),
                cancelled,
                Ok(true)
            ],
            1
        )
    );
    assert!(!cond.lock().locked());
    // Without the lock, as ever.
    assert_eq!(
        under_cancelled(move || cond.wait()),
        Err(SyncError::NotOwner)
    );
}

/// Two waiters cancelled while `notify(1)` runs, beside a third that obeys
/// no token: the notification wakes exactly one waiter, round after round.
/// If the cancelled ones took none, the third is woken; if one of them took
/// it first, the third is still waiting (and a second notify wakes it).
#[test]
fn condition_notify_racing_cancels_still_wakes_a_waiter() {
    for round in 0..200 {
        let cond = Arc::new(Condition::new());
        let tokens = [CancellationToken::new(), CancellationToken::new()];
        // Parked one after the other, so that the cancelled ones are first
        // in line for the notification.
        let mut cancellable = Vec::new();
        for token in &tokens {
            let (cond, installed) = (Arc::clone(&cond), token.clone());
            cancellable.push(thread::spawn(move || {
                let _held = cond.guard();
                installed.run(|| cond.wait())
            }));
            wait_parked(token, 1);
        }
        let plain = {
            let cond = Arc::clone(&cond);
            thread::spawn(move || {
                let _held = cond.guard();
                cond.wait_timeout(PATIENCE)
            })
        };
        wait_until("three waiters", || cond.waiting() == 3);
        let start = Arc::new(std::sync::Barrier::new(2));
        let canceller = {
            let (tokens, start) = (tokens.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for token in &tokens {
                    token.cancel();
                }
            })
        };
        {
            let _held = cond.guard();
            start.wait();
            cond.notify(1).unwrap();
        }
        join(canceller);
        let outcomes = join_all(cancellable);
        let woken = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Ok(()) | Err(SyncError::Cancelled)),
                "round {round}: {outcome:?}"
            );
        }
        match woken {
            0 => assert_eq!(join(plain), Ok(true), "round {round}: notify lost"),
            1 => {
                let still_waiting = cond.waiting();
                {
                    let _held = cond.guard();
                    cond.notify(1).unwrap();
                }
                assert_eq!(join(plain), Ok(true), "round {round}");
                assert_eq!(still_waiting, 1, "round {round}: one notify woke two");
            }
            _ => panic!("round {round}: notify(1) woke {woken} waiters"),
        }
    }
}

// ---------------------------------------------------------------- semaphores

#[test]
fn semaphore_acquire_cancellable_cancelled_while_blocked_takes_no_unit() {
    for via in BOTH {
        for timeout in BLOCKING_TIMEOUTS {
            let sem = Arc::new(Semaphore::new(0));
            acquire_cancelled_while_blocked(via, &sem, timeout, |_| ());
            assert_eq!(sem.value(), 0);
            assert_eq!(sem.waiting(), 0);
            // The unit given back now is there for the next one.
            sem.release();
            assert_eq!(sem.value(), 1);
            assert!(sem.try_acquire());
        }
        let bounded = Arc::new(BoundedSemaphore::new(1));
        bounded.acquire();
        acquire_cancelled_while_blocked(via, &bounded, None, |_| ());
        assert_eq!(bounded.value(), 0);
        bounded.release().unwrap();
        assert_eq!(bounded.release(), Err(SyncError::TooManyReleases));
        assert_eq!(bounded.value(), 1);
    }
}

#[test]
fn semaphore_guard_cancellable_cancelled_while_blocked_takes_no_unit() {
    for via in BOTH {
        let sem = Arc::new(Semaphore::new(0));
        guard_cancelled_while_blocked(via, &sem);
        assert_eq!(sem.value(), 0);

        let bounded = Arc::new(BoundedSemaphore::new(1));
        let unit = bounded.guard();
        guard_cancelled_while_blocked(via, &bounded);
        drop(unit);
        assert_eq!(bounded.value(), 1);
    }
}

#[test]
fn semaphore_cancellable_forms_under_a_cancelled_token() {
    let sem = Arc::new(Semaphore::new(0));
    let bounded = Arc::new(BoundedSemaphore::new(1));
    bounded.acquire();
    assert_unavailable_forms_cancelled(&sem, &CANCELLED_TIMEOUTS, true);
    assert_unavailable_forms_cancelled(&bounded, &[Some(BOUNDED), None], true);
    assert_eq!((sem.value(), bounded.value()), (0, 0));
    assert_eq!((sem.waiting(), bounded.waiting()), (0, 0));
    // Units available: taken without waiting, so without looking.
    sem.release_n(5);
    bounded.release().unwrap();
    let outcomes = {
        let (sem, bounded) = (Arc::clone(&sem), Arc::clone(&bounded));
        under_cancelled(move || {
            let outcomes = [
                sem.acquire_cancellable(Some(Duration::ZERO)),
                sem.acquire_cancellable(Some(SHORT)),
                sem.acquire_cancellable(Some(Duration::MAX)),
                sem.acquire_cancellable(None),
                bounded.acquire_cancellable(None),
            ];
            let guard = sem.guard_cancellable().map(|_| ());
            (outcomes, guard)
        })
    };
    assert_eq!(outcomes, ([Ok(true); 5], Ok(())));
    // The guard gave its unit back.
    assert_eq!((sem.value(), bounded.value()), (1, 0));
}

#[test]
fn semaphore_plain_forms_do_not_obey_the_token() {
    let sem = Arc::new(Semaphore::new(0));
    assert_plain_wait_times_out(&sem, Semaphore::acquire_timeout);
    let token = cancelled();
    let waiters: Vec<_> = (0..3)
        .map(|i| {
            let (sem, token) = (Arc::clone(&sem), token.clone());
            thread::spawn(move || {
                token.run(|| match i {
                    0 => sem.acquire(),
                    1 => assert!(sem.acquire_timeout(LONG)),
                    _ => drop(sem.guard()),
                })
            })
        })
        .collect();
    wait_until("three blocked acquires", || sem.waiting() == 3);
    sem.release_n(3);
    join_all(waiters);
    // The guard gave its unit back.
    assert_eq!(sem.value(), 1);
}

/// A waiter cancelled next to a plain one while a unit is given back: the
/// unit goes to one of them, never to nobody, round after round.
#[test]
fn semaphore_cancelled_waiter_beside_a_plain_one_strands_nobody() {
    for round in 0..200 {
        let sem = Arc::new(Semaphore::new(0));
        let token = CancellationToken::new();
        let cancellable = {
            let (sem, token) = (Arc::clone(&sem), token.clone());
            thread::spawn(move || token.run(|| sem.acquire_cancellable(None)))
        };
        wait_parked(&token, 1);
        let plain = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || sem.acquire_timeout(PATIENCE))
        };
        wait_until("both blocked", || sem.waiting() == 2);
        let canceller = {
            let token = token.clone();
            thread::spawn(move || token.cancel())
        };
        sem.release();
        join(canceller);
        match join(cancellable) {
            // It took the unit: the plain one still waits, for the next.
            Ok(true) => {
                sem.release();
                assert!(join(plain), "round {round}");
            }
            Err(Cancelled) => assert!(join(plain), "round {round}: the unit was lost"),
            other => panic!("round {round}: {other:?}"),
        }
        assert_eq!(sem.value(), 0, "round {round}");
    }
}

// ---------------------------------------------------------------- Event

#[test]
fn event_wait_cancellable_cancelled_while_blocked() {
    for via in BOTH {
        for timeout in BLOCKING_TIMEOUTS {
            let event = Arc::new(Event::new());
            let waiter = Arc::clone(&event);
            let outcome = cancel_blocked(via, move || waiter.wait_cancellable(timeout));
            assert_eq!(outcome, Err(Cancelled), "{via:?}, {timeout:?}");
            assert!(!event.is_set());
            assert_eq!(event.waiting(), 0);
            event.set();
            assert_eq!(event.wait_cancellable(None), Ok(true));
        }
    }
}

#[test]
fn event_wait_cancellable_forms() {
    let event = Arc::new(Event::new());
    let outcomes = {
        let event = Arc::clone(&event);
        under_cancelled(move || {
            [
                event.wait_cancellable(Some(Duration::ZERO)),
                event.wait_cancellable(Some(BOUNDED)),
                event.wait_cancellable(Some(Duration::MAX)),
                event.wait_cancellable(None),
            ]
        })
    };
    assert_eq!(
        outcomes,
        [Ok(false), Err(Cancelled), Err(Cancelled), Err(Cancelled)]
    );
    assert!(!event.is_set());
    // Without a token: times out, or is woken by a set.
    let start = Instant::now();
    assert_eq!(event.wait_cancellable(Some(SHORT)), Ok(false));
    assert!(start.elapsed() >= SHORT);
    let waiter = {
        let event = Arc::clone(&event);
        thread::spawn(move || event.wait_cancellable(None))
    };
    wait_until("the waiter is parked", || event.waiting() == 1);
    event.set();
    assert_eq!(join(waiter), Ok(true));
    // Set: no wait, so no cancellation.
    let outcomes = {
        let event = Arc::clone(&event);
        under_cancelled(move || {
            [
                event.wait_cancellable(Some(Duration::ZERO)),
                event.wait_cancellable(Some(SHORT)),
                event.wait_cancellable(Some(Duration::MAX)),
                event.wait_cancellable(None),
            ]
        })
    };
    assert_eq!(outcomes, [Ok(true); 4]);
}

#[test]
fn event_plain_waits_do_not_obey_the_token() {
    let event = Arc::new(Event::new());
    assert_plain_wait_times_out(&event, Event::wait_timeout);
    let token = cancelled();
    let waiters: Vec<_> = (0..2)
        .map(|i| {
            let (event, token) = (Arc::clone(&event), token.clone());
            thread::spawn(move || {
                token.run(|| {
                    if i == 0 {
                        event.wait();
                        true
                    } else {
                        event.wait_timeout(LONG)
                    }
                })
            })
        })
        .collect();
    wait_until("two parked waiters", || event.waiting() == 2);
    event.set();
    assert_eq!(join_all(waiters), [true, true]);
}

// ---------------------------------------------------------------- Barrier

#[test]
fn barrier_wait_cancelled_breaks_it_for_the_others() {
    type Waiting = fn(&Barrier) -> Result<usize, SyncError>;
    let waits: [(&str, Waiting); 2] = [
        ("wait", Barrier::wait),
        ("wait_timeout", |barrier| barrier.wait_timeout(LONG)),
    ];
    for via in BOTH {
        for (name, wait) in waits {
            let barrier = Arc::new(Barrier::new(3).unwrap());
            let other = {
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || barrier.wait())
            };
            wait_until("the other party arrived", || barrier.n_waiting() == 1);
            let waiter = Arc::clone(&barrier);
            let outcome = cancel_blocked(via, move || wait(&waiter));
            assert_eq!(outcome, Err(SyncError::Cancelled), "{name}, {via:?}");
            assert_eq!(join(other), Err(SyncError::BrokenBarrier), "{name}");
            assert!(barrier.broken());
            assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
            barrier.reset();
            assert!(!barrier.broken());
        }
    }
}

#[test]
fn barrier_waits_under_a_cancelled_token() {
    // The last party never waits: it passes the round.
    let single = Arc::new(Barrier::new(1).unwrap());
    let passed = {
        let single = Arc::clone(&single);
        under_cancelled(move || [single.wait(), single.wait_timeout(LONG)])
    };
    assert_eq!(passed, [Ok(0), Ok(0)]);
    let pair = Arc::new(Barrier::new(2).unwrap());
    let other = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || pair.wait())
    };
    wait_until("the first party arrived", || pair.n_waiting() == 1);
    let last = {
        let pair = Arc::clone(&pair);
        under_cancelled(move || pair.wait())
    };
    assert_eq!(last, Ok(1));
    assert_eq!(join(other), Ok(0));
    // A party that would wait is cancelled at once, and breaks it.
    type Waiting = fn(&Barrier) -> Result<usize, SyncError>;
    let waits: [Waiting; 2] = [Barrier::wait, |barrier| barrier.wait_timeout(LONG)];
    for wait in waits {
        let outcome = {
            let pair = Arc::clone(&pair);
            under_cancelled(move || wait(&pair))
        };
        assert_eq!(outcome, Err(SyncError::Cancelled));
        assert!(pair.broken());
        pair.reset();
    }
    // A broken barrier is broken, cancelled or not.
    pair.abort();
    let broken = {
        let pair = Arc::clone(&pair);
        under_cancelled(move || pair.wait())
    };
    assert_eq!(broken, Err(SyncError::BrokenBarrier));
}

/// A gate the action waits at, so that a newcomer arrives while it runs.
struct Gate {
    open: Event,
    entered: Event,
}

/// A newcomer cancelled while the full round runs its action spares that
/// round, as a timed-out one does: the round passes, the next one is broken.
#[test]
fn barrier_newcomer_cancelled_during_the_action_spares_the_full_round() {
    let gate = Arc::new(Gate {
        open: Event::new(),
        entered: Event::new(),
    });
    let barrier = {
        let gate = Arc::clone(&gate);
        Arc::new(Barrier::new(1).unwrap().with_action(move || {
            gate.entered.set();
            assert!(gate.open.wait_timeout(PATIENCE), "the gate never opened");
        }))
    };
    let full = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || barrier.wait())
    };
    assert!(gate.entered.wait_timeout(PATIENCE));
    let newcomer = Arc::clone(&barrier);
    let outcome = cancel_blocked(Via::Own, move || newcomer.wait());
    assert_eq!(outcome, Err(SyncError::Cancelled));
    gate.open.set();
    assert_eq!(join(full), Ok(0), "the full round passes");
    assert!(barrier.broken(), "the next round starts broken");
    assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
}

// ---------------------------------------------------------------- Timer

fn pending_timer(fired: &Arc<AtomicUsize>) -> Timer {
    let fired = Arc::clone(fired);
    let timer = Timer::new(LONG, move || {
        fired.fetch_add(1, Ordering::SeqCst);
    });
    timer.set_daemon(true).unwrap();
    timer.start().unwrap();
    timer
}

#[test]
fn timer_join_cancelled_while_blocked() {
    let fired = Arc::new(AtomicUsize::new(0));
    for via in BOTH {
        for timed in [false, true] {
            let timer = pending_timer(&fired);
            let joiner = timer.clone();
            let outcome = cancel_blocked(via, move || {
                if timed {
                    joiner.join_timeout(LONG).map(|_| ())
                } else {
                    joiner.join()
                }
            });
            assert!(
                matches!(outcome, Err(ThreadError::Cancelled)),
                "{via:?}, timed {timed}: {outcome:?}"
            );
            // Only the wait ended: the timer is still pending.
            assert!(timer.is_alive() && !timer.cancelled());
            assert_eq!(timer.waiting_joiners(), 0);
            timer.cancel();
            assert!(timer.join().is_ok());
        }
    }
    assert_eq!(fired.load(Ordering::SeqCst), 0);
}

#[test]
fn timer_joins_under_a_cancelled_token() {
    let fired = Arc::new(AtomicUsize::new(0));
    let timer = pending_timer(&fired);
    let outcomes = {
        let timer = timer.clone();
        under_cancelled(move || {
            [
                timer.join().map(|()| true),
                timer.join_timeout(Duration::ZERO),
                timer.join_timeout(LONG),
                timer.join_timeout(Duration::MAX),
            ]
        })
    };
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Err(ThreadError::Cancelled)),
            "{outcomes:?}"
        );
    }
    assert_eq!(timer.waiting_joiners(), 0);
    // Finished: no wait, so no cancellation.
    timer.cancel();
    let finished = {
        let timer = timer.clone();
        under_cancelled(move || (timer.join().is_ok(), timer.join_timeout(LONG).ok()))
    };
    assert_eq!(finished, (true, Some(true)));
    // Misuse is reported as before.
    let unstarted = Timer::new(LONG, || ());
    let misuse = under_cancelled(move || unstarted.join());
    assert!(matches!(misuse, Err(ThreadError::NotStarted)), "{misuse:?}");
}

#[test]
fn timer_join_without_a_token_waits_for_the_timer() {
    let timer = Timer::new(Duration::from_millis(1), || ());
    timer.set_daemon(true).unwrap();
    timer.start().unwrap();
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert!(timer.fired());
}

// ---------------------------------------------------------------- deadlock detection

/// With deadlock detection, a thread blocked in a cancellable acquire of a
/// lock it holds itself is a one-thread cycle; once its token is cancelled
/// it no longer waits, and no cycle is left.
#[cfg(feature = "deadlock-detection")]
#[test]
fn deadlock_detection_forgets_a_cancelled_waiter() {
    use pythreading_sync::deadlock;

    let lock = Arc::new(Lock::named("cancelled-self-wait"));
    let sem = Arc::new(BoundedSemaphore::named("cancelled-self-unit", 1));
    type Waiting = Box<dyn Fn() -> Result<bool, Cancelled> + Send>;
    let cases: [(&str, Waiting); 2] = [
        ("cancelled-self-wait", {
            let lock = Arc::clone(&lock);
            Box::new(move || {
                lock.acquire();
                let outcome = lock.acquire_cancellable(None);
                lock.release().unwrap();
                outcome
            })
        }),
        ("cancelled-self-unit", {
            let sem = Arc::clone(&sem);
            Box::new(move || {
                sem.acquire();
                let outcome = sem.acquire_cancellable(Some(LONG));
                sem.release().unwrap();
                outcome
            })
        }),
    ];
    for (name, wait) in cases {
        let token = CancellationToken::new();
        let (ident_tx, ident_rx) = mpsc::channel();
        let waiter = {
            let token = token.clone();
            thread::spawn(move || {
                ident_tx.send(pythreading_core::get_ident()).unwrap();
                token.run(wait)
            })
        };
        let ident = ident_rx.recv().unwrap();
        let in_cycle = || {
            deadlock::check()
                .iter()
                .any(|found| found.idents() == [ident] && found.locks() == [name])
        };
        wait_until("the self-wait is a cycle", in_cycle);
        wait_parked(&token, 1);
        token.cancel();
        assert_eq!(join(waiter), Err(Cancelled), "{name}");
        assert!(!in_cycle(), "{name}: the cancelled waiter still counts");
    }
    assert!(!lock.locked());
    assert_eq!(sem.value(), 1);
}
