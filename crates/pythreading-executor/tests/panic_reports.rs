//! Panics that reach no caller: in the `Drop` of what users hand the
//! executor (results, closures, done callbacks, initializers, a map's
//! input), and in tasks whose futures nobody reads. Each is reported once
//! through the excepthook, naming the thread and what was dropped, as
//! Python prints `Exception ignored in …`; nothing else is affected.
//!
//! The excepthook is shared by the whole test binary: each test looks only
//! for reports carrying messages of its own.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use common::{
    Bomb, PATIENCE, Reports, bounded, capture_excepthook, gate, named_pool, outcome,
    reports_containing, submit_gated, wait_running,
};
use pythreading_executor::{
    Future, FutureState, MapOptions, ReturnWhen, TaskError, ThreadPoolExecutor, as_completed, wait,
};
use pythreading_sync::Event;

/// The one report whose message contains `text`: its thread's name and
/// its message.
#[track_caller]
fn the_report(reports: &Reports, text: &str) -> (String, String) {
    let found = reports_containing(reports, text);
    assert_eq!(found.len(), 1, "reports of {text:?}: {found:?}");
    found.into_iter().next().unwrap()
}

/// The name pythreading gives the calling thread.
fn this_thread() -> String {
    pythreading_core::current_thread().name()
}

/// A task holding the worker until `gate` opens, then returning a value
/// whose `Drop` panics with `message`.
fn gated_bomb(
    submit: impl FnOnce(Box<dyn FnOnce() -> Bomb + Send>) -> Future<Bomb>,
    gate: &Arc<Event>,
    message: &'static str,
) -> Future<Bomb> {
    let gate = Arc::clone(gate);
    submit(Box::new(move || {
        gate.wait_timeout(PATIENCE);
        Bomb::new(message)
    }))
}

/// A one-worker pool whose worker is held, until `gate` opens, by the
/// `running` task: `(pool, gate, running)`.
fn busy_pool(prefix: &str) -> (ThreadPoolExecutor, Arc<Event>, Future<bool>) {
    let pool = named_pool(1, prefix);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    wait_running(&running);
    (pool, gate, running)
}

/// A task that defuses `bomb` if it runs: dropped unrun, it panics.
fn holding(bomb: Bomb) -> impl FnOnce() + Send + 'static {
    move || bomb.defuse()
}

/// Submits `count` tasks: the even ones hold a bomb labelled `{label} {i}`
/// (see [`holding`]), the odd ones nothing.
fn bombs_between_plain_tasks(
    pool: &ThreadPoolExecutor,
    count: usize,
    label: &str,
) -> Vec<Future<()>> {
    (0..count)
        .map(|i| {
            if i % 2 == 0 {
                pool.submit(holding(Bomb::new(format!("{label} {i}"))))
            } else {
                pool.submit(|| ())
            }
            .expect("the pool takes tasks")
        })
        .collect()
}

// ------------------------------------------------- panics in Drop: results

#[test]
fn a_result_whose_drop_panics_does_not_kill_the_worker() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "result-bomb");
    let gate = gate();
    let bomb = gated_bomb(|f| pool.submit(f).unwrap(), &gate, "result bomb went off");
    // Nobody can take the result now: the worker drops it.
    drop(bomb);
    gate.set();
    assert_eq!(outcome(pool.submit(|| "next").unwrap()), Ok("next"));
    assert_eq!(
        the_report(reports, "result bomb went off"),
        (
            "result-bomb_0".to_string(),
            "Exception ignored in drop of a task's result: result bomb went off".to_string()
        )
    );
    assert_eq!(pool.stats().workers_started, 1);
}

#[test]
fn a_scope_goes_on_when_a_result_panics_in_drop() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "scope-bomb");
    let next = pool.scope(|s| {
        let gate = gate();
        let bomb = gated_bomb(|f| s.submit(f).unwrap(), &gate, "scoped result bomb");
        drop(bomb);
        gate.set();
        outcome(s.submit(|| 5).unwrap())
    });
    assert_eq!(next, Ok(5));
    assert_eq!(
        the_report(reports, "scoped result bomb"),
        (
            "scope-bomb_scope_0".to_string(),
            "Exception ignored in drop of a task's result: scoped result bomb".to_string()
        )
    );
}

