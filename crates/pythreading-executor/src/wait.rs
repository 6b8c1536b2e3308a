//! [`wait`] and [`as_completed`]: waiting on many futures at once.
//!
//! Both register one *collector* with every future they watch (Python's
//! `_Waiter`). A future tells its collectors the moment it becomes done:
//! when its task ends, and also when it is cancelled, whether by
//! [`Future::cancel`](crate::Future::cancel) or by
//! `shutdown(cancel_futures: true)`. CPython only tells its waiters about a
//! cancellation when a worker later dequeues the task, so `wait` and
//! `as_completed` hang on futures cancelled by a shutdown
//! (python/cpython #92001, #109934, #87893); here a cancelled future counts
//! as done at once.

use std::fmt;
use std::iter::FusedIterator;
use std::sync::Arc;
use std::time::Duration;

use pythreading_core::Cancelled;
use pythreading_core::wait::{Deadline, Wait};

use crate::collector::{Collected, Collector, Watch};
use crate::error::TaskError;
use crate::future::Future;
use crate::header::Parked;
use crate::worker;

/// What [`wait`] waits for: Python's `FIRST_COMPLETED`,
/// `FIRST_EXCEPTION` and `ALL_COMPLETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// Until any future is done (finished or cancelled).
    FirstCompleted,
    /// Until any future finishes with an error (a panic, a broken pool,
    /// or an `Err` returned by a task given to
    /// [`submit_fallible`](crate::ThreadPoolExecutor::submit_fallible)),
    /// or all are done. A cancelled future is not an error here.
    FirstException,
    /// Until every future is done (the default, as in Python).
    #[default]
    AllCompleted,
}

/// What [`wait`] returns: indices into the slice it was given, each list
/// in increasing order. `done` holds the futures done when `wait`
/// returned (finished or cancelled), `not_done` the others.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WaitResult {
    /// Indices of the futures that are done.
    pub done: Vec<usize>,
    /// Indices of the futures that are not done.
    pub not_done: Vec<usize>,
}

