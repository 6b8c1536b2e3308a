//! CPython's queue tests, ported to pythreading-sync's queues.
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0), `Lib/test/test_queue.py`, with
//! `Lib/queue.py` of the same version as the reference for behaviour.
//! CPython is distributed under the Python Software Foundation License
//! Version 2 (PSF-2.0); Copyright (c) 2001-2024 Python Software Foundation;
//! All Rights Reserved. This file is a Rust re-expression of those tests'
//! intent against `pythreading_sync::queue`; no Python code is included.
//!
//! `BaseQueueTestMixin` runs, as in CPython, once per queue type: in the
//! modules `queue_test` (`PyQueueTest`/`CQueueTest`), `lifo_queue_test`
//! (`PyLifoQueueTest`/`CLifoQueueTest`) and `priority_queue_test`
//! (`PyPriorityQueueTest`/`CPriorityQueueTest`); CPython's pure-Python and
//! C variants are one implementation here. The shared bodies are the
//! generic functions below, over the `PyQueue` trait. `BaseSimpleQueueTest`
//! runs in `simple_queue_test` against an unbounded `Queue`. Counting
//! Python test methods: 23 of `BaseQueueTestMixin`'s 24 ported (69 Rust
//! tests, one partly: `test_shrinking_queue`), 6 of `BaseSimpleQueueTest`'s
//! 7; left out: 1 of `BaseQueueTestMixin`, `FailingQueueTest` (1),
//! 1 of `BaseSimpleQueueTest` and `CSimpleQueueTest`'s own 2.
//!
//! ## Ported (Python → Rust), in each of the three queue modules
//!
//! Same names, except where an arrow says otherwise:
//! - `test_basic` (`basic_queue_test`, with `do_blocking_test`),
//!   `test_queue_task_done`, `test_queue_join` (`queue_join_test`,
//!   `worker`), `test_nowait`, `test_shrinking_queue` (partly, see below)
//! - `test_shutdown_empty`, `test_shutdown_nonempty`,
//!   `test_shutdown_immediate`, `test_shutdown_allowed_transitions`
//! - `test_shutdown_all_methods_in_one_thread`,
//!   `test_shutdown_immediate_all_methods_in_one_thread`
//!   (`_shutdown_all_methods_in_one_thread`)
//! - `test_shutdown_all_methods_in_many_threads`,
//!   `test_shutdown_immediate_all_methods_in_many_threads`
//!   (`_shutdown_all_methods_in_many_threads`, `_write_msg_thread`,
//!   `_read_msg_thread`, `_shutdown_thread`, `_join_thread`)
//! - `test_shutdown_get`, `test_shutdown_immediate_get` (`_shutdown_get`)
//! - `test_shutdown_put`, `test_shutdown_immediate_put` (`_shutdown_put`)
//! - `test_shutdown_join`, `test_shutdown_immediate_join` (`_shutdown_join`)
//! - `test_shutdown_put_join`, `test_shutdown_immediate_put_join`
//!   (`_shutdown_put_join`)
//! - `test_shutdown_get_task_done_join`, `test_shutdown_pending_get`
//!
//! `BaseSimpleQueueTest` → `simple_queue_test::{test_basic, test_order,
//! test_many_threads, test_many_threads_nonblock, test_many_threads_timeout,
//! test_references}` (with `feed`, `consume`, `consume_nonblock`,
//! `consume_timeout`, `run_threads`), on `Queue::new(0)`: there is no
//! `SimpleQueue`, and an unbounded FIFO `Queue` is what it stands for.
//!
//! ## Left out, and why
//!
//! - `test_negative_timeout_raises_exception` (both mixins): a timeout is a
//!   `Duration`, which cannot be negative; the `ValueError` has nothing to
//!   guard.
//! - `FailingQueueTest.test_failing_queue`: it subclasses `Queue` and makes
//!   the overridable `_put`/`_get` hooks raise. The queues here are not
//!   extensible that way (their storage is private and fixed per type), so
//!   there is no hook to fail.
//! - `CSimpleQueueTest.test_is_default`: which of the C and Python modules
//!   `queue.SimpleQueue` names.
//! - `CSimpleQueueTest.test_reentrancy`: `put()` called from `__del__`
//!   while the garbage collector interrupts another `put()`. Rust has no
//!   collector running destructors at arbitrary points, and the queue never
//!   drops an item while holding its lock (refused puts and immediate
//!   shutdowns hand the items back), so a `Drop` cannot re-enter it.
//!
//! ## Tweaks
//!
//! - Exceptions are `Result`s: `queue.Full` is `PutError::Full(item)`,
//!   `queue.ShutDown` from a put is `PutError::ShutDown(item)` (the tests
//!   check the item comes back), `queue.Empty` and `ShutDown` from a get are
//!   `GetError::Empty` and `GetError::ShutDown`, and the `ValueError` of
//!   `task_done` is `SyncError::TaskDoneTooManyTimes`. `q.join()` cannot
//!   raise `ShutDown` (it never does in `queue.py` either): `_join`'s
//!   `except` branch is gone.
//! - `shutdown(immediate=True)` returns the items it removes; every test
//!   that shuts down immediately asserts which items (in the order `get`
//!   would have given them), and every non-immediate shutdown that nothing
//!   comes back.
//! - No wait is unbounded. Python's blocking `put()`, `get()` and `join()`
//!   are `put_timeout`, `get_timeout` and `join_timeout` with `LONG`
//!   (30 s): running out of it means a hang and fails the test
//!   (`PyQueue::put_blocking` and friends). Python's explicit timeouts are
//!   kept (0.01 s, 10 s, 1 s, 0.1 s, 1e-3 s, 1e-5 s). Threads are joined
//!   within `LONG` too, else the test fails and leaves them detached;
//!   `threading.Event` and `threading.Barrier` are pythreading's, waited
//!   for with `LONG`.
//! - Nothing asserts that a call took at most some time. `do_blocking_test`
//!   keeps its check that the blocking call returned only after the
//!   trigger thread (which sleeps 0.1 s first) had started, and, added, that
//!   a blocking get returns the item the trigger put.
//! - Threads return their results instead of appending to shared lists;
//!   the assertions on those lists are unchanged (`_shutdown_get` compares
//!   sorted results as CPython does).
//! - Items: ints are `i64`; the `'empty'` string `basic_queue_test` puts is
//!   the int `EMPTY` (a queue holds one item type); the strings are
//!   `&'static str`. `assertIn(q.get(), "LO")` checks the exact get order.
//! - `test_shrinking_queue`: `maxsize` is fixed by `new` here, so the
//!   shrink (`q.maxsize = 2`, issue 10110) cannot be written; the part
//!   before it is ported.
//! - `_shutdown_all_methods_in_many_threads`: the readers' busy loop on
//!   `Empty` yields its time slice (with 13 threads on a 2-core machine,
//!   pure spinning starves the writers; the GIL does this job in CPython).
//!   Added: an accounting check that nothing is lost (items put = items got
//!   + items returned by the shutdown) and that `unfinished_tasks` ends at 0.
//! - `_shutdown_put` ignores its `immediate` argument in CPython (it always
//!   calls `q.shutdown()`); here the immediate variant does shut down
//!   immediately, so the two tests differ, and it checks the queued items
//!   come back.
//! - `_shutdown_join`: added, the `_get_task_done` thread's result (it gets
//!   the item left by a non-immediate shutdown).
//! - `test_shutdown_pending_get`: a 10 ms pause before the shutdown, so the
//!   get is usually already blocked (CPython leaves it to chance; either
//!   way the result must be `ShutDown`); the getter is joined within `LONG`
//!   instead of 10 s.
//! - `BaseSimpleQueueTest`: the sentinel `None` is `Option::None` (items
//!   are `Option<i64>`); `random.Random(42)` is a small seeded generator;
//!   the feeders share the input list and the generator behind mutexes, as
//!   CPython's threads share them under the GIL; `test_references` uses
//!   `Arc`/`Weak` where CPython uses `weakref` and `gc_collect()`.

