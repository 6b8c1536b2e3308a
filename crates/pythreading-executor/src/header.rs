//! The shared state of a future: its state word, its outcome and whoever
//! waits to hear of it.
//!
//! The state word says where the task is; the outcome and the waiters that
//! are told (done callbacks, `wait` and `as_completed` calls) live under one
//! small mutex. Threads blocked until the future is done park on the state
//! word itself, in [`pythreading_core::wait`]'s table.
//!
//! ```text
//! Pending --start()--> Running --finish()--> Finished
//!    \
//!     `--cancel()--> Cancelled          (both "done": waiters wake at once)
//! ```
//!
//! A state becomes done only with the mutex held, and callbacks and watches
//! are added with the mutex held after checking the state, so none is
//! missed. A thread about to park sets the word's `PARKED` bit first (and
//! parks only while it is still set and the future not done); the change to
//! a done state clears the bit, and unparks only if it was set.

use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wait, Wake};
use pythreading_core::{CancellationToken, ExceptHookArgs};

use crate::collector::Watch;
use crate::error::TaskError;
use crate::id::FutureId;
use crate::report::{self, drop_reporting, run_callback};
use crate::sys::{AtomicU8, Mutex, Ordering};

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const CANCELLED: u8 = 2;
const FINISHED: u8 = 3;
/// The bits of the word that say where the task is.
const PHASE: u8 = 0b11;
/// Someone may be parked until the future is done. Never set in a done
/// word: becoming done clears it.
const PARKED: u8 = 0b100;
/// Set with Finished when the task failed: it panicked, the pool broke,
/// or (a fallible task's) it returned `Err`. What `FIRST_EXCEPTION`
/// waits for; kept in the word, so that it stays known once the outcome
/// is taken.
const FAILED: u8 = 0b1000;

fn is_done(word: u8) -> bool {
    word & PHASE >= CANCELLED
}

/// Where a [`Future`](crate::Future)'s task is. Python's `_state`, without
/// its internal `CANCELLED_AND_NOTIFIED` step.
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
        match word & PHASE {
            PENDING => Self::Pending,
            RUNNING => Self::Running,
            CANCELLED => Self::Cancelled,
            _ => Self::Finished,
        }
    }
}

pub(crate) type Callback = Box<dyn FnOnce() + Send + 'static>;

/// How a task's value is judged for `FIRST_EXCEPTION`: a type, so that a
/// pool's task cell carries it in no bytes at all.
pub(crate) trait Judge<T>: 'static {
    /// Whether `value` makes the task a failure.
    fn failed(value: &T) -> bool;
}

/// A plain task: whatever it returns, it succeeded.
pub(crate) struct Plain;

impl<T> Judge<T> for Plain {
    fn failed(_: &T) -> bool {
        false
    }
}

/// A fallible task: one that returns `Err` failed, as a task that raised
/// does in Python.
pub(crate) struct ErrFails;

impl<T, E> Judge<Result<T, E>> for ErrFails {
    fn failed(value: &Result<T, E>) -> bool {
        value.is_err()
    }
}

/// What the mutex of a future guards.
struct Slot<T> {
    /// `Some` once done, until [`Header::take_outcome`] takes it.
    /// The error is boxed to keep every task's allocation small: the
    /// common case is a value.
    outcome: Option<Result<T, Box<Failure>>>,
    /// Told once, when the future is done (one list for both kinds), and
    /// the task's token: both rare, kept out of line to keep the shared
    /// allocation of every task small.
    waiters: Waiters,
}

/// How a wait for a future to be done ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    Done,
    TimedOut,
    /// The waiting thread's current token was cancelled.
    Cancelled,
}

/// The waiters of a future and its task's token: most tasks have
/// neither, so they cost one word in the task's allocation.
#[derive(Default)]
struct Waiters(Option<Box<Extra>>);

#[derive(Default)]
struct Extra {
    /// Told once, when the future is done.
    list: Vec<Waiter>,
    /// The task's cancellation token: made when first asked for (by the
    /// task, by a wait of it that obeys it, or by an interrupt), unless the
    /// task was given one (a group's).
    token: Option<CancellationToken>,
}

