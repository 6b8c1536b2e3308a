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
/// [`new`](Self::new) is parking_lot's schedule (3 rounds of 2, 4 and 8
/// spins, then 7 yields), right for a lock held for a few nanoseconds.
/// [`with_rounds`](Self::with_rounds) sets another one, for a wait whose
/// partner is measured to come back later (an idle pool worker) or where
/// yielding the core costs more than it saves (a future's waiter).
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
#[derive(Debug, Clone)]
pub struct SpinWait {
    counter: u32,
    spins: u32,
    yields: u32,
}

impl Default for SpinWait {
    fn default() -> Self {
        Self::new()
    }
}

impl SpinWait {
    /// parking_lot's schedule: 3 spinning rounds, then 7 yields.
    pub const fn new() -> Self {
        Self::with_rounds(3, 7)
    }

    /// `spins` rounds of busy-waiting, each twice as long as the last (2,
    /// 4, 8, … spins), then `yields` rounds that each yield the time slice.
    pub const fn with_rounds(spins: u32, yields: u32) -> Self {
        Self {
            counter: 0,
            spins,
            yields,
        }
    }

    /// Spins or yields once; `false` when it is time to park.
    #[inline]
    pub fn spin(&mut self) -> bool {
        if !sys::SPIN || self.counter >= self.spins.saturating_add(self.yields) {
            return false;
        }
        if self.counter < self.spins {
            for _ in 0..(2u32 << self.counter.min(20)) {
                sys::spin_loop();
            }
        } else {
            sys::yield_now();
        }
        self.counter += 1;
        true
    }

    /// Starts the schedule again (after progress was made).
    pub fn reset(&mut self) {
        self.counter = 0;
    }
}
