//! [`FutureId`]: the identity of a future, unique in the process.
//!
//! Numbers are handed out in blocks: each thread takes a block of
//! [`BLOCK`] from one process-wide counter and numbers the futures it
//! creates from it, so that submitting from several threads at once does
//! not make them all write one shared counter.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The identity of a [`Future`](crate::Future), unique in the process and
/// never reused: Python's `urls[future]` is `urls[&future.id()]`, also
/// once the future has panicked, been cancelled or been taken apart by
/// [`result`](crate::Future::result).
///
/// Ids of one thread's futures grow in the order it created them; ids of
/// futures created by different threads are in no particular order.
///
/// ```
/// use std::collections::HashMap;
/// use pythreading_executor::{as_completed, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(2)?;
/// let mut urls = HashMap::new();
/// let mut futures = Vec::new();
/// for url in ["a.example", "b.example"] {
///     let future = pool.submit(move || url.len())?;
///     urls.insert(future.id(), url);
///     futures.push(future);
/// }
/// for done in as_completed(futures, None) {
///     let future = done.unwrap();
///     let url = urls[&future.id()];
///     assert_eq!(future.result(), Ok(url.len()));
/// }
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FutureId(NonZeroU64);

/// How many ids a thread takes from the shared counter at a time.
const BLOCK: u64 = 1024;

/// The first id of the next block any thread takes.
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The next id of this thread's block, and the end of the block.
    static BLOCK_LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl FutureId {
    /// A new id, never handed out before.
    pub(crate) fn next() -> Self {
        let id = BLOCK_LEFT
            .try_with(|left| {
                let (mut next, mut end) = left.get();
                if next == end {
                    next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
                    end = next + BLOCK;
                }
                left.set((next + 1, end));
                next
            })
            // A thread whose locals are gone (a future made in a
            // thread-local's destructor): one id of its own.
            .unwrap_or_else(|_| NEXT_BLOCK.fetch_add(1, Ordering::Relaxed));
        // The counter starts at 1 and would take centuries to wrap.
        Self(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN))
    }

    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for FutureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FutureId({})", self.0)
    }
}

/// `future 7`: how deadlock reports name a future.
impl fmt::Display for FutureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "future {}", self.0)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_across_threads_and_blocks() {
        let per_thread = 3 * BLOCK as usize + 7;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..per_thread)
                        .map(|_| FutureId::next())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = HashSet::new();
        for thread in threads {
            let ids = thread.join().unwrap();
            assert!(
                ids.windows(2).all(|pair| pair[0] < pair[1]),
                "one thread's ids grow"
            );
            for id in ids {
                assert!(seen.insert(id), "{id:?} handed out twice");
            }
        }
        assert_eq!(seen.len(), 4 * per_thread);
    }

    #[test]
    fn display_and_debug_name_the_number() {
        let id = FutureId(NonZeroU64::new(42).unwrap());
        assert_eq!(id.to_string(), "future 42");
        assert_eq!(format!("{id:?}"), "FutureId(42)");
        assert_eq!(id.get(), 42);
    }
}
