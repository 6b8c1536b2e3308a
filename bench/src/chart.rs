//! The chart of `BENCHMARKS.md`: grouped bars, drawn by `plotters`.
//!
//! One group for every metric of every workload the page shows (its
//! [`Workload::metrics`](crate::workloads::Workload::metrics)), one bar per peer, coloured by the peer's family;
//! a peer's second form (rayon's `par_iter` or `install`, a mutex holding
//! its data: a contender id with a `/`) is a lighter bar of the same
//! colour, beside the first. A bar's height is the peer's figure divided
//! by pythreading's, for every metric where lower is better (times,
//! threads, memory, lateness); for the CPU-bound speedup, where higher is
//! better, pythreading's divided by the peer's. So above 1 pythreading
//! does better, below 1 the peer does: the Y axis is logarithmic, in whole
//! decades, with a line at 1x and the part below it shaded, so that a
//! loss reads as one. A figure missing on either side is no bar, and so is
//! a figure of different work ([`INCOMPARABLE`](crate::bars::INCOMPARABLE)).
//!
//! The groups are laid out in rows ([`rows`]), a workload never split
//! between two. [`groups`](crate::bars::groups) computes the bars from the
//! records, [`losses`](crate::bars::losses) lists the bars below 1x,
//! [`draw_svg`] draws them.

use std::fmt;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::bars::{Bar, FAMILIES, Group, family_colour, tint};
use crate::format::thousands;

/// The chart's width in pixels; its height grows with its rows.
pub const WIDTH: u32 = 1200;

/// At most this many groups in a row of the chart.
pub const GROUPS_PER_ROW: usize = 12;

/// A colour as SVG writes it: `#RRGGBB`.
pub fn hex(colour: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2)
}

/// The groups split into the chart's rows: whole workloads, in order, at
/// most [`GROUPS_PER_ROW`] groups a row (a workload of more metrics than
/// that has a row of its own).
pub fn rows(groups: &[Group]) -> Vec<&[Group]> {
    let mut rows = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < groups.len() {
        // The workload starting at `i` runs to `end`.
        let end = groups[i..]
            .iter()
            .position(|g| g.workload != groups[i].workload)
            .map_or(groups.len(), |n| i + n);
        if end - start > GROUPS_PER_ROW && i > start {
            rows.push(&groups[start..i]);
            start = i;
        }
        i = end;
    }
    if start < groups.len() {
        rows.push(&groups[start..]);
    }
    rows
}

/// The chart's size in pixels for `groups`.
pub fn size(groups: &[Group]) -> (u32, u32) {
    let rows = rows(groups).len().max(1) as u32;
    (WIDTH, HEADER + ROW * rows)
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
        let root = SVGBackend::with_string(&mut svg, size(groups)).into_drawing_area();
        draw(&root, groups)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

const FONT: &str = "sans-serif";

/// The height of the title, the key and the legend above the rows.
const HEADER: u32 = 128;

/// The height of one row of groups.
const ROW: u32 = 420;

/// The shade below the 1x line, where the peer does better.
const LOSS_SHADE: RGBColor = RGBColor(0xFB, 0xE3, 0xDF);

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    groups: &[Group],
) -> Result<(), ChartError> {
    root.fill(&WHITE).map_err(chart_error)?;
    let (header, body) = root.split_vertically(HEADER);
    draw_header(&header, groups)?;
    let range = y_range(groups);
    // Bars of one width everywhere: the widest group decides.
    let slots = groups
        .iter()
        .map(|g| g.bars.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let rows = rows(groups);
    let mut rest = body;
    for row in rows {
        let (area, below) = rest.split_vertically(ROW);
        draw_row(root, &area, row, range, slots)?;
        rest = below;
    }
    Ok(())
}

/// One row of groups, on its own axes; `range` is the whole chart's, so
/// that a bar's height means the same in every row.
fn draw_row<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    groups: &[Group],
    (lo, hi): (f64, f64),
    slots: usize,
) -> Result<(), ChartError> {
    let n = groups.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(20)
        .margin_top(8)
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

    // Below the 1x line, where the peer does better, shaded; a light band
    // behind every other group, so that groups read apart.
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, lo), (n, 1.0)],
            LOSS_SHADE.filled(),
        )))
        .map_err(chart_error)?;
    chart
        .draw_series((0..groups.len()).filter(|i| i % 2 == 1).map(|i| {
            Rectangle::new(
                [(i as f64, lo), (i as f64 + 1.0, hi)],
                BLACK.mix(0.05).filled(),
            )
        }))
        .map_err(chart_error)?;

    // Each bar rises from the 1x line, or hangs from it, centred in its
    // group.
    let figure_colour = RGBColor(0x40, 0x40, 0x40);
    let width = 0.8 / slots as f64;
    for (i, group) in groups.iter().enumerate() {
        let start = i as f64 + 0.5 - width * group.bars.len() as f64 / 2.0;
        for (k, bar) in group.bars.iter().enumerate() {
            let colour = bar.colour();
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
            if bar.second_form() {
                // An outline in the family's own colour, so that the
                // lighter bar stands out from the background.
                let outline = family_colour(bar.family).unwrap_or(BLACK);
                root.draw(&Rectangle::new([(left, one), (right, end)], outline))
                    .map_err(chart_error)?;
            }
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

    // The 1x line: above it pythreading does better.
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
                    text.as_str(),
                    (px, py + 8 + 17 * line as i32),
                    label_style.clone(),
                ))
                .map_err(chart_error)?;
            }
        }
    }
    Ok(())
}

