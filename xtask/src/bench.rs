//! The `bench` task: the criterion benches of every crate, the comparison
//! suite (pythreading and its Rust peers) and the Python script, one after
//! the other on a quiet machine, then the report: `BENCHMARKS.md` and
//! `benchmarks.svg`. Only a full run writes them at the workspace root,
//! the committed page; `--quick` and `--smoke` write theirs in the results
//! directory under `target/` (see [`outputs`]). The page names the commit
//! measured (`git rev-parse HEAD` when the run starts) and says whether
//! tracked files had uncommitted changes; a full run refuses such a tree
//! unless given `--allow-dirty`.
//!
//! pythreading-sync's `lock` bench runs a second time with the
//! `deadlock-detection` feature on, so that the report can show what the
//! feature costs next to the same benches with it off.
//!
//! Everything is built before anything is measured, so no compiler runs
//! next to a benchmark. Results go to `target/xtask-bench/` (cleared once
//! everything is built): `criterion/<run>/` (criterion's own files, through
//! `CRITERION_HOME`: one run per crate, and
//! `pythreading-sync-deadlock-detection`), `compare.json` and `python.json`.
//!
//! `--baseline DIR` sets the run beside an earlier one: the report reads
//! DIR as a second results directory and the page gets a section "Before
//! and after". DIR is checked before anything is built, and read by the
//! report's `check` before anything is measured; it may not be inside the
//! results directory, which the run clears.
//!
//! This file holds the runs and their order; the flags and where each kind
//! of run writes are in `bench/options.rs`, the baseline's checks in
//! `bench/baseline.rs`, the commit measured and the refusal of a dirty
//! tree in `bench/checkout.rs`, and the table of how long each part took
//! in `bench/laps.rs`.

mod baseline;
mod checkout;
mod laps;
mod options;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use checkout::{checkout, may_run};
use laps::Laps;
pub(crate) use options::{Mode, Options, parse};
use options::{outputs, shown_command};

use crate::process::{cargo, run_program};
use crate::target_dir;

/// The library crates, each with criterion benches of its own API under
/// `benches/` (the facade only re-exports them and has none).
const CRATES: &[&str] = &[
    "pythreading-core",
    "pythreading-sync",
    "pythreading-executor",
    "pythreading-fakedb",
];

/// The results directory, under `criterion/`, of pythreading-sync's `lock`
/// bench with deadlock detection on. The report looks for this name.
const DEADLOCK_DETECTION: &str = "pythreading-sync-deadlock-detection";

/// Selects the comparison suite, for `cargo bench`/`cargo test`.
const COMPARE: [&str; 4] = ["-p", "pythreading-bench", "--bench", "compare"];

/// Selects the report's binary, built with `profile` (the benches' own, so
/// their dependencies are shared), for `cargo build`/`cargo run`.
fn report_bin(profile: &str) -> [&str; 6] {
    [
        "--profile",
        profile,
        "-p",
        "pythreading-bench",
        "--bin",
        "pythreading-bench",
    ]
}

/// Selects the benches of `krate`, for `cargo bench`/`cargo test`. The
/// fakedb demo's command line (its default `cli` feature) is left out: its
/// benches do not need it, and clap's features would differ from the ones
/// criterion asks for, which rebuilds criterion for that crate alone.
fn crate_selection(krate: &str) -> Vec<&str> {
    let mut args = vec!["-p", krate, "--bench", "*"];
    if krate == "pythreading-fakedb" {
        args.push("--no-default-features");
    }
    args
}

/// One run of criterion benches: the benches `selection` picks in the crate
/// at `crates/<krate>`, with `CRITERION_HOME=criterion/<name>`. `name` also
/// names the run in the timings.
#[derive(Debug)]
struct CriterionRun {
    name: &'static str,
    krate: &'static str,
    selection: Vec<&'static str>,
}

