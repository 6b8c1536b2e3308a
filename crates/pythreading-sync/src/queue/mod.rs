//! Python's `queue` module: [`Queue`] (FIFO), [`LifoQueue`], [`SimpleQueue`] and
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
//! | `KeyboardInterrupt` in a blocked call | the thread's cancellation token: [`PutError::Cancelled`], [`GetError::Cancelled`], [`join_cancellable`](Queue::join_cancellable) |
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
//!
//! # Cancellation
//!
//! A `put`, `put_timeout`, `get` or `get_timeout` that waits obeys the
//! calling thread's current
//! [`CancellationToken`](pythreading_core::CancellationToken): when that is
//! cancelled, the call ends at once with [`PutError::Cancelled`] (the item
//! comes back) or [`GetError::Cancelled`] (no item was taken), an outcome
//! distinct from a timeout, and the queue is as if the call had never been
//! made. The token is looked at only when the call is about to wait: a put
//! that finds room puts, and a get that finds an item takes it, whatever
//! the token says; the `*_nowait` forms never wait, so they never look.
//!
//! The calls that could not report it keep their meaning and wait on:
//! [`join`](Queue::join) and [`join_timeout`](Queue::join_timeout) (their
//! cancellable form is [`join_cancellable`](Queue::join_cancellable)), and
//! [`SimpleQueue::get`] (its form is [`SimpleQueue::get_cancellable`]).
//!
//! ```
//! use pythreading_core::CancellationToken;
//! use pythreading_sync::queue::{GetError, Queue};
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let q: Arc<Queue<u32>> = Arc::new(Queue::new(0));
//! let token = CancellationToken::new();
//! let consumer = {
//!     let (q, token) = (Arc::clone(&q), token.clone());
//!     std::thread::spawn(move || token.run(|| q.get()))
//! };
//! while token.parked() == 0 {
//!     std::thread::sleep(Duration::from_millis(1)); // until it blocks
//! }
//! token.cancel();
//! assert_eq!(consumer.join().unwrap(), Err(GetError::Cancelled));
//! assert!(q.empty());
//! ```
//
// Layout: `error.rs` holds the errors, `store.rs` and `heap.rs` the three
// ways of keeping the items, `inner.rs` what the queues share (the state
// under one mutex, and how threads wait on it); this file the public types.

use std::fmt;
use std::time::Duration;

use pythreading_core::Cancelled;
use pythreading_core::wait::Wait;

use crate::error::SyncError;

mod error;
mod heap;
mod inner;
#[cfg(all(test, loom))]
mod models;
mod reentry;
mod simple;
mod store;

pub use error::{GetError, PutError};
use heap::Heap;
use inner::{Inner, Obey};
pub use simple::SimpleQueue;
use store::{Fifo, Lifo};

