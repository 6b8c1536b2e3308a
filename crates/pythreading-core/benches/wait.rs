//! The parking table (`pythreading_core::wait`) against the well-kept crate
//! that offers the same service with a safe API, `event-listener`: the
//! measurement behind building the waiting primitive ourselves.
//!
//! ```text
//! cargo bench -p pythreading-core --bench wait
//! ```
//!
//! - `core/wait/handoff`: two threads take turns 1,000 times; each waits
//!   for its turn (a shared word) by parking, and wakes the other after
//!   writing the word. Every turn is a park and an unpark (few are caught
//!   by the check before parking), the path a contended lock, a queue or
//!   a future's waiter goes through.
//! - `core/wait/notify_nobody`: a notify of a key nobody waits on. The
//!   blocking types skip it when their own word says nobody is parked; it
//!   is measured for the types that cannot tell (a condition variable).
//! - `core/wait/wake_all_4`: four threads parked on one key, woken by one
//!   notify of all, and parked again, 200 times.
//!
//! Each contender's result is checked (the turns all taken, every thread
//! woken every round), so a broken one fails the run instead of winning it.

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use event_listener::{Event, Listener};
use pythreading_core::wait::{self, Deadline, Key};

const TURNS: u32 = 1_000;
const ROUNDS: usize = 200;
const WAITERS: usize = 4;

/// How a contender waits for `done(word)` and wakes the waiters of a word.
trait Waiting: Send + Sync + 'static {
    fn wait_until(&self, word: &AtomicU32, done: impl Fn(u32) -> bool);
    fn wake_all(&self, word: &AtomicU32);
}

struct Table;

impl Waiting for Table {
    fn wait_until(&self, word: &AtomicU32, done: impl Fn(u32) -> bool) {
        while !done(word.load(Ordering::Acquire)) {
            let _ = wait::park(
                Key::of(word),
                || !done(word.load(Ordering::Acquire)),
                || {},
                Deadline::NEVER,
            );
        }
    }
    fn wake_all(&self, word: &AtomicU32) {
        wait::unpark_all(Key::of(word));
    }
}

/// event-listener as its documentation has it used: listen, check, wait.
struct Listeners(Event);

impl Waiting for Listeners {
    fn wait_until(&self, word: &AtomicU32, done: impl Fn(u32) -> bool) {
        while !done(word.load(Ordering::Acquire)) {
            let listener = self.0.listen();
            if done(word.load(Ordering::Acquire)) {
                break;
            }
            listener.wait();
        }
    }
    fn wake_all(&self, _word: &AtomicU32) {
        self.0.notify(usize::MAX);
    }
}

fn handoff<W: Waiting>(waiting: Arc<W>) -> Duration {
    let turn = Arc::new(AtomicU32::new(0));
    let other = {
        let (waiting, turn) = (Arc::clone(&waiting), Arc::clone(&turn));
        std::thread::spawn(move || {
            for i in 0..TURNS {
                waiting.wait_until(&turn, |t| t == 2 * i + 1);
                turn.store(2 * i + 2, Ordering::Release);
                waiting.wake_all(&turn);
            }
        })
    };
    let start = Instant::now();
    for i in 0..TURNS {
        turn.store(2 * i + 1, Ordering::Release);
        waiting.wake_all(&turn);
        waiting.wait_until(&turn, |t| t == 2 * i + 2);
    }
    let elapsed = start.elapsed();
    other.join().unwrap();
    assert_eq!(turn.load(Ordering::Relaxed), 2 * TURNS);
    elapsed
}

fn wake_all<W: Waiting>(waiting: Arc<W>) -> Duration {
    let round = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..WAITERS)
        .map(|_| {
            let (waiting, round, seen) =
                (Arc::clone(&waiting), Arc::clone(&round), Arc::clone(&seen));
            std::thread::spawn(move || {
                for r in 1..=ROUNDS as u32 {
                    waiting.wait_until(&round, |now| now >= r);
                    seen.fetch_add(1, Ordering::AcqRel);
                }
            })
        })
        .collect();
    let start = Instant::now();
    for r in 1..=ROUNDS as u32 {
        round.store(r, Ordering::Release);
        waiting.wake_all(&round);
        while seen.load(Ordering::Acquire) < r as usize * WAITERS {
            std::thread::yield_now();
        }
    }
    let elapsed = start.elapsed();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(seen.load(Ordering::Relaxed), ROUNDS * WAITERS);
    elapsed
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/wait/handoff");
    group.bench_function("ours", |b| {
        b.iter_custom(|n| (0..n).map(|_| handoff(Arc::new(Table))).sum())
    });
    group.bench_function("event-listener", |b| {
        b.iter_custom(|n| {
            (0..n)
                .map(|_| handoff(Arc::new(Listeners(Event::new()))))
                .sum()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("core/wait/wake_all_4");
    group.bench_function("ours", |b| {
        b.iter_custom(|n| (0..n).map(|_| wake_all(Arc::new(Table))).sum())
    });
    group.bench_function("event-listener", |b| {
        b.iter_custom(|n| {
            (0..n)
                .map(|_| wake_all(Arc::new(Listeners(Event::new()))))
                .sum()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("core/wait/notify_nobody");
    let word = AtomicU32::new(0);
    group.bench_function("ours", |b| {
        b.iter(|| black_box(wait::unpark_one(Key::of(black_box(&word)))))
    });
    let event = Event::new();
    // A listener made and dropped once, so the event has its inner state,
    // as any event that has been waited on does.
    drop(event.listen());
    group.bench_function("event-listener", |b| {
        b.iter(|| black_box(black_box(&event).notify(1)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
