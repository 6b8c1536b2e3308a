//! [`Timer`]: Python's `threading.Timer`, without one OS thread per timer.
//!
//! Python's `Timer` is a thread that sleeps for the interval and then calls
//! the function. Ten thousand pending timers are ten thousand threads. Here
//! every pending timer is one entry in a process-wide schedule, and a small
//! service runs them all:
//!
//! - one **scheduler** thread, `pythreading-timer`, owns the schedule (a
//!   `BTreeMap` keyed by deadline) and sleeps until its earliest deadline;
//!   then it queues the due timers on a channel;
//! - up to seven (`MAX_RUNNERS`) **runner** threads, `pythreading-timer-1`
//!   … `pythreading-timer-7`, take due timers from the channel and call
//!   their callbacks. The scheduler starts a runner when due timers
//!   outnumber the free runners (one per pass, so queueing goes on between
//!   thread creations), and one just before a deadline when none is alive
//!   (`WARM_UP`), so creating it does not make the timer late.
//!
//! The scheduler never calls a callback, nor any other user code: if the OS
//! refuses a runner thread, the due timers stay queued (a busy runner takes
//! them once it is free), and the scheduler tries again after 10 ms, then
//! after twice as long each time, up to a second. The first refusal of such
//! a run is reported through the excepthook, by the next runner that takes
//! a timer. So a callback that blocks, even one joining another timer, can
//! hold up only its own runner, never the schedule.
//!
//! All of them are daemon threads, started on demand, and each exits after
//! a second (`IDLE`) without work, so a program whose timers are all done
//! has no timer thread left. Whether a thread exits is decided under the
//! service lock, where timers are queued, so a timer arriving meanwhile is
//! never left without a thread. Cancelling removes the entry from the
//! schedule (O(log n)), so a loop that creates and cancels timers leaves
//! nothing behind.
//!
//! Lock order: a timer's own state lock, then the service's. The scheduler
//! and the runners never hold the service lock while they take a timer's.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use pythreading_core::{
    ExceptHookArgs, ShutdownBlocker, Thread, ThreadError, catch_panic, excepthook, get_ident,
};

use crate::loom::{
    Arc, Condvar, Mutex, Ordering, StaticAtomicUsize, StaticCondvar, StaticMutex, StaticMutexGuard,
};
use crate::spin::deadline_after;

/// How many runner threads the service starts at most: with the scheduler,
/// at most eight timer threads in the process.
const MAX_RUNNERS: usize = 7;
// Runner names are bits of a `u8`.
const _: () = assert!(MAX_RUNNERS <= u8::BITS as usize);

/// How long before the earliest deadline the scheduler starts a runner
/// when none is alive, so that creating the thread does not make the
/// timer late.
const WARM_UP: Duration = Duration::from_millis(2);

/// How long a service thread waits for work before it exits.
const IDLE: Duration = Duration::from_secs(1);

/// The name of the scheduler thread; runners add `-1` … `-7`.
const THREAD_NAME: &str = "pythreading-timer";

type Callback = Box<dyn FnOnce() + Send + 'static>;

