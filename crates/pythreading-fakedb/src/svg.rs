//! The timeline drawn as an SVG diagram: a lane per thread, a row per
//! statement, and each write that wiped out another thread's update in red.
//!
//! Plain string building: the layout is a grid whose column widths come
//! from the lengths of the texts they hold, at an estimated width per
//! character of the monospace font. The layout is computed in
//! `svg/layout.rs`, drawn in `svg/draw.rs` out of the elements of
//! `svg/markup.rs`.

mod draw;
mod layout;
mod markup;

use layout::Diagram;

use crate::timeline::{Event, Step, Timeline};

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
    /// shaded band while it holds the lock. An update interrupted in its
    /// sleep ([`Step::Interrupted`]) ends in an orange, dashed box, where
    /// its sleep line and its lock band end; the summary counts it.
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
