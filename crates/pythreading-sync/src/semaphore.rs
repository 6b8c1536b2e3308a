//! [`Semaphore`] and [`BoundedSemaphore`]: Python's `threading.Semaphore`
//! and `threading.BoundedSemaphore`.

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::SyncError;
use crate::loom::{AtomicUsize, Condvar, Mutex, Ordering};
use crate::spin::{SpinWait, Wait, passed};
use crate::track::{Kind, Tracker};

/// The counter and parking place shared by both semaphores.
///
/// One atomic word holds the count (`state >> 1`) and a `PARKED` bit, so
/// `acquire` and `release` cost one atomic operation when nobody waits. A
/// thread that finds the count at 0 spins briefly, then, under the parking
/// mutex, sets `PARKED` with a CAS that also confirms the count is still 0,
/// and sleeps on the condition variable. `release` adds to the count and,
/// if its CAS saw `PARKED`, notifies under the parking mutex. Because the
/// waiter's check and its announcement are one atomic operation, a release
/// either comes before it (the waiter sees the unit) or sees the bit (and
/// the waiter is asleep by the time the releaser holds the mutex). The last
/// waiter to leave clears the bit, under the mutex.
#[derive(Debug)]
struct RawSemaphore {
    state: AtomicUsize,
    /// Threads in the slow path; only changed under this mutex.
    parking: Mutex<usize>,
    parked: Condvar,
    /// `Some(initial)` for a bounded semaphore.
    bound: Option<usize>,
    /// The deadlock detector's hooks (nothing without that feature).
    track: Tracker,
}

const PARKED: usize = 1;
const ONE: usize = 2;
/// The largest count the word can hold.
const MAX_VALUE: usize = usize::MAX >> 1;

impl RawSemaphore {
    fn new(value: usize, bound: Option<usize>, name: Option<String>) -> Self {
        let value = value.min(MAX_VALUE);
        let kind = if bound.is_some() {
            Kind::BoundedSemaphore
        } else {
            Kind::Semaphore
        };
        Self {
            state: AtomicUsize::new(value << 1),
            parking: Mutex::new(0),
            parked: Condvar::new(),
            bound: bound.map(|b| b.min(MAX_VALUE)),
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
        let Some(deadline) = wait.deadline() else {
            return false;
        };
        self.track.blocking(|| self.acquire_slow(deadline))
    }

    #[cold]
    fn acquire_slow(&self, deadline: Option<Instant>) -> bool {
        let mut spin = SpinWait::new();
        while spin.spin() {
            if self.try_take() {
                return true;
            }
            if passed(deadline) {
                return self.try_take();
            }
        }
        if passed(deadline) {
            return self.try_take();
        }
        let mut parking = self.parking.lock();
        *parking += 1;
        let acquired = loop {
            let state = self.state.load(Ordering::Relaxed);
            if state >= ONE {
                if self.try_take() {
                    break true;
                }
                continue;
            }
            if state & PARKED == 0
                && self
                    .state
                    .compare_exchange(state, state | PARKED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                continue;
            }
            let (guard, timed_out) = self.parked.wait_deadline(parking, deadline);
            parking = guard;
            if timed_out {
                break self.try_take();
            }
        };
        *parking -= 1;
        if *parking == 0 {
            self.state.fetch_and(!PARKED, Ordering::Relaxed);
        }
        acquired
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
        let limit = self.bound.unwrap_or(MAX_VALUE);
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let value = state >> 1;
            let new_value = match value.checked_add(n) {
                Some(sum) if sum <= limit => sum,
                _ if self.bound.is_some() => return false,
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
            let waiters = self.parking.lock();
            if n >= *waiters {
                self.parked.notify_all();
            } else {
                for _ in 0..n {
                    self.parked.notify_one();
                }
            }
        }
        true
    }

    fn value(&self) -> usize {
        self.state.load(Ordering::Relaxed) >> 1
    }
}

/// The acquiring methods both semaphores share, over their `raw` field:
/// the three forms of `acquire` and the three guards.
macro_rules! acquire_methods {
    () => {
        /// Blocks until a unit is available and takes it.
        #[inline]
        pub fn acquire(&self) {
            self.raw.acquire(Wait::Until(None));
        }

        /// Takes a unit if one is available now; never blocks.
        #[inline]
        #[must_use = "if it returns true a unit is taken and must be released"]
        pub fn try_acquire(&self) -> bool {
            self.raw.try_acquire()
        }

        /// Waits at most `timeout` for a unit; `true` if one was taken.
        #[inline]
        pub fn acquire_timeout(&self, timeout: Duration) -> bool {
            self.raw.acquire(Wait::Timeout(timeout))
        }

        /// Takes a unit and returns a guard that gives it back when dropped.
        #[inline]
        pub fn guard(&self) -> SemaphoreGuard<'_> {
            self.acquire();
            SemaphoreGuard { raw: &self.raw }
        }

        /// [`guard`](Self::guard) if a unit is available now, without blocking.
        pub fn try_guard(&self) -> Option<SemaphoreGuard<'_>> {
            self.try_acquire()
                .then(|| SemaphoreGuard { raw: &self.raw })
        }

        /// [`guard`](Self::guard), waiting at most `timeout`.
        pub fn guard_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
            self.acquire_timeout(timeout)
                .then(|| SemaphoreGuard { raw: &self.raw })
        }

        /// How many threads are blocked in an acquire now, waiting for a
        /// unit (a snapshot, for tests and diagnostics). A thread counts
        /// once it has stopped spinning: a release then wakes it.
        pub fn waiting(&self) -> usize {
            *self.raw.parking.lock()
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
pub struct Semaphore {
    raw: RawSemaphore,
}

impl Semaphore {
    /// A semaphore holding `value` units (at most `usize::MAX / 2`).
    pub fn new(value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, None, None),
        }
    }

    /// A semaphore with a name, by which deadlock reports name it (see
    /// [`Lock::named`](crate::Lock::named)). Without the
    /// `deadlock-detection` feature the name is ignored.
    pub fn named(name: impl Into<String>, value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, None, Some(name.into())),
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
    initial: usize,
}

impl BoundedSemaphore {
    /// A bounded semaphore holding `value` units, never more.
    pub fn new(value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, Some(value), None),
            initial: value.min(MAX_VALUE),
        }
    }

    /// A bounded semaphore with a name, by which deadlock reports name it
    /// (see [`Lock::named`](crate::Lock::named)). Without the
    /// `deadlock-detection` feature the name is ignored.
    pub fn named(name: impl Into<String>, value: usize) -> Self {
        Self {
            raw: RawSemaphore::new(value, Some(value), Some(name.into())),
            initial: value.min(MAX_VALUE),
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
        self.initial
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
            self.initial
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
    use crate::loom::Arc;

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
}
