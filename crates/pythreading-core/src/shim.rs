//! The blocking primitives every pythreading crate builds on, in one place.
//!
//! Not part of the public API: it is public (and `#[doc(hidden)]`) only so
//! that `pythreading-sync` and `pythreading-executor` use the same wrappers
//! as this crate; it is outside semver and may change in any release.
//! Those crates therefore depend on pythreading-core with an exact version
//! requirement (`=` this crate's version, in the workspace's
//! `[workspace.dependencies]`): each builds only with the pythreading-core
//! it was released with. Other crates must not use it.
//!
//! Normal builds use `parking_lot` (no poisoning, small, fast); builds with
//! `--cfg loom` use loom's model-checked versions, so the hand-offs built on
//! them can be explored exhaustively. Both give the same small API:
//! `lock()` returns a guard. Waiting is not here: every wait goes through
//! [`wait`](crate::wait)'s parking table (`park_releasing` takes a guard).

#[cfg(not(loom))]
mod imp {
    /// A mutex with a guard-returning `lock()`.
    #[derive(Debug, Default)]
    pub struct Mutex<T>(parking_lot::Mutex<T>);

    /// The guard of [`Mutex`].
    pub type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A mutex holding `value`.
        pub const fn new(value: T) -> Self {
            Self(parking_lot::Mutex::new(value))
        }

        /// Locks it, blocking until it is free.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }

        /// The value, through a unique borrow: no locking needed.
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }
}

#[cfg(loom)]
mod imp {
    /// loom's mutex behind the same API as the normal build.
    #[derive(Debug, Default)]
    pub struct Mutex<T>(loom::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A mutex holding `value`.
        pub fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        /// Locks it, blocking until it is free.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            // loom's mutex poisons only if a model thread panicked, which
            // already fails the model.
            self.0.lock().expect("loom mutex poisoned")
        }

        /// The value, through a unique borrow: no locking needed.
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut().expect("loom mutex poisoned")
        }
    }
}

pub use imp::{Mutex, MutexGuard};
