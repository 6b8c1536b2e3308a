//! The error type of thread operations.

/// What can go wrong when starting, joining or configuring a [`Thread`](crate::Thread).
///
/// Every variant is a misuse that Python reports with a `RuntimeError` (or a
/// failure to create the OS thread); here it is a value, never a panic or a
/// hang. The Display texts follow Python's messages.
///
/// ```
/// use pythreading_core::{Thread, ThreadError};
///
/// let t = Thread::new(|| ());
/// assert!(matches!(t.join(), Err(ThreadError::NotStarted)));
/// t.start().unwrap();
/// assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
/// t.join().unwrap();
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThreadError {
    /// `start()` was called on a thread that was already started.
    #[error("threads can only be started once")]
    AlreadyStarted,
    /// `join()`, `join_timeout()` or `into_result()` on a thread that was never started.
    #[error("cannot join thread before it is started")]
    NotStarted,
    /// A thread tried to join itself, which would wait forever.
    #[error("cannot join current thread")]
    JoinSelf,
    /// `set_daemon()` after `start()`.
    #[error("cannot set daemon status of active thread")]
    DaemonAfterStart,
    /// The thread's result was already taken by `into_result()` on another handle.
    #[error("the thread's result was already taken")]
    ResultTaken,
    /// The thread's target panicked; the panic message is kept here.
    #[error("thread panicked: {0}")]
    Panicked(String),
    /// A `join`, `join_timeout` or `into_result` was cancelled: the calling
    /// thread's current [`CancellationToken`](crate::CancellationToken)
    /// was cancelled while it waited (the thread itself goes on).
    #[error("the wait for the thread was cancelled")]
    Cancelled,
    /// The operating system refused to create the thread.
    #[error("can't start new thread: {0}")]
    Spawn(#[source] std::io::Error),
}