/// A function called once after an interval, unless cancelled first:
/// Python's `threading.Timer`.
///
/// The classic use is a deadline for something that usually happens in
/// time: start a timer that would complain, and cancel it when the awaited
/// thing happens. Here a prompt is shown only if the user does not act
/// within two seconds, and the user acts at once:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
/// use pythreading_sync::Timer;
///
/// let prompted = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&prompted);
/// let prompt = Timer::new(Duration::from_secs(2), move || {
///     println!("Still there? Press Enter to continue");
///     flag.store(true, Ordering::SeqCst);
/// });
/// prompt.start()?;
/// // … the user presses Enter well within two seconds:
/// prompt.cancel();
/// prompt.join()?; // returns at once: the timer is finished
/// assert!(!prompted.load(Ordering::SeqCst));
/// assert!(prompt.cancelled() && !prompt.is_alive());
/// # Ok::<(), pythreading_core::ThreadError>(())
/// ```
///
/// And when nobody cancels it, it fires once the interval has passed:
///
/// ```
/// use std::sync::mpsc;
/// use std::time::{Duration, Instant};
/// use pythreading_sync::Timer;
///
/// let (tx, rx) = mpsc::channel();
/// let started = Instant::now();
/// let timer = Timer::new(Duration::from_millis(50), move || tx.send(Instant::now()).unwrap());
/// timer.start()?;
/// assert!(timer.is_alive());
/// timer.join()?;
/// assert!(rx.recv().unwrap() - started >= Duration::from_millis(50));
/// assert!(timer.fired() && !timer.is_alive());
/// timer.cancel(); // too late: nothing happens, as in Python
/// # Ok::<(), pythreading_core::ThreadError>(())
/// ```
///
/// A `Timer` behaves like the thread it is in Python: [`start`](Self::start)
/// once, [`join`](Self::join) (also from inside its own callback:
/// [`ThreadError::JoinSelf`], never a hang), [`is_alive`](Self::is_alive)
/// while pending or running, and [`set_daemon`](Self::set_daemon) before
/// start. A non-daemon timer (the default when created by a non-daemon
/// thread, such as the main thread) is waited for by
/// [`shutdown`](pythreading_core::shutdown) until it has fired or is
/// cancelled; a daemon timer is not. A panic in the callback is reported
/// through the [excepthook](pythreading_core::set_excepthook) and the timer
/// still counts as finished.
///
/// `Timer` is a shared handle: clones name the same timer, and dropping
/// every handle does not cancel it (a started timer fires anyway, as a
/// started Python thread runs anyway).
///
/// # Callbacks share a few threads
///
/// Unlike Python, a timer does not get its own thread: every callback runs
/// on one of at most seven shared runner threads (the module source
/// describes the service). That is what makes ten thousand pending timers
/// cheap, but it asks one thing of callbacks: be short. A callback that
/// blocks for long keeps its runner, and once every runner is busy the
/// other timers fire late. Long work should start its own
/// [`Thread`](pythreading_core::Thread) from the callback. Worse, callbacks
/// that all wait for timers that have not fired yet (joining them, or
/// waiting for what their callbacks would do) can leave no runner to fire
/// those: with seven such callbacks at once, they wait for ever.
///
/// In the callback, [`current_thread`](pythreading_core::current_thread)
/// is the runner (`pythreading-timer-N`), a daemon thread, and a panic is
/// reported under the runner's name.
///
/// Cost: `start` and `cancel` are O(log n) under one process-wide lock; a
/// pending timer is a heap entry of a few hundred bytes (10,000 pending
/// timers add about 3 MB and at most eight threads). See BENCHMARKS.md.
#[derive(Clone)]
pub struct Timer {
    inner: Arc<Inner>,
}

/// What a timer handle shares with the schedule.
struct Inner {
    interval: Duration,
    state: Mutex<State>,
    /// Notified when the timer finishes (fired or cancelled).
    finished: Condvar,
}

struct State {
    phase: Phase,
    /// Until it is called or cancelled.
    callback: Option<Callback>,
    daemon: bool,
    /// A non-daemon timer's hold on `shutdown()`, from start to finish.
    blocker: Option<ShutdownBlocker>,
    /// Threads blocked in `join`.
    joiners: usize,
}

/// Initial → Pending → Running → Fired, or Initial/Pending → Cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not started; `cancelled` if `cancel()` came first (start then
    /// finishes at once, as in Python).
    Initial { cancelled: bool },
    /// Started, waiting for its deadline. `key` is its place in the
    /// schedule; `None` when the deadline is beyond what `Instant` can
    /// hold (it never fires, but can be cancelled).
    Pending { key: Option<Key> },
    /// The callback runs on the thread with this ident.
    Running { thread: u64 },
    /// The callback was called and has returned (or panicked).
    Fired,
    /// Cancelled before its callback was called.
    Cancelled,
}

/// A timer's place in the schedule: deadline, then order of start.
type Key = (Instant, u64);

impl Timer {
    /// A timer that will call `f` once, `interval` after [`start`](Self::start)
    /// (Python's `Timer(interval, function)`). Not started; daemon if the
    /// creating thread is.
    #[must_use = "a Timer does nothing until it is started"]
    pub fn new(interval: Duration, f: impl FnOnce() + Send + 'static) -> Self {
        let daemon = pythreading_core::current_thread().is_daemon();
        Self {
            inner: Arc::new(Inner::new(interval, Box::new(f), daemon)),
        }
    }

