//! The recorded timeline of a [`FakeDatabase`](crate::FakeDatabase): every
//! statement each thread ran, with its `local_copy` and the shared value,
//! and which writes overwrote an update another thread had made.

use std::fmt::{self, Display, Formatter};
use std::time::Duration;

/// One statement of [`update`](crate::FakeDatabase::update) or
/// [`locked_update`](crate::FakeDatabase::locked_update).
///
/// Both run the same four middle steps (`Read`, `Increment`, `Sleep`,
/// `Write`); `locked_update` wraps them in the four lock steps. An update
/// whose sleep is cancelled ends at [`Interrupted`](Step::Interrupted)
/// instead, right after its `Sleep`.
///
/// `Display` prints the statement as the timeline shows it, e.g.
/// `local_copy = value` or `sleep(delay)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// The update begins (it logs `Thread N: starting update`).
    Start,
    /// `locked_update` only: about to acquire the database's lock.
    AboutToLock,
    /// `locked_update` only: the lock is acquired.
    HasLock,
    /// `local_copy = value`: the shared value is read into the thread's
    /// own variable.
    Read,
    /// `local_copy += 1`: only the thread's own copy changes.
    Increment,
    /// `sleep(delay)`: the thread pauses, and other threads run.
    Sleep,
    /// `value = local_copy`: the thread's copy is written back, over
    /// whatever the shared value is by then.
    Write,
    /// `locked_update` only: about to release the lock.
    AboutToRelease,
    /// `locked_update` only: the lock is released.
    AfterRelease,
    /// The update ends (it logs `Thread N: finishing update`).
    Finish,
    /// The update stopped at its sleep, because the calling thread's
    /// cancellation token was cancelled (it logs `Thread N: update
    /// interrupted`): its last step. It did not write `local_copy` back,
    /// did not finish, and released the lock if it held one.
    Interrupted,
}

impl Step {
    /// The statement as the timeline shows it.
    pub fn statement(self) -> &'static str {
        match self {
            Step::Start => "starting update",
            Step::AboutToLock => "about to lock",
            Step::HasLock => "has lock",
            Step::Read => "local_copy = value",
            Step::Increment => "local_copy += 1",
            Step::Sleep => "sleep(delay)",
            Step::Write => "value = local_copy",
            Step::AboutToRelease => "about to release lock",
            Step::AfterRelease => "after release",
            Step::Finish => "finishing update",
            Step::Interrupted => "interrupted",
        }
    }
}

impl Display for Step {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.pad(self.statement())
    }
}

/// One recorded statement: who ran it, when, and the values right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When the statement ran, from the database's creation.
    pub at: Duration,
    /// The name of the thread that ran it (`pythreading::current_thread()`),
    /// e.g. `ThreadPoolExecutor-0_1`.
    pub thread: String,
    /// The `name` given to `update` / `locked_update`: the tutorial's
    /// `Thread 0`, `Thread 1`, ….
    pub name: usize,
    /// The statement.
    pub step: Step,
    /// The thread's `local_copy` after the statement; `None` before
    /// [`Step::Read`] gave it a value.
    pub local_copy: Option<i64>,
    /// The shared value right after the statement.
    pub value: i64,
    /// For [`Step::Write`]: the shared value the write replaced. `None`
    /// for every other step.
    pub replaced: Option<i64>,
}

impl Event {
    /// The label the tutorial gives the update: `Thread {name}`.
    pub fn label(&self) -> String {
        format!("Thread {}", self.name)
    }
}

/// A write that replaced a shared value other than the one its thread had
/// read: the updates made in between are lost.
///
/// Found by [`Timeline::overwrites`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overwrite {
    /// The index of the [`Step::Write`] event in [`Timeline::events`].
    pub write: usize,
    /// The value the writing thread had read (its `local_copy` before
    /// `+= 1`).
    pub read: i64,
    /// The shared value the write replaced.
    pub replaced: i64,
    /// The value written.
    pub written: i64,
    /// The indices of the other threads' writes that happened between this
    /// thread's read and its write, oldest first: the updates this write
    /// wiped out.
    pub overwritten: Vec<usize>,
}