use std::fmt::Debug;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use pythreading_sync::queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue};
use pythreading_sync::{Barrier, Event, SyncError};

/// How long a wait may last before the test calls it a hang.
const LONG: Duration = Duration::from_secs(30);

/// CPython's `QUEUE_SIZE`.
const QUEUE_SIZE: usize = 5;

/// The item standing for the string `'empty'` of `basic_queue_test`.
const EMPTY: i64 = -7;

/// The order a queue type gives its items back in.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Fifo,
    Lifo,
    Priority,
}

impl Kind {
    /// The order `get` returns `puts` in, put in that order.
    fn get_order<T: Ord + Clone>(self, puts: &[T]) -> Vec<T> {
        let mut items = puts.to_vec();
        match self {
            Kind::Fifo => {}
            Kind::Lifo => items.reverse(),
            Kind::Priority => items.sort(),
        }
        items
    }
}

/// What the tests use of a queue, so that one body runs for the three
/// types (CPython's `self.type2test`).
trait PyQueue<T>: Send + Sync + Sized + 'static {
    const KIND: Kind;
    fn new(maxsize: usize) -> Self;
    fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>>;
    fn put_nowait(&self, item: T) -> Result<(), PutError<T>>;
    fn get_timeout(&self, timeout: Duration) -> Result<T, GetError>;
    fn get_nowait(&self) -> Result<T, GetError>;
    fn qsize(&self) -> usize;
    fn empty(&self) -> bool;
    fn full(&self) -> bool;
    fn maxsize(&self) -> usize;
    fn task_done(&self) -> Result<(), SyncError>;
    fn join_timeout(&self, timeout: Duration) -> bool;
    fn unfinished_tasks(&self) -> usize;
    fn shutdown(&self, immediate: bool) -> Vec<T>;
    fn is_shutdown(&self) -> bool;

    /// Python's blocking `put(item)`: `Err` only for `ShutDown`; still
    /// full after `LONG` is a hang.
    fn put_blocking(&self, item: T) -> Result<(), PutError<T>> {
        match self.put_timeout(item, LONG) {
            Err(PutError::Full(_)) => panic!("put() still blocked after {LONG:?}"),
            other => other,
        }
    }

    /// Python's blocking `get()`: `Err` only for `ShutDown`; still empty
    /// after `LONG` is a hang.
    fn get_blocking(&self) -> Result<T, GetError> {
        match self.get_timeout(LONG) {
            Err(GetError::Empty) => panic!("get() still blocked after {LONG:?}"),
            other => other,
        }
    }

    /// Python's `join()`; still waiting after `LONG` is a hang.
    fn join_blocking(&self) {
        assert!(
            self.join_timeout(LONG),
            "join() still blocked after {LONG:?}"
        );
    }
}

macro_rules! py_queue {
    ($ty:ident, $kind:expr, $($bound:tt)*) => {
        impl<T: Send + 'static $($bound)*> PyQueue<T> for $ty<T> {
            const KIND: Kind = $kind;
            fn new(maxsize: usize) -> Self {
                $ty::new(maxsize)
            }
            fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
                $ty::put_timeout(self, item, timeout)
            }
            fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
                $ty::put_nowait(self, item)
            }
            fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
                $ty::get_timeout(self, timeout)
            }
            fn get_nowait(&self) -> Result<T, GetError> {
                $ty::get_nowait(self)
            }
            fn qsize(&self) -> usize {
                $ty::qsize(self)
            }
            fn empty(&self) -> bool {
                $ty::empty(self)
            }
            fn full(&self) -> bool {
                $ty::full(self)
            }
            fn maxsize(&self) -> usize {
                $ty::maxsize(self)
            }
            fn task_done(&self) -> Result<(), SyncError> {
                $ty::task_done(self)
            }
            fn join_timeout(&self, timeout: Duration) -> bool {
                $ty::join_timeout(self, timeout)
            }
            fn unfinished_tasks(&self) -> usize {
                $ty::unfinished_tasks(self)
            }
            fn shutdown(&self, immediate: bool) -> Vec<T> {
                $ty::shutdown(self, immediate)
            }
            fn is_shutdown(&self) -> bool {
                $ty::is_shutdown(self)
            }
        }
    };
}

