//! Every public method and every error of the executor crate, through the
//! public API: the pool and its builder, futures and their callbacks,
//! `wait`, `as_completed`, `map` and scopes.
//!
//! Workers are held busy by gates (`Event`s) rather than sleeps. Every wait
//! is bounded, so a broken executor fails a test instead of hanging the
//! suite, and timing checks only say "waited at least", never "at most".

mod common;

use std::collections::BTreeSet;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    PATIENCE, SHORT, bounded, capture_excepthook, gate, named_pool, outcome, reports_containing,
    submit_gated, wait_done, wait_running, wait_until,
};
use pythreading_executor::{
    AsCompleted, ExecutorBuilder, ExecutorError, ExecutorStats, Future, FutureState, MapOptions,
    MapResults, ReturnWhen, Scope, TaskError, ThreadPoolExecutor, WaitResult, as_completed, wait,
};
use pythreading_sync::{Barrier, Event};

fn pool(max_workers: usize) -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(max_workers).expect("a valid pool size")
}

/// Python's default pool size.
fn python_default_workers() -> usize {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    (cores + 4).min(32)
}

/// A one-worker pool whose initializer panics with `message`, so that it
/// breaks at its first submit; the panic goes to the capturing excepthook
/// instead of stderr.
fn broken_pool(message: &'static str) -> ThreadPoolExecutor {
    let _quiet = capture_excepthook();
    ThreadPoolExecutor::builder()
        .max_workers(1)
        .initializer(move || panic!("{message}"))
        .build()
        .unwrap()
}

fn shared_log<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

fn snapshot<T: Clone>(log: &Mutex<Vec<T>>) -> Vec<T> {
    log.lock().unwrap().clone()
}

// ------------------------------------------------------------- the types

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<ThreadPoolExecutor>();
    send_sync::<ExecutorBuilder>();
    send_sync::<ExecutorStats>();
    send_sync::<Future<String>>();
    // A future hands its value over by value: a `Send` payload is enough.
    send_sync::<Future<std::cell::Cell<u8>>>();
    send_sync::<FutureState>();
    send_sync::<MapOptions>();
    send_sync::<AsCompleted<String>>();
    send_sync::<WaitResult>();
    send_sync::<ReturnWhen>();
    send_sync::<ExecutorError>();
    send_sync::<TaskError>();
    // The lazy input of a buffered map need only be `Send`.
    send::<MapResults<String>>();
    fn scope_is_send_sync<'scope, 'env>(_: &Scope<'scope, 'env>)
    where
        Scope<'scope, 'env>: Send + Sync,
    {
    }
    #[allow(clippy::redundant_closure)] // the closure is what makes it higher-ranked
    pool(1).scope(|s| scope_is_send_sync(s));
}

#[test]
fn errors_are_std_errors_with_pythons_messages() {
    fn is_error<E: Error + Send + Sync + 'static>() {}
    is_error::<ExecutorError>();
    is_error::<TaskError>();

    let executor_cases = [
        (
            ExecutorError::InvalidMaxWorkers,
            "max_workers must be greater than 0",
        ),
        (
            ExecutorError::InvalidBufferSize,
            "buffersize must be None or > 0",
        ),
        (
            ExecutorError::ShutDown,
            "cannot schedule new futures after shutdown",
        ),
        (
            ExecutorError::BrokenPool("the pool broke".into()),
            "the pool broke",
        ),
        (
            ExecutorError::Spawn(std::io::Error::other("no threads left")),
            "can't start new thread: no threads left",
        ),
    ];
    for (error, text) in executor_cases {
        assert_eq!(error.to_string(), text);
    }
    let spawn = ExecutorError::Spawn(std::io::Error::other("no threads left"));
    assert_eq!(
        spawn.source().map(ToString::to_string).as_deref(),
        Some("no threads left"),
        "Spawn keeps the io error as its source"
    );
    assert!(ExecutorError::ShutDown.source().is_none());

    let task_cases = [
        (TaskError::Cancelled, "the future was cancelled"),
        (
            TaskError::Panicked("no luck".into()),
            "the task panicked: no luck",
        ),
        (
            TaskError::BrokenPool("the pool broke".into()),
            "the pool broke",
        ),
        (TaskError::Timeout, "timed out waiting for the futures"),
        (
            TaskError::NotSubmitted("cannot schedule new futures after shutdown".into()),
            "the task was not submitted: cannot schedule new futures after shutdown",
        ),
    ];
    for (error, text) in task_cases {
        assert_eq!(error.clone().to_string(), text);
        assert_eq!(error.clone(), error);
    }
}

#[test]
fn executor_errors_convert_to_task_errors() {
    assert_eq!(
        TaskError::from(ExecutorError::BrokenPool("broke".into())),
        TaskError::BrokenPool("broke".into())
    );
    assert_eq!(
        TaskError::from(ExecutorError::ShutDown),
        TaskError::NotSubmitted("cannot schedule new futures after shutdown".into())
    );
    assert_eq!(
        TaskError::from(ExecutorError::InvalidBufferSize),
        TaskError::NotSubmitted("buffersize must be None or > 0".into())
    );
}

// ------------------------------------------------- building an executor

#[test]
fn new_sets_max_workers_and_starts_no_thread() {
    let pool = pool(3);
    assert_eq!(pool.max_workers(), 3);
    assert_eq!(pool.stats(), ExecutorStats::default());
    let stats = ExecutorStats::default();
    assert_eq!(
        (
            stats.workers_started,
            stats.idle_workers,
            stats.queued_tasks,
            stats.completed_tasks
        ),
        (0, 0, 0, 0)
    );
}

#[test]
fn zero_max_workers_is_refused() {
    assert!(matches!(
        ThreadPoolExecutor::new(0),
        Err(ExecutorError::InvalidMaxWorkers)
    ));
    assert!(matches!(
        ThreadPoolExecutor::builder().max_workers(0).build(),
        Err(ExecutorError::InvalidMaxWorkers)
    ));
}

#[test]
fn builder_sets_size_and_prefix() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(5)
        .thread_name_prefix("builder-test")
        .build()
        .unwrap();
    assert_eq!(pool.max_workers(), 5);
    assert_eq!(pool.thread_name_prefix(), "builder-test");
    let name = pool
        .submit(|| pythreading_core::current_thread().name())
        .unwrap();
    assert_eq!(outcome(name).unwrap(), "builder-test_0");
    assert!(format!("{pool:?}").contains("builder-test"));
    assert!(format!("{:?}", ExecutorBuilder::new().max_workers(2)).contains("max_workers"));
}

#[test]
fn defaults_follow_python() {
    let expected = python_default_workers();
    assert_eq!(ThreadPoolExecutor::default().max_workers(), expected);
    assert_eq!(
        ExecutorBuilder::new().build().unwrap().max_workers(),
        expected
    );
    assert_eq!(
        ExecutorBuilder::default().build().unwrap().max_workers(),
        expected
    );
    assert_eq!(
        ThreadPoolExecutor::builder().build().unwrap().max_workers(),
        expected
    );

    // Default prefixes are "ThreadPoolExecutor-{n}", distinct per executor.
    let first = ThreadPoolExecutor::default();
    let second = ThreadPoolExecutor::builder()
        .max_workers(1)
        .build()
        .unwrap();
    let numbers: Vec<usize> = [&first, &second]
        .iter()
        .map(|pool| {
            let prefix = pool.thread_name_prefix();
            let number = prefix
                .strip_prefix("ThreadPoolExecutor-")
                .unwrap_or_else(|| panic!("unexpected default prefix {prefix:?}"));
            number.parse().expect("a number after the dash")
        })
        .collect();
    assert_ne!(numbers[0], numbers[1]);
    let name = second
        .submit(|| pythreading_core::current_thread().name())
        .unwrap();
    assert_eq!(
        outcome(name).unwrap(),
        format!("{}_0", second.thread_name_prefix())
    );
}

// ------------------------------------------------------------- submitting

