//! [`SimpleQueue`]: Python's `queue.SimpleQueue`.

use std::fmt;
use std::time::Duration;

use super::{GetError, Queue};

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
    pub fn get(&self) -> T {
        loop {
            // Never shut down, so a blocking get only ends with an item.
            if let Ok(item) = self.inner.get() {
                return item;
            }
        }
    }

    /// [`get`](Self::get), waiting at most `timeout`:
    /// [`GetError::Empty`] if no item came.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.inner.get_timeout(timeout)
    }

    /// The front item if there is one now: [`GetError::Empty`] otherwise.
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
