//! CPython's lock tests, ported to pythreading-sync.
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0), `Lib/test/lock_tests.py`, as
//! instantiated by `Lib/test/test_threading.py` (`LockTests`,
//! `PyRLockTests`/`CRLockTests`, `EventTests`, `ConditionAsRLockTests`,
//! `ConditionTests`, `SemaphoreTests`, `BoundedSemaphoreTests`). CPython is
//! distributed under the Python Software Foundation License Version 2
//! (PSF-2.0); Copyright (c) 2001-2024 Python Software Foundation; All Rights
//! Reserved. This file is a Rust re-expression of those tests' intent
//! against pythreading-sync; no Python code is included. Behaviours in doubt
//! were checked against Python 3.11.
//!
//! Rust test names are `<test_threading class in snake_case>::<python
//! method>`. `BaseLockTests` runs for `Lock`, `RLock` and `Condition` (as
//! CPython does), `BaseSemaphoreTests` for both semaphores; the shared
//! bodies are the generic functions of `base_lock`, `recursive_lock` and
//! `base_semaphore`. Counting each class's inherited tests (`PyRLockTests`
//! and `CRLockTests` once): 85 tests ported, 13 left out, 5 added.
//!
//! ## Ported (Python → Rust)
//!
//! `BaseLockTests`, in `lock_tests`, `rlock_tests` and
//! `condition_as_rlock_tests`:
//! - `test_constructor`, `test_acquire_destroy`, `test_acquire_release`,
//!   `test_try_acquire`, `test_try_acquire_contended`,
//!   `test_acquire_contended`, `test_with`, `test_timeout` → same names
//! - `test_repr`, `test_locked_repr` → same names (`Debug`)
//! - `test_thread_leak` → same name (see tweaks)
//!
//! `LockTests` → `lock_tests::{test_reacquire, test_different_thread,
//! test_state_after_timeout}`
//!
//! `RLockTests` → `rlock_tests::` and `condition_as_rlock_tests::
//! {test_reacquire, test_release_unacquired, test_different_thread,
//! test_recursion_count}`, `test__is_owned` → `test_is_owned` (Rust's snake
//! case); `test_release_save_unacquired` →
//! `condition_as_rlock_tests::test_release_save_unacquired`
//!
//! `EventTests` → `event_tests::{test_is_set, test_notify, test_timeout,
//! test_set_and_clear, test_repr}`
//!
//! `ConditionTests` → `condition_tests::{test_acquire, test_unacquired_wait,
//! test_unacquired_notify, test_notify, test_timeout, test_waitfor,
//! test_waitfor_timeout}`
//!
//! `BaseSemaphoreTests`, in `semaphore_tests` and `bounded_semaphore_tests`:
//! `test_constructor`, `test_acquire`, `test_acquire_destroy`,
//! `test_acquire_contended`, `test_multirelease`, `test_try_acquire`,
//! `test_try_acquire_contended`, `test_acquire_timeout`, `test_default_value`,
//! `test_with` → same names; `SemaphoreTests` and `BoundedSemaphoreTests`:
//! `test_release_unacquired`, `test_repr` → same names.
//!
//! `test_threading.py`, the lock checks outside `lock_tests.py`:
//! - `ThreadTests.test_BoundedSemaphore_limit` →
//!   `thread_tests::test_bounded_semaphore_limit` (pythreading `Thread`s)
//! - `ThreadingExceptionTests.test_releasing_unacquired_lock` →
//!   `threading_exception_tests::test_releasing_unacquired_lock`
//!
//! Not in CPython, added here:
//! - `event_tests::test_notify_untimed_wait`: `test_notify` with the untimed
//!   `wait()` (the ported `test_notify` bounds its waits, see tweaks);
//! - `condition_tests::test_waitfor_many_waiters`: several `wait_for`s with
//!   different predicates, one `notify_all` per change;
//! - `condition_tests::test_notify_not_lost_to_timeout`: a `notify(1)`
//!   racing a waiter's timeout still reaches somebody;
//! - `semaphore_tests::test_release_n_zero`,
//!   `bounded_semaphore_tests::test_release_n_all_or_nothing`: `release(n)`
//!   edge cases (Python 3.11 checked for the second).
//!
//! ## Left out, and why
//!
//! - `BaseLockTests.test_weakref_exists`, `test_weakref_deleted`: there is
//!   no garbage collector; ownership and `Drop` do that job.
//! - `LockTests.test_at_fork_reinit`, `EventTests.test_at_fork_reinit`:
//!   `fork()`, which safe Rust does not offer.
//! - `RLockTests.test_release_save_unacquired` for `RLock`: `_release_save`
//!   is internal here (`RLock::release_all`, `pub(crate)`, covered by the
//!   unit tests of `rlock.rs`); its public face is `Condition::wait`, ported
//!   in `condition_as_rlock_tests`.
//! - `CRLockTests.test_signature`, `ThreadTests.test_lock_no_args`,
//!   `test_lock_no_subclass`, `test_lock_or_none`: Python call signatures,
//!   warnings, subclassing and `types.UnionType`.
//! - `ConditionTests.test_acquire`, the half with `Condition(Lock())`: a
//!   `Condition` always owns its `RLock` (`API.md`); that half is adapted
//!   to the condition's own lock, reached with `Condition::lock()`.
//! - `BarrierTests`: `Barrier` is being written elsewhere.
//!
//! ## Tweaks
//!
//! - Exceptions are `Result`s: `RuntimeError` on release or wait without
//!   the lock is `SyncError::NotOwner`; `ValueError` from a bounded
//!   semaphore released too often is `SyncError::TooManyReleases`. The
//!   Python misuse checks that cannot be written in Rust are gone: a
//!   negative semaphore value or timeout (`usize`, `Duration`),
//!   `acquire(False, timeout)` (a separate `try_acquire`), a timeout over
//!   `TIMEOUT_MAX` (`acquire_timeout(Duration::MAX)` waits as long as needed;
//!   `test_timeout` checks it takes a free lock).
//! - `with lock:` is a guard (`guard()`); an exception raised in the block is
//!   a panic (`resume_unwind`, so no panic message) caught around it, and
//!   the test checks the guard released while unwinding.
//! - `repr()` is `Debug`: `<unlocked Lock>`, `<locked RLock count=1>`,
//!   `<Event set>`, `<Semaphore value=3>`, `<BoundedSemaphore value=2/3>`
//!   instead of Python's module and address. An `RLock`'s `count` is the
//!   owner's depth, as in Python.
//! - `lock.acquire()` returns `()` here, so `test_acquire_contended`'s
//!   `sem_results` (all `True`) becomes a count of completed acquires.
//! - `Bunch` is a small helper below: `n` foreign threads (`std::thread`,
//!   as CPython's `start_new_thread`), started before `Bunch::new`
//!   returns, joined by `Bunch::finish`, a panic in a thread failing the
//!   test (CPython's `ExceptionGroup`).
//! - No test can hang: the test thread waits for its threads only with
//!   bounds (`wait_until` polling for at most `LONG` = 30 s, in place of
//!   `support.sleeping_retry(SHORT_TIMEOUT)`; joins of threads whose own
//!   waits are bounded), then fails. The threads mostly use the `_timeout`
//!   forms with `LONG` and assert they succeeded; where they use the
//!   untimed forms, as CPython's do (`acquire()`, `Event::wait()`), a bug
//!   leaves them blocked and the failing test detaches them.
//! - `wait_threads_blocked(n)` (sleep 10 ms × n) is kept where CPython
//!   checks that nothing happened yet; where the state is observable it is
//!   waited for instead (`Condition::waiting()` counts the waiters).
//! - Timeouts: CPython's `assertTimeout` accepts 0.6 × the timeout and
//!   rejects 10 ×. Here the measured wait must be at least the whole timeout
//!   (deadlines are `Instant`s, so a timed wait never returns early), and
//!   there is no upper bound, nor `test_timeout`'s "a free lock is taken in
//!   under 5 s": this machine is shared and noisy, and speed is not the
//!   point of these tests.
//! - `test_thread_leak`: CPython checks no `_DummyThread` is left behind by
//!   a lock used from foreign threads; here, that using any of the locks
//!   from a foreign thread registers no thread with pythreading
//!   (`enumerate()` lists none of them while they are alive).
//! - `ConditionAsRLockTests.test_recursion_count` is skipped by CPython
//!   (no `_recursion_count` on `Condition`); it is ported through
//!   `Condition::lock().recursion_count()`.
//! - `Semaphore.release(0)` is a `ValueError` in Python; here `release_n(0)`
//!   changes nothing (as `Semaphore::release_n` documents), which
//!   `test_release_n_zero` pins down.
//! - `BaseSemaphoreTests.test_constructor` (new in 3.13: a negative value
//!   is a `ValueError`) checks instead that 0 is a valid initial value.

