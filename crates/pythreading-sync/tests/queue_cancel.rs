//! The queues obey the calling thread's cancellation token: a blocked
//! `put`, `put_timeout`, `get` or `get_timeout` ends with `Cancelled` (a
//! put hands its item back, a get takes nothing), the queue and its counts
//! of waiting threads as they were; `join_cancellable` and
//! `SimpleQueue::get_cancellable` obey it too; `join`, `join_timeout` and
//! `SimpleQueue::get` wait on regardless. Every test that cancels a
//! blocked call first waits until the thread is parked under its token.

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use pythreading_core::{CancellationToken, Cancelled};
use pythreading_sync::queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue, SimpleQueue};

mod common;
use common::{join_all, wait_until};

/// A timeout that never passes during a test.
const LONG: Duration = Duration::from_secs(3600);
/// A timeout that passes quickly.
const SHORT: Duration = Duration::from_millis(20);

/// A token that is cancelled already.
fn cancelled() -> CancellationToken {
    let token = CancellationToken::new();
    token.cancel();
    token
}

/// Runs `f` on a new thread with `token` current there.
fn spawn_under<R: Send + 'static>(
    token: &CancellationToken,
    f: impl FnOnce() -> R + Send + 'static,
) -> JoinHandle<R> {
    let token = token.clone();
    thread::spawn(move || token.run(f))
}

/// Waits until a thread is parked in a wait that obeys `token`.
fn wait_parked(token: &CancellationToken) {
    wait_until("a thread parked under its token", || token.parked() >= 1);
}

/// Joins one thread within the tests' patience.
fn finish<R>(handle: JoinHandle<R>) -> R {
    join_all(vec![handle]).pop().expect("one result")
}

#[test]
fn error_texts_and_helpers() {
    let cancelled = PutError::Cancelled(7);
    assert!(cancelled.is_cancelled());
    assert!(!cancelled.is_full() && !cancelled.is_shut_down());
    assert_eq!(cancelled.to_string(), "queue operation was cancelled");
    assert_eq!(format!("{cancelled:?}"), "Cancelled(..)");
    assert_eq!(cancelled.into_inner(), 7);
    assert!(!PutError::Full(1).is_cancelled());
    assert!(!PutError::ShutDown(1).is_cancelled());
    assert_eq!(
        GetError::Cancelled.to_string(),
        "queue operation was cancelled"
    );
    assert_ne!(GetError::Cancelled, GetError::Empty);
    let boxed: Box<dyn std::error::Error> = Box::new(PutError::Cancelled(String::from("x")));
    assert_eq!(boxed.to_string(), "queue operation was cancelled");
}

