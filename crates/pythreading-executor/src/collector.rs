//! The collector of one [`wait`](crate::wait()) or
//! [`as_completed`](crate::as_completed) call, and the [`Watch`] each
//! watched future holds of it (Python's `_Waiter`).
//!
//! A future tells its watches the moment it is done; each watch puts its
//! future's index in the collector's list and wakes the collecting thread
//! if it is asleep. One thread collects at a time (the caller of `wait`, or
//! the owner of the `AsCompleted` iterator), so a notify wakes at most one.
//! The list lives under a small mutex, and the collector sleeps on the
//! parking table with that mutex's guard released only once it is queued,
//! so no notify is missed.

use std::collections::VecDeque;
use std::sync::Arc;

use pythreading_core::wait::{self, Key, Wait, Wake};

use crate::header::Parked;
use crate::sys::{Mutex, MutexGuard};

/// Futures that became done, in the order they did.
#[derive(Default)]
pub(crate) struct Collected {
    /// The indices of the futures done so far, oldest first.
    pub(crate) done: VecDeque<usize>,
    /// Whether one of them finished with an error other than cancellation.
    pub(crate) failed: bool,
    /// The collecting thread is (about to be) parked: the next notify must
    /// wake it. Set by the collector, cleared by the notify that wakes it.
    parked: bool,
}

/// Told by each watched future when it is done.
pub(crate) struct Collector {
    collected: Mutex<Collected>,
}

impl Collector {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            collected: Mutex::new(Collected::default()),
        })
    }

    /// Names this collector among the watches of a future.
    pub(crate) fn id(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// What the collecting thread parks on.
    fn key(&self) -> Key {
        Key::of(&self.collected)
    }

    /// Waits while `keep_waiting` holds, as long as `wait` allows (and,
    /// with `obey`, until the calling thread's current token is
    /// cancelled); returns the guard and how the wait ended: `Done` when
    /// `keep_waiting` no longer holds.
    pub(crate) fn wait_while(
        &self,
        wait: Wait,
        obey: bool,
        mut keep_waiting: impl FnMut(&Collected) -> bool,
    ) -> (MutexGuard<'_, Collected>, Parked) {
        let mut collected = self.collected.lock();
        if !keep_waiting(&collected) {
            return (collected, Parked::Done);
        }
        let Some(deadline) = wait.deadline() else {
            return (collected, Parked::TimedOut);
        };
        loop {
            collected.parked = true;
            let wake = wait::park_releasing_obeying(obey, self.key(), collected, deadline);
            collected = self.collected.lock();
            if !keep_waiting(&collected) {
                return (collected, Parked::Done);
            }
            let ended = match wake {
                Wake::TimedOut => Parked::TimedOut,
                Wake::Cancelled => Parked::Cancelled,
                Wake::Notified | Wake::Invalid => continue,
            };
            // No notify took the mark: the next one need not unpark.
            collected.parked = false;
            return (collected, ended);
        }
    }
}

pub(crate) struct Watch {
    collector: Arc<Collector>,
    index: usize,
}

impl Watch {
    /// Future `index` of the call that `collector` collects for.
    pub(crate) fn new(collector: &Arc<Collector>, index: usize) -> Self {
        Self {
            collector: Arc::clone(collector),
            index,
        }
    }

    /// Tells the collector that future `index` is done (`failed`: with an
    /// error other than cancellation), waking it if it sleeps.
    pub(crate) fn notify(self, failed: bool) {
        let mut collected = self.collector.collected.lock();
        collected.done.push_back(self.index);
        collected.failed |= failed;
        let parked = std::mem::take(&mut collected.parked);
        drop(collected);
        if parked {
            wait::unpark_one(self.collector.key());
        }
    }

    /// The [`Collector::id`] of its collector.
    pub(crate) fn id(&self) -> usize {
        self.collector.id()
    }
}
