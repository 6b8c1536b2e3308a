//! When a wait ends: one [`Deadline`] type, and [`Wait`], how long an
//! acquire may block.

use std::time::{Duration, Instant};

/// The moment a blocking call gives up, or never.
///
/// Built once at the start of a call from the user's timeout, so that a wait
/// woken early and put back to sleep still ends on time. A timeout too large
/// for [`Instant`] (`Duration::MAX`, say) waits for ever instead of
/// panicking or overflowing.
///
/// ```
/// use pythreading_core::wait::Deadline;
/// use std::time::Duration;
///
/// assert!(Deadline::after(Duration::MAX).is_never());
/// assert!(Deadline::after(Duration::ZERO).passed());
/// assert!(!Deadline::NEVER.passed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// A wait without a time limit.
    pub const NEVER: Self = Self(None);

    /// `timeout` from now; [`NEVER`](Self::NEVER) when that is past the
    /// end of [`Instant`]'s range.
    #[inline]
    pub fn after(timeout: Duration) -> Self {
        Self(Instant::now().checked_add(timeout))
    }

    /// [`after`](Self::after) the timeout, or [`NEVER`](Self::NEVER) for
    /// `None` (Python's `timeout=None`).
    #[inline]
    pub fn from_timeout(timeout: Option<Duration>) -> Self {
        timeout.map_or(Self::NEVER, Self::after)
    }

    /// At `instant`.
    #[inline]
    pub const fn at(instant: Instant) -> Self {
        Self(Some(instant))
    }

    /// At the instant if there is one, else never (the form the
    /// `*_until(Option<Instant>)` methods take).
    #[inline]
    pub const fn from_instant(instant: Option<Instant>) -> Self {
        Self(instant)
    }

    /// The instant, or `None` for [`NEVER`](Self::NEVER).
    #[inline]
    pub const fn instant(self) -> Option<Instant> {
        self.0
    }

    /// Whether this is [`NEVER`](Self::NEVER).
    #[inline]
    pub const fn is_never(self) -> bool {
        self.0.is_none()
    }

    /// Whether the deadline has passed (never, for [`NEVER`](Self::NEVER),
    /// which reads no clock).
    ///
    /// Under loom there is no clock: this is always `false`, and only a
    /// timed park reports a deadline, as [`Wake::TimedOut`](super::Wake),
    /// at whatever moment the model picks. A caller must therefore act on
    /// what the park returns, not on the clock, which also keeps models
    /// deterministic.
    #[inline]
    pub fn passed(self) -> bool {
        #[cfg(loom)]
        return false;
        #[cfg(not(loom))]
        return self.0.is_some_and(|deadline| Instant::now() >= deadline);
    }

    /// The time left (zero once passed), or `None` for
    /// [`NEVER`](Self::NEVER).
    #[inline]
    pub fn remaining(self) -> Option<Duration> {
        self.0
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }
}

impl From<Option<Instant>> for Deadline {
    fn from(instant: Option<Instant>) -> Self {
        Self(instant)
    }
}

/// How long an acquire may block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Not at all (`try_acquire`, `blocking=False`).
    No,
    /// Until the deadline.
    Until(Deadline),
    /// At most this long. The clock is read only once the fast path has
    /// failed, so an uncontended timed acquire costs no clock read.
    Timeout(Duration),
}

impl Wait {
    /// Without a time limit.
    pub const FOREVER: Self = Self::Until(Deadline::NEVER);

    /// Python's `(blocking, timeout)` pair of arguments as a wait: `None`
    /// timeout blocks for ever.
    #[inline]
    pub fn from_timeout(timeout: Option<Duration>) -> Self {
        timeout.map_or(Self::FOREVER, Self::Timeout)
    }

    /// Whether this wait may block at all: not [`Wait::No`], and not a
    /// zero timeout (a plain try). The rule [`deadline`](Self::deadline)
    /// follows, without reading the clock.
    #[inline]
    pub fn may_block(self) -> bool {
        match self {
            Wait::No => false,
            Wait::Until(_) => true,
            Wait::Timeout(timeout) => !timeout.is_zero(),
        }
    }

    /// The deadline of a wait that may block, or `None` if it may not.
    /// Called once the fast path has failed. A zero timeout may not block:
    /// it is a plain try, with no spinning, no parking and no mark on the
    /// primitive.
    #[inline]
    pub fn deadline(self) -> Option<Deadline> {
        match self {
            Wait::No => None,
            Wait::Until(deadline) => Some(deadline),
            Wait::Timeout(timeout) if timeout.is_zero() => None,
            Wait::Timeout(timeout) => Some(Deadline::after(timeout)),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn may_block_agrees_with_deadline() {
        for wait in [
            Wait::No,
            Wait::FOREVER,
            Wait::Timeout(Duration::ZERO),
            Wait::Timeout(Duration::from_nanos(1)),
            Wait::Timeout(Duration::MAX),
        ] {
            assert_eq!(wait.may_block(), wait.deadline().is_some(), "{wait:?}");
        }
    }

    #[test]
    fn zero_timeout_is_no_wait() {
        assert!(Wait::No.deadline().is_none());
        assert!(Wait::Timeout(Duration::ZERO).deadline().is_none());
        assert!(matches!(
            Wait::Timeout(Duration::from_nanos(1)).deadline(),
            Some(d) if !d.is_never()
        ));
        assert_eq!(
            Wait::Timeout(Duration::MAX).deadline(),
            Some(Deadline::NEVER)
        );
        assert_eq!(Wait::FOREVER.deadline(), Some(Deadline::NEVER));
        assert_eq!(Wait::from_timeout(None), Wait::FOREVER);
    }

    #[test]
    fn deadlines_saturate_and_measure() {
        assert!(Deadline::after(Duration::MAX).is_never());
        assert_eq!(Deadline::NEVER.remaining(), None);
        assert!(!Deadline::NEVER.passed());
        let past = Deadline::after(Duration::ZERO);
        assert!(past.passed());
        assert_eq!(past.remaining(), Some(Duration::ZERO));
        let later = Deadline::after(Duration::from_secs(3600));
        assert!(!later.passed());
        assert!(later.remaining().unwrap() > Duration::from_secs(3000));
        assert_eq!(Deadline::from_timeout(None), Deadline::NEVER);
        assert_eq!(Deadline::from(None), Deadline::NEVER);
    }
}
