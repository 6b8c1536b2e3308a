//! [`Lock`]: Python's `threading.Lock`.

use std::fmt;
use std::time::Duration;

use pythreading_core::wait::Wait;

use crate::error::SyncError;
use crate::raw_lock::{Hold, RawLock};
use crate::track::{Kind, Tracker};

/// A lock that any thread may release: Python's `threading.Lock`.
///
/// Unlike `std::sync::Mutex` it guards no data and has no owner: one thread
/// may acquire it and another release it (that is how a `Lock` is used as a
/// one-shot signal, as in the tutorial's producer–consumer pipeline). It is
/// never poisoned: a panic while it is held releases it through the guard.
///
/// Prefer [`guard`](Lock::guard), the `with lock:` of Rust: the lock is
/// released when the guard goes out of scope, also while unwinding.
///
/// ```
/// use std::sync::Arc;
/// use pythreading_sync::Lock;
///
/// let lock = Arc::new(Lock::new());
/// {
///     let _held = lock.guard();
///     assert!(lock.locked());
///     assert!(!lock.try_acquire()); // not re-entrant: see RLock
/// }
/// assert!(!lock.locked());
///
/// // Acquired here, released by another thread: allowed.
/// lock.acquire();
/// let other = Arc::clone(&lock);
/// std::thread::spawn(move || other.release().unwrap()).join().unwrap();
/// assert!(!lock.locked());
/// ```
///
/// Speed: acquiring and releasing costs one atomic operation each when
/// uncontended, as `parking_lot::Mutex`; under contention a waiter spins
/// briefly before it parks. See BENCHMARKS.md.
pub struct Lock {
    raw: RawLock,
    track: Tracker,
}

#[cfg(not(loom))]
impl Lock {
    /// An unlocked lock. `const`, so it can be a `static`.
    pub const fn new() -> Self {
        Self {
            raw: RawLock::new(),
            track: Tracker::new(Kind::Lock),
        }
    }
}

#[cfg(loom)]
impl Lock {
    /// An unlocked lock.
    pub fn new() -> Self {
        Self {
            raw: RawLock::new(),
            track: Tracker::new(Kind::Lock),
        }
    }
}

impl Lock {
    /// An unlocked lock with a name, by which the deadlock detector (the
    /// `deadlock` module, cargo feature `deadlock-detection`) names it in
    /// its reports. Without that feature the name is ignored and costs
    /// nothing. Unnamed locks are reported as their type and address.
    ///
    /// ```
    /// use pythreading_sync::Lock;
    ///
    /// let db = Lock::named("db");
    /// let _held = db.guard();
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            raw: RawLock::new(),
            track: Tracker::named(Kind::Lock, name.into()),
        }
    }

    /// Blocks until the lock is acquired (`lock.acquire()`).
    #[inline]
    pub fn acquire(&self) {
        self.raw.acquire(&self.track, Wait::FOREVER);
    }

    /// Acquires the lock if it is free, without blocking
    /// (`lock.acquire(blocking=False)`).
    #[inline]
    #[must_use = "if it returns true the lock is held and must be released"]
    pub fn try_acquire(&self) -> bool {
        self.raw.acquire(&self.track, Wait::No)
    }

    /// Waits at most `timeout` for the lock (`lock.acquire(timeout=t)`);
    /// `true` if it was acquired.
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.raw.acquire(&self.track, Wait::Timeout(timeout))
    }

    /// Releases the lock, whichever thread acquired it. Releasing an
    /// unlocked lock is [`SyncError::ReleaseUnlocked`] and changes nothing.
    ///
    /// Releasing by hand a lock that a [`LockGuard`] holds ends the guard's
    /// hold: the guard then does nothing when it is dropped, so it never
    /// releases a hold taken later, by this thread or another.
    #[inline]
    pub fn release(&self) -> Result<(), SyncError> {
        if self.track.release(1, || self.raw.release()) {
            Ok(())
        } else {
            Err(SyncError::ReleaseUnlocked)
        }
    }

    /// Whether the lock is held by some thread.
    #[inline]
    pub fn locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Whether a thread blocked in an acquire has marked the lock as waited
    /// for: it does so once it stops spinning, just before it sleeps, and
    /// the next release clears the mark (and wakes it). A snapshot, for
    /// tests and diagnostics: it says that a thread is blocked on the lock.
    pub fn contended(&self) -> bool {
        self.raw.is_contended()
    }

    /// Acquires the lock and returns a guard that releases it when dropped.
    #[inline]
    pub fn guard(&self) -> LockGuard<'_> {
        self.guard_with(Wait::FOREVER)
            .unwrap_or_else(|| unreachable!("a wait without a deadline ends holding the lock"))
    }

    /// [`guard`](Self::guard) if the lock is free now, without blocking.
    #[inline]
    pub fn try_guard(&self) -> Option<LockGuard<'_>> {
        self.guard_with(Wait::No)
    }

    /// [`guard`](Self::guard), waiting at most `timeout`.
    #[inline]
    pub fn guard_timeout(&self, timeout: Duration) -> Option<LockGuard<'_>> {
        self.guard_with(Wait::Timeout(timeout))
    }

    #[inline]
    fn guard_with(&self, wait: Wait) -> Option<LockGuard<'_>> {
        let hold = self.raw.acquire_guarded(&self.track, wait)?;
        Some(LockGuard { lock: self, hold })
    }
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Lock {
    /// As Python's repr: `<unlocked Lock>` / `<locked Lock>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "<{state} Lock>")
    }
}

