//! A task and its future in one allocation: the [`TaskCell`].
//!
//! The pool's queue holds a cell as something to run ([`Run`]), the caller
//! holds it as a [`Future`](crate::Future) ([`Cell`]). Whoever lets go of a
//! task last (the future's owner or the worker) drops what is left in it, a
//! panic in `Drop` caught and reported; and a task's panic that nobody took
//! with [`Future::result`](crate::Future::result) is reported then (see
//! [`crate::report`]).

use std::sync::Arc;

use crate::error::TaskError;
use crate::header::{Header, run_callbacks};
use crate::report::drop_reporting;
use crate::sys::Mutex;

/// A future as the caller sees it: its header, whatever the task's type.
pub(crate) trait Cell<T>: Send + Sync {
    fn header(&self) -> &Header<T>;
    /// Cancels the future and drops the task if it was pending.
    fn cancel(&self) -> bool;
}

/// What is left to do for a task ended without running: its done callbacks
/// to run and its closure to drop, both user code, done once the pool's
/// lock is released.
pub(crate) type Leftovers = Box<dyn FnOnce() + Send>;

/// Something the pool runs or gives up on, whatever its result type.
pub(crate) trait Run: Send + Sync {
    /// Runs the task unless it was cancelled, calls `before_completing`,
    /// then completes the future.
    fn run(&self, before_completing: &mut dyn FnMut());
    /// Ends a pending task without running it: cancels it (`error` is
    /// `None`: a shutdown cancels it) or fails it with `error` (the pool
    /// broke). Its future is done when this returns; what is left to do
    /// comes back. `None` if the task was no longer pending.
    fn settle(&self, error: Option<TaskError>) -> Option<Leftovers>;
}

/// A task and its future in one allocation.
pub(crate) struct TaskCell<T, F> {
    header: Header<T>,
    task: Mutex<Option<F>>,
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

impl<T, F> TaskCell<T, F>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    pub(crate) fn new(task: F) -> Arc<Self> {
        Arc::new(Self {
            header: Header::new(),
            task: Mutex::new(Some(task)),
        })
    }
}

impl<T, F> TaskCell<T, F> {
    /// Drops the task if it is still there (it was not run), a panic in
    /// its `Drop` reported as ignored in dropping `what`.
    fn drop_task(&self, what: &str) {
        let task = self.task.lock().take();
        if let Some(task) = task {
            drop_reporting(task, what);
        }
    }
}

impl<T: Send, F: FnOnce() -> T + Send> Cell<T> for TaskCell<T, F> {
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
}

impl<T, F> Run for TaskCell<T, F>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    fn run(&self, before_completing: &mut dyn FnMut()) {
        // `None` only once cancelled, and then the header would not start.
        let task = self.task.lock().take();
        if let Some(task) = task {
            self.header.run(task, before_completing);
        }
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

impl<T, F> Drop for TaskCell<T, F> {
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
