//! The machinery the three queues share: one mutex over the items and the
//! counters, and the condition variables the threads wait on.
//!
//! One mutex guards the items and the counters; three condition
//! variables park getters (`not_empty`), putters (`not_full`) and joiners
//! (`all_done`), and a counter per kind of waiter lets the other side skip
//! the notify when nobody sleeps. Everything that decides to sleep or wake
//! happens under the mutex, so no wake-up can be lost (the loom models in
//! `models.rs` check the hand-off). Before sleeping, a getter or putter spins briefly
//! on an atomic copy of the length outside the lock: a producer and a
//! consumer running on two cores then hand items over without ever parking.

use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use super::error::{GetError, PutError};
use super::store::Store;
use crate::error::SyncError;
use crate::loom::{AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};
use crate::spin::SpinWait;

/// How long a put or get may wait.
#[derive(Clone, Copy)]
pub(super) enum Wait {
    Never,
    Until(Option<Instant>),
}

pub(super) struct State<S> {
    items: S,
    /// Items put and not yet `task_done` (Python's `unfinished_tasks`).
    unfinished: usize,
    shutdown: bool,
    pub(super) getters: usize,
    pub(super) putters: usize,
    pub(super) joiners: usize,
}

/// Keeps its value on a cache line of its own, so that threads spinning on
/// it do not steal the line holding the lock from the thread using it.
#[repr(align(128))]
struct Padded<T>(T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The machinery shared by the three queues.
pub(super) struct Inner<S> {
    state: Mutex<State<S>>,
    /// A copy of `items.len()`, written under the lock, read without it.
    len: Padded<AtomicUsize>,
    not_empty: Condvar,
    not_full: Condvar,
    all_done: Condvar,
    pub(super) maxsize: usize,
}

impl<S> Inner<S> {
    pub(super) fn new(maxsize: usize, items: S) -> Self {
        Self {
            state: Mutex::new(State {
                items,
                unfinished: 0,
                shutdown: false,
                getters: 0,
                putters: 0,
                joiners: 0,
            }),
            len: Padded(AtomicUsize::new(0)),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            all_done: Condvar::new(),
            maxsize,
        }
    }

    fn has_room(&self, len: usize) -> bool {
        self.maxsize == 0 || len < self.maxsize
    }

    pub(super) fn put<T>(&self, item: T, wait: Wait) -> Result<(), PutError<T>>
    where
        S: Store<T>,
    {
        let mut spun = false;
        let mut state = self.state.lock();
        loop {
            if state.shutdown {
                return Err(PutError::ShutDown(item));
            }
            if self.has_room(state.items.len()) {
                let held = state.items.len();
                // A PriorityQueue's Ord may panic: the panic goes on to the
                // caller, once the counters match what the store holds.
                let pushed = if S::MAY_PANIC {
                    panic::catch_unwind(AssertUnwindSafe(|| state.items.push(item)))
                } else {
                    state.items.push(item);
                    Ok(())
                };
                if state.items.len() > held {
                    // In, even if the push stopped half-way: counted.
                    self.len.store(state.items.len(), Ordering::Relaxed);
                    state.unfinished += 1;
                    if state.getters > 0 {
                        self.not_empty.notify_one();
                    }
                } else if state.putters > 0 {
                    // Not in: the room this thread may have been woken for
                    // is still free.
                    self.not_full.notify_one();
                }
                if let Err(panic) = pushed {
                    panic::resume_unwind(panic);
                }
                return Ok(());
            }
            let deadline = match wait {
                Wait::Never => return Err(PutError::Full(item)),
                Wait::Until(deadline) => deadline,
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(PutError::Full(item));
            }
            if !spun {
                spun = true;
                drop(state);
                // Spin until an eighth of the queue is free rather than one
                // slot: a producer that outruns its consumer then puts in
                // bursts instead of taking the lock in strict turns with the
                // consumer, item by item (2.5x faster at capacity 1024). The
                // spin is bounded, and the room check under the lock below
                // is the usual one, so a single free slot is still taken.
                let slack = (self.maxsize / 8).max(1);
                let mut spin = SpinWait::new();
                while self.len.load(Ordering::Relaxed) + slack > self.maxsize && spin.spin() {}
                state = self.state.lock();
                continue;
            }
            state.putters += 1;
            let (guard, _) = self.not_full.wait_deadline(state, deadline);
            state = guard;
            state.putters -= 1;
        }
    }

    pub(super) fn get<T>(&self, wait: Wait) -> Result<T, GetError>
    where
        S: Store<T>,
    {
        let mut spun = false;
        let mut state = self.state.lock();
        loop {
            let popped = if S::MAY_PANIC {
                match panic::catch_unwind(AssertUnwindSafe(|| state.items.pop())) {
                    Ok(popped) => popped,
                    Err(panic) => {
                        // A PriorityQueue's Ord panicked: nothing was taken
                        // (the length is as it was). This thread may have
                        // been woken for the items still there: pass the
                        // wake-up on, then let the panic go on.
                        if state.getters > 0 {
                            self.not_empty.notify_one();
                        }
                        panic::resume_unwind(panic);
                    }
                }
            } else {
                state.items.pop()
            };
            if let Some(item) = popped {
                self.len.store(state.items.len(), Ordering::Relaxed);
                if state.putters > 0 {
                    self.not_full.notify_one();
                }
                return Ok(item);
            }
            if state.shutdown {
                return Err(GetError::ShutDown);
            }
            let deadline = match wait {
                Wait::Never => return Err(GetError::Empty),
                Wait::Until(deadline) => deadline,
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(GetError::Empty);
            }
            if !spun {
                spun = true;
                drop(state);
                let mut spin = SpinWait::new();
                while self.len.load(Ordering::Relaxed) == 0 && spin.spin() {}
                state = self.state.lock();
                continue;
            }
            state.getters += 1;
            let (guard, _) = self.not_empty.wait_deadline(state, deadline);
            state = guard;
            state.getters -= 1;
        }
    }

    pub(super) fn task_done(&self) -> Result<(), SyncError> {
        let mut state = self.state.lock();
        if state.unfinished == 0 {
            return Err(SyncError::TaskDoneTooManyTimes);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 && state.joiners > 0 {
            self.all_done.notify_all();
        }
        Ok(())
    }

    pub(super) fn join_until(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.state.lock();
        while state.unfinished > 0 {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            state.joiners += 1;
            let (guard, _) = self.all_done.wait_deadline(state, deadline);
            state = guard;
            state.joiners -= 1;
        }
        true
    }

    pub(super) fn shutdown<T>(&self, immediate: bool) -> Vec<T>
    where
        S: Store<T>,
    {
        let mut state = self.state.lock();
        state.shutdown = true;
        // Woken first, so that they are woken even if a PriorityQueue's Ord
        // panics below; they run only once the lock is free.
        self.not_empty.notify_all();
        self.not_full.notify_all();
        if !immediate {
            return Vec::new();
        }
        // If a PriorityQueue's Ord panics, nothing is removed and the panic
        // goes on: the queue is shut down, with its items still there to get.
        let drained = state.items.drain_all();
        self.len.store(0, Ordering::Relaxed);
        // Each removed item counts as done, as in Python: join() is
        // released unless items already taken are still unfinished.
        state.unfinished = state.unfinished.saturating_sub(drained.len());
        if state.unfinished == 0 {
            self.all_done.notify_all();
        }
        drained
    }

    pub(super) fn is_shutdown(&self) -> bool {
        self.lock_state().shutdown
    }

    pub(super) fn lock_state(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock()
    }

    pub(super) fn qsize(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub(super) fn unfinished(&self) -> usize {
        self.lock_state().unfinished
    }
}
