//! Python's `queue` module: [`Queue`] (FIFO), [`LifoQueue`] and
//! [`PriorityQueue`], with Python 3.13's `shutdown`.
//!
//! | Python (`queue`)                  | here |
//! |-----------------------------------|------|
//! | `Queue(maxsize)`                  | [`Queue::new(maxsize)`](Queue::new), 0 = unbounded |
//! | `q.put(item)` / `put(item, timeout=t)` / `put_nowait` | [`put`](Queue::put), [`put_timeout`](Queue::put_timeout), [`put_nowait`](Queue::put_nowait) |
//! | `q.get()` / `get(timeout=t)` / `get_nowait` | [`get`](Queue::get), [`get_timeout`](Queue::get_timeout), [`get_nowait`](Queue::get_nowait) |
//! | `queue.Full`, `queue.Empty`, `queue.ShutDown` | [`PutError`], [`GetError`] |
//! | `q.task_done()`, `q.join()`       | [`task_done`](Queue::task_done), [`join`](Queue::join) |
//! | `q.shutdown(immediate)`           | [`shutdown`](Queue::shutdown): the drained items come back |
//!
//! What Rust adds: **no item is ever lost.** A put that fails hands the item
//! back inside the error ([`PutError::into_inner`]), and an immediate
//! `shutdown` returns the items it removed (Python drops them).
//!
//! ```
//! use std::sync::Arc;
//! use pythreading_sync::queue::{GetError, Queue};
//!
//! let q = Arc::new(Queue::new(8));
//! let consumer = {
//!     let q = Arc::clone(&q);
//!     std::thread::spawn(move || {
//!         let mut sum = 0;
//!         // After shutdown, get() drains what is left, then says ShutDown.
//!         while let Ok(n) = q.get() {
//!             sum += n;
//!             q.task_done().unwrap();
//!         }
//!         sum
//!     })
//! };
//! for n in 1..=10 {
//!     q.put(n).unwrap();
//! }
//! q.join(); // every item was task_done
//! assert!(q.shutdown(false).is_empty());
//! assert_eq!(consumer.join().unwrap(), 55);
//! assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
//! ```
//
// Design: one mutex guards the items and the counters; three condition
// variables park getters (`not_empty`), putters (`not_full`) and joiners
// (`all_done`), and a counter per kind of waiter lets the other side skip
// the notify when nobody sleeps. Everything that decides to sleep or wake
// happens under the mutex, so no wake-up can be lost (the loom model below
// checks the hand-off). Before sleeping, a getter or putter spins briefly
// on an atomic copy of the length outside the lock: a producer and a
// consumer running on two cores then hand items over without ever parking.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::error::SyncError;
use crate::loom::{AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};
use crate::spin::{SpinWait, deadline_after};

/// Why a put failed. The item always comes back: nothing is lost.
///
/// `Debug` prints `Full(..)` / `ShutDown(..)` without the item, so this is
/// an `Error` for every `T`.
///
/// ```
/// use pythreading_sync::queue::{PutError, Queue};
///
/// let q = Queue::new(1);
/// q.put("first").unwrap();
/// let err = q.put_nowait("second").unwrap_err();
/// assert!(err.is_full());
/// assert_eq!(err.to_string(), "queue is full");
/// assert_eq!(err.into_inner(), "second"); // handed back
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum PutError<T> {
    /// The queue was full (Python's `queue.Full`): from `put_nowait`, or
    /// `put_timeout` when the timeout passed.
    Full(T),
    /// The queue was shut down (Python's `queue.ShutDown`).
    ShutDown(T),
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, PutError::ShutDown(_))
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("queue is full"),
            PutError::ShutDown(_) => f.write_str("queue is shut down"),
        }
    }
}

impl<T> std::error::Error for PutError<T> {}

/// Why a get failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GetError {
    /// The queue was empty (Python's `queue.Empty`): from `get_nowait`, or
    /// `get_timeout` when the timeout passed.
    #[error("queue is empty")]
    Empty,
    /// The queue was shut down and holds no more items (Python's
    /// `queue.ShutDown`).
    #[error("queue is shut down")]
    ShutDown,
}

