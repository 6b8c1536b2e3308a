//! The wait-for graph and its cycles: [`find_cycles`], read from the
//! record by its rules (see `record`).
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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::record::{Meta, registry};

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
}

/// Model checks of the record's hand-offs: whatever the interleaving,
/// `find_cycles` never reports a cycle that is not there, and finds the one
/// that is. (Run by `cargo xtask ci`'s loom step, with this feature.)
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::Lock;
    use crate::deadlock::record::get_ident;

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