fn watch_all<'a, T: 'a>(futures: impl Iterator<Item = (usize, &'a Future<T>)>) -> Arc<Collector> {
    let collector = Collector::new();
    for (index, future) in futures {
        future.header().watch(Watch::new(&collector, index));
    }
    collector
}

/// Waits until the futures are done as `return_when` asks, or until
/// `timeout` passes (`None`: no limit), and says which are done: Python's
/// `concurrent.futures.wait`. Cancelled futures count as done at once.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use pythreading_executor::{wait, ReturnWhen, ThreadPoolExecutor};
/// use pythreading_sync::Event;
///
/// let pool = ThreadPoolExecutor::new(2)?;
/// let gate = Arc::new(Event::new());
/// let opener = Arc::clone(&gate);
/// let futures = [pool.submit(|| ())?, pool.submit(move || { opener.wait(); })?];
/// // The second task waits at the gate: the first is done first, for sure.
/// let first = wait(&futures, None, ReturnWhen::FirstCompleted);
/// assert_eq!((first.done, first.not_done), (vec![0], vec![1]));
/// let none_more = wait(&futures[1..], Some(Duration::ZERO), ReturnWhen::AllCompleted);
/// assert_eq!(none_more.not_done, vec![0]);
/// gate.set();
/// let all = wait(&futures, None, ReturnWhen::AllCompleted);
/// assert_eq!(all.done, vec![0, 1]);
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
///
/// It does not obey the calling thread's cancellation token (it has no way
/// to say so): [`wait_cancellable`] does.
pub fn wait<T>(
    futures: &[Future<T>],
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> WaitResult {
    wait_obeying(futures, timeout, return_when, false)
        .unwrap_or_else(|_| unreachable!("a wait that obeys no token is never cancelled"))
}

/// [`wait()`] that obeys the calling thread's current
/// [`CancellationToken`](pythreading_core::CancellationToken):
/// `Err(Cancelled)` if it is cancelled before the futures are done as
/// `return_when` asks (looked at only before parking: futures done already
/// are reported whatever the token). The futures are untouched either way.
///
/// ```
/// use pythreading_core::{CancellationToken, Cancelled};
/// use pythreading_executor::{ReturnWhen, ThreadPoolExecutor, wait_cancellable};
/// use pythreading_sync::Event;
/// use std::sync::Arc;
///
/// let pool = ThreadPoolExecutor::new(1)?;
/// let gate = Arc::new(Event::new());
/// let opener = Arc::clone(&gate);
/// let futures = [pool.submit(move || opener.wait())?];
/// let token = CancellationToken::new();
/// token.cancel();
/// let waited = token.run(|| wait_cancellable(&futures, None, ReturnWhen::AllCompleted));
/// assert_eq!(waited.unwrap_err(), Cancelled);
/// gate.set();
/// assert_eq!(wait_cancellable(&futures, None, ReturnWhen::AllCompleted)?.done, [0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wait_cancellable<T>(
    futures: &[Future<T>],
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> Result<WaitResult, Cancelled> {
    wait_obeying(futures, timeout, return_when, true)
}

fn wait_obeying<T>(
    futures: &[Future<T>],
    timeout: Option<Duration>,
    return_when: ReturnWhen,
    obey: bool,
) -> Result<WaitResult, Cancelled> {
    let total = futures.len();
    let collector = watch_all(futures.iter().enumerate());
    let keep_waiting = |collected: &Collected| {
        let count = collected.done.len();
        match return_when {
            ReturnWhen::FirstCompleted => count == 0 && total > 0,
            ReturnWhen::FirstException => !collected.failed && count < total,
            ReturnWhen::AllCompleted => count < total,
        }
    };
    // A worker of the futures' pool runs those nobody has started, one by
    // one, while the wait is not over (each tells the collector as it
    // completes). A zero timeout only looks; a thread that is no pool's
    // worker does not look at all.
    if Wait::from_timeout(timeout).may_block() && worker::serves_a_pool() {
        for future in futures {
            if collector.wait_while(Wait::No, false, keep_waiting).1 == Parked::Done {
                break;
            }
            future.help();
        }
    }
    let (collected, ended) = collector.wait_while(Wait::from_timeout(timeout), obey, keep_waiting);
    drop(collected);
    let id = collector.id();
    for future in futures {
        future.header().unwatch(id);
    }
    if ended == Parked::Cancelled {
        return Err(Cancelled);
    }
    let (done, not_done) = (0..total).partition(|&index| futures[index].done());
    Ok(WaitResult { done, not_done })
}

/// Yields futures as they become done, finished or cancelled: Python's
/// `concurrent.futures.as_completed`. Those done already come first, in
/// the order given; then each as it completes.
///
/// With a `timeout` (counted from the call), once it passes with futures
/// still not done the iterator yields one `Err(TaskError::Timeout)` and
/// ends; [`into_pending`](AsCompleted::into_pending) gives those futures
/// back, so none is lost.
///
/// The iterator obeys the current
/// [`CancellationToken`](pythreading_core::CancellationToken) of the thread
/// that iterates: cancelled while it waits for the next future, it yields
/// one `Err(TaskError::WaitCancelled)` and ends, the futures not yielded
/// kept for [`into_pending`](AsCompleted::into_pending), as after a timeout.
///
/// ```
/// use pythreading_executor::{as_completed, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(4)?;
/// let futures = (1..=4).map(|n| pool.submit(move || n * n)).collect::<Result<Vec<_>, _>>()?;
/// let mut squares: Vec<u32> = as_completed(futures, None)
///     .map(|done| done.unwrap().result().unwrap())
///     .collect();
/// squares.sort();
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
pub fn as_completed<T>(futures: Vec<Future<T>>, timeout: Option<Duration>) -> AsCompleted<T> {
    let deadline = Deadline::from_timeout(timeout);
    let collector = watch_all(futures.iter().enumerate());
    let remaining = futures.len();
    AsCompleted {
        futures: futures.into_iter().map(Some).collect(),
        collector,
        deadline,
        helps: Wait::from_timeout(timeout).may_block(),
        remaining,
        timed_out: false,
    }
}

/// The iterator of [`as_completed`]: `Ok(future)` for each done future in
/// completion order; `Err(TaskError::Timeout)` once if the timeout passes
/// first, then `None`.
///
/// Dropping it drops the futures it has not yielded, as dropping them
/// would: their values are lost, and a panic in one is reported.
#[must_use = "the futures, with their values and panics, are dropped unless iterated"]
pub struct AsCompleted<T> {
    futures: Vec<Option<Future<T>>>,
    collector: Arc<Collector>,
    deadline: Deadline,
    /// Whether to look for a future nobody has started to run when none
    /// is done: not with a zero timeout, which only looks (and only on a
    /// pool's worker: only a worker of the futures' pool runs one).
    helps: bool,
    remaining: usize,
    timed_out: bool,
}

impl<T> AsCompleted<T> {
    /// The futures not yielded yet, in the order they were given: after a
    /// timeout, the ones still not done.
    pub fn into_pending(mut self) -> Vec<Future<T>> {
        self.unwatch();
        std::mem::take(&mut self.futures)
            .into_iter()
            .flatten()
            .collect()
    }

    /// How many futures have not been yielded yet.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// With no future done yet, a worker of the futures' pool runs the
    /// first one nobody has started, so that the wait that follows is
    /// over at once.
    fn help_if_none_done(&self) {
        if !self.helps || !worker::serves_a_pool() {
            return;
        }
        let none_done = self
            .collector
            .wait_while(Wait::No, false, |collected| collected.done.is_empty())
            .1
            != Parked::Done;
        if none_done {
            for future in self.futures.iter().flatten() {
                if future.help() {
                    break;
                }
            }
        }
    }

    fn unwatch(&self) {
        let id = self.collector.id();
        for future in self.futures.iter().flatten() {
            future.header().unwatch(id);
        }
    }
}

impl<T> Iterator for AsCompleted<T> {
    type Item = Result<Future<T>, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 || self.timed_out {
            return None;
        }
        self.help_if_none_done();
        let (mut collected, ended) =
            self.collector
                .wait_while(Wait::Until(self.deadline), true, |collected| {
                    collected.done.is_empty()
                });
        if ended != Parked::Done {
            drop(collected);
            self.timed_out = true;
            return Some(Err(if ended == Parked::Cancelled {
                TaskError::WaitCancelled
            } else {
                TaskError::Timeout
            }));
        }
        let index = collected.done.pop_front()?;
        drop(collected);
        self.remaining -= 1;
        self.futures[index].take().map(Ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.timed_out {
            (0, Some(0))
        } else {
            (0, Some(self.remaining + 1))
        }
    }
}

impl<T> FusedIterator for AsCompleted<T> {}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        self.unwatch();
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("timed_out", &self.timed_out)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::future::loom_tests::{finishing, future_of};
    use crate::header::Header;

    /// `wait` registering with a future while a worker finishes it returns
    /// with the future done, whichever comes first.
    #[test]
    fn loom_wait_sees_finish() {
        loom::model(|| {
            let (future, worker) = finishing(5);
            let result = wait(
                std::slice::from_ref(&future),
                None,
                ReturnWhen::AllCompleted,
            );
            assert_eq!(result.done, vec![0]);
            worker.join().unwrap();
        });
    }

    /// `ALL_COMPLETED` over two futures finished one after the other
    /// sleeps again after the first and is woken by the second.
    #[test]
    fn loom_all_completed_sleeps_again() {
        loom::model(|| {
            let first = Arc::new(Header::<u32>::new());
            let second = Arc::new(Header::<u32>::new());
            let futures = vec![future_of(&first), future_of(&second)];
            let worker = loom::thread::spawn(move || {
                for (header, value) in [(first, 1), (second, 2)] {
                    assert!(header.start());
                    header.finish(Ok(value));
                }
            });
            let result = wait(&futures, None, ReturnWhen::AllCompleted);
            assert_eq!(result.done, vec![0, 1]);
            worker.join().unwrap();
        });
    }

    /// A future cancelled (as `shutdown(cancel_futures: true)` does) while
    /// `as_completed` waits on it is yielded: the CPython hang cannot happen.
    #[test]
    fn loom_as_completed_sees_cancel() {
        loom::model(|| {
            let first = Arc::new(Header::<u32>::new());
            let second = Arc::new(Header::<u32>::new());
            let futures = vec![future_of(&first), future_of(&second)];
            let canceller = loom::thread::spawn(move || {
                assert!(Header::cancel(&first));
                assert!(second.start());
                second.finish(Ok(2));
            });
            let mut outcomes: Vec<_> = as_completed(futures, None)
                .map(|done| done.unwrap().result())
                .collect();
            outcomes.sort_by_key(|outcome| outcome.is_ok());
            assert_eq!(outcomes, vec![Err(TaskError::Cancelled), Ok(2)]);
            canceller.join().unwrap();
        });
    }

    /// `FIRST_EXCEPTION` returns when a task fails, with the failed one done.
    #[test]
    fn loom_first_exception_sees_failure() {
        loom::model(|| {
            let failing = Arc::new(Header::<u32>::new());
            let pending = Arc::new(Header::<u32>::new());
            let futures = vec![future_of(&failing), future_of(&pending)];
            let worker = loom::thread::spawn(move || {
                assert!(failing.start());
                failing.finish(Err(TaskError::Panicked("boom".into())));
            });
            let result = wait(&futures, None, ReturnWhen::FirstException);
            assert_eq!(
                result,
                WaitResult {
                    done: vec![0],
                    not_done: vec![1]
                }
            );
            worker.join().unwrap();
            drop(pending);
        });
    }

    /// `as_completed` with a timeout racing the finish of its future
    /// either yields the future or times out and gives it back: it is
    /// never lost, and nothing is left watching it.
    #[test]
    fn loom_as_completed_timeout_loses_nothing() {
        loom::model(|| {
            let (future, worker) = finishing(6);
            let mut completed = as_completed(vec![future], Some(Duration::from_secs(3600)));
            let future = match completed.next() {
                Some(Ok(future)) => {
                    assert!(completed.next().is_none());
                    future
                }
                Some(Err(TaskError::Timeout)) => {
                    let mut pending = completed.into_pending();
                    assert_eq!(pending.len(), 1);
                    pending.pop().unwrap()
                }
                other => panic!("{other:?}"),
            };
            worker.join().unwrap();
            assert_eq!(future.waiting(), 0);
            assert_eq!(future.result(), Ok(6));
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{MapOptions, ThreadPoolExecutor};
    use pythreading_sync::Event;
    use std::time::Instant;

    /// Generous: the machine running the tests may be slow and shared.
    const PATIENCE: Duration = Duration::from_secs(30);

    /// A timeout too large for the clock waits for the futures instead of
    /// panicking or giving up at once: in `Future::wait_timeout`, `wait`,
    /// `as_completed` and a map's timeout. The two threads are seen parked
    /// in `wait_timeout` before the task is let go.
    #[test]
    fn a_timeout_of_duration_max_waits_for_ever() {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let gate = Arc::new(Event::new());
        let gated = || {
            let gate = Arc::clone(&gate);
            pool.submit(move || gate.wait()).unwrap()
        };
        let shared = Arc::new(vec![gated()]);
        let owned = gated();
        let waiting = [Arc::clone(&shared), Arc::clone(&shared)].map(|futures| {
            std::thread::spawn(move || {
                futures[0].wait_timeout(Duration::MAX)
                    && wait(&futures, Some(Duration::MAX), ReturnWhen::AllCompleted).done == [0]
            })
        });
        let start = Instant::now();
        let mut completed = as_completed(vec![owned], Some(Duration::MAX));
        while shared[0].waiting() != 2 {
            assert!(start.elapsed() < PATIENCE, "the waiters never blocked");
            std::thread::yield_now();
        }
        gate.set();
        for waiter in waiting {
            assert!(waiter.join().unwrap());
        }
        assert!(matches!(completed.next(), Some(Ok(future)) if future.done()));
        let options = MapOptions::new().timeout(Duration::MAX);
        let mapped = pool.map_with(|n: u32| n + 1, [1], options).unwrap();
        assert_eq!(mapped.collect::<Vec<_>>(), [Ok(2)]);
    }
}
