//! The one error type of the synchronisation objects and queues.

/// What a misused synchronisation object reports instead of hanging or
/// panicking. Display texts follow Python's messages.
///
/// ```
/// use pythreading_sync::{Lock, SyncError};
///
/// let lock = Lock::new();
/// assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
/// assert_eq!(SyncError::ReleaseUnlocked.to_string(), "release unlocked lock");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// [`Lock::release`](crate::Lock::release) of a lock that is not locked.
    #[error("release unlocked lock")]
    ReleaseUnlocked,
    /// An [`RLock`](crate::RLock) or [`Condition`](crate::Condition)
    /// released, waited on or notified by a thread that does not hold it.
    #[error("cannot release un-acquired lock")]
    NotOwner,
    /// A [`BoundedSemaphore`](crate::BoundedSemaphore) released above its
    /// initial value.
    #[error("Semaphore released too many times")]
    TooManyReleases,
    /// A [`Barrier`](crate::Barrier) that was broken (aborted, timed out,
    /// reset while threads waited, or its action panicked).
    #[error("barrier is broken")]
    BrokenBarrier,
    /// An argument out of range, e.g. a barrier of 0 parties.
    #[error("{0}")]
    InvalidArgument(String),
    /// A queue's `task_done` called more times than items were put.
    #[error("task_done() called too many times")]
    TaskDoneTooManyTimes,
    /// The calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken) was
    /// cancelled while the call waited (a [`Condition`](crate::Condition)'s
    /// `wait`, which took its lock back first; a
    /// [`Barrier`](crate::Barrier)'s `wait`, which broke the barrier).
    /// Distinct from a timeout, and nothing was taken.
    ///
    /// Which calls obey the token: every blocking call that returns a
    /// `Result` with this error, and the `*_cancellable` forms
    /// (`acquire_cancellable`, `guard_cancellable`,
    /// [`Event::wait_cancellable`](crate::Event::wait_cancellable)), which
    /// return [`Cancelled`](pythreading_core::Cancelled). The forms that
    /// cannot report it (an infallible `acquire`, a `bool`-returning
    /// `*_timeout`) do not obey it: they wait exactly as before. The token
    /// is looked at only once a call is about to sleep: a call that needs
    /// no wait succeeds even under a cancelled token.
    ///
    /// ```
    /// use pythreading_core::CancellationToken;
    /// use pythreading_sync::{Condition, SyncError};
    ///
    /// let cond = Condition::new();
    /// let _held = cond.guard();
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// assert_eq!(token.run(|| cond.wait()), Err(SyncError::Cancelled));
    /// assert!(cond.is_owned()); // the wait took the lock back
    /// assert_eq!(SyncError::Cancelled.to_string(), "the wait was cancelled");
    /// ```
    #[error("the wait was cancelled")]
    Cancelled,
}

impl From<pythreading_core::Cancelled> for SyncError {
    /// A wait cancelled by the calling thread's token, as this crate's error.
    fn from(_: pythreading_core::Cancelled) -> Self {
        SyncError::Cancelled
    }
}
