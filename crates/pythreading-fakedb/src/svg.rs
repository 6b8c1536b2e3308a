//! The timeline drawn as an SVG diagram: a lane per thread, a row per
//! statement, and each write that wiped out another thread's update in red.
//!
//! Plain string building: the layout is a grid whose column widths come
//! from the lengths of the texts they hold, at an estimated width per
//! character of the monospace font.

use std::fmt::Write as _;

use crate::timeline::{Event, Overwrite, Step, Timeline};

/// Writes into a `String`, which cannot fail.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// The font of every text: its width per character is what the layout
/// estimates.
const FONT_FAMILY: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
/// A monospace glyph's advance, in ems (DejaVu Sans Mono: 0.602), rounded
/// up so that estimates err on the wide side.
const CHAR_EM: f64 = 0.62;

const TITLE_SIZE: f64 = 16.0;
const TEXT_SIZE: f64 = 12.0;
const SMALL_SIZE: f64 = 10.0;
const LABEL_SIZE: f64 = 13.0;

const MARGIN: f64 = 16.0;
/// Space between two columns.
const GAP: f64 = 12.0;
/// Space between a box's border and its text.
const PAD: f64 = 8.0;
/// Height of a line of the title block (title, summary, legend).
const LINE: f64 = 22.0;
/// Height of a lane's header: its update label over its thread's name.
const HEADER: f64 = 44.0;
/// Height of one event's row, and of the box in it.
const ROW: f64 = 44.0;
const BOX: f64 = 36.0;
/// Space between a lane's border and its event boxes.
const INSET: f64 = 10.0;
/// How far from its box's side an arrow enters the box's top.
const ENTRY: f64 = 24.0;
/// The narrowest a lane is drawn.
const MIN_LANE: f64 = 150.0;

const RED: &str = "#c62828";
const RED_FILL: &str = "#ffebee";
const RED_CELL: &str = "#ffcdd2";
const CHANGED_FILL: &str = "#c8e6c9";
const SHARED_FILL: &str = "#e3f2fd";
const LOCK_FILL: &str = "#ffe082";
const STRIPE: &str = "#f5f5f5";
const GREY: &str = "#616161";
const BORDER: &str = "#9e9e9e";

