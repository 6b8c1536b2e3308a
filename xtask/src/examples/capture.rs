//! Running one example binary with a time limit, reading its stdout and
//! stderr as they come, and checking what it printed.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::check::{ExampleCheck, check_output};

/// How often to look whether a running example has exited.
const POLL: Duration = Duration::from_millis(20);

/// One line an example printed.
#[derive(Debug)]
pub(super) struct Line {
    /// When we read it, to merge stdout and stderr in arrival order.
    pub(super) at: Instant,
    /// `stdout` or `stderr`.
    pub(super) stream: &'static str,
    /// The line, without its line ending.
    pub(super) text: String,
}

/// Runs one example binary and returns the problems found and its output.
pub(super) fn run_one(root: &Path, bin: &Path, check: &ExampleCheck) -> (Vec<String>, Vec<Line>) {
    if !bin.is_file() {
        let problem = format!(
            "no binary at {} (is the example in examples/Cargo.toml?)",
            bin.display()
        );
        return (vec![problem], Vec::new());
    }
    run_command(example_command(root, bin), check)
}

/// How an example is started: in the workspace root, with no input, and
/// at the log level it has by default, whatever the caller's environment
/// says (a `PYTHREADING_LOG=debug` left set would print DEBUG lines that
/// the checks forbid).
fn example_command(root: &Path, bin: &Path) -> Command {
    let mut command = Command::new(bin);
    command.current_dir(root).env_remove("PYTHREADING_LOG");
    command
}

/// Runs `command` and returns the problems found and its output.
fn run_command(mut command: Command, check: &ExampleCheck) -> (Vec<String>, Vec<Line>) {
    let mut child = match command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            let program = command.get_program().to_string_lossy().into_owned();
            return (vec![format!("could not start {program}: {e}")], Vec::new());
        }
    };
    let stdout = child.stdout.take().map(|s| read_lines(s, "stdout"));
    let stderr = child.stderr.take().map(|s| read_lines(s, "stderr"));

    let mut problems = Vec::new();
    let timeout = Duration::from_secs(check.timeout_secs);
    let start = Instant::now();
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                problems.push(format!(
                    "timed out after {} s and was killed",
                    check.timeout_secs
                ));
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(POLL),
            Err(e) => {
                problems.push(format!("could not wait for it: {e}"));
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };

    let mut output: Vec<Line> = [stdout, stderr]
        .into_iter()
        .flatten()
        .flat_map(|reader| reader.join().unwrap_or_default())
        .collect();
    // A stable sort keeps each stream's own order.
    output.sort_by_key(|line| line.at);

    if let Some(status) = status
        && check.exit_ok
        && !status.success()
    {
        problems.push(format!("exited unsuccessfully ({status})"));
    }
    let texts: Vec<&str> = output.iter().map(|l| l.text.as_str()).collect();
    problems.extend(check_output(check, &texts));
    (problems, output)
}

/// Reads `stream` line by line on its own thread, stamping each line.
fn read_lines<R: Read + Send + 'static>(stream: R, name: &'static str) -> JoinHandle<Vec<Line>> {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buf);
                    let text = text.trim_end_matches(['\n', '\r']).to_owned();
                    lines.push(Line {
                        at: Instant::now(),
                        stream: name,
                        text,
                    });
                }
            }
        }
        lines
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples::check::CHECK;

    /// A whole run: a process that prints every required line but also a
    /// forbidden fragment on stderr fails, though it exits with status 0.
    #[cfg(unix)]
    #[test]
    fn a_forbidden_fragment_fails_a_run() {
        let script = "echo '10:00:00: Main    : start'; \
                      echo \"thread 'main' panicked at src/main.rs:1:1:\" >&2; \
                      echo '10:00:01: Thread 1: done'";
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        let (problems, output) = run_command(command, &CHECK);
        assert_eq!(output.len(), 3, "{output:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`panicked` printed"), "{problems:?}");

        let mut command = Command::new("sh");
        command.args(["-c", "echo 'Main    : start'; echo 'Thread 1: done'"]);
        let (problems, _) = run_command(command, &CHECK);
        assert!(problems.is_empty(), "{problems:?}");
    }

    /// The examples run at their default log level, whatever the caller's
    /// environment says.
    #[test]
    fn examples_run_without_the_callers_log_level() {
        let command = example_command(Path::new("."), Path::new("example"));
        let removed = command
            .get_envs()
            .any(|(name, value)| name == "PYTHREADING_LOG" && value.is_none());
        assert!(removed, "PYTHREADING_LOG is passed on to the examples");
    }
}