use std::any::Any;
use std::collections::HashSet;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pythreading_sync::{BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, SyncError};

mod common;
use common::wait_until;

/// How long a bounded wait waits before the test calls it a hang.
const LONG: Duration = Duration::from_secs(30);

/// CPython's `wait_threads_blocked`: an arbitrary sleep, giving `n` threads
/// the chance to block (or to misbehave) before the test checks that
/// nothing happened yet.
fn wait_threads_blocked(n: u32) {
    std::thread::sleep(Duration::from_millis(10) * n);
}

/// A panic payload standing for a Python exception raised in a `with`
/// block; raised with `resume_unwind`, which prints nothing.
struct Raised;

fn raise() -> ! {
    resume_unwind(Box::new(Raised))
}

fn assert_raised(result: Result<(), Box<dyn Any + Send>>) {
    let payload = result.expect_err("the block should have raised");
    assert!(
        payload.is::<Raised>(),
        "the block panicked for another reason"
    );
}

/// Measures how long `f` takes.
fn timed<R>(f: impl FnOnce() -> R) -> (R, Duration) {
    let start = Instant::now();
    let result = f();
    (result, start.elapsed())
}

fn assert_waited(actual: Duration, timeout: Duration) {
    assert!(
        actual >= timeout,
        "returned after {actual:?}, before its {timeout:?} timeout"
    );
}

/// A gate threads wait at (with a bound) until it is opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    /// Waits until open; gives up after `LONG` (the test has failed and
    /// forgot to open it: the thread must not hang the process).
    fn wait(&self) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .opened
            .wait_timeout_while(open, LONG, |open| !*open)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// CPython's `Bunch`: `n` foreign threads running the same function.
///
/// `new` returns once all have started. A thread counts as finished when
/// `f` returned or panicked; with `wait_before_exit` it then stays alive
/// until `do_finish` (or the end of the bunch). `finish` waits (bounded)
/// for all to finish and fails the test if any panicked.
struct Bunch {
    handles: Vec<JoinHandle<()>>,
    started: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    can_exit: Arc<Gate>,
    panics: Arc<Mutex<Vec<String>>>,
}

impl Bunch {
    fn new(n: usize, f: impl Fn() + Send + Sync + 'static) -> Self {
        Self::with_options(n, false, f)
    }

    fn with_options(
        n: usize,
        wait_before_exit: bool,
        f: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let f = Arc::new(f);
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let can_exit = Arc::new(Gate::default());
        if !wait_before_exit {
            can_exit.open();
        }
        let panics = Arc::new(Mutex::new(Vec::new()));
        let handles = (0..n)
            .map(|i| {
                let (f, started, finished) =
                    (Arc::clone(&f), Arc::clone(&started), Arc::clone(&finished));
                let (can_exit, panics) = (Arc::clone(&can_exit), Arc::clone(&panics));
                std::thread::Builder::new()
                    .name(format!("bunch-{i}"))
                    .spawn(move || {
                        started.fetch_add(1, Ordering::SeqCst);
                        let result = catch_unwind(AssertUnwindSafe(|| f()));
                        if let Err(payload) = result {
                            panics.lock().unwrap().push(panic_message(&*payload));
                        }
                        finished.fetch_add(1, Ordering::SeqCst);
                        can_exit.wait();
                    })
                    .expect("spawn a bunch thread")
            })
            .collect();
        let bunch = Self {
            handles,
            started,
            finished,
            can_exit,
            panics,
        };
        wait_until("all bunch threads started", || bunch.started() >= n);
        bunch
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    fn do_finish(&self) {
        self.can_exit.open();
    }

    /// CPython's `Bunch.__exit__`: waits for every thread, then fails if
    /// any of them panicked.
    fn finish(mut self) {
        let n = self.handles.len();
        wait_until("all bunch threads finished", || self.finished() >= n);
        self.do_finish();
        for handle in self.handles.drain(..) {
            // The target's panics were caught: the thread itself cannot fail.
            handle.join().expect("bunch thread");
        }
        let panics = self.panics.lock().unwrap();
        assert!(panics.is_empty(), "bunch threads panicked: {panics:?}");
    }
}

impl Drop for Bunch {
    /// A failing test drops its bunch early: let the threads go (they are
    /// detached) instead of leaving them at the gate.
    fn drop(&mut self) {
        self.can_exit.open();
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Shared results, as CPython's lists appended to by the threads.
type Results<T> = Arc<Mutex<Vec<T>>>;

fn results<T>() -> Results<T> {
    Arc::new(Mutex::new(Vec::new()))
}

/// Appends `value`, computed before the lock is taken (never block in a
/// `results.lock().unwrap().push(blocking_call())`: the guard is taken
/// before the argument is evaluated).
fn push<T>(results: &Results<T>, value: T) {
    results.lock().unwrap().push(value);
}

fn len<T>(results: &Results<T>) -> usize {
    results.lock().unwrap().len()
}

fn snapshot<T: Clone>(results: &Results<T>) -> Vec<T> {
    results.lock().unwrap().clone()
}

/// What `BaseLockTests` needs of a lock: `Lock`, `RLock` and `Condition`.
trait LockLike: Debug + Send + Sync + 'static {
    /// The type's name in its `Debug` text.
    const NAME: &'static str;

    fn create() -> Self;
    fn acquire(&self);
    fn try_acquire(&self) -> bool;
    fn acquire_timeout(&self, timeout: Duration) -> bool;
    fn release(&self) -> Result<(), SyncError>;
    /// `with lock: body()`.
    fn with<R>(&self, body: impl FnOnce() -> R) -> R;
}

/// `LockLike` for a type whose inherent methods have the trait's names.
macro_rules! lock_like {
    ($ty:ident, $name:literal) => {
        impl LockLike for $ty {
            const NAME: &'static str = $name;

            fn create() -> Self {
                $ty::new()
            }
            fn acquire(&self) {
                $ty::acquire(self);
            }
            fn try_acquire(&self) -> bool {
                $ty::try_acquire(self)
            }
            fn acquire_timeout(&self, timeout: Duration) -> bool {
                $ty::acquire_timeout(self, timeout)
            }
            fn release(&self) -> Result<(), SyncError> {
                $ty::release(self)
            }
            fn with<R>(&self, body: impl FnOnce() -> R) -> R {
                let _held = self.guard();
                body()
            }
        }
    };
}

lock_like!(Lock, "Lock");
lock_like!(RLock, "RLock");
// The Debug text of a Condition shows its RLock's.
lock_like!(Condition, "RLock");

/// What the recursive-lock tests need beyond `LockLike`: `RLock` and
/// `Condition`.
trait RecursiveLock: LockLike {
    fn is_owned(&self) -> bool;
    fn recursion_count(&self) -> usize;
}

impl RecursiveLock for RLock {
    fn is_owned(&self) -> bool {
        RLock::is_owned(self)
    }
    fn recursion_count(&self) -> usize {
        RLock::recursion_count(self)
    }
}

impl RecursiveLock for Condition {
    fn is_owned(&self) -> bool {
        Condition::is_owned(self)
    }
    fn recursion_count(&self) -> usize {
        self.lock().recursion_count()
    }
}

/// `BaseLockTests`, for any `LockLike`.
mod base_lock {
    use super::*;