    /// Starts the countdown: the callback is called once the interval has
    /// passed, unless [`cancel`](Self::cancel) comes first. A timer
    /// cancelled before it was started finishes at once.
    ///
    /// Errors: [`ThreadError::AlreadyStarted`] on a second call;
    /// [`ThreadError::Spawn`] if the service's thread could not be created
    /// (the timer then stays unstarted, and `start` may be tried again).
    pub fn start(&self) -> Result<(), ThreadError> {
        let started = self.start_pending();
        // Outside every lock: the report runs the user's excepthook.
        service::report_refused_runner();
        started
    }

    fn start_pending(&self) -> Result<(), ThreadError> {
        let mut state = self.inner.state.lock();
        match state.phase {
            Phase::Initial { cancelled: false } => {}
            Phase::Initial { cancelled: true } => {
                state.phase = Phase::Cancelled;
                let callback = state.callback.take();
                drop(state);
                self.inner.finished.notify_all();
                drop(callback);
                return Ok(());
            }
            _ => return Err(ThreadError::AlreadyStarted),
        }
        // Held across the insertion: a runner that picks the timer up at
        // once waits for this lock, and then finds it Pending.
        let key = match Instant::now().checked_add(self.inner.interval) {
            Some(deadline) => Some(service::schedule(&self.inner, deadline)?),
            None => None,
        };
        state.phase = Phase::Pending { key };
        if !state.daemon {
            state.blocker = Some(ShutdownBlocker::new());
        }
        Ok(())
    }

    /// Stops a pending timer: its callback is never called, and it is
    /// finished at once (every `join` returns). Before `start`: `start`
    /// will finish at once without calling it. Once the callback has been
    /// called (running or returned): does nothing, as in Python.
    ///
    /// If the interval has passed but the callback has not been called yet,
    /// `cancel` still wins: the callback is not called.
    pub fn cancel(&self) {
        let mut state = self.inner.state.lock();
        let key = match state.phase {
            Phase::Initial { .. } => {
                state.phase = Phase::Initial { cancelled: true };
                return;
            }
            Phase::Pending { key } => key,
            Phase::Running { .. } | Phase::Fired | Phase::Cancelled => return,
        };
        state.phase = Phase::Cancelled;
        if let Some(key) = key {
            service::unschedule(key);
        }
        let callback = state.callback.take();
        let blocker = state.blocker.take();
        drop(state);
        self.inner.finished.notify_all();
        // The callback's captures may do anything when dropped: no lock held.
        drop(callback);
        drop(blocker);
    }

    /// Waits until the timer is finished: its callback has returned, or it
    /// was cancelled.
    ///
    /// Errors: [`ThreadError::NotStarted`] before `start`;
    /// [`ThreadError::JoinSelf`] from inside the timer's own callback.
    pub fn join(&self) -> Result<(), ThreadError> {
        service::report_refused_runner();
        self.inner.wait(None, get_ident()).map(|_| ())
    }

    /// Waits at most `timeout`: `Ok(true)` if the timer is finished.
    ///
    /// Errors as for [`join`](Self::join).
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, ThreadError> {
        service::report_refused_runner();
        self.inner.wait(deadline_after(timeout), get_ident())
    }

    /// Whether the timer is started and not finished: pending, or its
    /// callback is running.
    pub fn is_alive(&self) -> bool {
        matches!(
            self.inner.state.lock().phase,
            Phase::Pending { .. } | Phase::Running { .. }
        )
    }

    /// Whether the callback has been called (it may still be running).
    pub fn fired(&self) -> bool {
        matches!(
            self.inner.state.lock().phase,
            Phase::Running { .. } | Phase::Fired
        )
    }

    /// Whether [`cancel`](Self::cancel) took effect: the callback will
    /// never be called.
    pub fn cancelled(&self) -> bool {
        matches!(
            self.inner.state.lock().phase,
            Phase::Cancelled | Phase::Initial { cancelled: true }
        )
    }

    /// Whether [`shutdown`](pythreading_core::shutdown) leaves this timer
    /// pending instead of waiting for it.
    pub fn is_daemon(&self) -> bool {
        self.inner.state.lock().daemon
    }

    /// Makes the timer a daemon or not; only before `start`.
    ///
    /// Errors: [`ThreadError::DaemonAfterStart`] once started.
    pub fn set_daemon(&self, daemon: bool) -> Result<(), ThreadError> {
        let mut state = self.inner.state.lock();
        if !matches!(state.phase, Phase::Initial { .. }) {
            return Err(ThreadError::DaemonAfterStart);
        }
        state.daemon = daemon;
        Ok(())
    }

