//! The hooks through which every lock tells the deadlock detector what it
//! does: who took it, who gave it back, who is waiting for it.
//!
//! Each lock ([`Lock`](crate::Lock), [`RLock`](crate::RLock), a
//! [`Condition`](crate::Condition)'s lock, both semaphores) embeds one
//! [`Tracker`] and calls it at four points:
//!
//! - [`acquired`](Tracker::acquired) after taking the lock without waiting,
//! - [`blocking`](Tracker::blocking) around the wait of a slow acquire,
//! - [`release`](Tracker::release) around giving units back: the record
//!   changes in the same step as the lock, and only if the lock really took
//!   the units back (a refused release changes nothing),
//! - and its `Drop`.
//!
//! Without the `deadlock-detection` feature, `Tracker` is a zero-sized type
//! whose methods are empty and inlined: the locks compile to exactly the code
//! they had before the feature existed (`zero_cost` checks the sizes). With
//! it, the calls go to [`crate::deadlock::tracker`], which keeps the record
//! the wait-for graph is read from (under `--cfg loom` too, where its
//! hand-offs are model-checked).

#[cfg(feature = "deadlock-detection")]
pub(crate) use crate::deadlock::tracker::Tracker;

pub(crate) use crate::lock_kind::Kind;

#[cfg(not(feature = "deadlock-detection"))]
pub(crate) use off::Tracker;

#[cfg(not(feature = "deadlock-detection"))]
mod off {
    use crate::lock_kind::Kind;

    /// Without the `deadlock-detection` feature: nothing, at no cost.
    #[derive(Debug)]
    pub(crate) struct Tracker;

    impl Tracker {
        #[inline(always)]
        pub(crate) const fn new(_kind: Kind) -> Self {
            Tracker
        }

        #[inline(always)]
        pub(crate) fn named(_kind: Kind, _name: String) -> Self {
            Tracker
        }

        #[inline(always)]
        pub(crate) fn acquired(&self) {}

        #[inline(always)]
        pub(crate) fn blocking(&self, wait: impl FnOnce() -> bool) -> bool {
            wait()
        }

        #[inline(always)]
        pub(crate) fn counting(_kind: Kind, _name: Option<String>, _units: usize) -> Self {
            Tracker
        }

        #[inline(always)]
        pub(crate) fn release(&self, _units: usize, release: impl FnOnce() -> bool) -> bool {
            release()
        }
    }
}
