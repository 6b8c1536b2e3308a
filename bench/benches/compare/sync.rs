//! `Lock`, `RLock`, `Queue`, `Semaphore`, `Barrier` and `Thread` next to
//! parking_lot, crossbeam-channel and std.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    let workloads: [Workload; 10] = [
        ("lock_uncontended", |s| lock(s, "lock_uncontended", 1)),
        ("lock_contended", |s| lock(s, "lock_contended", 2)),
        ("rlock_uncontended", |s| rlock(s, "rlock_uncontended", 1)),
        ("rlock_contended", |s| rlock(s, "rlock_contended", 2)),
        ("queue_bounded", |s| queue(s, "queue_bounded", 1024)),
        ("queue_unbounded", |s| queue(s, "queue_unbounded", 0)),
        ("semaphore", |s| semaphore(s, "semaphore", 1, 1)),
        ("semaphore_contended", |s| {
            semaphore(s, "semaphore_contended", 4, 2)
        }),
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
/// increment). Every round starts from `new()`, a lock and the count it
/// guards; each increment is `increment(black_box(&state))`, the same
/// `black_box` for every contender; `count(state)` must then be the number
/// of increments, so a lock that failed to exclude would fail the run
/// rather than win it.
fn increments<'a, S: Sync>(
    id: &'static str,
    label: &'static str,
    ops: u64,
    threads: u64,
    new: impl Fn() -> S + 'a,
    increment: impl Fn(&S) + Sync + 'a,
    count: impl Fn(S) -> u64 + 'a,
) -> Contender<'a> {
    Contender::new(id, label, ops, move |n| {
        let state = new();
        let once = || increment(black_box(&state));
        let elapsed = if threads == 1 {
            time_n(n, once)
        } else {
            run_split(threads, n, &once)
        };
        assert_eq!(count(state), n, "{label}: an update was lost");
        elapsed
    })
}

/// A lock that guards no data, beside the count it guards: Python's way,
/// and the like-for-like form for the Rust mutexes (`Mutex<()>`). The count
/// is a plain load and store, not a `fetch_add`: only the lock makes the
/// increment atomic.
struct Beside<L> {
    lock: L,
    count: AtomicU64,
}

impl<L> Beside<L> {
    fn new(lock: L) -> Self {
        Self {
            lock,
            count: AtomicU64::new(0),
        }
    }

