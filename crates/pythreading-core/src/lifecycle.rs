//! The life of one thread as the other threads see it: not started, running,
//! finished; plus the OS thread id, published by the thread once it runs.
//!
//! This is the hand-off every `join` relies on, so it is small, has one wait
//! routine for all its public forms, and is model-checked with loom
//! (`loom_*` tests below, run by `cargo xtask ci`).

use crate::locks::Mutex;
use crate::wait::{self, Deadline, Key, Wake};

/// Where a thread is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Created, `start()` not called (or the OS refused to create it).
    Initial,
    /// `start()` succeeded and the target has not returned yet.
    Started,
    /// The target returned or panicked, and its result is stored.
    Finished,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    native_id: Option<u64>,
}

/// The lifecycle cell of one thread.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    /// Its waiters (joiners, readers of the native id) park on its address.
    state: Mutex<State>,
}

/// What waiting for the end of a thread found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitOutcome {
    /// The thread finished.
    Finished,
    /// The deadline passed first.
    TimedOut,
    /// The thread is not started (or its start failed while we waited).
    NotStarted,
    /// The waiting thread's current cancellation token was cancelled.
    Cancelled,
}

impl Lifecycle {
    /// A thread that is not started yet.
    pub(crate) fn new() -> Self {
        Self::with_phase(Phase::Initial, None)
    }

    /// A thread that already runs (the main thread, a foreign thread).
    pub(crate) fn running(native_id: u64) -> Self {
        Self::with_phase(Phase::Started, Some(native_id))
    }

