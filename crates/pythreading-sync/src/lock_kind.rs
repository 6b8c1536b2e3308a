//! What kind of lock a deadlock-detection [`Tracker`](crate::track::Tracker)
//! belongs to: named by the locks when they make their tracker, and read by
//! the detector to show an unnamed lock as its kind and address.
//!
//! A file of its own so that both sides take it from here: the hooks
//! (`track`) use the detector's record, and the record uses this, never the
//! hooks.

/// What kind of lock a [`Tracker`](crate::track::Tracker) belongs to; an
/// unnamed lock is shown as its kind and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "deadlock-detection"), allow(dead_code))]
pub(crate) enum Kind {
    Lock,
    RLock,
    Condition,
    Semaphore,
    BoundedSemaphore,
}

impl Kind {
    #[cfg_attr(not(feature = "deadlock-detection"), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Lock => "Lock",
            Kind::RLock => "RLock",
            Kind::Condition => "Condition",
            Kind::Semaphore => "Semaphore",
            Kind::BoundedSemaphore => "BoundedSemaphore",
        }
    }
}