#[test]
fn submit_returns_the_tasks_value() {
    let pool = pool(2);
    let number = pool.submit(|| 6 * 7).unwrap();
    let text = pool.submit(|| String::from("forty-two")).unwrap();
    let unit = pool.submit(|| ()).unwrap();
    assert_eq!(outcome(number), Ok(42));
    assert_eq!(outcome(text), Ok("forty-two".to_string()));
    assert_eq!(outcome(unit), Ok(()));
}

#[test]
fn submit_after_shutdown_is_refused() {
    let waited = pool(2);
    let _ = waited.submit(|| ()).unwrap();
    waited.shutdown(true, false);
    assert!(matches!(waited.submit(|| 1), Err(ExecutorError::ShutDown)));
    assert!(matches!(
        waited.map(|n: u32| n, [1, 2]),
        Err(ExecutorError::ShutDown)
    ));
    assert!(matches!(
        waited.map_with(|n: u32| n, [1, 2], MapOptions::new().buffersize(1)),
        Err(ExecutorError::ShutDown)
    ));
    // Shutting down again is harmless.
    waited.shutdown(true, true);
    waited.shutdown(false, false);

    let not_waited = pool(2);
    not_waited.shutdown(false, false);
    let refused = not_waited.submit(|| 1).unwrap_err();
    assert!(matches!(refused, ExecutorError::ShutDown));
    assert_eq!(
        refused.to_string(),
        "cannot schedule new futures after shutdown"
    );

    // An executor that never started a worker shuts down too.
    let idle = pool(1);
    idle.shutdown(true, false);
    assert!(matches!(idle.submit(|| 1), Err(ExecutorError::ShutDown)));
    assert_eq!(idle.stats().workers_started, 0);
}

#[test]
fn tasks_can_submit_to_their_own_pool() {
    let pool = Arc::new(pool(2));
    let inner_pool = Arc::clone(&pool);
    let outer = pool.submit(move || inner_pool.submit(|| 5)).unwrap();
    let inner = outcome(outer)
        .expect("the outer task ran")
        .expect("the pool took the inner task");
    assert_eq!(outcome(inner), Ok(5));
}

// ---------------------------------------------------------------- workers

#[test]
fn workers_are_named_prefix_underscore_index() {
    let pool = named_pool(3, "named");
    let gate = gate();
    let names = shared_log();
    let futures: Vec<_> = (0..3)
        .map(|_| {
            let (gate, names) = (Arc::clone(&gate), Arc::clone(&names));
            pool.submit(move || {
                names
                    .lock()
                    .unwrap()
                    .push(pythreading_core::current_thread().name());
                gate.wait_timeout(PATIENCE)
            })
            .unwrap()
        })
        .collect();
    // There are as many tasks as workers can be: each worker started takes
    // one and holds it, so each one's name is recorded once.
    let started = pool.stats().workers_started;
    assert!((1..=3).contains(&started));
    wait_until("every worker started holds a task", || {
        snapshot(&names).len() == started
    });
    let mut seen = snapshot(&names);
    seen.sort();
    let expected: Vec<String> = (0..started).map(|i| format!("named_{i}")).collect();
    assert_eq!(seen, expected);
    gate.set();
    for future in futures {
        assert_eq!(outcome(future), Ok(true));
    }
}

#[test]
fn max_workers_bounds_the_threads_started() {
    let pool = pool(2);
    let gate = gate();
    let futures: Vec<_> = (0..10).map(|_| submit_gated(&pool, &gate)).collect();
    let started = pool.stats().workers_started;
    assert!(
        (1..=2).contains(&started),
        "{started} workers for max_workers 2"
    );
    gate.set();
    for future in futures {
        assert_eq!(outcome(future), Ok(true));
    }
    assert!(pool.stats().workers_started <= 2);
}

/// Python starts a worker for each submit that finds no idle worker: with
/// every started worker busy, the k-th submit has started k workers.
#[test]
fn every_submit_while_no_worker_is_idle_starts_a_worker() {
    // The tasks are held by a gate, so no worker is ever idle here. Several
    // rounds, because a start that raced with its own first task would
    // show only now and then.
    for round in 0..1000 {
        let pool = pool(3);
        let gate = gate();
        let mut futures = Vec::new();
        for k in 1..=3 {
            futures.push(submit_gated(&pool, &gate));
            let started = pool.stats().workers_started;
            if started != k {
                gate.set();
                panic!(
                    "round {round}: {k} submits with every worker busy started \
                     {started} workers (expected {k})"
                );
            }
        }
        gate.set();
        for future in futures {
            assert_eq!(outcome(future), Ok(true));
        }
    }
}

/// A submit that finds an idle worker hands it the task instead of
/// starting another thread.
#[test]
fn idle_workers_are_reused() {
    let pool = pool(4);
    for n in 0..20 {
        wait_until("the worker is idle", || {
            let stats = pool.stats();
            stats.idle_workers == stats.workers_started
        });
        assert_eq!(outcome(pool.submit(move || n * 2).unwrap()), Ok(n * 2));
    }
    assert_eq!(pool.stats().workers_started, 1);
}

/// A burst of tasks submitted while every worker is idle gets every
/// worker: the submitter wakes one, and each woken worker that leaves
/// tasks queued wakes the next. Four tasks that only end together (a
/// barrier of four) would otherwise wait for ever on a worker or two.
#[test]
fn a_burst_on_an_idle_pool_wakes_every_worker() {
    const WORKERS: usize = 4;
    let pool = pool(WORKERS);
    for round in 0..50 {
        if round > 0 {
            wait_until("every worker is idle", || {
                let stats = pool.stats();
                stats.workers_started == WORKERS && stats.idle_workers == WORKERS
            });
            // Long enough for the one idle worker that spins to park too
            // (the burst must wake parked workers; either way it must run).
            thread::sleep(Duration::from_millis(2));
        }
        let barrier = Arc::new(Barrier::new(WORKERS).unwrap());
        let futures: Vec<_> = (0..WORKERS)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                pool.submit(move || barrier.wait_timeout(PATIENCE).is_ok())
                    .unwrap()
            })
            .collect();
        let met: Vec<_> = futures.into_iter().map(outcome).collect();
        assert_eq!(
            met,
            vec![Ok(true); WORKERS],
            "round {round}: the burst missed a worker"
        );
    }
}

/// Python's `test_idle_thread_reuse`: submit and wait, again and again,
/// never needs a second worker.
#[test]
fn sequential_submit_and_result_start_only_one_worker() {
    // Many rounds, each submit made the moment the previous future is done
    // (watched by polling): a second worker started by a lost race shows
    // only now and then.
    let pool = pool(4);
    for n in 0..2000 {
        let future = pool.submit(move || n + 1).unwrap();
        let deadline = Instant::now() + PATIENCE;
        while !future.done() {
            assert!(Instant::now() < deadline, "task {n} did not finish");
            std::hint::spin_loop();
        }
        assert_eq!(future.result(), Ok(n + 1));
    }
    assert_eq!(
        pool.stats().workers_started,
        1,
        "one task at a time, waited for each, started more than one worker"
    );
}

#[test]
fn workers_are_non_daemon_pythreading_threads() {
    let pool = named_pool(1, "non-daemon");
    let inside = pool
        .submit(|| {
            let me = pythreading_core::current_thread();
            let listed = pythreading_core::enumerate().contains(&me);
            (me.name(), me.is_daemon(), me.is_alive(), listed)
        })
        .unwrap();
    assert_eq!(
        outcome(inside),
        Ok(("non-daemon_0".to_string(), false, true, true))
    );
    let worker = pythreading_core::enumerate()
        .into_iter()
        .find(|thread| thread.name() == "non-daemon_0")
        .expect("the idle worker is listed by enumerate()");
    assert!(!worker.is_daemon() && worker.is_alive());
    pool.shutdown(true, false);
    assert!(
        !worker.is_alive(),
        "shutdown(wait) returned before its worker ended"
    );
    assert!(
        !pythreading_core::enumerate()
            .iter()
            .any(|thread| thread.name() == "non-daemon_0")
    );
}

