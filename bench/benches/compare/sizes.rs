//! `std::mem::size_of` of every blocking type of pythreading, and of the
//! peers' types for context: one record per type (workload
//! [`SIZE_OF`], metric [`SIZE`], unit bytes, the size as its one sample).
//! Nothing is timed, so every run has them, the smoke run too.
//!
//! A type's size is its own bytes, where it is stored: not what it points
//! to on the heap (a channel's shared block, a pool's workers).
//!
//! This file takes nothing from the suite's harness, so that the tests can
//! check its records (`tests/sizes.rs` includes it).

use std::mem::size_of;

use pythreading_bench::records::{Record, Unit};
use pythreading_bench::workloads::{SIZE, SIZE_OF};

/// Every type measured: its contender id (`family/type`) and how the page
/// names it, then its size.
fn types() -> Vec<(&'static str, &'static str, usize)> {
    use pythreading::futures::{Future, ThreadPoolExecutor};
    use pythreading::queue::{LifoQueue, PriorityQueue, Queue};
    use pythreading::{
        Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, Thread, Timer,
    };
    use std::sync::mpsc::{Receiver, SyncSender};

    fn of<T>(id: &'static str, label: &'static str) -> (&'static str, &'static str, usize) {
        (id, label, size_of::<T>())
    }
    vec![
        of::<Lock>("pythreading/Lock", "`pythreading::Lock`"),
        of::<RLock>("pythreading/RLock", "`pythreading::RLock`"),
        of::<Condition>("pythreading/Condition", "`pythreading::Condition`"),
        of::<Semaphore>("pythreading/Semaphore", "`pythreading::Semaphore`"),
        of::<BoundedSemaphore>(
            "pythreading/BoundedSemaphore",
            "`pythreading::BoundedSemaphore`",
        ),
        of::<Event>("pythreading/Event", "`pythreading::Event`"),
        of::<Barrier>("pythreading/Barrier", "`pythreading::Barrier`"),
        of::<Timer>("pythreading/Timer", "`pythreading::Timer`"),
        of::<Queue<u64>>(
            "pythreading/queue::Queue<u64>",
            "`pythreading::queue::Queue<u64>`",
        ),
        of::<LifoQueue<u64>>(
            "pythreading/queue::LifoQueue<u64>",
            "`pythreading::queue::LifoQueue<u64>`",
        ),
        of::<PriorityQueue<u64>>(
            "pythreading/queue::PriorityQueue<u64>",
            "`pythreading::queue::PriorityQueue<u64>`",
        ),
        of::<Future<u64>>(
            "pythreading/futures::Future<u64>",
            "`pythreading::futures::Future<u64>`",
        ),
        of::<Thread<u64>>("pythreading/Thread<u64>", "`pythreading::Thread<u64>`"),
        of::<ThreadPoolExecutor>(
            "pythreading/futures::ThreadPoolExecutor",
            "`pythreading::futures::ThreadPoolExecutor`",
        ),
        of::<parking_lot::Mutex<()>>("parking_lot/Mutex<()>", "`parking_lot::Mutex<()>`"),
        of::<parking_lot::ReentrantMutex<()>>(
            "parking_lot/ReentrantMutex<()>",
            "`parking_lot::ReentrantMutex<()>`",
        ),
        of::<parking_lot::Condvar>("parking_lot/Condvar", "`parking_lot::Condvar`"),
        of::<std::sync::Mutex<()>>("std/Mutex<()>", "`std::sync::Mutex<()>`"),
        of::<std::sync::Condvar>("std/Condvar", "`std::sync::Condvar`"),
        of::<std::sync::Barrier>("std/Barrier", "`std::sync::Barrier`"),
        of::<crossbeam_channel::Sender<u64>>(
            "crossbeam/Sender<u64>",
            "`crossbeam_channel::Sender<u64>` (of `bounded`)",
        ),
        of::<crossbeam_channel::Receiver<u64>>(
            "crossbeam/Receiver<u64>",
            "`crossbeam_channel::Receiver<u64>` (of `bounded`)",
        ),
        of::<SyncSender<u64>>(
            "std/mpsc::SyncSender<u64>",
            "`std::sync::mpsc::SyncSender<u64>`",
        ),
        of::<Receiver<u64>>(
            "std/mpsc::Receiver<u64>",
            "`std::sync::mpsc::Receiver<u64>`",
        ),
    ]
}

/// The records of every type's size, pythreading's first.
pub(crate) fn records() -> Vec<Record> {
    types()
        .into_iter()
        .map(|(contender, label, bytes)| Record {
            workload: SIZE_OF.to_owned(),
            contender: contender.to_owned(),
            label: label.to_owned(),
            metric: SIZE.to_owned(),
            value: bytes as f64,
            unit: Unit::Bytes,
            samples: vec![bytes as f64],
        })
        .collect()
}
