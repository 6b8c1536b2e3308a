//! The report end to end: synthetic results directories (`compare.json`,
//! `python.json`, a criterion tree) in, `BENCHMARKS.md` and the SVG chart
//! out, through the library and through the command line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pythreading_bench::bars::{self, FAMILIES};
use pythreading_bench::chart;
use pythreading_bench::inputs::DEADLOCK_DETECTION;
use pythreading_bench::page::Commit;
use pythreading_bench::report::{self, ReportArgs};
use pythreading_bench::workloads::{SIZE, SIZE_OF, WORKLOADS};
use pythreading_bench::{Record, Results, Unit};

mod common;

/// A fresh directory of its own for each test.
fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir("report", name)
}

fn record(workload: &str, contender: &str, metric: &str, value: f64, unit: Unit) -> Record {
    Record {
        workload: workload.into(),
        contender: contender.into(),
        label: format!("{contender} label"),
        metric: metric.into(),
        value,
        unit,
        // Rounds around the median: 0.9x, 1x, 1.1x.
        samples: vec![value * 0.9, value, value * 1.1],
    }
}

/// One metric of one workload: (workload, metric, unit, [(contender, value)]).
type Figures = (&'static str, &'static str, Unit, Vec<(&'static str, f64)>);

/// Every workload's figures.
/// pythreading meets every target here.
fn figures() -> Vec<Figures> {
    use Unit::*;
    let pool = |p, r, t, s, py| {
        vec![
            ("pythreading", p),
            ("rayon", r),
            ("threadpool", t),
            ("std", s),
            ("python", py),
        ]
    };
    vec![
        (
            "pool_round_trip",
            "time",
            Seconds,
            // rayon's own batch form is far ahead: no task per item.
            with(
                pool(182e-9, 308e-9, 328e-9, 81.4e-6, 20.1e-6),
                ("rayon/par_iter", 0.4e-9),
            ),
        ),
        (
            "pool_latency",
            "p50",
            Seconds,
            with(
                pool(0.47e-6, 11.2e-6, 11.7e-6, 40e-6, 60e-6),
                ("rayon/install", 10.0e-6),
            ),
        ),
        (
            "pool_latency",
            "p99",
            Seconds,
            with(
                pool(12.9e-6, 25.9e-6, 35.2e-6, 90e-6, 300e-6),
                ("rayon/install", 26.3e-6),
            ),
        ),
        (
            "cpu_speedup",
            "speedup",
            Ratio,
            vec![
                ("pythreading", 1.96),
                ("rayon", 1.93),
                ("rayon/par_iter", 1.94),
                ("threadpool", 1.92),
                ("python", 0.98),
            ],
        ),
        (
            "cpu_speedup",
            "sequential",
            Seconds,
            vec![
                ("pythreading", 45.3e-3),
                ("rayon", 45.3e-3),
                ("python", 2.2),
            ],
        ),
        (
            "cpu_speedup",
            "parallel",
            Seconds,
            vec![
                ("pythreading", 23.1e-3),
                ("rayon", 23.5e-3),
                ("python", 2.25),
            ],
        ),
        (
            "pool_nested",
            "time",
            Seconds,
            // For scale: rayon's join is far ahead, no target.
            vec![("pythreading", 26.2e-3), ("rayon", 1.42e-3)],
        ),
        (
            "pool_map_chunks",
            "time",
            Seconds,
            vec![("pythreading", 1.1e-9), ("rayon", 0.6e-9)],
        ),
        (
            "lock_uncontended",
            "time",
            Seconds,
            vec![
                ("pythreading", 5.41e-9),
                ("parking_lot", 6.07e-9),
                ("parking_lot/data", 5.9e-9),
                ("std", 5.56e-9),
                ("std/data", 5.5e-9),
                ("python", 60e-9),
            ],
        ),
        (
            "lock_contended",
            "time",
            Seconds,
            vec![
                ("pythreading", 8.17e-9),
                ("parking_lot", 9.12e-9),
                ("parking_lot/data", 8.5e-9),
                ("std", 14.87e-9),
                ("std/data", 13.0e-9),
                ("python", 200e-9),
            ],
        ),
        (
            "rlock_uncontended",
            "time",
            Seconds,
            vec![
                ("pythreading", 6.9e-9),
                ("parking_lot", 7.0e-9),
                ("parking_lot/data", 7.2e-9),
                ("python", 90e-9),
            ],
        ),
        (
            "rlock_contended",
            "time",
            Seconds,
            vec![
                ("pythreading", 12e-9),
                ("parking_lot", 11e-9),
                ("parking_lot/data", 11.5e-9),
                ("python", 300e-9),
            ],
        ),
        (
            "queue_bounded",
            "time",
            Seconds,
            vec![
                ("pythreading", 22.0e-9),
                ("crossbeam", 22.89e-9),
                ("std", 40e-9),
                ("python", 2.5e-6),
            ],
        ),
        (
            "queue_unbounded",
            "time",
            Seconds,
            vec![
                ("pythreading", 23.71e-9),
                ("crossbeam", 24.56e-9),
                ("std", 30e-9),
                ("python", 2.2e-6),
            ],
        ),
        (
            "semaphore",
            "time",
            Seconds,
            vec![
                ("pythreading", 7.23e-9),
                ("std", 269.9e-9),
                ("python", 150e-9),
            ],
        ),
        (
            "semaphore_contended",
            "time",
            Seconds,
            vec![
                ("pythreading", 36.0e-9),
                ("std", 152.5e-9),
                ("python", 900e-9),
            ],
        ),
        (
            "barrier",
            "time",
            Seconds,
            vec![
                ("pythreading", 209.7e-9),
                ("std", 7.64e-6),
                ("python", 40e-6),
            ],
        ),
        (
            "thread_start_join",
            "time",
            Seconds,
            vec![("pythreading", 20e-6), ("std", 18e-6), ("python", 80e-6)],
        ),
        (
            "cancel_latency",
            "p50",
            Seconds,
            vec![
                ("pythreading", 7.4e-6),
                ("pythreading/event", 7.9e-6),
                ("pythreading/sleep", 7.3e-6),
                ("pythreading/wake", 7.8e-6),
            ],
        ),
        (
            "cancel_latency",
            "p99",
            Seconds,
            vec![
                ("pythreading", 16e-6),
                ("pythreading/event", 10.9e-6),
                ("pythreading/sleep", 24.1e-6),
                ("pythreading/wake", 11.3e-6),
            ],
        ),
        ("group_stop", "p50", Seconds, vec![("pythreading", 39e-6)]),
        ("group_stop", "p99", Seconds, vec![("pythreading", 67.8e-6)]),
        (
            "timers",
            "start",
            Seconds,
            vec![("pythreading", 5e-3), ("std", 569.8e-3), ("python", 0.9)],
        ),
        (
            "timers",
            "threads",
            Count,
            vec![
                ("pythreading", 8.0),
                ("std", 10_000.0),
                ("python", 10_000.0),
            ],
        ),
        (
            "timers",
            "memory",
            Bytes,
            vec![
                ("pythreading", 2.6 * 1024.0 * 1024.0),
                ("std", 94.9 * 1024.0 * 1024.0),
                ("python", 190.0 * 1024.0 * 1024.0),
            ],
        ),
        (
            "timers",
            "late_p50",
            Seconds,
            // A thread per timer fires closer to its time than the service.
            vec![("pythreading", 1.21e-3), ("std", 198e-6), ("python", 30.0)],
        ),
        (
            "timers",
            "late_p99",
            Seconds,
            vec![
                ("pythreading", 1.60e-3),
                ("std", 4.17e-3),
                ("python", 100.0),
            ],
        ),
        (
            "timers",
            "late_max",
            Seconds,
            vec![
                ("pythreading", 2.32e-3),
                ("std", 7.81e-3),
                ("python", 110.0),
            ],
        ),
        (
            "timers",
            "cancel",
            Seconds,
            vec![("pythreading", 1.26e-3), ("std", 95.8e-3)],
        ),
    ]
}

/// `figures` with one more contender.
fn with(
    mut figures: Vec<(&'static str, f64)>,
    more: (&'static str, f64),
) -> Vec<(&'static str, f64)> {
    figures.push(more);
    figures
}

/// The comparison suite's and the Python script's results from `figures`.
fn results(quick: bool) -> (Results, Results) {
    let mut compare = Results {
        source: "compare".into(),
        quick,
        note: String::new(),
        records: Vec::new(),
    };
    let mut python = Results {
        source: "python".into(),
        quick,
        note: "CPython 3.11.7".into(),
        records: Vec::new(),
    };
    for (workload, metric, unit, values) in figures() {
        for (contender, value) in values {
            let r = record(workload, contender, metric, value, unit);
            if contender == "python" {
                python.records.push(r);
            } else {
                compare.records.push(r);
            }
        }
    }
    (compare, python)
}

/// Sets `contender`'s `metric` of `workload` to `value` (and its samples).
fn set(results: &mut Results, workload: &str, contender: &str, metric: &str, value: f64) {
    let r = results
        .records
        .iter_mut()
        .find(|r| r.workload == workload && r.contender == contender && r.metric == metric)
        .expect("no such record");
    r.value = value;
    r.samples = vec![value];
}

fn remove(results: &mut Results, workload: &str, contender: &str) {
    results
        .records
        .retain(|r| !(r.workload == workload && r.contender == contender));
}

/// One criterion benchmark as criterion 0.5 leaves it.
fn write_criterion_bench(
    crate_dir: &Path,
    id_dirs: &[&str],
    full_id: &str,
    median_ns: f64,
    throughput: &str,
) {
    let mut dir = crate_dir.to_owned();
    for part in id_dirs {
        dir.push(part);
    }
    let new = dir.join("new");
    fs::create_dir_all(&new).unwrap();
    fs::create_dir_all(dir.join("report")).unwrap();
    let estimate = |v: f64| {
        format!(
            r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{v},"standard_error":{}}}"#,
            v * 0.98,
            v * 1.02,
            v * 0.01
        )
    };
    fs::write(
        new.join("estimates.json"),
        format!(
            r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":{},"std_dev":{}}}"#,
            estimate(median_ns * 1.5),
            estimate(median_ns),
            estimate(median_ns * 0.02),
            estimate(median_ns * 1.4),
            estimate(median_ns * 0.03)
        ),
    )
    .unwrap();
    let function_id = id_dirs
        .get(1)
        .map_or("null".to_owned(), |f| format!("\"{f}\""));
    fs::write(
        new.join("benchmark.json"),
        format!(
            r#"{{"group_id":"{}","function_id":{function_id},"value_str":null,"throughput":{throughput},"full_id":"{full_id}","directory_name":"{}","title":"{full_id}"}}"#,
            id_dirs[0],
            id_dirs.join("/")
        ),
    )
    .unwrap();
}

/// A results directory: compare.json, python.json unless `None`, a
/// criterion tree for two crates (one without results), and the lock
/// benches again with deadlock detection on (one of them only there).
fn write_results(dir: &Path, compare: &Results, python: Option<&Results>) {
    compare.write(&dir.join("compare.json")).unwrap();
    if let Some(python) = python {
        python.write(&dir.join("python.json")).unwrap();
    }
    let sync = dir.join("criterion/pythreading-sync");
    write_criterion_bench(
        &sync,
        &["queue", "bounded", "1024"],
        "queue/bounded/1024",
        485_800.0,
        r#"{"Elements":20000}"#,
    );
    write_criterion_bench(
        &sync,
        &["lock", "uncontended"],
        "lock/uncontended",
        5.41,
        "null",
    );
    write_criterion_bench(&sync, &["barrier"], "barrier", 209.7, "null");
    fs::create_dir_all(dir.join("criterion/pythreading-core")).unwrap();
    let on = dir.join("criterion").join(DEADLOCK_DETECTION);
    write_criterion_bench(
        &on,
        &["lock", "uncontended"],
        "lock/uncontended",
        22.7,
        "null",
    );
    write_criterion_bench(&on, &["lock", "contended"], "lock/contended", 96.0, "null");
}

/// The text of the section headed `heading`, up to the next section.
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    markdown
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no section {heading:?}"))
        .split("\n## ")
        .next()
        .unwrap()
}

struct Generated {
    markdown: String,
    svg: String,
}

/// The commit the synthetic runs name.
const HASH: &str = "2bbdb80c9f1e4a7d6b3c5e8f0a1b2c3d4e5f6a7b";

/// Runs the report through the library on a results directory, as run
/// at [`HASH`], clean.
fn generate(dir: &Path, command: &str) -> Generated {
    let commit = Commit {
        hash: HASH.into(),
        dirty: false,
    };
    generate_at(dir, command, Some(commit))
}

/// Runs the report through the library on a results directory, naming
/// `commit`.
fn generate_at(dir: &Path, command: &str, commit: Option<Commit>) -> Generated {
    generate_with(dir, command, commit, None)
}

/// Runs the report through the library on a results directory, naming
/// `commit`, beside `baseline` (a results directory, and its label).
fn generate_with(
    dir: &Path,
    command: &str,
    commit: Option<Commit>,
    baseline: Option<(PathBuf, Option<&str>)>,
) -> Generated {
    let (baseline, baseline_label) = match baseline {
        Some((dir, label)) => (Some(dir), label.map(str::to_owned)),
        None => (None, None),
    };
    let args = ReportArgs {
        results: dir.join("results"),
        command: command.into(),
        markdown: dir.join("out/BENCHMARKS.md"),
        svg: dir.join("out/benchmarks.svg"),
        elapsed: Some(754.0),
        commit,
        baseline,
        baseline_label,
    };
    report::run(&args).unwrap();
    Generated {
        markdown: fs::read_to_string(&args.markdown).unwrap(),
        svg: fs::read_to_string(&args.svg).unwrap(),
    }
}

/// The rows of the Targets table: (target, measured, verdict).
fn target_rows(markdown: &str) -> Vec<(String, String, String)> {
    let section = markdown
        .split("## Targets")
        .nth(1)
        .expect("no Targets section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| target"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "{l}");
            (
                cells[0].to_owned(),
                cells[1].to_owned(),
                cells[2].to_owned(),
            )
        })
        .collect()
}