/// The same tests for the three queues with a `maxsize`.
macro_rules! queue_tests {
    ($($module:ident: $queue:ident),* $(,)?) => {$(
        mod $module {
            use super::*;

            type Q<T> = $queue<T>;

            /// A queue that has seen traffic: two items taken and not yet
            /// done, `queued` still in it.
            fn used(maxsize: usize, queued: &[u32]) -> Arc<Q<u32>> {
                let q = Arc::new(Q::new(maxsize));
                for item in [100, 101] {
                    q.put_nowait(item).unwrap();
                    q.get_nowait().unwrap();
                }
                for &item in queued {
                    q.put_nowait(item).unwrap();
                }
                q
            }

            #[test]
            fn a_blocked_get_cancelled_by_its_token_takes_nothing() {
                for timed in [false, true] {
                    let q = used(0, &[]);
                    let token = CancellationToken::new();
                    let getter = {
                        let q = Arc::clone(&q);
                        spawn_under(&token, move || {
                            if timed { q.get_timeout(LONG) } else { q.get() }
                        })
                    };
                    wait_parked(&token);
                    assert_eq!(q.waiting_getters(), 1);
                    token.cancel();
                    assert_eq!(finish(getter), Err(GetError::Cancelled), "timed: {timed}");
                    assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 2));
                    assert_eq!(q.waiting_getters(), 0);
                    // The queue works on as before.
                    q.put(1).unwrap();
                    assert_eq!(q.get_nowait(), Ok(1));
                }
            }

            #[test]
            fn a_blocked_get_cancelled_through_a_parent_takes_nothing() {
                let q = used(0, &[]);
                let parent = CancellationToken::new();
                let child = parent.child();
                let getter = {
                    let q = Arc::clone(&q);
                    spawn_under(&child, move || q.get())
                };
                wait_parked(&child);
                parent.cancel();
                assert_eq!(finish(getter), Err(GetError::Cancelled));
                assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 2));
                assert_eq!(q.waiting_getters(), 0);
            }

            #[test]
            fn a_blocked_put_cancelled_hands_its_item_back() {
                for timed in [false, true] {
                    let q = used(2, &[1, 2]);
                    let token = CancellationToken::new();
                    let putter = {
                        let q = Arc::clone(&q);
                        spawn_under(&token, move || {
                            if timed { q.put_timeout(3, LONG) } else { q.put(3) }
                        })
                    };
                    wait_parked(&token);
                    assert_eq!(q.waiting_putters(), 1);
                    token.cancel();
                    match finish(putter) {
                        Err(PutError::Cancelled(item)) => assert_eq!(item, 3),
                        other => panic!("expected Cancelled(3), got {other:?} (timed: {timed})"),
                    }
                    // Unchanged: the same items, counted as before.
                    assert_eq!((q.qsize(), q.unfinished_tasks()), (2, 4));
                    assert_eq!(q.waiting_putters(), 0);
                    assert_eq!(q.shutdown(true).len(), 2);
                }
            }

            #[test]
            fn a_blocked_put_cancelled_through_a_parent_hands_its_item_back() {
                let q = used(1, &[1]);
                let parent = CancellationToken::new();
                let child = parent.child().child();
                let putter = {
                    let q = Arc::clone(&q);
                    spawn_under(&child, move || q.put(2))
                };
                wait_parked(&child);
                parent.cancel();
                assert!(matches!(finish(putter), Err(PutError::Cancelled(2))));
                assert_eq!((q.qsize(), q.unfinished_tasks()), (1, 3));
                assert_eq!(q.waiting_putters(), 0);
            }

            /// Under a token cancelled already, a get that would wait ends
            /// at once as `Cancelled`, whatever its timeout; a zero timeout
            /// and `get_nowait` never wait, so they say `Empty`.
            #[test]
            fn an_already_cancelled_get_that_would_wait() {
                let q = used(0, &[]);
                let token = cancelled();
                token.run(|| {
                    assert_eq!(q.get_nowait(), Err(GetError::Empty));
                    assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
                    assert_eq!(q.get_timeout(SHORT), Err(GetError::Cancelled));
                    assert_eq!(q.get_timeout(LONG), Err(GetError::Cancelled));
                    assert_eq!(q.get_timeout(Duration::MAX), Err(GetError::Cancelled));
                    assert_eq!(q.get(), Err(GetError::Cancelled));
                });
                assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 2));
                assert_eq!(q.waiting_getters(), 0);
                // Without the token, a short timeout is a timeout again.
                assert_eq!(q.get_timeout(SHORT), Err(GetError::Empty));
            }

            #[test]
            fn an_already_cancelled_put_that_would_wait() {
                let q = used(1, &[1]);
                let token = cancelled();
                token.run(|| {
                    assert!(matches!(q.put_nowait(2), Err(PutError::Full(2))));
                    assert!(matches!(q.put_timeout(3, Duration::ZERO), Err(PutError::Full(3))));
                    assert!(matches!(q.put_timeout(4, SHORT), Err(PutError::Cancelled(4))));
                    assert!(matches!(q.put_timeout(5, LONG), Err(PutError::Cancelled(5))));
                    assert!(matches!(
                        q.put_timeout(6, Duration::MAX),
                        Err(PutError::Cancelled(6))
                    ));
                    assert!(matches!(q.put(7), Err(PutError::Cancelled(7))));
                });
                assert_eq!((q.qsize(), q.unfinished_tasks()), (1, 3));
                assert_eq!(q.waiting_putters(), 0);
                assert!(matches!(q.put_timeout(8, SHORT), Err(PutError::Full(8))));
                assert_eq!(q.get_nowait(), Ok(1));
            }

            /// The token is looked at only before waiting: a get that
            /// finds an item takes it, and a put that finds room puts.
            #[test]
            fn calls_that_need_not_wait_ignore_a_cancelled_token() {
                let q = used(2, &[]);
                let token = cancelled();
                token.run(|| {
                    q.put(1).unwrap();
                    q.put_timeout(2, Duration::MAX).unwrap();
                    assert!(q.full());
                    let mut got = vec![q.get().unwrap(), q.get_timeout(Duration::MAX).unwrap()];
                    q.put_timeout(3, SHORT).unwrap();
                    got.push(q.get_timeout(SHORT).unwrap());
                    got.sort_unstable();
                    assert_eq!(got, [1, 2, 3]);
                });
                assert_eq!(q.unfinished_tasks(), 5);
            }

            /// A shut-down queue says so before any token is looked at.
            #[test]
            fn shutdown_comes_before_the_token() {
                let q = used(1, &[1]);
                let token = cancelled();
                assert_eq!(q.shutdown(false), Vec::<u32>::new());
                token.run(|| {
                    assert!(matches!(q.put(2), Err(PutError::ShutDown(2))));
                    assert_eq!(q.get(), Ok(1));
                    assert_eq!(q.get(), Err(GetError::ShutDown));
                    assert_eq!(q.get_timeout(LONG), Err(GetError::ShutDown));
                });
            }

            /// Several getters and putters cancelled while parked: the
            /// counts of waiting threads go back to zero, and a later
            /// waiter is still woken.
            #[test]
            fn cancelled_waiters_leave_the_counts_exact() {
                const WAITERS: usize = 3;
                let q = used(1, &[]);
                let token = CancellationToken::new();
                let getters: Vec<_> = (0..WAITERS)
                    .map(|_| {
                        let q = Arc::clone(&q);
                        spawn_under(&token, move || q.get())
                    })
                    .collect();
                wait_until("every getter parked", || token.parked() == WAITERS);
                assert_eq!(q.waiting_getters(), WAITERS);
                token.cancel();
                for result in join_all(getters) {
                    assert_eq!(result, Err(GetError::Cancelled));
                }
                assert_eq!(q.waiting_getters(), 0);

                q.put(1).unwrap();
                let token = CancellationToken::new();
                let putters: Vec<_> = (0..WAITERS as u32)
                    .map(|n| {
                        let q = Arc::clone(&q);
                        spawn_under(&token, move || q.put(10 + n))
                    })
                    .collect();
                wait_until("every putter parked", || token.parked() == WAITERS);
                assert_eq!(q.waiting_putters(), WAITERS);
                token.cancel();
                let mut back: Vec<u32> = join_all(putters)
                    .into_iter()
                    .map(|result| result.unwrap_err())
                    .inspect(|err| assert!(err.is_cancelled()))
                    .map(PutError::into_inner)
                    .collect();
                back.sort_unstable();
                assert_eq!(back, [10, 11, 12]);
                assert_eq!(q.waiting_putters(), 0);
                assert_eq!(q.qsize(), 1);

                // A getter parked now is woken by the next put.
                assert_eq!(q.get_nowait(), Ok(1));
                let getter = {
                    let q = Arc::clone(&q);
                    thread::spawn(move || q.get())
                };
                wait_until("a plain getter parked", || q.waiting_getters() == 1);
                q.put(2).unwrap();
                assert_eq!(finish(getter), Ok(2));
            }

            #[test]
            fn join_cancellable() {
                let q = Arc::new(Q::new(0));
                // Nothing unfinished: done, whatever the token.
                assert_eq!(q.join_cancellable(Some(Duration::ZERO)), Ok(true));
                assert_eq!(cancelled().run(|| q.join_cancellable(None)), Ok(true));

                q.put(1).unwrap();
                assert_eq!(q.join_cancellable(Some(Duration::ZERO)), Ok(false));
                assert_eq!(q.join_cancellable(Some(SHORT)), Ok(false));
                cancelled().run(|| {
                    assert_eq!(q.join_cancellable(Some(Duration::ZERO)), Ok(false));
                    assert_eq!(q.join_cancellable(Some(SHORT)), Err(Cancelled));
                    assert_eq!(q.join_cancellable(Some(Duration::MAX)), Err(Cancelled));
                    assert_eq!(q.join_cancellable(None), Err(Cancelled));
                });
                assert_eq!(q.waiting_joiners(), 0);

                // Blocked, then cancelled.
                let token = CancellationToken::new();
                let joiner = {
                    let q = Arc::clone(&q);
                    spawn_under(&token, move || q.join_cancellable(None))
                };
                wait_parked(&token);
                assert_eq!(q.waiting_joiners(), 1);
                token.cancel();
                assert_eq!(finish(joiner), Err(Cancelled));
                assert_eq!((q.waiting_joiners(), q.unfinished_tasks()), (0, 1));

                // Blocked, then released by the last task_done.
                let token = CancellationToken::new();
                let joiner = {
                    let q = Arc::clone(&q);
                    spawn_under(&token, move || q.join_cancellable(Some(Duration::MAX)))
                };
                wait_parked(&token);
                assert_eq!(q.get(), Ok(1));
                q.task_done().unwrap();
                assert_eq!(finish(joiner), Ok(true));
                assert_eq!(q.waiting_joiners(), 0);
            }

            /// `join` and `join_timeout` cannot report a cancel: they wait
            /// on under a cancelled token, parked in a wait that does not
            /// obey it.
            #[test]
            fn join_and_join_timeout_wait_on_under_a_cancelled_token() {
                let q = Arc::new(Q::new(0));
                q.put(1).unwrap();
                let token = cancelled();
                let start = Instant::now();
                assert!(!token.run(|| q.join_timeout(SHORT)));
                assert!(start.elapsed() >= SHORT, "it waited its timeout out");
                let joiners: Vec<_> = [false, true]
                    .into_iter()
                    .map(|timed| {
                        let q = Arc::clone(&q);
                        spawn_under(&token, move || {
                            if timed { q.join_timeout(LONG) } else { q.join(); true }
                        })
                    })
                    .collect();
                wait_until("both joiners parked", || q.waiting_joiners() == 2);
                // Not parked under the token: no cancel ends their wait.
                assert_eq!(token.parked(), 0);
                assert_eq!(q.get(), Ok(1));
                q.task_done().unwrap();
                assert_eq!(join_all(joiners), [true, true]);
            }
        }
    )*};
}

