//! The chart of `BENCHMARKS.md`: one grouped bar chart, drawn by `plotters`.
//!
//! One group per workload's headline figure (two for the pool's latency:
//! p50 and p99), one bar per peer, coloured by the peer's family. A bar's
//! height is how many times faster pythreading is: the peer's figure
//! divided by pythreading's (for the CPU-bound speed-up, where higher is
//! better, pythreading's divided by the peer's). The Y axis is logarithmic,
//! in whole decades, with a line at 1x: a bar rising above it is a workload
//! where pythreading is faster, a bar hanging below it one where the peer
//! is. A figure missing on either side is no bar.
//!
//! [`groups`] computes the bars from the records, [`draw_svg`] draws them.

use std::collections::HashMap;
use std::fmt;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::records::Record;
use crate::report::thousands;

/// The chart's size in pixels.
pub const SIZE: (u32, u32) = (1200, 640);

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

/// The groups of the chart, in order: workload, metric, and the label under
/// the group (two lines).
const GROUPS: [(&str, &str, [&str; 2]); 15] = [
    ("pool_round_trip", "time", ["pool", "round trip"]),
    ("pool_latency", "p50", ["pool", "latency p50"]),
    ("pool_latency", "p99", ["pool", "latency p99"]),
    ("cpu_speedup", "speedup", ["CPU-bound", "speedup"]),
    ("lock_uncontended", "time", ["Lock", "uncontended"]),
    ("lock_contended", "time", ["Lock", "contended"]),
    ("rlock_uncontended", "time", ["RLock", "uncontended"]),
    ("rlock_contended", "time", ["RLock", "contended"]),
    ("queue_bounded", "time", ["Queue", "bounded"]),
    ("queue_unbounded", "time", ["Queue", "unbounded"]),
    ("semaphore", "time", ["Semaphore", ""]),
    ("barrier", "time", ["Barrier", ""]),
    ("thread_start_join", "time", ["thread", "start + join"]),
    ("timers", "memory", ["timers", "memory"]),
    ("timers", "late_p99", ["timers", "late p99"]),
];

/// The metrics where a higher figure is better: their bars are
/// pythreading's figure divided by the peer's.
const HIGHER_IS_BETTER: [&str; 1] = ["speedup"];

/// The colour of a peer family's bars, if it is one of [`FAMILIES`].
pub fn family_colour(family: &str) -> Option<RGBColor> {
    FAMILIES
        .iter()
        .find(|(name, _)| *name == family)
        .map(|(_, colour)| *colour)
}

/// A colour as SVG writes it: `#RRGGBB`.
pub fn hex(colour: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2)
}

/// One bar: a peer family, and how many times faster pythreading is.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The peer's family (a name of [`FAMILIES`]).
    pub family: &'static str,
    /// The peer's figure ÷ pythreading's (inverted for speed-ups): above 1,
    /// pythreading is faster.
    pub ratio: f64,
}

/// One group of bars: a workload's headline figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The workload's id.
    pub workload: &'static str,
    /// The metric compared.
    pub metric: &'static str,
    /// The label under the group, in two lines (the second may be empty).
    pub label: [&'static str; 2],
    /// The bars of the peers that have a figure, in [`FAMILIES`] order.
    pub bars: Vec<Bar>,
}

/// The chart's groups from every record of a run: a bar for each peer
/// family with a figure where pythreading has one too. Every group is
/// there, even without bars, so that groups keep their place.
pub fn groups<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<Group> {
    let mut values: HashMap<(&str, &str, &str), f64> = HashMap::new();
    for record in records {
        values
            .entry((&record.workload, &record.contender, &record.metric))
            .or_insert(record.value);
    }
    GROUPS
        .iter()
        .map(|&(workload, metric, label)| {
            let ours = values.get(&(workload, "pythreading", metric)).copied();
            let bars = FAMILIES
                .iter()
                .filter_map(|&(family, _)| {
                    let peer = *values.get(&(workload, family, metric))?;
                    let ours = ours?;
                    let ratio = if HIGHER_IS_BETTER.contains(&metric) {
                        ours / peer
                    } else {
                        peer / ours
                    };
                    (ratio.is_finite() && ratio > 0.0).then_some(Bar { family, ratio })
                })
                .collect();
            Group {
                workload,
                metric,
                label,
                bars,
            }
        })
        .collect()
}

/// The Y axis: whole decades spanning every bar with a little room past
/// its end, and at least 0.1x to 10x so that both sides of the 1x line
/// show.
pub fn y_range(groups: &[Group]) -> (f64, f64) {
    let (mut lo, mut hi) = (0.1f64, 10.0f64);
    for bar in groups.iter().flat_map(|g| &g.bars) {
        lo = lo.min(bar.ratio / 1.5);
        hi = hi.max(bar.ratio * 1.5);
    }
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    )
}

