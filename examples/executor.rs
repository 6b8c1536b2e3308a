//! "Using a ThreadPoolExecutor" from the tutorial: the three workers of
//! `multiple_threads`, started by a pool of three instead of by hand.
//!
//! Run it with `cargo run --example executor`.
//!
//! `map` hands `0`, `1` and `2` to the pool's workers, which start them
//! at once and all sleep for two seconds together. The block around the
//! executor is Python's `with`: dropping the executor waits for its
//! workers. Which thread finishes first is up to the operating system.
//! One possible run:
//!
//! ```text
//! 10:21:07: Thread 0: starting
//! 10:21:07: Thread 1: starting
//! 10:21:07: Thread 2: starting
//! 10:21:09: Thread 1: finishing
//! 10:21:09: Thread 0: finishing
//! 10:21:09: Thread 2: finishing
//! ```
//!
//! Unlike Python's, the results of `map` are read here: a task that
//! panicked would come back as an error instead of vanishing.

use std::error::Error;

use pythreading::ShutdownGuard;
use pythreading::futures::ThreadPoolExecutor;
use pythreading_examples::thread_function;

fn main() -> Result<(), Box<dyn Error>> {
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    {
        let executor = ThreadPoolExecutor::new(3)?;
        for outcome in executor.map(thread_function, 0..3)? {
            outcome?;
        }
    } // The executor is dropped here: it waits for its workers.
    Ok(())
}
