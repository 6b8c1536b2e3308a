//! [`Future`]: the result of a task, some day.
//!
//! The handle the caller holds: a shared [`Cell`] (a task and its
//! [`Header`] in one allocation, or a bare header), whatever the task's
//! type. Its state, outcome and waits are the header's.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use pythreading_core::wait::{Deadline, Wait};

use crate::error::TaskError;
use crate::header::{FutureState, Header, Parked};
use crate::id::FutureId;
use crate::task::Cell;
use crate::wait_cycle::{self, Entered};
use crate::worker;

/// The calling thread's name, for a deadlock report. Not under loom, where
/// the registry of threads is not modelled.
fn thread_name() -> String {
    if cfg!(loom) {
        format!("thread {}", pythreading_core::get_ident())
    } else {
        pythreading_core::current_thread().name()
    }
}

/// How a blocking wait on one future ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// The future is done.
    Done,
    /// The time allowed passed first.
    TimedOut,
    /// Waiting would never end: the cycle of waits it would close.
    Deadlock(String),
    /// The waiting thread's current cancellation token was cancelled.
    Cancelled,
}

/// The result of a task submitted to a
/// [`ThreadPoolExecutor`](crate::ThreadPoolExecutor): Python's
/// `concurrent.futures.Future`.
///
/// A future is done once its task has run (to its end or to a panic) or it
/// was cancelled; [`result`](Self::result) waits for that and hands the
/// value over, or says why there is none. A panic never kills a worker: it
/// ends up here, as [`TaskError::Panicked`].
///
/// Panics are never lost. [`result`](Self::result) is the one way to take
/// a task's panic: a future dropped without it (even after
/// [`wait`](Self::wait), [`state`](Self::state) or
/// [`wait`](crate::wait()) saw it done) reports the panic through
/// [`pythreading_core::excepthook`] once nobody holds the task any more, as
/// the thread it ran on would have: its name, where it panicked, the
/// message (`A task's panic was never retrieved (its future was dropped):
/// …`). So a fire-and-forget `let _ = pool.submit(..)` loses no panic.
/// A value left in a dropped future is dropped by whoever lets go of the
/// task last (this thread or the worker); a panic in its `Drop` is reported
/// the same way (`Exception ignored in drop of a task's result: …`) and
/// goes no further.
///
/// ```
/// use pythreading_executor::{FutureState, TaskError, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(2)?;
/// let answer = pool.submit(|| 6 * 7)?;
/// answer.wait();
/// assert!(answer.done());
/// assert_eq!(answer.state(), FutureState::Finished);
/// assert_eq!(answer.result(), Ok(42));
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
#[must_use = "a future dropped unread loses the task's value (a panic is reported)"]
pub struct Future<T> {
    cell: Arc<dyn Cell<T>>,
}

#[cfg(not(loom))]
fn _bounds() {
    fn send_sync<X: Send + Sync>() {}
    send_sync::<Future<String>>();
}

impl<T> Future<T> {
    pub(crate) fn from_cell(cell: Arc<dyn Cell<T>>) -> Self {
        Self { cell }
    }

    pub(crate) fn header(&self) -> &Header<T> {
        self.cell.header()
    }

    pub(crate) fn cell(&self) -> &Arc<dyn Cell<T>> {
        &self.cell
    }