    pub(crate) fn test_constructor<L: LockLike>() {
        let lock = L::create();
        drop(lock);
    }

    pub(crate) fn test_repr<L: LockLike>() {
        let lock = L::create();
        let repr = format!("{lock:?}");
        assert!(repr.contains(&format!("<unlocked {}", L::NAME)), "{repr}");
    }

    pub(crate) fn test_locked_repr<L: LockLike>() {
        let lock = L::create();
        lock.acquire();
        let repr = format!("{lock:?}");
        assert!(repr.contains(&format!("<locked {}", L::NAME)), "{repr}");
    }

    pub(crate) fn test_acquire_destroy<L: LockLike>() {
        let lock = L::create();
        lock.acquire();
        drop(lock);
    }

    pub(crate) fn test_acquire_release<L: LockLike>() {
        let lock = L::create();
        lock.acquire();
        lock.release().unwrap();
        drop(lock);
    }

    pub(crate) fn test_try_acquire<L: LockLike>() {
        let lock = L::create();
        assert!(lock.try_acquire());
        lock.release().unwrap();
    }

    pub(crate) fn test_try_acquire_contended<L: LockLike>() {
        let lock = Arc::new(L::create());
        lock.acquire();
        let result = results();
        let bunch = {
            let (lock, result) = (Arc::clone(&lock), Arc::clone(&result));
            Bunch::new(1, move || push(&result, lock.try_acquire()))
        };
        bunch.finish();
        assert_eq!(snapshot(&result), [false]);
        lock.release().unwrap();
    }

    pub(crate) fn test_acquire_contended<L: LockLike>() {
        let lock = Arc::new(L::create());
        lock.acquire();
        const N: usize = 5;
        let bunch = {
            let lock = Arc::clone(&lock);
            Bunch::new(N, move || {
                lock.acquire();
                lock.release().unwrap();
            })
        };
        // Threads block on lock.acquire().
        wait_threads_blocked(N as u32);
        assert_eq!(bunch.finished(), 0);
        // Threads unblocked.
        lock.release().unwrap();
        bunch.finish();
    }

    pub(crate) fn test_with<L: LockLike>() {
        let lock = Arc::new(L::create());
        let acquire_release_in_thread = || {
            let lock = Arc::clone(&lock);
            Bunch::new(1, move || {
                assert!(lock.acquire_timeout(LONG), "the lock was left held");
                lock.release().unwrap();
            })
            .finish();
        };

        // Acquire the lock, do nothing, the guard releases it.
        lock.with(|| ());
        // Check that the lock is unacquired.
        acquire_release_in_thread();

        // Acquire the lock, raise, the guard releases it while unwinding.
        assert_raised(catch_unwind(AssertUnwindSafe(|| lock.with(|| raise()))));
        // Check that the lock is unacquired even after the raise.
        acquire_release_in_thread();
    }

    pub(crate) fn test_thread_leak<L: LockLike>() {
        let lock = Arc::new(L::create());
        let idents = results();
        const N: usize = 15;
        let bunch = {
            let (lock, idents) = (Arc::clone(&lock), Arc::clone(&idents));
            Bunch::with_options(N, true, move || {
                lock.acquire();
                lock.release().unwrap();
                if lock.try_acquire() {
                    lock.release().unwrap();
                }
                assert!(lock.acquire_timeout(LONG));
                lock.release().unwrap();
                lock.with(|| ());
                // get_ident() registers nothing.
                push(&idents, pythreading_core::get_ident());
            })
        };
        wait_until("all threads used the lock", || bunch.finished() >= N);
        // The threads are alive (waiting to exit): none of them is known to
        // pythreading's registry.
        let mine: HashSet<u64> = snapshot(&idents).into_iter().collect();
        assert_eq!(mine.len(), N);
        let registered: Vec<String> = pythreading_core::enumerate()
            .into_iter()
            .filter(|t| t.ident().is_some_and(|id| mine.contains(&id)))
            .map(|t| t.name())
            .collect();
        assert!(registered.is_empty(), "registered: {registered:?}");
        bunch.finish();
    }

    pub(crate) fn test_timeout<L: LockLike>() {
        let lock = Arc::new(L::create());
        // TIMEOUT_MAX is ok (here: any Duration).
        assert!(lock.acquire_timeout(Duration::MAX));
        lock.release().unwrap();
        assert!(lock.acquire_timeout(Duration::from_secs(5)));
        let result = results();
        const TIMEOUT: Duration = Duration::from_millis(500);
        let bunch = {
            let (lock, result) = (Arc::clone(&lock), Arc::clone(&result));
            Bunch::new(1, move || {
                let measured = timed(|| lock.acquire_timeout(TIMEOUT));
                push(&result, measured);
            })
        };
        bunch.finish();
        let [(acquired, waited)] = snapshot(&result)[..] else {
            panic!("one result expected");
        };
        assert!(!acquired);
        assert_waited(waited, TIMEOUT);
        lock.release().unwrap();
    }
}

/// The `BaseLockTests` in a module, for one lock type.
macro_rules! base_lock_tests {
    ($lock:ty) => {
        #[test]
        fn test_constructor() {
            base_lock::test_constructor::<$lock>();
        }
        #[test]
        fn test_repr() {
            base_lock::test_repr::<$lock>();
        }
        #[test]
        fn test_locked_repr() {
            base_lock::test_locked_repr::<$lock>();
        }
        #[test]
        fn test_acquire_destroy() {
            base_lock::test_acquire_destroy::<$lock>();
        }
        #[test]
        fn test_acquire_release() {
            base_lock::test_acquire_release::<$lock>();
        }
        #[test]
        fn test_try_acquire() {
            base_lock::test_try_acquire::<$lock>();
        }
        #[test]
        fn test_try_acquire_contended() {
            base_lock::test_try_acquire_contended::<$lock>();
        }
        #[test]
        fn test_acquire_contended() {
            base_lock::test_acquire_contended::<$lock>();
        }
        #[test]
        fn test_with() {
            base_lock::test_with::<$lock>();
        }
        #[test]
        fn test_thread_leak() {
            base_lock::test_thread_leak::<$lock>();
        }
        #[test]
        fn test_timeout() {
            base_lock::test_timeout::<$lock>();
        }
    };
}

/// `RLockTests`, for `RLock` and `Condition`.
mod recursive_lock {
    use super::*;

    pub(crate) fn test_reacquire<L: RecursiveLock>() {
        let lock = L::create();
        lock.acquire();
        lock.acquire();
        lock.release().unwrap();
        lock.acquire();
        lock.release().unwrap();
        lock.release().unwrap();
        assert!(lock.try_acquire());
        lock.release().unwrap();
    }