#[test]
fn a_panicking_task_never_kills_its_worker() {
    let pool = named_pool(1, "sturdy");
    let failed = pool.submit(|| -> u32 { panic!("boom {}", 7) }).unwrap();
    assert_eq!(outcome(failed), Err(TaskError::Panicked("boom 7".into())));
    let odd = pool
        .submit(|| -> u32 { std::panic::panic_any(42_i32) })
        .unwrap();
    assert!(matches!(outcome(odd), Err(TaskError::Panicked(_))));
    for _ in 0..3 {
        let name = pool
            .submit(|| pythreading_core::current_thread().name())
            .unwrap();
        assert_eq!(outcome(name), Ok("sturdy_0".to_string()));
    }
    assert_eq!(pool.stats().workers_started, 1);
    wait_until("the panicking tasks count as completed", || {
        pool.stats().completed_tasks == 5
    });
}

// ------------------------------------------------------------ initializer

#[test]
fn initializer_runs_on_each_worker_before_its_first_task() {
    let initialized = shared_log::<String>();
    let log = Arc::clone(&initialized);
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("init")
        .initializer(move || {
            log.lock()
                .unwrap()
                .push(pythreading_core::current_thread().name());
        })
        .build()
        .unwrap();
    assert!(
        snapshot(&initialized).is_empty(),
        "no worker before the first submit"
    );
    let gate = gate();
    let futures: Vec<_> = (0..4)
        .map(|_| {
            let (gate, initialized) = (Arc::clone(&gate), Arc::clone(&initialized));
            pool.submit(move || {
                let me = pythreading_core::current_thread().name();
                gate.wait_timeout(PATIENCE);
                initialized.lock().unwrap().contains(&me)
            })
            .unwrap()
        })
        .collect();
    gate.set();
    for future in futures {
        assert_eq!(
            outcome(future),
            Ok(true),
            "a task ran before its worker's initializer"
        );
    }
    // Every worker started runs its initializer, whether or not it got a task.
    let started = pool.stats().workers_started;
    wait_until("every worker started is initialized", || {
        snapshot(&initialized).len() >= started
    });
    let mut names = snapshot(&initialized);
    names.sort();
    let expected: Vec<String> = (0..started).map(|i| format!("init_{i}")).collect();
    assert_eq!(names, expected, "the initializer runs once per worker");
}

#[test]
fn a_failing_initializer_breaks_the_pool() {
    let reports = capture_excepthook();
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("broken-init")
        .initializer(|| panic!("initializer boom"))
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut futures = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..5 {
        let ran = Arc::clone(&ran);
        match pool.submit(move || ran.fetch_add(1, Ordering::SeqCst)) {
            Ok(future) => futures.push(future),
            Err(error) => refused.push(error),
        }
    }
    assert!(
        !futures.is_empty(),
        "the first submit is taken (it starts the worker)"
    );
    for future in futures {
        match outcome(future) {
            Err(TaskError::BrokenPool(message)) => {
                assert!(message.contains("initializer"), "{message:?}");
                assert!(message.contains("initializer boom"), "{message:?}");
            }
            other => panic!("a pending task of a broken pool gave {other:?}"),
        }
    }
    let later = pool.submit(|| 0).unwrap_err();
    refused.push(later);
    for error in refused {
        match &error {
            ExecutorError::BrokenPool(message) => {
                assert!(message.contains("initializer"), "{message:?}");
                assert_eq!(error.to_string(), *message);
            }
            other => panic!("a submit to a broken pool gave {other:?}"),
        }
    }
    assert!(matches!(
        pool.map(|n: u32| n, [1]),
        Err(ExecutorError::BrokenPool(_))
    ));
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "no task ran on a broken pool"
    );
    wait_until("the initializer's panic is reported", || {
        !reports_containing(reports, "initializer boom").is_empty()
    });
    let (thread, _) = reports_containing(reports, "initializer boom").remove(0);
    assert!(
        thread.starts_with("broken-init_"),
        "reported for {thread:?}"
    );
    // Shutting a broken pool down (and dropping it) does not hang.
    bounded("shutdown of a broken pool", move || {
        pool.shutdown(true, true)
    });
}

// ------------------------------------------------------------------ stats

#[test]
fn stats_count_workers_idle_queued_and_completed() {
    let pool = pool(1);
    assert_eq!(pool.stats(), ExecutorStats::default());
    let gate = gate();
    let busy = submit_gated(&pool, &gate);
    wait_running(&busy);
    let queued: Vec<_> = (0..3).map(|n| pool.submit(move || n).unwrap()).collect();
    let stats = pool.stats();
    assert_eq!(stats.workers_started, 1);
    assert_eq!(stats.idle_workers, 0);
    assert_eq!(stats.queued_tasks, 3);
    assert_eq!(stats.completed_tasks, 0);
    assert!(queued[1].cancel());
    assert_eq!(
        pool.stats().queued_tasks,
        3,
        "a cancelled task stays queued until a worker drops it"
    );
    gate.set();
    assert_eq!(outcome(busy), Ok(true));
    for future in queued {
        wait_done(&future);
    }
    wait_until("the worker is idle with nothing queued", || {
        let stats = pool.stats();
        stats.idle_workers == 1 && stats.queued_tasks == 0 && stats.completed_tasks == 3
    });
    let stats = pool.stats();
    assert_eq!(
        (
            stats.workers_started,
            stats.idle_workers,
            stats.queued_tasks,
            stats.completed_tasks
        ),
        (1, 1, 0, 3),
        "the cancelled task does not count as completed"
    );
    let copy = stats;
    assert_eq!(copy, stats);
    assert!(format!("{stats:?}").contains("completed_tasks"));
}

// ---------------------------------------------------------------- futures

#[test]
fn future_states_from_pending_to_finished() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    let pending = pool.submit(|| "later").unwrap();
    wait_running(&running);

    assert_eq!(running.state(), FutureState::Running);
    assert!(running.running() && !running.done() && !running.cancelled());
    assert_eq!(pending.state(), FutureState::Pending);
    assert!(!pending.running() && !pending.done() && !pending.cancelled());
    assert!(format!("{pending:?}").contains("Pending"));

    let start = Instant::now();
    assert!(!running.wait_timeout(SHORT));
    assert!(start.elapsed() >= SHORT, "wait_timeout returned early");
    assert!(!pending.wait_timeout(Duration::ZERO));

    gate.set();
    let running = bounded("Future::wait", move || {
        running.wait();
        running
    });
    assert_eq!(running.state(), FutureState::Finished);
    assert!(running.done() && !running.running() && !running.cancelled());
    assert!(
        running.wait_timeout(Duration::ZERO),
        "a done future waits for nothing"
    );
    assert_eq!(
        bounded("Future::result", move || running.result()),
        Ok(true)
    );
    assert_eq!(outcome(pending), Ok("later"));
}

#[test]
fn cancel_succeeds_only_while_pending() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    let captured = Arc::new(());
    let held = Arc::clone(&captured);
    let ran = Arc::new(AtomicBool::new(false));
    let ran_flag = Arc::clone(&ran);
    let pending = pool
        .submit(move || {
            let _held = held;
            ran_flag.store(true, Ordering::SeqCst);
        })
        .unwrap();
    wait_running(&running);

    // Pending: cancelled, done at once, and what the task captured is freed.
    assert!(pending.cancel());
    assert_eq!(pending.state(), FutureState::Cancelled);
    assert!(pending.cancelled() && pending.done() && !pending.running());
    assert_eq!(
        Arc::strong_count(&captured),
        1,
        "the cancelled task was not dropped"
    );
    // Cancelled again: still true.
    assert!(pending.cancel());
    assert!(pending.cancelled());
    // Running: false, and it runs on.
    assert!(!running.cancel());
    assert_eq!(running.state(), FutureState::Running);
    gate.set();
    assert_eq!(outcome(running), Ok(true));

    let finished = pool.submit(|| 1).unwrap();
    wait_done(&finished);
    assert!(!finished.cancel(), "a finished future cannot be cancelled");
    assert_eq!(finished.state(), FutureState::Finished);
    assert_eq!(finished.result(), Ok(1));

    assert_eq!(pending.result(), Err(TaskError::Cancelled));
    pool.shutdown(true, false);
    assert!(!ran.load(Ordering::SeqCst), "a cancelled task ran");
}

