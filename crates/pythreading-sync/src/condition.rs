//! [`Condition`]: Python's `threading.Condition`.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use pythreading_core::Cancelled;
use pythreading_core::wait::{self, Deadline, Key, Wake};

use crate::error::SyncError;
use crate::rlock::{RLock, RLockGuard};
use crate::sys::{AtomicUsize, Ordering};

/// The guard of a [`Condition`]'s lock: one level of its [`RLock`].
pub type ConditionGuard<'a> = RLockGuard<'a>;

/// A condition variable with its own re-entrant lock: Python's
/// `threading.Condition()`.
///
/// Threads take the lock, check some state, and [`wait`](Condition::wait)
/// until another thread changes the state and calls
/// [`notify`](Condition::notify) or [`notify_all`](Condition::notify_all),
/// both also under the lock. `wait` releases the lock while it sleeps (all
/// levels, if the thread holds it recursively) and takes it back at the same
/// depth before it returns.
///
/// Every method that needs the lock checks that the calling thread holds it:
/// otherwise it is [`SyncError::NotOwner`], never undefined behaviour or a
/// hang.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use pythreading_sync::Condition;
///
/// let cond = Arc::new(Condition::new());
/// let ready = Arc::new(AtomicBool::new(false));
/// let consumer = {
///     let (cond, ready) = (Arc::clone(&cond), Arc::clone(&ready));
///     std::thread::spawn(move || {
///         let _held = cond.guard();
///         cond.wait_for(|| ready.load(Ordering::SeqCst), None)
///     })
/// };
/// {
///     let _held = cond.guard();
///     ready.store(true, Ordering::SeqCst);
///     cond.notify_all()?;
/// }
/// assert_eq!(consumer.join().unwrap(), Ok(true));
/// # Ok::<(), pythreading_sync::SyncError>(())
/// ```
///
/// # Cancellation
///
/// [`wait`](Condition::wait), [`wait_timeout`](Condition::wait_timeout)
/// and [`wait_for`](Condition::wait_for) obey the calling thread's current
/// [`CancellationToken`](pythreading_core::CancellationToken): once it is
/// cancelled, a wait ends with [`SyncError::Cancelled`], after taking the
/// lock back at the same depth, as every wait does (taking it back cannot
/// be cancelled). A wait that ends cancelled took no notification: a
/// `notify` that reaches a waiter as it is cancelled wakes another waiter
/// instead (one notified before its cancel returns as notified). The
/// lock's own acquires follow [`RLock`]'s rules: `acquire` and
/// `acquire_timeout` do not obey the token,
/// [`acquire_cancellable`](Condition::acquire_cancellable) and
/// [`guard_cancellable`](Condition::guard_cancellable) do.
//
// Waiting (Python's design, on the parking table instead of a lock per
// waiter): a waiter parks on the address of `waiters` and is queued there
// while it still holds the RLock; only then (in `park`'s `before_sleep`)
// does it release the RLock. `notify(n)` (run under the RLock) unparks the
// n longest-parked waiters of that key. The table queues in order, and a
// waiter whose deadline passes takes itself out of the queue unless a
// notify took it first (then it counts as notified), so `notify(1)` always
// reaches a thread that is still waiting. A waiter whose token is
// cancelled takes itself out of the queue in the same way; one that a
// notify took out of it as it was cancelled was not woken by it (the table
// hands that wake-up on to the next waiter, and `unpark(n)` counts only the
// waiters it woke), so `notify(n)` still wakes n waiters if n remain.
pub struct Condition {
    lock: RLock,
    /// The threads in `wait` (queued, or woken and taking the lock back),
    /// so that a notify with nobody waiting leaves the parking table alone.
    /// Changed only under the lock, which orders it: plain loads and stores
    /// suffice. Its address is the key the waiters park on.
    waiters: AtomicUsize,
}

impl Condition {
    /// A condition over a new, unlocked [`RLock`].
    pub fn new() -> Self {
        Self::with_lock(RLock::for_condition(None))
    }

    /// A condition with a name, by which deadlock reports name its lock (see
    /// [`Lock::named`](crate::Lock::named)). Without the
    /// `deadlock-detection` feature the name is ignored.
    pub fn named(name: impl Into<String>) -> Self {
        Self::with_lock(RLock::for_condition(Some(name.into())))
    }

