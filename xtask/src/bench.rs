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
//! next to a benchmark. Results go to `target/xtask-bench/` (cleared at the
//! start): `criterion/<run>/` (criterion's own files, through
//! `CRITERION_HOME`: one run per crate, and
//! `pythreading-sync-deadlock-detection`), `compare.json` and `python.json`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

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

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every figure, built with the `bench` profile (thin LTO, one codegen
    /// unit): under 15 minutes on 2 cores, the build included. The only
    /// run that rewrites the committed `BENCHMARKS.md` and
    /// `benchmarks.svg`; refused on a working tree with uncommitted
    /// changes to tracked files unless `allow_dirty`.
    Full {
        /// Measure a dirty tree anyway (`--allow-dirty`); the page says so.
        allow_dirty: bool,
    },
    /// Smaller workloads, fewer rounds, shorter criterion runs, built with
    /// the `bench-quick` profile (no LTO): a few minutes. The report goes
    /// to `target/xtask-bench/`.
    Quick,
    /// Everything runs once, tiny, unoptimised, and the report goes to
    /// `target/xtask-bench/`: a check that the machinery works (CI runs
    /// it), not a measurement.
    Smoke,
}

/// Options of `cargo xtask bench`.
#[derive(Debug)]
pub(crate) struct Options {
    /// How much to measure.
    pub(crate) mode: Mode,
    /// Skip the Python script even when `python3` is there.
    pub(crate) no_python: bool,
}

/// Reads the flags of `bench`.
pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut size: Option<Mode> = None;
    let mut allow_dirty = false;
    let mut no_python = false;
    for arg in args {
        match arg.as_str() {
            "--quick" if size.is_none() => size = Some(Mode::Quick),
            "--smoke" if size.is_none() => size = Some(Mode::Smoke),
            "--quick" | "--smoke" => {
                return Err("give one of `--quick` and `--smoke`, once".to_owned());
            }
            "--allow-dirty" => allow_dirty = true,
            "--no-python" => no_python = true,
            other => return Err(format!("unknown flag `{other}` for `bench`")),
        }
    }
    let mode = match size {
        None => Mode::Full { allow_dirty },
        Some(_) if allow_dirty => {
            return Err(
                "`--allow-dirty` is for a full run: `--quick` and `--smoke` measure a dirty \
                 tree anyway (their page says so) and write only under target/"
                    .to_owned(),
            );
        }
        Some(mode) => mode,
    };
    Ok(Options { mode, no_python })
}

/// Where the run writes the page and the chart: the committed ones at the
/// workspace root for a full run, else next to the results, under
/// `target/`, so that a quick or smoke run never touches them.
pub(crate) fn outputs(root: &Path, results: &Path, mode: Mode) -> (PathBuf, PathBuf) {
    let dir = match mode {
        Mode::Full { .. } => root,
        Mode::Quick | Mode::Smoke => results,
    };
    (dir.join("BENCHMARKS.md"), dir.join("benchmarks.svg"))
}

/// The files a run writes itself: their changes do not make the tree
/// dirty, or a second full run before committing the first would refuse.
const OUTPUTS: [&str; 2] = ["BENCHMARKS.md", "benchmarks.svg"];

/// The commit a run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkout {
    /// `git rev-parse HEAD`.
    pub(crate) commit: String,
    /// Tracked files with uncommitted changes (the run's own outputs left
    /// out), as `git status --porcelain` names them.
    pub(crate) changed: Vec<String>,
}

/// The commit at `root` and its uncommitted changes, or `None` when there
/// is no git checkout to ask (no git, or not a repository).
fn checkout(root: &Path) -> Option<Checkout> {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let commit = git(&["rev-parse", "HEAD"])?.trim().to_owned();
    let status = git(&["status", "--porcelain", "--untracked-files=no"])?;
    Some(Checkout {
        commit,
        changed: changed_files(&status),
    })
}

/// The paths `git status --porcelain` lists as changed (a rename counts as
/// its new path), without the run's own [`OUTPUTS`].
pub(crate) fn changed_files(porcelain: &str) -> Vec<String> {
    porcelain
        .lines()
        .filter_map(|line| line.get(3..))
        .map(|path| path.rsplit(" -> ").next().unwrap_or(path))
        .map(|path| path.trim_matches('"').to_owned())
        .filter(|path| !OUTPUTS.contains(&path.as_str()))
        .collect()
}

