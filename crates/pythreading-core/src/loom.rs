//! The one place this crate takes its blocking primitives from: the
//! [`shim`](crate::shim)'s, which are loom's under `--cfg loom`.
//!
//! Process-wide statics (the registry, the hook tables) are not modelled: they
//! use [`StaticMutex`], which is `parking_lot` in every build.

pub(crate) use parking_lot::Mutex as StaticMutex;
pub(crate) use parking_lot::RwLock as StaticRwLock;

pub(crate) use crate::shim::{Condvar, Mutex};