impl Overwrite {
    /// How many updates this write lost: `replaced - read`.
    ///
    /// Negative only in a rarer schedule, where a write restores part of
    /// what an earlier, staler write had lost. The sum over all overwrites
    /// is the timeline's total loss.
    pub fn lost(&self) -> i64 {
        self.replaced - self.read
    }
}

/// Every statement the threads ran on one database, in the order they ran.
///
/// Got from [`FakeDatabase::timeline`](crate::FakeDatabase::timeline).
/// Each statement is recorded together with its effect on the shared value,
/// so the order of the events is the order the statements ran in.
///
/// `Display` prints it as a terminal table, one row per statement, with
/// each overwrite marked:
///
/// ```
/// use std::time::Duration;
/// use pythreading_fakedb::FakeDatabase;
///
/// let database = FakeDatabase::with_delay(Duration::from_millis(1));
/// database.update(0);
/// let timeline = database.timeline();
/// assert_eq!(timeline.events().len(), 6);
/// assert!(timeline.overwrites().is_empty());
/// println!("{timeline}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    events: Vec<Event>,
    delay: Duration,
    dropped: u64,
}

impl Timeline {
    /// A timeline of the given events, for a database whose updates sleep
    /// `delay`: for drawing a schedule made by hand, such as the
    /// tutorial's.
    ///
    /// The events are taken as given, in the order they ran.
    pub fn new(events: Vec<Event>, delay: Duration) -> Self {
        Self {
            events,
            delay,
            dropped: 0,
        }
    }

    /// A timeline that also counts `dropped` events not kept.
    pub(crate) fn with_dropped(events: Vec<Event>, delay: Duration, dropped: u64) -> Self {
        Self {
            events,
            delay,
            dropped,
        }
    }