    /// The interval given to [`new`](Self::new).
    pub fn interval(&self) -> Duration {
        self.inner.interval
    }

    /// How many threads are blocked in [`join`](Self::join) or
    /// [`join_timeout`](Self::join_timeout) now (a snapshot, for tests and
    /// diagnostics).
    pub fn waiting_joiners(&self) -> usize {
        self.inner.state.lock().joiners
    }

    /// How many times, in this process, the OS refused a thread to run timer
    /// callbacks (each refusal is retried; see the module source). For tests
    /// and diagnostics.
    #[doc(hidden)]
    pub fn refused_runners() -> usize {
        service::refused_runners()
    }
}

impl fmt::Debug for Timer {
    /// `Timer { interval: 1s, state: "pending", daemon: false }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (phase, daemon) = {
            let state = self.inner.state.lock();
            (state.phase, state.daemon)
        };
        let state = match phase {
            Phase::Initial { cancelled: false } => "initial",
            Phase::Initial { cancelled: true } => "initial, cancelled",
            Phase::Pending { .. } => "pending",
            Phase::Running { .. } => "running",
            Phase::Fired => "fired",
            Phase::Cancelled => "cancelled",
        };
        f.debug_struct("Timer")
            .field("interval", &self.inner.interval)
            .field("state", &state)
            .field("daemon", &daemon)
            .finish()
    }
}

impl Inner {
    fn new(interval: Duration, callback: Callback, daemon: bool) -> Self {
        Self {
            interval,
            state: Mutex::new(State {
                phase: Phase::Initial { cancelled: false },
                callback: Some(callback),
                daemon,
                blocker: None,
                joiners: 0,
            }),
            finished: Condvar::new(),
        }
    }

    /// Called by the thread `me` once the timer is due: calls the callback
    /// unless `cancel` came first. Panics are reported, not propagated.
    fn fire(&self, me: u64) {
        let (callback, blocker) = {
            let mut state = self.state.lock();
            if !matches!(state.phase, Phase::Pending { .. }) {
                return; // cancelled meanwhile
            }
            state.phase = Phase::Running { thread: me };
            (state.callback.take(), state.blocker.take())
        };
        {
            // A shutdown() called by the callback does not wait for it.
            let _doing = blocker.as_ref().map(ShutdownBlocker::enter);
            if let Some(Err(panic)) = callback.map(catch_panic) {
                excepthook(&panic);
            }
        }
        self.state.lock().phase = Phase::Fired;
        self.finished.notify_all();
        // After the phase change: once shutdown() returns, is_alive() is false.
        drop(blocker);
    }

    /// `join` for the thread `me`: `Ok(true)` once finished, `Ok(false)` at
    /// `deadline`.
    fn wait(&self, deadline: Option<Instant>, me: u64) -> Result<bool, ThreadError> {
        let mut state = self.state.lock();
        loop {
            match state.phase {
                Phase::Initial { .. } => return Err(ThreadError::NotStarted),
                Phase::Running { thread } if thread == me => return Err(ThreadError::JoinSelf),
                Phase::Fired | Phase::Cancelled => return Ok(true),
                Phase::Pending { .. } | Phase::Running { .. } => {}
            }
            state.joiners += 1;
            let (guard, timed_out) = self.finished.wait_deadline(state, deadline);
            state = guard;
            state.joiners -= 1;
            if timed_out {
                return Ok(matches!(state.phase, Phase::Fired | Phase::Cancelled));
            }
        }
    }
}

/// The process-wide schedule and the threads that serve it.
mod service {
    use super::*;

    /// A due timer on its way to a runner.
    type Due = Arc<Inner>;

    /// Everything under the one service lock.
    struct Service {
        schedule: BTreeMap<Key, Due>,
        /// Makes keys unique among equal deadlines, in order of start.
        next_id: u64,
        /// Whether a scheduler thread is running (or about to).
        scheduler: bool,
        /// Runner threads alive, and which names `-1` … `-7` they hold.
        /// A thread leaves these counts under the lock just before it
        /// ends, so `enumerate()` may list it for a moment longer.
        runners: usize,
        slots: u8,
        /// Scheduler → runners. Sends happen under the service lock, so a
        /// runner that sees the channel empty under the lock may exit.
        channel: Option<(Sender<Due>, Receiver<Due>)>,
        /// A runner that could not be started, for the excepthook.
        unreported: Option<String>,
    }

