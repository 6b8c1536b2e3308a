//! What an example must (and must not) print, and the check of the lines
//! it printed against that.

/// What one example must (and must not) print.
///
/// Required and ordered lines are compared by message: a log line
/// `HH:MM:SS: message` is compared without its timestamp prefix, any other
/// line as a whole. Forbidden text is looked for anywhere in every line.
#[derive(Debug)]
pub(super) struct ExampleCheck {
    /// The example's name, as in `examples/Cargo.toml`.
    pub(super) name: &'static str,
    /// Kill the example and fail if it runs longer than this.
    pub(super) timeout_secs: u64,
    /// Messages that must each appear.
    pub(super) required: &'static [&'static str],
    /// Messages that must each appear, in this order: the first of each
    /// after the first of the one before.
    pub(super) sequence: &'static [&'static str],
    /// Text that must not appear anywhere in any line (as well as
    /// [`EVERY_EXAMPLE_FORBIDS`]).
    pub(super) forbidden: &'static [&'static str],
    /// `(a, b)`: the first `a` must come before the first `b`.
    pub(super) ordered: &'static [(&'static str, &'static str)],
    /// Whether the example must exit with status 0.
    pub(super) exit_ok: bool,
}

/// Text no example may print: a panic's report, from Rust's hook
/// (`thread 'main' panicked at …`) or from pythreading's excepthook
/// (`panicked at …`).
pub(super) const EVERY_EXAMPLE_FORBIDS: &[&str] = &["panicked"];

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
pub(super) fn check_output(check: &ExampleCheck, lines: &[&str]) -> Vec<String> {
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

/// A small check, for the tests here and in `capture.rs`.
#[cfg(test)]
pub(super) const CHECK: ExampleCheck = ExampleCheck {
    name: "test",
    timeout_secs: 1,
    required: &["Main    : start", "Thread 1: done"],
    sequence: &[],
    forbidden: &["Thread 2: done"],
    ordered: &[("Main    : start", "Thread 1: done")],
    exit_ok: true,
};

#[cfg(test)]
mod tests {
    use super::*;

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
}