py_queue!(Queue, Kind::Fifo,);
py_queue!(LifoQueue, Kind::Lifo,);
py_queue!(PriorityQueue, Kind::Priority, + Ord);

/// CPython's `qfull`.
fn qfull<T, Q: PyQueue<T>>(q: &Q) -> bool {
    q.maxsize() > 0 && q.qsize() == q.maxsize()
}

/// Asserts a put was refused as full and the item came back.
fn assert_full<T: PartialEq + Debug>(result: Result<(), PutError<T>>, item: T) {
    match result {
        Err(PutError::Full(back)) => assert_eq!(back, item),
        other => panic!("expected Full, got {other:?}"),
    }
}

/// Asserts a put was refused as shut down and the item came back.
fn assert_put_shut_down<T: PartialEq + Debug>(result: Result<(), PutError<T>>, item: T) {
    match result {
        Err(PutError::ShutDown(back)) => assert_eq!(back, item),
        other => panic!("expected ShutDown, got {other:?}"),
    }
}

/// A thread the test joins within a bound.
struct Spawned<R> {
    handle: JoinHandle<R>,
    /// Disconnected when the thread's function returned or panicked.
    done: mpsc::Receiver<()>,
}

fn spawn<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Spawned<R> {
    let (done_tx, done) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        let _done = done_tx;
        f()
    });
    Spawned { handle, done }
}

impl<R> Spawned<R> {
    /// Joins within `LONG`; a thread still running then fails the test (and
    /// is left detached); a thread's panic is the test's.
    fn join(self) -> R {
        match self.done.recv_timeout(LONG) {
            Err(RecvTimeoutError::Timeout) => panic!("a thread still runs after {LONG:?}"),
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {}
        }
        self.handle
            .join()
            .unwrap_or_else(|payload| resume_unwind(payload))
    }
}

fn join_all<R>(threads: Vec<Spawned<R>>) -> Vec<R> {
    threads.into_iter().map(Spawned::join).collect()
}

/// Waits for `event`; not set within `LONG` fails the test.
fn wait_event(event: &Event) {
    assert!(event.wait_timeout(LONG), "event not set within {LONG:?}");
}

/// CPython's `BlockingTestMixin.do_blocking_test` with `_TriggerThread`:
/// runs `block` here and `trigger` in a thread after 0.1 s, and checks
/// `block` returned only after the trigger started.
fn do_blocking_test<R>(block: impl FnOnce() -> R, trigger: impl FnOnce() + Send + 'static) -> R {
    let started = Arc::new(AtomicBool::new(false));
    let thread = {
        let started = Arc::clone(&started);
        spawn(move || {
            // Gives the blocking call the chance to block first.
            thread::sleep(Duration::from_millis(100));
            started.store(true, Ordering::SeqCst);
            trigger();
        })
    };
    let result = block();
    assert!(
        started.load(Ordering::SeqCst),
        "blocking function appeared not to block"
    );
    thread.join();
    result
}

// ---------------------------------------------------------------------------
// BaseQueueTestMixin

fn basic_queue_test<Q: PyQueue<i64>>(q: &Arc<Q>) {
    assert_eq!(q.qsize(), 0, "call this function with an empty queue");
    assert!(q.empty());
    assert!(!q.full());
    // I guess we better check things actually queue correctly a little :)
    for item in [111, 333, 222] {
        q.put_blocking(item).unwrap();
    }
    let actual_order: Vec<i64> = (0..3).map(|_| q.get_blocking().unwrap()).collect();
    assert_eq!(
        actual_order,
        Q::KIND.get_order(&[111, 333, 222]),
        "didn't seem to queue the correct data"
    );
    for i in 0..QUEUE_SIZE as i64 - 1 {
        q.put_blocking(i).unwrap();
        assert!(q.qsize() > 0, "queue should not be empty");
    }
    assert!(!qfull(&**q), "queue should not be full");
    let last = 2 * QUEUE_SIZE as i64;
    let full = 3 * 2 * QUEUE_SIZE as i64;
    q.put_blocking(last).unwrap();
    assert!(qfull(&**q), "queue should be full");
    assert!(!q.empty());
    assert!(q.full());
    assert_full(q.put_nowait(full), full);
    assert_full(q.put_timeout(full, Duration::from_millis(10)), full);
    // Test a blocking put.
    let trigger = |q: &Arc<Q>| {
        let q = Arc::clone(q);
        move || {
            q.get_blocking().unwrap();
        }
    };
    do_blocking_test(|| q.put_blocking(full), trigger(q)).unwrap();
    do_blocking_test(|| q.put_timeout(full, Duration::from_secs(10)), trigger(q)).unwrap();
    // Empty it.
    for _ in 0..QUEUE_SIZE {
        q.get_blocking().unwrap();
    }
    assert_eq!(q.qsize(), 0, "queue should be empty");
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
    assert_eq!(
        q.get_timeout(Duration::from_millis(10)),
        Err(GetError::Empty)
    );
    // Test a blocking get.
    let trigger = |q: &Arc<Q>| {
        let q = Arc::clone(q);
        move || q.put_blocking(EMPTY).unwrap()
    };
    assert_eq!(do_blocking_test(|| q.get_blocking(), trigger(q)), Ok(EMPTY));
    assert_eq!(
        do_blocking_test(|| q.get_timeout(Duration::from_secs(10)), trigger(q)),
        Ok(EMPTY)
    );
}

