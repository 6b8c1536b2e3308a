//! The bookkeeping behind [`check`](super::check) and
//! [`potential`](super::potential): who holds which lock, who waits for
//! which, and in which order each thread took its locks.
//!
//! # The wait-for graph, and why a snapshot of it is true
//!
//! Each lock's [`Meta`] records, under its own mutex, its holders (thread
//! ident and units held), how many units are free, and a generation that
//! counts every change; [`REGISTRY`] records the threads in a blocking
//! acquire, each with the lock it waits for. The rules:
//!
//! 1. A thread enters `REGISTRY` before it may block and leaves it, under the
//!    `REGISTRY` lock, *before* it is recorded as holding what it waited
//!    for. So while [`find_cycles`] holds `REGISTRY`, no waiting thread can
//!    stop waiting (as far as the record goes) nor gain a lock.
//! 2. A release is recorded under the lock's `Meta` mutex, in the same step
//!    as the lock really takes the units back, and only if it does (a
//!    refused release changes nothing). A take is recorded just *after* the
//!    real take. So the record's count of free units is never less than the
//!    lock's real count: it also counts the units taken but not recorded
//!    yet, such as the one a waiter has just been handed while it is still
//!    in `REGISTRY`. A holder never leaves the record before its unit is
//!    really back.
//! 3. Lock order: `REGISTRY`, then one `Meta` at a time; a `Meta` mutex is
//!    held only around the lock's own release (which may take the lock's
//!    parking mutex, which is never held while taking a `Meta`).
//!
//! A waiting thread is stuck if its lock has no free unit in the record and
//! has holders, every one of them stuck too. `find_cycles` reads every
//! waited-for lock's record once, keeps the waiting threads that are stuck
//! (a greatest fixpoint: a semaphore held by several threads frees its
//! waiter as soon as any one of them can go on), and follows one holder
//! from each to find the cycles. Waiting threads cannot change their
//! holdings, but a thread that is not waiting can still release a lock (any
//! thread may release a `Lock` or a semaphore), so it then reads again the
//! generations of every lock a cycle depends on (those waited for by its
//! threads and, through the semaphores' other holders, by every stuck
//! thread it needs): unchanged, they were all true at once, in the moment
//! between the last first read and the first second read.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::lock_kind::Kind;
use crate::loom::{Mutex, MutexGuard};

/// The calling thread's ident: pythreading's, or under loom the model
/// thread's own token (loom's threads share one OS thread).
fn get_ident() -> u64 {
    #[cfg(not(loom))]
    return pythreading_core::get_ident();
    #[cfg(loom)]
    return crate::loom::thread_token();
}

/// Lock ids, never reused (0 is never given).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What the detector knows of one lock.
pub(crate) struct Meta {
    id: u64,
    kind: Kind,
    name: Option<String>,
    /// Where the lock was when it was first tracked (for unnamed locks).
    addr: usize,
    /// Set when the lock is dropped: a thread's list of held locks forgets
    /// it, and so does the lock-order record (see [`order`]).
    dropped: AtomicBool,
    /// Set once the lock is in the lock-order record (see [`order`]).
    paired: AtomicBool,
    holders: Mutex<Holders>,
}

/// A lock's record: its holders, `(ident, units)` oldest first (a `Lock` or
/// `RLock` has at most one, a semaphore one per thread holding units), and
/// its free units.
#[derive(Debug, Default)]
struct Holders {
    generation: u64,
    units: Vec<(u64, usize)>,
    /// The lock's free units, plus those taken and not recorded yet (rule 2
    /// of the module docs): never less than the lock's real count.
    free: usize,
    /// Set once a thread gives back what another thread took (a `Lock` or a
    /// semaphore used as a signal): from then on anyone may be the one to
    /// release it, so waiting for it is not counted as blocked by its holder.
    signal: bool,
}

impl Holders {
    /// Thread `me` took one unit.
    fn take(&mut self, me: u64) {
        self.generation += 1;
        self.free = self.free.saturating_sub(1);
        match self.units.iter_mut().find(|(ident, _)| *ident == me) {
            Some((_, count)) => *count += 1,
            None => self.units.push((me, 1)),
        }
    }

