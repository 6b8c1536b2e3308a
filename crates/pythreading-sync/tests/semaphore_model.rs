//! proptest model tests for the semaphore counts: random sequences of
//! operations on `Semaphore` and `BoundedSemaphore` agree with a plain
//! integer model, alone and when the operations are spread over threads.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use pythreading_sync::{BoundedSemaphore, Semaphore, SyncError};

#[derive(Debug, Clone)]
enum Op {
    TryAcquire,
    AcquireTimeoutZero,
    Release(usize),
    TakeGuard,
    DropGuard,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::TryAcquire),
        1 => Just(Op::AcquireTimeoutZero),
        3 => (0usize..4).prop_map(Op::Release),
        2 => Just(Op::TakeGuard),
        2 => Just(Op::DropGuard),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// A plain semaphore: acquire succeeds iff the count is positive, every
    /// release adds, guards give back exactly one unit.
    #[test]
    fn semaphore_matches_model(initial in 0usize..5, ops in prop::collection::vec(op(), 0..60)) {
        let sem = Semaphore::new(initial);
        let mut model = initial;
        let mut guards = Vec::new();
        for op in ops {
            match op {
                Op::TryAcquire => {
                    prop_assert_eq!(sem.try_acquire(), model > 0);
                    model = model.saturating_sub(1);
                }
                Op::AcquireTimeoutZero => {
                    prop_assert_eq!(sem.acquire_timeout(Duration::ZERO), model > 0);
                    model = model.saturating_sub(1);
                }
                Op::Release(n) => {
                    sem.release_n(n);
                    model += n;
                }
                Op::TakeGuard => {
                    match sem.try_guard() {
                        Some(g) => {
                            prop_assert!(model > 0);
                            model -= 1;
                            guards.push(g);
                        }
                        None => prop_assert_eq!(model, 0),
                    }
                }
                Op::DropGuard => {
                    if guards.pop().is_some() {
                        model += 1;
                    }
                }
            }
            prop_assert_eq!(sem.value(), model);
        }
        let held = guards.len();
        drop(guards);
        prop_assert_eq!(sem.value(), model + held);
    }

    /// A bounded semaphore: the same, except that a release passing the
    /// initial value is `TooManyReleases` and changes nothing.
    #[test]
    fn bounded_semaphore_matches_model(initial in 0usize..5, ops in prop::collection::vec(op(), 0..60)) {
        let sem = BoundedSemaphore::new(initial);
        let mut model = initial;
        let mut guards = Vec::new();
        for op in ops {
            match op {
                Op::TryAcquire => {
                    prop_assert_eq!(sem.try_acquire(), model > 0);
                    model = model.saturating_sub(1);
                }
                Op::AcquireTimeoutZero => {
                    prop_assert_eq!(sem.acquire_timeout(Duration::ZERO), model > 0);
                    model = model.saturating_sub(1);
                }
                Op::Release(n) => {
                    let result = sem.release_n(n);
                    if model + n > initial {
                        prop_assert_eq!(result, Err(SyncError::TooManyReleases));
                    } else {
                        prop_assert_eq!(result, Ok(()));
                        model += n;
                    }
                }
                Op::TakeGuard => {
                    match sem.try_guard() {
                        Some(g) => {
                            model -= 1;
                            guards.push(g);
                        }
                        None => prop_assert_eq!(model, 0),
                    }
                }
                Op::DropGuard => {
                    // A guard gives its unit back unless the count is
                    // already at the bound (released by hand meanwhile).
                    if guards.pop().is_some() && model < initial {
                        model += 1;
                    }
                }
            }
            prop_assert_eq!(sem.value(), model);
            prop_assert!(sem.value() <= initial);
        }
    }

    /// Spread over threads: whatever the interleaving, the final count is
    /// the initial count plus releases minus successful acquires.
    #[test]
    fn concurrent_counts_balance(
        initial in 0usize..4,
        per_thread in prop::collection::vec(prop::collection::vec(op(), 0..40), 2..4),
    ) {
        let sem = Arc::new(Semaphore::new(initial));
        let handles: Vec<_> = per_thread
            .into_iter()
            .map(|ops| {
                let sem = Arc::clone(&sem);
                std::thread::spawn(move || {
                    let mut delta: isize = 0;
                    let mut guards = Vec::new();
                    for op in ops {
                        match op {
                            Op::TryAcquire => {
                                if sem.try_acquire() {
                                    delta -= 1;
                                }
                            }
                            Op::AcquireTimeoutZero => {
                                if sem.acquire_timeout(Duration::ZERO) {
                                    delta -= 1;
                                }
                            }
                            Op::Release(n) => {
                                sem.release_n(n);
                                delta += n as isize;
                            }
                            Op::TakeGuard => {
                                if let Some(g) = sem.try_guard() {
                                    guards.push(g);
                                }
                            }
                            Op::DropGuard => {
                                guards.pop();
                            }
                        }
                    }
                    delta
                })
            })
            .collect();
        let delta: isize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        prop_assert_eq!(sem.value() as isize, initial as isize + delta);
    }
}
