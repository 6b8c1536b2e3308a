//! [`Condition`]: Python's `threading.Condition`.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use crate::error::SyncError;
use crate::loom::{Arc, AtomicBool, Mutex, Ordering, thread};
use crate::rlock::{RLock, RLockGuard};
use crate::spin::deadline_after;

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
//
// Waiting (Python's design, with thread parking instead of a lock per
// waiter): a waiter queues a `Waiter` while it still holds the RLock, then
// releases the RLock and parks until its `notified` flag is set. `notify(n)`
// (run under the RLock) pops the n oldest waiters, sets their flags and
// unparks them. A waiter that times out takes itself out of the queue, unless
// a notifier already took it (then it counts as notified), so `notify(1)`
// always reaches a thread that is still waiting.
pub struct Condition {
    lock: RLock,
    waiters: Mutex<VecDeque<Arc<Waiter>>>,
}

#[derive(Debug)]
struct Waiter {
    notified: AtomicBool,
    thread: thread::Thread,
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
            waiters: Mutex::new(VecDeque::new()),
        }
    }

    /// The underlying re-entrant lock.
    pub fn lock(&self) -> &RLock {
        &self.lock
    }

    /// Acquires the lock (see [`RLock::acquire`]).
    pub fn acquire(&self) {
        self.lock.acquire();
    }

    /// Acquires the lock if possible without blocking.
    #[must_use = "if it returns true the lock is held and must be released"]
    pub fn try_acquire(&self) -> bool {
        self.lock.try_acquire()
    }

    /// Waits at most `timeout` for the lock; `true` if acquired.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.lock.acquire_timeout(timeout)
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
    pub fn guard(&self) -> ConditionGuard<'_> {
        self.lock.guard()
    }

    /// Releases the lock, waits until notified, and takes the lock back at
    /// the same depth. Without the lock: [`SyncError::NotOwner`].
    ///
    /// As with every condition variable, check the state you wait for in a
    /// loop, or use [`wait_for`](Self::wait_for).
    pub fn wait(&self) -> Result<(), SyncError> {
        self.wait_until(None).map(|_| ())
    }

    /// [`wait`](Self::wait) for at most `timeout`; `Ok(false)` if it timed
    /// out without being notified.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, SyncError> {
        self.wait_until(deadline_after(timeout))
    }

    /// Waits until `predicate()` is true, or until `timeout` (if any) has
    /// passed, and returns the predicate's last value (Python's
    /// `wait_for`). The predicate is called with the lock held, first
    /// before any waiting. Without the lock: [`SyncError::NotOwner`].
    pub fn wait_for(
        &self,
        mut predicate: impl FnMut() -> bool,
        timeout: Option<Duration>,
    ) -> Result<bool, SyncError> {
        if !self.is_owned() {
            return Err(SyncError::NotOwner);
        }
        let deadline = timeout.and_then(deadline_after);
        loop {
            if predicate() {
                return Ok(true);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            self.wait_until(deadline)?;
        }
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<bool, SyncError> {
        if !self.is_owned() {
            return Err(SyncError::NotOwner);
        }
        let me = Arc::new(Waiter {
            notified: AtomicBool::new(false),
            thread: thread::current(),
        });
        self.waiters.lock().push_back(Arc::clone(&me));
        let saved = self.lock.release_all()?;
        let notified = loop {
            if me.notified.load(Ordering::Acquire) {
                break true;
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    if thread::park_until(deadline) {
                        // Out of the queue, unless a notifier took us first.
                        let mut waiters = self.waiters.lock();
                        if me.notified.load(Ordering::Acquire) {
                            break true;
                        }
                        waiters.retain(|w| !Arc::ptr_eq(w, &me));
                        break false;
                    }
                }
            }
        };
        self.lock.acquire_restore(saved);
        Ok(notified)
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

    /// Takes up to `n` waiters out of the queue and wakes them; returns how
    /// many it took. The caller holds the lock.
    fn notify_waiters(&self, n: usize) -> usize {
        let woken: Vec<Arc<Waiter>> = {
            let mut waiters = self.waiters.lock();
            let n = n.min(waiters.len());
            // Flag them while the queue is still locked: a waiter whose
            // deadline passes checks its flag under this lock, so once it is
            // out of the queue it must already read as notified (flagged
            // after the unlock, it could report a timeout and the
            // notification would reach nobody).
            waiters
                .drain(..n)
                .inspect(|waiter| waiter.notified.store(true, Ordering::Release))
                .collect()
        };
        for waiter in &woken {
            waiter.thread.unpark();
        }
        woken.len()
    }

    /// Wakes every thread waiting on this condition. Without the lock:
    /// [`SyncError::NotOwner`].
    pub fn notify_all(&self) -> Result<(), SyncError> {
        self.notify(usize::MAX)
    }

    /// How many threads are waiting now (for tests and diagnostics).
    pub fn waiting(&self) -> usize {
        self.waiters.lock().len()
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
