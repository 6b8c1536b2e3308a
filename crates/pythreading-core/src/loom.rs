//! The one place this crate takes its blocking primitives from: the
//! [`shim`](crate::shim)'s mutex, which is loom's under `--cfg loom`, and
//! the [`wait`](crate::wait) module's parking table for every wait.
//!
//! Process-wide statics (the registry, the hook tables) are not modelled: they
//! use [`StaticMutex`], which is `parking_lot` in every build.

pub(crate) use parking_lot::Mutex as StaticMutex;
pub(crate) use parking_lot::RwLock as StaticRwLock;

pub(crate) use crate::shim::Mutex;
