//! The lock word under [`Lock`](crate::Lock) and [`RLock`](crate::RLock).
//!
//! A lock that any thread may release (Python's semantics), so it cannot be
//! a `parking_lot::Mutex` (whose guard is the only way to unlock without
//! `unsafe`). It is the classic three-state futex mutex, one `u32` that
//! parks its waiters in the process-wide parking table
//! ([`pythreading_core::wait`]) on the word's own address, with a hold
//! number in the same word:
//!
//! ```text
//! bit 0       LOCKED: some thread holds the lock
//! bit 1       CONTENDED: (only with LOCKED) a thread may be parked
//! bit 2       GUARDED: (only with LOCKED) a Lock's guard holds it
//! bits 3..32  the epoch: the number of the holds, wrapping
//! ```
//!
//! Free, the word is its epoch alone. The epoch is what lets a guard
//! release only the hold it took, and it moves in one of two ways, by the
//! lock's choice (a word is used in one way only):
//!
//! - **A [`Lock`](crate::Lock)'s**: the epoch moves on only when a hold a
//!   guard took is ended by hand ([`release`](RawLock::release) while
//!   GUARDED), which is what makes that guard's drop a no-op. A lock used
//!   with guards alone, or by hand alone, keeps epoch 0 for ever, so a
//!   guard takes it with one CAS from 0 and gives it back with one CAS to
//!   0, as parking_lot's mutex does, and `acquire` is one `lock bts`.
//! - **An [`RLock`](crate::RLock)'s** ([`acquire_counted`] and
//!   [`release_counted`]): every release moves the epoch on, so each hold
//!   has a number of its own, which the RLock keeps for its guards. The
//!   `fetch_or` that takes the word hands the epoch back, and only the
//!   holder releases an RLock, so it releases with one CAS from that value.
//!
//! [`acquire_counted`]: RawLock::acquire_counted
//! [`release_counted`]: RawLock::release_counted
//!
//! Waiting:
//!
//! - acquire: the fast path above; otherwise spin a little while nobody is
//!   parked, then announce a waiter: one CAS takes the lock (marked
//!   contended, which only costs a needless unpark later) if it is free, or
//!   marks it contended if it is not. If it was not free, park on the word,
//!   provided it still shows `LOCKED | CONTENDED` (checked under the
//!   table's bucket lock), and announce again when woken.
//! - release: one CAS clears the flags and sets the epoch; if CONTENDED was
//!   set, unpark one waiter of the word, which announces itself again (so
//!   the mark is back for the waiters still parked).
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
//! Cancellation (the `*_cancellable` acquires only; the others park with
//! the plain [`wait::park`] and never look at a token): the waiter parks
//! with [`wait::park_cancellable`], which ends at once, or as soon as the
//! calling thread's token is cancelled, with [`Wake::Cancelled`]. It leaves
//! as one that timed out does, holding nothing. A cancelled waiter took no
//! wake-up (the parking table hands a release's unpark that reaches it as
//! it is cancelled on to the next waiter), and the mark stays until the
//! next release, so the waiters still parked are woken by it. One woken
//! by a release and cancelled afterwards announces itself again before it
//! leaves, as a timed-out one does. A thread whose token is cancelled
//! before it has announced itself makes a plain last try instead, so that
//! a free lock is still taken and a held one is not marked for nobody.
//!
//! (The epoch wraps after 2^29 moves; a guard outliving exactly a multiple
//! of that many of them is the one case it cannot tell.)

use pythreading_core::Cancelled;
use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wait, Wake};

use crate::sys::{AtomicU32, Ordering};
use crate::track::Tracker;

const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;
const GUARDED: u32 = 4;
const FLAGS: u32 = LOCKED | CONTENDED | GUARDED;
const EPOCH: u32 = !FLAGS;
/// The epoch moved on once.
const NEXT_EPOCH: u32 = 8;
/// What a parked waiter expects the word to show.
const PARKED: u32 = LOCKED | CONTENDED;