/// How the three kinds of queue store their items.
trait Store<T> {
    /// Whether `push` and `pop` can panic (a user's `Ord`): only then do
    /// `put` and `get` pay for catching it. Known when compiling.
    const MAY_PANIC: bool = false;
    fn push(&mut self, item: T);
    fn pop(&mut self) -> Option<T>;
    fn len(&self) -> usize;
    /// Everything, in the order `pop` would give it.
    fn drain_all(&mut self) -> Vec<T> {
        let mut items = Vec::with_capacity(self.len());
        while let Some(item) = self.pop() {
            items.push(item);
        }
        items
    }
}

#[derive(Debug)]
struct Fifo<T>(VecDeque<T>);

impl<T> Store<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn drain_all(&mut self) -> Vec<T> {
        self.0.drain(..).collect()
    }
}

#[derive(Debug)]
struct Lifo<T>(Vec<T>);

impl<T> Store<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A binary min-heap (the smallest item at the root, as Python's `heapq`)
/// that moves items only by swapping them, so that a panicking `Ord` can
/// never lose one: at every step the vector holds each item exactly once.
/// A comparison that panics may leave the heap out of order; `disordered`
/// says so, and the next operation rebuilds it first (and if that panics
/// too, it stays disordered, still holding everything).
#[derive(Debug)]
struct Heap<T> {
    items: Vec<T>,
    disordered: bool,
}

impl<T: Ord> Heap<T> {
    fn new() -> Self {
        Self {
            items: Vec::new(),
            disordered: false,
        }
    }

    /// Runs `reorder`, which may panic half-way: the heap counts as
    /// disordered until it returns.
    fn reorder(&mut self, reorder: impl FnOnce(&mut Self)) {
        self.disordered = true;
        reorder(self);
        self.disordered = false;
    }

    fn less(&self, a: usize, b: usize) -> bool {
        self.items[a].cmp(&self.items[b]).is_lt()
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.less(at, parent) {
                break;
            }
            self.items.swap(at, parent);
            at = parent;
        }
    }

    /// Sifts `items[at]` down within `items[..end]`.
    fn sift_down(&mut self, mut at: usize, end: usize) {
        loop {
            let left = 2 * at + 1;
            if left >= end {
                break;
            }
            let right = left + 1;
            let child = if right < end && self.less(right, left) {
                right
            } else {
                left
            };
            if !self.less(child, at) {
                break;
            }
            self.items.swap(at, child);
            at = child;
        }
    }

    fn rebuild(&mut self) {
        let end = self.items.len();
        for at in (0..end / 2).rev() {
            self.sift_down(at, end);
        }
    }
}

impl<T: Ord> Store<T> for Heap<T> {
    const MAY_PANIC: bool = true;
    fn push(&mut self, item: T) {
        // Held from here on, whatever the comparisons do.
        self.items.push(item);
        if self.disordered {
            self.reorder(Self::rebuild);
        } else {
            let last = self.items.len() - 1;
            self.reorder(|heap| heap.sift_up(last));
        }
    }