impl Waiters {
    fn with_token(token: Option<CancellationToken>) -> Self {
        Self(token.map(|token| {
            Box::new(Extra {
                list: Vec::new(),
                token: Some(token),
            })
        }))
    }

    fn push(&mut self, waiter: Waiter) {
        self.0.get_or_insert_with(Box::default).list.push(waiter);
    }

    /// Takes the list, leaving the token.
    fn take_list(&mut self) -> Vec<Waiter> {
        self.0
            .as_mut()
            .map(|extra| std::mem::take(&mut extra.list))
            .unwrap_or_default()
    }

    fn list(&self) -> &[Waiter] {
        self.0.as_deref().map_or(&[], |extra| &extra.list)
    }

    fn list_mut(&mut self) -> Option<&mut Vec<Waiter>> {
        self.0.as_deref_mut().map(|extra| &mut extra.list)
    }

    fn token(&mut self) -> &mut Option<CancellationToken> {
        &mut self.0.get_or_insert_with(Box::default).token
    }
}

/// Why a done future holds no value.
struct Failure {
    /// What [`Future::result`](crate::Future::result) hands over.
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
    /// Where the task is (`PHASE`), and the `PARKED` bit. Threads waiting
    /// for the future to be done park on its address.
    state: AtomicU8,
    /// What [`Future::id`](crate::Future::id) answers.
    id: FutureId,
    slot: Mutex<Slot<T>>,
}

impl<T> Header<T> {
    pub(crate) fn new() -> Self {
        Self::with_token(None)
    }

    /// A header whose task has `token` (or one made when asked for).
    pub(crate) fn with_token(token: Option<CancellationToken>) -> Self {
        Self {
            state: AtomicU8::new(PENDING),
            id: FutureId::next(),
            slot: Mutex::new(Slot {
                outcome: None,
                waiters: Waiters::with_token(token),
            }),
        }
    }

    /// The task's cancellation token, made now if nobody asked before (a
    /// child of the process's root token, if there is one).
    pub(crate) fn token(&self) -> CancellationToken {
        self.slot
            .lock()
            .waiters
            .token()
            .get_or_insert_with(wait::task_token)
            .clone()
    }

    /// Cancels a pending future as [`cancel`](Self::cancel) does; for a
    /// running one, cancels its task's token. Whether it did either.
    pub(crate) fn interrupt_running(&self) -> bool {
        if self.state.load(Ordering::Acquire) & PHASE != RUNNING {
            return false;
        }
        self.token().cancel();
        true
    }

    pub(crate) fn id(&self) -> FutureId {
        self.id
    }

    pub(crate) fn state(&self) -> FutureState {
        FutureState::from_word(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn is_done(&self) -> bool {
        is_done(self.state.load(Ordering::Acquire))
    }

    /// Pending → Running: `true` if the task may run (it was not cancelled).
    /// Python's `set_running_or_notify_cancel`; the notifying part happened
    /// in `cancel` already.
    pub(crate) fn start(&self) -> bool {
        self.advance(PENDING, RUNNING).is_some()
    }

    /// Pending → Cancelled, waking everyone waiting; `true` if it is
    /// cancelled now (also when it was already).
    pub(crate) fn cancel(&self) -> bool {
        // Most calls find the task started or done (a map's clean-up, a
        // timed-out wait): no outcome to make then.
        match self.state.load(Ordering::Acquire) & PHASE {
            PENDING => {}
            phase => return phase == CANCELLED,
        }
        self.complete_from(
            PENDING,
            CANCELLED,
            Err(Failure::boxed(TaskError::Cancelled)),
            false,
        ) || self.state.load(Ordering::Acquire) & PHASE == CANCELLED
    }

    /// Runs `task` unless the future was cancelled (then drops it), calls
    /// `before_completing` and completes the future. A panic is kept in the
    /// future, not printed: as in Python, the caller sees it when it asks
    /// for the result (and it is reported if nobody ever does). A value
    /// that `V` judges failed counts as a failure for `FIRST_EXCEPTION`,
    /// as a panic does.
    pub(crate) fn run<V: Judge<T>>(
        &self,
        task: impl FnOnce() -> T,
        before_completing: &mut dyn FnMut(),
    ) {
        if self.start() {
            self.run_started::<V>(task, before_completing);
        } else {
            drop_reporting(task, "a cancelled task");
        }
    }

    /// [`run`](Self::run) for a task whose future this thread has
    /// [`start`](Self::start)ed already.
    pub(crate) fn run_started<V: Judge<T>>(
        &self,
        task: impl FnOnce() -> T,
        before_completing: &mut dyn FnMut(),
    ) {
        let outcome = pythreading_core::catch_panic(task).map_err(Failure::panicked);
        let failed = outcome.as_ref().map_or(true, V::failed);
        before_completing();
        self.complete_from(RUNNING, FINISHED, outcome, failed);
    }

    /// Running → Finished with `outcome`, for models that play the worker.
    #[cfg(all(test, loom))]
    pub(crate) fn finish(&self, outcome: Result<T, TaskError>) {
        let failed = outcome.is_err();
        self.complete_from(RUNNING, FINISHED, outcome.map_err(Failure::boxed), failed);
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
                false,
            ),
            Some(error) => self.settle(PENDING, FINISHED, Err(Failure::boxed(error)), true),
        }
    }

