//! [`Barrier`]: Python's `threading.Barrier`.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wake};

use crate::error::SyncError;
use crate::sys::{Arc, AtomicU32, Mutex, MutexGuard, Ordering};

/// A meeting point for a fixed number of threads: Python's
/// `threading.Barrier`.
///
/// Each of `parties` threads calls [`wait`](Barrier::wait); none of them
/// returns until all have called it. Then all are released together and
/// the barrier is ready for the next round, so the same barrier can hold a
/// group of threads in step loop after loop. The typical use: worker threads
/// that first initialise (open a connection, load data) and must not start
/// working before every one of them is ready.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pythreading_sync::Barrier;
///
/// let initialised = AtomicUsize::new(0);
/// let barrier = Barrier::new(3)?;
/// std::thread::scope(|s| {
///     for _ in 0..3 {
///         s.spawn(|| {
///             initialised.fetch_add(1, Ordering::Relaxed); // set up…
///             barrier.wait().unwrap();                      // …wait for the others…
///             assert_eq!(initialised.load(Ordering::Relaxed), 3); // …all are ready
///         });
///     }
/// });
/// # Ok::<(), pythreading_sync::SyncError>(())
/// ```
///
/// `wait` returns an index, `0..parties`, distinct for each thread of a
/// round and given in order of arrival (the last thread to arrive gets
/// `parties - 1`), so that one thread can be picked for some one-off job.
/// An [action](Barrier::with_action) does that job without any picking: it
/// is run once per round, by the last thread to arrive, before any thread is
/// released.
///
/// # A broken barrier
///
/// When something goes wrong, waiting for the others would wait for ever.
/// Instead the barrier *breaks*: every thread waiting in it, and every thread
/// that calls `wait` afterwards, gets [`SyncError::BrokenBarrier`] (Python's
/// `BrokenBarrierError`) until [`reset`](Barrier::reset) makes it usable
/// again. A barrier breaks when
///
/// - a `wait` times out ([`wait_timeout`](Barrier::wait_timeout), or `wait`
///   with a default [timeout](Barrier::with_timeout)): the thread that gave
///   up and all the others get `BrokenBarrier`;
/// - a waiting thread's current
///   [`CancellationToken`](pythreading_core::CancellationToken) is
///   cancelled (see [Cancellation](#cancellation)): that thread gets
///   [`SyncError::Cancelled`], all the others `BrokenBarrier`;
/// - a thread calls [`abort`](Barrier::abort) (e.g. because it failed and
///   will never arrive);
/// - [`reset`](Barrier::reset) is called while threads wait: they get
///   `BrokenBarrier`, and the barrier starts afresh;
/// - the action panics: every waiting thread gets `BrokenBarrier`, and the
///   panic then continues in the thread that ran the action (its `wait`
///   does not return), as Python re-raises the action's exception there.
///
/// ```
/// use std::time::Duration;
/// use pythreading_sync::{Barrier, SyncError};
///
/// let barrier = Barrier::new(2)?;
/// // Nobody else comes: the wait times out and breaks the barrier…
/// assert_eq!(barrier.wait_timeout(Duration::from_millis(10)), Err(SyncError::BrokenBarrier));
/// assert!(barrier.broken());
/// // …so later waits fail at once, until a reset.
/// assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
/// barrier.reset();
/// assert!(!barrier.broken());
/// # Ok::<(), SyncError>(())
/// ```
///
/// # Cancellation
///
/// [`wait`](Barrier::wait) and [`wait_timeout`](Barrier::wait_timeout) obey
/// the calling thread's current
/// [`CancellationToken`](pythreading_core::CancellationToken). A thread
/// whose token is cancelled while it waits for the others leaves the round
/// as one that timed out does, with [`SyncError::Cancelled`] instead of
/// `BrokenBarrier`: the round cannot fill any more, so it breaks, and the
/// other threads of the round, and those that come later until a
/// [`reset`](Barrier::reset), get `BrokenBarrier` rather than waiting for
/// a party that has left. A round that passed (or broke) just as the token
/// was cancelled gives its outcome, as it does to a thread whose time ran
/// out. A thread that arrives for the next round while the full one runs
/// its action, and is cancelled there, spares the full round, as a timeout
/// does: the next round starts broken. The last thread to arrive never
/// waits, so it passes the round even under a cancelled token.
///
/// ```
/// use pythreading_core::CancellationToken;
/// use pythreading_sync::{Barrier, SyncError};
///
/// let barrier = Barrier::new(2)?;
/// let token = CancellationToken::new();
/// token.cancel();
/// assert_eq!(token.run(|| barrier.wait()), Err(SyncError::Cancelled));
/// assert!(barrier.broken()); // the others would wait for ever: broken
/// assert_eq!(barrier.wait(), Err(SyncError::BrokenBarrier));
/// # Ok::<(), SyncError>(())
/// ```
///
/// # Differences from Python
///
/// - The action runs without any lock of the barrier held, so it may call
///   [`n_waiting`](Barrier::n_waiting), [`broken`](Barrier::broken) or
///   [`abort`](Barrier::abort) (in Python, `abort()` from the action
///   deadlocks). Threads arriving for the next round while it runs wait
///   until it has finished, as in Python, so actions never overlap.
/// - A timeout is honoured even while the action runs (Python cannot time
///   out then: the action holds the barrier's lock). A waiter of that round
///   gives up and breaks it; the thread running the action then gets
///   `BrokenBarrier` when the action returns. A thread that arrived for the
///   *next* round gives up without failing the full one: it gets
///   `BrokenBarrier`, the full round passes, and the barrier is broken from
///   the next round on (as the newcomer's timeout would have broken it in
///   Python), until a [`reset`](Barrier::reset).
/// - Python keeps newcomers out until every thread of the finished round has
///   left ("draining"); here the next round starts at once, and each thread
///   learns its own round's outcome however late it wakes up.
/// - A wait ended by a cancellation breaks the barrier. In Python, a wait
///   interrupted by an exception (a `KeyboardInterrupt`) leaves the round
///   unbroken, one party short, so that the others wait for a thread that
///   may never come; only a timeout, `abort`, `reset` and an exception of
///   the action break it there.
///
/// Speed: a round in which nobody has to sleep costs a few uncontended lock
/// operations and one allocation; a waiting thread spins briefly before it
/// parks, and the last thread to arrive wakes sleepers only if there are any.
/// In a two-thread round this is several times faster than
/// `std::sync::Barrier`, which puts a thread to sleep every round. See
/// `benches/barrier.rs`.
//
// Protocol. The mutex guards `State`: the current round and how many
// threads have arrived in it. Each round is an `Arc<Round>` whose `outcome`
// goes once from PENDING to PASSED or BROKEN, always under the mutex; only
// the current round can be PENDING (a round is replaced only after being
// decided). A waiter keeps its own round's `Arc`, spins on its outcome,
// then parks on the outcome's address in the parking table: it marks the
// pending round PARKED, and checks under the table's lock that the round is
// still pending and marked before it is queued. Deciding a round swaps the
// mark out and, if it was there, wakes every thread parked on the round, so
// no wake-up is lost. While the last thread runs the action, the round is
// full (`count == parties`) and still PENDING: newcomers park on it too,
// until it is decided. Waiters park with `park_cancellable`: a cancelled
// one gives up exactly where a timed-out one does.
pub struct Barrier {
    parties: usize,
    action: Option<Box<dyn Fn() + Send + Sync>>,
    timeout: Option<Duration>,
    state: Mutex<State>,
}

