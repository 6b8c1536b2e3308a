//! The one place this crate takes its atomics and mutexes from.
//!
//! Normal builds use `std` atomics and `parking_lot`; builds with
//! `--cfg loom` use loom's model-checked versions, so the hand-offs built on
//! them (the lock word, the semaphore count, the event word, the barrier
//! round, the queue's counts) can be explored exhaustively. No other file of
//! this crate imports `parking_lot` or `std::sync` directly, and no file
//! waits except through [`pythreading_core::wait`], whose parking table is
//! loom's under `--cfg loom` too. The mutex is [`pythreading_core::shim`]'s,
//! shared by every pythreading crate.
//!
//! Process-wide statics (the timer service's schedule, the deadlock
//! detector's tables) are not modelled, as in `pythreading-core`: they use
//! [`StaticMutex`] and [`StaticAtomicUsize`], which are `parking_lot` and
//! `std` in every build (loom objects cannot live in a `static`, nor outlive
//! one model run).

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize};
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::Arc;
    /// For the models only.
    #[cfg(test)]
    pub(crate) use loom::sync::atomic::AtomicBool;
    pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize};
}

pub(crate) use imp::*;
pub(crate) use pythreading_core::shim::{Mutex, MutexGuard};

pub(crate) use parking_lot::Mutex as StaticMutex;
pub(crate) use parking_lot::MutexGuard as StaticMutexGuard;
pub(crate) use std::sync::atomic::AtomicUsize as StaticAtomicUsize;
pub(crate) use std::sync::atomic::Ordering;
