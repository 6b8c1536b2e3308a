//! A [`PriorityQueue`](super::PriorityQueue)'s items compare themselves
//! (their `Ord`) while the queue's lock is held. An `Ord` that calls back
//! into the same queue would wait for that lock for ever (Python's queue
//! hangs the same way). Instead the thread records which queue it is
//! comparing for, and the queue's operations look at that record first:
//! `qsize`, `empty` and `full` answer from the length the queue had when
//! the comparing began, and every other operation panics with a message
//! that says what happened. The panic unwinds out of the `Ord` into the
//! put or get that called it, which hands it on to its caller with the
//! queue as consistent as after any panicking `Ord`.

use std::cell::Cell;

/// The queue this thread is comparing items for (its address, 0 for none),
/// and that queue's length when the comparing began.
type Record = (usize, usize);

#[cfg(not(loom))]
std::thread_local! {
    static COMPARING: Cell<Record> = const { Cell::new((0, 0)) };
}

#[cfg(loom)]
loom::thread_local! {
    static COMPARING: Cell<Record> = Cell::new((0, 0));
}

/// While alive, this thread compares items for one queue; the record it
/// replaced (a comparison for another queue, further out) comes back when
/// it is dropped, also while unwinding.
pub(super) struct Comparing {
    outer: Record,
}

impl Drop for Comparing {
    fn drop(&mut self) {
        let outer = self.outer;
        let _ = COMPARING.try_with(|cell| cell.set(outer));
    }
}

/// Records that this thread compares items for the queue at `queue`, which
/// holds `len` items, until the returned value is dropped.
pub(super) fn comparing(queue: usize, len: usize) -> Comparing {
    let outer = COMPARING
        .try_with(|cell| cell.replace((queue, len)))
        .unwrap_or((0, 0));
    Comparing { outer }
}

/// The length recorded for `queue` if this thread is comparing its items.
#[inline]
pub(super) fn len_while_comparing(queue: usize) -> Option<usize> {
    let (comparing, len) = COMPARING.try_with(Cell::get).unwrap_or((0, 0));
    (comparing == queue).then_some(len)
}

/// Panics, naming `operation`, if this thread is comparing the items of
/// `queue`: taking its lock would wait for ever.
#[inline]
pub(super) fn refuse_while_comparing(queue: usize, operation: &str) {
    if len_while_comparing(queue).is_some() {
        refuse(operation);
    }
}

#[cold]
#[inline(never)]
fn refuse(operation: &str) -> ! {
    panic!(
        "PriorityQueue::{operation} called from the Ord of an item of the same queue, \
         while the queue compares its items under its lock: it would wait for that lock \
         for ever (qsize, empty and full may be called there)"
    )
}
