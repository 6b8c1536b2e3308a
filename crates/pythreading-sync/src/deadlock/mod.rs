//! Deadlock detection that names the threads and the locks (cargo feature
//! `deadlock-detection`).
//!
//! A program stuck in a deadlock usually says nothing: every thread involved
//! waits quietly for ever. With this feature, every [`Lock`](crate::Lock),
//! [`RLock`](crate::RLock), [`Condition`](crate::Condition) lock,
//! [`Semaphore`](crate::Semaphore) and
//! [`BoundedSemaphore`](crate::BoundedSemaphore) records who holds it and who
//! waits for it, and this module reads that record:
//!
//! - [`check`] returns every cycle of threads blocked on each other's locks
//!   now, as [`Deadlock`]s that name the threads (their pythreading names)
//!   and the locks (the names given to [`Lock::named`](crate::Lock::named)
//!   and its siblings; unnamed locks are shown as their type and address).
//! - [`start_watchdog`] checks in the background and reports each new
//!   deadlock once, through `log::error!` and a callback, until the
//!   [`Watchdog`] it returns is stopped.
//! - [`potential`] is lock-order checking, as the Linux kernel's lockdep
//!   does it: pairs of locks that different threads took in opposite orders,
//!   a deadlock waiting to happen even if this run got lucky.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use pythreading_sync::{deadlock, Lock};
//!
//! let config = Arc::new(Lock::named("config"));
//! let loader = pythreading_core::Thread::builder().name("loader").spawn({
//!     let config = Arc::clone(&config);
//!     move || {
//!         config.acquire();
//!         // A Lock is not re-entrant: this thread now waits for itself.
//!         config.acquire_timeout(Duration::from_secs(60))
//!     }
//! })?;
//! let found = loop {
//!     if let Some(found) = deadlock::check().into_iter().find(|d| d.threads() == ["loader"]) {
//!         break found;
//!     }
//!     std::thread::sleep(Duration::from_millis(1));
//! };
//! assert_eq!(found.to_string(), "loader holds config and waits for config");
//! // Any thread may release a Lock: this frees the loader.
//! config.release().unwrap();
//! assert!(loader.into_result()?);
//! # Ok::<(), pythreading_core::ThreadError>(())
//! ```
//!
//! What counts as holding: the thread that acquired a `Lock` holds it until
//! it is released (by any thread); an `RLock` or a `Condition`'s lock is
//! held by its owner; a semaphore unit is held by the thread that acquired
//! it, and a unit given back by a thread that holds none is taken off its
//! oldest holder. A thread waiting for a semaphore is blocked only while no
//! unit is free, counting a unit on its way back and one just handed to a
//! waiter. A refused release (`TooManyReleases`, `ReleaseUnlocked`) changes
//! nothing. A `Lock` or semaphore that has once been given back by a
//! thread other than its taker is a signal, which anyone may release: no
//! cycle goes through it (see [`check`]). A thread in `acquire_timeout`
//! counts as blocked until it gives up. A thread waiting in `Condition::wait` for a notification holds
//! nothing and waits for no lock, until it is notified and takes the lock
//! back.
//!
//! Cost: without the feature, none at all: the hooks compile to nothing and
//! no lock grows. With it, every acquire and release also updates a small
//! per-lock record, and a blocking acquire a process-wide one; see
//! BENCHMARKS.md.

use std::collections::HashSet;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use pythreading_core::wait::{self, Deadline, Key, Wake};

use crate::sys::{StaticMutex, StaticMutexGuard};

mod cycles;
mod lock_order;
mod record;
mod thread_names;
pub(crate) mod tracker;

/// One cycle of threads blocked on each other's locks.
///
/// `threads()[i]` holds `locks()[i]` and waits for `locks()[(i + 1) % n]`,
/// which `threads()[(i + 1) % n]` holds. A one-thread cycle is a thread
/// waiting for a lock it holds itself. The cycle starts at its thread with
/// the smallest ident (the one started first).
///
/// Its `Display` tells the story:
/// `Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    threads: Vec<String>,
    idents: Vec<u64>,
    locks: Vec<String>,
    /// `(ident, wait)` of each thread: what makes this deadlock new.
    key: Vec<(u64, u64)>,
}

