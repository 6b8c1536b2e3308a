//! `fakedb`: the tutorial's race condition, run for real, printed and
//! drawn.
//!
//! ```sh
//! fakedb race [--threads N] [--delay MS] [--svg FILE]      # update(): loses updates
//! fakedb fixrace [--threads N] [--delay MS] [--svg FILE]   # locked_update(): exact
//! ```
//!
//! It prints the tutorial's log lines (on stderr, as Python's `logging`
//! does), then on stdout the ending value against the expected one with
//! the number of updates lost, and a table of every statement each thread
//! ran. `--svg FILE` also draws that timeline as a diagram.
//!
//! Ctrl-C (SIGINT) stops the demo cleanly: every update still sleeping
//! stops there, without writing back, and logs `Thread N: update
//! interrupted`; `fakedb` then prints what it had (the verdict and the
//! table of the statements that ran, and a line saying how many updates
//! did not finish) and exits with status 130, as a shell reports a
//! SIGINT. A second Ctrl-C ends it at once, also with status 130.
//!
//! Exit status: 0 when the demo ran (the race losing updates is the demo
//! working); 1 when it could not run, write the diagram or write to
//! stdout, or when `fixrace` lost an update; 2 for wrong arguments; 130
//! when Ctrl-C interrupted the demo (whatever else went wrong, which is
//! still reported on stderr).
//!
//! A stdout whose reader has gone (`fakedb race | head -0`) is not an
//! error: the program stops writing and exits quietly with the status it
//! would have had, as ripgrep and other Unix filters do. Any other failure
//! to write stdout (`fakedb race > /dev/full`, and `--help` or `--version`
//! too) is one line on stderr and status 1. Nothing here panics on a
//! failed write, to stdout or to stderr.

use std::fmt::{self, Display, Formatter};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use log::LevelFilter;
use pythreading_fakedb::{MAX_DELAY, MAX_THREADS, Mode, Report, logging, run};

/// The tutorial's race condition, run for real: threads updating a fake
/// database lose updates, unless a Lock guards the update.
#[derive(Debug, Parser)]
#[command(name = "fakedb", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Each thread runs update(): read the value, add one, sleep, write it
    /// back. Updates are lost.
    Race(RunArgs),
    /// Each thread runs locked_update(): the same steps holding a Lock.
    /// Nothing is lost.
    #[command(name = "fixrace")]
    FixRace(RunArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// How many threads update the database at once, one update each.
    #[arg(
        short,
        long,
        value_name = "N",
        default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS as u64),
    )]
    threads: u64,

    /// How long each update sleeps between its read and its write, in
    /// milliseconds (the tutorial's time.sleep(0.1) is 100).
    #[arg(
        short,
        long,
        value_name = "MS",
        default_value_t = 100,
        value_parser = clap::value_parser!(u64).range(0..=MAX_DELAY.as_millis() as u64),
    )]
    delay: u64,

    /// Also draw the timeline as an SVG diagram into FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,

    /// Log the lock's steps too (DEBUG level), as the tutorial does with
    /// logging.DEBUG.
    #[arg(short, long)]
    verbose: bool,

    /// Do not print the timeline table.
    #[arg(long)]
    no_table: bool,
}

/// The exit status of a demo interrupted by Ctrl-C: 128 + SIGINT, what a
/// shell reports for a program that a SIGINT ended.
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_exit(&error),
    };
    let (mode, args) = match cli.command {
        Command::Race(args) => (Mode::Race, args),
        Command::FixRace(args) => (Mode::FixRace, args),
    };
    // Ctrl-C cancels the updates (the root token is every task's parent).
    // Err only if the process already has a SIGINT handler, which nothing
    // here installs; the demo then runs as before, Ctrl-C keeping its
    // usual effect.
    let _ = pythreading_core::cancel_on_ctrl_c();
    match demo(mode, &args) {
        Ok(code) => code,
        Err(message) => fail(message),
    }
}

/// What clap's own `Error::exit` does, but a help or version text that
/// cannot be written is an error here, not a silent success.
fn clap_exit(error: &clap::Error) -> ExitCode {
    let code = ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
    if error.use_stderr() {
        // Wrong arguments: if stderr fails too, nothing is left to tell.
        let _ = error.print();
        return code;
    }
    stdout_written(error.print().and_then(|()| io::stdout().flush()), code)
}

