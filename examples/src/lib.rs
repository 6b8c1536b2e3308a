//! The programs of the "Intro to Threading" tutorial, reproduced with
//! `pythreading`.
//!
//! Every program of the tutorial lives in this package as a Cargo example
//! (`cargo run --example NAME`, e.g. `single_thread`, `daemon_thread`,
//! `multiple_threads`, `racecond`). This small library holds what they
//! share. The logger set up as the tutorial sets up Python's `logging` (the
//! local time as `HH:MM:SS`, a colon, then the message, at level INFO) is
//! [`pythreading_fakedb::logging`]'s, re-exported here: env_logger with the
//! tutorial's format, so the Rust output can be compared with the Python
//! output line by line:
//!
//! ```text
//! 14:03:27: Main    : before creating thread
//! ```
//!
//! Set the environment variable [`LOG_LEVEL_ENV`] (`PYTHREADING_LOG=debug`)
//! to change the level without editing a program, the way the tutorial
//! suggests switching `level=logging.INFO` to `logging.DEBUG`.
//!
//! The thread programs share the tutorial's worker, [`thread_function`],
//! and [`thread_function_signalling`], the same worker saying when it has
//! logged its first line. The producer–consumer programs also share [`Rng`], a few lines standing
//! in for Python's `random.randint`, so the examples need no random-number
//! crate, and [`check_delivery`], their closing verdict.

use std::error::Error;
use std::fmt::Debug;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pythreading::Event;

pub use pythreading_fakedb::logging::{LOG_LEVEL_ENV, init_logging};

/// The tutorial's worker: logs that thread `name` starts, sleeps two
/// seconds, logs that it finishes. Run by a pool's workers in `executor`.
pub fn thread_function(name: usize) {
    log::info!("Thread {name}: starting");
    sleep_then_finish(name);
}

/// [`thread_function`], setting `started` as soon as it has logged
/// "starting".
///
/// A thread that starts it lets the main thread wait for that line before
/// logging its own next one, which is what CPython gives without asking:
/// its `start()` returns once the new thread runs, and the GIL then lets
/// that thread log first. Started by hand in `single_thread`,
/// `daemon_thread` and `multiple_threads`.
///
/// ```
/// use std::sync::Arc;
/// use pythreading::{Event, Thread};
/// use pythreading_examples::thread_function_signalling;
///
/// let started = Arc::new(Event::new());
/// let worker = Thread::new({
///     let started = Arc::clone(&started);
///     move || thread_function_signalling(1, &started)
/// });
/// worker.start()?;
/// started.wait(); // "Thread 1: starting" has been logged
/// # Ok::<(), pythreading::ThreadError>(())
/// ```
pub fn thread_function_signalling(name: usize, started: &Event) {
    log::info!("Thread {name}: starting");
    started.set();
    sleep_then_finish(name);
}

/// The rest of the tutorial's worker: two seconds of "work", then the last line.
fn sleep_then_finish(name: usize) {
    std::thread::sleep(Duration::from_secs(2));
    log::info!("Thread {name}: finishing");
}

/// A tiny pseudo-random number generator (xorshift64*), seeded from the
/// clock: the tutorial's `random.randint`, for made-up messages.
///
/// Good enough to make every run print different numbers; not for anything
/// that needs real randomness.
///
/// ```
/// use pythreading_examples::Rng;
///
/// let mut rng = Rng::from_clock();
/// let n = rng.randint(1, 100);
/// assert!((1..=100).contains(&n));
/// ```
#[derive(Debug, Clone)]
pub struct Rng {
    /// Never zero: xorshift would stay at zero for ever.
    state: u64,
}

impl Rng {
    /// A generator seeded from the current time.
    pub fn from_clock() -> Self {
        // Before 1970 only on a badly broken clock; any seed will do then.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Fold the 128-bit count into 64 bits; `with_seed` spreads it.
        Self::with_seed((nanos as u64) ^ ((nanos >> 64) as u64))
    }

    /// A generator that always gives the same numbers for the same `seed`.
    pub fn with_seed(seed: u64) -> Self {
        // One splitmix64 step: nearby seeds (clock readings a few
        // nanoseconds apart) give unrelated starting states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self {
            state: if z == 0 { 1 } else { z },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number from `low` to `high`, both included, as Python's
    /// `random.randint(low, high)`. Panics if `low > high`.
    ///
    /// The modulo makes small numbers very slightly more likely (by less
    /// than one in 2^32 for ranges this size): irrelevant here.
    pub fn randint(&mut self, low: u32, high: u32) -> u32 {
        assert!(low <= high, "randint({low}, {high}): empty range");
        let span = u64::from(high - low) + 1;
        // The remainder is below `span`, which fits in u32 + 1: the sum
        // is at most `high`.
        low + (self.next_u64() % span) as u32
    }
}

/// The producer–consumer programs' closing lines: logs how many messages
/// were produced and consumed, then whether every one arrived, in order.
/// A loss is an error naming both lists, so the program exits non-zero.
///
/// ```
/// assert!(pythreading_examples::check_delivery(&[1, 2], &[1, 2]).is_ok());
/// assert!(pythreading_examples::check_delivery(&[1, 2], &[2]).is_err());
/// ```
pub fn check_delivery<T: PartialEq + Debug>(
    produced: &[T],
    consumed: &[T],
) -> Result<(), Box<dyn Error>> {
    log::info!(
        "Main: produced {}, consumed {}",
        produced.len(),
        consumed.len()
    );
    if produced != consumed {
        log::info!("Main: LOST MESSAGES");
        return Err(format!("sent {produced:?}, but stored {consumed:?}").into());
    }
    log::info!("Main: every message produced was consumed, in order");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randint_stays_in_range_and_reaches_both_ends() {
        let mut rng = Rng::with_seed(42);
        let mut seen = [false; 100];
        for _ in 0..10_000 {
            let n = rng.randint(1, 100);
            assert!((1..=100).contains(&n), "{n}");
            seen[n as usize - 1] = true;
        }
        assert!(seen.iter().all(|&s| s), "some number never came");
        assert_eq!(rng.randint(7, 7), 7);
        // The widest range: `high - low + 1` does not fit in u32, and
        // neither the span nor the sum may overflow.
        let mut wide = Rng::with_seed(0);
        let spread: Vec<u32> = (0..64).map(|_| wide.randint(0, u32::MAX)).collect();
        assert!(spread.iter().any(|&n| n > u32::MAX / 2));
        assert!(spread.iter().any(|&n| n < u32::MAX / 2));
    }

    #[test]
    fn same_seed_same_numbers_different_seed_different_numbers() {
        let take = |seed| {
            let mut rng = Rng::with_seed(seed);
            (0..8).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(take(1), take(1));
        assert_ne!(take(1), take(2));
        // A zero seed must not get stuck at zero.
        assert!(take(0).iter().any(|&x| x != 0));
    }
}