fn test_basic<Q: PyQueue<i64>>() {
    // Done twice to make sure it works with the same instance reused.
    let q = Arc::new(Q::new(QUEUE_SIZE));
    basic_queue_test(&q);
    basic_queue_test(&q);
}

/// CPython's `worker`: adds up the items until a negative one.
fn worker<Q: PyQueue<i64>>(q: &Q, cum: &Mutex<i64>) {
    loop {
        let x = q.get_blocking().unwrap();
        if x < 0 {
            q.task_done().unwrap();
            return;
        }
        *cum.lock().unwrap() += x;
        q.task_done().unwrap();
    }
}

fn queue_join_test<Q: PyQueue<i64>>(q: &Arc<Q>) {
    let cum = Arc::new(Mutex::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (q, cum) = (Arc::clone(q), Arc::clone(&cum));
            spawn(move || worker(&*q, &cum))
        })
        .collect();
    for i in 0..100 {
        q.put_blocking(i).unwrap();
    }
    q.join_blocking();
    assert_eq!(
        *cum.lock().unwrap(),
        (0..100).sum::<i64>(),
        "q.join() did not block until all tasks were done"
    );
    for _ in 0..2 {
        q.put_blocking(-1).unwrap(); // instruct the threads to close
    }
    q.join_blocking(); // verify that you can join twice
    join_all(threads);
}

fn test_queue_task_done<Q: PyQueue<i64>>() {
    let q = Q::new(0);
    assert_eq!(
        q.task_done(),
        Err(SyncError::TaskDoneTooManyTimes),
        "did not detect task count going negative"
    );
}

fn test_queue_join<Q: PyQueue<i64>>() {
    // Test that a queue join()s successfully, and before anything else
    // (done twice for insurance).
    let q = Arc::new(Q::new(0));
    queue_join_test(&q);
    queue_join_test(&q);
    assert_eq!(
        q.task_done(),
        Err(SyncError::TaskDoneTooManyTimes),
        "did not detect task count going negative"
    );
}

fn test_nowait<Q: PyQueue<i64>>() {
    let q = Q::new(QUEUE_SIZE);
    for _ in 0..QUEUE_SIZE {
        q.put_nowait(1).unwrap();
    }
    assert_full(q.put_nowait(1), 1);
    for _ in 0..QUEUE_SIZE {
        q.get_nowait().unwrap();
    }
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
}

fn test_shrinking_queue<Q: PyQueue<i64>>() {
    // issue 10110; the shrink itself (`q.maxsize = 2`) is not expressible.
    let q = Q::new(3);
    for item in 1..=3 {
        q.put_blocking(item).unwrap();
    }
    assert_full(q.put_nowait(4), 4);
    assert_eq!(q.qsize(), 3);
}

fn test_shutdown_empty<Q: PyQueue<&'static str>>() {
    let q = Q::new(0);
    assert!(q.shutdown(false).is_empty());
    assert_put_shut_down(q.put_blocking("data"), "data");
    assert_eq!(q.get_blocking(), Err(GetError::ShutDown));
}

fn test_shutdown_nonempty<Q: PyQueue<&'static str>>() {
    let q = Q::new(0);
    q.put_blocking("data").unwrap();
    assert!(q.shutdown(false).is_empty());
    assert_eq!(q.get_blocking(), Ok("data"));
    assert_eq!(q.get_blocking(), Err(GetError::ShutDown));
}

fn test_shutdown_immediate<Q: PyQueue<&'static str>>() {
    let q = Q::new(0);
    q.put_blocking("data").unwrap();
    assert_eq!(q.shutdown(true), ["data"]);
    assert_eq!(q.get_blocking(), Err(GetError::ShutDown));
}

fn test_shutdown_allowed_transitions<Q: PyQueue<&'static str>>() {
    // Allowed transitions would be from alive via shutdown to immediate.
    let q = Q::new(0);
    assert!(!q.is_shutdown());

    assert!(q.shutdown(false).is_empty());
    assert!(q.is_shutdown());

    assert!(q.shutdown(true).is_empty());
    assert!(q.is_shutdown());

    assert!(q.shutdown(false).is_empty());
}

fn shutdown_all_methods_in_one_thread<Q: PyQueue<&'static str>>(immediate: bool) {
    let q = Q::new(2);
    q.put_blocking("L").unwrap();
    q.put_nowait("O").unwrap();
    let drained = q.shutdown(immediate);

    assert_put_shut_down(q.put_blocking("E"), "E");
    assert_put_shut_down(q.put_nowait("W"), "W");
    if immediate {
        assert_eq!(drained, Q::KIND.get_order(&["L", "O"]));
        assert_eq!(q.get_blocking(), Err(GetError::ShutDown));
        assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
        assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
        q.join_blocking();
    } else {
        assert!(drained.is_empty());
        let expected = Q::KIND.get_order(&["L", "O"]);
        assert_eq!(q.get_blocking(), Ok(expected[0]));
        q.task_done().unwrap();
        assert_eq!(q.get_blocking(), Ok(expected[1]));
        q.task_done().unwrap();
        q.join_blocking();
        // On shutdown(immediate=False), an empty queue says ShutDown.
        assert_eq!(q.get_blocking(), Err(GetError::ShutDown));
        assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
        assert_eq!(
            q.get_timeout(Duration::from_secs(1)),
            Err(GetError::ShutDown)
        );
    }
}

fn test_shutdown_all_methods_in_one_thread<Q: PyQueue<&'static str>>() {
    shutdown_all_methods_in_one_thread::<Q>(false);
}