    /// Moves the word from phase `from` to phase `to`; the word it found,
    /// or `None` if the phase was not `from`. The `PARKED` bit is kept on
    /// the way to Running and cleared on the way to done. One
    /// compare-exchange when nobody waits, as before the bit existed.
    fn advance(&self, from: u8, to: u8) -> Option<u8> {
        let mut current = from;
        loop {
            let new = if is_done(to) {
                to
            } else {
                to | (current & PARKED)
            };
            match self
                .state
                .compare_exchange(current, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(current),
                Err(actual) if actual & PHASE == from => current = actual,
                Err(_) => return None,
            }
        }
    }

    /// Completes the future and runs its callbacks; `false` if it was not
    /// in state `from`.
    fn complete_from(
        &self,
        from: u8,
        to: u8,
        outcome: Result<T, Box<Failure>>,
        failed: bool,
    ) -> bool {
        match self.settle(from, to, outcome, failed) {
            Some(callbacks) => {
                run_callbacks(callbacks);
                true
            }
            None => false,
        }
    }

    /// The one way to become done: under the mutex, so that a callback or
    /// watch added after it finds the future done. Parked threads are woken
    /// and watchers told here; the callbacks come back, to run after them
    /// (as in Python), or `None` if the future was not in state `from`.
    /// `failed` marks a task that failed, finishing (see [`FAILED`]).
    fn settle(
        &self,
        from: u8,
        to: u8,
        outcome: Result<T, Box<Failure>>,
        failed: bool,
    ) -> Option<Vec<Callback>> {
        debug_assert!(!failed || to == FINISHED, "only a finished task fails");
        let to = if failed { to | FAILED } else { to };
        let mut slot = self.slot.lock();
        let Some(was) = self.advance(from, to) else {
            drop(slot);
            // Only the outcome of a task that did not start, or its error,
            // gets here: no value of the user's.
            drop(outcome);
            return None;
        };
        slot.outcome = Some(outcome);
        let failed = self.failed();
        let waiters = slot.waiters.take_list();
        drop(slot);
        if was & PARKED != 0 {
            wait::unpark_all(self.key());
        }
        let mut callbacks = Vec::new();
        for waiter in waiters {
            match waiter {
                Waiter::Watch(watch) => watch.notify(failed),
                Waiter::Callback(callback) => callbacks.push(callback),
            }
        }
        Some(callbacks)
    }

    /// What threads waiting for the future to be done park on.
    fn key(&self) -> Key {
        Key::of(&self.state)
    }

