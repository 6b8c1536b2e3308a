//! The lock word under [`Lock`](crate::Lock) and [`RLock`](crate::RLock).
//!
//! A lock that any thread may release (Python's semantics), so it cannot be
//! a `parking_lot::Mutex` (whose guard is the only way to unlock without
//! `unsafe`). It is the classic three-state futex mutex, with a mutex and
//! condition variable as the parking place so that it needs no `unsafe` and
//! runs under loom:
//!
//! ```text
//! state 0: unlocked
//! state 1: locked, nobody parked
//! state 2: locked, a thread may be parked
//! ```
//!
//! - acquire: CAS 0 → 1 (the fast path: one atomic operation). Otherwise
//!   spin a little retrying the CAS, then announce a waiter with
//!   `swap(2)`: if that returns 0 the lock is ours (with state 2, which only
//!   costs a needless wake-up later). If not, park: under the parking mutex,
//!   wait on the condition variable while the state is still 2.
//! - release: `swap(0)`; if it was 2, take the parking mutex and wake one
//!   parked thread, which retries `swap(2)`.
//!
//! No wake-up is lost: a waiter checks the state under the parking mutex and
//! the releaser notifies under it after changing the state, so either the
//! waiter sees the released state or it is already waiting when notified. A
//! waiter that gives up at its deadline makes one last `swap(2)`, so a
//! notification it may have taken is passed on by the next release.

use std::time::Instant;

use crate::loom::{AtomicU32, Condvar, Mutex, Ordering};
pub(crate) use crate::spin::Wait;
use crate::spin::{SpinWait, passed};
use crate::track::Tracker;

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

#[derive(Debug, Default)]
pub(crate) struct RawLock {
    state: AtomicU32,
    parking: Mutex<()>,
    parked: Condvar,
}

impl RawLock {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            state: AtomicU32::new(UNLOCKED),
            parking: Mutex::new(()),
            parked: Condvar::new(),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU32::new(UNLOCKED),
            parking: Mutex::new(()),
            parked: Condvar::new(),
        }
    }

    /// Takes the lock if it is free; never blocks.
    #[inline]
    #[must_use]
    pub(crate) fn try_acquire(&self) -> bool {
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the lock as `wait` allows, telling `track` (the deadlock
    /// detector's hooks, nothing without that feature). Returns whether it
    /// was taken.
    #[inline]
    pub(crate) fn acquire_tracked(&self, track: &Tracker, wait: Wait) -> bool {
        if self.try_acquire() {
            track.acquired();
            return true;
        }
        let Some(deadline) = wait.deadline() else {
            return false;
        };
        track.blocking(|| self.acquire_slow(deadline))
    }

    #[cold]
    fn acquire_slow(&self, deadline: Option<Instant>) -> bool {
        // Spin while nobody is parked: the holder is probably about to release.
        let mut spin = SpinWait::new();
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state == UNLOCKED {
                if self.try_acquire() {
                    return true;
                }
                continue;
            }
            if state == CONTENDED || !spin.spin() {
                break;
            }
            if passed(deadline) {
                return self.try_acquire();
            }
        }
        // A wait whose time is up before it parks ends with a plain try: it
        // has taken no wake-up, so it need not mark the lock contended (which
        // would make the holder's release take the parking mutex).
        if passed(deadline) {
            return self.try_acquire();
        }
        loop {
            if self.state.swap(CONTENDED, Ordering::Acquire) == UNLOCKED {
                return true;
            }
            if passed(deadline) {
                return false;
            }
            let mut parking = self.parking.lock();
            while self.state.load(Ordering::Relaxed) == CONTENDED {
                let (guard, timed_out) = self.parked.wait_deadline(parking, deadline);
                parking = guard;
                if timed_out {
                    drop(parking);
                    // One last try, which also re-marks the lock as contended
                    // so that a wake-up this thread may have taken is passed on.
                    return self.state.swap(CONTENDED, Ordering::Acquire) == UNLOCKED;
                }
            }
        }
    }

    /// Releases the lock; `false` if it was not locked (nothing changes).
    #[inline]
    pub(crate) fn release(&self) -> bool {
        match self.state.swap(UNLOCKED, Ordering::Release) {
            UNLOCKED => false,
            LOCKED => true,
            _ => {
                self.wake_one();
                true
            }
        }
    }

    #[cold]
    fn wake_one(&self) {
        let _parking = self.parking.lock();
        self.parked.notify_one();
    }

    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != UNLOCKED
    }

    /// Whether the lock is marked as having a parked waiter (its release
    /// will take the parking mutex).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_contended(&self) -> bool {
        self.state.load(Ordering::Relaxed) == CONTENDED
    }
}