impl Timeline {
    /// The timeline as a standalone SVG document, titled like
    /// `fakedb: 2 threads, update, 100ms delay` (see
    /// [`to_svg_titled`](Self::to_svg_titled)).
    ///
    /// The tutorial's pictures of the race, drawn from the recorded run.
    /// Time runs down the page, one row per event in the order the
    /// statements ran (not to scale: each row's time, in milliseconds, is
    /// in the left-hand column). Each thread has a lane (a column), in
    /// the order of [`threads`](Self::threads), headed by its update's
    /// label (`Thread 0`) over the thread's name; each event is a box in
    /// its thread's lane, with its [`statement`](Self::statement) and its
    /// `local_copy`. The right-hand column is the shared value after each
    /// row, highlighted where it changed (a write shows `replaced → value`).
    /// A dashed line runs down a lane while its thread sleeps, and a
    /// shaded band while it holds the lock.
    ///
    /// Each [overwrite](Self::overwrites) is drawn in red: the write's box
    /// and its shared-value cell, the note of [`describe`](Self::describe)
    /// beside the value, a red arrow from each write it wiped out, whose
    /// box gets a dashed red outline. A legend explains the marks, and a
    /// footnote counts the statements not recorded, if
    /// [`dropped`](Self::dropped) is not 0. An empty timeline gives a
    /// valid SVG holding the title and a notice.
    ///
    /// Every text is XML-escaped (thread names are the user's); characters
    /// XML cannot hold become `U+FFFD`. Widths are estimated from text
    /// lengths, so long names widen their lane rather than overflow it.
    ///
    /// # Structure
    ///
    /// For programs reading the diagram, the document keeps to this:
    ///
    /// - the root is `<svg xmlns="http://www.w3.org/2000/svg">` with
    ///   `width`, `height` and `viewBox`, and a `<title>` child;
    /// - one `<g class="lane" data-thread="NAME">` per thread, in the order
    ///   of [`threads`](Self::threads), `NAME` being the thread's name.
    ///   It holds the lane's header (`<text class="label">`,
    ///   `<text class="thread">`), its sleep lines (`class="sleep"`), lock
    ///   bands (`class="lock"`) and the boxes of its events;
    /// - one `<g class="event">` per event, inside its thread's lane (in
    ///   event order within the lane), with `data-index` (its index in
    ///   [`events`](Self::events)), `data-step` (the [`Step`]'s `Debug`
    ///   name, e.g. `Write`), `data-update` (the `name` given to the
    ///   update), `data-ms` (its time) and, on a write that overwrote an
    ///   update, `data-overwrite="true"`;
    /// - one `<g class="value">` per event in the shared-value column, with
    ///   `data-index`, `data-value`, `data-changed` and `data-overwrite`;
    /// - one `<g class="overwrite">` per entry of
    ///   [`overwrites`](Self::overwrites), in that order, with
    ///   `data-write` (the write's event index), `data-overwritten` (the
    ///   indices of the writes it wiped out, space-separated) and
    ///   `data-lost`, holding the note and the arrows: there are none in a
    ///   timeline without overwrites;
    /// - `<text class="title">`, and `<text class="summary">` and
    ///   `<g class="legend">` when there are events, or
    ///   `<text class="notice">` when there are none;
    /// - `<text class="footnote">` when events were dropped.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_fakedb::{Event, Step, Timeline};
    ///
    /// let event = |name: usize, step, local_copy, value, replaced| Event {
    ///     at: Duration::from_millis(name as u64),
    ///     thread: format!("worker-{name}"),
    ///     name,
    ///     step,
    ///     local_copy,
    ///     value,
    ///     replaced,
    /// };
    /// // Both threads read 0 and write 1: the second write wipes out the first.
    /// let timeline = Timeline::new(
    ///     vec![
    ///         event(0, Step::Read, Some(0), 0, None),
    ///         event(1, Step::Read, Some(0), 0, None),
    ///         event(0, Step::Write, Some(1), 1, Some(0)),
    ///         event(1, Step::Write, Some(1), 1, Some(1)),
    ///     ],
    ///     Duration::from_millis(100),
    /// );
    /// let svg = timeline.to_svg();
    /// assert!(svg.starts_with("<svg"));
    /// assert_eq!(svg.matches(r#"<g class="lane""#).count(), 2);
    /// assert_eq!(svg.matches(r#"<g class="event""#).count(), 4);
    /// assert_eq!(svg.matches(r#"<g class="overwrite""#).count(), 1);
    /// assert!(svg.contains("overwrites Thread 0&apos;s update: 1 lost"));
    /// ```
    pub fn to_svg(&self) -> String {
        self.to_svg_titled(&self.svg_title())
    }

    /// The diagram of [`to_svg`](Self::to_svg) under the given title, e.g.
    /// one naming the demo's mode, which a timeline does not know.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_fakedb::Timeline;
    ///
    /// let svg = Timeline::new(Vec::new(), Duration::ZERO).to_svg_titled("Race & fix");
    /// assert!(svg.contains("<title>Race &amp; fix</title>"));
    /// ```
    pub fn to_svg_titled(&self, title: &str) -> String {
        Diagram::new(self, title).draw()
    }

    /// `fakedb: 2 threads, update, 100ms delay`, from what the timeline
    /// knows: its lanes, which update its events come from, and its delay.
    fn svg_title(&self) -> String {
        let events = self.events();
        let threads = self.threads().len();
        // An update is locked if any of its statements is a lock step.
        let mut updates: Vec<(&Event, bool)> = Vec::new();
        for event in events {
            match updates.iter_mut().find(|(e, _)| same_update(e, event)) {
                Some((_, locked)) => *locked |= is_lock_step(event.step),
                None => updates.push((event, is_lock_step(event.step))),
            }
        }
        let kind = match (
            updates.iter().any(|(_, locked)| !locked),
            updates.iter().any(|(_, locked)| *locked),
        ) {
            (true, true) => "update and locked_update, ",
            (true, false) => "update, ",
            (false, true) => "locked_update, ",
            (false, false) => "",
        };
        let s = if threads == 1 { "" } else { "s" };
        format!(
            "fakedb: {threads} thread{s}, {kind}{:?} delay",
            self.delay()
        )
    }
}

fn is_lock_step(step: Step) -> bool {
    matches!(
        step,
        Step::AboutToLock | Step::HasLock | Step::AboutToRelease | Step::AfterRelease
    )
}

