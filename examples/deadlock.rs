//! "Deadlock" from the tutorial: a thread acquires a `Lock` it already
//! holds, then the same with an `RLock`.
//!
//! Run it with `cargo run --example deadlock`.
//!
//! The tutorial's program prints a line, acquires a `Lock`, prints
//! another line and acquires the same `Lock` again. In Python it
//! hangs for ever at the second `acquire`: a `Lock` is not re-entrant, and
//! the only thread that could release it is the one waiting for it. To show
//! that without hanging, the second acquire here is `acquire_timeout` with
//! one second of patience; it gives up, and "acquired lock twice" is never
//! printed for the `Lock`.
//!
//! The same program with an `RLock`, the tutorial's fix, gets through both
//! acquires at once; the lock is free again after two releases:
//!
//! ```text
//! with a Lock:
//! before first acquire
//! before second acquire
//! second acquire timed out after 1s: a Lock is not re-entrant, this is a deadlock
//! with an RLock:
//! before first acquire
//! before second acquire
//! acquired lock twice
//! released twice: the RLock is free again
//! ```

use std::error::Error;
use std::time::Duration;

use pythreading::sync::{Lock, RLock};

/// How long the second acquire of the `Lock` waits before giving up; the
/// tutorial's waits for ever.
const PATIENCE: Duration = Duration::from_secs(1);

fn main() -> Result<(), Box<dyn Error>> {
    println!("with a Lock:");
    let l = Lock::new();
    println!("before first acquire");
    l.acquire();
    println!("before second acquire");
    if l.acquire_timeout(PATIENCE) {
        // Cannot happen: this very thread holds the lock.
        println!("acquired lock twice");
        l.release()?;
    } else {
        println!(
            "second acquire timed out after {PATIENCE:?}: a Lock is not re-entrant, this is a deadlock"
        );
    }
    l.release()?;

    println!("with an RLock:");
    let l = RLock::new();
    println!("before first acquire");
    l.acquire();
    println!("before second acquire");
    l.acquire();
    println!("acquired lock twice");
    // As many releases as acquires.
    l.release()?;
    l.release()?;
    if !l.locked() {
        println!("released twice: the RLock is free again");
    }
    Ok(())
}
