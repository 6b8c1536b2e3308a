//! Python's exit sequence for threads: `threading._shutdown`.
//!
//! At exit Python runs the hooks registered with `threading._register_atexit`
//! (this is how `concurrent.futures` shuts its pools down), then joins every
//! alive non-daemon thread. Rust has no such step, so pythreading offers it as
//! [`shutdown`], and as [`ShutdownGuard`] to put at the top of `main`.

use std::panic::{self, AssertUnwindSafe};

use crate::excepthook::{self, ExceptHookArgs};
use crate::locks::StaticMutex;
use crate::registry;

type AtExit = Box<dyn FnOnce() + Send + 'static>;

static ATEXIT: StaticMutex<Vec<AtExit>> = StaticMutex::new(Vec::new());

/// Registers `f` to run at the start of the next [`shutdown`], before any
/// thread is joined (Python's `threading._register_atexit`). Hooks run in
/// reverse order of registration; one registered while `shutdown` runs its
/// hooks runs in that same `shutdown`.
///
/// ```
/// use pythreading_core::{register_atexit, shutdown};
///
/// register_atexit(|| println!("closing the pool"));
/// shutdown(); // prints "closing the pool", then joins non-daemon threads
/// ```
pub fn register_atexit(f: impl FnOnce() + Send + 'static) {
    ATEXIT.lock().push(Box::new(f));
}

/// What Python does with threads at exit: runs the [`register_atexit`]
/// hooks, then joins every alive non-daemon [`Thread`](crate::Thread),
/// including threads started while it joins, until none is left.
///
/// Daemon threads are not waited for: when `main` returns they simply stop,
/// as in Python. A hook that panics is reported through the
/// [excepthook](crate::set_excepthook) and the others still run.
///
/// Called on the main thread, `shutdown` marks the main thread finished
/// first (so a thread that joins the main thread can go on, as in Python):
/// it is meant for the end of `main`. Called elsewhere, it skips the calling
/// thread. It may be called more than once.
///
/// Any number of threads may call it at once (two [`ShutdownGuard`]s
/// dropped together, a thread calling it while `main` does), and no two
/// calls wait for each other. A call made on the main thread waits for
/// every other non-daemon thread, callers of `shutdown()` included: the
/// process ends when `main` returns, so nothing may be left running. A call
/// made on any other thread does not wait for a thread that was itself
/// inside `shutdown()` at some time during the call (two such calls would
/// otherwise wait for each other forever); it returns once every other
/// non-daemon thread has finished, those excepted. Each atexit hook runs
/// once, in whichever call takes it first; the other calls do not wait for
/// the hooks a call runs.
///
/// ```
/// use pythreading_core::{shutdown, Thread};
///
/// // Two non-daemon threads that both end with shutdown(): neither waits
/// // for the other, both return once `worker` has finished.
/// let worker = Thread::builder().daemon(false).spawn(|| ())?;
/// let enders: Vec<Thread<bool>> = (0..2)
///     .map(|_| Thread::builder().daemon(false).build(move || {
///         shutdown();
///         true
///     }))
///     .collect();
/// for ender in &enders {
///     ender.start()?;
/// }
/// for ender in enders {
///     assert!(ender.into_result()?);
/// }
/// assert!(!worker.is_alive());
/// # Ok::<(), pythreading_core::ThreadError>(())
/// ```
pub fn shutdown() {
    let me = registry::get_ident();
    let on_main = me == registry::main_thread().ident().unwrap_or_default();
    // From here on the other calls do not wait for this thread: one of the
    // hooks may wait for them (a pool joining its workers).
    let call = waiting::Call::enter(me, on_main);
    run_atexit_hooks();
    if on_main {
        registry::finish_main_thread();
    }
    call.wait();
}

/// Called by every started thread once it is finished: wakes the
/// `shutdown()` calls, which look again at who is left.
pub(crate) fn thread_finished() {
    waiting::changed();
}

