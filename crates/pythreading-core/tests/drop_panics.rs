//! A user value whose `Drop` panics never keeps a thread from finishing:
//! whichever way pythreading drops it (a `Local` value at the thread's
//! finish or in a thread-local destructor, the `Local` itself, the target's
//! result or captures), the panic is reported once through the excepthook
//! and `join()` returns, as Python prints "Exception ignored in" for a
//! `__del__` that raises and lets the thread end.
//!
//! Every test here sets the excepthook, so they run one at a time
//! (`HOOK_LOCK`); reports that are not about a `Bomb` go to the default hook.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use pythreading_core::{
    ExceptHookArgs, Local, Thread, ThreadError, default_excepthook, enumerate, reset_excepthook,
    set_excepthook,
};

/// How long a bounded wait waits before the test calls it a hang.
const LONG: Duration = Duration::from_secs(30);

static HOOK_LOCK: Mutex<()> = Mutex::new(());

/// A value whose `Drop` panics with `"bomb: NAME"`.
#[derive(Default)]
struct Bomb(&'static str);

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb: {}", self.0);
    }
}

/// Counts drops.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Holds `HOOK_LOCK` with a hook recording the reports about a `Bomb`;
/// restores the default hook when dropped (also when the test fails).
struct Reports {
    seen: Arc<Mutex<Vec<ExceptHookArgs>>>,
    _lock: MutexGuard<'static, ()>,
}

impl Reports {
    fn record() -> Self {
        let lock = HOOK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        set_excepthook(move |args| {
            if args.message.contains("bomb: ") {
                log.lock().unwrap().push(args.clone());
            } else {
                default_excepthook(args);
            }
        });
        Self { seen, _lock: lock }
    }

    fn seen(&self) -> Vec<ExceptHookArgs> {
        self.seen.lock().unwrap().clone()
    }

    fn messages(&self) -> Vec<String> {
        self.seen().into_iter().map(|args| args.message).collect()
    }

    /// Waits until `n` reports arrived (for drops after `join()` returns).
    fn wait_for(&self, n: usize) -> Vec<ExceptHookArgs> {
        let deadline = Instant::now() + LONG;
        loop {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{} reports after {LONG:?}, expected {n}: {seen:?}",
                seen.len()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Reports {
    fn drop(&mut self) {
        reset_excepthook();
    }
}

fn join_bounded<T: Send + 'static>(thread: &Thread<T>) {
    assert!(
        thread.join_timeout(LONG).expect("join"),
        "{thread:?} did not finish within {LONG:?}"
    );
}

#[test]
fn local_value_dropped_at_the_finish_is_reported_and_the_thread_finishes() {
    let reports = Reports::record();
    let bombs = Arc::new(Local::with_init(|| Bomb("at finish")));
    let drops = Arc::new(AtomicUsize::new(0));
    let counted = {
        let drops = Arc::clone(&drops);
        Arc::new(Local::with_init(move || DropCounter(Arc::clone(&drops))))
    };
    let (theirs, counted_theirs) = (Arc::clone(&bombs), Arc::clone(&counted));
    let t = Thread::builder().name("bomb carrier").build(move || {
        theirs.with(|_| ());
        counted_theirs.with(|_| ());
        7
    });
    t.start().unwrap();
    join_bounded(&t);
    assert!(!t.is_alive());
    assert!(!enumerate().contains(&t.handle()));
    // Reported before join() returned, on the thread itself.
    let seen = reports.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].message,
        "Exception ignored in drop of a Local value: bomb: at finish"
    );
    assert_eq!(seen[0].thread_name, "bomb carrier");
    assert_eq!(seen[0].thread.as_ref(), Some(&t.handle()));
    assert!(
        seen[0]
            .location
            .as_deref()
            .unwrap()
            .contains("drop_panics.rs"),
        "{:?}",
        seen[0].location
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the thread's other Local value was dropped all the same"
    );
    assert_eq!(
        t.into_result().unwrap(),
        7,
        "the target itself did not panic"
    );
    // Our own value goes with the Local (reported too).
    bombs.with(|_| ());
    drop(bombs);
    assert_eq!(reports.messages().len(), 2);
}

#[test]
fn local_value_dropped_by_the_thread_local_destructor_is_reported() {
    let reports = Reports::record();
    let bombs = Arc::new(Local::with_init(|| Bomb("foreign thread")));
    let theirs = Arc::clone(&bombs);
    // A thread pythreading did not start: its values go with its
    // thread-locals, where an unwinding panic would abort the process.
    let outcome = std::thread::spawn(move || theirs.with(|_| ())).join();
    assert!(outcome.is_ok(), "the thread did not panic");
    assert_eq!(
        reports.messages(),
        ["Exception ignored in drop of a Local value: bomb: foreign thread"]
    );

    // A started thread whose Local value makes a value of another Local as
    // it is dropped: that one is made after the finish's cleanup, and goes
    // with the thread-locals.
    let late = Arc::new(Local::with_init(|| Bomb("made while finishing")));
    struct MakesLate(Arc<Local<Bomb>>);
    impl Drop for MakesLate {
        fn drop(&mut self) {
            self.0.with(|_| ());
        }
    }
    let maker = {
        let late = Arc::clone(&late);
        Arc::new(Local::with_init(move || MakesLate(Arc::clone(&late))))
    };
    let t = Thread::new(move || maker.with(|_| ()));
    t.start().unwrap();
    join_bounded(&t);
    let seen = reports.wait_for(2);
    assert_eq!(
        seen[1].message,
        "Exception ignored in drop of a Local value: bomb: made while finishing"
    );
    assert_eq!(seen.len(), 2);
}

#[test]
fn dropping_a_local_reports_every_panicking_value() {
    let reports = Reports::record();
    let bombs = Arc::new(Local::with_init(|| Bomb("with the Local")));
    bombs.with(|_| ());
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let theirs = Arc::clone(&bombs);
    let t = Thread::new(move || {
        theirs.with(|_| ());
        drop(theirs);
        ready_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    t.start().unwrap();
    ready_rx
        .recv_timeout(LONG)
        .expect("the thread made its value");
    // Ours and the running thread's: both reported, neither unwinds here.
    drop(bombs);
    assert_eq!(
        reports.messages(),
        ["Exception ignored in drop of a Local value: bomb: with the Local"; 2]
    );
    release_tx.send(()).unwrap();
    join_bounded(&t);
    assert_eq!(reports.messages().len(), 2);
}

#[test]
fn result_dropped_after_the_last_handle_is_reported() {
    let reports = Reports::record();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let t = Thread::builder().name("bomb maker").build(move || {
        let _ = release_rx.recv();
        Bomb("result")
    });
    t.start().unwrap();
    let handle = t.handle();
    // Nobody can take the result now: the thread drops it itself.
    drop(t);
    release_tx.send(()).unwrap();
    assert!(handle.join_timeout(LONG).unwrap());
    let seen = reports.wait_for(1);
    assert_eq!(
        seen[0].message,
        "Exception ignored in drop of a thread's result: bomb: result"
    );
    assert_eq!(seen[0].thread_name, "bomb maker");
    assert_eq!(seen.len(), 1);
}

#[test]
fn capture_dropped_with_the_target_is_the_target_panicking() {
    let reports = Reports::record();
    let bomb = Bomb("capture");
    let t = Thread::new(move || {
        let _bomb = &bomb;
        5
    });
    t.start().unwrap();
    join_bounded(&t);
    assert!(matches!(
        t.into_result(),
        Err(ThreadError::Panicked(message)) if message == "bomb: capture"
    ));
    assert_eq!(reports.messages(), ["bomb: capture"]);
}