    fn pop(&mut self) -> Option<T> {
        if self.disordered {
            self.reorder(Self::rebuild);
        }
        let last = self.items.len().checked_sub(1)?;
        // The smallest goes to the end, and leaves only once the rest is in
        // order again.
        self.items.swap(0, last);
        self.reorder(|heap| heap.sift_down(0, last));
        self.items.pop()
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn drain_all(&mut self) -> Vec<T> {
        // A sorted vector is a heap too; if a comparison panics, the sort
        // leaves every item in the vector (as every slice sort does).
        self.reorder(|heap| heap.items.sort());
        std::mem::take(&mut self.items)
    }
}

/// How long a put or get may wait.
#[derive(Clone, Copy)]
enum Wait {
    Never,
    Until(Option<Instant>),
}

struct State<S> {
    items: S,
    /// Items put and not yet `task_done` (Python's `unfinished_tasks`).
    unfinished: usize,
    shutdown: bool,
    getters: usize,
    putters: usize,
    joiners: usize,
}

/// Keeps its value on a cache line of its own, so that threads spinning on
/// it do not steal the line holding the lock from the thread using it.
#[repr(align(128))]
struct Padded<T>(T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The machinery shared by the three queues.
struct Inner<S> {
    state: Mutex<State<S>>,
    /// A copy of `items.len()`, written under the lock, read without it.
    len: Padded<AtomicUsize>,
    not_empty: Condvar,
    not_full: Condvar,
    all_done: Condvar,
    maxsize: usize,
}

impl<S> Inner<S> {
    fn new(maxsize: usize, items: S) -> Self {
        Self {
            state: Mutex::new(State {
                items,
                unfinished: 0,
                shutdown: false,
                getters: 0,
                putters: 0,
                joiners: 0,
            }),
            len: Padded(AtomicUsize::new(0)),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            all_done: Condvar::new(),
            maxsize,
        }
    }

    fn has_room(&self, len: usize) -> bool {
        self.maxsize == 0 || len < self.maxsize
    }

    fn put<T>(&self, item: T, wait: Wait) -> Result<(), PutError<T>>
    where
        S: Store<T>,
    {
        let mut spun = false;
        let mut state = self.state.lock();
        loop {
            if state.shutdown {
                return Err(PutError::ShutDown(item));
            }
            if self.has_room(state.items.len()) {
                let held = state.items.len();
                // A PriorityQueue's Ord may panic: the panic goes on to the
                // caller, once the counters match what the store holds.
                let pushed = if S::MAY_PANIC {
                    panic::catch_unwind(AssertUnwindSafe(|| state.items.push(item)))
                } else {
                    state.items.push(item);
                    Ok(())
                };
                if state.items.len() > held {
                    // In, even if the push stopped half-way: counted.
                    self.len.store(state.items.len(), Ordering::Relaxed);
                    state.unfinished += 1;
                    if state.getters > 0 {
                        self.not_empty.notify_one();
                    }
                } else if state.putters > 0 {
                    // Not in: the room this thread may have been woken for
                    // is still free.
                    self.not_full.notify_one();
                }
                if let Err(panic) = pushed {
                    panic::resume_unwind(panic);
                }
                return Ok(());
            }
            let deadline = match wait {
                Wait::Never => return Err(PutError::Full(item)),
                Wait::Until(deadline) => deadline,
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(PutError::Full(item));
            }
            if !spun {
                spun = true;
                drop(state);
                // Spin until an eighth of the queue is free rather than one
                // slot: a producer that outruns its consumer then puts in
                // bursts instead of taking the lock in strict turns with the
                // consumer, item by item (2.5x faster at capacity 1024). The
                // spin is bounded, and the room check under the lock below
                // is the usual one, so a single free slot is still taken.
                let slack = (self.maxsize / 8).max(1);
                let mut spin = SpinWait::new();
                while self.len.load(Ordering::Relaxed) + slack > self.maxsize && spin.spin() {}
                state = self.state.lock();
                continue;
            }
            state.putters += 1;
            let (guard, _) = self.not_full.wait_deadline(state, deadline);
            state = guard;
            state.putters -= 1;
        }
    }

    fn get<T>(&self, wait: Wait) -> Result<T, GetError>
    where
        S: Store<T>,
    {
        let mut spun = false;
        let mut state = self.state.lock();
        loop {
            let popped = if S::MAY_PANIC {
                match panic::catch_unwind(AssertUnwindSafe(|| state.items.pop())) {
                    Ok(popped) => popped,
                    Err(panic) => {
                        // A PriorityQueue's Ord panicked: nothing was taken
                        // (the length is as it was). This thread may have
                        // been woken for the items still there: pass the
                        // wake-up on, then let the panic go on.
                        if state.getters > 0 {
                            self.not_empty.notify_one();
                        }
                        panic::resume_unwind(panic);
                    }
                }
            } else {
                state.items.pop()
            };
            if let Some(item) = popped {
                self.len.store(state.items.len(), Ordering::Relaxed);
                if state.putters > 0 {
                    self.not_full.notify_one();
                }
                return Ok(item);
            }
            if state.shutdown {
                return Err(GetError::ShutDown);
            }
            let deadline = match wait {
                Wait::Never => return Err(GetError::Empty),
                Wait::Until(deadline) => deadline,
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(GetError::Empty);
            }
            if !spun {
                spun = true;
                drop(state);
                let mut spin = SpinWait::new();
                while self.len.load(Ordering::Relaxed) == 0 && spin.spin() {}
                state = self.state.lock();
                continue;
            }
            state.getters += 1;
            let (guard, _) = self.not_empty.wait_deadline(state, deadline);
            state = guard;
            state.getters -= 1;
        }
    }

    fn task_done(&self) -> Result<(), SyncError> {
        let mut state = self.state.lock();
        if state.unfinished == 0 {
            return Err(SyncError::TaskDoneTooManyTimes);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 && state.joiners > 0 {
            self.all_done.notify_all();
        }
        Ok(())
    }

    fn join_until(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.state.lock();
        while state.unfinished > 0 {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            state.joiners += 1;
            let (guard, _) = self.all_done.wait_deadline(state, deadline);
            state = guard;
            state.joiners -= 1;
        }
        true
    }

    fn shutdown<T>(&self, immediate: bool) -> Vec<T>
    where
        S: Store<T>,
    {
        let mut state = self.state.lock();
        state.shutdown = true;
        // Woken first, so that they are woken even if a PriorityQueue's Ord
        // panics below; they run only once the lock is free.
        self.not_empty.notify_all();
        self.not_full.notify_all();
        if !immediate {
            return Vec::new();
        }
        // If a PriorityQueue's Ord panics, nothing is removed and the panic
        // goes on: the queue is shut down, with its items still there to get.
        let drained = state.items.drain_all();
        self.len.store(0, Ordering::Relaxed);
        // Each removed item counts as done, as in Python: join() is
        // released unless items already taken are still unfinished.
        state.unfinished = state.unfinished.saturating_sub(drained.len());
        if state.unfinished == 0 {
            self.all_done.notify_all();
        }
        drained
    }

    fn is_shutdown(&self) -> bool {
        self.lock_state().shutdown
    }

    fn lock_state(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock()
    }

    fn qsize(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    fn unfinished(&self) -> usize {
        self.lock_state().unfinished
    }
}

macro_rules! queue_api {
    ($name:ident, $($bound:tt)*) => {
        impl<T $($bound)*> $name<T> {
            /// Puts `item`, blocking while the queue is full. After
            /// [`shutdown`](Self::shutdown): `Err(PutError::ShutDown(item))`,
            /// also for a put blocked when the shutdown happens.
            pub fn put(&self, item: T) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::Until(None))
            }

            /// Puts `item`, waiting at most `timeout` for room:
            /// `Err(PutError::Full(item))` if there was none.
            pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::Until(deadline_after(timeout)))
            }

            /// Puts `item` only if there is room now:
            /// `Err(PutError::Full(item))` otherwise.
            pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::Never)
            }

