//! "Semaphore" from the tutorial: a pool of connections of limited size.
//!
//! Run it with `cargo run --example semaphore`.
//!
//! Eight worker threads (`worker-1` … `worker-8`) each need a database
//! connection for a short while, but the pool has only three. The pool is a
//! `BoundedSemaphore(3)`: taking a connection acquires a unit (blocking
//! while all three are out) and the connection's guard gives it back when
//! dropped. Bounded rather than plain, as Python's documentation advises for
//! pools: giving back a connection that was never taken is a bug, and a
//! `BoundedSemaphore` reports it instead of quietly growing the pool.
//!
//! The pool counts the connections in use and remembers the peak, which
//! must be exactly the pool size: all three are used, and never a fourth.
//! The workers run three at a time, so the run takes about three rounds of
//! work (under a second). The order of the workers changes from run to run;
//! one possible run:
//!
//! ```text
//! 10:21:07: Main    : pool of 3 connections, 8 workers
//! 10:21:07: worker-1: got a connection
//! 10:21:07: worker-3: got a connection
//! 10:21:07: worker-2: got a connection
//! 10:21:07: worker-1: released
//! 10:21:07: worker-4: got a connection
//! …
//! 10:21:08: worker-8: released
//! 10:21:08: Main    : all workers done
//! 10:21:08: peak connections in use: 3 (pool size 3)
//! ```

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::Duration;

use log::info;
use pythreading::sync::{BoundedSemaphore, SemaphoreGuard};
use pythreading::{ShutdownGuard, Thread, current_thread};

/// Connections in the pool.
const POOL_SIZE: usize = 3;
/// Threads wanting one.
const WORKERS: usize = 8;
/// How long a worker keeps its connection.
const WORK: Duration = Duration::from_millis(250);

/// A pool of `POOL_SIZE` connections, counting how many are out.
struct ConnectionPool {
    slots: BoundedSemaphore,
    in_use: AtomicUsize,
    peak: AtomicUsize,
}

impl ConnectionPool {
    fn new(size: usize) -> Self {
        Self {
            slots: BoundedSemaphore::new(size),
            in_use: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Waits for a free connection and takes it.
    fn connect(&self) -> Connection<'_> {
        let slot = self.slots.guard();
        // Counted only once the unit is held, and uncounted before it is
        // given back (see Drop), so `in_use` never overstates the truth.
        let now = self.in_use.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Connection {
            pool: self,
            _slot: slot,
        }
    }
}

/// A connection taken from the pool; back in the pool when dropped.
struct Connection<'a> {
    pool: &'a ConnectionPool,
    /// Dropped after `drop` below has run: the unit is given back last.
    _slot: SemaphoreGuard<'a>,
}

impl Drop for Connection<'_> {
    fn drop(&mut self) {
        self.pool.in_use.fetch_sub(1, Ordering::SeqCst);
    }
}

fn worker(pool: &ConnectionPool) {
    let name = current_thread().name();
    let connection = pool.connect();
    info!("{name}: got a connection");
    sleep(WORK);
    // Logged while still held, just before it goes back: then in the log, as
    // in the pool, no more than three workers are between "got" and
    // "released". Logged after the drop, the next worker's "got" could come
    // first and the log would seem to show four connections out.
    info!("{name}: released");
    drop(connection);
}

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: would wait for any worker left unjoined.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    info!("Main    : pool of {POOL_SIZE} connections, {WORKERS} workers");
    let pool = Arc::new(ConnectionPool::new(POOL_SIZE));
    let mut workers = Vec::new();
    for index in 1..=WORKERS {
        let pool = Arc::clone(&pool);
        let thread = Thread::builder()
            .name(format!("worker-{index}"))
            .spawn(move || worker(&pool))?;
        workers.push(thread);
    }
    for thread in &workers {
        thread.join()?;
    }
    info!("Main    : all workers done");

    let peak = pool.peak.load(Ordering::SeqCst);
    info!("peak connections in use: {peak} (pool size {POOL_SIZE})");
    if peak > POOL_SIZE {
        return Err(
            format!("{peak} connections were in use at once, the pool has {POOL_SIZE}").into(),
        );
    }
    Ok(())
}