impl Deadlock {
    fn from_cycle(cycle: Vec<cycles::Member>, names: &thread_names::Names) -> Self {
        let mut key: Vec<(u64, u64)> = cycle.iter().map(|m| (m.ident, m.episode)).collect();
        key.sort_unstable();
        Self {
            threads: cycle.iter().map(|m| names.of(m.ident, &m.thread)).collect(),
            idents: cycle.iter().map(|m| m.ident).collect(),
            locks: cycle.iter().map(|m| m.holds.label()).collect(),
            key,
        }
    }

    /// The threads' names, in cycle order: their pythreading names (a thread
    /// that pythreading did not start and that never called
    /// `current_thread()` is named by its std name, or `thread <ident>`).
    pub fn threads(&self) -> Vec<String> {
        self.threads.clone()
    }

    /// The threads' idents ([`get_ident`](pythreading_core::get_ident)), in
    /// the same order as [`threads`](Self::threads).
    pub fn idents(&self) -> Vec<u64> {
        self.idents.clone()
    }

    /// The locks' names: `locks()[i]` is held by `threads()[i]` and waited
    /// for by the thread before it in the cycle.
    pub fn locks(&self) -> Vec<String> {
        self.locks.clone()
    }

    /// How many threads the cycle has.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// Always `false`: a cycle has at least one thread.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }
}

impl fmt::Display for Deadlock {
    /// `Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.threads.len();
        for (i, thread) in self.threads.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "{thread} holds {} and waits for {}",
                self.locks[i],
                self.locks[(i + 1) % count]
            )?;
        }
        Ok(())
    }
}

/// Every cycle of threads blocked on each other's locks now, one
/// [`Deadlock`] per cycle, ordered by their first thread's ident. Empty when
/// there is none.
///
/// The answer is a consistent snapshot: every thread of a reported cycle was
/// blocked, holding what it is said to hold, at one same instant. A thread
/// merely waiting for a lock that its holder is about to release is never
/// reported, since the holder is not blocked. Only the threads of the cycles
/// are named; other threads waiting behind them are stuck too, but are not
/// part of a cycle.
///
/// A `Lock` or a semaphore may be released by a thread that did not acquire
/// it: the lock used as a signal, as in the tutorial's producer–consumer
/// pipeline. Once that has happened to a lock, anyone may be the one to
/// release it, so from then on a thread waiting for it is not counted as
/// blocked by its holder (no cycle goes through it). Before the first such
/// hand-off, a thread waiting for a signal lock that it acquired itself is a
/// one-thread cycle for as long as it waits; [`start_watchdog`] reports only
/// cycles that last.
pub fn check() -> Vec<Deadlock> {
    let cycles = cycles::find_cycles();
    if cycles.is_empty() {
        return Vec::new();
    }
    let names = thread_names::Names::now();
    cycles
        .into_iter()
        .map(|cycle| Deadlock::from_cycle(cycle, &names))
        .collect()
}

/// Starts a daemon thread, `deadlock-watchdog`, that calls [`check`] every
/// `interval` and reports each new deadlock once: with `log::error!`
/// (target `pythreading_sync::deadlock`) and by calling `on_deadlock`.
///
/// A deadlock is reported when two checks in a row find it with the same
/// threads in the same blocking acquires, so within about two intervals;
/// a thread that is freed and deadlocks again is a new deadlock. A panic in
/// `on_deadlock` is caught and logged; the watchdog goes on. An `interval`
/// under one millisecond is taken as one millisecond; `Duration::MAX` never
/// checks. The thread is a daemon: it does not keep the program from
/// exiting. If it cannot be started, that is logged as an error (and the
/// handle's [`is_running`](Watchdog::is_running) is `false`).
///
/// The returned [`Watchdog`] stops it; dropping the handle does not, so
/// `start_watchdog(…);` watches for the rest of the program.
///
/// ```no_run
/// use std::time::Duration;
/// use pythreading_sync::deadlock;
///
/// deadlock::start_watchdog(Duration::from_millis(500), |found| {
///     eprintln!("deadlock: {found}");
/// });
/// ```
pub fn start_watchdog(
    interval: Duration,
    on_deadlock: impl Fn(&Deadlock) + Send + Sync + 'static,
) -> Watchdog {
    let interval = interval.max(Duration::from_millis(1));
    let watchdog = Watchdog {
        shared: Arc::new(Shared {
            state: StaticMutex::new(State {
                stopping: false,
                running: true,
                ident: None,
            }),
        }),
    };
    let shared = Arc::clone(&watchdog.shared);
    let started = pythreading_core::Thread::builder()
        .name("deadlock-watchdog")
        .daemon(true)
        .spawn(move || {
            // Dropped last, also if `watch` panics: the callback is gone
            // by the time a `stop` returns.
            let _finished = Finished(&shared);
            let on_deadlock = on_deadlock;
            shared.state.lock().ident = Some(pythreading_core::get_ident());
            watch(interval, &on_deadlock, &shared);
        });
    if let Err(error) = started {
        watchdog.shared.state.lock().running = false;
        log::error!(target: "pythreading_sync::deadlock", "could not start the deadlock watchdog: {error}");
    }
    watchdog
}

