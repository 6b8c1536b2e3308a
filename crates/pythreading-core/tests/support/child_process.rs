//! Running a test binary again as a child process, for tests that only a
//! real process exit can show (shutdown joins, atexit hooks, panic reports
//! on stderr).
//!
//! [`run_scenarios`] is the `main` of a `harness = false` test binary: in
//! the parent it runs each scenario's `child` in a child process (this very
//! binary, with an environment variable naming the scenario), checks the
//! child's [`Output`] with the scenario's `check`, and reports like libtest
//! (extra arguments filter the scenarios by name). [`run_child`] is the
//! part that starts the child, reads its stdout and stderr, and kills it
//! after a time limit; a libtest binary can use it on its own.
//!
//! Included by path (`#[path = …] mod child_process;`) from the process
//! tests of `pythreading-core` and `pythreading-executor`; it lives in a
//! subdirectory of `tests/`, so Cargo does not build it as a test target of
//! its own.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// One test of a `harness = false` binary: `child` runs in the child
/// process, `check` judges what it printed and how it exited.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) child: fn(),
    pub(crate) check: fn(&Output) -> Result<(), String>,
}

/// The `main` of a `harness = false` test binary. With `child_var` set (to
/// a scenario's name), this process is the child: it runs that scenario's
/// `child` and exits. Otherwise it runs each scenario selected by the
/// command line in a child process, allowed `limit` to exit, and prints
/// libtest's `running N tests`, `test NAME ... ok` / `FAILED` and summary
/// lines; it fails if any scenario did.
pub(crate) fn run_scenarios(child_var: &str, limit: Duration, scenarios: &[Scenario]) -> ExitCode {
    if let Ok(mode) = std::env::var(child_var) {
        let scenario = scenarios
            .iter()
            .find(|s| s.name == mode)
            .expect("known scenario");
        (scenario.child)();
        return ExitCode::SUCCESS;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected: Vec<&Scenario> = scenarios
        .iter()
        .filter(|s| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for scenario in &selected {
        let outcome = run_child(child_var, scenario.name, &[], limit).and_then(|out| {
            (scenario.check)(&out).map_err(|e| format!("{e}\n--- child output ---\n{out}"))
        });
        match outcome {
            Ok(()) => println!("test {} ... ok", scenario.name),
            Err(why) => {
                println!("test {} ... FAILED", scenario.name);
                failed.push((scenario.name, why));
            }
        }
    }
    for (name, why) in &failed {
        println!("\n---- {name} ----\n{why}");
    }
    let result = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
        selected.len() - failed.len(),
        failed.len(),
        scenarios.len() - selected.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// How a child process ended and what it printed.
pub(crate) struct Output {
    pub(crate) success: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit ok: {}, {:.1} s\nstdout:\n{}\nstderr:\n{}",
            self.success,
            self.elapsed.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

/// Runs this test binary again with `args`, `child_var` set to `name` and
/// `RUST_BACKTRACE=0`, and returns its exit status and output. Both pipes
/// are read while the child runs, so that it never blocks on a full one.
/// A child still running after `limit` is killed, and that is an error
/// (with what it had printed).
pub(crate) fn run_child(
    child_var: &str,
    name: &str,
    args: &[&str],
    limit: Duration,
) -> Result<Output, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .env(child_var, name)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the child: {e}"))?;
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the child did not exit within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            ));
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        success: status.success(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    })
}

/// Reads `pipe` to its end on a thread of its own.
fn read_all(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// `lines` occur in `text`, each after the previous one.
pub(crate) fn in_order(text: &str, lines: &[&str]) -> Result<(), String> {
    let all: Vec<&str> = text.lines().collect();
    let mut from = 0;
    for line in lines {
        match all[from..].iter().position(|l| l == line) {
            Some(i) => from += i + 1,
            None => return Err(format!("missing or out of order: {line:?}")),
        }
    }
    Ok(())
}

/// The line index of `line` in `text`.
pub(crate) fn line_index(text: &str, line: &str) -> Result<usize, String> {
    text.lines()
        .position(|l| l == line)
        .ok_or_else(|| format!("missing: {line:?}"))
}

/// `Ok` if `condition` holds, else the error `why`.
pub(crate) fn ensure(condition: bool, why: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(why.to_owned())
    }
}
