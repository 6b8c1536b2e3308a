//! The lock word under [`Lock`](crate::Lock) and [`RLock`](crate::RLock).
//!
//! A lock that any thread may release (Python's semantics), so it cannot be
//! a `parking_lot::Mutex` (whose guard is the only way to unlock without
//! `unsafe`). It is the classic three-state futex mutex, one `u32` that
//! parks its waiters in the process-wide parking table
//! ([`pythreading_core::wait`]) on the word's own address, plus a count of
//! holds in the same word:
//!
//! ```text
//! bit 0       LOCKED: some thread holds the lock
//! bit 1       CONTENDED: (only with LOCKED) a thread may be parked
//! bits 2..32  the hold: how many times the lock was released, wrapping
//! ```
//!
//! - acquire: `fetch_or(LOCKED)`; the lock is ours if LOCKED was clear (the
//!   fast path: one atomic operation, and the hold comes back with it).
//!   Otherwise spin a little while nobody is parked, then announce a waiter
//!   with `fetch_or(LOCKED | CONTENDED)`: if LOCKED was clear the lock is
//!   ours (marked contended, which only costs a needless unpark later). If
//!   not, park on the word, provided it still shows `LOCKED | CONTENDED`
//!   (checked under the table's bucket lock), and announce again when woken.
//! - release: one CAS clears both flags and counts the hold; if CONTENDED
//!   was set, unpark one waiter of the word, which announces itself again
//!   (so the mark is back for the waiters still parked).
//!
//! No wake-up is lost: a waiter checks the word under the bucket lock and
//! is queued before that lock is released, and a releaser changes the word
//! before it takes the bucket lock to unpark, so either the waiter sees the
//! released word or it is queued when the releaser looks. A waiter woken
//! after its deadline still announces itself once before it gives up, so
//! the mark it was woken for is set again and the next release wakes the
//! next waiter; a waiter that times out without being woken took no
//! wake-up, and makes a plain last try.
//!
//! The hold is what lets a guard release only the hold it took: it keeps the
//! hold it acquired and releases the lock only if the word still shows that
//! hold ([`release_hold`](RawLock::release_hold)). Once the lock was released
//! by hand, the count has moved on and the guard does nothing. (The count
//! wraps after 2^30 releases; a guard outliving exactly a multiple of that
//! many releases of its lock is the one case it cannot tell.)

use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wait, Wake};

use crate::sys::{AtomicU32, Ordering};
use crate::track::Tracker;

const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;
const FLAGS: u32 = LOCKED | CONTENDED;
/// One more release in the hold count.
const RELEASED_ONCE: u32 = 4;

/// Which hold of a [`RawLock`] a thread took: the count of releases when it
/// acquired it. Only that hold's own release changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hold(u32);

impl Hold {
    /// A value that is never a hold's number (those have the flag bits
    /// clear), for a lock built on the raw one to mean "in no hold".
    pub(crate) const NONE: u32 = LOCKED;

    /// The hold's number (the count of releases before it), for a lock
    /// built on the raw one that keeps a hold's identity itself.
    #[inline]
    pub(crate) fn number(self) -> u32 {
        self.0
    }

    /// The hold numbered `number` (a [`number`](Self::number)).
    #[inline]
    pub(crate) fn from_number(number: u32) -> Self {
        Self(number & !FLAGS)
    }
}

/// The lock word; waiters park on its address.
#[derive(Debug, Default)]
pub(crate) struct RawLock {
    state: AtomicU32,
}

