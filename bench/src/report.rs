//! The report: a results directory in, `BENCHMARKS.md` and its chart out.
//!
//! A results directory, as `cargo xtask bench` writes it, holds
//! `compare.json` (the comparison suite: pythreading and its Rust peers;
//! required), `python.json` (the Python script; absent when `python3` was
//! not found) and `criterion/<crate>/…` (each crate's criterion benches,
//! read by [`crate::criterion`], and [`DEADLOCK_DETECTION`]: pythreading-sync's
//! `lock` bench with deadlock detection on). [`Inputs::load`] reads them,
//! [`markdown`] writes the page, [`crate::chart`] draws the chart, and
//! [`run`] does all of it for the command line.
//!
//! Every figure on the page comes from those files; a figure that is not
//! there is a "—", a target that cannot be checked is "not measured".
//!
//! Ratios follow one convention everywhere, page and chart: the peer's
//! figure divided by pythreading's, so that above 1 pythreading is faster
//! ("2.31x slower": the peer took 2.31 times as long). The targets are
//! stated the way they were set, each saying which way it divides.

use std::collections::HashMap;
use std::env;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use crate::bars::{self, Group};
use crate::chart;
use crate::criterion::{self, CrateBenches, CriterionBench, Throughput};
use crate::format::{format_duration, format_ratio, format_utc, format_value, sig3, spread};
use crate::machine::Machine;
use crate::records::{FileError, Record, Results, Unit, write_file};
use crate::workloads::{WORKLOADS, Workload, family, metric_header};

/// The directory, under the results' `criterion/`, of pythreading-sync's
/// `lock` bench run with the `deadlock-detection` feature on (`cargo xtask
/// bench` writes it under this name). Its benches are set beside the same
/// ones in the crate's own run, [`DEADLOCK_DETECTION_OFF`].
pub const DEADLOCK_DETECTION: &str = "pythreading-sync-deadlock-detection";

/// The criterion run that has the same benches with deadlock detection
/// off: the crate's own, the build every other table measures.
pub const DEADLOCK_DETECTION_OFF: &str = "pythreading-sync";

/// An input that could not be read, or an output that could not be
/// written: the file, and what went wrong.
pub type ReportError = FileError;

/// Everything one results directory holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inputs {
    /// `compare.json`: pythreading and its Rust peers.
    pub compare: Results,
    /// `python.json`, when Python was measured.
    pub python: Option<Results>,
    /// Each crate's criterion benches.
    pub criterion: Vec<CrateBenches>,
    /// pythreading-sync's `lock` bench with deadlock detection on, when the
    /// results have it ([`DEADLOCK_DETECTION`]; older ones do not).
    pub deadlock_detection: Option<CrateBenches>,
}

impl Inputs {
    /// Reads a results directory: `compare.json` must be there, `python.json`
    /// and `criterion/` may be missing. Any file there that cannot be read
    /// or parsed is an error naming it.
    pub fn load(dir: &Path) -> Result<Inputs, ReportError> {
        if !dir.is_dir() {
            return Err(FileError::new(dir, "no such results directory"));
        }
        let compare = Results::read(&dir.join("compare.json"))?;
        let python_path = dir.join("python.json");
        let python = if python_path.exists() {
            Some(Results::read(&python_path)?)
        } else {
            None
        };
        let mut criterion = criterion::scan(&dir.join("criterion"))?;
        let deadlock_detection = criterion
            .iter()
            .position(|c| c.name == DEADLOCK_DETECTION)
            .map(|i| criterion.remove(i));
        Ok(Inputs {
            compare,
            python,
            criterion,
            deadlock_detection,
        })
    }

    /// Every record, the comparison suite's first.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.compare
            .records
            .iter()
            .chain(self.python.iter().flat_map(|p| &p.records))
    }

    /// Whether the run was a quick one (as the comparison suite says).
    pub fn quick(&self) -> bool {
        self.compare.quick
    }
}

/// The records of a run, by workload, contender and metric (the first of
/// duplicates wins).
struct Index<'a> {
    records: HashMap<(&'a str, &'a str, &'a str), &'a Record>,
}