    /// Waits until the future is done, then returns the task's value, or
    /// why there is none: [`TaskError::Cancelled`],
    /// [`TaskError::Panicked`] (the panic message: the panic is read, and
    /// will not be reported), [`TaskError::BrokenPool`], or
    /// [`TaskError::Deadlock`] if the wait could never end (see below).
    ///
    /// A worker of the pool that waits on a task of that pool nobody has
    /// started runs the task itself, at once, on its own stack, instead of
    /// waiting for a worker to take it; so a pool cannot starve itself
    /// (Python's documented deadlocks), and recursive work by submit and
    /// `result` runs on the pool's workers alone. A wait that would close
    /// a cycle (this task waits on one that, through others perhaps,
    /// waits on this one) does not block: it ends with
    /// [`TaskError::Deadlock`], which names the futures and threads of the
    /// cycle, and the future keeps its outcome for when it is done.
    ///
    /// A task run so runs on the waiting worker's thread, inside the
    /// waiting task: it sees that thread's thread-locals, and the locks the
    /// waiter holds are held by its thread (an [`RLock`] it takes is
    /// re-entered, not waited for). A timed wait that runs the task returns
    /// when the task is over, its timeout passed or not: the future is done
    /// then. A zero timeout only looks, and runs nothing. A scope's tasks
    /// are not run so, and a thread that is not a worker of the pool never
    /// runs its tasks.
    ///
    /// [`RLock`]: https://docs.rs/pythreading-sync/latest/pythreading_sync/struct.RLock.html
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pythreading_executor::ThreadPoolExecutor;
    ///
    /// // One worker, and a task that waits on a task of its own pool:
    /// // Python's documented deadlock. Here the waiting worker runs it.
    /// let pool = Arc::new(ThreadPoolExecutor::new(1)?);
    /// let inner_pool = Arc::clone(&pool);
    /// let outer = pool.submit(move || inner_pool.submit(|| 5u32.pow(2)).unwrap().result())?;
    /// assert_eq!(outer.result(), Ok(Ok(25)));
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    ///
    /// # Cancellation
    ///
    /// `result` obeys the calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken): cancelled
    /// while it waits, it returns [`TaskError::WaitCancelled`] (the task
    /// itself goes on; interrupt it with [`interrupt`](Self::interrupt)).
    /// The future is consumed then, and the task's value with it when it
    /// comes (a panic is reported): wait with
    /// [`wait_cancellable`](Self::wait_cancellable) first to keep the
    /// future.
    pub fn result(self) -> Result<T, TaskError> {
        match self.block(Wait::FOREVER, true) {
            Waited::Deadlock(cycle) => Err(TaskError::Deadlock(cycle)),
            Waited::Cancelled => Err(TaskError::WaitCancelled),
            Waited::Done | Waited::TimedOut => self.header().take_outcome(),
        }
    }

    /// Waits until the future is done (finished or cancelled). As
    /// [`result`](Self::result), a worker of the pool runs a task of the
    /// pool nobody has started; a wait that would close a cycle of waits
    /// returns at once, with the future not done (its `result` then says
    /// [`TaskError::Deadlock`]).
    ///
    /// It does not obey the calling thread's cancellation token (it has no
    /// way to say so): [`wait_cancellable`](Self::wait_cancellable) does.
    pub fn wait(&self) {
        let _ = self.block(Wait::FOREVER, false);
    }

