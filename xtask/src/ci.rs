//! The `ci` task: the ordered list of steps, the runner that times each step and
//! stops at the first failure, and the summary table printed at the end.
//!
//! The `msrv` step (`ci/msrv.rs`) holds the toolchain to the crates'
//! `rust-version`; the `package` step (`ci/package.rs`) checks the crates as
//! they would be published; both read the workspace through
//! `ci/metadata.rs`.

mod metadata;
mod msrv;
mod package;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

use crate::process::cargo;
use crate::{bench, examples, target_dir, tidy};

/// Crates whose `loom_*` tests (in `#[cfg(all(test, loom))]` modules) the `loom`
/// step runs. Add a crate here once it has loom tests.
const LOOM_CRATES: &[&str] = &[
    "pythreading-core",
    "pythreading-sync",
    "pythreading-executor",
];

/// What every step gets: where the workspace is and which examples to check.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The workspace root; every command runs from here.
    pub(crate) root: PathBuf,
    /// Names of the examples the `examples` step checks; empty means all.
    pub(crate) examples: Vec<String>,
}

/// One step of `cargo xtask ci`.
#[derive(Debug)]
struct Step {
    /// Name used by `--skip` / `--only` and in the summary.
    name: &'static str,
    /// Runs the step; `Err` carries a one-line reason.
    run: fn(&Ctx) -> Result<(), String>,
}

/// Every step, in the order `cargo xtask ci` runs them.
const STEPS: &[Step] = &[
    Step {
        name: "msrv",
        run: run_msrv,
    },
    Step {
        name: "fmt",
        run: fmt,
    },
    Step {
        name: "clippy",
        run: clippy,
    },
    Step {
        name: "build",
        run: build,
    },
    Step {
        name: "features",
        run: features,
    },
    Step {
        name: "test",
        run: test,
    },
    Step {
        name: "doc",
        run: doc,
    },
    Step {
        name: "package",
        run: run_package,
    },
    Step {
        name: "loom",
        run: loom,
    },
    Step {
        name: "tidy",
        run: run_tidy,
    },
    Step {
        name: "examples",
        run: run_examples,
    },
    Step {
        name: "bench",
        run: bench_smoke,
    },
];

/// The names of all steps, in order.
pub(crate) fn step_names() -> Vec<&'static str> {
    STEPS.iter().map(|s| s.name).collect()
}

/// How a step ended, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// It ran and passed.
    Ok,
    /// It ran and failed.
    Failed,
    /// It was not selected, or an earlier step failed.
    Skipped,
}

/// Runs the `selected` steps in order, stopping at the first failure, then
/// prints the summary. Returns whether every step that ran passed.
pub(crate) fn run(ctx: &Ctx, selected: &[&str]) -> bool {
    let mut results: Vec<(&str, Outcome, f64)> = Vec::new();
    let mut failed = false;
    for step in STEPS {
        if failed || !selected.contains(&step.name) {
            results.push((step.name, Outcome::Skipped, 0.0));
            continue;
        }
        println!("\n==> {}", step.name);
        let start = Instant::now();
        // A panic in our own code must not lose the summary.
        let result = panic::catch_unwind(AssertUnwindSafe(|| (step.run)(ctx)))
            .unwrap_or_else(|_| Err("the step panicked".to_owned()));
        let secs = start.elapsed().as_secs_f64();
        let outcome = match result {
            Ok(()) => Outcome::Ok,
            Err(reason) => {
                eprintln!("error: step `{}` failed: {reason}", step.name);
                failed = true;
                Outcome::Failed
            }
        };
        results.push((step.name, outcome, secs));
    }
    print_summary(&results);
    !failed
}

/// Prints one row per step: name, result and seconds.
fn print_summary(results: &[(&str, Outcome, f64)]) {
    println!("\nsummary:");
    println!("  {:<10} {:<8} {:>8}", "step", "result", "seconds");
    for (name, outcome, secs) in results {
        let result = match outcome {
            Outcome::Ok => "ok",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        };
        println!("  {name:<10} {result:<8} {secs:>8.1}");
    }
    let total: f64 = results.iter().map(|r| r.2).sum();
    println!("  {:<10} {:<8} {total:>8.1}", "total", "");
    let count = |wanted: Outcome| results.iter().filter(|r| r.1 == wanted).count();
    // The conventional closing line, so a reader (or CI) sees the verdict last.
    println!(
        "\nsteps: {} passed, {} failed, {} skipped",
        count(Outcome::Ok),
        count(Outcome::Failed),
        count(Outcome::Skipped)
    );
}

/// `cargo fmt --all -- --check`
fn fmt(ctx: &Ctx) -> Result<(), String> {
    cargo(&ctx.root, &["fmt", "--all", "--", "--check"], &[])
}

/// `cargo clippy --workspace --all-targets -- -D warnings`, with the default
/// features and then with all of them (the deadlock-detection code).
fn clippy(ctx: &Ctx) -> Result<(), String> {
    for features in [None, Some("--all-features")] {
        let mut args = vec!["clippy", "--workspace", "--all-targets"];
        args.extend(features);
        args.extend(["--", "-D", "warnings"]);
        cargo(&ctx.root, &args, &[])?;
    }
    Ok(())
}

/// `cargo build --workspace --all-targets`
fn build(ctx: &Ctx) -> Result<(), String> {
    cargo(&ctx.root, &["build", "--workspace", "--all-targets"], &[])
}

/// The facade's cargo features, each alone and none at all: a user taking
/// only one part must still get a crate that builds.
const FACADE_FEATURE_SETS: &[&[&str]] = &[
    &["--no-default-features"],
    &["--no-default-features", "--features", "sync"],
    &["--no-default-features", "--features", "executor"],
    &["--no-default-features", "--features", "deadlock-detection"],
];

