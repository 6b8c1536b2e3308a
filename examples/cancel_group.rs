//! Cancellation that reaches running work (beyond the tutorial): a group
//! of downloads where one fails, and the others stop at once.
//!
//! Run it with `cargo run --example cancel_group`.
//!
//! Five "downloads" run in a task group on a pool of five workers, each a
//! cancellable `sleep` of a few seconds. The third one fails after half a
//! second. In Python the other four would run to their end (a running
//! thread cannot be told to stop); here the failure cancels the group's
//! token, every sleeping download wakes with `Cancelled` within a moment,
//! and the group hands back every outcome: the failure, and four
//! downloads stopped early. One possible run:
//!
//! ```text
//! 10:21:07: Download 0: starting (4 s)
//! 10:21:07: Download 1: starting (5 s)
//! 10:21:07: Download 2: starting (0.5 s)
//! 10:21:07: Download 3: starting (6 s)
//! 10:21:07: Download 4: starting (7 s)
//! 10:21:07: Download 2: the server hung up
//! 10:21:07: Download 0: stopped
//! 10:21:07: Download 1: stopped
//! 10:21:07: Download 3: stopped
//! 10:21:07: Download 4: stopped
//! 10:21:07: Main: download 2 failed: the server hung up
//! 10:21:07: Main: 4 downloads stopped, 0 finished, 0 never started
//! 10:21:07: Main: the group ended 0.5 s after it started, not 7 s
//! ```

use std::error::Error;
use std::time::{Duration, Instant};

use log::info;
use pythreading::futures::{TaskError, ThreadPoolExecutor};
use pythreading::{Cancelled, ShutdownGuard, sleep};

/// Why a download did not finish.
#[derive(Debug)]
enum Failed {
    /// The group was cancelled while it ran.
    Stopped,
    /// It failed on its own.
    Broken(&'static str),
}

impl From<Cancelled> for Failed {
    fn from(_: Cancelled) -> Self {
        Self::Stopped
    }
}

/// A download taking `millis`, or failing once `fails_after` passed.
fn download(index: usize, millis: u64, fails: bool) -> Result<usize, Failed> {
    info!(
        "Download {index}: starting ({} s)",
        Duration::from_millis(millis).as_secs_f64()
    );
    let outcome = sleep(Duration::from_millis(millis));
    if fails {
        info!("Download {index}: the server hung up");
        return Err(Failed::Broken("the server hung up"));
    }
    match outcome {
        Ok(()) => {
            info!("Download {index}: finished");
            Ok(index)
        }
        Err(Cancelled) => {
            info!("Download {index}: stopped");
            Err(Failed::Stopped)
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let lengths = [4000, 5000, 500, 6000, 7000];
    let executor = ThreadPoolExecutor::new(lengths.len())?;
    let start = Instant::now();
    let group = executor.group();
    for (index, &millis) in lengths.iter().enumerate() {
        group.submit_fallible(move || download(index, millis, index == 2))?;
    }
    let results = group.join();
    let elapsed = start.elapsed();

    let (mut stopped, mut finished, mut never_started) = (0, 0, 0);
    for (index, outcome) in results.outcomes.iter().enumerate() {
        match outcome {
            Ok(Ok(_)) => finished += 1,
            Ok(Err(Failed::Stopped)) => stopped += 1,
            Ok(Err(Failed::Broken(why))) => info!("Main: download {index} failed: {why}"),
            Err(TaskError::Cancelled) => never_started += 1,
            Err(other) => return Err(other.clone().into()),
        }
    }
    info!("Main: {stopped} downloads stopped, {finished} finished, {never_started} never started");
    let longest = Duration::from_millis(lengths.into_iter().max().unwrap_or(0));
    if results.first_failure == Some(2) && elapsed < longest {
        info!(
            "Main: the group ended {:.1} s after it started, not {} s",
            elapsed.as_secs_f64(),
            longest.as_secs()
        );
    } else {
        info!("Main: THE GROUP DID NOT STOP EARLY");
    }
    Ok(())
}
