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
}
