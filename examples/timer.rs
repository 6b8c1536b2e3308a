//! "Timer" from the tutorial: a prompt scheduled with a `Timer` and
//! cancelled when the user acts in time.
//!
//! Run it with `cargo run --example timer`.
//!
//! The tutorial's idea: a `Timer` is a way to call a function later, and
//! `cancel()` takes it back. A program that waits for the user schedules a
//! prompt ("still there?"); if the user acts before it is due, the program
//! cancels it and the prompt never appears.
//!
//! There are two rounds. In the first the user presses Enter after half a
//! second, well before the prompt is due at two seconds: the timer is
//! cancelled and its prompt is never printed. In the second the user is
//! away; the prompt appears after one second, the user sees it and comes
//! back, and the `cancel()` that follows does nothing, as in Python (the
//! prompt has already been shown). The user is simulated by a daemon thread
//! that "types" into a channel, which the main thread reads as it would read
//! stdin. The whole run takes about two seconds.
//!
//! ```text
//! 10:21:07: Main    : round 1: waiting for the user, prompt in 2.0 s
//! 10:21:07: User    : round 1: presses Enter after 0.5 s
//! 10:21:07: Main    : round 1: the user acted in time, the prompt is cancelled
//! 10:21:07: Main    : round 2: waiting for the user, prompt in 1.0 s
//! 10:21:08: Timer   : round 2: still there? Press Enter to continue
//! 10:21:09: User    : round 2: sees the prompt, presses Enter
//! 10:21:09: Main    : round 2: the user was late, the prompt was shown
//! 10:21:09: Main    : all done
//! ```
//!
//! The `Timer` does not get a thread of its own, as it would in Python: the
//! prompt is printed by one of the few shared timer threads. Its callback
//! is short, as timer callbacks should be.

use std::error::Error;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};
use std::thread::sleep;
use std::time::Duration;

use log::info;
use pythreading::sync::{Event, Timer};
use pythreading::{ShutdownGuard, Thread};

/// The prompt a waiting program shows when the user takes too long.
fn prompt(round: u32, shown: &Event) {
    info!("Timer   : round {round}: still there? Press Enter to continue");
    shown.set();
}

/// One round: schedule the prompt, wait for the user's Enter, cancel the
/// prompt. Returns whether the prompt was shown.
fn round(
    round: u32,
    prompt_after: Duration,
    user: impl FnOnce(Sender<()>, Arc<Event>) + Send + 'static,
) -> Result<bool, Box<dyn Error>> {
    let shown = Arc::new(Event::new());
    let timer = {
        let shown = Arc::clone(&shown);
        Timer::new(prompt_after, move || prompt(round, &shown))
    };
    let (keyboard, enter) = channel();
    info!(
        "Main    : round {round}: waiting for the user, prompt in {:.1} s",
        prompt_after.as_secs_f64()
    );
    timer.start()?;
    {
        let shown = Arc::clone(&shown);
        Thread::builder()
            .name(format!("user-{round}"))
            .daemon(true)
            .spawn(move || user(keyboard, shown))?;
    }
    enter.recv()?; // as a program would read a line from stdin
    timer.cancel(); // a no-op if the prompt was already shown
    timer.join()?;
    Ok(timer.fired())
}

fn main() -> Result<(), Box<dyn Error>> {
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    // Round 1: the user acts quickly, the prompt is cancelled.
    let shown = round(1, Duration::from_secs(2), |keyboard, _| {
        sleep(Duration::from_millis(500));
        info!("User    : round 1: presses Enter after 0.5 s");
        let _ = keyboard.send(());
    })?;
    if shown {
        info!("Main    : round 1: too late, the prompt was already shown");
    } else {
        info!("Main    : round 1: the user acted in time, the prompt is cancelled");
    }

    // Round 2: the user is away until the prompt brings them back.
    let shown = round(2, Duration::from_secs(1), |keyboard, shown| {
        if shown.wait_timeout(Duration::from_secs(30)) {
            sleep(Duration::from_millis(300)); // reading the prompt
            info!("User    : round 2: sees the prompt, presses Enter");
        }
        let _ = keyboard.send(());
    })?;
    if shown {
        info!("Main    : round 2: the user was late, the prompt was shown");
    } else {
        info!("Main    : round 2: the prompt never came");
    }

    info!("Main    : all done");
    Ok(())
}