queue_tests!(fifo: Queue, lifo: LifoQueue, priority: PriorityQueue);

mod simple {
    use super::*;

    #[test]
    fn a_blocked_get_is_cancelled() {
        for form in 0..3 {
            let q = Arc::new(SimpleQueue::<u32>::new());
            let token = CancellationToken::new();
            let getter = {
                let q = Arc::clone(&q);
                spawn_under(&token, move || match form {
                    0 => q.get_timeout(LONG).map_err(|e| e.to_string()),
                    1 => q.get_timeout(Duration::MAX).map_err(|e| e.to_string()),
                    _ => match q.get_cancellable(None) {
                        Ok(got) => Ok(got.expect("no timeout")),
                        Err(e) => Err(e.to_string()),
                    },
                })
            };
            wait_parked(&token);
            assert_eq!(q.waiting_getters(), 1);
            token.cancel();
            let expected = if form == 2 {
                Cancelled.to_string()
            } else {
                GetError::Cancelled.to_string()
            };
            assert_eq!(finish(getter), Err(expected), "form {form}");
            assert!(q.empty());
            assert_eq!(q.waiting_getters(), 0);
        }
    }

    #[test]
    fn a_blocked_get_cancellable_is_cancelled_through_a_parent() {
        let q = Arc::new(SimpleQueue::<u32>::new());
        let parent = CancellationToken::new();
        let child = parent.child();
        let getter = {
            let q = Arc::clone(&q);
            spawn_under(&child, move || q.get_cancellable(Some(LONG)))
        };
        wait_parked(&child);
        parent.cancel();
        assert_eq!(finish(getter), Err(Cancelled));
        assert_eq!(q.waiting_getters(), 0);
    }

