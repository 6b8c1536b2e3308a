//! Which thread waits on which pool future, and the check that a wait
//! about to park is not one link of a cycle that can never end.
//!
//! A thread about to park until a pool's future is done, with no time
//! limit, records itself here as waiting on that future ([`enter`]), and
//! takes the record out when the park ends. Each pool future knows the
//! thread that started its task (its *runner*). The check follows the
//! links from the future the new waiter waits on: to its runner, to the
//! future that runner waits on (if it is recorded as waiting), and so on.
//! Coming back to the new waiter is a cycle: every thread on it waits,
//! without a time limit, on a future only the next one can finish, and
//! none ever will. The new waiter does not park then: its wait ends with
//! the cycle described ([`TaskError::Deadlock`](crate::TaskError::Deadlock)),
//! and that breaks the cycle for the others.
//!
//! A cycle closes only when its last link is made, and the last link is
//! always a wait: a thread starts a task before it waits inside it. So
//! checking at each park, and nowhere else, finds every cycle the moment
//! it closes, and costs a wait that does not park nothing.
//!
//! No false report: records change only under the table's mutex, so a
//! record seen there is of a thread still in its wait, and everything
//! that thread did before recording itself (finishing the futures it ran,
//! say) is seen too. A walk that comes back to the checking thread ends at
//! a future this thread is running, which nobody else can finish; so the
//! thread recorded as waiting on it really is stuck, and so, link by link
//! backwards, is every thread of the cycle. The check and the recording
//! are one step under the mutex, so of two threads closing one cycle at
//! once exactly one sees it: the one that reports does not record itself,
//! and the other parks until the reporter's task ends and lets it go.
//!
//! Timed waits are not recorded: they end by themselves.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use crate::id::FutureId;
use crate::sys::Mutex;
use crate::task::Node;

/// One thread's wait.
struct Record {
    /// The future it waits on.
    target: Arc<dyn Node>,
    /// The thread's name, for the report.
    name: String,
}

/// The record of the threads waiting on pool futures, by thread ident.
pub(crate) struct WaitsFor {
    records: Mutex<BTreeMap<u64, Record>>,
}

#[cfg(not(loom))]
static WAITS: WaitsFor = WaitsFor::new();

/// The process's record.
#[cfg(not(loom))]
pub(crate) fn waits() -> &'static WaitsFor {
    &WAITS
}

#[cfg(loom)]
loom::lazy_static! {
    static ref WAITS: WaitsFor = WaitsFor::new();
}

/// The model's record (one per execution of a loom model).
#[cfg(loom)]
pub(crate) fn waits() -> &'static WaitsFor {
    &WAITS
}

/// The calling thread's wait, recorded until this is dropped.
#[must_use = "the wait is recorded only while this lives"]
pub(crate) struct Entered<'a> {
    waits: &'a WaitsFor,
    me: u64,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let record = self.waits.records.lock().remove(&self.me);
        // Dropped outside the lock: the last handle on a future drops
        // what is left of it, user code.
        drop(record);
    }
}

impl WaitsFor {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            records: Mutex::new(BTreeMap::new()),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            records: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records that the thread `me`, named `name`, is about to park until
    /// `target` is done, with no time limit; or, if that wait would close
    /// a cycle, records nothing and describes the cycle.
    pub(crate) fn enter(
        &self,
        me: u64,
        name: impl FnOnce() -> String,
        target: Arc<dyn Node>,
    ) -> Result<Entered<'_>, String> {
        let mut records = self.records.lock();
        // The futures met on the way, and the thread running each.
        let mut links: Vec<(FutureId, u64)> = Vec::new();
        let mut next: &dyn Node = &*target;
        let cycle = loop {
            // Each thread is passed at most once on a path that does not
            // come back to `me`; more steps mean a cycle elsewhere that this
            // wait only leads into.
            if next.is_done() || links.len() > records.len() {
                break false;
            }
            let runner = next.runner();
            links.push((next.id(), runner));
            if runner == me {
                break true;
            }
            match records.get(&runner) {
                Some(record) => next = &*record.target,
                None => break false,
            }
        };
        if cycle {
            let mine = name();
            let names: Vec<String> = links
                .iter()
                .map(|(_, runner)| match records.get(runner) {
                    Some(record) => record.name.clone(),
                    None => mine.clone(),
                })
                .collect();
            drop(records);
            // The caller's future holds the cell too: not the last handle,
            // but dropped outside the lock all the same.
            drop(target);
            return Err(describe(&mine, &links, &names));
        }
        drop(links);
        let old = records.insert(
            me,
            Record {
                target,
                name: name(),
            },
        );
        drop(records);
        // A thread waits on one future at a time: nothing was there.
        debug_assert!(old.is_none(), "a thread recorded in two waits");
        drop(old);
        Ok(Entered { waits: self, me })
    }

    /// How many threads are recorded as waiting.
    #[cfg(all(test, loom))]
    pub(crate) fn len(&self) -> usize {
        self.records.lock().len()
    }
}