/// A ratio as the axis and the bar labels show it: `0.1x`, `2.5x`, `1,000x`.
pub fn ratio_label(ratio: f64) -> String {
    if !ratio.is_finite() || ratio <= 0.0 {
        return String::new();
    }
    if ratio >= 100.0 {
        format!("{}x", thousands(ratio.round() as u64))
    } else if ratio >= 10.0 {
        format!("{}x", trim_zeros(&format!("{ratio:.1}")))
    } else if ratio >= 0.1 {
        format!("{}x", trim_zeros(&format!("{ratio:.2}")))
    } else {
        // Two significant digits: 0.025x, 0.001x.
        let digits = (1 - ratio.log10().floor() as i32).max(0) as usize;
        format!("{}x", trim_zeros(&format!("{ratio:.digits$}")))
    }
}

/// Black or white, whichever reads better on `background`.
fn text_on(background: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = background;
    let luma = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luma > 140.0 { BLACK } else { WHITE }
}

fn trim_zeros(number: &str) -> String {
    if number.contains('.') {
        number
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    } else {
        number.to_owned()
    }
}

/// Drawing the chart failed (plotters' error, as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot draw the chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

fn chart_error(e: impl fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// Draws `groups` as an SVG document.
pub fn draw_svg(groups: &[Group]) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, groups)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

const FONT: &str = "sans-serif";

/// The height of the title and legend above the plot, in pixels.
const HEADER: u32 = 96;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    groups: &[Group],
) -> Result<(), ChartError> {
    root.fill(&WHITE).map_err(chart_error)?;
    let (header, body) = root.split_vertically(HEADER);
    draw_header(&header, groups)?;

    let (lo, hi) = y_range(groups);
    let n = groups.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&body)
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(6)
        .x_label_area_size(44)
        .y_label_area_size(84)
        // A hair wider than whole decades: plotters finds the decades to
        // label by rounding logarithms, which would drop an end label.
        .build_cartesian_2d(0f64..n, (lo * (1.0 - 1e-9)..hi * (1.0 + 1e-9)).log_scale())
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(12)
        .y_label_formatter(&|v| ratio_label(*v))
        .y_label_style((FONT, 14))
        .y_desc("peer ÷ pythreading (log scale)")
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()
        .map_err(chart_error)?;

    // A light band behind every other group, so that groups read apart.
    chart
        .draw_series((0..groups.len()).filter(|i| i % 2 == 1).map(|i| {
            Rectangle::new(
                [(i as f64, lo), (i as f64 + 1.0, hi)],
                RGBColor(0xF2, 0xF2, 0xF2).filled(),
            )
        }))
        .map_err(chart_error)?;

    // Bars of one width everywhere, centred in their group; each rises
    // from the 1x line, or hangs from it.
    let figure_colour = RGBColor(0x40, 0x40, 0x40);
    let slots = groups
        .iter()
        .map(|g| g.bars.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let width = 0.8 / slots as f64;
    for (i, group) in groups.iter().enumerate() {
        let start = i as f64 + 0.5 - width * group.bars.len() as f64 / 2.0;
        for (k, bar) in group.bars.iter().enumerate() {
            let Some(colour) = family_colour(bar.family) else {
                continue;
            };
            let x0 = start + width * k as f64;
            // In pixels, so that a bar next to 1x keeps a visible sliver
            // of its colour (3 px) to tie it to its figure.
            let (left, py) = chart.backend_coord(&(x0 + width * 0.08, bar.ratio));
            let (right, one) = chart.backend_coord(&(x0 + width * 0.92, 1.0));
            let end = if bar.ratio >= 1.0 {
                py.min(one - 3)
            } else {
                py.max(one + 3)
            };
            root.draw(&Rectangle::new(
                [(left, one), (right, end)],
                colour.filled(),
            ))
            .map_err(chart_error)?;
            // The figure, written along the bar: inside its outer end when
            // it fits (about 7 px a character), else past it.
            let (px, py) = ((left + right) / 2, end);
            let text = ratio_label(bar.ratio);
            let inside = (py - one).abs() > 7 * text.len() as i32 + 10;
            let up = bar.ratio >= 1.0;
            let (text_y, anchor) = match (up, inside) {
                (true, false) => (py - 4, HPos::Left),
                (true, true) => (py + 4, HPos::Right),
                (false, false) => (py + 4, HPos::Right),
                (false, true) => (py - 4, HPos::Left),
            };
            let colour = if inside {
                text_on(colour)
            } else {
                figure_colour
            };
            let style = TextStyle::from((FONT, 12).into_font())
                .color(&colour)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(anchor, VPos::Center));
            root.draw(&Text::new(text, (px, text_y), style))
                .map_err(chart_error)?;
        }
    }

    // The 1x line: above it pythreading is faster.
    chart
        .draw_series(LineSeries::new(
            [(0.0, 1.0), (n, 1.0)],
            BLACK.stroke_width(2),
        ))
        .map_err(chart_error)?;

    // Group labels, two lines under each group.
    let label_style = TextStyle::from((FONT, 14).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (i, group) in groups.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, lo));
        for (line, text) in group.label.iter().enumerate() {
            if !text.is_empty() {
                root.draw(&Text::new(
                    *text,
                    (px, py + 8 + 17 * line as i32),
                    label_style.clone(),
                ))
                .map_err(chart_error)?;
            }
        }
    }
    Ok(())
}