#[test]
fn a_panicking_drop_in_a_result_taken_by_result_is_the_callers() {
    let reports = capture_excepthook();
    let pool = named_pool(2, "raced-bomb");
    // `result` races the worker's completing and letting go of the task:
    // the value always comes back whole, and nothing drops it on the way.
    for _ in 0..200 {
        let future = pool.submit(|| Bomb::new("raced result bomb")).unwrap();
        future.result().expect("the task ran").defuse();
    }
    drop(pool);
    assert!(reports_containing(reports, "raced result bomb").is_empty());
}

// ------------------------------------ panics in Drop: cancelled closures

#[test]
fn cancelling_a_task_whose_closure_panics_in_drop() {
    let reports = capture_excepthook();
    let (pool, gate, running) = busy_pool("cancel-bomb");
    let queued = pool
        .submit(holding(Bomb::new("closure bomb cancelled by cancel()")))
        .unwrap();
    assert!(queued.cancel());
    assert_eq!(queued.result(), Err(TaskError::Cancelled));
    assert_eq!(
        the_report(reports, "closure bomb cancelled by cancel()"),
        (
            this_thread(),
            "Exception ignored in drop of a cancelled task: closure bomb cancelled by cancel()"
                .to_string()
        )
    );
    gate.set();
    assert_eq!(outcome(running), Ok(true));
    assert_eq!(outcome(pool.submit(|| 2).unwrap()), Ok(2));
}

#[test]
fn a_cancelled_scoped_task_whose_closure_panics_in_drop() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "scope-cancel-bomb");
    let next = pool.scope(|s| {
        let gate = gate();
        let running = {
            let gate = Arc::clone(&gate);
            s.submit(move || gate.wait_timeout(PATIENCE)).unwrap()
        };
        wait_running(&running);
        let queued = s
            .submit(holding(Bomb::new("scoped cancelled closure bomb")))
            .unwrap();
        assert!(queued.cancel());
        gate.set();
        assert_eq!(outcome(running), Ok(true));
        outcome(s.submit(|| 3).unwrap())
    });
    assert_eq!(next, Ok(3));
    // The scope's thread finds the cancelled task and drops it.
    assert_eq!(
        the_report(reports, "scoped cancelled closure bomb"),
        (
            "scope-cancel-bomb_scope_0".to_string(),
            "Exception ignored in drop of a cancelled task: scoped cancelled closure bomb"
                .to_string()
        )
    );
}

#[test]
fn shutdown_cancels_every_pending_task_when_closures_panic_in_drop() {
    let reports = capture_excepthook();
    let (pool, gate, running) = busy_pool("shutdown-bomb");
    let pending = bombs_between_plain_tasks(&pool, 6, "shutdown bomb");
    pool.shutdown(false, true);
    for future in pending {
        assert_eq!(future.state(), FutureState::Cancelled);
        assert_eq!(future.result(), Err(TaskError::Cancelled));
    }
    for i in [0, 2, 4] {
        assert_eq!(
            the_report(reports, &format!("shutdown bomb {i}")).1,
            format!("Exception ignored in drop of a cancelled task: shutdown bomb {i}")
        );
    }
    gate.set();
    assert_eq!(outcome(running), Ok(true));
    bounded("shutdown(wait: true)", move || pool.shutdown(true, false));
}

