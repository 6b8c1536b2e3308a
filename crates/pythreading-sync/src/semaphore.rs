//! [`Semaphore`] and [`BoundedSemaphore`]: Python's `threading.Semaphore`
//! and `threading.BoundedSemaphore`.

use std::fmt;
use std::time::Duration;

use pythreading_core::Cancelled;
use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wait, Wake};

use crate::error::SyncError;
use crate::sys::{AtomicUsize, Ordering};
use crate::track::{Kind, Tracker};

/// The counter shared by both semaphores, and how its waiters park.
///
/// One atomic word holds the count (`state >> 1`) and a `PARKED` bit, so
/// `acquire` and `release` cost one atomic operation when nobody waits. A
/// thread that finds the count at 0 spins briefly, then counts itself in
/// `waiters`, sets `PARKED` with a CAS that also confirms the count is
/// still 0, and parks on the word's address in the parking table, after
/// checking under the table's lock that the word still reads "0, PARKED".
/// `release` adds to the count and, if its CAS saw `PARKED`, unparks as
/// many waiters as it gave units back (one for `release()`). Because the
/// waiter's check comes after its announcement, a release either comes
/// before the check (the waiter sees the unit) or sees the bit (and finds
/// the waiter queued).
///
/// The last waiter to leave clears the bit, also under the table's lock,
/// and only if no waiter counted itself in meanwhile: a waiter counts
/// itself before it is queued, so the bit is never cleared while one is
/// parked, and releases cost one atomic operation again once nobody waits.
///
/// A cancellable acquire parks with [`wait::park_cancellable`], and a
/// waiter whose token is cancelled leaves as one that timed out does: it
/// counts itself out of `waiters` (the last one clearing the bit) and takes
/// no unit. It was not woken either: a release's unpark that reaches it as
/// it is cancelled goes on to the next waiter, and the unit stays counted
/// for whoever comes.
#[derive(Debug)]
struct RawSemaphore {
    state: AtomicUsize,
    /// Threads past the spin of an acquire, parked or about to be.
    waiters: AtomicUsize,
    /// The initial value of a bounded semaphore, or `UNBOUNDED`.
    bound: usize,
    /// The deadlock detector's hooks (nothing without that feature).
    track: Tracker,
}

const PARKED: usize = 1;
const ONE: usize = 2;
/// The largest count the word can hold.
const MAX_VALUE: usize = usize::MAX >> 1;
/// The `bound` of a plain semaphore (no bound can be this large).
const UNBOUNDED: usize = usize::MAX;

impl RawSemaphore {
    fn new(value: usize, bounded: bool, name: Option<String>) -> Self {
        let value = value.min(MAX_VALUE);
        let (kind, bound) = if bounded {
            (Kind::BoundedSemaphore, value)
        } else {
            (Kind::Semaphore, UNBOUNDED)
        };
        Self {
            state: AtomicUsize::new(value << 1),
            waiters: AtomicUsize::new(0),
            bound,
            track: Tracker::counting(kind, name, value),
        }
    }

    /// Takes a unit if one is available now, telling the tracker.
    #[inline]
    #[must_use]
    fn try_acquire(&self) -> bool {
        let taken = self.try_take();
        if taken {
            self.track.acquired();
        }
        taken
    }

