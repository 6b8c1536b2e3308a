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
//!
//! Process-wide statics (the timer service's schedule) are not modelled, as
//! in `pythreading-core`: they use [`StaticMutex`], [`StaticCondvar`] and
//! [`StaticAtomicUsize`], which are `parking_lot` and `std` in every build (loom objects cannot live in a
//! `static`, nor outlive one model run).

#[cfg(not(loom))]
mod imp {
    use std::time::Instant;

    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};

    /// A mutex with a guard-returning `lock()`.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);

    /// The guard of [`Mutex`].
    pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(parking_lot::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
    }

    /// A condition variable working with [`Mutex`].
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(parking_lot::Condvar);

    impl Condvar {
        pub(crate) const fn new() -> Self {
            Self(parking_lot::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(&mut guard);
            guard
        }

        /// Waits until notified or until `deadline`; `true` means it timed
        /// out without being notified.
        pub(crate) fn wait_until<'a, T>(
            &self,
            mut guard: MutexGuard<'a, T>,
            deadline: Instant,
        ) -> (MutexGuard<'a, T>, bool) {
            let timed_out = self.0.wait_until(&mut guard, deadline).timed_out();
            (guard, timed_out)
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// Parking of one thread, for waiters that are woken one by one.
    pub(crate) mod thread {
        use std::time::Instant;

        pub(crate) use std::thread::{Thread, current, park, yield_now};

        /// Parks until unparked (or spuriously) or until `deadline`;
        /// `true` once the deadline has passed.
        pub(crate) fn park_until(deadline: Instant) -> bool {
            let now = Instant::now();
            if deadline <= now {
                return true;
            }
            std::thread::park_timeout(deadline - now);
            Instant::now() >= deadline
        }
    }

    /// One step of a busy wait.
    #[inline]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop();
    }

    /// Whether spinning before parking is worth it (never under loom).
    pub(crate) const SPIN: bool = true;

    /// A small number unique to the calling thread, never 0: who owns an RLock.
    pub(crate) fn thread_token() -> u64 {
        use std::cell::Cell;
        use std::sync::atomic::Ordering;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            static TOKEN: Cell<u64> = const { Cell::new(0) };
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

#[cfg(loom)]
mod imp {
    use std::time::Instant;

    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};

    /// loom's mutex behind the same API as the normal build.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().expect("loom mutex poisoned")
        }
    }

    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).expect("loom mutex poisoned")
        }

        /// No clock under loom: the deadline is taken to pass at once.
        pub(crate) fn wait_until<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _deadline: Instant,
        ) -> (MutexGuard<'a, T>, bool) {
            loom::thread::yield_now();
            (guard, true)
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    pub(crate) mod thread {
        use std::time::Instant;

        pub(crate) use loom::thread::{Thread, current, park, yield_now};

        /// No clock under loom: the deadline is taken to pass at once.
        pub(crate) fn park_until(_deadline: Instant) -> bool {
            loom::thread::yield_now();
            true
        }
    }

    pub(crate) fn spin_loop() {
        loom::hint::spin_loop();
    }

    pub(crate) const SPIN: bool = false;

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

impl Condvar {
    /// [`wait`](Self::wait) when `deadline` is `None`, else
    /// [`wait_until`](Self::wait_until); `true` means it timed out.
    pub(crate) fn wait_deadline<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Option<std::time::Instant>,
    ) -> (MutexGuard<'a, T>, bool) {
        match deadline {
            None => (self.wait(guard), false),
            Some(deadline) => self.wait_until(guard, deadline),
        }
    }
}
pub(crate) use parking_lot::Condvar as StaticCondvar;
pub(crate) use parking_lot::Mutex as StaticMutex;
pub(crate) use parking_lot::MutexGuard as StaticMutexGuard;
pub(crate) use std::sync::atomic::AtomicUsize as StaticAtomicUsize;
pub(crate) use std::sync::atomic::Ordering;