    static SERVICE: StaticMutex<Service> = StaticMutex::new(Service {
        schedule: BTreeMap::new(),
        next_id: 0,
        scheduler: false,
        runners: 0,
        slots: 0,
        channel: None,
        unreported: None,
    });

    /// 1 while `Service::unreported` holds a report: read by the runners
    /// without the lock before each timer.
    static UNREPORTED: StaticAtomicUsize = StaticAtomicUsize::new(0);

    /// How many runner threads the OS refused, ever.
    static REFUSED: StaticAtomicUsize = StaticAtomicUsize::new(0);

    pub(super) fn refused_runners() -> usize {
        REFUSED.load(Ordering::Relaxed)
    }

    /// Due timers handed to runners and not yet done: those queued in the
    /// channel plus those being run, so `runners - BUSY` runners are free.
    /// Raised only by the scheduler; lowered by runners without the lock
    /// (so the scheduler never sees it too low: at worst it starts a
    /// runner that is not needed).
    static BUSY: StaticAtomicUsize = StaticAtomicUsize::new(0);

    /// Wakes the scheduler: a new earliest deadline.
    static WAKE: StaticCondvar = StaticCondvar::new();

    /// Puts `timer` into the schedule, starting the scheduler if none runs.
    pub(super) fn schedule(timer: &Arc<Inner>, deadline: Instant) -> Result<Key, ThreadError> {
        let mut service = SERVICE.lock();
        if !service.scheduler {
            // Decided under the lock: an exiting scheduler has already
            // cleared the flag, so exactly one scheduler serves the map.
            Thread::builder()
                .name(THREAD_NAME)
                .daemon(true)
                .spawn(scheduler)?;
            service.scheduler = true;
        }
        service.next_id += 1;
        let key = (deadline, service.next_id);
        let earliest = service
            .schedule
            .first_key_value()
            .is_none_or(|(k, _)| key < *k);
        service.schedule.insert(key, Arc::clone(timer));
        if earliest {
            WAKE.notify_one();
        }
        Ok(key)
    }

    /// Takes a cancelled timer out of the schedule (it may be gone already:
    /// due and handed to a runner, which will find it cancelled).
    pub(super) fn unschedule(key: Key) {
        SERVICE.lock().schedule.remove(&key);
    }

    #[cfg(all(test, not(loom)))]
    pub(super) fn is_scheduled(key: Key) -> bool {
        SERVICE.lock().schedule.contains_key(&key)
    }