impl<'a> Index<'a> {
    fn new(inputs: &'a Inputs) -> Index<'a> {
        let mut records = HashMap::new();
        for r in inputs.records() {
            records
                .entry((r.workload.as_str(), r.contender.as_str(), r.metric.as_str()))
                .or_insert(r);
        }
        Index { records }
    }

    fn get(&self, workload: &str, contender: &str, metric: &str) -> Option<&'a Record> {
        self.records.get(&(workload, contender, metric)).copied()
    }

    /// A record's value, if it is a usable figure.
    fn value(&self, workload: &str, contender: &str, metric: &str) -> Option<f64> {
        self.get(workload, contender, metric)
            .map(|r| r.value)
            .filter(|v| v.is_finite())
    }
}

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
    fn cell(self) -> &'static str {
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
    let crossbeam: Side<'_> = &[("crossbeam", "crossbeam")];
    let within =
        |name, workload, peer| ratio(name, workload, "time", OURS, peer, Bound::AtMost(1.5));

    let mut targets: Vec<Target> = [
        (
            "Pool round trip: at least 1.0x rayon `spawn` + channel (rayon's time ÷ ours; a \
             task per item, as ours)",
            &[("rayon", "rayon `spawn` + channel")][..],
            1.0,
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
            "Lock, uncontended: at most 1.5x parking_lot (our time ÷ parking_lot's, the faster \
             of its two forms)",
            "lock_uncontended",
            parking_lot,
        ),
        within(
            "Lock, contended: at most 1.5x parking_lot (our time ÷ parking_lot's, the faster of \
             its two forms)",
            "lock_contended",
            parking_lot,
        ),
        within(
            "Queue, bounded: at most 1.5x crossbeam (our time ÷ crossbeam's)",
            "queue_bounded",
            crossbeam,
        ),
        within(
            "Queue, unbounded: at most 1.5x crossbeam (our time ÷ crossbeam's)",
            "queue_unbounded",
            crossbeam,
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

/// The commit a run measured: `git rev-parse HEAD` when it started, and
/// whether tracked files had changes not committed then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The commit's hash.
    pub hash: String,
    /// Whether the working tree differed from it.
    pub dirty: bool,
}

/// What the page says beyond the results: how it was made.
#[derive(Debug, Clone)]
pub struct PageOptions {
    /// The command that produced the results and the page.
    pub command: String,
    /// The commit measured, when the command that ran the benchmarks said.
    pub commit: Option<Commit>,
    /// When the page was generated.
    pub generated: SystemTime,
    /// How long the run took, in seconds, if known.
    pub elapsed: Option<f64>,
    /// The chart's link, relative to the page.
    pub svg_link: String,
}

/// The page, `BENCHMARKS.md`.
pub fn markdown(inputs: &Inputs, machine: &Machine, options: &PageOptions) -> String {
    let mut page = Page(String::new());
    let index = Index::new(inputs);
    let command = code(&options.command);

    page.line("# Benchmarks");
    page.line("");
    page.line(&format!(
        "> Generated by {command} from its results files: do not edit this page by hand, \
         run the command again."
    ));
    page.line("");
    page.line(
        "pythreading measured against what its users would use instead: rayon, threadpool, \
         std, parking_lot and crossbeam-channel in Rust, and CPython's `threading`, `queue` and \
         `concurrent.futures`, by one command on one machine. Each peer runs as its own users \
         write it; where that differs from the like-for-like form, both are measured, as rows \
         of their own. The Rust contenders of a workload run in one process, in interleaved \
         rounds (each round runs every contender once, in a rotating order), so a machine that \
         slows down for a while slows them all alike. **CPython is not interleaved with them:** \
         its figures come from a separate process, `bench/python/compare.py`, run after the \
         Rust suite has finished, so a busy spell of the machine can move them against the \
         Rust ones; read the Python ratios as orders of magnitude. On a shared or noisy machine \
         the absolute figures drift from run to run: the ratios between contenders matter more \
         than the figures themselves.",
    );
    page.line("");
    page.line(&format!("- Command: {command}"));
    page.line(&format!(
        "- Commit: {}",
        commit_line(options.commit.as_ref())
    ));
    page.line(&format!("- Date: {}", format_utc(options.generated)));
    if let Some(elapsed) = options.elapsed {
        page.line(&format!("- Run time: {}", format_duration(elapsed)));
    }
    page.line(&format!(
        "- Quick run: {}",
        if inputs.quick() {
            "yes (smaller workloads and fewer rounds: 20,000 round trips instead of 100,000, \
             2,000 timers of 2 s instead of 10,000 of 5 s)"
        } else {
            "no (full workloads)"
        }
    ));
    if let Some(python) = &inputs.python
        && python.quick != inputs.quick()
    {
        page.line(&format!(
            "- Note: `python.json` says quick = {}, `compare.json` says quick = {}: the \
             two were not run alike",
            python.quick,
            inputs.quick()
        ));
    }
    page.line(&format!(
        "- Python figures: {}",
        match &inputs.python {
            None => "not measured, python3 was not found".to_owned(),
            Some(p) if p.note.trim().is_empty() => "measured".to_owned(),
            Some(p) => format!("measured with {}", cell_text(p.note.trim())),
        }
    ));
    page.line("");
    page.line(
        "**How to read the tables.** Each figure is the median over the rounds, followed by the \
         range of the rounds (min–max) where there are several; `rounds` counts them. The \
         \"vs pythreading\" columns divide the peer's time by pythreading's: \"2.31x slower\" \
         means the peer took 2.31 times as long as pythreading, \"0.87x (faster)\" that it took \
         0.87 times as long, i.e. the peer was faster. A \"—\" is a figure this run does not \
         have.",
    );
    page.line("");

    // Machine.
    page.line("## Machine");
    page.line("");
    page.line(
        "Read from the OS when this page was generated; Python's version is the one the \
         Python results name.",
    );
    page.line("");
    page.line("| | |");
    page.line("|---|---|");
    for (name, value) in [
        ("CPU", &machine.cpu),
        ("logical CPUs", &machine.logical_cpus),
        ("memory", &machine.memory),
        ("OS", &machine.os),
        ("kernel", &machine.kernel),
        ("rustc", &machine.rustc),
        ("Python", &machine.python),
    ] {
        page.line(&format!("| {name} | {} |", cell_text(value)));
    }
    page.line("");

    // Chart.
    page.line("## At a glance");
    page.line("");
    page.line(&format!(
        "![pythreading against each peer, on every metric of every workload]({})",
        options.svg_link
    ));
    page.line("");
    page.line(
        "Each group is one metric of one workload, every metric of the tables below, and each \
         bar a peer: its height is the peer's figure divided by pythreading's where lower is \
         better (times, threads, memory, lateness), pythreading's divided by the peer's for the \
         CPU-bound speedup, on a logarithmic scale. A bar rising above the 1x line is how many \
         times better pythreading does; a bar hanging below it, in the shaded part, is where \
         the peer does better. A lighter bar is a peer's second form (rayon's `par_iter` or \
         `install`, a mutex holding its data). Python's CPU-bound times have no bar: its \
         pieces are sized differently (its speedup has one).",
    );
    page.line("");
    losses_section(&mut page, &bars::groups(inputs.records()));

    // Targets.
    let targets = targets(inputs);
    page.line("## Targets");
    page.line("");
    page.head(&["target", "measured", "verdict"]);
    for t in &targets {
        page.row(&[
            cell_text(&t.name),
            cell_text(&t.measured),
            t.verdict.cell().to_owned(),
        ]);
    }
    page.line("");
    let missed: Vec<&Target> = targets
        .iter()
        .filter(|t| t.verdict == Verdict::Missed)
        .collect();
    let unmeasured = targets
        .iter()
        .filter(|t| t.verdict == Verdict::NotMeasured)
        .count();
    for t in &missed {
        page.line(&format!(
            "**Missed:** {} — this run measured {}.",
            trim_period(&t.name),
            t.measured
        ));
        page.line("");
    }
    if missed.is_empty() {
        if unmeasured == 0 {
            page.line("Every target was met in this run.");
        } else {
            page.line(&format!(
                "No target was missed; {unmeasured} could not be checked, for want of figures."
            ));
        }
        page.line("");
    }

    // Workloads.
    page.line("## Workloads");
    page.line("");
    for workload in WORKLOADS {
        workload_section(&mut page, inputs, &index, workload);
    }
    let known: Vec<&str> = WORKLOADS.iter().map(|w| w.id).collect();
    let mut others: Vec<&str> = Vec::new();
    for r in inputs.records() {
        if !known.contains(&r.workload.as_str()) && !others.contains(&r.workload.as_str()) {
            others.push(&r.workload);
        }
    }
    for id in others {
        other_workload_section(&mut page, inputs, &index, id);
    }

    // Criterion.
    criterion_section(&mut page, &inputs.criterion);
    deadlock_detection_section(&mut page, inputs);

    // Analysis and re-running.
    page.line("## Analysis, and running it again");
    page.line("");
    page.line(
        "What these figures mean, what was changed because of them, and the figures of earlier \
         runs are in [docs/performance-notes.md](docs/performance-notes.md).",
    );
    page.line("");
    page.line(&format!(
        "To measure again on your machine, from the workspace root: `cargo xtask bench` runs \
         the full workloads and rewrites this page and [its chart]({}); it refuses a working \
         tree with uncommitted changes to tracked files unless given `--allow-dirty`, and the \
         page then says so. `cargo xtask bench --quick` (smaller workloads, fewer rounds) and \
         `cargo xtask bench --smoke` (everything once, tiny: it measures nothing) write their \
         page and chart under `target/xtask-bench/` and leave these alone.",
        options.svg_link
    ));
    page.0
}

/// The page's line for the commit measured.
fn commit_line(commit: Option<&Commit>) -> String {
    match commit {
        None => "not recorded (the report was not told which commit was measured)".to_owned(),
        Some(Commit { hash, dirty: false }) => {
            format!("{} (`git rev-parse HEAD` when the run started)", code(hash))
        }
        Some(Commit { hash, dirty: true }) => format!(
            "{} (`git rev-parse HEAD` when the run started), **with uncommitted changes to \
             tracked files**: these figures are of that commit and changes recorded nowhere",
            code(hash)
        ),
    }
}

/// Under the chart: every bar below the 1x line, worst first, so that no
/// loss is left to be spotted.
fn losses_section(page: &mut Page, groups: &[Group]) {
    let losses = bars::losses(groups);
    if losses.is_empty() {
        page.line("No peer did better than pythreading on any figure of the chart in this run.");
        page.line("");
        return;
    }
    page.line(&format!(
        "Where a peer did better in this run ({} of the chart's {} bars, worst first):",
        losses.len(),
        groups.iter().map(|g| g.bars.len()).sum::<usize>()
    ));
    page.line("");
    for (group, bar) in losses {
        let workload = WORKLOADS.iter().find(|w| w.id == group.workload);
        let contender = workload
            .and_then(|w| w.contenders.iter().find(|(id, _)| *id == bar.contender))
            .map_or(bar.contender, |(_, label)| label);
        let title = workload.map_or(group.workload, |w| w.title);
        let metric = if workload.is_some_and(|w| w.metrics.len() == 1) {
            String::new()
        } else {
            format!(", {}", metric_header(group.metric))
        };
        page.line(&format!(
            "- {title}{metric}: {contender}, bar at {} (the peer does {} better)",
            format_ratio(bar.ratio),
            format_ratio(1.0 / bar.ratio),
        ));
    }
    page.line("");
}

/// The page being written.
struct Page(String);

impl Page {
    fn line(&mut self, text: &str) {
        self.0.push_str(text);
        self.0.push('\n');
    }

    /// A table row of `cells`, made safe for a cell by the caller.
    fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<&str> = cells.iter().map(AsRef::as_ref).collect();
        self.line(&format!("| {} |", cells.join(" | ")));
    }

    /// A table's header row, and the line under it.
    fn head<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.row(cells);
        self.line(&format!("|{}", "---|".repeat(cells.len())));
    }
}

