//! The programs of the "Intro to Threading" tutorial, reproduced with
//! `pythreading`.
//!
//! Every program of the tutorial lives in this package as a Cargo example
//! (`cargo run --example NAME`, e.g. `single_thread`, `daemon_thread`,
//! `multiple_threads`). This small library holds what they share: a logger
//! set up as the tutorial sets up Python's `logging` (the wall-clock time as
//! `HH:MM:SS`, a colon, then the message, at level INFO), so the Rust output
//! can be compared with the Python output line by line:
//!
//! ```text
//! 14:03:27: Main    : before creating thread
//! ```
//!
//! Set the environment variable [`LOG_LEVEL_ENV`] (`PYTHREADING_LOG=debug`)
//! to change the level without editing a program, the way the tutorial
//! suggests switching `level=logging.INFO` to `logging.DEBUG`.
//!
//! The producer–consumer programs also share [`Rng`], a few lines standing
//! in for Python's `random.randint`, so the examples need no random-number
//! crate, and [`check_delivery`], their closing verdict.

use std::error::Error;
use std::fmt::{Arguments, Debug, Display};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{LevelFilter, Log, Metadata, Record};

/// The environment variable that overrides the level given to
/// [`init_logging`] / [`init_logging_with`].
///
/// Its value is one of `error`, `warn` (or `warning`), `info`, `debug`,
/// `trace`, `off`, in any case. An unknown value is reported on stderr
/// and otherwise ignored.
pub const LOG_LEVEL_ENV: &str = "PYTHREADING_LOG";

/// `datefmt="%H:%M:%S"`: the time of day, without the date.
const TIME_FORMAT: &str = "%H:%M:%S";

/// The tutorial's worker: logs that thread `name` starts, sleeps two
/// seconds, logs that it finishes. Started by hand in `single_thread` and
/// `multiple_threads`, and by a pool's workers in `executor`.
pub fn thread_function(name: usize) {
    log::info!("Thread {name}: starting");
    std::thread::sleep(std::time::Duration::from_secs(2));
    log::info!("Thread {name}: finishing");
}

/// Installs the tutorial's logger at level INFO (`level=logging.INFO`).
///
/// The level can be overridden with the environment variable
/// [`LOG_LEVEL_ENV`]. Calling it more than once is harmless: only the first
/// call (or another logger installed earlier) takes effect.
pub fn init_logging() {
    init_logging_with(LevelFilter::Info);
}

/// Installs the tutorial's logger at `level`.
///
/// Each record is printed to stderr (Python's default stream) as
/// `HH:MM:SS: message` in local time, one whole line per write, so lines
/// logged by different threads never mix.
///
/// The environment variable [`LOG_LEVEL_ENV`], when set to a valid level,
/// takes precedence over `level`. If a logger is already installed (for
/// instance by an earlier call), this does nothing.
pub fn init_logging_with(level: LevelFilter) {
    if log::set_logger(&TutorialLogger).is_err() {
        return;
    }
    let from_env = std::env::var(LOG_LEVEL_ENV).ok();
    let invalid = from_env
        .as_deref()
        .filter(|value| parse_level(value).is_none());
    if let Some(value) = invalid {
        eprintln!(
            "{LOG_LEVEL_ENV}={value:?} is not a log level \
             (expected error, warn, info, debug, trace or off); using {level}"
        );
    }
    log::set_max_level(effective_level(level, from_env.as_deref()));
}

/// Parses a level name as accepted in [`LOG_LEVEL_ENV`].
fn parse_level(value: &str) -> Option<LevelFilter> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("warning") {
        return Some(LevelFilter::Warn);
    }
    value.parse().ok()
}

/// The level to use: the environment's value when it is valid, else `default`.
fn effective_level(default: LevelFilter, env_value: Option<&str>) -> LevelFilter {
    env_value.and_then(parse_level).unwrap_or(default)
}

/// One output line: `"%(asctime)s: %(message)s"` plus the newline.
fn format_line(time: impl Display, msg: &Arguments<'_>) -> String {
    format!("{time}: {msg}\n")
}

/// The logger behind [`init_logging`].
#[derive(Debug)]
struct TutorialLogger;

impl Log for TutorialLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let time = chrono::Local::now().format(TIME_FORMAT);
        let line = format_line(time, record.args());
        // A logger has nowhere to report its own failure (Python's logging
        // would print a traceback and carry on): drop the line.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// A tiny pseudo-random number generator (xorshift64*), seeded from the
/// clock: the tutorial's `random.randint`, for made-up messages.
///
/// Good enough to make every run print different numbers; not for anything
/// that needs real randomness.
///
/// ```
/// use pythreading_examples::Rng;
///
/// let mut rng = Rng::from_clock();
/// let n = rng.randint(1, 100);
/// assert!((1..=100).contains(&n));
/// ```
#[derive(Debug, Clone)]
pub struct Rng {
    /// Never zero: xorshift would stay at zero for ever.
    state: u64,
}

impl Rng {
    /// A generator seeded from the current time.
    pub fn from_clock() -> Self {
        // Before 1970 only on a badly broken clock; any seed will do then.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Fold the 128-bit count into 64 bits; `with_seed` spreads it.
        Self::with_seed((nanos as u64) ^ ((nanos >> 64) as u64))
    }

