//! pythreading-core: Python's `threading.Thread` and its module functions,
//! for Rust.
//!
//! | Python (`threading`)            | here                                    |
//! |---------------------------------|-----------------------------------------|
//! | `Thread(target=f)`              | [`Thread::new(f)`](Thread::new)         |
//! | `Thread(name=…, daemon=…)`      | [`Thread::builder()`](Thread::builder)  |
//! | `t.start()` / `t.join(timeout)` | [`Thread::start`], [`Thread::join`], [`Thread::join_timeout`] |
//! | `current_thread()`, `main_thread()` | [`current_thread`], [`main_thread`] |
//! | `active_count()`, `enumerate()` | [`active_count`], [`enumerate`]         |
//! | `get_ident()`, `get_native_id()`| [`get_ident`], [`get_native_id`]        |
//! | `excepthook`                    | [`set_excepthook`], [`ExceptHookArgs`]  |
//! | `local()`                       | [`Local`]                               |
//! | the wait for threads at exit    | [`shutdown`], [`ShutdownGuard`], [`register_atexit`] |
//!
//! What Rust adds: threads really run in parallel, a thread hands back its
//! target's return value ([`Thread::into_result`]), a panic is caught, kept
//! and reported once with the thread's name, and every misuse is a
//! [`ThreadError`], never a hang.
//!
//! ```
//! use pythreading_core::{ShutdownGuard, Thread};
//!
//! let _main = ShutdownGuard::new(); // wait for non-daemon threads at the end
//! let workers: Vec<Thread<u64>> = (1..=3)
//!     .map(|i| Thread::new(move || (1..=i * 1000).sum()))
//!     .collect();
//! for w in &workers {
//!     w.start()?;
//! }
//! let sums: Vec<u64> = workers
//!     .into_iter()
//!     .map(Thread::into_result)
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(sums, [500_500, 2_001_000, 4_501_500]);
//! # Ok::<(), pythreading_core::ThreadError>(())
//! ```

#![forbid(unsafe_code)]

mod cancel;
mod error;
mod excepthook;
mod ident;
mod lifecycle;
mod local;
mod locks;
mod os;
mod registry;
#[doc(hidden)]
pub mod shim;
mod shutdown;
mod thread;
#[doc(hidden)]
pub mod wait;

#[cfg(feature = "ctrl-c")]
pub use cancel::cancel_on_ctrl_c;
pub use cancel::{
    CancelCallback, CancellationToken, Cancelled, TokenGuard, cancelled, check_cancelled,
    current_token, sleep,
};
pub use error::ThreadError;
pub use excepthook::{
    ExceptHookArgs, catch_panic, default_excepthook, drop_reporting, excepthook, reset_excepthook,
    set_excepthook,
};
pub use local::{Local, LocalBorrowError};
pub use registry::{
    ThreadRef, active_count, current_thread, enumerate, get_ident, get_native_id, main_thread,
};
pub use shutdown::{BlockerScope, ShutdownBlocker, ShutdownGuard, register_atexit, shutdown};
pub use thread::{ScopedThread, Thread, ThreadBuilder};