    pub(crate) fn test_release_unacquired<L: RecursiveLock>() {
        // Cannot release an unacquired lock.
        let lock = L::create();
        assert_eq!(lock.release(), Err(SyncError::NotOwner));
        lock.acquire();
        lock.acquire();
        lock.release().unwrap();
        lock.acquire();
        lock.release().unwrap();
        lock.release().unwrap();
        assert_eq!(lock.release(), Err(SyncError::NotOwner));
    }

    pub(crate) fn test_recursion_count<L: RecursiveLock>() {
        let lock = Arc::new(L::create());
        assert_eq!(lock.recursion_count(), 0);
        lock.acquire();
        assert_eq!(lock.recursion_count(), 1);
        lock.acquire();
        lock.acquire();
        assert_eq!(lock.recursion_count(), 3);
        lock.release().unwrap();
        assert_eq!(lock.recursion_count(), 2);
        lock.release().unwrap();
        lock.release().unwrap();
        assert_eq!(lock.recursion_count(), 0);

        let phase = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (lock, phase) = (Arc::clone(&lock), Arc::clone(&phase));
            std::thread::spawn(move || {
                lock.acquire();
                phase.fetch_add(1, Ordering::SeqCst);
                wait_until("phase 2", || phase.load(Ordering::SeqCst) >= 2);
                lock.release().unwrap();
                phase.fetch_add(1, Ordering::SeqCst);
            })
        };
        // The thread holds the lock: this thread's count is still 0.
        wait_until("phase 1", || phase.load(Ordering::SeqCst) >= 1);
        assert_eq!(lock.recursion_count(), 0);
        // Thread unblocked.
        phase.fetch_add(1, Ordering::SeqCst);
        wait_until("phase 3", || phase.load(Ordering::SeqCst) >= 3);
        assert_eq!(lock.recursion_count(), 0);
        thread.join().unwrap();
    }

    pub(crate) fn test_different_thread<L: RecursiveLock>() {
        // Cannot release from a different thread.
        let lock = Arc::new(L::create());
        let bunch = {
            let lock = Arc::clone(&lock);
            Bunch::with_options(1, true, move || lock.acquire())
        };
        wait_until("the thread acquired the lock", || bunch.finished() >= 1);
        assert_eq!(lock.release(), Err(SyncError::NotOwner));
        // Still held by the other thread.
        assert!(!lock.try_acquire());
        bunch.do_finish();
        bunch.finish();
    }

    pub(crate) fn test_is_owned<L: RecursiveLock>() {
        let lock = Arc::new(L::create());
        assert!(!lock.is_owned());
        lock.acquire();
        assert!(lock.is_owned());
        lock.acquire();
        assert!(lock.is_owned());
        let result = results();
        let bunch = {
            let (lock, result) = (Arc::clone(&lock), Arc::clone(&result));
            Bunch::new(1, move || push(&result, lock.is_owned()))
        };
        bunch.finish();
        assert_eq!(snapshot(&result), [false]);
        lock.release().unwrap();
        assert!(lock.is_owned());
        lock.release().unwrap();
        assert!(!lock.is_owned());
    }
}

/// The `RLockTests` in a module, for one recursive lock type.
macro_rules! rlock_tests {
    ($lock:ty) => {
        base_lock_tests!($lock);

        #[test]
        fn test_reacquire() {
            recursive_lock::test_reacquire::<$lock>();
        }
        #[test]
        fn test_release_unacquired() {
            recursive_lock::test_release_unacquired::<$lock>();
        }
        #[test]
        fn test_recursion_count() {
            recursive_lock::test_recursion_count::<$lock>();
        }
        #[test]
        fn test_different_thread() {
            recursive_lock::test_different_thread::<$lock>();
        }
        #[test]
        fn test_is_owned() {
            recursive_lock::test_is_owned::<$lock>();
        }
    };
}

mod lock_tests {
    use super::*;

    base_lock_tests!(Lock);

    #[test]
    fn test_reacquire() {
        // A Lock must be released before it is acquired again.
        let lock = Arc::new(Lock::new());
        let phase = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (lock, phase) = (Arc::clone(&lock), Arc::clone(&phase));
            std::thread::spawn(move || {
                lock.acquire();
                phase.fetch_add(1, Ordering::SeqCst);
                // Blocks until the test releases it (bounded: a bug must
                // fail the test, not hang it).
                let again = lock.acquire_timeout(LONG);
                phase.fetch_add(1, Ordering::SeqCst);
                again
            })
        };
        // Thread blocked on the second acquire.
        wait_until("phase 1", || phase.load(Ordering::SeqCst) >= 1);
        wait_threads_blocked(1);
        assert_eq!(phase.load(Ordering::SeqCst), 1);
        // Thread unblocked.
        lock.release().unwrap();
        wait_until("phase 2", || phase.load(Ordering::SeqCst) >= 2);
        assert!(thread.join().unwrap(), "the second acquire timed out");
        assert!(lock.locked());
    }

    #[test]
    fn test_different_thread() {
        // A Lock can be released from a different thread.
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let bunch = {
            let lock = Arc::clone(&lock);
            Bunch::new(1, move || lock.release().unwrap())
        };
        bunch.finish();
        assert!(lock.try_acquire());
        lock.release().unwrap();
    }

    #[test]
    fn test_state_after_timeout() {
        // bpo-11618: the lock is in a proper state after a (non-zero)
        // timeout.
        let lock = Lock::new();
        lock.acquire();
        assert!(!lock.acquire_timeout(Duration::from_millis(10)));
        lock.release().unwrap();
        assert!(!lock.locked());
        assert!(lock.try_acquire());
    }
}

mod rlock_tests {
    use super::*;

    rlock_tests!(RLock);
}

mod condition_as_rlock_tests {
    use super::*;

    rlock_tests!(Condition);

    #[test]
    fn test_release_save_unacquired() {
        // Cannot _release_save an unacquired lock: wait() is what calls it.
        let cond = Condition::new();
        assert_eq!(cond.wait_timeout(Duration::ZERO), Err(SyncError::NotOwner));
        cond.acquire();
        cond.acquire();
        cond.release().unwrap();
        cond.acquire();
        cond.release().unwrap();
        cond.release().unwrap();
        assert_eq!(cond.wait_timeout(Duration::ZERO), Err(SyncError::NotOwner));
        assert_eq!(cond.wait(), Err(SyncError::NotOwner));
        assert!(!cond.lock().locked());
    }
}

mod event_tests {
    use super::*;

    #[test]
    fn test_is_set() {
        let evt = Event::new();
        assert!(!evt.is_set());
        evt.set();
        assert!(evt.is_set());
        evt.set();
        assert!(evt.is_set());
        evt.clear();
        assert!(!evt.is_set());
        evt.clear();
        assert!(!evt.is_set());
    }

    fn check_notify(evt: &Arc<Event>) {
        // All threads get notified.
        const N: usize = 5;
        let (results1, results2) = (results(), results());
        let bunch = {
            let (evt, results1, results2) = (
                Arc::clone(evt),
                Arc::clone(&results1),
                Arc::clone(&results2),
            );
            Bunch::new(N, move || {
                push(&results1, evt.wait_timeout(LONG));
                push(&results2, evt.wait_timeout(LONG));
            })
        };
        // Threads blocked on the first wait.
        wait_threads_blocked(N as u32);
        assert_eq!(len(&results1), 0);
        // Threads unblocked.
        evt.set();
        bunch.finish();
        assert_eq!(snapshot(&results1), [true; N]);
        assert_eq!(snapshot(&results2), [true; N]);
    }