fn test_shutdown_immediate_all_methods_in_one_thread<Q: PyQueue<&'static str>>() {
    shutdown_all_methods_in_one_thread::<Q>(true);
}

type Msg = (usize, &'static str);

/// What a writer of `shutdown_all_methods_in_many_threads` reports.
struct Written {
    /// CPython's `results` entries: `true` when this writer triggered the
    /// shutdown, `false` when its put met the shutdown.
    results: Vec<bool>,
    /// Items this writer put successfully (added: the accounting check).
    puts: usize,
}

/// CPython's `_write_msg_thread`.
fn write_msg_thread<Q: PyQueue<Msg>>(
    q: &Q,
    n: usize,
    i_when_exec_shutdown: usize,
    event_shutdown: &Event,
    barrier_start: &Barrier,
) -> Written {
    let mut written = Written {
        results: Vec::new(),
        puts: 0,
    };
    // All writers put several items into the queue.
    for i in 0..i_when_exec_shutdown / 2 {
        q.put_blocking((i, "LOYD")).unwrap();
        written.puts += 1;
    }
    // Wait for the barrier to be complete.
    barrier_start.wait_timeout(LONG).expect("barrier_start");

    for i in i_when_exec_shutdown / 2..n {
        match q.put_blocking((i, "YDLO")) {
            Ok(()) => written.puts += 1,
            Err(e) => {
                assert_eq!(e.into_inner(), (i, "YDLO"));
                written.results.push(false);
                break;
            }
        }
        // Trigger queue shutdown.
        if i == i_when_exec_shutdown {
            // Only one thread should call shutdown().
            if !event_shutdown.is_set() {
                event_shutdown.set();
                written.results.push(true);
            }
        }
    }
    written
}

/// CPython's `_read_msg_thread`: `true` when it met the shutdown, and the
/// number of items it got (added).
fn read_msg_thread<Q: PyQueue<Msg>>(q: &Q, barrier_start: &Barrier) -> (bool, usize) {
    // Get at least one item.
    q.get_blocking().unwrap();
    q.task_done().unwrap();
    let mut gets = 1;
    // Wait for the barrier to be complete.
    barrier_start.wait_timeout(LONG).expect("barrier_start");
    loop {
        match q.get_nowait() {
            Ok(_) => {
                gets += 1;
                q.task_done().unwrap();
            }
            Err(GetError::ShutDown) => return (true, gets),
            Err(GetError::Empty) => thread::yield_now(),
            Err(GetError::Cancelled) => unreachable!("get_nowait never waits"),
        }
    }
}

/// CPython's `_shutdown_thread`: whether the queue was empty right after
/// the shutdown, and how many items the shutdown returned (added).
fn shutdown_thread<Q: PyQueue<Msg>>(q: &Q, event_end: &Event, immediate: bool) -> (bool, usize) {
    wait_event(event_end);
    let drained = q.shutdown(immediate);
    (q.qsize() == 0, drained.len())
}

fn shutdown_all_methods_in_many_threads<Q: PyQueue<Msg>>(immediate: bool) {
    // A multi-producer/consumer use case, with enough items in the queue.
    let q = Arc::new(Q::new(0));
    let write_threads = 4;
    let read_threads = 6;
    let join_threads = 2;
    let nb_msgs = 1024 * 64;
    let nb_msgs_w = nb_msgs / write_threads;
    let when_exec_shutdown = nb_msgs_w / 2;
    // The barrier makes sure every writer put its first items and every
    // reader got at least one and keeps running until the shutdown. The
    // joiners run only for an immediate shutdown.
    let mut nparties = write_threads + read_threads;
    if immediate {
        nparties += join_threads;
    }
    let barrier_start = Arc::new(Barrier::new(nparties).unwrap());
    let ev_exec_shutdown = Arc::new(Event::new());

    let writers: Vec<_> = (0..write_threads)
        .map(|_| {
            let (q, ev, barrier) = (
                Arc::clone(&q),
                Arc::clone(&ev_exec_shutdown),
                Arc::clone(&barrier_start),
            );
            spawn(move || write_msg_thread(&*q, nb_msgs_w, when_exec_shutdown, &ev, &barrier))
        })
        .collect();
    let readers: Vec<_> = (0..read_threads)
        .map(|_| {
            let (q, barrier) = (Arc::clone(&q), Arc::clone(&barrier_start));
            spawn(move || read_msg_thread(&*q, &barrier))
        })
        .collect();
    let shutter = {
        let (q, ev) = (Arc::clone(&q), Arc::clone(&ev_exec_shutdown));
        spawn(move || shutdown_thread(&*q, &ev, immediate))
    };
    let joiners: Vec<_> = if immediate {
        (0..join_threads)
            .map(|_| {
                let (q, barrier) = (Arc::clone(&q), Arc::clone(&barrier_start));
                spawn(move || {
                    barrier.wait_timeout(LONG).expect("barrier_start");
                    q.join_blocking();
                })
            })
            .collect()
    } else {
        Vec::new()
    };

    let written = join_all(writers);
    let read = join_all(readers);
    let (res_shutdown, drained) = shutter.join();
    join_all(joiners);

    assert!(written.iter().any(|w| w.results.contains(&true)));
    assert_eq!(
        read.iter().filter(|(shut_down, _)| *shut_down).count(),
        read_threads
    );
    if immediate {
        assert!(res_shutdown);
        assert!(q.empty());
    } else {
        assert_eq!(drained, 0);
    }
    // Nothing lost, every item done.
    let puts: usize = written.iter().map(|w| w.puts).sum();
    let gets: usize = read.iter().map(|(_, gets)| gets).sum();
    assert_eq!(puts, gets + drained);
    assert_eq!(q.unfinished_tasks(), 0);
}

fn test_shutdown_all_methods_in_many_threads<Q: PyQueue<Msg>>() {
    shutdown_all_methods_in_many_threads::<Q>(false);
}

fn test_shutdown_immediate_all_methods_in_many_threads<Q: PyQueue<Msg>>() {
    shutdown_all_methods_in_many_threads::<Q>(true);
}

/// CPython's `_get` (`shutdown` false) and `_get_shutdown` (true): whether
/// the get ended as expected.
fn get_thread<Q: PyQueue<&'static str>>(
    q: Arc<Q>,
    go: Arc<Event>,
    shutdown: bool,
) -> Spawned<bool> {
    spawn(move || {
        wait_event(&go);
        match q.get_blocking() {
            Ok(_) => !shutdown,
            Err(_) => shutdown,
        }
    })
}

