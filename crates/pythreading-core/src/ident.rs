//! The one per-thread identity of pythreading: Python's `get_ident()`.
//!
//! The registry keys threads by it, the locks record their owner with it
//! (`RLock`'s owner, the deadlock detector's holders and waiters), and every
//! report names a thread by it. A number, unique in the process and never
//! reused: 1 for the main thread, then counting up from 2 in the order
//! threads first ask (or are started).
//!
//! Under loom each model thread is a thread of its own here too (loom's
//! thread-local storage), so models of an owner check are sound.

use std::sync::atomic::{AtomicU64, Ordering};

/// The ident of the main thread; other threads count up from 2.
pub(crate) const MAIN_IDENT: u64 = 1;
static NEXT_IDENT: AtomicU64 = AtomicU64::new(MAIN_IDENT + 1);

/// A fresh ident, for a thread being started.
pub(crate) fn next_ident() -> u64 {
    NEXT_IDENT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(not(loom))]
std::thread_local! {
    // `const` and without a destructor, so it is readable to the very end
    // of the thread, thread-local destructors included.
    static IDENT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[cfg(loom)]
loom::thread_local! {
    static IDENT: std::cell::Cell<u64> = std::cell::Cell::new(0);
}

/// Gives the calling thread (just started) its ident.
pub(crate) fn set_current(ident: u64) {
    IDENT.with(|cell| cell.set(ident));
}

/// The calling thread's ident (see [`get_ident`](crate::get_ident)).
#[inline]
pub(crate) fn current() -> u64 {
    IDENT
        .try_with(|cell| match cell.get() {
            0 => {
                let ident = first_ident();
                cell.set(ident);
                ident
            }
            ident => ident,
        })
        // Only on a platform whose thread-local storage cannot outlive its
        // destructors: the thread is exiting, and a fresh number is unique.
        .unwrap_or_else(|_| next_ident())
}

// Out of line: the owner check of every RLock acquire inlines `current`,
// which must stay small enough to be inlined where it is used.
#[cold]
#[inline(never)]
fn first_ident() -> u64 {
    #[cfg(not(loom))]
    if crate::os::is_main_thread() {
        return MAIN_IDENT;
    }
    next_ident()
}