    /// Adds one to the count; the caller holds the lock.
    fn bump(&self) {
        self.count
            .store(self.count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    fn count(self) -> u64 {
        self.count.into_inner()
    }
}

/// A lock that guards no data, as a [`Beside`] holds it.
trait Hold: Sync {
    /// Runs `f` with the lock held.
    fn hold(&self, f: impl FnOnce());
}

impl Hold for Lock {
    fn hold(&self, f: impl FnOnce()) {
        let _held = self.guard();
        f();
    }
}

impl Hold for RLock {
    fn hold(&self, f: impl FnOnce()) {
        let _held = self.guard();
        f();
    }
}

impl Hold for parking_lot::Mutex<()> {
    fn hold(&self, f: impl FnOnce()) {
        let _held = self.lock();
        f();
    }
}

impl Hold for parking_lot::ReentrantMutex<()> {
    fn hold(&self, f: impl FnOnce()) {
        let _held = self.lock();
        f();
    }
}

impl Hold for Mutex<()> {
    fn hold(&self, f: impl FnOnce()) {
        let _held = self.lock().expect("not poisoned");
        f();
    }
}

/// A contender holding a lock from `new()` that guards no data while it
/// adds one to the count beside it.
fn beside<'a, L: Hold + 'a>(
    id: &'static str,
    label: &'static str,
    ops: u64,
    threads: u64,
    new: impl Fn() -> L + 'a,
) -> Contender<'a> {
    increments(
        id,
        label,
        ops,
        threads,
        move || Beside::new(new()),
        |s| s.lock.hold(|| s.bump()),
        Beside::count,
    )
}

/// Ops and rounds of a lock workload on `threads` threads.
fn lock_sizes(suite: &Suite, threads: u64) -> (u64, usize) {
    let ops = match threads {
        1 => suite.size.pick(2_000_000, 1_000_000, 1_000),
        _ => suite.size.pick(400_000, 200_000, 1_000),
    };
    (ops, suite.rounds(if threads == 1 { 20 } else { 15 }))
}

/// `Lock` next to `parking_lot::Mutex` and `std::sync::Mutex`, on 1 or 2
/// threads. Each Rust mutex runs twice: as `Mutex<()>` beside the count,
/// the same work as `Lock` (which holds no data), and holding the count
/// itself, `*m.lock() += 1`, as its users write it.
fn lock(suite: &mut Suite, workload: &str, threads: u64) {
    let (ops, rounds) = lock_sizes(suite, threads);
    suite.interleaved(
        workload,
        rounds,
        vec![
            beside("pythreading", "Lock", ops, threads, Lock::new),
            beside(
                "parking_lot",
                "parking_lot `Mutex<()>` beside the count",
                ops,
                threads,
                || parking_lot::Mutex::new(()),
            ),
            increments(
                "parking_lot/data",
                "parking_lot `Mutex<u64>`, `*m.lock() += 1`",
                ops,
                threads,
                || parking_lot::Mutex::new(0u64),
                |m| *m.lock() += 1,
                parking_lot::Mutex::into_inner,
            ),
            beside(
                "std",
                "std `Mutex<()>` beside the count",
                ops,
                threads,
                || Mutex::new(()),
            ),
            increments(
                "std/data",
                "std `Mutex<u64>`, `*m.lock() += 1`",
                ops,
                threads,
                || Mutex::new(0u64),
                |m| *m.lock().expect("not poisoned") += 1,
                |m| m.into_inner().expect("not poisoned"),
            ),
        ],
    );
}

/// `RLock` next to `parking_lot::ReentrantMutex`, on 1 or 2 threads: as
/// `ReentrantMutex<()>` beside the count, and holding it in a `Cell` (a
/// reentrant guard only lends `&`), as its users write it.
fn rlock(suite: &mut Suite, workload: &str, threads: u64) {
    let (ops, rounds) = lock_sizes(suite, threads);
    suite.interleaved(
        workload,
        rounds,
        vec![
            beside("pythreading", "RLock", ops, threads, RLock::new),
            beside(
                "parking_lot",
                "parking_lot `ReentrantMutex<()>` beside the count",
                ops,
                threads,
                || parking_lot::ReentrantMutex::new(()),
            ),
            increments(
                "parking_lot/data",
                "parking_lot `ReentrantMutex<Cell<u64>>`",
                ops,
                threads,
                || parking_lot::ReentrantMutex::new(Cell::new(0u64)),
                |m| {
                    let count = m.lock();
                    count.set(count.get() + 1);
                },
                |m| m.into_inner().into_inner(),
            ),
        ],
    );
}

// ------------------------------------------------------------ queues

/// One producer (this thread) and one consumer thread; the time runs from
/// the first put to the consumer's last get. `capacity` 0 is unbounded.
/// Each consumer takes the items as its users would: `get` as many times
/// as there are items for a `Queue` (Python's way), the channel's
/// iterator, which ends when the sender is dropped, for the channels.
fn queue(suite: &mut Suite, workload: &str, capacity: usize) {
    let items = suite.size.pick(50_000, 20_000, 1_000);
    let rounds = suite.rounds(15);
    let (ours, crossbeam, std) = if capacity == 0 {
        (
            "Queue::new(0)",
            "crossbeam unbounded(), rx.iter()",
            "std mpsc::channel(), rx.iter()",
        )
    } else {
        (
            "Queue::new(1024)",
            "crossbeam bounded(1024), rx.iter()",
            "std mpsc::sync_channel(1024), rx.iter()",
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
                    move |n| (0..n).map(|_| consumer.get().expect("an item")).sum(),
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
                    move |i| tx.send(i).expect("receiver alive"),
                    move |_| rx.iter().sum(),
                )
            }),
            Contender::new("std", std, items, |n| {
                let sum = |rx: mpsc::Receiver<u64>| move |_| rx.iter().sum();
                if capacity == 0 {
                    let (tx, rx) = mpsc::channel();
                    one_to_one(n, move |i| tx.send(i).expect("receiver alive"), sum(rx))
                } else {
                    let (tx, rx) = mpsc::sync_channel(capacity);
                    one_to_one(n, move |i| tx.send(i).expect("receiver alive"), sum(rx))
                }
            }),
        ],
    );
}

