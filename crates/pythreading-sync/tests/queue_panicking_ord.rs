//! A `PriorityQueue` whose items' `Ord` panics: the panic reaches the caller
//! of `put` or `get` (as Python's `__lt__` raising does), and the queue
//! loses nothing. It still holds every item it accepted, `qsize()` and
//! `unfinished_tasks()` match what comes back, and the items come back in
//! order once they compare again. A proptest drives random sequences
//! against a model; panics are caught and kept quiet.

use std::cmp::Ordering as CmpOrdering;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

use proptest::prelude::*;
use pythreading_sync::SyncError;
use pythreading_sync::queue::{GetError, PriorityQueue, PutError};

/// The message of every panic the items raise.
const TOUCHY: &str = "touchy comparison";

/// An item whose comparisons panic while `trouble` is on, if it is touchy
/// (or the other side is).
#[derive(Debug)]
struct Item {
    key: u8,
    id: usize,
    touchy: bool,
    trouble: Arc<AtomicBool>,
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        if (self.touchy || other.touchy) && self.trouble.load(Ordering::SeqCst) {
            panic!("{TOUCHY}");
        }
        self.key.cmp(&other.key)
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Item {}

/// Keeps the items' own panics out of the log; every other panic (a failed
/// assertion) is reported as usual.
fn quiet_touchy_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let report = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info.payload().downcast_ref::<String>().map(String::as_str);
            if message != Some(TOUCHY) {
                report(info);
            }
        }));
    });
}

/// Runs `f`; `None` if it panicked with the items' panic (any other panic
/// goes on).
fn caught<T>(f: impl FnOnce() -> T) -> Option<T> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => match payload.downcast_ref::<String>() {
            Some(message) if message == TOUCHY => None,
            _ => panic::resume_unwind(payload),
        },
    }
}

/// `n` items with these keys, all touchy, sharing one `trouble` switch.
fn touchy_items(keys: &[u8], trouble: &Arc<AtomicBool>) -> Vec<Item> {
    keys.iter()
        .enumerate()
        .map(|(id, &key)| Item {
            key,
            id,
            touchy: true,
            trouble: Arc::clone(trouble),
        })
        .collect()
}

fn drain_keys(q: &PriorityQueue<Item>) -> Vec<u8> {
    std::iter::from_fn(|| q.get_nowait().ok().map(|item| item.key)).collect()
}

#[test]
fn a_panicking_get_keeps_every_item() {
    quiet_touchy_panics();
    let trouble = Arc::new(AtomicBool::new(false));
    let q = PriorityQueue::new(0);
    for item in touchy_items(&[3, 1, 4, 5, 2], &trouble) {
        q.put(item).unwrap();
    }
    trouble.store(true, Ordering::SeqCst);
    assert!(
        caught(|| q.get()).is_none(),
        "the comparison's panic reaches get's caller"
    );
    assert_eq!(q.qsize(), 5);
    assert_eq!(q.unfinished_tasks(), 5);
    trouble.store(false, Ordering::SeqCst);
    assert_eq!(drain_keys(&q), [1, 2, 3, 4, 5], "every item, in order");
    assert_eq!(q.qsize(), 0);
}

#[test]
fn a_panicking_put_keeps_the_item_and_counts_it() {
    quiet_touchy_panics();
    let trouble = Arc::new(AtomicBool::new(false));
    let q = PriorityQueue::new(0);
    let mut items = touchy_items(&[3, 1, 4, 5, 2, 0], &trouble);
    let sixth = items.pop().unwrap();
    for item in items {
        q.put(item).unwrap();
    }
    trouble.store(true, Ordering::SeqCst);
    assert!(
        caught(|| q.put(sixth)).is_none(),
        "the comparison's panic reaches put's caller"
    );
    // Accepted before it was compared: it is in the queue, and counted.
    assert_eq!(q.qsize(), 6);
    assert_eq!(q.unfinished_tasks(), 6);
    trouble.store(false, Ordering::SeqCst);
    assert_eq!(drain_keys(&q), [0, 1, 2, 3, 4, 5]);
    for _ in 0..6 {
        q.task_done().unwrap();
    }
    assert!(q.join_timeout(std::time::Duration::ZERO));
    assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
}

#[test]
fn a_panicking_immediate_shutdown_keeps_every_item() {
    quiet_touchy_panics();
    let trouble = Arc::new(AtomicBool::new(false));
    let q = PriorityQueue::new(0);
    for item in touchy_items(&[2, 0, 1], &trouble) {
        q.put(item).unwrap();
    }
    trouble.store(true, Ordering::SeqCst);
    assert!(caught(|| q.shutdown(true)).is_none());
    // Shut down all the same, with every item still there to get.
    assert!(q.is_shutdown());
    assert_eq!(q.qsize(), 3);
    trouble.store(false, Ordering::SeqCst);
    let keys: Vec<u8> = q.shutdown(true).into_iter().map(|item| item.key).collect();
    assert_eq!(keys, [0, 1, 2]);
    assert_eq!(q.unfinished_tasks(), 0);
    assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
}