/// Work that [`shutdown`] waits for although no thread of its own runs it:
/// while a `ShutdownBlocker` is alive, `shutdown()` does not return.
///
/// Python waits at exit for every non-daemon thread, and some of its objects
/// are threads only so that they are waited for (a pending
/// `threading.Timer`). Code that runs such work on shared threads instead
/// (pythreading's `Timer` runs thousands on a few) holds a blocker per piece
/// of work and drops it when the work is done or cancelled.
///
/// The thread that does the work marks it with [`ShutdownBlocker::enter`]
/// while it runs: a `shutdown()` called from inside the work does not wait
/// for the work itself (it would never end).
///
/// ```
/// use std::time::Duration;
/// use pythreading_core::{shutdown, ShutdownBlocker};
///
/// let blocker = ShutdownBlocker::new();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(50));
///     drop(blocker); // the work is done
/// });
/// shutdown(); // returns once the blocker is dropped
/// ```
#[derive(Debug)]
#[must_use = "shutdown() waits only while the blocker is alive"]
pub struct ShutdownBlocker {
    _private: (),
}

impl ShutdownBlocker {
    /// Makes [`shutdown`] wait until this blocker is dropped.
    pub fn new() -> Self {
        waiting::STATE.lock().blockers += 1;
        Self { _private: () }
    }