    fn with_lock(lock: RLock) -> Self {
        Self {
            lock,
            waiters: AtomicUsize::new(0),
        }
    }

    /// What the waiters park on.
    fn key(&self) -> Key {
        Key::of(&self.waiters)
    }

    /// The underlying re-entrant lock.
    pub fn lock(&self) -> &RLock {
        &self.lock
    }

    /// Acquires the lock (see [`RLock::acquire`]). Does not obey the
    /// cancellation token; see [`acquire_cancellable`](Self::acquire_cancellable).
    pub fn acquire(&self) {
        self.lock.acquire();
    }

    /// Acquires the lock if possible without blocking.
    #[must_use = "if it returns true the lock is held and must be released"]
    pub fn try_acquire(&self) -> bool {
        self.lock.try_acquire()
    }

    /// Waits at most `timeout` for the lock; `true` if acquired. Does not
    /// obey the cancellation token; see
    /// [`acquire_cancellable`](Self::acquire_cancellable).
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.lock.acquire_timeout(timeout)
    }

    /// Waits for the lock at most `timeout` (`None`: without a limit),
    /// obeying the calling thread's cancellation token: `Ok(true)` if
    /// acquired, `Ok(false)` if the timeout passed, `Err(Cancelled)` if the
    /// token was cancelled first (nothing taken). See
    /// [`RLock::acquire_cancellable`].
    pub fn acquire_cancellable(&self, timeout: Option<Duration>) -> Result<bool, Cancelled> {
        self.lock.acquire_cancellable(timeout)
    }

    /// Releases one level of the lock; [`SyncError::NotOwner`] if the
    /// calling thread does not hold it.
    pub fn release(&self) -> Result<(), SyncError> {
        self.lock.release()
    }

    /// Whether the calling thread holds the lock.
    pub fn is_owned(&self) -> bool {
        self.lock.is_owned()
    }

    /// Acquires the lock and returns a guard releasing it when dropped.
    /// Does not obey the cancellation token; see
    /// [`guard_cancellable`](Self::guard_cancellable).
    pub fn guard(&self) -> ConditionGuard<'_> {
        self.lock.guard()
    }

    /// [`guard`](Self::guard), obeying the calling thread's cancellation
    /// token (see [`RLock::guard_cancellable`]).
    pub fn guard_cancellable(&self) -> Result<ConditionGuard<'_>, Cancelled> {
        self.lock.guard_cancellable()
    }

    /// Releases the lock, waits until notified, and takes the lock back at
    /// the same depth. Without the lock: [`SyncError::NotOwner`].
    ///
    /// Obeys the calling thread's current
    /// [`CancellationToken`](pythreading_core::CancellationToken): once it
    /// is cancelled, [`SyncError::Cancelled`], with the lock taken back as
    /// after any wait (at once, without releasing it, if the token is
    /// cancelled already).
    ///
    /// As with every condition variable, check the state you wait for in a
    /// loop, or use [`wait_for`](Self::wait_for).
    pub fn wait(&self) -> Result<(), SyncError> {
        self.wait_until(Deadline::NEVER).map(|_| ())
    }

    /// [`wait`](Self::wait) for at most `timeout`; `Ok(false)` if it timed
    /// out without being notified. Obeys the cancellation token as
    /// [`wait`](Self::wait) does ([`SyncError::Cancelled`], lock held).
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, SyncError> {
        self.wait_until(Deadline::after(timeout))
    }

    /// Waits until `predicate()` is true, or until `timeout` (if any) has
    /// passed, and returns the predicate's last value (Python's
    /// `wait_for`). The predicate is called with the lock held, first
    /// before any waiting. Without the lock: [`SyncError::NotOwner`].
    ///
    /// Obeys the cancellation token as [`wait`](Self::wait) does: once it
    /// is cancelled while the predicate is false, [`SyncError::Cancelled`]
    /// (lock held). A predicate true at the first call returns `Ok(true)`
    /// without waiting, cancelled or not.
    pub fn wait_for(
        &self,
        mut predicate: impl FnMut() -> bool,
        timeout: Option<Duration>,
    ) -> Result<bool, SyncError> {
        if !self.is_owned() {
            return Err(SyncError::NotOwner);
        }
        let deadline = Deadline::from_timeout(timeout);
        loop {
            if predicate() {
                return Ok(true);
            }
            if deadline.passed() {
                return Ok(false);
            }
            self.wait_until(deadline)?;
        }
    }

    fn wait_until(&self, deadline: Deadline) -> Result<bool, SyncError> {
        let saved = self.lock.save()?;
        // Under the lock, as every change of the count.
        let waiters = self.waiters.load(Ordering::Relaxed);
        self.waiters.store(waiters + 1, Ordering::Relaxed);
        // Queued first, then the lock released: a notify, which takes the
        // lock, cannot come between the two and miss this waiter. A wait
        // whose token is cancelled already never queues nor releases: then
        // the lock is still held, and must not be taken again.
        let released = Cell::new(false);
        let wake = wait::park_cancellable(
            self.key(),
            || true,
            || {
                released.set(true);
                self.lock.release_saved(saved);
            },
            deadline,
        );
        if released.get() {
            self.lock.acquire_restore(saved);
        }
        let waiters = self.waiters.load(Ordering::Relaxed);
        self.waiters.store(waiters - 1, Ordering::Relaxed);
        match wake {
            Wake::Notified => Ok(true),
            Wake::Cancelled => Err(Cancelled.into()),
            Wake::TimedOut | Wake::Invalid => Ok(false),
        }
    }

    /// Wakes up to `n` threads waiting on this condition, oldest first.
    /// Without the lock: [`SyncError::NotOwner`].
    pub fn notify(&self, n: usize) -> Result<(), SyncError> {
        if !self.is_owned() {
            return Err(SyncError::NotOwner);
        }
        self.notify_waiters(n);
        Ok(())
    }

    /// Wakes up to `n` waiters, longest-parked first; returns how many it
    /// woke. The caller holds the lock.
    fn notify_waiters(&self, n: usize) -> usize {
        if self.waiters.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        wait::unpark(self.key(), n)
    }

    /// Wakes every thread waiting on this condition. Without the lock:
    /// [`SyncError::NotOwner`].
    pub fn notify_all(&self) -> Result<(), SyncError> {
        self.notify(usize::MAX)
    }

    /// How many threads are waiting now (for tests and diagnostics): those
    /// parked and not yet notified, as Python counts them.
    pub fn waiting(&self) -> usize {
        wait::parked(self.key())
    }
}

