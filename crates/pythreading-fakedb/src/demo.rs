//! The tutorial's program, for any number of threads: what the `fakedb`
//! binary runs.

use std::fmt::{self, Display, Formatter};
use std::sync::Arc;
use std::time::Duration;

use pythreading_executor::{ExecutorError, TaskError, ThreadPoolExecutor};

use crate::database::FakeDatabase;
use crate::timeline::Timeline;

/// The most threads [`run`] starts: each is a real OS thread.
pub const MAX_THREADS: usize = 256;

/// The longest delay [`run`] accepts: one minute, so that a typo cannot
/// make the demo sleep for hours.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// Which update the demo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// [`FakeDatabase::update`]: the race, which loses updates.
    Race,
    /// [`FakeDatabase::locked_update`]: the fix with a `Lock`.
    FixRace,
}

impl Mode {
    /// `"unlocked"` or `"locked"`, as in the tutorial's log lines.
    pub fn adjective(self) -> &'static str {
        match self {
            Mode::Race => "unlocked",
            Mode::FixRace => "locked",
        }
    }
}

/// What [`run`] saw.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// Which update ran.
    pub mode: Mode,
    /// How many threads ran one update each.
    pub threads: usize,
    /// The value before the updates (always 0).
    pub start: i64,
    /// The value after them.
    pub end: i64,
    /// The value expected: `start` plus one per finished update.
    pub expected: i64,
    /// How many updates did not finish because the run was cancelled
    /// (see [`run`]'s cancellation notes): stopped at their sleep, or
    /// never started. 0 for a run that was not interrupted; `threads`
    /// minus this is the number of updates that finished.
    pub interrupted: usize,
    /// Every statement the threads ran.
    pub timeline: Timeline,
}

impl Report {
    /// How many updates were lost: `expected - end`. Only finished
    /// updates count: an interrupted one wrote nothing, so it lost
    /// nothing either.
    pub fn lost(&self) -> i64 {
        self.expected - self.end
    }

    /// Whether the run was interrupted: some update did not finish
    /// ([`interrupted`](Self::interrupted) is not 0).
    pub fn is_interrupted(&self) -> bool {
        self.interrupted > 0
    }
}

/// The verdict: `Ending value 1, expected 2: 1 update lost.`
impl Display for Report {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Ending value {}, expected {}: ", self.end, self.expected)?;
        match self.lost() {
            0 => write!(f, "no update lost."),
            1 => write!(f, "1 update lost."),
            n => write!(f, "{n} updates lost."),
        }
    }
}

/// What can stop [`run`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// `threads` was 0 or above [`MAX_THREADS`].
    #[error("the number of threads must be from 1 to {MAX_THREADS}, not {0}")]
    Threads(usize),
    /// The delay was above [`MAX_DELAY`].
    #[error("the delay must be at most {MAX_DELAY:?}, not {0:?}")]
    Delay(Duration),
    /// The pool could not be made or take a task (e.g. a thread could not
    /// be spawned).
    #[error("the thread pool failed: {0}")]
    Executor(#[from] ExecutorError),
    /// An update did not complete (it panicked).
    #[error("an update failed: {0}")]
    Task(#[from] TaskError),
}

/// Runs the tutorial's program: a database with the given `delay`, a
/// `ThreadPoolExecutor` of `threads` workers, and one update per worker
/// (`Thread 0`, `Thread 1`, …), the racy one or the locked one.
///
/// Logs the tutorial's lines around it (`Testing unlocked update.
/// Starting value is 0.` … `Ending value is 1.`) and returns what
/// happened.
///
/// # Cancellation
///
/// Each update runs as an executor task, with its own cancellation token:
/// a child of the process's root token, if there is one (see
/// `pythreading_core::cancel_on_ctrl_c`, which the `fakedb` binary sets
/// up). When that token is cancelled, each update stops at its sleep (see
/// [`FakeDatabase::update`]) and `run` still returns the report of what
/// happened, [`Report::interrupted`] counting the updates that did not
/// finish. Without a root token nothing interrupts it (the tasks' tokens
/// are children of the root, not of a token installed on the calling
/// thread).
///
/// # Errors
///
/// [`DemoError::Threads`] or [`DemoError::Delay`] for arguments out of
/// range, checked before any thread starts; [`DemoError::Executor`] or
/// [`DemoError::Task`] if the pool or an update fails.
pub fn run(mode: Mode, threads: usize, delay: Duration) -> Result<Report, DemoError> {
    if threads == 0 || threads > MAX_THREADS {
        return Err(DemoError::Threads(threads));
    }
    if delay > MAX_DELAY {
        return Err(DemoError::Delay(delay));
    }
    let what = mode.adjective();
    let database = Arc::new(FakeDatabase::with_delay(delay));
    let start = database.value();
    log::info!("Testing {what} update. Starting value is {start}.");
    let executor = ThreadPoolExecutor::new(threads)?;
    let futures = (0..threads)
        .map(|index| {
            let database = Arc::clone(&database);
            executor.submit(move || match mode {
                Mode::Race => database.update(index),
                Mode::FixRace => database.locked_update(index),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Dropping the executor waits for every update, like Python's `with`:
    // to the end, even once the process's root token is cancelled (the
    // updates obey their own tasks' tokens, children of the root, and stop
    // at once). So every future is done, and its result is at hand.
    drop(executor);
    let mut never_started = 0;
    for future in futures {
        match future.result() {
            Ok(()) => {}
            // Cancelled before a worker took it: it did not finish either.
            Err(TaskError::Cancelled) => never_started += 1,
            Err(error) => return Err(error.into()),
        }
    }
    let end = database.value();
    log::info!("Testing {what} update. Ending value is {end}.");
    Ok(Report {
        mode,
        threads,
        start,
        end,
        expected: start + i64::try_from(database.updates()).unwrap_or(i64::MAX),
        interrupted: usize::try_from(database.interrupted())
            .unwrap_or(usize::MAX)
            .saturating_add(never_started),
        timeline: database.timeline(),
    })
}
