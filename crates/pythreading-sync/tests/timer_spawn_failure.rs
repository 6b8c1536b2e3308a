//! What a `Timer` does when the OS refuses a thread, in a binary of its own
//! (it starts with no timer service, and it squeezes the whole process).
//!
//! Thread creation is made to fail by lowering the soft address-space limit
//! (`RLIMIT_AS`) to just above what the process maps already: a new thread's
//! stack no longer fits. Small allocations still come from memory already
//! mapped. The limit is restored before anything is asserted.

#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

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

    // 2. The scheduler runs, every runner is busy, and another runner
    //    cannot start: the scheduler calls the due callback itself. (The
    //    service may have started more than one runner: block them all.)
    let gate = Gate::default();
    let entered = Arc::new(AtomicUsize::new(0));
    let mut blockers = Vec::new();
    let opener = gate.opener();
    while entered.load(Ordering::SeqCst) < runner_threads() {
        let (gate, count) = (gate.clone(), Arc::clone(&entered));
        let blocker = Timer::new(Duration::ZERO, move || {
            count.fetch_add(1, Ordering::SeqCst);
            gate.wait();
        });
        blocker.start().unwrap();
        let want = blockers.len() + 1;
        let deadline = Instant::now() + PATIENCE;
        while entered.load(Ordering::SeqCst) < want {
            assert!(Instant::now() < deadline, "a blocker never ran");
            thread::sleep(Duration::from_millis(1));
        }
        blockers.push(blocker);
    }
    assert!(blockers.len() < 7, "no room left for a runner to fail");
    let second = Timer::new(Duration::from_millis(50), move || {
        tx.send(current_thread().name()).unwrap();
    });
    let ran_on = without_room_for_threads(|| {
        second.start().unwrap();
        second
            .join_timeout(PATIENCE)
            .map(|done| done.then(|| rx.recv_timeout(PATIENCE).ok()).flatten())
    });
    drop(opener);
    for blocker in &blockers {
        assert!(blocker.join_timeout(PATIENCE).unwrap());
    }
    assert_eq!(
        ran_on.unwrap().as_deref(),
        Some("pythreading-timer"),
        "run by the scheduler"
    );
    assert!(second.fired());
}

/// The runner threads alive now.
fn runner_threads() -> usize {
    pythreading_core::enumerate()
        .iter()
        .filter(|t| t.name().starts_with("pythreading-timer-"))
        .count()
}

/// A gate that callbacks wait at (at most PATIENCE) until it is opened.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, opened) = &*self.0;
        let guard = open.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = opened.wait_timeout_while(guard, PATIENCE, |open| !*open);
    }

    /// Opens the gate when dropped, also when the test fails first.
    fn opener(&self) -> impl Drop {
        struct Opener(Gate);
        impl Drop for Opener {
            fn drop(&mut self) {
                let (open, opened) = &*(self.0).0;
                *open.lock().unwrap_or_else(PoisonError::into_inner) = true;
                opened.notify_all();
            }
        }
        Opener(self.clone())
    }
}
