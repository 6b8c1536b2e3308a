//! `deadlock::check`, `deadlock::start_watchdog` and `deadlock::potential`
//! (feature `deadlock-detection`): cycles of two, three and four threads
//! over every kind of lock, self-deadlock, no report for threads that are
//! merely waiting, and lock-order inversions found without a deadlock.
//!
//! Every deadlocked thread is a daemon and waits with a generous timeout;
//! each test frees its threads by releasing a `Lock` from the test thread
//! (any thread may release a `Lock`), so nothing hangs and nothing leaks
//! into the next test. Tests run in parallel in one process and the
//! detector is process-wide, so each test looks only at its own threads and
//! locks, whose names are unique.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use pythreading_core::Thread;
use pythreading_sync::deadlock::{self, Deadlock, Watchdog};
use pythreading_sync::{Barrier, BoundedSemaphore, Condition, Lock, RLock, Semaphore, SyncError};

mod common;
use common::PATIENCE;

/// Starts a daemon pythreading thread named `name`.
fn spawn<T: Send + 'static>(name: &str, body: impl FnOnce() -> T + Send + 'static) -> Thread<T> {
    Thread::builder()
        .name(name)
        .daemon(true)
        .spawn(body)
        .expect("start a thread")
}

/// Joins `thread`, failing the test if it has not finished in time.
fn finish<T: Send + 'static>(thread: Thread<T>) -> T {
    thread
        .into_result_timeout(PATIENCE)
        .expect("the thread ran")
        .expect("the thread finished in time")
}

/// Any of the locks, as the cycle tests use them.
trait Take: Send + Sync {
    /// Blocks until taken.
    fn take(&self);
    /// Waits at most `timeout`; whether it was taken.
    fn take_within(&self, timeout: Duration) -> bool;
    /// Gives it back. A `Lock` may already have been released by the test
    /// thread to break the cycle: that error is expected, and ignored.
    fn give(&self);
}

impl Take for Lock {
    fn take(&self) {
        self.acquire();
    }
    fn take_within(&self, timeout: Duration) -> bool {
        self.acquire_timeout(timeout)
    }
    fn give(&self) {
        let _ = self.release();
    }
}

impl Take for Condition {
    fn take(&self) {
        self.acquire();
    }
    fn take_within(&self, timeout: Duration) -> bool {
        self.acquire_timeout(timeout)
    }
    fn give(&self) {
        self.release().unwrap();
    }
}

impl Take for Semaphore {
    fn take(&self) {
        self.acquire();
    }
    fn take_within(&self, timeout: Duration) -> bool {
        self.acquire_timeout(timeout)
    }
    fn give(&self) {
        self.release();
    }
}

/// An `RLock` taken twice (re-entrantly): still one holder to the detector.
impl Take for RLock {
    fn take(&self) {
        self.acquire();
        self.acquire();
    }
    fn take_within(&self, timeout: Duration) -> bool {
        self.acquire_timeout(timeout) && self.acquire_timeout(timeout)
    }
    fn give(&self) {
        self.release().unwrap();
        self.release().unwrap();
    }
}

/// Starts a daemon thread `name` that takes `held`, meets the others at
/// `start`, then takes each of `wanted` in turn (waiting at most
/// [`PATIENCE`] for each), gives everything back and returns whether it got
/// all of `wanted`.
fn hold_then_want(
    name: &str,
    held: &Arc<dyn Take>,
    wanted: &[&Arc<dyn Take>],
    start: &Arc<Barrier>,
) -> Thread<bool> {
    let held = Arc::clone(held);
    let wanted: Vec<Arc<dyn Take>> = wanted.iter().map(|w| Arc::clone(w)).collect();
    let start = Arc::clone(start);
    spawn(name, move || {
        held.take();
        start.wait().unwrap();
        let mut taken = Vec::new();
        for lock in &wanted {
            if !lock.take_within(PATIENCE) {
                break;
            }
            taken.push(lock);
        }
        let all = taken.len() == wanted.len();
        for lock in taken.into_iter().rev() {
            lock.give();
        }
        held.give();
        all
    })
}

/// Starts one thread per lock, named `{prefix}-1`, `{prefix}-2`, …: thread
/// `i` holds `ring[i]` and wants `ring[i + 1]` (the last wants the first),
/// each holding its lock before any asks for the next: a deadlock.
fn start_ring(prefix: &str, ring: &[Arc<dyn Take>]) -> Vec<Thread<bool>> {
    let n = ring.len();
    let all = meeting(n);
    (0..n)
        .map(|i| {
            let name = format!("{prefix}-{}", i + 1);
            hold_then_want(&name, &ring[i], &[&ring[(i + 1) % n]], &all)
        })
        .collect()
}

/// A thread body that acquires `lock`, then acquires it again (waiting at
/// most [`PATIENCE`]): a `Lock` is not re-entrant, so the thread waits for
/// itself until another thread releases the lock. Returns whether the
/// second acquire got it.
fn acquire_twice(lock: &Arc<Lock>) -> impl FnOnce() -> bool + Send + 'static {
    let lock = Arc::clone(lock);
    move || {
        lock.acquire();
        let got = lock.acquire_timeout(PATIENCE);
        lock.release().unwrap();
        got
    }
}