macro_rules! queue_api {
    ($name:ident, $($bound:tt)*) => {
        impl<T $($bound)*> $name<T> {
            /// Puts `item`, blocking while the queue is full. After
            /// [`shutdown`](Self::shutdown): `Err(PutError::ShutDown(item))`,
            /// also for a put blocked when the shutdown happens.
            ///
            /// Obeys the calling thread's current cancellation token (see
            /// [the module's notes](crate::queue#cancellation)): cancelled
            /// while the put waits for room (or already when it would
            /// wait), it ends at once with `Err(PutError::Cancelled(item))`,
            /// the queue unchanged. A put that finds room puts without
            /// looking at the token.
            pub fn put(&self, item: T) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::FOREVER)
            }

            /// Puts `item`, waiting at most `timeout` for room:
            /// `Err(PutError::Full(item))` if there was none. A zero
            /// timeout never waits; `Duration::MAX` waits without a limit.
            ///
            /// Obeys the calling thread's current cancellation token as
            /// [`put`](Self::put) does: `Err(PutError::Cancelled(item))`,
            /// not `Full`, when it is cancelled while the put waits (a zero
            /// timeout never waits, so never looks at it).
            pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::Timeout(timeout))
            }

            /// Puts `item` only if there is room now:
            /// `Err(PutError::Full(item))` otherwise. It never waits, so it
            /// never looks at the calling thread's cancellation token.
            pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::No)
            }

            /// Removes and returns the next item, blocking while the queue
            /// is empty. After [`shutdown`](Self::shutdown) it still returns
            /// the items left, then `Err(GetError::ShutDown)`.
            ///
            /// Obeys the calling thread's current cancellation token (see
            /// [the module's notes](crate::queue#cancellation)): cancelled
            /// while the get waits for an item (or already when it would
            /// wait), it ends at once with `Err(GetError::Cancelled)`,
            /// having taken nothing. A get that finds an item takes it
            /// without looking at the token.
            pub fn get(&self) -> Result<T, GetError> {
                self.inner.get(Wait::FOREVER, Obey::Token)
            }

            /// [`get`](Self::get), waiting at most `timeout`:
            /// `Err(GetError::Empty)` if no item came. A zero timeout never
            /// waits; `Duration::MAX` waits without a limit.
            ///
            /// Obeys the calling thread's current cancellation token as
            /// [`get`](Self::get) does: `Err(GetError::Cancelled)`, not
            /// `Empty`, when it is cancelled while the get waits (a zero
            /// timeout never waits, so never looks at it).
            pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
                self.inner.get(Wait::Timeout(timeout), Obey::Token)
            }

            /// The next item if there is one now: `Err(GetError::Empty)`
            /// otherwise (`Err(GetError::ShutDown)` if shut down and empty).
            /// It never waits, so it never looks at the calling thread's
            /// cancellation token.
            pub fn get_nowait(&self) -> Result<T, GetError> {
                self.inner.get(Wait::No, Obey::Token)
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
                self.maxsize() > 0 && self.qsize() >= self.maxsize()
            }

            /// The bound given to `new` (0: unbounded).
            pub fn maxsize(&self) -> usize {
                self.inner.maxsize()
            }

            /// Marks one item taken with `get` as processed. More calls than
            /// items put: [`SyncError::TaskDoneTooManyTimes`].
            pub fn task_done(&self) -> Result<(), SyncError> {
                self.inner.task_done()
            }

            /// Blocks until every item put has been marked with
            /// [`task_done`](Self::task_done) (items removed by an immediate
            /// shutdown count as done).
            ///
            /// It does not obey the calling thread's cancellation token
            /// (it could not report it): it waits on even once that is
            /// cancelled. [`join_cancellable`](Self::join_cancellable)
            /// obeys it.
            pub fn join(&self) {
                // Infallible: it never obeys a token.
                let _ = self.inner.join(Wait::FOREVER, Obey::Nothing);
            }

            /// [`join`](Self::join), waiting at most `timeout`; `true` if all
            /// items were done.
            ///
            /// Like `join`, it does not obey the calling thread's
            /// cancellation token: `join_cancellable(Some(timeout))` does.
            pub fn join_timeout(&self, timeout: Duration) -> bool {
                self.inner.join(Wait::Timeout(timeout), Obey::Nothing) == Ok(true)
            }

            /// [`join`](Self::join) that obeys the calling thread's current
            /// cancellation token: `Ok(true)` once every item is done,
            /// `Ok(false)` if `timeout` passed first (`None` or
            /// `Duration::MAX`: no limit; `Some(Duration::ZERO)`: a plain
            /// check, which never waits), `Err(Cancelled)` at once when the
            /// token is cancelled while it waits (or already when it would
            /// wait). Items all done: `Ok(true)` whatever the token says.
            ///
            /// ```
            #[doc = concat!("use pythreading_sync::queue::", stringify!($name), ";")]
            /// use pythreading_core::{CancellationToken, Cancelled};
            /// use std::time::Duration;
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).unwrap();
            /// assert_eq!(q.join_cancellable(Some(Duration::ZERO)), Ok(false));
            /// let token = CancellationToken::new();
            /// token.cancel();
            /// assert_eq!(token.run(|| q.join_cancellable(None)), Err(Cancelled));
            /// q.get().unwrap();
            /// q.task_done().unwrap();
            /// assert_eq!(token.run(|| q.join_cancellable(None)), Ok(true));
            /// ```
            pub fn join_cancellable(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
                self.inner.join(Wait::from_timeout(timeout), Obey::Token)
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
            /// stopped spinning and sleeps, until a `put` (or the shutdown)
            /// wakes it, its timeout passes or its cancellation token is
            /// cancelled.
            pub fn waiting_getters(&self) -> usize {
                self.inner.waiting_getters()
            }

            /// How many threads are blocked in `put` now, waiting for room
            /// (a snapshot, for tests and diagnostics).
            pub fn waiting_putters(&self) -> usize {
                self.inner.waiting_putters()
            }

            /// How many threads are blocked in `join` now (a snapshot, for
            /// tests and diagnostics).
            pub fn waiting_joiners(&self) -> usize {
                self.inner.waiting_joiners()
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
            inner: Inner::new(maxsize, Fifo::new()),
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
            inner: Inner::new(maxsize, Lifo::new()),
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
/// The queue compares its items under its lock. An `Ord` that calls back
/// into the same queue does not hang (Python's does): `qsize`, `empty` and
/// `full` answer with the length the queue had when it began comparing,
/// and any other operation panics with a message saying so, which reaches
/// the caller of the `put` or `get` as any panic of the `Ord` does.
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

    /// Each queue is 256 bytes: its state on one cache line, the copy of
    /// the length that spinners watch on cache lines of its own.
    #[test]
    fn sizes() {
        use std::mem::size_of;
        assert_eq!(size_of::<Queue<u64>>(), 256);
        assert_eq!(size_of::<LifoQueue<u64>>(), 256);
        assert_eq!(size_of::<PriorityQueue<u64>>(), 256);
    }

    /// `Duration::MAX` waits for ever (no overflow, no panic), and a
    /// blocked call with it is woken like any other.
    #[test]
    fn the_longest_timeouts_wait_for_ever() {
        use std::sync::Arc;
        use std::thread;
        use std::time::{Duration, Instant};

        fn until(what: &str, condition: impl Fn() -> bool) {
            let start = Instant::now();
            while !condition() {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "never saw {what}"
                );
                thread::yield_now();
            }
        }

        let q = Arc::new(Queue::new(1));
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_timeout(Duration::MAX))
        };
        until("the getter blocked", || q.waiting_getters() == 1);
        q.put(1).unwrap();
        assert_eq!(getter.join().unwrap(), Ok(1));

        q.put(2).unwrap();
        let putter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put_timeout(3, Duration::MAX))
        };
        until("the putter blocked", || q.waiting_putters() == 1);
        assert_eq!(q.get(), Ok(2));
        assert_eq!(putter.join().unwrap(), Ok(()));

        let joiner = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.join_timeout(Duration::MAX))
        };
        until("the joiner blocked", || q.waiting_joiners() == 1);
        for _ in 0..3 {
            q.task_done().unwrap();
        }
        assert!(joiner.join().unwrap());
        assert_eq!(q.get_nowait(), Ok(3));
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