/// CPython's `_get_task_done`: `true` if it got an item (and marked it
/// done), `false` on `ShutDown`.
fn get_task_done_thread<Q: PyQueue<&'static str>>(q: Arc<Q>, go: Arc<Event>) -> Spawned<bool> {
    spawn(move || {
        wait_event(&go);
        match q.get_blocking() {
            Ok(_) => {
                q.task_done().unwrap();
                true
            }
            Err(_) => false,
        }
    })
}

/// CPython's `_put_shutdown`: whether the put met the shutdown (with its
/// item handed back).
fn put_shutdown_thread<Q: PyQueue<&'static str>>(
    q: Arc<Q>,
    msg: &'static str,
    go: Arc<Event>,
) -> Spawned<bool> {
    spawn(move || {
        wait_event(&go);
        match q.put_blocking(msg) {
            Ok(()) => false,
            Err(e) => e.is_shut_down() && e.into_inner() == msg,
        }
    })
}

/// CPython's `_join`: `true` once `join` returned.
fn join_thread<Q: PyQueue<&'static str>>(q: Arc<Q>) -> Spawned<bool> {
    spawn(move || {
        q.join_blocking();
        true
    })
}

fn shutdown_get<Q: PyQueue<&'static str>>(immediate: bool) {
    let q = Arc::new(Q::new(2));
    let go = Arc::new(Event::new());
    q.put_blocking("Y").unwrap();
    q.put_blocking("D").unwrap();
    // The queue is full.

    let threads: Vec<_> = if immediate {
        (0..2)
            .map(|_| get_thread(Arc::clone(&q), Arc::clone(&go), true))
            .collect()
    } else {
        // On shutdown(immediate=False), one of these gets ShutDown.
        (0..3)
            .map(|_| get_thread(Arc::clone(&q), Arc::clone(&go), false))
            .collect()
    };
    let n = threads.len();
    let drained = q.shutdown(immediate);
    go.set();
    let mut results = join_all(threads);
    if immediate {
        assert_eq!(drained, Q::KIND.get_order(&["Y", "D"]));
        assert_eq!(results, [true, true]);
    } else {
        assert!(drained.is_empty());
        results.sort();
        let mut expected = vec![false];
        expected.extend(vec![true; n - 1]);
        assert_eq!(results, expected);
    }
}

fn test_shutdown_get<Q: PyQueue<&'static str>>() {
    shutdown_get::<Q>(false);
}

fn test_shutdown_immediate_get<Q: PyQueue<&'static str>>() {
    shutdown_get::<Q>(true);
}

fn shutdown_put<Q: PyQueue<&'static str>>(immediate: bool) {
    let q = Arc::new(Q::new(2));
    let go = Arc::new(Event::new());
    q.put_blocking("Y").unwrap();
    q.put_blocking("D").unwrap();
    // The queue is full.

    let threads = vec![
        put_shutdown_thread(Arc::clone(&q), "E", Arc::clone(&go)),
        put_shutdown_thread(Arc::clone(&q), "W", Arc::clone(&go)),
    ];
    let drained = q.shutdown(immediate);
    go.set();
    let results = join_all(threads);

    assert_eq!(results, [true, true]);
    if immediate {
        assert_eq!(drained, Q::KIND.get_order(&["Y", "D"]));
    } else {
        assert!(drained.is_empty());
    }
}

fn test_shutdown_put<Q: PyQueue<&'static str>>() {
    shutdown_put::<Q>(false);
}

fn test_shutdown_immediate_put<Q: PyQueue<&'static str>>() {
    shutdown_put::<Q>(true);
}

fn shutdown_join<Q: PyQueue<&'static str>>(immediate: bool) {
    let q = Arc::new(Q::new(0));
    q.put_blocking("Y").unwrap();
    let go = Arc::new(Event::new());
    let nb = q.qsize();

    let threads = vec![join_thread(Arc::clone(&q)), join_thread(Arc::clone(&q))];
    let getters: Vec<_> = if immediate {
        Vec::new()
    } else {
        (0..nb)
            .map(|_| get_task_done_thread(Arc::clone(&q), Arc::clone(&go)))
            .collect()
    };
    let drained = q.shutdown(immediate);
    go.set();
    let results = join_all(threads);
    let res = join_all(getters);

    assert_eq!(results, [true, true]);
    if immediate {
        assert_eq!(drained, ["Y"]);
    } else {
        assert!(drained.is_empty());
        assert_eq!(res, [true]);
    }
}

fn test_shutdown_immediate_join<Q: PyQueue<&'static str>>() {
    shutdown_join::<Q>(true);
}

fn test_shutdown_join<Q: PyQueue<&'static str>>() {
    shutdown_join::<Q>(false);
}

