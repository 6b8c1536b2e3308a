//! The two error types of the executor: one for the pool, one for a task.

/// Why the pool would not take a task (or could not be built). Display
/// texts follow Python's messages.
///
/// ```
/// use pythreading_executor::{ExecutorError, ThreadPoolExecutor};
///
/// assert!(matches!(ThreadPoolExecutor::new(0), Err(ExecutorError::InvalidMaxWorkers)));
/// let pool = ThreadPoolExecutor::new(1)?;
/// pool.shutdown(true, false);
/// let refused = pool.submit(|| 1).unwrap_err();
/// assert_eq!(refused.to_string(), "cannot schedule new futures after shutdown");
/// # Ok::<(), ExecutorError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecutorError {
    /// `max_workers` was 0.
    #[error("max_workers must be greater than 0")]
    InvalidMaxWorkers,
    /// A `map` buffer size of 0.
    #[error("buffersize must be None or > 0")]
    InvalidBufferSize,
    /// A `map` chunk size of 0.
    #[error("chunksize must be >= 1.")]
    InvalidChunkSize,
    /// The executor was shut down: it takes no new task.
    #[error("cannot schedule new futures after shutdown")]
    ShutDown,
    /// A worker's initializer panicked: the pool takes no new task.
    #[error("{0}")]
    BrokenPool(String),
    /// No worker thread could be started, and none was running to take the
    /// task (the task was not queued).
    #[error("can't start new thread: {0}")]
    Spawn(#[source] std::io::Error),
}

/// Why a [`Future`](crate::Future) holds no value: what Python's
/// `Future.result()` raises.
///
/// ```
/// use pythreading_executor::{TaskError, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(1)?;
/// let failed = pool.submit(|| -> u32 { panic!("no luck") })?;
/// assert_eq!(failed.result(), Err(TaskError::Panicked("no luck".into())));
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The future was cancelled before it started.
    #[error("the future was cancelled")]
    Cancelled,
    /// The task panicked; the panic message.
    #[error("the task panicked: {0}")]
    Panicked(String),
    /// The pool broke (an initializer panicked) before the task ran.
    #[error("{0}")]
    BrokenPool(String),
    /// A timeout passed first: from [`as_completed`](crate::as_completed)
    /// or a `map` with a timeout.
    #[error("timed out waiting for the futures")]
    Timeout,
    /// A lazily submitted item of [`map_with`](crate::ThreadPoolExecutor::map_with)
    /// could not be submitted (the executor was shut down or broke); the
    /// reason.
    #[error("the task was not submitted: {0}")]
    NotSubmitted(String),
    /// The wait could never end: it would have closed a cycle of threads
    /// each waiting, without a time limit, on a future the next one runs.
    /// What the cycle is made of: `a cycle of waits: T1 waits on future 3,
    /// which runs on T2, which waits on future 2, which runs on T1`. The
    /// future is not done; the wait that got this is what breaks the
    /// cycle.
    #[error("deadlock: {0}")]
    Deadlock(String),
    /// The wait was cancelled: the waiting thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken) was
    /// cancelled before the future was done. Not the task's outcome (that
    /// is [`Cancelled`](Self::Cancelled) for a task that never started):
    /// the task goes on.
    #[error("the wait for the future was cancelled")]
    WaitCancelled,
}

impl From<ExecutorError> for TaskError {
    fn from(error: ExecutorError) -> Self {
        match error {
            ExecutorError::BrokenPool(message) => TaskError::BrokenPool(message),
            other => TaskError::NotSubmitted(other.to_string()),
        }
    }
}
