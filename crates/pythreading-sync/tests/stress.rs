//! Stress tests bounded in size and time: many threads hammer the
//! primitives and the invariants must hold at the end. Every join is
//! bounded, so a lost wake-up fails the test instead of hanging it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self};
use std::time::Duration;

use pythreading_sync::{Condition, Event, Lock, RLock, Semaphore};

mod common;
use common::join_all;

const PATIENCE: Duration = Duration::from_secs(60);

#[test]
fn lock_every_acquire_form_excludes() {
    let lock = Arc::new(Lock::new());
    let counter = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let handles = (0..6)
        .map(|i| {
            let (lock, counter, done) =
                (Arc::clone(&lock), Arc::clone(&counter), Arc::clone(&done));
            thread::spawn(move || {
                for _ in 0..5_000 {
                    let got = match i % 3 {
                        0 => {
                            lock.acquire();
                            true
                        }
                        1 => lock.try_acquire(),
                        _ => lock.acquire_timeout(Duration::from_micros(50)),
                    };
                    if got {
                        let v = counter.load(Ordering::Relaxed);
                        counter.store(v + 1, Ordering::Relaxed);
                        done.fetch_add(1, Ordering::Relaxed);
                        lock.release().unwrap();
                    }
                }
            })
        })
        .collect();
    join_all(handles);
    assert_eq!(
        counter.load(Ordering::Relaxed),
        done.load(Ordering::Relaxed)
    );
    assert!(!lock.locked());
}

#[test]
fn rlock_nested_levels_under_contention() {
    let lock = Arc::new(RLock::new());
    let counter = Arc::new(AtomicUsize::new(0));
    let handles = (0..4)
        .map(|_| {
            let (lock, counter) = (Arc::clone(&lock), Arc::clone(&counter));
            thread::spawn(move || {
                for depth in 0..3_000usize {
                    let levels = 1 + depth % 3;
                    for _ in 0..levels {
                        lock.acquire();
                    }
                    let v = counter.load(Ordering::Relaxed);
                    counter.store(v + 1, Ordering::Relaxed);
                    for _ in 0..levels {
                        lock.release().unwrap();
                    }
                }
            })
        })
        .collect();
    join_all(handles);
    assert_eq!(counter.load(Ordering::Relaxed), 12_000);
    assert!(!lock.locked());
}

/// A bounded buffer built on Condition: every item is received exactly once.
#[test]
fn condition_bounded_buffer_loses_nothing() {
    struct Buffer {
        cond: Condition,
        items: parking_lot::Mutex<VecDeque<usize>>,
    }
    const PER_PRODUCER: usize = 3_000;
    const PRODUCERS: usize = 3;
    let buffer = Arc::new(Buffer {
        cond: Condition::new(),
        items: parking_lot::Mutex::new(VecDeque::new()),
    });
    let received = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for p in 0..PRODUCERS {
        let buffer = Arc::clone(&buffer);
        handles.push(thread::spawn(move || {
            for i in 0..PER_PRODUCER {
                let _g = buffer.cond.guard();
                buffer
                    .cond
                    .wait_for(|| buffer.items.lock().len() < 4, Some(PATIENCE))
                    .unwrap();
                buffer.items.lock().push_back(p * PER_PRODUCER + i);
                buffer.cond.notify(1).unwrap();
            }
        }));
    }
    for _ in 0..3 {
        let (buffer, received) = (Arc::clone(&buffer), Arc::clone(&received));
        handles.push(thread::spawn(move || {
            loop {
                let _g = buffer.cond.guard();
                let ready = buffer
                    .cond
                    .wait_for(
                        || {
                            !buffer.items.lock().is_empty()
                                || received.lock().len() >= PRODUCERS * PER_PRODUCER
                        },
                        Some(Duration::from_millis(100)),
                    )
                    .unwrap();
                if let Some(item) = buffer.items.lock().pop_front() {
                    received.lock().push(item);
                    buffer.cond.notify_all().unwrap();
                } else if ready {
                    return;
                }
            }
        }));
    }
    join_all(handles);
    let mut got = received.lock().clone();
    got.sort_unstable();
    assert_eq!(got, (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>());
}

#[test]
fn semaphore_handoff_between_threads() {
    let sem = Arc::new(Semaphore::new(0));
    let taken = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (sem, taken) = (Arc::clone(&sem), Arc::clone(&taken));
            thread::spawn(move || {
                while sem.acquire_timeout(Duration::from_millis(500)) {
                    taken.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..3)
        .map(|_| {
            let sem = Arc::clone(&sem);
            thread::spawn(move || {
                for i in 0..4_000 {
                    if i % 4 == 0 {
                        sem.release_n(2);
                    } else {
                        sem.release();
                    }
                }
            })
        })
        .collect();
    join_all(producers);
    join_all(consumers);
    let released = 3 * (1_000 * 2 + 3_000);
    assert_eq!(taken.load(Ordering::SeqCst) + sem.value(), released);
    assert_eq!(sem.value(), 0);
}

#[test]
fn event_ping_pong() {
    let ping = Arc::new(Event::new());
    let pong = Arc::new(Event::new());
    let other = {
        let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
        thread::spawn(move || {
            for _ in 0..2_000 {
                assert!(ping.wait_timeout(PATIENCE));
                ping.clear();
                pong.set();
            }
        })
    };
    for _ in 0..2_000 {
        ping.set();
        assert!(pong.wait_timeout(PATIENCE));
        pong.clear();
    }
    join_all(vec![other]);
}