            /// Removes and returns the next item, blocking while the queue
            /// is empty. After [`shutdown`](Self::shutdown) it still returns
            /// the items left, then `Err(GetError::ShutDown)`.
            pub fn get(&self) -> Result<T, GetError> {
                self.inner.get(Wait::Until(None))
            }

            /// [`get`](Self::get), waiting at most `timeout`:
            /// `Err(GetError::Empty)` if no item came.
            pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
                self.inner.get(Wait::Until(deadline_after(timeout)))
            }

            /// The next item if there is one now: `Err(GetError::Empty)`
            /// otherwise (`Err(GetError::ShutDown)` if shut down and empty).
            pub fn get_nowait(&self) -> Result<T, GetError> {
                self.inner.get(Wait::Never)
            }

            /// How many items the queue holds (a snapshot, as in Python).
            pub fn qsize(&self) -> usize {
                self.inner.qsize()
            }

            /// Whether the queue holds no item (a snapshot).
            pub fn empty(&self) -> bool {
                self.qsize() == 0
            }

            /// Whether the queue is at its `maxsize` (never for an unbounded
            /// queue; a snapshot).
            pub fn full(&self) -> bool {
                self.inner.maxsize > 0 && self.qsize() >= self.inner.maxsize
            }

            /// The bound given to `new` (0: unbounded).
            pub fn maxsize(&self) -> usize {
                self.inner.maxsize
            }

            /// Marks one item taken with `get` as processed. More calls than
            /// items put: [`SyncError::TaskDoneTooManyTimes`].
            pub fn task_done(&self) -> Result<(), SyncError> {
                self.inner.task_done()
            }

            /// Blocks until every item put has been marked with
            /// [`task_done`](Self::task_done) (items removed by an immediate
            /// shutdown count as done).
            pub fn join(&self) {
                self.inner.join_until(None);
            }

            /// [`join`](Self::join), waiting at most `timeout`; `true` if all
            /// items were done.
            pub fn join_timeout(&self, timeout: Duration) -> bool {
                self.inner.join_until(deadline_after(timeout))
            }

            /// Items put and not yet marked done (Python's
            /// `unfinished_tasks`).
            pub fn unfinished_tasks(&self) -> usize {
                self.inner.unfinished()
            }

            /// Shuts the queue down (Python 3.13's `shutdown`): every later
            /// put fails with `PutError::ShutDown` (the item comes back), and
            /// gets return what is left, then `GetError::ShutDown`. Every
            /// blocked putter and getter wakes up.
            ///
            /// With `immediate`, the items still queued are removed and
            /// **returned** (in the order `get` would have given them;
            /// Python discards them), each counting as done, so `join`
            /// returns unless items already taken are still unfinished.
            #[must_use = "an immediate shutdown hands the removed items back here; \
                          dropping the Vec drops them"]
            pub fn shutdown(&self, immediate: bool) -> Vec<T> {
                self.inner.shutdown(immediate)
            }

            /// Whether [`shutdown`](Self::shutdown) was called.
            pub fn is_shutdown(&self) -> bool {
                self.inner.is_shutdown()
            }

            /// How many threads are blocked in `get` now, waiting for an
            /// item (a snapshot, for tests and diagnostics; Python keeps
            /// them in `not_empty._waiters`). A getter counts once it has
            /// stopped spinning and sleeps: a `put` then wakes it.
            pub fn waiting_getters(&self) -> usize {
                self.inner.lock_state().getters
            }

            /// How many threads are blocked in `put` now, waiting for room
            /// (a snapshot, for tests and diagnostics).
            pub fn waiting_putters(&self) -> usize {
                self.inner.lock_state().putters
            }

            /// How many threads are blocked in `join` now (a snapshot, for
            /// tests and diagnostics).
            pub fn waiting_joiners(&self) -> usize {
                self.inner.lock_state().joiners
            }
        }

        impl<T $($bound)*> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("maxsize", &self.maxsize())
                    .field("qsize", &self.qsize())
                    .field("shutdown", &self.is_shutdown())
                    .finish()
            }
        }
    };
}