fn verdict_of<'a>(
    rows: &'a [(String, String, String)],
    starts: &str,
) -> &'a (String, String, String) {
    rows.iter()
        .find(|r| r.0.starts_with(starts))
        .unwrap_or_else(|| panic!("no target starting with {starts:?} in {rows:#?}"))
}

/// The table of one workload's section, as lines.
fn workload_table<'a>(markdown: &'a str, id: &str) -> Vec<&'a str> {
    let heading = format!("(`{id}`)\n");
    let section = markdown
        .split(&heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no section for {id}"));
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect()
}

#[test]
fn the_page_has_every_section_in_order() {
    let dir = temp_dir("sections");
    let (compare, python) = results(true);
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench --quick").markdown;

    assert!(page.starts_with("# Benchmarks\n"), "{page}");
    assert!(page.contains("Generated by `cargo xtask bench --quick`"));
    assert!(page.contains("do not edit this page by hand"));
    assert!(page.contains("- Command: `cargo xtask bench --quick`"));
    assert!(page.contains(&format!(
        "- Commit: `{HASH}` (`git rev-parse HEAD` when the run started)\n"
    )));
    // CPython's figures are not interleaved with the Rust ones, and the
    // page says so.
    assert!(page.contains("**CPython is not interleaved with them:**"));
    assert!(page.contains("a separate process, `bench/python/compare.py`, run after the Rust"));
    // Only a full run rewrites the page.
    assert!(page.contains("write their page and chart under `target/xtask-bench/`"));
    assert!(page.contains(" UTC\n"));
    assert!(page.contains("- Run time: 12 min 34 s"));
    assert!(page.contains("- Quick run: yes"));
    assert!(page.contains("- Python figures: measured with CPython 3.11.7"));
    assert!(page.contains("| Python | CPython 3.11.7 |"));
    assert!(page.contains("](benchmarks.svg)"));
    assert!(page.contains("[docs/performance-notes.md](docs/performance-notes.md)"));
    assert!(page.contains("`cargo xtask bench --quick`"));

    // Sections in order, workloads in bench/README.md's order.
    let mut headings = vec!["## Machine", "## At a glance", "## Targets", "## Workloads"];
    let workload_headings: Vec<String> =
        WORKLOADS.iter().map(|w| format!("(`{}`)", w.id)).collect();
    headings.extend(workload_headings.iter().map(String::as_str));
    headings.extend([
        "## Sizes",
        "## Criterion benches of every crate",
        "### `pythreading-core`",
        "### `pythreading-sync`",
        "## Deadlock detection: what the feature costs",
        "## Analysis, and running it again",
    ]);
    let mut at = 0;
    for heading in headings {
        let found = page[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading:?} missing or out of order"));
        at += found + heading.len();
    }
    assert_eq!(WORKLOADS[0].id, "pool_round_trip");
    assert_eq!(WORKLOADS.last().unwrap().id, "timers");
    // Without a baseline, nothing is set beside this run.
    assert!(!page.contains("## Before and after"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn workload_tables_show_the_figures() {
    let dir = temp_dir("figures");
    let (mut compare, python) = results(false);
    remove(&mut compare, "pool_round_trip", "threadpool");
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench").markdown;
    assert!(page.contains("- Quick run: no"));

    let pool = workload_table(&page, "pool_round_trip");
    assert_eq!(pool[0], "| contender | time | rounds | vs pythreading |");
    // pythreading first, in bold, then the peers; the median, the rounds'
    // range and their count.
    assert_eq!(
        pool[2],
        "| **pythreading label** | **182 ns (164–200 ns)** | **3** | **reference** |"
    );
    assert_eq!(
        pool[3],
        "| rayon label | 308 ns (277–339 ns) | 3 | 1.69x slower |"
    );
    // rayon's own batch form, a row of its own, right after rayon.
    assert_eq!(
        pool[4],
        "| rayon/par_iter label | 0.400 ns (0.360–0.440 ns) | 3 | 0.00220x (faster) |"
    );
    // A missing record is a dash, not a row dropped.
    assert_eq!(pool[5], "| threadpool `execute` + channel | — | — | — |");
    assert!(
        pool[6].starts_with("| std label | 81.4 µs (73.3–89.5 µs) | 3 | 447x slower |"),
        "{}",
        pool[6]
    );
    assert_eq!(
        pool[7],
        "| python label | 20.1 µs (18.1–22.1 µs) | 3 | 110x slower |"
    );

    // Each Rust mutex in both its forms.
    let lock = workload_table(&page, "lock_uncontended");
    let labels: Vec<&str> = lock[2..]
        .iter()
        .map(|row| row.split(" | ").next().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "| **pythreading label**",
            "| parking_lot label",
            "| parking_lot/data label",
            "| std label",
            "| std/data label",
            "| python label",
        ]
    );

    // The contended semaphore, Python's figure included.
    let sem = workload_table(&page, "semaphore_contended");
    assert_eq!(sem[0], "| contender | time | rounds | vs pythreading |");
    assert!(sem[3].contains("| 4.24x slower |"), "{}", sem[3]);
    assert!(sem[4].starts_with("| python label | 900 ns"), "{}", sem[4]);

    let latency = workload_table(&page, "pool_latency");
    assert_eq!(
        latency[0],
        "| contender | p50 | p99 | rounds | p50 vs pythreading | p99 vs pythreading |"
    );
    assert!(
        latency[3].ends_with("| 23.8x slower | 2.01x slower |"),
        "{}",
        latency[3]
    );

    // A peer faster than pythreading.
    let rlock = workload_table(&page, "rlock_contended");
    assert!(rlock[3].contains("| 0.92x (faster) |"), "{}", rlock[3]);

    // Speed-ups are just figures.
    let cpu = workload_table(&page, "cpu_speedup");
    assert_eq!(
        cpu[0],
        "| contender | speedup | sequential | parallel | rounds |"
    );
    assert!(cpu[2].contains("**1.96x (1.76–2.16x)**"), "{}", cpu[2]);
    assert!(
        cpu[3].starts_with("| rayon label | 1.93x (1.74–2.12x) | 45.3 ms (40.8–49.8 ms) |"),
        "{}",
        cpu[3]
    );
    assert!(
        cpu[4].starts_with("| rayon/par_iter label | 1.94x (1.75–2.13x) | — | — | 3 |"),
        "{}",
        cpu[4]
    );

    // Timers: all seven metrics, in their units; no cancel for Python.
    let timers = workload_table(&page, "timers");
    assert_eq!(
        timers[0],
        "| contender | start | threads | memory | late p50 | late p99 | late max | cancel | \
         rounds |"
    );
    assert!(
        timers[3].contains("| 95.8 ms (86.2–105 ms) |"),
        "{}",
        timers[3]
    );
    assert!(
        timers[4].ends_with("| 110 s (99.0–121 s) | — | 3 |"),
        "{}",
        timers[4]
    );
    assert!(timers[2].contains("**8 (7.20–8.80)**"), "{}", timers[2]);
    assert!(
        timers[2].contains("**2.60 MiB (2.34–2.86 MiB)**"),
        "{}",
        timers[2]
    );
    assert!(
        timers[3].contains("| 10,000 (9,000–11,000) |"),
        "{}",
        timers[3]
    );
    assert!(
        timers[4].contains("| 100 s (90.0–110 s) |"),
        "{}",
        timers[4]
    );

    // Criterion: one table per crate, sorted by id, per element when the
    // throughput is in elements; a crate without results says so.
    let criterion = section(&page, "## Criterion benches");
    assert!(criterion.contains("### `pythreading-core`\n\nNo criterion results for this crate"));
    // The deadlock-detection run has a section of its own.
    assert!(!criterion.contains(DEADLOCK_DETECTION));
    let rows: Vec<&str> = criterion.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(
        rows,
        [
            "| `barrier` | 210 ns | — |",
            "| `lock/uncontended` | 5.41 ns | — |",
            "| `queue/bounded/1024` | 486 µs | 24.3 ns |",
        ]
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn deadlock_detection_beside_the_same_benches_without_it() {
    let dir = temp_dir("deadlock");
    let (compare, python) = results(false);
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench").markdown;
    let costs = section(&page, "## Deadlock detection: what the feature costs");
    assert!(costs.contains("zero-sized"), "{costs}");
    assert!(
        costs.contains("the same build as every other table"),
        "{costs}"
    );
    assert!(costs.contains("holder record"), "{costs}");
    let rows: Vec<&str> = costs.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        rows,
        [
            "| benchmark | feature off | feature on | on vs off |",
            "|---|---|---|---|",
            // Only with the feature on: no figure to set it beside.
            "| `lock/contended` | — | 96.0 ns | — |",
            // 22.7 ÷ 5.41.
            "| `lock/uncontended` | 5.41 ns | 22.7 ns | 4.20x slower |",
        ]
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_deadlock_detection_results_the_page_says_so() {
    let dir = temp_dir("no-deadlock");
    let (compare, python) = results(false);
    let results_dir = dir.join("results");
    write_results(&results_dir, &compare, Some(&python));
    let on = results_dir.join("criterion").join(DEADLOCK_DETECTION);

    // An older results directory: no such run at all.
    fs::remove_dir_all(&on).unwrap();
    let page = generate(&dir, "cargo xtask bench").markdown;
    let costs = section(&page, "## Deadlock detection: what the feature costs");
    assert!(
        costs.contains("This run has no results with the `deadlock-detection` feature on"),
        "{costs}"
    );
    assert!(!costs.contains('|'), "{costs}");
    // The rest of the page is all there.
    assert!(page.contains("## Analysis, and running it again"));
    assert!(section(&page, "## Criterion benches").contains("`lock/uncontended` | 5.41 ns"));

    // A smoke run: the directory is there, criterion left nothing in it.
    fs::create_dir_all(&on).unwrap();
    let page = generate(&dir, "cargo xtask bench --smoke").markdown;
    let costs = section(&page, "## Deadlock detection: what the feature costs");
    assert!(
        costs.contains("No criterion results for pythreading-sync's `lock` bench"),
        "{costs}"
    );
    assert!(!costs.contains('|'), "{costs}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_target_met() {
    let dir = temp_dir("met");
    let (compare, python) = results(false);
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench").markdown;
    let rows = target_rows(&page);
    assert_eq!(rows.len(), 18, "{rows:#?}");
    for row in &rows {
        assert_eq!(row.2, "met", "{row:?}");
    }
    // The page's targets are the ones set, each checked: every one of
    // them, in this order.
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r.0.split(':').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Pool round trip",
            "Pool round trip",
            "Pool round trip",
            "Pool latency",
            "CPU-bound speedup on 2 workers",
            "Pool map in chunks",
            "Lock, uncontended",
            "Lock, contended",
            "RLock, uncontended",
            "Queue, bounded",
            "Queue, unbounded",
            "Barrier",
            "10,000 timers on a handful of threads",
            "10,000 timers",
            "10,000 timers",
            "Cancellation of a `Queue",
            "Cancellation of an `Event` wait",
            "Cancellation of a running task's `sleep`",
        ]
    );
    for (target, measured) in [
        (
            "Pool round trip: at most 0.6x the time of rayon",
            "1.69x (rayon `spawn` + channel 308 ns ÷ pythreading 182 ns)",
        ),
        (
            "Pool round trip: at least 1.0x threadpool",
            "1.80x (threadpool 328 ns ÷ pythreading 182 ns)",
        ),
        (
            "Pool round trip: at least 50x Python",
            "110x (Python 20.1 µs ÷ pythreading 182 ns)",
        ),
        // Against the faster of rayon's two forms.
        (
            "Pool latency: p50 at most a tenth of rayon's",
            "21.3x (rayon `install` 10.0 µs ÷ pythreading 470 ns)",
        ),
        ("CPU-bound speedup", "1.96x (Python: 0.98x)"),
        // Against the faster of parking_lot's two forms.
        (
            "Lock, uncontended",
            "0.92x (pythreading 5.41 ns ÷ parking_lot `Mutex<u64>` 5.90 ns)",
        ),
        (
            "Lock, contended",
            "0.96x (pythreading 8.17 ns ÷ parking_lot `Mutex<u64>` 8.50 ns)",
        ),
        // The raised targets, at most level with the peer.
        (
            "RLock, uncontended: at most 1.0x parking_lot `ReentrantMutex`",
            "0.99x (pythreading 6.90 ns ÷ parking_lot `ReentrantMutex<()>` 7.00 ns)",
        ),
        (
            "Queue, bounded: at most 1.0x crossbeam `bounded(1024)`, 1 producer and 1 consumer",
            "0.96x (pythreading 22.0 ns ÷ crossbeam 22.9 ns)",
        ),
        (
            "Barrier: at most half",
            "0.0274x (pythreading 210 ns ÷ std 7.64 µs)",
        ),
        ("10,000 timers on a handful", "8 threads"),
        ("10,000 timers: at most 20 MB", "2.60 MiB"),
        ("10,000 timers: every one at most 20 ms late", "2.32 ms"),
    ] {
        assert_eq!(verdict_of(&rows, target).1, measured, "{target}");
    }
    assert!(page.contains("Every target was met in this run."));
    assert!(!page.contains("**Missed:**"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missed_targets_are_said_plainly() {
    let dir = temp_dir("missed");
    let (mut compare, mut python) = results(true);
    set(&mut compare, "pool_round_trip", "rayon", "time", 150e-9);
    set(&mut compare, "queue_bounded", "pythreading", "time", 40e-9);
    set(&mut compare, "queue_bounded", "crossbeam", "time", 20e-9);
    set(&mut compare, "cpu_speedup", "pythreading", "speedup", 1.5);
    set(&mut compare, "timers", "pythreading", "threads", 12.0);
    set(&mut python, "pool_round_trip", "python", "time", 5e-6);
    // Just under the line (0.99x).
    set(
        &mut compare,
        "lock_uncontended",
        "pythreading",
        "time",
        5.95e-9,
    );
    set(
        &mut compare,
        "lock_uncontended",
        "parking_lot",
        "time",
        6.0e-9,
    );
    set(
        &mut compare,
        "lock_uncontended",
        "parking_lot/data",
        "time",
        6.1e-9,
    );
    set(
        &mut compare,
        "rlock_uncontended",
        "pythreading",
        "time",
        7.35e-9,
    );
    // Just under half of std's time: met.
    set(&mut compare, "barrier", "pythreading", "time", 3.8e-6);
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench --quick").markdown;
    let rows = target_rows(&page);

    let rayon = verdict_of(&rows, "Pool round trip: at most 0.6x the time of rayon");
    assert_eq!(rayon.2, "**missed**");
    assert_eq!(
        rayon.1,
        "0.82x (rayon `spawn` + channel 150 ns ÷ pythreading 182 ns)"
    );
    let python_row = verdict_of(&rows, "Pool round trip: at least 50x Python");
    assert_eq!(python_row.2, "**missed**");
    assert!(python_row.1.starts_with("27.5x"), "{python_row:?}");
    let bounded = verdict_of(&rows, "Queue, bounded");
    assert_eq!(bounded.2, "**missed**");
    assert!(bounded.1.starts_with("2.00x"), "{bounded:?}");
    assert_eq!(verdict_of(&rows, "Queue, unbounded").2, "met");
    assert_eq!(verdict_of(&rows, "CPU-bound speedup").2, "**missed**");
    let lock = verdict_of(&rows, "Lock, uncontended");
    assert_eq!(lock.2, "met");
    assert!(
        lock.1.contains("parking_lot `Mutex<()>` 6.00 ns"),
        "{lock:?}"
    );
    assert_eq!(verdict_of(&rows, "Barrier").2, "met");
    let timers = verdict_of(&rows, "2,000 timers (a quick run)");
    assert_eq!(
        (timers.1.as_str(), timers.2.as_str()),
        ("12 threads", "**missed**")
    );

    // One plain sentence per miss, naming the target and the figure.
    assert!(page.contains(
        "**Missed:** Pool round trip: at most 0.6x the time of rayon `spawn` + channel \
         (rayon's time ÷ ours at least 1.67x; a task per item, as ours) — this run measured \
         0.82x (rayon `spawn` + channel 150 ns ÷ pythreading 182 ns)."
    ));
    assert!(page.contains("**Missed:** Queue, bounded: at most 1.0x crossbeam `bounded(1024)`"));
    // Under the 1.5x of before, over the 1.0x of now.
    let rlock = verdict_of(&rows, "RLock, uncontended");
    assert_eq!(rlock.2, "**missed**");
    assert_eq!(
        rlock.1,
        "1.05x (pythreading 7.35 ns ÷ parking_lot `ReentrantMutex<()>` 7.00 ns)"
    );
    assert!(page.contains("**Missed:** 2,000 timers (a quick run) on a handful of threads"));
    assert_eq!(page.matches("**Missed:**").count(), 6);
    assert!(!page.contains("Every target was met"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_python_the_page_says_so() {
    let dir = temp_dir("no-python");
    let (compare, _) = results(true);
    write_results(&dir.join("results"), &compare, None);
    let generated = generate(&dir, "cargo xtask bench --quick");
    let page = &generated.markdown;
    assert!(page.contains("- Python figures: not measured, python3 was not found"));
    assert!(page.contains("| Python | not measured, python3 was not found |"));
    let rows = target_rows(page);
    let python_row = verdict_of(&rows, "Pool round trip: at least 50x Python");
    assert_eq!(python_row.2, "not measured");
    assert!(python_row.1.contains("python3 was not found"));
    assert_eq!(
        verdict_of(&rows, "CPU-bound speedup").1,
        "1.96x (Python: not measured)"
    );
    assert_eq!(verdict_of(&rows, "CPU-bound speedup").2, "met");
    assert!(page.contains("could not be checked"));
    // Python's rows are dashes, under the label the report knows.
    let pool = workload_table(page, "pool_round_trip");
    assert_eq!(pool[7], "| Python `ThreadPoolExecutor` | — | — | — |");

    let svg = roxmltree::Document::parse(&generated.svg).unwrap();
    let python = chart::hex(bars::family_colour("python").unwrap());
    assert_eq!(rects_filled(&svg, &python), 0);
    assert!(!texts(&svg).iter().any(|t| t == "python"));
    assert!(texts(&svg).iter().any(|t| t == "rayon"));
    fs::remove_dir_all(dir).unwrap();
}

fn rects_filled(svg: &roxmltree::Document<'_>, fill: &str) -> usize {
    svg.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill))
        .count()
}

fn texts(svg: &roxmltree::Document<'_>) -> Vec<String> {
    svg.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_owned())
        .collect()
}

#[test]
fn the_chart_has_a_bar_for_each_figure_and_a_legend() {
    let dir = temp_dir("chart");
    let (mut compare, python) = results(false);
    // No rayon `spawn` figure for pool latency: two rayon bars fewer
    // (`install`, a contender of its own, keeps its bars).
    remove(&mut compare, "pool_latency", "rayon");
    write_results(&dir.join("results"), &compare, Some(&python));
    let text = generate(&dir, "cargo xtask bench").svg;
    let svg = roxmltree::Document::parse(&text).unwrap();
    let root = svg.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1200"));

    // Bars per colour: one per group where both sides have a figure, plus
    // the legend's swatch. A second form (`rayon/par_iter`, `std/data`…)
    // is the family's lighter colour.
    let expected_bars = |contender: &str| -> usize {
        match contender {
            // pool round trip, CPU speedup, sequential, parallel, nested,
            // map in chunks.
            "rayon" => 6,
            // par_iter: round trip and speedup; install: p50 and p99.
            "rayon/par_iter" => 4,
            // pool round trip, p50, p99, CPU speedup.
            "threadpool" => 4,
            // pool ×3, lock ×2, queue ×2, semaphore ×2, barrier, thread,
            // timers ×7.
            "std" => 18,
            "std/data" => 2,
            "parking_lot" => 4,
            "parking_lot/data" => 4,
            "crossbeam" => 2,
            // pool ×3, CPU speedup (not its times: other work), lock ×2,
            // rlock ×2, queue ×2, semaphore ×2, barrier, thread, timers ×6
            // (no cancel).
            "python" => 20,
            _ => unreachable!(),
        }
    };
    let all: Vec<Record> = compare
        .records
        .iter()
        .chain(&python.records)
        .cloned()
        .collect();
    let groups = bars::groups(&all);
    for (family, colour) in FAMILIES {
        let count = |second: bool| {
            groups
                .iter()
                .flat_map(|g| &g.bars)
                .filter(|b| b.family == family && b.second_form() == second)
                .count()
        };
        assert_eq!(count(false), expected_bars(family), "{family}");
        assert_eq!(
            rects_filled(&svg, &chart::hex(colour)),
            expected_bars(family) + 1,
            "{family}"
        );
        let second = match family {
            "rayon" => "rayon/par_iter",
            "std" => "std/data",
            "parking_lot" => "parking_lot/data",
            _ => {
                assert_eq!(count(true), 0, "{family}");
                assert_eq!(rects_filled(&svg, &chart::hex(bars::tint(colour))), 0);
                continue;
            }
        };
        assert_eq!(count(true), expected_bars(second), "{second}");
        assert_eq!(
            rects_filled(&svg, &chart::hex(bars::tint(colour))),
            expected_bars(second) + 1,
            "{second}"
        );
    }

    // Every bar has a size; the legend names every family, and the second
    // forms after it; the title, the axis and the group labels are there
    // as text.
    for rect in svg.descendants().filter(|n| n.has_tag_name("rect")) {
        let height: f64 = rect.attribute("height").unwrap().parse().unwrap();
        let width: f64 = rect.attribute("width").unwrap().parse().unwrap();
        assert!(height >= 0.0 && width > 0.0, "{rect:?}");
    }
    let texts = texts(&svg);
    for (family, _) in FAMILIES {
        assert!(texts.iter().any(|t| t == family), "no legend for {family}");
    }
    for expected in [
        chart::TITLE,
        "rayon par_iter/install",
        "std data",
        "parking_lot data",
        "1x",
        "10x",
        "peer ÷ pythreading (log scale)",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "no text {expected:?} in {texts:?}"
        );
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_chart_shows_every_metric_of_the_page_losses_included() {
    let dir = temp_dir("chart-metrics");
    let (compare, python) = results(false);
    write_results(&dir.join("results"), &compare, Some(&python));
    let generated = generate(&dir, "cargo xtask bench");
    let svg = roxmltree::Document::parse(&generated.svg).unwrap();
    let texts = texts(&svg);

    // Every column of every workload table is a group of the chart, under
    // its own label: as many "late p50"s as the page has, as many
    // "timers" as the timers' table has metrics.
    let mut wanted: Vec<String> = Vec::new();
    for workload in WORKLOADS {
        let header = workload_table(&generated.markdown, workload.id)[0];
        for &metric in workload.metrics {
            assert!(
                header.contains(&format!("| {} |", metric.replace('_', " "))),
                "{}: {metric} not on the page: {header}",
                workload.id
            );
            wanted.extend(
                workload
                    .chart_label(metric)
                    .into_iter()
                    .filter(|l| !l.is_empty()),
            );
        }
    }
    wanted.sort();
    wanted.dedup();
    for label in &wanted {
        let page_groups = WORKLOADS
            .iter()
            .flat_map(|w| w.metrics.iter().map(move |m| w.chart_label(m)))
            .filter(|l| l.contains(label))
            .count();
        let drawn = texts.iter().filter(|t| *t == label).count();
        assert_eq!(drawn, page_groups, "label {label:?}");
    }
    assert_eq!(texts.iter().filter(|t| *t == "timers").count(), 7);

    // Where a thread per timer beats the timer service (its median
    // lateness), the bar hangs below the line, and the page lists it.
    assert!(texts.iter().any(|t| t == "0.16x"), "{texts:?}");
    let losses = generated
        .markdown
        .split("Where a peer did better in this run")
        .nth(1)
        .expect("a list of losses")
        .split("\n## ")
        .next()
        .unwrap();
    assert!(
        losses.contains(
            "- Timers, late p50: std: a thread per timer on a `Condvar`, bar at 0.16x (the peer \
             does 6.11x better)"
        ),
        "{losses}"
    );
    assert!(
        losses.contains(
            "- Pool round trip: rayon `par_iter().map().sum()`, bar at 0.00220x (the peer does \
             455x better)"
        ),
        "{losses}"
    );
    // Worst first: rayon's batch form before the timers.
    assert!(losses.find("Pool round trip").unwrap() < losses.find("Timers").unwrap());
    // Every bar below 1x is listed, and nothing else.
    let below: usize =
        bars::losses(&bars::groups(compare.records.iter().chain(&python.records))).len();
    assert_eq!(
        losses.lines().filter(|l| l.starts_with("- ")).count(),
        below
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_page_names_its_commit() {
    let dir = temp_dir("commit");
    let (compare, python) = results(false);
    write_results(&dir.join("results"), &compare, Some(&python));
    let commit_line = |page: &str| {
        page.lines()
            .find(|l| l.starts_with("- Commit: "))
            .expect("a commit line")
            .to_owned()
    };

    let page = generate(&dir, "cargo xtask bench").markdown;
    assert_eq!(
        commit_line(&page),
        format!("- Commit: `{HASH}` (`git rev-parse HEAD` when the run started)")
    );

    let dirty = Commit {
        hash: HASH.into(),
        dirty: true,
    };
    let page = generate_at(&dir, "cargo xtask bench --allow-dirty", Some(dirty)).markdown;
    let line = commit_line(&page);
    assert!(line.starts_with(&format!("- Commit: `{HASH}` ")), "{line}");
    assert!(
        line.contains("**with uncommitted changes to tracked files**"),
        "{line}"
    );

    let page = generate_at(&dir, "cargo xtask bench", None).markdown;
    assert!(commit_line(&page).contains("not recorded"), "{page}");

    // Through the command line.
    let out = dir.join("cli");
    let output = cli(&[
        "report",
        "--results",
        dir.join("results").to_str().unwrap(),
        "--command",
        "cargo xtask bench --quick",
        "--markdown",
        out.join("BENCHMARKS.md").to_str().unwrap(),
        "--svg",
        out.join("benchmarks.svg").to_str().unwrap(),
        "--commit",
        HASH,
        "--dirty",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = fs::read_to_string(out.join("BENCHMARKS.md")).unwrap();
    assert!(
        commit_line(&page).contains("**with uncommitted changes"),
        "{page}"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_data_draws_no_bars() {
    let dir = temp_dir("sparse");
    let compare = Results {
        source: "compare".into(),
        quick: false,
        note: String::new(),
        records: vec![
            record(
                "pool_round_trip",
                "pythreading",
                "time",
                200e-9,
                Unit::Seconds,
            ),
            record("pool_round_trip", "rayon", "time", 300e-9, Unit::Seconds),
            // No pythreading figure here: no bar.
            record("barrier", "std", "time", 7e-6, Unit::Seconds),
        ],
    };
    write_results(&dir.join("results"), &compare, None);
    fs::remove_dir_all(dir.join("results/criterion")).unwrap();
    let generated = generate(&dir, "cargo xtask bench");
    assert!(
        generated
            .markdown
            .contains("This run has no criterion results")
    );
    let svg = roxmltree::Document::parse(&generated.svg).unwrap();
    for (family, colour) in FAMILIES {
        let expected = if family == "rayon" { 2 } else { 0 };
        assert_eq!(
            rects_filled(&svg, &chart::hex(colour)),
            expected,
            "{family}"
        );
    }
    let texts = texts(&svg);
    assert!(texts.iter().any(|t| t == "1.5x"), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "std"));
    // Every target without figures is "not measured".
    let rows = target_rows(&generated.markdown);
    // 300 ns ÷ 200 ns: 1.5x, under the 1.67x asked.
    assert_eq!(
        verdict_of(&rows, "Pool round trip: at most 0.6x the time of rayon").2,
        "**missed**"
    );
    for row in rows.iter().filter(|r| {
        !r.0.starts_with("Pool round trip: at most 0.6x the time of rayon")
    }) {
        assert_eq!(row.2, "not measured", "{row:?}");
    }
    assert!(
        workload_table(&generated.markdown, "barrier")[2]
            .starts_with("| **pythreading `Barrier`** | **—** |")
    );
    fs::remove_dir_all(dir).unwrap();
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pythreading-bench"))
        .args(args)
        .output()
        .unwrap()
}

fn report_cli(results: &Path, out: &Path) -> Output {
    cli(&[
        "report",
        "--results",
        results.to_str().unwrap(),
        "--command",
        "cargo xtask bench --quick",
        "--markdown",
        out.join("BENCHMARKS.md").to_str().unwrap(),
        "--svg",
        out.join("img/chart.svg").to_str().unwrap(),
        "--elapsed",
        "3.4",
    ])
}

/// The standard error of a run that did not panic.
fn stderr(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn cli_writes_both_files() {
    let dir = temp_dir("cli-ok");
    let (compare, python) = results(true);
    write_results(&dir.join("results"), &compare, Some(&python));
    let output = report_cli(&dir.join("results"), &dir.join("out"));
    assert!(output.status.success(), "{}", stderr(&output));
    let page = fs::read_to_string(dir.join("out/BENCHMARKS.md")).unwrap();
    assert!(page.contains("](img/chart.svg)"));
    assert!(page.contains("- Run time: 3 s"));
    roxmltree::Document::parse(&fs::read_to_string(dir.join("out/img/chart.svg")).unwrap())
        .unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cli_bad_input_is_an_error_naming_the_file() {
    let dir = temp_dir("cli-bad");
    let results_dir = dir.join("results");
    let out = dir.join("out");

    // No results directory.
    let output = report_cli(&results_dir, &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("results: no such results directory"),
        "{}",
        stderr(&output)
    );

    // A directory without compare.json.
    fs::create_dir_all(&results_dir).unwrap();
    let output = report_cli(&results_dir, &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("compare.json: not found"),
        "{}",
        stderr(&output)
    );

    // compare.json that is not JSON, python.json that is not a results file,
    // a broken criterion estimates file: each named.
    let (compare, python) = results(true);
    write_results(&results_dir, &compare, Some(&python));
    fs::write(results_dir.join("compare.json"), "{\"source\": ").unwrap();
    let output = report_cli(&results_dir, &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("compare.json: not a valid results file"),
        "{}",
        stderr(&output)
    );

    compare.write(&results_dir.join("compare.json")).unwrap();
    fs::write(
        results_dir.join("python.json"),
        r#"{"source": "python", "records": [{"workload": 1}]}"#,
    )
    .unwrap();
    let output = report_cli(&results_dir, &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("python.json: not a valid results file"),
        "{}",
        stderr(&output)
    );

    python.write(&results_dir.join("python.json")).unwrap();
    let estimates = results_dir.join("criterion/pythreading-sync/barrier/new/estimates.json");
    fs::write(&estimates, "[]").unwrap();
    let output = report_cli(&results_dir, &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("barrier/new/estimates.json: invalid criterion JSON"),
        "{}",
        stderr(&output)
    );

    assert!(!out.join("BENCHMARKS.md").exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cli_usage_errors_exit_2() {
    for args in [
        vec![],
        vec![
            "report",
            "--results",
            "x",
            "--command",
            "c",
            "--markdown",
            "m",
            "--svg",
            "s",
            "--colour",
            "red",
        ],
        vec!["report", "--results", "x"],
        vec![
            "report",
            "--results",
            "x",
            "--command",
            "c",
            "--markdown",
            "m",
            "--svg",
            "s",
            "--elapsed",
            "soon",
        ],
        vec!["plot"],
    ] {
        let output = cli(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let err = stderr(&output);
        assert!(err.contains("usage: pythreading-bench report"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let output = cli(&["report", "--colour", "red"]);
    assert!(stderr(&output).contains("unknown flag `--colour`"));
    let help = cli(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--elapsed SECONDS"));
}

/// The unit the comparison suite gives `metric`.
fn unit_of(metric: &str) -> Unit {
    match metric {
        "speedup" => Unit::Ratio,
        "threads" => Unit::Count,
        "memory" => Unit::Bytes,
        _ => Unit::Seconds,
    }
}

/// The Python to run: `$PYTHON`, else `python3` if there is one.
fn python3() -> Option<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let works = Command::new(&python)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    works.then_some(python)
}

#[test]
fn the_python_twin_writes_records_the_report_accepts() {
    let Some(python) = python3() else {
        eprintln!("python3 not found: the Python twin's records were not checked");
        return;
    };
    let dir = temp_dir("python-twin");
    let out = dir.join("results/python.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/compare.py");
    let output = Command::new(python)
        .arg(&script)
        .args(["--smoke", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // records.rs reads it, and every record is one the report knows: a
    // workload of the page with a Python contender, one of its metrics, in
    // the unit the Rust side gives that metric.
    let twin = Results::read(&out).unwrap();
    assert_eq!(twin.source, "python");
    assert!(twin.quick);
    for r in &twin.records {
        let workload = WORKLOADS
            .iter()
            .find(|w| w.id == r.workload)
            .unwrap_or_else(|| panic!("unknown workload {r:?}"));
        assert_eq!(r.contender, "python", "{r:?}");
        assert!(
            workload.contenders.iter().any(|(id, _)| *id == "python"),
            "{r:?}"
        );
        assert!(workload.metrics.contains(&r.metric.as_str()), "{r:?}");
        assert_eq!(r.unit, unit_of(&r.metric), "{r:?}");
        assert!(r.value.is_finite() && r.value >= 0.0, "{r:?}");
        assert!(!r.label.is_empty(), "{r:?}");
    }
    // Every workload with a Python contender is measured, the contended
    // semaphore included.
    for workload in WORKLOADS {
        if workload.contenders.iter().any(|(id, _)| *id == "python") {
            assert!(
                twin.records.iter().any(|r| r.workload == workload.id),
                "no Python figure for {}",
                workload.id
            );
        }
    }

    // The report takes it beside the suite's results.
    let (compare, _) = results(true);
    compare.write(&dir.join("results/compare.json")).unwrap();
    let page = generate(&dir, "cargo xtask bench --smoke").markdown;
    let sem = workload_table(&page, "semaphore_contended");
    let python_row = sem.last().unwrap();
    assert!(
        python_row.starts_with("| python: threading.Semaphore(2), 4 threads (with) | "),
        "{python_row}"
    );
    assert!(!python_row.contains("| — |"), "{python_row}");
    fs::remove_dir_all(dir).unwrap();
}

// ------------------------------------------------------------ before and after

/// Sets `contender`'s `metric` of `workload` to `value`, its rounds 0.9x,
/// 1x and 1.1x of it.
fn set_rounds(results: &mut Results, workload: &str, contender: &str, metric: &str, value: f64) {
    set(results, workload, contender, metric, value);
    let r = results
        .records
        .iter_mut()
        .find(|r| r.workload == workload && r.contender == contender && r.metric == metric)
        .unwrap();
    r.samples = vec![value * 0.9, value, value * 1.1];
}

/// A type's size, as the comparison suite records it.
fn size(contender: &str, label: &str, bytes: f64) -> Record {
    Record {
        workload: SIZE_OF.into(),
        contender: contender.into(),
        label: label.into(),
        metric: SIZE.into(),
        value: bytes,
        unit: Unit::Bytes,
        samples: vec![bytes],
    }
}

/// The rows of the table under `heading` in `markdown`, as cells, without
/// the header and the line under it.
fn rows_under(markdown: &str, heading: &str) -> Vec<Vec<String>> {
    let text = markdown
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no {heading:?}"))
        .split("\n#")
        .next()
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The row of the comparison suite's before-and-after table for a
/// workload (by its title) and metric.
fn suite_row<'a>(rows: &'a [Vec<String>], title: &str, metric: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == title && r[1] == metric)
        .unwrap_or_else(|| panic!("no row {title} {metric} in {rows:#?}"))
}

const LABEL: &str = "library crates at ba6d19f, measured by the same suite just before this run";

#[test]
fn before_and_after_judges_each_figure_by_its_rounds() {
    let dir = temp_dir("before-after");
    let (mut before, before_python) = results(false);
    let (mut after, python) = results(false);
    // Disjoint rounds, lower: faster (after: 5.41 ns, 4.87–5.95 ns).
    set_rounds(
        &mut before,
        "lock_uncontended",
        "pythreading",
        "time",
        10e-9,
    );
    // Disjoint rounds, higher: slower.
    set_rounds(&mut before, "queue_bounded", "pythreading", "time", 20e-9);
    set_rounds(&mut after, "queue_bounded", "pythreading", "time", 30e-9);
    // Overlapping rounds: within spread, though the medians differ.
    set_rounds(&mut before, "queue_unbounded", "pythreading", "time", 25e-9);
    // A higher speedup is better.
    set_rounds(&mut before, "cpu_speedup", "pythreading", "speedup", 1.5);
    // One round on each side: no range to judge by.
    set(&mut before, "timers", "pythreading", "threads", 9.0);
    set(&mut after, "timers", "pythreading", "threads", 8.0);
    // A figure of one run only, and a peer the baseline did not have.
    remove(&mut before, "barrier", "pythreading");
    remove(&mut after, "semaphore", "pythreading");
    remove(&mut before, "lock_uncontended", "std");
    // Sizes: one changed, one new, a peer's the same.
    after.records.extend([
        size("pythreading/Lock", "`pythreading::Lock`", 4.0),
        size("parking_lot/Mutex<()>", "`parking_lot::Mutex<()>`", 1.0),
        size("pythreading/RLock", "`pythreading::RLock`", 24.0),
    ]);
    before.records.extend([
        size("pythreading/Lock", "`pythreading::Lock`", 8.0),
        size("parking_lot/Mutex<()>", "`parking_lot::Mutex<()>`", 1.0),
    ]);
    let baseline = dir.join("baseline");
    write_results(&baseline, &before, Some(&before_python));
    write_results(&dir.join("results"), &after, Some(&python));
    // Criterion: one bench slower, one bench new, the rest the same.
    fs::remove_dir_all(baseline.join("criterion/pythreading-sync/queue")).unwrap();
    write_criterion_bench(
        &dir.join("results/criterion/pythreading-sync"),
        &["lock", "uncontended"],
        "lock/uncontended",
        9.0,
        "null",
    );
    let command = format!("cargo xtask bench --baseline kept --baseline-label '{LABEL}'");
    let commit = Commit {
        hash: HASH.into(),
        dirty: false,
    };
    let page = generate_with(&dir, &command, Some(commit), Some((baseline, Some(LABEL)))).markdown;

    // The whole command, and the baseline named at the top.
    assert!(
        page.contains(&format!("- Command: `{command}`\n")),
        "{page}"
    );
    assert!(page.contains(&format!(
        "- Baseline: {LABEL} (see [Before and after](#before-and-after))\n"
    )));
    // Right after the chart, before the targets; the sizes are in it.
    let mut at = 0;
    for heading in [
        "## At a glance",
        "## Before and after",
        "### Comparison suite",
        "### Criterion benches",
        "### Sizes",
        "## Targets",
        "## Workloads",
        "## Criterion benches of every crate",
    ] {
        let found = page[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading:?} missing or out of order"));
        at += found + heading.len();
    }
    assert!(!page.contains("\n## Sizes\n"), "{page}");
    let section = section(&page, "## Before and after");
    assert!(
        section.contains(&format!(
            "This run beside a baseline: {LABEL}, read from `{}`.",
            dir.join("baseline").display()
        )),
        "{section}"
    );
    assert!(section.contains("Both runs' rounds are reported as measured"));
    assert!(!section.contains("not alike"), "{section}");

    let rows = rows_under(&page, "### Comparison suite");
    // Every workload and metric pythreading has in either run, in the
    // page's order.
    let expected: Vec<(&str, String)> = WORKLOADS
        .iter()
        .flat_map(|w| w.metrics.iter().map(|m| (w.title, m.replace('_', " "))))
        .collect();
    let shown: Vec<(&str, String)> = rows.iter().map(|r| (r[0].as_str(), r[1].clone())).collect();
    assert_eq!(shown, expected);
    assert!(rows.iter().all(|r| r.len() == 7), "{rows:#?}");

    let lock = suite_row(&rows, "Lock, uncontended", "time");
    assert_eq!(
        lock[2..6],
        [
            "10.0 ns (9.00–11.0 ns)",
            "5.41 ns (4.87–5.95 ns)",
            "0.54x (faster)",
            "faster"
        ]
    );
    // Ours ÷ each Rust peer's, before → after; Python's are not here.
    assert_eq!(
        lock[6],
        "parking_lot label: 1.65x → 0.89x<br>parking_lot/data label: 1.69x → 0.92x<br>std \
         label: — → 0.97x<br>std/data label: 1.82x → 0.98x"
    );
    let queue = suite_row(&rows, "Queue, bounded", "time");
    assert_eq!(
        queue[2..6],
        [
            "20.0 ns (18.0–22.0 ns)",
            "30.0 ns (27.0–33.0 ns)",
            "1.50x slower",
            "slower"
        ]
    );
    assert_eq!(
        queue[6],
        "crossbeam label: 0.87x → 1.31x<br>std label: 0.50x → 0.75x"
    );
    let unbounded = suite_row(&rows, "Queue, unbounded", "time");
    assert_eq!(unbounded[4..6], ["0.95x (faster)", "within spread"]);
    let rlock = suite_row(&rows, "RLock, uncontended", "time");
    assert_eq!(rlock[4..6], ["1.00x (level)", "within spread"]);
    assert_eq!(rlock[2], rlock[3]);
    let speedup = suite_row(&rows, "CPU-bound speedup", "speedup");
    assert_eq!(
        speedup[2..6],
        [
            "1.50x (1.35–1.65x)",
            "1.96x (1.76–2.16x)",
            "1.31x higher",
            "better"
        ]
    );
    // For the speedup the peer's ÷ ours: below 1x pythreading does better.
    assert!(
        speedup[6].starts_with("rayon label: 1.29x → 0.98x<br>"),
        "{speedup:?}"
    );
    let threads = suite_row(&rows, "Timers", "threads");
    assert_eq!(
        threads[2..6],
        ["9", "8", "0.89x (lower)", "one round: not judged"]
    );
    let barrier = suite_row(&rows, "Barrier", "time");
    assert_eq!(barrier[2], "—");
    assert_eq!(barrier[4..6], ["—", "not in the baseline"]);
    assert_eq!(barrier[6], "std label: — → 0.0274x");
    let semaphore = suite_row(&rows, "Semaphore", "time");
    assert_eq!(semaphore[3], "—");
    assert_eq!(semaphore[4..6], ["—", "not in this run"]);
    assert_eq!(semaphore[6], "std label: 0.0268x → —");

    let criterion = rows_under(&page, "### Criterion benches");
    let criterion: Vec<String> = criterion.iter().map(|r| r.join(" | ")).collect();
    assert_eq!(
        criterion,
        [
            "`pythreading-sync` | `barrier` | 210 ns (206–214 ns) | 210 ns (206–214 ns) | 1.00x \
             (level) | within spread",
            "`pythreading-sync` | `lock/uncontended` | 5.41 ns (5.30–5.52 ns) | 9.00 ns \
             (8.82–9.18 ns) | 1.66x slower | slower",
            "`pythreading-sync` | `queue/bounded/1024` | — | 486 µs (476–496 µs) | — | not in \
             the baseline",
            "`pythreading-sync-deadlock-detection` | `lock/contended` | 96.0 ns (94.1–97.9 ns) | \
             96.0 ns (94.1–97.9 ns) | 1.00x (level) | within spread",
            "`pythreading-sync-deadlock-detection` | `lock/uncontended` | 22.7 ns (22.2–23.2 \
             ns) | 22.7 ns (22.2–23.2 ns) | 1.00x (level) | within spread",
        ]
    );

    let sizes = section.split("### Sizes").nth(1).unwrap();
    let sizes: Vec<&str> = sizes.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        sizes,
        [
            "| type | before | after |",
            "|---|---|---|",
            "| `pythreading::Lock` | 8 B | 4 B |",
            "| `pythreading::RLock` | — | 24 B |",
            "| `parking_lot::Mutex<()>` | 1 B | 1 B |",
        ]
    );
    // The targets are this run's alone.
    assert_eq!(target_rows(&page).len(), 18);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_older_baseline_has_dashes_where_it_has_no_figures() {
    let dir = temp_dir("older-baseline");
    // A quick baseline without sizes or criterion results.
    let (before, _) = results(true);
    let (mut after, python) = results(false);
    after
        .records
        .push(size("pythreading/Lock", "`pythreading::Lock`", 4.0));
    let baseline = dir.join("baseline");
    before.write(&baseline.join("compare.json")).unwrap();
    write_results(&dir.join("results"), &after, Some(&python));
    let page = generate_with(
        &dir,
        "cargo xtask bench --baseline kept",
        None,
        Some((baseline.clone(), None)),
    )
    .markdown;
    let section = section(&page, "## Before and after");
    // Without a label, the directory names it.
    let named = format!("the results in `{}`", baseline.display());
    assert!(
        section.contains(&format!("This run beside a baseline: {named}. Both")),
        "{section}"
    );
    assert!(page.contains(&format!("- Baseline: {named} (see")));
    assert!(
        section.contains(
            "**The two runs are not alike:** the baseline is a quick run, this run is a full run"
        ),
        "{section}"
    );
    assert!(
        section.contains("The baseline has no criterion figures"),
        "{section}"
    );
    assert!(
        section.contains(
            "The baseline has no sizes (no `size_of` records: results older than them); its \
             column is \"—\"."
        ),
        "{section}"
    );
    let sizes = rows_under(&page, "### Sizes");
    assert_eq!(sizes, [["`pythreading::Lock`", "—", "4 B"]]);
    // Python's figures are not compared: only the suite's.
    let rows = rows_under(&page, "### Comparison suite");
    assert!(rows.iter().all(|r| !r[6].contains("python")), "{rows:#?}");
    // Two smoke runs: no criterion figures on either side.
    fs::remove_dir_all(dir.join("results/criterion")).unwrap();
    let page = generate_with(&dir, "c", None, Some((baseline, None))).markdown;
    let criterion = page.split("### Criterion benches").nth(1).unwrap();
    let criterion = criterion.split("###").next().unwrap();
    assert!(
        criterion.contains("Neither run has criterion figures (a smoke run records none)"),
        "{criterion}"
    );
    assert!(!criterion.contains('|'), "{criterion}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_baseline_the_sizes_have_a_section_of_their_own() {
    let dir = temp_dir("sizes-alone");
    let (mut compare, python) = results(false);
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench").markdown;
    assert!(!page.contains("## Before and after"), "{page}");
    assert!(!page.contains("- Baseline:"), "{page}");
    let sizes = section(&page, "\n## Sizes\n");
    assert!(sizes.contains("This run has no sizes"), "{sizes}");
    assert!(!sizes.contains('|'), "{sizes}");

    compare.records.extend([
        size("pythreading/Lock", "`pythreading::Lock`", 4.0),
        size(
            "pythreading/queue::Queue<u64>",
            "`pythreading::queue::Queue<u64>`",
            1024.0,
        ),
    ]);
    write_results(&dir.join("results"), &compare, Some(&python));
    let page = generate(&dir, "cargo xtask bench").markdown;
    assert_eq!(
        rows_under(&page, "\n## Sizes\n"),
        [
            ["`pythreading::Lock`", "4 B"],
            ["`pythreading::queue::Queue<u64>`", "1,024 B"],
        ]
    );
    // After the workloads, before the criterion benches.
    let at = |heading: &str| page.find(heading).unwrap();
    assert!(at("(`timers`)") < at("\n## Sizes\n"));
    assert!(at("\n## Sizes\n") < at("## Criterion benches of every crate"));
    fs::remove_dir_all(dir).unwrap();
}

/// The report's command line on `results`, beside `baseline` when given.
fn report_cli_beside(results: &Path, out: &Path, baseline: &[&str]) -> Output {
    let (markdown, svg) = (out.join("BENCHMARKS.md"), out.join("benchmarks.svg"));
    let mut args = vec![
        "report",
        "--results",
        results.to_str().unwrap(),
        "--command",
        "cargo xtask bench --smoke --baseline kept",
        "--markdown",
        markdown.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ];
    args.extend(baseline);
    cli(&args)
}

#[test]
fn cli_baseline_errors_name_the_baseline() {
    let dir = temp_dir("cli-baseline");
    let (compare, python) = results(true);
    let results_dir = dir.join("results");
    write_results(&results_dir, &compare, Some(&python));
    let out = dir.join("out");
    let missing = dir.join("no-such-dir");
    let missing = missing.to_str().unwrap();

    // A baseline that is not there, or has no compare.json: exit 1, the
    // page not written.
    let output = report_cli_beside(&results_dir, &out, &["--baseline", missing]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{missing}: no such results directory (the baseline, `--baseline`)"
        )),
        "{err}"
    );
    let empty = dir.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let output = report_cli_beside(&results_dir, &out, &["--baseline", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("compare.json: not found (the baseline, `--baseline`)"),
        "{}",
        stderr(&output)
    );
    assert!(!out.join("BENCHMARKS.md").exists());

    // Usage errors: exit 2.
    for bad in [
        &["--baseline"][..],
        &["--baseline", ""],
        &["--baseline-label", "old"],
        &["--baseline", "a", "--baseline", "b"],
    ] {
        let output = report_cli_beside(&results_dir, &out, bad);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("usage:"), "{bad:?}");
    }

    // The results as their own baseline: every figure within spread.
    let output = report_cli_beside(
        &results_dir,
        &out,
        &[
            "--baseline",
            results_dir.to_str().unwrap(),
            "--baseline-label=the same run",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let page = fs::read_to_string(out.join("BENCHMARKS.md")).unwrap();
    assert!(page.contains("- Baseline: the same run (see"), "{page}");
    let rows = rows_under(&page, "### Comparison suite");
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row[2], row[3], "{row:?}");
        assert_eq!(row[5], "within spread", "{row:?}");
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cli_check_reads_a_results_directory_and_writes_nothing() {
    let dir = temp_dir("cli-check");
    let (compare, python) = results(true);
    write_results(&dir.join("results"), &compare, Some(&python));
    let results_dir = dir.join("results");
    let output = cli(&["check", "--results", results_dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = cli(&["check", "--results", dir.join("none").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no such results directory"));
    fs::write(results_dir.join("compare.json"), "[").unwrap();
    let output = cli(&["check", "--results", results_dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("compare.json: not a valid results file"));
    for bad in [&["check"][..], &["check", "--results", "a", "--svg", "b"]] {
        assert_eq!(cli(bad).status.code(), Some(2), "{bad:?}");
    }
    // Nothing but the results there.
    let mut entries: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["results"]);
    fs::remove_dir_all(dir).unwrap();
}
