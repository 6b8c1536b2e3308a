//! The record the detector reads: what each lock knows of its holders
//! ([`Meta`], [`Holders`]) and which threads are in a blocking acquire, each
//! with the lock it waits for ([`registry`]).
//!
//! The hooks (`tracker`) write it and the cycle search (`cycles`) reads it,
//! by these rules, which make a snapshot of it true:
//!
//! 1. A thread enters the registry before it may block and leaves it, under
//!    the registry's lock, *before* it is recorded as holding what it waited
//!    for. So while the cycle search holds the registry, no waiting thread
//!    can stop waiting (as far as the record goes) nor gain a lock.
//! 2. A release is recorded under the lock's `Meta` mutex, in the same step
//!    as the lock really takes the units back, and only if it does (a
//!    refused release changes nothing). A take is recorded just *after* the
//!    real take. So the record's count of free units is never less than the
//!    lock's real count: it also counts the units taken but not recorded
//!    yet, such as the one a waiter has just been handed while it is still
//!    in the registry. A holder never leaves the record before its unit is
//!    really back.
//! 3. Lock order: the registry, then one `Meta` at a time; a `Meta` mutex is
//!    held only around the lock's own release (which may take the lock's
//!    parking mutex, which is never held while taking a `Meta`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::lock_kind::Kind;
use crate::sys::{Mutex, MutexGuard};

/// The calling thread's ident: pythreading's one per-thread identity
/// (loom-aware: each model thread has its own).
pub(super) use pythreading_core::get_ident;

/// Lock ids, never reused (0 is never given).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What the detector knows of one lock.
pub(crate) struct Meta {
    pub(super) id: u64,
    kind: Kind,
    name: Option<String>,
    /// Where the lock was when it was first tracked (for unnamed locks).
    addr: usize,
    /// Set when the lock is dropped: a thread's list of held locks forgets
    /// it, and so does the lock-order record (see `lock_order`).
    pub(super) dropped: AtomicBool,
    /// Set once the lock is in the lock-order record (see `lock_order`).
    pub(super) paired: AtomicBool,
    pub(super) holders: Mutex<Holders>,
}

/// A lock's record: its holders, `(ident, units)` oldest first (a `Lock` or
/// `RLock` has at most one, a semaphore one per thread holding units), and
/// its free units.
#[derive(Debug, Default)]
pub(super) struct Holders {
    pub(super) generation: u64,
    units: Vec<(u64, usize)>,
    /// The lock's free units, plus those taken and not recorded yet (rule 2
    /// of the module docs): never less than the lock's real count.
    free: usize,
    /// Set once a thread gives back what another thread took (a `Lock` or a
    /// semaphore used as a signal): from then on anyone may be the one to
    /// release it, so waiting for it is not counted as blocked by its holder.
    signal: bool,
}

impl Holders {
    /// Thread `me` took one unit.
    pub(super) fn take(&mut self, me: u64) {
        self.generation += 1;
        self.free = self.free.saturating_sub(1);
        match self.units.iter_mut().find(|(ident, _)| *ident == me) {
            Some((_, count)) => *count += 1,
            None => self.units.push((me, 1)),
        }
    }

    /// Thread `me` gave `units` back: its own first, then (units given back
    /// by a thread that did not take them) the oldest holder's, and the lock
    /// is known to be used as a signal. A `Lock` given back by a thread that
    /// is not its recorded holder is one too (its taker may not be recorded
    /// yet); units a semaphore gets with nobody holding any are new ones.
    pub(super) fn give_back(&mut self, me: u64, mut units: usize, kind: Kind) {
        self.generation += 1;
        self.free = self.free.saturating_add(units);
        if self.units.is_empty() && kind == Kind::Lock {
            self.signal = true;
        }
        while units > 0 && !self.units.is_empty() {
            let at = match self.units.iter().position(|(ident, _)| *ident == me) {
                Some(at) => at,
                None => {
                    self.signal = true;
                    0
                }
            };
            let count = &mut self.units[at].1;
            let taken = units.min(*count);
            *count -= taken;
            units -= taken;
            if *count == 0 {
                self.units.remove(at);
            }
        }
    }

    pub(super) fn held_by(&self, me: u64) -> bool {
        self.units.iter().any(|(ident, _)| *ident == me)
    }