/// What the mutex of a [`Barrier`] guards.
struct State {
    /// The round newcomers join (or find broken).
    current: Arc<Round>,
    /// Threads that have arrived in `current`.
    count: usize,
    /// A thread that came for the next round while `current`, full, ran its
    /// action gave up: the next round starts broken.
    break_next: bool,
}

impl State {
    /// Whether the barrier is broken: its current round is, or the next one
    /// will be.
    fn broken(&self) -> bool {
        self.break_next || self.current.outcome() == BROKEN
    }
}

/// One round of a barrier, shared by the threads that wait in it.
struct Round {
    outcome: AtomicU32,
}

const PENDING: u32 = 0;
const PASSED: u32 = 1;
const BROKEN: u32 = 2;
/// On a pending round: a thread may be parked on it.
const PARKED: u32 = 4;

impl Round {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            outcome: AtomicU32::new(PENDING),
        })
    }

    #[inline]
    fn outcome(&self) -> u32 {
        self.outcome.load(Ordering::Acquire) & !PARKED
    }

    /// Decides the round and wakes the threads parked on it. Called with
    /// the barrier's mutex held.
    fn decide(&self, outcome: u32) {
        if self.outcome.swap(outcome, Ordering::Release) & PARKED != 0 {
            wait::unpark_all(self.key());
        }
    }

    /// Parks until the round is decided (or a spurious wake-up), or
    /// `deadline`, or the calling thread's token is cancelled;
    /// [`Wake::Invalid`] if it is decided already.
    fn park(&self, deadline: Deadline) -> Wake {
        const MARKED: u32 = PENDING | PARKED;
        let marked =
            self.outcome
                .compare_exchange(PENDING, MARKED, Ordering::Relaxed, Ordering::Relaxed);
        if matches!(marked, Err(outcome) if outcome != MARKED) {
            return Wake::Invalid;
        }
        let validate = || self.outcome.load(Ordering::Relaxed) == MARKED;
        wait::park_cancellable(self.key(), validate, || {}, deadline)
    }

    /// What threads waiting for the round park on.
    #[inline]
    fn key(&self) -> Key {
        Key::of(&self.outcome)
    }

    /// What `wait` returns for a thread of this round, once decided.
    #[inline]
    fn result(&self, index: usize) -> Option<Result<usize, SyncError>> {
        match self.outcome() {
            PENDING => None,
            PASSED => Some(Ok(index)),
            _ => Some(Err(SyncError::BrokenBarrier)),
        }
    }
}

