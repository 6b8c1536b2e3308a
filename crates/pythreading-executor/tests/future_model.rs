//! proptest model test of the future state machine: random sequences of
//! submits, gate openings, cancels, zero-timeout waits, state queries and
//! done callbacks, ended by a shutdown with or without `cancel_futures`,
//! agree with a small model of Python's futures:
//!
//! - Pending → Running → Finished, or Pending → Cancelled; nothing else;
//! - `cancel` succeeds only while pending (and again once cancelled);
//! - every done callback runs exactly once: when the future becomes done,
//!   or at once when added to a done one.
//!
//! It is deterministic: one worker runs the tasks in submission order, and
//! each task blocks on a gate of its own until the test opens it. After
//! every operation the model says where each task must settle (the worker
//! runs on through open gates and stops at the first closed one), and the
//! test waits — bounded — until the pool is there too before comparing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::PATIENCE;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use pythreading_executor::{ExecutorError, Future, FutureState, TaskError, ThreadPoolExecutor};
use pythreading_sync::Event;

/// At most this many tasks per case.
const MAX_TASKS: usize = 8;
/// How long a settled state may take to show before the case fails.
const SETTLE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
enum Op {
    Submit,
    /// Operations on task `index % tasks`.
    Open(usize),
    Cancel(usize),
    WaitZero(usize),
    State(usize),
    AddCallback(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Submit),
        3 => any::<usize>().prop_map(Op::Open),
        3 => any::<usize>().prop_map(Op::Cancel),
        1 => any::<usize>().prop_map(Op::WaitZero),
        2 => any::<usize>().prop_map(Op::State),
        3 => any::<usize>().prop_map(Op::AddCallback),
    ]
}

/// One task as the model sees it.
#[derive(Debug, Clone)]
struct ModelTask {
    state: FutureState,
    gate_open: bool,
    /// Callbacks that must have run by now.
    callbacks_run: usize,
    /// Callbacks added and not run yet.
    callbacks_waiting: usize,
}

impl ModelTask {
    fn done(&self) -> bool {
        matches!(self.state, FutureState::Cancelled | FutureState::Finished)
    }

    /// Becomes done: its waiting callbacks run.
    fn complete(&mut self, state: FutureState) {
        self.state = state;
        self.callbacks_run += std::mem::take(&mut self.callbacks_waiting);
    }
}

/// The single worker: runs the tasks in order through open gates, and holds
/// the first one whose gate is closed.
fn settle(model: &mut [ModelTask]) {
    for task in model.iter_mut() {
        if task.done() {
            continue;
        }
        if task.gate_open {
            task.complete(FutureState::Finished);
        } else {
            task.state = FutureState::Running;
            return;
        }
    }
}

/// One task as the test holds it.
struct RealTask {
    future: Future<usize>,
    gate: Arc<Event>,
    callbacks_run: Arc<AtomicUsize>,
}

fn submit(pool: &ThreadPoolExecutor, index: usize) -> RealTask {
    let gate = Arc::new(Event::new());
    let held = Arc::clone(&gate);
    let future = pool
        .submit(move || {
            held.wait_timeout(PATIENCE);
            index
        })
        .expect("the pool is not shut down yet");
    RealTask {
        future,
        gate,
        callbacks_run: Arc::new(AtomicUsize::new(0)),
    }
}

fn add_callback(task: &RealTask) {
    let count = Arc::clone(&task.callbacks_run);
    task.future.add_done_callback(move || {
        count.fetch_add(1, Ordering::SeqCst);
    });
}

