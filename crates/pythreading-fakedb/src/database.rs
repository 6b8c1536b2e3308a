//! [`FakeDatabase`]: one shared number, an update that loses writes and
//! one that does not.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use pythreading_core::Cancelled;
use pythreading_sync::Lock;

use crate::timeline::{Event, Step, Timeline};

/// The delay of [`FakeDatabase::new`]: the tutorial's `time.sleep(0.1)`.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(100);

/// How many statements a database records unless told otherwise (see
/// [`FakeDatabase::timeline_capacity`]): enough for a few hundred updates.
pub const DEFAULT_TIMELINE_CAPACITY: usize = 4096;

/// The tutorial's fake database: it keeps one shared number, `value`.
///
/// [`update`](Self::update) reads the value into a local copy, adds one,
/// sleeps, and writes the copy back. Two threads updating at once both
/// read the same value, and the second write wipes out the first: an
/// update is lost, every time. [`locked_update`](Self::locked_update) runs
/// the same steps while holding a [`Lock`], and loses nothing.
///
/// The race is real but safe: the value is an atomic integer, read by one
/// atomic load and written, much later, by one atomic store. There is no
/// `unsafe` and no data race in Rust's sense, only the lost update of the
/// read–modify–write that the tutorial teaches.
///
/// Each statement is recorded, with the thread that ran it, its
/// `local_copy` and the shared value, in a [`Timeline`] (see
/// [`timeline`](Self::timeline)). The statements log the tutorial's lines
/// through the [`log`] crate: `Thread 0: starting update` at INFO, and
/// `locked_update`'s lock steps at DEBUG.
///
/// The sleep obeys the calling thread's cancellation token (see
/// [`pythreading_core::CancellationToken`]): an update whose token is
/// cancelled stops at its sleep, without writing back (see
/// [`interrupted`](Self::interrupted)). With no token, or one never
/// cancelled, an update always finishes.
///
/// # Example
///
/// The tutorial's race, with two pool threads:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use pythreading_executor::ThreadPoolExecutor;
/// use pythreading_fakedb::FakeDatabase;
///
/// let database = Arc::new(FakeDatabase::with_delay(Duration::from_millis(200)));
/// let executor = ThreadPoolExecutor::new(2).unwrap();
/// let futures: Vec<_> = (0..2)
///     .map(|index| {
///         let database = Arc::clone(&database);
///         executor.submit(move || database.update(index)).unwrap()
///     })
///     .collect();
/// for future in futures {
///     future.result().unwrap();
/// }
/// assert_eq!(database.updates(), 2);
/// assert_eq!(database.value(), 1); // one update lost
/// ```
#[derive(Debug)]
pub struct FakeDatabase {
    value: AtomicI64,
    delay: Duration,
    lock: Lock,
    updates: AtomicU64,
    interrupted: AtomicU64,
    recorder: Recorder,
}

impl Default for FakeDatabase {
    /// [`FakeDatabase::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl FakeDatabase {
    /// A database holding 0, whose updates sleep 100 ms between their read
    /// and their write, as in the tutorial.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_fakedb::FakeDatabase;
    ///
    /// let database = FakeDatabase::new();
    /// assert_eq!(database.value(), 0);
    /// assert_eq!(database.delay(), Duration::from_millis(100));
    /// ```
    pub fn new() -> Self {
        Self::with_delay(DEFAULT_DELAY)
    }

    /// A database holding 0, whose updates sleep `delay` between their
    /// read and their write.
    ///
    /// With a zero delay the race is still there, but rarely lands: the
    /// window between read and write is a few instructions long.
    pub fn with_delay(delay: Duration) -> Self {
        Self {
            value: AtomicI64::new(0),
            delay,
            lock: Lock::new(),
            updates: AtomicU64::new(0),
            interrupted: AtomicU64::new(0),
            recorder: Recorder::new(DEFAULT_TIMELINE_CAPACITY),
        }
    }

    /// Keeps at most `capacity` statements in the timeline; later ones are
    /// only counted (see [`Timeline::dropped`]). `0` records nothing.
    ///
    /// The default, [`DEFAULT_TIMELINE_CAPACITY`], keeps memory bounded for
    /// a database updated for ever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_fakedb::FakeDatabase;
    ///
    /// let database = FakeDatabase::with_delay(Duration::ZERO).timeline_capacity(4);
    /// database.update(0);
    /// assert_eq!(database.timeline().events().len(), 4);
    /// assert_eq!(database.timeline().dropped(), 2);
    /// ```
    #[must_use]
    pub fn timeline_capacity(mut self, capacity: usize) -> Self {
        self.recorder = Recorder::new(capacity);
        self
    }

