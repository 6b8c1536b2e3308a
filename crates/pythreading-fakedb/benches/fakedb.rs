//! What the race demo's pieces cost: one `update` and one `locked_update`
//! with no sleep between read and write (so what is left is the recording
//! of every statement), and drawing a 6-thread race as a table and as SVG.
//!
//! ```text
//! cargo bench -p pythreading-fakedb --bench fakedb
//! cargo bench -p pythreading-fakedb --bench fakedb -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! - `fakedb/update_zero_delay/update`, `…/locked_update`: updates on one
//!   thread of a `FakeDatabase::with_delay(Duration::ZERO)`, a fresh one
//!   for every 256 updates so that every statement is recorded (the
//!   default timeline keeps 4,096). The value, the update count and the
//!   number of recorded statements are checked off the clock.
//! - `fakedb/race_6_threads/display`, `…/to_svg`: the tutorial's race with
//!   6 threads (all read 0, sleep, all write 1: 5 updates lost), as a
//!   `Timeline` made by hand so every run draws the same thing; rendered
//!   with `Display` (the terminal table) and with `to_svg`.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pythreading_fakedb::{Event, FakeDatabase, Step, Timeline};

/// Updates per fresh database: 256 × 10 statements fit in its timeline.
const PER_DATABASE: u64 = 256;
/// Threads in the drawn race.
const THREADS: usize = 6;
/// The race's sleep between read and write.
const DELAY: Duration = Duration::from_millis(100);

/// Runs `iters` updates with `update`, on a fresh zero-delay database every
/// `PER_DATABASE`; returns the time spent in the updates only. Each update
/// must record `statements` events.
fn time_updates(iters: u64, statements: usize, update: fn(&FakeDatabase, usize)) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(PER_DATABASE);
        left -= n;
        let database = FakeDatabase::with_delay(Duration::ZERO);
        let start = Instant::now();
        for name in 0..n as usize {
            update(&database, name);
        }
        elapsed += start.elapsed();
        assert_eq!(database.value(), n as i64, "an update was lost");
        assert_eq!(database.updates(), n);
        let timeline = database.timeline();
        assert_eq!(timeline.events().len(), n as usize * statements);
        assert_eq!(timeline.dropped(), 0);
    }
    elapsed
}

fn update(c: &mut Criterion) {
    let mut group = c.benchmark_group("fakedb/update_zero_delay");
    // Start, Read, Increment, Sleep, Write, Finish.
    group.bench_function("update", |b| {
        b.iter_custom(|iters| time_updates(iters, 6, FakeDatabase::update))
    });
    // The same and AboutToLock, HasLock, AboutToRelease, AfterRelease.
    group.bench_function("locked_update", |b| {
        b.iter_custom(|iters| time_updates(iters, 10, FakeDatabase::locked_update))
    });
    group.finish();
}

/// The tutorial's race with `THREADS` pool threads: each in turn starts,
/// reads 0 and goes to sleep; then each wakes, writes 1 and finishes.
fn race() -> Timeline {
    let mut events = Vec::new();
    let mut value = 0;
    let mut event =
        |at: Duration, name: usize, step: Step, local_copy: Option<i64>, replaced: Option<i64>| {
            if step == Step::Write {
                value = local_copy.expect("a write has a local copy");
            }
            events.push(Event {
                at,
                thread: format!("ThreadPoolExecutor-0_{name}"),
                name,
                step,
                local_copy,
                value,
                replaced,
            });
        };
    let tick = Duration::from_micros(40);
    for name in 0..THREADS {
        let t = tick * (4 * name as u32);
        event(t, name, Step::Start, None, None);
        event(t + tick, name, Step::Read, Some(0), None);
        event(t + tick * 2, name, Step::Increment, Some(1), None);
        event(t + tick * 3, name, Step::Sleep, Some(1), None);
    }
    for name in 0..THREADS {
        let t = DELAY + tick * (4 * name as u32 + 3);
        let replaced = if name == 0 { 0 } else { 1 };
        event(t, name, Step::Write, Some(1), Some(replaced));
        event(t + tick, name, Step::Finish, Some(1), None);
    }
    Timeline::new(events, DELAY)
}

fn render(c: &mut Criterion) {
    let timeline = race();
    let lost = THREADS - 1;
    assert_eq!(timeline.overwrites().len(), lost);
    assert_eq!(timeline.lost_updates(), lost as i64);

    let mut group = c.benchmark_group("fakedb/race_6_threads");
    group.bench_function("display", |b| {
        b.iter(|| {
            let table = black_box(&timeline).to_string();
            // A header and a row per statement.
            assert_eq!(table.lines().count(), 1 + timeline.events().len());
            table
        })
    });
    group.bench_function("to_svg", |b| {
        b.iter(|| {
            let svg = black_box(&timeline).to_svg();
            assert_eq!(svg.matches("<g class=\"overwrite\"").count(), lost);
            svg
        })
    });
    group.finish();
}

criterion_group!(benches, update, render);
criterion_main!(benches);