/// Sends `0..n` with `send(black_box(i))` on this thread, then drops
/// `send` (and the sender it owns), while another thread runs
/// `consume(n)`, which returns the sum of what it took; the time runs from
/// the first send to the last receive, and the items must add up.
fn one_to_one(
    n: u64,
    mut send: impl FnMut(u64),
    consume: impl FnOnce(u64) -> u64 + Send + 'static,
) -> Duration {
    let consumer = thread::spawn(move || consume(n));
    let start = Instant::now();
    for i in 0..n {
        send(black_box(i));
    }
    drop(send);
    let sum = consumer.join().expect("consumer ran");
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2, "an item was lost");
    elapsed
}

// ------------------------------------------------------------ semaphores

/// The semaphore people write by hand with std: a count under a mutex, and
/// a condition variable to sleep on while it is 0. Like every careful
/// hand-written one, it counts its sleepers and notifies only when there
/// is one: a `notify_one` with nobody waiting would cost a system call on
/// every release.
struct StdSemaphore {
    state: Mutex<Units>,
    available: Condvar,
}

/// A [`StdSemaphore`]'s count, and how many threads sleep on it.
struct Units {
    count: usize,
    waiters: usize,
}

impl StdSemaphore {
    fn new(value: usize) -> Self {
        Self {
            state: Mutex::new(Units {
                count: value,
                waiters: 0,
            }),
            available: Condvar::new(),
        }
    }
}

/// What the semaphore workloads need of a semaphore.
trait Sem: Sync {
    fn acquire(&self);
    fn release(&self);
    fn value(&self) -> usize;
}

impl Sem for Semaphore {
    fn acquire(&self) {
        Semaphore::acquire(self);
    }

    fn release(&self) {
        Semaphore::release(self);
    }

    fn value(&self) -> usize {
        Semaphore::value(self)
    }
}

impl Sem for StdSemaphore {
    fn acquire(&self) {
        let mut units = self.state.lock().expect("not poisoned");
        while units.count == 0 {
            units.waiters += 1;
            units = self.available.wait(units).expect("not poisoned");
            units.waiters -= 1;
        }
        units.count -= 1;
    }

    fn release(&self) {
        let mut units = self.state.lock().expect("not poisoned");
        units.count += 1;
        let sleeper = units.waiters > 0;
        drop(units);
        if sleeper {
            self.available.notify_one();
        }
    }

    fn value(&self) -> usize {
        self.state.lock().expect("not poisoned").count
    }
}

/// A contender taking a unit of a semaphore of `units` and giving it back,
/// `ops` times per round on `threads` threads, on `black_box(&sem)` for
/// every contender. With several threads, each checks that at most `units`
/// of them are inside at once; after the round every unit must be back.
fn take_give<'a, S: Sem>(
    id: &'static str,
    label: &'static str,
    ops: u64,
    threads: u64,
    units: usize,
    new: impl Fn(usize) -> S + 'a,
) -> Contender<'a> {
    Contender::new(id, label, ops, move |n| {
        let sem = new(units);
        let inside = AtomicUsize::new(0);
        let elapsed = if threads == 1 {
            time_n(n, || {
                let sem = black_box(&sem);
                sem.acquire();
                sem.release();
            })
        } else {
            run_split(threads, n, &|| {
                let sem = black_box(&sem);
                sem.acquire();
                let before = inside.fetch_add(1, Ordering::Relaxed);
                assert!(before < units, "{label}: more holders than units");
                inside.fetch_sub(1, Ordering::Relaxed);
                sem.release();
            })
        };
        assert_eq!(sem.value(), units, "{label}: a unit was lost");
        elapsed
    })
}

