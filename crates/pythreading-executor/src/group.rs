//! Task groups: tasks that stand or fall together.
//!
//! A group is a cancellation token and the futures of its tasks. Each task
//! runs with a child of the group's token; each future has a done callback
//! that, if its task failed (it panicked, or a fallible task returned
//! `Err`), records it as the group's first failure if it is, cancels the
//! group's token (so that every running task's blocked call returns
//! `Cancelled`) and cancels the tasks not started. [`TaskGroup::join`]
//! waits for every task and hands back every outcome, in submission order.
//!
//! The group's token is a child of the current token of the thread that
//! opens it, so a group opened inside a task of another group (or under
//! any token) is cancelled with it: groups nest.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use pythreading_core::CancellationToken;
use pythreading_core::wait::{self, Deadline, Key};

use crate::error::{ExecutorError, TaskError};
use crate::executor::Pool;
use crate::future::Future;
use crate::header::{ErrFails, Judge, Plain};
use crate::id::FutureId;
use crate::sys::{Ordering, PoolMutex};
use crate::task::Cell;

/// No failure yet.
const NONE: usize = usize::MAX;

/// What a group's tasks share with it.
struct Shared<T> {
    token: CancellationToken,
    /// Every task's future, in submission order.
    futures: PoolMutex<Vec<Future<T>>>,
    /// The index of the first task that failed, or [`NONE`].
    first_failure: AtomicUsize,
    /// Set first thing by a cancel: a task submitted from then on is
    /// cancelled at once.
    closed: AtomicBool,
    /// Tasks whose done callback has not finished: a future is done
    /// (its waiters woken) just before its callbacks run, so `join` waits
    /// for this to be 0 too before it reads `first_failure`. `join` parks
    /// on its address.
    unjudged: AtomicUsize,
}

impl<T> Shared<T> {
    /// Task `index` failed: the first failure cancels the group.
    fn fail(&self, index: usize) {
        if self
            .first_failure
            .compare_exchange(NONE, index, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.cancel();
        }
    }

    /// Cancels the tasks not started, then the token (running tasks see
    /// it): in that order, so that a worker that a cancelled task frees
    /// finds no task of the group left to start. A task submitted
    /// meanwhile sees the group closed.
    fn cancel(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let cells: Vec<Arc<dyn Cell<T>>> = self
            .futures
            .lock()
            .iter()
            .map(|future| Arc::clone(future.cell()))
            .collect();
        // Their done callbacks run here, with no lock held.
        for cell in cells {
            cell.cancel();
        }
        self.token.cancel();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.token.is_cancelled()
    }
}

/// Tasks that stand or fall together, opened with
/// [`ThreadPoolExecutor::group`](crate::ThreadPoolExecutor::group):
/// asyncio's `TaskGroup`, for threads.
///
/// - [`join`](Self::join) returns once every task is done, with every
///   outcome in submission order: values, failures and cancellations,
///   none dropped.
/// - The first failure (a panic; with [`submit_fallible`](Self::submit_fallible),
///   an `Err` too) cancels the group: tasks not started are cancelled, and
///   the running ones' [`CancellationToken`]s are, so that their blocked
///   pythreading calls (a `sleep`, a queue `get`, a `result`...) return
///   `Cancelled` at once. [`cancel`](Self::cancel) does the same by hand.
/// - Groups nest: a group's token is a child of the current token of the
///   thread that opens it (inside a group's task, that task's token), so
///   cancelling a group cancels the groups opened in its tasks.
/// - Dropping a group without `join` joins it (its outcomes are dropped;
///   a panic nobody read is reported).
///
/// ```
/// use pythreading_core::{Cancelled, sleep};
/// use pythreading_executor::{TaskError, ThreadPoolExecutor};
/// use std::time::Duration;
///
/// let pool = ThreadPoolExecutor::new(3)?;
/// let group = pool.group();
/// group.submit_fallible(|| sleep(Duration::from_secs(3600)).map(|()| "slow"))?;
/// group.submit_fallible(|| sleep(Duration::from_secs(3600)).map(|()| "slower"))?;
/// group.submit_fallible(|| Err(Cancelled))?; // fails: the others stop at once
/// let results = group.join();
/// assert_eq!(results.first_failure, Some(2));
/// assert!(results.outcomes.iter().all(|outcome| match outcome {
///     Ok(Err(Cancelled)) | Err(TaskError::Cancelled) => true,
///     _ => false,
/// }));
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
pub struct TaskGroup<T> {
    pool: Arc<Pool>,
    shared: Arc<Shared<T>>,
}

/// Every outcome of a [`TaskGroup`], in submission order.
#[derive(Debug)]
#[non_exhaustive]
pub struct GroupResults<T> {
    /// Each task's outcome, as its future's `result` would say: its value,
    /// `Err(TaskError::Panicked)`, or `Err(TaskError::Cancelled)` for a
    /// task the group cancelled before it started. A task stopped while
    /// running (its token cancelled) has whatever it returned.
    pub outcomes: Vec<Result<T, TaskError>>,
    /// The ids of the tasks' futures, in the same order.
    pub ids: Vec<FutureId>,
    /// The index of the first task that failed, if one did: the one that
    /// cancelled the group.
    pub first_failure: Option<usize>,
}