    #[test]
    fn test_notify() {
        let evt = Arc::new(Event::new());
        check_notify(&evt);
        // Another time, after an explicit clear().
        evt.set();
        evt.clear();
        check_notify(&evt);
    }

    /// `check_notify` bounds its waits; the untimed `wait()` is checked
    /// here, with a watchdog instead of a bound.
    #[test]
    fn test_notify_untimed_wait() {
        let evt = Arc::new(Event::new());
        const N: usize = 5;
        let bunch = {
            let evt = Arc::clone(&evt);
            Bunch::new(N, move || {
                evt.wait();
                evt.wait();
            })
        };
        wait_threads_blocked(N as u32);
        assert_eq!(bunch.finished(), 0);
        evt.set();
        bunch.finish();
    }

    #[test]
    fn test_timeout() {
        let evt = Arc::new(Event::new());
        const N: usize = 5;
        const TIMEOUT: Duration = Duration::from_millis(500);
        let run = |evt: &Arc<Event>| {
            let (results1, results2) = (results(), results());
            let bunch = {
                let (evt, results1, results2) = (
                    Arc::clone(evt),
                    Arc::clone(&results1),
                    Arc::clone(&results2),
                );
                Bunch::new(N, move || {
                    push(&results1, evt.wait_timeout(Duration::ZERO));
                    let measured = timed(|| evt.wait_timeout(TIMEOUT));
                    push(&results2, measured);
                })
            };
            bunch.finish();
            (snapshot(&results1), snapshot(&results2))
        };

        let (results1, results2) = run(&evt);
        assert_eq!(results1, [false; N]);
        assert_eq!(results2.len(), N);
        for (set, waited) in results2 {
            assert!(!set);
            assert_waited(waited, TIMEOUT);
        }

        // The event is set.
        evt.set();
        let (results1, results2) = run(&evt);
        assert_eq!(results1, [true; N]);
        assert_eq!(results2.len(), N);
        for (set, _) in results2 {
            assert!(set);
        }
    }

    #[test]
    fn test_set_and_clear() {
        // gh-57711: wait() returns true even when the event is cleared
        // before the waiting thread is woken up.
        let event = Arc::new(Event::new());
        let result = results();
        const N: usize = 5;
        let bunch = {
            let (event, result) = (Arc::clone(&event), Arc::clone(&result));
            Bunch::new(N, move || push(&result, event.wait_timeout(LONG)))
        };
        // Threads blocked on event.wait().
        wait_threads_blocked(N as u32);
        // Threads unblocked.
        event.set();
        event.clear();
        bunch.finish();
        assert_eq!(snapshot(&result), [true; N]);
    }

    #[test]
    fn test_repr() {
        let evt = Event::new();
        assert_eq!(format!("{evt:?}"), "<Event unset>");
        evt.set();
        assert_eq!(format!("{evt:?}"), "<Event set>");
    }
}

mod condition_tests {
    use super::*;

    #[test]
    fn test_acquire() {
        let cond = Arc::new(Condition::new());
        // By default there is an RLock: the condition can be acquired
        // several times.
        cond.acquire();
        cond.acquire();
        cond.release().unwrap();
        cond.release().unwrap();

        // CPython then uses Condition(Lock()) and checks the lock is the
        // condition's; here, with the condition's own lock, seen from
        // another thread (an RLock is re-entrant for its owner).
        let try_in_other_thread = |cond: &Arc<Condition>| {
            let cond = Arc::clone(cond);
            std::thread::spawn(move || {
                let got = cond.lock().try_acquire();
                if got {
                    cond.lock().release().unwrap();
                }
                got
            })
            .join()
            .unwrap()
        };
        cond.acquire();
        assert!(!try_in_other_thread(&cond));
        assert!(cond.lock().locked());
        cond.release().unwrap();
        assert!(try_in_other_thread(&cond));
        assert!(!cond.lock().locked());
        cond.lock().acquire();
        assert!(cond.is_owned());
        cond.lock().release().unwrap();
        {
            let _held = cond.guard();
            assert!(!try_in_other_thread(&cond));
        }
        assert!(try_in_other_thread(&cond));
    }

    #[test]
    fn test_unacquired_wait() {
        let cond = Condition::new();
        assert_eq!(cond.wait(), Err(SyncError::NotOwner));
        assert_eq!(cond.wait_timeout(Duration::ZERO), Err(SyncError::NotOwner));
        assert_eq!(cond.wait_for(|| true, None), Err(SyncError::NotOwner));
        assert_eq!(
            SyncError::NotOwner.to_string(),
            "cannot release un-acquired lock"
        );
    }

    #[test]
    fn test_unacquired_notify() {
        let cond = Condition::new();
        assert_eq!(cond.notify(1), Err(SyncError::NotOwner));
        assert_eq!(cond.notify_all(), Err(SyncError::NotOwner));
    }

    fn check_notify(cond: &Arc<Condition>) {
        // As CPython, this assumes the condition has no spurious wake-ups
        // (pythreading's wait returns only when notified) and wakes waiters
        // oldest first.
        const N: usize = 5;
        let ready = results::<()>();
        let (results1, results2) = (results(), results());
        let phase = Arc::new(AtomicUsize::new(0));
        let bunch = {
            let (cond, ready, phase) = (Arc::clone(cond), Arc::clone(&ready), Arc::clone(&phase));
            let (results1, results2) = (Arc::clone(&results1), Arc::clone(&results2));
            Bunch::new(N, move || {
                cond.acquire();
                push(&ready, ());
                let result = cond.wait_timeout(LONG).unwrap();
                cond.release().unwrap();
                push(&results1, (result, phase.load(Ordering::SeqCst)));

                cond.acquire();
                push(&ready, ());
                let result = cond.wait_timeout(LONG).unwrap();
                cond.release().unwrap();
                push(&results2, (result, phase.load(Ordering::SeqCst)));
            })
        };
        let waiting = |n: usize| {
            wait_until(&format!("{n} threads waiting"), || cond.waiting() >= n);
        };

        // First wait, to ensure all workers settle into wait() before going
        // on (bpo-8799, bpo-30727).
        wait_until("all workers ready", || len(&ready) >= N);
        waiting(N);
        ready.lock().unwrap().clear();
        assert_eq!(len(&results1), 0);

        // Notify 3 threads at first.
        const COUNT1: usize = 3;
        cond.acquire();
        cond.notify(COUNT1).unwrap();
        wait_threads_blocked(COUNT1 as u32);

        // Phase 1.
        phase.store(1, Ordering::SeqCst);
        cond.release().unwrap();
        wait_until("phase 1 results", || len(&results1) >= COUNT1);
        assert_eq!(snapshot(&results1), [(true, 1); COUNT1]);
        assert_eq!(len(&results2), 0);

        // Wait until the awoken workers are blocked in wait() again.
        wait_until("awoken workers ready", || len(&ready) >= COUNT1);
        waiting(N);

        // Notify 5 threads: they might be in their first or second wait.
        cond.acquire();
        cond.notify(5).unwrap();
        wait_threads_blocked(N as u32);

        // Phase 2.
        phase.store(2, Ordering::SeqCst);
        cond.release().unwrap();
        wait_until("phase 2 results", || {
            len(&results1) + len(&results2) >= N + COUNT1
        });
        const COUNT2: usize = N - COUNT1;
        let mut expected1 = vec![(true, 1); COUNT1];
        expected1.extend([(true, 2); COUNT2]);
        assert_eq!(snapshot(&results1), expected1);
        assert_eq!(snapshot(&results2), [(true, 2); COUNT1]);

        // Make sure all workers settle into wait().
        wait_until("all workers ready again", || len(&ready) >= N);
        waiting(COUNT2);

        // Notify all threads: they are all in their second wait.
        cond.acquire();
        cond.notify_all().unwrap();
        wait_threads_blocked(N as u32);

        // Phase 3.
        phase.store(3, Ordering::SeqCst);
        cond.release().unwrap();
        wait_until("phase 3 results", || len(&results2) >= N);
        assert_eq!(snapshot(&results1), expected1);
        let mut expected2 = vec![(true, 2); COUNT1];
        expected2.extend([(true, 3); COUNT2]);
        assert_eq!(snapshot(&results2), expected2);
        bunch.finish();
    }