// -------------------------------------------------------------- callbacks

fn thread_label() -> (thread::ThreadId, String) {
    (
        thread::current().id(),
        pythreading_core::current_thread().name(),
    )
}

/// Adds a done callback to `future` that records, in `log`, the thread it
/// runs on.
fn record_callback_thread<T>(future: &Future<T>, log: &Arc<Mutex<Vec<thread::ThreadId>>>) {
    let log = Arc::clone(log);
    future.add_done_callback(move || log.lock().unwrap().push(thread::current().id()));
}

#[test]
fn callbacks_run_once_in_order_on_the_completing_worker() {
    let pool = named_pool(1, "callback");
    let gate = gate();
    let future = submit_gated(&pool, &gate);
    let log = shared_log();
    for index in 0..3 {
        let log = Arc::clone(&log);
        future.add_done_callback(move || log.lock().unwrap().push((index, thread_label().1)));
    }
    assert!(
        snapshot(&log).is_empty(),
        "a callback ran before the future was done"
    );
    gate.set();
    wait_done(&future);
    wait_until("the callbacks ran", || snapshot(&log).len() >= 3);
    // Let the worker go on to other work: nothing runs a callback again.
    assert_eq!(outcome(pool.submit(|| ()).unwrap()), Ok(()));
    assert_eq!(
        snapshot(&log),
        [0, 1, 2].map(|index| (index, "callback_0".to_string()))
    );
    assert_eq!(future.result(), Ok(true));
    assert_eq!(snapshot(&log).len(), 3);
}

#[test]
fn a_callback_added_to_a_done_future_runs_at_once_on_the_caller() {
    let pool = pool(1);
    let future = pool.submit(|| 3).unwrap();
    wait_done(&future);
    let log = shared_log();
    record_callback_thread(&future, &log);
    assert_eq!(snapshot(&log), [thread::current().id()]);
    assert_eq!(future.result(), Ok(3));
}

#[test]
fn callbacks_run_on_cancel_on_the_cancelling_thread() {
    let pool = pool(1);
    let gate = gate();
    let busy = submit_gated(&pool, &gate);
    let pending = pool.submit(|| ()).unwrap();
    wait_running(&busy);
    let log = shared_log();
    record_callback_thread(&pending, &log);
    assert!(pending.cancel());
    assert_eq!(
        snapshot(&log),
        [thread::current().id()],
        "the callback did not run on the cancelling thread, before cancel returned"
    );
    assert!(pending.cancel());
    assert_eq!(
        snapshot(&log).len(),
        1,
        "a second cancel ran the callback again"
    );
    gate.set();
    assert_eq!(outcome(busy), Ok(true));
}

#[test]
fn a_panicking_callback_does_not_stop_the_others() {
    let reports = capture_excepthook();
    let pool = named_pool(1, "callback-panic");
    let gate = gate();
    let future = submit_gated(&pool, &gate);
    let log = shared_log();
    let first = Arc::clone(&log);
    future.add_done_callback(move || first.lock().unwrap().push("first"));
    future.add_done_callback(|| panic!("callback boom on a worker"));
    let last = Arc::clone(&log);
    future.add_done_callback(move || last.lock().unwrap().push("last"));
    gate.set();
    wait_done(&future);
    wait_until("the callbacks ran", || snapshot(&log).len() >= 2);
    assert_eq!(snapshot(&log), ["first", "last"]);
    wait_until("the panic is reported", || {
        !reports_containing(reports, "callback boom on a worker").is_empty()
    });
    assert_eq!(
        reports_containing(reports, "callback boom on a worker"),
        [(
            "callback-panic_0".to_string(),
            "Exception ignored in a done callback: callback boom on a worker".to_string()
        )]
    );

    // At once on a done future: the same.
    let log = shared_log();
    let first = Arc::clone(&log);
    future.add_done_callback(move || first.lock().unwrap().push("at once"));
    future.add_done_callback(|| panic!("callback boom at once"));
    let last = Arc::clone(&log);
    future.add_done_callback(move || last.lock().unwrap().push("still"));
    assert_eq!(snapshot(&log), ["at once", "still"]);
    assert_eq!(
        reports_containing(reports, "callback boom at once").len(),
        1
    );
    // The worker is fine.
    assert_eq!(outcome(pool.submit(|| 1).unwrap()), Ok(1));
    assert_eq!(future.result(), Ok(true));
}

// --------------------------------------------------------------- shutdown

/// Submits `count` tasks that each add one to `finished`.
fn submit_counting(
    pool: &ThreadPoolExecutor,
    count: usize,
    finished: &Arc<AtomicUsize>,
) -> Vec<Future<usize>> {
    (0..count)
        .map(|_| {
            let finished = Arc::clone(finished);
            pool.submit(move || finished.fetch_add(1, Ordering::SeqCst))
                .unwrap()
        })
        .collect()
}

#[test]
fn shutdown_without_wait_returns_while_the_work_goes_on() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    let queued = pool.submit(|| "queued").unwrap();
    wait_running(&running);
    pool.shutdown(false, false);
    // The gate is still closed: shutdown cannot have waited for the task.
    assert!(!running.done() && !queued.done());
    assert!(matches!(pool.submit(|| ""), Err(ExecutorError::ShutDown)));
    gate.set();
    assert_eq!(outcome(running), Ok(true));
    assert_eq!(outcome(queued), Ok("queued"), "queued work still runs");
}

#[test]
fn shutdown_with_wait_returns_once_every_task_ran() {
    let pool = Arc::new(pool(1));
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    let finished = Arc::new(AtomicUsize::new(0));
    let queued = submit_counting(&pool, 5, &finished);
    wait_running(&running);
    let (probe, opener_gate) = (Arc::clone(&pool), Arc::clone(&gate));
    let opener = thread::spawn(move || {
        // A refused submit: the shutdown has begun, with the running task
        // still at its gate, so the shutdown cannot return before it opens.
        wait_until("the shutdown begins", || probe.submit(|| ()).is_err());
        opener_gate.set();
    });
    let waiter = Arc::clone(&pool);
    bounded("shutdown(wait: true)", move || waiter.shutdown(true, false));
    assert!(
        running.done(),
        "shutdown returned before the running task ended"
    );
    assert!(
        queued.iter().all(Future::done),
        "shutdown returned with tasks queued"
    );
    assert_eq!(finished.load(Ordering::SeqCst), 5);
    opener.join().unwrap();
}

