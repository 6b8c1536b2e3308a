//! The tutorial's logging set-up: Python's
//! `logging.basicConfig(format="%(asctime)s: %(message)s", level=logging.INFO,
//! datefmt="%H:%M:%S")`, done with [`env_logger`] and a custom format.
//!
//! Every line is the local time of day as `HH:MM:SS`, a colon, then the
//! message, on stderr, so a Rust program's output can be compared with the
//! Python program's line by line:
//!
//! ```text
//! 14:03:27: Thread 0: starting update
//! ```
//!
//! The `fakedb` binary and the tutorial's examples use it. It is nothing
//! more than this, which any program can write for itself:
//!
//! ```
//! use std::io::Write;
//!
//! env_logger::Builder::from_env(env_logger::Env::default().filter_or("PYTHREADING_LOG", "info"))
//!     .format(|buf, record| writeln!(buf, "{}: {}", chrono::Local::now().format("%H:%M:%S"), record.args()))
//!     .init();
//! ```
//!
//! The environment variable [`LOG_LEVEL_ENV`] (`PYTHREADING_LOG=debug`)
//! changes the level without editing a program, the way the tutorial
//! suggests switching `level=logging.INFO` to `logging.DEBUG`. It takes
//! env_logger's filter syntax, as `RUST_LOG` does: a level (`error`,
//! `warn`, `info`, `debug`, `trace`, `off`, in any case), or per module
//! (`info,pythreading_sync=debug`).

use std::fmt::Display;
use std::io::{self, Write};

use env_logger::{Builder, Env};
use log::Record;

/// The environment variable that sets the level of [`init_logging`] and
/// [`builder`]: `PYTHREADING_LOG`, with `info` when it is unset.
///
/// Its value is an env_logger filter, as for `RUST_LOG`: a level (`debug`,
/// `warn`, `off`…), or levels per module (`info,pythreading_sync=debug`).
/// A word that is not a level names a module (so `warning` is not `warn`),
/// and a malformed level is reported on stderr by env_logger and ignored.
pub const LOG_LEVEL_ENV: &str = "PYTHREADING_LOG";

/// `datefmt="%H:%M:%S"`: the time of day, without the date.
const TIME_FORMAT: &str = "%H:%M:%S";

/// Installs the tutorial's logger at level INFO (`level=logging.INFO`),
/// or at the level [`LOG_LEVEL_ENV`] names.
///
/// Calling it more than once is harmless: only the first call (or another
/// logger installed earlier) takes effect.
pub fn init_logging() {
    // Err only when a logger is already installed: then that one stays.
    let _ = builder().try_init();
}

/// The tutorial's logger, not yet installed: [`LOG_LEVEL_ENV`] read, the
/// [`format_line`] set, to be adjusted before `try_init()`; for instance
/// `.filter_level(LevelFilter::Debug)` for a `--verbose` flag that
/// overrides the environment.
pub fn builder() -> Builder {
    let mut builder = Builder::from_env(Env::default().filter_or(LOG_LEVEL_ENV, "info"));
    builder.format(format_line);
    builder
}

/// The tutorial's format, `"%(asctime)s: %(message)s"` with
/// `datefmt="%H:%M:%S"`, for [`Builder::format`]: the local time of day,
/// a colon, a space, the message and a newline. Each record is written to
/// stderr with one write, so lines logged by different threads never mix.
///
/// # Errors
///
/// Only those of `out`; env_logger drops a line it cannot write, as
/// Python's `logging` carries on after a failed write.
pub fn format_line(out: &mut env_logger::fmt::Formatter, record: &Record<'_>) -> io::Result<()> {
    write_line(out, chrono::Local::now().format(TIME_FORMAT), record.args())
}

/// One line of [`format_line`], the time given.
fn write_line(out: &mut impl Write, time: impl Display, message: impl Display) -> io::Result<()> {
    writeln!(out, "{time}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(time: impl Display, message: impl Display) -> String {
        let mut out = Vec::new();
        write_line(&mut out, time, message).expect("a Vec takes every byte");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn line_is_time_colon_space_message_newline() {
        assert_eq!(
            line("12:34:56", format_args!("Main    : before creating thread")),
            "12:34:56: Main    : before creating thread\n"
        );
    }

    #[test]
    fn message_arguments_are_formatted() {
        let index = 2;
        assert_eq!(
            line("00:00:00", format_args!("Thread {index}: starting")),
            "00:00:00: Thread 2: starting\n"
        );
    }

    #[test]
    fn time_is_zero_padded_hours_minutes_seconds() {
        let time = chrono::NaiveTime::from_hms_opt(9, 5, 7).expect("valid time");
        assert_eq!(line(time.format(TIME_FORMAT), "x"), "09:05:07: x\n");
        let time = chrono::NaiveTime::from_hms_opt(23, 59, 59).expect("valid time");
        assert_eq!(line(time.format(TIME_FORMAT), "x"), "23:59:59: x\n");
    }
}