    /// The shared value now.
    pub fn value(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }

    /// How long each update sleeps between its read and its write.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// How many updates (of either kind) have finished: the value the
    /// database would hold if none had been lost.
    pub fn updates(&self) -> u64 {
        self.updates.load(Ordering::SeqCst)
    }

    /// How many updates (of either kind) were interrupted: their sleep
    /// ended because the calling thread's cancellation token was
    /// cancelled, so they stopped without writing back. They are not
    /// counted in [`updates`](Self::updates).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pythreading_core::CancellationToken;
    /// use pythreading_fakedb::{FakeDatabase, Step};
    ///
    /// let database = FakeDatabase::with_delay(Duration::from_secs(60));
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// token.run(|| database.update(0)); // returns at once
    /// assert_eq!(database.interrupted(), 1);
    /// assert_eq!(database.updates(), 0);
    /// assert_eq!(database.value(), 0);
    /// let timeline = database.timeline();
    /// assert_eq!(timeline.events().last().unwrap().step, Step::Interrupted);
    /// ```
    pub fn interrupted(&self) -> u64 {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// A copy of the statements recorded so far, in the order they ran.
    pub fn timeline(&self) -> Timeline {
        self.recorder.snapshot(self.delay)
    }

    /// Adds one to the value, the racy way: reads it into `local_copy`,
    /// adds one, sleeps, and writes `local_copy` back.
    ///
    /// `name` only labels the log lines and the timeline (`Thread {name}`).
    /// Another thread's update that lands during the sleep is overwritten:
    /// with two or more threads updating at once, updates are lost.
    ///
    /// # Cancellation
    ///
    /// The sleep is [`pythreading_core::sleep`]: it ends early when the
    /// calling thread's current cancellation token is cancelled (at once if
    /// it already is). The update then stops right there: it does not
    /// write back, is counted in [`interrupted`](Self::interrupted) rather
    /// than in [`updates`](Self::updates), logs `Thread N: update
    /// interrupted` at INFO and records [`Step::Interrupted`] as its last
    /// statement.
    pub fn update(&self, name: usize) {
        let me = Updater::new(self, name);
        log::info!("Thread {name}: starting update");
        me.record(Step::Start, None);
        let Ok(local_copy) = me.read_modify_write() else {
            return;
        };
        me.finish(local_copy);
        log::info!("Thread {name}: finishing update");
    }

    /// Adds one to the value, the safe way: the same statements as
    /// [`update`](Self::update), run while holding the database's
    /// [`Lock`], so no other update can come between the read and the
    /// write.
    ///
    /// Besides the INFO lines of `update`, it logs the lock steps at DEBUG
    /// (`Thread 0 about to lock`, `Thread 0 has lock`, …).
    ///
    /// # Cancellation
    ///
    /// As [`update`](Self::update)'s, the sleep obeys the calling thread's
    /// cancellation token, and an update whose sleep is cancelled stops
    /// there: it releases the lock, and neither writes back nor finishes.
    /// Taking the lock does not obey the token: a thread waiting for it
    /// waits for the holder to release it (which a cancelled holder does at
    /// once), then stops at its own sleep.
    pub fn locked_update(&self, name: usize) {
        let me = Updater::new(self, name);
        log::info!("Thread {name}: starting update");
        me.record(Step::Start, None);
        log::debug!("Thread {name} about to lock");
        me.record(Step::AboutToLock, None);
        let local_copy = {
            let _guard = self.lock.guard();
            log::debug!("Thread {name} has lock");
            me.record(Step::HasLock, None);
            // Interrupted: the guard releases the lock on the way out.
            let Ok(local_copy) = me.read_modify_write() else {
                return;
            };
            log::debug!("Thread {name} about to release lock");
            me.record(Step::AboutToRelease, Some(local_copy));
            local_copy
        };
        log::debug!("Thread {name} after release");
        me.record(Step::AfterRelease, Some(local_copy));
        me.finish(local_copy);
        log::info!("Thread {name}: finishing update");
    }
}

/// One update in progress: the database, the thread running it and the
/// update's `name`, which every recorded statement carries.
struct Updater<'a> {
    database: &'a FakeDatabase,
    thread: String,
    name: usize,
}

impl<'a> Updater<'a> {
    fn new(database: &'a FakeDatabase, name: usize) -> Self {
        Self {
            database,
            thread: pythreading_core::current_thread().name(),
            name,
        }
    }

