//! Cancellation: the functions that act on the calling thread's current
//! token, a sleep that obeys it, and the opt-in Ctrl-C root.
//!
//! The token itself is [`CancellationToken`]; how a wait obeys it is the
//! waiting primitive's business (`wait/token.rs`).

use std::time::Duration;

use crate::wait::{self, Deadline, Key, Wake};
pub use crate::wait::{CancelCallback, CancellationToken, Cancelled, TokenGuard, current_token};

/// Whether the calling thread's current token (see [`current_token`]) is
/// cancelled; `false` if it has none. What a loop that blocks on nothing
/// polls.
pub fn cancelled() -> bool {
    current_token().is_some_and(|token| token.is_cancelled())
}

/// `Err(Cancelled)` if the calling thread's current token is cancelled:
/// [`cancelled`] for `?`.
///
/// ```
/// use pythreading_core::{CancellationToken, Cancelled, check_cancelled};
///
/// fn crunch(rows: &[u64]) -> Result<u64, Cancelled> {
///     let mut sum = 0;
///     for row in rows {
///         check_cancelled()?;
///         sum += row;
///     }
///     Ok(sum)
/// }
/// assert_eq!(crunch(&[1, 2]), Ok(3));
/// let token = CancellationToken::new();
/// token.cancel();
/// assert_eq!(token.run(|| crunch(&[1, 2])), Err(Cancelled));
/// ```
pub fn check_cancelled() -> Result<(), Cancelled> {
    if cancelled() { Err(Cancelled) } else { Ok(()) }
}

/// Sleeps for `duration`, or until the calling thread's current token is
/// cancelled: then `Err(Cancelled)` within a moment of the cancel (at
/// once if it is cancelled already, whatever the duration). `Duration::MAX`
/// sleeps until cancelled. Without a token it is
/// [`std::thread::sleep`]'s equal.
///
/// ```
/// use pythreading_core::{CancellationToken, sleep};
/// use std::time::{Duration, Instant};
///
/// assert_eq!(sleep(Duration::from_millis(1)), Ok(()));
/// let token = CancellationToken::new();
/// let canceller = {
///     let token = token.clone();
///     std::thread::spawn(move || token.cancel())
/// };
/// let start = Instant::now();
/// assert!(token.run(|| sleep(Duration::MAX)).is_err());
/// assert!(start.elapsed() < Duration::from_secs(60));
/// canceller.join().unwrap();
/// ```
pub fn sleep(duration: Duration) -> Result<(), Cancelled> {
    let deadline = Deadline::after(duration);
    // Nobody else knows this address: only the deadline or a cancel ends
    // the park.
    let anchor = 0u8;
    loop {
        match wait::park_cancellable(Key::of(&anchor), || true, || {}, deadline) {
            Wake::Cancelled => return Err(Cancelled),
            Wake::TimedOut => return Ok(()),
            Wake::Notified | Wake::Invalid => {}
        }
    }
}

/// The process's root token, cancelled by the first Ctrl-C (SIGINT): the
/// opt-in answer to Python's `KeyboardInterrupt`.
///
/// From the first call on, it is the current token of every thread that
/// has none of its own (the main thread blocked in a join or a `get`, a
/// thread started without one), and the parent of every executor task's
/// token; a token installed on a thread replaces it there (make that one
/// its child to keep Ctrl-C reaching it). The first Ctrl-C cancels it:
/// blocked calls return `Cancelled`, and the program ends as it chooses;
/// a second Ctrl-C ends the process at once with exit code 130, as a shell
/// reports a SIGINT. Every call returns the same token.
///
/// Errors: the process already has a SIGINT handler of another library's
/// (the signal crate refuses a second one).
///
/// Requires the `ctrl-c` cargo feature.
#[cfg(feature = "ctrl-c")]
pub fn cancel_on_ctrl_c() -> Result<CancellationToken, std::io::Error> {
    static INSTALLED: std::sync::OnceLock<Result<CancellationToken, String>> =
        std::sync::OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        let token = CancellationToken::new();
        let cancels = token.clone();
        ctrlc::set_handler(move || {
            if cancels.is_cancelled() {
                std::process::exit(130);
            }
            cancels.cancel();
        })
        .map_err(|error| error.to_string())?;
        // Root only once the handler is there: a refused handler leaves
        // the process as it was.
        Ok(wait::set_root(|| token))
    });
    installed.clone().map_err(std::io::Error::other)
}
