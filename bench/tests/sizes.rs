//! The types' sizes the comparison suite records in every run: the records
//! of `benches/compare/sizes.rs` (included here as it is), what they hold,
//! and the page's table of them.

use std::fs;
use std::mem::size_of;
use std::path::PathBuf;

use pythreading_bench::report::{self, ReportArgs};
use pythreading_bench::workloads::{SIZE, SIZE_OF};
use pythreading_bench::{Results, Unit};

#[path = "../benches/compare/sizes.rs"]
mod sizes;

mod common;

/// A fresh directory of its own for each test.
fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir("sizes", name)
}

#[test]
fn every_type_has_one_record_of_its_size_in_bytes() {
    let records = sizes::records();
    let ids: Vec<&str> = records.iter().map(|r| r.contender.as_str()).collect();
    assert_eq!(
        ids,
        [
            "pythreading/Lock",
            "pythreading/RLock",
            "pythreading/Condition",
            "pythreading/Semaphore",
            "pythreading/BoundedSemaphore",
            "pythreading/Event",
            "pythreading/Barrier",
            "pythreading/Timer",
            "pythreading/queue::Queue<u64>",
            "pythreading/queue::LifoQueue<u64>",
            "pythreading/queue::PriorityQueue<u64>",
            "pythreading/futures::Future<u64>",
            "pythreading/Thread<u64>",
            "pythreading/futures::ThreadPoolExecutor",
            "parking_lot/Mutex<()>",
            "parking_lot/ReentrantMutex<()>",
            "parking_lot/Condvar",
            "std/Mutex<()>",
            "std/Condvar",
            "std/Barrier",
            "crossbeam/Sender<u64>",
            "crossbeam/Receiver<u64>",
            "std/mpsc::SyncSender<u64>",
            "std/mpsc::Receiver<u64>",
        ]
    );
    for r in &records {
        assert_eq!(r.workload, SIZE_OF, "{r:?}");
        assert_eq!(r.metric, SIZE, "{r:?}");
        assert_eq!(r.unit, Unit::Bytes, "{r:?}");
        assert_eq!(r.samples, [r.value], "{r:?}");
        assert!(r.value >= 0.0 && r.value.fract() == 0.0, "{r:?}");
        // The label names the type as written, in code.
        assert!(r.label.starts_with('`'), "{r:?}");
        let type_name = r.contender.split_once('/').unwrap().1;
        assert!(r.label.contains(type_name), "{r:?}");
    }
    let value = |id: &str| records.iter().find(|r| r.contender == id).unwrap().value;
    assert_eq!(
        value("pythreading/Lock"),
        size_of::<pythreading::Lock>() as f64
    );
    assert_eq!(
        value("pythreading/queue::Queue<u64>"),
        size_of::<pythreading::queue::Queue<u64>>() as f64
    );
    assert_eq!(
        value("parking_lot/Mutex<()>"),
        size_of::<parking_lot::Mutex<()>>() as f64
    );
}

#[test]
fn the_page_shows_each_size_in_plain_bytes() {
    let dir = temp_dir("page");
    let results = Results {
        source: "compare".into(),
        quick: false,
        note: String::new(),
        records: sizes::records(),
    };
    results.write(&dir.join("results/compare.json")).unwrap();
    let args = ReportArgs {
        results: dir.join("results"),
        command: "cargo xtask bench".into(),
        markdown: dir.join("BENCHMARKS.md"),
        svg: dir.join("benchmarks.svg"),
        elapsed: None,
        commit: None,
        baseline: None,
        baseline_label: None,
    };
    report::run(&args).unwrap();
    let page = fs::read_to_string(&args.markdown).unwrap();
    let table = page
        .split("\n## Sizes\n")
        .nth(1)
        .expect("a Sizes section")
        .split("\n## ")
        .next()
        .unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows[0], "| type | size |");
    assert_eq!(rows.len(), 2 + sizes::records().len(), "{table}");
    assert_eq!(
        rows[2],
        format!(
            "| `pythreading::Lock` | {} B |",
            size_of::<pythreading::Lock>()
        )
    );
    assert!(
        rows.contains(
            &format!(
                "| `parking_lot::Mutex<()>` | {} B |",
                size_of::<parking_lot::Mutex<()>>()
            )
            .as_str()
        ),
        "{table}"
    );
    // Not a workload of its own, nor a bar of the chart.
    assert!(!page.contains("### `size_of`"), "{page}");
    let svg = fs::read_to_string(&args.svg).unwrap();
    assert!(!svg.contains(SIZE_OF), "{svg}");
    fs::remove_dir_all(dir).unwrap();
}