    /// The four statements both updates share; returns `local_copy`, or
    /// `Err` once the update is recorded as interrupted (its sleep was
    /// cancelled; nothing was written).
    fn read_modify_write(&self) -> Result<i64, Cancelled> {
        let value = &self.database.value;
        let mut local_copy = self.step(Step::Read, || {
            let read = value.load(Ordering::SeqCst);
            (read, Effect::unchanged(Some(read), read))
        });
        local_copy += 1;
        self.record(Step::Increment, Some(local_copy));
        self.record(Step::Sleep, Some(local_copy));
        if let Err(cancelled) = pause(self.database.delay) {
            self.interrupt(local_copy);
            return Err(cancelled);
        }
        self.step(Step::Write, || {
            let replaced = value.swap(local_copy, Ordering::SeqCst);
            let effect = Effect {
                local_copy: Some(local_copy),
                value: local_copy,
                replaced: Some(replaced),
            };
            ((), effect)
        });
        Ok(local_copy)
    }

    /// Counts the update as finished and records its last statement.
    fn finish(&self, local_copy: i64) {
        self.database.updates.fetch_add(1, Ordering::SeqCst);
        self.record(Step::Finish, Some(local_copy));
    }

    /// Counts the update as interrupted and records its last statement.
    fn interrupt(&self, local_copy: i64) {
        self.database.interrupted.fetch_add(1, Ordering::SeqCst);
        self.record(Step::Interrupted, Some(local_copy));
        log::info!("Thread {}: update interrupted", self.name);
    }

    /// Records a statement that does not touch the shared value.
    fn record(&self, step: Step, local_copy: Option<i64>) {
        let value = &self.database.value;
        self.step(step, || {
            (
                (),
                Effect::unchanged(local_copy, value.load(Ordering::SeqCst)),
            )
        });
    }

    /// Runs one statement through the database's recorder.
    fn step<R>(&self, step: Step, statement: impl FnOnce() -> (R, Effect)) -> R {
        self.database
            .recorder
            .step(&self.thread, self.name, step, statement)
    }
}

/// The update's sleep: [`pythreading_core::sleep`], which ends early with
/// `Err(Cancelled)` when the calling thread's token is cancelled. A zero
/// delay only looks at the token, as that sleep would, without its timed
/// wait: the zero-delay update stays as cheap as it was.
fn pause(delay: Duration) -> Result<(), Cancelled> {
    if delay.is_zero() {
        pythreading_core::check_cancelled()
    } else {
        pythreading_core::sleep(delay)
    }
}

/// What a statement left: the [`Event`] fields it decides.
struct Effect {
    local_copy: Option<i64>,
    value: i64,
    replaced: Option<i64>,
}

impl Effect {
    /// A statement that did not write the shared value.
    fn unchanged(local_copy: Option<i64>, value: i64) -> Self {
        Self {
            local_copy,
            value,
            replaced: None,
        }
    }
}

/// The timeline being recorded.
#[derive(Debug)]
struct Recorder {
    start: Instant,
    capacity: usize,
    recording: Mutex<Recording>,
}

#[derive(Debug, Default)]
struct Recording {
    events: Vec<Event>,
    dropped: u64,
}

impl Recorder {
    fn new(capacity: usize) -> Self {
        Self {
            start: Instant::now(),
            capacity,
            recording: Mutex::new(Recording::default()),
        }
    }

    /// Runs one statement and records its event, under the recorder's
    /// mutex: no other statement runs in between, so the events' order is
    /// the order the statements took effect in. The statements of one
    /// update are still separate steps, which is where the race lies.
    /// Past the capacity the statement still runs, and is only counted.
    fn step<R>(
        &self,
        thread: &str,
        name: usize,
        step: Step,
        statement: impl FnOnce() -> (R, Effect),
    ) -> R {
        let mut recording = self.recording.lock();
        let (result, effect) = statement();
        if recording.events.len() < self.capacity {
            recording.events.push(Event {
                at: self.start.elapsed(),
                thread: thread.to_owned(),
                name,
                step,
                local_copy: effect.local_copy,
                value: effect.value,
                replaced: effect.replaced,
            });
        } else {
            recording.dropped += 1;
        }
        result
    }

    fn snapshot(&self, delay: Duration) -> Timeline {
        let recording = self.recording.lock();
        Timeline::with_dropped(recording.events.clone(), delay, recording.dropped)
    }
}
