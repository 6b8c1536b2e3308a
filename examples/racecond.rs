//! "Race Conditions" from the tutorial: two pool threads update a fake
//! database at once, and one update is lost.
//!
//! Run it with `cargo run --example racecond`. For the same program with
//! any number of threads, a table of every statement and a diagram, run
//! `cargo run -p pythreading-fakedb -- race`.
//!
//! `FakeDatabase::update` reads the shared value into `local_copy`, adds
//! one, sleeps 100 ms and writes `local_copy` back. Both threads read 0
//! before either writes, so both write 1: the second write wipes out the
//! first, and the value ends at 1 instead of 2, on every run:
//!
//! ```text
//! 10:42:01: Testing unlocked update. Starting value is 0.
//! 10:42:01: Thread 0: starting update
//! 10:42:01: Thread 1: starting update
//! 10:42:01: Thread 0: finishing update
//! 10:42:01: Thread 1: finishing update
//! 10:42:01: Testing unlocked update. Ending value is 1.
//! ```
//!
//! The race involves no `unsafe` and no data race in Rust's sense: the
//! value is an atomic integer, loaded once and stored once. What is lost
//! is the read–modify–write between them, which no compiler can see.

use std::error::Error;
use std::sync::Arc;

use pythreading::ShutdownGuard;
use pythreading::futures::ThreadPoolExecutor;
use pythreading_fakedb::FakeDatabase;

fn main() -> Result<(), Box<dyn Error>> {
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let database = Arc::new(FakeDatabase::new());
    log::info!(
        "Testing unlocked update. Starting value is {}.",
        database.value()
    );
    let mut updates = Vec::new();
    {
        let executor = ThreadPoolExecutor::new(2)?;
        for index in 0..2 {
            let database = Arc::clone(&database);
            updates.push(executor.submit(move || database.update(index))?);
        }
    } // Dropping the executor waits for both updates.
    for update in updates {
        update.result()?; // a panicking update would surface here
    }
    log::info!(
        "Testing unlocked update. Ending value is {}.",
        database.value()
    );
    Ok(())
}