fn shutdown_put_join<Q: PyQueue<&'static str>>(immediate: bool) {
    let q = Arc::new(Q::new(2));
    let go = Arc::new(Event::new());
    q.put_blocking("Y").unwrap();
    // The queue is not full.

    let threads = vec![
        put_shutdown_thread(Arc::clone(&q), "E", Arc::clone(&go)),
        join_thread(Arc::clone(&q)),
    ];
    assert_eq!(q.unfinished_tasks(), 1);

    let drained = q.shutdown(immediate);
    go.set();

    if immediate {
        assert_eq!(drained, ["Y"]);
        assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
    } else {
        assert!(drained.is_empty());
        assert_eq!(q.get_blocking(), Ok("Y"));
        q.task_done().unwrap();
    }

    let results = join_all(threads);
    assert_eq!(results, [true, true]);
}

fn test_shutdown_immediate_put_join<Q: PyQueue<&'static str>>() {
    shutdown_put_join::<Q>(true);
}

fn test_shutdown_put_join<Q: PyQueue<&'static str>>() {
    shutdown_put_join::<Q>(false);
}

fn test_shutdown_get_task_done_join<Q: PyQueue<&'static str>>() {
    let q = Arc::new(Q::new(2));
    let go = Arc::new(Event::new());
    q.put_blocking("Y").unwrap();
    q.put_blocking("D").unwrap();
    assert_eq!(q.unfinished_tasks(), q.qsize());

    let threads = vec![
        get_task_done_thread(Arc::clone(&q), Arc::clone(&go)),
        get_task_done_thread(Arc::clone(&q), Arc::clone(&go)),
        join_thread(Arc::clone(&q)),
        join_thread(Arc::clone(&q)),
    ];
    go.set();
    assert!(q.shutdown(false).is_empty());
    let results = join_all(threads);

    assert_eq!(results, [true; 4]);
}

fn test_shutdown_pending_get<Q: PyQueue<&'static str>>() {
    let q = Arc::new(Q::new(0));
    let get_thread = {
        let q = Arc::clone(&q);
        spawn(move || q.get_blocking())
    };
    // Usually lets the get block before the shutdown.
    thread::sleep(Duration::from_millis(10));
    assert!(q.shutdown(false).is_empty());
    assert_eq!(get_thread.join(), Err(GetError::ShutDown));
}

