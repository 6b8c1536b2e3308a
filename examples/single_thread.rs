//! "Starting a Thread" from the tutorial: the main thread starts one worker
//! and never joins it.
//!
//! Run it with `cargo run --example single_thread`.
//!
//! The worker logs that it is starting, sleeps for two seconds and logs that
//! it is finishing. Meanwhile the main thread runs to the end of `main` and
//! logs "all done" straight away. The program still does not exit then: the
//! [`ShutdownGuard`] waits for every non-daemon thread, as Python does at
//! exit, so after a pause of about two seconds the worker's last line
//! appears *after* the main thread's last line:
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
//! "Thread 1: starting" can come anywhere after "before running thread"
//! (even after "all done"): when the new thread gets to run is up to the
//! operating system. "Thread 1: finishing" is always last.

use std::error::Error;

use log::info;
use pythreading::{ShutdownGuard, Thread};
use pythreading_examples::thread_function;

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last, at the end of `main`: waits for the non-daemon threads.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    info!("Main    : before creating thread");
    let x = Thread::new(move || thread_function(1));
    info!("Main    : before running thread");
    x.start()?;
    info!("Main    : wait for the thread to finish");
    // Uncomment to wait for the thread right here: "Thread 1: finishing"
    // then comes before "all done" (see "join() a Thread" in the tutorial).
    // x.join()?;
    info!("Main    : all done");
    Ok(())
}
