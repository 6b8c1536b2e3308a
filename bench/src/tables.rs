//! The page's tables of figures: each workload's, a row per contender
//! (and the workloads the report does not describe, as recorded), the
//! criterion benches of every crate, and what deadlock detection costs.

use crate::criterion::{CrateBenches, CriterionBench, Throughput};
use crate::format::{format_metric, format_ratio, format_value, sig3, spread};
use crate::inputs::{DEADLOCK_DETECTION, DEADLOCK_DETECTION_OFF, Index, Inputs};
use crate::markdown::{Page, cell_text};
use crate::records::{Record, Unit};
use crate::workloads::{Workload, family, metric_header};

/// One workload's section: its operation, then one row per contender.
pub(crate) fn workload_section(
    page: &mut Page,
    inputs: &Inputs,
    index: &Index<'_>,
    workload: &Workload,
) {
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
pub(crate) fn other_workload_section(
    page: &mut Page,
    inputs: &Inputs,
    index: &Index<'_>,
    id: &str,
) {
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
pub(crate) fn row_label(contender: &str, label: &str) -> String {
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
pub(crate) fn figure_with_spread(record: &Record) -> String {
    let value = format_metric(record.value, record.unit, &record.metric);
    match spread(&record.samples, record.unit) {
        Some(spread) if value != "—" => format!("{value} ({spread})"),
        _ => value,
    }
}

/// "peer ÷ ours" as a "vs pythreading" cell.
pub fn versus(ratio: f64) -> String {
    versus_in(ratio, "(faster)", "slower")
}

/// A ratio of two figures, then `below` or `above` for the side of 1 it
/// is on ("0.87x (faster)", "2.31x slower"), or "(level)" when it shows as
/// 1.00x.
pub(crate) fn versus_in(ratio: f64, below: &str, above: &str) -> String {
    if !ratio.is_finite() || ratio <= 0.0 {
        return "—".to_owned();
    }
    let shown = format_ratio(ratio);
    if shown == "1.00x" {
        "1.00x (level)".to_owned()
    } else if ratio > 1.0 {
        format!("{shown} {above}")
    } else {
        format!("{shown} {below}")
    }
}

/// The criterion benches, one table per crate.
pub(crate) fn criterion_section(page: &mut Page, crates: &[CrateBenches]) {
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
pub(crate) fn deadlock_detection_section(page: &mut Page, inputs: &Inputs) {
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
    fn rows_name_their_contender_once() {
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
