//! Lock-order checking: the order in which each thread takes its locks.
//!
//! The record holds the ordered pairs of live locks, so it is as large as
//! the program's live locks make it and no larger: when a lock is dropped
//! its pairs are forgotten (a thread that takes a fresh lock per request
//! under a global one leaves nothing behind), except those that were
//! already an inversion, which are kept for [`inversions`] (the first
//! [`MAX_RETIRED`]). Each thread's list of pairs already recorded is pruned
//! of forgotten pairs as it grows.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::record::Meta;
use super::thread_names::Names;

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