    /// A generator that always gives the same numbers for the same `seed`.
    pub fn with_seed(seed: u64) -> Self {
        // One splitmix64 step: nearby seeds (clock readings a few
        // nanoseconds apart) give unrelated starting states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self {
            state: if z == 0 { 1 } else { z },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number from `low` to `high`, both included, as Python's
    /// `random.randint(low, high)`. Panics if `low > high`.
    ///
    /// The modulo makes small numbers very slightly more likely (by less
    /// than one in 2^32 for ranges this size): irrelevant here.
    pub fn randint(&mut self, low: u32, high: u32) -> u32 {
        assert!(low <= high, "randint({low}, {high}): empty range");
        let span = u64::from(high - low) + 1;
        // The remainder is below `span`, which fits in u32 + 1: the sum
        // is at most `high`.
        low + (self.next_u64() % span) as u32
    }
}

/// The producer–consumer programs' closing lines: logs how many messages
/// were produced and consumed, then whether every one arrived, in order.
/// A loss is an error naming both lists, so the program exits non-zero.
///
/// ```
/// assert!(pythreading_examples::check_delivery(&[1, 2], &[1, 2]).is_ok());
/// assert!(pythreading_examples::check_delivery(&[1, 2], &[2]).is_err());
/// ```
pub fn check_delivery<T: PartialEq + Debug>(
    produced: &[T],
    consumed: &[T],
) -> Result<(), Box<dyn Error>> {
    log::info!(
        "Main: produced {}, consumed {}",
        produced.len(),
        consumed.len()
    );
    if produced != consumed {
        log::info!("Main: LOST MESSAGES");
        return Err(format!("sent {produced:?}, but stored {consumed:?}").into());
    }
    log::info!("Main: every message produced was consumed, in order");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_is_time_colon_space_message_newline() {
        let line = format_line(
            "12:34:56",
            &format_args!("Main    : before creating thread"),
        );
        assert_eq!(line, "12:34:56: Main    : before creating thread\n");
    }

    #[test]
    fn message_arguments_are_formatted() {
        let index = 2;
        let line = format_line("00:00:00", &format_args!("Thread {index}: starting"));
        assert_eq!(line, "00:00:00: Thread 2: starting\n");
    }

    #[test]
    fn time_is_zero_padded_hours_minutes_seconds() {
        let time = chrono::NaiveTime::from_hms_opt(9, 5, 7).expect("valid time");
        let line = format_line(time.format(TIME_FORMAT), &format_args!("x"));
        assert_eq!(line, "09:05:07: x\n");
    }

    #[test]
    fn level_names_parse_in_any_case() {
        let cases = [
            ("error", LevelFilter::Error),
            ("WARN", LevelFilter::Warn),
            ("Warning", LevelFilter::Warn),
            ("info", LevelFilter::Info),
            ("Debug", LevelFilter::Debug),
            ("TRACE", LevelFilter::Trace),
            ("off", LevelFilter::Off),
            (" debug\n", LevelFilter::Debug),
        ];
        for (name, level) in cases {
            assert_eq!(parse_level(name), Some(level), "{name:?}");
        }
    }

    #[test]
    fn unknown_level_names_are_rejected() {
        for name in ["", "verbose", "3", "in fo"] {
            assert_eq!(parse_level(name), None, "{name:?}");
        }
    }

    #[test]
    fn randint_stays_in_range_and_reaches_both_ends() {
        let mut rng = Rng::with_seed(42);
        let mut seen = [false; 100];
        for _ in 0..10_000 {
            let n = rng.randint(1, 100);
            assert!((1..=100).contains(&n), "{n}");
            seen[n as usize - 1] = true;
        }
        assert!(seen.iter().all(|&s| s), "some number never came");
        assert_eq!(rng.randint(7, 7), 7);
        // The widest range: `high - low + 1` does not fit in u32, and
        // neither the span nor the sum may overflow.
        let mut wide = Rng::with_seed(0);
        let spread: Vec<u32> = (0..64).map(|_| wide.randint(0, u32::MAX)).collect();
        assert!(spread.iter().any(|&n| n > u32::MAX / 2));
        assert!(spread.iter().any(|&n| n < u32::MAX / 2));
    }

    #[test]
    fn same_seed_same_numbers_different_seed_different_numbers() {
        let take = |seed| {
            let mut rng = Rng::with_seed(seed);
            (0..8).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(take(1), take(1));
        assert_ne!(take(1), take(2));
        // A zero seed must not get stuck at zero.
        assert!(take(0).iter().any(|&x| x != 0));
    }

    #[test]
    fn environment_overrides_default_only_when_valid() {
        let info = LevelFilter::Info;
        assert_eq!(effective_level(info, None), LevelFilter::Info);
        assert_eq!(effective_level(info, Some("debug")), LevelFilter::Debug);
        assert_eq!(effective_level(info, Some("OFF")), LevelFilter::Off);
        assert_eq!(effective_level(info, Some("nonsense")), LevelFilter::Info);
        assert_eq!(effective_level(LevelFilter::Warn, None), LevelFilter::Warn);
    }
}
