//! [`Lock`]: Python's `threading.Lock`.

use std::fmt;
use std::time::Duration;

use pythreading_core::Cancelled;
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
///
/// # Cancellation
///
/// [`acquire`](Lock::acquire), [`acquire_timeout`](Lock::acquire_timeout),
/// [`guard`](Lock::guard) and [`guard_timeout`](Lock::guard_timeout) cannot
/// report a cancellation, so they do not obey the calling thread's
/// [`CancellationToken`](pythreading_core::CancellationToken): they wait as
/// they always did. [`acquire_cancellable`](Lock::acquire_cancellable) and
/// [`guard_cancellable`](Lock::guard_cancellable) obey it: once it is
/// cancelled, a wait for the lock ends with [`Cancelled`], holding nothing.
///
/// ```
/// use pythreading_core::{CancellationToken, Cancelled};
/// use pythreading_sync::Lock;
///
/// let lock = Lock::new();
/// let token = CancellationToken::new();
/// token.cancel();
/// // Free: taken without waiting, so the token is not even looked at.
/// assert_eq!(token.run(|| lock.acquire_cancellable(None)), Ok(true));
/// // Held: the wait would block, and ends at once, cancelled.
/// assert_eq!(token.run(|| lock.acquire_cancellable(None)), Err(Cancelled));
/// lock.release()?;
/// # Ok::<(), pythreading_sync::SyncError>(())
/// ```
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
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`acquire_cancellable`](Self::acquire_cancellable).
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
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`acquire_cancellable`](Self::acquire_cancellable).
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.raw.acquire(&self.track, Wait::Timeout(timeout))
    }

    /// Waits for the lock at most `timeout` (`None`: without a limit;
    /// `Some(Duration::ZERO)`: a plain try, which never blocks), obeying the
    /// calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken).
    ///
    /// `Ok(true)`: acquired (release it as after [`acquire`](Self::acquire));
    /// `Ok(false)`: the timeout passed first; `Err(Cancelled)`: the token
    /// was cancelled first (at once if it already was and the lock is
    /// held), and the lock is not held by this call. The token is looked at
    /// only when the call must wait: a free lock is acquired even under a
    /// cancelled token.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pythreading_core::{CancellationToken, Cancelled};
    /// use pythreading_sync::Lock;
    ///
    /// let lock = Arc::new(Lock::new());
    /// lock.acquire();
    /// let token = CancellationToken::new();
    /// let waiter = std::thread::spawn({
    ///     let (lock, token) = (Arc::clone(&lock), token.clone());
    ///     move || token.run(|| lock.acquire_cancellable(None))
    /// });
    /// token.cancel(); // ends the wait, whether it has begun or not
    /// assert_eq!(waiter.join().unwrap(), Err(Cancelled));
    /// lock.release()?; // still this thread's hold
    /// # Ok::<(), pythreading_sync::SyncError>(())
    /// ```
    #[inline]
    pub fn acquire_cancellable(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
        self.raw
            .acquire_cancellable(&self.track, Wait::from_timeout(timeout))
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
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`guard_cancellable`](Self::guard_cancellable).
    #[inline]
    pub fn guard(&self) -> LockGuard<'_> {
        self.guard_with(Wait::FOREVER)
            .unwrap_or_else(|| unreachable!("a wait without a deadline ends holding the lock"))
    }

    /// [`guard`](Self::guard), obeying the calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken): once it
    /// is cancelled, a wait for the lock ends with `Err(Cancelled)`, and
    /// nothing is held (see [`acquire_cancellable`](Self::acquire_cancellable)).
    #[inline]
    pub fn guard_cancellable(&self) -> Result<LockGuard<'_>, Cancelled> {
        let hold = self
            .raw
            .acquire_guarded_cancellable(&self.track, Wait::FOREVER)?
            .unwrap_or_else(|| unreachable!("a wait without a deadline ends holding the lock"));
        Ok(LockGuard { lock: self, hold })
    }

    /// [`guard`](Self::guard) if the lock is free now, without blocking.
    #[inline]
    pub fn try_guard(&self) -> Option<LockGuard<'_>> {
        self.guard_with(Wait::No)
    }

    /// [`guard`](Self::guard), waiting at most `timeout`. Does not obey the
    /// cancellation token, as [`guard`](Self::guard).
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

    /// Takes the lock with `take`, counting the holds: at most one thread
    /// inside at a time, and the lock given back. Whether it was taken.
    fn hold_once(lock: &Lock, inside: &AtomicUsize, take: impl FnOnce() -> bool) -> bool {
        if !take() {
            return false;
        }
        assert_eq!(inside.fetch_add(1, Ordering::Relaxed), 0, "two holders");
        inside.fetch_sub(1, Ordering::Relaxed);
        lock.release().unwrap();
        true
    }

    /// A waiter whose token is cancelled while the holder releases, next to
    /// a plain waiter: the cancelled one either took the lock (it got there
    /// first) or holds nothing, they never hold it together, the plain one
    /// always gets it (a wake-up that reached the cancelled waiter as it was
    /// cancelled went on to it; loom reports a plain waiter left parked as a
    /// deadlock), and the lock ends free.
    #[test]
    fn loom_lock_cancelled_waiter_strands_nobody() {
        use pythreading_core::{CancellationToken, Cancelled};

        loom::model(|| {
            let lock = Arc::new(Lock::new());
            let inside = Arc::new(AtomicUsize::new(0));
            lock.acquire();
            let token = CancellationToken::new();
            let cancellable = {
                let (lock, inside, token) = (Arc::clone(&lock), Arc::clone(&inside), token.clone());
                loom::thread::spawn(move || {
                    let _current = token.install();
                    let mut outcome = None;
                    let taken = hold_once(&lock, &inside, || {
                        let acquired = lock.acquire_cancellable(None);
                        outcome = Some(acquired);
                        acquired == Ok(true)
                    });
                    assert!(matches!(outcome, Some(Ok(true) | Err(Cancelled))));
                    taken
                })
            };
            let plain = {
                let (lock, inside) = (Arc::clone(&lock), Arc::clone(&inside));
                loom::thread::spawn(move || {
                    hold_once(&lock, &inside, || {
                        lock.acquire();
                        true
                    })
                })
            };
            let canceller = loom::thread::spawn(move || token.cancel());
            lock.release().unwrap();
            canceller.join().unwrap();
            let _ = cancellable.join().unwrap();
            assert!(plain.join().unwrap());
            assert!(!lock.locked());
        });
    }
}
