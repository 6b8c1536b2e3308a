//! "Basic Synchronization Using Lock" from the tutorial: the two updates
//! of `racecond`, each holding the database's `Lock` from its read to its
//! write. Nothing is lost.
//!
//! Run it with `cargo run --example fixrace`, or with
//! `PYTHREADING_LOG=debug cargo run --example fixrace` to see the lock
//! being taken and given back.
//!
//! `FakeDatabase::locked_update` runs the same statements as `update`
//! inside `lock.guard()`, Rust's `with self._lock:`. Thread 1 reaches the
//! lock while Thread 0 sleeps holding it, and waits; it reads only after
//! Thread 0 has written 1, so it writes 2:
//!
//! ```text
//! 10:43:12: Testing locked update. Starting value is 0.
//! 10:43:12: Thread 0: starting update
//! 10:43:12: Thread 1: starting update
//! 10:43:12: Thread 0: finishing update
//! 10:43:12: Thread 1: finishing update
//! 10:43:12: Testing locked update. Ending value is 2.
//! ```
//!
//! At DEBUG level, the lock's steps appear between those lines
//! (`Thread 0 about to lock`, `Thread 0 has lock`, `Thread 1 about to
//! lock`, `Thread 0 about to release lock`, …, `Thread 1 has lock`, …).

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
        "Testing locked update. Starting value is {}.",
        database.value()
    );
    {
        let executor = ThreadPoolExecutor::new(2)?;
        let updates = executor.map(
            {
                let database = Arc::clone(&database);
                move |index| database.locked_update(index)
            },
            0..2,
        )?;
        for update in updates {
            update?; // a panicking update would surface here
        }
    }
    log::info!(
        "Testing locked update. Ending value is {}.",
        database.value()
    );
    Ok(())
}