    #[test]
    fn timeouts_under_a_cancelled_token() {
        let q = SimpleQueue::<u32>::new();
        cancelled().run(|| {
            assert_eq!(q.get_nowait(), Err(GetError::Empty));
            assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
            assert_eq!(q.get_timeout(SHORT), Err(GetError::Cancelled));
            assert_eq!(q.get_timeout(Duration::MAX), Err(GetError::Cancelled));
            assert_eq!(q.get_cancellable(Some(Duration::ZERO)), Ok(None));
            assert_eq!(q.get_cancellable(Some(SHORT)), Err(Cancelled));
            assert_eq!(q.get_cancellable(Some(Duration::MAX)), Err(Cancelled));
            assert_eq!(q.get_cancellable(None), Err(Cancelled));
            // An item there is taken whatever the token says.
            q.put(1);
            q.put(2);
            q.put(3);
            assert_eq!(q.get_timeout(SHORT), Ok(1));
            assert_eq!(q.get_cancellable(None), Ok(Some(2)));
            assert_eq!(q.get(), 3);
        });
        assert_eq!(q.get_cancellable(Some(SHORT)), Ok(None));
        assert_eq!(q.waiting_getters(), 0);
    }

    /// `SimpleQueue::get` cannot report a cancel: it waits on for an item.
    #[test]
    fn get_waits_on_under_a_cancelled_token() {
        let q = Arc::new(SimpleQueue::new());
        let token = cancelled();
        let getter = {
            let q = Arc::clone(&q);
            spawn_under(&token, move || q.get())
        };
        wait_until("the getter parked", || q.waiting_getters() == 1);
        assert_eq!(token.parked(), 0);
        q.put("item");
        assert_eq!(finish(getter), "item");
    }
}

