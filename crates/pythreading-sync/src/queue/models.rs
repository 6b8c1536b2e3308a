//! loom models of the queues' own logic (`cargo xtask ci` runs them with
//! `--cfg loom`): the counts of parked threads that decide who is woken,
//! shutdown, join and cancellation. The parking table's hand-off itself (a
//! notify racing a deadline, a park racing a release, a notify racing a
//! cancel) is modelled in pythreading-core.
//!
//! Under loom nothing spins and a timed park yields once, then times out at
//! whatever moment loom picks.

use std::time::Duration;

use pythreading_core::CancellationToken;

use super::{GetError, PutError, Queue};
use crate::error::SyncError;
use crate::sys::Arc;

/// Long enough never to pass on the real clock: under loom a timed park
/// times out at a moment loom picks anyway.
const LONG: Duration = Duration::from_secs(3600);

/// A producer putting two items through a queue of one slot and a
/// consumer getting them: FIFO order, no lost wake-up on either side.
#[test]
fn loom_queue_blocking_handoff() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let producer = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || {
                q.put(1).unwrap();
                q.put(2).unwrap();
            })
        };
        assert_eq!(q.get(), Ok(1));
        assert_eq!(q.get(), Ok(2));
        producer.join().unwrap();
        assert!(q.empty());
        assert_eq!((q.waiting_getters(), q.waiting_putters()), (0, 0));
    });
}

/// A shutdown wakes a putter blocked on a full queue; the putter gets its
/// item back.
#[test]
fn loom_queue_shutdown_wakes_blocked() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put(0).unwrap();
        let putter = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || q.put(7))
        };
        let drained = q.shutdown(true);
        let put = putter.join().unwrap();
        // The putter either got in before the shutdown (its item was
        // then drained) or was refused with its item.
        match put {
            Ok(()) => assert_eq!(drained, vec![0, 7]),
            Err(e) => {
                assert_eq!(drained, vec![0]);
                assert_eq!(e.into_inner(), 7);
            }
        }
        assert_eq!(q.get(), Err(GetError::ShutDown));
        assert_eq!(q.waiting_putters(), 0);
    });
}

/// task_done from another thread releases join.
#[test]
fn loom_queue_join_released_by_task_done() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        q.put(1).unwrap();
        let worker = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || {
                let item = q.get().unwrap();
                q.task_done().unwrap();
                item
            })
        };
        q.join();
        assert_eq!(worker.join().unwrap(), 1);
        assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
        assert_eq!(q.waiting_joiners(), 0);
    });
}

/// A timed get whose deadline passes while a put wakes it: the item is
/// either taken or left in the queue, never lost, and the getter is
/// counted out of the parked ones exactly once, by the put that woke it or
/// by itself (a count left too high would make every later put call into
/// the parking table; one too low would lose a later getter's wake-up).
#[test]
fn loom_timed_get_racing_a_put() {
    loom::model(|| {
        let q: Arc<Queue<u8>> = Arc::new(Queue::new(0));
        let getter = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || q.get_timeout(LONG))
        };
        q.put(5).unwrap();
        match getter.join().unwrap() {
            Ok(item) => assert_eq!(item, 5),
            Err(e) => {
                assert_eq!(e, GetError::Empty);
                assert_eq!(q.get_nowait(), Ok(5));
            }
        }
        assert_eq!(q.waiting_getters(), 0);
    });
}

/// Two getters blocked on one queue and two puts: each put wakes a getter
/// of its own (the second put must not spend its wake-up on the getter the
/// first one woke), so both get an item. A lost wake-up leaves a getter
/// parked for ever, which loom reports as a deadlock.
#[test]
fn loom_two_getters_each_woken() {
    loom::model(|| {
        let q: Arc<Queue<u8>> = Arc::new(Queue::new(0));
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                loom::thread::spawn(move || q.get().unwrap())
            })
            .collect();
        q.put(1).unwrap();
        q.put(2).unwrap();
        let mut got: Vec<u8> = getters.into_iter().map(|g| g.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert_eq!(q.waiting_getters(), 0);
    });
}

/// A timed put on a full queue racing a get: it gets in or gets its item
/// back as Full, and is counted out exactly once.
#[test]
fn loom_timed_put_racing_a_get() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        let putter = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || q.put_timeout(2, LONG))
        };
        assert_eq!(q.get(), Ok(1));
        match putter.join().unwrap() {
            Ok(()) => assert_eq!(q.get_nowait(), Ok(2)),
            Err(PutError::Full(item)) => {
                assert_eq!(item, 2);
                assert!(q.empty());
            }
            Err(PutError::ShutDown(_) | PutError::Cancelled(_)) => {
                unreachable!("never shut down, no token")
            }
        }
        assert_eq!(q.waiting_putters(), 0);
    });
}

