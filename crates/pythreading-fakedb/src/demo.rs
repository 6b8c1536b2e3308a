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
    /// Every statement the threads ran.
    pub timeline: Timeline,
}

impl Report {
    /// How many updates were lost: `expected - end`.
    pub fn lost(&self) -> i64 {
        self.expected - self.end
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
    let futures = {
        let executor = ThreadPoolExecutor::new(threads)?;
        (0..threads)
            .map(|index| {
                let database = Arc::clone(&database);
                executor.submit(move || match mode {
                    Mode::Race => database.update(index),
                    Mode::FixRace => database.locked_update(index),
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    }; // Dropping the executor waits for every update, like Python's `with`.
    for future in futures {
        future.result()?;
    }
    let end = database.value();
    log::info!("Testing {what} update. Ending value is {end}.");
    Ok(Report {
        mode,
        threads,
        start,
        end,
        expected: start + i64::try_from(database.updates()).unwrap_or(i64::MAX),
        timeline: database.timeline(),
    })
}
