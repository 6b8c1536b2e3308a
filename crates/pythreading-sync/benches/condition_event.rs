//! What `Condition` and `Event` cost: the calls that find nothing to wait
//! for, and a two-thread hand-off through a `Condition`. Our own API only;
//! comparisons with other crates live in the workspace's `bench/` suite.
//!
//! ```text
//! cargo bench -p pythreading-sync --bench condition_event
//! cargo bench -p pythreading-sync --bench condition_event -- --warm-up-time 0.3 --measurement-time 0.7 --sample-size 10
//! ```
//!
//! - `sync/condition/notify_no_waiter`: take the condition's lock and
//!   `notify(1)` with nobody waiting.
//! - `sync/condition/ping_pong_2_threads`: two threads take turns, each
//!   waiting (`wait_for`) until the shared turn counter says it is its turn,
//!   then moving it on and notifying; the time is per round (one turn each,
//!   so two wake-ups). The counter's final value is checked.
//! - `sync/event/is_set`, `set_clear`, `wait_already_set`: the flag alone,
//!   no thread ever waits.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pythreading_sync::{Condition, Event};

/// Takes the turns `first, first + 2, …` below `end`: waits for the turn,
/// then passes it on and notifies the other thread.
fn take_turns(cond: &Condition, turn: &AtomicU64, first: u64, end: u64) {
    for mine in (first..end).step_by(2) {
        let _held = cond.guard();
        let ready = cond
            .wait_for(|| turn.load(Ordering::Relaxed) == mine, None)
            .expect("the lock is held");
        assert!(ready, "an untimed wait_for returned early");
        turn.store(mine + 1, Ordering::Relaxed);
        cond.notify(1).expect("the lock is held");
    }
}

/// Time for `iters` rounds between this thread (even turns) and a helper
/// (odd turns), after one untimed round so that both are running.
fn ping_pong(iters: u64) -> Duration {
    let cond = Arc::new(Condition::new());
    // Changed only under the condition's lock; atomic only to be shared.
    let turn = Arc::new(AtomicU64::new(0));
    let end = 2 * (iters + 1);
    let helper = {
        let (cond, turn) = (Arc::clone(&cond), Arc::clone(&turn));
        thread::spawn(move || take_turns(&cond, &turn, 1, end))
    };
    take_turns(&cond, &turn, 0, 2); // both threads are running from here on
    let start = Instant::now();
    take_turns(&cond, &turn, 2, end);
    {
        let _held = cond.guard();
        cond.wait_for(|| turn.load(Ordering::Relaxed) == end, None)
            .expect("the lock is held");
    }
    let elapsed = start.elapsed();
    helper.join().expect("helper thread");
    assert_eq!(turn.load(Ordering::Relaxed), end, "a turn was lost");
    elapsed
}

fn condition(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/condition");

    let cond = Condition::new();
    group.bench_function("notify_no_waiter", |b| {
        b.iter(|| {
            let _held = cond.guard();
            cond.notify(1).expect("the lock is held");
        })
    });
    assert!(!cond.is_owned(), "the condition's lock was left held");
    assert_eq!(cond.waiting(), 0);

    group.bench_function("ping_pong_2_threads", |b| b.iter_custom(ping_pong));
    group.finish();
}

fn event(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync/event");

    let set = Event::new();
    set.set();
    group.bench_function("is_set", |b| b.iter(|| assert!(black_box(&set).is_set())));

    let flag = Event::new();
    group.bench_function("set_clear", |b| {
        b.iter(|| {
            flag.set();
            flag.clear();
        })
    });
    assert!(!flag.is_set(), "clear() left the flag set");

    group.bench_function("wait_already_set", |b| b.iter(|| black_box(&set).wait()));
    assert!(set.is_set());
    group.finish();
}

criterion_group!(benches, condition, event);
criterion_main!(benches);
