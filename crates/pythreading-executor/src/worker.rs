//! What a worker thread knows of the pool it serves: enough to run, while
//! it waits, a task of that pool that nobody has started (a wait that
//! helps).
//!
//! A worker blocked on a future of its own pool whose task is still queued
//! would otherwise wait for a worker to take it, and if every worker is
//! waiting so, for ever (Python's documented `ThreadPoolExecutor`
//! deadlock). Instead it starts the task itself and runs it on its own
//! stack: the wait is over when the task is. The worker that later takes
//! the task from the queue finds it started and skips it, so a task runs
//! exactly once however many threads race to start it (the future's state
//! word decides: one compare-exchange from Pending).
//!
//! Tasks run so nest: a task that waits on a task that waits on another
//! runs all three on one stack. A deep nest is run on a stack grown on
//! the heap ([`stacker`]) whenever less than [`RED_ZONE`] is left, so
//! a chain of ten thousand nested waits does not overflow.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// What a worker knows of the pool it serves. The pool implements it, so
/// that this module needs nothing of the pool's own.
pub(crate) trait Served: Send + Sync {
    /// The pool's id, as its tasks know it.
    fn id(&self) -> u64;
    /// Counts a task run to its end, before its future completes.
    fn count_completed(&self);
}

/// Less stack left than this when a task is run in a wait: the task runs
/// on a new segment. Generous, for the frames of the user's task itself
/// until its own next wait.
#[cfg(not(loom))]
const RED_ZONE: usize = 256 * 1024;

/// The size of each new segment of stack.
#[cfg(not(loom))]
const SEGMENT: usize = 4 * 1024 * 1024;

thread_local! {
    /// The id of the pool this thread is a worker of; 0 if none. Read on
    /// every wait that finds its future not done, so a plain number first.
    static SERVING_ID: Cell<u64> = const { Cell::new(0) };
    /// The pool this thread is a worker of.
    static SERVING: RefCell<Option<Arc<dyn Served>>> = const { RefCell::new(None) };
}

/// Marks this thread as a worker of `pool` until dropped.
pub(crate) struct Serving(());

/// This thread is a worker of `pool` from now until the guard is dropped.
pub(crate) fn serve(pool: Arc<dyn Served>) -> Serving {
    SERVING_ID.with(|id| id.set(pool.id()));
    SERVING.with(|serving| *serving.borrow_mut() = Some(pool));
    Serving(())
}

impl Drop for Serving {
    fn drop(&mut self) {
        // The pool's Arc goes only once the borrow is over: its Drop is
        // the pool's, which never looks at this thread's worker.
        let _ = SERVING_ID.try_with(|id| id.set(0));
        let pool = SERVING.try_with(|serving| serving.borrow_mut().take());
        drop(pool);
    }
}

/// Whether this thread is a worker of any pool: waits on many futures
/// look for one to run only then, and pay nothing else on other threads.
pub(crate) fn serves_a_pool() -> bool {
    SERVING_ID.try_with(Cell::get).is_ok_and(|id| id != 0)
}

/// The pool this thread is a worker of, if its id is `pool`.
fn serving(pool: u64) -> Option<Arc<dyn Served>> {
    if SERVING_ID.try_with(Cell::get) != Ok(pool) {
        return None;
    }
    SERVING
        .try_with(|serving| {
            serving
                .borrow()
                .as_ref()
                .filter(|serving| serving.id() == pool)
                .cloned()
        })
        .ok()
        .flatten()
}

/// If this thread is a worker of the pool whose id is `pool`, runs
/// `run_if_pending` here, with the hook to call before the future
/// completes: whether it ran the task (it does not if the task has started
/// or was cancelled).
pub(crate) fn help(pool: u64, run_if_pending: impl FnOnce(&mut dyn FnMut()) -> bool) -> bool {
    let Some(serving) = serving(pool) else {
        return false;
    };
    on_enough_stack(|| run_if_pending(&mut || serving.count_completed()))
}

/// Runs `f`, on a new segment of stack if this one is nearly used up.
#[cfg(not(loom))]
fn on_enough_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

#[cfg(loom)]
fn on_enough_stack<R>(f: impl FnOnce() -> R) -> R {
    f()
}