/// One workload's section: its operation, then one row per contender.
fn workload_section(page: &mut Page, inputs: &Inputs, index: &Index<'_>, workload: &Workload) {
    let mut contenders: Vec<(String, String)> = workload
        .contenders
        .iter()
        .map(|(id, label)| ((*id).to_owned(), (*label).to_owned()))
        .collect();
    for r in inputs.records().filter(|r| r.workload == workload.id) {
        if !contenders.iter().any(|(id, _)| *id == r.contender) {
            contenders.push((r.contender.clone(), r.contender.clone()));
        }
    }
    let metrics: Vec<&str> = workload.metrics.to_vec();
    page.line(&format!("### {} (`{}`)", workload.title, workload.id));
    page.line("");
    page.line(&format!("One operation: {}", workload.operation));
    page.line("");
    table(
        page,
        index,
        workload.id,
        &metrics,
        workload.compared,
        &contenders,
    );
}

/// A workload the report does not know: its records as they are.
fn other_workload_section(page: &mut Page, inputs: &Inputs, index: &Index<'_>, id: &str) {
    let mut metrics: Vec<&str> = Vec::new();
    let mut contenders: Vec<(String, String)> = Vec::new();
    for r in inputs.records().filter(|r| r.workload == id) {
        if !metrics.contains(&r.metric.as_str()) {
            metrics.push(&r.metric);
        }
        if !contenders.iter().any(|(c, _)| *c == r.contender) {
            contenders.push((r.contender.clone(), r.contender.clone()));
        }
    }
    if let Some(i) = contenders.iter().position(|(c, _)| c == "pythreading") {
        let ours = contenders.remove(i);
        contenders.insert(0, ours);
    }
    page.line(&format!("### `{}`", cell_text(id)));
    page.line("");
    page.line("A workload this report does not describe; its figures as recorded.");
    page.line("");
    table(page, index, id, &metrics, &[], &contenders);
}

