//! The types' sizes the comparison suite records in every run: the records
//! of `benches/compare/sizes.rs` (included here as it is), what they hold,
//! and what they hold.

use std::mem::size_of;

use pythreading_bench::Unit;
use pythreading_bench::workloads::{SIZE, SIZE_OF};

#[path = "../benches/compare/sizes.rs"]
mod sizes;

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