    fn with_phase(phase: Phase, native_id: Option<u64>) -> Self {
        Self {
            state: Mutex::new(State { phase, native_id }),
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        self.state.lock().phase
    }

    /// `Initial -> Started`; `false` if the thread was started before.
    pub(crate) fn begin_start(&self) -> bool {
        let mut state = self.state.lock();
        if state.phase != Phase::Initial {
            return false;
        }
        state.phase = Phase::Started;
        true
    }

    /// Runs `change` if the thread is not started, holding the state so that
    /// `start()` waits for it; `false` (and `change` not run) otherwise.
    pub(crate) fn if_initial(&self, change: impl FnOnce()) -> bool {
        let state = self.state.lock();
        let initial = state.phase == Phase::Initial;
        if initial {
            change();
        }
        initial
    }

    /// Undoes `begin_start` when the OS could not create the thread, waking
    /// anyone who began to wait meanwhile.
    pub(crate) fn abort_start(&self) {
        let mut state = self.state.lock();
        state.phase = Phase::Initial;
        state.native_id = None;
        drop(state);
        self.changed();
    }

    /// Called by the thread itself once it runs.
    pub(crate) fn publish_native_id(&self, id: u64) {
        self.state.lock().native_id = Some(id);
        self.changed();
    }

    /// Called by the thread itself when its target is done and its result stored.
    pub(crate) fn finish(&self) {
        self.state.lock().phase = Phase::Finished;
        self.changed();
    }

    /// Wakes everyone waiting for a change (after it was made, and the
    /// state's lock released).
    fn changed(&self) {
        wait::unpark_all(self.key());
    }

    fn key(&self) -> Key {
        Key::of(&self.state)
    }

    /// The OS id without waiting: `None` until the thread published it.
    pub(crate) fn native_id_now(&self) -> Option<u64> {
        self.state.lock().native_id
    }

    /// The OS id of a started thread, waiting the short moment between
    /// `start()` and the thread's first instruction if needed. `None` if the
    /// thread is not started.
    pub(crate) fn native_id_wait(&self) -> Option<u64> {
        let mut state = self.state.lock();
        loop {
            match (state.native_id, state.phase) {
                (Some(id), _) => return Some(id),
                (None, Phase::Started) => {
                    let _ = wait::park_releasing(self.key(), state, Deadline::NEVER);
                    state = self.state.lock();
                }
                (None, _) => return None,
            }
        }
    }

    /// Waits until the thread finished, or until `deadline`, or until the
    /// waiting thread's current cancellation token is cancelled.
    pub(crate) fn wait_finished(&self, deadline: Deadline) -> WaitOutcome {
        let mut state = self.state.lock();
        loop {
            match state.phase {
                Phase::Finished => return WaitOutcome::Finished,
                Phase::Initial => return WaitOutcome::NotStarted,
                Phase::Started => {}
            }
            let wake = wait::park_releasing_cancellable(self.key(), state, deadline);
            state = self.state.lock();
            if wake == Wake::Cancelled && matches!(state.phase, Phase::Started) {
                return WaitOutcome::Cancelled;
            }
            if wake == Wake::TimedOut && matches!(state.phase, Phase::Started) {
                return WaitOutcome::TimedOut;
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn phases_move_forward_only_once() {
        let life = Lifecycle::new();
        assert_eq!(life.phase(), Phase::Initial);
        assert!(life.begin_start());
        assert!(!life.begin_start());
        assert_eq!(life.phase(), Phase::Started);
        life.finish();
        assert_eq!(life.phase(), Phase::Finished);
        assert!(!life.begin_start());
    }

    #[test]
    fn wait_on_unstarted_returns_not_started() {
        let life = Lifecycle::new();
        assert_eq!(life.wait_finished(Deadline::NEVER), WaitOutcome::NotStarted);
        assert_eq!(life.native_id_wait(), None);
    }

    #[test]
    fn timed_wait_times_out_then_sees_finish() {
        let life = Lifecycle::running(7);
        let deadline = Instant::now() + Duration::from_millis(20);
        assert_eq!(
            life.wait_finished(Deadline::at(deadline)),
            WaitOutcome::TimedOut
        );
        life.finish();
        assert_eq!(
            life.wait_finished(Deadline::at(deadline)),
            WaitOutcome::Finished
        );
        assert_eq!(life.native_id_wait(), Some(7));
    }

    #[test]
    fn abort_start_wakes_a_waiter() {
        let life = Arc::new(Lifecycle::new());
        assert!(life.begin_start());
        let waiter = {
            let life = Arc::clone(&life);
            std::thread::spawn(move || life.wait_finished(Deadline::NEVER))
        };
        std::thread::sleep(Duration::from_millis(20));
        life.abort_start();
        assert_eq!(waiter.join().unwrap(), WaitOutcome::NotStarted);
        assert_eq!(life.phase(), Phase::Initial);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;

    /// A joiner never misses the finish, whichever way the threads interleave.
    #[test]
    fn loom_join_sees_finish() {
        loom::model(|| {
            let life = Arc::new(Lifecycle::new());
            assert!(life.begin_start());
            let worker = {
                let life = Arc::clone(&life);
                loom::thread::spawn(move || {
                    life.publish_native_id(42);
                    life.finish();
                })
            };
            assert_eq!(life.wait_finished(Deadline::NEVER), WaitOutcome::Finished);
            assert_eq!(life.native_id_now(), Some(42));
            worker.join().unwrap();
        });
    }

    /// Two joiners both wake up; the id is seen once published.
    #[test]
    fn loom_two_joiners_and_native_id() {
        loom::model(|| {
            let life = Arc::new(Lifecycle::new());
            assert!(life.begin_start());
            let joiner = {
                let life = Arc::clone(&life);
                loom::thread::spawn(move || life.wait_finished(Deadline::NEVER))
            };
            let worker = {
                let life = Arc::clone(&life);
                loom::thread::spawn(move || {
                    life.publish_native_id(9);
                    life.finish();
                })
            };
            assert_eq!(life.native_id_wait(), Some(9));
            assert_eq!(life.wait_finished(Deadline::NEVER), WaitOutcome::Finished);
            assert_eq!(joiner.join().unwrap(), WaitOutcome::Finished);
            worker.join().unwrap();
        });
    }

    /// A failed start wakes a joiner, which then reports "not started".
    #[test]
    fn loom_abort_start_wakes_joiner() {
        loom::model(|| {
            let life = Arc::new(Lifecycle::new());
            assert!(life.begin_start());
            let joiner = {
                let life = Arc::clone(&life);
                loom::thread::spawn(move || life.wait_finished(Deadline::NEVER))
            };
            life.abort_start();
            assert_eq!(joiner.join().unwrap(), WaitOutcome::NotStarted);
        });
    }
}
