//! Process-level behaviour that only a real exit shows: `shutdown()` waits
//! for non-daemon threads (also those started while it waits) after running
//! the atexit hooks, daemon threads do not delay exit, a panic is reported
//! exactly once with the thread's name, and the main thread is `MainThread`.
//!
//! A `harness = false` test: the binary re-runs itself as a child process
//! (selected by the `PYTHREADING_PROCESS_CHILD` environment variable), so the
//! child's `main` is the real main thread, and checks its exit status and
//! output. Like libtest, extra arguments filter the scenarios by name. The
//! runner is `pythreading_test_support::child_process`, shared with
//! pythreading-executor's process tests.

use std::process::ExitCode;
use std::sync::mpsc;
use std::thread::sleep;
use std::time::Duration;

use pythreading_core::{
    ShutdownGuard, Thread, current_thread, main_thread, register_atexit, shutdown,
};
use pythreading_test_support::child_process::{Output, Scenario, ensure, in_order, run_scenarios};

const CHILD_VAR: &str = "PYTHREADING_PROCESS_CHILD";
/// A bound for a child that should finish in about a second; the daemon
/// thread of the first scenario would need 120 s if it delayed exit.
const CHILD_LIMIT: Duration = Duration::from_secs(60);

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "shutdown_joins_non_daemon_threads_and_not_daemons",
        child: child_joins_non_daemon,
        check: check_joins_non_daemon,
    },
    Scenario {
        name: "panic_is_reported_once_with_the_thread_name",
        child: child_panic_report,
        check: check_panic_report,
    },
    Scenario {
        name: "main_thread_identity_and_daemon_inheritance",
        child: child_main_thread,
        check: check_main_thread,
    },
    Scenario {
        name: "atexit_hooks_run_last_first_and_survive_a_panic",
        child: child_atexit,
        check: check_atexit,
    },
    Scenario {
        name: "guard_waits_even_when_main_returns_early",
        child: child_early_return,
        check: check_early_return,
    },
    Scenario {
        name: "main_waits_for_a_thread_that_called_shutdown_too",
        child: child_main_and_thread_in_shutdown,
        check: check_main_and_thread_in_shutdown,
    },
];

fn main() -> ExitCode {
    run_scenarios(CHILD_VAR, CHILD_LIMIT, SCENARIOS)
}

// --- scenario 1 ------------------------------------------------------------

fn child_joins_non_daemon() {
    let _main = ShutdownGuard::new();
    let (hook_ran, wait_for_hook) = mpsc::channel::<()>();
    register_atexit(move || {
        println!("atexit: ran");
        hook_ran.send(()).unwrap();
    });
    // Waits for the atexit hook, so it can only finish inside shutdown().
    let worker = Thread::new(move || {
        wait_for_hook.recv().unwrap();
        sleep(Duration::from_millis(100));
        // Started while shutdown() is already joining.
        Thread::new(|| {
            sleep(Duration::from_millis(300));
            println!("late: finished");
        })
        .start()
        .unwrap();
        println!("worker: finished");
    });
    worker.start().unwrap();
    let daemon = Thread::builder().daemon(true).build(|| {
        sleep(Duration::from_secs(120));
        println!("daemon: finished");
    });
    daemon.start().unwrap();
    assert!(!worker.is_daemon() && daemon.is_daemon());
    println!("main: end");
}

fn check_joins_non_daemon(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    in_order(
        &out.stdout,
        &[
            "main: end",
            "atexit: ran",
            "worker: finished",
            "late: finished",
        ],
    )?;
    ensure(
        !out.stdout.contains("daemon: finished"),
        "the daemon thread finished",
    )?;
    ensure(
        out.elapsed < Duration::from_secs(100),
        "exit waited for the daemon thread",
    )
}

// --- scenario 2 ------------------------------------------------------------

fn child_panic_report() {
    let _main = ShutdownGuard::new();
    let t = Thread::builder()
        .name("doomed")
        .build(|| -> u32 { panic!("boom-{}", 123) });
    t.start().unwrap();
    t.join().unwrap();
    match t.into_result() {
        Err(pythreading_core::ThreadError::Panicked(msg)) => println!("result: Panicked({msg})"),
        other => println!("result: unexpected {other:?}"),
    }
    // A panic outside pythreading threads still goes to Rust's own hook.
    let _ = std::thread::Builder::new()
        .name("plain-std".into())
        .spawn(|| panic!("std-panic"))
        .unwrap()
        .join();
}

fn check_panic_report(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    ensure(
        out.stdout.contains("result: Panicked(boom-123)"),
        "into_result did not hold the panic",
    )?;
    ensure(
        out.stderr.matches("boom-123").count() == 1,
        "the panic was not reported exactly once",
    )?;
    ensure(
        out.stderr.contains("Exception in thread doomed:"),
        "the report does not name the thread",
    )?;
    ensure(
        out.stderr.contains("process_shutdown.rs"),
        "the report lacks the panic location",
    )?;
    ensure(
        out.stderr.contains("thread 'plain-std'") && out.stderr.contains("std-panic"),
        "a panic in a plain std thread lost Rust's own report",
    )
}