    /// Takes a unit if one is available now.
    #[inline]
    #[must_use]
    fn try_take(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        while state >= ONE {
            match self.state.compare_exchange_weak(
                state,
                state - ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// Takes one unit as `wait` allows, telling the tracker; whether it was
    /// taken.
    #[inline]
    fn acquire(&self, wait: Wait) -> bool {
        if self.try_acquire() {
            return true;
        }
        self.acquire_blocking::<false>(wait) == Ok(true)
    }

    /// [`acquire`](Self::acquire) whose wait, if it must wait, obeys the
    /// calling thread's cancellation token.
    #[inline]
    fn acquire_cancellable(&self, wait: Wait) -> Result<bool, Cancelled> {
        if self.try_acquire() {
            return Ok(true);
        }
        self.acquire_blocking::<true>(wait)
    }

    /// The wait of an acquire whose first try failed: whether a unit was
    /// taken, or `Err(Cancelled)` (only if `OBEY`) if the calling thread's
    /// token was cancelled first.
    #[inline]
    fn acquire_blocking<const OBEY: bool>(&self, wait: Wait) -> Result<bool, Cancelled> {
        let Some(deadline) = wait.deadline() else {
            return Ok(false);
        };
        let mut outcome = Ok(false);
        self.track.blocking(|| {
            outcome = self.acquire_slow::<OBEY>(deadline);
            outcome == Ok(true)
        });
        outcome
    }

    #[cold]
    fn acquire_slow<const OBEY: bool>(&self, deadline: Deadline) -> Result<bool, Cancelled> {
        let mut spin = SpinWait::new();
        while spin.spin() {
            if self.try_take() {
                return Ok(true);
            }
            if deadline.passed() {
                return Ok(self.try_take());
            }
        }
        if deadline.passed() {
            return Ok(self.try_take());
        }
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let acquired = self.park_for_unit::<OBEY>(deadline);
        // (AcqRel: every waiter's `PARKED` comes before the last one's
        // clearing of it.) A cancelled waiter leaves here too.
        if self.waiters.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.clear_parked();
        }
        acquired
    }

    /// Parks until a unit is taken, or `deadline`, or (if `OBEY`) the
    /// calling thread's token is cancelled; called counted in `waiters`.
    fn park_for_unit<const OBEY: bool>(&self, deadline: Deadline) -> Result<bool, Cancelled> {
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state >= ONE {
                if self.try_take() {
                    return Ok(true);
                }
                continue;
            }
            // No unit, and no mark yet: set it.
            if state == 0
                && self
                    .state
                    .compare_exchange_weak(0, PARKED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                continue;
            }
            let validate = || self.state.load(Ordering::Relaxed) == PARKED;
            let wake = wait::park_obeying(OBEY, self.key(), validate, || {}, deadline);
            match wake {
                // Woken for a unit after the deadline passed: a last try. If
                // another thread took the unit first, the wake-up was used
                // all the same; and `PARKED` stays while waiters are left.
                Wake::Notified if deadline.passed() => return Ok(self.try_take()),
                Wake::Notified | Wake::Invalid => {}
                Wake::TimedOut => return Ok(self.try_take()),
                // Not woken: no wake-up to use or pass on, no unit taken.
                Wake::Cancelled => return Err(Cancelled),
            }
        }
    }

    /// Clears `PARKED` once no thread waits any more. Under the parking
    /// table's lock (the check of a [`wait::park`] that never parks), where
    /// a waiter checks the word before it is queued: a waiter that counted
    /// itself in before this check keeps the bit, and one that counts itself
    /// in after it finds the bit cleared at its own check, and sets it again.
    #[cold]
    fn clear_parked(&self) {
        let clear = || {
            if self.waiters.load(Ordering::Relaxed) == 0 {
                self.state.fetch_and(!PARKED, Ordering::Relaxed);
            }
            false
        };
        let wake = wait::park(self.key(), clear, || {}, Deadline::NEVER);
        debug_assert_eq!(wake, Wake::Invalid);
    }

    /// What waiters park on: the word's address.
    #[inline]
    fn key(&self) -> Key {
        Key::of(&self.state)
    }

    /// Adds `n` units, unless that passes the bound (then `false`, nothing
    /// changes), and wakes up to `n` waiters; the tracker records it only
    /// if the units really went back.
    fn release(&self, n: usize) -> bool {
        if n == 0 {
            return true;
        }
        self.track.release(n, || self.give_back(n))
    }

    /// [`release`](Self::release) without the tracker.
    fn give_back(&self, n: usize) -> bool {
        let bounded = self.bound != UNBOUNDED;
        let limit = self.bound.min(MAX_VALUE);
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let value = state >> 1;
            let new_value = match value.checked_add(n) {
                Some(sum) if sum <= limit => sum,
                _ if bounded => return false,
                // Saturate rather than wrap: MAX_VALUE units is "unlimited".
                _ => MAX_VALUE,
            };
            match self.state.compare_exchange_weak(
                state,
                (new_value << 1) | (state & PARKED),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & PARKED != 0 {
            wait::unpark(self.key(), n);
        }
        true
    }

    fn value(&self) -> usize {
        self.state.load(Ordering::Relaxed) >> 1
    }

    /// Threads parked in an acquire now.
    fn parked(&self) -> usize {
        wait::parked(self.key())
    }
}

/// The acquiring methods both semaphores share, over their `raw` field:
/// the four forms of `acquire` and the four guards.
macro_rules! acquire_methods {
    () => {
        /// Blocks until a unit is available and takes it.
        ///
        /// Does not obey the cancellation token (it cannot report it); see
        /// [`acquire_cancellable`](Self::acquire_cancellable).
        #[inline]
        pub fn acquire(&self) {
            self.raw.acquire(Wait::FOREVER);
        }

        /// Takes a unit if one is available now; never blocks.
        #[inline]
        #[must_use = "if it returns true a unit is taken and must be released"]
        pub fn try_acquire(&self) -> bool {
            self.raw.try_acquire()
        }

        /// Waits at most `timeout` for a unit; `true` if one was taken.
        ///
        /// Does not obey the cancellation token (it cannot report it); see
        /// [`acquire_cancellable`](Self::acquire_cancellable).
        #[inline]
        pub fn acquire_timeout(&self, timeout: Duration) -> bool {
            self.raw.acquire(Wait::Timeout(timeout))
        }

        /// Waits for a unit at most `timeout` (`None`: without a limit;
        /// `Some(Duration::ZERO)`: a plain try, which never blocks),
        /// obeying the calling thread's current
        /// [`CancellationToken`](pythreading_core::CancellationToken).
        ///
        /// `Ok(true)`: a unit was taken; `Ok(false)`: the timeout passed
        /// first; `Err(Cancelled)`: the token was cancelled first, and no
        /// unit was taken (the value is as it was). The token is looked at
        /// only when the call must wait: a free unit is taken even under a
        /// cancelled token.
        #[inline]
        pub fn acquire_cancellable(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
            self.raw.acquire_cancellable(Wait::from_timeout(timeout))
        }

        /// Takes a unit and returns a guard that gives it back when dropped.
        ///
        /// Does not obey the cancellation token (it cannot report it); see
        /// [`guard_cancellable`](Self::guard_cancellable).
        #[inline]
        pub fn guard(&self) -> SemaphoreGuard<'_> {
            self.acquire();
            SemaphoreGuard { raw: &self.raw }
        }

        /// [`guard`](Self::guard), obeying the calling thread's current
        /// [`CancellationToken`](pythreading_core::CancellationToken): once
        /// it is cancelled, a wait for a unit ends with `Err(Cancelled)`
        /// and no unit is taken.
        #[inline]
        pub fn guard_cancellable(&self) -> Result<SemaphoreGuard<'_>, Cancelled> {
            let taken = self.acquire_cancellable(None)?;
            debug_assert!(taken, "a wait without a deadline ends with a unit");
            Ok(SemaphoreGuard { raw: &self.raw })
        }

        /// [`guard`](Self::guard) if a unit is available now, without blocking.
        pub fn try_guard(&self) -> Option<SemaphoreGuard<'_>> {
            self.try_acquire()
                .then(|| SemaphoreGuard { raw: &self.raw })
        }

