//! The bounded busy wait tried before parking a thread.
//!
//! Waking a parked thread costs a futex round trip (about 5 µs on a small
//! VM); a lock held for a few nanoseconds is usually free again after a few
//! hundred. So a waiter first spins with exponential backoff, then yields
//! its time slice a few times, and only then parks. The schedule is
//! parking_lot's `SpinWait`. Under loom it never spins.

use crate::loom;

/// Exponential backoff: call [`spin`](Self::spin) until it returns `false`.
#[derive(Debug, Default)]
pub(crate) struct SpinWait {
    counter: u32,
}

impl SpinWait {
    pub(crate) const fn new() -> Self {
        Self { counter: 0 }
    }

    /// Spins or yields once; `false` when it is time to park.
    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        if !loom::SPIN || self.counter >= 10 {
            return false;
        }
        self.counter += 1;
        if self.counter <= 3 {
            for _ in 0..(1u32 << self.counter) {
                loom::spin_loop();
            }
        } else {
            loom::thread::yield_now();
        }
        true
    }
}

/// `now + timeout`, or `None` (wait for ever) when that overflows `Instant`.
pub(crate) fn deadline_after(timeout: std::time::Duration) -> Option<std::time::Instant> {
    std::time::Instant::now().checked_add(timeout)
}

/// How long an acquire may wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    /// Until the deadline (`None`: for ever).
    Until(Option<std::time::Instant>),
    /// At most this long; the clock is read only when the fast path fails.
    Timeout(std::time::Duration),
}

impl Wait {
    /// The deadline of a wait that may block (`Some(None)`: for ever), or
    /// `None` if it may not. Called once the fast path has failed. A zero
    /// timeout may not block: it is a plain try, with no spinning, no
    /// parking and no mark on the lock.
    pub(crate) fn deadline(self) -> Option<Option<std::time::Instant>> {
        match self {
            Wait::Until(deadline) => Some(deadline),
            Wait::Timeout(timeout) if timeout.is_zero() => None,
            Wait::Timeout(timeout) => Some(deadline_after(timeout)),
        }
    }
}

/// Whether `deadline` (`None`: never) has passed.
#[inline]
pub(crate) fn passed(deadline: Option<std::time::Instant>) -> bool {
    deadline.is_some_and(|d| std::time::Instant::now() >= d)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A zero timeout never blocks: the acquire is a plain try, with no
    /// spinning and no parking (every lock and semaphore goes through this).
    #[test]
    fn zero_timeout_is_no_wait() {
        assert!(Wait::Timeout(Duration::ZERO).deadline().is_none());
        assert!(matches!(
            Wait::Timeout(Duration::from_nanos(1)).deadline(),
            Some(Some(_))
        ));
        assert!(matches!(
            Wait::Timeout(Duration::MAX).deadline(),
            Some(None)
        ));
        assert!(matches!(Wait::Until(None).deadline(), Some(None)));
    }
}
