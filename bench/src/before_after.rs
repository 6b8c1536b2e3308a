//! The page's "Before and after": this run beside a [`Baseline`], the
//! results directory of an earlier run of the same suite. One table of
//! pythreading's figures of the comparison suite, each workload and metric
//! in either run with both runs' median and range of rounds, the change, a
//! verdict, and pythreading's ratio to each Rust peer before and after;
//! one of the criterion benches; and the types' sizes.
//!
//! Both runs are shown as measured: no round is dropped or adjusted. A
//! verdict says a figure moved only where the two runs' ranges do not
//! overlap.

use std::path::PathBuf;

use crate::bars::HIGHER_IS_BETTER;
use crate::criterion::{CrateBenches, CriterionBench};
use crate::format::{format_ratio, format_value, spread};
use crate::inputs::Inputs;
use crate::markdown::{Page, cell_text, code};
use crate::records::{Record, Unit};
use crate::sizes::sizes_section;
use crate::tables::{figure_with_spread, row_label, versus_in};
use crate::workloads::{SIZE_OF, WORKLOADS, metric_header};

/// The run a page is set beside.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// What the baseline is, as the page says it ("library crates at
    /// ba6d19f, measured by the same suite just before this run"); without
    /// one, the page names the directory.
    pub label: Option<String>,
    /// The results directory it was read from.
    pub dir: PathBuf,
    /// Its results.
    pub inputs: Inputs,
}

impl Baseline {
    /// What the page calls the baseline: its label, else its directory.
    pub(crate) fn name(&self) -> String {
        match &self.label {
            Some(label) => cell_text(label.trim()),
            None => format!("the results in {}", self.dir_code()),
        }
    }

    fn dir_code(&self) -> String {
        code(&self.dir.display().to_string())
    }
}

/// pythreading's contender id.
const OURS: &str = "pythreading";

/// The "Before and after" section.
pub(crate) fn before_after_section(page: &mut Page, baseline: &Baseline, after: &Inputs) {
    let before = &baseline.inputs;
    page.line("## Before and after");
    page.line("");
    let read_from = match &baseline.label {
        Some(_) => format!(", read from {}", baseline.dir_code()),
        None => String::new(),
    };
    page.line(&format!(
        "This run beside a baseline: {}{read_from}. Both runs' rounds are reported as \
         measured, none dropped or adjusted: each figure is the median over the run's rounds, \
         then their range (min–max). \"change\" divides this run's figure by the baseline's \
         (\"0.83x (faster)\": this run took 0.83 times as long). The verdict is \"within \
         spread\" where the two runs' ranges of rounds overlap, so that the change is no \
         larger than the rounds of one run differ among themselves; otherwise it says which \
         way the figure went, \"faster\" or \"slower\" for times, \"better\" or \"worse\" for \
         the others (fewer threads, less memory, a higher speedup). A figure of one round has \
         no range to judge by. \"vs the peers\" is pythreading's figure divided by each Rust \
         peer's in the same run (the peer's divided by ours for the speedup), the baseline's \
         → this run's: below 1x pythreading does better. The two runs were made at different \
         times, and a busier machine moves every figure of a run; the ratios to the peers, \
         measured in interleaved rounds within each run, move less.",
        baseline.name(),
    ));
    page.line("");
    if before.quick() != after.quick() {
        let kind = |quick: bool| if quick { "a quick run" } else { "a full run" };
        page.line(&format!(
            "**The two runs are not alike:** the baseline is {}, this run is {}; their \
             workloads differ in size.",
            kind(before.quick()),
            kind(after.quick())
        ));
        page.line("");
    }
    suite_table(page, before, after);
    criterion_table(page, before, after);
    sizes_section(page, "### Sizes", after, Some(before));
}