fn same_update(a: &Event, b: &Event) -> bool {
    a.thread == b.thread && a.name == b.name
}

/// `text` made safe for XML character data and attribute values: the five
/// special characters as entities, and the characters XML 1.0 cannot hold
/// at all, even as references (the control characters other than tab and
/// line breaks, and the noncharacters `U+FFFE` and `U+FFFF`), as `U+FFFD`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => escaped.push('\u{FFFD}'),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The estimated width of `text` at font size `size`.
fn width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_EM
}

/// A number for an attribute: at most one decimal.
fn num(x: f64) -> String {
    // Adding 0 turns -0 into 0.
    let rounded = (x * 10.0).round() / 10.0 + 0.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// `<text …>escaped</text>`, with `attrs` added to the element.
fn text(out: &mut String, x: f64, y: f64, size: f64, attrs: &str, content: &str) {
    put!(
        out,
        r#"<text x="{}" y="{}" font-size="{}"{}{attrs}>{}</text>"#,
        num(x),
        num(y),
        num(size),
        if attrs.is_empty() { "" } else { " " },
        escape(content)
    );
    out.push('\n');
}

/// `<rect …/>`, with `attrs` added to the element.
fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
    put!(
        out,
        r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}/>"#,
        num(x),
        num(y),
        num(w),
        num(h)
    );
    out.push('\n');
}

/// One thread's column.
struct Lane<'a> {
    thread: &'a str,
    /// The labels of the updates the thread ran, e.g. `Thread 0`.
    labels: Vec<String>,
    x: f64,
    width: f64,
}

impl Lane<'_> {
    fn center(&self) -> f64 {
        self.x + self.width / 2.0
    }

    fn box_left(&self) -> f64 {
        self.x + INSET
    }

    fn box_right(&self) -> f64 {
        self.x + self.width - INSET
    }
}

/// The laid-out diagram: column positions and the texts that sized them.
struct Diagram<'a> {
    timeline: &'a Timeline,
    title: &'a str,
    summary: String,
    lanes: Vec<Lane<'a>>,
    /// For each event, its lane.
    lane_of: Vec<usize>,
    /// For each event, the overwrite it made, as an index in `overwrites`.
    overwrite_at: Vec<Option<usize>>,
    overwrites: Vec<Overwrite>,
    /// For each event: its time, its box's two lines, its value cell.
    times: Vec<String>,
    lines: Vec<(String, String)>,
    values: Vec<String>,
    legend: Vec<LegendItem>,
    footnote: Option<String>,
    time_x: f64,
    time_width: f64,
    value_x: f64,
    value_width: f64,
    note_x: f64,
    /// The top of the lanes' headers, and of the first row.
    header_y: f64,
    rows_y: f64,
    width: f64,
    height: f64,
}

/// A mark of the legend, and what it means.
#[derive(Clone, Copy)]
enum Swatch {
    Overwrite,
    Arrow,
    Sleep,
    Lock,
    Changed,
}

struct LegendItem {
    swatch: Swatch,
    meaning: &'static str,
}

const SWATCH: f64 = 22.0;
const LEGEND_SIZE: f64 = 11.0;
const LEGEND_GAP: f64 = 18.0;

impl LegendItem {
    fn width(&self) -> f64 {
        SWATCH + 6.0 + width(self.meaning, LEGEND_SIZE)
    }
}

const VALUE_HEADER: &str = "shared value";
const TIME_HEADER: &str = "time";