/// One entry of the legend: its colour, its outline (for a second form),
/// and its text.
type LegendEntry = (RGBColor, Option<RGBColor>, String);

/// The legend: each family that has a bar, and after it, lighter, its
/// second forms that have one (`rayon par_iter/install`).
pub fn legend(groups: &[Group]) -> Vec<(String, RGBColor)> {
    legend_entries(groups)
        .into_iter()
        .map(|(colour, _, text)| (text, colour))
        .collect()
}

fn legend_entries(groups: &[Group]) -> Vec<LegendEntry> {
    let bars: Vec<&Bar> = groups.iter().flat_map(|g| &g.bars).collect();
    let mut entries = Vec::new();
    for (family, colour) in FAMILIES {
        if bars.iter().any(|b| b.contender == family) {
            entries.push((colour, None, family.to_owned()));
        }
        let mut forms: Vec<&str> = Vec::new();
        for bar in bars
            .iter()
            .filter(|b| b.family == family && b.second_form())
        {
            let form = &bar.contender[family.len() + 1..];
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        if !forms.is_empty() {
            let text = format!("{family} {}", forms.join("/"));
            entries.push((tint(colour), Some(colour), text));
        }
    }
    entries
}

/// The title, what a bar means, and the legend (the contenders that have
/// a bar), in as many lines as it needs.
fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[Group],
) -> Result<(), ChartError> {
    let (width, _) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    let grey = BLACK.mix(0.7);
    area.draw(&Text::new(
        TITLE,
        (width as i32 / 2, 10),
        TextStyle::from((FONT, 22).into_font()).pos(centre),
    ))
    .map_err(chart_error)?;
    for (line, text) in [
        "bar = peer's figure ÷ pythreading's for every metric where lower is better (times, \
         threads, memory, lateness); for the CPU-bound speedup, pythreading's ÷ the peer's",
        "above the 1x line pythreading does better; in the shaded part below it the peer does; \
         lighter bars: the peer's second form",
    ]
    .iter()
    .enumerate()
    {
        area.draw(&Text::new(
            *text,
            (width as i32 / 2, 40 + 18 * line as i32),
            TextStyle::from((FONT, 14).into_font())
                .color(&grey)
                .pos(centre),
        ))
        .map_err(chart_error)?;
    }

    // Centred lines of entries: a swatch, then the name (about 7 px a
    // letter at this size).
    let entries = legend_entries(groups);
    let entry_width = |text: &str| 16 + 6 + 7 * text.chars().count() as i32 + 18;
    let mut lines: Vec<Vec<&LegendEntry>> = vec![Vec::new()];
    let mut used = 0;
    for entry in &entries {
        let w = entry_width(&entry.2);
        if used + w > width as i32 - 40 && used > 0 {
            lines.push(Vec::new());
            used = 0;
        }
        used += w;
        lines.last_mut().expect("a line").push(entry);
    }
    for (line, entries) in lines.iter().enumerate() {
        let y = 92 + 22 * line as i32;
        let total: i32 = entries.iter().map(|e| entry_width(&e.2)).sum();
        let mut x = width as i32 / 2 - total / 2;
        for &&(colour, outline, ref text) in entries {
            let swatch = [(x, y - 8), (x + 16, y + 8)];
            area.draw(&Rectangle::new(swatch, colour.filled()))
                .map_err(chart_error)?;
            if let Some(outline) = outline {
                area.draw(&Rectangle::new(swatch, outline))
                    .map_err(chart_error)?;
            }
            area.draw(&Text::new(
                text.as_str(),
                (x + 22, y),
                TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(chart_error)?;
            x += entry_width(text);
        }
    }
    Ok(())
}

/// The chart's title.
pub const TITLE: &str = "pythreading against each peer, on every metric of every workload";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::groups;
    use crate::workloads::family;

    fn bar(contender: &'static str, ratio: f64) -> Bar {
        Bar {
            contender,
            family: family(contender),
            ratio,
        }
    }

    #[test]
    fn second_forms_are_named_in_the_legend_after_their_family() {
        let group = |bars| Group {
            workload: "w",
            metric: "time",
            label: [String::new(), String::new()],
            bars,
        };
        let groups = [
            group(vec![bar("python", 2.0)]),
            group(vec![bar("rayon", 2.5), bar("rayon/par_iter", 0.25)]),
            group(vec![bar("std", 0.2)]),
        ];
        let legend: Vec<String> = legend(&groups).into_iter().map(|(t, _)| t).collect();
        assert_eq!(legend, ["rayon", "rayon par_iter", "std", "python"]);
    }

    #[test]
    fn rows_keep_workloads_whole() {
        let groups = groups(&[]);
        let rows = rows(&groups);
        assert!(rows.len() >= 2, "{}", rows.len());
        assert_eq!(rows.iter().map(|r| r.len()).sum::<usize>(), groups.len());
        for (i, row) in rows.iter().enumerate() {
            assert!(row.len() <= GROUPS_PER_ROW, "row {i}: {}", row.len());
            if let Some(next) = rows.get(i + 1) {
                assert_ne!(row.last().unwrap().workload, next[0].workload);
            }
        }
        assert_eq!(size(&groups), (WIDTH, HEADER + ROW * rows.len() as u32));
    }

    #[test]
    fn y_range_is_whole_decades_around_one() {
        assert_eq!(y_range(&[]), (0.1, 10.0));
        let group = |ratio| Group {
            workload: "w",
            metric: "time",
            label: [String::new(), String::new()],
            bars: vec![bar("python", ratio)],
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