        /// [`guard`](Self::guard), waiting at most `timeout`. Does not obey
        /// the cancellation token, as [`guard`](Self::guard).
        pub fn guard_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
            self.acquire_timeout(timeout)
                .then(|| SemaphoreGuard { raw: &self.raw })
        }

        /// How many threads are blocked in an acquire now, waiting for a
        /// unit (a snapshot, for tests and diagnostics). A thread counts
        /// once it has stopped spinning and parked: a release then wakes it.
        pub fn waiting(&self) -> usize {
            self.raw.parked()
        }
    };
}

/// A counter of available units: Python's `threading.Semaphore`.
///
/// [`acquire`](Semaphore::acquire) takes a unit, blocking while there is
/// none; [`release`](Semaphore::release) gives one back, from any thread.
/// The classic use is a pool of limited size, as in the tutorial: at most
/// `n` threads hold a connection at once.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pythreading_sync::Semaphore;
///
/// let pool = Arc::new(Semaphore::new(2)); // two connections
/// let in_use = Arc::new(AtomicUsize::new(0));
/// let threads: Vec<_> = (0..6)
///     .map(|_| {
///         let (pool, in_use) = (Arc::clone(&pool), Arc::clone(&in_use));
///         std::thread::spawn(move || {
///             let _connection = pool.guard();
///             assert!(in_use.fetch_add(1, Ordering::SeqCst) < 2);
///             in_use.fetch_sub(1, Ordering::SeqCst);
///         })
///     })
///     .collect();
/// for t in threads {
///     t.join().unwrap();
/// }
/// assert_eq!(pool.value(), 2);
/// ```
///
/// Releasing more than was acquired simply raises the count, as in Python;
/// [`BoundedSemaphore`] refuses that.
///
/// # Cancellation
///
/// `acquire`, `acquire_timeout`, `guard` and `guard_timeout` do not obey
/// the calling thread's
/// [`CancellationToken`](pythreading_core::CancellationToken) (they cannot
/// report it); [`acquire_cancellable`](Semaphore::acquire_cancellable) and
/// [`guard_cancellable`](Semaphore::guard_cancellable) do, and a cancelled
/// one takes no unit. The same holds for [`BoundedSemaphore`].
///
/// ```
/// use pythreading_core::{CancellationToken, Cancelled};
/// use pythreading_sync::Semaphore;
///
/// let pool = Semaphore::new(0);
/// let token = CancellationToken::new();
/// token.cancel();
/// assert_eq!(token.run(|| pool.acquire_cancellable(None)), Err(Cancelled));
/// pool.release();
/// // A free unit is taken without waiting, so without looking at the token.
/// assert_eq!(token.run(|| pool.acquire_cancellable(None)), Ok(true));
/// assert_eq!(pool.value(), 0);
/// ```
pub struct Semaphore {
    raw: RawSemaphore,
}

