//! [`SimpleQueue`]: Python's `queue.SimpleQueue`.

use std::fmt;
use std::time::Duration;

use pythreading_core::Cancelled;
use pythreading_core::wait::Wait;

use super::{GetError, Obey, Queue};

/// An unbounded first-in first-out queue without task tracking: Python's
/// `queue.SimpleQueue`.
///
/// A [`Queue`] without `maxsize`, `task_done`/`join` or `shutdown`: a put
/// never blocks and never fails, so [`put`](Self::put) returns nothing and
/// [`get`](Self::get) returns the item itself.
///
/// ```
/// use pythreading_sync::queue::{GetError, SimpleQueue};
/// use std::time::Duration;
///
/// let q = SimpleQueue::new();
/// q.put("a");
/// q.put("b");
/// assert_eq!(q.qsize(), 2);
/// assert_eq!(q.get(), "a");
/// assert_eq!(q.get_nowait(), Ok("b"));
/// assert_eq!(q.get_timeout(Duration::from_millis(1)), Err(GetError::Empty));
/// ```
pub struct SimpleQueue<T> {
    inner: Queue<T>,
}

impl<T> SimpleQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            inner: Queue::new(0),
        }
    }

    /// Adds `item` at the back; never blocks.
    pub fn put(&self, item: T) {
        // Unbounded and never shut down: the put cannot be refused.
        if self.inner.put_nowait(item).is_err() {
            unreachable!("an unbounded queue that is never shut down took no item");
        }
    }

    /// Removes and returns the front item, blocking while the queue is empty.
    ///
    /// It does not obey the calling thread's cancellation token (it could
    /// not report it): it waits on for an item even once that is cancelled.
    /// [`get_cancellable`](Self::get_cancellable) obeys it, as
    /// [`get_timeout`](Self::get_timeout) does.
    pub fn get(&self) -> T {
        loop {
            // Never shut down and obeying no token, so a blocking get only
            // ends with an item.
            if let Ok(item) = self.inner.inner.get(Wait::FOREVER, Obey::Nothing) {
                return item;
            }
        }
    }

    /// [`get`](Self::get), waiting at most `timeout`:
    /// [`GetError::Empty`] if no item came. A zero timeout never waits;
    /// `Duration::MAX` waits without a limit.
    ///
    /// Obeys the calling thread's current cancellation token (see
    /// [the module's notes](crate::queue#cancellation)): cancelled while the
    /// get waits (or already when it would wait), it ends at once with
    /// [`GetError::Cancelled`], having taken nothing. A get that finds an
    /// item takes it without looking at the token.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.inner.get_timeout(timeout)
    }

    /// [`get`](Self::get) that obeys the calling thread's current
    /// cancellation token: `Ok(Some(item))`, `Ok(None)` if `timeout` passed
    /// first (`None` or `Duration::MAX`: no limit; `Some(Duration::ZERO)`: a
    /// plain try, which never waits), `Err(Cancelled)` at once when the
    /// token is cancelled while it waits (or already when it would wait),
    /// having taken nothing. A get that finds an item takes it whatever the
    /// token says.
    ///
    /// ```
    /// use pythreading_core::{CancellationToken, Cancelled};
    /// use pythreading_sync::queue::SimpleQueue;
    /// use std::time::Duration;
    ///
    /// let q = SimpleQueue::new();
    /// q.put(1);
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// assert_eq!(token.run(|| q.get_cancellable(None)), Ok(Some(1)));
    /// assert_eq!(token.run(|| q.get_cancellable(None)), Err(Cancelled));
    /// assert_eq!(q.get_cancellable(Some(Duration::ZERO)), Ok(None));
    /// ```
    pub fn get_cancellable(&self, timeout: Option<Duration>) -> Result<Option<T>, Cancelled> {
        match self
            .inner
            .inner
            .get(Wait::from_timeout(timeout), Obey::Token)
        {
            Ok(item) => Ok(Some(item)),
            Err(GetError::Cancelled) => Err(Cancelled),
            // Never shut down: only the timeout ends it otherwise.
            Err(GetError::Empty | GetError::ShutDown) => Ok(None),
        }
    }

    /// The front item if there is one now: [`GetError::Empty`] otherwise.
    /// It never waits, so it never looks at the calling thread's
    /// cancellation token.
    pub fn get_nowait(&self) -> Result<T, GetError> {
        self.inner.get_nowait()
    }

    /// How many items the queue holds (a snapshot).
    pub fn qsize(&self) -> usize {
        self.inner.qsize()
    }

    /// Whether the queue holds no item (a snapshot).
    pub fn empty(&self) -> bool {
        self.inner.empty()
    }

    /// How many threads are blocked in a get (a snapshot).
    pub fn waiting_getters(&self) -> usize {
        self.inner.waiting_getters()
    }
}

impl<T> Default for SimpleQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("qsize", &self.qsize())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! Adapted from CPython's `Lib/test/test_queue.py`
    //! (`BaseSimpleQueueTest`: `test_basic`, `test_negative_timeout_raises`
    //! in spirit, `test_many_threads`), under the PSF licence.
    use super::*;
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;

    const PATIENCE: Duration = Duration::from_secs(30);

    #[test]
    fn fifo_and_empty_errors() {
        let q = SimpleQueue::new();
        assert!(q.empty());
        assert_eq!(q.get_nowait(), Err(GetError::Empty));
        assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
        for i in 0..5 {
            q.put(i);
        }
        assert_eq!(q.qsize(), 5);
        assert!(!q.empty());
        assert_eq!((0..5).map(|_| q.get()).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert!(q.empty());
    }

    #[test]
    fn a_blocked_get_is_woken_by_a_put() {
        let q = Arc::new(SimpleQueue::new());
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get())
        };
        let start = Instant::now();
        while q.waiting_getters() == 0 {
            assert!(start.elapsed() < PATIENCE, "the getter never blocked");
            thread::yield_now();
        }
        q.put("item");
        assert_eq!(getter.join().unwrap(), "item");
    }

    #[test]
    fn timeouts_of_zero_and_duration_max() {
        let q = Arc::new(SimpleQueue::new());
        assert_eq!(
            q.get_timeout(Duration::from_millis(20)),
            Err(GetError::Empty)
        );
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_timeout(Duration::MAX))
        };
        let start = Instant::now();
        while q.waiting_getters() == 0 {
            assert!(start.elapsed() < PATIENCE, "the getter never blocked");
            thread::yield_now();
        }
        q.put(7);
        assert_eq!(getter.join().unwrap(), Ok(7));
    }

    #[test]
    fn many_producers_and_consumers_lose_nothing() {
        let q = Arc::new(SimpleQueue::new());
        let producers: Vec<_> = (0..4u64)
            .map(|p| {
                let q = Arc::clone(&q);
                thread::spawn(move || (0..1_000).for_each(|i| q.put(p * 1_000 + i)))
            })
            .collect();
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || (0..1_000).map(|_| q.get()).sum::<u64>())
            })
            .collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(total, (0..4_000).sum::<u64>());
        assert!(q.empty());
    }
}
