//! The machinery the three queues share: one mutex over the items and the
//! counters, and the parking table for the threads that wait.
//!
//! Everything that decides to sleep or to wake happens under the mutex.
//! A thread that must wait counts itself in the state (`getters`, `putters`
//! or `joiners`) and parks on the address of that counter with
//! [`wait::park_releasing`], which queues it in the parking table before
//! the mutex is released; so a thread that changes the state under the
//! mutex afterwards finds it counted and queued, and no wake-up is lost.
//! The counter holds the threads parked and *not yet woken*: a waker
//! unparks only while it is non-zero, and takes out of it exactly the
//! threads the table says it woke (it unparks under the mutex to know that
//! number; a thread whose deadline passed takes itself out when it locks
//! again). So a put with nobody parked costs no call into the table, and
//! once a sleeping getter has been woken the next puts do not wake it
//! again while it is on its way.
//!
//! Before parking, a getter or putter spins briefly outside the lock on a
//! copy of the length (`len`), on a cache line of its own: a producer and a
//! consumer running on two cores then hand items over without parking.
//! The copy is kept only while someone spins on it (`spinners`): with
//! nobody spinning, a put or a get writes the cache line of the lock and
//! the slot of its item, and nothing else.
//!
//! Cancellation: a blocked put or get parks with
//! [`wait::park_releasing_cancellable`], so it also wakes when the calling
//! thread's current token is cancelled (a join does only in its
//! cancellable form). That costs the fast path nothing: the token is read
//! only by the park. A cancelled waiter is one the table did not wake: an
//! unpark that reaches it as it is cancelled goes on to the next waiter of
//! the key and is the one the waker counts out, so the cancelled thread
//! takes itself out of the counter when it locks again, as a thread whose
//! deadline passed does. Then it looks at the state once more, as after
//! any wake-up: an item (or room) that is there is taken, and only
//! otherwise does it report the cancel, having taken nothing.

use std::panic::{self, AssertUnwindSafe};

use pythreading_core::Cancelled;
use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wait, Wake};

use super::error::{GetError, PutError};
use super::reentry;
use super::store::Store;
use crate::error::SyncError;
use crate::sys::{AtomicUsize, Mutex, MutexGuard, Ordering};

/// Whether a getter or putter spins before it parks. Never under loom,
/// where [`SpinWait`] never spins: a model goes to the park at once.
const SPIN: bool = !cfg!(loom);

/// Who waits, each kind on its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiter {
    /// A get, for an item (or the shutdown).
    Getter,
    /// A put, for room (or the shutdown).
    Putter,
    /// A join, for every item to be done.
    Joiner,
}

/// Whether a blocked call also ends when the calling thread's current
/// cancellation token is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Obey {
    /// It does (`put`, `get`, `join_cancellable`, ...).
    Token,
    /// It does not: the calls that cannot report it (`join`,
    /// `join_timeout`, `SimpleQueue::get`).
    Nothing,
}

/// How one round of a blocked put or get ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Woken, or back from the spin: look at the state again.
    Again,
    /// The deadline passed.
    TimedOut,
    /// The calling thread's current token was cancelled.
    Cancelled,
}

impl Ended {
    fn of(wake: Wake) -> Self {
        match wake {
            Wake::TimedOut => Ended::TimedOut,
            Wake::Cancelled => Ended::Cancelled,
            Wake::Notified | Wake::Invalid => Ended::Again,
        }
    }
}

/// What the mutex guards. Small enough that the mutex and all of it share
/// one cache line (for a `Queue`: 8 + 56 bytes), the only line a put or a
/// get with nobody waiting touches besides its item's slot.
struct State<S> {
    items: S,
    /// Items put and not yet `task_done` (Python's `unfinished_tasks`).
    unfinished: usize,
    /// Getters parked on this counter's key and not woken yet.
    getters: u32,
    /// Putters parked on this counter's key and not woken yet.
    putters: u32,
    /// Joiners parked on this counter's key and not woken yet.
    joiners: u32,
    /// Getters and putters spinning on `Inner::len`: while any does, every
    /// change of the length is copied there.
    spinners: u16,
    shutdown: bool,
}