/// Many getters on one bounded queue, half of them cancelled while all are
/// parked and while more items are being put: every item reaches exactly
/// one getter, each getter sees the items in the order they were put, and
/// no count of waiting threads is left behind.
#[test]
fn many_getters_some_cancelled_every_item_delivered_once() {
    const GETTERS: usize = 6;
    const FIRST: u32 = 600;
    const ITEMS: u32 = 1_500;
    let q = Arc::new(Queue::new(4));
    let tokens: Vec<_> = (0..GETTERS).map(|_| CancellationToken::new()).collect();
    let getters: Vec<_> = tokens
        .iter()
        .map(|token| {
            let q = Arc::clone(&q);
            spawn_under(token, move || {
                let mut got = Vec::new();
                loop {
                    match q.get() {
                        Ok(item) => got.push(item),
                        Err(end) => return (got, end),
                    }
                }
            })
        })
        .collect();
    for item in 0..FIRST {
        q.put(item).unwrap();
    }
    wait_until("every getter parked", || {
        q.empty() && tokens.iter().all(|token| token.parked() == 1)
    });
    assert_eq!(q.waiting_getters(), GETTERS);
    // Every other getter is cancelled while the rest of the items go in.
    let canceller = {
        let cancelled: Vec<_> = tokens.iter().step_by(2).cloned().collect();
        thread::spawn(move || cancelled.iter().for_each(CancellationToken::cancel))
    };
    for item in FIRST..ITEMS {
        q.put(item).unwrap();
    }
    finish(canceller);
    // The cancelled getters end on their own once they find the queue
    // empty; the others once it is shut down.
    let (cancelled, plain): (Vec<_>, Vec<_>) = getters
        .into_iter()
        .enumerate()
        .partition(|(n, _)| n % 2 == 0);
    let cancelled = join_all(cancelled.into_iter().map(|(_, g)| g).collect());
    assert!(q.shutdown(false).is_empty());
    let plain = join_all(plain.into_iter().map(|(_, g)| g).collect());
    let mut all = Vec::new();
    for (results, expected) in [
        (cancelled, GetError::Cancelled),
        (plain, GetError::ShutDown),
    ] {
        for (got, end) in results {
            assert_eq!(end, expected);
            assert!(got.is_sorted(), "a getter saw the items out of order");
            all.extend(got);
        }
    }
    all.sort_unstable();
    assert_eq!(all, (0..ITEMS).collect::<Vec<_>>());
    assert_eq!((q.waiting_getters(), q.waiting_putters()), (0, 0));
}
