//! The `examples` step: run each example binary with a time limit and check
//! what it printed (stdout and stderr together) against the table `EXAMPLES`.
//!
//! To check a new example, add one `ExampleCheck` entry to `EXAMPLES`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What one example must (and must not) print.
///
/// Required and ordered lines are compared by message: a log line
/// `HH:MM:SS: message` is compared without its timestamp prefix, any other
/// line as a whole. Forbidden text is looked for anywhere in every line.
#[derive(Debug)]
struct ExampleCheck {
    /// The example's name, as in `examples/Cargo.toml`.
    name: &'static str,
    /// Kill the example and fail if it runs longer than this.
    timeout_secs: u64,
    /// Messages that must each appear.
    required: &'static [&'static str],
    /// Messages that must each appear, in this order: the first of each
    /// after the first of the one before.
    sequence: &'static [&'static str],
    /// Text that must not appear anywhere in any line (as well as
    /// [`EVERY_EXAMPLE_FORBIDS`]).
    forbidden: &'static [&'static str],
    /// `(a, b)`: the first `a` must come before the first `b`.
    ordered: &'static [(&'static str, &'static str)],
    /// Whether the example must exit with status 0.
    exit_ok: bool,
}

/// Text no example may print: a panic's report, from Rust's hook
/// (`thread 'main' panicked at …`) or from pythreading's excepthook
/// (`panicked at …`).
const EVERY_EXAMPLE_FORBIDS: &[&str] = &["panicked"];

