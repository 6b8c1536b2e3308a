//! [`Future`]: the result of a task, some day.
//!
//! A future and its task share one allocation (a `TaskCell`): the pool's
//! queue holds it as something to run, the caller holds it as a `Future`.
//! The state word says where the task is; the outcome and whoever waits to
//! hear of it (done callbacks, `wait` and `as_completed` calls) live under
//! one small mutex.
//!
//! Whoever lets go of a task last (the future's owner or the worker) drops
//! what is left in it, a panic in `Drop` caught and reported; and a task's
//! panic that nobody took with [`Future::result`] is reported then (see
//! [`crate::report`]).
//!
//! ```text
//! Pending --start()--> Running --finish()--> Finished
//!    \
//!     `--cancel()--> Cancelled          (both "done": waiters wake at once)
//! ```
//!
//! A state becomes done only with the mutex held, and waiters check the
//! state with the mutex held before they sleep, so no wake-up is lost.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pythreading_core::ExceptHookArgs;

use crate::collector::Watch;
use crate::error::TaskError;
use crate::report::{self, drop_reporting, run_callback};
use crate::sys::{AtomicU8, AtomicU32, Condvar, Mutex, Ordering};

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const CANCELLED: u8 = 2;
const FINISHED: u8 = 3;

/// Where a [`Future`]'s task is. Python's `_state`, without its
/// internal `CANCELLED_AND_NOTIFIED` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FutureState {
    /// Submitted, not started: it can still be cancelled.
    Pending,
    /// A worker is running it.
    Running,
    /// Cancelled before it started: done, with no value.
    Cancelled,
    /// Ran to the end (or panicked, or the pool broke): done.
    Finished,
}

impl FutureState {
    fn from_word(word: u8) -> Self {
        match word {
            PENDING => Self::Pending,
            RUNNING => Self::Running,
            CANCELLED => Self::Cancelled,
            _ => Self::Finished,
        }
    }
}

pub(crate) type Callback = Box<dyn FnOnce() + Send + 'static>;

/// What the mutex of a future guards.
struct Slot<T> {
    /// `Some` once done, until [`Future::result`] takes it.
    /// The error is boxed to keep every task's allocation small: the
    /// common case is a value.
    outcome: Option<Result<T, Box<Failure>>>,
    /// Told once, when the future is done. One list for both kinds keeps
    /// the shared allocation of every task small.
    waiters: Waiters,
}

/// The waiters of a future: most have none, so an empty list costs one
/// word in the task's allocation instead of a `Vec`'s three.
#[derive(Default)]
#[allow(clippy::box_collection)] // on purpose: one word instead of three, see above
struct Waiters(Option<Box<Vec<Waiter>>>);

impl Waiters {
    fn push(&mut self, waiter: Waiter) {
        self.0.get_or_insert_with(Box::default).push(waiter);
    }

    fn into_vec(self) -> Vec<Waiter> {
        self.0.map(|waiters| *waiters).unwrap_or_default()
    }
}

/// Why a done future holds no value.
struct Failure {
    /// What [`Future::result`] hands over.
    error: TaskError,
    /// A panic as it was caught on the worker (its thread, location and
    /// backtrace): reported if the future is dropped without it being read.
    panic: Option<ExceptHookArgs>,
}

impl Failure {
    fn boxed(error: TaskError) -> Box<Self> {
        Box::new(Self { error, panic: None })
    }

    fn panicked(report: ExceptHookArgs) -> Box<Self> {
        Box::new(Self {
            error: TaskError::Panicked(report.message.clone()),
            panic: Some(report),
        })
    }
}

/// Someone to tell when a future is done.
enum Waiter {
    /// A done callback, run after the watchers are told.
    Callback(Callback),
    /// A `wait` or `as_completed` call.
    Watch(Watch),
}

/// The state, outcome and waiters of one future: everything but the task.
pub(crate) struct Header<T> {
    state: AtomicU8,
    /// Threads asleep in [`wait_deadline`](Self::wait_deadline); changed
    /// only with `slot` locked. Beside `state`, it takes no room of its own.
    sleepers: AtomicU32,
    slot: Mutex<Slot<T>>,
    done: Condvar,
}

