//! One producer and one consumer moving items through a queue: our
//! `Queue` against `crossbeam-channel`, bounded (capacity 1024) and
//! unbounded, in one criterion group each. Time is per item.
//!
//! `cargo bench -p pythreading-sync --bench queue`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pythreading_sync::queue::Queue;

fn spsc_ours(capacity: usize, items: u64) -> Duration {
    let q = Arc::new(Queue::new(capacity));
    let consumer = {
        let q = Arc::clone(&q);
        thread::spawn(move || {
            let mut sum = 0u64;
            for _ in 0..items {
                sum += q.get().unwrap();
            }
            sum
        })
    };
    let start = Instant::now();
    for i in 0..items {
        q.put(i).unwrap();
    }
    let sum = consumer.join().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(sum, items * (items - 1) / 2);
    elapsed
}

fn spsc_crossbeam(capacity: usize, items: u64) -> Duration {
    let (tx, rx) = if capacity == 0 {
        crossbeam_channel::unbounded()
    } else {
        crossbeam_channel::bounded(capacity)
    };
    let consumer = thread::spawn(move || {
        let mut sum = 0u64;
        for _ in 0..items {
            sum += rx.recv().unwrap();
        }
        sum
    });
    let start = Instant::now();
    for i in 0..items {
        tx.send(i).unwrap();
    }
    let sum = consumer.join().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(sum, items * (items - 1) / 2);
    elapsed
}

fn spsc(c: &mut Criterion) {
    const BATCH: u64 = 20_000;
    for (label, capacity) in [("bounded_1024", 1024), ("unbounded", 0)] {
        let mut group = c.benchmark_group(format!("queue/spsc_{label}"));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        group.bench_function("pythreading::Queue", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters.div_ceil(BATCH) {
                    total += spsc_ours(capacity, BATCH);
                }
                total.mul_f64(iters as f64 / (iters.div_ceil(BATCH) * BATCH) as f64)
            })
        });
        group.bench_function("crossbeam_channel", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters.div_ceil(BATCH) {
                    total += spsc_crossbeam(capacity, BATCH);
                }
                total.mul_f64(iters as f64 / (iters.div_ceil(BATCH) * BATCH) as f64)
            })
        });
        group.finish();
    }
    black_box(());
}

criterion_group!(benches, spsc);
criterion_main!(benches);
