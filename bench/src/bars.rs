//! The bars of the chart, from the records: a group for every metric of
//! every workload ([`Group`]), and in it a bar for each peer ([`Bar`]), its
//! height the peer's figure divided by pythreading's (pythreading's divided
//! by the peer's where higher is better), so that above 1 pythreading does
//! better. [`groups`] computes them and [`losses`] lists the bars below
//! 1x: the chart draws the one, the page lists the other under it.

use std::collections::HashMap;

use plotters::style::{BLACK, RGBColor};

use crate::records::Record;
use crate::workloads::{WORKLOADS, Workload, family};

/// The peer families, in legend order, with their colours (Okabe–Ito, which
/// stay distinct for the common kinds of colour blindness).
pub const FAMILIES: [(&str, RGBColor); 6] = [
    ("rayon", RGBColor(0xE6, 0x9F, 0x00)),
    ("threadpool", RGBColor(0x56, 0xB4, 0xE9)),
    ("std", RGBColor(0x00, 0x9E, 0x73)),
    ("parking_lot", RGBColor(0xCC, 0x79, 0xA7)),
    ("crossbeam", RGBColor(0x00, 0x72, 0xB2)),
    ("python", RGBColor(0xD5, 0x5E, 0x00)),
];

/// The metrics where a higher figure is better: their bars are
/// pythreading's figure divided by the peer's.
pub(crate) const HIGHER_IS_BETTER: [&str; 1] = ["speedup"];

/// Figures that measure different work from pythreading's, so that their
/// ratio means nothing: (workload, metric, contender). Python's CPU-bound
/// pieces are sized by time, not by steps; its speedup compares, its
/// times do not.
pub const INCOMPARABLE: [(&str, &str, &str); 2] = [
    ("cpu_speedup", "sequential", "python"),
    ("cpu_speedup", "parallel", "python"),
];

/// The colour of a peer family's bars, if it is one of [`FAMILIES`].
pub fn family_colour(family: &str) -> Option<RGBColor> {
    FAMILIES
        .iter()
        .find(|(name, _)| *name == family)
        .map(|(_, colour)| *colour)
}

/// The lighter colour of a family's second form: halfway to white.
pub fn tint(colour: RGBColor) -> RGBColor {
    let half = |c: u8| ((u16::from(c) + 255) / 2) as u8;
    RGBColor(half(colour.0), half(colour.1), half(colour.2))
}

/// One bar: a peer, and how many times better pythreading does.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The contender's id (`rayon`, `rayon/par_iter`, …).
    pub contender: &'static str,
    /// Its family (a name of [`FAMILIES`]).
    pub family: &'static str,
    /// The peer's figure ÷ pythreading's (inverted for speed-ups): above 1,
    /// pythreading does better.
    pub ratio: f64,
}

impl Bar {
    /// Whether this is a family's second form (drawn lighter).
    pub fn second_form(&self) -> bool {
        self.contender != self.family
    }

    /// The colour of the bar.
    pub fn colour(&self) -> RGBColor {
        let colour = family_colour(self.family).unwrap_or(BLACK);
        if self.second_form() {
            tint(colour)
        } else {
            colour
        }
    }
}

/// One group of bars: one metric of one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The workload's id.
    pub workload: &'static str,
    /// The metric compared.
    pub metric: &'static str,
    /// The label under the group, in two lines (the second may be empty).
    pub label: [String; 2],
    /// The bars of the peers that have a figure, in the workload's
    /// contender order.
    pub bars: Vec<Bar>,
}

/// The chart's groups from every record of a run: one for every metric of
/// every workload of [`WORKLOADS`], and in it a bar for each peer of the
/// workload (a contender of a known family) with a figure where
/// pythreading has one too. Every group is there, even without bars, so
/// that groups keep their place.
pub fn groups<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<Group> {
    let mut values: HashMap<(&str, &str, &str), f64> = HashMap::new();
    for record in records {
        values
            .entry((&record.workload, &record.contender, &record.metric))
            .or_insert(record.value);
    }
    let mut groups = Vec::new();
    for workload in WORKLOADS {
        for &metric in workload.metrics {
            groups.push(group(workload, metric, &values));
        }
    }
    groups
}

fn group(
    workload: &'static Workload,
    metric: &'static str,
    values: &HashMap<(&str, &str, &str), f64>,
) -> Group {
    let id = workload.id;
    let ours = values.get(&(id, "pythreading", metric)).copied();
    let bars = workload
        .contenders
        .iter()
        .filter_map(|&(contender, _)| {
            let (family, _) = FAMILIES.iter().find(|(f, _)| *f == family(contender))?;
            if INCOMPARABLE.contains(&(id, metric, contender)) {
                return None;
            }
            let peer = *values.get(&(id, contender, metric))?;
            let ours = ours?;
            let ratio = if HIGHER_IS_BETTER.contains(&metric) {
                ours / peer
            } else {
                peer / ours
            };
            (ratio.is_finite() && ratio > 0.0).then_some(Bar {
                contender,
                family,
                ratio,
            })
        })
        .collect();
    Group {
        workload: id,
        metric,
        label: workload.chart_label(metric),
        bars,
    }
}