impl<T> Header<T> {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(PENDING),
            sleepers: AtomicU32::new(0),
            slot: Mutex::new(Slot {
                outcome: None,
                waiters: Waiters::default(),
            }),
            done: Condvar::new(),
        }
    }

    pub(crate) fn state(&self) -> FutureState {
        FutureState::from_word(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) >= CANCELLED
    }

    /// Pending → Running: `true` if the task may run (it was not cancelled).
    /// Python's `set_running_or_notify_cancel`; the notifying part happened
    /// in `cancel` already.
    pub(crate) fn start(&self) -> bool {
        self.state
            .compare_exchange(PENDING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Pending → Cancelled, waking everyone waiting; `true` if it is
    /// cancelled now (also when it was already).
    pub(crate) fn cancel(&self) -> bool {
        // Most calls find the task started or done (a map's clean-up, a
        // timed-out wait): no outcome to make then.
        match self.state.load(Ordering::Acquire) {
            PENDING => {}
            state => return state == CANCELLED,
        }
        self.complete_from(
            PENDING,
            CANCELLED,
            Err(Failure::boxed(TaskError::Cancelled)),
        ) || self.state.load(Ordering::Acquire) == CANCELLED
    }

    /// Runs `task` unless the future was cancelled (then drops it), calls
    /// `before_completing` and completes the future. A panic is kept in the
    /// future, not printed: as in Python, the caller sees it when it asks
    /// for the result (and it is reported if nobody ever does).
    pub(crate) fn run(&self, task: impl FnOnce() -> T, before_completing: &mut dyn FnMut()) {
        if self.start() {
            let outcome = pythreading_core::catch_panic(task).map_err(Failure::panicked);
            before_completing();
            self.complete_from(RUNNING, FINISHED, outcome);
        } else {
            drop_reporting(task, "a cancelled task");
        }
    }

    /// Running → Finished with `outcome`, for models that play the worker.
    #[cfg(loom)]
    pub(crate) fn finish(&self, outcome: Result<T, TaskError>) {
        self.complete_from(RUNNING, FINISHED, outcome.map_err(Failure::boxed));
    }

    /// Pending → done without running the task: Cancelled when `error` is
    /// `None` (a shutdown cancels it), else Finished with `error` (the pool
    /// broke). Watchers are told at once; the done callbacks are handed
    /// back, for the caller to run once it holds no lock. `None` if the
    /// task was no longer pending.
    pub(crate) fn settle_pending(&self, error: Option<TaskError>) -> Option<Vec<Callback>> {
        match error {
            None => self.settle(
                PENDING,
                CANCELLED,
                Err(Failure::boxed(TaskError::Cancelled)),
            ),
            Some(error) => self.settle(PENDING, FINISHED, Err(Failure::boxed(error))),
        }
    }

    /// Completes the future and runs its callbacks; `false` if it was not
    /// in state `from`.
    fn complete_from(&self, from: u8, to: u8, outcome: Result<T, Box<Failure>>) -> bool {
        match self.settle(from, to, outcome) {
            Some(callbacks) => {
                run_callbacks(callbacks);
                true
            }
            None => false,
        }
    }

    /// The one way to become done: under the mutex, so waiters that saw the
    /// state not done are asleep on the condvar (or will see it done).
    /// Watchers are told here; the callbacks come back, to run after them
    /// (as in Python), or `None` if the future was not in state `from`.
    fn settle(&self, from: u8, to: u8, outcome: Result<T, Box<Failure>>) -> Option<Vec<Callback>> {
        let mut slot = self.slot.lock();
        if self
            .state
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            drop(slot);
            // Only the outcome of a task that did not start, or its error,
            // gets here: no value of the user's.
            drop(outcome);
            return None;
        }
        slot.outcome = Some(outcome);
        let failed = self.failed(&slot);
        let waiters = std::mem::take(&mut slot.waiters).into_vec();
        drop(slot);
        self.done.notify_all();
        let mut callbacks = Vec::new();
        for waiter in waiters {
            match waiter {
                Waiter::Watch(watch) => watch.notify(failed),
                Waiter::Callback(callback) => callbacks.push(callback),
            }
        }
        Some(callbacks)
    }

    /// Waits until done or until `deadline`; `true` if done.
    pub(crate) fn wait_deadline(&self, deadline: Option<Instant>) -> bool {
        if self.is_done() {
            return true;
        }
        // A short task usually ends within a microsecond of its submitter
        // starting to wait: spin briefly rather than pay for a futex sleep
        // and wake-up on both sides. No `yield_now` rounds: yielding here
        // was measured to delay the start of a second worker on 2 cores
        // (see BENCHMARKS.md).
        if crate::sys::SPIN {
            for round in 0..6u32 {
                for _ in 0..(1u32 << round) {
                    crate::sys::spin_loop();
                }
                if self.is_done() {
                    return true;
                }
            }
        }
        let mut slot = self.slot.lock();
        if self.is_done() {
            return true;
        }
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        let mut timed_out = false;
        while !self.is_done() && !timed_out {
            (slot, timed_out) = self.done.wait_deadline(slot, deadline);
        }
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
        drop(slot);
        self.is_done()
    }

    /// Takes the outcome of a done future (it is there exactly once). A
    /// panic taken here is read: it will not be reported.
    pub(crate) fn take_outcome(&self) -> Result<T, TaskError> {
        let outcome = self.slot.lock().outcome.take();
        match outcome {
            Some(Ok(value)) => Ok(value),
            Some(Err(failure)) => Err(failure.error),
            None => Err(TaskError::Cancelled),
        }
    }

    /// Threads asleep waiting for the future, and `wait` or `as_completed`
    /// calls watching it.
    pub(crate) fn waiting(&self) -> usize {
        let slot = self.slot.lock();
        let watches = slot.waiters.0.as_deref().map_or(0, |waiters| {
            waiters
                .iter()
                .filter(|waiter| matches!(waiter, Waiter::Watch(_)))
                .count()
        });
        watches + self.sleepers.load(Ordering::Relaxed) as usize
    }

    pub(crate) fn add_done_callback(&self, callback: Callback) {
        let mut slot = self.slot.lock();
        if self.is_done() {
            drop(slot);
            run_callback(callback);
        } else {
            slot.waiters.push(Waiter::Callback(callback));
        }
    }

    /// Whether the future finished with an error other than cancellation
    /// (what `FIRST_EXCEPTION` waits for); `slot` is its locked slot.
    fn failed(&self, slot: &Slot<T>) -> bool {
        self.state.load(Ordering::Acquire) == FINISHED && matches!(slot.outcome, Some(Err(_)))
    }

    /// Registers `watch`, or tells it at once if the future is done.
    pub(crate) fn watch(&self, watch: Watch) {
        let mut slot = self.slot.lock();
        if self.is_done() {
            let failed = self.failed(&slot);
            drop(slot);
            watch.notify(failed);
        } else {
            slot.waiters.push(Waiter::Watch(watch));
        }
    }

    /// Forgets the watchers of the `wait` or `as_completed` call `id`.
    pub(crate) fn unwatch(&self, id: usize) {
        if let Some(waiters) = &mut self.slot.lock().waiters.0 {
            waiters.retain(|waiter| !matches!(waiter, Waiter::Watch(watch) if watch.id() == id));
        }
    }
}

