//! A task and its future in one allocation: the [`TaskCell`].
//!
//! The pool's queue holds a cell as something to run ([`Run`]), the caller
//! holds it as a [`Future`](crate::Future) ([`Cell`]). Whoever lets go of a
//! task last (the future's owner or the worker) drops what is left in it, a
//! panic in `Drop` caught and reported; and a task's panic that nobody took
//! with [`Future::result`](crate::Future::result) is reported then (see
//! [`crate::report`]).

use std::marker::PhantomData;
use std::sync::Arc;

use pythreading_core::CancellationToken;
use pythreading_core::wait::{self, TokenSource};

use crate::error::TaskError;
use crate::header::{Header, Judge, Plain, run_callbacks};
use crate::id::FutureId;
use crate::report::drop_reporting;
use crate::sys::{AtomicU64, Mutex, Ordering};
use crate::worker;

/// A future as the caller sees it: its header, whatever the task's type.
pub(crate) trait Cell<T>: Send + Sync {
    fn header(&self) -> &Header<T>;
    /// Cancels the future and drops the task if it was pending.
    fn cancel(&self) -> bool;
    /// Cancels a pending task as [`cancel`](Self::cancel) does, or the
    /// token of a running one; whether it did either.
    fn interrupt(&self) -> bool {
        self.cancel() || self.header().interrupt_running()
    }
    /// Runs the task on this thread, now, if this thread is a worker of
    /// the pool the task was submitted to and the task has not started:
    /// whether it ran (its future is done then). The worker that later
    /// takes the task from the queue finds it started, and skips it.
    fn help(self: Arc<Self>) -> bool {
        false
    }
    /// The future as the wait-cycle check follows it; `None` for a
    /// scope's, which no cycle goes through (a scope's threads only run).
    fn node(self: Arc<Self>) -> Option<Arc<dyn Node>> {
        None
    }
}

/// A pool's future as the wait-cycle check sees it, whatever its types.
pub(crate) trait Node: Send + Sync {
    fn id(&self) -> FutureId;
    fn is_done(&self) -> bool;
    /// The ident of the thread that started the task (a worker, or a
    /// worker that ran it while waiting); 0 while it has not started.
    fn runner(&self) -> u64;
}

/// What is left to do for a task ended without running: its done callbacks
/// to run and its closure to drop, both user code, done once the pool's
/// lock is released.
pub(crate) type Leftovers = Box<dyn FnOnce() + Send>;

/// Something the pool runs or gives up on, whatever its result type.
pub(crate) trait Run: Send + Sync {
    /// Runs the task unless it was cancelled or a waiter started it,
    /// calls `before_completing`, then completes the future. `runner` is
    /// the calling worker's ident. The task runs with its own cancellation
    /// token current.
    fn run(self: Arc<Self>, runner: u64, before_completing: &mut dyn FnMut());
    /// Ends a pending task without running it: cancels it (`error` is
    /// `None`: a shutdown cancels it) or fails it with `error` (the pool
    /// broke). Its future is done when this returns; what is left to do
    /// comes back. `None` if the task was no longer pending.
    fn settle(&self, error: Option<TaskError>) -> Option<Leftovers>;
}

/// The bit that marks a pool's id (see [`TaskCell`]'s `owner`).
pub(crate) const POOL: u64 = 1 << 63;

/// A task and its future in one allocation; `V` judges its value.
pub(crate) struct TaskCell<T, F, V = Plain> {
    header: Header<T>,
    /// Whose the task is, in one word to keep the allocation small: while
    /// it is pending, the id of the pool it was submitted to (only its
    /// workers [`help`](Cell::help) with it; a pool id has [`POOL`] set,
    /// which no thread ident has); once started, the ident of the thread
    /// that started it (what the wait-cycle check follows).
    owner: AtomicU64,
    task: Mutex<Option<F>>,
    verdict: PhantomData<fn() -> V>,
}

/// A bare header is the cell of a scope's task (whose closure the scope's
/// job holds) and of the models that play the worker.
impl<T: Send> Cell<T> for Header<T> {
    fn header(&self) -> &Header<T> {
        self
    }

    fn cancel(&self) -> bool {
        Header::cancel(self)
    }
}