/// The bars below 1x: where a peer did better than pythreading, worst
/// first, each with its group.
pub fn losses(groups: &[Group]) -> Vec<(&Group, &Bar)> {
    let mut losses: Vec<(&Group, &Bar)> = groups
        .iter()
        .flat_map(|g| g.bars.iter().map(move |b| (g, b)))
        .filter(|(_, b)| b.ratio < 1.0)
        .collect();
    losses.sort_by(|a, b| a.1.ratio.total_cmp(&b.1.ratio));
    losses
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Unit;

    fn record(workload: &str, contender: &str, metric: &str, value: f64) -> Record {
        Record {
            workload: workload.into(),
            contender: contender.into(),
            label: contender.into(),
            metric: metric.into(),
            value,
            unit: Unit::Seconds,
            samples: vec![],
        }
    }

    fn bar(contender: &'static str, ratio: f64) -> Bar {
        Bar {
            contender,
            family: family(contender),
            ratio,
        }
    }

    fn find<'a>(groups: &'a [Group], workload: &str, metric: &str) -> &'a Group {
        groups
            .iter()
            .find(|g| g.workload == workload && g.metric == metric)
            .unwrap_or_else(|| panic!("no group {workload} {metric}"))
    }

    #[test]
    fn a_group_for_every_metric_of_every_workload() {
        let groups = groups(&[]);
        let expected: Vec<(&str, &str)> = WORKLOADS
            .iter()
            .flat_map(|w| w.metrics.iter().map(move |m| (w.id, *m)))
            .collect();
        let got: Vec<(&str, &str)> = groups.iter().map(|g| (g.workload, g.metric)).collect();
        assert_eq!(got, expected);
        // The timers' lateness, where a thread per timer can do better, is
        // there with the rest.
        for metric in [
            "start", "threads", "memory", "late_p50", "late_p99", "late_max", "cancel",
        ] {
            find(&groups, "timers", metric);
        }
        assert_eq!(
            find(&groups, "timers", "late_p50").label,
            ["timers".to_owned(), "late p50".to_owned()]
        );
        assert_eq!(
            find(&groups, "lock_contended", "time").label,
            ["Lock".to_owned(), "contended".to_owned()]
        );
    }

    #[test]
    fn bars_are_peer_over_ours_and_speedups_inverted() {
        let records = [
            record("pool_round_trip", "pythreading", "time", 2.0),
            record("pool_round_trip", "rayon", "time", 5.0),
            record("pool_round_trip", "rayon/par_iter", "time", 0.5),
            record("pool_round_trip", "python", "time", 0.0),
            record("cpu_speedup", "pythreading", "speedup", 1.9),
            record("cpu_speedup", "python", "speedup", 0.95),
            record("cpu_speedup", "pythreading", "parallel", 1.0),
            record("cpu_speedup", "rayon", "parallel", 1.1),
            record("cpu_speedup", "python", "parallel", 9.0),
            record("barrier", "std", "time", 1.0),
            record("lock_uncontended", "mystery", "time", 1.0),
            record("lock_uncontended", "pythreading", "time", 1.0),
            record("timers", "pythreading", "late_p50", 1e-3),
            record("timers", "std", "late_p50", 0.2e-3),
        ];
        let groups = groups(&records);
        assert_eq!(
            find(&groups, "pool_round_trip", "time").bars,
            [bar("rayon", 2.5), bar("rayon/par_iter", 0.25)]
        );
        assert_eq!(
            find(&groups, "cpu_speedup", "speedup").bars,
            [bar("python", 2.0)]
        );
        // Python's CPU-bound times are of different work: no bar.
        assert_eq!(
            find(&groups, "cpu_speedup", "parallel").bars,
            [bar("rayon", 1.1)]
        );
        // A loss is a bar below 1.
        assert_eq!(find(&groups, "timers", "late_p50").bars, [bar("std", 0.2)]);
        // No pythreading figure, no bar; unknown contenders are not drawn.
        assert!(find(&groups, "barrier", "time").bars.is_empty());
        assert!(find(&groups, "lock_uncontended", "time").bars.is_empty());

        // The losses, worst first.
        let losses: Vec<(&str, &str, f64)> = losses(&groups)
            .iter()
            .map(|(g, b)| (g.workload, b.contender, b.ratio))
            .collect();
        assert_eq!(
            losses,
            [
                ("timers", "std", 0.2),
                ("pool_round_trip", "rayon/par_iter", 0.25)
            ]
        );
        // A second form is lighter.
        let par_iter = &find(&groups, "pool_round_trip", "time").bars[1];
        assert!(par_iter.second_form());
        assert_eq!(par_iter.colour(), tint(family_colour("rayon").unwrap()));
    }
}
