//! "Starting a Thread" from the tutorial: the main thread starts one worker
//! and never joins it.
//!
//! Run it with `cargo run --example single_thread`.
//!
//! The worker logs that it is starting, sleeps for two seconds and logs that
//! it is finishing. Meanwhile the main thread runs to the end of `main` and
//! logs "all done". The program still does not exit then: the
//! [`ShutdownGuard`] waits for every non-daemon thread, as Python does at
//! exit, so after a pause of about two seconds the worker's last line
//! appears *after* the main thread's last line. Every run prints:
//!
//! ```text
//! 10:21:07: Main    : before creating thread
//! 10:21:07: Main    : before running thread
//! 10:21:07: Thread 1: starting
//! 10:21:07: Main    : wait for the thread to finish
//! 10:21:07: Main    : all done
//! 10:21:09: Thread 1: finishing
//! ```
//!
//! Two things put the lines in this order, and they are of different kinds:
//!
//! - "Thread 1: starting" before "wait for the thread to finish" is
//!   *synchronisation*. Python's `start()` returns only once the new thread
//!   is running, and in practice the GIL then lets that thread log its
//!   first line before the main thread logs again. Rust threads run truly
//!   in parallel and pythreading's `start()` returns at once, so left
//!   alone the two threads would race for the next line and either could
//!   win. Here the worker sets an [`Event`] right after logging
//!   "starting", and the main thread waits for it: the tutorial's order,
//!   on every run, and visibly so.
//! - "all done" before "Thread 1: finishing" is *timing*: the worker sleeps
//!   two seconds, and the main thread has only two lines left to log. No
//!   lock or event enforces it; a main thread stopped for two whole seconds
//!   would print it the other way round. The `join` below is what would
//!   enforce the other order ("join() a Thread" in the tutorial).

use std::error::Error;
use std::sync::Arc;

use log::info;
use pythreading::{Event, ShutdownGuard, Thread};
use pythreading_examples::thread_function_signalling;

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last, at the end of `main`: waits for the non-daemon threads.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    info!("Main    : before creating thread");
    // Set by the worker once it has logged "Thread 1: starting".
    let started = Arc::new(Event::new());
    let x = Thread::new({
        let started = Arc::clone(&started);
        move || thread_function_signalling(1, &started)
    });
    info!("Main    : before running thread");
    x.start()?;
    // What CPython's start() and GIL give without asking (see above).
    started.wait();
    info!("Main    : wait for the thread to finish");
    // Uncomment to wait for the thread right here: "Thread 1: finishing"
    // then comes before "all done" (see "join() a Thread" in the tutorial).
    // x.join()?;
    info!("Main    : all done");
    Ok(())
}