/// `BaseQueueTestMixin`'s tests for one queue type.
macro_rules! base_queue_tests {
    ($module:ident, $ty:ident) => {
        mod $module {
            type Q<T> = pythreading_sync::queue::$ty<T>;
            type Msg = super::Msg;

            #[test]
            fn test_basic() {
                super::test_basic::<Q<i64>>();
            }
            #[test]
            fn test_queue_task_done() {
                super::test_queue_task_done::<Q<i64>>();
            }
            #[test]
            fn test_queue_join() {
                super::test_queue_join::<Q<i64>>();
            }
            #[test]
            fn test_nowait() {
                super::test_nowait::<Q<i64>>();
            }
            #[test]
            fn test_shrinking_queue() {
                super::test_shrinking_queue::<Q<i64>>();
            }
            #[test]
            fn test_shutdown_empty() {
                super::test_shutdown_empty::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_nonempty() {
                super::test_shutdown_nonempty::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_immediate() {
                super::test_shutdown_immediate::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_allowed_transitions() {
                super::test_shutdown_allowed_transitions::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_all_methods_in_one_thread() {
                super::test_shutdown_all_methods_in_one_thread::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_immediate_all_methods_in_one_thread() {
                super::test_shutdown_immediate_all_methods_in_one_thread::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_all_methods_in_many_threads() {
                super::test_shutdown_all_methods_in_many_threads::<Q<Msg>>();
            }
            #[test]
            fn test_shutdown_immediate_all_methods_in_many_threads() {
                super::test_shutdown_immediate_all_methods_in_many_threads::<Q<Msg>>();
            }
            #[test]
            fn test_shutdown_get() {
                super::test_shutdown_get::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_immediate_get() {
                super::test_shutdown_immediate_get::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_put() {
                super::test_shutdown_put::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_immediate_put() {
                super::test_shutdown_immediate_put::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_immediate_join() {
                super::test_shutdown_immediate_join::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_join() {
                super::test_shutdown_join::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_immediate_put_join() {
                super::test_shutdown_immediate_put_join::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_put_join() {
                super::test_shutdown_put_join::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_get_task_done_join() {
                super::test_shutdown_get_task_done_join::<Q<&'static str>>();
            }
            #[test]
            fn test_shutdown_pending_get() {
                super::test_shutdown_pending_get::<Q<&'static str>>();
            }
        }
    };
}

base_queue_tests!(queue_test, Queue);
base_queue_tests!(lifo_queue_test, LifoQueue);
base_queue_tests!(priority_queue_test, PriorityQueue);

// ---------------------------------------------------------------------------
// BaseSimpleQueueTest, on an unbounded Queue

mod simple_queue_test {
    use super::*;

    /// `random.Random(42)` of CPython's `run_threads`: a seeded generator
    /// (splitmix64), shared by the feeders.
    struct Rng(u64);

    impl Rng {
        /// A float in [0, 1), as `random.random()`.
        fn random(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    type Item = Option<i64>;
    type Q = Queue<Item>;

    /// The sentinel: `None`, as in CPython.
    const SENTINEL: Item = None;

    fn feed(q: &Q, seq: &Mutex<Vec<i64>>, rnd: &Mutex<Rng>) {
        loop {
            let val = seq.lock().unwrap().pop();
            let Some(val) = val else {
                q.put_blocking(SENTINEL).unwrap();
                return;
            };
            q.put_blocking(Some(val)).unwrap();
            let pause = {
                let mut rnd = rnd.lock().unwrap();
                (rnd.random() > 0.5).then(|| rnd.random() * 1e-3)
            };
            if let Some(seconds) = pause {
                thread::sleep(Duration::from_secs_f64(seconds));
            }
        }
    }

    fn consume(q: &Q, results: &Mutex<Vec<i64>>) {
        while let Some(val) = q.get_blocking().unwrap() {
            results.lock().unwrap().push(val);
        }
    }

    fn consume_nonblock(q: &Q, results: &Mutex<Vec<i64>>) {
        loop {
            let val = loop {
                match q.get_nowait() {
                    Ok(val) => break val,
                    Err(GetError::Empty) => thread::sleep(Duration::from_micros(10)),
                    Err(e) => panic!("get_nowait: {e}"),
                }
            };
            let Some(val) = val else { return };
            results.lock().unwrap().push(val);
        }
    }

    fn consume_timeout(q: &Q, results: &Mutex<Vec<i64>>) {
        loop {
            let val = loop {
                match q.get_timeout(Duration::from_micros(10)) {
                    Ok(val) => break val,
                    Err(GetError::Empty) => {}
                    Err(e) => panic!("get_timeout: {e}"),
                }
            };
            let Some(val) = val else { return };
            results.lock().unwrap().push(val);
        }
    }

    type Consume = fn(&Q, &Mutex<Vec<i64>>);

    /// CPython's `run_threads` with `feed`: `n_threads` feeders and as many
    /// consumers; a thread's panic fails the test (CPython's `exceptions`).
    fn run_threads(n_threads: usize, q: &Arc<Q>, inputs: &[i64], consume: Consume) -> Vec<i64> {
        let results = Arc::new(Mutex::new(Vec::new()));
        let mut seq = inputs.to_vec();
        seq.reverse();
        let seq = Arc::new(Mutex::new(seq));
        let rnd = Arc::new(Mutex::new(Rng(42)));

        let feeders: Vec<_> = (0..n_threads)
            .map(|_| {
                let (q, seq, rnd) = (Arc::clone(q), Arc::clone(&seq), Arc::clone(&rnd));
                spawn(move || feed(&q, &seq, &rnd))
            })
            .collect();
        let consumers: Vec<_> = (0..n_threads)
            .map(|_| {
                let (q, results) = (Arc::clone(q), Arc::clone(&results));
                spawn(move || consume(&q, &results))
            })
            .collect();
        join_all(feeders);
        join_all(consumers);

        assert!(q.empty());
        assert_eq!(q.qsize(), 0);
        // Every thread was joined: the results are ours alone.
        Arc::into_inner(results)
            .expect("no thread holds the results")
            .into_inner()
            .unwrap()
    }

    #[test]
    fn test_basic() {
        // Basic tests for get(), put() etc.
        let q = Q::new(0);
        assert!(q.empty());
        assert_eq!(q.qsize(), 0);
        q.put_blocking(Some(1)).unwrap();
        assert!(!q.empty());
        assert_eq!(q.qsize(), 1);
        q.put_blocking(Some(2)).unwrap();
        q.put_nowait(Some(3)).unwrap();
        q.put_blocking(Some(4)).unwrap();
        assert!(!q.empty());
        assert_eq!(q.qsize(), 4);

        assert_eq!(q.get_blocking(), Ok(Some(1)));
        assert_eq!(q.qsize(), 3);

        assert_eq!(q.get_nowait(), Ok(Some(2)));
        assert_eq!(q.qsize(), 2);

        // get(block=False)
        assert_eq!(q.get_nowait(), Ok(Some(3)));
        assert!(!q.empty());
        assert_eq!(q.qsize(), 1);

        assert_eq!(q.get_timeout(Duration::from_millis(100)), Ok(Some(4)));
        assert!(q.empty());
        assert_eq!(q.qsize(), 0);

        // get(block=False), get(timeout=1e-3), get_nowait()
        assert_eq!(q.get_nowait(), Err(GetError::Empty));
        assert_eq!(
            q.get_timeout(Duration::from_millis(1)),
            Err(GetError::Empty)
        );
        assert_eq!(q.get_nowait(), Err(GetError::Empty));
        assert!(q.empty());
        assert_eq!(q.qsize(), 0);
    }

    #[test]
    fn test_order() {
        // A pair of concurrent put() and get().
        let q = Arc::new(Q::new(0));
        let inputs: Vec<i64> = (0..100).collect();
        let results = run_threads(1, &q, &inputs, consume);
        // One producer, one consumer: results appended in a defined order.
        assert_eq!(results, inputs);
    }

    #[test]
    fn test_many_threads() {
        // Multiple concurrent put() and get().
        let q = Arc::new(Q::new(0));
        let inputs: Vec<i64> = (0..10_000).collect();
        let mut results = run_threads(50, &q, &inputs, consume);
        // Multiple consumers without synchronization append the results
        // in random order.
        results.sort_unstable();
        assert_eq!(results, inputs);
    }

    #[test]
    fn test_many_threads_nonblock() {
        // Multiple concurrent put() and get(block=False).
        let q = Arc::new(Q::new(0));
        let inputs: Vec<i64> = (0..10_000).collect();
        let mut results = run_threads(50, &q, &inputs, consume_nonblock);
        results.sort_unstable();
        assert_eq!(results, inputs);
    }

    #[test]
    fn test_many_threads_timeout() {
        // Multiple concurrent put() and get(timeout=...).
        let q = Arc::new(Q::new(0));
        let inputs: Vec<i64> = (0..1000).collect();
        let mut results = run_threads(50, &q, &inputs, consume_timeout);
        results.sort_unstable();
        assert_eq!(results, inputs);
    }

    #[test]
    fn test_references() {
        // The queue should lose references to each item as soon as it
        // leaves the queue.
        struct C;
        let n = 20;
        let q: Queue<Arc<C>> = Queue::new(0);
        for _ in 0..n {
            q.put_blocking(Arc::new(C)).unwrap();
        }
        for _ in 0..n {
            let wr: Weak<C> = Arc::downgrade(&q.get_blocking().unwrap());
            assert!(wr.upgrade().is_none());
        }
    }
}