    /// Waits until the future is done, at most `timeout`; `true` if it is
    /// done. A worker of the pool runs a task of the pool nobody has
    /// started, as with [`result`](Self::result). A wait whose timeout is
    /// too large to end (`Duration::MAX`) is a wait without one, checked
    /// for cycles as [`wait`](Self::wait) is.
    ///
    /// It does not obey the calling thread's cancellation token:
    /// [`wait_cancellable`](Self::wait_cancellable) does.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.block(Wait::Timeout(timeout), false) == Waited::Done
    }

    /// [`wait`](Self::wait) and [`wait_timeout`](Self::wait_timeout) that
    /// obey the calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken): `Ok(true)`
    /// once the future is done, `Ok(false)` if `timeout` passed first
    /// (`None`: no limit; a zero timeout only looks), `Err(Cancelled)` if
    /// the token was cancelled while it waited (looked at only before
    /// parking: a done future is `Ok(true)` whatever the token). A wait that
    /// would close a cycle of waits returns `Ok(false)` at once, the future
    /// not done (its `result` then says [`TaskError::Deadlock`]).
    ///
    /// ```
    /// use pythreading_core::{CancellationToken, Cancelled};
    /// use pythreading_executor::ThreadPoolExecutor;
    /// use pythreading_sync::Event;
    /// use std::sync::Arc;
    ///
    /// let pool = ThreadPoolExecutor::new(1)?;
    /// let gate = Arc::new(Event::new());
    /// let opener = Arc::clone(&gate);
    /// let task = pool.submit(move || opener.wait())?;
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// assert_eq!(token.run(|| task.wait_cancellable(None)), Err(Cancelled));
    /// gate.set();
    /// assert_eq!(task.wait_cancellable(None), Ok(true));
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn wait_cancellable(
        &self,
        timeout: Option<Duration>,
    ) -> Result<bool, pythreading_core::Cancelled> {
        match self.block(Wait::from_timeout(timeout), true) {
            Waited::Done => Ok(true),
            Waited::TimedOut | Waited::Deadlock(_) => Ok(false),
            Waited::Cancelled => Err(pythreading_core::Cancelled),
        }
    }

    /// Stops the task however far it got, Java's
    /// `cancel(mayInterruptIfRunning = true)`: a pending task is cancelled
    /// as [`cancel`](Self::cancel) does; a running task's
    /// [`CancellationToken`](pythreading_core::CancellationToken) is
    /// cancelled, so that its blocked pythreading call (a `get`, a
    /// `sleep`, an acquire that can be cancelled, a `result`...) returns
    /// `Cancelled` at once, and so does its next one. `true` if it did
    /// either, `false` if the task was done already.
    ///
    /// Unlike Java's, the future of a running task is not marked cancelled:
    /// it finishes with whatever the task returns once it stops (often its
    /// own `Err(Cancelled)`), or its panic, so no value is lost. Python's
    /// [`cancel`](Self::cancel) keeps its meaning (pending tasks only).
    ///
    /// ```
    /// use pythreading_core::{Cancelled, sleep};
    /// use pythreading_executor::ThreadPoolExecutor;
    /// use std::time::Duration;
    ///
    /// let pool = ThreadPoolExecutor::new(1)?;
    /// let download = pool.submit(|| sleep(Duration::from_secs(3600)))?;
    /// while !download.running() {
    ///     std::thread::yield_now();
    /// }
    /// assert!(download.interrupt());
    /// assert_eq!(download.result(), Ok(Err(Cancelled)));
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn interrupt(&self) -> bool {
        self.cell.interrupt()
    }

    /// The task's [`CancellationToken`](pythreading_core::CancellationToken):
    /// the current token of the thread while it runs the task. Cancelling
    /// it is [`interrupt`](Self::interrupt) without the cancel of a pending
    /// task (a pending task whose token is cancelled still starts, with its
    /// token cancelled). A group's task has its group's token as parent.
    pub fn cancel_token(&self) -> pythreading_core::CancellationToken {
        self.header().token()
    }

    /// The future's identity, unique in the process: a key for maps from
    /// futures to what they were submitted for.
    pub fn id(&self) -> FutureId {
        self.header().id()
    }

    /// Runs the task here, now, if this thread is a worker of its pool
    /// and the task has not started; whether it did.
    pub(crate) fn help(&self) -> bool {
        // Only a pool's worker ever helps: no second handle for the others.
        worker::serves_a_pool() && Arc::clone(&self.cell).help()
    }

    /// Blocks until the future is done or `wait` ends: a wait that helps
    /// (see [`result`](Self::result)), and, without a time limit, one
    /// checked for a cycle before it parks.
    /// With `obey`, the wait ends too when the calling thread's current
    /// token is cancelled.
    pub(crate) fn block(&self, wait: Wait, obey: bool) -> Waited {
        // A wait that may not block at all (a zero timeout) only looks.
        if self.done() || (wait.may_block() && self.help()) {
            return Waited::Done;
        }
        let parked = self
            .header()
            .wait_then(wait, obey, |deadline| self.enter(deadline));
        match parked {
            Ok(Parked::Done) => Waited::Done,
            Ok(Parked::TimedOut) => Waited::TimedOut,
            Ok(Parked::Cancelled) => Waited::Cancelled,
            Err(cycle) => Waited::Deadlock(cycle),
        }
    }

    /// Records this thread as waiting on the future, without a time limit,
    /// for the cycle check (nothing for a timed wait, or a scope's future).
    fn enter(&self, deadline: Deadline) -> Result<Option<Entered<'static>>, String> {
        if !deadline.is_never() {
            return Ok(None);
        }
        let Some(node) = Arc::clone(&self.cell).node() else {
            return Ok(None);
        };
        wait_cycle::waits()
            .enter(pythreading_core::get_ident(), thread_name, node)
            .map(Some)
    }

    /// Whether the task finished or the future was cancelled.
    pub fn done(&self) -> bool {
        self.header().is_done()
    }

    /// Whether a worker is running the task now.
    pub fn running(&self) -> bool {
        self.state() == FutureState::Running
    }

    /// Whether the future was cancelled.
    pub fn cancelled(&self) -> bool {
        self.state() == FutureState::Cancelled
    }

    /// Cancels the task if it has not started: `true` if the future is
    /// cancelled now (also if it already was), `false` if the task is
    /// running or finished. Everyone waiting on the future wakes at once and
    /// its done callbacks run on this thread.
    ///
    /// ```
    /// use pythreading_executor::{TaskError, ThreadPoolExecutor};
    /// use pythreading_sync::Event;
    /// use std::sync::Arc;
    ///
    /// let pool = ThreadPoolExecutor::new(1)?;
    /// let gate = Arc::new(Event::new());
    /// let busy = { let gate = Arc::clone(&gate); pool.submit(move || gate.wait())? };
    /// let queued = pool.submit(|| "never")?;
    /// assert!(queued.cancel());
    /// gate.set();
    /// assert!(!busy.cancel() || busy.cancelled());
    /// assert_eq!(queued.result(), Err(TaskError::Cancelled));
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn cancel(&self) -> bool {
        self.cell.cancel()
    }

    /// Where the task is: pending, running, cancelled or finished.
    pub fn state(&self) -> FutureState {
        self.header().state()
    }

    /// How many are waiting for the future now: threads blocked in
    /// [`result`](Self::result), [`wait`](Self::wait) or
    /// [`wait_timeout`](Self::wait_timeout), and [`wait`](crate::wait()) or
    /// [`as_completed`](crate::as_completed) calls watching it (an
    /// [`AsCompleted`](crate::AsCompleted) watches each future until it
    /// yields it). Done callbacks do not count. Each is woken, or told,
    /// the moment the future is done; for tests and diagnostics, as
    /// Python's `Future._waiters`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pythreading_executor::ThreadPoolExecutor;
    /// use pythreading_sync::Event;
    ///
    /// let pool = ThreadPoolExecutor::new(1)?;
    /// let gate = Arc::new(Event::new());
    /// let opener = Arc::clone(&gate);
    /// let task = Arc::new(pool.submit(move || opener.wait())?);
    /// let waiter = { let task = Arc::clone(&task); std::thread::spawn(move || task.wait()) };
    /// while task.waiting() == 0 {
    ///     std::thread::yield_now(); // until the waiter is blocked on it
    /// }
    /// gate.set();
    /// waiter.join().unwrap();
    /// assert_eq!(task.waiting(), 0);
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn waiting(&self) -> usize {
        self.header().waiting()
    }

    /// Runs `callback` once the future is done, on the thread that makes it
    /// done (the worker, or the canceller); at once on this thread if it is
    /// done already. Callbacks run in the order they were added; one that
    /// panics is reported through the excepthook and the others still run.
    pub fn add_done_callback(&self, callback: impl FnOnce() + Send + 'static) {
        self.header().add_done_callback(Box::new(callback));
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Future")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
pub(crate) mod loom_tests {
    use super::*;
    use crate::header::Plain;
    use crate::sys::Ordering;
    use crate::task::{POOL, Run, TaskCell};
    use loom::sync::atomic::AtomicUsize;

    /// A future over a bare header, for models that play the worker.
    pub(crate) fn future_of(header: &Arc<Header<u32>>) -> Future<u32> {
        Future::from_cell(Arc::clone(header) as Arc<dyn Cell<u32>>)
    }

    /// A started task's future, and the worker thread finishing it with
    /// `value`.
    pub(crate) fn finishing(value: u32) -> (Future<u32>, loom::thread::JoinHandle<()>) {
        let header = Arc::new(Header::<u32>::new());
        let future = future_of(&header);
        assert!(header.start());
        let worker = loom::thread::spawn(move || header.finish(Ok(value)));
        (future, worker)
    }

    /// A worker starting the task races a caller cancelling it: exactly one
    /// wins, and a waiter sees the winner's outcome.
    #[test]
    fn loom_cancel_races_start() {
        loom::model(|| {
            let header = Arc::new(Header::<u32>::new());
            let future = future_of(&header);
            let worker = loom::thread::spawn(move || {
                if header.start() {
                    header.finish(Ok(7));
                    true
                } else {
                    false
                }
            });
            let cancelled = future.cancel();
            future.wait();
            let ran = worker.join().unwrap();
            assert_ne!(cancelled, ran, "exactly one of cancel and start wins");
            let expected = if ran {
                Ok(7)
            } else {
                Err(TaskError::Cancelled)
            };
            assert_eq!(future.result(), expected);
        });
    }

    /// A waiter that finds the task not done and sleeps is woken by the
    /// worker finishing it: no lost wake-up.
    #[test]
    fn loom_finish_wakes_waiter() {
        loom::model(|| {
            let (future, worker) = finishing(3);
            assert_eq!(future.result(), Ok(3));
            worker.join().unwrap();
        });
    }

    /// A done callback added while the task finishes runs exactly once.
    #[test]
    fn loom_callback_added_while_finishing_runs_once() {
        loom::model(|| {
            let (future, worker) = finishing(1);
            let calls = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&calls);
            future.add_done_callback(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            worker.join().unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        });
    }

    /// A waiter parked while the task is still pending is woken when it
    /// finishes: starting the task keeps the mark that someone is parked.
    #[test]
    fn loom_waiter_parked_before_start_is_woken() {
        loom::model(|| {
            let header = Arc::new(Header::<u32>::new());
            let future = future_of(&header);
            let worker = loom::thread::spawn(move || {
                assert!(header.start());
                header.finish(Ok(4));
            });
            assert_eq!(future.result(), Ok(4));
            worker.join().unwrap();
        });
    }

    /// A timed wait racing the finish says done only if it is; a waiter
    /// that timed out leaves its mark behind, and a wait after it is still
    /// woken by the finish. Nobody is left counted as waiting.
    #[test]
    fn loom_timed_wait_races_finish() {
        loom::model(|| {
            let (future, worker) = finishing(2);
            if future.wait_timeout(Duration::from_secs(3600)) {
                assert_eq!(future.state(), FutureState::Finished);
            }
            future.wait();
            assert_eq!(future.waiting(), 0);
            worker.join().unwrap();
            assert_eq!(future.result(), Ok(2));
        });
    }

    /// Two threads waiting on one future are both woken by its finish.
    ///
    /// The finish is played by the model's main thread: loom takes an
    /// unpark that reaches a thread blocked in `join` (a real thread
    /// keeps it for its next park, which the parking table's loop then
    /// ignores) for the end of that join.
    #[test]
    fn loom_finish_wakes_every_waiter() {
        loom::model(|| {
            let header = Arc::new(Header::<u32>::new());
            let future = Arc::new(future_of(&header));
            assert!(header.start());
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let future = Arc::clone(&future);
                    loom::thread::spawn(move || future.wait())
                })
                .collect();
            header.finish(Ok(1));
            for waiter in waiters {
                waiter.join().unwrap();
            }
            assert_eq!(future.waiting(), 0);
        });
    }

    /// Counts its drops.
    struct Dropped(Arc<loom::sync::atomic::AtomicUsize>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A shutdown settling a pending task races its owner cancelling it,
    /// while the owner waits: both see it cancelled, its closure is dropped
    /// exactly once by one of them, the callback runs once, and the waiter
    /// wakes and is no longer counted.
    #[test]
    fn loom_shutdown_settle_races_cancel() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let held = Dropped(Arc::clone(&drops));
            let cell = TaskCell::<_, _, Plain>::new(
                POOL | 1,
                move || {
                    let _held = &held;
                    1u32
                },
                None,
            );
            let future = Future::from_cell(Arc::clone(&cell) as Arc<dyn Cell<u32>>);
            let calls = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&calls);
            future.add_done_callback(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            let work = cell as Arc<dyn Run>;
            let shutdown = loom::thread::spawn(move || {
                if let Some(leftovers) = work.settle(None) {
                    leftovers();
                }
            });
            future.wait();
            assert!(future.cancel());
            shutdown.join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert_eq!(future.waiting(), 0);
            assert_eq!(future.result(), Err(TaskError::Cancelled));
        });
    }

    /// A task cell whose closure is boxed, so that its type has a name.
    type Counted = Arc<TaskCell<u32, Box<dyn FnOnce() -> u32 + Send>>>;

    /// A task whose closure counts its runs, with a done callback counting
    /// its calls.
    fn counted() -> (Counted, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let task: Box<dyn FnOnce() -> u32 + Send> = Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            7
        });
        let cell = TaskCell::<_, _, Plain>::new(POOL | 1, task, None);
        let counter = Arc::clone(&calls);
        cell.header().add_done_callback(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        (cell, runs, calls)
    }

    /// The claim race: the worker that takes a task from the queue and a
    /// waiter that helps both try to start it. It runs exactly once, on
    /// the thread that won, and its future completes once.
    #[test]
    fn loom_a_worker_and_a_helping_waiter_run_a_task_once() {
        loom::model(|| {
            let (cell, runs, calls) = counted();
            let worker = {
                let cell = Arc::clone(&cell);
                loom::thread::spawn(move || TaskCell::run_if_pending(cell, 2, &mut || {}))
            };
            let helped = TaskCell::run_if_pending(Arc::clone(&cell), 1, &mut || {});
            let worked = worker.join().unwrap();
            assert_ne!(helped, worked, "exactly one thread starts the task");
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            let future = Future::from_cell(cell as Arc<dyn Cell<u32>>);
            assert_eq!(future.result(), Ok(7));
        });
    }

    /// The claim race with a cancel in it: the task runs at most once, and
    /// not at all if the cancel won; the future completes once either way.
    #[test]
    fn loom_a_cancel_racing_the_claim_wins_or_loses_whole() {
        loom::model(|| {
            let (cell, runs, calls) = counted();
            let worker = {
                let cell = Arc::clone(&cell);
                loom::thread::spawn(move || Run::run(cell, 2, &mut || {}))
            };
            let cancelled = Cell::cancel(&*cell);
            let helped = TaskCell::run_if_pending(Arc::clone(&cell), 1, &mut || {});
            worker.join().unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            let future = Future::from_cell(cell as Arc<dyn Cell<u32>>);
            if cancelled {
                assert!(!helped);
                assert_eq!(runs.load(Ordering::SeqCst), 0);
                assert_eq!(future.result(), Err(TaskError::Cancelled));
            } else {
                assert_eq!(runs.load(Ordering::SeqCst), 1);
                assert_eq!(future.result(), Ok(7));
            }
        });
    }
}