    /// Thread `me` gave `units` back: its own first, then (units given back
    /// by a thread that did not take them) the oldest holder's, and the lock
    /// is known to be used as a signal. A `Lock` given back by a thread that
    /// is not its recorded holder is one too (its taker may not be recorded
    /// yet); units a semaphore gets with nobody holding any are new ones.
    fn give_back(&mut self, me: u64, mut units: usize, kind: Kind) {
        self.generation += 1;
        self.free = self.free.saturating_add(units);
        if self.units.is_empty() && kind == Kind::Lock {
            self.signal = true;
        }
        while units > 0 && !self.units.is_empty() {
            let at = match self.units.iter().position(|(ident, _)| *ident == me) {
                Some(at) => at,
                None => {
                    self.signal = true;
                    0
                }
            };
            let count = &mut self.units[at].1;
            let taken = units.min(*count);
            *count -= taken;
            units -= taken;
            if *count == 0 {
                self.units.remove(at);
            }
        }
    }

    fn held_by(&self, me: u64) -> bool {
        self.units.iter().any(|(ident, _)| *ident == me)
    }

    /// The holders a waiter for this lock depends on: none if a unit is
    /// free or the lock is a signal (then nothing is known).
    fn blocking(&self) -> Vec<u64> {
        if self.free > 0 || self.signal {
            return Vec::new();
        }
        self.units.iter().map(|(holder, _)| *holder).collect()
    }
}

impl Meta {
    fn new(kind: Kind, name: Option<String>, addr: usize, units: usize) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            kind,
            name,
            addr,
            dropped: AtomicBool::new(false),
            paired: AtomicBool::new(false),
            holders: Mutex::new(Holders {
                free: units,
                ..Holders::default()
            }),
        }
    }

    /// The lock's name, or its kind and address.
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("{} at {:#x}", self.kind.as_str(), self.addr),
        }
    }

    fn held_by(&self, me: u64) -> bool {
        self.holders.lock().held_by(me)
    }
}

impl fmt::Debug for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meta")
            .field("id", &self.id)
            .field("label", &self.label())
            .finish_non_exhaustive()
    }
}

/// The detector's part of a lock (feature `deadlock-detection`).
#[derive(Debug)]
pub(crate) struct Tracker {
    kind: Kind,
    /// The lock's units when it was made: 1 for a lock, a semaphore's value.
    units: usize,
    /// Made on first use, so that `Lock::new` stays `const` and allocates
    /// nothing until the lock is used.
    meta: OnceLock<Arc<Meta>>,
}

impl Tracker {
    pub(crate) const fn new(kind: Kind) -> Self {
        Self {
            kind,
            units: 1,
            meta: OnceLock::new(),
        }
    }

    pub(crate) fn named(kind: Kind, name: String) -> Self {
        Self::counting(kind, Some(name), 1)
    }

    /// The tracker of a lock made with `units` free units (a semaphore's
    /// value).
    pub(crate) fn counting(kind: Kind, name: Option<String>, units: usize) -> Self {
        let tracker = Self {
            kind,
            units,
            meta: OnceLock::new(),
        };
        if let Some(name) = name {
            let _ = tracker
                .meta
                .set(Arc::new(Meta::new(kind, Some(name), 0, units)));
        }
        tracker
    }

    fn meta(&self) -> &Arc<Meta> {
        self.meta.get_or_init(|| {
            let addr = std::ptr::from_ref(self).addr();
            Arc::new(Meta::new(self.kind, None, addr, self.units))
        })
    }

    /// The calling thread took the lock (or one unit) without waiting.
    pub(crate) fn acquired(&self) {
        let me = get_ident();
        let meta = self.meta();
        meta.holders.lock().take(me);
        order::acquired(meta, me);
    }

    /// Runs `wait`, a blocking acquire returning whether it took the lock,
    /// with the calling thread recorded as waiting for this lock meanwhile.
    pub(crate) fn blocking(&self, wait: impl FnOnce() -> bool) -> bool {
        let me = get_ident();
        let meta = self.meta();
        let waiter = Waiter {
            thread: std::thread::current(),
            lock: Arc::clone(meta),
            episode: EPISODES.fetch_add(1, Ordering::Relaxed),
        };
        order::attempt(meta, me);
        registry().insert(me, waiter);
        let taken = wait();
        {
            let mut registry = registry();
            registry.remove(&me);
            if taken {
                meta.holders.lock().take(me);
            }
        }
        if taken {
            // The pairs were recorded by `attempt`, and this thread's held
            // locks cannot have changed while it waited.
            order::push(meta);
        }
        taken
    }