/// Waits (bounded) until every task is in its modelled state and has run
/// at least its modelled callbacks, then checks the counts exactly (a
/// callback run twice shows as one too many).
fn wait_settled(real: &[RealTask], model: &[ModelTask]) -> Result<(), TestCaseError> {
    let deadline = Instant::now() + SETTLE;
    let mut polls = 0u32;
    loop {
        let there = real.iter().zip(model).all(|(real, model)| {
            real.future.state() == model.state
                && real.callbacks_run.load(Ordering::SeqCst) >= model.callbacks_run
        });
        if there {
            break;
        }
        if Instant::now() >= deadline {
            let states: Vec<_> = real
                .iter()
                .map(|t| (t.future.state(), t.callbacks_run.load(Ordering::SeqCst)))
                .collect();
            let expected: Vec<_> = model.iter().map(|t| (t.state, t.callbacks_run)).collect();
            return Err(TestCaseError::fail(format!(
                "the pool did not settle in {SETTLE:?}: (state, callbacks run) \
                 {states:?}, model {expected:?}"
            )));
        }
        polls += 1;
        if polls < 200 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    for (index, (real, model)) in real.iter().zip(model).enumerate() {
        check_task(index, real, model)?;
    }
    Ok(())
}

/// Every query of one future agrees with the model, now.
fn check_task(index: usize, real: &RealTask, model: &ModelTask) -> Result<(), TestCaseError> {
    let future = &real.future;
    prop_assert_eq!(future.state(), model.state, "task {}", index);
    prop_assert_eq!(future.done(), model.done(), "task {} done()", index);
    prop_assert_eq!(
        future.running(),
        model.state == FutureState::Running,
        "task {} running()",
        index
    );
    prop_assert_eq!(
        future.cancelled(),
        model.state == FutureState::Cancelled,
        "task {} cancelled()",
        index
    );
    prop_assert_eq!(
        real.callbacks_run.load(Ordering::SeqCst),
        model.callbacks_run,
        "task {} callbacks run",
        index
    );
    Ok(())
}

/// Opens every gate when dropped: declared after the pool, so that a case
/// that fails early does not leave the pool's drop waiting for a held task.
#[derive(Default)]
struct Gates(Vec<Arc<Event>>);

impl Drop for Gates {
    fn drop(&mut self) {
        for gate in &self.0 {
            gate.set();
        }
    }
}

fn run_case(ops: Vec<Op>, cancel_futures: bool) -> Result<(), TestCaseError> {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let mut gates = Gates::default();
    let mut real: Vec<RealTask> = Vec::new();
    let mut model: Vec<ModelTask> = Vec::new();

    for op in ops {
        let count = real.len();
        match op {
            Op::Submit => {
                if count == MAX_TASKS {
                    continue;
                }
                let task = submit(&pool, count);
                gates.0.push(Arc::clone(&task.gate));
                real.push(task);
                model.push(ModelTask {
                    state: FutureState::Pending,
                    gate_open: false,
                    callbacks_run: 0,
                    callbacks_waiting: 0,
                });
            }
            _ if count == 0 => continue,
            Op::Open(i) => {
                let i = i % count;
                real[i].gate.set();
                model[i].gate_open = true;
            }
            Op::Cancel(i) => {
                let i = i % count;
                let expected = match model[i].state {
                    FutureState::Pending => {
                        model[i].complete(FutureState::Cancelled);
                        true
                    }
                    FutureState::Cancelled => true,
                    FutureState::Running | FutureState::Finished => false,
                };
                let cancelled = real[i].future.cancel();
                prop_assert_eq!(cancelled, expected, "cancel() of task {}", i);
                // A successful cancel ran the callbacks before it returned.
                check_task(i, &real[i], &model[i])?;
            }
            Op::WaitZero(i) => {
                let i = i % count;
                let done = real[i].future.wait_timeout(Duration::ZERO);
                prop_assert_eq!(done, model[i].done(), "wait_timeout(0) of task {}", i);
            }
            Op::State(i) => {
                let i = i % count;
                check_task(i, &real[i], &model[i])?;
            }
            Op::AddCallback(i) => {
                let i = i % count;
                add_callback(&real[i]);
                if model[i].done() {
                    // Run at once, on this thread, before add returned.
                    model[i].callbacks_run += 1;
                    check_task(i, &real[i], &model[i])?;
                } else {
                    model[i].callbacks_waiting += 1;
                }
            }
        }
        settle(&mut model);
        wait_settled(&real, &model)?;
    }

    // The end: shut down without waiting. With cancel_futures every pending
    // task is cancelled (its callbacks run) before shutdown returns; the
    // running one is left alone.
    pool.shutdown(false, cancel_futures);
    if cancel_futures {
        for task in model
            .iter_mut()
            .filter(|task| task.state == FutureState::Pending)
        {
            task.complete(FutureState::Cancelled);
        }
        for (index, (real, model)) in real.iter().zip(&model).enumerate() {
            if model.state == FutureState::Cancelled {
                check_task(index, real, model)?;
            }
        }
    }
    prop_assert!(matches!(pool.submit(|| 0), Err(ExecutorError::ShutDown)));
    // Every gate opens: the worker runs what is left.
    for (real, model) in real.iter().zip(model.iter_mut()) {
        real.gate.set();
        model.gate_open = true;
    }
    settle(&mut model);
    wait_settled(&real, &model)?;
    prop_assert!(model.iter().all(ModelTask::done));
    for (index, (task, model)) in real.into_iter().zip(&model).enumerate() {
        let expected = match model.state {
            FutureState::Finished => Ok(index),
            _ => Err(TaskError::Cancelled),
        };
        prop_assert_eq!(task.future.result(), expected, "result of task {}", index);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn futures_follow_pythons_state_machine(
        ops in prop::collection::vec(op(), 0..40),
        cancel_futures in any::<bool>(),
    ) {
        run_case(ops, cancel_futures)?;
    }
}

#[test]
fn the_model_settles_like_a_single_worker() {
    let task = |state, gate_open| ModelTask {
        state,
        gate_open,
        callbacks_run: 0,
        callbacks_waiting: usize::from(state != FutureState::Cancelled),
    };
    let mut model = vec![
        task(FutureState::Running, true),
        task(FutureState::Cancelled, false),
        task(FutureState::Pending, true),
        task(FutureState::Pending, false),
        task(FutureState::Pending, true),
    ];
    settle(&mut model);
    let states: Vec<_> = model.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [
            FutureState::Finished,
            FutureState::Cancelled,
            FutureState::Finished,
            FutureState::Running,
            FutureState::Pending
        ]
    );
    let run: Vec<_> = model.iter().map(|t| t.callbacks_run).collect();
    assert_eq!(run, [1, 0, 1, 0, 0]);
}