impl RawLock {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            state: AtomicU32::new(0),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU32::new(0),
        }
    }

    /// Takes the lock if it is free; never blocks. The hold it took, if it did.
    #[inline]
    #[must_use]
    pub(crate) fn try_acquire(&self) -> Option<Hold> {
        Self::taken(self.state.fetch_or(LOCKED, Ordering::Acquire))
    }

    /// The hold taken by an RMW that set LOCKED in a word that was `before`,
    /// or `None` if it was locked already.
    #[inline]
    fn taken(before: u32) -> Option<Hold> {
        (before & LOCKED == 0).then_some(Hold(before & !FLAGS))
    }

    /// Takes the lock as `wait` allows, telling `track` (the deadlock
    /// detector's hooks, nothing without that feature). Returns the hold
    /// taken, if it was taken.
    #[inline]
    pub(crate) fn acquire_tracked(&self, track: &Tracker, wait: Wait) -> Option<Hold> {
        if let Some(hold) = self.try_acquire() {
            track.acquired();
            return Some(hold);
        }
        let deadline = wait.deadline()?;
        let mut hold = None;
        track.blocking(|| {
            hold = self.acquire_slow(deadline);
            hold.is_some()
        });
        hold
    }

    #[cold]
    fn acquire_slow(&self, deadline: Deadline) -> Option<Hold> {
        // Spin while nobody is parked: the holder is probably about to release.
        let mut spin = SpinWait::new();
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state & LOCKED == 0 {
                if let Some(hold) = self.try_acquire() {
                    return Some(hold);
                }
                continue;
            }
            if state & CONTENDED != 0 || !spin.spin() {
                break;
            }
            if deadline.passed() {
                return self.try_acquire();
            }
        }
        // A wait whose time is up before it parks ends with a plain try: it
        // has taken no wake-up, so it need not mark the lock contended (which
        // would make the holder's release call into the parking table).
        if deadline.passed() {
            return self.try_acquire();
        }
        loop {
            if let Some(hold) = self.announce() {
                return Some(hold);
            }
            // Announced: a wake-up this thread was given (and does not use,
            // if its time is up) is passed on by the next release.
            if deadline.passed() {
                return None;
            }
            let wake = wait::park(
                Key::of(&self.state),
                || self.state.load(Ordering::Relaxed) & FLAGS == FLAGS,
                || {},
                deadline,
            );
            if wake == Wake::TimedOut {
                // Not woken, so no wake-up to pass on: a plain last try.
                return self.try_acquire();
            }
        }
    }

    /// Marks the lock contended and takes it if it was free.
    fn announce(&self) -> Option<Hold> {
        Self::taken(self.state.fetch_or(FLAGS, Ordering::Acquire))
    }

    /// Releases the lock, whoever holds it; `false` if it was not locked
    /// (nothing changes).
    #[inline]
    pub(crate) fn release(&self) -> bool {
        self.release_if(self.state.load(Ordering::Relaxed), |_| true)
    }

    /// Releases the lock if `hold` is still the hold it is in; `false` (and
    /// nothing changes) if that hold has ended already.
    #[inline]
    pub(crate) fn release_hold(&self, hold: Hold) -> bool {
        self.release_expecting(hold, |held| held == hold)
    }

    /// Releases the lock, held by the caller, probably in hold `likely`: in
    /// one CAS if it is, and nobody is parked (a lock that keeps a hold's
    /// identity itself knows which hold that is, most of the time).
    #[inline]
    pub(crate) fn release_held(&self, likely: Hold) -> bool {
        self.release_expecting(likely, |_| true)
    }

    /// Releases the lock in one CAS if it is in hold `expected` with nobody
    /// parked (the common case, as parking_lot's unlock); otherwise the
    /// general way, if `mine` says the hold it is in may be ended.
    #[inline]
    fn release_expecting(&self, expected: Hold, mine: impl Fn(Hold) -> bool) -> bool {
        match self.state.compare_exchange(
            expected.0 | LOCKED,
            expected.0.wrapping_add(RELEASED_ONCE),
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => true,
            Err(state) => self.release_if(state, mine),
        }
    }

    /// Releases the lock from the observed `state` if `mine` says the hold
    /// it is in may be ended.
    #[inline]
    fn release_if(&self, mut state: u32, mine: impl Fn(Hold) -> bool) -> bool {
        loop {
            if state & LOCKED == 0 || !mine(Hold(state & !FLAGS)) {
                return false;
            }
            let released = (state & !FLAGS).wrapping_add(RELEASED_ONCE);
            match self.state.compare_exchange_weak(
                state,
                released,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & CONTENDED != 0 {
            self.wake_one();
        }
        true
    }

    /// Wakes one parked waiter (the word has been released already).
    #[cold]
    fn wake_one(&self) {
        wait::unpark_one(Key::of(&self.state));
    }

    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Whether the lock is marked as having a parked waiter (its release
    /// will unpark one).
    pub(crate) fn is_contended(&self) -> bool {
        self.state.load(Ordering::Relaxed) & CONTENDED != 0
    }

    /// How many threads are parked on the word now (a snapshot, for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn parked(&self) -> usize {
        wait::parked(Key::of(&self.state))
    }
}
