//! "Working With Many Threads" from the tutorial: start three threads the
//! hard way, keep them in a `Vec` and join them one after the other.
//!
//! Run it with `cargo run --example multiple_threads`.
//!
//! The three workers start in order, then all sleep for two seconds at the
//! same time, so the run takes about two seconds in total. The order in
//! which they finish is up to the operating system and changes from run to
//! run; the main thread always reports them done in index order, because it
//! joins thread 0 first, then 1, then 2. One possible run:
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

use std::error::Error;

use log::info;
use pythreading::{ShutdownGuard, Thread};
use pythreading_examples::thread_function;

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: would wait for any thread left unjoined.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let mut threads = Vec::new();
    for index in 0..3 {
        info!("Main    : create and start thread {index}.");
        let x = Thread::new(move || thread_function(index));
        x.start()?;
        threads.push(x);
    }

    for (index, thread) in threads.iter().enumerate() {
        info!("Main    : before joining thread {index}.");
        thread.join()?;
        info!("Main    : thread {index} done");
    }
    Ok(())
}