/// A workload's table: contender, each metric, rounds, and a
/// "vs pythreading" column per compared metric.
fn table(
    page: &mut Page,
    index: &Index<'_>,
    workload: &str,
    metrics: &[&str],
    compared: &[&str],
    contenders: &[(String, String)],
) {
    let mut header = vec!["contender".to_owned()];
    header.extend(metrics.iter().map(|m| metric_header(m)));
    header.push("rounds".to_owned());
    for m in compared {
        header.push(if compared.len() == 1 {
            "vs pythreading".to_owned()
        } else {
            format!("{} vs pythreading", metric_header(m))
        });
    }
    page.head(&header);

    for (contender, default_label) in contenders {
        let ours = contender == "pythreading";
        let records: Vec<Option<&Record>> = metrics
            .iter()
            .map(|m| index.get(workload, contender, m))
            .collect();
        let label = records
            .iter()
            .flatten()
            .map(|r| r.label.trim())
            .find(|l| !l.is_empty())
            .map(|l| row_label(contender, l))
            .unwrap_or_else(|| default_label.clone());
        let mut cells = vec![label];
        for r in &records {
            cells.push(match r {
                Some(r) => figure_with_spread(r),
                None => "—".to_owned(),
            });
        }
        let rounds = records.iter().flatten().map(|r| r.samples.len()).max();
        cells.push(match rounds {
            Some(n) if n > 0 => n.to_string(),
            _ => "—".to_owned(),
        });
        for m in compared {
            cells.push(if ours {
                "reference".to_owned()
            } else {
                match (
                    index.get(workload, contender, m),
                    index.get(workload, "pythreading", m),
                ) {
                    (Some(peer), Some(us))
                        if peer.unit == Unit::Seconds && us.unit == Unit::Seconds =>
                    {
                        versus(peer.value / us.value)
                    }
                    _ => "—".to_owned(),
                }
            });
        }
        if ours {
            for cell in &mut cells {
                *cell = format!("**{cell}**");
            }
        }
        page.row(&cells);
    }
    page.line("");
}

