//! The comparison suite: every workload of `bench/README.md`, for
//! pythreading and its Rust peers, in interleaved rounds.
//!
//! ```text
//! cargo bench -p pythreading-bench --bench compare -- [--quick] [--out FILE] [WORKLOAD...]
//! ```
//!
//! `cargo xtask bench` runs it with `--out`, next to the Python script and
//! the criterion benches of every crate, and writes BENCHMARKS.md from the
//! results. On its own it prints each workload's figures on stderr as it
//! goes; `--out FILE` also writes them as a results file (JSON, see
//! `pythreading_bench::records`). Positional arguments keep the workloads
//! whose id contains one of them (`size_of`, the types' sizes, is one
//! too: see `sizes.rs`). Run without `--bench` (as
//! `cargo test --benches` does), it makes one tiny round of everything:
//! a smoke test whose results checks still apply.

mod cancel;
mod harness;
mod pool;
mod sizes;
mod sync;
mod timers;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use pythreading_bench::records::Results;
use pythreading_bench::workloads::{SIZE, SIZE_OF, WORKLOADS};

use harness::{Size, Suite};

/// What the command line asked for.
#[derive(Debug)]
struct Args {
    size: Size,
    out: Option<PathBuf>,
    filters: Vec<String>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut bench = false;
    let mut quick = false;
    let mut out = None;
    let mut filters = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => bench = true,
            "--quick" => quick = true,
            "--out" => {
                let path = args.next().ok_or("`--out` needs a file name")?;
                out = Some(PathBuf::from(path));
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unknown flag `{flag}` (expected --quick, --out FILE, workload names)"
                ));
            }
            filter => {
                let ids = WORKLOADS.iter().map(|w| w.id).chain([SIZE_OF]);
                if !ids.clone().any(|id| id.contains(filter)) {
                    let ids: Vec<&str> = ids.collect();
                    return Err(format!(
                        "`{filter}` matches no workload (workloads: {})",
                        ids.join(", ")
                    ));
                }
                filters.push(filter.to_owned());
            }
        }
    }
    let size = match (bench, quick) {
        (false, _) => Size::Smoke,
        (true, true) => Size::Quick,
        (true, false) => Size::Full,
    };
    Ok(Args { size, out, filters })
}

fn main() -> ExitCode {
    if timers::child_main() {
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut suite = Suite::new(args.size, args.filters);
    eprintln!(
        "comparison suite ({:?} run), {} CPUs",
        args.size,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    // Nothing timed: every run has the sizes, the smoke run too.
    if suite.wants(SIZE_OF) {
        suite.records.extend(sizes::records());
        suite.report(SIZE_OF, SIZE);
    }
    pool::run(&mut suite);
    sync::run(&mut suite);
    timers::run(&mut suite);
    cancel::run(&mut suite);
    eprintln!(
        "comparison suite done in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    if let Some(path) = args.out {
        let results = Results {
            source: "compare".to_owned(),
            quick: args.size != Size::Full,
            note: format!("{:?} run", args.size),
            records: suite.records,
        };
        if let Err(e) = results.write(&path) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
