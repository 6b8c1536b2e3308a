//! [`RLock`]: Python's `threading.RLock`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use pythreading_core::wait::Wait;
use pythreading_core::{Cancelled, get_ident};

use crate::error::SyncError;
use crate::raw_lock::{Hold, RawLock};
use crate::sys::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use crate::track::{Kind, Tracker};

/// A re-entrant lock: Python's `threading.RLock`.
///
/// The thread holding it may acquire it again; it is released when that
/// thread has released it as many times as it acquired it. Only the owner
/// may release it: from any other thread, [`release`](RLock::release) is
/// [`SyncError::NotOwner`].
///
/// This is the fix for the tutorial's self-deadlock: a helper that takes the
/// lock can be called by code that already holds it.
///
/// ```
/// use pythreading_sync::RLock;
///
/// let lock = RLock::new();
/// let outer = lock.guard();
/// let inner = lock.guard(); // a Lock would block here for ever
/// assert_eq!(lock.recursion_count(), 2);
/// drop(inner);
/// assert!(lock.is_owned());
/// drop(outer);
/// assert!(!lock.locked());
/// ```
///
/// # Cancellation
///
/// As for [`Lock`](crate::Lock): [`acquire`](RLock::acquire),
/// [`acquire_timeout`](RLock::acquire_timeout), [`guard`](RLock::guard) and
/// [`guard_timeout`](RLock::guard_timeout) do not obey the calling thread's
/// [`CancellationToken`](pythreading_core::CancellationToken);
/// [`acquire_cancellable`](RLock::acquire_cancellable) and
/// [`guard_cancellable`](RLock::guard_cancellable) do. The owner's
/// re-entrant acquire never waits, so it succeeds even under a cancelled
/// token.
//
// Protocol (as std's `ReentrantLock`): `owner` is the ident of the holding
// thread (`pythreading_core::get_ident`, never 0) or 0, `count` its depth,
// `hold` the hold it is in or `Hold::NONE`. Only the holder writes them,
// and it clears `owner` and `hold` before it releases the raw lock. So a
// thread reads its own ident in `owner`, or a hold it took in `hold`, only
// while it is the holder: otherwise the last value it wrote there is 0 or
// `Hold::NONE`, and a later one is another holder's ident, or a hold taken
// by another thread (hold numbers are never reused, see `raw_lock`). That
// is why `Relaxed` suffices for all three; the hand-over between threads is
// ordered by the raw lock's Acquire/Release.
pub struct RLock {
    raw: RawLock,
    /// Which hold the lock is in: the raw lock's hold number when the free
    /// lock was acquired (new at each such acquisition), kept across a
    /// Condition's wait (which hands the lock over and takes it back in the
    /// same hold), and `Hold::NONE` while the lock is free. A guard
    /// releases its level only while the lock is in the hold it was taken
    /// in, which it tells from this alone.
    hold: AtomicU32,
    owner: AtomicU64,
    count: AtomicUsize,
    track: Tracker,
}

#[cfg(not(loom))]
impl RLock {
    /// An unlocked re-entrant lock. `const`, so it can be a `static`.
    pub const fn new() -> Self {
        Self {
            raw: RawLock::new(),
            hold: AtomicU32::new(Hold::NONE),
            owner: AtomicU64::new(0),
            count: AtomicUsize::new(0),
            track: Tracker::new(Kind::RLock),
        }
    }
}

#[cfg(loom)]
impl RLock {
    /// An unlocked re-entrant lock.
    pub fn new() -> Self {
        Self::with_tracker(Tracker::new(Kind::RLock))
    }
}

impl RLock {
    /// An unlocked re-entrant lock with a name, by which deadlock reports
    /// name it (see [`Lock::named`](crate::Lock::named)). Without the
    /// `deadlock-detection` feature the name is ignored.
    pub fn named(name: impl Into<String>) -> Self {
        Self::with_tracker(Tracker::named(Kind::RLock, name.into()))
    }