/// Holds a [`Lock`]; releases it when dropped, also while unwinding.
///
/// The lock has no owner, so the guard may be sent to another thread and
/// dropped there.
///
/// A guard releases only the hold it took. If the lock was released by
/// hand ([`Lock::release`], from any thread) while the guard was alive, its
/// hold is over: dropping it then does nothing, even if the lock has been
/// taken again since (Python's `with lock:` would release that new holder's
/// lock).
///
/// ```
/// use pythreading_sync::Lock;
///
/// let lock = Lock::new();
/// let guard = lock.guard();
/// lock.release()?; // ends the guard's hold
/// lock.acquire(); // a new hold
/// drop(guard); // not the guard's: left alone
/// assert!(lock.locked());
/// # Ok::<(), pythreading_sync::SyncError>(())
/// ```
#[must_use = "if unused the Lock will immediately release"]
#[clippy::has_significant_drop]
pub struct LockGuard<'a> {
    lock: &'a Lock,
    hold: Hold,
}

impl LockGuard<'_> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Lock {
        self.lock
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", self.lock)
            .finish()
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Nothing happens if the hold is over (released by hand meanwhile):
        // the real release, and so its record, only in this guard's hold.
        let (raw, hold) = (&self.lock.raw, self.hold);
        self.lock.track.release(1, || raw.release_guarded(hold));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Lock>();
        send_sync::<LockGuard<'_>>();
    }

    /// A zero or tiny timeout on a held lock is a plain try: it neither
    /// marks the lock contended (which would make the holder's release call
    /// into the parking table) nor waits.
    #[test]
    fn zero_and_tiny_timeouts_are_plain_tries() {
        let lock = Lock::new();
        lock.acquire();
        assert!(!lock.acquire_timeout(Duration::ZERO));
        assert!(
            !lock.raw.is_contended(),
            "a zero timeout marked it contended"
        );
        assert!(lock.guard_timeout(Duration::ZERO).is_none());
        assert!(!lock.raw.is_contended());
        assert!(!lock.acquire_timeout(Duration::from_nanos(1)));
        assert!(
            !lock.raw.is_contended(),
            "a 1 ns timeout marked it contended"
        );
        lock.release().unwrap();
        assert!(lock.acquire_timeout(Duration::ZERO));
        lock.release().unwrap();
    }

    /// The epoch moves on only when a guard's hold is ended by hand: a lock
    /// used with guards alone, or by hand alone, stays at epoch 0, where a
    /// guard takes and gives it back in one CAS each.
    #[test]
    fn epoch_moves_only_when_a_guards_hold_is_ended_by_hand() {
        let lock = Lock::new();
        for _ in 0..3 {
            drop(lock.guard());
            lock.acquire();
            lock.release().unwrap();
        }
        assert_eq!(lock.raw.epoch(), 0);
        let stale = lock.guard();
        lock.release().unwrap();
        assert_eq!(
            lock.raw.epoch(),
            8,
            "ending a guard's hold by hand moves it on"
        );
        let fresh = lock.guard();
        drop(stale);
        assert!(
            lock.locked(),
            "the ended guard released the next guard's hold"
        );
        drop(fresh);
        assert!(!lock.locked());
        assert_eq!(lock.raw.epoch(), 8, "a guard's own release keeps the epoch");
        assert!(
            lock.try_acquire(),
            "a lock at a later epoch is taken as before"
        );
        lock.release().unwrap();
    }

    #[test]
    fn debug_is_pythons_repr() {
        let lock = Lock::new();
        assert_eq!(format!("{lock:?}"), "<unlocked Lock>");
        let _g = lock.guard();
        assert_eq!(format!("{lock:?}"), "<locked Lock>");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::{Arc, AtomicUsize, Ordering};

    /// Two threads increment under the lock: no update is lost, and the lock
    /// ends unlocked.
    #[test]
    fn loom_lock_mutual_exclusion() {
        loom::model(|| {
            let lock = Arc::new(Lock::new());
            let counter = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let lock = Arc::clone(&lock);
                    let counter = Arc::clone(&counter);
                    loom::thread::spawn(move || {
                        let _g = lock.guard();
                        let value = counter.load(Ordering::Relaxed);
                        counter.store(value + 1, Ordering::Relaxed);
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            assert_eq!(counter.load(Ordering::Relaxed), 2);
            assert!(!lock.locked());
        });
    }

    /// A lock acquired by one thread and released by another wakes a thread
    /// parked on it: no lost wake-up (loom reports a deadlock otherwise).
    #[test]
    fn loom_lock_release_by_other_thread() {
        loom::model(|| {
            let lock = Arc::new(Lock::new());
            lock.acquire();
            let waiter = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || {
                    lock.acquire();
                    lock.release().unwrap();
                })
            };
            let releaser = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || lock.release().unwrap())
            };
            releaser.join().unwrap();
            waiter.join().unwrap();
            assert!(!lock.locked());
        });
    }

    /// A guard dropped while another thread releases its hold by hand and
    /// takes the lock again with `take`: the lock, once both are done. The
    /// guard must never have released that thread's hold.
    fn guard_dropped_while_another_takes_over(take: fn(&Lock)) -> Arc<Lock> {
        let lock = Arc::new(Lock::new());
        let guard = lock.guard();
        let other = {
            let lock = Arc::clone(&lock);
            loom::thread::spawn(move || {
                let _ = lock.release();
                take(&lock);
            })
        };
        drop(guard);
        other.join().unwrap();
        lock
    }

    /// The other thread takes the lock by hand: whatever the interleaving,
    /// the guard never releases that thread's hold.
    #[test]
    fn loom_guard_never_releases_a_later_hold() {
        loom::model(|| {
            let lock = guard_dropped_while_another_takes_over(Lock::acquire);
            assert!(lock.locked(), "the guard released the other thread's hold");
            lock.release().unwrap();
            assert!(!lock.locked());
        });
    }

    /// The other thread takes the lock with a guard (kept for ever): the
    /// hold it takes is marked as a guard's, as the ended one was, and the
    /// ended guard's drop still leaves it alone (the epoch tells the two
    /// apart).
    #[test]
    fn loom_guard_never_releases_a_later_guards_hold() {
        loom::model(|| {
            let lock =
                guard_dropped_while_another_takes_over(|lock| std::mem::forget(lock.guard()));
            assert!(lock.locked(), "the guard released the other guard's hold");
        });
    }

    /// A timed acquire that gives up does not swallow the wake-up meant for
    /// another waiter. (Under loom a timed park gives up at once, whatever
    /// the timeout; an hour keeps the real clock, which the acquire also
    /// reads, from deciding anything in the model.)
    #[test]
    fn loom_lock_timeout_passes_wakeup_on() {
        loom::model(|| {
            let lock = Arc::new(Lock::new());
            lock.acquire();
            let timed = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || {
                    if lock.acquire_timeout(Duration::from_secs(3600)) {
                        lock.release().unwrap();
                    }
                })
            };
            let blocking = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || {
                    lock.acquire();
                    lock.release().unwrap();
                })
            };
            lock.release().unwrap();
            timed.join().unwrap();
            blocking.join().unwrap();
            assert!(!lock.locked());
        });
    }
}