/// Runs done callbacks in order: one that panics is reported through the
/// excepthook and does not stop the others (Python logs it and goes on).
pub(crate) fn run_callbacks(callbacks: Vec<Callback>) {
    for callback in callbacks {
        run_callback(callback);
    }
}

impl<T> Drop for Header<T> {
    /// The last owner of the task lets go: whatever is left is dropped
    /// here, a panic in its `Drop` reported, and a panic nobody read is
    /// reported.
    fn drop(&mut self) {
        let slot = self.slot.get_mut();
        let (outcome, waiters) = (slot.outcome.take(), std::mem::take(&mut slot.waiters));
        match outcome {
            Some(Ok(value)) => drop_reporting(value, "a task's result"),
            Some(Err(failure)) => {
                if let Some(panic) = failure.panic {
                    report::unread_panic(panic);
                }
            }
            None => {}
        }
        // Only a future that was never done still has waiters. Each goes
        // alone: a second panicking drop while the first unwinds would
        // abort the process.
        for waiter in waiters.into_vec() {
            drop_reporting(waiter, "a done callback never run");
        }
    }
}

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

    /// Waits until the future is done, then returns the task's value, or
    /// why there is none: [`TaskError::Cancelled`],
    /// [`TaskError::Panicked`] (the panic message: the panic is read, and
    /// will not be reported) or [`TaskError::BrokenPool`].
    pub fn result(self) -> Result<T, TaskError> {
        self.header().wait_deadline(None);
        self.header().take_outcome()
    }

    /// Waits until the future is done (finished or cancelled).
    pub fn wait(&self) {
        self.header().wait_deadline(None);
    }

    /// Waits until the future is done, at most `timeout`; `true` if it is
    /// done.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.header()
            .wait_deadline(Instant::now().checked_add(timeout))
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

    /// A future over a bare header, for models that play the worker.
    pub(crate) fn future_of(header: &Arc<Header<u32>>) -> Future<u32> {
        Future::from_cell(Arc::clone(header) as Arc<dyn Cell<u32>>)
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
            let header = Arc::new(Header::<u32>::new());
            let future = future_of(&header);
            assert!(header.start());
            let worker = loom::thread::spawn(move || header.finish(Ok(3)));
            assert_eq!(future.result(), Ok(3));
            worker.join().unwrap();
        });
    }

    /// A done callback added while the task finishes runs exactly once.
    #[test]
    fn loom_callback_added_while_finishing_runs_once() {
        use loom::sync::atomic::AtomicUsize;
        loom::model(|| {
            let header = Arc::new(Header::<u32>::new());
            let future = future_of(&header);
            assert!(header.start());
            let worker = loom::thread::spawn(move || header.finish(Ok(1)));
            let calls = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&calls);
            future.add_done_callback(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            worker.join().unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), 1);
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
        use loom::sync::atomic::AtomicUsize;
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let held = Dropped(Arc::clone(&drops));
            let cell = TaskCell::new(move || {
                let _held = &held;
                1u32
            });
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
