//! The one place this crate takes its atomics, locks and thread parking from.
//!
//! Normal builds use `std` atomics and `parking_lot`; builds with
//! `--cfg loom` use loom's model-checked versions, so the hand-offs built on
//! them (the lock word, the semaphore count, the event flag, the barrier
//! round) can be explored exhaustively. No other file of this crate imports
//! `parking_lot`, `std::sync` or `std::thread` parking directly.
//!
//! loom has no clock: under loom a timed wait returns at once as timed out,
//! so models explore the path where the deadline passes at the worst moment.
//! The mutex and condition variable are [`pythreading_core::shim`]'s, shared
//! by every pythreading crate.
//!
//! Process-wide statics (the timer service's schedule) are not modelled, as
//! in `pythreading-core`: they use [`StaticMutex`], [`StaticCondvar`] and
//! [`StaticAtomicUsize`], which are `parking_lot` and `std` in every build (loom objects cannot live in a
//! `static`, nor outlive one model run).

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};

    /// Giving up the time slice, in a busy wait.
    pub(crate) mod thread {
        pub(crate) use std::thread::yield_now;
    }

    /// One step of a busy wait.
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
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};

    pub(crate) mod thread {
        pub(crate) use loom::thread::yield_now;
    }

    pub(crate) fn spin_loop() {
        loom::hint::spin_loop();
    }

    pub(crate) const SPIN: bool = false;

    /// A number unique to the calling model thread, never 0 (only the
    /// deadlock detector's records still use it).
    #[cfg(feature = "deadlock-detection")]
    pub(crate) fn thread_token() -> u64 {
        use std::cell::Cell;
        use std::sync::atomic::Ordering;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        loom::thread_local! {
            static TOKEN: Cell<u64> = Cell::new(0);
        }
        TOKEN.with(|token| {
            let mut value = token.get();
            if value == 0 {
                value = NEXT.fetch_add(1, Ordering::Relaxed);
                token.set(value);
            }
            value
        })
    }
}

pub(crate) use imp::*;
pub(crate) use pythreading_core::shim::{Condvar, Mutex, MutexGuard};

pub(crate) use parking_lot::Mutex as StaticMutex;
pub(crate) use parking_lot::MutexGuard as StaticMutexGuard;
pub(crate) use std::sync::atomic::AtomicUsize as StaticAtomicUsize;
pub(crate) use std::sync::atomic::Ordering;
