//! Why a put or a get failed: Python's `queue.Full`, `queue.Empty` and
//! `queue.ShutDown`, and a cancellation of the calling thread's token, with
//! the refused item handed back.

use std::fmt;

/// Why a put failed. The item always comes back: nothing is lost.
///
/// `Debug` prints `Full(..)` / `ShutDown(..)` / `Cancelled(..)` without the
/// item, so this is an `Error` for every `T`.
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
    /// The calling thread's cancellation token was cancelled while the put
    /// waited for room (from `put` or `put_timeout`): the item was not put,
    /// and the queue is as it was.
    ///
    /// ```
    /// use pythreading_core::CancellationToken;
    /// use pythreading_sync::queue::{PutError, Queue};
    ///
    /// let q = Queue::new(1);
    /// q.put(1).unwrap();
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// let err = token.run(|| q.put(2)).unwrap_err();
    /// assert!(err.is_cancelled());
    /// assert_eq!(err.to_string(), "queue operation was cancelled");
    /// assert_eq!(err.into_inner(), 2);
    /// assert_eq!(q.qsize(), 1);
    /// ```
    Cancelled(T),
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::ShutDown(item) | PutError::Cancelled(item) => item,
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

    /// Whether the calling thread's cancellation token was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, PutError::Cancelled(_))
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::ShutDown(_) => f.write_str("ShutDown(..)"),
            PutError::Cancelled(_) => f.write_str("Cancelled(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("queue is full"),
            PutError::ShutDown(_) => f.write_str("queue is shut down"),
            PutError::Cancelled(_) => f.write_str("queue operation was cancelled"),
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
    /// The calling thread's cancellation token was cancelled while the get
    /// waited for an item (from `get` or `get_timeout`): no item was taken.
    #[error("queue operation was cancelled")]
    Cancelled,
}