impl Barrier {
    /// A barrier for `parties` threads, with no action and no default
    /// timeout (`threading.Barrier(parties)`). 0 parties is
    /// [`SyncError::InvalidArgument`], as Python's `ValueError`.
    pub fn new(parties: usize) -> Result<Self, SyncError> {
        if parties == 0 {
            return Err(SyncError::InvalidArgument("parties must be > 0".to_owned()));
        }
        Ok(Self {
            parties,
            action: None,
            timeout: None,
            state: Mutex::new(State {
                current: Round::new(),
                count: 0,
                break_next: false,
            }),
        })
    }

    /// Sets the action (`Barrier(parties, action)`): run once per round, by
    /// the last thread to arrive, before any thread of the round is
    /// released. If it panics, the barrier breaks and the panic continues in
    /// that thread.
    pub fn with_action(mut self, action: impl Fn() + Send + Sync + 'static) -> Self {
        self.action = Some(Box::new(action));
        self
    }

    /// Sets the timeout [`wait`](Self::wait) uses (`Barrier(parties,
    /// timeout=t)`); without it `wait` waits for ever.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Waits until all parties have called `wait` (`barrier.wait()`), or
    /// for at most the default timeout if one was set with
    /// [`with_timeout`](Self::with_timeout). Returns this thread's index in
    /// the round, `0..parties` in order of arrival; a broken barrier (see
    /// [`Barrier`]) is [`SyncError::BrokenBarrier`].
    ///
    /// Obeys the calling thread's cancellation token: once it is cancelled
    /// while this thread waits, [`SyncError::Cancelled`], and the barrier
    /// is broken for the others (see [Cancellation](Barrier#cancellation)).
    pub fn wait(&self) -> Result<usize, SyncError> {
        self.wait_until(Deadline::from_timeout(self.timeout))
    }