#[test]
fn two_shutdowns_at_once_cancel_each_pending_task_once() {
    const PENDING: usize = 40;
    let reports = capture_excepthook();
    for round in 0..10 {
        let (pool, gate, running) = busy_pool("twin-shutdown");
        let pool = Arc::new(pool);
        let callbacks = Arc::new(AtomicUsize::new(0));
        let pending: Arc<Vec<Future<()>>> = Arc::new(
            (0..PENDING)
                .map(|i| {
                    let bomb = Bomb::new(format!("twin bomb {round}/{i}."));
                    let future = pool.submit(holding(bomb)).unwrap();
                    let callbacks = Arc::clone(&callbacks);
                    future.add_done_callback(move || {
                        callbacks.fetch_add(1, Ordering::SeqCst);
                    });
                    future
                })
                .collect(),
        );
        let start = Arc::new(Barrier::new(2));
        let shutdowns: Vec<_> = (0..2)
            .map(|_| {
                let (pool, pending, start) =
                    (Arc::clone(&pool), Arc::clone(&pending), Arc::clone(&start));
                thread::spawn(move || {
                    start.wait();
                    pool.shutdown(false, true);
                    // Whichever shutdown cancelled them, none is left pending.
                    pending
                        .iter()
                        .filter(|future| future.state() != FutureState::Cancelled)
                        .count()
                })
            })
            .collect();
        for shutdown in shutdowns {
            assert_eq!(shutdown.join().unwrap(), 0, "round {round}");
        }
        gate.set();
        assert_eq!(outcome(running), Ok(true));
        let joiner = Arc::clone(&pool);
        bounded("shutdown(wait: true)", move || joiner.shutdown(true, true));
        assert_eq!(callbacks.load(Ordering::SeqCst), PENDING, "round {round}");
        for i in 0..PENDING {
            the_report(reports, &format!("twin bomb {round}/{i}."));
        }
    }
}

// ------------------------------------- panics in Drop: callbacks and more

#[test]
fn a_done_callback_that_panics_or_whose_capture_panics_in_drop() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "callback-bomb");
    let gate = gate();
    let future = submit_gated(&pool, &gate);
    future.add_done_callback(|| panic!("callback panicked itself"));
    let bomb = Bomb::new("callback capture bomb");
    future.add_done_callback(move || {
        let _held = &bomb;
    });
    let ran_after = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran_after);
    future.add_done_callback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    gate.set();
    assert_eq!(outcome(future), Ok(true));
    // The worker runs the callbacks before its next task.
    assert_eq!(outcome(pool.submit(|| 4).unwrap()), Ok(4));
    assert_eq!(ran_after.load(Ordering::SeqCst), 1);
    assert_eq!(
        the_report(reports, "callback panicked itself"),
        (
            "callback-bomb_0".to_string(),
            "Exception ignored in a done callback: callback panicked itself".to_string()
        )
    );
    assert_eq!(
        the_report(reports, "callback capture bomb").1,
        "Exception ignored in a done callback: callback capture bomb"
    );
}

#[test]
fn a_broken_pool_fails_every_queued_task_when_closures_panic_in_drop() {
    let reports = capture_excepthook();
    let opened = gate();
    let pool = {
        let opened = Arc::clone(&opened);
        ThreadPoolExecutor::builder()
            .max_workers(1)
            .thread_name_prefix("broken-bomb")
            .initializer(move || {
                opened.wait_timeout(PATIENCE);
                panic!("the initializer of broken-bomb failed");
            })
            .build()
            .unwrap()
    };
    let queued = bombs_between_plain_tasks(&pool, 4, "broken pool bomb");
    opened.set();
    for future in queued {
        assert!(
            matches!(outcome(future), Err(TaskError::BrokenPool(_))),
            "a queued task must fail with BrokenPool"
        );
    }
    // The worker drops the closures once the futures are done, then exits.
    bounded("joining the broken worker", move || {
        pool.shutdown(true, false)
    });
    for i in [0, 2] {
        assert_eq!(
            the_report(reports, &format!("broken pool bomb {i}")),
            (
                "broken-bomb_0".to_string(),
                format!(
                    "Exception ignored in drop of a task never run (the pool broke): \
                     broken pool bomb {i}"
                )
            )
        );
    }
    the_report(reports, "the initializer of broken-bomb failed");
}

#[test]
fn dropping_unread_map_results_drops_their_values_in_a_catch() {
    let reports = capture_excepthook();
    let pool = named_pool(2, "map-bomb");
    let results = pool
        .map(|_: ()| Bomb::new("unread map result bomb"), [()])
        .unwrap();
    let started = pool
        .map(
            |n: usize| Bomb::new(format!("started map result bomb {n}")),
            0..2,
        )
        .unwrap();
    let mut started = started;
    started.next().unwrap().unwrap().defuse();
    // Every task has run: the futures in the results hold the last values.
    pool.shutdown(true, false);
    drop(results);
    drop(started);
    let me = this_thread();
    assert_eq!(
        the_report(reports, "unread map result bomb"),
        (
            me.clone(),
            "Exception ignored in drop of a task's result: unread map result bomb".to_string()
        )
    );
    assert_eq!(the_report(reports, "started map result bomb 1").0, me);
    assert!(reports_containing(reports, "started map result bomb 0").is_empty());
}