    /// Runs `release`, which gives `units` back to the lock and returns
    /// whether the lock took them (`false`: refused, nothing changed), and
    /// records the release in the same step, if it happened.
    pub(crate) fn release(&self, units: usize, release: impl FnOnce() -> bool) -> bool {
        let me = get_ident();
        // Made here too: units given to a lock nobody took yet must count.
        let meta = self.meta();
        let still_held = {
            let mut holders = meta.holders.lock();
            if !release() {
                return false;
            }
            holders.give_back(me, units, self.kind);
            holders.held_by(me)
        };
        order::released(meta, still_held);
        true
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(meta) = self.meta.get() {
            // Paired with `order::record`: either it sees `dropped`, or this
            // sees `paired` and takes the pairs out.
            meta.dropped.store(true, Ordering::SeqCst);
            if meta.paired.load(Ordering::SeqCst) {
                order::forget(meta.id);
            }
        }
    }
}

/// A thread in a blocking acquire.
struct Waiter {
    /// For the name of a thread pythreading does not know (see [`Names`]).
    thread: std::thread::Thread,
    lock: Arc<Meta>,
    /// Which wait this is: a thread that deadlocks, is freed and deadlocks
    /// again is a new deadlock.
    episode: u64,
}

static EPISODES: AtomicU64 = AtomicU64::new(1);

/// The threads in a blocking acquire, by ident.
#[cfg(not(loom))]
static REGISTRY: Mutex<BTreeMap<u64, Waiter>> = Mutex::new(BTreeMap::new());

// Under loom, made afresh for each execution of a model.
#[cfg(loom)]
loom::lazy_static! {
    static ref REGISTRY: Mutex<BTreeMap<u64, Waiter>> = Mutex::new(BTreeMap::new());
}

fn registry() -> MutexGuard<'static, BTreeMap<u64, Waiter>> {
    REGISTRY.lock()
}

/// One thread of a cycle: it holds `holds`, which the thread before it in
/// the cycle waits for.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) ident: u64,
    pub(crate) episode: u64,
    pub(crate) thread: std::thread::Thread,
    pub(crate) holds: Arc<Meta>,
}

/// Every cycle of threads blocked on each other's locks now, each starting
/// at its thread with the smallest ident, in ascending order of that ident.
pub(crate) fn find_cycles() -> Vec<Vec<Member>> {
    let registry = registry();
    // What each waited-for lock's holders are, read once.
    let mut holders: BTreeMap<u64, (u64, Vec<u64>)> = BTreeMap::new();
    for (&ident, waiter) in registry.iter() {
        let record = waiter.lock.holders.lock();
        holders.insert(ident, (record.generation, record.blocking()));
    }
    let stuck = stuck_threads(&holders);

    // Each stuck thread's first holder is stuck too: follow them.
    let next = |ident: u64| holders[&ident].1[0];
    let mut seen: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    let mut cycles = Vec::new();
    for (walk, &start) in stuck.iter().enumerate() {
        let mut path = Vec::new();
        let mut at = start;
        while !seen.contains_key(&at) {
            seen.insert(at, (walk, path.len()));
            path.push(at);
            at = next(at);
        }
        let (its_walk, index) = seen[&at];
        if its_walk == walk {
            cycles.push(path.split_off(index));
        }
    }
    // Keep the cycles none of whose locks, nor those of the stuck threads
    // they need, changed hands meanwhile.
    cycles.retain(|cycle| {
        depends_on(cycle, &holders).into_iter().all(|ident| {
            let lock = &registry[&ident].lock;
            lock.holders.lock().generation == holders[&ident].0
        })
    });
    cycles
        .into_iter()
        .map(|mut cycle| {
            let smallest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
            cycle.rotate_left(smallest);
            let count = cycle.len();
            (0..count)
                .map(|i| {
                    let waiter = &registry[&cycle[i]];
                    let before = &registry[&cycle[(i + count - 1) % count]];
                    Member {
                        ident: cycle[i],
                        episode: waiter.episode,
                        thread: waiter.thread.clone(),
                        holds: Arc::clone(&before.lock),
                    }
                })
                .collect()
        })
        .collect()
}

