//! "Daemon Threads" from the tutorial: the single-thread program again, but
//! the worker is a daemon thread.
//!
//! Run it with `cargo run --example daemon_thread`.
//!
//! The [`ShutdownGuard`] at the end of `main` waits only for non-daemon
//! threads, so the program exits as soon as the main thread has logged
//! "all done". The worker is still in its two-second sleep at that moment
//! and is stopped with the process: its "finishing" line never appears, and
//! the whole run takes a fraction of a second.
//!
//! One difference from Python is made visible on purpose. In CPython the new
//! thread always gets to log "starting" before the main thread goes on:
//! `start()` waits until the thread runs, and the GIL then lets it run its
//! first lines alone. Rust threads run truly in parallel, so without help the
//! main thread could log "all done" and exit before the worker had printed
//! anything. The worker therefore says "I have started" over a channel, and
//! the main thread waits for that before going on: the output is the
//! tutorial's, every time.
//!
//! ```text
//! 10:21:07: Main    : before creating thread
//! 10:21:07: Main    : before running thread
//! 10:21:07: Thread 1: starting
//! 10:21:07: Main    : wait for the thread to finish
//! 10:21:07: Main    : all done
//! ```
//!
//! Uncommenting the `join` makes the main thread wait for the daemon, and
//! "Thread 1: finishing" is printed before "all done" ("join() a Thread"
//! in the tutorial): `join` waits for daemon and non-daemon threads alike.

use std::error::Error;
use std::sync::mpsc::{Sender, channel};
use std::thread::sleep;
use std::time::Duration;

use log::info;
use pythreading::{ShutdownGuard, Thread};

fn thread_function(name: usize, started: Sender<()>) {
    info!("Thread {name}: starting");
    // The main thread may be gone already; then nobody needs to know.
    let _ = started.send(());
    sleep(Duration::from_secs(2));
    info!("Thread {name}: finishing");
}

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: joins the non-daemon threads, of which there are none.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    info!("Main    : before creating thread");
    let (started, has_started) = channel();
    let x = Thread::builder()
        .daemon(true)
        .build(move || thread_function(1, started));
    info!("Main    : before running thread");
    x.start()?;
    // What CPython's start() and GIL give for free (see above).
    has_started.recv()?;
    info!("Main    : wait for the thread to finish");
    // Uncomment to wait for the daemon thread before exiting.
    // x.join()?;
    info!("Main    : all done");
    Ok(())
}