    /// The lock of a [`Condition`](crate::Condition): reported as one.
    pub(crate) fn for_condition(name: Option<String>) -> Self {
        Self::with_tracker(match name {
            Some(name) => Tracker::named(Kind::Condition, name),
            None => Tracker::new(Kind::Condition),
        })
    }

    fn with_tracker(track: Tracker) -> Self {
        Self {
            raw: RawLock::new(),
            hold: AtomicU32::new(Hold::NONE),
            owner: AtomicU64::new(0),
            count: AtomicUsize::new(0),
            track,
        }
    }

    /// Blocks until the lock is acquired; immediate if this thread holds it.
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`acquire_cancellable`](Self::acquire_cancellable).
    #[inline]
    pub fn acquire(&self) {
        let _ = self.acquire_with(Wait::FOREVER);
    }

    /// Acquires the lock if it is free or already this thread's; never blocks.
    #[inline]
    #[must_use = "if it returns true the lock is held and must be released"]
    pub fn try_acquire(&self) -> bool {
        self.acquire_with(Wait::No).is_some()
    }

    /// Waits at most `timeout` for the lock; `true` if it was acquired.
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`acquire_cancellable`](Self::acquire_cancellable).
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_with(Wait::Timeout(timeout)).is_some()
    }

    /// Waits for the lock at most `timeout` (`None`: without a limit;
    /// `Some(Duration::ZERO)`: a plain try), obeying the calling thread's
    /// current [`CancellationToken`](pythreading_core::CancellationToken);
    /// immediate if this thread holds it (one level more, as
    /// [`acquire`](Self::acquire)).
    ///
    /// `Ok(true)`: acquired; `Ok(false)`: the timeout passed first;
    /// `Err(Cancelled)`: the token was cancelled first, and this call took
    /// no level. The token is looked at only when the call must wait.
    ///
    /// ```
    /// use pythreading_core::{CancellationToken, Cancelled};
    /// use pythreading_sync::RLock;
    ///
    /// let lock = RLock::new();
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// let _held = lock.guard();
    /// // The owner takes one more level without waiting, cancelled or not.
    /// assert_eq!(token.run(|| lock.acquire_cancellable(None)), Ok(true));
    /// assert_eq!(lock.recursion_count(), 2);
    /// lock.release()?;
    /// // Another thread would have to wait: cancelled at once.
    /// std::thread::scope(|s| {
    ///     let other = s.spawn(|| token.run(|| lock.acquire_cancellable(None)));
    ///     assert_eq!(other.join().unwrap(), Err(Cancelled));
    /// });
    /// # Ok::<(), pythreading_sync::SyncError>(())
    /// ```
    #[inline]
    pub fn acquire_cancellable(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
        self.acquire_obeying::<true>(Wait::from_timeout(timeout))
            .map(|hold| hold.is_some())
    }

    /// Takes one level as `wait` allows; the hold the lock is in, if taken.
    #[inline]
    fn acquire_with(&self, wait: Wait) -> Option<u32> {
        self.acquire_obeying::<false>(wait).unwrap_or(None)
    }

    /// [`acquire_with`](Self::acquire_with), whose wait for the raw lock
    /// obeys the calling thread's cancellation token if `OBEY`.
    #[inline]
    fn acquire_obeying<const OBEY: bool>(&self, wait: Wait) -> Result<Option<u32>, Cancelled> {
        let me = get_ident();
        if self.owner.load(Ordering::Relaxed) == me {
            // Only the owner writes the count: no read-modify-write needed.
            let depth = self.count.load(Ordering::Relaxed);
            self.count.store(depth + 1, Ordering::Relaxed);
            return Ok(Some(self.hold.load(Ordering::Relaxed)));
        }
        let hold = if OBEY {
            self.raw.acquire_counted_cancellable(&self.track, wait)?
        } else {
            self.raw.acquire_counted(&self.track, wait)
        };
        let Some(hold) = hold.map(Hold::number) else {
            return Ok(None);
        };
        // A new hold. The raw lock's hand-over orders these with the last
        // owner's writes, so plain loads and stores suffice.
        self.hold.store(hold, Ordering::Relaxed);
        self.owner.store(me, Ordering::Relaxed);
        self.count.store(1, Ordering::Relaxed);
        Ok(Some(hold))
    }

    /// Releases one level; the lock is free again when the owner has released
    /// it as many times as it acquired it. From a thread that does not hold
    /// it: [`SyncError::NotOwner`].
    ///
    /// Releasing by hand the last level ends the hold: an [`RLockGuard`]
    /// taken in it then does nothing when dropped, so it never releases a
    /// level of a later hold. Within one hold levels are alike: a level
    /// released by hand counts as any one of them.
    pub fn release(&self) -> Result<(), SyncError> {
        if !self.is_owned() {
            return Err(SyncError::NotOwner);
        }
        self.release_level(self.hold.load(Ordering::Relaxed));
        Ok(())
    }

    /// Releases one level of a lock the calling thread owns, in `hold`.
    #[inline]
    fn release_level(&self, hold: u32) {
        // Only the owner writes the count: no read-modify-write needed.
        let depth = self.count.load(Ordering::Relaxed);
        self.count.store(depth - 1, Ordering::Relaxed);
        if depth == 1 {
            self.release_raw(hold);
        }
    }

    /// Ends the calling thread's ownership, in `hold`, and releases the raw
    /// lock (in one CAS unless a Condition's wait moved the raw lock on to
    /// another hold, or someone is parked).
    #[inline]
    fn release_raw(&self, hold: u32) {
        self.track.release(1, || {
            self.owner.store(0, Ordering::Relaxed);
            self.hold.store(Hold::NONE, Ordering::Relaxed);
            self.raw.release_counted(Hold::from_number(hold))
        });
    }

    /// Whether the calling thread holds the lock.
    #[inline]
    pub fn is_owned(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == get_ident()
    }

    /// Whether any thread holds the lock.
    #[inline]
    pub fn locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// How many times the calling thread holds the lock (0 if it does not;
    /// Python's `_recursion_count()`).
    pub fn recursion_count(&self) -> usize {
        if self.is_owned() {
            self.count.load(Ordering::Relaxed)
        } else {
            0
        }
    }

    /// Acquires the lock and returns a guard that releases one level when
    /// dropped.
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`guard_cancellable`](Self::guard_cancellable).
    #[inline]
    pub fn guard(&self) -> RLockGuard<'_> {
        self.guard_with(Wait::FOREVER)
            .unwrap_or_else(|| unreachable!("a wait without a deadline ends holding the lock"))
    }

    /// [`guard`](Self::guard), obeying the calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken): once it
    /// is cancelled, a wait for the lock ends with `Err(Cancelled)` and no
    /// level is taken (see [`acquire_cancellable`](Self::acquire_cancellable)).
    #[inline]
    pub fn guard_cancellable(&self) -> Result<RLockGuard<'_>, Cancelled> {
        let hold = self
            .acquire_obeying::<true>(Wait::FOREVER)?
            .unwrap_or_else(|| unreachable!("a wait without a deadline ends holding the lock"));
        Ok(RLockGuard {
            lock: self,
            hold,
            _not_send: PhantomData,
        })
    }

    /// [`guard`](Self::guard) if the lock can be taken now, without blocking.
    #[inline]
    pub fn try_guard(&self) -> Option<RLockGuard<'_>> {
        self.guard_with(Wait::No)
    }

    /// [`guard`](Self::guard), waiting at most `timeout`. Does not obey the
    /// cancellation token, as [`guard`](Self::guard).
    #[inline]
    pub fn guard_timeout(&self, timeout: Duration) -> Option<RLockGuard<'_>> {
        self.guard_with(Wait::Timeout(timeout))
    }

    #[inline]
    fn guard_with(&self, wait: Wait) -> Option<RLockGuard<'_>> {
        let hold = self.acquire_with(wait)?;
        Some(RLockGuard {
            lock: self,
            hold,
            _not_send: PhantomData,
        })
    }

    /// What [`release_saved`](Self::release_saved) releases and
    /// [`acquire_restore`](Self::acquire_restore) takes back: every level
    /// the calling thread holds, and its hold (Python's `_release_save`,
    /// in two steps so that a `Condition` can queue its waiter in between).
    pub(crate) fn save(&self) -> Result<Saved, SyncError> {
        if !self.is_owned() {
            return Err(SyncError::NotOwner);
        }
        Ok(Saved {
            depth: self.count.load(Ordering::Relaxed),
            hold: self.hold.load(Ordering::Relaxed),
        })
    }

    /// Releases every level of the lock, which the calling thread owns and
    /// has [`save`](Self::save)d.
    pub(crate) fn release_saved(&self, saved: Saved) {
        // Only the owner writes the count: no read-modify-write needed.
        self.count.store(0, Ordering::Relaxed);
        self.release_raw(saved.hold);
    }

    /// Releases every level held by the calling thread and returns what
    /// [`acquire_restore`](Self::acquire_restore) needs to take them back.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn release_all(&self) -> Result<Saved, SyncError> {
        let saved = self.save()?;
        self.release_saved(saved);
        Ok(saved)
    }

    /// Re-acquires the lock at the saved depth, in the same hold as before
    /// (Python's `_acquire_restore`): the guards taken before stay valid.
    /// It obeys no cancellation token: a Condition's wait, cancelled or
    /// not, returns holding its lock.
    pub(crate) fn acquire_restore(&self, saved: Saved) {
        let _ = self.raw.acquire_counted(&self.track, Wait::FOREVER);
        self.hold.store(saved.hold, Ordering::Relaxed);
        self.owner.store(get_ident(), Ordering::Relaxed);
        self.count.store(saved.depth, Ordering::Relaxed);
    }
}