/// The stuck threads that a cycle of stuck threads is stuck on: its own,
/// and every holder of their locks, and of those holders' locks, and so
/// on. (The cycle goes through one holder of each semaphore; the others
/// must be stuck too.)
fn depends_on(cycle: &[u64], holders: &BTreeMap<u64, (u64, Vec<u64>)>) -> BTreeSet<u64> {
    let mut needed: BTreeSet<u64> = cycle.iter().copied().collect();
    let mut todo = cycle.to_vec();
    while let Some(ident) = todo.pop() {
        for &holder in &holders[&ident].1 {
            if needed.insert(holder) {
                todo.push(holder);
            }
        }
    }
    needed
}

/// The waiting threads that can never go on: those whose lock has holders,
/// all of them in the set (the greatest such set).
fn stuck_threads(holders: &BTreeMap<u64, (u64, Vec<u64>)>) -> BTreeSet<u64> {
    let mut stuck: BTreeSet<u64> = holders
        .iter()
        .filter(|(_, (_, idents))| !idents.is_empty())
        .map(|(&ident, _)| ident)
        .collect();
    loop {
        let free: Vec<u64> = stuck
            .iter()
            .copied()
            .filter(|ident| !holders[ident].1.iter().all(|h| stuck.contains(h)))
            .collect();
        if free.is_empty() {
            return stuck;
        }
        for ident in free {
            stuck.remove(&ident);
        }
    }
}

/// Thread names, looked up without registering anything: a thread started
/// by pythreading, the main thread, or a thread already seen by
/// `current_thread()` has its pythreading name (as it is now); any other
/// thread its std name, or `thread <ident>`. (Calling `current_thread()`
/// here would register a dummy thread for every foreign thread that ever
/// waited for a lock.)
pub(crate) struct Names(BTreeMap<u64, String>);

impl Names {
    pub(crate) fn now() -> Self {
        Self(
            pythreading_core::enumerate()
                .into_iter()
                .filter_map(|t| Some((t.ident()?, t.name())))
                .collect(),
        )
    }

    pub(crate) fn of(&self, ident: u64, thread: &std::thread::Thread) -> String {
        match (self.0.get(&ident), thread.name()) {
            (Some(name), _) => name.clone(),
            (None, Some(name)) => name.to_owned(),
            (None, None) => format!("thread {ident}"),
        }
    }
}

/// Lock-order checking: the order in which each thread takes its locks.
///
/// The record holds the ordered pairs of live locks, so it is as large as
/// the program's live locks make it and no larger: when a lock is dropped
/// its pairs are forgotten (a thread that takes a fresh lock per request
/// under a global one leaves nothing behind), except those that were
/// already an inversion, which are kept for [`inversions`] (the first
/// [`MAX_RETIRED`]). Each thread's list of pairs already recorded is pruned
/// of forgotten pairs as it grows.
pub(crate) mod order {
    use super::*;

    /// At most this many threads are named per ordered pair.
    const MAX_THREADS: usize = 8;
    /// At most this many inversions between locks since dropped are kept.
    pub(crate) const MAX_RETIRED: usize = 1024;
    /// A thread's list of pairs already recorded is pruned when it reaches
    /// this size, or twice its size after the last pruning.
    const PRUNE_AT: usize = 1024;

    /// One ordered pair: `before` was held while `after` was taken.
    #[derive(Debug, Clone)]
    pub(crate) struct Pair {
        pub(crate) before: String,
        pub(crate) after: String,
        /// The threads that did so: `(ident, name)`.
        pub(crate) threads: Vec<(u64, String)>,
    }

    /// The process-wide record.
    struct Pairs {
        /// By `(before, after)` lock ids, for live locks.
        by_order: BTreeMap<(u64, u64), Pair>,
        /// `(after, before)` for each key of `by_order`: the pairs in which
        /// a lock came second.
        reversed: BTreeSet<(u64, u64)>,
        /// Inversions found between locks since dropped, by ids.
        retired: BTreeMap<(u64, u64), (Pair, Pair)>,
    }

    static PAIRS: parking_lot::Mutex<Pairs> = parking_lot::Mutex::new(Pairs {
        by_order: BTreeMap::new(),
        reversed: BTreeSet::new(),
        retired: BTreeMap::new(),
    });

