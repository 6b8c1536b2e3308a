//! The laid-out diagram drawn: the heading and legend, the grid of rows,
//! each thread's lane with its events, the shared-value column, and the
//! overwrites' notes and arrows.

use std::fmt::Write as _;

use super::layout::{
    BOX, Diagram, ENTRY, HEADER, INSET, LABEL_SIZE, LEGEND_GAP, LEGEND_SIZE, LINE, MARGIN, ROW,
    SMALL_SIZE, SWATCH, Swatch, TEXT_SIZE, TIME_HEADER, TITLE_SIZE, VALUE_HEADER,
};
use super::markup::{
    BORDER, CHANGED_FILL, FONT_FAMILY, GREY, INTERRUPTED, INTERRUPTED_FILL, LOCK_FILL, RED,
    RED_CELL, RED_FILL, SHARED_FILL, STRIPE, arrow, arrowhead, elbow, escape, num, put, rect, text,
};
use super::same_update;
use crate::timeline::{Event, Step};

impl Diagram<'_> {
    pub(super) fn draw(&self) -> String {
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
                Swatch::Interrupted => rect(
                    out,
                    x,
                    y,
                    SWATCH,
                    14.0,
                    &format!(
                        r#"fill="{INTERRUPTED_FILL}" stroke="{INTERRUPTED}" stroke-width="1.5" stroke-dasharray="4 2""#
                    ),
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
        // Where the update of event `from` next does `step`, or stops
        // interrupted, if recorded.
        let next = |from: usize, step: Step| {
            (from + 1..events.len()).find(|&j| {
                (events[j].step == step || events[j].step == Step::Interrupted)
                    && same_update(&events[j], &events[from])
            })
        };
        for (i, event) in events.iter().enumerate() {
            if !mine(i) || event.step != Step::HasLock {
                continue;
            }
            // An interrupted update releases the lock as it stops.
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
            // Until the write, or the box of the interrupt that ended the sleep.
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
        let interrupted = event.step == Step::Interrupted;
        let (fill, stroke, stroke_width) = if overwrite {
            (RED_FILL, RED, 2.5)
        } else if interrupted {
            (INTERRUPTED_FILL, INTERRUPTED, 1.5)
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
            &format!(
                r#"rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"{}"#,
                if interrupted {
                    r#" stroke-dasharray="4 2""#
                } else {
                    ""
                }
            ),
        );
        let (statement, local) = &self.lines[index];
        let (color, weight) = if overwrite {
            (RED, r#" font-weight="bold""#)
        } else if interrupted {
            (INTERRUPTED, r#" font-weight="bold""#)
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