/// What [`RLock::save`] saw: the owner's depth and its hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Saved {
    pub(crate) depth: usize,
    hold: u32,
}

impl Default for RLock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RLock {
    /// As Python's repr: `<unlocked RLock count=0>` / `<locked RLock count=2>`
    /// (the owner's depth, whichever thread asks; a snapshot).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let locked = self.locked();
        let state = if locked { "locked" } else { "unlocked" };
        let count = if locked {
            self.count.load(Ordering::Relaxed)
        } else {
            0
        };
        write!(f, "<{state} RLock count={count}>")
    }
}

/// Holds one level of an [`RLock`]; releases it when dropped, also while
/// unwinding. Not `Send`: the level belongs to the thread that took it.
///
/// A guard releases a level only of the hold it was taken in: once the lock
/// has been released by hand down to free ([`RLock::release`]), dropping the
/// guard does nothing, even if this thread has taken the lock again since.
/// A [`Condition`](crate::Condition)'s `wait` does not end the hold: the
/// guard still releases after it.
#[must_use = "if unused the RLock will immediately release"]
#[clippy::has_significant_drop]
pub struct RLockGuard<'a> {
    lock: &'a RLock,
    /// The hold the lock was in when this guard was taken.
    hold: u32,
    _not_send: PhantomData<*const ()>,
}