    /// Marks the calling thread as the one doing this blocker's work until
    /// the returned scope is dropped: [`shutdown`] called on this thread
    /// meanwhile does not wait for this blocker.
    pub fn enter(&self) -> BlockerScope<'_> {
        blockers::MINE.with(|mine| mine.set(mine.get() + 1));
        BlockerScope {
            _blocker: self,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Default for ShutdownBlocker {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ShutdownBlocker {
    fn drop(&mut self) {
        waiting::STATE.lock().blockers -= 1;
        // Each waiter compares the count with its own share: all recheck.
        waiting::wake_all();
    }
}

/// The thread running a [`ShutdownBlocker`]'s work; see
/// [`ShutdownBlocker::enter`]. Not `Send`: it belongs to the thread.
#[derive(Debug)]
#[must_use = "the scope ends when it is dropped"]
pub struct BlockerScope<'a> {
    _blocker: &'a ShutdownBlocker,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for BlockerScope<'_> {
    fn drop(&mut self) {
        let _ = blockers::MINE.try_with(|mine| mine.set(mine.get().saturating_sub(1)));
    }
}

mod blockers {
    use std::cell::Cell;

    thread_local! {
        /// How many [`ShutdownBlocker`](super::ShutdownBlocker)s' work this
        /// thread is running (see `enter`).
        pub(super) static MINE: Cell<usize> = const { Cell::new(0) };
    }
}

/// The `shutdown()` calls in progress and the live blockers, under one lock
/// whose address the waiting calls park on: every change a call waits for (a thread
/// finishing, another thread entering `shutdown()`, a blocker dropped) is
/// made or announced under that lock, so no wake-up is missed.
mod waiting {
    use std::cell::Cell;

    use super::blockers;
    use crate::locks::StaticMutex;
    use crate::registry::{self, Kind};
    use crate::wait::{self, Deadline, Key};

    pub(super) struct State {
        calls: Vec<Caller>,
        next_id: u64,
        /// How many [`ShutdownBlocker`](super::ShutdownBlocker)s are alive.
        pub(super) blockers: usize,
    }

    struct Caller {
        id: u64,
        ident: u64,
        /// Made on the main thread: it excuses nobody but itself, since
        /// the process ends when it returns. No other call waits for the
        /// main thread (it is not a started thread), so no cycle forms.
        on_main: bool,
        /// The threads this call does not wait for: every thread that was
        /// inside `shutdown()` at some time during this call, the caller
        /// included. Once excused, always: a thread whose call returned and
        /// that runs on (perhaps waiting for this caller) stays excused.
        excused: Vec<u64>,
    }

    pub(super) static STATE: StaticMutex<State> = StaticMutex::new(State {
        calls: Vec::new(),
        next_id: 0,
        blockers: 0,
    });

    /// What the waiting calls park on.
    fn key() -> Key {
        Key::of(&STATE)
    }

    /// Wakes the waiting calls after a change they may wait for.
    pub(super) fn changed() {
        // Taking the lock orders the change before or after a call's check:
        // a call either sees it or is already queued, and is woken.
        drop(STATE.lock());
        wake_all();
    }

    /// Wakes the waiting calls after a change made under the lock.
    pub(super) fn wake_all() {
        wait::unpark_all(key());
    }

    impl State {
        /// Whether the call `id` is done: no non-daemon started thread it
        /// has not excused is alive, and the only live blockers are the
        /// caller's own (`mine`).
        fn done(&self, id: u64, mine: usize) -> bool {
            if self.blockers > mine {
                return false;
            }
            let call = self
                .calls
                .iter()
                .find(|call| call.id == id)
                .expect("a call is listed until it returns");
            // A started thread is listed from start() until its finish.
            !registry::any_thread(|t| {
                t.kind() == Kind::Started
                    && !t.is_daemon()
                    && !t.ident().is_some_and(|ident| call.excused.contains(&ident))
            })
        }
    }

    /// One `shutdown()` call, listed while it runs.
    pub(super) struct Call {
        id: u64,
    }

    impl Call {
        /// Lists a call by the thread `ident`; from now on no other call
        /// made off the main thread waits for this thread, nor this call
        /// (unless `on_main`) for the threads in one.
        pub(super) fn enter(ident: u64, on_main: bool) -> Self {
            let mut state = STATE.lock();
            let id = state.next_id;
            state.next_id += 1;
            let mut excused = vec![ident];
            for call in &mut state.calls {
                if !call.on_main && !call.excused.contains(&ident) {
                    call.excused.push(ident);
                }
                if !on_main && !excused.contains(&call.ident) {
                    excused.push(call.ident);
                }
            }
            state.calls.push(Caller {
                id,
                ident,
                on_main,
                excused,
            });
            drop(state);
            // A call waiting for this thread may be done now.
            wake_all();
            Self { id }
        }

        /// Waits until this call is done (see `State::done`).
        pub(super) fn wait(&self) {
            let mine = blockers::MINE.try_with(Cell::get).unwrap_or(0);
            let mut state = STATE.lock();
            while !state.done(self.id, mine) {
                let _ = wait::park_releasing(key(), state, Deadline::NEVER);
                state = STATE.lock();
            }
        }
    }

    impl Drop for Call {
        fn drop(&mut self) {
            // The others keep this thread excused: nobody to wake.
            STATE.lock().calls.retain(|call| call.id != self.id);
        }
    }
}

fn run_atexit_hooks() {
    loop {
        // Take them all, so hooks may register more (and run them next round).
        let hooks = std::mem::take(&mut *ATEXIT.lock());
        if hooks.is_empty() {
            return;
        }
        for hook in hooks.into_iter().rev() {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(hook)) {
                let message = excepthook::payload_message(payload.as_ref());
                excepthook::drop_payload(payload);
                let me = crate::current_thread();
                excepthook::report(&ExceptHookArgs {
                    thread_name: me.name(),
                    message: format!("atexit hook panicked: {message}"),
                    location: None,
                    backtrace: None,
                    thread: Some(me),
                });
            }
        }
    }
}

/// Calls [`shutdown`] when dropped: `let _main = ShutdownGuard::new();` at
/// the top of `main` makes the program wait for its non-daemon threads at
/// exit, as a Python program does (also when `main` returns early with `?`
/// or unwinds from a panic).
///
/// ```
/// use pythreading_core::{ShutdownGuard, Thread};
///
/// fn main() {
///     let _main = ShutdownGuard::new();
///     Thread::new(|| println!("printed before the program exits")).start().unwrap();
/// } // the guard waits here
/// ```
#[derive(Debug)]
#[must_use = "the guard waits for the threads when it is dropped; bind it with `let _main = …`"]
#[non_exhaustive]
pub struct ShutdownGuard;

impl ShutdownGuard {
    /// A guard for the end of `main`.
    pub fn new() -> Self {
        // Register the main thread now, so enumerate() shows it.
        let _ = registry::main_thread();
        ShutdownGuard
    }
}

impl Default for ShutdownGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        shutdown();
    }
}