#[derive(Debug, Clone)]
enum Op {
    Put { key: u8, touchy: bool },
    Get,
    TaskDone,
    Trouble(bool),
    ShutdownImmediate,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), prop::bool::weighted(0.3)).prop_map(|(key, touchy)| Op::Put { key, touchy }),
        5 => Just(Op::Get),
        2 => Just(Op::TaskDone),
        2 => any::<bool>().prop_map(Op::Trouble),
        1 => Just(Op::ShutdownImmediate),
    ]
}

/// The model: the items held (key, id), the unfinished count, shutdown.
#[derive(Default)]
struct Model {
    items: Vec<(u8, usize)>,
    unfinished: usize,
    shutdown: bool,
}

impl Model {
    fn min_key(&self) -> Option<u8> {
        self.items.iter().map(|&(key, _)| key).min()
    }

    fn remove(&mut self, key: u8, id: usize) {
        let at = self
            .items
            .iter()
            .position(|&item| item == (key, id))
            .expect("an item the queue was given, once");
        self.items.swap_remove(at);
    }

    fn sorted_keys(&self) -> Vec<u8> {
        let mut keys: Vec<u8> = self.items.iter().map(|&(key, _)| key).collect();
        keys.sort_unstable();
        keys
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let trouble = Arc::new(AtomicBool::new(false));
    let q = PriorityQueue::new(0);
    let mut model = Model::default();
    for (id, op) in ops.iter().enumerate() {
        match *op {
            Op::Put { key, touchy } => {
                let item = Item {
                    key,
                    id,
                    touchy,
                    trouble: Arc::clone(&trouble),
                };
                match caught(|| q.put_nowait(item)) {
                    Some(Ok(())) | None => {
                        prop_assert!(!model.shutdown);
                        model.items.push((key, id));
                        model.unfinished += 1;
                    }
                    Some(Err(PutError::ShutDown(back))) => {
                        prop_assert!(model.shutdown);
                        prop_assert_eq!((back.key, back.id), (key, id));
                    }
                    Some(Err(PutError::Full(_))) => prop_assert!(false, "unbounded"),
                    Some(Err(PutError::Cancelled(_))) => prop_assert!(false, "never waits"),
                }
            }
            Op::Get => match caught(|| q.get_nowait()) {
                Some(Ok(item)) => {
                    // Whatever panicked before, a get that compares returns
                    // the smallest item.
                    prop_assert_eq!(Some(item.key), model.min_key());
                    model.remove(item.key, item.id);
                }
                Some(Err(GetError::Empty)) => {
                    prop_assert!(model.items.is_empty() && !model.shutdown);
                }
                Some(Err(GetError::ShutDown)) => {
                    prop_assert!(model.items.is_empty() && model.shutdown);
                }
                Some(Err(GetError::Cancelled)) => prop_assert!(false, "never waits"),
                None => prop_assert!(trouble.load(Ordering::SeqCst)),
            },
            Op::TaskDone => {
                let done = q.task_done();
                if model.unfinished > 0 {
                    prop_assert_eq!(done, Ok(()));
                    model.unfinished -= 1;
                } else {
                    prop_assert_eq!(done, Err(SyncError::TaskDoneTooManyTimes));
                }
            }
            Op::Trouble(on) => trouble.store(on, Ordering::SeqCst),
            Op::ShutdownImmediate => {
                let drained = caught(|| q.shutdown(true));
                model.shutdown = true;
                if let Some(drained) = drained {
                    let keys: Vec<u8> = drained.iter().map(|item| item.key).collect();
                    prop_assert_eq!(keys, model.sorted_keys());
                    for item in &drained {
                        model.remove(item.key, item.id);
                    }
                    model.unfinished = model.unfinished.saturating_sub(drained.len());
                } else {
                    prop_assert!(trouble.load(Ordering::SeqCst));
                }
            }
        }
        prop_assert_eq!(q.qsize(), model.items.len(), "after {:?}", op);
        prop_assert_eq!(q.unfinished_tasks(), model.unfinished, "after {:?}", op);
        prop_assert_eq!(q.is_shutdown(), model.shutdown);
    }
    // Once nothing panics, everything comes back, in order.
    trouble.store(false, Ordering::SeqCst);
    prop_assert_eq!(drain_keys(&q), model.sorted_keys());
    prop_assert_eq!(q.qsize(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn panicking_comparisons_lose_nothing(ops in prop::collection::vec(op(), 0..60)) {
        quiet_touchy_panics();
        run(&ops)?;
    }
}
