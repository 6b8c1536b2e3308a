//! What the waiting primitive takes from the platform: atomics, thread
//! parking, per-thread storage and the parking table's buckets. `std` and
//! `parking_lot` normally; loom's model-checked versions under `--cfg loom`.
//!
//! loom has no clock: under loom a timed park does not sleep at all (it
//! yields once and reports its deadline passed), so models explore the path
//! where a deadline passes at the worst moment.

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::AtomicU32;
    pub(crate) use std::thread::{Thread, current, park, yield_now};

    /// Parks until unparked (or spuriously), at most until `deadline`.
    pub(crate) fn park_until(deadline: std::time::Instant) {
        let now = std::time::Instant::now();
        if deadline > now {
            std::thread::park_timeout(deadline - now);
        }
    }

    /// Whether a deadline that a timed park returned at has passed.
    pub(crate) fn deadline_passed(deadline: std::time::Instant) -> bool {
        std::time::Instant::now() >= deadline
    }

    #[inline]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop();
    }

    /// Whether spinning before parking is worth it (never under loom).
    pub(crate) const SPIN: bool = true;
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic::AtomicU32;
    pub(crate) use loom::thread::{Thread, current, park, yield_now};

    /// No clock under loom: a timed park yields once and the deadline is
    /// taken to have passed.
    pub(crate) fn park_until(_deadline: std::time::Instant) {
        loom::thread::yield_now();
    }

    pub(crate) fn deadline_passed(_deadline: std::time::Instant) -> bool {
        true
    }

    pub(crate) fn spin_loop() {
        loom::hint::spin_loop();
    }

    pub(crate) const SPIN: bool = false;
}

pub(crate) use imp::*;
