//! "Daemon Threads" from the tutorial: the single-thread program again, but
//! the worker is a daemon thread.
//!
//! Run it with `cargo run --example daemon_thread`.
//!
//! The [`ShutdownGuard`] at the end of `main` waits only for non-daemon
//! threads, so the program exits as soon as the main thread has logged
//! "all done". The worker is still in its two-second sleep at that moment
//! and is stopped with the process: its "finishing" line never appears, and
//! the whole run takes a fraction of a second. Every run prints:
//!
//! ```text
//! 10:21:07: Main    : before creating thread
//! 10:21:07: Main    : before running thread
//! 10:21:07: Thread 1: starting
//! 10:21:07: Main    : wait for the thread to finish
//! 10:21:07: Main    : all done
//! ```
//!
//! As in `single_thread`, "Thread 1: starting" comes before "wait for the
//! thread to finish" because the main thread waits for an [`Event`] the
//! worker sets after logging it: Python's `start()` and GIL give that
//! order without asking, parallel Rust threads do not. Here it matters
//! even more: without the wait the main thread could log "all done" and
//! exit before the daemon had printed anything at all. That "finishing"
//! never appears is timing, not synchronisation: the process exits long
//! before the two-second sleep ends.
//!
//! Uncommenting the `join` makes the main thread wait for the daemon, and
//! "Thread 1: finishing" is printed before "all done" ("join() a Thread"
//! in the tutorial): `join` waits for daemon and non-daemon threads alike.

use std::error::Error;
use std::sync::Arc;

use log::info;
use pythreading::{Event, ShutdownGuard, Thread};
use pythreading_examples::thread_function_signalling;

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: joins the non-daemon threads, of which there are none.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    info!("Main    : before creating thread");
    // Set by the worker once it has logged "Thread 1: starting".
    let started = Arc::new(Event::new());
    let x = Thread::builder().daemon(true).build({
        let started = Arc::clone(&started);
        move || thread_function_signalling(1, &started)
    });
    info!("Main    : before running thread");
    x.start()?;
    // What CPython's start() and GIL give without asking (see above).
    started.wait();
    info!("Main    : wait for the thread to finish");
    // Uncomment to wait for the daemon thread before exiting.
    // x.join()?;
    info!("Main    : all done");
    Ok(())
}
