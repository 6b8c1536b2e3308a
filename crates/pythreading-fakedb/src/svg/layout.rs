//! The diagram laid out: the columns (time, a lane per thread, shared
//! value, notes) sized by the texts they hold, the rows, the legend, and
//! the texts themselves, ready to be drawn.

use std::fmt::Write as _;

use super::markup::{put, width};
use crate::timeline::{Overwrite, Step, Timeline};

pub(super) const TITLE_SIZE: f64 = 16.0;
pub(super) const TEXT_SIZE: f64 = 12.0;
pub(super) const SMALL_SIZE: f64 = 10.0;
pub(super) const LABEL_SIZE: f64 = 13.0;

pub(super) const MARGIN: f64 = 16.0;
/// Space between two columns.
const GAP: f64 = 12.0;
/// Space between a box's border and its text.
const PAD: f64 = 8.0;
/// Height of a line of the title block (title, summary, legend).
pub(super) const LINE: f64 = 22.0;
/// Height of a lane's header: its update label over its thread's name.
pub(super) const HEADER: f64 = 44.0;
/// Height of one event's row, and of the box in it.
pub(super) const ROW: f64 = 44.0;
pub(super) const BOX: f64 = 36.0;
/// Space between a lane's border and its event boxes.
pub(super) const INSET: f64 = 10.0;
/// How far from its box's side an arrow enters the box's top.
pub(super) const ENTRY: f64 = 24.0;
/// The narrowest a lane is drawn.
const MIN_LANE: f64 = 150.0;

/// One thread's column.
pub(super) struct Lane<'a> {
    pub(super) thread: &'a str,
    /// The labels of the updates the thread ran, e.g. `Thread 0`.
    pub(super) labels: Vec<String>,
    pub(super) x: f64,
    pub(super) width: f64,
}

impl Lane<'_> {
    pub(super) fn center(&self) -> f64 {
        self.x + self.width / 2.0
    }

    pub(super) fn box_left(&self) -> f64 {
        self.x + INSET
    }

    pub(super) fn box_right(&self) -> f64 {
        self.x + self.width - INSET
    }
}

/// The laid-out diagram: column positions and the texts that sized them.
pub(super) struct Diagram<'a> {
    pub(super) timeline: &'a Timeline,
    pub(super) title: &'a str,
    pub(super) summary: String,
    pub(super) lanes: Vec<Lane<'a>>,
    /// For each event, its lane.
    pub(super) lane_of: Vec<usize>,
    /// For each event, the overwrite it made, as an index in `overwrites`.
    pub(super) overwrite_at: Vec<Option<usize>>,
    pub(super) overwrites: Vec<Overwrite>,
    /// For each event: its time, its box's two lines, its value cell.
    pub(super) times: Vec<String>,
    pub(super) lines: Vec<(String, String)>,
    pub(super) values: Vec<String>,
    pub(super) legend: Vec<LegendItem>,
    pub(super) footnote: Option<String>,
    pub(super) time_x: f64,
    pub(super) time_width: f64,
    pub(super) value_x: f64,
    pub(super) value_width: f64,
    pub(super) note_x: f64,
    /// The top of the lanes' headers, and of the first row.
    pub(super) header_y: f64,
    pub(super) rows_y: f64,
    pub(super) width: f64,
    pub(super) height: f64,
}

/// A mark of the legend, and what it means.
#[derive(Clone, Copy)]
pub(super) enum Swatch {
    Overwrite,
    Arrow,
    Sleep,
    Lock,
    Changed,
    Interrupted,
}

pub(super) struct LegendItem {
    pub(super) swatch: Swatch,
    pub(super) meaning: &'static str,
}

pub(super) const SWATCH: f64 = 22.0;
pub(super) const LEGEND_SIZE: f64 = 11.0;
pub(super) const LEGEND_GAP: f64 = 18.0;

impl LegendItem {
    pub(super) fn width(&self) -> f64 {
        SWATCH + 6.0 + width(self.meaning, LEGEND_SIZE)
    }
}

pub(super) const VALUE_HEADER: &str = "shared value";
pub(super) const TIME_HEADER: &str = "time";

impl<'a> Diagram<'a> {
    pub(super) fn new(timeline: &'a Timeline, title: &'a str) -> Self {
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
        if events.iter().any(|e| e.step == Step::Interrupted) {
            legend.push(LegendItem {
                swatch: Swatch::Interrupted,
                meaning: "an update interrupted in its sleep",
            });
        }
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

    pub(super) fn row_y(&self, row: usize) -> f64 {
        self.rows_y + row as f64 * ROW
    }

    pub(super) fn box_y(&self, row: usize) -> f64 {
        self.row_y(row) + (ROW - BOX) / 2.0
    }
}

/// `2 updates finished, shared value 1: 1 write overwrote another
/// thread's update, 1 update lost`, with `N updates interrupted, ` after
/// the finished ones if any were.
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
    let interrupted = timeline.interrupted();
    if interrupted > 0 {
        put!(
            summary,
            "{} interrupted, ",
            plural(interrupted, "update", "updates")
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