impl<S> State<S> {
    fn count(&mut self, waiter: Waiter) -> &mut u32 {
        match waiter {
            Waiter::Getter => &mut self.getters,
            Waiter::Putter => &mut self.putters,
            Waiter::Joiner => &mut self.joiners,
        }
    }

    /// The key `waiter`s park on: the address of their counter, which
    /// lives as long as the queue and does not move while it is borrowed.
    fn key(&self, waiter: Waiter) -> Key {
        match waiter {
            Waiter::Getter => Key::of(&self.getters),
            Waiter::Putter => Key::of(&self.putters),
            Waiter::Joiner => Key::of(&self.joiners),
        }
    }

    /// Wakes the longest-parked `waiter`, if one is parked and not yet
    /// woken; no call into the parking table otherwise.
    #[inline]
    fn wake_one(&mut self, waiter: Waiter) {
        if *self.count(waiter) > 0 {
            self.unpark_one(waiter);
        }
    }

    /// [`wake_one`](Self::wake_one) once someone is parked: out of line, so
    /// that the put or get around it stays small.
    #[cold]
    #[inline(never)]
    fn unpark_one(&mut self, waiter: Waiter) {
        if wait::unpark_one(self.key(waiter)) {
            *self.count(waiter) -= 1;
        }
    }

    /// Wakes every parked `waiter`.
    fn wake_all(&mut self, waiter: Waiter) {
        if *self.count(waiter) > 0 {
            let woken = wait::unpark_all(self.key(waiter));
            // Each thread the table holds on this key counted itself first.
            let count = self.count(waiter);
            debug_assert!(woken <= *count as usize);
            *count = count.saturating_sub(u32::try_from(woken).unwrap_or(u32::MAX));
        }
    }
}

/// Keeps its value on a cache line of its own (two, for the CPUs that
/// fetch lines in pairs), so that threads spinning on it do not steal the
/// line holding the lock from the thread using it.
#[repr(align(128))]
struct Padded<T>(T);

/// The machinery shared by the three queues.
///
/// `repr(C)`: the mutex and its state first, at the start of the value's
/// 128-byte alignment, so that they share one cache line.
#[repr(C)]
pub(super) struct Inner<S> {
    state: Mutex<State<S>>,
    maxsize: usize,
    /// A copy of `items.len()` while `spinners > 0`, written under the lock,
    /// read without it.
    len: Padded<AtomicUsize>,
}

type Guard<'a, S> = MutexGuard<'a, State<S>>;

impl<S> Inner<S> {
    pub(super) fn new(maxsize: usize, items: S) -> Self {
        Self {
            state: Mutex::new(State {
                items,
                unfinished: 0,
                getters: 0,
                putters: 0,
                joiners: 0,
                spinners: 0,
                shutdown: false,
            }),
            maxsize,
            len: Padded(AtomicUsize::new(0)),
        }
    }

    pub(super) fn maxsize(&self) -> usize {
        self.maxsize
    }

    #[inline]
    /// The queue's address, by which a thread records that it compares
    /// the queue's items (see [`reentry`]).
    fn address(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Takes the lock for `operation`, unless this thread is comparing the
    /// items of this queue under it (a PriorityQueue's `Ord` calling back):
    /// then a panic that says so, where the lock would wait for ever. Only
    /// a store that compares looks.
    #[inline]
    fn lock_for<T>(&self, operation: &str) -> Guard<'_, S>
    where
        S: Store<T>,
    {
        if S::MAY_PANIC {
            reentry::refuse_while_comparing(self.address(), operation);
        }
        self.state.lock()
    }

    /// [`lock_for`](Self::lock_for), for the operations that do not know
    /// the item type: they always look.
    fn lock_checked(&self, operation: &str) -> Guard<'_, S> {
        reentry::refuse_while_comparing(self.address(), operation);
        self.state.lock()
    }

