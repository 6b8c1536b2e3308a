//! Process-level behaviour that only a real exit shows:
//! `pythreading_core::shutdown()`, through the atexit hook the executor
//! registers, shuts every live executor down — also one that is never
//! dropped — and waits for the work queued on it; afterwards the executor
//! refuses new tasks.
//!
//! A `harness = false` test: the binary re-runs itself as a child process
//! (selected by the `PYTHREADING_EXECUTOR_CHILD` environment variable), so
//! that the child may call `shutdown()`, which would shut down every pool
//! of an in-process test. The parent checks the child's exit status and
//! the lines it printed. Like libtest, extra arguments filter the scenarios
//! by name. The runner is `pythreading_test_support::child_process`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pythreading_core::{ShutdownGuard, register_atexit, shutdown};
use pythreading_executor::{ExecutorError, ThreadPoolExecutor};
use pythreading_sync::Event;
use pythreading_test_support::child_process::{
    Output, Scenario, ensure, in_order, line_index, run_scenarios,
};

const CHILD_VAR: &str = "PYTHREADING_EXECUTOR_CHILD";
/// A bound for a child that should finish well within a second.
const CHILD_LIMIT: Duration = Duration::from_secs(60);
/// How long a task waits for its gate before giving up (and saying so).
const GATE_LIMIT: Duration = Duration::from_secs(20);

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "shutdown_shuts_leaked_executors_down_after_their_queued_work",
        child: child_leaked_executors,
        check: check_leaked_executors,
    },
    Scenario {
        name: "shutdown_guard_waits_for_a_forgotten_executor",
        child: child_guard,
        check: check_guard,
    },
];

fn main() -> ExitCode {
    run_scenarios(CHILD_VAR, CHILD_LIMIT, SCENARIOS)
}

/// Prints one line at once (several threads print, and the parent reads
/// the order).
fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Submits `count` tasks to `pool`, named `label i`, that each wait for
/// `gate`, count themselves in `finished` and print a line.
fn submit_gated(
    pool: &ThreadPoolExecutor,
    label: &'static str,
    count: usize,
    gate: &Arc<Event>,
    finished: &Arc<AtomicUsize>,
) {
    for i in 0..count {
        let (gate, finished) = (Arc::clone(gate), Arc::clone(finished));
        let _ = pool
            .submit(move || {
                if !gate.wait_timeout(GATE_LIMIT) {
                    say(format!("{label} {i}: the gate never opened"));
                }
                finished.fetch_add(1, Ordering::SeqCst);
                say(format!("{label} {i}: finished"));
            })
            .expect("the executor takes tasks before shutdown");
    }
}

/// Registers an atexit hook that opens `gate` (saying so): the tasks of
/// [`submit_gated`] can only finish inside `shutdown()`.
fn open_gate_at_exit(gate: Arc<Event>) {
    register_atexit(move || {
        say("atexit: opening the gate");
        gate.set();
    });
}

/// The child succeeded, and no task of [`submit_gated`] gave up waiting
/// for the gate.
fn ensure_gate_opened_in_time(out: &Output) -> Result<(), String> {
    ensure(out.success, "the child failed")?;
    ensure(
        !out.stdout.contains("never opened"),
        "a task timed out waiting for the gate: the atexit hooks ran out of order",
    )
}

// --- scenario 1 ------------------------------------------------------------

fn child_leaked_executors() {
    let gate = Arc::new(Event::new());
    let finished = Arc::new(AtomicUsize::new(0));

    // Never dropped: only the atexit hook can shut it down. A handle is kept
    // to try a submit afterwards.
    let kept = Arc::new(
        ThreadPoolExecutor::builder()
            .max_workers(1)
            .thread_name_prefix("leaked")
            .build()
            .unwrap(),
    );
    std::mem::forget(Arc::clone(&kept));
    submit_gated(&kept, "leaked", 5, &gate, &finished);

    let forgotten = ThreadPoolExecutor::new(2).unwrap();
    submit_gated(&forgotten, "forgotten", 4, &gate, &finished);
    std::mem::forget(forgotten);

    // Dropped already: the hook must skip it.
    drop(ThreadPoolExecutor::new(1).unwrap());

    // Registered after the executors' hook, so it runs first (last
    // registered, first run): the work is still queued when the executors
    // are shut down.
    open_gate_at_exit(gate);
    say("main: calling shutdown");
    shutdown();
    say(format!(
        "shutdown: returned, finished={}",
        finished.load(Ordering::SeqCst)
    ));
    match kept.submit(|| ()) {
        Err(ExecutorError::ShutDown) => say("submit after shutdown: ShutDown"),
        Err(other) => say(format!("submit after shutdown: {other:?}")),
        Ok(_) => say("submit after shutdown: accepted"),
    }
    let workers_alive = pythreading_core::enumerate()
        .iter()
        .filter(|thread| thread.name().starts_with("leaked_"))
        .count();
    say(format!("leaked workers alive: {workers_alive}"));
}

fn check_leaked_executors(out: &Output) -> Result<(), String> {
    ensure_gate_opened_in_time(out)?;
    in_order(
        &out.stdout,
        &[
            "main: calling shutdown",
            "atexit: opening the gate",
            "leaked 0: finished",
            "leaked 1: finished",
            "leaked 2: finished",
            "leaked 3: finished",
            "leaked 4: finished",
            "shutdown: returned, finished=9",
            "submit after shutdown: ShutDown",
            "leaked workers alive: 0",
        ],
    )?;
    let returned = line_index(&out.stdout, "shutdown: returned, finished=9")?;
    for i in 0..4 {
        let line = format!("forgotten {i}: finished");
        ensure(
            line_index(&out.stdout, &line)? < returned,
            &format!("{line:?} came after shutdown returned"),
        )?;
    }
    Ok(())
}

// --- scenario 2 ------------------------------------------------------------

fn child_guard() {
    let _main = ShutdownGuard::new();
    let gate = Arc::new(Event::new());
    let finished = Arc::new(AtomicUsize::new(0));
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("guarded")
        .build()
        .unwrap();
    submit_gated(&pool, "guarded", 3, &gate, &finished);
    std::mem::forget(pool);
    open_gate_at_exit(gate);
    say("main: end");
}

fn check_guard(out: &Output) -> Result<(), String> {
    ensure_gate_opened_in_time(out)?;
    in_order(
        &out.stdout,
        &[
            "main: end",
            "atexit: opening the gate",
            "guarded 0: finished",
            "guarded 1: finished",
            "guarded 2: finished",
        ],
    )
}
