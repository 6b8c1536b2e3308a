//! The one place this crate takes the atomics and locks of its futures
//! from.
//!
//! Normal builds use `std` atomics and `parking_lot`; builds with
//! `--cfg loom` use loom's model-checked versions, so the hand-offs of a
//! future (started or cancelled, finished and seen by its waiters, watched
//! by `wait` and `as_completed`) can be explored exhaustively. Every wait
//! goes through [`pythreading_core::wait`], which is loom-aware itself. The
//! pool (its channel and threads) is not modelled.
//!
//! The mutex is [`pythreading_core::shim`]'s, shared by every pythreading
//! crate.

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic::{AtomicU8, AtomicU64};
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::atomic::{AtomicU8, AtomicU64};
}

pub(crate) use imp::*;
pub(crate) use pythreading_core::shim::{Mutex, MutexGuard};

/// The pool's own lock and the registry of live pools: never modelled (the
/// pool's channel and threads are not loom's), so `parking_lot` in every build.
pub(crate) use parking_lot::Mutex as PoolMutex;
pub(crate) use std::sync::atomic::Ordering;