/// Whether a run in `mode` may go on at `checkout`; `Err` says why not.
pub(crate) fn may_run(mode: Mode, checkout: Option<&Checkout>) -> Result<(), String> {
    match (mode, checkout) {
        (Mode::Full { allow_dirty: false }, Some(c)) if !c.changed.is_empty() => {
            let mut shown: Vec<&str> = c.changed.iter().take(5).map(String::as_str).collect();
            if c.changed.len() > 5 {
                shown.push("…");
            }
            Err(format!(
                "the working tree has uncommitted changes to tracked files ({}): the page \
                 would name commit {} while measuring something else. Commit them, or run \
                 `cargo xtask bench --allow-dirty` and the page will say the tree was dirty",
                shown.join(", "),
                c.commit
            ))
        }
        _ => Ok(()),
    }
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
    if results.exists() {
        std::fs::remove_dir_all(&results)
            .map_err(|e| format!("cannot clear {}: {e}", results.display()))?;
    }
    std::fs::create_dir_all(&results)
        .map_err(|e| format!("cannot create {}: {e}", results.display()))?;

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
    laps.lap("build");

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
    cargo(root, &args, &[])?;
    laps.lap("report");
    laps.print();
    println!(
        "== {command}: done in {:.0} s; wrote {markdown} and {svg}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How long each part of the run took, for the summary at the end.
#[derive(Debug)]
struct Laps {
    last: Instant,
    laps: Vec<(String, f64)>,
}

impl Laps {
    fn new() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Ends the part called `name`, started at the end of the previous one.
    fn lap(&mut self, name: &str) {
        let now = Instant::now();
        self.laps
            .push((name.to_owned(), (now - self.last).as_secs_f64()));
        self.last = now;
    }

    fn print(&self) {
        print!("{}", self.table());
    }

    /// The table `print` shows: a column of names as wide as the longest
    /// (`pythreading-sync-deadlock-detection`), then the seconds.
    fn table(&self) -> String {
        let width = self
            .laps
            .iter()
            .map(|(name, _)| name.chars().count())
            .fold("part".len(), usize::max)
            + 2;
        let mut table = format!("\n{:<width$}{:>8}\n", "part", "seconds");
        for (name, secs) in &self.laps {
            table.push_str(&format!("{name:<width$}{secs:>8.1}\n"));
        }
        table
    }
}

/// Whether the crate at `crates/<krate>` declares bench targets (a
/// `[[bench]]` table, or files under `benches/` for cargo to find).
fn has_benches(root: &Path, krate: &str) -> bool {
    let dir = root.join("crates").join(krate);
    let declared = std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.contains("[[bench]]"));
    declared || dir.join("benches").is_dir()
}

/// The command line as the report shows it.
fn shown_command(options: &Options) -> String {
    let mut command = "cargo xtask bench".to_owned();
    match options.mode {
        Mode::Full { allow_dirty: false } => {}
        Mode::Full { allow_dirty: true } => command.push_str(" --allow-dirty"),
        Mode::Quick => command.push_str(" --quick"),
        Mode::Smoke => command.push_str(" --smoke"),
    }
    if options.no_python {
        command.push_str(" --no-python");
    }
    command
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

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_pick_the_mode() {
        let full = Mode::Full { allow_dirty: false };
        assert_eq!(parse(&args(&[])).unwrap().mode, full);
        let options = parse(&args(&["--allow-dirty"])).unwrap();
        assert_eq!(options.mode, Mode::Full { allow_dirty: true });
        assert_eq!(shown_command(&options), "cargo xtask bench --allow-dirty");
        assert_eq!(parse(&args(&["--quick"])).unwrap().mode, Mode::Quick);
        assert_eq!(parse(&args(&["--smoke"])).unwrap().mode, Mode::Smoke);
        let options = parse(&args(&["--no-python", "--quick"])).unwrap();
        assert!(options.no_python);
        assert_eq!(
            shown_command(&options),
            "cargo xtask bench --quick --no-python"
        );
    }

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

    #[test]
    fn the_timings_fit_the_longest_name() {
        let mut laps = Laps::new();
        laps.lap("build");
        laps.lap(DEADLOCK_DETECTION);
        let table = laps.table();
        let lines: Vec<&str> = table.lines().skip(1).collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("part ") && lines[0].ends_with("seconds"));
        assert!(lines[2].starts_with("pythreading-sync-deadlock-detection "));
        // The seconds line up, right-aligned.
        let width = lines[0].len();
        assert!(lines.iter().all(|l| l.len() == width), "{table}");
    }

    #[test]
    fn bad_flags_are_refused_with_a_reason() {
        for bad in [
            &["--quick", "--smoke"][..],
            &["--quick", "--quick"],
            &["--fast"],
            &["quick"],
        ] {
            let err = parse(&args(bad)).unwrap_err();
            assert!(
                err.starts_with("unknown flag") || err.starts_with("give one of"),
                "{bad:?}: {err}"
            );
        }
        for bad in [
            &["--quick", "--allow-dirty"][..],
            &["--allow-dirty", "--smoke"],
        ] {
            let err = parse(&args(bad)).unwrap_err();
            assert!(
                err.contains("`--allow-dirty` is for a full run"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn only_a_full_run_writes_the_committed_page() {
        let root = Path::new("/w");
        let results = target_dir(root).join("xtask-bench");
        for mode in [Mode::Quick, Mode::Smoke] {
            let (markdown, svg) = outputs(root, &results, mode);
            for path in [&markdown, &svg] {
                assert!(path.starts_with(&results), "{mode:?}: {}", path.display());
                assert!(path.starts_with(target_dir(root)), "{mode:?}");
                assert_ne!(path.parent(), Some(root), "{mode:?}");
            }
            assert_eq!(markdown, results.join("BENCHMARKS.md"));
            assert_eq!(svg, results.join("benchmarks.svg"));
        }
        for allow_dirty in [false, true] {
            let (markdown, svg) = outputs(root, &results, Mode::Full { allow_dirty });
            assert_eq!(markdown, root.join("BENCHMARKS.md"));
            assert_eq!(svg, root.join("benchmarks.svg"));
        }
    }

    #[test]
    fn the_checkout_is_read_from_git() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let git = |args: &[&str]| {
            Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(&dir)
                .output()
                .is_ok_and(|out| out.status.success())
        };
        if !git(&["init", "-q"]) {
            eprintln!("git not found: the checkout was not read");
            return;
        }
        for file in ["lib.rs", "BENCHMARKS.md"] {
            std::fs::write(dir.join(file), "one\n").unwrap();
        }
        assert!(git(&["add", "."]) && git(&["commit", "-q", "-m", "one"]));
        let clean = checkout(&dir).expect("a checkout");
        assert_eq!(clean.commit.len(), 40, "{clean:?}");
        assert!(clean.commit.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(clean.changed.is_empty(), "{clean:?}");

        // The run's own output changed: still clean. An untracked file: clean.
        std::fs::write(dir.join("BENCHMARKS.md"), "two\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "scratch\n").unwrap();
        assert!(checkout(&dir).unwrap().changed.is_empty());
        // A tracked source changed: dirty, and a full run refuses.
        std::fs::write(dir.join("lib.rs"), "two\n").unwrap();
        let dirty = checkout(&dir).unwrap();
        assert_eq!(dirty.changed, ["lib.rs"]);
        assert!(may_run(Mode::Full { allow_dirty: false }, Some(&dirty)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_dirty_tree_is_refused_for_a_full_run_only() {
        let porcelain = " M bench/src/report.rs\n M BENCHMARKS.md\nR  old.rs -> new.rs\n\
                         A  \"with space.rs\"\n M benchmarks.svg\n";
        let changed = changed_files(porcelain);
        // The run's own outputs do not count.
        assert_eq!(changed, ["bench/src/report.rs", "new.rs", "with space.rs"]);
        let dirty = Checkout {
            commit: "2bbdb80".to_owned(),
            changed,
        };
        let err = may_run(Mode::Full { allow_dirty: false }, Some(&dirty)).unwrap_err();
        assert!(err.contains("bench/src/report.rs"), "{err}");
        assert!(err.contains("--allow-dirty"), "{err}");
        assert!(err.contains("2bbdb80"), "{err}");
        assert!(may_run(Mode::Full { allow_dirty: true }, Some(&dirty)).is_ok());
        assert!(may_run(Mode::Quick, Some(&dirty)).is_ok());
        assert!(may_run(Mode::Smoke, Some(&dirty)).is_ok());

        // Only its own outputs changed (a full run not yet committed): clean.
        let outputs_only = Checkout {
            commit: "2bbdb80".to_owned(),
            changed: changed_files(" M BENCHMARKS.md\n M benchmarks.svg\n"),
        };
        assert!(outputs_only.changed.is_empty());
        assert!(may_run(Mode::Full { allow_dirty: false }, Some(&outputs_only)).is_ok());
        // Not a git checkout: nothing to refuse; the page says so.
        assert!(may_run(Mode::Full { allow_dirty: false }, None).is_ok());
    }
}
