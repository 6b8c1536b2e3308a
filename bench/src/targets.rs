//! The project's targets, as `docs/performance-notes.md` sets them, each
//! checked against a run: [`targets`].

use crate::format::{format_ratio, format_value};
use crate::inputs::{Index, Inputs};
use crate::records::Unit;

/// How a target came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The figure is on the right side of the target.
    Met,
    /// It is not.
    Missed,
    /// A figure it needs is missing.
    NotMeasured,
}

impl Verdict {
    pub(crate) fn cell(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "**missed**",
            Verdict::NotMeasured => "not measured",
        }
    }
}

/// One target and how the run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target, as set.
    pub name: String,
    /// The figure checked, with the figures it comes from.
    pub measured: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// Which side of its threshold a target's figure must be on.
#[derive(Clone, Copy)]
enum Bound {
    AtLeast(f64),
    AtMost(f64),
}

impl Bound {
    fn verdict(self, figure: f64) -> Verdict {
        let met = match self {
            Bound::AtLeast(t) => figure >= t,
            Bound::AtMost(t) => figure <= t,
        };
        if met { Verdict::Met } else { Verdict::Missed }
    }

    fn threshold(self) -> f64 {
        match self {
            Bound::AtLeast(t) | Bound::AtMost(t) => t,
        }
    }
}

/// The contenders one side of a ratio target may take, each with how the
/// figure names it; the side's figure is the best (lowest) of theirs.
type Side<'a> = &'a [(&'a str, &'a str)];

/// pythreading, as one side of a ratio target.
const OURS: Side<'static> = &[("pythreading", "pythreading")];

/// The targets of the project, as set in `docs/performance-notes.md`,
/// checked against a run.
pub fn targets(inputs: &Inputs) -> Vec<Target> {
    let index = Index::new(inputs);
    let python_missing = inputs.python.is_none();

    // A ratio of two sides' `metric` (a time): `num`'s ÷ `den`'s.
    let ratio =
        |name: &str, workload: &str, metric: &str, num: Side<'_>, den: Side<'_>, bound| match (
            best(&index, workload, metric, num),
            best(&index, workload, metric, den),
        ) {
            (Some((n, num)), Some((d, den))) if d > 0.0 => check(name, n / d, bound, |shown| {
                format!(
                    "{shown} ({num} {} ÷ {den} {})",
                    format_value(n, Unit::Seconds),
                    format_value(d, Unit::Seconds),
                )
            }),
            _ if python_missing && num.iter().chain(den).any(|(id, _)| *id == "python") => {
                not_measured(name, "not measured (python3 was not found)".to_owned())
            }
            _ => not_measured(name, "—".to_owned()),
        };
    // One of pythreading's own figures against a bound.
    let figure = |name: &str, workload: &str, metric: &str, unit: Unit, bound: Bound| match index
        .value(workload, "pythreading", metric)
    {
        Some(v) => Target {
            name: name.to_owned(),
            measured: format_value(v, unit),
            verdict: bound.verdict(v),
        },
        None => not_measured(name, "—".to_owned()),
    };

    // The CPU-bound speed-up, Python's beside it.
    let python_speedup = match index.value("cpu_speedup", "python", "speedup") {
        Some(v) => format!("Python: {}", format_ratio(v)),
        None if python_missing => "Python: not measured".to_owned(),
        None => "Python: —".to_owned(),
    };
    let name = "CPU-bound speedup on 2 workers: at least 1.8x, where Python stays near 1x";
    let speedup = match index.value("cpu_speedup", "pythreading", "speedup") {
        Some(v) => check(name, v, Bound::AtLeast(1.8), |shown| {
            format!("{shown} ({python_speedup})")
        }),
        None => not_measured(name, format!("— ({python_speedup})")),
    };

    let count = if inputs.quick() {
        "2,000 timers (a quick run)"
    } else {
        "10,000 timers"
    };
    let mut threads = figure(
        &format!("{count} on a handful of threads: at most 8 extra threads"),
        "timers",
        "threads",
        Unit::Count,
        Bound::AtMost(8.0),
    );
    if threads.verdict != Verdict::NotMeasured {
        threads.measured.push_str(" threads");
    }
    let parking_lot: Side<'_> = &[
        ("parking_lot", "parking_lot `Mutex<()>`"),
        ("parking_lot/data", "parking_lot `Mutex<u64>`"),
    ];
    let reentrant: Side<'_> = &[
        ("parking_lot", "parking_lot `ReentrantMutex<()>`"),
        (
            "parking_lot/data",
            "parking_lot `ReentrantMutex<Cell<u64>>`",
        ),
    ];
    let crossbeam: Side<'_> = &[("crossbeam", "crossbeam")];
    // Our time ÷ the peer's at most `at_most`.
    let within = |name, workload, peer, at_most| {
        ratio(name, workload, "time", OURS, peer, Bound::AtMost(at_most))
    };

    let mut targets: Vec<Target> = [
        (
            "Pool round trip: at most 0.6x the time of rayon `spawn` + channel (rayon's time ÷ \
             ours at least 1.67x; a task per item, as ours)",
            &[("rayon", "rayon `spawn` + channel")][..],
            1.0 / 0.6,
        ),
        (
            "Pool round trip: at least 1.0x threadpool (threadpool's time ÷ ours)",
            &[("threadpool", "threadpool")],
            1.0,
        ),
        (
            "Pool round trip: at least 50x Python (Python's time ÷ ours)",
            &[("python", "Python")],
            50.0,
        ),
    ]
    .into_iter()
    .map(|(name, peer, at_least)| {
        ratio(
            name,
            "pool_round_trip",
            "time",
            peer,
            OURS,
            Bound::AtLeast(at_least),
        )
    })
    .collect();
    targets.extend([
        ratio(
            "Pool latency: p50 at most a tenth of rayon's (rayon's p50 ÷ ours at least 10x; \
             the faster of `spawn` + channel and `install`)",
            "pool_latency",
            "p50",
            &[
                ("rayon", "rayon `spawn` + channel"),
                ("rayon/install", "rayon `install`"),
            ],
            OURS,
            Bound::AtLeast(10.0),
        ),
        speedup,
        within(
            "Pool map in chunks: at most 2x rayon `par_iter().map().collect()` (our time ÷ \
             rayon's)",
            "pool_map_chunks",
            &[("rayon", "rayon")],
            2.0,
        ),
        within(
            "Lock, uncontended: at most 1.0x parking_lot (our time ÷ parking_lot's, the faster \
             of its two forms)",
            "lock_uncontended",
            parking_lot,
            1.0,
        ),
        within(
            "Lock, contended: at most 1.5x parking_lot (our time ÷ parking_lot's, the faster of \
             its two forms)",
            "lock_contended",
            parking_lot,
            1.5,
        ),
        within(
            "RLock, uncontended: at most 1.0x parking_lot `ReentrantMutex` (our time ÷ \
             parking_lot's, the faster of its two forms)",
            "rlock_uncontended",
            reentrant,
            1.0,
        ),
        within(
            "Queue, bounded: at most 1.0x crossbeam `bounded(1024)`, 1 producer and 1 consumer \
             (our time ÷ crossbeam's)",
            "queue_bounded",
            crossbeam,
            1.0,
        ),
        within(
            "Queue, unbounded: at most 1.5x crossbeam (our time ÷ crossbeam's)",
            "queue_unbounded",
            crossbeam,
            1.5,
        ),
        ratio(
            "Barrier: at most half of `std::sync::Barrier` (our time ÷ std's at most 0.5x)",
            "barrier",
            "time",
            OURS,
            &[("std", "std")],
            Bound::AtMost(0.5),
        ),
        threads,
        figure(
            &format!("{count}: at most 20 MB of memory added"),
            "timers",
            "memory",
            Unit::Bytes,
            Bound::AtMost(20e6),
        ),
        figure(
            &format!("{count}: every one at most 20 ms late (the latest)"),
            "timers",
            "late_max",
            Unit::Seconds,
            Bound::AtMost(20e-3),
        ),
    ]);
    // Cancellation: each blocked call's p99 from `cancel()` to its return.
    for (id, what) in [
        ("pythreading", "a `Queue::get`"),
        ("pythreading/event", "an `Event` wait"),
        ("pythreading/sleep", "a running task's `sleep`"),
    ] {
        let name = format!("Cancellation of {what}: p99 under 1 ms");
        targets.push(match index.value("cancel_latency", id, "p99") {
            Some(v) => Target {
                name,
                measured: format_value(v, Unit::Seconds),
                verdict: Bound::AtMost(1e-3).verdict(v),
            },
            None => not_measured(&name, "—".to_owned()),
        });
    }
    targets
}