    /// The pairs one thread has recorded, so that taking the same locks
    /// again takes no process-wide lock.
    struct Recorded {
        pairs: HashSet<(u64, u64)>,
        prune_at: usize,
    }

    thread_local! {
        /// The locks this thread took and still holds, each once, in the
        /// order it first took them.
        static HELD: RefCell<Vec<Arc<Meta>>> = const { RefCell::new(Vec::new()) };
        static RECORDED: RefCell<Recorded> = RefCell::new(Recorded {
            pairs: HashSet::new(),
            prune_at: PRUNE_AT,
        });
    }

    /// Thread `me` is about to wait for `lock`: record every lock it holds
    /// as taken before, now, as lockdep does, so that a run that does
    /// deadlock still shows the inversion.
    pub(super) fn attempt(lock: &Arc<Meta>, me: u64) {
        with_held(lock, me, |_| {});
    }

    /// Thread `me` took `lock`: record every lock it holds as taken
    /// before, and add `lock` to them.
    pub(super) fn acquired(lock: &Arc<Meta>, me: u64) {
        with_held(lock, me, |held| add(held, lock));
    }

    /// Adds `lock` to the calling thread's held locks, recording nothing:
    /// after a wait whose [`attempt`] recorded the pairs.
    pub(super) fn push(lock: &Arc<Meta>) {
        if cfg!(loom) {
            return;
        }
        let _ = HELD.try_with(|held| {
            if let Ok(mut held) = held.try_borrow_mut() {
                add(&mut held, lock);
            }
        });
    }

    /// Adds `lock` to `held` unless it is there already (a second unit).
    fn add(held: &mut Vec<Arc<Meta>>, lock: &Arc<Meta>) {
        if held.iter().all(|h| h.id != lock.id) {
            held.push(Arc::clone(lock));
        }
    }

    /// Records `(held, lock)` for each lock `me` still holds, then runs
    /// `then` on the list.
    fn with_held(lock: &Arc<Meta>, me: u64, then: impl FnOnce(&mut Vec<Arc<Meta>>)) {
        // Under loom the model threads share one OS thread, and so its
        // thread-locals: lock order is not modelled.
        if cfg!(loom) {
            return;
        }
        let _ = HELD.try_with(|held| {
            let Ok(mut held) = held.try_borrow_mut() else {
                return;
            };
            // Forget locks dropped, or released by another thread (this one
            // too: a Lock used as a signal, taken again).
            held.retain(|h| !h.dropped.load(Ordering::Relaxed) && h.held_by(me));
            for before in held.iter().filter(|h| h.id != lock.id) {
                record(before, lock, me);
            }
            then(&mut held);
        });
    }

    /// The calling thread gave back units of `lock`; `still_held` if it
    /// still holds some.
    pub(super) fn released(lock: &Arc<Meta>, still_held: bool) {
        if cfg!(loom) || still_held {
            return;
        }
        let _ = HELD.try_with(|held| {
            if let Ok(mut held) = held.try_borrow_mut() {
                held.retain(|h| h.id != lock.id);
            }
        });
    }

    fn record(before: &Meta, after: &Meta, me: u64) {
        let key = (before.id, after.id);
        let new = RECORDED
            .try_with(|recorded| {
                let mut recorded = recorded.borrow_mut();
                let new = recorded.pairs.insert(key);
                if new && recorded.pairs.len() >= recorded.prune_at {
                    let pairs = PAIRS.lock();
                    recorded
                        .pairs
                        .retain(|key| pairs.by_order.contains_key(key));
                    recorded.prune_at = PRUNE_AT.max(2 * recorded.pairs.len());
                }
                new
            })
            .unwrap_or(false);
        if !new {
            return;
        }
        let name = Names::now().of(me, &std::thread::current());
        let mut pairs = PAIRS.lock();
        // Paired with `Tracker::drop`: either it sees `paired` and takes this
        // pair out (after this, under `PAIRS`), or this sees `dropped`.
        before.paired.store(true, Ordering::SeqCst);
        after.paired.store(true, Ordering::SeqCst);
        if before.dropped.load(Ordering::SeqCst) || after.dropped.load(Ordering::SeqCst) {
            return;
        }
        let pairs = &mut *pairs;
        let pair = pairs.by_order.entry(key).or_insert_with(|| Pair {
            before: before.label(),
            after: after.label(),
            threads: Vec::new(),
        });
        pairs.reversed.insert((after.id, before.id));
        if pair.threads.len() < MAX_THREADS && pair.threads.iter().all(|(t, _)| *t != me) {
            pair.threads.push((me, name));
        }
    }

