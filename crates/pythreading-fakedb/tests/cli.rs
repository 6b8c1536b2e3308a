//! The `fakedb` binary, run as a user runs it: wrong arguments exit
//! non-zero with a message naming the problem, before any thread starts;
//! right ones print the tutorial's lines, the verdict, the table and,
//! with `--svg`, a diagram.

#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A run that takes longer than this is killed and fails the test: the
/// longest one here sleeps well under a second.
const DEADLINE: Duration = Duration::from_secs(120);

/// What one run of the binary gave.
#[derive(Debug)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `fakedb` with `args`, killing it after [`DEADLINE`].
fn fakedb(args: &[&str]) -> Output {
    fakedb_with(args, &[], Stdio::piped())
}

/// Runs `fakedb` with `args`, the environment variables `env` and its
/// stdout sent to `stdout`, killing it after [`DEADLINE`].
/// `PYTHREADING_LOG` is unset unless `env` sets it.
fn fakedb_with(args: &[&str], env: &[(&str, &str)], stdout: Stdio) -> Output {
    fakedb_to(args, env, stdout, Stdio::piped())
}

/// [`fakedb_with`], its stderr sent to `stderr` as well.
fn fakedb_to(args: &[&str], env: &[(&str, &str)], stdout: Stdio, stderr: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fakedb"))
        .args(args)
        .env_remove("PYTHREADING_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("fakedb starts");
    let started = Instant::now();
    while child.try_wait().expect("wait for fakedb").is_none() {
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            panic!("fakedb {args:?} still running after {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("fakedb's output");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The log lines' messages, without their `HH:MM:SS: ` prefix.
fn messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|line| split_log_line(line).map(|(_, message)| message))
        .collect()
}

/// A line in the tutorial's format, `HH:MM:SS: message`, split into its
/// time and its message; `None` for any other line.
fn split_log_line(line: &str) -> Option<(&str, &str)> {
    let (time, message) = line.split_at_checked(10)?;
    let b = time.as_bytes();
    let shape = (0..10).all(|i| match i {
        2 | 5 | 8 => b[i] == b':',
        9 => b[i] == b' ',
        _ => b[i].is_ascii_digit(),
    });
    shape.then_some((&time[..8], message))
}

/// A wrong argument: exit status 2, a message on stderr containing every
/// one of `expected`, nothing on stdout, and no demo run.
#[track_caller]
fn assert_rejected(args: &[&str], expected: &[&str]) {
    let out = fakedb(args);
    assert_eq!(out.code, Some(2), "fakedb {args:?}: {out:?}");
    for text in expected {
        assert!(
            out.stderr.contains(text),
            "fakedb {args:?}: stderr lacks {text:?}:\n{}",
            out.stderr
        );
    }
    assert!(out.stdout.is_empty(), "fakedb {args:?}: {out:?}");
    assert!(!out.stderr.contains("Testing"), "the demo ran: {out:?}");
}

#[test]
fn no_subcommand_is_rejected_with_the_usage() {
    assert_rejected(&[], &["Usage: fakedb", "race", "fixrace"]);
}

#[test]
fn unknown_subcommand_is_rejected_with_a_suggestion() {
    assert_rejected(&["raec"], &["unrecognized subcommand 'raec'", "race"]);
    assert_rejected(
        &["fix-race"],
        &["unrecognized subcommand 'fix-race'", "fixrace"],
    );
}

#[test]
fn thread_counts_out_of_range_are_rejected() {
    assert_rejected(
        &["race", "--threads", "0"],
        &["--threads <N>", "0 is not in 1..=256"],
    );
    assert_rejected(
        &["fixrace", "--threads", "257"],
        &["--threads <N>", "257 is not in 1..=256"],
    );
    assert_rejected(&["race", "-t", "-3"], &["-3"]);
    assert_rejected(
        &["race", "--threads", "two"],
        &["invalid value 'two'", "--threads <N>"],
    );
    assert_rejected(
        &["race", "--threads"],
        &["a value is required for '--threads <N>'"],
    );
}

#[test]
fn delays_out_of_range_are_rejected() {
    assert_rejected(
        &["race", "--delay", "60001"],
        &["--delay <MS>", "60001 is not in 0..=60000"],
    );
    assert_rejected(
        &["race", "--delay", "1.5"],
        &["invalid value '1.5'", "--delay <MS>"],
    );
    assert_rejected(&["fixrace", "--delay", "-1"], &["-1"]);
    assert_rejected(
        &["race", "--delay", "99999999999999999999"],
        &["invalid value", "--delay <MS>"],
    );
}

#[test]
fn unknown_options_and_stray_arguments_are_rejected() {
    assert_rejected(
        &["race", "--thread", "2"],
        &["unexpected argument '--thread'", "--threads"],
    );
    assert_rejected(&["race", "extra"], &["unexpected argument 'extra'"]);
    assert_rejected(
        &["race", "--svg"],
        &["a value is required for '--svg <FILE>'"],
    );
    assert_rejected(&["--threads", "2"], &["unexpected argument '--threads'"]);
}

#[test]
fn an_svg_path_that_cannot_be_written_fails_before_the_demo_runs() {
    let missing = std::env::temp_dir().join("fakedb-no-such-dir-7d1f/race.svg");
    let out = fakedb(&["race", "--svg", missing.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("fakedb: error: cannot write the diagram to")
            && out.stderr.contains("fakedb-no-such-dir-7d1f"),
        "{out:?}"
    );
    assert!(messages(&out.stderr).is_empty(), "the demo ran: {out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");

    // A directory is not a file either.
    let dir = std::env::temp_dir();
    let out = fakedb(&["fixrace", "--svg", dir.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("cannot write the diagram"), "{out:?}");
}

#[test]
fn help_and_version_exit_zero() {
    let out = fakedb(&["--help"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("race") && out.stdout.contains("fixrace"),
        "{out:?}"
    );
    let out = fakedb(&["race", "--help"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    for option in [
        "--threads <N>",
        "--delay <MS>",
        "--svg <FILE>",
        "--verbose",
        "--no-table",
    ] {
        assert!(out.stdout.contains(option), "{option}: {out:?}");
    }
    let out = fakedb(&["--version"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.starts_with("fakedb "), "{out:?}");
}

/// The README's first command: the tutorial's lines, one update lost.
#[test]
fn race_prints_the_tutorials_lines_the_verdict_and_the_table() {
    let out = fakedb(&["race", "--delay", "300"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let log = messages(&out.stderr);
    assert_eq!(
        log.first(),
        Some(&"Testing unlocked update. Starting value is 0.")
    );
    assert_eq!(
        log.last(),
        Some(&"Testing unlocked update. Ending value is 1.")
    );
    for line in [
        "Thread 0: starting update",
        "Thread 1: starting update",
        "Thread 0: finishing update",
        "Thread 1: finishing update",
    ] {
        assert!(log.contains(&line), "{line}: {log:?}");
    }
    assert_eq!(log.len(), 6, "{log:?}");
    assert!(
        out.stdout
            .contains("Ending value 1, expected 2: 1 update lost."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Timeline"), "{}", out.stdout);
    assert!(out.stdout.contains("local_copy = value"), "{}", out.stdout);
    assert!(out.stdout.contains("sleep(300ms)"), "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("<- overwrites Thread").count(),
        1,
        "{}",
        out.stdout
    );
}

#[test]
fn fixrace_is_exact_and_verbose_shows_the_lock() {
    let out = fakedb(&["fixrace", "--threads", "4", "--delay", "20", "--verbose"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains("Ending value 4, expected 4: no update lost."),
        "{}",
        out.stdout
    );
    let log = messages(&out.stderr);
    assert_eq!(
        log.last(),
        Some(&"Testing locked update. Ending value is 4.")
    );
    for name in 0..4 {
        for step in [
            "about to lock",
            "has lock",
            "about to release lock",
            "after release",
        ] {
            let line = format!("Thread {name} {step}");
            assert!(log.contains(&line.as_str()), "{line}: {log:?}");
        }
    }
    assert!(!out.stdout.contains("<- overwrites"), "{}", out.stdout);

    // Without --verbose, only the INFO lines.
    let out = fakedb(&["fixrace", "--delay", "20", "--no-table"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(messages(&out.stderr).len(), 6, "{out:?}");
    assert!(!out.stdout.contains("Timeline"), "{}", out.stdout);
}

#[test]
fn svg_writes_a_diagram_with_a_lane_per_thread() {
    let path: PathBuf = std::env::temp_dir().join(format!("fakedb-cli-{}.svg", std::process::id()));
    let out = fakedb(&[
        "race",
        "--threads",
        "3",
        "--delay",
        "300",
        "--svg",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("The diagram is in"), "{}", out.stdout);
    let svg = std::fs::read_to_string(&path).expect("the diagram was written");
    std::fs::remove_file(&path).ok();
    let doc = roxmltree::Document::parse(&svg).expect("the diagram is XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .count();
    assert_eq!(lanes, 3);
}

/// Every line on stderr is one of the tutorial's log lines, byte for byte:
/// the local time of day as `HH:MM:SS`, `: `, the message, `\n`. Nothing
/// else (no level, no module, no UTC timestamp) is printed.
#[test]
fn log_lines_are_the_local_time_a_colon_and_the_message() {
    let before = chrono::Local::now().format("%H:%M:%S").to_string();
    let out = fakedb(&["race", "--delay", "10", "--no-table"]);
    let after = chrono::Local::now().format("%H:%M:%S").to_string();
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines: Vec<&str> = out.stderr.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 6, "{out:?}");
    for line in lines {
        let text = line.strip_suffix('\n').expect("a whole line");
        assert!(!text.contains('\r'), "{line:?}");
        let (time, message) =
            split_log_line(text).unwrap_or_else(|| panic!("not HH:MM:SS: message: {line:?}"));
        assert!(!message.is_empty() && !message.starts_with(' '), "{line:?}");
        // Local time, not UTC: between the clock readings around the run
        // (unless the run crossed midnight).
        if before <= after {
            assert!(
                before.as_str() <= time && time <= after.as_str(),
                "{time} not within {before}..={after}"
            );
        }
    }
    assert_eq!(
        messages(&out.stderr)[0],
        "Testing unlocked update. Starting value is 0."
    );
}

/// `PYTHREADING_LOG` sets the level, as the tutorial switches
/// `logging.INFO` to `logging.DEBUG`; `--verbose` has the last word.
#[test]
fn pythreading_log_sets_the_level_and_verbose_overrides_it() {
    let args = ["fixrace", "--delay", "5", "--no-table"];
    let debug_line = |out: &Output| messages(&out.stderr).contains(&"Thread 0 has lock");

    let out = fakedb_with(&args, &[("PYTHREADING_LOG", "debug")], Stdio::piped());
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(debug_line(&out), "{out:?}");
    assert_eq!(messages(&out.stderr).len(), out.stderr.lines().count());

    // Level names in any case, as before.
    let out = fakedb_with(&args, &[("PYTHREADING_LOG", "DEBUG")], Stdio::piped());
    assert!(debug_line(&out), "{out:?}");

    let out = fakedb_with(&args, &[("PYTHREADING_LOG", "warn")], Stdio::piped());
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");

    let mut verbose = args.to_vec();
    verbose.push("--verbose");
    let out = fakedb_with(&verbose, &[("PYTHREADING_LOG", "off")], Stdio::piped());
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(debug_line(&out), "{out:?}");

    // Unset: INFO, the tutorial's level.
    let out = fakedb(&args);
    assert!(!debug_line(&out), "{out:?}");
    assert_eq!(messages(&out.stderr).len(), 6, "{out:?}");
}

/// Every kind of output the binary writes to stdout: the verdict, the
/// table, the diagram's path, clap's help and version.
#[cfg(unix)]
const STDOUT_RUNS: &[&[&str]] = &[
    &["race", "--delay", "5"],
    &["fixrace", "--delay", "5", "--no-table"],
    &["--help"],
    &["race", "--help"],
    &["--version"],
];

/// The lines of `stderr` that are not the demo's log lines.
#[cfg(unix)]
fn not_log_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| split_log_line(line).is_none())
        .collect()
}

/// A stdout pipe whose reader is closed before `fakedb` starts, as in
/// `fakedb race | head -0`: every write to it fails with EPIPE. Both ends
/// are close-on-exec, so no other test's child can keep the reader open.
#[cfg(unix)]
fn closed_pipe() -> Stdio {
    use rustix::pipe::{PipeFlags, pipe_with};
    let (reader, writer) = pipe_with(PipeFlags::CLOEXEC).expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// Linux's `/dev/full`: every write fails with ENOSPC.
#[cfg(target_os = "linux")]
fn dev_full() -> Stdio {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    Stdio::from(full)
}

/// Runs `fakedb MODE --delay 5 --svg FILE`, its stdout sent to `stdout`:
/// what it printed, and the diagram it drew (an error if none).
#[cfg(unix)]
fn run_with_svg(mode: &str, stdout: Stdio) -> (Output, std::io::Result<String>) {
    let path = std::env::temp_dir().join(format!("fakedb-cli-{mode}-{}.svg", std::process::id()));
    let args = [mode, "--delay", "5", "--svg", path.to_str().unwrap()];
    let out = fakedb_with(&args, &[], stdout);
    let svg = std::fs::read_to_string(&path);
    std::fs::remove_file(&path).ok();
    (out, svg)
}

/// A reader that went away is the end of the program, not an error: no
/// message, no panic, and the status the run would have had (0 here).
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    for args in STDOUT_RUNS {
        let out = fakedb_with(args, &[], closed_pipe());
        assert_eq!(out.code, Some(0), "fakedb {args:?}: {out:?}");
        assert!(
            not_log_lines(&out.stderr).is_empty(),
            "fakedb {args:?}: {out:?}"
        );
    }

    // The diagram is still drawn: nothing the user asked for is lost.
    let (out, svg) = run_with_svg("race", closed_pipe());
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(not_log_lines(&out.stderr).is_empty(), "{out:?}");
    assert!(svg.expect("the diagram was written").contains("<svg"));

    // Wrong arguments are still wrong: clap's message, status 2.
    let out = fakedb_with(&["race", "--threads", "0"], &[], closed_pipe());
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("0 is not in 1..=256"), "{out:?}");
}

/// Any other failure to write stdout is one line on stderr and status 1.
#[cfg(target_os = "linux")]
#[test]
fn a_stdout_that_cannot_be_written_is_one_line_and_status_1() {
    let message = "fakedb: error: cannot write to stdout: No space left on device (os error 28)";
    for args in STDOUT_RUNS {
        let out = fakedb_with(args, &[], dev_full());
        assert_eq!(out.code, Some(1), "fakedb {args:?}: {out:?}");
        assert_eq!(
            not_log_lines(&out.stderr),
            [message],
            "fakedb {args:?}: {out:?}"
        );
    }

    let (out, svg) = run_with_svg("fixrace", dev_full());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(not_log_lines(&out.stderr), [message], "{out:?}");
    assert!(svg.expect("the diagram was written").contains("<svg"));
}

/// A diagram that cannot be written is an error, but the demo ran: its
/// verdict is still printed.
#[cfg(target_os = "linux")]
#[test]
fn a_diagram_that_cannot_be_written_does_not_hide_the_verdict() {
    let out = fakedb(&["race", "--delay", "5", "--svg", "/dev/full"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        not_log_lines(&out.stderr),
        [
            "fakedb: error: cannot write the diagram to /dev/full: No space left on device (os error 28)"
        ],
        "{out:?}"
    );
    assert!(out.stdout.contains("1 update lost."), "{out:?}");
    assert!(!out.stdout.contains("The diagram is in"), "{out:?}");
}

/// With stderr unwritable too, the message is lost but the status is not,
/// and nothing panics (a panic would exit 101).
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_stderr_changes_nothing_but_the_message() {
    for args in STDOUT_RUNS {
        let out = fakedb_to(args, &[], dev_full(), dev_full());
        assert_eq!(out.code, Some(1), "fakedb {args:?}: {out:?}");
    }
    let out = fakedb_to(&["race", "--delay", "5"], &[], closed_pipe(), dev_full());
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = fakedb_to(&["race", "--threads", "0"], &[], dev_full(), dev_full());
    assert_eq!(out.code, Some(2), "{out:?}");
}

/// How long the Ctrl-C tests wait for something that should happen at
/// once: the first update to start, and the program to end once
/// interrupted. Its updates would sleep twice as long.
#[cfg(unix)]
const PATIENCE: Duration = Duration::from_secs(30);

/// Runs `fakedb MODE --threads 2 --delay 60000` plus `extra`, sends it a
/// SIGINT once an update has started (its `starting update` line is on
/// stderr), and waits for it to end: what it gave. Fails, having killed
/// it, if either takes longer than [`PATIENCE`].
#[cfg(unix)]
fn interrupted(mode: &str, extra: &[&str]) -> Output {
    use std::io::{BufRead, BufReader, Read};
    use std::sync::mpsc;

    use rustix::process::{Pid, Signal, kill_process};

    let mut child = Command::new(env!("CARGO_BIN_EXE_fakedb"))
        .args([mode, "--threads", "2", "--delay", "60000"])
        .args(extra)
        .env_remove("PYTHREADING_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fakedb starts");

    // Both pipes are drained on threads of their own, so that the child
    // never blocks on a full pipe; stderr's lines are also passed on as
    // they come.
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let stdout = thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
    let (line_sender, lines) = mpsc::channel();
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        for line in stderr.lines() {
            let line = line?;
            text.push_str(&line);
            text.push('\n');
            // The test may have stopped listening: the text is still kept.
            let _ = line_sender.send(line);
        }
        Ok::<_, std::io::Error>(text)
    });

    let started = Instant::now();
    loop {
        let left = PATIENCE.saturating_sub(started.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains("starting update") => break,
            Ok(_) => {}
            Err(_) => {
                child.kill().ok();
                panic!("fakedb {mode}: no update started within {PATIENCE:?}");
            }
        }
    }

    kill_process(Pid::from_child(&child), Signal::INT).expect("SIGINT sent");
    let interrupted = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for fakedb") {
            break status;
        }
        if interrupted.elapsed() > PATIENCE {
            child.kill().ok();
            child.wait().ok();
            panic!("fakedb {mode}: still running {PATIENCE:?} after Ctrl-C");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.code(),
        stdout: stdout.join().unwrap().expect("stdout is read"),
        stderr: stderr.join().unwrap().expect("stderr is read"),
    }
}

/// Checks what every interrupted two-thread run gives: status 130, each
/// update interrupted in its sleep and logged so, the verdict of what ran
/// and the Ctrl-C line on stdout, and nothing else on stderr (no panic,
/// no error).
#[cfg(unix)]
#[track_caller]
fn assert_interrupted(out: &Output, adjective: &str) {
    assert_eq!(out.code, Some(130), "{out:?}");
    let log = messages(&out.stderr);
    assert_eq!(
        log.first(),
        Some(&format!("Testing {adjective} update. Starting value is 0.").as_str()),
        "{out:?}"
    );
    for line in [
        "Thread 0: update interrupted",
        "Thread 1: update interrupted",
    ] {
        assert!(log.contains(&line), "{line}: {out:?}");
    }
    assert!(
        !log.iter().any(|line| line.contains("finishing update")),
        "{out:?}"
    );
    assert_eq!(
        log.last(),
        Some(&format!("Testing {adjective} update. Ending value is 0.").as_str()),
        "{out:?}"
    );
    assert!(not_log_lines(&out.stderr).is_empty(), "{out:?}");
    assert!(!out.stderr.contains("panicked"), "{out:?}");

    for text in [
        "Ending value 0, expected 0: no update lost.",
        "Interrupted by Ctrl-C: 2 of 2 updates did not finish.",
        "Timeline",
        "sleep(60s)",
    ] {
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
    assert_eq!(
        out.stdout.matches("  interrupted").count(),
        2,
        "a table row per interrupted update: {}",
        out.stdout
    );
    assert!(!out.stdout.contains("value = local_copy"), "{}", out.stdout);
}

/// Ctrl-C during the race's minute-long sleeps: both updates stop at
/// once, and `fakedb` prints and draws what it had, and exits with 130.
#[cfg(unix)]
#[test]
fn ctrl_c_interrupts_the_race_and_prints_what_ran() {
    let path = std::env::temp_dir().join(format!("fakedb-cli-sigint-{}.svg", std::process::id()));
    let out = interrupted("race", &["--svg", path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&path);
    std::fs::remove_file(&path).ok();
    assert_interrupted(&out, "unlocked");
    assert!(
        !out.stdout.contains("the threads did not overlap"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("The diagram is in"), "{}", out.stdout);
    let svg = svg.expect("the diagram was written");
    assert_eq!(svg.matches(r#"data-step="Interrupted""#).count(), 2);
}

/// Ctrl-C while one locked update sleeps and the other waits for the
/// Lock: the sleeper stops and lets go of the Lock, the other takes it
/// and stops at its own sleep.
#[cfg(unix)]
#[test]
fn ctrl_c_interrupts_the_locked_updates_too() {
    let out = interrupted("fixrace", &[]);
    assert_interrupted(&out, "locked");
    // No update got to its write: there is nothing to explain.
    assert!(
        !out.stdout.contains("Each thread held the Lock"),
        "{}",
        out.stdout
    );
    // The first one let go of the Lock as it stopped: the other got it.
    assert_eq!(
        out.stdout.matches("  has lock").count(),
        2,
        "{}",
        out.stdout
    );
}