/// A timed join racing the last task_done: it returns `true` exactly when
/// it saw every item done, and is counted out exactly once.
#[test]
fn loom_timed_join_racing_task_done() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        q.put(1).unwrap();
        assert_eq!(q.get(), Ok(1));
        let joiner = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || q.join_timeout(LONG))
        };
        q.task_done().unwrap();
        // Done or not, it returned: a join left parked would deadlock.
        let _joined = joiner.join().unwrap();
        assert_eq!(q.waiting_joiners(), 0);
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

/// A getter whose token is cancelled while a put races it: the getter
/// either gets the item or is cancelled having taken nothing (the item is
/// then still in the queue), and it is counted out of the parked getters
/// exactly once, whether the put woke it or the cancel did.
#[test]
fn loom_cancelled_get_racing_a_put() {
    loom::model(|| {
        let q: Arc<Queue<u8>> = Arc::new(Queue::new(0));
        let token = CancellationToken::new();
        let getter = {
            let (q, token) = (Arc::clone(&q), token.clone());
            loom::thread::spawn(move || token.run(|| q.get()))
        };
        let canceller = loom::thread::spawn(move || token.cancel());
        q.put(5).unwrap();
        canceller.join().unwrap();
        match getter.join().unwrap() {
            Ok(item) => {
                assert_eq!(item, 5);
                assert!(q.empty());
            }
            Err(e) => {
                assert_eq!(e, GetError::Cancelled);
                assert_eq!(q.get_nowait(), Ok(5));
            }
        }
        assert_eq!(q.waiting_getters(), 0);
    });
}

/// Two getters blocked on one queue, one obeying a token that is
/// cancelled while an item is put, one obeying none: the item reaches
/// exactly one of them. A wake-up spent on the cancelled getter and not
/// passed on would leave the plain getter parked for ever with the item
/// in the queue, which loom reports as a deadlock.
#[test]
fn loom_cancel_passes_the_wake_up_on() {
    loom::model(|| {
        let q: Arc<Queue<u8>> = Arc::new(Queue::new(0));
        let token = CancellationToken::new();
        let cancellable = {
            let (q, token) = (Arc::clone(&q), token.clone());
            loom::thread::spawn(move || token.run(|| q.get()))
        };
        let plain = {
            let q = Arc::clone(&q);
            loom::thread::spawn(move || q.get())
        };
        while q.waiting_getters() < 2 {
            loom::thread::yield_now();
        }
        let canceller = loom::thread::spawn(move || token.cancel());
        q.put(5).unwrap();
        canceller.join().unwrap();
        match cancellable.join().unwrap() {
            Ok(item) => {
                assert_eq!(item, 5);
                // The plain getter waits on: only a shutdown ends it.
                assert!(q.shutdown(false).is_empty());
                assert_eq!(plain.join().unwrap(), Err(GetError::ShutDown));
            }
            Err(e) => {
                assert_eq!(e, GetError::Cancelled);
                assert_eq!(plain.join().unwrap(), Ok(5));
            }
        }
        assert!(q.empty());
        assert_eq!(q.waiting_getters(), 0);
    });
}

/// A put blocked on a full queue whose token is cancelled while a get
/// makes room: it gets in, or it hands its item back with the queue
/// unchanged; and it is counted out of the parked putters exactly once.
#[test]
fn loom_cancelled_put_racing_a_get() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        let token = CancellationToken::new();
        let putter = {
            let (q, token) = (Arc::clone(&q), token.clone());
            loom::thread::spawn(move || token.run(|| q.put(2)))
        };
        let canceller = loom::thread::spawn(move || token.cancel());
        assert_eq!(q.get(), Ok(1));
        canceller.join().unwrap();
        match putter.join().unwrap() {
            Ok(()) => assert_eq!(q.get_nowait(), Ok(2)),
            Err(PutError::Cancelled(item)) => {
                assert_eq!(item, 2);
                assert!(q.empty());
            }
            Err(PutError::Full(_) | PutError::ShutDown(_)) => {
                unreachable!("no timeout, never shut down")
            }
        }
        assert_eq!(q.waiting_putters(), 0);
    });
}

/// A join obeying a token that is cancelled while the last task_done
/// races it: it returns `Ok(true)` or `Err(Cancelled)`, never stays
/// parked, and is counted out exactly once.
#[test]
fn loom_cancelled_join_racing_task_done() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        q.put(1).unwrap();
        assert_eq!(q.get(), Ok(1));
        let token = CancellationToken::new();
        let joiner = {
            let (q, token) = (Arc::clone(&q), token.clone());
            loom::thread::spawn(move || token.run(|| q.join_cancellable(None)))
        };
        let canceller = loom::thread::spawn(move || token.cancel());
        q.task_done().unwrap();
        canceller.join().unwrap();
        let joined = joiner.join().unwrap();
        assert!(matches!(
            joined,
            Ok(true) | Err(pythreading_core::Cancelled)
        ));
        assert_eq!(q.waiting_joiners(), 0);
    });
}