    /// [`wait`](Self::wait), for at most `timeout` (`barrier.wait(t)`).
    /// Timing out breaks the barrier: this thread and every other waiting
    /// one get [`SyncError::BrokenBarrier`]. If the round was completed
    /// just as the time ran out, the wait succeeds. Obeys the cancellation
    /// token as [`wait`](Self::wait) does.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, SyncError> {
        self.wait_until(Deadline::after(timeout))
    }

    /// Puts the barrier back in its initial state (`barrier.reset()`).
    /// Threads waiting in it get [`SyncError::BrokenBarrier`]; a broken
    /// barrier becomes usable again.
    pub fn reset(&self) {
        let mut state = self.state.lock();
        let old = std::mem::replace(&mut state.current, Round::new());
        if old.outcome() == PENDING {
            old.decide(BROKEN);
        }
        state.count = 0;
        state.break_next = false;
    }

    /// Breaks the barrier (`barrier.abort()`): waiting threads, and those
    /// that call `wait` until the next [`reset`](Self::reset), get
    /// [`SyncError::BrokenBarrier`]. For a thread that cannot arrive (it
    /// failed), so that the others do not wait for it for ever.
    pub fn abort(&self) {
        let mut state = self.state.lock();
        self.break_current(&mut state);
    }

    /// The number of threads needed to pass the barrier.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of threads waiting in the current round (0 if the barrier
    /// is broken). While the action runs, that includes the thread running
    /// it, as in Python.
    pub fn n_waiting(&self) -> usize {
        let state = self.state.lock();
        if state.current.outcome() == BROKEN {
            0
        } else {
            state.count
        }
    }

    /// Whether the barrier is broken (see [`Barrier`]).
    pub fn broken(&self) -> bool {
        self.state.lock().broken()
    }

    /// The one wait routine.
    fn wait_until(&self, deadline: Deadline) -> Result<usize, SyncError> {
        let mut state = self.state.lock();
        // The last round's action is still running: wait until it is decided.
        while state.count == self.parties && state.current.outcome() == PENDING {
            if state.break_next {
                return Err(SyncError::BrokenBarrier);
            }
            let full = Arc::clone(&state.current);
            drop(state);
            let wake = full.park(deadline);
            state = self.state.lock();
            if let Some(error) = gave_up(wake)
                && state.count == self.parties
                && state.current.outcome() == PENDING
            {
                // Every party of that round has arrived: it must not fail
                // (Python never fails a full round). Break the round this
                // thread came for instead, which starts when that one passes.
                state.break_next = true;
                return Err(error);
            }
        }
        if state.current.outcome() == BROKEN {
            return Err(SyncError::BrokenBarrier);
        }
        let index = state.count;
        state.count += 1;
        if state.count == self.parties {
            return self.release(state, index);
        }
        let round = Arc::clone(&state.current);
        drop(state);

        // The others are usually close behind: spin a little before parking.
        let mut spin = SpinWait::new();
        loop {
            if let Some(result) = round.result(index) {
                return result;
            }
            if !spin.spin() {
                break;
            }
        }
        loop {
            if let Some(result) = round.result(index) {
                return result;
            }
            if let Some(error) = gave_up(round.park(deadline)) {
                let mut state = self.state.lock();
                if let Some(result) = round.result(index) {
                    return result;
                }
                // Still pending, so still the current round: break it.
                self.break_current(&mut state);
                return Err(error);
            }
        }
    }

    /// The last thread of a round has arrived: run the action, then let the
    /// round pass (or break it if the action panicked).
    fn release(&self, mut state: MutexGuard<'_, State>, index: usize) -> Result<usize, SyncError> {
        let Some(action) = &self.action else {
            self.pass(&mut state);
            return Ok(index);
        };
        let round = Arc::clone(&state.current);
        drop(state);
        let ran = panic::catch_unwind(AssertUnwindSafe(action));
        let mut state = self.state.lock();
        match ran {
            // Nobody broke the round while the action ran.
            Ok(()) if round.outcome() == PENDING => {
                self.pass(&mut state);
                Ok(index)
            }
            Ok(()) => Err(SyncError::BrokenBarrier),
            Err(payload) => {
                if round.outcome() == PENDING {
                    self.break_current(&mut state);
                }
                drop(state);
                panic::resume_unwind(payload)
            }
        }
    }

    /// Lets the current round pass and opens the next one (broken already
    /// if a thread gave up waiting for it).
    fn pass(&self, state: &mut State) {
        state.current.decide(PASSED);
        state.current = Round::new();
        state.count = 0;
        if std::mem::take(&mut state.break_next) {
            state.current.decide(BROKEN);
        }
    }

    /// Breaks the current round (if it is not already broken).
    fn break_current(&self, state: &mut State) {
        if state.current.outcome() == PENDING {
            state.current.decide(BROKEN);
        }
    }
}