/// A first-in first-out queue: Python's `queue.Queue`.
///
/// Share it with `Arc`. `maxsize` 0 means unbounded; otherwise `put` blocks
/// while `maxsize` items are queued.
///
/// ```
/// use pythreading_sync::queue::{PutError, Queue};
///
/// let q = Queue::new(2);
/// q.put('a').unwrap();
/// q.put('b').unwrap();
/// assert!(q.full());
/// assert!(matches!(q.put_nowait('c'), Err(PutError::Full('c'))));
/// assert_eq!(q.get().unwrap(), 'a');
/// assert_eq!(q.shutdown(true), vec!['b']); // immediate: the rest comes back
/// ```
pub struct Queue<T> {
    inner: Inner<Fifo<T>>,
}

impl<T> Queue<T> {
    /// A queue holding at most `maxsize` items (0: unbounded).
    pub fn new(maxsize: usize) -> Self {
        Self {
            inner: Inner::new(maxsize, Fifo(VecDeque::new())),
        }
    }
}

impl<T> Default for Queue<T> {
    /// An unbounded queue, as Python's `Queue()`.
    fn default() -> Self {
        Self::new(0)
    }
}

queue_api!(Queue,);

/// A last-in first-out queue (a stack): Python's `queue.LifoQueue`.
///
/// ```
/// use pythreading_sync::queue::LifoQueue;
///
/// let q = LifoQueue::new(0);
/// for n in 1..=3 {
///     q.put(n).unwrap();
/// }
/// assert_eq!(q.get().unwrap(), 3);
/// assert_eq!(q.shutdown(true), vec![2, 1]);
/// ```
pub struct LifoQueue<T> {
    inner: Inner<Lifo<T>>,
}

impl<T> LifoQueue<T> {
    /// A LIFO queue holding at most `maxsize` items (0: unbounded).
    pub fn new(maxsize: usize) -> Self {
        Self {
            inner: Inner::new(maxsize, Lifo(Vec::new())),
        }
    }
}

impl<T> Default for LifoQueue<T> {
    /// An unbounded LIFO queue.
    fn default() -> Self {
        Self::new(0)
    }
}

queue_api!(LifoQueue,);

