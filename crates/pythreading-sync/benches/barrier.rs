//! The cost of one barrier round between two threads: `pythreading_sync::Barrier`
//! against `std::sync::Barrier`, in one criterion group.
//!
//! Run with `cargo bench -p pythreading-sync --bench barrier`.
//!
//! Each sample starts a helper thread that passes as many rounds as the
//! measuring thread; the clock runs only over the rounds themselves (one
//! warm-up round first, so thread start-up is not counted), and the figure
//! reported is the time per round. `std::sync::Barrier` puts the first
//! thread to arrive to sleep on a futex every round; ours spins briefly
//! first, so when both threads are on a core nobody sleeps.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// What both barriers offer for this benchmark.
trait Rounds: Send + Sync + 'static {
    fn new2() -> Self;
    fn round(&self);
}

impl Rounds for pythreading_sync::Barrier {
    fn new2() -> Self {
        pythreading_sync::Barrier::new(2).expect("2 parties")
    }

    #[inline]
    fn round(&self) {
        black_box(self.wait().expect("barrier not broken"));
    }
}

impl Rounds for std::sync::Barrier {
    fn new2() -> Self {
        std::sync::Barrier::new(2)
    }

    #[inline]
    fn round(&self) {
        black_box(self.wait().is_leader());
    }
}

/// Time for `iters` rounds between this thread and a helper thread.
fn rounds<B: Rounds>(iters: u64) -> Duration {
    let barrier = Arc::new(B::new2());
    let helper = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || {
            for _ in 0..=iters {
                barrier.round();
            }
        })
    };
    barrier.round(); // both threads are running from here on
    let start = Instant::now();
    for _ in 0..iters {
        barrier.round();
    }
    let elapsed = start.elapsed();
    helper.join().expect("helper thread");
    elapsed
}

fn two_thread_round(c: &mut Criterion) {
    let mut group = c.benchmark_group("barrier_2_threads_round");
    group.bench_function("pythreading", |b| {
        b.iter_custom(rounds::<pythreading_sync::Barrier>)
    });
    group.bench_function("std", |b| b.iter_custom(rounds::<std::sync::Barrier>));
    group.finish();
}

criterion_group!(benches, two_thread_round);
criterion_main!(benches);