/// Runs a thread `name` that takes `first`, then `second` while holding it,
/// and gives both back; returns when it has finished.
fn take_in_order(name: &str, first: &Arc<dyn Take>, second: &Arc<dyn Take>) {
    let (first, second) = (Arc::clone(first), Arc::clone(second));
    finish(spawn(name, move || {
        first.take();
        second.take();
        second.give();
        first.give();
    }));
}

/// The lock-order inversions found so far that involve a lock whose name
/// starts with `prefix`.
fn inversions_of(prefix: &str) -> Vec<deadlock::LockOrderInversion> {
    deadlock::potential()
        .into_iter()
        .filter(|i| i.locks().iter().any(|l| l.starts_with(prefix)))
        .collect()
}

/// A barrier for `n` threads that gives up after [`PATIENCE`].
fn meeting(n: usize) -> Arc<Barrier> {
    Arc::new(Barrier::new(n).unwrap().with_timeout(PATIENCE))
}

/// The deadlocks `check()` reports among exactly these threads.
fn among(names: &[&str]) -> Vec<Deadlock> {
    let mut wanted: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    wanted.sort();
    deadlock::check()
        .into_iter()
        .filter(|d| {
            let mut threads = d.threads();
            threads.sort();
            threads == wanted
        })
        .collect()
}

/// Polls `check()` until it reports a cycle of exactly these threads.
fn wait_for_deadlock(names: &[&str]) -> Deadlock {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = among(names).pop() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no deadlock of {names:?} was found"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Checks a cycle against `expected`: `(thread, lock it holds)` in cycle
/// order, each thread waiting for the next one's lock. The reported cycle
/// may start anywhere; it is compared from `expected[0]`'s thread.
fn assert_cycle(found: &Deadlock, expected: &[(&str, &str)]) {
    let threads = found.threads();
    let locks = found.locks();
    assert_eq!(threads.len(), expected.len(), "{found}");
    assert_eq!(locks.len(), expected.len(), "{found}");
    let start = threads
        .iter()
        .position(|t| t == expected[0].0)
        .unwrap_or_else(|| panic!("{} is not in {found}", expected[0].0));
    let n = expected.len();
    for (i, (thread, lock)) in expected.iter().enumerate() {
        assert_eq!(threads[(start + i) % n], *thread, "{found}");
        assert_eq!(locks[(start + i) % n], *lock, "{found}");
    }
    // The story, from the reported start.
    let story: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{} holds {} and waits for {}",
                threads[i],
                locks[i],
                locks[(i + 1) % n]
            )
        })
        .collect();
    assert_eq!(found.to_string(), story.join("; "));
    // The cycle starts at its thread with the smallest ident.
    let idents = found.idents();
    assert_eq!(idents.iter().min(), idents.first());
}

#[test]
fn two_threads_in_opposite_order() {
    let a = Arc::new(Lock::named("two-a"));
    let b = Arc::new(Lock::named("two-b"));
    let threads = start_ring("two", &[a.clone(), b.clone()]);
    let found = wait_for_deadlock(&["two-1", "two-2"]);
    assert_cycle(&found, &[("two-1", "two-a"), ("two-2", "two-b")]);
    // two-1 was started first, so the story starts with it.
    assert_eq!(
        found.to_string(),
        "two-1 holds two-a and waits for two-b; two-2 holds two-b and waits for two-a"
    );
    assert_eq!(found.len(), 2);
    // The order of the attempts is recorded before waiting: the inversion
    // shows even though neither thread ever held both locks.
    let inversions: Vec<String> = deadlock::potential()
        .iter()
        .filter(|i| i.locks().iter().all(|l| l.starts_with("two-")))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        inversions,
        ["two-1 took two-a then two-b; two-2 took two-b then two-a"]
    );
    // Free them: release two-a for two-1, and both finish.
    a.release().unwrap();
    for thread in threads {
        assert!(finish(thread));
    }
    assert!(among(&["two-1", "two-2"]).is_empty());
    assert!(!a.locked() && !b.locked());
}

#[test]
fn three_threads_in_a_ring() {
    let locks: Vec<Arc<Lock>> = ["ring-x", "ring-y", "ring-z"]
        .into_iter()
        .map(|name| Arc::new(Lock::named(name)))
        .collect();
    let any: Vec<Arc<dyn Take>> = locks.iter().map(|l| l.clone() as Arc<dyn Take>).collect();
    let threads = start_ring("ring", &any);
    let found = wait_for_deadlock(&["ring-1", "ring-2", "ring-3"]);
    assert_cycle(
        &found,
        &[
            ("ring-1", "ring-x"),
            ("ring-2", "ring-y"),
            ("ring-3", "ring-z"),
        ],
    );
    locks[0].release().unwrap();
    for thread in threads {
        assert!(finish(thread));
    }
    assert!(among(&["ring-1", "ring-2", "ring-3"]).is_empty());
}

