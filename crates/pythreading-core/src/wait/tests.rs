//! The parking table's behaviour, and a proptest of random sequences of
//! parks, timed parks, notifies and changes of the validated state against
//! a model of a FIFO queue.

use super::table::Key;
use super::{Deadline, Wake, park, park_releasing, parked, unpark, unpark_all, unpark_one};
use proptest::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Generous: the machine running the tests may be slow and shared.
const PATIENCE: Duration = Duration::from_secs(30);

/// Waits until `key` has `n` parked threads (they are blocked, not merely
/// started), failing the test after [`PATIENCE`].
fn until_parked(key: Key, n: usize) {
    let start = Instant::now();
    while parked(key) != n {
        assert!(start.elapsed() < PATIENCE, "never saw {n} parked");
        thread::yield_now();
    }
}

/// A distinct key per test (the address of a leaked word).
fn fresh_key() -> Key {
    Key::of(Box::leak(Box::new(0u64)))
}

#[test]
fn invalid_does_not_park() {
    let key = fresh_key();
    let mut slept = false;
    let wake = park(key, || false, || slept = true, Deadline::NEVER);
    assert_eq!(wake, Wake::Invalid);
    assert!(!slept, "before_sleep runs only for a thread that parks");
    assert_eq!(parked(key), 0);
}

#[test]
fn a_deadline_ends_the_park_and_leaves_the_queue() {
    let key = fresh_key();
    let start = Instant::now();
    let wake = park(
        key,
        || true,
        || {},
        Deadline::after(Duration::from_millis(30)),
    );
    assert_eq!(wake, Wake::TimedOut);
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(parked(key), 0);
    assert!(!unpark_one(key), "a timed-out waiter is not woken later");
}

#[test]
fn a_passed_deadline_still_queues_and_returns_at_once() {
    let key = fresh_key();
    let wake = park(key, || true, || {}, Deadline::after(Duration::ZERO));
    assert_eq!(wake, Wake::TimedOut);
    assert_eq!(parked(key), 0);
}

#[test]
fn unpark_wakes_in_parking_order_and_only_its_key() {
    let key = fresh_key();
    let other = fresh_key();
    let (tx, rx) = mpsc::channel();
    let mut threads = Vec::new();
    for id in 0..4 {
        let tx = tx.clone();
        threads.push(thread::spawn(move || {
            let wake = park(key, || true, || {}, Deadline::after(PATIENCE));
            tx.send((id, wake)).unwrap();
        }));
        until_parked(key, id + 1);
    }
    let bystander = thread::spawn(move || park(other, || true, || {}, Deadline::after(PATIENCE)));
    until_parked(other, 1);

    assert!(unpark_one(key));
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), (0, Wake::Notified));
    assert_eq!(unpark(key, 2), 2);
    let mut next: Vec<_> = (0..2).map(|_| rx.recv_timeout(PATIENCE).unwrap()).collect();
    next.sort_by_key(|(id, _)| *id);
    assert_eq!(next, [(1, Wake::Notified), (2, Wake::Notified)]);
    assert_eq!(unpark_all(key), 1);
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), (3, Wake::Notified));
    assert_eq!(unpark_all(key), 0);
    assert_eq!(unpark(key, 0), 0);
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(parked(other), 1, "the other key's waiter was not woken");
    assert_eq!(unpark_all(other), 1);
    assert_eq!(bystander.join().unwrap(), Wake::Notified);
}

/// Keys that hash to one bucket share its queue but not their wake-ups.
#[test]
fn keys_of_one_bucket_keep_their_waiters_apart() {
    let words: Vec<&'static u64> = (0..400).map(|_| &*Box::leak(Box::new(0u64))).collect();
    let first = Key::of(words[0]);
    let same = words[1..]
        .iter()
        .map(|word| Key::of(*word))
        .find(|key| key.same_bucket(first))
        .expect("400 keys over 128 buckets share one");
    let a = thread::spawn(move || park(first, || true, || {}, Deadline::after(PATIENCE)));
    until_parked(first, 1);
    let b = thread::spawn(move || park(same, || true, || {}, Deadline::after(PATIENCE)));
    until_parked(same, 1);
    assert!(unpark_one(same));
    assert_eq!(b.join().unwrap(), Wake::Notified);
    assert_eq!(parked(first), 1);
    assert!(unpark_one(first));
    assert_eq!(a.join().unwrap(), Wake::Notified);
}

/// The condition-variable pattern: queued before the mutex is released, so
/// a notifier that changes the state under the mutex cannot miss it.
#[test]
fn park_releasing_never_loses_a_wakeup() {
    let state = Arc::new(Mutex::new(0u32));
    let key = Key::of(&*state);
    let rounds = 2_000;
    let consumer = {
        let state = Arc::clone(&state);
        thread::spawn(move || {
            for round in 1..=rounds {
                let mut guard = state.lock().unwrap();
                while *guard < round {
                    let _ = park_releasing(key, guard, Deadline::after(PATIENCE));
                    guard = state.lock().unwrap();
                }
            }
        })
    };
    for _ in 0..rounds {
        *state.lock().unwrap() += 1;
        unpark_all(key);
    }
    consumer.join().unwrap();
}

