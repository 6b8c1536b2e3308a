//! Every method and every error of `Queue`, `LifoQueue` and
//! `PriorityQueue`, including the wake-ups on shutdown. Waits are bounded
//! and timing checks only say "waited at least".

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_sync::SyncError;
use pythreading_sync::queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue};

mod common;
use common::wait_until;

const PATIENCE: Duration = Duration::from_secs(20);
const SHORT: Duration = Duration::from_millis(50);

#[test]
fn error_texts_and_helpers() {
    assert_eq!(GetError::Empty.to_string(), "queue is empty");
    assert_eq!(GetError::ShutDown.to_string(), "queue is shut down");
    let full = PutError::Full(1);
    assert!(full.is_full() && !full.is_shut_down());
    assert_eq!(full.to_string(), "queue is full");
    assert_eq!(format!("{full:?}"), "Full(..)");
    assert_eq!(full.into_inner(), 1);
    let down = PutError::ShutDown("x");
    assert!(down.is_shut_down() && !down.is_full());
    assert_eq!(down.to_string(), "queue is shut down");
    assert_eq!(format!("{down:?}"), "ShutDown(..)");
    assert_eq!(down.into_inner(), "x");
}

#[test]
fn fifo_order_and_sizes() {
    let q = Queue::new(3);
    assert_eq!(q.maxsize(), 3);
    assert!(q.empty() && !q.full());
    for n in 1..=3 {
        q.put(n).unwrap();
        assert_eq!(q.qsize(), n);
    }
    assert!(q.full() && !q.empty());
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.get_nowait(), Ok(2));
    assert_eq!(q.get_timeout(SHORT), Ok(3));
    assert!(q.empty());
}

#[test]
fn lifo_and_priority_order() {
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    for n in [3, 1, 4, 1, 5, 9, 2, 6] {
        lifo.put(n).unwrap();
        prio.put(n).unwrap();
    }
    let lifo_out: Vec<_> = (0..8).map(|_| lifo.get().unwrap()).collect();
    let prio_out: Vec<_> = (0..8).map(|_| prio.get().unwrap()).collect();
    assert_eq!(lifo_out, [6, 2, 9, 5, 1, 4, 1, 3]);
    assert_eq!(prio_out, [1, 1, 2, 3, 4, 5, 6, 9]);
    assert_eq!(LifoQueue::<u8>::default().maxsize(), 0);
    assert_eq!(PriorityQueue::<u8>::default().maxsize(), 0);
}

#[test]
fn unbounded_is_never_full() {
    let q = Queue::default();
    for n in 0..10_000 {
        q.put_nowait(n).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 10_000);
}

#[test]
fn full_put_gives_the_item_back() {
    let q = Queue::new(1);
    q.put(String::from("kept")).unwrap();
    let start = Instant::now();
    let err = q.put_timeout(String::from("timed"), SHORT).unwrap_err();
    assert!(start.elapsed() >= SHORT);
    assert_eq!(err, PutError::Full(String::from("timed")));
    assert_eq!(
        q.put_nowait(String::from("now")),
        Err(PutError::Full(String::from("now")))
    );
    assert_eq!(q.get().unwrap(), "kept");
}

#[test]
fn empty_get_errors() {
    let q: Queue<u8> = Queue::new(0);
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
    let start = Instant::now();
    assert_eq!(q.get_timeout(SHORT), Err(GetError::Empty));
    assert!(start.elapsed() >= SHORT);
    assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
}

#[test]
fn blocked_get_wakes_on_put() {
    let q = Arc::new(Queue::new(0));
    let getter = {
        let q = Arc::clone(&q);
        thread::spawn(move || q.get_timeout(PATIENCE))
    };
    wait_until("the getter blocks", || q.waiting_getters() == 1);
    q.put(42).unwrap();
    assert_eq!(getter.join().unwrap(), Ok(42));
}

#[test]
fn blocked_put_wakes_on_get() {
    let q = Arc::new(Queue::new(1));
    q.put(1).unwrap();
    let putter = {
        let q = Arc::clone(&q);
        thread::spawn(move || q.put_timeout(2, PATIENCE))
    };
    wait_until("the putter blocks", || q.waiting_putters() == 1);
    assert_eq!(q.get(), Ok(1));
    assert_eq!(putter.join().unwrap(), Ok(()));
    assert_eq!(q.get(), Ok(2));
}

#[test]
fn blocked_put_takes_a_single_free_slot_of_a_large_queue() {
    // A full producer spins for more room than one slot before retrying;
    // one freed slot must still let it in, with nobody taking more.
    let q = Arc::new(Queue::new(64));
    for i in 0..64 {
        q.put(i).unwrap();
    }
    let putter = {
        let q = Arc::clone(&q);
        thread::spawn(move || q.put_timeout(64, PATIENCE))
    };
    wait_until("the putter blocks", || q.waiting_putters() == 1);
    assert_eq!(q.get(), Ok(0));
    assert_eq!(putter.join().unwrap(), Ok(()));
    assert!(q.full());
    let drained: Vec<i32> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
    assert_eq!(drained, (1..=64).collect::<Vec<_>>());
}

