//! What a `Timer` handle shares with the schedule: the timer's state, and
//! the two things done to it from elsewhere, firing (by a runner) and
//! waiting for it to finish (by `join`).

use std::time::{Duration, Instant};

use pythreading_core::wait::{self, Deadline, Key as WaitKey, Wake};

use pythreading_core::{ShutdownBlocker, ThreadError, catch_panic, excepthook};

use crate::sys::Mutex;

type Callback = Box<dyn FnOnce() + Send + 'static>;

/// What a timer handle shares with the schedule.
pub(super) struct Inner {
    pub(super) interval: Duration,
    /// Joiners park on its address until the timer finishes.
    pub(super) state: Mutex<State>,
}

pub(super) struct State {
    pub(super) phase: Phase,
    /// Until it is called or cancelled.
    pub(super) callback: Option<Callback>,
    pub(super) daemon: bool,
    /// A non-daemon timer's hold on `shutdown()`, from start to finish.
    pub(super) blocker: Option<ShutdownBlocker>,
    /// Threads blocked in `join`.
    pub(super) joiners: usize,
}

/// Initial → Pending → Running → Fired, or Initial/Pending → Cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Not started; `cancelled` if `cancel()` came first (start then
    /// finishes at once, as in Python).
    Initial { cancelled: bool },
    /// Started, waiting for its deadline. `key` is its place in the
    /// schedule; `None` when the deadline is beyond what `Instant` can
    /// hold (it never fires, but can be cancelled).
    Pending { key: Option<Key> },
    /// The callback runs on the thread with this ident.
    Running { thread: u64 },
    /// The callback was called and has returned (or panicked).
    Fired,
    /// Cancelled before its callback was called.
    Cancelled,
}

/// A timer's place in the schedule: deadline, then order of start.
pub(super) type Key = (Instant, u64);

impl Inner {
    pub(super) fn new(interval: Duration, callback: Callback, daemon: bool) -> Self {
        Self {
            interval,
            state: Mutex::new(State {
                phase: Phase::Initial { cancelled: false },
                callback: Some(callback),
                daemon,
                blocker: None,
                joiners: 0,
            }),
        }
    }

    /// Called by the thread `me` once the timer is due: calls the callback
    /// unless `cancel` came first. Panics are reported, not propagated.
    pub(super) fn fire(&self, me: u64) {
        let (callback, blocker) = {
            let mut state = self.state.lock();
            if !matches!(state.phase, Phase::Pending { .. }) {
                return; // cancelled meanwhile
            }
            state.phase = Phase::Running { thread: me };
            (state.callback.take(), state.blocker.take())
        };
        {
            // A shutdown() called by the callback does not wait for it.
            let _doing = blocker.as_ref().map(ShutdownBlocker::enter);
            if let Some(Err(panic)) = callback.map(catch_panic) {
                excepthook(&panic);
            }
        }
        self.state.lock().phase = Phase::Fired;
        self.finished();
        // After the phase change: once shutdown() returns, is_alive() is false.
        drop(blocker);
    }

    /// `join` for the thread `me`: `Ok(true)` once finished, `Ok(false)` at
    /// `deadline`, [`ThreadError::Cancelled`] once the calling thread's
    /// cancellation token is cancelled while it waits (a joiner that leaves
    /// so counts itself out of `joiners`, as a timed-out one does).
    pub(super) fn wait(&self, deadline: Deadline, me: u64) -> Result<bool, ThreadError> {
        let mut state = self.state.lock();
        loop {
            match state.phase {
                Phase::Initial { .. } => return Err(ThreadError::NotStarted),
                Phase::Running { thread } if thread == me => return Err(ThreadError::JoinSelf),
                Phase::Fired | Phase::Cancelled => return Ok(true),
                Phase::Pending { .. } | Phase::Running { .. } => {}
            }
            state.joiners += 1;
            let wake = wait::park_releasing_cancellable(self.joiners_key(), state, deadline);
            state = self.state.lock();
            state.joiners -= 1;
            let finished = matches!(state.phase, Phase::Fired | Phase::Cancelled);
            match wake {
                Wake::TimedOut => return Ok(finished),
                // Finished meanwhile: the join succeeded all the same.
                Wake::Cancelled if !finished => return Err(ThreadError::Cancelled),
                Wake::Cancelled | Wake::Notified | Wake::Invalid => {}
            }
        }
    }

    /// Wakes every joiner once the timer is finished (the phase changed,
    /// the state's lock released).
    pub(super) fn finished(&self) {
        wait::unpark_all(self.joiners_key());
    }

    fn joiners_key(&self) -> WaitKey {
        WaitKey::of(&self.state)
    }
}