impl Semaphore {
    /// A semaphore holding `value` units (at most `usize::MAX / 2`).
    pub fn new(value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, false, None),
        }
    }

    /// A semaphore with a name, by which deadlock reports name it (see
    /// [`Lock::named`](crate::Lock::named)). Without the
    /// `deadlock-detection` feature the name is ignored.
    pub fn named(name: impl Into<String>, value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, false, Some(name.into())),
        }
    }

    acquire_methods!();

    /// Gives one unit back, waking one waiter.
    #[inline]
    pub fn release(&self) {
        self.raw.release(1);
    }

    /// Gives `n` units back at once, waking up to `n` waiters (Python's
    /// `release(n)`). `n == 0` changes nothing. The count saturates at
    /// `usize::MAX / 2` instead of wrapping.
    pub fn release_n(&self, n: usize) {
        self.raw.release(n);
    }

    /// The units available now (Python's `_value`).
    pub fn value(&self) -> usize {
        self.raw.value()
    }
}

impl Default for Semaphore {
    /// `Semaphore::new(1)`, as Python's `Semaphore()`.
    fn default() -> Self {
        Self::new(1)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Semaphore value={}>", self.value())
    }
}

/// A [`Semaphore`] that refuses to go above its initial value: Python's
/// `threading.BoundedSemaphore`.
///
/// Releasing more units than were acquired is usually a bug; here it is
/// [`SyncError::TooManyReleases`], and the count does not change.
///
/// ```
/// use pythreading_sync::{BoundedSemaphore, SyncError};
///
/// let slots = BoundedSemaphore::new(2);
/// slots.acquire();
/// assert_eq!(slots.release_n(2), Err(SyncError::TooManyReleases));
/// assert_eq!(slots.value(), 1); // unchanged
/// slots.release()?;
/// assert_eq!(slots.release(), Err(SyncError::TooManyReleases));
/// # Ok::<(), SyncError>(())
/// ```
pub struct BoundedSemaphore {
    raw: RawSemaphore,
}

impl BoundedSemaphore {
    /// A bounded semaphore holding `value` units, never more.
    pub fn new(value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, true, None),
        }
    }

    /// A bounded semaphore with a name, by which deadlock reports name it
    /// (see [`Lock::named`](crate::Lock::named)). Without the
    /// `deadlock-detection` feature the name is ignored.
    pub fn named(name: impl Into<String>, value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, true, Some(name.into())),
        }
    }

    acquire_methods!();

    /// Gives one unit back; above the initial value:
    /// [`SyncError::TooManyReleases`] and nothing changes.
    #[inline]
    pub fn release(&self) -> Result<(), SyncError> {
        self.release_n(1)
    }

    /// Gives `n` units back at once; if that would pass the initial value:
    /// [`SyncError::TooManyReleases`] and nothing changes. `n == 0` changes
    /// nothing.
    pub fn release_n(&self, n: usize) -> Result<(), SyncError> {
        if self.raw.release(n) {
            Ok(())
        } else {
            Err(SyncError::TooManyReleases)
        }
    }

    /// The units available now.
    pub fn value(&self) -> usize {
        self.raw.value()
    }

    /// The initial value, which the count may never pass.
    pub fn initial_value(&self) -> usize {
        self.raw.bound
    }
}

impl Default for BoundedSemaphore {
    /// `BoundedSemaphore::new(1)`, as Python's `BoundedSemaphore()`.
    fn default() -> Self {
        Self::new(1)
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<BoundedSemaphore value={}/{}>",
            self.value(),
            self.initial_value()
        )
    }
}