/// Every checked example.
const EXAMPLES: &[ExampleCheck] = &[
    // The three thread programs print the tutorial's lines in the
    // tutorial's order. Each main thread waits for its worker to log
    // "starting" (an Event) and `join` orders "finishing" before "done";
    // the rest rests on the workers' two-second sleep.
    ExampleCheck {
        name: "single_thread",
        timeout_secs: 30,
        required: &[],
        sequence: &[
            "Main    : before creating thread",
            "Main    : before running thread",
            "Thread 1: starting",
            "Main    : wait for the thread to finish",
            "Main    : all done",
            "Thread 1: finishing",
        ],
        forbidden: &[],
        ordered: &[],
        exit_ok: true,
    },
    ExampleCheck {
        name: "daemon_thread",
        timeout_secs: 30,
        required: &[],
        sequence: &[
            "Main    : before creating thread",
            "Main    : before running thread",
            "Thread 1: starting",
            "Main    : wait for the thread to finish",
            "Main    : all done",
        ],
        forbidden: &["Thread 1: finishing"],
        ordered: &[],
        exit_ok: true,
    },
    // Only the order of the three "finishing" lines is left to chance.
    ExampleCheck {
        name: "multiple_threads",
        timeout_secs: 30,
        required: &[],
        sequence: &[
            "Main    : create and start thread 0.",
            "Thread 0: starting",
            "Main    : create and start thread 1.",
            "Thread 1: starting",
            "Main    : create and start thread 2.",
            "Thread 2: starting",
            "Main    : before joining thread 0.",
            "Main    : thread 0 done",
            "Main    : before joining thread 1.",
            "Main    : thread 1 done",
            "Main    : before joining thread 2.",
            "Main    : thread 2 done",
        ],
        forbidden: &[],
        ordered: &[
            ("Main    : before joining thread 0.", "Thread 0: finishing"),
            ("Main    : before joining thread 0.", "Thread 1: finishing"),
            ("Main    : before joining thread 0.", "Thread 2: finishing"),
            ("Thread 0: finishing", "Main    : thread 0 done"),
            ("Thread 1: finishing", "Main    : thread 1 done"),
            ("Thread 2: finishing", "Main    : thread 2 done"),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "executor",
        timeout_secs: 30,
        required: &[
            "Thread 0: starting",
            "Thread 1: starting",
            "Thread 2: starting",
            "Thread 0: finishing",
            "Thread 1: finishing",
            "Thread 2: finishing",
        ],
        sequence: &[],
        forbidden: &[],
        // Three workers: every task starts before any of them finishes.
        ordered: &[
            ("Thread 0: starting", "Thread 0: finishing"),
            ("Thread 1: starting", "Thread 0: finishing"),
            ("Thread 2: starting", "Thread 0: finishing"),
            ("Thread 0: starting", "Thread 1: finishing"),
            ("Thread 1: starting", "Thread 1: finishing"),
            ("Thread 2: starting", "Thread 1: finishing"),
            ("Thread 0: starting", "Thread 2: finishing"),
            ("Thread 1: starting", "Thread 2: finishing"),
            ("Thread 2: starting", "Thread 2: finishing"),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "racecond",
        timeout_secs: 30,
        required: &[
            "Testing unlocked update. Starting value is 0.",
            "Thread 0: starting update",
            "Thread 1: starting update",
            "Thread 0: finishing update",
            "Thread 1: finishing update",
            "Testing unlocked update. Ending value is 1.",
        ],
        sequence: &[],
        forbidden: &["Ending value is 2."],
        // Both read before either writes: that is the lost update.
        ordered: &[
            ("Thread 1: starting update", "Thread 0: finishing update"),
            (
                "Thread 0: finishing update",
                "Testing unlocked update. Ending value is 1.",
            ),
            (
                "Thread 1: finishing update",
                "Testing unlocked update. Ending value is 1.",
            ),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "fixrace",
        timeout_secs: 30,
        required: &[
            "Testing locked update. Starting value is 0.",
            "Thread 0: starting update",
            "Thread 1: starting update",
            "Thread 0: finishing update",
            "Thread 1: finishing update",
            "Testing locked update. Ending value is 2.",
        ],
        sequence: &[],
        // "about to lock" is the lock's DEBUG line: off at the default level.
        forbidden: &["Ending value is 1.", "about to lock"],
        ordered: &[
            (
                "Thread 0: finishing update",
                "Testing locked update. Ending value is 2.",
            ),
            (
                "Thread 1: finishing update",
                "Testing locked update. Ending value is 2.",
            ),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "deadlock_detect",
        timeout_secs: 60,
        required: &[
            "Thread-1: acquired db",
            "Thread-2: acquired cache",
            "Thread-1: waiting for cache",
            "Thread-2: waiting for db",
            "deadlock: Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db",
            "watchdog: Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db",
            "lock order: Thread-1 took db then cache; Thread-2 took cache then db",
            "Main    : the deadlocked threads are daemon threads; exiting",
        ],
        sequence: &[],
        forbidden: &[
            "Thread-1: acquired both (not a deadlock after all)",
            "Thread-2: acquired both (not a deadlock after all)",
        ],
        ordered: &[(
            "watchdog: Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db",
            "Main    : the deadlocked threads are daemon threads; exiting",
        )],
        exit_ok: true,
    },
    ExampleCheck {
        name: "deadlock",
        timeout_secs: 30,
        required: &[
            "with a Lock:",
            "before first acquire",
            "before second acquire",
            "second acquire timed out after 1s: a Lock is not re-entrant, this is a deadlock",
            "with an RLock:",
            "acquired lock twice",
            "released twice: the RLock is free again",
        ],
        sequence: &[],
        forbidden: &[],
        // "acquired lock twice" is the RLock's line: its first appearance
        // must come after the RLock header, so the Lock never printed it.
        ordered: &[
            ("with a Lock:", "before first acquire"),
            (
                "before second acquire",
                "second acquire timed out after 1s: a Lock is not re-entrant, this is a deadlock",
            ),
            (
                "second acquire timed out after 1s: a Lock is not re-entrant, this is a deadlock",
                "with an RLock:",
            ),
            ("with an RLock:", "acquired lock twice"),
            (
                "acquired lock twice",
                "released twice: the RLock is free again",
            ),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "semaphore",
        timeout_secs: 30,
        required: &[
            "Main    : pool of 3 connections, 8 workers",
            "worker-1: got a connection",
            "worker-1: released",
            "worker-2: got a connection",
            "worker-2: released",
            "worker-3: got a connection",
            "worker-3: released",
            "worker-4: got a connection",
            "worker-4: released",
            "worker-5: got a connection",
            "worker-5: released",
            "worker-6: got a connection",
            "worker-6: released",
            "worker-7: got a connection",
            "worker-7: released",
            "worker-8: got a connection",
            "worker-8: released",
            "Main    : all workers done",
            "peak connections in use: 3 (pool size 3)",
        ],
        sequence: &[],
        forbidden: &[],
        ordered: &[
            ("worker-1: got a connection", "worker-1: released"),
            ("worker-8: got a connection", "worker-8: released"),
            ("worker-8: released", "Main    : all workers done"),
            (
                "Main    : all workers done",
                "peak connections in use: 3 (pool size 3)",
            ),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "barrier",
        timeout_secs: 30,
        required: &[
            "Main    : starting 3 workers",
            "worker-0: initialising",
            "worker-1: initialising",
            "worker-2: initialising",
            "worker-0: ready",
            "worker-1: ready",
            "worker-2: ready",
            "Barrier : all 3 workers ready",
            "worker-0: working",
            "worker-1: working",
            "worker-2: working",
            "worker-0: finished",
            "worker-1: finished",
            "worker-2: finished",
            "Main    : all workers done",
        ],
        sequence: &[],
        forbidden: &[],
        // Every "ready" before the action, the action before every
        // "working": so every "ready" comes before any "working".
        ordered: &[
            ("worker-0: ready", "Barrier : all 3 workers ready"),
            ("worker-1: ready", "Barrier : all 3 workers ready"),
            ("worker-2: ready", "Barrier : all 3 workers ready"),
            ("Barrier : all 3 workers ready", "worker-0: working"),
            ("Barrier : all 3 workers ready", "worker-1: working"),
            ("Barrier : all 3 workers ready", "worker-2: working"),
            ("worker-0: finished", "Main    : all workers done"),
            ("worker-1: finished", "Main    : all workers done"),
            ("worker-2: finished", "Main    : all workers done"),
        ],
        exit_ok: true,
    },
    ExampleCheck {
        name: "timer",
        timeout_secs: 30,
        required: &[
            "Main    : round 1: waiting for the user, prompt in 2.0 s",
            "User    : round 1: presses Enter after 0.5 s",
            "Main    : round 1: the user acted in time, the prompt is cancelled",
            "Main    : round 2: waiting for the user, prompt in 1.0 s",
            "Timer   : round 2: still there? Press Enter to continue",
            "User    : round 2: sees the prompt, presses Enter",
            "Main    : round 2: the user was late, the prompt was shown",
            "Main    : all done",
        ],
        sequence: &[],
        forbidden: &[
            "Timer   : round 1: still there? Press Enter to continue",
            "Main    : round 1: too late, the prompt was already shown",
            "Main    : round 2: the prompt never came",
        ],
        ordered: &[
            (
                "User    : round 1: presses Enter after 0.5 s",
                "Main    : round 1: the user acted in time, the prompt is cancelled",
            ),
            (
                "Main    : round 1: the user acted in time, the prompt is cancelled",
                "Main    : round 2: waiting for the user, prompt in 1.0 s",
            ),
            (
                "Main    : round 2: waiting for the user, prompt in 1.0 s",
                "Timer   : round 2: still there? Press Enter to continue",
            ),
            (
                "Timer   : round 2: still there? Press Enter to continue",
                "User    : round 2: sees the prompt, presses Enter",
            ),
            (
                "User    : round 2: sees the prompt, presses Enter",
                "Main    : round 2: the user was late, the prompt was shown",
            ),
            (
                "Main    : round 2: the user was late, the prompt was shown",
                "Main    : all done",
            ),
        ],
        exit_ok: true,
    },
    // The messages are random, so only the fixed lines are checked; the
    // example itself compares what was sent with what was stored.
    ExampleCheck {
        name: "prodcon_lock",
        timeout_secs: 30,
        required: &[
            "Producer sent the sentinel. Exiting",
            "Consumer received the sentinel. Exiting",
            "Main: produced 10, consumed 10",
            "Main: every message produced was consumed, in order",
        ],
        sequence: &[],
        forbidden: &["Main: LOST MESSAGES"],
        ordered: &[
            (
                "Producer sent the sentinel. Exiting",
                "Main: produced 10, consumed 10",
            ),
            (
                "Consumer received the sentinel. Exiting",
                "Main: produced 10, consumed 10",
            ),
            (
                "Main: produced 10, consumed 10",
                "Main: every message produced was consumed, in order",
            ),
        ],
        exit_ok: true,
    },
    // How many messages get through depends on timing: the counts line
    // varies, the verdict line does not.
    ExampleCheck {
        name: "prodcon_queue",
        timeout_secs: 30,
        required: &[
            "Main: about to set event",
            "Producer received event. Exiting",
            "Consumer received shutdown. Exiting",
            "Main: every message produced was consumed, in order",
        ],
        sequence: &[],
        forbidden: &["Main: LOST MESSAGES"],
        // The producer stops only after the event, the queue is shut down
        // only after the producer stopped, and the verdict comes last.
        ordered: &[
            (
                "Main: about to set event",
                "Producer received event. Exiting",
            ),
            (
                "Producer received event. Exiting",
                "Consumer received shutdown. Exiting",
            ),
            (
                "Consumer received shutdown. Exiting",
                "Main: every message produced was consumed, in order",
            ),
        ],
        exit_ok: true,
    },
];

/// How often to look whether a running example has exited.
const POLL: Duration = Duration::from_millis(20);

/// The names of all checked examples, in table order.
pub(crate) fn names() -> Vec<&'static str> {
    EXAMPLES.iter().map(|e| e.name).collect()
}

/// Runs every example of the table (or only those named in `only`) from
/// `bin_dir` and checks it; reports all failing examples, not just the first.
pub(crate) fn run(root: &Path, bin_dir: &Path, only: &[String]) -> Result<(), String> {
    let mut failed = Vec::new();
    for check in EXAMPLES {
        if !only.is_empty() && !only.iter().any(|n| n == check.name) {
            continue;
        }
        let bin = bin_dir.join(format!("{}{}", check.name, std::env::consts::EXE_SUFFIX));
        println!("$ {}", bin.strip_prefix(root).unwrap_or(&bin).display());
        let start = Instant::now();
        let (problems, output) = run_one(root, &bin, check);
        let secs = start.elapsed().as_secs_f64();
        if problems.is_empty() {
            println!("example {} ok ({secs:.1} s)", check.name);
            continue;
        }
        println!("example {} FAILED ({secs:.1} s)", check.name);
        for problem in &problems {
            println!("  - {problem}");
        }
        println!(
            "  output of {} (stdout and stderr, in arrival order):",
            check.name
        );
        for line in &output {
            println!("  {} | {}", line.stream, line.text);
        }
        if output.is_empty() {
            println!("  (nothing)");
        }
        failed.push(check.name);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failing examples: {}", failed.join(", ")))
    }
}

/// One line an example printed.
#[derive(Debug)]
struct Line {
    /// When we read it, to merge stdout and stderr in arrival order.
    at: Instant,
    /// `stdout` or `stderr`.
    stream: &'static str,
    /// The line, without its line ending.
    text: String,
}

/// Runs one example binary and returns the problems found and its output.
fn run_one(root: &Path, bin: &Path, check: &ExampleCheck) -> (Vec<String>, Vec<Line>) {
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

/// The message of a line: without the `HH:MM:SS: ` prefix of a log line, or
/// the whole line when it has no such prefix.
fn message(line: &str) -> &str {
    let b = line.as_bytes();
    let is_log = b.len() >= 10
        && (0..8).all(|i| {
            if i == 2 || i == 5 {
                b[i] == b':'
            } else {
                b[i].is_ascii_digit()
            }
        })
        && &b[8..10] == b": ";
    // The prefix is ASCII, so byte 10 is a character boundary.
    if is_log { &line[10..] } else { line }
}

/// Checks the output lines of an example against its `required`,
/// `sequence`, `forbidden` and `ordered` lists (and
/// [`EVERY_EXAMPLE_FORBIDS`]); returns one message per failed check.
fn check_output(check: &ExampleCheck, lines: &[&str]) -> Vec<String> {
    let messages: Vec<&str> = lines.iter().map(|l| message(l)).collect();
    let first = |wanted: &str| messages.iter().position(|m| *m == wanted);
    let mut problems = Vec::new();
    for wanted in check.required.iter().chain(check.sequence) {
        if first(wanted).is_none() {
            problems.push(format!("required line missing: `{wanted}`"));
        }
    }
    for pair in check.sequence.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if let (Some(i), Some(j)) = (first(a), first(b))
            && i >= j
        {
            problems.push(format!(
                "out of sequence: `{b}` (output line {}) must come after `{a}` (output line {})",
                j + 1,
                i + 1
            ));
        }
    }
    for unwanted in check.forbidden.iter().chain(EVERY_EXAMPLE_FORBIDS) {
        if let Some(i) = lines.iter().position(|line| line.contains(unwanted)) {
            problems.push(format!(
                "forbidden text `{unwanted}` printed (output line {}): `{}`",
                i + 1,
                lines[i]
            ));
        }
    }
    for (a, b) in check.ordered {
        match (first(a), first(b)) {
            (Some(i), Some(j)) if i < j => {}
            (Some(i), Some(j)) => problems.push(format!(
                "wrong order: `{a}` (output line {}) must come before `{b}` (output line {})",
                i + 1,
                j + 1
            )),
            _ => problems.push(format!("cannot check order of `{a}` before `{b}`: missing")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small check used by the tests below.
    const CHECK: ExampleCheck = ExampleCheck {
        name: "test",
        timeout_secs: 1,
        required: &["Main    : start", "Thread 1: done"],
        sequence: &[],
        forbidden: &["Thread 2: done"],
        ordered: &[("Main    : start", "Thread 1: done")],
        exit_ok: true,
    };

    #[test]
    fn message_strips_the_timestamp() {
        assert_eq!(
            message("12:34:56: Main    : all done"),
            "Main    : all done"
        );
        assert_eq!(message("Main    : all done"), "Main    : all done");
        assert_eq!(message("12:34:56: "), "");
        // Not a timestamp: kept whole.
        assert_eq!(message("12-34-56: x"), "12-34-56: x");
        assert_eq!(message("1a:34:56: x"), "1a:34:56: x");
        assert_eq!(message("12:34:56 x"), "12:34:56 x");
        assert_eq!(message("12:34:5"), "12:34:5");
        assert_eq!(message("é2:34:56: x"), "é2:34:56: x");
    }

    #[test]
    fn passing_output() {
        let out = [
            "10:00:00: Main    : start",
            "hello from stdout",
            "10:00:01: Thread 1: done",
        ];
        assert_eq!(check_output(&CHECK, &out), Vec::<String>::new());
        // Lines without a timestamp count too.
        assert!(check_output(&CHECK, &["Main    : start", "Thread 1: done"]).is_empty());
    }

    #[test]
    fn missing_line() {
        let problems = check_output(&CHECK, &["10:00:00: Main    : start"]);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("required line missing: `Thread 1: done`"))
        );
    }

    #[test]
    fn whole_message_must_match() {
        let out = ["10:00:00: Main    : start now", "10:00:01: Thread 1: done"];
        let problems = check_output(&CHECK, &out);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("missing: `Main    : start`"))
        );
    }

    #[test]
    fn forbidden_line() {
        let out = [
            "10:00:00: Main    : start",
            "10:00:01: Thread 1: done",
            "10:00:02: Thread 2: done",
        ];
        let problems = check_output(&CHECK, &out);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("forbidden text `Thread 2: done` printed (output line 3)"));
    }

    /// A sequence passes in its order, with other lines between, and fails
    /// with a line missing or two lines swapped.
    #[test]
    fn sequence_must_come_in_order() {
        let check = ExampleCheck {
            sequence: &["Main    : one", "Main    : two", "Main    : three"],
            ..CHECK
        };
        let mut out = vec![
            "10:00:00: Main    : start",
            "10:00:00: Main    : one",
            "10:00:00: Thread 1: done",
            "10:00:01: Main    : two",
            "10:00:02: Main    : three",
        ];
        assert_eq!(check_output(&check, &out), Vec::<String>::new());

        out.swap(1, 3);
        let problems = check_output(&check, &out);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains(
                "out of sequence: `Main    : two` (output line 2) must come after `Main    : one` (output line 4)"
            ),
            "{problems:?}"
        );

        out.remove(1);
        let problems = check_output(&check, &out);
        assert_eq!(problems, ["required line missing: `Main    : two`"]);
    }

    /// Forbidden text is a fragment: found inside a longer line, with or
    /// without a timestamp, it fails the check.
    #[test]
    fn forbidden_fragment_anywhere_in_a_line() {
        let check = ExampleCheck {
            forbidden: &["about to lock", "Ending value is 2."],
            ..CHECK
        };
        let passing = ["10:00:00: Main    : start", "10:00:01: Thread 1: done"];
        assert!(check_output(&check, &passing).is_empty());
        let out = [
            "10:00:00: Main    : start",
            "10:00:00: Thread 0 about to lock",
            "10:00:01: Thread 1: done",
            "10:00:02: Testing unlocked update. Ending value is 2.",
        ];
        let problems = check_output(&check, &out);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`about to lock` printed (output line 2)"));
        assert!(problems[1].contains("`Ending value is 2.` printed (output line 4)"));
    }

    /// A panic fails every example, whichever hook reported it.
    #[test]
    fn a_panic_fails_every_example() {
        for report in [
            "thread 'main' panicked at examples/x.rs:1:2:",
            "panicked at examples/x.rs:1:2:",
        ] {
            let out = [
                "10:00:00: Main    : start",
                report,
                "10:00:01: Thread 1: done",
            ];
            let problems = check_output(&CHECK, &out);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("`panicked` printed (output line 2)"));
        }
    }

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

    #[test]
    fn wrong_order() {
        let out = [
            "10:00:00: Thread 1: done",
            "10:00:01: Main    : start",
            "10:00:02: Thread 1: done",
        ];
        let problems = check_output(&CHECK, &out);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("wrong order"));
    }

    #[test]
    fn table_is_sane() {
        let names = names();
        for (i, check) in EXAMPLES.iter().enumerate() {
            assert!(
                !names[..i].contains(&check.name),
                "duplicate example `{}`",
                check.name
            );
            assert!(check.timeout_secs > 0);
            for (i, line) in check.sequence.iter().enumerate() {
                assert!(
                    !check.sequence[..i].contains(line),
                    "`{}`: `{line}` twice in its sequence",
                    check.name
                );
            }
            // A line that must appear cannot hold text that must not.
            let wanted = check
                .required
                .iter()
                .chain(check.sequence)
                .chain(check.ordered.iter().flat_map(|(a, b)| [a, b]));
            for line in wanted {
                for unwanted in check.forbidden.iter().chain(EVERY_EXAMPLE_FORBIDS) {
                    assert!(!unwanted.is_empty(), "an empty forbidden text");
                    assert!(
                        !line.contains(unwanted),
                        "`{}`: `{line}` is wanted but holds forbidden `{unwanted}`",
                        check.name
                    );
                }
            }
        }
    }

    /// Every example the examples package declares is checked, and every
    /// check names a declared example: a new example cannot skip CI.
    #[test]
    fn every_declared_example_is_checked() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/Cargo.toml");
        let text = std::fs::read_to_string(&manifest).expect("examples/Cargo.toml");
        let mut declared = Vec::new();
        let mut in_example = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_example = line == "[[example]]";
            } else if in_example && let Some(value) = line.strip_prefix("name") {
                let name = value
                    .trim_start()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"');
                declared.push(name.to_owned());
            }
        }
        assert!(
            !declared.is_empty(),
            "no [[example]] found in {}",
            manifest.display()
        );
        let mut checked: Vec<String> = names().into_iter().map(str::to_owned).collect();
        declared.sort();
        checked.sort();
        assert_eq!(
            declared, checked,
            "examples/Cargo.toml and the EXAMPLES table differ"
        );
    }
}