#[test]
fn shutdown_cancel_futures_cancels_exactly_the_pending_ones() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    wait_running(&running);
    let ran = Arc::new(AtomicUsize::new(0));
    let callbacks = shared_log();
    let pending: Vec<_> = (0..5)
        .map(|_| {
            let ran = Arc::clone(&ran);
            let future = pool
                .submit(move || ran.fetch_add(1, Ordering::SeqCst))
                .unwrap();
            record_callback_thread(&future, &callbacks);
            future
        })
        .collect();
    pool.shutdown(false, true);
    // Cancelled before shutdown returned, their callbacks run by it.
    for future in &pending {
        assert_eq!(future.state(), FutureState::Cancelled);
    }
    assert_eq!(snapshot(&callbacks), vec![thread::current().id(); 5]);
    assert_eq!(
        running.state(),
        FutureState::Running,
        "the running task is left alone"
    );
    gate.set();
    assert_eq!(outcome(running), Ok(true));
    for future in pending {
        assert_eq!(future.result(), Err(TaskError::Cancelled));
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn shutdown_wait_and_cancel_futures_cancels_first_then_waits() {
    let pool = Arc::new(pool(1));
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    wait_running(&running);
    let pending: Arc<Vec<Future<u32>>> =
        Arc::new((0..4).map(|n| pool.submit(move || n).unwrap()).collect());
    // Opens the gate only once the pending tasks are cancelled: shutdown
    // must cancel them before it waits for the running one.
    let watched = Arc::clone(&pending);
    let opener_gate = Arc::clone(&gate);
    let opener = thread::spawn(move || {
        wait_until("shutdown cancels the pending tasks", || {
            watched.iter().all(Future::cancelled)
        });
        opener_gate.set();
    });
    let waiter = Arc::clone(&pool);
    bounded("shutdown(wait, cancel_futures)", move || {
        waiter.shutdown(true, true)
    });
    assert!(
        running.done(),
        "shutdown(wait) returned before the running task ended"
    );
    opener.join().unwrap();
    assert_eq!(outcome(running), Ok(true));
    assert!(pending.iter().all(Future::cancelled));
}

#[test]
fn wait_and_as_completed_return_at_once_on_futures_cancelled_by_shutdown() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    wait_running(&running);
    let cancelled: Vec<_> = (0..4).map(|n| pool.submit(move || n).unwrap()).collect();
    let for_as_completed: Vec<_> = (0..4).map(|n| pool.submit(move || n).unwrap()).collect();
    pool.shutdown(false, true);

    // CPython hangs here (its waiters hear of the cancellation only when a
    // worker dequeues the task); these return while the worker is still
    // blocked, without a timeout.
    let result = bounded("wait on cancelled futures", move || {
        wait(&cancelled, None, ReturnWhen::AllCompleted)
    });
    assert_eq!(result.done, vec![0, 1, 2, 3]);
    assert!(result.not_done.is_empty());
    let states = bounded("as_completed on cancelled futures", move || {
        as_completed(for_as_completed, None)
            .map(|done| done.map(|future| future.state()))
            .collect::<Vec<_>>()
    });
    assert_eq!(states, vec![Ok(FutureState::Cancelled); 4]);
    assert!(!running.done(), "the worker was released early");
    gate.set();
    assert_eq!(outcome(running), Ok(true));
}

#[test]
fn shutdown_from_inside_a_task_does_not_deadlock() {
    let pool = Arc::new(pool(2));
    let own = Arc::clone(&pool);
    let inside = pool
        .submit(move || {
            own.shutdown(true, false);
            own.submit(|| ()).is_err()
        })
        .unwrap();
    assert_eq!(outcome(inside), Ok(true));
    bounded("shutdown after a task shut the pool down", move || {
        pool.shutdown(true, false)
    });
}

#[test]
fn dropping_the_executor_waits_for_queued_work() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    let finished = Arc::new(AtomicUsize::new(0));
    let queued = submit_counting(&pool, 20, &finished);
    wait_running(&running);
    // The last owner drops the executor: once no other is left (the drop
    // has begun), the running task is still at its gate, its work queued.
    let pool = Arc::new(pool);
    let (watch, opener_gate) = (Arc::downgrade(&pool), Arc::clone(&gate));
    let opener = thread::spawn(move || {
        wait_until("the drop begins", || watch.strong_count() == 0);
        opener_gate.set();
    });
    bounded("dropping the executor", move || drop(pool));
    assert!(running.done());
    assert!(
        queued.iter().all(Future::done),
        "drop returned with tasks queued"
    );
    assert_eq!(finished.load(Ordering::SeqCst), 20);
    for future in queued {
        assert!(future.result().is_ok());
    }
    opener.join().unwrap();
}

// -------------------------------------------------------------------- wait

/// `wait(futures, None, return_when)` on a helper thread, bounded by
/// [`PATIENCE`] (see [`bounded`]), which hands the futures back with the
/// result.
fn wait_bounded<T: Send + 'static>(
    what: &str,
    futures: Vec<Future<T>>,
    return_when: ReturnWhen,
) -> (Vec<Future<T>>, WaitResult) {
    bounded(what, move || {
        let result = wait(&futures, None, return_when);
        (futures, result)
    })
}

#[test]
fn wait_on_no_futures_returns_at_once() {
    let futures: Vec<Future<()>> = Vec::new();
    for return_when in [
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::AllCompleted,
    ] {
        for timeout in [None, Some(Duration::ZERO), Some(PATIENCE)] {
            let start = Instant::now();
            assert_eq!(wait(&futures, timeout, return_when), WaitResult::default());
            assert!(start.elapsed() < PATIENCE, "wait on nothing waited");
        }
    }
    assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
}

#[test]
fn wait_all_completed() {
    let pool = pool(2);
    let futures: Vec<_> = (0..6).map(|n| pool.submit(move || n).unwrap()).collect();
    let (futures, result) = wait_bounded("wait(ALL_COMPLETED)", futures, ReturnWhen::AllCompleted);
    assert_eq!(result.done, (0..6).collect::<Vec<_>>());
    assert!(result.not_done.is_empty());
    assert!(futures.iter().all(Future::done));
}

#[test]
fn wait_all_completed_with_a_timeout_reports_the_stragglers() {
    // The gated task has a pool of its own, so the quick ones never queue
    // behind it.
    let (quick, slow) = (pool(2), pool(1));
    let gate = gate();
    let futures = vec![
        quick.submit(|| true).unwrap(),
        submit_gated(&slow, &gate),
        quick.submit(|| true).unwrap(),
    ];
    wait_done(&futures[0]);
    wait_done(&futures[2]);
    let start = Instant::now();
    let result = wait(&futures, Some(SHORT), ReturnWhen::AllCompleted);
    assert!(start.elapsed() >= SHORT, "returned before the timeout");
    assert_eq!(
        result,
        WaitResult {
            done: vec![0, 2],
            not_done: vec![1]
        }
    );
    gate.set();
    let result = wait(&futures, Some(PATIENCE), ReturnWhen::AllCompleted);
    assert_eq!(result.done, vec![0, 1, 2]);
}

#[test]
fn wait_first_completed() {
    let (quick, slow) = (pool(1), pool(2));
    let gate = gate();
    let futures = vec![submit_gated(&slow, &gate), quick.submit(|| true).unwrap()];
    let (futures, result) =
        wait_bounded("wait(FIRST_COMPLETED)", futures, ReturnWhen::FirstCompleted);
    assert_eq!(
        result,
        WaitResult {
            done: vec![1],
            not_done: vec![0]
        }
    );

    // Nothing completes within the timeout: none is done.
    let start = Instant::now();
    let only_gated = wait(&futures[..1], Some(SHORT), ReturnWhen::FirstCompleted);
    assert!(start.elapsed() >= SHORT, "returned before the timeout");
    assert_eq!(
        only_gated,
        WaitResult {
            done: vec![],
            not_done: vec![0]
        }
    );

    // A future done already among them: at once, the others not done.
    let futures: Vec<_> = futures
        .into_iter()
        .chain([submit_gated(&slow, &gate)])
        .collect();
    let (futures, result) = wait_bounded(
        "wait(FIRST_COMPLETED) with one done",
        futures,
        ReturnWhen::FirstCompleted,
    );
    assert_eq!(
        result,
        WaitResult {
            done: vec![1],
            not_done: vec![0, 2]
        }
    );
    gate.set();
    for future in futures {
        assert_eq!(outcome(future), Ok(true));
    }
}

#[test]
fn wait_first_exception() {
    let (quick, slow) = (pool(1), pool(1));
    let gate = gate();
    let futures = vec![
        submit_gated(&slow, &gate),
        quick
            .submit(|| -> bool { panic!("first exception") })
            .unwrap(),
    ];
    let (futures, result) =
        wait_bounded("wait(FIRST_EXCEPTION)", futures, ReturnWhen::FirstException);
    assert_eq!(
        result,
        WaitResult {
            done: vec![1],
            not_done: vec![0]
        }
    );
    gate.set();
    let mut futures = futures.into_iter();
    assert_eq!(outcome(futures.next().unwrap()), Ok(true));
    assert_eq!(
        outcome(futures.next().unwrap()),
        Err(TaskError::Panicked("first exception".into()))
    );

    // No failure at all: it waits for every future, as ALL_COMPLETED.
    let fine: Vec<_> = (0..4).map(|n| quick.submit(move || n).unwrap()).collect();
    let result = bounded("wait(FIRST_EXCEPTION) without failures", move || {
        wait(&fine, None, ReturnWhen::FirstException)
    });
    assert_eq!(result.done, vec![0, 1, 2, 3]);
}

