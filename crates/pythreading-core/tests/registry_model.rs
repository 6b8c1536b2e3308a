//! A proptest state-machine test of the thread registry: random sequences of
//! create / start / finish / join operations must keep `is_alive`, `ident`,
//! `enumerate()` and `active_count()` in agreement with a simple model, and
//! every misuse must return the error the model predicts.
//!
//! The registry is process-wide, so this file holds a single test: nothing
//! else in this binary starts threads while it counts.

use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use proptest::prelude::*;
use pythreading_core::{Thread, ThreadError, active_count, enumerate};

const MAX_THREADS: usize = 6;
const BOUND: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
enum Op {
    Create {
        daemon: bool,
    },
    Start(usize),
    /// Let the thread's target return, then join it.
    Finish(usize),
    /// Join with a short timeout: must time out on a running thread.
    PeekJoin(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<bool>().prop_map(|daemon| Op::Create { daemon }),
        3 => (0..MAX_THREADS).prop_map(Op::Start),
        3 => (0..MAX_THREADS).prop_map(Op::Finish),
        1 => (0..MAX_THREADS).prop_map(Op::PeekJoin),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Created,
    Running,
    Finished,
}

struct Real {
    thread: Thread<usize>,
    release: Option<Sender<()>>,
}

fn check(real: &[Real], model: &[Model], baseline: usize) -> Result<(), TestCaseError> {
    let alive = enumerate();
    for (i, (r, m)) in real.iter().zip(model).enumerate() {
        let running = *m == Model::Running;
        prop_assert_eq!(r.thread.is_alive(), running, "is_alive of #{}", i);
        prop_assert_eq!(
            alive.contains(&r.thread.handle()),
            running,
            "enumerate has #{}",
            i
        );
        prop_assert_eq!(
            r.thread.ident().is_some(),
            *m != Model::Created,
            "ident of #{}",
            i
        );
    }
    let running = model.iter().filter(|m| **m == Model::Running).count();
    prop_assert_eq!(active_count(), baseline + running);
    prop_assert_eq!(active_count(), enumerate().len());
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let baseline = active_count();
    let mut real: Vec<Real> = Vec::new();
    let mut model: Vec<Model> = Vec::new();
    let outcome = (|| {
        for op in ops {
            match op {
                Op::Create { daemon } => {
                    if real.len() == MAX_THREADS {
                        continue;
                    }
                    let (release, wait) = channel::<()>();
                    let index = real.len();
                    let thread = Thread::builder().daemon(daemon).build(move || {
                        // Released by Finish, or by the sender's drop at the end.
                        let _ = wait.recv();
                        index
                    });
                    prop_assert_eq!(thread.is_daemon(), daemon);
                    real.push(Real {
                        thread,
                        release: Some(release),
                    });
                    model.push(Model::Created);
                }
                Op::Start(i) if i < real.len() => {
                    let result = real[i].thread.start();
                    if model[i] == Model::Created {
                        prop_assert!(result.is_ok(), "{:?}", result);
                        model[i] = Model::Running;
                    } else {
                        prop_assert!(matches!(result, Err(ThreadError::AlreadyStarted)));
                    }
                }
                Op::Finish(i) if i < real.len() => {
                    if model[i] != Model::Created {
                        real[i].release.take();
                    }
                    let result = real[i].thread.join_timeout(BOUND);
                    if model[i] == Model::Created {
                        prop_assert!(matches!(result, Err(ThreadError::NotStarted)));
                    } else {
                        prop_assert!(matches!(result, Ok(true)), "{:?}", result);
                        model[i] = Model::Finished;
                    }
                }
                Op::PeekJoin(i) if i < real.len() => {
                    let result = real[i].thread.join_timeout(Duration::from_millis(1));
                    match model[i] {
                        Model::Created => {
                            prop_assert!(matches!(result, Err(ThreadError::NotStarted)));
                        }
                        Model::Running => prop_assert!(matches!(result, Ok(false))),
                        Model::Finished => prop_assert!(matches!(result, Ok(true))),
                    }
                }
                _ => {}
            }
            check(&real, &model, baseline)?;
        }
        Ok(())
    })();
    // Release and join everything so the next case starts from the baseline.
    for (i, r) in real.iter_mut().enumerate() {
        r.release.take();
        if model[i] != Model::Created {
            prop_assert!(r.thread.join_timeout(BOUND)?);
            prop_assert_eq!(r.thread.clone().into_result()?, i);
        }
    }
    outcome?;
    prop_assert_eq!(active_count(), baseline);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn registry_agrees_with_model(ops in prop::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}
