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
//! Exit status: 0 when the demo ran (the race losing updates is the demo
//! working); 1 when it could not run or write the diagram, or when
//! `fixrace` lost an update; 2 for wrong arguments.

use std::fs::File;
use std::io::Write;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (mode, args) = match cli.command {
        Command::Race(args) => (Mode::Race, args),
        Command::FixRace(args) => (Mode::FixRace, args),
    };
    match demo(mode, &args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fakedb: error: {message}");
            ExitCode::FAILURE
        }
    }
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
    print_report(&report, args.no_table);

    if let Some((path, mut file)) = svg {
        file.write_all(report.timeline.to_svg().as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| cannot_write(path, &e))?;
        println!("\nThe diagram is in {}.", path.display());
    }

    if mode == Mode::FixRace && report.lost() != 0 {
        eprintln!("fakedb: the locked update lost updates: this is a bug");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The message for a diagram that cannot be written to `path`.
fn cannot_write(path: &Path, error: &std::io::Error) -> String {
    format!("cannot write the diagram to {}: {error}", path.display())
}

/// The verdict, an explanation, and the table.
fn print_report(report: &Report, no_table: bool) {
    println!();
    println!("{report}");
    match (report.mode, report.lost()) {
        (Mode::Race, 0) => println!(
            "This time no update was lost: the threads did not overlap. Try a longer --delay."
        ),
        (Mode::Race, _) => println!(
            "Threads read the value before others wrote theirs back, then wrote over them."
        ),
        (Mode::FixRace, _) => println!(
            "Each thread held the Lock from its read to its write: no other update came between."
        ),
    }
    if !no_table {
        println!();
        println!("Timeline (time since the database was made):");
        print!("{}", report.timeline);
    }
}
