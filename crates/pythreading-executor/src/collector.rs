//! The collector of one [`wait`](crate::wait()) or
//! [`as_completed`](crate::as_completed) call, and the [`Watch`] each
//! watched future holds of it (Python's `_Waiter`).
//!
//! A future tells its watches the moment it is done; each watch puts its
//! future's index in the collector's list and wakes the collecting thread.
//! It knows nothing of futures: a future's header holds watches, and
//! `wait` and `as_completed` read what they collected.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crate::sys::{Condvar, Mutex, MutexGuard};

/// Futures that became done, in the order they did.
#[derive(Default)]
pub(crate) struct Collected {
    /// The indices of the futures done so far, oldest first.
    pub(crate) done: VecDeque<usize>,
    /// Whether one of them finished with an error other than cancellation.
    pub(crate) failed: bool,
}

/// Told by each watched future when it is done.
pub(crate) struct Collector {
    collected: Mutex<Collected>,
    changed: Condvar,
}

impl Collector {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            collected: Mutex::new(Collected::default()),
            changed: Condvar::new(),
        })
    }

    /// Names this collector among the watches of a future.
    pub(crate) fn id(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// Waits while `keep_waiting` holds, at most until `deadline`; returns
    /// the guard and whether the deadline passed first.
    pub(crate) fn wait_while<'a>(
        &'a self,
        deadline: Option<Instant>,
        mut keep_waiting: impl FnMut(&Collected) -> bool,
    ) -> (MutexGuard<'a, Collected>, bool) {
        let mut collected = self.collected.lock();
        while keep_waiting(&collected) {
            match deadline {
                None => collected = self.changed.wait(collected),
                Some(deadline) => {
                    let (back, timed_out) = self.changed.wait_until(collected, deadline);
                    collected = back;
                    if timed_out && keep_waiting(&collected) {
                        return (collected, true);
                    }
                }
            }
        }
        (collected, false)
    }
}

/// One future's registration with a collector.
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
    /// error other than cancellation).
    pub(crate) fn notify(self, failed: bool) {
        let mut collected = self.collector.collected.lock();
        collected.done.push_back(self.index);
        collected.failed |= failed;
        drop(collected);
        self.collector.changed.notify_all();
    }

    /// The [`Collector::id`] of its collector.
    pub(crate) fn id(&self) -> usize {
        self.collector.id()
    }
}
