//! Helpers shared by the integration tests: bounded waits, so that a lost
//! wake-up fails a test with a message instead of hanging it.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a condition may take to hold before the test calls it a hang.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// How long a batch of threads may take to finish (stress tests move many
/// items on a shared 2-core machine).
pub(crate) const JOIN_PATIENCE: Duration = Duration::from_secs(60);

/// Polls `condition` every millisecond until it holds; fails the test,
/// naming `what`, after [`PATIENCE`].
pub(crate) fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Joins every thread and returns their results in order; fails the test
/// if they have not all finished within [`JOIN_PATIENCE`], and re-raises a
/// thread's panic.
pub(crate) fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let deadline = Instant::now() + JOIN_PATIENCE;
    while handles.iter().any(|h| !h.is_finished()) {
        assert!(
            Instant::now() < deadline,
            "threads did not finish: lost wake-up?"
        );
        thread::sleep(Duration::from_millis(5));
    }
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect()
}