    /// The scheduler thread: sleeps until the earliest deadline, queues due
    /// timers for the runners (starting runners when too few are free), and
    /// exits after `IDLE` with an empty schedule and no timer waiting for a
    /// runner. It never calls a callback itself.
    fn scheduler() {
        let mut service = SERVICE.lock();
        let mut retry = Retry::default();
        loop {
            let now = Instant::now();
            while let Some(entry) = service.schedule.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let timer = entry.remove();
                // Cannot fail: the service keeps a receiver.
                let _ = service.jobs().0.send(timer);
                BUSY.fetch_add(1, Ordering::Relaxed);
            }
            let next = service
                .schedule
                .first_key_value()
                .map(|(&(deadline, _), _)| deadline);
            // No runner alive (the first timer, or after idling): start one
            // just before the deadline, so the timer does not wait for it.
            let warm_up = next
                .filter(|_| service.runners == 0)
                .map(|deadline| deadline.checked_sub(WARM_UP).unwrap_or(now));
            // Queued first, then a runner started if too few are free: one
            // per pass, so timers falling due meanwhile are queued between
            // thread creations instead of after all of them.
            let short =
                BUSY.load(Ordering::Relaxed) > service.runners && service.runners < MAX_RUNNERS;
            let wanted = short || warm_up.is_some_and(|ahead| now >= ahead);
            if wanted && retry.allows(now) {
                service = start_runner(service, &mut retry);
                continue;
            }
            if !wanted {
                retry.succeeded();
            }
            // Sleep until the next deadline, the warm-up before it, or the
            // next try at starting a runner that is still wanted.
            let wake = [
                next,
                warm_up.filter(|&ahead| now < ahead),
                retry.pending(wanted),
            ]
            .into_iter()
            .flatten()
            .min();
            match wake {
                Some(wake) => {
                    WAKE.wait_until(&mut service, wake);
                }
                None => {
                    let timed_out = WAKE.wait_for(&mut service, IDLE).timed_out();
                    let waiting = BUSY.load(Ordering::Relaxed) > service.runners;
                    if timed_out && service.schedule.is_empty() && !waiting {
                        service.scheduler = false;
                        return;
                    }
                }
            }
        }
    }

    /// The first wait before trying again to start a runner that could not
    /// be started, and the longest (the wait doubles at each failure).
    const RETRY_FIRST: Duration = Duration::from_millis(10);
    const RETRY_MOST: Duration = Duration::from_secs(1);

    /// What the scheduler does when the OS refuses a runner thread: the due
    /// timers stay queued (a busy runner takes them when it is free), and it
    /// tries again after a wait that doubles up to `RETRY_MOST`. The first
    /// failure of a run of them is reported through the excepthook, by the
    /// next runner to take a timer or the next `Timer::start`, `join` or
    /// `join_timeout`, whichever comes first (when no runner can start at
    /// all, only a user's call is left to tell): the scheduler never runs
    /// user code, a hook included. Once no runner is wanted any more, the
    /// run of failures is over: the next refusal is reported again.
    #[derive(Default)]
    struct Retry {
        /// No try before this.
        at: Option<Instant>,
        /// The wait after the next failure (0: none failed yet).
        backoff: Duration,
    }

    impl Retry {
        fn allows(&self, now: Instant) -> bool {
            self.at.is_none_or(|at| now >= at)
        }

        /// When to try again, if a runner is `wanted` and a try must wait.
        fn pending(&self, wanted: bool) -> Option<Instant> {
            self.at.filter(|_| wanted)
        }

        fn failed(&mut self, service: &mut Service, error: &ThreadError) {
            if self.backoff.is_zero() {
                service.unreported = Some(format!(
                    "cannot start a timer runner thread: {error}; due timers waited \
                     for a runner, and starting one was retried"
                ));
                UNREPORTED.store(1, Ordering::Relaxed);
                self.backoff = RETRY_FIRST;
            } else {
                self.backoff = (self.backoff * 2).min(RETRY_MOST);
            }
            self.at = Instant::now().checked_add(self.backoff);
        }

        fn succeeded(&mut self) {
            *self = Self::default();
        }
    }

    /// Takes a runner slot and starts its thread (without the lock); if the
    /// OS refuses, gives the slot back and tells `retry`.
    fn start_runner(
        mut service: StaticMutexGuard<'static, Service>,
        retry: &mut Retry,
    ) -> StaticMutexGuard<'static, Service> {
        let slot = service.slots.trailing_ones() as u8;
        service.slots |= 1 << slot;
        service.runners += 1;
        let jobs = service.jobs().1.clone();
        drop(service);
        let spawned = Thread::builder()
            .name(format!("{THREAD_NAME}-{}", slot + 1))
            .daemon(true)
            .spawn(move || runner(slot, &jobs));
        let mut service = SERVICE.lock();
        match spawned {
            Ok(_) => retry.succeeded(),
            Err(error) => {
                service.runners -= 1;
                service.slots &= !(1 << slot);
                REFUSED.fetch_add(1, Ordering::Relaxed);
                retry.failed(&mut service, &error);
            }
        }
        service
    }

    impl Service {
        fn jobs(&mut self) -> &(Sender<Due>, Receiver<Due>) {
            self.channel
                .get_or_insert_with(crossbeam_channel::unbounded)
        }
    }

    /// Hands a refused runner thread to the excepthook, if one is waiting
    /// to be told; called without any lock held, on a runner or in the
    /// user's own calls.
    #[inline]
    pub(super) fn report_refused_runner() {
        if UNREPORTED.load(Ordering::Relaxed) != 0 {
            report_spawn_failure();
        }
    }

    #[cold]
    fn report_spawn_failure() {
        let report = {
            let mut service = SERVICE.lock();
            UNREPORTED.store(0, Ordering::Relaxed);
            service.unreported.take()
        };
        if let Some(message) = report {
            // A hook that panics must not take the runner with it.
            let _ = catch_panic(|| excepthook(&ExceptHookArgs::new(THREAD_NAME, message)));
        }
    }

    /// A runner thread: runs what the channel brings, and exits after
    /// `IDLE` without work.
    fn runner(slot: u8, jobs: &Receiver<Due>) {
        loop {
            match jobs.recv_timeout(IDLE) {
                Ok(timer) => run(&timer),
                Err(_) => {
                    let mut service = SERVICE.lock();
                    if jobs.is_empty() {
                        service.runners -= 1;
                        service.slots &= !(1 << slot);
                        return;
                    }
                }
            }
        }
    }

    fn run(timer: &Inner) {
        report_refused_runner();
        timer.fire(get_ident());
        BUSY.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync_clone<T: Send + Sync + Clone + fmt::Debug + 'static>() {}
        send_sync_clone::<Timer>();
    }

    #[test]
    fn debug_shows_interval_state_and_daemon() {
        let timer = Timer::new(Duration::from_secs(3600), || ());
        timer.set_daemon(true).unwrap();
        assert_eq!(
            format!("{timer:?}"),
            r#"Timer { interval: 3600s, state: "initial", daemon: true }"#
        );
        timer.start().unwrap();
        assert!(format!("{timer:?}").contains(r#"state: "pending""#));
        timer.cancel();
        assert!(format!("{timer:?}").contains(r#"state: "cancelled""#));
    }

    /// Cancelling takes the entry out of the schedule at once: loops that
    /// create and cancel timers leave nothing behind.
    #[test]
    fn cancel_removes_from_schedule() {
        let timers: Vec<Timer> = (0..1000)
            .map(|_| {
                let t = Timer::new(Duration::from_secs(3600), || ());
                t.set_daemon(true).unwrap();
                t.start().unwrap();
                t
            })
            .collect();
        let key = |t: &Timer| match t.inner.state.lock().phase {
            Phase::Pending { key } => key.expect("a representable deadline"),
            other => panic!("not pending: {other:?}"),
        };
        let keys: Vec<Key> = timers.iter().map(key).collect();
        assert!(keys.iter().all(|k| service::is_scheduled(*k)));
        for t in &timers {
            t.cancel();
        }
        assert!(keys.iter().all(|k| !service::is_scheduled(*k)));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{AtomicUsize, Ordering};

    /// A pending timer with a counting callback, as `start` leaves it
    /// (without the process-wide schedule, which loom does not model).
    fn pending(calls: &Arc<AtomicUsize>) -> Arc<Inner> {
        let calls = Arc::clone(calls);
        let inner = Inner::new(
            Duration::ZERO,
            Box::new(move || {
                calls.fetch_add(1, Ordering::SeqCst);
            }),
            true,
        );
        inner.state.lock().phase = Phase::Pending { key: None };
        Arc::new(inner)
    }

    /// `cancel` racing the runner: whoever comes first wins, the callback
    /// runs at most once, and the timer ends finished either way.
    #[test]
    fn loom_timer_cancel_races_fire() {
        loom::model(|| {
            let calls = Arc::new(AtomicUsize::new(0));
            let inner = pending(&calls);
            let runner = {
                let inner = Arc::clone(&inner);
                loom::thread::spawn(move || inner.fire(1))
            };
            let timer = Timer {
                inner: Arc::clone(&inner),
            };
            timer.cancel();
            runner.join().unwrap();
            let phase = inner.state.lock().phase;
            match calls.load(Ordering::SeqCst) {
                0 => assert_eq!(phase, Phase::Cancelled),
                1 => assert_eq!(phase, Phase::Fired),
                n => panic!("called {n} times"),
            }
            assert_eq!(inner.wait(None, 2).unwrap(), true);
        });
    }

    /// A joiner waiting while the timer fires is woken: no lost wake-up.
    #[test]
    fn loom_timer_join_wakes_when_fired() {
        loom::model(|| {
            let calls = Arc::new(AtomicUsize::new(0));
            let inner = pending(&calls);
            let joiner = {
                let inner = Arc::clone(&inner);
                loom::thread::spawn(move || inner.wait(None, 2).unwrap())
            };
            inner.fire(1);
            assert!(joiner.join().unwrap());
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        });
    }
}
