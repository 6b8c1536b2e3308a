//! The detector's side of the hooks in `track` (feature
//! `deadlock-detection`): each lock's [`Tracker`] writes what it does into
//! the record, by the rules of `record`, and into the lock-order record.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use super::lock_order;
use super::record::{Meta, Waiter, get_ident, registry};
use crate::lock_kind::Kind;

/// The detector's part of a lock (feature `deadlock-detection`).
#[derive(Debug)]
pub(crate) struct Tracker {
    kind: Kind,
    /// The lock's units when it was made: 1 for a lock, a semaphore's value.
    units: usize,
    /// Made on first use, so that `Lock::new` stays `const` and allocates
    /// nothing until the lock is used.
    meta: OnceLock<Arc<Meta>>,
}

impl Tracker {
    pub(crate) const fn new(kind: Kind) -> Self {
        Self {
            kind,
            units: 1,
            meta: OnceLock::new(),
        }
    }

    pub(crate) fn named(kind: Kind, name: String) -> Self {
        Self::counting(kind, Some(name), 1)
    }

    /// The tracker of a lock made with `units` free units (a semaphore's
    /// value).
    pub(crate) fn counting(kind: Kind, name: Option<String>, units: usize) -> Self {
        let tracker = Self {
            kind,
            units,
            meta: OnceLock::new(),
        };
        if let Some(name) = name {
            let _ = tracker
                .meta
                .set(Arc::new(Meta::new(kind, Some(name), 0, units)));
        }
        tracker
    }

    fn meta(&self) -> &Arc<Meta> {
        self.meta.get_or_init(|| {
            let addr = std::ptr::from_ref(self).addr();
            Arc::new(Meta::new(self.kind, None, addr, self.units))
        })
    }

    /// The calling thread took the lock (or one unit) without waiting.
    pub(crate) fn acquired(&self) {
        let me = get_ident();
        let meta = self.meta();
        meta.holders.lock().take(me);
        lock_order::acquired(meta, me);
    }

    /// Runs `wait`, a blocking acquire returning whether it took the lock,
    /// with the calling thread recorded as waiting for this lock meanwhile.
    pub(crate) fn blocking(&self, wait: impl FnOnce() -> bool) -> bool {
        let me = get_ident();
        let meta = self.meta();
        let waiter = Waiter::new(meta);
        lock_order::attempt(meta, me);
        registry().insert(me, waiter);
        let taken = wait();
        {
            let mut registry = registry();
            registry.remove(&me);
            if taken {
                meta.holders.lock().take(me);
            }
        }
        if taken {
            // The pairs were recorded by `attempt`, and this thread's held
            // locks cannot have changed while it waited.
            lock_order::push(meta);
        }
        taken
    }

    /// Runs `release`, which gives `units` back to the lock and returns
    /// whether the lock took them (`false`: refused, nothing changed), and
    /// records the release in the same step, if it happened.
    pub(crate) fn release(&self, units: usize, release: impl FnOnce() -> bool) -> bool {
        let me = get_ident();
        // Made here too: units given to a lock nobody took yet must count.
        let meta = self.meta();
        let still_held = {
            let mut holders = meta.holders.lock();
            if !release() {
                return false;
            }
            holders.give_back(me, units, self.kind);
            holders.held_by(me)
        };
        lock_order::released(meta, still_held);
        true
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(meta) = self.meta.get() {
            // Paired with `lock_order::record`: either it sees `dropped`, or
            // this sees `paired` and takes the pairs out.
            meta.dropped.store(true, Ordering::SeqCst);
            if meta.paired.load(Ordering::SeqCst) {
                lock_order::forget(meta.id);
            }
        }
    }
}
