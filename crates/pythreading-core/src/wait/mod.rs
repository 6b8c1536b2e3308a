//! The one waiting primitive every blocking call of pythreading goes
//! through.
//!
//! Not part of the public API: public (and `#[doc(hidden)]`) only so that
//! `pythreading-sync` and `pythreading-executor` wait exactly as this crate
//! does; outside semver, like [`shim`](crate::shim), which is why those
//! crates depend on this one with an exact version requirement.
//!
//! - [`Deadline`] and [`Wait`]: when a wait ends, computed once per call.
//! - [`SpinWait`]: the bounded spin tried before parking.
//! - [`park`] / [`unpark_one`] / [`unpark`] / [`unpark_all`] on a [`Key`]:
//!   the process-wide parking table. A blocking type keeps its state in an
//!   atomic word (or behind its own mutex) and parks on the address of that
//!   word; it needs no queue, mutex or condition variable of its own.
//!
//! A blocking call runs the same three steps whatever the type: a fast path
//! on the type's own word (no call into this module), a short
//! [`SpinWait`], then [`park`] with a `validate` that re-checks the word
//! under the bucket lock. A release changes the word first, then unparks if
//! the word says someone may be parked.
//!
//! Every wake-up of a parked thread has one reason, written in one place
//! (the waiter's parker; see `parker.rs`): a notify, a deadline, or a
//! cancellation of the thread's current [`CancellationToken`] (only for
//! the waits that obey it: [`park_cancellable`]); an async waker has its
//! place reserved there, so that adding it changes this module and no
//! blocking type.
//!
//! ```
//! use pythreading_core::wait::{self, Deadline, Key, Wake};
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//!
//! let flag = Arc::new(AtomicBool::new(false));
//! let setter = {
//!     let flag = Arc::clone(&flag);
//!     std::thread::spawn(move || {
//!         flag.store(true, Ordering::Release);
//!         wait::unpark_all(Key::of(&*flag));
//!     })
//! };
//! while !flag.load(Ordering::Acquire) {
//!     let wake = wait::park(
//!         Key::of(&*flag),
//!         || !flag.load(Ordering::Acquire),
//!         || {},
//!         Deadline::NEVER,
//!     );
//!     assert_ne!(wake, Wake::TimedOut);
//! }
//! setter.join().unwrap();
//! ```

mod backoff;
mod deadline;
mod parker;
mod sys;
mod table;
mod token;

#[cfg(all(test, loom))]
mod models;
#[cfg(all(test, not(loom)))]
mod tests;

pub use backoff::SpinWait;
pub use deadline::{Deadline, Wait};
pub use table::{
    Key, Wake, park, park_cancellable, park_obeying, park_releasing, park_releasing_cancellable,
    park_releasing_obeying, parked, unpark, unpark_all, unpark_one,
};
#[cfg(not(loom))]
pub use token::set_root;
pub use token::{
    CancelCallback, CancellationToken, Cancelled, TokenGuard, TokenSource, current_token,
    install_source, task_token,
};
