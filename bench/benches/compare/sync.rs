//! `Lock`, `RLock`, `Queue`, `Semaphore`, `Barrier` and `Thread` next to
//! parking_lot, crossbeam-channel and std.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use pythreading::queue::Queue;
use pythreading::{Barrier, Lock, RLock, Semaphore, Thread};

use crate::harness::{Contender, Suite, run_split, time_n};

/// A workload of this module: its id and what runs it.
type Workload = (&'static str, fn(&mut Suite));

/// Runs every workload of this module the suite wants.
pub(crate) fn run(suite: &mut Suite) {
    let workloads: [Workload; 9] = [
        ("lock_uncontended", |s| lock(s, "lock_uncontended", 1)),
        ("lock_contended", |s| lock(s, "lock_contended", 2)),
        ("rlock_uncontended", |s| rlock(s, "rlock_uncontended", 1)),
        ("rlock_contended", |s| rlock(s, "rlock_contended", 2)),
        ("queue_bounded", |s| queue(s, "queue_bounded", 1024)),
        ("queue_unbounded", |s| queue(s, "queue_unbounded", 0)),
        ("semaphore", semaphore),
        ("barrier", barrier),
        ("thread_start_join", thread_start_join),
    ];
    for (id, workload) in workloads {
        if suite.wants(id) {
            workload(suite);
        }
    }
}

// ------------------------------------------------------------ locks

/// A contender adding one to a counter under its lock, `ops` times per
/// round, on `threads` threads (1: uncontended; 2: contended, wall time per
/// increment). Every contender guards the same plain load and store, not a
/// `fetch_add`: only the lock makes the increment atomic, and the final
/// count is checked, so a lock that failed to exclude would fail the run
/// rather than win it.
fn increments<'a, G>(
    id: &'static str,
    label: &'static str,
    ops: u64,
    threads: u64,
    hold: impl Fn() -> G + Sync + 'a,
) -> Contender<'a> {
    Contender::new(id, label, ops, move |n| {
        let counter = AtomicU64::new(0);
        let increment = || {
            let _held = hold();
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        };
        let elapsed = if threads == 1 {
            time_n(n, increment)
        } else {
            run_split(threads, n, &increment)
        };
        assert_eq!(counter.load(Ordering::Relaxed), n, "an update was lost");
        elapsed
    })
}

/// `Lock` next to `parking_lot::Mutex` and `std::sync::Mutex`, on 1 or 2
/// threads.
fn lock(suite: &mut Suite, workload: &str, threads: u64) {
    let ops = match threads {
        1 => suite.size.pick(2_000_000, 1_000_000, 1_000),
        _ => suite.size.pick(400_000, 200_000, 1_000),
    };
    let rounds = suite.rounds(if threads == 1 { 20 } else { 15 });
    let ours = Lock::new();
    let pl = parking_lot::Mutex::new(());
    let std_mutex = Mutex::new(());
    suite.interleaved(
        workload,
        rounds,
        vec![
            increments("pythreading", "Lock", ops, threads, || ours.guard()),
            increments("parking_lot", "parking_lot::Mutex", ops, threads, || {
                black_box(&pl).lock()
            }),
            increments("std", "std::sync::Mutex", ops, threads, || {
                black_box(&std_mutex).lock().expect("not poisoned")
            }),
        ],
    );
}

/// `RLock` next to `parking_lot::ReentrantMutex`, on 1 or 2 threads.
fn rlock(suite: &mut Suite, workload: &str, threads: u64) {
    let ops = match threads {
        1 => suite.size.pick(2_000_000, 1_000_000, 1_000),
        _ => suite.size.pick(400_000, 200_000, 1_000),
    };
    let rounds = suite.rounds(if threads == 1 { 20 } else { 15 });
    let ours = RLock::new();
    let pl = parking_lot::ReentrantMutex::new(());
    suite.interleaved(
        workload,
        rounds,
        vec![
            increments("pythreading", "RLock", ops, threads, || ours.guard()),
            increments(
                "parking_lot",
                "parking_lot::ReentrantMutex",
                ops,
                threads,
                || black_box(&pl).lock(),
            ),
        ],
    );
}

// ------------------------------------------------------------ queues

/// One producer (this thread) and one consumer thread; the time runs from
/// the first put to the consumer's last get. `capacity` 0 is unbounded.
fn queue(suite: &mut Suite, workload: &str, capacity: usize) {
    let items = suite.size.pick(50_000, 20_000, 1_000);
    let rounds = suite.rounds(15);
    let (ours, crossbeam, std) = if capacity == 0 {
        (
            "Queue::new(0)",
            "crossbeam unbounded()",
            "std mpsc::channel()",
        )
    } else {
        (
            "Queue::new(1024)",
            "crossbeam bounded(1024)",
            "std mpsc::sync_channel(1024)",
        )
    };
    suite.interleaved(
        workload,
        rounds,
        vec![
            Contender::new("pythreading", ours, items, |n| {
                let q = Arc::new(Queue::new(capacity));
                let consumer = Arc::clone(&q);
                one_to_one(
                    n,
                    |i| q.put(i).expect("room"),
                    move || consumer.get().expect("an item"),
                )
            }),
            Contender::new("crossbeam", crossbeam, items, |n| {
                let (tx, rx) = if capacity == 0 {
                    crossbeam_channel::unbounded()
                } else {
                    crossbeam_channel::bounded(capacity)
                };
                one_to_one(
                    n,
                    |i| tx.send(i).expect("receiver alive"),
                    move || rx.recv().expect("an item"),
                )
            }),
            Contender::new("std", std, items, |n| {
                let recv = |rx: mpsc::Receiver<u64>| move || rx.recv().expect("an item");
                if capacity == 0 {
                    let (tx, rx) = mpsc::channel();
                    one_to_one(n, |i| tx.send(i).expect("receiver alive"), recv(rx))
                } else {
                    let (tx, rx) = mpsc::sync_channel(capacity);
                    one_to_one(n, |i| tx.send(i).expect("receiver alive"), recv(rx))
                }
            }),
        ],
    );
}

