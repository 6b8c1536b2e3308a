//! What the `cpython_*` test files share: the counterpart of CPython's
//! `Lib/test/test_concurrent_futures/util.py` (futures in each state, an
//! executor shut down at the end of every test) and the bounded waits that
//! turn a lost wake-up into a failing test instead of a hung one.
//!
//! Provenance as in the files that include it: CPython 3.13 (3.13.0),
//! PSF License Version 2; a Rust re-expression of the helpers' intent, no
//! Python code is included.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use pythreading_core::ThreadRef;
use pythreading_executor::{ExecutorBuilder, Future, ThreadPoolExecutor};
use pythreading_sync::{Event, Semaphore};

/// How long anything may take before the test calls it a hang (CPython's
/// `support.SHORT_TIMEOUT` is 30 s as well).
pub(crate) const LONG: Duration = Duration::from_secs(30);

/// CPython's `ExecutorMixin.worker_count`.
pub(crate) const WORKER_COUNT: usize = 5;

/// Runs `f` on a helper thread and returns its value, failing the test if
/// it has not returned within [`LONG`] (the helper is then left behind; it
/// holds only what `f` captured). A panic in `f` is re-raised here.
pub(crate) fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    thread::Builder::new()
        .name(format!("within: {what}"))
        .spawn(move || {
            let _ = sender.send(catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("could not start a helper thread");
    match receiver.recv_timeout(LONG) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => panic!("{what} did not return within {LONG:?}: a hang?"),
    }
}

/// Polls `condition` every millisecond until it holds; fails the test,
/// naming `what`, after [`LONG`].
pub(crate) fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Joins a helper thread within [`LONG`] and returns its value (re-raising
/// its panic).
pub(crate) fn join_within<T>(handle: JoinHandle<T>) -> T {
    wait_until("a helper thread finished", || handle.is_finished());
    handle.join().unwrap_or_else(|panic| resume_unwind(panic))
}

/// Waits for a future within [`LONG`], failing the test if it is still not
/// done.
#[track_caller]
pub(crate) fn await_done<T>(future: &Future<T>) {
    assert!(
        future.wait_timeout(LONG),
        "future still not done after {LONG:?}: {future:?}"
    );
}

/// A shut gate that tasks wait at: they go on once it is opened, and it
/// opens when dropped, so that a failing test never leaves a worker stuck
/// (declare it after the executor, so that it is dropped first).
pub(crate) struct Gate(Arc<Event>);

impl Gate {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Event::new()))
    }

    /// What a task captures to wait at the gate (with [`pass`]).
    pub(crate) fn handle(&self) -> Arc<Event> {
        Arc::clone(&self.0)
    }

    pub(crate) fn open(&self) {
        self.0.set();
    }

    /// Opens the gate from another thread once `waited` holds (within
    /// [`LONG`]): typically once a thread waits for the future behind the
    /// gate ([`Future::waiting`]), so that it is woken by the opening.
    pub(crate) fn open_when(
        &self,
        what: &'static str,
        waited: impl FnMut() -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        let gate = self.handle();
        thread::spawn(move || {
            wait_until(what, waited);
            gate.set();
        })
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// A task on `executor` that waits at `gate`, then panics with `message`
/// (CPython's `sleep_and_raise`, `_crash` after a delay, …).
pub(crate) fn gated_panic<T: Send + 'static>(
    executor: &ThreadPoolExecutor,
    gate: &Gate,
    message: &'static str,
) -> Future<T> {
    let gate = gate.handle();
    executor
        .submit(move || -> T {
            pass(&gate);
            panic!("{message}")
        })
        .expect("the executor takes tasks")
}

/// Runs a closure when dropped: to undo a test's blocking set-up (release
/// a semaphore) also when an assertion fails first, so that the executor's
/// shutdown at the end of the test does not wait for `LONG`.
pub(crate) struct OnDrop<F: FnMut()>(F);