impl RLockGuard<'_> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &RLock {
        self.lock
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard")
            .field("lock", self.lock)
            .finish()
    }
}

impl Drop for RLockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Nothing if the hold this guard was taken in was ended by hand.
        // The lock is in that hold only while this thread owns it (see the
        // protocol on `RLock`): no ident needed to tell.
        let lock = self.lock;
        if lock.hold.load(Ordering::Relaxed) == self.hold {
            lock.release_level(self.hold);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<RLock>();
    }

    #[test]
    fn release_all_and_restore_keep_the_depth() {
        let lock = RLock::new();
        lock.acquire();
        lock.acquire();
        lock.acquire();
        let saved = lock.release_all().unwrap();
        assert_eq!(saved.depth, 3);
        assert!(!lock.locked());
        assert_eq!(lock.release_all(), Err(SyncError::NotOwner));
        lock.acquire_restore(saved);
        assert_eq!(lock.recursion_count(), 3);
        for _ in 0..3 {
            lock.release().unwrap();
        }
        assert_eq!(lock.release(), Err(SyncError::NotOwner));
    }

    /// A zero timeout on an RLock held by another thread (and so on a
    /// Condition's lock) is a plain try: the lock is not marked contended.
    #[test]
    fn zero_timeout_is_a_plain_try() {
        let lock = RLock::new();
        let cond = crate::Condition::new();
        let (held, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        let seen = std::thread::scope(|s| {
            s.spawn(|| {
                let _a = lock.guard();
                let _b = cond.guard();
                held.wait();
                release.wait();
            });
            held.wait();
            // Looked at before asserting, so that a failure cannot leave
            // the other thread waiting for ever.
            let seen = [
                !lock.acquire_timeout(Duration::ZERO),
                !lock.raw.is_contended(),
                !cond.acquire_timeout(Duration::ZERO),
                !cond.lock().raw.is_contended(),
            ];
            release.wait();
            seen
        });
        assert_eq!(
            seen, [true; 4],
            "refused, uncontended; refused, uncontended"
        );
        assert!(lock.acquire_timeout(Duration::ZERO));
        lock.release().unwrap();
    }

    /// A Condition's waiters park on a key of their own, apart from the
    /// threads parked on its lock's word: a thread blocked on the lock is
    /// not one of the condition's waiters.
    #[test]
    fn lock_waiters_are_not_condition_waiters() {
        let cond = crate::Condition::new();
        let held = cond.guard();
        let seen = std::thread::scope(|s| {
            s.spawn(|| drop(cond.guard()));
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while cond.lock().raw.parked() == 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            // Looked at before asserting, so that a failure cannot leave
            // the other thread waiting for ever.
            let seen = (cond.lock().raw.parked(), cond.waiting());
            drop(held);
            seen
        });
        assert_eq!(seen, (1, 0), "(parked on the lock, condition waiters)");
        assert!(!cond.lock().locked());
    }

    #[test]
    fn debug_is_pythons_repr() {
        let lock = RLock::new();
        assert_eq!(format!("{lock:?}"), "<unlocked RLock count=0>");
        let _a = lock.guard();
        let _b = lock.guard();
        assert_eq!(format!("{lock:?}"), "<locked RLock count=2>");
        // Another thread sees the owner's depth, as in Python.
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(format!("{lock:?}"), "<locked RLock count=2>"));
        });
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::{Arc, AtomicUsize, Ordering};

    /// Two threads, each taking the lock twice (re-entrantly): exclusion
    /// holds, a non-owner cannot release, and the lock ends free.
    #[test]
    fn loom_rlock_reentrant_exclusion() {
        loom::model(|| {
            let lock = Arc::new(RLock::new());
            let counter = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let lock = Arc::clone(&lock);
                    let counter = Arc::clone(&counter);
                    loom::thread::spawn(move || {
                        let _outer = lock.guard();
                        let _inner = lock.guard();
                        assert_eq!(lock.recursion_count(), 2);
                        let value = counter.load(Ordering::Relaxed);
                        counter.store(value + 1, Ordering::Relaxed);
                    })
                })
                .collect();
            // The main thread never holds it: releasing is refused.
            assert_eq!(lock.release(), Err(SyncError::NotOwner));
            for h in handles {
                h.join().unwrap();
            }
            assert_eq!(counter.load(Ordering::Relaxed), 2);
            assert!(!lock.locked());
        });
    }

    /// A guard whose hold its thread ended by hand, dropped while another
    /// thread takes the lock: the guard tells its hold from `hold` alone
    /// (no ident), and whichever value of it the drop reads, it never
    /// releases the other thread's level.
    #[test]
    fn loom_rlock_ended_guard_leaves_another_threads_hold() {
        loom::model(|| {
            let lock = Arc::new(RLock::new());
            let guard = lock.guard();
            lock.release().unwrap();
            let other = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || {
                    lock.acquire();
                    assert_eq!(lock.recursion_count(), 1);
                    // Still its own: the ended guard released nothing.
                    lock.release().unwrap();
                })
            };
            drop(guard);
            other.join().unwrap();
            assert!(!lock.locked());
        });
    }
}