#[test]
fn wait_first_exception_does_not_count_a_cancellation() {
    let pool = pool(1);
    let gate = gate();
    let running = submit_gated(&pool, &gate);
    let pending = pool.submit(|| true).unwrap();
    wait_running(&running);
    assert!(pending.cancel());
    let futures = vec![running, pending];
    let start = Instant::now();
    let result = wait(&futures, Some(SHORT), ReturnWhen::FirstException);
    assert!(
        start.elapsed() >= SHORT,
        "a cancelled future was taken for an exception"
    );
    assert_eq!(
        result,
        WaitResult {
            done: vec![1],
            not_done: vec![0]
        }
    );
    gate.set();
}

#[test]
fn wait_first_exception_counts_a_broken_pool() {
    let broken = broken_pool("initializer boom for wait");
    let healthy = pool(1);
    let gate = gate();
    let futures = vec![submit_gated(&healthy, &gate), submit_gated(&broken, &gate)];
    let (futures, result) = wait_bounded(
        "wait(FIRST_EXCEPTION) on a broken pool",
        futures,
        ReturnWhen::FirstException,
    );
    assert_eq!(
        result,
        WaitResult {
            done: vec![1],
            not_done: vec![0]
        }
    );
    gate.set();
    let mut futures = futures.into_iter();
    assert_eq!(outcome(futures.next().unwrap()), Ok(true));
    assert!(matches!(
        outcome(futures.next().unwrap()),
        Err(TaskError::BrokenPool(_))
    ));
}

// ----------------------------------------------------------- as_completed

/// Three single-worker pools, one gated task each: the test decides the
/// completion order, whatever the pool does with its threads.
fn three_gated() -> (Vec<ThreadPoolExecutor>, Vec<Arc<Event>>, Vec<Future<usize>>) {
    let pools: Vec<_> = (0..3).map(|_| pool(1)).collect();
    let gates: Vec<_> = (0..3).map(|_| gate()).collect();
    let futures = pools
        .iter()
        .zip(&gates)
        .enumerate()
        .map(|(id, (pool, gate))| {
            let gate = Arc::clone(gate);
            pool.submit(move || {
                gate.wait_timeout(PATIENCE);
                id
            })
            .unwrap()
        })
        .collect();
    (pools, gates, futures)
}

#[test]
fn as_completed_yields_in_completion_order() {
    let (_pools, gates, futures) = three_gated();
    let mut completed = as_completed(futures, Some(PATIENCE));
    assert_eq!(completed.remaining(), 3);
    for (step, id) in [2, 0, 1].into_iter().enumerate() {
        gates[id].set();
        let future = completed
            .next()
            .expect("a future")
            .expect("before the timeout");
        assert_eq!(future.result(), Ok(id));
        assert_eq!(completed.remaining(), 2 - step);
    }
    assert!(completed.next().is_none());
    assert!(completed.next().is_none());
}

#[test]
fn as_completed_yields_the_done_futures_first_in_the_order_given() {
    let (_pools, gates, futures) = three_gated();
    let mut futures = futures.into_iter();
    let blocked = futures.next().unwrap();
    let (one, two) = (futures.next().unwrap(), futures.next().unwrap());
    gates[2].set();
    gates[1].set();
    wait_done(&two);
    wait_done(&one);
    let mut completed = as_completed(vec![blocked, one, two], Some(PATIENCE));
    let first: Vec<usize> = completed
        .by_ref()
        .take(2)
        .map(|done| done.unwrap().result().unwrap())
        .collect();
    assert_eq!(first, [1, 2]);
    gates[0].set();
    assert_eq!(completed.next().unwrap().unwrap().result(), Ok(0));
    assert!(completed.next().is_none());
}

#[test]
fn as_completed_times_out_once_and_gives_the_rest_back() {
    let (_pools, gates, futures) = three_gated();
    gates[1].set();
    wait_done(&futures[1]);
    let start = Instant::now();
    let mut completed = as_completed(futures, Some(SHORT));
    assert_eq!(completed.next().unwrap().unwrap().result(), Ok(1));
    assert_eq!(completed.remaining(), 2);
    assert!(matches!(completed.next(), Some(Err(TaskError::Timeout))));
    assert!(start.elapsed() >= SHORT, "timed out early");
    assert!(completed.next().is_none());
    assert!(completed.next().is_none(), "the iterator is fused");
    assert_eq!(completed.remaining(), 2);
    assert!(format!("{completed:?}").contains("remaining"));
    let pending = completed.into_pending();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|future| !future.done()));
    gates[0].set();
    gates[2].set();
    let ids: Vec<usize> = pending.into_iter().map(|f| outcome(f).unwrap()).collect();
    assert_eq!(ids, [0, 2], "into_pending keeps the order given");
}

#[test]
fn as_completed_without_a_timeout_and_on_nothing() {
    assert!(
        as_completed(Vec::<Future<()>>::new(), None)
            .next()
            .is_none()
    );
    assert_eq!(as_completed(Vec::<Future<()>>::new(), None).remaining(), 0);
    let pool = pool(2);
    let futures: Vec<_> = (0..5).map(|n| pool.submit(move || n).unwrap()).collect();
    let mut values = bounded("as_completed without timeout", move || {
        as_completed(futures, None)
            .map(|done| done.unwrap().result().unwrap())
            .collect::<Vec<_>>()
    });
    values.sort_unstable();
    assert_eq!(values, [0, 1, 2, 3, 4]);
}

// -------------------------------------------------------------------- map

#[test]
fn map_options_hold_timeout_and_buffersize() {
    let none = MapOptions::new();
    assert_eq!(none, MapOptions::default());
    assert_eq!((none.get_timeout(), none.get_buffersize()), (None, None));
    let set = none.timeout(Duration::from_secs(3)).buffersize(7);
    let copy = set;
    assert_eq!(copy.get_timeout(), Some(Duration::from_secs(3)));
    assert_eq!(copy.get_buffersize(), Some(7));
    assert_ne!(set, none);
    assert!(format!("{set:?}").contains("buffersize"));
}

#[test]
fn map_yields_in_input_order() {
    let pool = pool(2);
    let gate = gate();
    // Item 0 waits until item 2 has run: it finishes last, yet comes first.
    // (The order is checked whatever happens; the bound only keeps a pool
    // that runs one task at a time from waiting long.)
    let results: Vec<_> = pool
        .map(
            move |n: u64| {
                if n == 0 {
                    gate.wait_timeout(Duration::from_secs(5));
                } else if n == 2 {
                    gate.set();
                }
                n * 10
            },
            0..4,
        )
        .unwrap()
        .collect();
    assert_eq!(results, [Ok(0), Ok(10), Ok(20), Ok(30)]);
    let empty: Vec<Result<u8, TaskError>> = pool.map(|n: u8| n, []).unwrap().collect();
    assert!(empty.is_empty());
}

#[test]
fn map_with_default_options_is_map() {
    let pool = pool(2);
    let results: Vec<_> = pool
        .map_with(
            |word: &str| word.len(),
            ["a", "bb", "ccc"],
            MapOptions::new(),
        )
        .unwrap()
        .collect();
    assert_eq!(results, [Ok(1), Ok(2), Ok(3)]);
}

#[test]
fn map_yields_a_panic_in_its_place_and_goes_on() {
    let pool = pool(2);
    let mut results = pool
        .map(
            |n: u32| {
                if n == 3 {
                    panic!("three");
                }
                n
            },
            0..6,
        )
        .unwrap();
    let collected: Vec<_> = results.by_ref().collect();
    assert_eq!(
        collected,
        [
            Ok(0),
            Ok(1),
            Ok(2),
            Err(TaskError::Panicked("three".into())),
            Ok(4),
            Ok(5)
        ]
    );
    assert!(results.next().is_none(), "the iterator is fused");
}

/// A `map` input whose item `held` holds its worker until a gate opens,
/// counting the items the map function is called on.
struct GatedInput {
    held: u32,
    gate: Arc<Event>,
    held_started: Arc<Event>,
    ran: Arc<AtomicUsize>,
}

