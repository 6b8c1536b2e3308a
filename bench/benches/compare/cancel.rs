//! Cancellation: how soon a blocked call returns once its token is
//! cancelled, and how soon a task group stops once one task failed. No
//! peer can stop a blocked call or a running task at all (Python, rayon,
//! threadpool), so pythreading runs alone, with a plain wake-up beside it
//! for scale.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use pythreading::futures::ThreadPoolExecutor;
use pythreading::queue::{GetError, Queue};
use pythreading::{CancellationToken, Cancelled, Event, current_token, sleep};

use crate::harness::Suite;

/// Runs every workload of this module the suite wants.
pub(crate) fn run(suite: &mut Suite) {
    if suite.wants("cancel_latency") {
        latency(suite);
    }
    if suite.wants("group_stop") {
        group_stop(suite);
    }
}

/// Waits until a thread is parked under `token` (the call is blocked).
fn parked(token: &CancellationToken) {
    let start = Instant::now();
    while token.parked() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the blocked call never parked"
        );
        thread::yield_now();
    }
}

/// One blocked call: `block` starts it on a thread of its own under a
/// fresh token (returning once it is parked) and `cancel` ends it; the
/// time from just before `cancel` to the call's return, as its thread
/// measured it.
type Blocked<'a> = (&'static str, &'static str, Box<dyn Fn() -> f64 + 'a>);

/// From `cancel()` to a blocked call returning `Cancelled`: p50 and p99,
/// for a `Queue::get`, an `Event::wait_cancellable` and a running task's
/// `sleep` (through `Future::interrupt`); and, for scale, an `Event::set`
/// waking a plain `wait` (a notify, not a cancel).
fn latency(suite: &mut Suite) {
    let per_contender: usize = suite.size.pick(2_000, 400, 10);
    let rounds = suite.size.pick(10, 4, 1);
    let pool = ThreadPoolExecutor::new(1).expect("a pool");

    let contenders: Vec<Blocked<'_>> = vec![
        (
            "pythreading",
            "`Queue::get` cancelled",
            Box::new(|| {
                let queue = Arc::new(Queue::<u64>::new(0));
                let token = CancellationToken::new();
                let getter = {
                    let (queue, token) = (Arc::clone(&queue), token.clone());
                    thread::spawn(move || {
                        let got = token.run(|| queue.get());
                        (Instant::now(), got)
                    })
                };
                parked(&token);
                let start = Instant::now();
                token.cancel();
                let (end, got) = getter.join().expect("getter ran");
                assert_eq!(got, Err(GetError::Cancelled));
                assert_eq!(queue.qsize(), 0);
                (end - start).as_secs_f64()
            }),
        ),
        (
            "pythreading/event",
            "`Event::wait_cancellable` cancelled",
            Box::new(|| {
                let event = Arc::new(Event::new());
                let token = CancellationToken::new();
                let waiter = {
                    let (event, token) = (Arc::clone(&event), token.clone());
                    thread::spawn(move || {
                        let waited = token.run(|| event.wait_cancellable(None));
                        (Instant::now(), waited)
                    })
                };
                parked(&token);
                let start = Instant::now();
                token.cancel();
                let (end, waited) = waiter.join().expect("waiter ran");
                assert_eq!(waited, Err(Cancelled));
                (end - start).as_secs_f64()
            }),
        ),
        (
            "pythreading/sleep",
            "a running task's `sleep`, `Future::interrupt`",
            Box::new(|| {
                let (tokens, started) = mpsc::channel();
                let task = pool
                    .submit(move || {
                        tokens
                            .send(current_token().expect("a task has a token"))
                            .expect("receiver alive");
                        let slept = sleep(Duration::MAX);
                        (Instant::now(), slept)
                    })
                    .expect("pool running");
                parked(&started.recv().expect("task started"));
                let start = Instant::now();
                assert!(task.interrupt());
                let (end, slept) = task.result().expect("task ran");
                assert_eq!(slept, Err(Cancelled));
                (end - start).as_secs_f64()
            }),
        ),
        (
            "pythreading/wake",
            "for scale: `Event::set` waking a plain `wait`",
            Box::new(|| {
                let event = Arc::new(Event::new());
                let waiter = {
                    let event = Arc::clone(&event);
                    thread::spawn(move || {
                        event.wait();
                        Instant::now()
                    })
                };
                while event.waiting() == 0 {
                    thread::yield_now();
                }
                let start = Instant::now();
                event.set();
                let end = waiter.join().expect("waiter ran");
                (end - start).as_secs_f64()
            }),
        ),
    ];
    let mut times: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(rounds); contenders.len()];
    for (_, _, once) in &contenders {
        for _ in 0..(per_contender / 20).max(1) {
            std::hint::black_box(once());
        }
    }
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let once = &contenders[i].2;
            let round_times = (0..per_contender.div_ceil(rounds))
                .map(|_| once())
                .collect();
            times[i].push(round_times);
        }
    }
    for ((id, label, _), times) in contenders.iter().zip(times) {
        suite.push_percentiles("cancel_latency", id, label, &times);
    }
    suite.report("cancel_latency", "p50");
    suite.report("cancel_latency", "p99");
}

/// Tasks in the group that block until cancelled, beside the one that fails.
const SIBLINGS: usize = 7;

/// A group of 8 tasks on 8 workers: 7 block in a cancellable `sleep`, the
/// 8th fails once they all sleep; the time from its failure (just before
/// it returns `Err`) until `join` has every outcome, the other 7 stopped.
fn group_stop(suite: &mut Suite) {
    let per_round: usize = suite.size.pick(200, 50, 3);
    let rounds = suite.size.pick(10, 4, 1);
    let pool = ThreadPoolExecutor::new(SIBLINGS + 1).expect("a pool");
    let once = || {
        let group = pool.group();
        let (tokens, started) = mpsc::channel();
        for _ in 0..SIBLINGS {
            let tokens = tokens.clone();
            group
                .submit_fallible(move || {
                    tokens
                        .send(current_token().expect("a task has a token"))
                        .expect("receiver alive");
                    sleep(Duration::MAX)
                })
                .expect("pool running");
        }
        let sleepers: Vec<CancellationToken> = (0..SIBLINGS)
            .map(|_| started.recv().expect("a sibling started"))
            .collect();
        let (failed_at, failed) = mpsc::channel();
        let go = Arc::new(Event::new());
        let fail = Arc::clone(&go);
        group
            .submit_fallible(move || {
                fail.wait();
                failed_at.send(Instant::now()).expect("receiver alive");
                Err(Cancelled)
            })
            .expect("pool running");
        for sleeper in &sleepers {
            parked(sleeper);
        }
        go.set();
        let results = group.join();
        let end = Instant::now();
        let start = failed.recv().expect("the failing task ran");
        assert_eq!(results.first_failure, Some(SIBLINGS));
        assert!(
            results.outcomes[..SIBLINGS]
                .iter()
                .all(|outcome| *outcome == Ok(Err(Cancelled)))
        );
        (end - start).as_secs_f64()
    };
    for _ in 0..(per_round / 10).max(1) {
        std::hint::black_box(once());
    }
    let times: Vec<Vec<f64>> = (0..rounds)
        .map(|_| (0..per_round).map(|_| once()).collect())
        .collect();
    suite.push_percentiles(
        "group_stop",
        "pythreading",
        "pythreading `TaskGroup`, 7 siblings stopped",
        &times,
    );
    suite.report("group_stop", "p50");
    suite.report("group_stop", "p99");
}