/// The comparison suite's table: a row per workload and metric that
/// pythreading has a figure for in either run, in the page's order.
fn suite_table(page: &mut Page, before: &Inputs, after: &Inputs) {
    page.line("### Comparison suite");
    page.line("");
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in [after, before].into_iter().flat_map(|i| &i.compare.records) {
        let key = (r.workload.as_str(), r.metric.as_str());
        if r.contender == OURS && r.workload != SIZE_OF && !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        page.line("Neither run has a figure of pythreading's in `compare.json`.");
        page.line("");
        return;
    }
    // The page's order; workloads it does not describe after, as found.
    keys.sort_by_key(|&(workload, metric)| {
        let known = WORKLOADS.iter().position(|w| w.id == workload);
        let metric_at = known.and_then(|i| WORKLOADS[i].metrics.iter().position(|m| *m == metric));
        (
            known.unwrap_or(WORKLOADS.len()),
            metric_at.unwrap_or(usize::MAX),
        )
    });
    page.head(&[
        "workload",
        "metric",
        "before",
        "after",
        "change",
        "verdict",
        "vs the peers (ours ÷ peer's, before → after)",
    ]);
    for (workload, metric) in keys {
        let b = find(before, workload, OURS, metric);
        let a = find(after, workload, OURS, metric);
        let figure = |r: Option<&Record>| r.map_or("—".to_owned(), figure_with_spread);
        let title = WORKLOADS
            .iter()
            .find(|w| w.id == workload)
            .map_or_else(|| code(workload), |w| w.title.to_owned());
        let time = [a, b]
            .into_iter()
            .flatten()
            .all(|r| r.unit == Unit::Seconds);
        let [change, verdict] = compared(
            b,
            a,
            |b, a| (a.value / b.value, time),
            |b, a| verdict(b, a, metric, time),
        );
        page.row(&[
            title,
            metric_header(metric),
            figure(b),
            figure(a),
            change,
            verdict,
            peers_cell(before, after, workload, metric),
        ]);
    }
    page.line("");
}

/// The "change" and "verdict" cells of a row: `ratio` (this run's figure
/// ÷ the baseline's, and whether it is a time) and `verdict` when both
/// runs have the figure, else which one has not.
fn compared<T: Copy>(
    before: Option<T>,
    after: Option<T>,
    ratio: impl Fn(T, T) -> (f64, bool),
    verdict: impl Fn(T, T) -> &'static str,
) -> [String; 2] {
    match (before, after) {
        (Some(b), Some(a)) => {
            let (ratio, time) = ratio(b, a);
            [change(ratio, time), verdict(b, a).to_owned()]
        }
        (None, _) => ["—".to_owned(), "not in the baseline".to_owned()],
        (_, None) => ["—".to_owned(), "not in this run".to_owned()],
    }
}

/// The first record of `contender` for `metric` of `workload` in the
/// comparison suite's results (the first of duplicates, as elsewhere).
fn find<'a>(
    inputs: &'a Inputs,
    workload: &str,
    contender: &str,
    metric: &str,
) -> Option<&'a Record> {
    inputs
        .compare
        .records
        .iter()
        .find(|r| r.workload == workload && r.contender == contender && r.metric == metric)
}

/// A figure's range of rounds: the least and greatest of its finite
/// samples (its value alone when it has none), and how many rounds.
fn rounds(record: &Record) -> Option<(f64, f64, usize)> {
    let finite: Vec<f64> = record
        .samples
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if finite.is_empty() {
        return record
            .value
            .is_finite()
            .then_some((record.value, record.value, 1));
    }
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((min, max, finite.len()))
}

/// The verdict on two figures' rounds: "one round" where a side has no
/// range, else as [`judge`] says.
fn verdict(before: &Record, after: &Record, metric: &str, time: bool) -> &'static str {
    match (rounds(before), rounds(after)) {
        (Some((.., b_n)), Some((.., a_n))) if b_n < 2 || a_n < 2 => "one round: not judged",
        (Some((b_min, b_max, _)), Some((a_min, a_max, _))) => {
            judge((b_min, b_max), (a_min, a_max), metric, time)
        }
        _ => "—",
    }
}

/// The verdict on two ranges (least, greatest): "within spread" where
/// they overlap, else which way the figure went.
fn judge(before: (f64, f64), after: (f64, f64), metric: &str, time: bool) -> &'static str {
    if after.0 <= before.1 && before.0 <= after.1 {
        return "within spread";
    }
    let lower = after.1 < before.0;
    let better = lower != HIGHER_IS_BETTER.contains(&metric);
    match (time, better) {
        (true, true) => "faster",
        (true, false) => "slower",
        (false, true) => "better",
        (false, false) => "worse",
    }
}

/// This run's figure ÷ the baseline's, saying which way: "faster" and
/// "slower" for times, "lower" and "higher" for the rest.
fn change(ratio: f64, time: bool) -> String {
    if time {
        versus_in(ratio, "(faster)", "slower")
    } else {
        versus_in(ratio, "(lower)", "higher")
    }
}