pub(crate) fn on_drop<F: FnMut()>(f: F) -> OnDrop<F> {
    OnDrop(f)
}

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// Waits at `gate` (from inside a task); a gate still shut after [`LONG`]
/// fails the task, so that no worker waits forever.
#[track_caller]
pub(crate) fn pass(gate: &Event) {
    assert!(gate.wait_timeout(LONG), "the gate stayed shut for {LONG:?}");
}

/// An executor shut down at the end of the test, as CPython's
/// `ExecutorMixin.tearDown` does (`shutdown(wait=True)`), but within
/// [`LONG`]: a shutdown that hangs fails the test instead.
pub(crate) struct Executor(Arc<ThreadPoolExecutor>);

impl Executor {
    /// CPython's `ThreadPoolExecutor(max_workers)`.
    pub(crate) fn new(max_workers: usize) -> Self {
        Self::wrap(ThreadPoolExecutor::new(max_workers).expect("a valid max_workers"))
    }

    pub(crate) fn build(builder: ExecutorBuilder) -> Self {
        Self::wrap(builder.build().expect("a valid executor"))
    }

    pub(crate) fn wrap(executor: ThreadPoolExecutor) -> Self {
        Self(Arc::new(executor))
    }

    /// The executor itself, to hand to a task or a helper thread.
    pub(crate) fn shared(&self) -> Arc<ThreadPoolExecutor> {
        Arc::clone(&self.0)
    }

    /// `shutdown(wait, cancel_futures)`, failing the test if it has not
    /// returned within [`LONG`].
    pub(crate) fn shutdown_within(&self, wait: bool, cancel_futures: bool) {
        let executor = self.shared();
        within("executor.shutdown()", move || {
            executor.shutdown(wait, cancel_futures);
        });
    }
}

impl Deref for Executor {
    type Target = ThreadPoolExecutor;

    fn deref(&self) -> &ThreadPoolExecutor {
        &self.0
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        let executor = self.shared();
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            executor.shutdown(true, false);
            let _ = sender.send(());
        });
        let joined = receiver.recv_timeout(LONG).is_ok();
        if !joined && !thread::panicking() {
            panic!("synchronization issue: shutdown(wait=True) lasted more than {LONG:?}");
        }
    }
}

/// A one-worker pool kept busy: its first task runs until the `Busy` is
/// dropped (or [`release`](Self::release)d), and what is submitted after it
/// stays pending. CPython builds its `PENDING_FUTURE` and `RUNNING_FUTURE`
/// by setting `Future._state`; here they are real tasks in those states.
pub(crate) struct Busy {
    // Declared first, dropped first: the gate opens before the pool joins.
    gate: Gate,
    executor: Executor,
}

impl Busy {
    /// The busy pool and its running future (returns 0 once released).
    pub(crate) fn new() -> (Self, Future<i64>) {
        let busy = Busy {
            gate: Gate::new(),
            executor: Executor::new(1),
        };
        let started = Arc::new(Event::new());
        let running = {
            let started = Arc::clone(&started);
            let gate = busy.gate.handle();
            busy.executor
                .submit(move || {
                    started.set();
                    pass(&gate);
                    0
                })
                .expect("a fresh executor takes tasks")
        };
        assert!(started.wait_timeout(LONG), "the first task never started");
        (busy, running)
    }

    /// A future that stays pending until the pool is released.
    pub(crate) fn pending(&self) -> Future<i64> {
        self.submit(|| 0)
    }

    /// Submits `f`; it waits behind the running task.
    pub(crate) fn submit(&self, f: impl FnOnce() -> i64 + Send + 'static) -> Future<i64> {
        self.executor
            .submit(f)
            .expect("the busy executor takes tasks")
    }

    pub(crate) fn executor(&self) -> &Executor {
        &self.executor
    }

    /// Lets the running task finish (and the pending ones run).
    pub(crate) fn release(&self) {
        self.gate.open();
    }
}