#[test]
fn task_done_and_join() {
    let q = Arc::new(Queue::new(0));
    assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
    assert!(
        q.join_timeout(Duration::ZERO),
        "nothing put: join returns at once"
    );
    q.join();
    for n in 0..3 {
        q.put(n).unwrap();
    }
    assert_eq!(q.unfinished_tasks(), 3);
    assert!(!q.join_timeout(SHORT));
    let joined = Arc::new(AtomicBool::new(false));
    let joiner = {
        let (q, joined) = (Arc::clone(&q), Arc::clone(&joined));
        thread::spawn(move || {
            q.join();
            joined.store(true, Ordering::SeqCst);
        })
    };
    for _ in 0..3 {
        q.get().unwrap();
    }
    q.task_done().unwrap();
    q.task_done().unwrap();
    wait_until("the joiner blocks", || q.waiting_joiners() == 1);
    assert!(
        !joined.load(Ordering::SeqCst),
        "join returned with a task unfinished"
    );
    q.task_done().unwrap();
    wait_until("join returns", || joined.load(Ordering::SeqCst));
    joiner.join().unwrap();
    assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
    assert_eq!(q.unfinished_tasks(), 0);
}

#[test]
fn shutdown_refuses_puts_and_drains_gets() {
    let q = Queue::new(0);
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert!(!q.is_shutdown());
    assert_eq!(q.shutdown(false), Vec::<i32>::new());
    assert!(q.is_shutdown());
    assert_eq!(q.put(3), Err(PutError::ShutDown(3)));
    assert_eq!(q.put_nowait(4), Err(PutError::ShutDown(4)));
    assert_eq!(q.put_timeout(5, SHORT), Err(PutError::ShutDown(5)));
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.get_timeout(SHORT), Ok(2));
    assert_eq!(q.get(), Err(GetError::ShutDown));
    assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
    assert_eq!(q.get_timeout(SHORT), Err(GetError::ShutDown));
    // A second shutdown is harmless.
    assert!(q.shutdown(true).is_empty());
}

#[test]
fn immediate_shutdown_returns_items_in_get_order() {
    let fifo = Queue::new(0);
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    for n in [2, 3, 1] {
        fifo.put(n).unwrap();
        lifo.put(n).unwrap();
        prio.put(n).unwrap();
    }
    assert_eq!(fifo.shutdown(true), [2, 3, 1]);
    assert_eq!(lifo.shutdown(true), [1, 3, 2]);
    assert_eq!(prio.shutdown(true), [1, 2, 3]);
    assert_eq!(fifo.get(), Err(GetError::ShutDown));
    assert!(fifo.empty());
}

#[test]
fn immediate_shutdown_counts_removed_items_as_done() {
    let q = Arc::new(Queue::new(0));
    for n in 0..4 {
        q.put(n).unwrap();
    }
    let taken = q.get().unwrap();
    assert_eq!(taken, 0);
    let joiner = {
        let q = Arc::clone(&q);
        thread::spawn(move || q.join_timeout(PATIENCE))
    };
    wait_until("the joiner blocks", || q.waiting_joiners() == 1);
    assert_eq!(q.shutdown(true), [1, 2, 3]);
    // One item taken and not done: join still waits for it, as in Python.
    assert_eq!(q.unfinished_tasks(), 1);
    q.task_done().unwrap();
    assert!(joiner.join().unwrap());
}

#[test]
fn shutdown_wakes_every_blocked_getter_and_putter() {
    let empty: Arc<Queue<u32>> = Arc::new(Queue::new(1));
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let q = Arc::clone(&empty);
            thread::spawn(move || q.get())
        })
        .collect();
    let full = Arc::new(Queue::new(1));
    full.put(0).unwrap();
    let putters: Vec<_> = (1..=3)
        .map(|n| {
            let q = Arc::clone(&full);
            thread::spawn(move || q.put(n))
        })
        .collect();
    wait_until("every getter and putter blocks", || {
        empty.waiting_getters() == 3 && full.waiting_putters() == 3
    });
    assert!(empty.shutdown(false).is_empty());
    let drained = full.shutdown(true);
    let deadline = Instant::now() + PATIENCE;
    for g in getters {
        while !g.is_finished() {
            assert!(Instant::now() < deadline, "a getter stayed blocked");
            thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(g.join().unwrap(), Err(GetError::ShutDown));
    }
    let mut returned: Vec<u32> = drained;
    for p in putters {
        while !p.is_finished() {
            assert!(Instant::now() < deadline, "a putter stayed blocked");
            thread::sleep(Duration::from_millis(2));
        }
        match p.join().unwrap() {
            Ok(()) => {}
            Err(e) => {
                assert!(e.is_shut_down());
                returned.push(e.into_inner());
            }
        }
    }
    // Nothing lost: every item came back through the drain or the error.
    while let Ok(n) = full.get_nowait() {
        returned.push(n);
    }
    returned.sort_unstable();
    assert_eq!(returned, [0, 1, 2, 3]);
}

#[test]
fn debug_text() {
    let q: Queue<u8> = Queue::new(2);
    q.put(1).unwrap();
    assert_eq!(
        format!("{q:?}"),
        "Queue { maxsize: 2, qsize: 1, shutdown: false }"
    );
    let q: PriorityQueue<u8> = PriorityQueue::new(0);
    assert!(q.shutdown(false).is_empty());
    assert_eq!(
        format!("{q:?}"),
        "PriorityQueue { maxsize: 0, qsize: 0, shutdown: true }"
    );
}