/// pythreading's ratio to each Rust peer of `workload` with a figure for
/// `metric` in either run, before → after, one peer a line.
fn peers_cell(before: &Inputs, after: &Inputs, workload: &str, metric: &str) -> String {
    let known = WORKLOADS.iter().find(|w| w.id == workload);
    let mut peers: Vec<(&str, Option<&str>)> = known
        .into_iter()
        .flat_map(|w| w.contenders.iter().map(|(id, label)| (*id, Some(*label))))
        .collect();
    for r in [after, before].into_iter().flat_map(|i| &i.compare.records) {
        if r.workload == workload && !peers.iter().any(|(id, _)| *id == r.contender) {
            peers.push((&r.contender, None));
        }
    }
    let lines: Vec<String> = peers
        .into_iter()
        .filter(|(id, _)| *id != OURS)
        .filter_map(|(id, default_label)| {
            let record =
                find(after, workload, id, metric).or(find(before, workload, id, metric))?;
            let label = match record.label.trim() {
                "" => default_label.map_or_else(|| cell_text(id), cell_text),
                label => row_label(id, label),
            };
            let shown =
                |inputs| ratio(inputs, workload, id, metric).map_or("—".to_owned(), format_ratio);
            Some(format!("{label}: {} → {}", shown(before), shown(after)))
        })
        .collect();
    if lines.is_empty() {
        "—".to_owned()
    } else {
        lines.join("<br>")
    }
}

/// pythreading's figure ÷ `peer`'s (the peer's ÷ ours where higher is
/// better): below 1, pythreading does better.
fn ratio(inputs: &Inputs, workload: &str, peer: &str, metric: &str) -> Option<f64> {
    let ours = find(inputs, workload, OURS, metric)?.value;
    let theirs = find(inputs, workload, peer, metric)?.value;
    let ratio = if HIGHER_IS_BETTER.contains(&metric) {
        theirs / ours
    } else {
        ours / theirs
    };
    (ratio.is_finite() && ratio > 0.0).then_some(ratio)
}

/// Every criterion run of a results directory, deadlock detection's too.
fn criterion_runs(inputs: &Inputs) -> impl Iterator<Item = &CrateBenches> {
    inputs.criterion.iter().chain(&inputs.deadlock_detection)
}

/// The criterion benches of both runs, a row per bench of either.
fn criterion_table(page: &mut Page, before: &Inputs, after: &Inputs) {
    page.line("### Criterion benches");
    page.line("");
    let has = |inputs| criterion_runs(inputs).any(|c| !c.benches.is_empty());
    let missing = match (has(before), has(after)) {
        (true, true) => None,
        (false, false) => Some("Neither run has criterion figures"),
        (false, true) => Some("The baseline has no criterion figures"),
        (true, false) => Some("This run has no criterion figures"),
    };
    if let Some(missing) = missing {
        page.line(&format!(
            "{missing} (a smoke run records none): there is nothing to set side by side here."
        ));
        page.line("");
        return;
    }
    page.line(
        "Each crate's criterion benches: criterion's median time per iteration, then its \
         confidence interval of that median (criterion's bootstrap, 95%). \"within spread\" \
         where the two runs' intervals overlap; \"—\" for a bench one run does not have.",
    );
    page.line("");
    let mut crates: Vec<&str> = Vec::new();
    for c in criterion_runs(after).chain(criterion_runs(before)) {
        if !crates.contains(&c.name.as_str()) {
            crates.push(&c.name);
        }
    }
    page.head(&["crate", "benchmark", "before", "after", "change", "verdict"]);
    for name in crates {
        let of = |inputs| criterion_runs(inputs).find(|c| c.name == name);
        let (b_crate, a_crate) = (of(before), of(after));
        let mut ids: Vec<&str> = [a_crate, b_crate]
            .into_iter()
            .flatten()
            .flat_map(|c| c.benches.iter().map(|b| b.full_id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let b = b_crate.and_then(|c| c.bench(id));
            let a = a_crate.and_then(|c| c.bench(id));
            let [change, verdict] = compared(
                b,
                a,
                |b, a| (a.median_ns / b.median_ns, true),
                |b, a| match (b.median_interval_ns, a.median_interval_ns) {
                    (Some(b), Some(a)) => judge(b, a, "time", true),
                    _ => "no interval: not judged",
                },
            );
            page.row(&[
                code(name),
                code(id),
                bench_figure(b),
                bench_figure(a),
                change,
                verdict,
            ]);
        }
    }
    page.line("");
}

/// A criterion bench's median, then its interval.
fn bench_figure(bench: Option<&CriterionBench>) -> String {
    let Some(bench) = bench else {
        return "—".to_owned();
    };
    let median = format_value(bench.median_ns * 1e-9, Unit::Seconds);
    match bench
        .median_interval_ns
        .filter(|(low, high)| low < high)
        .and_then(|(low, high)| spread(&[low * 1e-9, high * 1e-9], Unit::Seconds))
    {
        Some(interval) => format!("{median} ({interval})"),
        None => median,
    }
}