    /// Lock `id` was dropped: forget its pairs, keeping its inversions.
    pub(super) fn forget(id: u64) {
        let mut pairs = PAIRS.lock();
        let pairs = &mut *pairs;
        let after: Vec<u64> = pairs
            .by_order
            .range((id, 0)..=(id, u64::MAX))
            .map(|(&(_, after), _)| after)
            .collect();
        for other in after {
            let Some(forward) = pairs.by_order.remove(&(id, other)) else {
                continue;
            };
            pairs.reversed.remove(&(other, id));
            let Some(backward) = pairs.by_order.remove(&(other, id)) else {
                continue;
            };
            pairs.reversed.remove(&(id, other));
            if pairs.retired.len() < MAX_RETIRED && by_different_threads(&forward, &backward) {
                let both = if id < other {
                    (forward, backward)
                } else {
                    (backward, forward)
                };
                pairs.retired.insert((id.min(other), id.max(other)), both);
            }
        }
        let before: Vec<u64> = pairs
            .reversed
            .range((id, 0)..=(id, u64::MAX))
            .map(|&(_, before)| before)
            .collect();
        for other in before {
            pairs.by_order.remove(&(other, id));
            pairs.reversed.remove(&(id, other));
        }
    }

    /// Whether two opposite pairs were recorded by different threads.
    fn by_different_threads(forward: &Pair, backward: &Pair) -> bool {
        forward
            .threads
            .iter()
            .any(|(t, _)| backward.threads.iter().any(|(u, _)| u != t))
    }

    /// Every pair of locks taken in both orders, by different threads:
    /// `(first then second, second then first)`, the first lock being the
    /// one made first; those of locks since dropped too.
    pub(crate) fn inversions() -> Vec<(Pair, Pair)> {
        let pairs = PAIRS.lock();
        let live = pairs
            .by_order
            .iter()
            .filter(|((a, b), _)| a < b)
            .filter_map(|(&(a, b), forward)| {
                let backward = pairs.by_order.get(&(b, a))?;
                by_different_threads(forward, backward).then_some(((a, b), (forward, backward)))
            });
        let retired = pairs.retired.iter().map(|(&key, (f, b))| (key, (f, b)));
        let mut all: Vec<_> = live.chain(retired).collect();
        all.sort_by_key(|(key, _)| *key);
        all.into_iter()
            .map(|(_, (forward, backward))| (forward.clone(), backward.clone()))
            .collect()
    }

    /// How large the record is: `(ordered pairs of live locks, inversions
    /// kept of dropped locks, locks the calling thread holds, pairs it has
    /// recorded)`.
    pub(crate) fn sizes() -> (usize, usize, usize, usize) {
        let (by_order, retired) = {
            let pairs = PAIRS.lock();
            (pairs.by_order.len(), pairs.retired.len())
        };
        let held = HELD.try_with(|h| h.borrow().len()).unwrap_or(0);
        let recorded = RECORDED.try_with(|r| r.borrow().pairs.len()).unwrap_or(0);
        (by_order, retired, held, recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(u64, &[u64])]) -> BTreeMap<u64, (u64, Vec<u64>)> {
        edges
            .iter()
            .map(|(waiter, holders)| (*waiter, (0, holders.to_vec())))
            .collect()
    }

