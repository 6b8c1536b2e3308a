//! What starting and cancelling a `Timer` costs. Our own API only; the
//! 10,000-timer scenario next to a thread per timer (threads, memory,
//! lateness) lives in the workspace's `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-sync --bench timers
//! cargo bench -p pythreading-sync --bench timers -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! - `sync/timers/start_cancel_one`: `Timer::new` of one hour, `start`,
//!   `cancel`. The timer's scheduler thread is running after the first one
//!   (the warm-up starts it).
//! - `sync/timers/start_cancel_1000`: 1,000 timers of one hour created and
//!   started, then all cancelled; time is per timer, so with the one above
//!   it shows whether a start or a cancel grows with the number pending.
//!
//! Every timer is checked to be cancelled and its callback never called.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pythreading_sync::Timer;

/// Long enough never to fire during a run.
const HOUR: Duration = Duration::from_secs(3600);
/// Timers pending at once in the batch benchmark.
const BATCH: u64 = 1_000;

fn timer(fired: &Arc<AtomicU64>) -> Timer {
    let fired = Arc::clone(fired);
    Timer::new(HOUR, move || {
        fired.fetch_add(1, Ordering::Relaxed);
    })
}

fn start_cancel(c: &mut Criterion) {
    let fired = Arc::new(AtomicU64::new(0));
    let mut group = c.benchmark_group("sync/timers");

    group.bench_function("start_cancel_one", |b| {
        b.iter(|| {
            let t = timer(&fired);
            t.start().expect("the timer service runs");
            t.cancel();
            assert!(t.cancelled() && !t.is_alive(), "{t:?}");
        })
    });

    // One iteration is about a millisecond: flat sampling, so that the
    // sample count given on the command line fits in the measurement time.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("start_cancel_1000", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let timers: Vec<Timer> = (0..BATCH).map(|_| timer(&fired)).collect();
                for t in &timers {
                    t.start().expect("the timer service runs");
                }
                let started = start.elapsed();
                // Checked off the clock.
                assert!(timers.iter().all(Timer::is_alive), "a timer is not pending");
                let start = Instant::now();
                for t in &timers {
                    t.cancel();
                }
                elapsed += started + start.elapsed();
                assert!(
                    timers.iter().all(Timer::cancelled),
                    "a timer was not cancelled"
                );
            }
            elapsed
        })
    });

    group.finish();
    assert_eq!(fired.load(Ordering::Relaxed), 0, "a cancelled timer fired");
}

criterion_group!(benches, start_cancel);
criterion_main!(benches);
