//! [`Event`]: Python's `threading.Event`.

use std::fmt;
use std::time::{Duration, Instant};

use crate::loom::{AtomicBool, Condvar, Mutex, Ordering};
use crate::spin::deadline_after;

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
//
// `flag` is the truth for `is_set` (no lock to read it). Changes happen
// under `state`, which also counts every set: a waiter remembers the count
// when it starts waiting and returns `true` once it moved, so a set followed
// by a clear still wakes it, as in Python.
pub struct Event {
    flag: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
}

/// What an [`Event`]'s mutex guards.
struct State {
    /// How many times the flag was raised.
    sets: u64,
    /// Threads blocked in `wait`.
    waiting: usize,
}

impl Event {
    /// A cleared event.
    pub fn new() -> Self {
        Self {
            flag: AtomicBool::new(false),
            state: Mutex::new(State {
                sets: 0,
                waiting: 0,
            }),
            changed: Condvar::new(),
        }
    }

    /// Whether the flag is set.
    #[inline]
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Sets the flag and wakes every waiting thread.
    pub fn set(&self) {
        let mut state = self.state.lock();
        if !self.flag.load(Ordering::Relaxed) {
            self.flag.store(true, Ordering::Release);
            state.sets += 1;
            if state.waiting > 0 {
                self.changed.notify_all();
            }
        }
    }

    /// Clears the flag: later waits block until the next [`set`](Self::set).
    pub fn clear(&self) {
        let _state = self.state.lock();
        self.flag.store(false, Ordering::Release);
    }

    /// Blocks until the flag is set.
    pub fn wait(&self) {
        self.wait_until(None);
    }

    /// Blocks at most `timeout` for the flag; `true` if it was set (Python's
    /// `wait(timeout)` return value).
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.is_set() || self.wait_until(deadline_after(timeout))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        if self.is_set() {
            return true;
        }
        let mut state = self.state.lock();
        let seen = state.sets;
        loop {
            if self.flag.load(Ordering::Relaxed) || state.sets != seen {
                return true;
            }
            state.waiting += 1;
            let (guard, timed_out) = self.changed.wait_deadline(state, deadline);
            state = guard;
            state.waiting -= 1;
            if timed_out {
                return self.flag.load(Ordering::Relaxed) || state.sets != seen;
            }
        }
    }

    /// How many threads are blocked in [`wait`](Self::wait) or
    /// [`wait_timeout`](Self::wait_timeout) now (a snapshot, for tests and
    /// diagnostics; see [`Condition::waiting`](crate::Condition::waiting)).
    pub fn waiting(&self) -> usize {
        self.state.lock().waiting
    }
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
    use crate::loom::Arc;

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
}