    fn has_room(&self, len: usize) -> bool {
        self.maxsize == 0 || len < self.maxsize
    }

    /// Copies the length for the threads spinning on it, if any.
    #[inline]
    fn mirror<T>(&self, state: &State<S>)
    where
        S: Store<T>,
    {
        if state.spinners > 0 {
            self.len.0.store(state.items.len(), Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn put<T>(&self, item: T, wait: Wait) -> Result<(), PutError<T>>
    where
        S: Store<T>,
    {
        let state = self.lock_for::<T>("put");
        if state.shutdown {
            return Err(PutError::ShutDown(item));
        }
        if self.has_room(state.items.len()) {
            return self.push(state, item);
        }
        self.put_slow(state, item, wait)
    }

    /// A put that found the queue full: spin, then park, until there is
    /// room, the deadline passes, the calling thread's token is cancelled
    /// or the queue shuts down.
    #[cold]
    fn put_slow<'a, T>(
        &'a self,
        mut state: Guard<'a, S>,
        item: T,
        wait: Wait,
    ) -> Result<(), PutError<T>>
    where
        S: Store<T>,
    {
        let Some(deadline) = wait.deadline() else {
            return Err(PutError::Full(item));
        };
        // Spin until an eighth of the queue is free rather than one slot: a
        // producer that outruns its consumer then puts in bursts instead of
        // taking the lock in strict turns with the consumer, item by item
        // (2.5x faster at capacity 1024). The spin is bounded, and the room
        // check under the lock below is the usual one, so a single free
        // slot is still taken.
        let slack = (self.maxsize / 8).max(1);
        let mut spun = !SPIN;
        loop {
            let room = |len| self.maxsize.saturating_sub(len) >= slack;
            let ended;
            (state, ended) = self.block(
                state,
                Waiter::Putter,
                deadline,
                Obey::Token,
                &mut spun,
                room,
            );
            if state.shutdown {
                return Err(PutError::ShutDown(item));
            }
            if self.has_room(state.items.len()) {
                return self.push(state, item);
            }
            match ended {
                Ended::Again => {}
                Ended::TimedOut => return Err(PutError::Full(item)),
                Ended::Cancelled => return Err(PutError::Cancelled(item)),
            }
        }
    }

    /// Pushes `item` into a queue with room, and wakes a getter for it.
    #[inline]
    fn push<T>(&self, mut state: Guard<'_, S>, item: T) -> Result<(), PutError<T>>
    where
        S: Store<T>,
    {
        let held = state.items.len();
        // A PriorityQueue's Ord may panic: the panic goes on to the caller,
        // once the counters match what the store holds.
        let pushed = if S::MAY_PANIC {
            let _comparing = reentry::comparing(self.address(), held);
            panic::catch_unwind(AssertUnwindSafe(|| state.items.push(item)))
        } else {
            state.items.push(item);
            Ok(())
        };
        if state.items.len() > held {
            // In, even if the push stopped half-way: counted.
            state.unfinished += 1;
            self.mirror(&state);
            state.wake_one(Waiter::Getter);
        } else {
            // Not in: the room this thread may have been woken for is
            // still free.
            state.wake_one(Waiter::Putter);
        }
        drop(state);
        if let Err(panic) = pushed {
            panic::resume_unwind(panic);
        }
        Ok(())
    }

    #[inline]
    pub(super) fn get<T>(&self, wait: Wait, obey: Obey) -> Result<T, GetError>
    where
        S: Store<T>,
    {
        let mut state = self.lock_for::<T>("get");
        match self.pop(&mut state) {
            Some(item) => Ok(item),
            None => self.get_slow(state, wait, obey),
        }
    }

    /// A get that found the queue empty: spin, then park, until an item
    /// comes, the deadline passes, the calling thread's token is cancelled
    /// or the queue shuts down.
    #[cold]
    fn get_slow<'a, T>(
        &'a self,
        mut state: Guard<'a, S>,
        wait: Wait,
        obey: Obey,
    ) -> Result<T, GetError>
    where
        S: Store<T>,
    {
        if state.shutdown {
            return Err(GetError::ShutDown);
        }
        let Some(deadline) = wait.deadline() else {
            return Err(GetError::Empty);
        };
        let mut spun = !SPIN;
        loop {
            let ended;
            let ready = |len| len > 0;
            (state, ended) = self.block(state, Waiter::Getter, deadline, obey, &mut spun, ready);
            if let Some(item) = self.pop(&mut state) {
                return Ok(item);
            }
            if state.shutdown {
                return Err(GetError::ShutDown);
            }
            match ended {
                Ended::Again => {}
                Ended::TimedOut => return Err(GetError::Empty),
                Ended::Cancelled => return Err(GetError::Cancelled),
            }
        }
    }

    /// Takes the next item, if any, and wakes a putter for its room.
    #[inline]
    fn pop<T>(&self, state: &mut State<S>) -> Option<T>
    where
        S: Store<T>,
    {
        let popped = if S::MAY_PANIC {
            let _comparing = reentry::comparing(self.address(), state.items.len());
            match panic::catch_unwind(AssertUnwindSafe(|| state.items.pop())) {
                Ok(popped) => popped,
                Err(panic) => {
                    // A PriorityQueue's Ord panicked: nothing was taken
                    // (the length is as it was). This thread may have been
                    // woken for the items still there: pass the wake-up
                    // on, then let the panic go on.
                    state.wake_one(Waiter::Getter);
                    panic::resume_unwind(panic);
                }
            }
        } else {
            state.items.pop()
        };
        if popped.is_some() {
            self.mirror(state);
            state.wake_one(Waiter::Putter);
        }
        popped
    }

    /// One round of a blocked put or get: the first time (`spun` false) a
    /// spin outside the lock until `ready(len)`, then a park as `waiter`
    /// until a wake-up, `deadline` or (as `obey` says) a cancel of the
    /// calling thread's token. Returns the state locked again, and how the
    /// round ended.
    fn block<'a, T>(
        &'a self,
        state: Guard<'a, S>,
        waiter: Waiter,
        deadline: Deadline,
        obey: Obey,
        spun: &mut bool,
        ready: impl Fn(usize) -> bool,
    ) -> (Guard<'a, S>, Ended)
    where
        S: Store<T>,
    {
        if *spun {
            let (state, wake) = self.sleep(state, waiter, deadline, obey);
            (state, Ended::of(wake))
        } else {
            *spun = true;
            (self.spin(state, ready), Ended::Again)
        }
    }

    /// Spins outside the lock until `ready(len)` (for a bounded time), and
    /// locks again.
    fn spin<'a, T>(&'a self, mut state: Guard<'a, S>, ready: impl Fn(usize) -> bool) -> Guard<'a, S>
    where
        S: Store<T>,
    {
        let Some(spinners) = state.spinners.checked_add(1) else {
            // As many spin as the counter holds: this one goes on to park.
            return state;
        };
        state.spinners = spinners;
        self.len.0.store(state.items.len(), Ordering::Relaxed);
        drop(state);
        let mut spin = SpinWait::new();
        while !ready(self.len.0.load(Ordering::Relaxed)) && spin.spin() {}
        let mut state = self.state.lock();
        state.spinners -= 1;
        state
    }

    /// Counts the caller in as a parked `waiter`, parks it until a wake-up,
    /// `deadline` or (if it obeys it) a cancel of the calling thread's
    /// token, and locks again.
    fn sleep<'a>(
        &'a self,
        mut state: Guard<'a, S>,
        waiter: Waiter,
        deadline: Deadline,
        obey: Obey,
    ) -> (Guard<'a, S>, Wake) {
        *state.count(waiter) += 1;
        let key = state.key(waiter);
        let wake = wait::park_releasing_obeying(obey == Obey::Token, key, state, deadline);
        let mut state = self.state.lock();
        if wake != Wake::Notified {
            // Not woken by a waker, which would have counted it out (a
            // wake-up that reached it as it was cancelled went on to the
            // next waiter, and that one was counted out instead).
            *state.count(waiter) -= 1;
        }
        (state, wake)
    }

    pub(super) fn task_done(&self) -> Result<(), SyncError> {
        let mut state = self.lock_checked("task_done");
        if state.unfinished == 0 {
            return Err(SyncError::TaskDoneTooManyTimes);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 {
            state.wake_all(Waiter::Joiner);
        }
        Ok(())
    }

    /// Waits until every item is done; `Ok(false)` if `wait` ended first,
    /// `Err(Cancelled)` if the calling thread's token was cancelled first
    /// (only when it obeys it).
    pub(super) fn join(&self, wait: Wait, obey: Obey) -> Result<bool, Cancelled> {
        let mut state = self.lock_checked("join");
        if state.unfinished == 0 {
            return Ok(true);
        }
        let Some(deadline) = wait.deadline() else {
            return Ok(false);
        };
        loop {
            let (guard, wake) = self.sleep(state, Waiter::Joiner, deadline, obey);
            state = guard;
            if state.unfinished == 0 {
                return Ok(true);
            }
            match wake {
                Wake::TimedOut => return Ok(false),
                Wake::Cancelled => return Err(Cancelled),
                Wake::Notified | Wake::Invalid => {}
            }
        }
    }

    pub(super) fn shutdown<T>(&self, immediate: bool) -> Vec<T>
    where
        S: Store<T>,
    {
        let mut state = self.lock_for::<T>("shutdown");
        state.shutdown = true;
        // Woken first, so that they are woken even if a PriorityQueue's Ord
        // panics below; they run only once the lock is free.
        state.wake_all(Waiter::Getter);
        state.wake_all(Waiter::Putter);
        if !immediate {
            return Vec::new();
        }
        // If a PriorityQueue's Ord panics, nothing is removed and the panic
        // goes on: the queue is shut down, with its items still there to get.
        let drained = {
            let _comparing =
                S::MAY_PANIC.then(|| reentry::comparing(self.address(), state.items.len()));
            state.items.drain_all()
        };
        self.mirror(&state);
        // Each removed item counts as done, as in Python: join() is
        // released unless items already taken are still unfinished.
        state.unfinished = state.unfinished.saturating_sub(drained.len());
        if state.unfinished == 0 {
            state.wake_all(Waiter::Joiner);
        }
        drained
    }

    pub(super) fn is_shutdown(&self) -> bool {
        self.lock_checked("is_shutdown").shutdown
    }

    pub(super) fn qsize<T>(&self) -> usize
    where
        S: Store<T>,
    {
        if S::MAY_PANIC
            && let Some(len) = reentry::len_while_comparing(self.address())
        {
            // Called from this queue's Ord, under the lock this thread holds.
            return len;
        }
        self.state.lock().items.len()
    }

    pub(super) fn unfinished(&self) -> usize {
        self.lock_checked("unfinished_tasks").unfinished
    }

    /// How many getters are parked (a snapshot).
    pub(super) fn waiting_getters(&self) -> usize {
        self.lock_checked("waiting_getters").getters as usize
    }

    /// How many putters are parked (a snapshot).
    pub(super) fn waiting_putters(&self) -> usize {
        self.lock_checked("waiting_putters").putters as usize
    }

    /// How many joiners are parked (a snapshot).
    pub(super) fn waiting_joiners(&self) -> usize {
        self.lock_checked("waiting_joiners").joiners as usize
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::store::Fifo;
    use super::*;
    use std::mem::{align_of, offset_of, size_of};
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    /// The mutex and its state fill one cache line at most, at the start
    /// of the value; the spinners' copy of the length is on another.
    #[test]
    fn the_state_fits_one_cache_line() {
        assert!(size_of::<Mutex<State<Fifo<u64>>>>() <= 64);
        assert_eq!(offset_of!(Inner<Fifo<u64>>, state), 0);
        assert!(align_of::<Inner<Fifo<u64>>>() >= 64);
        assert!(offset_of!(Inner<Fifo<u64>>, len) >= 64);
        assert_eq!(size_of::<Inner<Fifo<u64>>>(), 256);
    }

    /// Generous: the machine running the tests may be slow and shared.
    const PATIENCE: Duration = Duration::from_secs(30);

    fn until(what: &str, condition: impl Fn() -> bool) {
        let start = Instant::now();
        while !condition() {
            assert!(start.elapsed() < PATIENCE, "never saw {what}");
            thread::yield_now();
        }
    }

    /// The put that wakes a parked getter counts it out at once, under the
    /// lock: the puts after it do not wake it again (nor call into the
    /// parking table) while it is on its way.
    #[test]
    fn a_woken_getter_is_counted_out_by_its_waker() {
        let q = Arc::new(Inner::new(0, Fifo::new()));
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get(Wait::Timeout(PATIENCE), Obey::Token))
        };
        until("the getter parked", || q.waiting_getters() == 1);
        assert_eq!(wait::parked(q.state.lock().key(Waiter::Getter)), 1);
        q.put(1u8, Wait::No).unwrap();
        assert_eq!(q.waiting_getters(), 0, "the put counted it out");
        q.put(2, Wait::No).unwrap();
        assert_eq!(getter.join().unwrap(), Ok(1));
        assert_eq!(q.get(Wait::No, Obey::Token), Ok(2));
    }

    /// Getters, putters and joiners whose deadlines pass while others wake
    /// them: every item comes out once, and once they are gone no thread is
    /// counted as parked (a count left too high would cost every later put
    /// a call into the parking table; one too low would lose a wake-up).
    #[test]
    fn timed_waits_leave_the_counts_exact() {
        const ITEMS: u32 = 10_000;
        let q = Arc::new(Inner::new(2, Fifo::new()));
        let short = Wait::Timeout(Duration::from_micros(50));
        let putters: Vec<_> = (0..2)
            .map(|p| {
                let q = Arc::clone(&q);
                thread::spawn(move || {
                    for n in (p..ITEMS).step_by(2) {
                        let mut item = n;
                        while let Err(e) = q.put(item, short) {
                            item = e.into_inner();
                        }
                    }
                })
            })
            .collect();
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || {
                    let mut got = Vec::new();
                    let start = Instant::now();
                    loop {
                        assert!(start.elapsed() < PATIENCE, "the items never came");
                        match q.get(short, Obey::Token) {
                            Ok(n) => {
                                got.push(n);
                                q.task_done().unwrap();
                            }
                            // Shut down once every item was done.
                            Err(GetError::ShutDown) => break,
                            Err(GetError::Empty) => {}
                            Err(GetError::Cancelled) => unreachable!("no token"),
                        }
                    }
                    got
                })
            })
            .collect();
        let joiner = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                while q.join(Wait::Timeout(Duration::from_micros(50)), Obey::Nothing) != Ok(true) {}
            })
        };
        for putter in putters {
            putter.join().unwrap();
        }
        joiner.join().unwrap();
        assert!(q.shutdown::<u32>(false).is_empty());
        let mut got: Vec<u32> = getters
            .into_iter()
            .flat_map(|g| g.join().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..ITEMS).collect::<Vec<_>>());
        let state = q.state.lock();
        assert_eq!(
            (state.getters, state.putters, state.joiners, state.spinners),
            (0, 0, 0, 0)
        );
    }
}