impl Default for Condition {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condition {
    /// As Python's repr: `<Condition(<unlocked RLock count=0>, 0)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Condition({:?}, {})>", self.lock, self.waiting())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Condition>();
    }

    #[test]
    fn debug_is_pythons_repr() {
        let c = Condition::new();
        assert_eq!(format!("{c:?}"), "<Condition(<unlocked RLock count=0>, 0)>");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::{Arc, AtomicBool};

    /// notify under the lock reaches a waiter however the two interleave,
    /// and the waiter comes back holding the lock at its old depth.
    #[test]
    fn loom_condition_notify_reaches_waiter() {
        loom::model(|| {
            let cond = Arc::new(Condition::new());
            let flag = Arc::new(AtomicBool::new(false));
            let waiter = {
                let (cond, flag) = (Arc::clone(&cond), Arc::clone(&flag));
                loom::thread::spawn(move || {
                    let _a = cond.guard();
                    let _b = cond.guard();
                    while !flag.load(Ordering::Relaxed) {
                        cond.wait().unwrap();
                    }
                    assert_eq!(cond.lock().recursion_count(), 2);
                })
            };
            {
                let _held = cond.guard();
                flag.store(true, Ordering::Relaxed);
                cond.notify(1).unwrap();
            }
            waiter.join().unwrap();
            assert!(!cond.lock().locked());
        });
    }

    /// A timed waiter whose deadline passes while `notify(1)` takes it out
    /// of the queue reports being notified: the notification is never spent
    /// on a waiter that then says it timed out.
    #[test]
    fn loom_condition_notify_not_lost_to_timeout() {
        loom::model(|| {
            let cond = Arc::new(Condition::new());
            let waiter = {
                let cond = Arc::clone(&cond);
                loom::thread::spawn(move || {
                    let _held = cond.guard();
                    cond.wait_timeout(Duration::from_secs(1)).unwrap()
                })
            };
            let taken = {
                let _held = cond.guard();
                cond.notify_waiters(1)
            };
            let notified = waiter.join().unwrap();
            assert_eq!(notified, taken == 1);
        });
    }
}
