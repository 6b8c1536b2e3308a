//! "Working With Many Threads" from the tutorial: start three threads the
//! hard way, keep them in a `Vec` and join them one after the other.
//!
//! Run it with `cargo run --example multiple_threads`.
//!
//! The three workers start in order, then all sleep for two seconds at the
//! same time, so the run takes about two seconds in total. The order in
//! which they *finish* is up to the operating system and changes from run
//! to run, as the tutorial warns; the main thread always reports them done
//! in index order, because it joins thread 0 first, then 1, then 2. One
//! run:
//!
//! ```text
//! 10:21:07: Main    : create and start thread 0.
//! 10:21:07: Thread 0: starting
//! 10:21:07: Main    : create and start thread 1.
//! 10:21:07: Thread 1: starting
//! 10:21:07: Main    : create and start thread 2.
//! 10:21:07: Thread 2: starting
//! 10:21:07: Main    : before joining thread 0.
//! 10:21:09: Thread 2: finishing
//! 10:21:09: Thread 1: finishing
//! 10:21:09: Thread 0: finishing
//! 10:21:09: Main    : thread 0 done
//! 10:21:09: Main    : before joining thread 1.
//! 10:21:09: Main    : thread 1 done
//! 10:21:09: Main    : before joining thread 2.
//! 10:21:09: Main    : thread 2 done
//! ```
//!
//! What is the same on every run, and why:
//!
//! - Each "Thread N: starting" right after "create and start thread N.":
//!   the main thread waits for an [`Event`] the worker sets once it has
//!   logged that line, before creating the next worker. Python's `start()`
//!   and GIL give this order without asking; parallel Rust threads would
//!   otherwise interleave the first six lines differently from run to run.
//! - Each "Thread N: finishing" before "thread N done": `join` returns only
//!   once thread N has ended.
//! - "before joining thread 0." before every "finishing": timing only; the
//!   workers sleep two seconds and the main thread has one line to log.
//!
//! Only the order of the three "finishing" lines is left to chance: that is
//! the tutorial's point.

use std::error::Error;
use std::sync::Arc;

use log::info;
use pythreading::{Event, ShutdownGuard, Thread};
use pythreading_examples::thread_function_signalling;

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: would wait for any thread left unjoined.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let mut threads = Vec::new();
    for index in 0..3 {
        info!("Main    : create and start thread {index}.");
        // Set by the worker once it has logged "Thread {index}: starting".
        let started = Arc::new(Event::new());
        let x = Thread::new({
            let started = Arc::clone(&started);
            move || thread_function_signalling(index, &started)
        });
        x.start()?;
        // What CPython's start() and GIL give without asking (see above).
        started.wait();
        threads.push(x);
    }

    for (index, thread) in threads.iter().enumerate() {
        info!("Main    : before joining thread {index}.");
        thread.join()?;
        info!("Main    : thread {index} done");
    }
    Ok(())
}
