//! The types' sizes: the [`SIZE_OF`] records of a run as a table,
//! pythreading's types first, then the peers' for context, with a
//! baseline's beside them when the page has one.

use crate::format::format_metric;
use crate::inputs::Inputs;
use crate::markdown::{Page, cell_text};
use crate::records::Record;
use crate::workloads::{SIZE, SIZE_OF, family};

/// The size records of a run's comparison suite, in the order written.
fn sizes(inputs: &Inputs) -> impl Iterator<Item = &Record> {
    inputs
        .compare
        .records
        .iter()
        .filter(|r| r.workload == SIZE_OF && r.metric == SIZE)
}

/// The size of `contender`'s type in `inputs`, as the table shows it.
fn size_cell(inputs: &Inputs, contender: &str) -> String {
    match sizes(inputs).find(|r| r.contender == contender) {
        Some(r) => format_metric(r.value, r.unit, &r.metric),
        None => "—".to_owned(),
    }
}

/// The sizes section, under `heading`: one row per type of either run,
/// pythreading's first; a "before" column when there is a `baseline`.
pub(crate) fn sizes_section(
    page: &mut Page,
    heading: &str,
    after: &Inputs,
    baseline: Option<&Inputs>,
) {
    page.line(heading);
    page.line("");
    let mut rows: Vec<&Record> = Vec::new();
    for r in sizes(after).chain(baseline.into_iter().flat_map(sizes)) {
        if !rows.iter().any(|seen| seen.contender == r.contender) {
            rows.push(r);
        }
    }
    // pythreading's types first; each side keeps the suite's order.
    rows.sort_by_key(|r| family(&r.contender) != "pythreading");
    if rows.is_empty() {
        page.line(&format!(
            "{} (no `{SIZE_OF}` records: results older than them).",
            if baseline.is_some() {
                "Neither run has sizes"
            } else {
                "This run has no sizes"
            }
        ));
        page.line("");
        return;
    }
    page.line(
        "`std::mem::size_of` of each type, in bytes: the type's own bytes, where it is \
         stored, not what it points to on the heap (a pool's workers, a channel's shared \
         block). pythreading's types first, then the peers' for context.",
    );
    page.line("");
    for (inputs, whose) in [(Some(after), "This run"), (baseline, "The baseline")] {
        if let Some(inputs) = inputs
            && sizes(inputs).next().is_none()
        {
            page.line(&format!(
                "{whose} has no sizes (no `{SIZE_OF}` records: results older than them); its \
                 column is \"—\"."
            ));
            page.line("");
        }
    }
    match baseline {
        Some(_) => page.head(&["type", "before", "after"]),
        None => page.head(&["type", "size"]),
    }
    for r in rows {
        let mut cells = vec![cell_text(&r.label)];
        if let Some(baseline) = baseline {
            cells.push(size_cell(baseline, &r.contender));
        }
        cells.push(size_cell(after, &r.contender));
        page.row(&cells);
    }
    page.line("");
}