    #[test]
    fn a_cycle_is_stuck_and_a_thread_behind_it_too() {
        // 1 -> 2 -> 1, and 3 waits for 1.
        let stuck = stuck_threads(&graph(&[(1, &[2]), (2, &[1]), (3, &[1])]));
        assert_eq!(stuck.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn a_lock_held_by_a_running_thread_frees_its_waiters() {
        // 1 -> 2 -> 9, and 9 is not waiting.
        assert!(stuck_threads(&graph(&[(1, &[2]), (2, &[9])])).is_empty());
        // A lock with no recorded holder: nothing is known, nothing reported.
        assert!(stuck_threads(&graph(&[(1, &[])])).is_empty());
    }

    #[test]
    fn a_semaphore_frees_its_waiter_if_any_holder_can_go_on() {
        // 1 waits for a semaphore held by 2 and 3; 2 waits for 1; 3 runs.
        assert!(stuck_threads(&graph(&[(1, &[2, 3]), (2, &[1])])).is_empty());
        // Once 3 waits for 1 as well, all three are stuck.
        let stuck = stuck_threads(&graph(&[(1, &[2, 3]), (2, &[1]), (3, &[1])]));
        assert_eq!(stuck.len(), 3);
    }

    proptest::proptest! {
        /// The fixpoint is the greatest set of waiting threads whose locks
        /// have holders, all in the set: the union of every such set, found
        /// here by trying every subset of up to seven threads.
        #[test]
        fn stuck_threads_is_the_greatest_closed_set(
            edges in proptest::collection::btree_map(
                1u64..8,
                proptest::collection::vec(1u64..10, 0..3),
                0..7,
            )
        ) {
            let holders: BTreeMap<u64, (u64, Vec<u64>)> =
                edges.into_iter().map(|(t, h)| (t, (0, h))).collect();
            let waiting: Vec<u64> = holders.keys().copied().collect();
            let mut union = BTreeSet::new();
            for mask in 0u32..(1 << waiting.len()) {
                let set: BTreeSet<u64> = waiting
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, t)| *t)
                    .collect();
                let closed = set.iter().all(|t| {
                    let h = &holders[t].1;
                    !h.is_empty() && h.iter().all(|x| set.contains(x))
                });
                if closed {
                    union.extend(set);
                }
            }
            proptest::prop_assert_eq!(stuck_threads(&holders), union);
        }
    }

    #[test]
    fn a_cycle_depends_on_every_holder_behind_its_semaphores() {
        // 1 -> 2 -> 1 through a semaphore held by 1 and 3; 3 waits for 4,
        // which waits for 2. The cycle holds only as long as 3 and 4 stay
        // stuck too; 5, stuck behind 1, is no part of it.
        let holders = graph(&[(1, &[2]), (2, &[1, 3]), (3, &[4]), (4, &[2]), (5, &[1])]);
        assert_eq!(stuck_threads(&holders).len(), 5);
        let needed: Vec<u64> = depends_on(&[1, 2], &holders).into_iter().collect();
        assert_eq!(needed, [1, 2, 3, 4]);
    }

    #[test]
    fn a_release_takes_the_releasers_units_first_then_the_oldest() {
        let mut record = Holders {
            free: 3,
            ..Holders::default()
        };
        record.take(1);
        record.take(2);
        record.take(2);
        assert_eq!(record.free, 0);
        assert_eq!(record.blocking(), [1, 2]);
        record.give_back(2, 1, Kind::Semaphore);
        assert_eq!(record.units, [(1, 1), (2, 1)]);
        assert!(!record.signal);
        // A unit is free: nobody waiting for one is blocked.
        assert_eq!(record.free, 1);
        assert!(record.blocking().is_empty());
        // Thread 3 holds nothing: the oldest unit (thread 1's) goes, and the
        // semaphore is known to be used as a signal.
        record.take(4);
        record.give_back(3, 1, Kind::Semaphore);
        assert!(record.signal);
        assert_eq!(record.units, [(2, 1), (4, 1)]);
        // More than recorded: everything goes, nothing overflows.
        record.give_back(3, usize::MAX, Kind::Semaphore);
        assert!(record.units.is_empty());
        assert_eq!(record.free, usize::MAX);
        assert!(!record.held_by(2));
    }

    #[test]
    fn units_given_to_a_semaphore_nobody_holds_are_new_ones() {
        let mut record = Holders::default();
        record.give_back(1, 2, Kind::Semaphore);
        assert!(!record.signal);
        assert_eq!(record.free, 2);
        // A Lock given back with no recorded holder had a taker not yet
        // recorded: it was handed off.
        let mut lock = Holders::default();
        lock.give_back(1, 1, Kind::Lock);
        assert!(lock.signal);
    }

