//! pythreading-sync: Python's `threading` synchronisation objects, for Rust.
//!
//! | Python (`threading`)          | here                         |
//! |-------------------------------|------------------------------|
//! | `Lock()`                      | [`Lock`] (unowned, any thread may release) |
//! | `RLock()`                     | [`RLock`]                    |
//! | `Condition()`                 | [`Condition`] (over its own `RLock`) |
//! | `Semaphore(n)`                | [`Semaphore`]                |
//! | `BoundedSemaphore(n)`         | [`BoundedSemaphore`]         |
//! | `Event()`                     | [`Event`]                    |
//! | `Barrier(parties, action, timeout)` | [`Barrier`] (`new`, `with_action`, `with_timeout`) |
//! | `Timer(interval, function)`   | [`Timer`] (thousands share a few threads) |
//! | `RuntimeError`, `ValueError`… | [`SyncError`]                |
//! | `queue.Queue`, `LifoQueue`, `PriorityQueue` | [`queue::Queue`], [`queue::LifoQueue`], [`queue::PriorityQueue`] |
//!
//! With the cargo feature `deadlock-detection` (off by default, and free
//! when off), the `deadlock` module finds the threads blocked on each
//! other's locks and names them, and the locks, in plain words; give locks
//! names with [`Lock::named`] and its siblings.
//!
//! Every blocking call comes in three forms: blocking (`acquire`), never
//! blocking (`try_acquire`, a `bool`) and bounded (`acquire_timeout`, a
//! `bool`: acquired or not). Guards (`guard()`) release on drop, also while
//! unwinding from a panic, and nothing is ever poisoned.
//!
//! Blocking calls obey the calling thread's current
//! [`CancellationToken`](pythreading_core::CancellationToken) wherever they
//! can report it: once it is cancelled, a call that waits ends within a
//! moment, with an outcome distinct from a timeout, holding nothing.
//!
//! - `Condition::wait`, `wait_timeout` and `wait_for`, and `Barrier::wait`
//!   and `wait_timeout`, return [`SyncError::Cancelled`] (a Condition takes
//!   its lock back first; a Barrier breaks for the other threads). The
//!   queues' `get` and `put` return `GetError::Cancelled` and
//!   `PutError::Cancelled(item)`, the item handed back. `Timer::join` and
//!   `join_timeout` return `ThreadError::Cancelled`.
//! - The calls that cannot report it (`acquire`, `guard`, the `bool`
//!   `acquire_timeout`, `Event::wait` and `wait_timeout`, a queue's `join`,
//!   `SimpleQueue::get`)
//!   do not obey it: they wait as before. Each has a form that does:
//!   `acquire_cancellable(timeout) -> Result<bool, Cancelled>` (`None`: no
//!   limit, `Some(Duration::ZERO)`: a plain try), `guard_cancellable()`,
//!   [`Event::wait_cancellable`], `join_cancellable`, `get_cancellable`.
//! - The token is looked at only when a call is about to sleep: a free
//!   lock, a free unit, a set event or a queued item is taken even under a
//!   cancelled token.
//!
//! ```
//! use std::sync::Arc;
//! use pythreading_sync::{Event, Lock};
//!
//! let ready = Arc::new(Event::new());
//! let lock = Arc::new(Lock::new());
//! let worker = {
//!     let (ready, lock) = (Arc::clone(&ready), Arc::clone(&lock));
//!     std::thread::spawn(move || {
//!         ready.wait();
//!         let _held = lock.guard();
//!         "worked"
//!     })
//! };
//! ready.set();
//! assert_eq!(worker.join().unwrap(), "worked");
//! ```

#![forbid(unsafe_code)]

/// This crate's README, compiled and run as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub mod readme {}

/// What `#[must_use]` catches: each of these fails to compile, because it
/// drops a result that must be looked at.
///
/// A `try_acquire` that succeeded holds the lock, or a unit:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::Lock::new().try_acquire();
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::RLock::new().try_acquire();
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::Condition::new().try_acquire();
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::Semaphore::new(1).try_acquire();
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::BoundedSemaphore::new(1).try_acquire();
/// ```
///
/// A timer that is never started never fires:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::Timer::new(std::time::Duration::ZERO, || ());
/// ```
///
/// An immediate shutdown hands the removed items back:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::queue::Queue::<u8>::new(0).shutdown(true);
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::queue::LifoQueue::<u8>::new(0).shutdown(true);
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// pythreading_sync::queue::PriorityQueue::<u8>::new(0).shutdown(true);
/// ```
///
/// The same calls with their results used compile:
///
/// ```
/// #![deny(unused_must_use)]
/// use pythreading_sync::queue::{LifoQueue, PriorityQueue, Queue};
/// use pythreading_sync::{BoundedSemaphore, Condition, Lock, RLock, Semaphore, Timer};
///
/// assert!(Lock::new().try_acquire());
/// assert!(RLock::new().try_acquire());
/// assert!(Condition::new().try_acquire());
/// assert!(Semaphore::new(1).try_acquire());
/// assert!(BoundedSemaphore::new(1).try_acquire());
/// let _timer = Timer::new(std::time::Duration::ZERO, || ());
/// assert!(Queue::<u8>::new(0).shutdown(true).is_empty());
/// assert!(LifoQueue::<u8>::new(0).shutdown(true).is_empty());
/// assert!(PriorityQueue::<u8>::new(0).shutdown(true).is_empty());
/// ```
#[cfg(doctest)]
pub mod must_use {}

mod barrier;
mod condition;
#[cfg(feature = "deadlock-detection")]
pub mod deadlock;
mod error;
mod event;
mod lock;
mod lock_kind;
pub mod queue;
mod raw_lock;
mod rlock;
mod semaphore;
mod sys;
mod timer;
mod track;
#[cfg(all(test, not(loom), not(feature = "deadlock-detection")))]
mod zero_cost;

pub use barrier::Barrier;
pub use condition::{Condition, ConditionGuard};
pub use error::SyncError;
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard};
pub use timer::Timer;