impl GatedInput {
    /// Holds the worker that is given `held`.
    fn holding(held: u32) -> Self {
        Self {
            held,
            gate: gate(),
            held_started: Arc::new(Event::new()),
            ran: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn function(&self) -> impl Fn(u32) -> u32 + Send + Sync + 'static {
        let held = self.held;
        let (gate, held_started, ran) = (
            Arc::clone(&self.gate),
            Arc::clone(&self.held_started),
            Arc::clone(&self.ran),
        );
        move |n| {
            ran.fetch_add(1, Ordering::SeqCst);
            if n == held {
                held_started.set();
                gate.wait_timeout(PATIENCE);
            }
            n
        }
    }

    /// Opens the gate, shuts `pool` down waiting for all it runs, and
    /// returns how many items the function was called on.
    fn release_and_count(&self, pool: &ThreadPoolExecutor) -> usize {
        self.gate.set();
        pool.shutdown(true, false);
        self.ran.load(Ordering::SeqCst)
    }
}

#[test]
fn map_timeout_counts_from_the_call_and_cancels_the_rest() {
    let pool = pool(1);
    let input = GatedInput::holding(0);
    let start = Instant::now();
    let mut results = pool
        .map_with(input.function(), 0..5, MapOptions::new().timeout(SHORT))
        .unwrap();
    assert!(input.held_started.wait_timeout(PATIENCE));
    assert_eq!(results.next(), Some(Err(TaskError::Timeout)));
    assert!(start.elapsed() >= SHORT, "timed out early");
    assert_eq!(results.next(), None);
    assert_eq!(results.next(), None);
    assert_eq!(
        input.release_and_count(&pool),
        1,
        "the items after the timeout were not cancelled"
    );
}

#[test]
fn dropping_map_results_after_a_result_cancels_the_tasks_not_started() {
    for options in [MapOptions::new(), MapOptions::new().buffersize(3)] {
        let pool = pool(1);
        let input = GatedInput::holding(1);
        let mut results = pool.map_with(input.function(), 0..5, options).unwrap();
        assert_eq!(results.next(), Some(Ok(0)));
        assert!(input.held_started.wait_timeout(PATIENCE));
        assert!(format!("{results:?}").contains("MapResults"));
        drop(results);
        assert_eq!(
            input.release_and_count(&pool),
            2,
            "{options:?}: dropping the results did not cancel the queued items"
        );
    }
}

#[test]
fn dropping_unread_map_results_lets_every_submitted_task_run() {
    // Python's map returns a generator; one never started cancels nothing
    // when it is closed, so `executor.map(f, items)` alone runs them all.
    for (options, expected) in [(MapOptions::new(), 5), (MapOptions::new().buffersize(3), 3)] {
        let pool = pool(1);
        let input = GatedInput::holding(0);
        let results = pool.map_with(input.function(), 0..5, options).unwrap();
        assert!(input.held_started.wait_timeout(PATIENCE));
        drop(results);
        assert_eq!(
            input.release_and_count(&pool),
            expected,
            "{options:?}: an unread map must run what it submitted, and submit no more"
        );
    }
}

/// `items` with a count of how many were taken from it.
fn counted<I: Iterator>(items: I) -> (impl Iterator<Item = I::Item>, Arc<AtomicUsize>) {
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let items = items.inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (items, pulled)
}

#[test]
fn map_buffersize_zero_is_refused() {
    let pool = pool(1);
    let (input, pulled) = counted(0..10u32);
    assert!(matches!(
        pool.map_with(|n| n, input, MapOptions::new().buffersize(0)),
        Err(ExecutorError::InvalidBufferSize)
    ));
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "the input was consumed");
    assert_eq!(pool.stats().workers_started, 0, "a task was submitted");
}

/// With a buffer of N, tasks are submitted lazily: N at the call, then
/// one per result taken, so between two `next` calls at most N tasks are
/// submitted and not yet yielded, even when the workers are idle. (While
/// `next` waits for the oldest result one more is already submitted, as
/// Python 3.14 does: the refill comes before the wait, so a task may start
/// with N others not yet yielded.)
#[test]
fn map_buffersize_keeps_at_most_n_in_flight() {
    const N: usize = 3;
    let pool = pool(8);
    let (input, pulled) = counted(0usize..);
    let started = Arc::new(AtomicUsize::new(0));
    let yielded = Arc::new(AtomicUsize::new(0));
    let most_in_flight = Arc::new(AtomicUsize::new(0));
    let task = {
        let (started, yielded, most_in_flight) = (
            Arc::clone(&started),
            Arc::clone(&yielded),
            Arc::clone(&most_in_flight),
        );
        move |n: usize| {
            // Started tasks whose results are not yet yielded, this one included.
            let in_flight =
                started.fetch_add(1, Ordering::SeqCst) + 1 - yielded.load(Ordering::SeqCst);
            most_in_flight.fetch_max(in_flight, Ordering::SeqCst);
            n * 2
        }
    };
    let mut results = pool
        .map_with(task, input, MapOptions::new().buffersize(N))
        .unwrap();
    assert_eq!(pulled.load(Ordering::SeqCst), N, "the call submits N items");
    // Those N run to their end and the workers go idle: nothing more is
    // taken from the input until a result is.
    wait_until("the first N tasks complete", || {
        pool.stats().completed_tasks == N as u64
    });
    assert_eq!(pulled.load(Ordering::SeqCst), N);
    assert_eq!(started.load(Ordering::SeqCst), N);
    for taken in 1..=40 {
        assert_eq!(results.next(), Some(Ok((taken - 1) * 2)));
        yielded.store(taken, Ordering::SeqCst);
        let in_flight = pulled.load(Ordering::SeqCst) - taken;
        assert_eq!(
            in_flight, N,
            "after {taken} results, {in_flight} items submitted and not yielded"
        );
    }
    let most = most_in_flight.load(Ordering::SeqCst);
    assert!(
        most <= N + 1,
        "a task started with {most} in flight, buffer {N}"
    );
    drop(results);
    assert!(pulled.load(Ordering::SeqCst) <= 40 + N);
}

#[test]
fn map_buffersize_works_on_an_endless_input() {
    let pool = pool(2);
    let doubled: Vec<u64> = pool
        .map_with(|n: u64| n * 2, 0.., MapOptions::new().buffersize(4))
        .unwrap()
        .take(100)
        .map(Result::unwrap)
        .collect();
    assert_eq!(doubled, (0..100).map(|n| n * 2).collect::<Vec<_>>());
    // Panics and a timeout that never strikes, on an endless input too.
    let mut results = pool
        .map_with(
            |n: u64| {
                if n % 5 == 4 {
                    panic!("item {n}");
                }
                n
            },
            0..,
            MapOptions::new().buffersize(2).timeout(PATIENCE),
        )
        .unwrap();
    for n in 0..20 {
        let expected = if n % 5 == 4 {
            Err(TaskError::Panicked(format!("item {n}")))
        } else {
            Ok(n)
        };
        assert_eq!(results.next(), Some(expected));
    }
}

#[test]
fn a_lazy_map_whose_executor_shuts_down_yields_not_submitted_then_ends() {
    let pool = pool(2);
    let mut results = pool
        .map_with(|n: u32| n, 0..10, MapOptions::new().buffersize(2))
        .unwrap();
    assert_eq!(results.next(), Some(Ok(0)));
    pool.shutdown(true, false);
    // The items submitted before the shutdown still come, in order.
    assert_eq!(results.next(), Some(Ok(1)));
    assert_eq!(results.next(), Some(Ok(2)));
    assert_eq!(
        results.next(),
        Some(Err(TaskError::NotSubmitted(
            "cannot schedule new futures after shutdown".into()
        )))
    );
    assert_eq!(results.next(), None);
    assert_eq!(results.next(), None);
}

/// `0..`, panicking when asked for `at`: a user's input that fails.
fn input_panicking_at(at: u32, message: &'static str) -> impl Iterator<Item = u32> + Send {
    (0..).map(move |n| if n == at { panic!("{message}") } else { n })
}

