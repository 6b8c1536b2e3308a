//! pythreading: Python's `threading`, `queue` and `concurrent.futures`
//! (threads), done properly in Rust.
//!
//! Grouped as Python groups them:
//!
//! - **`threading`, threads** (at the root, from `pythreading-core`):
//!   [`Thread`], [`ThreadBuilder`], [`ThreadRef`], [`current_thread`],
//!   [`main_thread`], [`active_count`], [`enumerate`], [`get_ident`],
//!   [`get_native_id`], [`set_excepthook`], [`Local`], and the exit sequence
//!   [`shutdown`], [`ShutdownGuard`], [`register_atexit`].
//! - **`threading`, synchronisation objects**: the `sync` module (cargo
//!   feature `sync`, on by default; `pythreading-sync`): `Lock`, `RLock`,
//!   `Condition`, `Semaphore`, `BoundedSemaphore`, `Event`, `Barrier`, also at the
//!   root as in Python (`pythreading::Lock` is `threading.Lock`).
//! - **Deadlock detection** (cargo feature `deadlock-detection`, off by
//!   default and free when off): `sync::deadlock` names the threads blocked
//!   on each other's locks, and the locks (`Lock::named("db")`), and checks
//!   lock order as the Linux kernel's lockdep does.
//! - **`concurrent.futures`**: the `futures` module (cargo feature
//!   `executor`, on by default; `pythreading-executor`).
//!
//! Each part is its own crate, so a program can depend on one alone.
//!
//! ```
//! use pythreading::{ShutdownGuard, Thread};
//!
//! let _main = ShutdownGuard::new();
//! let t = Thread::builder().name("greeter").spawn(|| format!("hello from {}", pythreading::current_thread().name()))?;
//! assert_eq!(t.into_result()?, "hello from greeter");
//! # Ok::<(), pythreading::ThreadError>(())
//! ```

#![forbid(unsafe_code)]

#[doc(inline)]
pub use pythreading_core::*;

/// Python's `threading` synchronisation objects and the `queue` module.
#[cfg(feature = "sync")]
#[doc(inline)]
pub use pythreading_sync as sync;

/// Python's `queue` module: `Queue`, `LifoQueue`, `PriorityQueue`.
#[cfg(feature = "sync")]
#[doc(inline)]
pub use pythreading_sync::queue;

// Python has them in `threading` itself: `threading.Lock`, so `pythreading::Lock`.
#[cfg(feature = "sync")]
#[doc(no_inline)]
pub use pythreading_sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, SyncError, Timer,
};

/// Python's `concurrent.futures`, thread part.
#[cfg(feature = "executor")]
#[doc(inline)]
pub use pythreading_executor as futures;

/// The README's code blocks, compiled and run as doc tests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub mod readme {}