/// A record's label as its row shows it: prefixed with the contender when
/// the label does not name it (Python's `ThreadPoolExecutor` is not ours).
fn row_label(contender: &str, label: &str) -> String {
    if label
        .to_lowercase()
        .contains(&family(contender).to_lowercase())
    {
        cell_text(label)
    } else {
        format!("{}: {}", cell_text(contender), cell_text(label))
    }
}

/// A record's figure, then the range of its samples when there are several.
fn figure_with_spread(record: &Record) -> String {
    let value = format_value(record.value, record.unit);
    match spread(&record.samples, record.unit) {
        Some(spread) if value != "—" => format!("{value} ({spread})"),
        _ => value,
    }
}

/// "peer ÷ ours" as a "vs pythreading" cell.
pub fn versus(ratio: f64) -> String {
    if !ratio.is_finite() || ratio <= 0.0 {
        return "—".to_owned();
    }
    let shown = format_ratio(ratio);
    if shown == "1.00x" {
        "1.00x (level)".to_owned()
    } else if ratio > 1.0 {
        format!("{shown} slower")
    } else {
        format!("{shown} (faster)")
    }
}

/// The criterion benches, one table per crate.
fn criterion_section(page: &mut Page, crates: &[CrateBenches]) {
    page.line("## Criterion benches of every crate");
    page.line("");
    if crates.is_empty() {
        page.line("This run has no criterion results (no `criterion` directory in the results).");
        page.line("");
        return;
    }
    page.line(
        "Each crate's own criterion benches, run by the same command: criterion's median time \
         per iteration, and per element where the bench counts elements.",
    );
    page.line("");
    for krate in crates {
        page.line(&format!("### `{}`", cell_text(&krate.name)));
        page.line("");
        if krate.benches.is_empty() {
            page.line("No criterion results for this crate in this run.");
            page.line("");
            continue;
        }
        page.head(&["benchmark", "median", "per element"]);
        for bench in &krate.benches {
            let per = match (bench.per_element_ns(), bench.throughput) {
                (Some(ns), _) => format_value(ns * 1e-9, Unit::Seconds),
                (None, Some(Throughput::Bytes(n))) if bench.median_ns > 0.0 => format!(
                    "{}/s",
                    format_value(n as f64 / (bench.median_ns * 1e-9), Unit::Bytes)
                ),
                (None, Some(Throughput::BytesDecimal(n))) if bench.median_ns > 0.0 => {
                    format!("{} MB/s", sig3(n as f64 / (bench.median_ns * 1e-9) / 1e6))
                }
                _ => "—".to_owned(),
            };
            page.row(&[bench_cell(bench), median_cell(Some(bench)), per]);
        }
        page.line("");
    }
}

