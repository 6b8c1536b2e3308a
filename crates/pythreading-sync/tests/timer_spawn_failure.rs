//! What a `Timer` does when the OS refuses a thread.
//!
//! Thread creation is made to fail by lowering the soft address-space limit
//! (`RLIMIT_AS`) to just above what the process maps already: a new thread's
//! stack no longer fits. Small allocations still come from memory already
//! mapped. The limit squeezes the whole process, so each test runs in a
//! child process of its own: the test re-runs this binary with
//! [`CHILD`] set and `--exact` its own name, and the child does the work
//! (the harness and the other tests never share the limit, and the child
//! starts with no timer service). The limit is restored before anything is
//! asserted.

#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_core::{ThreadError, current_thread, set_excepthook};
use pythreading_sync::Timer;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

const PATIENCE: Duration = Duration::from_secs(20);

/// Set in the child process: run the test's body instead of a child.
const CHILD: &str = "PYTHREADING_TIMER_SPAWN_FAILURE_CHILD";

/// Runs `body` in a child process (this binary, running only the test
/// `name`), and fails if the child fails, hangs or did not run the test.
fn in_child_process(name: &str, body: fn()) {
    if std::env::var_os(CHILD).is_some() {
        body();
        return;
    }
    let dir = std::env::temp_dir();
    let log = |stream: &str| dir.join(format!("{name}-{}.{stream}", std::process::id()));
    let (out_path, err_path) = (log("out"), log("err"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + 3 * PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    let report = format!("stdout:\n{out}\nstderr:\n{err}");
    let status = status.unwrap_or_else(|| panic!("the child process hung\n{report}"));
    assert!(
        status.success(),
        "the child process failed: {status}\n{report}"
    );
    assert!(
        out.contains("test result: ok. 1 passed"),
        "the child process did not run {name}\n{report}"
    );
}

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
    in_child_process(
        "spawn_failures_lose_no_timer",
        spawn_failures_lose_no_timer_child,
    );
}

fn spawn_failures_lose_no_timer_child() {
    // What reaches the excepthook (the report of a refused runner).
    let (hook_tx, reports) = mpsc::channel::<String>();
    let hook_tx = Mutex::new(hook_tx);
    set_excepthook(move |args| {
        let _ = hook_tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(format!("{}: {}", args.thread_name, args.message));
    });

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
    //    cannot start: the due timer waits, queued; the scheduler never
    //    calls it itself. (The service may have started more than one
    //    runner: block them all.)
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
    let refused_before = Timer::refused_runners();
    let fired_while_refused = without_room_for_threads(|| {
        second.start().unwrap();
        // Until the scheduler has been refused a runner for it twice (so it
        // retried), or a bounded wait ran out.
        let deadline = Instant::now() + PATIENCE;
        while Timer::refused_runners() < refused_before + 2
            && !second.fired()
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(1));
        }
        second.fired()
    });
    assert!(
        !fired_while_refused,
        "the scheduler called the callback itself"
    );
    assert!(
        Timer::refused_runners() >= refused_before + 2,
        "the scheduler never tried again to start a runner"
    );
    // With room again, a retry starts a runner for it, while every other
    // runner is still blocked.
    let ran_on = rx.recv_timeout(PATIENCE);
    drop(opener);
    for blocker in &blockers {
        assert!(blocker.join_timeout(PATIENCE).unwrap());
    }
    let ran_on = ran_on.expect("the queued timer fired once a runner could start");
    assert!(
        ran_on.starts_with("pythreading-timer-"),
        "run by a runner, not the scheduler: {ran_on}"
    );
    assert!(second.join_timeout(PATIENCE).unwrap() && second.fired());
    // The refusal was reported once, through the excepthook, by a runner.
    let report = reports
        .recv_timeout(PATIENCE)
        .expect("a report of the refusal");
    assert!(
        report.starts_with("pythreading-timer: cannot start a timer runner thread"),
        "{report}"
    );
    assert!(
        reports.try_recv().is_err(),
        "one report for one run of refusals"
    );
}

#[test]
fn a_refusal_with_no_runner_at_all_is_reported_by_the_users_call() {
    in_child_process(
        "a_refusal_with_no_runner_at_all_is_reported_by_the_users_call",
        no_runner_at_all_child,
    );
}

fn no_runner_at_all_child() {
    let (hook_tx, reports) = mpsc::channel::<String>();
    let hook_tx = Mutex::new(hook_tx);
    set_excepthook(move |args| {
        let _ = hook_tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(args.message.clone());
    });
    // The scheduler starts with room for it, kept alive by a timer far off,
    // and is fully up (it has published its OS id) before the limit is
    // set. No thread has exited in this process, so no cached stack can
    // serve a runner. Then a timer whose first runner is started just
    // before its deadline, when there is no room any more.
    let keeper = Timer::new(Duration::from_secs(3600), || ());
    keeper.set_daemon(true).unwrap();
    keeper.start().unwrap();
    let scheduler = pythreading_core::enumerate()
        .into_iter()
        .find(|t| t.name() == "pythreading-timer")
        .expect("the scheduler thread");
    assert!(scheduler.native_id().is_some());
    let (tx, fired) = mpsc::channel::<()>();
    let timer = Timer::new(Duration::from_millis(300), move || {
        tx.send(()).unwrap();
    });
    let (finished, report) = without_room_for_threads(|| {
        timer.start().unwrap();
        let deadline = Instant::now() + PATIENCE;
        while Timer::refused_runners() == 0 && !timer.fired() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(runner_threads(), 0, "a runner started after all");
        // No runner will ever tell: the user's own call does.
        let finished = timer.join_timeout(Duration::from_millis(1));
        (finished, reports.try_recv())
    });
    assert!(Timer::refused_runners() > 0, "no runner was refused");
    assert!(!matches!(finished, Ok(true)), "fired with no runner");
    let report = report.expect("the join reported the refusal");
    assert!(
        report.starts_with("cannot start a timer runner thread"),
        "{report}"
    );
    // With room again, a retry starts a runner and the timer fires.
    fired
        .recv_timeout(PATIENCE)
        .expect("fired once a runner could start");
    assert!(timer.join_timeout(PATIENCE).unwrap());
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
