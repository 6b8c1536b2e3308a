//! Helpers shared by the executor's integration tests: bounded waits, so
//! that a lost wake-up fails a test with a message instead of hanging it,
//! and gated tasks, so that a worker is held busy by an `Event` rather than
//! by a sleep.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::any::Any;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_executor::{Future, TaskError, ThreadPoolExecutor};
use pythreading_sync::Event;

/// How long a condition may take to hold before the test calls it a hang.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// A timeout a test expects to pass: short, so waiting it out is cheap.
/// Only ever checked as a lower bound ("waited at least SHORT").
pub(crate) const SHORT: Duration = Duration::from_millis(50);

/// Polls `condition` until it holds (yielding first, then sleeping a
/// millisecond between polls); fails the test, naming `what`, after
/// [`PATIENCE`].
pub(crate) fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    let mut polls = 0u32;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        polls += 1;
        if polls < 200 {
            thread::yield_now();
        } else {
            thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Runs `f` on a helper thread and returns its value; fails the test,
/// naming `what`, if it has not returned within [`PATIENCE`] (the helper is
/// left behind). A panic in `f` is re-raised here. For calls that have no
/// timeout of their own (`Future::wait`, `wait(.., None, ..)`, …).
pub(crate) fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel::<Result<T, Box<dyn Any + Send>>>();
    thread::Builder::new()
        .name(format!("bounded {what}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = sender.send(outcome);
        })
        .expect("cannot start a helper thread");
    match receiver.recv_timeout(PATIENCE) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(RecvTimeoutError::Timeout) => {
            panic!("{what}: still blocked after {PATIENCE:?}: a hang")
        }
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: the helper thread vanished"),
    }
}

/// A pool of `max_workers` whose workers are named `{prefix}_{i}`.
pub(crate) fn named_pool(max_workers: usize, prefix: &str) -> ThreadPoolExecutor {
    ThreadPoolExecutor::builder()
        .max_workers(max_workers)
        .thread_name_prefix(prefix)
        .build()
        .expect("a valid pool size")
}

/// A closed gate for tasks to wait on.
pub(crate) fn gate() -> Arc<Event> {
    Arc::new(Event::new())
}

/// Submits a task that holds its worker until `gate` is set (at most
/// [`PATIENCE`]) and returns whether the gate was opened.
pub(crate) fn submit_gated(pool: &ThreadPoolExecutor, gate: &Arc<Event>) -> Future<bool> {
    let gate = Arc::clone(gate);
    pool.submit(move || gate.wait_timeout(PATIENCE))
        .expect("the pool takes the task")
}

/// Waits until a worker has started `future`'s task.
pub(crate) fn wait_running<T>(future: &Future<T>) {
    wait_until("the task is running", || future.running());
}

/// Waits until `future` is done; fails the test after [`PATIENCE`].
pub(crate) fn wait_done<T>(future: &Future<T>) {
    assert!(
        future.wait_timeout(PATIENCE),
        "the future is not done after {PATIENCE:?}: {future:?}"
    );
}

/// The outcome of `future`, waiting at most [`PATIENCE`] for it.
pub(crate) fn outcome<T>(future: Future<T>) -> Result<T, TaskError> {
    wait_done(&future);
    future.result()
}

/// What the excepthook was told: `(thread name, message)` of every report
/// since [`capture_excepthook`] was first called in this test binary.
pub(crate) type Reports = Mutex<Vec<(String, String)>>;

/// Replaces the excepthook (once per test binary) by one that records the
/// reports instead of printing them, and returns the record. Tests look for
/// messages of their own, since the hook is shared by the whole binary.
pub(crate) fn capture_excepthook() -> &'static Reports {
    static REPORTS: OnceLock<Reports> = OnceLock::new();
    REPORTS.get_or_init(|| {
        pythreading_core::set_excepthook(|args| {
            if let Some(reports) = REPORTS.get() {
                reports
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push((args.thread_name.clone(), args.message.clone()));
            }
        });
        Mutex::new(Vec::new())
    })
}

/// The recorded reports whose message contains `text`.
pub(crate) fn reports_containing(reports: &Reports, text: &str) -> Vec<(String, String)> {
    reports
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .filter(|(_, message)| message.contains(text))
        .cloned()
        .collect()
}

/// A value whose `Drop` panics with its message unless it was defused: what
/// a user's result, closure or callback may hold.
pub(crate) struct Bomb {
    message: String,
    armed: bool,
}

impl Bomb {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            armed: true,
        }
    }

    /// Drops it quietly.
    pub(crate) fn defuse(mut self) {
        self.armed = false;
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.armed {
            panic!("{}", self.message);
        }
    }
}