/// A watchdog started by [`start_watchdog`], to stop it.
///
/// Dropping a handle does not stop the watchdog. Handles are cheap to
/// clone, and any of them stops it, from any thread: several threads may
/// stop the same watchdog at once (each returns once it has finished), and
/// stopping a stopped watchdog returns at once.
///
/// ```
/// use std::time::Duration;
/// use pythreading_sync::deadlock;
///
/// let watchdog = deadlock::start_watchdog(Duration::from_millis(100), |found| {
///     eprintln!("deadlock: {found}");
/// });
/// assert!(watchdog.is_running());
/// watchdog.stop();
/// assert!(!watchdog.is_running());
/// ```
#[derive(Debug, Clone)]
pub struct Watchdog {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Its address is what `stop` and the watchdog's sleep park on; they
    /// are woken when `stopping` is set and when `running` is cleared.
    state: StaticMutex<State>,
}

#[derive(Debug)]
struct State {
    stopping: bool,
    running: bool,
    /// The watchdog thread's ident, once it runs.
    ident: Option<u64>,
}

/// Marks the watchdog finished when dropped.
struct Finished<'a>(&'a Shared);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.state.lock().running = false;
        self.0.changed();
    }
}

impl Watchdog {
    /// Stops the watchdog and waits until its thread has finished: once
    /// this returns, `on_deadlock` is never called again (and has been
    /// dropped). A check under way is finished first, and a callback under
    /// way returns first; nothing it found is reported after that.
    ///
    /// Called from `on_deadlock` itself, it cannot wait for its own
    /// thread: it returns at once, and the watchdog finishes as soon as the
    /// callback returns, reporting nothing more.
    pub fn stop(&self) {
        self.stop_until(Deadline::NEVER);
    }

    /// [`stop`](Self::stop), waiting at most `timeout` for the watchdog to
    /// finish (say, for a callback that blocks); `true` if it has. It stops
    /// in any case, as soon as it can. From `on_deadlock` itself: `false`.
    pub fn stop_timeout(&self, timeout: Duration) -> bool {
        self.stop_until(Deadline::after(timeout))
    }

    /// Stops, waiting until `deadline`; whether it has finished.
    fn stop_until(&self, deadline: Deadline) -> bool {
        let shared = &self.shared;
        let mut state = shared.state.lock();
        state.stopping = true;
        shared.changed();
        if state.running && state.ident == Some(pythreading_core::get_ident()) {
            return false;
        }
        !shared
            .wait_while(state, deadline, |state| state.running)
            .running
    }

    /// Whether the watchdog's thread is still running: `false` once it has
    /// finished after [`stop`](Self::stop), or if it could not be started.
    pub fn is_running(&self) -> bool {
        self.shared.state.lock().running
    }
}

impl Shared {
    /// Waits `interval`, or until stopped; whether it is stopped.
    fn wait_stopped(&self, interval: Duration) -> bool {
        let deadline = Deadline::after(interval);
        self.wait_while(self.state.lock(), deadline, |state| !state.stopping)
            .stopping
    }

    /// Waits while `waiting` holds, at most until `deadline`.
    fn wait_while<'a>(
        &'a self,
        mut state: StaticMutexGuard<'a, State>,
        deadline: Deadline,
        waiting: impl Fn(&State) -> bool,
    ) -> StaticMutexGuard<'a, State> {
        while waiting(&state) {
            let wake = wait::park_releasing(self.key(), state, deadline);
            state = self.state.lock();
            if wake == Wake::TimedOut {
                break;
            }
        }
        state
    }

    /// Wakes `stop` and the watchdog's sleep after a change of the state
    /// (made under its lock).
    fn changed(&self) {
        wait::unpark_all(self.key());
    }

    fn key(&self) -> Key {
        Key::of(&self.state)
    }

    fn stopping(&self) -> bool {
        self.state.lock().stopping
    }
}