impl<'a> Diagram<'a> {
    fn new(timeline: &'a Timeline, title: &'a str) -> Self {
        let events = timeline.events();
        let threads = timeline.threads();
        let overwrites = timeline.overwrites();
        let mut overwrite_at = vec![None; events.len()];
        for (i, overwrite) in overwrites.iter().enumerate() {
            overwrite_at[overwrite.write] = Some(i);
        }
        let lane_of: Vec<usize> = events
            .iter()
            .map(|e| threads.iter().position(|t| *t == e.thread).unwrap_or(0))
            .collect();
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); threads.len()];
        for (event, &lane) in events.iter().zip(&lane_of) {
            let label = event.label();
            if !labels[lane].contains(&label) {
                labels[lane].push(label);
            }
        }
        let times: Vec<String> = events
            .iter()
            .map(|e| format!("{:.1} ms", e.at.as_secs_f64() * 1000.0))
            .collect();
        let lines: Vec<(String, String)> = events
            .iter()
            .zip(&lane_of)
            .map(|(event, &lane)| {
                let local = match event.local_copy {
                    Some(v) => format!("local_copy = {v}"),
                    None => "local_copy = -".to_owned(),
                };
                // A thread that ran several updates says which one each
                // box belongs to.
                let local = if labels[lane].len() > 1 {
                    format!("{}: {local}", event.label())
                } else {
                    local
                };
                (timeline.statement(event), local)
            })
            .collect();
        let values: Vec<String> = events
            .iter()
            .map(|e| match (e.step, e.replaced) {
                (Step::Write, Some(replaced)) => format!("{replaced} → {}", e.value),
                _ => e.value.to_string(),
            })
            .collect();

        let summary = summary(timeline, &overwrites);
        let mut legend = vec![
            LegendItem {
                swatch: Swatch::Overwrite,
                meaning: "a write that overwrote another thread's update",
            },
            LegendItem {
                swatch: Swatch::Arrow,
                meaning: "from the write it wiped out",
            },
            LegendItem {
                swatch: Swatch::Sleep,
                meaning: "sleeping",
            },
        ];
        if events.iter().any(|e| e.step == Step::HasLock) {
            legend.push(LegendItem {
                swatch: Swatch::Lock,
                meaning: "holding the lock",
            });
        }
        legend.push(LegendItem {
            swatch: Swatch::Changed,
            meaning: "shared value changed",
        });
        if events.is_empty() {
            // Nothing to explain.
            legend.clear();
        }
        let footnote = timeline.dropped_note();

        // Columns, left to right: time, the lanes, shared value, notes.
        let time_width = times
            .iter()
            .map(|t| width(t, TEXT_SIZE))
            .fold(width(TIME_HEADER, TEXT_SIZE), f64::max);
        let time_x = MARGIN;
        let mut x = time_x + time_width + GAP;
        let mut lanes = Vec::with_capacity(threads.len());
        for (lane, thread) in threads.iter().enumerate() {
            let header = labels[lane].join(", ");
            // The widest text in the lane, inside its box or header.
            let mut inner = width(&header, LABEL_SIZE).max(width(thread, SMALL_SIZE));
            for ((statement, local), _) in lines.iter().zip(&lane_of).filter(|(_, l)| **l == lane) {
                inner = inner
                    .max(width(statement, TEXT_SIZE))
                    .max(width(local, SMALL_SIZE));
            }
            let lane_width = (inner + 2.0 * (INSET + PAD)).max(MIN_LANE);
            lanes.push(Lane {
                thread,
                labels: std::mem::take(&mut labels[lane]),
                x,
                width: lane_width,
            });
            x += lane_width;
        }
        let value_x = x + GAP;
        let value_width = values
            .iter()
            .map(|v| width(v, TEXT_SIZE) + 2.0 * PAD)
            .fold(width(VALUE_HEADER, TEXT_SIZE) + 2.0 * PAD, f64::max);
        let note_x = value_x + value_width + GAP;
        let notes_width = overwrites
            .iter()
            .map(|o| width(&timeline.describe(o), TEXT_SIZE))
            .fold(0.0, f64::max);

        let legend_width: f64 = legend.iter().map(LegendItem::width).sum::<f64>()
            + LEGEND_GAP * legend.len().saturating_sub(1) as f64;
        let width = [
            note_x + notes_width + MARGIN,
            2.0 * MARGIN + width(title, TITLE_SIZE),
            2.0 * MARGIN + width(&summary, TEXT_SIZE),
            2.0 * MARGIN + legend_width,
            2.0 * MARGIN + footnote.as_deref().map_or(0.0, |f| width(f, TEXT_SIZE)),
        ]
        .into_iter()
        .fold(0.0, f64::max)
        .ceil();

        // The heading is the title, then the summary and the legend if
        // there are events; an empty timeline has no lanes' headers.
        let (header_y, rows_y) = if events.is_empty() {
            (MARGIN + LINE + 4.0, MARGIN + LINE + 4.0)
        } else {
            let header_y = MARGIN + 3.0 * LINE + 4.0;
            (header_y, header_y + HEADER)
        };
        let body = if events.is_empty() {
            LINE
        } else {
            events.len() as f64 * ROW
        };
        let height = (rows_y + body + if footnote.is_some() { LINE } else { 0.0 } + MARGIN).ceil();

        Self {
            timeline,
            title,
            summary,
            lanes,
            lane_of,
            overwrite_at,
            overwrites,
            times,
            lines,
            values,
            legend,
            footnote,
            time_x,
            time_width,
            value_x,
            value_width,
            note_x,
            header_y,
            rows_y,
            width,
            height,
        }
    }

    fn row_y(&self, row: usize) -> f64 {
        self.rows_y + row as f64 * ROW
    }

    fn box_y(&self, row: usize) -> f64 {
        self.row_y(row) + (ROW - BOX) / 2.0
    }

    fn draw(&self) -> String {
        let mut out = String::new();
        put!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" stroke="none">"#,
            w = num(self.width),
            h = num(self.height),
        );
        out.push('\n');
        put!(out, "<title>{}</title>\n", escape(self.title));
        rect(
            &mut out,
            0.0,
            0.0,
            self.width,
            self.height,
            r#"fill="white""#,
        );
        self.draw_heading(&mut out);
        if self.timeline.events().is_empty() {
            text(
                &mut out,
                MARGIN,
                self.rows_y + 14.0,
                TEXT_SIZE,
                &format!(r#"class="notice" fill="{GREY}""#),
                "no statements recorded",
            );
        } else {
            self.draw_grid(&mut out);
            for lane in 0..self.lanes.len() {
                self.draw_lane(&mut out, lane);
            }
            self.draw_values(&mut out);
            for overwrite in 0..self.overwrites.len() {
                self.draw_overwrite(&mut out, overwrite);
            }
        }
        if let Some(footnote) = &self.footnote {
            text(
                &mut out,
                MARGIN,
                self.height - MARGIN - 6.0,
                TEXT_SIZE,
                &format!(r#"class="footnote" fill="{GREY}" font-style="italic""#),
                footnote,
            );
        }
        out.push_str("</svg>\n");
        out
    }

    /// The title, the summary and the legend.
    fn draw_heading(&self, out: &mut String) {
        text(
            out,
            MARGIN,
            MARGIN + TITLE_SIZE,
            TITLE_SIZE,
            r#"class="title" font-weight="bold""#,
            self.title,
        );
        if self.timeline.events().is_empty() {
            return;
        }
        text(
            out,
            MARGIN,
            MARGIN + LINE + TEXT_SIZE + 2.0,
            TEXT_SIZE,
            r#"class="summary""#,
            &self.summary,
        );
        out.push_str("<g class=\"legend\">\n");
        let y = MARGIN + 2.0 * LINE + 4.0;
        let mid = y + 7.0;
        let mut x = MARGIN;
        for item in &self.legend {
            match item.swatch {
                Swatch::Overwrite => rect(
                    out,
                    x,
                    y,
                    SWATCH,
                    14.0,
                    &format!(r#"fill="{RED_FILL}" stroke="{RED}" stroke-width="2""#),
                ),
                Swatch::Arrow => arrow(out, x, x + SWATCH, mid),
                Swatch::Sleep => put!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{GREY}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n",
                    num(x),
                    num(mid),
                    num(x + SWATCH),
                    num(mid)
                ),
                Swatch::Lock => rect(
                    out,
                    x,
                    y,
                    SWATCH,
                    14.0,
                    &format!(r#"fill="{LOCK_FILL}" fill-opacity="0.6""#),
                ),
                Swatch::Changed => rect(
                    out,
                    x,
                    y,
                    SWATCH,
                    14.0,
                    &format!(r#"fill="{CHANGED_FILL}" stroke="{BORDER}""#),
                ),
            }
            text(
                out,
                x + SWATCH + 6.0,
                y + 11.0,
                LEGEND_SIZE,
                &format!(r#"fill="{GREY}""#),
                item.meaning,
            );
            x += item.width() + LEGEND_GAP;
        }
        out.push_str("</g>\n");
    }

    /// The row stripes, the time column and the headers of the columns
    /// that are not lanes.
    fn draw_grid(&self, out: &mut String) {
        let events = self.timeline.events();
        let right = self.width - MARGIN;
        out.push_str("<g class=\"rows\">\n");
        for row in (0..events.len()).step_by(2) {
            rect(
                out,
                MARGIN,
                self.row_y(row),
                right - MARGIN,
                ROW,
                &format!(r#"fill="{STRIPE}""#),
            );
        }
        out.push_str("</g>\n<g class=\"times\">\n");
        let time_right = self.time_x + self.time_width;
        let header_text_y = self.header_y + HEADER - 12.0;
        text(
            out,
            time_right,
            header_text_y,
            TEXT_SIZE,
            r#"text-anchor="end" font-weight="bold""#,
            TIME_HEADER,
        );
        for (row, time) in self.times.iter().enumerate() {
            text(
                out,
                time_right,
                self.row_y(row) + ROW / 2.0 + 4.0,
                TEXT_SIZE,
                &format!(r#"text-anchor="end" fill="{GREY}""#),
                time,
            );
        }
        out.push_str("</g>\n");
        text(
            out,
            self.value_x + self.value_width / 2.0,
            header_text_y,
            TEXT_SIZE,
            r#"text-anchor="middle" font-weight="bold""#,
            VALUE_HEADER,
        );
        // A rule under the headers.
        put!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{BORDER}\"/>\n",
            num(MARGIN),
            num(right),
            y = num(self.rows_y)
        );
    }

    /// One thread's lane: header, lock bands, sleep lines, event boxes.
    fn draw_lane(&self, out: &mut String, lane: usize) {
        let events = self.timeline.events();
        let l = &self.lanes[lane];
        let bottom = self.row_y(events.len());
        put!(
            out,
            "<g class=\"lane\" data-thread=\"{}\">\n",
            escape(l.thread)
        );
        rect(
            out,
            l.x,
            self.header_y,
            l.width,
            bottom - self.header_y,
            &format!(r#"fill="none" stroke="{BORDER}""#),
        );
        text(
            out,
            l.center(),
            self.header_y + 18.0,
            LABEL_SIZE,
            r#"class="label" text-anchor="middle" font-weight="bold""#,
            &l.labels.join(", "),
        );
        text(
            out,
            l.center(),
            self.header_y + 34.0,
            SMALL_SIZE,
            &format!(r#"class="thread" text-anchor="middle" fill="{GREY}""#),
            l.thread,
        );
        let mine = |i: usize| self.lane_of[i] == lane;
        // Where the update of event `from` next does `step`, if recorded.
        let next = |from: usize, step: Step| {
            (from + 1..events.len())
                .find(|&j| events[j].step == step && same_update(&events[j], &events[from]))
        };
        for (i, event) in events.iter().enumerate() {
            if !mine(i) || event.step != Step::HasLock {
                continue;
            }
            let end = next(i, Step::AboutToRelease).map_or(bottom, |j| self.row_y(j + 1));
            let top = self.row_y(i);
            rect(
                out,
                l.x + 4.0,
                top + 1.0,
                l.width - 8.0,
                end - top - 2.0,
                &format!(r#"class="lock" fill="{LOCK_FILL}" fill-opacity="0.6" rx="6""#),
            );
        }
        for (i, event) in events.iter().enumerate() {
            if !mine(i) || event.step != Step::Sleep {
                continue;
            }
            let end = next(i, Step::Write).map_or(bottom, |j| self.box_y(j));
            put!(
                out,
                "<line class=\"sleep\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{GREY}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n",
                num(self.box_y(i) + BOX),
                num(end),
                x = num(l.center()),
            );
        }
        for (i, event) in events.iter().enumerate() {
            if mine(i) {
                self.draw_event(out, i, event);
            }
        }
        out.push_str("</g>\n");
    }

    fn draw_event(&self, out: &mut String, index: usize, event: &Event) {
        let l = &self.lanes[self.lane_of[index]];
        let overwrite = self.overwrite_at[index].is_some();
        put!(
            out,
            "<g class=\"event\" data-index=\"{index}\" data-step=\"{:?}\" data-update=\"{}\" data-ms=\"{:.3}\"{}>\n",
            event.step,
            event.name,
            event.at.as_secs_f64() * 1000.0,
            if overwrite {
                " data-overwrite=\"true\""
            } else {
                ""
            },
        );
        let (fill, stroke, stroke_width) = if overwrite {
            (RED_FILL, RED, 2.5)
        } else if matches!(event.step, Step::Read | Step::Write) {
            (SHARED_FILL, BORDER, 1.0)
        } else {
            ("white", BORDER, 1.0)
        };
        let y = self.box_y(index);
        rect(
            out,
            l.box_left(),
            y,
            l.box_right() - l.box_left(),
            BOX,
            &format!(r#"rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}""#),
        );
        let (statement, local) = &self.lines[index];
        let (color, weight) = if overwrite {
            (RED, r#" font-weight="bold""#)
        } else {
            ("black", "")
        };
        text(
            out,
            l.center(),
            y + 15.0,
            TEXT_SIZE,
            &format!(r#"text-anchor="middle" fill="{color}"{weight}"#),
            statement,
        );
        text(
            out,
            l.center(),
            y + 29.0,
            SMALL_SIZE,
            &format!(r#"text-anchor="middle" fill="{GREY}""#),
            local,
        );
        out.push_str("</g>\n");
    }

    /// The shared-value column.
    fn draw_values(&self, out: &mut String) {
        let events = self.timeline.events();
        out.push_str("<g class=\"values\">\n");
        let mut before: Option<i64> = None;
        for (i, event) in events.iter().enumerate() {
            let was = event.replaced.or(before);
            let changed = was.is_some_and(|was| was != event.value);
            before = Some(event.value);
            let overwrite = self.overwrite_at[i].is_some();
            put!(
                out,
                "<g class=\"value\" data-index=\"{i}\" data-value=\"{}\" data-changed=\"{changed}\" data-overwrite=\"{overwrite}\">\n",
                event.value
            );
            let y = self.box_y(i);
            let (fill, stroke, color, weight) = if overwrite {
                (RED_CELL, RED, RED, "bold")
            } else if changed {
                (CHANGED_FILL, BORDER, "black", "bold")
            } else {
                ("white", BORDER, GREY, "normal")
            };
            rect(
                out,
                self.value_x,
                y,
                self.value_width,
                BOX,
                &format!(
                    r#"rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{}""#,
                    if overwrite { 2.5 } else { 1.0 }
                ),
            );
            text(
                out,
                self.value_x + self.value_width / 2.0,
                y + BOX / 2.0 + 4.0,
                TEXT_SIZE,
                &format!(r#"text-anchor="middle" fill="{color}" font-weight="{weight}""#),
                &self.values[i],
            );
            out.push_str("</g>\n");
        }
        out.push_str("</g>\n");
    }

    /// One overwrite's note and arrows; the write's box and value cell
    /// are already red.
    fn draw_overwrite(&self, out: &mut String, index: usize) {
        let overwrite = &self.overwrites[index];
        let write = overwrite.write;
        let overwritten: Vec<String> = overwrite
            .overwritten
            .iter()
            .map(ToString::to_string)
            .collect();
        put!(
            out,
            "<g class=\"overwrite\" data-write=\"{write}\" data-overwritten=\"{}\" data-lost=\"{}\">\n",
            overwritten.join(" "),
            overwrite.lost()
        );
        text(
            out,
            self.note_x,
            self.box_y(write) + BOX / 2.0 + 4.0,
            TEXT_SIZE,
            &format!(r#"fill="{RED}" font-weight="bold""#),
            &self.timeline.describe(overwrite),
        );
        let to = &self.lanes[self.lane_of[write]];
        let to_y = self.box_y(write);
        for &from in &overwrite.overwritten {
            let source = &self.lanes[self.lane_of[from]];
            let y = self.box_y(from);
            // The wiped-out write, outlined.
            rect(
                out,
                source.box_left() - 3.0,
                y - 3.0,
                source.box_right() - source.box_left() + 6.0,
                BOX + 6.0,
                &format!(
                    r#"rx="6" fill="none" stroke="{RED}" stroke-width="1.5" stroke-dasharray="5 3""#
                ),
            );
            let from_y = y + BOX / 2.0;
            // Along the source's row, which holds no other box, then down
            // the target's lane, beside its sleep line, into its box.
            if source.x < to.x {
                elbow(
                    out,
                    source.box_right() + 3.0,
                    from_y,
                    to.box_left() + ENTRY,
                    to_y,
                );
            } else if source.x > to.x {
                elbow(
                    out,
                    source.box_left() - 3.0,
                    from_y,
                    to.box_right() - ENTRY,
                    to_y,
                );
            } else {
                // The same lane: loop out to its right-hand side.
                let x = source.box_right();
                let to_y = to_y + BOX / 2.0;
                put!(
                    out,
                    "<path d=\"M {} {} C {} {} {} {} {} {}\" fill=\"none\" stroke=\"{RED}\" stroke-width=\"2\"/>\n",
                    num(x + 3.0),
                    num(from_y),
                    num(x + INSET + 20.0),
                    num(from_y),
                    num(x + INSET + 20.0),
                    num(to_y),
                    num(x + 8.0),
                    num(to_y),
                );
                arrowhead(out, x, to_y, (-1.0, 0.0));
            }
        }
        out.push_str("</g>\n");
    }
}

/// A red arrow from `(x1, y1)` across to `x2`, then down to `(x2, y2)`
/// (below `y1`), with a rounded corner.
fn elbow(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64) {
    let direction = if x2 >= x1 { 1.0 } else { -1.0 };
    // The line stops at the arrowhead's base.
    let end = y2 - ARROWHEAD;
    let radius = 8.0_f64.min(end - y1).max(0.0);
    put!(
        out,
        "<path d=\"M {} {} H {} Q {} {} {} {} V {}\" fill=\"none\" stroke=\"{RED}\" stroke-width=\"2\"/>\n",
        num(x1),
        num(y1),
        num(x2 - radius * direction),
        num(x2),
        num(y1),
        num(x2),
        num(y1 + radius),
        num(end),
    );
    arrowhead(out, x2, y2, (0.0, 1.0));
}

/// A straight red arrow, for the legend.
fn arrow(out: &mut String, x1: f64, x2: f64, y: f64) {
    put!(
        out,
        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{RED}\" stroke-width=\"2\"/>\n",
        num(x1),
        num(x2 - ARROWHEAD),
        y = num(y)
    );
    arrowhead(out, x2, y, (1.0, 0.0));
}

/// The length of an arrowhead.
const ARROWHEAD: f64 = 9.0;

/// A red arrowhead whose tip is at `(x, y)`, pointing along the unit
/// vector `(dx, dy)`.
fn arrowhead(out: &mut String, x: f64, y: f64, (dx, dy): (f64, f64)) {
    let (base_x, base_y) = (x - ARROWHEAD * dx, y - ARROWHEAD * dy);
    // Half the base, across the direction.
    let (across_x, across_y) = (-dy * 5.0, dx * 5.0);
    put!(
        out,
        "<polygon points=\"{},{} {},{} {},{}\" fill=\"{RED}\"/>\n",
        num(x),
        num(y),
        num(base_x + across_x),
        num(base_y + across_y),
        num(base_x - across_x),
        num(base_y - across_y),
    );
}

/// `2 updates finished; 1 write overwrote another thread's update: 1
/// update lost`.
fn summary(timeline: &Timeline, overwrites: &[Overwrite]) -> String {
    let events = timeline.events();
    if events.is_empty() {
        return String::new();
    }
    let finished = events.iter().filter(|e| e.step == Step::Finish).count();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut summary = String::new();
    if finished > 0 {
        put!(
            summary,
            "{} finished, ",
            plural(finished, "update", "updates")
        );
    }
    put!(summary, "shared value {}", events[events.len() - 1].value);
    if overwrites.is_empty() {
        summary.push_str(": no write overwrote another thread's update");
    } else {
        let lost = timeline.lost_updates();
        put!(
            summary,
            ": {} another thread's update, {} lost",
            plural(overwrites.len(), "write overwrote", "writes overwrote"),
            if lost == 1 {
                "1 update".to_owned()
            } else {
                format!("{lost} updates")
            }
        );
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_the_five_special_characters() {
        assert_eq!(
            escape(r#"a<b>&"c"'d'"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn escape_keeps_other_text_and_replaces_what_xml_cannot_hold() {
        assert_eq!(
            escape("ThreadPoolExecutor-0_1 é → 线程"),
            "ThreadPoolExecutor-0_1 é → 线程"
        );
        assert_eq!(escape("tab\there"), "tab\there");
        assert_eq!(escape("nul\0bell\u{7}"), "nul\u{FFFD}bell\u{FFFD}");
        assert_eq!(escape("\u{FFFE}\u{FFFF}"), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn numbers_have_at_most_one_decimal() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(-2.25), "-2.3");
    }
}