/// What deadlock detection costs: each bench of pythreading-sync's `lock`
/// bench with the feature off (the crate's own run) and on, and on ÷ off.
fn deadlock_detection_section(page: &mut Page, inputs: &Inputs) {
    page.line("## Deadlock detection: what the feature costs");
    page.line("");
    let on = match &inputs.deadlock_detection {
        Some(on) if !on.benches.is_empty() => on,
        Some(_) => {
            page.line(
                "No criterion results for pythreading-sync's `lock` bench with the \
                 `deadlock-detection` feature in this run.",
            );
            page.line("");
            return;
        }
        None => {
            page.line(&format!(
                "This run has no results with the `deadlock-detection` feature on (no \
                 `criterion/{DEADLOCK_DETECTION}` directory in the results, as in results \
                 older than that part of `cargo xtask bench`): what the feature costs was not \
                 measured."
            ));
            page.line("");
            return;
        }
    };
    page.line(
        "pythreading-sync's `lock` bench, run a second time with the `deadlock-detection` \
         feature on. With the feature off (the default), the hooks in every lock are a \
         zero-sized type whose methods are empty and inlined: the \"feature off\" column is \
         the crate's own run above, the same build as every other table on this page. With \
         it on, every acquire and release updates the lock's holder record under a mutex of \
         its own; a blocking acquire also enters the thread in a process-wide record of the \
         waiting threads; and each thread keeps a list of the locks it holds, in the order it \
         took them, for lock-order checking. \"on vs off\" divides the time with the feature \
         on by the time with it off.",
    );
    page.line("");
    let off = inputs
        .criterion
        .iter()
        .find(|c| c.name == DEADLOCK_DETECTION_OFF);
    page.head(&["benchmark", "feature off", "feature on", "on vs off"]);
    for bench in &on.benches {
        let without = off.and_then(|off| off.bench(&bench.full_id));
        let ratio = match without {
            Some(without) if without.median_ns > 0.0 => versus(bench.median_ns / without.median_ns),
            _ => "—".to_owned(),
        };
        page.row(&[
            bench_cell(bench),
            median_cell(without),
            median_cell(Some(bench)),
            ratio,
        ]);
    }
    page.line("");
}

/// A criterion benchmark's id, as the first cell of its row.
fn bench_cell(bench: &CriterionBench) -> String {
    cell_text(&format!("`{}`", bench.full_id.replace('`', "'")))
}

/// A criterion benchmark's median time per iteration; "—" without one.
fn median_cell(bench: Option<&CriterionBench>) -> String {
    match bench {
        Some(bench) => format_value(bench.median_ns * 1e-9, Unit::Seconds),
        None => "—".to_owned(),
    }
}