/// The best (lowest) figure of `side` for `metric`, and how it names who
/// has it.
fn best<'s>(
    index: &Index<'_>,
    workload: &str,
    metric: &str,
    side: Side<'s>,
) -> Option<(f64, &'s str)> {
    side.iter()
        .filter_map(|&(id, shown)| Some((index.value(workload, id, metric)?, shown)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// A target checked against a ratio; `measured` writes the figure around
/// the ratio as shown.
fn check(name: &str, ratio: f64, bound: Bound, measured: impl FnOnce(String) -> String) -> Target {
    let verdict = bound.verdict(ratio);
    Target {
        name: name.to_owned(),
        measured: measured(ratio_for_verdict(ratio, bound, verdict)),
        verdict,
    }
}

/// A target a figure is missing for.
fn not_measured(name: &str, measured: String) -> Target {
    Target {
        name: name.to_owned(),
        measured,
        verdict: Verdict::NotMeasured,
    }
}

/// A ratio shown with enough digits that a miss never reads as the
/// threshold itself (0.996x, not 1.00x, for "at least 1.0x").
fn ratio_for_verdict(ratio: f64, bound: Bound, verdict: Verdict) -> String {
    let shown = format_ratio(ratio);
    let t = bound.threshold();
    if verdict == Verdict::Missed && shown == format_ratio(t) {
        format!("{ratio:.4}x")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_miss_never_reads_as_the_threshold() {
        let at_least = Bound::AtLeast(1.0);
        assert_eq!(
            ratio_for_verdict(0.998, at_least, at_least.verdict(0.998)),
            "0.9980x"
        );
        assert_eq!(ratio_for_verdict(0.95, at_least, Verdict::Missed), "0.95x");
        assert_eq!(
            ratio_for_verdict(1.0, at_least, at_least.verdict(1.0)),
            "1.00x"
        );
        assert_eq!(at_least.verdict(1.0), Verdict::Met);
        assert_eq!(Bound::AtMost(1.5).verdict(1.5001), Verdict::Missed);
    }
}