#[test]
fn a_buffered_map_whose_input_panics_loses_no_result() {
    let pool = pool(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let mut results = pool
        .map_with(
            move |n| {
                counter.fetch_add(1, Ordering::SeqCst);
                n * 10
            },
            input_panicking_at(4, "the buffered input broke"),
            MapOptions::new().buffersize(2),
        )
        .unwrap();
    assert_eq!(results.next(), Some(Ok(0))); // pulls 2
    assert_eq!(results.next(), Some(Ok(10))); // pulls 3
    // Pulling 4 panics: the panic leaves `next` before any result is taken.
    let caught = pythreading_core::catch_panic(|| results.next()).unwrap_err();
    assert_eq!(caught.message, "the buffered input broke");
    // The results of 2 and 3 follow, in their places; then the end, and
    // the input is asked for nothing more.
    assert_eq!(results.next(), Some(Ok(20)));
    assert_eq!(results.next(), Some(Ok(30)));
    assert_eq!(results.next(), None);
    assert_eq!(results.next(), None);
    assert_eq!(ran.load(Ordering::SeqCst), 4);
}

/// A map (with `options`, or plain `map` without) over an input panicking
/// at item `at` before `map` returns: the panic leaves the call, and the
/// `at` tasks submitted before it still run.
fn check_input_panic_at_the_call(options: Option<MapOptions>, at: u32) {
    let pool = pool(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let task = move |_| counter.fetch_add(1, Ordering::SeqCst);
    let input = input_panicking_at(at, "the input broke at the call");
    let caught = pythreading_core::catch_panic(|| match options {
        Some(options) => pool.map_with(task, input, options),
        None => pool.map(task, input),
    })
    .unwrap_err();
    assert_eq!(caught.message, "the input broke at the call");
    pool.shutdown(true, false);
    assert_eq!(ran.load(Ordering::SeqCst), at as usize);
}

#[test]
fn a_buffered_map_whose_input_panics_in_the_first_fill_panics_at_the_call() {
    check_input_panic_at_the_call(Some(MapOptions::new().buffersize(5)), 2);
}

#[test]
fn a_map_whose_input_panics_panics_at_the_call_and_runs_what_it_submitted() {
    check_input_panic_at_the_call(None, 3);
}

// ------------------------------------------------------------------ scope

#[test]
fn scoped_tasks_borrow_from_the_stack_and_fill_disjoint_slices() {
    let pool = pool(3);
    let input: Vec<u64> = (0..1000).collect();
    let mut output = vec![0u64; input.len()];
    let label = String::from("squares");
    let returned = pool.scope(|s| {
        for (chunk_in, chunk_out) in input.chunks(100).zip(output.chunks_mut(100)) {
            let label = &label;
            let _ = s
                .submit(move || {
                    for (x, y) in chunk_in.iter().zip(chunk_out.iter_mut()) {
                        *y = x * x;
                    }
                    label.len()
                })
                .unwrap();
        }
        "closure value"
    });
    assert_eq!(returned, "closure value");
    assert!(input.iter().zip(&output).all(|(x, y)| *y == x * x));
}

#[test]
fn scope_returns_only_when_all_its_tasks_are_done() {
    let pool = pool(2);
    let gate = gate();
    let closure_returned = Arc::new(AtomicBool::new(false));
    let finished = AtomicUsize::new(0);
    // Opens the gate only after the closure has returned: if the scope
    // returned at that point, the tasks could not be done yet.
    let opener = {
        let (gate, closure_returned) = (Arc::clone(&gate), Arc::clone(&closure_returned));
        thread::spawn(move || {
            wait_until("the scope's closure returns", || {
                closure_returned.load(Ordering::SeqCst)
            });
            gate.set();
        })
    };
    let futures = pool.scope(|s| {
        let futures: Vec<_> = (0..5)
            .map(|_| {
                s.submit(|| {
                    let opened = gate.wait_timeout(PATIENCE);
                    finished.fetch_add(1, Ordering::SeqCst);
                    opened
                })
                .unwrap()
            })
            .collect();
        closure_returned.store(true, Ordering::SeqCst);
        futures
    });
    assert_eq!(finished.load(Ordering::SeqCst), 5);
    for future in futures {
        assert!(
            future.done(),
            "a scoped future was not done when the scope returned"
        );
        assert_eq!(future.result(), Ok(true));
    }
    opener.join().unwrap();
}

#[test]
fn scope_runs_at_most_max_workers_tasks_at_once() {
    let pool = named_pool(2, "scoped");
    let running = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let names = Mutex::new(BTreeSet::new());
    pool.scope(|s| {
        for _ in 0..12 {
            let _ = s
                .submit(|| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    names
                        .lock()
                        .unwrap()
                        .insert(thread::current().name().map(str::to_owned));
                    for _ in 0..50 {
                        thread::yield_now();
                    }
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .unwrap();
        }
    });
    let most = most.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "{most} scoped tasks ran at once");
    let names = names.into_inner().unwrap();
    let allowed: BTreeSet<_> = (0..2).map(|i| Some(format!("scoped_scope_{i}"))).collect();
    assert!(names.is_subset(&allowed), "scoped threads named {names:?}");
}

/// max_workers scoped tasks that need each other all get a thread.
#[test]
fn scope_runs_max_workers_tasks_together_when_they_need_each_other() {
    for round in 0..3000 {
        let pool = pool(2);
        let barrier = Barrier::new(2).unwrap();
        let met = pool.scope(|s| {
            let futures: Vec<_> = (0..2)
                .map(|_| {
                    s.submit(|| barrier.wait_timeout(Duration::from_secs(10)).is_ok())
                        .unwrap()
                })
                .collect();
            futures.into_iter().map(|f| f.result()).collect::<Vec<_>>()
        });
        assert_eq!(
            met,
            [Ok(true), Ok(true)],
            "round {round}: two scoped tasks on a pool of two never met"
        );
    }
}

#[test]
fn a_panicking_scoped_task_lands_in_its_future() {
    let pool = pool(2);
    let (failed, fine) = pool.scope(|s| {
        let failed = s.submit(|| -> u32 { panic!("scoped boom") }).unwrap();
        let fine = s.submit(|| 5).unwrap();
        (failed, fine)
    });
    assert_eq!(
        failed.result(),
        Err(TaskError::Panicked("scoped boom".into()))
    );
    assert_eq!(fine.result(), Ok(5));
}

#[test]
fn scope_submit_on_a_shut_down_executor_is_refused() {
    let pool = pool(2);
    pool.shutdown(true, false);
    let refused = pool.scope(|s| s.submit(|| 1).err());
    assert!(matches!(refused, Some(ExecutorError::ShutDown)));

    let broken = broken_pool("initializer boom for scope");
    assert!(matches!(
        outcome(broken.submit(|| ()).unwrap()),
        Err(TaskError::BrokenPool(_))
    ));
    let refused = broken.scope(|s| s.submit(|| 1).err());
    assert!(matches!(refused, Some(ExecutorError::BrokenPool(_))));
}

#[test]
fn scope_debug_names_the_scope() {
    let pool = pool(1);
    let text = pool.scope(|s| format!("{s:?}"));
    assert!(text.contains("Scope"), "{text}");
}

#[test]
fn scoped_tasks_run_on_pythreading_threads() {
    let pool = named_pool(1, "scope-kind");
    let seen = pool.scope(|s| {
        s.submit(|| {
            let me = pythreading_core::current_thread();
            let listed = pythreading_core::enumerate().contains(&me);
            (format!("{me:?}"), me.name(), me.is_daemon(), listed)
        })
        .unwrap()
        .result()
        .unwrap()
    });
    let (repr, name, daemon, listed) = seen;
    assert_eq!(name, "scope-kind_scope_0");
    // A started pythreading thread, not a `_DummyThread` (named `Dummy-N`
    // until renamed), and non-daemon like the pool's own workers.
    assert!(
        repr.starts_with("<Thread(scope-kind_scope_0, started "),
        "{repr}"
    );
    assert!(!daemon);
    assert!(listed, "the scope's thread is in enumerate() while it runs");
}
