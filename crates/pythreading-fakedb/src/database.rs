//! [`FakeDatabase`]: one shared number, an update that loses writes and
//! one that does not.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
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
    pub fn update(&self, name: usize) {
        let thread = pythreading_core::current_thread().name();
        log::info!("Thread {name}: starting update");
        self.record(&thread, name, Step::Start, None);
        self.read_modify_write(&thread, name);
        self.finish(&thread, name);
        log::info!("Thread {name}: finishing update");
    }

    /// Adds one to the value, the safe way: the same statements as
    /// [`update`](Self::update), run while holding the database's
    /// [`Lock`], so no other update can come between the read and the
    /// write.
    ///
    /// Besides the INFO lines of `update`, it logs the lock steps at DEBUG
    /// (`Thread 0 about to lock`, `Thread 0 has lock`, …).
    pub fn locked_update(&self, name: usize) {
        let thread = pythreading_core::current_thread().name();
        log::info!("Thread {name}: starting update");
        self.record(&thread, name, Step::Start, None);
        log::debug!("Thread {name} about to lock");
        self.record(&thread, name, Step::AboutToLock, None);
        {
            let _guard = self.lock.guard();
            log::debug!("Thread {name} has lock");
            self.record(&thread, name, Step::HasLock, None);
            let local_copy = self.read_modify_write(&thread, name);
            log::debug!("Thread {name} about to release lock");
            self.record(&thread, name, Step::AboutToRelease, Some(local_copy));
        }
        log::debug!("Thread {name} after release");
        self.record(&thread, name, Step::AfterRelease, None);
        self.finish(&thread, name);
        log::info!("Thread {name}: finishing update");
    }

    /// The four statements both updates share; returns `local_copy`.
    fn read_modify_write(&self, thread: &str, name: usize) -> i64 {
        let mut local_copy = self.recorder.step(|| {
            let read = self.value.load(Ordering::SeqCst);
            (
                read,
                self.event(thread, name, Step::Read, Some(read), read, None),
            )
        });
        local_copy += 1;
        self.record(thread, name, Step::Increment, Some(local_copy));
        self.record(thread, name, Step::Sleep, Some(local_copy));
        std::thread::sleep(self.delay);
        self.recorder.step(|| {
            let replaced = self.value.swap(local_copy, Ordering::SeqCst);
            let event = self.event(
                thread,
                name,
                Step::Write,
                Some(local_copy),
                local_copy,
                Some(replaced),
            );
            ((), event)
        });
        local_copy
    }

    /// Counts the update as finished and records its last statement.
    fn finish(&self, thread: &str, name: usize) {
        self.updates.fetch_add(1, Ordering::SeqCst);
        self.record(thread, name, Step::Finish, None);
    }

    /// Records a statement that does not touch the shared value.
    fn record(&self, thread: &str, name: usize, step: Step, local_copy: Option<i64>) {
        self.recorder.step(|| {
            let value = self.value.load(Ordering::SeqCst);
            ((), self.event(thread, name, step, local_copy, value, None))
        });
    }

    fn event(
        &self,
        thread: &str,
        name: usize,
        step: Step,
        local_copy: Option<i64>,
        value: i64,
        replaced: Option<i64>,
    ) -> Event {
        Event {
            at: self.recorder.start.elapsed(),
            thread: thread.to_owned(),
            name,
            step,
            local_copy,
            value,
            replaced,
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

    /// Runs one statement and records the event it returns, under the
    /// recorder's mutex: no other statement runs in between, so the
    /// events' order is the order the statements took effect in. The
    /// statements of one update are still separate steps, which is where
    /// the race lies.
    fn step<R>(&self, statement: impl FnOnce() -> (R, Event)) -> R {
        let mut recording = self.recording.lock();
        let (result, event) = statement();
        if recording.events.len() < self.capacity {
            recording.events.push(event);
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