/// The criterion runs, in order: every crate's benches, then
/// pythreading-sync's `lock` bench again with deadlock detection on (the
/// report sets it beside the run with the feature off: what it costs).
fn criterion_runs() -> Vec<CriterionRun> {
    let mut runs: Vec<CriterionRun> = CRATES
        .iter()
        .map(|&krate| CriterionRun {
            name: krate,
            krate,
            selection: crate_selection(krate),
        })
        .collect();
    runs.push(CriterionRun {
        name: DEADLOCK_DETECTION,
        krate: "pythreading-sync",
        selection: vec![
            "-p",
            "pythreading-sync",
            "--bench",
            "lock",
            "--features",
            "deadlock-detection",
        ],
    });
    runs
}

/// Runs the benchmarks and writes the report; `Err` names what failed.
pub(crate) fn run(root: &Path, options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let checkout = checkout(root);
    may_run(options.mode, checkout.as_ref())?;
    match &checkout {
        Some(c) if c.changed.is_empty() => println!("== measuring commit {}", c.commit),
        Some(c) => println!(
            "== measuring commit {} with uncommitted changes to {} tracked file(s)",
            c.commit,
            c.changed.len()
        ),
        None => println!("== not a git checkout: the page will say the commit is not recorded"),
    }
    let target = target_dir(root);
    let results = target.join("xtask-bench");
    let baseline = match &options.baseline {
        Some(b) => Some(
            baseline::resolve(&b.dir, &results)?
                .to_string_lossy()
                .into_owned(),
        ),
        None => None,
    };
    if let Some(dir) = &baseline {
        println!("== the page will set this run beside the results in {dir}");
    }

    let command = shown_command(options);
    println!("== {command}: building first, then measuring");
    let mut laps = Laps::new();
    // `cargo bench` builds with the `bench` profile (thin LTO, one codegen
    // unit); `cargo test --benches` with the dev profile, for the smoke run.
    // `--quick` uses `bench-quick`: no LTO, so a cold build takes half the time.
    let (build_verb, profile) = match options.mode {
        Mode::Full { .. } => ("bench", "bench"),
        Mode::Quick => ("bench", "bench-quick"),
        Mode::Smoke => ("test", "dev"),
    };
    // Each criterion run is built by the very command that later runs it:
    // cargo unifies features per command, and another set would rebuild
    // criterion (or, with deadlock detection, pythreading-sync) in the
    // middle of the measurements.
    let runs = criterion_runs();
    for run in runs.iter().filter(|r| has_benches(root, r.krate)) {
        let mut args = vec![build_verb, "--profile", profile, "--no-run"];
        args.extend(&run.selection);
        cargo(root, &args, &[])?;
    }
    let mut args = vec![build_verb, "--profile", profile, "--no-run"];
    args.extend(COMPARE);
    cargo(root, &args, &[])?;
    let mut args = vec!["build"];
    args.extend(report_bin(profile));
    cargo(root, &args, &[])?;
    // The baseline, read as the report will read it, before a quarter of
    // an hour of measuring rather than after.
    if let Some(dir) = &baseline {
        let mut args = vec!["run", "--quiet"];
        args.extend(report_bin(profile));
        args.extend(["--", "check", "--results", dir]);
        cargo(root, &args, &[]).map_err(|e| {
            format!(
                "the report cannot read the baseline {dir} (above), so nothing was measured: {e}"
            )
        })?;
    }
    laps.lap("build");

    // The previous run's results go only now, once everything is built
    // and the baseline read: a failed build leaves them as they were.
    if results.exists() {
        std::fs::remove_dir_all(&results)
            .map_err(|e| format!("cannot clear {}: {e}", results.display()))?;
    }
    std::fs::create_dir_all(&results)
        .map_err(|e| format!("cannot create {}: {e}", results.display()))?;

    // 1. The criterion benches of every crate, and the `lock` bench with
    // deadlock detection on.
    let criterion_args: &[&str] = match options.mode {
        Mode::Full { .. } => &["--warm-up-time", "1", "--measurement-time", "3"],
        Mode::Quick => &[
            "--warm-up-time",
            "0.2",
            "--measurement-time",
            "0.5",
            "--sample-size",
            "10",
        ],
        Mode::Smoke => &[],
    };
    for run in &runs {
        let home = results.join("criterion").join(run.name);
        // An empty directory: the report lists the run as having no results.
        std::fs::create_dir_all(&home)
            .map_err(|e| format!("cannot create {}: {e}", home.display()))?;
        if !has_benches(root, run.krate) {
            println!("== {} has no benches", run.krate);
            continue;
        }
        let home = home.to_string_lossy();
        let mut args = vec![build_verb, "--profile", profile];
        args.extend(&run.selection);
        args.push("--");
        args.extend(criterion_args);
        cargo(root, &args, &[("CRITERION_HOME", &home)])?;
        laps.lap(run.name);
    }

    // 2. The comparison suite.
    let compare = results.join("compare.json");
    let compare = compare.to_string_lossy();
    let mut args = vec![build_verb, "--profile", profile];
    args.extend(COMPARE);
    args.push("--");
    // `cargo bench` passes `--bench` itself: a measuring run, not a smoke one.
    if options.mode == Mode::Quick {
        args.push("--quick");
    }
    args.extend(["--out", &compare]);
    cargo(root, &args, &[])?;
    laps.lap("comparison suite");

    // 3. CPython's figures, when there is a CPython.
    if options.no_python {
        println!("== skipping the Python script (--no-python)");
    } else {
        match python() {
            Some(python) => {
                let script = root.join("bench").join("python").join("compare.py");
                let out = results.join("python.json");
                let (script, out) = (script.to_string_lossy(), out.to_string_lossy());
                let mut args = vec![&*script];
                match options.mode {
                    Mode::Full { .. } => {}
                    Mode::Quick => args.push("--quick"),
                    Mode::Smoke => args.push("--smoke"),
                }
                args.extend(["--out", &out]);
                run_program(root, &python, &args, &[])?;
                laps.lap("Python script");
            }
            None => println!(
                "== python3 not found: the report will say the Python figures were not measured"
            ),
        }
    }

    // 4. The report.
    let (markdown, svg) = outputs(root, &results, options.mode);
    let elapsed = format!("{:.0}", started.elapsed().as_secs_f64());
    let results = results.to_string_lossy();
    let markdown = markdown.to_string_lossy();
    let svg = svg.to_string_lossy();
    let mut args = vec!["run", "--quiet"];
    args.extend(report_bin(profile));
    args.extend([
        "--",
        "report",
        "--results",
        &results,
        "--command",
        &command,
        "--markdown",
        &markdown,
        "--svg",
        &svg,
        "--elapsed",
        &elapsed,
    ]);
    if let Some(c) = &checkout {
        args.extend(["--commit", &c.commit]);
        if !c.changed.is_empty() {
            args.push("--dirty");
        }
    }
    if let Some(dir) = &baseline {
        args.extend(["--baseline", dir]);
        if let Some(label) = options.baseline.as_ref().and_then(|b| b.label.as_deref()) {
            args.extend(["--baseline-label", label]);
        }
    }
    cargo(root, &args, &[])?;
    laps.lap("report");
    laps.print();
    println!(
        "== {command}: done in {:.0} s; wrote {markdown} and {svg}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Whether the crate at `crates/<krate>` declares bench targets (a
/// `[[bench]]` table, or files under `benches/` for cargo to find).
fn has_benches(root: &Path, krate: &str) -> bool {
    let dir = root.join("crates").join(krate);
    let declared = std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.contains("[[bench]]"));
    declared || dir.join("benches").is_dir()
}

/// The Python to run: `$PYTHON` if set, else `python3` if it answers
/// `--version`.
fn python() -> Option<String> {
    if let Some(python) = std::env::var_os("PYTHON") {
        return Some(python.to_string_lossy().into_owned());
    }
    let works = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    works.then(|| "python3".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_bench_runs_again_with_deadlock_detection() {
        let runs = criterion_runs();
        let names: Vec<&str> = runs.iter().map(|r| r.name).collect();
        let mut expected = CRATES.to_vec();
        expected.push(DEADLOCK_DETECTION);
        assert_eq!(names, expected);
        let last = runs.last().unwrap();
        assert_eq!(last.krate, "pythreading-sync");
        assert_eq!(
            last.selection.join(" "),
            "-p pythreading-sync --bench lock --features deadlock-detection"
        );
        // Every other run leaves the feature off.
        for run in &runs[..runs.len() - 1] {
            assert!(!run.selection.contains(&"--features"), "{run:?}");
        }
    }
}