// --- scenario 3 ------------------------------------------------------------

fn child_main_thread() {
    let _main = ShutdownGuard::new();
    let me = current_thread();
    println!("name: {}", me.name());
    println!("is main: {}", me == main_thread());
    println!("main daemon: {}", me.is_daemon());
    let child = Thread::new(|| {
        let grandchild = Thread::new(|| ());
        current_thread().is_daemon() == grandchild.is_daemon()
    });
    println!("child daemon: {}", child.is_daemon());
    child.start().unwrap();
    println!("grandchild inherits: {}", child.into_result().unwrap());
    let daemon = Thread::builder()
        .daemon(true)
        .build(|| Thread::new(|| ()).is_daemon());
    daemon.start().unwrap();
    println!("daemon's child daemon: {}", daemon.into_result().unwrap());
    println!("main alive: {}", main_thread().is_alive());
    // Python's pattern: a non-daemon thread that waits for the main thread.
    Thread::new(|| {
        main_thread().join().unwrap();
        println!("after main: ran");
    })
    .start()
    .unwrap();
    let foreign = std::thread::spawn(|| {
        let me = current_thread();
        (me.name(), me.is_daemon())
    })
    .join()
    .unwrap();
    println!(
        "foreign: {} daemon={}",
        foreign.0.split('-').next().unwrap_or(""),
        foreign.1
    );
    shutdown();
    println!("main alive after shutdown: {}", main_thread().is_alive());
}

fn check_main_thread(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    in_order(
        &out.stdout,
        &[
            "name: MainThread",
            "is main: true",
            "main daemon: false",
            "child daemon: false",
            "grandchild inherits: true",
            "daemon's child daemon: true",
            "main alive: true",
            "foreign: Dummy daemon=true",
            "after main: ran",
            "main alive after shutdown: false",
        ],
    )
}

// --- scenario 4 ------------------------------------------------------------

fn child_early_return() {
    fn work() -> Result<(), String> {
        let _main = ShutdownGuard::new();
        Thread::new(|| {
            sleep(Duration::from_millis(200));
            println!("worker: finished");
        })
        .start()
        .map_err(|e| e.to_string())?;
        Err("early return".to_owned())?;
        println!("not reached");
        Ok(())
    }
    let result = work();
    println!("work: {result:?}");
}

fn check_early_return(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    in_order(
        &out.stdout,
        &["worker: finished", "work: Err(\"early return\")"],
    )
}

// --- scenario 5 ------------------------------------------------------------

fn child_atexit() {
    pythreading_core::set_excepthook(|args| println!("hook: {}", args.message));
    register_atexit(|| println!("atexit: first registered"));
    register_atexit(|| panic!("hook failure"));
    register_atexit(|| {
        println!("atexit: last registered");
        register_atexit(|| println!("atexit: registered while shutting down"));
    });
    shutdown();
    println!("shutdown: returned");
    // A second shutdown has no hooks left to run.
    shutdown();
    println!("shutdown: returned again");
}

fn check_atexit(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    in_order(
        &out.stdout,
        &[
            "atexit: last registered",
            "hook: atexit hook panicked: hook failure",
            "atexit: first registered",
            "atexit: registered while shutting down",
            "shutdown: returned",
            "shutdown: returned again",
        ],
    )?;
    ensure(
        out.stdout.matches("atexit: first registered").count() == 1,
        "a hook ran twice",
    )
}

// --- scenario 6 ------------------------------------------------------------

fn child_main_and_thread_in_shutdown() {
    // A non-daemon thread calls shutdown() while main does, then runs on.
    // The two calls do not wait for each other's hooks, but main's call is
    // the process's exit: it must still wait for the thread to finish.
    let (release, held) = mpsc::channel::<()>();
    // Keeps the ender's call waiting until main's call has begun.
    let worker = Thread::builder().daemon(false).build(move || {
        held.recv().unwrap();
    });
    worker.start().unwrap();
    let (in_shutdown, wait_in_shutdown) = mpsc::channel::<()>();
    let ender = Thread::builder().daemon(false).build(move || {
        register_atexit(move || in_shutdown.send(()).unwrap());
        shutdown();
        sleep(Duration::from_millis(300));
        println!("ender: finished after its shutdown()");
    });
    ender.start().unwrap();
    // The ender's call ran the hook: it is inside shutdown(), waiting for
    // the worker, which only main's own hook lets go.
    wait_in_shutdown.recv().unwrap();
    register_atexit(move || release.send(()).unwrap());
    shutdown();
    println!("main: shutdown returned");
}

fn check_main_and_thread_in_shutdown(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    in_order(
        &out.stdout,
        &[
            "ender: finished after its shutdown()",
            "main: shutdown returned",
        ],
    )
}
