//! pythreading-executor: Python's `concurrent.futures` (the thread part),
//! for Rust.
//!
//! | Python (`concurrent.futures`)            | here                                  |
//! |------------------------------------------|---------------------------------------|
//! | `ThreadPoolExecutor(max_workers, thread_name_prefix, initializer)` | [`ThreadPoolExecutor::new`], [`ThreadPoolExecutor::builder`] |
//! | `executor.submit(fn)`                    | [`ThreadPoolExecutor::submit`] → [`Future`] |
//! | `executor.map(fn, items, timeout=, buffersize=)` | [`ThreadPoolExecutor::map`], [`ThreadPoolExecutor::map_with`] |
//! | `executor.shutdown(wait, cancel_futures)`, `with` | [`ThreadPoolExecutor::shutdown`], `Drop` |
//! | `Future.result()`, `done()`, `cancel()`… | [`Future::result`], [`Future::done`], [`Future::cancel`]… |
//! | `wait(fs, timeout, return_when)`         | [`wait`], [`ReturnWhen`], [`WaitResult`] |
//! | `as_completed(fs, timeout)`              | [`as_completed`]                      |
//! | `CancelledError`, `BrokenThreadPool`, `TimeoutError` | [`TaskError`], [`ExecutorError`] |
//!
//! Beyond Python: [`ThreadPoolExecutor::scope`] (tasks that borrow from
//! the stack), [`ThreadPoolExecutor::stats`], a lazily consuming `map`
//! (Python 3.14's `buffersize`), and futures cancelled by a shutdown that
//! count as done at once (CPython's `wait` hangs on them).
//!
//! A panicking task never takes its worker down: the panic lands in its
//! future as [`TaskError::Panicked`], and the pool goes on. No panic is
//! lost: one nobody takes with [`Future::result`] is reported through
//! [`pythreading_core::excepthook`] when its future is dropped, and so is a
//! panic in the `Drop` of anything the pool drops for you (a result nobody
//! took, a cancelled closure, a done callback, the initializer), as Python
//! prints `Exception ignored in …` and goes on.
//!
//! ```
//! use pythreading_executor::{as_completed, TaskError, ThreadPoolExecutor};
//!
//! let pool = ThreadPoolExecutor::new(4)?;
//! let mut futures = Vec::new();
//! for n in 0..8u64 {
//!     futures.push(pool.submit(move || if n == 3 { panic!("three") } else { n * 10 })?);
//! }
//! let mut total = 0;
//! let mut panics = Vec::new();
//! for done in as_completed(futures, None) {
//!     match done.unwrap().result() {
//!         Ok(value) => total += value,
//!         Err(TaskError::Panicked(message)) => panics.push(message),
//!         Err(other) => unreachable!("{other}"),
//!     }
//! }
//! assert_eq!((total, panics), (250, vec!["three".to_string()]));
//! # Ok::<(), pythreading_executor::ExecutorError>(())
//! ```

#![forbid(unsafe_code)]

mod collector;
mod crew;
mod error;
mod executor;
mod future;
mod group;
mod header;
mod id;
mod idle;
mod map;
mod report;
mod scope;
mod sys;
mod task;
mod wait;
mod wait_cycle;
mod worker;

pub use error::{ExecutorError, TaskError};
pub use executor::{ExecutorBuilder, ExecutorStats, ThreadPoolExecutor};
pub use future::Future;
pub use group::{GroupResults, TaskGroup};
pub use header::FutureState;
pub use id::FutureId;
pub use map::{MapOptions, MapResults};
pub use scope::Scope;
pub use wait::{AsCompleted, ReturnWhen, WaitResult, as_completed, wait, wait_cancellable};

/// The crate README's code blocks, compiled and run as doc tests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub mod readme {}