#[test]
fn four_threads_over_every_kind_of_lock() {
    let rlock = Arc::new(RLock::named("mix-rlock"));
    let lock = Arc::new(Lock::named("mix-lock"));
    let cond = Arc::new(Condition::named("mix-cond"));
    let sem = Arc::new(Semaphore::named("mix-sem", 1));
    // mix-1 holds the RLock (twice, re-entrantly) and wants the Lock, and so
    // on round the ring.
    let threads = start_ring(
        "mix",
        &[rlock.clone(), lock.clone(), cond.clone(), sem.clone()],
    );
    let found = wait_for_deadlock(&["mix-1", "mix-2", "mix-3", "mix-4"]);
    assert_cycle(
        &found,
        &[
            ("mix-1", "mix-rlock"),
            ("mix-2", "mix-lock"),
            ("mix-3", "mix-cond"),
            ("mix-4", "mix-sem"),
        ],
    );
    lock.release().unwrap();
    for thread in threads {
        assert!(finish(thread));
    }
    assert!(!rlock.locked() && !cond.lock().locked());
    assert_eq!(sem.value(), 1);
}

#[test]
fn a_lock_acquired_twice_by_one_thread_is_a_one_thread_cycle() {
    let lock = Arc::new(Lock::named("self-lock"));
    let selfish = spawn("selfish", acquire_twice(&lock));
    let found = wait_for_deadlock(&["selfish"]);
    assert_eq!(found.threads(), ["selfish"]);
    assert_eq!(found.locks(), ["self-lock"]);
    assert_eq!(
        found.to_string(),
        "selfish holds self-lock and waits for self-lock"
    );
    lock.release().unwrap();
    assert!(finish(selfish));
    assert!(!lock.locked());
    assert!(among(&["selfish"]).is_empty());
}

#[test]
fn unnamed_locks_are_shown_as_their_type_and_address() {
    let lock = Arc::new(Lock::new());
    let stuck = spawn("unnamed-self", acquire_twice(&lock));
    let found = wait_for_deadlock(&["unnamed-self"]);
    let label = &found.locks()[0];
    assert!(label.starts_with("Lock at 0x"), "{label}");
    lock.release().unwrap();
    assert!(finish(stuck));
}

#[test]
fn threads_pythreading_did_not_start_keep_their_std_name() {
    let lock = Arc::new(Lock::named("std-lock"));
    let stuck = std::thread::Builder::new()
        .name("std-named".into())
        .spawn(acquire_twice(&lock))
        .unwrap();
    let found = wait_for_deadlock(&["std-named"]);
    assert_eq!(
        found.to_string(),
        "std-named holds std-lock and waits for std-lock"
    );
    // Looking it up registered no dummy thread.
    assert!(
        pythreading_core::enumerate()
            .iter()
            .all(|t| !t.name().starts_with("Dummy"))
    );
    lock.release().unwrap();
    assert!(stuck.join().unwrap());
}

#[test]
fn a_semaphore_unit_taken_twice_is_a_self_deadlock() {
    let slots = Arc::new(BoundedSemaphore::named("self-slots", 1));
    let greedy = {
        let slots = Arc::clone(&slots);
        spawn("greedy", move || {
            let _first = slots.guard();
            slots.guard_timeout(PATIENCE).is_some()
        })
    };
    let found = wait_for_deadlock(&["greedy"]);
    assert_eq!(
        found.to_string(),
        "greedy holds self-slots and waits for self-slots"
    );
    // A unit given back by a thread that holds none frees the waiter.
    slots.release().unwrap();
    assert!(finish(greedy));
    // greedy gave back both units; one of them was this thread's.
    assert_eq!(slots.value(), 1);
}