impl<T> GroupResults<T> {
    /// The first failure's outcome, if a task failed.
    pub fn failure(&self) -> Option<&Result<T, TaskError>> {
        self.first_failure.map(|index| &self.outcomes[index])
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    pub(crate) fn new(pool: Arc<Pool>) -> Self {
        let token = pythreading_core::current_token()
            .map_or_else(pythreading_core::wait::task_token, |current| {
                current.child()
            });
        Self {
            pool,
            shared: Arc::new(Shared {
                token,
                futures: PoolMutex::new(Vec::new()),
                first_failure: AtomicUsize::new(NONE),
                closed: AtomicBool::new(false),
                unjudged: AtomicUsize::new(0),
            }),
        }
    }

    /// Queues `f` as a task of the group; its future's id. A task that
    /// panics fails the group. Submitted once the group is cancelled, the
    /// task is cancelled at once (its outcome is `Err(TaskError::Cancelled)`).
    ///
    /// Errors: those of [`ThreadPoolExecutor::submit`](crate::ThreadPoolExecutor::submit).
    pub fn submit<F>(&self, f: F) -> Result<FutureId, ExecutorError>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.submit_judged::<Plain, F>(f)
    }

    fn submit_judged<V: Judge<T>, F>(&self, f: F) -> Result<FutureId, ExecutorError>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let future = self
            .pool
            .submit::<V, _, _>(f, Some(self.shared.token.child()))?;
        let id = future.id();
        let cell = Arc::clone(future.cell());
        let index = {
            let mut futures = self.shared.futures.lock();
            futures.push(future);
            futures.len() - 1
        };
        let shared = Arc::clone(&self.shared);
        let watched = Arc::clone(&cell);
        self.shared.unjudged.fetch_add(1, Ordering::AcqRel);
        cell.header().add_done_callback(Box::new(move || {
            if watched.header().failed() {
                shared.fail(index);
            }
            if shared.unjudged.fetch_sub(1, Ordering::AcqRel) == 1 {
                wait::unpark_all(Key::of(&shared.unjudged));
            }
        }));
        // Pushed before looking: a cancel either saw the task in the list
        // or is seen here.
        if self.shared.is_closed() {
            cell.cancel();
        }
        Ok(id)
    }

    /// Cancels the group as its first failure would: the tasks not started
    /// are cancelled, the running ones' tokens too. Tasks submitted after
    /// it are cancelled at once.
    pub fn cancel(&self) {
        self.shared.cancel();
    }

    /// Whether the group was cancelled (by a failure, by
    /// [`cancel`](Self::cancel), or through its parent token).
    pub fn is_cancelled(&self) -> bool {
        self.shared.is_closed()
    }

    /// The group's token: the parent of every task's token.
    pub fn cancel_token(&self) -> CancellationToken {
        self.shared.token.clone()
    }

    /// How many tasks were submitted.
    pub fn len(&self) -> usize {
        self.shared.futures.lock().len()
    }

    /// Whether no task was submitted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every task of the group is done, then hands back every
    /// outcome. It waits whatever the calling thread's token says (a group
    /// never leaves a task running behind it); cancelling that token
    /// cancels the group, whose tasks then stop.
    pub fn join(self) -> GroupResults<T> {
        self.join_all()
    }

    fn join_all(&self) -> GroupResults<T> {
        // Tasks may submit more while it waits: done when a pass finds no
        // new one.
        let mut waited = 0;
        loop {
            let next: Vec<Arc<dyn Cell<T>>> = self.shared.futures.lock()[waited..]
                .iter()
                .map(|future| Arc::clone(future.cell()))
                .collect();
            if next.is_empty() {
                break;
            }
            waited += next.len();
            for cell in next {
                Future::from_cell(cell).wait();
            }
        }
        // Every future is done; its callback may still be running.
        let unjudged = &self.shared.unjudged;
        while unjudged.load(Ordering::Acquire) != 0 {
            let _ = wait::park(
                Key::of(unjudged),
                || unjudged.load(Ordering::Acquire) != 0,
                || {},
                Deadline::NEVER,
            );
        }
        let futures = std::mem::take(&mut *self.shared.futures.lock());
        let ids = futures.iter().map(Future::id).collect();
        let outcomes = futures
            .into_iter()
            .map(|future| future.header().take_outcome())
            .collect();
        let first_failure = match self.shared.first_failure.load(Ordering::Acquire) {
            NONE => None,
            index => Some(index),
        };
        GroupResults {
            outcomes,
            ids,
            first_failure,
        }
    }
}

impl<T, E> TaskGroup<Result<T, E>>
where
    T: Send + 'static,
    E: Send + 'static,
{
    /// [`submit`](Self::submit) for a task whose `Err` fails the group, as
    /// a panic does.
    pub fn submit_fallible<F>(&self, f: F) -> Result<FutureId, ExecutorError>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        self.submit_judged::<ErrFails, F>(f)
    }
}

impl<T> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        // Joined already: nothing left in the list.
        let futures = std::mem::take(&mut *self.shared.futures.lock());
        for future in &futures {
            future.wait();
        }
    }
}

impl<T> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("tasks", &self.shared.futures.lock().len())
            .field("cancelled", &self.shared.token.is_cancelled())
            .finish_non_exhaustive()
    }
}