/// Text made safe for a table cell: no `|`, no line breaks.
fn cell_text(text: &str) -> String {
    let text = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    // Outside code spans (between backticks), `<` would open an HTML tag
    // and `*` emphasis: a label `Mutex<u64>, *m.lock() += 1` must read as
    // written.
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                part.replace('<', "&lt;").replace('*', "\\*")
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Inline code, fenced with enough backticks for its content.
fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn trim_period(text: &str) -> &str {
    text.trim_end_matches('.')
}

/// The link to `target` from a page at `page`: relative to the page's
/// directory, with `/` separators.
pub fn relative_link(page: &Path, target: &Path) -> String {
    let base = env::current_dir().unwrap_or_default();
    let absolute = |p: &Path| normalize(&base.join(p));
    let from = absolute(page.parent().unwrap_or(Path::new("")));
    let to = absolute(target);
    let common = from
        .iter()
        .zip(to.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(to[common..].iter().cloned());
    parts.join("/").replace(' ', "%20")
}

/// A path's normal components, `.` and `..` resolved lexically.
fn normalize(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::RootDir | Component::CurDir => {}
        }
    }
    parts
}

/// What the command line asks for: `report --results DIR --command CMD
/// --markdown PATH --svg PATH [--elapsed SECONDS] [--commit HASH [--dirty]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportArgs {
    /// The results directory.
    pub results: PathBuf,
    /// The command that produced it, quoted on the page.
    pub command: String,
    /// Where to write the page.
    pub markdown: PathBuf,
    /// Where to write the chart.
    pub svg: PathBuf,
    /// How long the run took, in seconds.
    pub elapsed: Option<f64>,
    /// The commit measured, if known.
    pub commit: Option<Commit>,
}

/// Reads the results, then writes the chart and the page.
pub fn run(args: &ReportArgs) -> Result<(), ReportError> {
    let inputs = Inputs::load(&args.results)?;
    let machine = Machine::detect(inputs.python.as_ref().map(|p| p.note.as_str()));
    let svg = chart::draw_svg(&bars::groups(inputs.records()))
        .map_err(|e| FileError::new(&args.svg, e.to_string()))?;
    let options = PageOptions {
        command: args.command.clone(),
        commit: args.commit.clone(),
        generated: SystemTime::now(),
        elapsed: args.elapsed,
        svg_link: relative_link(&args.markdown, &args.svg),
    };
    let page = markdown(&inputs, &machine, &options);
    write_file(&args.svg, &svg)?;
    write_file(&args.markdown, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versus_says_which_way() {
        assert_eq!(versus(2.314), "2.31x slower");
        assert_eq!(versus(0.87), "0.87x (faster)");
        assert_eq!(versus(1.001), "1.00x (level)");
        assert_eq!(versus(447.2), "447x slower");
        assert_eq!(versus(f64::INFINITY), "—");
        assert_eq!(versus(0.0), "—");
    }

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

    #[test]
    fn links_relative_to_the_page() {
        let link = |page: &str, svg: &str| relative_link(Path::new(page), Path::new(svg));
        assert_eq!(
            link("/w/BENCHMARKS.md", "/w/benchmarks.svg"),
            "benchmarks.svg"
        );
        assert_eq!(link("/w/BENCHMARKS.md", "/w/docs/b.svg"), "docs/b.svg");
        assert_eq!(link("/w/docs/B.md", "/w/b.svg"), "../b.svg");
        assert_eq!(link("/w/./x/../B.md", "/w/my chart.svg"), "my%20chart.svg");
        assert_eq!(link("BENCHMARKS.md", "benchmarks.svg"), "benchmarks.svg");
    }

    #[test]
    fn table_cells_stay_in_their_cell() {
        assert_eq!(cell_text("a|b\nc"), "a\\|b c");
        assert_eq!(
            cell_text("Mutex<u64>, *m.lock() += 1 `Mutex<()>`"),
            "Mutex&lt;u64>, \\*m.lock() += 1 `Mutex<()>`"
        );
        assert_eq!(code("cargo xtask bench"), "`cargo xtask bench`");
        assert_eq!(code("echo `x`"), "`` echo `x` ``");
        assert_eq!(
            row_label("python", "ThreadPoolExecutor"),
            "python: ThreadPoolExecutor"
        );
        assert_eq!(
            row_label("rayon", "rayon spawn + channel"),
            "rayon spawn + channel"
        );
    }
}