/// Sends `0..n` with `send` on this thread while another thread takes
/// `n` items with `recv`; the time runs from the first send to the last
/// receive, and the items must add up.
fn one_to_one(
    n: u64,
    mut send: impl FnMut(u64),
    mut recv: impl FnMut() -> u64 + Send + 'static,
) -> Duration {
    let consumer = thread::spawn(move || (0..n).map(|_| recv()).sum::<u64>());
    let start = Instant::now();
    for i in 0..n {
        send(i);
    }
    let sum = consumer.join().expect("consumer ran");
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2, "an item was lost");
    elapsed
}

// ------------------------------------------------------------ semaphore

/// The semaphore people write by hand with std: a count under a mutex, and
/// a condition variable to sleep on while it is 0.
struct StdSemaphore {
    count: Mutex<usize>,
    available: Condvar,
}

impl StdSemaphore {
    fn new(value: usize) -> Self {
        Self {
            count: Mutex::new(value),
            available: Condvar::new(),
        }
    }

    fn acquire(&self) {
        let count = self.count.lock().expect("not poisoned");
        let mut count = self
            .available
            .wait_while(count, |count| *count == 0)
            .expect("not poisoned");
        *count -= 1;
    }

    fn release(&self) {
        *self.count.lock().expect("not poisoned") += 1;
        self.available.notify_one();
    }
}

fn semaphore(suite: &mut Suite) {
    let ops = suite.size.pick(2_000_000, 1_000_000, 1_000);
    let std_ops = ops / 20; // each of its releases makes a system call
    let rounds = suite.rounds(15);
    let sem = Semaphore::new(1);
    let std_sem = StdSemaphore::new(1);
    suite.interleaved(
        "semaphore",
        rounds,
        vec![
            Contender::new("pythreading", "Semaphore (acquire + release)", ops, |n| {
                let elapsed = time_n(n, || {
                    sem.acquire();
                    sem.release();
                });
                assert_eq!(sem.value(), 1);
                elapsed
            }),
            Contender::new("std", "std Mutex + Condvar semaphore", std_ops, |n| {
                time_n(n, || {
                    std_sem.acquire();
                    std_sem.release();
                })
            }),
        ],
    );
}

// ------------------------------------------------------------ barrier

/// Two threads pass the barrier `n` times; time per round, measured by the
/// second thread from its first pass to its last.
fn barrier(suite: &mut Suite) {
    let ours_rounds = suite.size.pick(20_000, 10_000, 100);
    let std_rounds = suite.size.pick(2_000, 1_000, 100);
    let rounds = suite.rounds(15);
    fn two_threads(n: u64, wait: &(dyn Fn() + Sync)) -> Duration {
        thread::scope(|s| {
            let other = s.spawn(|| {
                for _ in 0..=n {
                    wait();
                }
            });
            wait(); // both started
            let start = Instant::now();
            for _ in 0..n {
                wait();
            }
            let elapsed = start.elapsed();
            other.join().expect("barrier thread ran");
            elapsed
        })
    }
    suite.interleaved(
        "barrier",
        rounds,
        vec![
            Contender::new("pythreading", "Barrier::new(2)", ours_rounds, |n| {
                let barrier = Barrier::new(2).expect("2 parties");
                two_threads(n, &|| {
                    barrier.wait().expect("not broken");
                })
            }),
            Contender::new("std", "std::sync::Barrier::new(2)", std_rounds, |n| {
                let barrier = std::sync::Barrier::new(2);
                two_threads(n, &|| {
                    barrier.wait();
                })
            }),
        ],
    );
}

// ------------------------------------------------------------ threads

/// Start a thread that does nothing, then join it, one after the other.
fn thread_start_join(suite: &mut Suite) {
    let threads = suite.size.pick(1_000, 400, 20);
    let rounds = suite.rounds(10);
    suite.interleaved(
        "thread_start_join",
        rounds,
        vec![
            Contender::new("pythreading", "Thread (new + start + join)", threads, |n| {
                time_n(n, || {
                    let t = Thread::new(|| black_box(1u64));
                    t.start().expect("the thread starts");
                    t.join().expect("started");
                })
            }),
            Contender::new("std", "std::thread::spawn + join", threads, |n| {
                time_n(n, || {
                    thread::spawn(|| black_box(1u64))
                        .join()
                        .expect("the thread ran");
                })
            }),
        ],
    );
}
