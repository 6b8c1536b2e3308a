//! The table of checked examples: for each one, what it must print, in
//! which order, and what it must not.
//!
//! To check a new example, add one `ExampleCheck` entry to `EXAMPLES`.

use super::check::ExampleCheck;

/// Every checked example.
pub(super) const EXAMPLES: &[ExampleCheck] = &[
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
    // Which downloads stop first is chance; that all four stop, the
    // failure is named and the group ends early is not.
    ExampleCheck {
        name: "cancel_group",
        timeout_secs: 30,
        required: &[
            "Download 0: stopped",
            "Download 1: stopped",
            "Download 2: the server hung up",
            "Download 3: stopped",
            "Download 4: stopped",
            "Main: download 2 failed: the server hung up",
            "Main: 4 downloads stopped, 0 finished, 0 never started",
        ],
        sequence: &[],
        forbidden: &[
            "Download 0: finished",
            "Download 1: finished",
            "Download 3: finished",
            "Download 4: finished",
            "THE GROUP DID NOT STOP EARLY",
        ],
        ordered: &[
            ("Download 2: the server hung up", "Download 0: stopped"),
            (
                "Download 4: stopped",
                "Main: 4 downloads stopped, 0 finished, 0 never started",
            ),
        ],
        exit_ok: true,
    },
];

/// The names of all checked examples, in table order.
pub(crate) fn names() -> Vec<&'static str> {
    EXAMPLES.iter().map(|e| e.name).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::examples::check::EVERY_EXAMPLE_FORBIDS;

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
