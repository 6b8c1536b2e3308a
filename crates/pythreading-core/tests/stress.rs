//! Bounded stress: several threads start, inspect and join many pythreading
//! threads at once. Every thread runs exactly once, idents are unique, the
//! registry ends as it began, and nothing hangs (every join is bounded).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pythreading_core::{Thread, active_count, current_thread, enumerate};

const STARTERS: usize = 4;
const PER_STARTER: usize = 100;
const BOUND: Duration = Duration::from_secs(120);

#[test]
fn many_threads_started_and_joined_concurrently() {
    // Creating a Thread asks whether this (foreign) thread is a daemon, which
    // registers it as a dummy: do that before counting.
    let _ = current_thread();
    let baseline = active_count();
    let runs = Arc::new(AtomicUsize::new(0));
    let starters: Vec<Thread<Vec<u64>>> = (0..STARTERS)
        .map(|s| {
            let runs = Arc::clone(&runs);
            Thread::builder()
                .name(format!("starter-{s}"))
                .build(move || {
                    let mut idents = Vec::new();
                    let batch: Vec<Thread<u64>> = (0..PER_STARTER)
                        .map(|i| {
                            let runs = Arc::clone(&runs);
                            let t = Thread::new(move || {
                                runs.fetch_add(1, Ordering::Relaxed);
                                if i % 7 == 0 {
                                    panic!("planned panic {i}");
                                }
                                current_thread()
                                    .ident()
                                    .expect("a running thread has an ident")
                            });
                            t.start().expect("start");
                            t
                        })
                        .collect();
                    for t in batch {
                        assert!(t.join_timeout(BOUND).expect("join"), "a thread hung");
                        let ident = t.ident().expect("started");
                        assert!(!enumerate().contains(&t.handle()));
                        match t.into_result() {
                            Ok(seen) => assert_eq!(seen, ident),
                            Err(pythreading_core::ThreadError::Panicked(m)) => {
                                assert!(m.starts_with("planned panic"))
                            }
                            Err(other) => panic!("unexpected {other:?}"),
                        }
                        idents.push(ident);
                    }
                    idents
                })
        })
        .collect();
    // Quiet the planned panics.
    pythreading_core::set_excepthook(|_| ());
    for s in &starters {
        s.start().unwrap();
    }
    let mut all = HashSet::new();
    for s in starters {
        assert!(s.join_timeout(BOUND).unwrap(), "a starter hung");
        for ident in s.into_result().unwrap() {
            assert!(all.insert(ident), "ident {ident} used twice");
        }
    }
    pythreading_core::reset_excepthook();
    assert_eq!(all.len(), STARTERS * PER_STARTER);
    assert_eq!(runs.load(Ordering::Relaxed), STARTERS * PER_STARTER);
    assert_eq!(active_count(), baseline);
}