/// The title, what a bar means, and the legend (the families that have a
/// bar).
fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[Group],
) -> Result<(), ChartError> {
    let (width, _) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    let grey = BLACK.mix(0.7);
    area.draw(&Text::new(
        "How many times faster pythreading is than each peer",
        (width as i32 / 2, 10),
        TextStyle::from((FONT, 22).into_font()).pos(centre),
    ))
    .map_err(chart_error)?;
    area.draw(&Text::new(
        "bar = peer's median ÷ pythreading's (CPU-bound speedup: pythreading's ÷ peer's); \
         above the 1x line pythreading is faster, below it the peer is",
        (width as i32 / 2, 40),
        TextStyle::from((FONT, 14).into_font())
            .color(&grey)
            .pos(centre),
    ))
    .map_err(chart_error)?;

    let present: Vec<(&str, RGBColor)> = FAMILIES
        .iter()
        .filter(|(family, _)| {
            groups
                .iter()
                .flat_map(|g| &g.bars)
                .any(|b| b.family == *family)
        })
        .copied()
        .collect();
    // Centred entries: a swatch, then the name (about 8 px a letter).
    let entry_width = |family: &str| 16 + 6 + 8 * family.len() as i32 + 36;
    let total: i32 = present.iter().map(|(f, _)| entry_width(f)).sum();
    let mut x = width as i32 / 2 - total / 2;
    for (family, colour) in present {
        area.draw(&Rectangle::new([(x, 68), (x + 16, 84)], colour.filled()))
            .map_err(chart_error)?;
        area.draw(&Text::new(
            family,
            (x + 22, 76),
            TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(chart_error)?;
        x += entry_width(family);
    }
    Ok(())
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

    #[test]
    fn bars_are_peer_over_ours_and_speedups_inverted() {
        let records = [
            record("pool_round_trip", "pythreading", "time", 2.0),
            record("pool_round_trip", "rayon", "time", 5.0),
            record("pool_round_trip", "python", "time", 0.0),
            record("cpu_speedup", "pythreading", "speedup", 1.9),
            record("cpu_speedup", "python", "speedup", 0.95),
            record("barrier", "std", "time", 1.0),
            record("lock_uncontended", "mystery", "time", 1.0),
            record("lock_uncontended", "pythreading", "time", 1.0),
        ];
        let groups = groups(&records);
        assert_eq!(groups.len(), GROUPS.len());
        assert_eq!(
            groups[0].bars,
            [Bar {
                family: "rayon",
                ratio: 2.5
            }]
        );
        assert_eq!(
            groups[3].bars,
            [Bar {
                family: "python",
                ratio: 2.0
            }]
        );
        // No pythreading figure, no bar; unknown contenders are not drawn.
        let barrier = groups.iter().find(|g| g.workload == "barrier").unwrap();
        assert!(barrier.bars.is_empty());
        let lock = groups
            .iter()
            .find(|g| g.workload == "lock_uncontended")
            .unwrap();
        assert!(lock.bars.is_empty());
    }

    #[test]
    fn y_range_is_whole_decades_around_one() {
        assert_eq!(y_range(&[]), (0.1, 10.0));
        let group = |ratio| Group {
            workload: "w",
            metric: "time",
            label: ["", ""],
            bars: vec![Bar {
                family: "python",
                ratio,
            }],
        };
        let (lo, hi) = y_range(&[group(0.05), group(2345.0)]);
        assert!((lo - 0.01).abs() < 1e-12, "{lo}");
        assert!((hi - 10_000.0).abs() < 1e-6, "{hi}");
    }

    #[test]
    fn ratio_labels() {
        assert_eq!(ratio_label(0.1), "0.1x");
        assert_eq!(ratio_label(0.25), "0.25x");
        assert_eq!(ratio_label(1.0), "1x");
        assert_eq!(ratio_label(2.3456), "2.35x");
        assert_eq!(ratio_label(1.016), "1.02x");
        assert_eq!(ratio_label(0.01), "0.01x");
        assert_eq!(ratio_label(0.0234), "0.023x");
        assert_eq!(ratio_label(12.34), "12.3x");
        assert_eq!(ratio_label(10_000.0), "10,000x");
        assert_eq!(ratio_label(f64::NAN), "");
    }
}