    #[test]
    fn unnamed_locks_are_their_kind_and_address() {
        let meta = Meta::new(Kind::RLock, None, 0x1234, 1);
        assert_eq!(meta.label(), "RLock at 0x1234");
        assert_eq!(Meta::new(Kind::Lock, Some("db".into()), 0, 1).label(), "db");
    }
}

/// Model checks of the record's hand-offs: whatever the interleaving,
/// `find_cycles` never reports a cycle that is not there, and finds the one
/// that is. (Run by `cargo xtask ci`'s loom step, with this feature.)
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::Lock;

    /// `loom::model` with three preemptions whatever `LOOM_MAX_PREEMPTIONS`
    /// says: catching a thread between taking a lock and leaving the record
    /// takes three (the checker held back, the holder held back so that
    /// the waiter blocks, the waiter caught in the gap). These models are
    /// small enough for that.
    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    /// The idents of every cycle now.
    fn cycles() -> Vec<Vec<u64>> {
        find_cycles()
            .into_iter()
            .map(|cycle| cycle.iter().map(|m| m.ident).collect())
            .collect()
    }

    /// Two threads take two locks in the same order while this one checks:
    /// never a cycle, at any point of any interleaving.
    #[test]
    fn loom_deadlock_one_order_is_never_a_cycle() {
        model(|| {
            let a = loom::sync::Arc::new(Lock::named("a"));
            let b = loom::sync::Arc::new(Lock::named("b"));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (a, b) = (a.clone(), b.clone());
                    loom::thread::spawn(move || {
                        let _a = a.guard();
                        let _b = b.guard();
                    })
                })
                .collect();
            assert!(cycles().is_empty());
            for thread in threads {
                thread.join().unwrap();
            }
            assert!(cycles().is_empty());
        });
    }

    /// A thread waits for a lock that another thread (not its holder)
    /// releases: the waiter is never its own holder in the record, even in
    /// the moment between taking the lock and leaving the record.
    #[test]
    fn loom_deadlock_release_by_another_thread_is_never_a_cycle() {
        model(|| {
            let lock = loom::sync::Arc::new(Lock::named("signal"));
            lock.acquire();
            let waiter = {
                let lock = lock.clone();
                loom::thread::spawn(move || {
                    lock.acquire();
                    lock.release().unwrap();
                })
            };
            let releaser = {
                let lock = lock.clone();
                loom::thread::spawn(move || lock.release().unwrap())
            };
            assert!(cycles().is_empty());
            releaser.join().unwrap();
            waiter.join().unwrap();
            assert!(cycles().is_empty());
        });
    }

    /// A thread acquiring a Lock it holds is found as a one-thread cycle;
    /// releasing the lock from this thread frees it.
    #[test]
    fn loom_deadlock_self_deadlock_is_found() {
        model(|| {
            let lock = loom::sync::Arc::new(Lock::named("twice"));
            let (tx, rx) = loom::sync::mpsc::channel();
            let selfish = {
                let lock = lock.clone();
                loom::thread::spawn(move || {
                    tx.send(get_ident()).unwrap();
                    lock.acquire();
                    lock.acquire();
                    lock.release().unwrap();
                })
            };
            let ident = rx.recv().unwrap();
            let found = loop {
                let found = cycles();
                if !found.is_empty() {
                    break found;
                }
                loom::thread::yield_now();
            };
            assert_eq!(found, [vec![ident]]);
            lock.release().unwrap();
            selfish.join().unwrap();
            assert!(cycles().is_empty());
        });
    }

    /// A thread waits for the second unit of a two-unit semaphore while
    /// another thread gives its unit back: never a cycle, neither while the
    /// unit is on its way back nor while the waiter, handed it, is still
    /// recorded as waiting.
    #[test]
    fn loom_deadlock_a_unit_being_given_back_is_never_a_cycle() {
        model(|| {
            let units = loom::sync::Arc::new(crate::Semaphore::named("units", 2));
            let returner = {
                let units = units.clone();
                loom::thread::spawn(move || {
                    units.acquire();
                    units.release();
                })
            };
            let greedy = {
                let units = units.clone();
                loom::thread::spawn(move || {
                    units.acquire();
                    units.acquire();
                    units.release_n(2);
                })
            };
            assert!(cycles().is_empty());
            returner.join().unwrap();
            greedy.join().unwrap();
            assert!(cycles().is_empty());
            assert_eq!(units.value(), 2);
        });
    }
}
