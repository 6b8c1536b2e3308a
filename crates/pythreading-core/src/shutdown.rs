//! Python's exit sequence for threads: `threading._shutdown`.
//!
//! At exit Python runs the hooks registered with `threading._register_atexit`
//! (this is how `concurrent.futures` shuts its pools down), then joins every
//! alive non-daemon thread. Rust has no such step, so pythreading offers it as
//! [`shutdown`], and as [`ShutdownGuard`] to put at the top of `main`.

use std::panic::{self, AssertUnwindSafe};

use crate::excepthook::{self, ExceptHookArgs};
use crate::loom::StaticMutex;
use crate::registry::{self, Kind, ThreadRef};

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
pub fn shutdown() {
    let me = registry::get_ident();
    run_atexit_hooks();
    if me == registry::main_thread().ident().unwrap_or_default() {
        registry::finish_main_thread();
    }
    loop {
        let waiting: Vec<ThreadRef> = registry::enumerate()
            .into_iter()
            .filter(|t| t.kind() == Kind::Started && !t.is_daemon() && t.ident() != Some(me))
            .collect();
        if waiting.is_empty() {
            break;
        }
        for thread in waiting {
            // Errors cannot happen here: the thread is started and not us.
            let _ = thread.join();
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
                let me = crate::current_thread();
                excepthook::report(&ExceptHookArgs {
                    thread_name: me.name(),
                    message: format!(
                        "atexit hook panicked: {}",
                        excepthook::payload_message(payload.as_ref())
                    ),
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
