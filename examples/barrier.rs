//! "Barrier" from the tutorial: a pool of worker threads that must all be
//! initialised before any of them starts working.
//!
//! Run it with `cargo run --example barrier`.
//!
//! Three named workers start together. Each one initialises first (a short
//! sleep of a different length stands for opening a connection or loading
//! data), then calls `wait()` on a [`Barrier`] for three parties. Nobody
//! gets past `wait()` until the last worker has arrived, so every "ready"
//! line comes before any "working" line, however the initialisations
//! overlap. The barrier's action, run once by the last worker to arrive
//! and before anyone is released, logs the moment the pool is complete.
//!
//! The barrier also has a default timeout: if a worker never arrived, the
//! others would get `BrokenBarrier` after ten seconds instead of waiting for
//! ever. The workers' return values (`Result`s) reach the main thread
//! through `into_result`, so such an error would end the program with a
//! message. One possible run:
//!
//! ```text
//! 10:21:07: Main    : starting 3 workers
//! 10:21:07: worker-0: initialising
//! 10:21:07: worker-1: initialising
//! 10:21:07: worker-2: initialising
//! 10:21:07: worker-1: ready
//! 10:21:07: worker-2: ready
//! 10:21:07: worker-0: ready
//! 10:21:07: Barrier : all 3 workers ready
//! 10:21:07: worker-0: working
//! 10:21:07: worker-1: working
//! 10:21:07: worker-2: working
//! 10:21:07: worker-1: finished
//! 10:21:07: worker-0: finished
//! 10:21:07: worker-2: finished
//! 10:21:07: Main    : all workers done
//! ```

use std::error::Error;
use std::sync::Arc;
use std::thread::sleep;
use std::time::Duration;

use log::info;
use pythreading::sync::{Barrier, SyncError};
use pythreading::{ShutdownGuard, Thread, current_thread};

/// How many workers the pool has: the barrier's parties.
const WORKERS: usize = 3;

/// How long each worker takes to initialise: different on purpose, and not
/// in start order.
const SETUP_MS: [u64; WORKERS] = [300, 100, 200];

fn worker(barrier: &Barrier, setup: Duration) -> Result<(), SyncError> {
    let name = current_thread().name();
    info!("{name}: initialising");
    sleep(setup);
    info!("{name}: ready");
    barrier.wait()?;
    info!("{name}: working");
    sleep(Duration::from_millis(100));
    info!("{name}: finished");
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: would wait for any worker left unjoined.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let barrier = Arc::new(
        Barrier::new(WORKERS)?
            .with_timeout(Duration::from_secs(10))
            .with_action(|| info!("Barrier : all {WORKERS} workers ready")),
    );

    info!("Main    : starting {WORKERS} workers");
    let mut workers = Vec::new();
    for (index, setup_ms) in SETUP_MS.into_iter().enumerate() {
        let barrier = Arc::clone(&barrier);
        let thread = Thread::builder()
            .name(format!("worker-{index}"))
            .spawn(move || worker(&barrier, Duration::from_millis(setup_ms)))?;
        workers.push(thread);
    }

    for thread in workers {
        thread.into_result()??;
    }
    info!("Main    : all workers done");
    Ok(())
}