/// Which hold of a [`RawLock`] a thread took: the epoch it took it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hold(u32);

impl Hold {
    /// A value that is never a hold's number (those have the flag bits
    /// clear), for a lock built on the raw one to mean "in no hold".
    pub(crate) const NONE: u32 = LOCKED;

    /// The hold's number (its epoch), for a lock built on the raw one that
    /// keeps a hold's identity itself.
    #[inline]
    pub(crate) fn number(self) -> u32 {
        self.0
    }

    /// The hold numbered `number` (a [`number`](Self::number)).
    #[inline]
    pub(crate) fn from_number(number: u32) -> Self {
        Self(number & EPOCH)
    }
}

/// Whether a plain acquire's wait ended holding the lock (it cannot be
/// cancelled: it obeys no token).
#[inline]
fn taken(outcome: Result<Option<Hold>, Cancelled>) -> bool {
    matches!(outcome, Ok(Some(_)))
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

    // ------------------------------------------------------------ taking it

    /// Sets LOCKED if it was clear (a `lock bts`): whether it was taken.
    #[inline]
    fn take_bare(&self) -> bool {
        self.state.fetch_or(LOCKED, Ordering::Acquire) & LOCKED == 0
    }

    /// Takes the lock, if it is free, with the flags `mark` (0 or GUARDED)
    /// beside LOCKED, starting from the guess `state`: the hold taken.
    #[inline]
    fn take_from(&self, mut state: u32, mark: u32) -> Option<Hold> {
        while state & LOCKED == 0 {
            match self.state.compare_exchange_weak(
                state,
                state | LOCKED | mark,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(Hold(state & EPOCH)),
                Err(now) => state = now,
            }
        }
        None
    }

    /// Takes the lock for a Lock's guard if it is free: one CAS from epoch
    /// 0, which is the epoch of every lock whose guards' holds were never
    /// ended by hand.
    #[inline]
    fn take_guarded(&self) -> Option<Hold> {
        match self
            .state
            .compare_exchange(0, LOCKED | GUARDED, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Some(Hold(0)),
            Err(state) => self.take_guarded_slow(state),
        }
    }

    /// [`take_guarded`](Self::take_guarded) when the word was not 0: out
    /// of line, so that the fast path stays small enough to be inlined.
    #[cold]
    #[inline(never)]
    fn take_guarded_slow(&self, state: u32) -> Option<Hold> {
        self.take_from(state, GUARDED)
    }

    /// Takes the lock by hand (a Lock's `acquire`) as `wait` allows, telling
    /// `track` (the deadlock detector's hooks, nothing without that
    /// feature): whether it was taken.
    #[inline]
    pub(crate) fn acquire(&self, track: &Tracker, wait: Wait) -> bool {
        if self.take_bare() {
            track.acquired();
            return true;
        }
        taken(self.acquire_blocking::<false>(track, wait, 0))
    }

    /// [`acquire`](Self::acquire) whose wait, if it must wait, obeys the
    /// calling thread's cancellation token.
    #[inline]
    pub(crate) fn acquire_cancellable(
        &self,
        track: &Tracker,
        wait: Wait,
    ) -> Result<bool, Cancelled> {
        if self.take_bare() {
            track.acquired();
            return Ok(true);
        }
        self.acquire_blocking::<true>(track, wait, 0)
            .map(|hold| hold.is_some())
    }

    /// Takes the lock for a Lock's guard as `wait` allows, telling `track`:
    /// the hold taken, which only [`release_guarded`](Self::release_guarded)
    /// with it, or a [`release`](Self::release) by hand, ends.
    #[inline]
    pub(crate) fn acquire_guarded(&self, track: &Tracker, wait: Wait) -> Option<Hold> {
        if let Some(hold) = self.take_guarded() {
            track.acquired();
            return Some(hold);
        }
        self.acquire_blocking::<false>(track, wait, GUARDED)
            .unwrap_or(None)
    }

    /// [`acquire_guarded`](Self::acquire_guarded) whose wait obeys the
    /// calling thread's cancellation token.
    #[inline]
    pub(crate) fn acquire_guarded_cancellable(
        &self,
        track: &Tracker,
        wait: Wait,
    ) -> Result<Option<Hold>, Cancelled> {
        if let Some(hold) = self.take_guarded() {
            track.acquired();
            return Ok(Some(hold));
        }
        self.acquire_blocking::<true>(track, wait, GUARDED)
    }

    /// Takes the lock of an RLock (released only by its holder, with
    /// [`release_counted`](Self::release_counted)) as `wait` allows, telling
    /// `track`: the hold taken, numbered apart from every other hold of the
    /// lock (until the epoch wraps).
    #[inline]
    pub(crate) fn acquire_counted(&self, track: &Tracker, wait: Wait) -> Option<Hold> {
        // fetch_or hands the epoch back with the lock (a `lock bts` and a
        // load after it measured no faster in the comparison suite).
        let before = self.state.fetch_or(LOCKED, Ordering::Acquire);
        if before & LOCKED == 0 {
            track.acquired();
            return Some(Hold(before & EPOCH));
        }
        self.acquire_blocking::<false>(track, wait, 0)
            .unwrap_or(None)
    }

    /// [`acquire_counted`](Self::acquire_counted) whose wait obeys the
    /// calling thread's cancellation token.
    #[inline]
    pub(crate) fn acquire_counted_cancellable(
        &self,
        track: &Tracker,
        wait: Wait,
    ) -> Result<Option<Hold>, Cancelled> {
        let before = self.state.fetch_or(LOCKED, Ordering::Acquire);
        if before & LOCKED == 0 {
            track.acquired();
            return Ok(Some(Hold(before & EPOCH)));
        }
        self.acquire_blocking::<true>(track, wait, 0)
    }

    /// The wait of an acquire whose first try failed: the hold taken,
    /// `Ok(None)` when the deadline passed first, `Err(Cancelled)` (only if
    /// `OBEY`, the calling thread's token) when it was cancelled first. The
    /// deadlock detector counts the thread as waiting until it ends, however
    /// it ends.
    #[inline]
    fn acquire_blocking<const OBEY: bool>(
        &self,
        track: &Tracker,
        wait: Wait,
        mark: u32,
    ) -> Result<Option<Hold>, Cancelled> {
        let Some(deadline) = wait.deadline() else {
            return Ok(None);
        };
        let mut outcome = Ok(None);
        track.blocking(|| {
            outcome = self.acquire_slow::<OBEY>(deadline, mark);
            matches!(outcome, Ok(Some(_)))
        });
        outcome
    }

    #[cold]
    fn acquire_slow<const OBEY: bool>(
        &self,
        deadline: Deadline,
        mark: u32,
    ) -> Result<Option<Hold>, Cancelled> {
        // Spin while nobody is parked: the holder is probably about to release.
        let mut spin = SpinWait::new();
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state & LOCKED == 0 {
                if let Some(hold) = self.take_from(state, mark) {
                    return Ok(Some(hold));
                }
                continue;
            }
            if state & CONTENDED != 0 || !spin.spin() {
                break;
            }
            if deadline.passed() {
                return Ok(self.try_take(mark));
            }
        }
        // A wait whose time is up before it parks ends with a plain try: it
        // has taken no wake-up, so it need not mark the lock contended (which
        // would make the holder's release call into the parking table). So
        // does one whose token is cancelled already.
        if deadline.passed() {
            return Ok(self.try_take(mark));
        }
        if OBEY && pythreading_core::cancelled() {
            return self.try_take(mark).map(Some).ok_or(Cancelled);
        }
        loop {
            if let Some(hold) = self.announce(mark) {
                return Ok(Some(hold));
            }
            // Announced: a wake-up this thread was given (and does not use,
            // if its time is up or its token cancelled) is passed on by the
            // next release.
            if deadline.passed() {
                return Ok(None);
            }
            let key = Key::of(&self.state);
            let validate = || self.state.load(Ordering::Relaxed) & PARKED == PARKED;
            let wake = wait::park_obeying(OBEY, key, validate, || {}, deadline);
            match wake {
                // Not woken, so no wake-up to pass on: a plain last try.
                Wake::TimedOut => return Ok(self.try_take(mark)),
                // Not woken either (a release's wake-up that reached this
                // thread as it was cancelled went on to the next waiter),
                // and the mark stays for the waiters still parked.
                Wake::Cancelled => return Err(Cancelled),
                Wake::Notified | Wake::Invalid => {}
            }
        }
    }

    /// One try, from the word as it is now.
    fn try_take(&self, mark: u32) -> Option<Hold> {
        self.take_from(self.state.load(Ordering::Relaxed), mark)
    }

    /// Takes the lock (marked contended) if it is free, or marks it
    /// contended if it is not: in one CAS, and none if it is marked already.
    fn announce(&self, mark: u32) -> Option<Hold> {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let new = if state & LOCKED == 0 {
                state | LOCKED | CONTENDED | mark
            } else if state & CONTENDED == 0 {
                state | CONTENDED
            } else {
                return None;
            };
            match self
                .state
                .compare_exchange_weak(state, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) if state & LOCKED == 0 => return Some(Hold(state & EPOCH)),
                Ok(_) => return None,
                Err(now) => state = now,
            }
        }
    }

    // ------------------------------------------------------------ giving it back

    /// Releases the lock by hand, whoever holds it; `false` if it was not
    /// locked (nothing changes). Ending a hold a guard took moves the epoch
    /// on, so that guard's drop does nothing.
    #[inline]
    pub(crate) fn release(&self) -> bool {
        // The common case in one CAS: a lock taken by hand, at epoch 0,
        // with nobody parked.
        let state =
            match self
                .state
                .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(state) => state,
            };
        self.release_if(state, |state| {
            Some(if state & GUARDED != 0 {
                (state & EPOCH).wrapping_add(NEXT_EPOCH)
            } else {
                state & EPOCH
            })
        })
    }

    /// Releases the lock for the guard that took `hold`, if that hold is
    /// still the one it is in; `false` (and nothing changes) if it was
    /// ended by hand already.
    #[inline]
    pub(crate) fn release_guarded(&self, hold: Hold) -> bool {
        match self.state.compare_exchange(
            hold.0 | LOCKED | GUARDED,
            hold.0,
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => true,
            Err(state) => self.release_if(state, |state| {
                (state & GUARDED != 0 && state & EPOCH == hold.0).then_some(hold.0)
            }),
        }
    }

    /// Releases an RLock's lock, held by the caller, probably in hold
    /// `likely` (the one it took, unless a Condition's wait took the lock
    /// again since), moving the epoch on: in one CAS if it is in that
    /// hold, and nobody is parked.
    #[inline]
    pub(crate) fn release_counted(&self, likely: Hold) -> bool {
        match self.state.compare_exchange(
            likely.0 | LOCKED,
            likely.0.wrapping_add(NEXT_EPOCH),
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => true,
            Err(state) => self.release_if(state, |state| {
                Some((state & EPOCH).wrapping_add(NEXT_EPOCH))
            }),
        }
    }

    /// Releases the lock from the observed `state`, to the epoch `next`
    /// gives for the word as it is, if it gives one. Out of line: the
    /// releases inline only their one CAS.
    #[cold]
    #[inline(never)]
    fn release_if(&self, mut state: u32, next: impl Fn(u32) -> Option<u32>) -> bool {
        loop {
            if state & LOCKED == 0 {
                return false;
            }
            let Some(released) = next(state) else {
                return false;
            };
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

    // ------------------------------------------------------------ looking at it

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

    /// The epoch now (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn epoch(&self) -> u32 {
        self.state.load(Ordering::Relaxed) & EPOCH
    }
}