/// A chunked map dropped in the middle of a chunk: the chunk's values not
/// yet taken, and the chunks never read, are dropped each in a catch
/// (several panicking drops in one unwind would abort), and the items not
/// started are dropped with their chunk's task, also reported.
#[test]
fn dropping_a_chunked_map_mid_chunk_drops_each_value_in_a_catch() {
    let reports = capture_excepthook();
    let pool = named_pool(2, "chunk-bomb");
    let mut results = pool
        .map_with(
            |n: usize| Bomb::new(format!("chunk value bomb {n}")),
            0..6,
            MapOptions::new().chunksize(3),
        )
        .unwrap();
    results.next().unwrap().unwrap().defuse();
    // Both chunks have run: the first is in hand, the second in its future.
    pool.shutdown(true, false);
    drop(results);
    for n in 1..6 {
        let text = format!("chunk value bomb {n}");
        assert_eq!(
            the_report(reports, &text).1,
            format!("Exception ignored in drop of a task's result: {text}"),
        );
    }
    assert!(reports_containing(reports, "chunk value bomb 0").is_empty());
}

/// A chunk cancelled by a shutdown drops its items with its closure, each
/// in a catch: three panicking items make three reports, not an abort.
#[test]
fn a_cancelled_chunk_drops_each_item_in_a_catch() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "chunk-items");
    let gate = gate();
    let busy = submit_gated(&pool, &gate);
    wait_running(&busy);
    let items: Vec<Bomb> = (0..3)
        .map(|n| Bomb::new(format!("chunk item bomb {n}")))
        .collect();
    let results = pool
        .map_with(Bomb::defuse, items, MapOptions::new().chunksize(3))
        .unwrap();
    pool.shutdown(false, true);
    gate.set();
    assert_eq!(outcome(busy), Ok(true));
    assert_eq!(
        results.collect::<Vec<_>>(),
        vec![Err(TaskError::Cancelled); 3]
    );
    for n in 0..3 {
        let text = format!("chunk item bomb {n}");
        assert_eq!(
            the_report(reports, &text).1,
            format!("Exception ignored in drop of an item of a map: {text}"),
        );
    }
}

/// `0..n`, holding a bomb that goes off when the iterator is dropped.
struct BombIter {
    next: usize,
    end: usize,
    _bomb: Bomb,
}

impl Iterator for BombIter {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

#[test]
fn a_buffered_map_drops_its_input_in_a_catch() {
    let reports = capture_excepthook();
    let pool = named_pool(2, "input-bomb");
    let input = |message: &str| BombIter {
        next: 0,
        end: 3,
        _bomb: Bomb::new(message),
    };
    // Used up: the input is dropped once it has no more items.
    let all: Vec<_> = pool
        .map_with(
            |n| n * 2,
            input("used up input bomb"),
            MapOptions::new().buffersize(1),
        )
        .unwrap()
        .collect();
    assert_eq!(all, [Ok(0), Ok(2), Ok(4)]);
    // Dropped while items are left.
    let mut some = pool
        .map_with(
            |n| n * 3,
            input("dropped input bomb"),
            MapOptions::new().buffersize(1),
        )
        .unwrap();
    assert_eq!(some.next(), Some(Ok(0)));
    drop(some);
    for text in ["used up input bomb", "dropped input bomb"] {
        assert_eq!(
            the_report(reports, text),
            (
                this_thread(),
                format!("Exception ignored in drop of a map's input: {text}")
            )
        );
    }
}

#[test]
fn dropping_the_executor_drops_its_initializer_in_a_catch() {
    let reports = capture_excepthook();
    let bomb = Bomb::new("initializer capture bomb");
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .initializer(move || {
            let _held = &bomb;
        })
        .build()
        .unwrap();
    assert_eq!(outcome(pool.submit(|| 1).unwrap()), Ok(1));
    drop(pool);
    assert_eq!(
        the_report(reports, "initializer capture bomb"),
        (
            this_thread(),
            "Exception ignored in drop of the pool's initializer: initializer capture bomb"
                .to_string()
        )
    );
}

// ------------------------------------------------------- unread panics

const UNREAD: &str = "A task's panic was never retrieved (its future was dropped): ";

#[test]
fn a_fire_and_forget_panic_is_reported_once() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "forgotten");
    let _ = pool.submit(|| panic!("forgotten panic"));
    drop(pool);
    assert_eq!(
        the_report(reports, "forgotten panic"),
        (
            "forgotten_0".to_string(),
            format!("{UNREAD}forgotten panic")
        )
    );
}

