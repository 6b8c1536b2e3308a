//! The mutexes of this crate, from one place: the [`shim`](crate::shim)'s,
//! which is loom's under `--cfg loom`, for state that models explore. Every
//! wait goes through the [`wait`](crate::wait) module's parking table.
//!
//! Process-wide statics (the registry, the hook tables) are not modelled: they
//! use [`StaticMutex`], which is `parking_lot` in every build.

pub(crate) use parking_lot::Mutex as StaticMutex;
pub(crate) use parking_lot::RwLock as StaticRwLock;

pub(crate) use crate::shim::Mutex;