/// Submits `n` tasks that each take one unit of `sem`: CPython's
/// `[executor.submit(sem.acquire) for _ in range(n)]`, with the acquire
/// bounded by [`LONG`] (a task still waiting then fails).
pub(crate) fn submit_acquires(
    executor: &ThreadPoolExecutor,
    sem: &Arc<Semaphore>,
    n: usize,
) -> Vec<Future<()>> {
    (0..n)
        .map(|_| {
            let sem = Arc::clone(sem);
            executor
                .submit(move || assert!(sem.acquire_timeout(LONG)))
                .expect("the executor takes tasks")
        })
        .collect()
}

/// CPython's `SUCCESSFUL_FUTURE`: finished, with the value 42.
pub(crate) fn successful_future() -> Future<i64> {
    let executor = Executor::new(1);
    let future = executor
        .submit(|| 42)
        .expect("a fresh executor takes tasks");
    await_done(&future);
    future
}

/// CPython's `EXCEPTION_FUTURE` (which raised `OSError()`): finished by a
/// panic with the message `"OSError"`.
/// Tests drop it unread, so its panic is reported: to the recording hook.
pub(crate) fn exception_future() -> Future<i64> {
    capture_reports();
    let executor = Executor::new(1);
    let future = executor
        .submit(|| -> i64 { panic!("OSError") })
        .expect("a fresh executor takes tasks");
    await_done(&future);
    future
}

/// CPython's `CANCELLED_FUTURE` and `CANCELLED_AND_NOTIFIED_FUTURE` (one
/// state here): cancelled while pending.
pub(crate) fn cancelled_future() -> Future<i64> {
    let (busy, _running) = Busy::new();
    let future = busy.pending();
    assert!(future.cancel(), "a pending future can be cancelled");
    future
}

/// Python's `pow`, `mul` and `divmod` on integers (`divmod` panics on a
/// zero divisor, as Python raises `ZeroDivisionError`).
pub(crate) fn pow(x: i64, y: u32) -> i64 {
    x.pow(y)
}

pub(crate) fn mul(x: i64, y: i64) -> i64 {
    x * y
}

pub(crate) fn divmod(x: i64, y: i64) -> (i64, i64) {
    (x / y, x % y)
}

/// Everything reported through pythreading's excepthook in this process
/// (panicking done callbacks, panicking initializers): `thread: message`.
/// The first call installs the recording hook, for the whole test binary;
/// tests look for their own messages, which are unique.
fn reports() -> &'static Mutex<Vec<String>> {
    static REPORTS: OnceLock<&'static Mutex<Vec<String>>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let reports: &'static Mutex<Vec<String>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        pythreading_core::set_excepthook(move |args| {
            reports
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(format!("{}: {}", args.thread_name, args.message));
        });
        reports
    })
}

/// Starts recording excepthook reports (CPython's `captured_stderr()` and
/// `assertLogs()`): call it before anything is reported.
pub(crate) fn capture_reports() {
    let _ = reports();
}

/// The reports recorded so far that contain `needle`.
pub(crate) fn reported(needle: &str) -> Vec<String> {
    reports()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .filter(|report| report.contains(needle))
        .cloned()
        .collect()
}

/// The live threads named `{prefix}_{something}`: the workers of the
/// executor with that name prefix.
pub(crate) fn threads_named(prefix: &str) -> Vec<ThreadRef> {
    let start = format!("{prefix}_");
    pythreading_core::enumerate()
        .into_iter()
        .filter(|thread| thread.name().starts_with(&start))
        .collect()
}

/// Whether `name` is `{prefix}_{i}` with `i < max_workers` (CPython's
/// `assertRegex(t.name, r'^prefix_[0-4]$')`).
pub(crate) fn is_worker_name(name: &str, prefix: &str, max_workers: usize) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .filter(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|index| index.parse::<usize>().ok())
        .is_some_and(|index| index < max_workers)
}

/// Joins each thread within [`LONG`]: CPython's `for t in threads: t.join()`.
#[track_caller]
pub(crate) fn join_threads(threads: &[ThreadRef]) {
    for thread in threads {
        assert_eq!(
            thread.join_timeout(LONG).ok(),
            Some(true),
            "{} did not end within {LONG:?}",
            thread.name()
        );
        assert!(!thread.is_alive());
    }
}