/// `A waits on future 3, which runs on B, which waits on future 4, which
/// runs on A`.
fn describe(mine: &str, links: &[(FutureId, u64)], names: &[String]) -> String {
    let mut text = format!("a cycle of waits: {mine}");
    for ((future, _), runner) in links.iter().zip(names) {
        let _ = write!(text, " waits on {future}, which runs on {runner}, which");
    }
    text.truncate(text.len() - ", which".len());
    text
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sys::Ordering;
    use loom::sync::atomic::{AtomicBool, AtomicUsize};

    /// A future as the check sees it, played by the model: started by
    /// thread `runner`, done once `done` is set.
    struct Played {
        id: FutureId,
        runner: u64,
        done: AtomicBool,
    }

    impl Played {
        fn new(runner: u64) -> Arc<Self> {
            Arc::new(Self {
                id: FutureId::next(),
                runner,
                done: AtomicBool::new(false),
            })
        }

        fn finish(&self) {
            self.done.store(true, Ordering::Release);
        }
    }

    impl Node for Played {
        fn id(&self) -> FutureId {
            self.id
        }

        fn is_done(&self) -> bool {
            self.done.load(Ordering::Acquire)
        }

        fn runner(&self) -> u64 {
            self.runner
        }
    }

    fn named(n: u64) -> impl FnOnce() -> String {
        move || format!("T{n}")
    }

    fn spin_until(flag: &AtomicUsize, at_least: usize) {
        while flag.load(Ordering::Acquire) < at_least {
            loom::thread::yield_now();
        }
    }

    /// Two threads close one cycle at once (each runs the future the other
    /// is about to wait on): exactly one is told, and it records nothing.
    #[test]
    fn loom_two_threads_closing_one_cycle_exactly_one_is_told() {
        loom::model(|| {
            let (a, b) = (Played::new(1), Played::new(2));
            let entered = Arc::new(AtomicUsize::new(0));
            let other = {
                let entered = Arc::clone(&entered);
                let a = Arc::clone(&a) as Arc<dyn Node>;
                loom::thread::spawn(move || {
                    let wait = waits().enter(2, named(2), a);
                    entered.fetch_add(1, Ordering::AcqRel);
                    // Still waiting until both have looked.
                    spin_until(&entered, 2);
                    wait.is_err()
                })
            };
            let wait = waits().enter(1, named(1), Arc::clone(&b) as Arc<dyn Node>);
            let told_here = wait.is_err();
            entered.fetch_add(1, Ordering::AcqRel);
            spin_until(&entered, 2);
            let told_there = other.join().unwrap();
            assert_ne!(told_here, told_there, "exactly one wait hears of the cycle");
            drop(wait);
            assert_eq!(waits().len(), 0, "every record went with its wait");
        });
    }

    /// A chain that is still making progress is never reported, even when
    /// the checking thread sees a wait that is ending: T1 waits on F (run
    /// by T2), T2 waits on G (run by T3), and T3 finishes G and then waits
    /// on X, which T1 runs. G done, T2's wait is over; no cycle exists at
    /// any moment, so nobody may be told of one.
    #[test]
    fn loom_a_chain_making_progress_is_never_a_cycle() {
        loom::model(|| {
            let (f, g, x) = (Played::new(2), Played::new(3), Played::new(1));
            let t2 = {
                let (f, g) = (Arc::clone(&f), Arc::clone(&g));
                loom::thread::spawn(move || {
                    let wait = waits().enter(2, named(2), Arc::clone(&g) as Arc<dyn Node>);
                    assert!(
                        wait.is_ok(),
                        "T2 told of a cycle: {:?}",
                        wait.as_ref().err()
                    );
                    while !g.is_done() {
                        loom::thread::yield_now();
                    }
                    drop(wait);
                    f.finish();
                })
            };
            let t3 = {
                let (g, x) = (Arc::clone(&g), Arc::clone(&x));
                loom::thread::spawn(move || {
                    g.finish();
                    let wait = waits().enter(3, named(3), x as Arc<dyn Node>);
                    assert!(
                        wait.is_ok(),
                        "T3 told of a cycle: {:?}",
                        wait.as_ref().err()
                    );
                    wait.is_ok()
                })
            };
            let wait = waits().enter(1, named(1), Arc::clone(&f) as Arc<dyn Node>);
            assert!(
                wait.is_ok(),
                "T1 told of a cycle: {:?}",
                wait.as_ref().err()
            );
            drop(wait);
            t2.join().unwrap();
            assert!(t3.join().unwrap());
        });
    }
}