/// The watchdog's loop, until stopped.
fn watch(interval: Duration, on_deadlock: &(dyn Fn(&Deadlock) + Send + Sync), shared: &Shared) {
    let mut previous: HashSet<Vec<(u64, u64)>> = HashSet::new();
    let mut reported: HashSet<Vec<(u64, u64)>> = HashSet::new();
    while !shared.wait_stopped(interval) {
        let found = check();
        for deadlock in &found {
            if previous.contains(&deadlock.key) && reported.insert(deadlock.key.clone()) {
                if shared.stopping() {
                    return;
                }
                log::error!(target: "pythreading_sync::deadlock", "deadlock: {deadlock}");
                if panic::catch_unwind(AssertUnwindSafe(|| on_deadlock(deadlock))).is_err() {
                    log::error!(target: "pythreading_sync::deadlock", "the deadlock callback panicked");
                }
            }
        }
        previous = found.into_iter().map(|d| d.key).collect();
        reported.retain(|key| previous.contains(key));
    }
}

/// Two locks taken in opposite orders by different threads: a potential
/// deadlock, whether or not this run deadlocked.
///
/// `Display`: `Thread-1 took db then cache; Thread-2 took cache then db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOrderInversion {
    first: String,
    second: String,
    first_then_second: Vec<String>,
    second_then_first: Vec<String>,
}

impl LockOrderInversion {
    /// The two locks' names: the one first used, then the other.
    pub fn locks(&self) -> [String; 2] {
        [self.first.clone(), self.second.clone()]
    }

    /// The threads that took the first lock, then the second while holding
    /// it (at most eight are named).
    pub fn first_then_second(&self) -> Vec<String> {
        self.first_then_second.clone()
    }

    /// The threads that took the second lock, then the first while holding
    /// it (at most eight are named).
    pub fn second_then_first(&self) -> Vec<String> {
        self.second_then_first.clone()
    }
}

impl fmt::Display for LockOrderInversion {
    /// `Thread-1 took db then cache; Thread-2 took cache then db`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} took {} then {}; {} took {} then {}",
            self.first_then_second.join(", "),
            self.first,
            self.second,
            self.second_then_first.join(", "),
            self.second,
            self.first
        )
    }
}

/// Every pair of locks that different threads have taken in opposite orders
/// since the program started (lock-order checking, as the Linux kernel's
/// lockdep): one thread held `a` while it took `b`, another held `b` while
/// it took `a`. Run both at the wrong moment and they deadlock. Each pair is
/// listed once, ordered by when its locks were first used.
///
/// The record keeps the pairs of live locks only: when a lock is dropped,
/// its pairs are forgotten, so a thread that takes a fresh lock per request
/// under a long-lived one leaves nothing behind. Inversions already found
/// are kept when their locks are dropped (the first 1,024 such).
pub fn potential() -> Vec<LockOrderInversion> {
    lock_order::inversions()
        .into_iter()
        .map(|(forward, backward)| LockOrderInversion {
            first: forward.before,
            second: forward.after,
            first_then_second: forward.threads.into_iter().map(|(_, name)| name).collect(),
            second_then_first: backward.threads.into_iter().map(|(_, name)| name).collect(),
        })
        .collect()
}

/// How large the lock-order record is now: for tests of its bounds, not
/// part of the API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSizes {
    /// Ordered pairs of live locks, process-wide.
    pub pairs: usize,
    /// Inversions kept of locks since dropped, process-wide.
    pub retired: usize,
    /// Locks the calling thread holds, as lock-order checking counts them.
    pub held: usize,
    /// Pairs the calling thread remembers having recorded.
    pub recorded: usize,
}

/// The sizes of the lock-order record now: for tests, not part of the API.
#[doc(hidden)]
pub fn record_sizes() -> RecordSizes {
    let (pairs, retired, held, recorded) = lock_order::sizes();
    RecordSizes {
        pairs,
        retired,
        held,
        recorded,
    }
}