    #[test]
    fn test_notify() {
        let cond = Arc::new(Condition::new());
        check_notify(&cond);
        // A second time, to check the internal state is still ok.
        check_notify(&cond);
    }

    #[test]
    fn test_timeout() {
        let cond = Arc::new(Condition::new());
        const TIMEOUT: Duration = Duration::from_millis(500);
        const N: usize = 5;
        let result = results();
        let bunch = {
            let (cond, result) = (Arc::clone(&cond), Arc::clone(&result));
            Bunch::new(N, move || {
                cond.acquire();
                let measured = timed(|| cond.wait_timeout(TIMEOUT).unwrap());
                cond.release().unwrap();
                push(&result, measured);
            })
        };
        bunch.finish();
        let result = snapshot(&result);
        assert_eq!(result.len(), N);
        for (notified, waited) in result {
            assert_waited(waited, TIMEOUT);
            // No spurious wake-ups (CPython makes the same assumption).
            assert!(!notified);
        }
        assert_eq!(cond.waiting(), 0);
    }

    #[test]
    fn test_waitfor() {
        let cond = Arc::new(Condition::new());
        let state = Arc::new(AtomicUsize::new(0));
        let bunch = {
            let (cond, state) = (Arc::clone(&cond), Arc::clone(&state));
            Bunch::new(1, move || {
                let _held = cond.guard();
                let result = cond.wait_for(|| state.load(Ordering::SeqCst) == 4, Some(LONG));
                assert_eq!(result, Ok(true));
                assert_eq!(state.load(Ordering::SeqCst), 4);
            })
        };
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(10));
            let _held = cond.guard();
            state.fetch_add(1, Ordering::SeqCst);
            cond.notify(1).unwrap();
        }
        bunch.finish();
    }

    #[test]
    fn test_waitfor_timeout() {
        let cond = Arc::new(Condition::new());
        let state = Arc::new(AtomicUsize::new(0));
        let success = Arc::new(AtomicBool::new(false));
        const TIMEOUT: Duration = Duration::from_millis(100);
        let bunch = {
            let (cond, state, success) =
                (Arc::clone(&cond), Arc::clone(&state), Arc::clone(&success));
            Bunch::new(1, move || {
                let _held = cond.guard();
                let (result, waited) =
                    timed(|| cond.wait_for(|| state.load(Ordering::SeqCst) == 4, Some(TIMEOUT)));
                assert_eq!(result, Ok(false));
                assert_waited(waited, TIMEOUT);
                success.store(true, Ordering::SeqCst);
            })
        };
        // Only increment 3 times, so state == 4 is never reached.
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(10));
            let _held = cond.guard();
            state.fetch_add(1, Ordering::SeqCst);
            cond.notify(1).unwrap();
        }
        bunch.finish();
        assert!(success.load(Ordering::SeqCst));
    }

    /// Not in CPython: `wait_for` with many waiters, each waiting for its
    /// own value of a counter that grows by one per `notify_all`. Every
    /// waiter returns `true`, holding the lock, and sees its value reached.
    #[test]
    fn test_waitfor_many_waiters() {
        let cond = Arc::new(Condition::new());
        let state = Arc::new(AtomicUsize::new(0));
        const N: usize = 8;
        let next = Arc::new(AtomicUsize::new(0));
        let seen = results();
        let bunch = {
            let (cond, state, next, seen) = (
                Arc::clone(&cond),
                Arc::clone(&state),
                Arc::clone(&next),
                Arc::clone(&seen),
            );
            Bunch::new(N, move || {
                let target = next.fetch_add(1, Ordering::SeqCst) + 1;
                let _held = cond.guard();
                let result = cond.wait_for(|| state.load(Ordering::SeqCst) >= target, Some(LONG));
                assert_eq!(result, Ok(true));
                assert!(cond.is_owned());
                push(&seen, (target, state.load(Ordering::SeqCst)));
            })
        };
        for _ in 0..N {
            std::thread::sleep(Duration::from_millis(5));
            let _held = cond.guard();
            state.fetch_add(1, Ordering::SeqCst);
            cond.notify_all().unwrap();
        }
        bunch.finish();
        let mut seen = snapshot(&seen);
        seen.sort_unstable();
        assert_eq!(seen.len(), N);
        for (i, &(target, value)) in seen.iter().enumerate() {
            assert_eq!(target, i + 1);
            assert!(value >= target, "woke at {value}, waiting for {target}");
        }
        assert_eq!(cond.waiting(), 0);
    }

    /// Not in CPython: a `notify(1)` racing with a waiter whose timeout
    /// expires is never lost. A short-timeout waiter queues first, a
    /// long-timeout one second, and `notify(1)` comes at about the first
    /// one's deadline: either the first reports being notified, or the
    /// notification reaches the second. (A notification spent on a waiter
    /// that then reports a timeout would leave the second waiting for its
    /// whole timeout.) The race window is narrow, so this only exercises it;
    /// the loom model `loom_condition_notify_not_lost_to_timeout` in
    /// `condition.rs` checks every interleaving.
    #[test]
    fn test_notify_not_lost_to_timeout() {
        const ROUNDS: u64 = 100;
        for round in 0..ROUNDS {
            let cond = Arc::new(Condition::new());
            // Each waiter says it is queued while it still holds the lock,
            // so the queue holds it once this thread has taken the lock.
            let waiter = |timeout: Duration| {
                let cond = Arc::clone(&cond);
                let queued = Arc::new(AtomicBool::new(false));
                let handle = {
                    let queued = Arc::clone(&queued);
                    std::thread::spawn(move || {
                        let _held = cond.guard();
                        queued.store(true, Ordering::SeqCst);
                        cond.wait_timeout(timeout).unwrap()
                    })
                };
                wait_until("a waiter queued", || queued.load(Ordering::SeqCst));
                handle
            };
            let quick = waiter(Duration::from_micros(50 + (round % 10) * 50));
            let long = waiter(LONG);
            {
                let _held = cond.guard();
                cond.notify(1).unwrap();
            }
            if quick.join().unwrap() {
                // The quick waiter took the notification: wake the long one.
                let _held = cond.guard();
                cond.notify(1).unwrap();
            }
            assert!(
                long.join().unwrap(),
                "round {round}: a notification was lost"
            );
            assert_eq!(cond.waiting(), 0);
        }
    }
}

/// What `BaseSemaphoreTests` needs of a semaphore.
trait SemaphoreLike: Debug + Send + Sync + 'static {
    fn create(value: usize) -> Self;
    fn create_default() -> Self;
    fn acquire(&self);
    fn try_acquire(&self) -> bool;
    fn acquire_timeout(&self, timeout: Duration) -> bool;
    fn release(&self) -> Result<(), SyncError>;
    fn release_n(&self, n: usize) -> Result<(), SyncError>;
    fn value(&self) -> usize;
    /// `with sem: body()`.
    fn with<R>(&self, body: impl FnOnce() -> R) -> R;
}

