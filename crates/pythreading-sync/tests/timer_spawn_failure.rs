//! What a `Timer` does when the OS refuses a thread, in a binary of its own
//! (it starts with no timer service, and it squeezes the whole process).
//!
//! Thread creation is made to fail by lowering the soft address-space limit
//! (`RLIMIT_AS`) to just above what the process maps already: a new thread's
//! stack no longer fits. Small allocations still come from memory already
//! mapped. The limit is restored before anything is asserted.

#![cfg(target_os = "linux")]

use std::sync::mpsc;
use std::time::Duration;

use pythreading_core::{ThreadError, current_thread};
use pythreading_sync::Timer;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

const PATIENCE: Duration = Duration::from_secs(20);

/// The process's virtual size in bytes, from `/proc/self/status`.
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))
        .expect("VmSize in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

/// Runs `f` with no room for a new thread stack, then restores the limit.
fn without_room_for_threads<T>(f: impl FnOnce() -> T) -> T {
    let saved = getrlimit(Resource::As);
    let tight = Rlimit {
        current: Some(vm_size() + 256 * 1024),
        maximum: saved.maximum,
    };
    setrlimit(Resource::As, tight).unwrap();
    let result = f();
    setrlimit(Resource::As, saved).unwrap();
    result
}

#[test]
fn spawn_failures_lose_no_timer() {
    // 1. No service yet, and its scheduler cannot start: start() fails and
    //    the timer stays unstarted, ready to be started again.
    let (tx, rx) = mpsc::channel();
    let first_tx = tx.clone();
    let first = Timer::new(Duration::ZERO, move || {
        first_tx.send(current_thread().name()).unwrap();
    });
    let refused = without_room_for_threads(|| first.start());
    assert!(matches!(refused, Err(ThreadError::Spawn(_))), "{refused:?}");
    assert!(!first.is_alive());
    assert!(matches!(first.join(), Err(ThreadError::NotStarted)));
    first.start().unwrap();
    assert!(first.join_timeout(PATIENCE).unwrap());
    let runner = rx.recv_timeout(PATIENCE).unwrap();
    assert!(runner.starts_with("pythreading-timer-"), "{runner}");

    // 2. The scheduler runs, the one runner is busy, and a second runner
    //    cannot start: the scheduler calls the due callback itself.
    let (release, gate) = mpsc::channel::<()>();
    let (busy_tx, busy) = mpsc::channel();
    let blocker = Timer::new(Duration::ZERO, move || {
        busy_tx.send(()).unwrap();
        gate.recv_timeout(PATIENCE).unwrap();
    });
    blocker.start().unwrap();
    busy.recv_timeout(PATIENCE).unwrap();
    let second = Timer::new(Duration::from_millis(50), move || {
        tx.send(current_thread().name()).unwrap();
    });
    let ran_on = without_room_for_threads(|| {
        second.start().unwrap();
        second
            .join_timeout(PATIENCE)
            .map(|done| done.then(|| rx.recv_timeout(PATIENCE).ok()).flatten())
    });
    release.send(()).unwrap();
    assert!(blocker.join_timeout(PATIENCE).unwrap());
    assert_eq!(
        ran_on.unwrap().as_deref(),
        Some("pythreading-timer"),
        "run by the scheduler"
    );
    assert!(second.fired());
}