/// A `before_sleep` that panics leaves the queue: the next unpark of the
/// key is not spent on it, but reaches a real waiter.
#[test]
fn a_panicking_before_sleep_leaves_the_queue() {
    let key = fresh_key();
    let panicked = std::panic::catch_unwind(|| {
        let _ = park(
            key,
            || true,
            || std::panic::resume_unwind(Box::new("before_sleep failed")),
            Deadline::NEVER,
        );
    });
    assert!(panicked.is_err());
    assert_eq!(parked(key), 0);
    let waiter = thread::spawn(move || park(key, || true, || {}, Deadline::after(PATIENCE)));
    until_parked(key, 1);
    assert!(unpark_one(key));
    assert_eq!(waiter.join().unwrap(), Wake::Notified);
}

/// A wait from a thread-local destructor (the parker of the thread is gone
/// by then) still works.
#[test]
fn a_wait_in_a_thread_local_destructor() {
    struct WaitsOnDrop(Key);
    impl Drop for WaitsOnDrop {
        fn drop(&mut self) {
            let wake = park(
                self.0,
                || true,
                || {},
                Deadline::after(Duration::from_millis(5)),
            );
            assert_eq!(wake, Wake::TimedOut);
        }
    }
    thread_local! {
        static LATE: std::cell::RefCell<Option<WaitsOnDrop>> = const { std::cell::RefCell::new(None) };
    }
    let key = fresh_key();
    thread::spawn(move || {
        // The parker is made first, so it is destroyed last or first
        // depending on the platform: both are fine.
        let _ = park(key, || false, || {}, Deadline::NEVER);
        LATE.with(|late| *late.borrow_mut() = Some(WaitsOnDrop(key)));
    })
    .join()
    .unwrap();
}

#[derive(Debug, Clone)]
enum Op {
    /// A thread parks with no deadline (or one far away).
    Park { timed: bool },
    /// A thread parks with a short deadline, and times out before the next step.
    Expire { millis: u64 },
    /// Wake up to n waiters.
    Notify(usize),
    /// Wake every waiter.
    NotifyAll,
    /// Flip what `validate` sees: while closed, a park returns `Invalid`.
    Close(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<bool>().prop_map(|timed| Op::Park { timed }),
        1 => (0u64..15).prop_map(|millis| Op::Expire { millis }),
        3 => (0usize..4).prop_map(Op::Notify),
        1 => Just(Op::NotifyAll),
        1 => any::<bool>().prop_map(Op::Close),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The table behaves as a FIFO queue per key: a notify of n wakes the
    /// n longest-parked waiters, a timed-out waiter leaves the queue, a
    /// park whose validation fails does not join it.
    #[test]
    fn behaves_as_a_fifo_queue(ops in proptest::collection::vec(op(), 1..24)) {
        let key = fresh_key();
        let closed = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<(usize, Wake)>();
        let mut model: std::collections::VecDeque<usize> = Default::default();
        let mut threads = Vec::new();
        let mut next_id = 0;
        let mut spawn = |deadline: Deadline| {
            let id = next_id;
            next_id += 1;
            let tx = tx.clone();
            let closed = Arc::clone(&closed);
            threads.push(thread::spawn(move || {
                let wake = park(key, || !closed.load(Ordering::Relaxed), || {}, deadline);
                tx.send((id, wake)).unwrap();
            }));
            id
        };
        for op in ops {
            match op {
                Op::Park { timed } => {
                    let deadline = if timed { Deadline::after(PATIENCE) } else { Deadline::NEVER };
                    let id = spawn(deadline);
                    if closed.load(Ordering::Relaxed) {
                        prop_assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), (id, Wake::Invalid));
                    } else {
                        model.push_back(id);
                        until_parked(key, model.len());
                    }
                }
                Op::Expire { millis } => {
                    let id = spawn(Deadline::after(Duration::from_millis(millis)));
                    let expected = if closed.load(Ordering::Relaxed) { Wake::Invalid } else { Wake::TimedOut };
                    prop_assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), (id, expected));
                    prop_assert_eq!(parked(key), model.len());
                }
                Op::Notify(n) => {
                    let woken = unpark(key, n);
                    let expected: Vec<usize> = (0..n.min(model.len())).filter_map(|_| model.pop_front()).collect();
                    prop_assert_eq!(woken, expected.len());
                    let mut got: Vec<usize> = (0..woken).map(|_| {
                        let (id, wake) = rx.recv_timeout(PATIENCE).unwrap();
                        assert_eq!(wake, Wake::Notified);
                        id
                    }).collect();
                    got.sort_unstable();
                    prop_assert_eq!(got, expected);
                }
                Op::NotifyAll => {
                    let woken = unpark_all(key);
                    prop_assert_eq!(woken, model.len());
                    for _ in 0..woken {
                        prop_assert_eq!(rx.recv_timeout(PATIENCE).unwrap().1, Wake::Notified);
                    }
                    model.clear();
                }
                Op::Close(close) => closed.store(close, Ordering::Relaxed),
            }
            prop_assert_eq!(parked(key), model.len());
        }
        prop_assert_eq!(unpark_all(key), model.len());
        for thread in threads {
            thread.join().unwrap();
        }
    }
}