#[test]
fn a_semaphore_waiter_is_stuck_only_when_every_holder_is() {
    let pool = Arc::new(Semaphore::named("or-pool", 2));
    let gate = Arc::new(Lock::named("or-gate"));
    let free_holder_may_wait = Arc::new(Lock::named("or-hold-back"));
    // Everyone takes what it holds, then meets at `start`.
    let start = meeting(4);
    free_holder_may_wait.acquire();
    let (pool_any, gate_any, hold_back_any): (Arc<dyn Take>, Arc<dyn Take>, Arc<dyn Take>) =
        (pool.clone(), gate.clone(), free_holder_may_wait.clone());
    // or-1 and or-3 each hold a unit of the pool and want the gate; or-2
    // holds the gate and wants a unit. or-3 first waits for a lock this
    // (running) test thread holds.
    let t1 = hold_then_want("or-1", &pool_any, &[&gate_any], &start);
    let t2 = hold_then_want("or-2", &gate_any, &[&pool_any], &start);
    let t3 = hold_then_want("or-3", &pool_any, &[&hold_back_any, &gate_any], &start);
    start.wait().unwrap();
    // or-1 and or-2 wait for each other, but or-3 could still give its unit
    // back to or-2: no deadlock yet. or-3 is blocked on or-hold-back, which
    // this (running) thread holds.
    common::wait_until("or-1 and or-2 wait", || gate.locked() && pool.value() == 0);
    std::thread::sleep(Duration::from_millis(200));
    assert!(among(&["or-1", "or-2"]).is_empty());
    assert!(among(&["or-1", "or-2", "or-3"]).is_empty());
    // Let or-3 go on to the gate: now all three are stuck.
    free_holder_may_wait.release().unwrap();
    let deadline = Instant::now() + PATIENCE;
    let found = loop {
        let found: Vec<Deadlock> = deadlock::check()
            .into_iter()
            .filter(|d| d.threads().iter().any(|t| t == "or-2"))
            .collect();
        if let Some(found) = found.into_iter().next() {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "the three-thread knot was not found"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    // One cycle, through the pool's oldest holder (or-1 or or-3, whichever
    // took its unit first); the third thread is stuck behind it.
    let through = if found.threads().iter().any(|t| t == "or-1") {
        "or-1"
    } else {
        "or-3"
    };
    assert_cycle(&found, &[(through, "or-pool"), ("or-2", "or-gate")]);
    gate.release().unwrap();
    for thread in [t1, t2, t3] {
        assert!(finish(thread));
    }
    assert_eq!(pool.value(), 2);
}

#[test]
fn threads_waiting_for_a_lock_being_released_are_not_reported() {
    let busy = Arc::new(Lock::named("busy-lock"));
    let rbusy = Arc::new(RLock::named("busy-rlock"));
    let slots = Arc::new(Semaphore::named("busy-slots", 1));
    let holding = Arc::new(Barrier::new(2).unwrap().with_timeout(PATIENCE));
    let holder = {
        let (busy, rbusy, slots, holding) = (
            Arc::clone(&busy),
            Arc::clone(&rbusy),
            Arc::clone(&slots),
            Arc::clone(&holding),
        );
        spawn("busy-holder", move || {
            let _a = busy.guard();
            let _b = rbusy.guard();
            let _c = slots.guard();
            holding.wait().unwrap();
            // Working, not blocked: the waiters are merely waiting.
            std::thread::sleep(Duration::from_millis(400));
        })
    };
    holding.wait().unwrap();
    let waiters: Vec<Thread<()>> = (0..3)
        .map(|i| {
            let (busy, rbusy, slots) = (Arc::clone(&busy), Arc::clone(&rbusy), Arc::clone(&slots));
            spawn(&format!("busy-waiter-{i}"), move || match i {
                0 => drop(busy.guard()),
                1 => drop(rbusy.guard()),
                _ => drop(slots.guard()),
            })
        })
        .collect();
    let names = [
        "busy-holder",
        "busy-waiter-0",
        "busy-waiter-1",
        "busy-waiter-2",
    ];
    while !holder.is_alive() || waiters.iter().any(Thread::is_alive) {
        let reported: Vec<Deadlock> = deadlock::check()
            .into_iter()
            .filter(|d| d.threads().iter().any(|t| names.contains(&t.as_str())))
            .collect();
        assert!(reported.is_empty(), "false report: {reported:?}");
        if !holder.is_alive() && waiters.iter().all(|w| !w.is_alive()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    finish(holder);
    for waiter in waiters {
        finish(waiter);
    }
}

#[test]
fn locks_used_as_signals_are_not_reported() {
    // The tutorial's pipeline: each Lock is released by the other thread
    // than the one that acquired it.
    let producer_lock = Arc::new(Lock::named("signal-producer"));
    let consumer_lock = Arc::new(Lock::named("signal-consumer"));
    let delivered = Arc::new(AtomicUsize::new(0));
    const MESSAGES: usize = 3000;
    consumer_lock.acquire();
    let producer = {
        let (p, c) = (Arc::clone(&producer_lock), Arc::clone(&consumer_lock));
        spawn("signal-producer", move || {
            for _ in 0..MESSAGES {
                p.acquire();
                c.release().unwrap();
            }
        })
    };
    let consumer = {
        let (p, c, delivered) = (
            Arc::clone(&producer_lock),
            Arc::clone(&consumer_lock),
            Arc::clone(&delivered),
        );
        spawn("signal-consumer", move || {
            for _ in 0..MESSAGES {
                c.acquire();
                delivered.fetch_add(1, Ordering::SeqCst);
                p.release().unwrap();
            }
        })
    };
    // Once each lock has been handed off, waiting for it is waiting for a
    // signal: never a cycle.
    common::wait_until("two messages passed", || {
        delivered.load(Ordering::SeqCst) >= 2
    });
    while producer.is_alive() || consumer.is_alive() {
        let reported: Vec<Deadlock> = deadlock::check()
            .into_iter()
            .filter(|d| d.threads().iter().any(|t| t.starts_with("signal-")))
            .collect();
        assert!(reported.is_empty(), "false report: {reported:?}");
    }
    finish(producer);
    finish(consumer);
    assert_eq!(delivered.load(Ordering::SeqCst), MESSAGES);
}

#[test]
fn heavy_contention_in_one_order_is_never_reported() {
    let first = Arc::new(Lock::named("stress-first"));
    let second = Arc::new(RLock::named("stress-second"));
    let third = Arc::new(Semaphore::named("stress-third", 2));
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let workers: Vec<Thread<()>> = (0..4)
        .map(|i| {
            let (first, second, third) =
                (Arc::clone(&first), Arc::clone(&second), Arc::clone(&third));
            let (stop, rounds) = (Arc::clone(&stop), Arc::clone(&rounds));
            spawn(&format!("stress-{i}"), move || {
                while !stop.load(Ordering::Relaxed) {
                    let _a = first.guard();
                    let _b = second.guard();
                    let _c = third.guard();
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let until = Instant::now() + Duration::from_millis(1500);
    let mut checks = 0;
    while Instant::now() < until {
        let reported: Vec<Deadlock> = deadlock::check()
            .into_iter()
            .filter(|d| d.threads().iter().any(|t| t.starts_with("stress-")))
            .collect();
        assert!(reported.is_empty(), "false report: {reported:?}");
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        finish(worker);
    }
    assert!(checks > 0);
    assert!(rounds.load(Ordering::Relaxed) > 0);
    assert!(
        inversions_of("stress-").is_empty(),
        "one consistent order is no inversion"
    );
}

#[test]
fn a_thread_waiting_in_condition_wait_holds_nothing() {
    let cond = Arc::new(Condition::named("cw-cond"));
    let lock = Arc::new(Lock::named("cw-lock"));
    let ready = Arc::new(AtomicBool::new(false));
    let sleeper = {
        let (cond, lock, ready) = (Arc::clone(&cond), Arc::clone(&lock), Arc::clone(&ready));
        spawn("cw-sleeper", move || {
            let _lock = lock.guard();
            let _cond = cond.guard();
            ready.store(true, Ordering::SeqCst);
            cond.wait_for(|| !ready.load(Ordering::SeqCst), Some(PATIENCE))
                .unwrap()
        })
    };
    common::wait_until("the sleeper waits", || cond.waiting() == 1);
    // Another thread waits for cw-lock, which the sleeper holds while it
    // waits for a notification: not a cycle.
    let blocked = {
        let lock = Arc::clone(&lock);
        spawn("cw-blocked", move || lock.guard_timeout(PATIENCE).is_some())
    };
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        deadlock::check()
            .iter()
            .all(|d| !d.threads().iter().any(|t| t.starts_with("cw-"))),
    );
    {
        let _cond = cond.guard();
        ready.store(false, Ordering::SeqCst);
        cond.notify_all().unwrap();
    }
    assert!(finish(sleeper));
    assert!(finish(blocked));
}

#[test]
fn lock_order_inversion_is_found_without_a_deadlock() {
    let p: Arc<dyn Take> = Arc::new(Lock::named("order-p"));
    let q: Arc<dyn Take> = Arc::new(RLock::named("order-q"));
    // One after the other: they never deadlock.
    take_in_order("order-forward", &p, &q);
    take_in_order("order-backward", &q, &p);
    let found = inversions_of("order-");
    assert_eq!(found.len(), 1, "{found:?}");
    let inversion = &found[0];
    assert_eq!(inversion.locks(), ["order-p", "order-q"]);
    assert_eq!(inversion.first_then_second(), ["order-forward"]);
    assert_eq!(inversion.second_then_first(), ["order-backward"]);
    assert_eq!(
        inversion.to_string(),
        "order-forward took order-p then order-q; order-backward took order-q then order-p"
    );
    assert!(among(&["order-forward"]).is_empty());
}

#[test]
fn one_thread_taking_both_orders_is_no_inversion() {
    let p = Lock::named("same-p");
    let q = Lock::named("same-q");
    let one = spawn("same-thread", move || {
        {
            let _p = p.guard();
            let _q = q.guard();
        }
        let _q = q.guard();
        let _p = p.guard();
    });
    finish(one);
    assert!(inversions_of("same-").is_empty());
}

#[test]
fn a_lock_released_by_another_thread_is_no_longer_held_for_ordering() {
    let handoff = Arc::new(Lock::named("handoff-signal"));
    let data = Arc::new(Lock::named("handoff-data"));
    let (taken_tx, taken_rx) = mpsc::channel();
    let (freed_tx, freed_rx) = mpsc::channel();
    let taker = {
        let (handoff, data) = (Arc::clone(&handoff), Arc::clone(&data));
        spawn("handoff-taker", move || {
            handoff.acquire();
            taken_tx.send(()).unwrap();
            freed_rx.recv().unwrap();
            // handoff was released by the test thread: taking data now is
            // not "data while holding handoff".
            drop(data.guard());
        })
    };
    taken_rx.recv_timeout(PATIENCE).unwrap();
    handoff.release().unwrap();
    freed_tx.send(()).unwrap();
    finish(taker);
    let (handoff, data): (Arc<dyn Take>, Arc<dyn Take>) = (handoff, data);
    take_in_order("handoff-other", &data, &handoff);
    assert!(inversions_of("handoff-").is_empty());
}

/// Log records of the detector's target, kept for the watchdog test.
struct Captured(Mutex<Vec<String>>);

impl log::Log for Captured {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "pythreading_sync::deadlock"
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.0.lock().unwrap().push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

fn captured() -> &'static Captured {
    static LOGGER: OnceLock<&'static Captured> = OnceLock::new();
    LOGGER.get_or_init(|| {
        let logger: &'static Captured = Box::leak(Box::new(Captured(Mutex::new(Vec::new()))));
        log::set_logger(logger).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Error);
        logger
    })
}

#[test]
fn the_watchdog_reports_each_new_deadlock_once_and_survives_a_panicking_callback() {
    let logs = captured();
    let (tx, rx) = mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let calls = Arc::new(AtomicUsize::new(0));
    let calls_in = Arc::clone(&calls);
    deadlock::start_watchdog(Duration::from_millis(20), move |found| {
        if !found.threads().iter().any(|t| t.starts_with("watched-")) {
            return;
        }
        tx.lock().unwrap().send(found.to_string()).unwrap();
        if calls_in.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("a callback that panics once");
        }
    });
    for round in 0..2 {
        let name = format!("watched-{round}");
        let lock = Arc::new(Lock::named(format!("watched-lock-{round}")));
        let victim = spawn(&name, acquire_twice(&lock));
        let story = rx.recv_timeout(PATIENCE).expect("the watchdog reports");
        let expected =
            format!("{name} holds watched-lock-{round} and waits for watched-lock-{round}");
        assert_eq!(story, expected);
        // Still deadlocked for many more intervals: reported only once.
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        lock.release().unwrap();
        assert!(finish(victim));
        assert!(
            logs.0
                .lock()
                .unwrap()
                .iter()
                .any(|line| line == &format!("deadlock: {expected}"))
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        logs.0
            .lock()
            .unwrap()
            .iter()
            .any(|line| line == "the deadlock callback panicked")
    );
}

#[test]
fn a_zero_interval_is_taken_as_one_millisecond() {
    let (tx, rx) = mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let watchdog = deadlock::start_watchdog(Duration::ZERO, move |found| {
        if found.threads() == ["zero-interval"] {
            let _ = tx.lock().unwrap().send(found.to_string());
        }
    });
    let lock = Arc::new(Lock::named("zero-lock"));
    let victim = spawn("zero-interval", acquire_twice(&lock));
    assert_eq!(
        rx.recv_timeout(PATIENCE).expect("the watchdog reports"),
        "zero-interval holds zero-lock and waits for zero-lock"
    );
    lock.release().unwrap();
    assert!(finish(victim));
    watchdog.stop();
}

impl Take for BoundedSemaphore {
    fn take(&self) {
        self.acquire();
    }
    fn take_within(&self, timeout: Duration) -> bool {
        self.acquire_timeout(timeout)
    }
    fn give(&self) {
        self.release().unwrap();
    }
}

#[test]
fn a_refused_release_n_changes_nothing_in_the_record() {
    let slots = Arc::new(BoundedSemaphore::named("refused-slots", 1));
    let gate = Arc::new(Lock::named("refused-gate"));
    let start = meeting(2);
    // refused-1 takes the only unit and tries to give back two (refused,
    // by the holder itself), then wants the gate; refused-2 holds the gate
    // and wants a unit: a real deadlock.
    let t1 = {
        let (slots, gate, start) = (Arc::clone(&slots), Arc::clone(&gate), Arc::clone(&start));
        spawn("refused-1", move || {
            let _unit = slots.guard();
            assert_eq!(slots.release_n(2), Err(SyncError::TooManyReleases));
            start.wait().unwrap();
            gate.guard_timeout(PATIENCE).is_some()
        })
    };
    let (slots_any, gate_any): (Arc<dyn Take>, Arc<dyn Take>) = (slots.clone(), gate.clone());
    let t2 = hold_then_want("refused-2", &gate_any, &[&slots_any], &start);
    let found = wait_for_deadlock(&["refused-1", "refused-2"]);
    assert_cycle(
        &found,
        &[
            ("refused-1", "refused-slots"),
            ("refused-2", "refused-gate"),
        ],
    );
    // Refused again, by a thread that holds nothing: still nothing changes,
    // and the semaphore is not taken for a signal.
    assert_eq!(slots.release_n(2), Err(SyncError::TooManyReleases));
    assert_eq!(slots.release_n(usize::MAX), Err(SyncError::TooManyReleases));
    assert_eq!(slots.value(), 0);
    let again = wait_for_deadlock(&["refused-1", "refused-2"]);
    assert_eq!(again, found);
    // refused-1 still held its unit when it asked for the gate.
    let inversions: Vec<String> = inversions_of("refused-")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        inversions,
        ["refused-1 took refused-slots then refused-gate; \
          refused-2 took refused-gate then refused-slots"]
    );
    gate.release().unwrap();
    assert!(finish(t1));
    assert!(finish(t2));
    assert_eq!(slots.value(), 1);
}

#[test]
fn a_unit_being_given_back_is_never_a_deadlock() {
    // Two units and a lock taken in opposite orders, while a third thread
    // keeps taking and returning a unit: forward may hold a unit and wait
    // for the lock while backward holds the lock and waits for a unit, but
    // the returner always gives its unit back, so this cannot deadlock.
    let units = Arc::new(Semaphore::named("giveback-units", 2));
    let lock = Arc::new(Lock::named("giveback-lock"));
    let stop = Arc::new(AtomicBool::new(false));
    let watchdog_reports = Arc::new(AtomicUsize::new(0));
    let watchdog = deadlock::start_watchdog(Duration::from_millis(1), {
        let watchdog_reports = Arc::clone(&watchdog_reports);
        move |found| {
            if found.threads().iter().any(|t| t.starts_with("giveback-")) {
                watchdog_reports.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let rounds = Arc::new(AtomicUsize::new(0));
    let workers: Vec<Thread<()>> = ["forward", "backward", "returner"]
        .into_iter()
        .map(|role| {
            let (units, lock, stop, rounds) = (
                Arc::clone(&units),
                Arc::clone(&lock),
                Arc::clone(&stop),
                Arc::clone(&rounds),
            );
            spawn(&format!("giveback-{role}"), move || {
                while !stop.load(Ordering::Relaxed) {
                    match role {
                        "forward" => {
                            let _unit = units.guard();
                            drop(lock.guard());
                        }
                        "backward" => {
                            let _held = lock.guard();
                            drop(units.guard());
                        }
                        _ => drop(units.guard()),
                    }
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let until = Instant::now() + Duration::from_secs(2);
    let (mut checks, mut reported) = (0usize, Vec::new());
    while Instant::now() < until {
        reported.extend(
            deadlock::check()
                .into_iter()
                .filter(|d| d.threads().iter().any(|t| t.starts_with("giveback-"))),
        );
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        finish(worker);
    }
    watchdog.stop();
    assert!(rounds.load(Ordering::Relaxed) > 0);
    assert!(
        reported.is_empty(),
        "{} false reports in {checks} checks, e.g. {}",
        reported.len(),
        reported[0]
    );
    assert_eq!(watchdog_reports.load(Ordering::SeqCst), 0);
}

#[test]
fn a_fresh_lock_per_request_under_a_global_one_keeps_the_record_bounded() {
    // A server thread holds a global lock and takes a new lock per request:
    // every request adds a pair (global, request), which must be forgotten
    // when the request's lock is dropped. (More requests than the 65,536
    // pairs the record once stopped at.)
    const REQUESTS: usize = 70_000;
    let server = spawn("bounded-server", || {
        let global = Lock::named("bounded-global");
        let _global = global.guard();
        let (mut most_pairs, mut most_recorded) = (0, 0);
        for request in 0..REQUESTS {
            let lock = Lock::new();
            drop(lock.guard());
            if request % 500 == 0 {
                let sizes = deadlock::record_sizes();
                most_pairs = most_pairs.max(sizes.pairs);
                most_recorded = most_recorded.max(sizes.recorded);
            }
        }
        // Inversions between live locks are still all found.
        let (a, b): (Arc<dyn Take>, Arc<dyn Take>) = (
            Arc::new(Lock::named("bounded-a")),
            Arc::new(Lock::named("bounded-b")),
        );
        take_in_order("bounded-forward", &a, &b);
        take_in_order("bounded-backward", &b, &a);
        let found = inversions_of("bounded-");
        (
            most_pairs,
            most_recorded,
            deadlock::record_sizes().held,
            found,
        )
    });
    let (most_pairs, most_recorded, held, found) = finish(server);
    // The process-wide record also holds the other tests' pairs: a few dozen.
    assert!(most_pairs < 5_000, "{most_pairs} pairs remembered");
    assert!(
        most_recorded <= 2_048,
        "{most_recorded} pairs in the thread's list"
    );
    assert_eq!(held, 1, "the server holds its global lock only");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].locks(), ["bounded-a", "bounded-b"]);
}

#[test]
fn an_inversion_is_still_reported_once_its_locks_are_dropped() {
    {
        let p: Arc<dyn Take> = Arc::new(Lock::named("dropped-p"));
        let q: Arc<dyn Take> = Arc::new(Semaphore::named("dropped-q", 1));
        take_in_order("dropped-forward", &p, &q);
        take_in_order("dropped-backward", &q, &p);
    }
    let found = inversions_of("dropped-");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].to_string(),
        "dropped-forward took dropped-p then dropped-q; \
         dropped-backward took dropped-q then dropped-p"
    );
}

#[test]
fn locks_used_as_signals_are_held_once_for_ordering() {
    // The tutorial's pipeline over Locks, and a Semaphore(0) whose consumer
    // never gives back what it takes: each lock is in a thread's list of
    // held locks once at most, however many messages pass.
    const MESSAGES: usize = 2_000;
    let producer_lock = Arc::new(Lock::named("held-producer"));
    let consumer_lock = Arc::new(Lock::named("held-consumer"));
    let items = Arc::new(Semaphore::named("held-items", 0));
    consumer_lock.acquire();
    let shared = || {
        (
            Arc::clone(&producer_lock),
            Arc::clone(&consumer_lock),
            Arc::clone(&items),
        )
    };
    let (p, c, produced) = shared();
    let producer = spawn("held-producer", move || {
        for _ in 0..MESSAGES {
            p.acquire();
            produced.release();
            c.release().unwrap();
        }
        deadlock::record_sizes().held
    });
    let (p, c, consumed) = shared();
    let consumer = spawn("held-consumer", move || {
        for _ in 0..MESSAGES {
            c.acquire();
            consumed.acquire();
            p.release().unwrap();
        }
        deadlock::record_sizes().held
    });
    assert!(finish(producer) <= 1);
    assert!(finish(consumer) <= 2);
    assert_eq!(items.value(), 0);
}

/// A watchdog checking every 5 ms that sends the story of each deadlock
/// among threads named `name` to the receiver; when it stops, the sender
/// goes with its callback.
fn watch_for(name: &'static str) -> (Watchdog, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let watchdog = deadlock::start_watchdog(Duration::from_millis(5), move |found| {
        if found.threads() == [name] {
            let _ = tx.lock().unwrap().send(found.to_string());
        }
    });
    (watchdog, rx)
}

/// Sets its flag when dropped, slowly: a `stop` that did not wait for the
/// watchdog's thread to drop its callback would return before.
struct SlowDrop(Arc<AtomicBool>);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(100));
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_stopped_watchdog_has_finished_and_dropped_its_callback() {
    let dropped = Arc::new(AtomicBool::new(false));
    let (tx, reports) = mpsc::channel();
    let tx = Mutex::new(tx);
    let watchdog = deadlock::start_watchdog(Duration::from_millis(5), {
        let slow = SlowDrop(Arc::clone(&dropped));
        move |found| {
            let _ = &slow;
            if found.threads() == ["stopped"] {
                let _ = tx.lock().unwrap().send(found.to_string());
            }
        }
    });
    assert!(watchdog.is_running());
    let lock = Arc::new(Lock::named("stopped-lock"));
    let victim = spawn("stopped", acquire_twice(&lock));
    assert_eq!(
        reports
            .recv_timeout(PATIENCE)
            .expect("the watchdog reports"),
        "stopped holds stopped-lock and waits for stopped-lock"
    );
    watchdog.stop();
    // Its thread has finished and dropped the callback: it can never be
    // called again.
    assert!(dropped.load(Ordering::SeqCst));
    assert!(!watchdog.is_running());
    assert_eq!(
        reports.recv_timeout(PATIENCE),
        Err(RecvTimeoutError::Disconnected)
    );
    // Stopping again, or through a clone, returns at once.
    watchdog.clone().stop();
    assert!(watchdog.stop_timeout(Duration::ZERO));
    lock.release().unwrap();
    assert!(finish(victim));
}

#[test]
fn dropping_the_handle_does_not_stop_the_watchdog() {
    let (watchdog, reports) = watch_for("unstopped");
    drop(watchdog);
    let lock = Arc::new(Lock::named("unstopped-lock"));
    let victim = spawn("unstopped", acquire_twice(&lock));
    assert_eq!(
        reports
            .recv_timeout(PATIENCE)
            .expect("the watchdog reports"),
        "unstopped holds unstopped-lock and waits for unstopped-lock"
    );
    lock.release().unwrap();
    assert!(finish(victim));
}

#[test]
fn two_threads_may_stop_one_watchdog_at_once() {
    for interval in [Duration::ZERO, Duration::from_millis(3), Duration::MAX] {
        let watchdog = deadlock::start_watchdog(interval, |_| {});
        let both = meeting(2);
        let stoppers: Vec<Thread<bool>> = (0..2)
            .map(|i| {
                let (watchdog, both) = (watchdog.clone(), Arc::clone(&both));
                spawn(&format!("stopper-{i}"), move || {
                    both.wait().unwrap();
                    watchdog.stop();
                    watchdog.is_running()
                })
            })
            .collect();
        for stopper in stoppers {
            assert!(!finish(stopper), "running after stop ({interval:?})");
        }
        assert!(!watchdog.is_running());
    }
}

#[test]
fn the_callback_may_stop_its_own_watchdog() {
    let handle: Arc<OnceLock<Watchdog>> = Arc::new(OnceLock::new());
    let (tx, stopped) = mpsc::channel();
    let tx = Mutex::new(tx);
    let watchdog = deadlock::start_watchdog(Duration::from_millis(5), {
        let handle = Arc::clone(&handle);
        move |found| {
            if found.threads() != ["self-stopper"] {
                return;
            }
            let watchdog = handle.get().expect("set before the deadlock");
            // It cannot wait for its own thread: both return at once.
            watchdog.stop();
            let finished = watchdog.stop_timeout(PATIENCE);
            tx.lock().unwrap().send(finished).unwrap();
        }
    });
    handle.set(watchdog.clone()).unwrap();
    let lock = Arc::new(Lock::named("self-stopper-lock"));
    let victim = spawn("self-stopper", acquire_twice(&lock));
    assert_eq!(stopped.recv_timeout(PATIENCE), Ok(false));
    // The watchdog finishes once the callback has returned.
    common::wait_until("the watchdog finishes", || !watchdog.is_running());
    assert_eq!(
        stopped.recv_timeout(PATIENCE),
        Err(RecvTimeoutError::Disconnected)
    );
    lock.release().unwrap();
    assert!(finish(victim));
}

#[test]
fn stop_waits_for_a_callback_under_way() {
    let (entered_tx, entered) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let (entered_tx, go_rx) = (Mutex::new(entered_tx), Mutex::new(go_rx));
    let watchdog = deadlock::start_watchdog(Duration::from_millis(5), move |found| {
        if found.threads() == ["slow-callback"] {
            entered_tx.lock().unwrap().send(()).unwrap();
            let _ = go_rx.lock().unwrap().recv_timeout(PATIENCE);
        }
    });
    let lock = Arc::new(Lock::named("slow-callback-lock"));
    let victim = spawn("slow-callback", acquire_twice(&lock));
    entered.recv_timeout(PATIENCE).expect("the callback runs");
    // The callback is under way: the watchdog cannot have finished.
    assert!(!watchdog.stop_timeout(Duration::from_millis(50)));
    assert!(watchdog.is_running());
    go.send(()).unwrap();
    watchdog.stop();
    assert!(!watchdog.is_running());
    lock.release().unwrap();
    assert!(finish(victim));
}