/// Checks the facade with each feature set, and the fakedb library without
/// its binary's `cli` feature (how a crate depending on it builds it).
fn features(ctx: &Ctx) -> Result<(), String> {
    for set in FACADE_FEATURE_SETS {
        let mut args = vec!["check", "-p", "pythreading", "--all-targets"];
        args.extend_from_slice(set);
        cargo(&ctx.root, &args, &[])?;
    }
    cargo(
        &ctx.root,
        &[
            "check",
            "-p",
            "pythreading-fakedb",
            "--all-targets",
            "--no-default-features",
        ],
        &[],
    )
}

/// `cargo test --workspace`: unit, integration and doc tests (tidy's test
/// too). Then pythreading-sync's again with `deadlock-detection`: its own
/// tests, and every other test of the locks with the detector's hooks on.
fn test(ctx: &Ctx) -> Result<(), String> {
    cargo(&ctx.root, &["test", "--workspace"], &[])?;
    cargo(
        &ctx.root,
        &[
            "test",
            "-p",
            "pythreading-sync",
            "--features",
            "deadlock-detection",
        ],
        &[],
    )
}

/// `cargo doc --workspace --no-deps --all-features` (so the `deadlock`
/// module is documented too), with rustdoc warnings as errors.
fn doc(ctx: &Ctx) -> Result<(), String> {
    cargo(
        &ctx.root,
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )
}

/// The loom model-checking tests of each crate in `LOOM_CRATES`, built with
/// `--cfg loom` in their own target directory so the normal build stays valid;
/// then pythreading-sync's deadlock-detection models, with that feature.
fn loom(ctx: &Ctx) -> Result<(), String> {
    let target_dir = ctx.root.join("target").join("loom");
    let target_dir = target_dir.to_string_lossy();
    let envs = [
        ("RUSTFLAGS", "--cfg loom"),
        ("LOOM_MAX_PREEMPTIONS", "2"),
        ("CARGO_TARGET_DIR", &*target_dir),
    ];
    for krate in LOOM_CRATES {
        cargo(
            &ctx.root,
            &["test", "-p", krate, "--release", "--lib", "loom"],
            &envs,
        )?;
    }
    cargo(
        &ctx.root,
        &[
            "test",
            "-p",
            "pythreading-sync",
            "--release",
            "--lib",
            "--features",
            "deadlock-detection",
            "loom_deadlock",
        ],
        &envs,
    )
}

/// The toolchain is the declared `rust-version` (`ci/msrv.rs`).
fn run_msrv(ctx: &Ctx) -> Result<(), String> {
    msrv::run(&ctx.root)
}

/// The crates as they would be published, and their tests built from the
/// packages (`ci/package.rs`).
fn run_package(ctx: &Ctx) -> Result<(), String> {
    package::run(&ctx.root)
}

/// The source checks of `tidy.rs`.
fn run_tidy(ctx: &Ctx) -> Result<(), String> {
    println!("checking *.rs files under crates/, bench/, examples/ and xtask/");
    let problems = tidy::check(&ctx.root);
    if problems.is_empty() {
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    Err(format!("{} tidy problem(s)", problems.len()))
}

/// `cargo xtask bench --smoke`: the crate benches, the comparison suite and
/// the Python script each run once, tiny and unoptimised, and the report is
/// written under `target/`. It proves the benchmark machinery works; it
/// measures nothing.
fn bench_smoke(ctx: &Ctx) -> Result<(), String> {
    let options = bench::Options {
        mode: bench::Mode::Smoke,
        no_python: false,
        baseline: None,
    };
    bench::run(&ctx.root, &options)
}

/// Builds the examples, then runs each one and checks its output. They are
/// built with `deadlock-detection`, which `deadlock_detect` needs; the other
/// examples then run with the detector's hooks on, which must not change
/// what they print.
fn run_examples(ctx: &Ctx) -> Result<(), String> {
    cargo(
        &ctx.root,
        &[
            "build",
            "--examples",
            "-p",
            "pythreading-examples",
            "--features",
            "deadlock-detection",
        ],
        &[],
    )?;
    examples::run(
        &ctx.root,
        &target_dir(&ctx.root).join("debug").join("examples"),
        &ctx.examples,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Task, parse};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The steps `cargo xtask ci ARGS` selects.
    fn selected(list: &[&str]) -> Vec<&'static str> {
        match parse(&args(list)) {
            Ok(Task::Ci { steps, .. }) => steps,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    #[test]
    fn every_step_runs_by_default_in_order() {
        let names = step_names();
        assert_eq!(
            names,
            [
                "msrv", "fmt", "clippy", "build", "features", "test", "doc", "package", "loom",
                "tidy", "examples", "bench"
            ]
        );
        assert_eq!(selected(&["ci"]), names);
    }

    #[test]
    fn only_and_skip_pick_steps_by_name() {
        assert_eq!(selected(&["ci", "--only", "msrv"]), ["msrv"]);
        assert_eq!(selected(&["ci", "--only", "package"]), ["package"]);
        // In the order they run, whatever the order of the flags.
        let both = selected(&["ci", "--only=fmt", "--only", "msrv"]);
        assert_eq!(both, ["msrv", "fmt"]);
        let skipped = selected(&["ci", "--skip", "msrv", "--skip=fmt"]);
        assert!(!skipped.contains(&"msrv") && !skipped.contains(&"fmt"));
        assert_eq!(skipped.len(), step_names().len() - 2);
        let err = parse(&args(&["ci", "--only", "msrvs"])).unwrap_err();
        assert!(
            err.contains("unknown step `msrvs` (steps: msrv, fmt,"),
            "{err}"
        );
    }
}
