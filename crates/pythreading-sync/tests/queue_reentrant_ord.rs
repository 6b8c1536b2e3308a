//! A `PriorityQueue` whose items' `Ord` calls back into the same queue.
//! The queue compares its items under its lock, so in Python (whose
//! `queue.PriorityQueue` takes a plain `Lock` in `qsize` too) such a call
//! hangs for ever. Here it never hangs: `qsize`, `empty` and `full` answer
//! from the length the queue had when it began comparing, and every other
//! operation panics with a message that says what happened; the panic
//! reaches the caller of the `put` or `get` that compared, and the queue
//! stays usable. Each case runs on a thread of its own, watched with a
//! timeout, so that a hang fails the test instead of stalling the run.

use std::cmp::Ordering as CmpOrdering;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use pythreading_sync::queue::{PriorityQueue, Queue};

/// What an item's comparison does besides comparing keys.
type Hook = fn(&Arc<PriorityQueue<Probe>>);

/// An item ordered by `key` whose comparisons first run `hook` on the
/// queue it is meant for (while `armed`).
struct Probe {
    key: u32,
    queue: Arc<OnceLock<Arc<PriorityQueue<Probe>>>>,
    hook: Hook,
}

impl Probe {
    fn fire(&self) {
        if let Some(queue) = self.queue.get() {
            (self.hook)(queue);
        }
    }
}

impl PartialEq for Probe {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Probe {}

impl PartialOrd for Probe {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Probe {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.fire();
        self.key.cmp(&other.key)
    }
}

/// Runs `case` on a thread of its own; fails if it has not finished in
/// 20 s (it would hang for ever if the queue took its lock again).
fn without_hanging<T: Send + 'static>(case: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let value = case();
        let _ = done.send(());
        value
    });
    if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(Duration::from_secs(20)) {
        panic!("the queue hung on a call from its items' Ord");
    }
    // Finished, or panicked (the sender dropped): the panic goes on.
    runner
        .join()
        .unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// The cell through which the items reach their queue.
type Cell = Arc<OnceLock<Arc<PriorityQueue<Probe>>>>;

/// A queue of `keys` whose items run `hook` in their comparisons once
/// they are all in (the first puts compare too), and its items' cell.
fn queue_with(keys: &[u32], hook: Hook) -> (Arc<PriorityQueue<Probe>>, Cell) {
    let cell: Cell = Arc::new(OnceLock::new());
    let q = Arc::new(PriorityQueue::new(0));
    for &key in keys {
        q.put(probe(&cell, key, hook)).unwrap();
    }
    assert!(cell.set(Arc::clone(&q)).is_ok(), "set once");
    (q, cell)
}

/// An item whose comparisons run `hook` on the queue in `cell`.
fn probe(cell: &Cell, key: u32, hook: Hook) -> Probe {
    Probe {
        key,
        queue: Arc::clone(cell),
        hook,
    }
}

/// The message of the panic `f` raised.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("it panicked");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a message")
}

static SEEN: Mutex<Vec<(usize, bool, bool)>> = Mutex::new(Vec::new());

fn record_size(q: &Arc<PriorityQueue<Probe>>) {
    SEEN.lock().unwrap().push((q.qsize(), q.empty(), q.full()));
}

#[test]
fn qsize_empty_and_full_answer_from_inside_the_comparison() {
    without_hanging(|| {
        let (q, cell) = queue_with(&[5, 3, 8], record_size);
        SEEN.lock().unwrap().clear();
        // A put compares the new item with the ones in the queue: the
        // length it sees is the one before the put.
        q.put(probe(&cell, 1, record_size)).unwrap();
        let seen = std::mem::take(&mut *SEEN.lock().unwrap());
        assert!(!seen.is_empty(), "the put compared its item");
        assert!(
            seen.iter()
                .all(|&(len, empty, full)| len == 3 && !empty && !full),
            "{seen:?}"
        );
        assert_eq!(q.qsize(), 4);
        let keys: Vec<u32> = (0..4).map(|_| q.get().unwrap().key).collect();
        assert_eq!(keys, [1, 3, 5, 8]);
        assert!(q.empty());
    });
}

#[test]
fn a_put_from_inside_the_comparison_panics_and_the_queue_goes_on() {
    without_hanging(|| {
        fn put_again(q: &Arc<PriorityQueue<Probe>>) {
            let item = Probe {
                key: 0,
                queue: Arc::new(OnceLock::new()),
                hook: |_| {},
            };
            let _ = q.put_nowait(item);
        }
        let (q, cell) = queue_with(&[2, 4], put_again);
        let item = probe(&cell, 1, put_again);
        let message = panic_message(|| {
            let _ = q.put(item);
        });
        assert!(
            message.contains("PriorityQueue::put called from the Ord of an item of the same queue"),
            "{message}"
        );
        // The item was in when the comparison panicked: counted and kept.
        assert_eq!(q.qsize(), 3);
        assert_eq!(q.unfinished_tasks(), 3);
    });
}

#[test]
fn every_other_operation_panics_from_inside_the_comparison() {
    fn get_again(q: &Arc<PriorityQueue<Probe>>) {
        let _ = q.get_nowait();
    }
    fn task_done(q: &Arc<PriorityQueue<Probe>>) {
        let _ = q.task_done();
    }
    fn join(q: &Arc<PriorityQueue<Probe>>) {
        let _ = q.join_timeout(Duration::ZERO);
    }
    fn shutdown(q: &Arc<PriorityQueue<Probe>>) {
        let _ = q.shutdown(false);
    }
    for (name, hook) in [
        ("get", get_again as Hook),
        ("task_done", task_done),
        ("join", join),
        ("shutdown", shutdown),
    ] {
        let message = without_hanging(move || {
            let (q, _cell) = queue_with(&[2, 4, 6], hook);
            // A get sifts the rest down, comparing: the hook fires there.
            let message = panic_message(|| {
                let _ = q.get();
            });
            // Nothing was taken; the queue still answers and gives its
            // items back once the items stop calling it.
            assert_eq!(q.qsize(), 3);
            message
        });
        assert!(
            message.contains(&format!("PriorityQueue::{name} called from the Ord")),
            "{name}: {message}"
        );
    }
}

#[test]
fn another_queue_may_be_used_from_inside_the_comparison() {
    static OTHER: OnceLock<Queue<u32>> = OnceLock::new();
    fn use_other(q: &Arc<PriorityQueue<Probe>>) {
        let other = OTHER.get_or_init(|| Queue::new(0));
        other.put(u32::try_from(q.qsize()).unwrap()).unwrap();
    }
    without_hanging(|| {
        let (q, _cell) = queue_with(&[7, 9, 11], use_other);
        assert_eq!(q.get().unwrap().key, 7);
        let other = OTHER.get().expect("the comparisons used it");
        assert!(other.qsize() > 0);
        assert_eq!(other.get_nowait().unwrap(), 3, "the length before the get");
    });
}