    /// The holders a waiter for this lock depends on: none if a unit is
    /// free or the lock is a signal (then nothing is known).
    pub(super) fn blocking(&self) -> Vec<u64> {
        if self.free > 0 || self.signal {
            return Vec::new();
        }
        self.units.iter().map(|(holder, _)| *holder).collect()
    }
}

impl Meta {
    pub(super) fn new(kind: Kind, name: Option<String>, addr: usize, units: usize) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            kind,
            name,
            addr,
            dropped: AtomicBool::new(false),
            paired: AtomicBool::new(false),
            holders: Mutex::new(Holders {
                free: units,
                ..Holders::default()
            }),
        }
    }

    /// The lock's name, or its kind and address.
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("{} at {:#x}", self.kind.as_str(), self.addr),
        }
    }

    pub(super) fn held_by(&self, me: u64) -> bool {
        self.holders.lock().held_by(me)
    }
}

impl fmt::Debug for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meta")
            .field("id", &self.id)
            .field("label", &self.label())
            .finish_non_exhaustive()
    }
}

/// A thread in a blocking acquire.
pub(super) struct Waiter {
    /// For the name of a thread pythreading does not know (see
    /// `thread_names`).
    pub(super) thread: std::thread::Thread,
    pub(super) lock: Arc<Meta>,
    /// Which wait this is: a thread that deadlocks, is freed and deadlocks
    /// again is a new deadlock.
    pub(super) episode: u64,
}

static EPISODES: AtomicU64 = AtomicU64::new(1);

impl Waiter {
    /// The calling thread, about to wait for `lock`.
    pub(super) fn new(lock: &Arc<Meta>) -> Self {
        Self {
            thread: std::thread::current(),
            lock: Arc::clone(lock),
            episode: EPISODES.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// The threads in a blocking acquire, by ident.
#[cfg(not(loom))]
static REGISTRY: Mutex<BTreeMap<u64, Waiter>> = Mutex::new(BTreeMap::new());

// Under loom, made afresh for each execution of a model.
#[cfg(loom)]
loom::lazy_static! {
    static ref REGISTRY: Mutex<BTreeMap<u64, Waiter>> = Mutex::new(BTreeMap::new());
}

pub(super) fn registry() -> MutexGuard<'static, BTreeMap<u64, Waiter>> {
    REGISTRY.lock()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_takes_the_releasers_units_first_then_the_oldest() {
        let mut record = Holders {
            free: 3,
            ..Holders::default()
        };
        record.take(1);
        record.take(2);
        record.take(2);
        assert_eq!(record.free, 0);
        assert_eq!(record.blocking(), [1, 2]);
        record.give_back(2, 1, Kind::Semaphore);
        assert_eq!(record.units, [(1, 1), (2, 1)]);
        assert!(!record.signal);
        // A unit is free: nobody waiting for one is blocked.
        assert_eq!(record.free, 1);
        assert!(record.blocking().is_empty());
        // Thread 3 holds nothing: the oldest unit (thread 1's) goes, and the
        // semaphore is known to be used as a signal.
        record.take(4);
        record.give_back(3, 1, Kind::Semaphore);
        assert!(record.signal);
        assert_eq!(record.units, [(2, 1), (4, 1)]);
        // More than recorded: everything goes, nothing overflows.
        record.give_back(3, usize::MAX, Kind::Semaphore);
        assert!(record.units.is_empty());
        assert_eq!(record.free, usize::MAX);
        assert!(!record.held_by(2));
    }

    #[test]
    fn units_given_to_a_semaphore_nobody_holds_are_new_ones() {
        let mut record = Holders::default();
        record.give_back(1, 2, Kind::Semaphore);
        assert!(!record.signal);
        assert_eq!(record.free, 2);
        // A Lock given back with no recorded holder had a taker not yet
        // recorded: it was handed off.
        let mut lock = Holders::default();
        lock.give_back(1, 1, Kind::Lock);
        assert!(lock.signal);
    }

    #[test]
    fn unnamed_locks_are_their_kind_and_address() {
        let meta = Meta::new(Kind::RLock, None, 0x1234, 1);
        assert_eq!(meta.label(), "RLock at 0x1234");
        assert_eq!(Meta::new(Kind::Lock, Some("db".into()), 0, 1).label(), "db");
    }
}