/// What a waiter that stops waiting for its round reports: a timeout is a
/// broken barrier, a cancellation is itself; `None` for a wake-up after
/// which it looks at the round again.
#[inline]
fn gave_up(wake: Wake) -> Option<SyncError> {
    match wake {
        Wake::TimedOut => Some(SyncError::BrokenBarrier),
        Wake::Cancelled => Some(SyncError::Cancelled),
        Wake::Notified | Wake::Invalid => None,
    }
}

impl fmt::Debug for Barrier {
    /// As Python's repr, without the address: `<Barrier: waiters=1/3>` /
    /// `<Barrier: broken>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        if state.broken() {
            write!(f, "<Barrier: broken>")
        } else {
            write!(f, "<Barrier: waiters={}/{}>", state.count, self.parties)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync + fmt::Debug>() {}
        send_sync::<Barrier>();
    }

    #[test]
    fn debug_is_pythons_repr() {
        let barrier = Barrier::new(3).unwrap();
        assert_eq!(format!("{barrier:?}"), "<Barrier: waiters=0/3>");
        barrier.abort();
        assert_eq!(format!("{barrier:?}"), "<Barrier: broken>");
    }

    #[test]
    fn rounds_are_replaced_once_decided() {
        let barrier = Barrier::new(1).unwrap();
        let first = Arc::clone(&barrier.state.lock().current);
        assert_eq!(barrier.wait(), Ok(0));
        assert_eq!(first.outcome(), PASSED);
        let second = Arc::clone(&barrier.state.lock().current);
        assert_eq!(second.outcome(), PENDING);
        barrier.reset();
        // A reset round with nobody in it is decided too: only the current
        // round is ever pending.
        assert_eq!(second.outcome(), BROKEN);
        assert_eq!(barrier.state.lock().current.outcome(), PENDING);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::AtomicUsize;

    /// Two threads pass two rounds: each round hands out indices 0 and 1,
    /// and every wait succeeds (loom reports a lost wake-up as a deadlock).
    #[test]
    fn loom_barrier_two_threads_two_rounds() {
        loom::model(|| {
            let barrier = Arc::new(Barrier::new(2).unwrap());
            let other = {
                let barrier = Arc::clone(&barrier);
                loom::thread::spawn(move || [barrier.wait(), barrier.wait()])
            };
            let mine = [barrier.wait(), barrier.wait()];
            let theirs = other.join().unwrap();
            for (a, b) in mine.into_iter().zip(theirs) {
                let mut indices = [a.unwrap(), b.unwrap()];
                indices.sort_unstable();
                assert_eq!(indices, [0, 1]);
            }
            assert!(!barrier.broken());
            assert_eq!(barrier.n_waiting(), 0);
        });
    }

    /// Three threads, one round, with an action: it runs exactly once and
    /// before any thread leaves, and the indices are 0, 1, 2.
    #[test]
    fn loom_barrier_three_threads_action_runs_first() {
        loom::model(|| {
            let runs = Arc::new(AtomicUsize::new(0));
            let barrier = {
                let runs = Arc::clone(&runs);
                Arc::new(Barrier::new(3).unwrap().with_action(move || {
                    runs.fetch_add(1, Ordering::Relaxed);
                }))
            };
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (barrier, runs) = (Arc::clone(&barrier), Arc::clone(&runs));
                    loom::thread::spawn(move || {
                        let index = barrier.wait().unwrap();
                        assert_eq!(runs.load(Ordering::Relaxed), 1);
                        index
                    })
                })
                .collect();
            let mut indices = vec![barrier.wait().unwrap()];
            assert_eq!(runs.load(Ordering::Relaxed), 1);
            indices.extend(handles.into_iter().map(|h| h.join().unwrap()));
            indices.sort_unstable();
            assert_eq!(indices, [0, 1, 2]);
        });
    }

    /// An abort racing two waiters of a three-party barrier (which can never
    /// fill): both get BrokenBarrier, whether they arrived before or after
    /// it, and nobody hangs.
    #[test]
    fn loom_barrier_abort_breaks_all_waiters() {
        loom::model(|| {
            let barrier = Arc::new(Barrier::new(3).unwrap());
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let barrier = Arc::clone(&barrier);
                    loom::thread::spawn(move || barrier.wait())
                })
                .collect();
            barrier.abort();
            for h in handles {
                assert_eq!(h.join().unwrap(), Err(SyncError::BrokenBarrier));
            }
            assert!(barrier.broken());
        });
    }

    /// A timed wait (which, under loom, times out as soon as it parks)
    /// against a plain wait: either the round passed and both have distinct
    /// indices, or the timeout broke it and both get BrokenBarrier.
    #[test]
    fn loom_barrier_timeout_breaks_or_passes_for_both() {
        loom::model(|| {
            let barrier = Arc::new(Barrier::new(2).unwrap());
            let timed = {
                let barrier = Arc::clone(&barrier);
                loom::thread::spawn(move || barrier.wait_timeout(Duration::from_secs(1)))
            };
            let mine = barrier.wait();
            let theirs = timed.join().unwrap();
            match (mine, theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a + b, 1),
                (Err(SyncError::BrokenBarrier), Err(SyncError::BrokenBarrier)) => {
                    assert!(barrier.broken())
                }
                other => panic!("one passed and one broke: {other:?}"),
            }
        });
    }

    /// A one-party barrier with an action, and two threads: one may arrive
    /// while the other runs the action, and then parks on the full round
    /// until it passes. Both pass, and the actions never overlap.
    #[test]
    fn loom_barrier_newcomer_waits_for_the_action() {
        loom::model(|| {
            let running = Arc::new(AtomicUsize::new(0));
            let barrier = {
                let running = Arc::clone(&running);
                Arc::new(Barrier::new(1).unwrap().with_action(move || {
                    assert_eq!(running.fetch_add(1, Ordering::Relaxed), 0);
                    loom::thread::yield_now();
                    running.fetch_sub(1, Ordering::Relaxed);
                }))
            };
            let other = {
                let barrier = Arc::clone(&barrier);
                loom::thread::spawn(move || barrier.wait())
            };
            assert_eq!(barrier.wait(), Ok(0));
            assert_eq!(other.join().unwrap(), Ok(0));
            assert!(!barrier.broken());
        });
    }

    /// The same with a timed newcomer (which, under loom, times out as soon
    /// as it parks): the full round always passes; a newcomer that gave up
    /// gets BrokenBarrier and leaves the barrier broken from the next round.
    #[test]
    fn loom_barrier_newcomer_timing_out_spares_the_full_round() {
        loom::model(|| {
            let barrier = Arc::new(
                Barrier::new(1)
                    .unwrap()
                    .with_action(loom::thread::yield_now),
            );
            let timed = {
                let barrier = Arc::clone(&barrier);
                loom::thread::spawn(move || barrier.wait_timeout(Duration::from_secs(3600)))
            };
            assert_eq!(barrier.wait(), Ok(0));
            match timed.join().unwrap() {
                Ok(0) => assert!(!barrier.broken()),
                Err(SyncError::BrokenBarrier) => assert!(barrier.broken()),
                other => panic!("unexpected {other:?}"),
            }
        });
    }
}