/// Holds one unit of a [`Semaphore`] or [`BoundedSemaphore`]; gives it back
/// when dropped, also while unwinding. Any thread may drop it.
///
/// Units are alike, so a release by hand while a guard is alive does not end
/// the guard's hold: it gives back one more unit, and the guard still gives
/// back its own when dropped. For a [`Semaphore`] the count then ends one
/// higher, as in Python. A [`BoundedSemaphore`] never passes its bound: if
/// the hand release used up the room, the guard's release is refused
/// (silently, as a drop cannot fail), and the hand release stands for it.
/// Unlike a lock's guard, a semaphore's guard cannot tell that a hand release
/// was meant for its unit: keep hand releases for hand acquisitions.
///
/// ```
/// use pythreading_sync::{BoundedSemaphore, Semaphore};
///
/// let pool = Semaphore::new(1);
/// let unit = pool.guard();
/// pool.release(); // one more unit
/// drop(unit); // and the guard's own
/// assert_eq!(pool.value(), 2);
///
/// let slots = BoundedSemaphore::new(1);
/// let unit = slots.guard();
/// slots.release()?; // gives back the only unit taken
/// drop(unit); // would pass the bound: refused
/// assert_eq!(slots.value(), 1);
/// # Ok::<(), pythreading_sync::SyncError>(())
/// ```
#[must_use = "if unused the unit is given back at once"]
#[clippy::has_significant_drop]
pub struct SemaphoreGuard<'a> {
    raw: &'a RawSemaphore,
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard")
            .field("value", &self.raw.value())
            .finish()
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Refused only if a bounded semaphore was over-released by hand.
        self.raw.release(1);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Semaphore>();
        send_sync::<BoundedSemaphore>();
        send_sync::<SemaphoreGuard<'_>>();
    }

    #[test]
    fn release_saturates() {
        let s = Semaphore::new(usize::MAX - 1);
        assert_eq!(s.value(), usize::MAX / 2);
        s.release_n(5);
        assert_eq!(s.value(), usize::MAX / 2);
    }

    #[test]
    fn bounded_overflow_is_refused() {
        let s = BoundedSemaphore::new(usize::MAX);
        assert_eq!(s.release(), Err(SyncError::TooManyReleases));
        assert_eq!(s.value(), usize::MAX / 2);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::Arc;

    /// Two units, three threads: never more than two inside, nothing lost,
    /// and the count ends where it started.
    #[test]
    fn loom_semaphore_counts() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(1));
            let inside = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (sem, inside) = (Arc::clone(&sem), Arc::clone(&inside));
                    loom::thread::spawn(move || {
                        let _unit = sem.guard();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            assert_eq!(sem.value(), 1);
        });
    }

    /// A release from another thread wakes a waiter parked at 0 (no lost
    /// wake-up), and a bounded release above the initial value is refused.
    #[test]
    fn loom_semaphore_release_wakes_waiter() {
        loom::model(|| {
            let sem = Arc::new(BoundedSemaphore::new(1));
            sem.acquire();
            let waiter = {
                let sem = Arc::clone(&sem);
                loom::thread::spawn(move || {
                    sem.acquire();
                    sem.release().unwrap();
                })
            };
            let releaser = {
                let sem = Arc::clone(&sem);
                loom::thread::spawn(move || sem.release().unwrap())
            };
            releaser.join().unwrap();
            waiter.join().unwrap();
            assert_eq!(sem.value(), 1);
            assert_eq!(sem.release(), Err(SyncError::TooManyReleases));
        });
    }

    /// A timed waiter (which, under loom, times out as soon as it parks)
    /// leaves while a blocking one parks: the last to leave clears `PARKED`
    /// only if nobody is left to wake, so the release still reaches the
    /// blocking waiter (loom reports a stranded one as a deadlock). A unit
    /// the timed waiter got it gives back.
    #[test]
    fn loom_semaphore_leaving_waiter_strands_nobody() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let timed = {
                let sem = Arc::clone(&sem);
                loom::thread::spawn(move || {
                    if sem.acquire_timeout(Duration::from_secs(3600)) {
                        sem.release();
                    }
                })
            };
            let blocking = {
                let sem = Arc::clone(&sem);
                loom::thread::spawn(move || sem.acquire())
            };
            sem.release();
            timed.join().unwrap();
            blocking.join().unwrap();
            assert_eq!(sem.value(), 0);
            assert_eq!(sem.raw.waiters.load(Ordering::Relaxed), 0);
            assert_eq!(sem.raw.state.load(Ordering::Relaxed) & PARKED, 0);
        });
    }

    /// Two releases of one unit each reach two parked waiters, one each,
    /// however the releases and the wake-ups interleave.
    #[test]
    fn loom_semaphore_two_releases_two_waiters() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let sem = Arc::clone(&sem);
                    loom::thread::spawn(move || sem.acquire())
                })
                .collect();
            sem.release();
            sem.release();
            for waiter in waiters {
                waiter.join().unwrap();
            }
            assert_eq!(sem.value(), 0);
        });
    }
}
