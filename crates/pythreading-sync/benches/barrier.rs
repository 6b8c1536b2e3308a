//! What one `Barrier` round between two threads costs. Our own API only;
//! the comparison with `std::sync::Barrier` lives in the workspace's
//! `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-sync --bench barrier
//! cargo bench -p pythreading-sync --bench barrier -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! `sync/barrier/2_threads_round`: each sample starts a helper thread that
//! passes as many rounds as the measuring thread; the clock runs only over
//! the rounds themselves (one warm-up round first, so thread start-up is
//! not counted), and the figure reported is the time per round. Each round
//! hands out the indices 0 and 1, one to each thread: their sum over all
//! rounds is checked.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pythreading_sync::Barrier;

/// One round; returns this thread's index in it.
#[inline]
fn round(barrier: &Barrier) -> u64 {
    barrier.wait().expect("barrier not broken") as u64
}

/// Time for `iters` rounds between this thread and a helper thread.
fn rounds(iters: u64) -> Duration {
    let barrier = Arc::new(Barrier::new(2).expect("2 parties"));
    let helper = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || (0..=iters).map(|_| round(&barrier)).sum::<u64>())
    };
    let mut indices = round(&barrier); // both threads are running from here on
    let start = Instant::now();
    for _ in 0..iters {
        indices += round(&barrier);
    }
    let elapsed = start.elapsed();
    indices += helper.join().expect("helper thread");
    // Each of the iters + 1 rounds hands out 0 and 1.
    assert_eq!(indices, iters + 1, "a round handed out wrong indices");
    elapsed
}

fn two_thread_round(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/barrier");
    group.bench_function("2_threads_round", |b| b.iter_custom(rounds));
    group.finish();
}

criterion_group!(benches, two_thread_round);
criterion_main!(benches);
