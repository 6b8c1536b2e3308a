//! The tutorial's logging set-up: Python's
//! `logging.basicConfig(format="%(asctime)s: %(message)s", level=logging.INFO,
//! datefmt="%H:%M:%S")` for the [`log`] crate.
//!
//! Every line is the wall-clock time as `HH:MM:SS`, a colon, then the
//! message, on stderr, so a Rust program's output can be compared with the
//! Python program's line by line:
//!
//! ```text
//! 14:03:27: Thread 0: starting update
//! ```
//!
//! The `fakedb` binary and the tutorial's examples use it. Set the
//! environment variable [`LOG_LEVEL_ENV`] (`PYTHREADING_LOG=debug`) to
//! change the level without editing a program, the way the tutorial
//! suggests switching `level=logging.INFO` to `logging.DEBUG`.

use std::fmt::{Arguments, Display};
use std::io::Write;

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
    fn environment_overrides_default_only_when_valid() {
        let info = LevelFilter::Info;
        assert_eq!(effective_level(info, None), LevelFilter::Info);
        assert_eq!(effective_level(info, Some("debug")), LevelFilter::Debug);
        assert_eq!(effective_level(info, Some("OFF")), LevelFilter::Off);
        assert_eq!(effective_level(info, Some("nonsense")), LevelFilter::Info);
        assert_eq!(effective_level(LevelFilter::Warn, None), LevelFilter::Warn);
    }
}
