//! [`Event`]: Python's `threading.Event`.

use std::fmt;
use std::time::Duration;

use pythreading_core::Cancelled;
use pythreading_core::wait::{self, Deadline, Key, Wait, Wake};

use crate::sys::{AtomicU64, Ordering};

/// A flag threads can wait for: Python's `threading.Event`.
///
/// [`set`](Event::set) raises the flag and wakes every waiting thread;
/// [`clear`](Event::clear) lowers it; [`wait`](Event::wait) blocks until it
/// is raised. A thread waiting when `set` is called always wakes up with
/// `true`, even if another thread clears the flag again at once.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use pythreading_sync::Event;
///
/// let stop = Arc::new(Event::new());
/// let worker = {
///     let stop = Arc::clone(&stop);
///     std::thread::spawn(move || {
///         let mut rounds = 0;
///         while !stop.wait_timeout(Duration::from_millis(1)) {
///             rounds += 1;
///         }
///         rounds
///     })
/// };
/// stop.set();
/// worker.join().unwrap();
/// assert!(stop.is_set());
/// ```
///
/// # Cancellation
///
/// [`wait`](Event::wait) and [`wait_timeout`](Event::wait_timeout) do not
/// obey the calling thread's
/// [`CancellationToken`](pythreading_core::CancellationToken) (they cannot
/// report it): they wait as they always did.
/// [`wait_cancellable`](Event::wait_cancellable) does.
//
// One word: the flag (`SET`), a `PARKED` mark, and above them the number
// of times the flag went up (its generation). A waiter that finds the flag
// down sets `PARKED` and parks on the word's address in the parking table,
// after checking under the table's lock that the word has not changed.
// `set` raises the flag, counts one more generation and drops the mark in
// one CAS and, if the mark was there, wakes every thread parked on the
// word. So a set either comes before a waiter's check (which then sees the
// new word) or finds the waiter queued. A woken waiter returns `true` if
// the generation moved since it started waiting, even if the flag is down
// again by then, as in Python; otherwise its wake-up was late, from a set
// it had already seen before it parked again, and it parks once more. The
// mark is only a hint: a waiter that times out leaves it, and the next set
// wakes nobody and drops it, and so does a waiter whose token is
// cancelled (a cancellable wait parks with `park_cancellable`, and leaves
// as a timed-out one does).
pub struct Event {
    state: AtomicU64,
}

/// The flag is up.
const SET: u64 = 1;
/// The flag is down and a waiter may be parked. Never together with `SET`.
const PARKED: u64 = 2;
/// One generation: the flag went up once more (wrapping after 2^62 sets).
const GENERATION: u64 = 4;

impl Event {
    /// A cleared event.
    pub fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
        }
    }

    /// Whether the flag is set.
    #[inline]
    pub fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Sets the flag and wakes every waiting thread.
    pub fn set(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & SET != 0 {
                return;
            }
            let raised = (state & !PARKED).wrapping_add(GENERATION) | SET;
            match self.state.compare_exchange_weak(
                state,
                raised,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & PARKED != 0 {
            wait::unpark_all(self.key());
        }
    }

    /// Clears the flag: later waits block until the next [`set`](Self::set).
    pub fn clear(&self) {
        if self.state.load(Ordering::Relaxed) & SET != 0 {
            self.state.fetch_and(!SET, Ordering::Release);
        }
    }

    /// Blocks until the flag is set.
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`wait_cancellable`](Self::wait_cancellable).
    pub fn wait(&self) {
        self.wait_for(Wait::FOREVER);
    }

    /// Blocks at most `timeout` for the flag; `true` if it was set (Python's
    /// `wait(timeout)` return value).
    ///
    /// Does not obey the cancellation token (it cannot report it); see
    /// [`wait_cancellable`](Self::wait_cancellable).
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_for(Wait::Timeout(timeout))
    }

    /// Blocks at most `timeout` for the flag (`None`: without a limit;
    /// `Some(Duration::ZERO)`: a look, which never blocks), obeying the
    /// calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken).
    ///
    /// `Ok(true)`: the flag was set (as [`wait_timeout`](Self::wait_timeout)'s
    /// `true`); `Ok(false)`: the timeout passed first; `Err(Cancelled)`: the
    /// token was cancelled first. The token is looked at only when the call
    /// must wait: a set flag is `Ok(true)` even under a cancelled token.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pythreading_core::{CancellationToken, Cancelled};
    /// use pythreading_sync::Event;
    ///
    /// let done = Arc::new(Event::new());
    /// let token = CancellationToken::new();
    /// let waiter = std::thread::spawn({
    ///     let (done, token) = (Arc::clone(&done), token.clone());
    ///     move || token.run(|| done.wait_cancellable(None))
    /// });
    /// token.cancel(); // the waiter gives up, whether it has begun or not
    /// assert_eq!(waiter.join().unwrap(), Err(Cancelled));
    /// assert!(!done.is_set());
    /// ```
    pub fn wait_cancellable(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
        if self.is_set() {
            return Ok(true);
        }
        match Wait::from_timeout(timeout).deadline() {
            Some(deadline) => self.wait_slow::<true>(deadline),
            None => Ok(false),
        }
    }

    #[inline]
    fn wait_for(&self, wait: Wait) -> bool {
        if self.is_set() {
            return true;
        }
        match wait.deadline() {
            Some(deadline) => self.wait_slow::<false>(deadline) == Ok(true),
            None => false,
        }
    }

    /// The wait of a flag found down: whether it went up, or
    /// `Err(Cancelled)` (only if `OBEY`) if the calling thread's token was
    /// cancelled first.
    #[cold]
    fn wait_slow<const OBEY: bool>(&self, deadline: Deadline) -> Result<bool, Cancelled> {
        let start = self.state.load(Ordering::Acquire);
        // Whether the flag went up since this wait started.
        let signalled = |state: u64| state & SET != 0 || generation(state) != generation(start);
        loop {
            let state = self.state.load(Ordering::Acquire);
            if signalled(state) {
                return Ok(true);
            }
            let marked = state | PARKED;
            if state != marked
                && self
                    .state
                    .compare_exchange_weak(state, marked, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                continue;
            }
            let validate = || self.state.load(Ordering::Relaxed) == marked;
            let wake = wait::park_obeying(OBEY, self.key(), validate, || {}, deadline);
            match wake {
                Wake::TimedOut => return Ok(signalled(self.state.load(Ordering::Acquire))),
                // The cancel came first: a set's wake-up would have ended
                // the park as `Notified`.
                Wake::Cancelled => return Err(Cancelled),
                Wake::Notified | Wake::Invalid => {}
            }
        }
    }

    /// What waiters park on: the word's address.
    #[inline]
    fn key(&self) -> Key {
        Key::of(&self.state)
    }

    /// How many threads are blocked in [`wait`](Self::wait),
    /// [`wait_timeout`](Self::wait_timeout) or
    /// [`wait_cancellable`](Self::wait_cancellable) now (a snapshot, for tests and
    /// diagnostics; see [`Condition::waiting`](crate::Condition::waiting)).
    pub fn waiting(&self) -> usize {
        wait::parked(self.key())
    }
}