/// A semaphore of `units` on `threads` threads: 1 unit on one thread
/// (`semaphore`), or 2 shared by 4 threads (`semaphore_contended`, wall
/// time per acquire + release).
fn semaphore(suite: &mut Suite, workload: &str, threads: u64, units: usize) {
    let ops = match threads {
        1 => suite.size.pick(2_000_000, 1_000_000, 1_000),
        _ => suite.size.pick(400_000, 200_000, 1_000),
    };
    let rounds = suite.rounds(15);
    let (ours, std) = match threads {
        1 => (
            "Semaphore (acquire + release)",
            "std Mutex + Condvar semaphore",
        ),
        _ => (
            "Semaphore(2), 4 threads",
            "std Mutex + Condvar semaphore, 4 threads",
        ),
    };
    suite.interleaved(
        workload,
        rounds,
        vec![
            take_give("pythreading", ours, ops, threads, units, Semaphore::new),
            take_give("std", std, ops, threads, units, StdSemaphore::new),
        ],
    );
}

// ------------------------------------------------------------ barrier

/// Two threads pass the barrier `n` times; time per round, measured by the
/// second thread from its first pass to its last. `wait(black_box(&b))`
/// says whether this thread was the round's leader (index 0 for ours,
/// `is_leader` for std): every round must have exactly one.
fn barrier(suite: &mut Suite) {
    let ours_rounds = suite.size.pick(20_000, 10_000, 100);
    let std_rounds = suite.size.pick(2_000, 1_000, 100);
    let rounds = suite.rounds(15);
    fn two_threads<B: Sync>(n: u64, barrier: &B, wait: impl Fn(&B) -> bool + Sync) -> Duration {
        let pass = || u64::from(wait(black_box(barrier)));
        thread::scope(|s| {
            let other = s.spawn(|| (0..=n).map(|_| pass()).sum::<u64>());
            let mut leaders = pass(); // both started
            let start = Instant::now();
            for _ in 0..n {
                leaders += pass();
            }
            let elapsed = start.elapsed();
            leaders += other.join().expect("barrier thread ran");
            assert_eq!(leaders, n + 1, "a round without exactly one leader");
            elapsed
        })
    }
    suite.interleaved(
        "barrier",
        rounds,
        vec![
            Contender::new("pythreading", "Barrier::new(2)", ours_rounds, |n| {
                let barrier = Barrier::new(2).expect("2 parties");
                two_threads(n, &barrier, |b| b.wait().expect("not broken") == 0)
            }),
            Contender::new("std", "std::sync::Barrier::new(2)", std_rounds, |n| {
                let barrier = std::sync::Barrier::new(2);
                two_threads(n, &barrier, |b| b.wait().is_leader())
            }),
        ],
    );
}

// ------------------------------------------------------------ threads

/// Start a thread that adds one to a shared count, then join it, one
/// after the other; the count must come out right.
fn thread_start_join(suite: &mut Suite) {
    let threads = suite.size.pick(1_000, 400, 20);
    let rounds = suite.rounds(10);
    /// Runs `start_join` `n` times with a task that adds one to a fresh
    /// count, then checks the count.
    fn counted(n: u64, start_join: impl Fn(Box<dyn FnOnce() + Send>)) -> Duration {
        let count = Arc::new(AtomicU64::new(0));
        let elapsed = time_n(n, || {
            let count = Arc::clone(&count);
            start_join(Box::new(move || {
                black_box(&count).fetch_add(1, Ordering::Relaxed);
            }));
        });
        assert_eq!(count.load(Ordering::Relaxed), n, "a thread did not run");
        elapsed
    }
    suite.interleaved(
        "thread_start_join",
        rounds,
        vec![
            Contender::new("pythreading", "Thread (new + start + join)", threads, |n| {
                counted(n, |task| {
                    let t = Thread::new(task);
                    t.start().expect("the thread starts");
                    t.join().expect("started");
                })
            }),
            Contender::new("std", "std::thread::spawn + join", threads, |n| {
                counted(n, |task| {
                    thread::spawn(task).join().expect("the thread ran");
                })
            }),
        ],
    );
}