    /// The events, in the order the statements ran.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How long each update sleeps between its read and its write.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// How many recorded updates were interrupted (their
    /// [`Step::Interrupted`] events).
    pub fn interrupted(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.step == Step::Interrupted)
            .count()
    }

    /// How many statements ran but were not recorded, because the
    /// database's timeline was full (see
    /// [`FakeDatabase::timeline_capacity`](crate::FakeDatabase::timeline_capacity)).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Says how many statements were not recorded, if any: the footnote
    /// of the table and of the diagram.
    pub(crate) fn dropped_note(&self) -> Option<String> {
        let n = self.dropped;
        let s = if n == 1 { "" } else { "s" };
        match (n, self.events.is_empty()) {
            (0, _) => None,
            (_, true) => Some(format!(
                "{n} statement{s} not recorded: the timeline's capacity is 0"
            )),
            (_, false) => Some(format!(
                "{n} later statement{s} not recorded: the timeline was full"
            )),
        }
    }

    /// The names of the threads that ran statements, in the order each was
    /// first seen: one lane each in the diagram.
    pub fn threads(&self) -> Vec<&str> {
        let mut threads: Vec<&str> = Vec::new();
        for event in &self.events {
            if !threads.contains(&event.thread.as_str()) {
                threads.push(&event.thread);
            }
        }
        threads
    }

    /// The statement of an event as shown: [`Step::statement`], with
    /// `sleep`'s delay filled in.
    pub fn statement(&self, event: &Event) -> String {
        match event.step {
            Step::Sleep => format!("sleep({:?})", self.delay),
            step => step.statement().to_owned(),
        }
    }

    /// Every write that replaced a value its thread had not read, in time
    /// order.
    ///
    /// A write replacing exactly what its thread read loses nothing and is
    /// not listed, even if other threads wrote in between (they wrote the
    /// same value). A write whose read was not recorded is skipped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_fakedb::{Event, Step, Timeline};
    ///
    /// // The tutorial's two threads: both read 0, both write 1.
    /// let event = |name: usize, step, local_copy, value, replaced| Event {
    ///     at: Duration::ZERO,
    ///     thread: format!("Thread {name}"),
    ///     name,
    ///     step,
    ///     local_copy,
    ///     value,
    ///     replaced,
    /// };
    /// let timeline = Timeline::new(
    ///     vec![
    ///         event(1, Step::Read, Some(0), 0, None),
    ///         event(2, Step::Read, Some(0), 0, None),
    ///         event(1, Step::Write, Some(1), 1, Some(0)),
    ///         event(2, Step::Write, Some(1), 1, Some(1)),
    ///     ],
    ///     Duration::from_millis(100),
    /// );
    /// let overwrites = timeline.overwrites();
    /// assert_eq!(overwrites.len(), 1);
    /// assert_eq!(overwrites[0].write, 3); // Thread 2's write…
    /// assert_eq!(overwrites[0].overwritten, [2]); // …wipes out Thread 1's.
    /// assert_eq!(timeline.lost_updates(), 1);
    /// ```
    pub fn overwrites(&self) -> Vec<Overwrite> {
        let mut overwrites = Vec::new();
        for (write, event) in self.events.iter().enumerate() {
            let (Step::Write, Some(written), Some(replaced)) =
                (event.step, event.local_copy, event.replaced)
            else {
                continue;
            };
            let Some(read_at) = self.events[..write].iter().rposition(|e| {
                e.step == Step::Read && e.thread == event.thread && e.name == event.name
            }) else {
                continue;
            };
            let Some(read) = self.events[read_at].local_copy else {
                continue;
            };
            if replaced == read {
                continue;
            }
            let overwritten = (read_at + 1..write)
                .filter(|&i| self.events[i].step == Step::Write)
                .collect();
            overwrites.push(Overwrite {
                write,
                read,
                replaced,
                written,
                overwritten,
            });
        }
        overwrites
    }

    /// The updates lost, as the sum of [`Overwrite::lost`] over every
    /// overwrite: the number of finished updates minus the value they
    /// left, when the database started at 0 and every statement was
    /// recorded.
    pub fn lost_updates(&self) -> i64 {
        self.overwrites().iter().map(Overwrite::lost).sum()
    }

    /// The note the table and the diagram give an overwrite, e.g.
    /// `overwrites Thread 0's update: 1 lost`.
    pub fn describe(&self, overwrite: &Overwrite) -> String {
        let mut labels: Vec<String> = Vec::new();
        for &i in &overwrite.overwritten {
            let label = self.events[i].label();
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        let whose = match labels.as_slice() {
            [] => "an unrecorded update".to_owned(),
            [one] => format!("{one}'s update"),
            [init @ .., last] => format!("the updates of {} and {last}", init.join(", ")),
        };
        match overwrite.lost() {
            lost if lost > 0 => format!("overwrites {whose}: {lost} lost"),
            lost => format!("overwrites {whose}: {} restored", -lost),
        }
    }
}

/// The terminal table: time, update, thread, statement, `local_copy`,
/// shared value, and a note on each write that overwrote an update.
impl Display for Timeline {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        const HEADERS: [&str; 6] = [
            "time",
            "update",
            "thread",
            "statement",
            "local_copy",
            "value",
        ];
        let overwrites = self.overwrites();
        let rows: Vec<[String; 7]> = self
            .events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let note = overwrites
                    .iter()
                    .find(|o| o.write == i)
                    .map_or_else(String::new, |o| format!("<- {}", self.describe(o)));
                [
                    format!("{:.1} ms", event.at.as_secs_f64() * 1000.0),
                    event.label(),
                    event.thread.clone(),
                    self.statement(event),
                    event
                        .local_copy
                        .map_or_else(|| "-".to_owned(), |v| v.to_string()),
                    event.value.to_string(),
                    note,
                ]
            })
            .collect();
        let mut widths = HEADERS.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let [time, update, thread, statement, local, value] = widths;
        writeln!(
            f,
            "{:>time$}  {:<update$}  {:<thread$}  {:<statement$}  {:>local$}  {:>value$}",
            HEADERS[0], HEADERS[1], HEADERS[2], HEADERS[3], HEADERS[4], HEADERS[5],
        )?;
        for [t, u, th, s, l, v, note] in &rows {
            let line = format!(
                "{t:>time$}  {u:<update$}  {th:<thread$}  {s:<statement$}  {l:>local$}  {v:>value$}  {note}"
            );
            writeln!(f, "{}", line.trim_end())?;
        }
        if let Some(note) = self.dropped_note() {
            writeln!(f, "({note})")?;
        }
        Ok(())
    }
}
