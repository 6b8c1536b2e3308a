//! What the queues cost: a put and a get on one thread, and items moved
//! from one producer to one consumer. Our own API only; comparisons with
//! other crates (crossbeam-channel) live in the workspace's `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-sync --bench queue
//! cargo bench -p pythreading-sync --bench queue -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! - `sync/queue/put_get_one_thread`: `put` then `get` of the same item
//!   on an unbounded `Queue`, `LifoQueue` and `PriorityQueue` (the crate
//!   has no `SimpleQueue`: an unbounded `Queue` stands for it). The item
//!   coming back is checked.
//! - `sync/queue/spsc_bounded_1024`, `sync/queue/spsc_unbounded`: one
//!   producer puts 0, 1, 2, … into a `Queue` and one consumer gets them,
//!   in batches of 20,000; time is per item. The consumer's sum is checked.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pythreading_sync::queue::{LifoQueue, PriorityQueue, Queue};

/// Items per producer/consumer run.
const BATCH: u64 = 20_000;

fn one_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/queue/put_get_one_thread");

    let q = Queue::new(0);
    group.bench_function("Queue", |b| {
        b.iter(|| {
            let item = black_box(7u64);
            q.put(item).expect("an unbounded queue takes it");
            assert_eq!(q.get().expect("an item is there"), item);
        })
    });
    assert!(q.empty());

    let q = LifoQueue::new(0);
    group.bench_function("LifoQueue", |b| {
        b.iter(|| {
            let item = black_box(7u64);
            q.put(item).expect("an unbounded queue takes it");
            assert_eq!(q.get().expect("an item is there"), item);
        })
    });
    assert!(q.empty());

    let q = PriorityQueue::new(0);
    group.bench_function("PriorityQueue", |b| {
        b.iter(|| {
            let item = black_box(7u64);
            q.put(item).expect("an unbounded queue takes it");
            assert_eq!(q.get().expect("an item is there"), item);
        })
    });
    assert!(q.empty());

    group.finish();
}

/// Moves `items` items from this thread to a consumer thread through a
/// `Queue` of `capacity` (0: unbounded); returns the time from the first put
/// to the consumer's last get.
fn spsc_run(capacity: usize, items: u64) -> Duration {
    let q = Arc::new(Queue::new(capacity));
    let consumer = {
        let q = Arc::clone(&q);
        thread::spawn(move || {
            let mut sum = 0u64;
            for _ in 0..items {
                sum += q.get().expect("the queue is open");
            }
            sum
        })
    };
    let start = Instant::now();
    for i in 0..items {
        q.put(i).expect("the queue is open");
    }
    let sum = consumer.join().expect("consumer thread");
    let elapsed = start.elapsed();
    assert_eq!(sum, items * (items - 1) / 2, "an item was lost or changed");
    elapsed
}

fn spsc(c: &mut Criterion) {
    for (label, capacity) in [("bounded_1024", 1024), ("unbounded", 0)] {
        let mut group = c.benchmark_group(format!("sync/queue/spsc_{label}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("Queue", |b| {
            b.iter_custom(|iters| {
                // Whole batches, then the time scaled back to `iters` items.
                let batches = iters.div_ceil(BATCH);
                let total: Duration = (0..batches).map(|_| spsc_run(capacity, BATCH)).sum();
                total.mul_f64(iters as f64 / (batches * BATCH) as f64)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, one_thread, spsc);
criterion_main!(benches);
