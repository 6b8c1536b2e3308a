//! The bounded busy wait tried before parking a thread.
//!
//! Waking a parked thread costs a futex round trip (about 5 µs on a small
//! VM); a lock held for a few nanoseconds is usually free again after a few
//! hundred. So a waiter first spins with exponential backoff, then yields
//! its time slice a few times, and only then parks. The schedule is
//! parking_lot's `SpinWait`. Under loom it never spins: a model explores the
//! park path at once.

use super::sys;

/// Exponential backoff: call [`spin`](Self::spin) until it returns `false`,
/// then park.
///
/// ```
/// use pythreading_core::wait::SpinWait;
///
/// let mut spin = SpinWait::new();
/// let mut rounds = 0;
/// while spin.spin() {
///     rounds += 1;
/// }
/// assert_eq!(rounds, 10);
/// ```
#[derive(Debug, Default, Clone)]
pub struct SpinWait {
    counter: u32,
}

impl SpinWait {
    /// A fresh schedule.
    pub const fn new() -> Self {
        Self { counter: 0 }
    }

    /// Spins or yields once; `false` when it is time to park.
    #[inline]
    pub fn spin(&mut self) -> bool {
        if !sys::SPIN || self.counter >= 10 {
            return false;
        }
        self.counter += 1;
        if self.counter <= 3 {
            for _ in 0..(1u32 << self.counter) {
                sys::spin_loop();
            }
        } else {
            sys::yield_now();
        }
        true
    }

    /// Starts the schedule again (after progress was made).
    pub fn reset(&mut self) {
        self.counter = 0;
    }
}