#[test]
fn a_panic_taken_by_result_is_not_reported() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "read");
    let future = pool
        .submit(|| -> u8 { panic!("panic read by result") })
        .unwrap();
    assert_eq!(
        outcome(future),
        Err(TaskError::Panicked("panic read by result".into()))
    );
    drop(pool);
    assert!(reports_containing(reports, "panic read by result").is_empty());
}

#[test]
fn a_panic_seen_only_through_wait_and_state_is_still_reported() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "seen");
    let futures = [pool
        .submit(|| -> u8 { panic!("panic seen by wait") })
        .unwrap()];
    let waited = wait(&futures, Some(PATIENCE), ReturnWhen::FirstException);
    assert_eq!(waited.done, [0]);
    assert_eq!(futures[0].state(), FutureState::Finished);
    // Nobody can take the message any more: it is reported, by whichever
    // of this thread and the worker lets go of the task last.
    drop(futures);
    drop(pool);
    assert_eq!(
        the_report(reports, "panic seen by wait"),
        ("seen_0".to_string(), format!("{UNREAD}panic seen by wait"))
    );
}

#[test]
fn unread_panics_of_map_and_as_completed_are_reported_once() {
    let reports = capture_excepthook();
    let pool = named_pool(2, "unread-iter");
    let mapped = pool
        .map(
            |n: u8| {
                if n == 1 {
                    panic!("panic in an unread map");
                }
                n
            },
            0..3,
        )
        .unwrap();
    let futures = vec![
        pool.submit(|| -> u8 { panic!("panic yielded by as_completed") })
            .unwrap(),
    ];
    for done in as_completed(futures, Some(PATIENCE)) {
        // Yielded, never read.
        assert!(done.unwrap().done());
    }
    drop(mapped);
    drop(pool);
    for text in ["panic in an unread map", "panic yielded by as_completed"] {
        assert_eq!(the_report(reports, text).1, format!("{UNREAD}{text}"));
    }
}

#[test]
fn an_unread_panic_in_a_scope_is_reported_once() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "scope-unread");
    pool.scope(|s| {
        let _ = s.submit(|| panic!("unread scoped panic"));
    });
    assert_eq!(
        the_report(reports, "unread scoped panic"),
        (
            "scope-unread_scope_0".to_string(),
            format!("{UNREAD}unread scoped panic")
        )
    );
}

#[test]
fn shutdowns_and_the_pools_drop_report_an_unread_panic_once() {
    let reports = capture_excepthook();
    let pool = Arc::new(named_pool(1, "shut-unread"));
    let gate = gate();
    let failing = {
        let gate = Arc::clone(&gate);
        pool.submit(move || -> u8 {
            gate.wait_timeout(PATIENCE);
            panic!("unread panic across shutdowns")
        })
        .unwrap()
    };
    wait_running(&failing);
    let cancelled = submit_gated(&pool, &gate);
    let others: Vec<_> = (0..2)
        .map(|_| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || pool.shutdown(false, true))
        })
        .collect();
    for other in others {
        other.join().unwrap();
    }
    gate.set();
    drop(failing);
    drop(cancelled);
    let last = Arc::try_unwrap(pool).expect("the shutdown threads let go of the pool");
    bounded("dropping the executor", move || drop(last));
    assert_eq!(
        the_report(reports, "unread panic across shutdowns"),
        (
            "shut-unread_0".to_string(),
            format!("{UNREAD}unread panic across shutdowns")
        )
    );
}