/// Runs the demo and prints it; `Err` is the message for a failure.
fn demo(mode: Mode, args: &RunArgs) -> Result<ExitCode, String> {
    // Opened first, so that a path that cannot be written fails before the
    // demo runs, not after.
    let svg = match args.svg.as_deref() {
        Some(path) => Some((
            path,
            File::create(path).map_err(|e| cannot_write(path, &e))?,
        )),
        None => None,
    };

    // PYTHREADING_LOG may change the level, but --verbose has the last word.
    let mut logger = logging::builder();
    if args.verbose {
        logger.filter_level(LevelFilter::Debug);
    }
    // Err only if a logger is already installed, which nothing here does.
    let _ = logger.try_init();

    let threads = usize::try_from(args.threads).map_err(|e| e.to_string())?;
    let report =
        run(mode, threads, Duration::from_millis(args.delay)).map_err(|e| e.to_string())?;

    // The diagram is written before stdout, so that a closed stdout does not
    // lose it; a diagram that cannot be written does not lose the verdict.
    let drawn = svg.map(|(path, mut file)| {
        let result = file
            .write_all(report.timeline.to_svg().as_bytes())
            .and_then(|()| file.flush());
        (path, result)
    });
    let printed = Printed {
        report: &report,
        table: !args.no_table,
        svg: match &drawn {
            Some((path, Ok(()))) => Some(*path),
            _ => None,
        },
    };
    let written = {
        let mut stdout = io::stdout().lock();
        write!(stdout, "{printed}").and_then(|()| stdout.flush())
    };

    let mut code = ExitCode::SUCCESS;
    if let Some((path, Err(error))) = &drawn {
        code = fail(cannot_write(path, error));
    }
    if mode == Mode::FixRace && report.lost() != 0 {
        code = fail("the locked update lost updates: this is a bug");
    }
    let code = stdout_written(written, code);
    // Interrupted, the run is what the status says; any error above has
    // had its line on stderr.
    Ok(if report.is_interrupted() {
        ExitCode::from(INTERRUPTED)
    } else {
        code
    })
}

/// The exit status once stdout has been written: `code` when it was, and
/// also when its reader had gone (a closed pipe ends the program quietly);
/// for any other error, a message and status 1.
fn stdout_written(written: io::Result<()>, code: ExitCode) -> ExitCode {
    match written {
        Ok(()) => code,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => code,
        Err(error) => fail(format_args!("cannot write to stdout: {error}")),
    }
}

/// `fakedb: error: MESSAGE` on stderr, and status 1. A stderr that cannot
/// be written loses the message, never panics.
fn fail(message: impl Display) -> ExitCode {
    let _ = writeln!(io::stderr(), "fakedb: error: {message}");
    ExitCode::FAILURE
}

/// The message for a diagram that cannot be written to `path`.
fn cannot_write(path: &Path, error: &io::Error) -> String {
    format!("cannot write the diagram to {}: {error}", path.display())
}

/// What goes to stdout: the verdict, an explanation, the Ctrl-C line (if
/// the run was interrupted), the table (unless `--no-table`) and where
/// the diagram is (with `--svg`).
#[derive(Debug)]
struct Printed<'a> {
    report: &'a Report,
    table: bool,
    svg: Option<&'a Path>,
}

impl Display for Printed<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let report = self.report;
        writeln!(f)?;
        writeln!(f, "{report}")?;
        let finished = report.threads.saturating_sub(report.interrupted);
        let explanation = match (report.mode, report.lost()) {
            // Interrupted updates wrote nothing: no overlap, and no lock
            // held to a write, to speak of.
            _ if finished == 0 => None,
            (Mode::Race, 0) if report.is_interrupted() => None,
            (Mode::Race, 0) => Some(
                "This time no update was lost: the threads did not overlap. Try a longer --delay.",
            ),
            (Mode::Race, _) => Some(
                "Threads read the value before others wrote theirs back, then wrote over them.",
            ),
            (Mode::FixRace, _) => Some(
                "Each thread held the Lock from its read to its write: no other update came between.",
            ),
        };
        if let Some(explanation) = explanation {
            writeln!(f, "{explanation}")?;
        }
        if report.is_interrupted() {
            let s = if report.threads == 1 { "" } else { "s" };
            writeln!(
                f,
                "Interrupted by Ctrl-C: {} of {} update{s} did not finish.",
                report.interrupted, report.threads
            )?;
        }
        if self.table {
            writeln!(f)?;
            writeln!(f, "Timeline (time since the database was made):")?;
            write!(f, "{}", report.timeline)?;
        }
        if let Some(path) = self.svg {
            writeln!(f)?;
            writeln!(f, "The diagram is in {}.", path.display())?;
        }
        Ok(())
    }
}
