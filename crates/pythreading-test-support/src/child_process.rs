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
//! Used by the process tests of `pythreading-core` (`process_shutdown`) and
//! `pythreading-executor` (`process_shutdown`, `cpython_test_shutdown_exit`).

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// One test of a `harness = false` binary: `child` runs in the child
/// process, `check` judges what it printed and how it exited.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// The test's name, as libtest would print it and filter on it.
    pub name: &'static str,
    /// What the child process does; it exits successfully when this returns.
    pub child: fn(),
    /// Judges the child's output; `Err` says what is wrong.
    pub check: fn(&Output) -> Result<(), String>,
}

/// The `main` of a `harness = false` test binary. With `child_var` set (to
/// a scenario's name), this process is the child: it runs that scenario's
/// `child` and exits. Otherwise it runs each scenario selected by the
/// command line in a child process, allowed `limit` to exit, and prints
/// libtest's `running N tests`, `test NAME ... ok` / `FAILED` and summary
/// lines; it fails if any scenario did.
pub fn run_scenarios(child_var: &str, limit: Duration, scenarios: &[Scenario]) -> ExitCode {
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
#[derive(Debug, Clone)]
pub struct Output {
    /// Whether it exited with a success status.
    pub success: bool,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// From its start to its exit.
    pub elapsed: Duration,
}

impl Output {
    /// How many lines of stdout are `line`, once trimmed.
    pub fn lines_equal_to(&self, line: &str) -> usize {
        self.stdout.lines().filter(|l| l.trim() == line).count()
    }
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
pub fn run_child(
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
pub fn in_order(text: &str, lines: &[&str]) -> Result<(), String> {
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
pub fn line_index(text: &str, line: &str) -> Result<usize, String> {
    text.lines()
        .position(|l| l == line)
        .ok_or_else(|| format!("missing: {line:?}"))
}

/// `Ok` if `condition` holds, else the error `why`.
pub fn ensure(condition: bool, why: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(why.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_found_in_order_only() {
        let text = "a\nb\nc\n";
        assert_eq!(in_order(text, &["a", "c"]), Ok(()));
        assert_eq!(in_order(text, &[]), Ok(()));
        assert!(in_order(text, &["c", "a"]).unwrap_err().contains("\"a\""));
        // Whole lines, not parts of them.
        assert!(in_order("ab\n", &["a"]).is_err());
        assert_eq!(line_index(text, "b"), Ok(1));
        assert!(line_index(text, "d").unwrap_err().contains("\"d\""));
        assert_eq!(ensure(true, "no"), Ok(()));
        assert_eq!(ensure(false, "no"), Err("no".to_owned()));
    }

    #[test]
    fn stdout_lines_are_counted_whole() {
        let out = Output {
            success: true,
            stdout: "apple\n  apple \napples\n".to_owned(),
            stderr: "apple\n".to_owned(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(out.lines_equal_to("apple"), 2);
        assert_eq!(out.lines_equal_to("pear"), 0);
    }
}