    /// Waits until done, as long as `wait` allows, calling `before_park`
    /// with the deadline once the spin is over and the thread is about to
    /// park: what it returns is kept until the park ends, and an error from
    /// it ends the wait at once, with the error. With `obey`, the wait also
    /// ends when the calling thread's current token is cancelled (looked
    /// at only before parking).
    pub(crate) fn wait_then<G, E>(
        &self,
        wait: Wait,
        obey: bool,
        before_park: impl FnOnce(Deadline) -> Result<G, E>,
    ) -> Result<Parked, E> {
        let done = |done: bool| if done { Parked::Done } else { Parked::TimedOut };
        if self.is_done() {
            return Ok(Parked::Done);
        }
        let Some(deadline) = wait.deadline() else {
            return Ok(done(self.is_done()));
        };
        // A short task usually ends within a microsecond of its submitter
        // starting to wait: spin briefly rather than pay for a futex sleep
        // and wake-up on both sides. No `yield_now` rounds (so not
        // `SpinWait::new`'s schedule): yielding here was measured to delay
        // the start of a second worker on 2 cores (see
        // docs/performance-notes.md).
        let mut spin = SpinWait::with_rounds(5, 0);
        while spin.spin() {
            if self.is_done() {
                return Ok(Parked::Done);
            }
        }
        let _parking = before_park(deadline)?;
        Ok(self.park_until_done(deadline, obey))
    }

    /// The slow path of [`wait_then`](Self::wait_then): sets `PARKED` and
    /// parks while the future is not done.
    #[cold]
    fn park_until_done(&self, deadline: Deadline, obey: bool) -> Parked {
        loop {
            let word = self.state.load(Ordering::Acquire);
            if is_done(word) {
                return Parked::Done;
            }
            if word & PARKED == 0
                && self
                    .state
                    .compare_exchange_weak(
                        word,
                        word | PARKED,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    )
                    .is_err()
            {
                continue;
            }
            let validate = || {
                let word = self.state.load(Ordering::Acquire);
                word & PARKED != 0 && !is_done(word)
            };
            let wake = wait::park_obeying(obey, self.key(), validate, || {}, deadline);
            // On a timeout or a cancel the bit stays: whoever completes the
            // future finds nobody parked and unparks nobody.
            match wake {
                Wake::TimedOut if self.is_done() => return Parked::Done,
                Wake::TimedOut => return Parked::TimedOut,
                Wake::Cancelled if self.is_done() => return Parked::Done,
                Wake::Cancelled => return Parked::Cancelled,
                Wake::Notified | Wake::Invalid => {}
            }
        }
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

    /// Threads parked waiting for the future, and `wait` or `as_completed`
    /// calls watching it.
    pub(crate) fn waiting(&self) -> usize {
        let watches = self
            .slot
            .lock()
            .waiters
            .list()
            .iter()
            .filter(|waiter| matches!(waiter, Waiter::Watch(_)))
            .count();
        watches + wait::parked(self.key())
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

    /// Whether the future finished as a failure (see [`FAILED`]): what
    /// `FIRST_EXCEPTION` waits for. A cancelled future has not failed.
    pub(crate) fn failed(&self) -> bool {
        self.state.load(Ordering::Acquire) & FAILED != 0
    }

    /// Registers `watch`, or tells it at once if the future is done.
    pub(crate) fn watch(&self, watch: Watch) {
        let mut slot = self.slot.lock();
        if self.is_done() {
            let failed = self.failed();
            drop(slot);
            watch.notify(failed);
        } else {
            slot.waiters.push(Waiter::Watch(watch));
        }
    }

    /// Forgets the watchers of the `wait` or `as_completed` call `id`.
    pub(crate) fn unwatch(&self, id: usize) {
        if let Some(waiters) = self.slot.lock().waiters.list_mut() {
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

/// A task reads its token through its header: made when first asked for.
impl<T: Send> wait::TokenSource for Header<T> {
    fn token(&self) -> CancellationToken {
        Header::token(self)
    }
}

impl<T> Drop for Header<T> {
    /// The last owner of the task lets go: whatever is left is dropped
    /// here, a panic in its `Drop` reported, and a panic nobody read is
    /// reported.
    fn drop(&mut self) {
        let slot = self.slot.get_mut();
        let (outcome, waiters) = (slot.outcome.take(), slot.waiters.take_list());
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
        for waiter in waiters {
            drop_reporting(waiter, "a done callback never run");
        }
    }
}
