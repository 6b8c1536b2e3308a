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
    pub(crate) use std::thread::{Thread, current, yield_now};

    /// Parks until unparked (or spuriously); `_token` is the calling
    /// thread's own.
    pub(crate) fn park(_token: &Thread) {
        std::thread::park();
    }

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
    pub(crate) use loom::thread::yield_now;

    /// A thread's park token. Not `loom::thread::Thread`: loom's
    /// `unpark` makes its thread runnable whatever it is blocked on, and a
    /// late unpark (the waiter saw it was notified and went on before the
    /// waker's unpark) would then wake a thread blocked on a mutex or a
    /// join, which loom reports as an error. A `Notify` wakes only a park.
    /// (Kept in the thread's parker, not in a thread-local of its own:
    /// loom drops a thread's locals in no fixed order.)
    #[derive(Debug, Clone)]
    pub(crate) struct Thread(Arc<loom::sync::Notify>);

    impl Thread {
        pub(crate) fn unpark(&self) {
            self.0.notify();
        }
    }

    /// A token for the calling thread, which only it parks on.
    pub(crate) fn current() -> Thread {
        Thread(Arc::new(loom::sync::Notify::new()))
    }

    /// Parks on the calling thread's own token until it is unparked (or
    /// spuriously).
    pub(crate) fn park(token: &Thread) {
        token.0.wait();
    }

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
