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
//! `lock()` returns a guard, and `Condvar`'s waits take and return it.
//!
//! loom has no clock: under loom a timed wait yields once and returns as
//! timed out, so models explore the path where the deadline passes at the
//! worst moment. Callers must therefore trust the returned flag rather than
//! read the clock to decide that a deadline passed.

use std::time::Instant;

#[cfg(not(loom))]
mod imp {
    use std::time::Instant;

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

    /// A condition variable working with [`Mutex`].
    #[derive(Debug, Default)]
    pub struct Condvar(parking_lot::Condvar);

    impl Condvar {
        /// A condition variable nobody waits on.
        pub const fn new() -> Self {
            Self(parking_lot::Condvar::new())
        }

        /// Waits until notified (or spuriously woken).
        pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(&mut guard);
            guard
        }

        /// Waits until notified or until `deadline`; `true` means the
        /// deadline passed without a notification.
        pub fn wait_until<'a, T>(
            &self,
            mut guard: MutexGuard<'a, T>,
            deadline: Instant,
        ) -> (MutexGuard<'a, T>, bool) {
            let timed_out = self.0.wait_until(&mut guard, deadline).timed_out();
            (guard, timed_out)
        }

        /// Wakes one waiter.
        pub fn notify_one(&self) {
            self.0.notify_one();
        }

        /// Wakes every waiter.
        pub fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::time::Instant;

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

    /// loom's condition variable behind the same API as the normal build.
    #[derive(Debug, Default)]
    pub struct Condvar(loom::sync::Condvar);

    impl Condvar {
        /// A condition variable nobody waits on.
        pub fn new() -> Self {
            Self(loom::sync::Condvar::new())
        }

        /// Waits until notified (or spuriously woken).
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).expect("loom mutex poisoned")
        }

        /// No clock under loom: the deadline is taken to pass at once.
        pub fn wait_until<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _deadline: Instant,
        ) -> (MutexGuard<'a, T>, bool) {
            loom::thread::yield_now();
            (guard, true)
        }

        /// Wakes one waiter.
        pub fn notify_one(&self) {
            self.0.notify_one();
        }

        /// Wakes every waiter.
        pub fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub use imp::{Condvar, Mutex, MutexGuard};

impl Condvar {
    /// [`wait`](Self::wait) when `deadline` is `None`, else
    /// [`wait_until`](Self::wait_until); `true` means it timed out.
    pub fn wait_deadline<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, bool) {
        match deadline {
            None => (self.wait(guard), false),
            Some(deadline) => self.wait_until(guard, deadline),
        }
    }
}