/// The generation a word of an [`Event`] holds.
#[inline]
fn generation(state: u64) -> u64 {
    state & !(SET | PARKED)
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    /// As Python's repr: `<Event set>` / `<Event unset>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_set() { "set" } else { "unset" };
        write!(f, "<Event {state}>")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Event>();
    }

    #[test]
    fn debug_is_pythons_repr() {
        let e = Event::new();
        assert_eq!(format!("{e:?}"), "<Event unset>");
        e.set();
        assert_eq!(format!("{e:?}"), "<Event set>");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::Arc;

    /// A set wakes every waiter: two waiters, one setter, no lost wake-up.
    #[test]
    fn loom_event_set_wakes_all() {
        loom::model(|| {
            let event = Arc::new(Event::new());
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let event = Arc::clone(&event);
                    loom::thread::spawn(move || event.wait())
                })
                .collect();
            event.set();
            for w in waiters {
                w.join().unwrap();
            }
            assert!(event.is_set());
        });
    }

    /// A waiter present when `set` runs returns `true` even if the flag is
    /// cleared right after.
    #[test]
    fn loom_event_set_then_clear_still_wakes() {
        loom::model(|| {
            let event = Arc::new(Event::new());
            let waiter = {
                let event = Arc::clone(&event);
                loom::thread::spawn(move || event.wait())
            };
            let setter = {
                let event = Arc::clone(&event);
                loom::thread::spawn(move || {
                    event.set();
                    event.clear();
                })
            };
            setter.join().unwrap();
            // The waiter either saw the set or it is still waiting; a second
            // set must release it in every interleaving.
            event.set();
            waiter.join().unwrap();
        });
    }

    /// Two rounds of ping-pong: a set whose wake-up is still on its way
    /// when the waiter has already seen the flag, cleared it and waits for
    /// the next set must not end that next wait. Only the waiter clears its
    /// event, so a wait that returns finds the flag up.
    #[test]
    fn loom_event_late_wake_up_ends_no_later_wait() {
        loom::model(|| {
            let ping = Arc::new(Event::new());
            let pong = Arc::new(Event::new());
            let other = {
                let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        ping.wait();
                        assert!(ping.is_set(), "woken with the flag down");
                        ping.clear();
                        pong.set();
                    }
                })
            };
            for _ in 0..2 {
                ping.set();
                pong.wait();
                assert!(pong.is_set(), "woken with the flag down");
                pong.clear();
            }
            other.join().unwrap();
        });
    }

    /// A timed waiter (which, under loom, times out as soon as it parks)
    /// may leave its mark behind; a blocking waiter next to it is still
    /// woken by the set, nobody is left waiting, and the set drops the mark.
    #[test]
    fn loom_event_timed_out_waiter_strands_nobody() {
        loom::model(|| {
            let event = Arc::new(Event::new());
            let timed = {
                let event = Arc::clone(&event);
                loom::thread::spawn(move || event.wait_timeout(Duration::from_secs(3600)))
            };
            let blocking = {
                let event = Arc::clone(&event);
                loom::thread::spawn(move || event.wait())
            };
            event.set();
            blocking.join().unwrap();
            // Whether it saw the set or not, it is no longer waiting.
            let _ = timed.join().unwrap();
            assert_eq!(event.waiting(), 0);
            assert!(event.is_set());
            event.clear();
            let state = event.state.load(Ordering::Relaxed);
            assert_eq!(state & (SET | PARKED), 0);
            assert_eq!(generation(state), GENERATION);
        });
    }
}
