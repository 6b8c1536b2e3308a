//! One parker per thread: what a waiter sleeps on and a waker writes the
//! reason of its wake-up into.
//!
//! A thread waits on one thing at a time, so it needs one parker for all its
//! waits. It is created on the thread's first wait and kept in thread-local
//! storage, so a wait allocates nothing: the parking table's queue entry is
//! a clone of the parker's `Arc`.
//!
//! The reason word is the one place every kind of wake-up goes through:
//!
//! - a **notify** swaps it from `WAITING` to `NOTIFIED`, under the lock of
//!   the bucket the waiter is queued in, after taking the entry out;
//! - a **deadline** is the waiter's own: it takes its entry out under the
//!   bucket lock, and if the entry was already gone a notify won the race
//!   and the wait counts as notified;
//! - a **cancellation** swaps the word from `WAITING` to `CANCELLED`
//!   without the bucket lock (under the lock of the token the waiter is
//!   registered with, see `token.rs`) and unparks the thread, which takes
//!   its entry out itself; a notify that then finds the word no longer
//!   `WAITING` passes its wake-up on to the next waiter (that is why a
//!   notify swaps with a compare-exchange rather than a store);
//! - an **async waker** (to come) is a second kind of [`Unpark`]: the same
//!   entry in the same queue, woken by `Waker::wake` instead of
//!   `Thread::unpark`.

use super::sys::{self, Arc, AtomicU32, Thread};
use std::sync::atomic::Ordering;

/// The waiter is queued and nothing woke it yet.
pub(crate) const WAITING: u32 = 0;
/// A notify took the waiter's entry out of its queue and woke it.
pub(crate) const NOTIFIED: u32 = 1;
/// The token the waiter obeys was cancelled; its entry may still be queued.
pub(crate) const CANCELLED: u32 = 2;

/// How a parked waiter is woken up.
#[derive(Debug)]
enum Unpark {
    /// A blocked thread.
    Thread(Thread),
}

/// What a waiter sleeps on.
#[derive(Debug)]
pub(crate) struct Parker {
    reason: AtomicU32,
    unpark: Unpark,
}

impl Parker {
    fn for_current_thread() -> Arc<Self> {
        Arc::new(Self {
            reason: AtomicU32::new(WAITING),
            unpark: Unpark::Thread(sys::current()),
        })
    }

    /// The calling thread's parker.
    pub(crate) fn current() -> Arc<Self> {
        PARKER
            .try_with(Arc::clone)
            // Thread-local storage is being torn down (a wait in a
            // destructor): a parker of its own does as well.
            .unwrap_or_else(|_| Self::for_current_thread())
    }

    /// Resets the reason before the parker is queued (under the bucket lock).
    pub(crate) fn prepare(&self) {
        self.reason.store(WAITING, Ordering::Relaxed);
    }

    /// The reason the wait ended, or `WAITING` if nothing woke it yet.
    pub(crate) fn reason(&self) -> u32 {
        self.reason.load(Ordering::Acquire)
    }

    /// Marks a queued waiter notified; `false` if something else (a
    /// cancellation) woke it first, and the notify must go to another one.
    /// Called under the lock of the waiter's bucket, after taking its entry
    /// out. The caller then [`unpark`](Self::unpark)s it, outside that lock.
    pub(crate) fn notify(&self) -> bool {
        self.reason
            .compare_exchange(WAITING, NOTIFIED, Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    /// Marks a waiter cancelled; `false` if a notify woke it first. Called
    /// under the lock of the token it is registered with (so never once
    /// its wait is over); the caller then [`unpark`](Self::unpark)s it.
    pub(crate) fn cancel(&self) -> bool {
        self.reason
            .compare_exchange(WAITING, CANCELLED, Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    /// Wakes the waiter (it reads the reason and returns).
    pub(crate) fn unpark(&self) {
        match &self.unpark {
            Unpark::Thread(thread) => thread.unpark(),
        }
    }

    /// Sleeps until unparked (or spuriously).
    pub(crate) fn park(&self) {
        match &self.unpark {
            Unpark::Thread(thread) => sys::park(thread),
        }
    }
}

#[cfg(not(loom))]
std::thread_local! {
    static PARKER: Arc<Parker> = Parker::for_current_thread();
}

#[cfg(loom)]
loom::thread_local! {
    static PARKER: Arc<Parker> = Parker::for_current_thread();
}
