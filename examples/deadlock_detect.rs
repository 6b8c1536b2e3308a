//! Deadlock detection: two threads take two named locks in opposite order
//! and deadlock; a watchdog names the threads and the locks.
//!
//! Run it with
//! `cargo run -p pythreading-examples --example deadlock_detect --features deadlock-detection`.
//!
//! The tutorial's deadlock section ends with a program that is simply
//! stuck, and nothing says why. Here `Thread-1` takes `db` then wants
//! `cache`, while `Thread-2` takes `cache` then wants `db`; a barrier makes
//! sure each holds its first lock before it asks for the second, so they
//! deadlock every time. The watchdog started with
//! [`deadlock::start_watchdog`] checks every 100 ms and reports the cycle
//! once, through the log and through its callback, which prints the story
//! and wakes the main thread. Lock-order checking
//! ([`deadlock::potential`]) names the same two locks as taken in opposite
//! orders.
//!
//! The two stuck threads are daemon threads, so the program exits by itself
//! once the main thread is done: it does not wait for them.
//!
//! ```text
//! Thread-1: acquired db
//! Thread-2: acquired cache
//! Thread-1: waiting for cache
//! Thread-2: waiting for db
//! 10:21:07: deadlock: Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db
//! watchdog: Thread-1 holds db and waits for cache; Thread-2 holds cache and waits for db
//! lock order: Thread-1 took db then cache; Thread-2 took cache then db
//! Main    : the deadlocked threads are daemon threads; exiting
//! ```

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use pythreading::Thread;
use pythreading::sync::{Barrier, Event, Lock, deadlock};
use pythreading_examples::init_logging;

/// How often the watchdog looks.
const INTERVAL: Duration = Duration::from_millis(100);
/// How long the main thread waits for the report before calling it a bug.
const PATIENCE: Duration = Duration::from_secs(30);

/// Takes `first`, waits at `both` until the other thread holds its first
/// lock too, then takes `second`: with the other thread doing the same in
/// the opposite order, this never returns.
fn take_both(first: &Lock, first_name: &str, second: &Lock, second_name: &str, both: &Barrier) {
    let me = pythreading::current_thread().name();
    let _first = first.guard();
    println!("{me}: acquired {first_name}");
    // Both threads hold their first lock past this point.
    let _ = both.wait();
    println!("{me}: waiting for {second_name}");
    let _second = second.guard();
    println!("{me}: acquired both (not a deadlock after all)");
}

fn main() -> Result<(), Box<dyn Error>> {
    init_logging();
    let db = Arc::new(Lock::named("db"));
    let cache = Arc::new(Lock::named("cache"));
    let both = Arc::new(Barrier::new(2)?);

    let mut threads = Vec::new();
    for (first, first_name, second, second_name) in
        [(&db, "db", &cache, "cache"), (&cache, "cache", &db, "db")]
    {
        let (first, second, both) = (Arc::clone(first), Arc::clone(second), Arc::clone(&both));
        let thread = Thread::builder()
            .daemon(true)
            .build(move || take_both(&first, first_name, &second, second_name, &both));
        thread.start()?;
        threads.push(thread);
    }

    let reported = Arc::new(Event::new());
    let report = Arc::clone(&reported);
    deadlock::start_watchdog(INTERVAL, move |found| {
        println!("watchdog: {found}");
        report.set();
    });

    if !reported.wait_timeout(PATIENCE) {
        return Err(format!("no deadlock was reported within {PATIENCE:?}").into());
    }
    for inversion in deadlock::potential() {
        println!("lock order: {inversion}");
    }
    println!("Main    : the deadlocked threads are daemon threads; exiting");
    Ok(())
}