impl SemaphoreLike for Semaphore {
    fn create(value: usize) -> Self {
        Semaphore::new(value)
    }
    fn create_default() -> Self {
        Semaphore::default()
    }
    fn acquire(&self) {
        Semaphore::acquire(self);
    }
    fn try_acquire(&self) -> bool {
        Semaphore::try_acquire(self)
    }
    fn acquire_timeout(&self, timeout: Duration) -> bool {
        Semaphore::acquire_timeout(self, timeout)
    }
    fn release(&self) -> Result<(), SyncError> {
        Semaphore::release(self);
        Ok(())
    }
    fn release_n(&self, n: usize) -> Result<(), SyncError> {
        Semaphore::release_n(self, n);
        Ok(())
    }
    fn value(&self) -> usize {
        Semaphore::value(self)
    }
    fn with<R>(&self, body: impl FnOnce() -> R) -> R {
        let _unit = self.guard();
        body()
    }
}

impl SemaphoreLike for BoundedSemaphore {
    fn create(value: usize) -> Self {
        BoundedSemaphore::new(value)
    }
    fn create_default() -> Self {
        BoundedSemaphore::default()
    }
    fn acquire(&self) {
        BoundedSemaphore::acquire(self);
    }
    fn try_acquire(&self) -> bool {
        BoundedSemaphore::try_acquire(self)
    }
    fn acquire_timeout(&self, timeout: Duration) -> bool {
        BoundedSemaphore::acquire_timeout(self, timeout)
    }
    fn release(&self) -> Result<(), SyncError> {
        BoundedSemaphore::release(self)
    }
    fn release_n(&self, n: usize) -> Result<(), SyncError> {
        BoundedSemaphore::release_n(self, n)
    }
    fn value(&self) -> usize {
        BoundedSemaphore::value(self)
    }
    fn with<R>(&self, body: impl FnOnce() -> R) -> R {
        let _unit = self.guard();
        body()
    }
}

/// `BaseSemaphoreTests`, for any `SemaphoreLike`.
mod base_semaphore {
    use super::*;

    pub(crate) fn test_constructor<S: SemaphoreLike>() {
        // Negative values are unrepresentable; 0 is a valid value.
        let sem = S::create(0);
        assert_eq!(sem.value(), 0);
        assert!(!sem.try_acquire());
        assert_eq!(S::create(5).value(), 5);
    }

    pub(crate) fn test_acquire<S: SemaphoreLike>() {
        let sem = S::create(1);
        sem.acquire();
        sem.release().unwrap();
        let sem = S::create(2);
        sem.acquire();
        sem.acquire();
        sem.release().unwrap();
        sem.release().unwrap();
        assert_eq!(sem.value(), 2);
    }

    pub(crate) fn test_acquire_destroy<S: SemaphoreLike>() {
        let sem = S::create_default();
        sem.acquire();
        drop(sem);
    }

    /// The shared part of `test_acquire_contended` and `test_multirelease`:
    /// 10 threads take two units each of a semaphore of 7, released in
    /// phases by `release(count)`.
    fn contended<S: SemaphoreLike>(release: impl Fn(&S, usize)) {
        const SEM_VALUE: usize = 7;
        const N: usize = 10;
        let sem = Arc::new(S::create(SEM_VALUE));
        sem.acquire();

        let acquired = Arc::new(AtomicUsize::new(0));
        let (results1, results2) = (results(), results());
        let phase = Arc::new(AtomicUsize::new(0));
        let bunch = {
            let (sem, acquired, phase) =
                (Arc::clone(&sem), Arc::clone(&acquired), Arc::clone(&phase));
            let (results1, results2) = (Arc::clone(&results1), Arc::clone(&results2));
            Bunch::new(N, move || {
                assert!(sem.acquire_timeout(LONG), "first acquire hung");
                acquired.fetch_add(1, Ordering::SeqCst);
                push(&results1, phase.load(Ordering::SeqCst));

                assert!(sem.acquire_timeout(LONG), "second acquire hung");
                acquired.fetch_add(1, Ordering::SeqCst);
                push(&results2, phase.load(Ordering::SeqCst));
            })
        };
        let all = || {
            let mut all = snapshot(&results1);
            all.extend(snapshot(&results2));
            all.sort_unstable();
            all
        };
        let wait_count = |count: usize| {
            wait_until(&format!("{count} acquires"), || {
                len(&results1) + len(&results2) >= count
            });
        };

        // Phase 0.
        let count1 = SEM_VALUE - 1;
        wait_count(count1);
        assert_eq!(all(), vec![0; count1]);

        // Phase 1.
        phase.store(1, Ordering::SeqCst);
        let count2 = SEM_VALUE;
        release(&sem, count2);
        wait_count(count1 + count2);
        let mut expected = vec![0; count1];
        expected.extend(vec![1; count2]);
        assert_eq!(all(), expected);

        // Phase 2.
        phase.store(2, Ordering::SeqCst);
        let count3 = SEM_VALUE - 1;
        release(&sem, count3);
        wait_count(count1 + count2 + count3);
        expected.extend(vec![2; count3]);
        assert_eq!(all(), expected);
        // The semaphore is still locked.
        assert!(!sem.try_acquire());

        // Final release, to let the last thread finish.
        let count4 = 1;
        sem.release().unwrap();
        bunch.finish();
        assert_eq!(
            acquired.load(Ordering::SeqCst),
            count1 + count2 + count3 + count4
        );
        // Every thread holds its two units still.
        assert_eq!(sem.value(), 0);
    }

    pub(crate) fn test_acquire_contended<S: SemaphoreLike>() {
        contended::<S>(|sem, count| {
            for _ in 0..count {
                sem.release().unwrap();
            }
        });
    }

    pub(crate) fn test_multirelease<S: SemaphoreLike>() {
        contended::<S>(|sem, count| sem.release_n(count).unwrap());
    }

    pub(crate) fn test_try_acquire<S: SemaphoreLike>() {
        let sem = S::create(2);
        assert!(sem.try_acquire());
        assert!(sem.try_acquire());
        assert!(!sem.try_acquire());
        sem.release().unwrap();
        assert!(sem.try_acquire());
    }

    pub(crate) fn test_try_acquire_contended<S: SemaphoreLike>() {
        let sem = Arc::new(S::create(4));
        sem.acquire();
        let result = results();
        let bunch = {
            let (sem, result) = (Arc::clone(&sem), Arc::clone(&result));
            Bunch::new(5, move || {
                push(&result, sem.try_acquire());
                push(&result, sem.try_acquire());
            })
        };
        bunch.finish();
        // There can be a thread switch between acquiring and recording:
        // the results are not ordered.
        let mut result = snapshot(&result);
        result.sort_unstable();
        let mut expected = vec![false; 7];
        expected.extend([true; 3]);
        assert_eq!(result, expected);
    }

    pub(crate) fn test_acquire_timeout<S: SemaphoreLike>() {
        let sem = S::create(2);
        let short = Duration::from_millis(5);
        assert!(sem.acquire_timeout(short));
        assert!(sem.acquire_timeout(short));
        assert!(!sem.acquire_timeout(short));
        sem.release().unwrap();
        assert!(sem.acquire_timeout(short));
        const TIMEOUT: Duration = Duration::from_millis(500);
        let (acquired, waited) = timed(|| sem.acquire_timeout(TIMEOUT));
        assert!(!acquired);
        assert_waited(waited, TIMEOUT);
    }

