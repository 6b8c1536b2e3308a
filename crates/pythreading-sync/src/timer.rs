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
//!
//! Here is the [`Timer`] handle; in `shared`, the state a handle shares
//! with the schedule; in `service`, the schedule and the threads that serve
//! it.

mod service;
mod shared;

use std::fmt;
use std::time::Duration;

use pythreading_core::{ShutdownBlocker, ThreadError, get_ident};

use self::shared::{Inner, Phase};
use crate::sys::Arc;
use pythreading_core::wait::Deadline;

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
                self.inner.finished();
                drop(callback);
                return Ok(());
            }
            _ => return Err(ThreadError::AlreadyStarted),
        }
        // Held across the insertion: a runner that picks the timer up at
        // once waits for this lock, and then finds it Pending.
        let key = match Deadline::after(self.inner.interval).instant() {
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
        self.inner.finished();
        // The callback's captures may do anything when dropped: no lock held.
        drop(callback);
        drop(blocker);
    }

    /// Waits until the timer is finished: its callback has returned, or it
    /// was cancelled.
    ///
    /// Errors: [`ThreadError::NotStarted`] before `start`;
    /// [`ThreadError::JoinSelf`] from inside the timer's own callback;
    /// [`ThreadError::Cancelled`] if the calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken) is
    /// cancelled while it waits (at once if it already is and the timer is
    /// not finished; a finished timer's join succeeds, cancelled or not).
    /// Cancelling the token does not cancel the timer: it ends the wait.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_core::{CancellationToken, ThreadError};
    /// use pythreading_sync::Timer;
    ///
    /// let timer = Timer::new(Duration::from_secs(3600), || ());
    /// timer.set_daemon(true)?;
    /// timer.start()?;
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// assert!(matches!(token.run(|| timer.join()), Err(ThreadError::Cancelled)));
    /// assert!(timer.is_alive()); // still pending
    /// timer.cancel();
    /// assert!(token.run(|| timer.join()).is_ok()); // finished: no wait
    /// # Ok::<(), ThreadError>(())
    /// ```
    pub fn join(&self) -> Result<(), ThreadError> {
        service::report_refused_runner();
        self.inner.wait(Deadline::NEVER, get_ident()).map(|_| ())
    }

    /// Waits at most `timeout`: `Ok(true)` if the timer is finished.
    ///
    /// Errors as for [`join`](Self::join), [`ThreadError::Cancelled`]
    /// included: it obeys the cancellation token too.
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, ThreadError> {
        service::report_refused_runner();
        self.inner.wait(Deadline::after(timeout), get_ident())
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
    /// diagnostics; a joiner whose wait was cancelled no longer counts).
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::timer::shared::Key;

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
    use crate::sys::{AtomicUsize, Ordering};

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
            assert_eq!(inner.wait(Deadline::NEVER, 2).unwrap(), true);
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
                loom::thread::spawn(move || inner.wait(Deadline::NEVER, 2).unwrap())
            };
            inner.fire(1);
            assert!(joiner.join().unwrap());
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        });
    }
}