/// A queue that hands out the smallest item first: Python's
/// `queue.PriorityQueue`. Items with equal priority come out in no
/// particular order (as with Python's `heapq`); put `(priority, sequence,
/// item)` tuples for a stable order.
///
/// If the items' `Ord` panics, the panic reaches the caller of `put`, `get`
/// or `shutdown` (as Python's `__lt__` raising does), and nothing is lost:
/// an item that a panicking `put` was comparing is in the queue and counted
/// (`qsize`, `unfinished_tasks`), a panicking `get` or immediate `shutdown`
/// removes nothing, and once the items compare again they come out in order.
///
/// ```
/// use pythreading_sync::queue::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// q.put((2, "write docs")).unwrap();
/// q.put((1, "fix the bug")).unwrap();
/// q.put((3, "lunch")).unwrap();
/// assert_eq!(q.get().unwrap(), (1, "fix the bug"));
/// ```
pub struct PriorityQueue<T: Ord> {
    inner: Inner<Heap<T>>,
}

impl<T: Ord> PriorityQueue<T> {
    /// A priority queue holding at most `maxsize` items (0: unbounded).
    pub fn new(maxsize: usize) -> Self {
        Self {
            inner: Inner::new(maxsize, Heap::new()),
        }
    }
}

impl<T: Ord> Default for PriorityQueue<T> {
    /// An unbounded priority queue.
    fn default() -> Self {
        Self::new(0)
    }
}

queue_api!(PriorityQueue, : Ord);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync>() {}
        fn error<E: std::error::Error + Send + Sync + 'static>() {}
        // An Error whatever the item, even one that cannot cross threads.
        fn any_error<E: std::error::Error>() {}
        send_sync::<Queue<String>>();
        send_sync::<LifoQueue<String>>();
        send_sync::<PriorityQueue<String>>();
        any_error::<PutError<std::rc::Rc<u8>>>();
        error::<PutError<String>>();
        error::<GetError>();
    }

    #[test]
    fn debug_needs_no_debug_items() {
        struct Opaque;
        let q: Queue<Opaque> = Queue::new(3);
        assert_eq!(
            format!("{q:?}"),
            "Queue { maxsize: 3, qsize: 0, shutdown: false }"
        );
        assert_eq!(format!("{:?}", PutError::Full(Opaque)), "Full(..)");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::Arc;

    /// A producer putting two items through a queue of one slot and a
    /// consumer getting them: FIFO order, no lost wake-up on either side.
    #[test]
    fn loom_queue_blocking_handoff() {
        loom::model(|| {
            let q = Arc::new(Queue::new(1));
            let producer = {
                let q = Arc::clone(&q);
                loom::thread::spawn(move || {
                    q.put(1).unwrap();
                    q.put(2).unwrap();
                })
            };
            assert_eq!(q.get(), Ok(1));
            assert_eq!(q.get(), Ok(2));
            producer.join().unwrap();
            assert!(q.empty());
        });
    }

    /// A shutdown wakes a getter blocked on an empty queue and a putter
    /// blocked on a full one; the putter gets its item back.
    #[test]
    fn loom_queue_shutdown_wakes_blocked() {
        loom::model(|| {
            let q = Arc::new(Queue::new(1));
            q.put(0).unwrap();
            let putter = {
                let q = Arc::clone(&q);
                loom::thread::spawn(move || q.put(7))
            };
            let drained = q.shutdown(true);
            let put = putter.join().unwrap();
            // The putter either got in before the shutdown (its item was
            // then drained) or was refused with its item.
            match put {
                Ok(()) => assert_eq!(drained, vec![0, 7]),
                Err(e) => {
                    assert_eq!(drained, vec![0]);
                    assert_eq!(e.into_inner(), 7);
                }
            }
            assert_eq!(q.get(), Err(GetError::ShutDown));
        });
    }

    /// task_done from another thread releases join.
    #[test]
    fn loom_queue_join_released_by_task_done() {
        loom::model(|| {
            let q = Arc::new(Queue::new(0));
            q.put(1).unwrap();
            let worker = {
                let q = Arc::clone(&q);
                loom::thread::spawn(move || {
                    let item = q.get().unwrap();
                    q.task_done().unwrap();
                    item
                })
            };
            q.join();
            assert_eq!(worker.join().unwrap(), 1);
            assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
        });
    }
}