    pub(crate) fn test_default_value<S: SemaphoreLike>() {
        // The default initial value is 1.
        let sem = Arc::new(S::create_default());
        assert_eq!(sem.value(), 1);
        sem.acquire();
        let bunch = {
            let sem = Arc::clone(&sem);
            Bunch::new(1, move || {
                assert!(sem.acquire_timeout(LONG), "never released");
                sem.release().unwrap();
            })
        };
        // Thread blocked on acquire.
        wait_threads_blocked(1);
        assert_eq!(bunch.finished(), 0);
        // Thread unblocked.
        sem.release().unwrap();
        bunch.finish();
        assert_eq!(sem.value(), 1);
    }

    pub(crate) fn test_with<S: SemaphoreLike>() {
        let sem = S::create(2);
        let with = |err: bool| {
            sem.with(|| {
                assert!(sem.try_acquire());
                sem.release().unwrap();
                sem.with(|| {
                    assert!(!sem.try_acquire());
                    if err {
                        raise();
                    }
                });
            });
        };
        with(false);
        assert!(sem.try_acquire());
        sem.release().unwrap();
        assert_raised(catch_unwind(AssertUnwindSafe(|| with(true))));
        assert!(sem.try_acquire());
        sem.release().unwrap();
        assert_eq!(sem.value(), 2);
    }
}

/// The `BaseSemaphoreTests` in a module, for one semaphore type.
macro_rules! base_semaphore_tests {
    ($sem:ty) => {
        #[test]
        fn test_constructor() {
            base_semaphore::test_constructor::<$sem>();
        }
        #[test]
        fn test_acquire() {
            base_semaphore::test_acquire::<$sem>();
        }
        #[test]
        fn test_acquire_destroy() {
            base_semaphore::test_acquire_destroy::<$sem>();
        }
        #[test]
        fn test_acquire_contended() {
            base_semaphore::test_acquire_contended::<$sem>();
        }
        #[test]
        fn test_multirelease() {
            base_semaphore::test_multirelease::<$sem>();
        }
        #[test]
        fn test_try_acquire() {
            base_semaphore::test_try_acquire::<$sem>();
        }
        #[test]
        fn test_try_acquire_contended() {
            base_semaphore::test_try_acquire_contended::<$sem>();
        }
        #[test]
        fn test_acquire_timeout() {
            base_semaphore::test_acquire_timeout::<$sem>();
        }
        #[test]
        fn test_default_value() {
            base_semaphore::test_default_value::<$sem>();
        }
        #[test]
        fn test_with() {
            base_semaphore::test_with::<$sem>();
        }
    };
}

mod semaphore_tests {
    use super::*;

    base_semaphore_tests!(Semaphore);

    #[test]
    fn test_release_unacquired() {
        // Unbounded releases are allowed and increment the value.
        let sem = Semaphore::new(1);
        sem.release();
        assert_eq!(sem.value(), 2);
        sem.acquire();
        sem.acquire();
        sem.release();
        assert_eq!(sem.value(), 1);
    }

    #[test]
    fn test_repr() {
        let sem = Semaphore::new(3);
        assert_eq!(format!("{sem:?}"), "<Semaphore value=3>");
        sem.acquire();
        assert_eq!(format!("{sem:?}"), "<Semaphore value=2>");
        sem.release();
        sem.release();
        assert_eq!(format!("{sem:?}"), "<Semaphore value=4>");
    }

    /// Not in CPython (where `release(0)` is a `ValueError`): `release_n(0)`
    /// changes nothing.
    #[test]
    fn test_release_n_zero() {
        let sem = Semaphore::new(1);
        sem.release_n(0);
        assert_eq!(sem.value(), 1);
        sem.acquire();
        sem.release_n(0);
        assert!(!sem.try_acquire());
    }
}

mod bounded_semaphore_tests {
    use super::*;

    base_semaphore_tests!(BoundedSemaphore);

    #[test]
    fn test_release_unacquired() {
        // Cannot go past the initial value.
        let sem = BoundedSemaphore::default();
        assert_eq!(sem.release(), Err(SyncError::TooManyReleases));
        sem.acquire();
        sem.release().unwrap();
        assert_eq!(sem.release(), Err(SyncError::TooManyReleases));
        assert_eq!(sem.value(), 1);
        assert_eq!(
            SyncError::TooManyReleases.to_string(),
            "Semaphore released too many times"
        );
    }

    #[test]
    fn test_repr() {
        let sem = BoundedSemaphore::new(3);
        assert_eq!(format!("{sem:?}"), "<BoundedSemaphore value=3/3>");
        sem.acquire();
        assert_eq!(format!("{sem:?}"), "<BoundedSemaphore value=2/3>");
    }

    /// Not in CPython's tests, but its behaviour (checked with Python 3.11):
    /// `release(n)` that would pass the initial value raises and changes
    /// nothing, even if some of the `n` units would fit.
    #[test]
    fn test_release_n_all_or_nothing() {
        let sem = BoundedSemaphore::new(2);
        sem.acquire();
        assert_eq!(sem.release_n(2), Err(SyncError::TooManyReleases));
        assert_eq!(sem.value(), 1);
        sem.release_n(1).unwrap();
        assert_eq!(sem.value(), 2);
    }
}

/// The lock checks of `test_threading.py` outside `lock_tests.py`.
mod thread_tests {
    use super::*;
    use pythreading_core::Thread;

    #[test]
    fn test_bounded_semaphore_limit() {
        // A BoundedSemaphore refuses a release too many, also when its units
        // were taken and given back by other threads (Python Threads here too).
        let run_all = |targets: Vec<Box<dyn FnOnce() + Send>>| {
            let threads: Vec<Thread> = targets
                .into_iter()
                .map(|target| Thread::builder().daemon(true).build(target))
                .collect();
            for t in &threads {
                t.start().unwrap();
            }
            for t in &threads {
                assert!(t.join_timeout(LONG).unwrap(), "{t:?} hung");
            }
            threads
                .into_iter()
                .map(|t| t.into_result().expect("target panicked"))
                .count()
        };
        for limit in 1..10 {
            let bs = Arc::new(BoundedSemaphore::new(limit));
            let acquirers = (0..limit)
                .map(|_| {
                    let bs = Arc::clone(&bs);
                    Box::new(move || assert!(bs.acquire_timeout(LONG))) as Box<dyn FnOnce() + Send>
                })
                .collect();
            assert_eq!(run_all(acquirers), limit);
            assert_eq!(bs.value(), 0);
            let releasers = (0..limit)
                .map(|_| {
                    let bs = Arc::clone(&bs);
                    Box::new(move || bs.release().unwrap()) as Box<dyn FnOnce() + Send>
                })
                .collect();
            assert_eq!(run_all(releasers), limit);
            assert_eq!(bs.release(), Err(SyncError::TooManyReleases));
            assert_eq!(bs.value(), limit);
        }
    }
}

mod threading_exception_tests {
    use super::*;

    #[test]
    fn test_releasing_unacquired_lock() {
        let lock = Lock::new();
        assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
        // Python's RuntimeError text.
        assert_eq!(
            SyncError::ReleaseUnlocked.to_string(),
            "release unlocked lock"
        );
        // Nothing changed: the lock still works.
        assert!(lock.try_acquire());
        lock.release().unwrap();
        assert_eq!(lock.release(), Err(SyncError::ReleaseUnlocked));
    }
}
