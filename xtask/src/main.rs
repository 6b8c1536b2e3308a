//! The project's task runner, in the cargo-xtask style: `cargo xtask ci` runs
//! every check CI runs, with nothing to install beyond the Rust toolchain.
//!
//! `main` parses the command line and hands over to `try_main`; each task is a
//! function. The steps of `ci` live in `ci.rs`, the source checks in `tidy.rs`,
//! the `examples` step in `examples.rs` (its table of checks in
//! `examples/table.rs`), `cargo xtask bench` in `bench.rs`, and the
//! running of cargo and other programs, which they all share, in
//! `process.rs`.

mod bench;
mod ci;
mod examples;
mod process;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The help text printed by `cargo xtask help` and after usage errors.
const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  ci [--skip STEP]... [--only STEP]...  run the CI steps (all of them by default)
  examples [NAME]...                    build the examples and check their output
  bench [--quick|--smoke] [--no-python] [--allow-dirty]
        [--baseline DIR [--baseline-label TEXT]]
                                        measure pythreading against its peers; a full
                                        run rewrites BENCHMARKS.md and benchmarks.svg
                                        (refused with uncommitted changes unless
                                        --allow-dirty); --quick (under 3 minutes) and
                                        --smoke (tiny, unoptimised) write their report
                                        in target/xtask-bench instead; --baseline sets
                                        the run beside an earlier results directory
  help                                  print this message";

/// A command line that makes sense, ready to run.
#[derive(Debug)]
enum Task {
    /// Print the usage.
    Help,
    /// Run the selected `ci` steps, restricting the examples step to `examples`
    /// when it is not empty.
    Ci {
        /// Names of the steps to run, in any order.
        steps: Vec<&'static str>,
        /// Names of the examples to check; empty means all of them.
        examples: Vec<String>,
    },
    /// Run the benchmarks and write the report.
    Bench(bench::Options),
}

/// Runs the task, turning a usage error into exit code 2 and a failed task into 1.
fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(args) => args,
        Err(arg) => return usage_error(&format!("argument {arg:?} is not valid UTF-8")),
    };
    match try_main(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => usage_error(&message),
    }
}

/// Parses `args` and runs the task; `Ok(false)` when it ran and failed,
/// `Err` (a message) when the command line is wrong.
fn try_main(args: &[String]) -> Result<bool, String> {
    match parse(args)? {
        Task::Help => {
            println!("{USAGE}");
            println!("\nsteps of `ci`, in order: {}", ci::step_names().join(" "));
            println!("examples: {}", examples::names().join(" "));
            Ok(true)
        }
        Task::Ci { steps, examples } => {
            let ctx = ci::Ctx {
                root: workspace_root(),
                examples,
            };
            Ok(ci::run(&ctx, &steps))
        }
        Task::Bench(options) => match bench::run(&workspace_root(), &options) {
            Ok(()) => Ok(true),
            Err(message) => {
                eprintln!("error: {message}");
                Ok(false)
            }
        },
    }
}

/// Reads the command line (without the program name).
fn parse(args: &[String]) -> Result<Task, String> {
    let Some((task, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    match task.as_str() {
        "help" | "--help" | "-h" => match rest.first() {
            None => Ok(Task::Help),
            Some(arg) => Err(format!("`help` takes no arguments, got `{arg}`")),
        },
        "ci" => parse_ci(rest),
        "bench" => bench::parse(rest).map(Task::Bench),
        "examples" => {
            let known = examples::names();
            for name in rest {
                if name.starts_with('-') {
                    return Err(format!("unknown flag `{name}` for `examples`"));
                }
                if !known.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown example `{name}` (known: {})",
                        known.join(", ")
                    ));
                }
            }
            Ok(Task::Ci {
                steps: vec!["examples"],
                examples: rest.to_vec(),
            })
        }
        other => Err(format!("unknown task `{other}`")),
    }
}

/// Reads the flags of `ci`: `--skip STEP` and `--only STEP`, each repeatable
/// (also spelled `--skip=STEP` / `--only=STEP`).
fn parse_ci(args: &[String]) -> Result<Task, String> {
    let all = ci::step_names();
    let mut only: Vec<&'static str> = Vec::new();
    let mut skip: Vec<&'static str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let list = match flag {
            "--skip" => &mut skip,
            "--only" => &mut only,
            _ => return Err(format!("unknown flag `{arg}` for `ci`")),
        };
        let Some(value) = inline_value.or_else(|| args.next().cloned()) else {
            return Err(format!("`{flag}` needs a step name"));
        };
        let Some(step) = all.iter().find(|s| **s == value) else {
            return Err(format!(
                "unknown step `{value}` (steps: {})",
                all.join(", ")
            ));
        };
        list.push(step);
    }
    let steps = all
        .into_iter()
        .filter(|s| only.is_empty() || only.contains(s))
        .filter(|s| !skip.contains(s))
        .collect();
    Ok(Task::Ci {
        steps,
        examples: Vec::new(),
    })
}

/// Prints a usage error on stderr and returns exit code 2.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

/// The workspace root: the parent of xtask's own manifest directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, or `target/` in the
/// workspace at `root`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