impl<T, F, V> TaskCell<T, F, V>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
    V: Judge<T>,
{
    /// A task submitted to the pool whose id is `pool` (with [`POOL`] set),
    /// with `token` (or one made when asked for).
    pub(crate) fn new(pool: u64, task: F, token: Option<CancellationToken>) -> Arc<Self> {
        Arc::new(Self {
            header: Header::with_token(token),
            owner: AtomicU64::new(pool),
            task: Mutex::new(Some(task)),
            verdict: PhantomData,
        })
    }

    /// Starts and runs the task if it is pending, as the worker that took
    /// it from the queue or as a waiter helping: whether this thread ran
    /// it. Of all the threads that try, exactly one starts it.
    /// `runner` is the calling thread's ident.
    pub(crate) fn run_if_pending(
        this: Arc<Self>,
        runner: u64,
        before_completing: &mut dyn FnMut(),
    ) -> bool {
        if !this.header.start() {
            return false;
        }
        Self::run_started(this, runner, before_completing);
        true
    }

    /// Runs the task, whose future the thread `runner` (the calling one)
    /// has just started, with the task's token current.
    fn run_started(this: Arc<Self>, runner: u64, before_completing: &mut dyn FnMut()) {
        this.owner.store(runner, Ordering::Relaxed);
        // Always there: a cancel or a settle only takes it from a pending
        // task, and only the thread that started the task gets here.
        let task = this.task.lock().take();
        if let Some(task) = task {
            let _token = wait::install_source(Arc::clone(&this) as Arc<dyn TokenSource>);
            this.header.run_started::<V>(task, before_completing);
        }
    }
}

impl<T, F, V> TaskCell<T, F, V> {
    /// Drops the task if it is still there (it was not run), a panic in
    /// its `Drop` reported as ignored in dropping `what`.
    fn drop_task(&self, what: &str) {
        let task = self.task.lock().take();
        if let Some(task) = task {
            drop_reporting(task, what);
        }
    }
}

impl<T, F, V> Cell<T> for TaskCell<T, F, V>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
    V: Judge<T>,
{
    fn header(&self) -> &Header<T> {
        &self.header
    }

    fn cancel(&self) -> bool {
        let cancelled = self.header.cancel();
        if cancelled {
            self.drop_task("a cancelled task");
        }
        cancelled
    }

    fn help(self: Arc<Self>) -> bool {
        // Once started, the word holds an ident, which is no pool's id.
        let pool = self.owner.load(Ordering::Relaxed);
        worker::help(pool, |before_completing| {
            Self::run_if_pending(self, pythreading_core::get_ident(), before_completing)
        })
    }

    fn node(self: Arc<Self>) -> Option<Arc<dyn Node>> {
        Some(self)
    }
}

impl<T, F, V> Node for TaskCell<T, F, V>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
    V: Judge<T>,
{
    fn id(&self) -> FutureId {
        self.header.id()
    }

    fn is_done(&self) -> bool {
        self.header.is_done()
    }

    fn runner(&self) -> u64 {
        match self.owner.load(Ordering::Relaxed) {
            pool if pool & POOL != 0 => 0,
            runner => runner,
        }
    }
}

impl<T, F, V> Run for TaskCell<T, F, V>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
    V: Judge<T>,
{
    fn run(self: Arc<Self>, runner: u64, before_completing: &mut dyn FnMut()) {
        // Not pending: cancelled (the closure is dropped already), or
        // started by a waiter that ran it itself.
        Self::run_if_pending(self, runner, before_completing);
    }

    fn settle(&self, error: Option<TaskError>) -> Option<Leftovers> {
        let what = if error.is_none() {
            "a cancelled task"
        } else {
            "a task never run (the pool broke)"
        };
        let callbacks = self.header.settle_pending(error)?;
        let task = self.task.lock().take();
        Some(Box::new(move || {
            run_callbacks(callbacks);
            if let Some(task) = task {
                drop_reporting(task, what);
            }
        }))
    }
}

impl<T, F, V> TokenSource for TaskCell<T, F, V>
where
    T: Send,
    F: Send,
{
    fn token(&self) -> CancellationToken {
        self.header.token()
    }
}

impl<T, F, V> Drop for TaskCell<T, F, V> {
    /// A task neither run nor cancelled: one no thread could be started
    /// for.
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().take() {
            drop_reporting(task, "a task never run");
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    /// A task and its future share one small allocation: a no-op task
    /// returning a `u64` fits, with the `Arc` counts, in 96 bytes.
    #[test]
    fn a_task_cell_stays_small() {
        fn cell_size<F>(_: &F) -> usize {
            std::mem::size_of::<super::TaskCell<u64, F>>()
        }
        let captured = 5u64;
        let size = cell_size(&move || captured);
        assert!(size + 16 <= 96, "a TaskCell<u64, _> takes {size} bytes");
    }
}
