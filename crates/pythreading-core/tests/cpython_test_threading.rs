//! CPython's `threading` tests, ported to pythreading-core.
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0), `Lib/test/test_threading.py`, plus the
//! basics of `Lib/test/test_threading_local.py`. CPython is distributed under
//! the Python Software Foundation License Version 2 (PSF-2.0); Copyright (c)
//! 2001-2024 Python Software Foundation; All Rights Reserved. This file is a
//! Rust re-expression of those tests' intent against pythreading-core; no
//! Python code is included.
//!
//! Rust test names are `<python class in snake_case>::<python method>`.
//!
//! ## Ported (Python → Rust)
//!
//! `ThreadTests`
//! - `test_name` → `thread_tests::test_name` (names given, default `Thread-N`,
//!   renaming), and `thread_tests::test_name_empty_gets_default`
//! - `test_various_ops`, `test_various_ops_small_stack`,
//!   `test_various_ops_large_stack` → `thread_tests::test_various_ops`,
//!   `thread_tests::test_various_ops_small_stack`,
//!   `thread_tests::test_various_ops_large_stack`
//! - `test_ident_of_no_threading_threads` →
//!   `thread_tests::test_ident_of_no_threading_threads`
//! - `test_foreign_thread` → `thread_tests::test_foreign_thread`
//! - `test_limbo_cleanup` → `thread_tests::test_limbo_cleanup`
//! - `test_join_nondaemon_on_shutdown` →
//!   `thread_tests::test_join_nondaemon_on_shutdown` (in process, see tweaks)
//! - `test_enumerate_after_join` → `thread_tests::test_enumerate_after_join`
//! - `test_join_from_multiple_threads` →
//!   `thread_tests::test_join_from_multiple_threads`
//! - `test_join_with_timeout` → `thread_tests::test_join_with_timeout`
//! - `test_no_refcycle_through_target` →
//!   `thread_tests::test_no_refcycle_through_target`
//! - `test_repr_daemon` → `thread_tests::test_repr_daemon`
//! - `test_daemon_param` → `thread_tests::test_daemon_param` (plus the
//!   inheritance of the daemon flag from the creating thread)
//! - `test_main_thread` → `thread_tests::test_main_thread`
//! - `test_repr_stopped` → `thread_tests::test_repr_stopped`
//! - `test_leak_without_join` → `thread_tests::test_leak_without_join`
//!
//! `ThreadJoinOnShutdown`
//! - `test_thread_from_thread` → `thread_join_on_shutdown::test_thread_from_thread`
//!   (in process, through `shutdown()`)
//!
//! `ThreadingExceptionTests`
//! - `test_start_thread_again` → `threading_exception_tests::test_start_thread_again`
//! - `test_joining_current_thread` →
//!   `threading_exception_tests::test_joining_current_thread`
//! - `test_joining_inactive_thread` →
//!   `threading_exception_tests::test_joining_inactive_thread`
//! - `test_daemonize_active_thread` →
//!   `threading_exception_tests::test_daemonize_active_thread`
//!
//! `ExceptHookTests`
//! - `test_excepthook` → `except_hook_tests::test_excepthook`
//! - `test_custom_excepthook` → `except_hook_tests::test_custom_excepthook`
//! - `test_custom_excepthook_fail` → `except_hook_tests::test_custom_excepthook_fail`
//! - `test_original_excepthook` → `except_hook_tests::test_original_excepthook`
//!
//! `AtexitTests`
//! - `test_atexit_output` → `atexit_tests::test_atexit_output` (in process)
//! - `test_atexit_called_once` → `atexit_tests::test_atexit_called_once`
//! - `test_atexit_after_shutdown` → `atexit_tests::test_atexit_after_shutdown`
//!   (adapted: see tweaks)
//!
//! `test_threading_local.py`, `BaseLocalTest`
//! - `test_local_refs` → `threading_local_tests::test_local_refs`, and
//!   `threading_local_tests::test_local_refs_dropped_when_join_returns`
//! - `test_derived` → `threading_local_tests::test_derived`
//! - `test_threading_local` / `test_threading_local_subclass` (`_test_one_class`)
//!   → `threading_local_tests::test_threading_local`
//! - `test_cycle_collection` → `threading_local_tests::test_cycle_collection`
//!   (adapted: no GC; dropping the `Local` drops every thread's value)
//! - not in CPython, Rust-specific: `threading_local_tests::test_nested_with_is_an_error`,
//!   `threading_local_tests::test_foreign_thread_value_dropped_at_exit`
//!
//! ## Left out, and why
//!
//! - `ThreadTests.test_args_argument`, `test_boolean_target`: Rust closures
//!   capture their arguments; there is no `args`/`kwargs` and no truthiness.
//! - `ThreadTests.test_lock_no_args`, `test_lock_no_subclass`,
//!   `test_lock_or_none`, `test_BoundedSemaphore_limit`,
//!   `ThreadingExceptionTests.test_releasing_unacquired_lock`, `TimerTests`,
//!   `LockTests`, `PyRLockTests`, `CRLockTests`, `EventTests`,
//!   `ConditionAsRLockTests`, `ConditionTests`, `SemaphoreTests`,
//!   `BoundedSemaphoreTests`, `BarrierTests`: they belong to pythreading-sync.
//! - `ThreadTests.test_PyThreadState_SetAsyncExc`: CPython C API (async
//!   exceptions); Rust has none.
//! - `ThreadTests.test_finalize_running_thread`, `test_finalize_with_trace`,
//!   `test_main_thread_during_shutdown`, `test_finalization_shutdown`,
//!   `test_locals_at_exit`, `test_import_from_another_thread`,
//!   `test_start_new_thread_at_finalization`: interpreter finalization,
//!   module import, GC and `__del__` ordering; nothing of it exists in Rust.
//! - `ThreadTests.test_dummy_thread_after_fork`, `test_is_alive_after_fork`,
//!   `test_main_thread_after_fork`, `test_main_thread_after_fork_from_nonmain_thread`,
//!   `test_main_thread_after_fork_from_foreign_thread`,
//!   `test_main_thread_after_fork_from_dummy_thread`,
//!   `ThreadJoinOnShutdown.test_2_join_in_forked_process`,
//!   `test_3_join_in_forked_from_thread`, `test_reinit_tls_after_fork`,
//!   `test_clear_threads_states_after_fork`: `fork()`, which safe Rust does
//!   not offer (and which is unsound in a multi-threaded Rust process).
//! - `ThreadTests.test_old_threading_api`: the deprecated camelCase aliases
//!   do not exist here.
//! - `ThreadTests.test_frame_tstate_tracing`, `test_gettrace`,
//!   `test_gettrace_all_threads`, `test_getprofile`,
//!   `test_getprofile_all_threads`: `sys.settrace` / `sys.setprofile`.
//! - `ThreadJoinOnShutdown.test_1_join_on_shutdown`, `test_4_daemon_threads`:
//!   they need the real main thread and a real process exit, so a child
//!   process; process-level shutdown is left to the crate's
//!   process-level test, `tests/process_shutdown.rs` (`harness = false`,
//!   child processes). The in-process half of the semantics (what `shutdown()`
//!   joins and what it does not) is ported here.
//! - `SubinterpThreadingTests`: subinterpreters.
//! - `ThreadingExceptionTests.test_recursion_limit`: a stack overflow aborts a
//!   Rust process; there is no `RecursionError` to catch.
//! - `ThreadingExceptionTests.test_print_exception`,
//!   `test_print_exception_stderr_is_none_1`, `_2`,
//!   `test_print_exception_gh_102056`: they read a child's stderr (and set
//!   `sys.stderr = None`); the text of the default report is checked through
//!   `ExceptHookArgs`'s `Display` in `except_hook_tests::test_excepthook`.
//! - `ThreadingExceptionTests.test_bare_raise_in_brand_new_thread`,
//!   `test_multithread_modify_file_noerror`: Python-only (`raise` without an
//!   active exception, `traceback`).
//! - `ExceptHookTests.test_excepthook_thread_None`: `ExceptHookArgs` is
//!   `#[non_exhaustive]` and cannot be built outside the crate.
//! - `ExceptHookTests.test_system_exit`: no `SystemExit` in Rust
//!   (`std::process::exit` ends the whole process).
//! - `MiscTestCase`: `__all__`. `InterruptMainTests`: signals and
//!   `_thread.interrupt_main`.
//! - `test_threading_local.py`: `test_derived_cycle_dealloc` (GC),
//!   `test_arguments`, `test_dict_attribute`, `test_dict_attribute_subclass`
//!   (Python object model), `test_threading_local_clear_race` (`_testcapi`),
//!   the doctests of `_threading_local`.
//!
//! ## Tweaks
//!
//! - Timeouts are `Duration`s; every wait a bug could turn into a hang is
//!   bounded (`join_timeout(30 s)`, `recv_timeout`, polling with a deadline).
//!   Threads that must still be running wait on a channel the test releases,
//!   never on a short sleep.
//! - Python's `RuntimeError`s are `ThreadError` values (`AlreadyStarted`,
//!   `NotStarted`, `JoinSelf`, `DaemonAfterStart`); their `Display` texts are
//!   checked against Python's messages.
//! - `repr(thread)` is `format!("{:?}", thread)`, which reads like Python's
//!   repr (`<Thread(name, started daemon 3)>`).
//! - Exceptions in a target are panics; `weakref` is `std::sync::Weak`; a
//!   `threading.local` attribute is the value of a `Local<T>`, reached with
//!   `Local::with` / `try_with` (a missing attribute is the default value).
//! - libtest runs every test on a thread it spawned, which pythreading sees
//!   as a daemon `Dummy-N` thread, not as the main thread: so threads created
//!   directly by a test are daemons unless told otherwise, and checks that
//!   Python makes "on the main thread" are made from the test thread or from
//!   an explicitly non-daemon thread instead.
//! - The thread registry, the excepthook and the atexit hooks are process
//!   global while the tests of this file run in parallel: tests assert only
//!   about the threads they created (membership, never exact counts); every
//!   test that sets a hook or lets a target panic holds `HOOK_LOCK` and
//!   restores the default hook; every test that calls `shutdown()` holds
//!   `SHUTDOWN_LOCK` (`shutdown()` joins the non-daemon threads of all
//!   tests, which all finish on their own).
//! - The `BoundedSemaphore`/`RLock` throttling inside `test_various_ops` is
//!   pythreading-sync's business and is left out.
//! - `ThreadJoinOnShutdown` / `AtexitTests` checks that CPython makes in a
//!   child process are made in process with `shutdown()` / `ShutdownGuard`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use pythreading_core::{
    ExceptHookArgs, Local, LocalBorrowError, ShutdownGuard, Thread, ThreadError, ThreadRef,
    active_count, current_thread, enumerate, get_ident, get_native_id, main_thread,
    register_atexit, reset_excepthook, set_excepthook, shutdown,
};

/// How long a bounded wait waits before the test calls it a hang.
const LONG: Duration = Duration::from_secs(30);

static HOOK_LOCK: Mutex<()> = Mutex::new(());
static SHUTDOWN_LOCK: Mutex<()> = Mutex::new(());

/// Held by every test that sets the excepthook or lets a target panic;
/// restores the default hook when dropped (also when the test fails).
struct HookGuard {
    _lock: MutexGuard<'static, ()>,
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        reset_excepthook();
    }
}

fn hook_lock() -> HookGuard {
    let lock = HOOK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    reset_excepthook();
    HookGuard { _lock: lock }
}

fn shutdown_lock() -> MutexGuard<'static, ()> {
    SHUTDOWN_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets a hook that records the reports about `thread` only (reports about
/// other threads go to the default hook).
fn record_reports_of(thread: ThreadRef) -> Arc<Mutex<Vec<ExceptHookArgs>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    set_excepthook(move |args| {
        if args.thread.as_ref() == Some(&thread) {
            log.lock().unwrap().push(args.clone());
        } else {
            pythreading_core::default_excepthook(args);
        }
    });
    seen
}

fn join_bounded<T: Send + 'static>(thread: &Thread<T>) {
    assert!(
        thread.join_timeout(LONG).expect("join"),
        "{thread:?} did not finish within {LONG:?}"
    );
}

/// Polls `condition` until it holds, failing the test after `LONG`.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `shutdown()` on a helper thread, failing the test if it does not return.
fn shutdown_bounded() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        shutdown();
        let _ = done_tx.send(());
    });
    done_rx
        .recv_timeout(LONG * 2)
        .expect("shutdown() did not return");
}

/// Counts drops.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

mod thread_tests {
    use super::*;

    #[test]
    fn test_name() {
        let thread = Thread::builder().name("myname1").build(|| ());
        assert_eq!(thread.name(), "myname1");
        assert_eq!(thread.handle().name(), "myname1");

        // Default names are Thread-N, N counting up across the process
        // (other tests create threads meanwhile: only the order is known).
        let number = |t: &Thread| -> u64 {
            let name = t.name();
            let n = name
                .strip_prefix("Thread-")
                .unwrap_or_else(|| panic!("default name {name:?} is not Thread-N"));
            n.parse()
                .unwrap_or_else(|_| panic!("default name {name:?} is not Thread-N"))
        };
        let first = Thread::new(|| ());
        let second = Thread::builder().daemon(true).build(|| ());
        assert!(number(&second) > number(&first));
        assert!(number(&first) >= 1);

        // Renaming, before start and while running, seen from inside.
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let t = Thread::new(move || {
            let before = current_thread().name();
            go_rx.recv().expect("released by the test");
            (before, current_thread().name())
        });
        t.set_name("renamed-before-start");
        assert_eq!(t.name(), "renamed-before-start");
        t.start().unwrap();
        t.handle().set_name("renamed-while-running");
        assert_eq!(t.name(), "renamed-while-running");
        go_tx.send(()).unwrap();
        join_bounded(&t);
        let (before, after) = t.clone().into_result().unwrap();
        assert!(
            before == "renamed-before-start" || before == "renamed-while-running",
            "{before}"
        );
        assert_eq!(after, "renamed-while-running");
        assert_eq!(t.name(), "renamed-while-running");
    }

    /// CPython: `Thread(name="")` is named like `Thread()` (`Thread-N`),
    /// because `__init__` tests `if name:`; so is pythreading's.
    #[test]
    fn test_name_empty_gets_default() {
        let thread = Thread::builder().name("").build(|| ());
        let name = thread.name();
        assert!(
            name.strip_prefix("Thread-")
                .is_some_and(|n| n.parse::<u64>().is_ok()),
            "expected Thread-N, got {name:?}"
        );
    }

    fn various_ops(stack_size: Option<usize>) {
        const NUMTASKS: usize = 10;
        let ran = Arc::new(Mutex::new(0_usize));
        let mut threads = Vec::new();
        let mut releases = Vec::new();
        for i in 0..NUMTASKS {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let ran = Arc::clone(&ran);
            let mut builder = Thread::builder()
                .name(format!("<thread {i}>"))
                .daemon(false);
            if let Some(size) = stack_size {
                builder = builder.stack_size(size);
            }
            let t = builder.build(move || {
                // Stay alive until every native id was read: ids of live
                // threads are distinct.
                let _ = release_rx.recv();
                *ran.lock().unwrap() += 1;
                let me = current_thread();
                let listed = enumerate().contains(&me);
                (get_ident(), get_native_id(), me, listed)
            });
            assert_eq!(t.ident(), None);
            assert_eq!(t.native_id(), None);
            assert_eq!(format!("{t:?}"), format!("<Thread(<thread {i}>, initial)>"));
            t.start().unwrap();
            threads.push(t);
            releases.push(release_tx);
        }

        let mut native_ids: HashSet<u64> = threads
            .iter()
            .map(|t| t.native_id().expect("a started thread has a native id"))
            .collect();
        native_ids.insert(get_native_id());
        assert_eq!(native_ids.len(), NUMTASKS + 1, "{native_ids:?}");

        let idents: HashSet<u64> = threads
            .iter()
            .map(|t| t.ident().expect("a started thread has an ident"))
            .collect();
        assert_eq!(idents.len(), NUMTASKS);
        assert!(!idents.contains(&get_ident()));
        for (i, t) in threads.iter().enumerate() {
            assert!(t.is_alive());
            assert_eq!(
                format!("{t:?}"),
                format!("<Thread(<thread {i}>, started {})>", t.ident().unwrap())
            );
        }
        let alive = enumerate();
        assert!(threads.iter().all(|t| alive.contains(&t.handle())));
        assert!(active_count() > NUMTASKS, "our threads and the main thread");

        drop(releases);
        for (i, t) in threads.into_iter().enumerate() {
            join_bounded(&t);
            assert!(!t.is_alive());
            let ident = t.ident().expect("the ident outlives the thread");
            assert_ne!(ident, 0);
            assert_eq!(
                format!("{t:?}"),
                format!("<Thread(<thread {i}>, stopped {ident})>")
            );
            let native_id = t.native_id();
            let handle = t.handle();
            let (seen_ident, seen_native_id, me, listed) = t.into_result().unwrap();
            assert_eq!(seen_ident, ident);
            assert_eq!(native_id, Some(seen_native_id));
            assert_eq!(me, handle, "current_thread() inside is the thread");
            assert!(listed, "enumerate() inside lists the thread itself");
        }
        assert_eq!(*ran.lock().unwrap(), NUMTASKS);
    }

    #[test]
    fn test_various_ops() {
        various_ops(None);
    }

    #[test]
    fn test_various_ops_small_stack() {
        various_ops(Some(256 * 1024));
    }

    #[test]
    fn test_various_ops_large_stack() {
        various_ops(Some(1024 * 1024));
    }

    #[test]
    fn test_ident_of_no_threading_threads() {
        // The ident must work for the test's own (foreign) thread too.
        let here = current_thread();
        assert_eq!(here.ident(), Some(get_ident()));

        let (ident, seen) = std::thread::spawn(|| (get_ident(), current_thread().ident()))
            .join()
            .unwrap();
        assert_eq!(seen, Some(ident));
        assert_ne!(ident, get_ident());
    }

    #[test]
    fn test_foreign_thread() {
        let foreign = std::thread::spawn(|| {
            let dummy = current_thread();
            assert_eq!(dummy.ident(), Some(get_ident()));
            assert!(enumerate().contains(&dummy));
            assert_eq!(current_thread(), dummy, "the same dummy each time");
            assert!(dummy.is_alive(), "a dummy thread is alive (gh-29376)");
            assert!(dummy.is_daemon());
            assert!(dummy.name().starts_with("Dummy-"), "{}", dummy.name());
            let repr = format!("{dummy:?}");
            assert!(repr.contains("_DummyThread"), "{repr}");
            assert!(matches!(dummy.join(), Err(ThreadError::JoinSelf)));
            dummy
        });
        let dummy = foreign.join().unwrap();
        // After the thread died its dummy leaves the registry.
        wait_until("the dummy thread leaves enumerate()", || {
            !enumerate().contains(&dummy)
        });
        assert!(!dummy.is_alive());
        // CPython 3.13 raises RuntimeError("cannot join a dummy thread")
        // (gh-106236); pythreading documents that joining a thread started
        // outside pythreading waits until it exits.
        assert!(dummy.join_timeout(LONG).unwrap());
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn test_limbo_cleanup() {
        // A start that fails must leave nothing behind. CPython fakes the
        // failure; here the OS refuses a 1 PiB stack (more than the address
        // space) for real.
        let t = Thread::builder().stack_size(1 << 50).build(|| ());
        let err = t.start().expect_err("a 1 PiB stack cannot be allocated");
        assert!(matches!(err, ThreadError::Spawn(_)), "{err:?}");
        assert!(
            err.to_string().starts_with("can't start new thread"),
            "{err}"
        );
        assert!(!enumerate().contains(&t.handle()));
        assert!(!t.is_alive());
        assert_eq!(t.ident(), None);
        assert!(matches!(t.join(), Err(ThreadError::NotStarted)));
        assert!(format!("{t:?}").contains(", initial"), "{t:?}");
        // The thread stays unstarted, so start() may be tried again (and
        // fails again the same way, not with AlreadyStarted).
        assert!(matches!(t.start(), Err(ThreadError::Spawn(_))));
        assert!(!enumerate().contains(&t.handle()));
    }

    #[test]
    fn test_join_nondaemon_on_shutdown() {
        // CPython: `raise SystemExit` in the main thread must still run
        // threading._shutdown, which waits for the non-daemon thread. Here:
        // a panic unwinding through `ShutdownGuard` (Python's exit) must
        // still wait for the non-daemon thread.
        let _lock = shutdown_lock();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let woke_up = Arc::new(AtomicBool::new(false));
        let woke = Arc::clone(&woke_up);
        let main_like = std::thread::spawn(move || {
            let _main = ShutdownGuard::new();
            register_atexit(move || {
                let _ = started_tx.send(());
            });
            let child = Thread::builder().daemon(false).build(move || {
                // Until the test lets it go, long after the panic below.
                let _ = gate_rx.recv();
                woke.store(true, Ordering::SeqCst);
            });
            child.start().unwrap();
            panic!("SystemExit-like unwinding past the ShutdownGuard");
        });
        started_rx
            .recv_timeout(LONG)
            .expect("the guard's shutdown() ran the atexit hooks");
        // The child is blocked on the gate, so the guard must still be waiting.
        assert!(
            !main_like.is_finished(),
            "the guard did not wait for the child"
        );
        assert!(!woke_up.load(Ordering::SeqCst));
        gate_tx.send(()).unwrap();
        wait_until("the unwinding thread ends", || main_like.is_finished());
        assert!(main_like.join().is_err(), "it panicked");
        assert!(woke_up.load(Ordering::SeqCst), "the child ran to its end");
    }

    #[test]
    fn test_enumerate_after_join() {
        for i in 1..100 {
            let t = Thread::new(|| ());
            t.start().unwrap();
            t.join().unwrap();
            assert!(!t.is_alive());
            let listed = enumerate();
            assert!(
                !listed.contains(&t.handle()),
                "#1703448 triggered after {i} trials: {listed:?}"
            );
        }
    }

    #[test]
    fn test_join_from_multiple_threads() {
        for n in 2..20 {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let worker = Thread::new(move || {
                let _ = release_rx.recv();
            });
            let joiners: Vec<Thread<Result<bool, ThreadError>>> = (0..n)
                .map(|_| {
                    let worker = worker.clone();
                    Thread::new(move || worker.join_timeout(LONG))
                })
                .collect();
            worker.start().unwrap();
            for j in &joiners {
                j.start().unwrap();
            }
            release_tx.send(()).unwrap();
            join_bounded(&worker);
            for j in joiners {
                join_bounded(&j);
                assert!(matches!(j.into_result(), Ok(Ok(true))));
            }
        }
    }

    #[test]
    fn test_join_with_timeout() {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let thread = Thread::new(move || {
            let _ = release_rx.recv();
        });
        thread.start().unwrap();
        assert!(!thread.join_timeout(Duration::from_millis(10)).unwrap());
        assert!(thread.is_alive());
        release_tx.send(()).unwrap();
        join_bounded(&thread);
        assert!(!thread.is_alive());
        assert!(thread.join_timeout(Duration::ZERO).unwrap(), "finished");
    }

    #[test]
    fn test_no_refcycle_through_target() {
        // The target (and what it captured) is dropped once it has run,
        // even while the Thread handle lives on.
        let _hook = hook_lock();
        for should_panic in [false, true] {
            let cyclic_object = Arc::new(String::from("captured by the target"));
            let weak_cyclic_object: Weak<String> = Arc::downgrade(&cyclic_object);
            let thread = Thread::builder().name("refcycle").build(move || {
                let _other_ref = &cyclic_object;
                if should_panic {
                    panic!("SystemExit-like");
                }
            });
            let reports = record_reports_of(thread.handle());
            thread.start().unwrap();
            join_bounded(&thread);
            assert!(
                weak_cyclic_object.upgrade().is_none(),
                "{} references still around (should_panic={should_panic})",
                weak_cyclic_object.strong_count()
            );
            assert_eq!(reports.lock().unwrap().len(), usize::from(should_panic));
            drop(thread);
        }

        // The result is kept until taken, then it is the caller's.
        let value = Arc::new(7_u8);
        let weak_value = Arc::downgrade(&value);
        let thread = Thread::new(move || value);
        thread.start().unwrap();
        join_bounded(&thread);
        assert!(weak_value.upgrade().is_some(), "kept for into_result()");
        let taken = thread.into_result().unwrap();
        drop(taken);
        assert!(weak_value.upgrade().is_none());
    }

    #[test]
    fn test_repr_daemon() {
        let t = Thread::builder().name("repr").daemon(false).build(|| ());
        assert!(!format!("{t:?}").contains("daemon"), "{t:?}");
        t.set_daemon(true).unwrap();
        assert!(format!("{t:?}").contains("daemon"), "{t:?}");
        assert_eq!(format!("{t:?}"), "<Thread(repr, initial daemon)>");
    }

    /// What a thread created inside `parent` gets: (default, daemon=false, daemon=true).
    fn daemon_flags_created_in(parent_daemon: bool) -> (bool, bool, bool) {
        let parent = Thread::builder().daemon(parent_daemon).build(|| {
            (
                Thread::new(|| ()).is_daemon(),
                Thread::builder().daemon(false).build(|| ()).is_daemon(),
                Thread::builder().daemon(true).build(|| ()).is_daemon(),
            )
        });
        parent.start().unwrap();
        join_bounded(&parent);
        parent.into_result().unwrap()
    }

    #[test]
    fn test_daemon_param() {
        // CPython creates these on the (non-daemon) main thread.
        assert_eq!(daemon_flags_created_in(false), (false, false, true));
        // The default is the creating thread's flag.
        assert_eq!(daemon_flags_created_in(true), (true, false, true));
        // A foreign thread (the test's own) is a daemon dummy, as in CPython.
        assert!(current_thread().is_daemon());
        assert!(Thread::new(|| ()).is_daemon());
        assert!(!Thread::builder().daemon(false).build(|| ()).is_daemon());
    }

    #[test]
    fn test_main_thread() {
        let main = main_thread();
        assert_eq!(main.name(), "MainThread");
        assert!(main.ident().is_some());
        assert!(!main.is_daemon());
        assert!(main.is_alive());
        assert!(enumerate().contains(&main));
        assert_eq!(main_thread(), main);
        let repr = format!("{main:?}");
        assert!(
            repr.starts_with("<_MainThread(MainThread, started "),
            "{repr}"
        );
        #[cfg(target_os = "linux")]
        assert_eq!(main.native_id(), Some(u64::from(std::process::id())));
        // CPython runs this test on the main thread; libtest does not.
        assert_ne!(main.ident(), current_thread().ident());
        assert_ne!(main.ident(), Some(get_ident()));
        // The main thread runs until shutdown(): joining it waits.
        assert!(!main.join_timeout(Duration::from_millis(10)).unwrap());

        let th = Thread::new(|| {
            (
                main_thread(),
                main_thread().ident() != current_thread().ident(),
            )
        });
        th.start().unwrap();
        join_bounded(&th);
        let (seen_main, differs) = th.into_result().unwrap();
        assert_eq!(seen_main, main);
        assert!(differs);
    }

    #[test]
    fn test_repr_stopped() {
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (finish_tx, finish_rx) = mpsc::channel::<()>();
        let t = Thread::new(move || {
            started_tx.send(()).unwrap();
            let _ = finish_rx.recv();
        });
        t.start().unwrap();
        started_rx.recv_timeout(LONG).expect("the thread started");
        assert!(format!("{t:?}").contains("started"), "{t:?}");
        finish_tx.send(()).unwrap();
        // "stopped" shows up on its own, without join().
        wait_until("the repr says stopped", || {
            format!("{t:?}").contains("stopped")
        });
        assert!(!t.is_alive());
        join_bounded(&t);
    }

    #[test]
    fn test_leak_without_join() {
        // A started thread whose handles are all dropped, never joined,
        // still ends, leaves the registry and frees its result.
        let drops = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&drops);
        let thread = Thread::new(move || DropCounter(counter));
        thread.start().unwrap();
        let handle = thread.handle();
        drop(thread);
        assert!(handle.join_timeout(LONG).unwrap());
        assert!(!enumerate().contains(&handle));
        wait_until("the unjoined thread's result is dropped", || {
            drops.load(Ordering::SeqCst) == 1
        });
    }
}

mod thread_join_on_shutdown {
    use super::*;

    #[test]
    fn test_thread_from_thread() {
        // shutdown() also joins threads started while it joins.
        let _lock = shutdown_lock();
        let ok = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ok);
        let t2_daemon = Arc::new(Mutex::new(None));
        let t2_flag = Arc::clone(&t2_daemon);
        let thread1 = Thread::builder().daemon(false).build(move || {
            std::thread::sleep(Duration::from_millis(50));
            // Created by a non-daemon thread: non-daemon by default.
            let thread2 = Thread::new(move || {
                std::thread::sleep(Duration::from_millis(50));
                flag.store(true, Ordering::SeqCst);
            });
            *t2_flag.lock().unwrap() = Some(thread2.is_daemon());
            thread2.start().unwrap();
        });
        thread1.start().unwrap();
        // No join: shutdown() waits for the non-daemon threads.
        shutdown_bounded();
        assert!(!thread1.is_alive());
        assert_eq!(*t2_daemon.lock().unwrap(), Some(false));
        assert!(ok.load(Ordering::SeqCst), "thread2 ran to its end");
    }
}

mod threading_exception_tests {
    use super::*;

    #[test]
    fn test_start_thread_again() {
        let thread = Thread::new(|| ());
        thread.start().unwrap();
        let err = thread.start().expect_err("second start");
        assert!(matches!(err, ThreadError::AlreadyStarted));
        assert_eq!(err.to_string(), "threads can only be started once");
        join_bounded(&thread);
        assert!(matches!(thread.start(), Err(ThreadError::AlreadyStarted)));
    }

    #[test]
    fn test_joining_current_thread() {
        let current = current_thread();
        let err = current.join().expect_err("joining oneself");
        assert!(matches!(err, ThreadError::JoinSelf));
        assert_eq!(err.to_string(), "cannot join current thread");
        assert!(matches!(
            current.join_timeout(Duration::from_secs(1)),
            Err(ThreadError::JoinSelf)
        ));

        // And from a pythreading thread, through every handle on itself.
        let (me_tx, me_rx) = mpsc::channel::<Thread<Vec<String>>>();
        let t: Thread<Vec<String>> = Thread::new(move || {
            let me = me_rx.recv().expect("the test sends our own handle");
            let mut errors = Vec::new();
            let mut record = |r: Result<(), ThreadError>| match r {
                Err(ThreadError::JoinSelf) => errors.push("JoinSelf".to_owned()),
                other => errors.push(format!("{other:?}")),
            };
            record(current_thread().join());
            record(me.join());
            record(me.join_timeout(LONG).map(|_| ()));
            record(me.handle().join());
            record(me.into_result().map(|_| ()));
            errors
        });
        t.start().unwrap();
        me_tx.send(t.clone()).unwrap();
        join_bounded(&t);
        assert_eq!(t.into_result().unwrap(), vec!["JoinSelf"; 5]);
    }

    #[test]
    fn test_joining_inactive_thread() {
        let thread = Thread::new(|| 1);
        let err = thread.join().expect_err("not started");
        assert!(matches!(err, ThreadError::NotStarted));
        assert_eq!(err.to_string(), "cannot join thread before it is started");
        assert!(matches!(
            thread.join_timeout(Duration::from_secs(1)),
            Err(ThreadError::NotStarted)
        ));
        assert!(matches!(
            thread.handle().join(),
            Err(ThreadError::NotStarted)
        ));
        assert!(matches!(
            thread.clone().into_result(),
            Err(ThreadError::NotStarted)
        ));
        // Still startable afterwards.
        thread.start().unwrap();
        assert_eq!(thread.into_result().unwrap(), 1);
    }

    #[test]
    fn test_daemonize_active_thread() {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let thread = Thread::builder().daemon(false).build(move || {
            let _ = release_rx.recv();
        });
        thread.start().unwrap();
        let err = thread.set_daemon(true).expect_err("already started");
        assert!(matches!(err, ThreadError::DaemonAfterStart));
        assert_eq!(err.to_string(), "cannot set daemon status of active thread");
        assert!(!thread.is_daemon(), "the flag did not change");
        release_tx.send(()).unwrap();
        join_bounded(&thread);
        assert!(matches!(
            thread.set_daemon(true),
            Err(ThreadError::DaemonAfterStart)
        ));
        assert!(!thread.is_daemon());
    }
}

mod except_hook_tests {
    use super::*;

    fn run_fail(name: &str) -> Thread {
        Thread::builder().name(name).build(|| panic!("run failed"))
    }

    /// As `run_fail`, for a thread whose report reaches the default hook:
    /// `resume_unwind` skips the panic hook, so no backtrace is captured
    /// and the report on stderr is a few lines, even under RUST_BACKTRACE.
    fn run_fail_quietly(name: &str) -> Thread {
        Thread::builder()
            .name(name)
            .build(|| std::panic::resume_unwind(Box::new("run failed")))
    }

    #[test]
    fn test_excepthook() {
        let _hook = hook_lock();
        let thread = run_fail("excepthook thread");
        let reports = record_reports_of(thread.handle());
        thread.start().unwrap();
        join_bounded(&thread);
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "exactly one report");
        // The text default_excepthook writes to stderr.
        let text = reports[0].to_string();
        assert!(
            text.starts_with(&format!("Exception in thread {}:\n", thread.name())),
            "{text}"
        );
        assert!(text.contains("run failed"), "{text}");
        let location = reports[0]
            .location
            .as_deref()
            .expect("the panic's location");
        assert!(location.contains("cpython_test_threading.rs"), "{location}");
        assert!(text.contains(location), "{text}");
    }

    #[test]
    fn test_custom_excepthook() {
        let _hook = hook_lock();
        let thread = run_fail("custom hook");
        let target = thread.handle();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        set_excepthook(move |args| {
            if args.thread.as_ref() == Some(&target) {
                log.lock().unwrap().push((args.clone(), current_thread()));
            }
        });
        thread.start().unwrap();
        join_bounded(&thread);
        // The hook has run by the time join() returns, on the thread itself.
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (args, ran_on) = &seen[0];
        assert_eq!(args.thread_name, "custom hook");
        assert_eq!(args.message, "run failed");
        assert_eq!(args.thread.as_ref(), Some(&thread.handle()));
        assert_eq!(ran_on, &thread.handle());
        drop(seen);
        let err = thread.into_result().expect_err("the target panicked");
        assert!(
            matches!(&err, ThreadError::Panicked(m) if m == "run failed"),
            "{err:?}"
        );
    }

    #[test]
    fn test_custom_excepthook_fail() {
        // A hook that panics itself is reported, and nothing else breaks.
        let _hook = hook_lock();
        let calls = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&calls);
        set_excepthook(move |args| {
            if args.thread_name.starts_with("failing hook") {
                count.fetch_add(1, Ordering::SeqCst);
                panic!("threading_hook failed");
            }
        });
        for round in 1..=2 {
            // The failing hook's fallback, the default hook, prints it.
            let thread = run_fail_quietly(&format!("failing hook {round}"));
            thread.start().unwrap();
            join_bounded(&thread);
            assert!(thread.join().is_ok());
            assert_eq!(calls.load(Ordering::SeqCst), round, "the hook stays set");
            assert!(matches!(
                thread.into_result(),
                Err(ThreadError::Panicked(m)) if m == "run failed"
            ));
        }
        let healthy = Thread::new(|| 5);
        healthy.start().unwrap();
        join_bounded(&healthy);
        assert_eq!(healthy.into_result().unwrap(), 5);
    }

    #[test]
    fn test_original_excepthook() {
        let _hook = hook_lock();
        let calls = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&calls);
        set_excepthook(move |args| {
            if args.thread_name == "excepthook thread" {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        let custom = run_fail("excepthook thread");
        custom.start().unwrap();
        join_bounded(&custom);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Back to the default hook (which reports on stderr): the custom
        // one is not called any more.
        reset_excepthook();
        let recovered = run_fail_quietly("excepthook thread");
        recovered.start().unwrap();
        join_bounded(&recovered);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(
            recovered.into_result(),
            Err(ThreadError::Panicked(_))
        ));
    }
}

mod atexit_tests {
    use super::*;

    #[test]
    fn test_atexit_output() {
        // The hooks run before the threads are joined (the worker waits for
        // the hook), and daemon threads are not waited for.
        let _lock = shutdown_lock();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let worker = Thread::builder()
            .daemon(false)
            .build(move || release_rx.recv().is_ok());
        worker.start().unwrap();
        let (daemon_tx, daemon_rx) = mpsc::channel::<()>();
        let daemon = Thread::builder().daemon(true).build(move || {
            let _ = daemon_rx.recv();
        });
        daemon.start().unwrap();
        register_atexit(move || {
            let _ = release_tx.send(());
        });

        shutdown_bounded();
        assert!(
            !worker.is_alive(),
            "shutdown() joined the non-daemon thread"
        );
        assert!(daemon.is_alive(), "shutdown() did not wait for the daemon");
        daemon_tx.send(()).unwrap();
        join_bounded(&daemon);
        assert!(worker.into_result().unwrap(), "released by the atexit hook");
    }

    #[test]
    fn test_atexit_called_once() {
        let _lock = shutdown_lock();
        let order = Arc::new(Mutex::new(Vec::new()));
        for name in ["first registered", "second registered"] {
            let order = Arc::clone(&order);
            register_atexit(move || order.lock().unwrap().push(name));
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "not called before shutdown"
        );
        shutdown_bounded();
        // Called once, in reverse order of registration (as CPython).
        assert_eq!(
            *order.lock().unwrap(),
            ["second registered", "first registered"]
        );
        shutdown_bounded();
        assert_eq!(order.lock().unwrap().len(), 2);
    }

    #[test]
    fn test_atexit_after_shutdown() {
        // CPython raises RuntimeError("can't register atexit after shutdown")
        // for a hook registered by a hook. pythreading documents instead that
        // such a hook runs in the same shutdown() (register_atexit returns
        // nothing that could carry an error).
        let _lock = shutdown_lock();
        let ran = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&ran);
        register_atexit(move || {
            log.lock().unwrap().push("run_last");
            let log = Arc::clone(&log);
            register_atexit(move || log.lock().unwrap().push("func"));
        });
        shutdown_bounded();
        assert_eq!(*ran.lock().unwrap(), ["run_last", "func"]);
    }
}

mod threading_local_tests {
    use super::*;

    fn local_refs(n: usize) {
        let local: Arc<Local<Option<Arc<()>>>> = Arc::new(Local::new());
        let mut weaklist = Vec::new();
        for _ in 0..n {
            let local = Arc::clone(&local);
            let t = Thread::new(move || {
                let weak = Arc::new(());
                let weakref = Arc::downgrade(&weak);
                local.with(|value| *value = Some(weak));
                weakref
            });
            t.start().unwrap();
            join_bounded(&t);
            weaklist.push(t.into_result().unwrap());
        }
        assert_eq!(weaklist.len(), n);
        // Every thread's value goes with its thread (CPython tolerates the
        // last one still alive; here they all go, see the test below for
        // "by the time join() returns").
        wait_until("every exited thread's value is dropped", || {
            weaklist.iter().all(|w| w.upgrade().is_none())
        });
        // Our own value is untouched by all that.
        local.with(|value| *value = None);
        assert!(weaklist.iter().all(|w| w.upgrade().is_none()));
    }

    #[test]
    fn test_local_refs() {
        local_refs(20);
        local_refs(50);
        local_refs(100);
    }

    /// CPython 3.13: `Thread.join()` returns after the thread state (with its
    /// `threading.local` values) has been cleared, so the joined thread's
    /// local value is already gone. pythreading drops a started thread's
    /// `Local` values as its target finishes, before `join()` can return.
    #[test]
    fn test_local_refs_dropped_when_join_returns() {
        let local: Arc<Local<Option<Arc<()>>>> = Arc::new(Local::new());
        for i in 0..100 {
            let local = Arc::clone(&local);
            let t = Thread::new(move || {
                let value = Arc::new(());
                let weak = Arc::downgrade(&value);
                local.with(|slot| *slot = Some(value));
                weak
            });
            t.start().unwrap();
            t.join().unwrap();
            let weak = t.into_result().unwrap();
            assert!(
                weak.upgrade().is_none(),
                "round {i}: the joined thread's Local value is still alive"
            );
        }
    }

    #[test]
    fn test_derived() {
        // A slow per-thread initialiser (a thread switch inside "__init__")
        // must not mix up the threads' values.
        let local = Arc::new(Local::with_init(|| {
            std::thread::yield_now();
            None::<usize>
        }));
        let threads: Vec<Thread<Option<usize>>> = (0..10)
            .map(|i| {
                let local = Arc::clone(&local);
                Thread::new(move || {
                    local.with(|x| *x = Some(i));
                    std::thread::yield_now();
                    local.with(|x| *x)
                })
            })
            .collect();
        for t in &threads {
            t.start().unwrap();
        }
        for (i, t) in threads.into_iter().enumerate() {
            join_bounded(&t);
            assert_eq!(t.into_result().unwrap(), Some(i));
        }
    }

    #[test]
    fn test_threading_local() {
        #[derive(Default)]
        struct Obj {
            x: Option<String>,
            y: Option<String>,
        }
        let obj = Arc::new(Local::<Obj>::new());
        let (e1_tx, e1_rx) = mpsc::channel::<()>();
        let (e2_tx, e2_rx) = mpsc::channel::<()>();

        let obj1 = Arc::clone(&obj);
        let t1 = Thread::new(move || {
            obj1.with(|o| {
                o.x = Some("foo".into());
                o.y = Some("bar".into());
                o.y = None;
            });
            e1_tx.send(()).unwrap();
            let _ = e2_rx.recv();
            obj1.with(|o| (o.x.clone(), o.y.clone()))
        });
        t1.start().unwrap();
        e1_rx.recv_timeout(LONG).expect("t1 set its values");

        let obj2 = Arc::clone(&obj);
        let t2 = Thread::new(move || obj2.with(|o| o.x.clone()));
        t2.start().unwrap();
        join_bounded(&t2);
        assert_eq!(t2.into_result().unwrap(), None, "t2 must not see t1's x");
        assert_eq!(obj.with(|o| o.x.clone()), None, "nor may we");

        e2_tx.send(()).unwrap();
        join_bounded(&t1);
        assert_eq!(t1.into_result().unwrap(), (Some("foo".into()), None));
    }

    #[test]
    fn test_cycle_collection() {
        // No GC here: dropping the Local drops every thread's value,
        // including the value of a thread that is still running.
        let drops = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&drops);
        let local = Arc::new(Local::with_init(move || DropCounter(Arc::clone(&counter))));
        local.with(|_| ());
        let (set_tx, set_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let theirs = Arc::clone(&local);
        let t = Thread::new(move || {
            theirs.with(|_| ());
            drop(theirs);
            set_tx.send(()).unwrap();
            let _ = release_rx.recv();
        });
        t.start().unwrap();
        set_rx
            .recv_timeout(LONG)
            .expect("the thread made its value");
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(local);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "ours and the running thread's"
        );
        release_tx.send(()).unwrap();
        join_bounded(&t);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn test_nested_with_is_an_error() {
        let local = Local::<u32>::new();
        let other = Local::<u32>::new();
        let nested = local.with(|_| local.try_with(|_| ()));
        assert!(matches!(nested, Err(LocalBorrowError { .. })), "{nested:?}");
        assert_eq!(local.with(|_| other.with(|v| *v + 1)), 1);
        assert_eq!(local.try_with(|v| *v), Ok(0), "usable again afterwards");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            local.with(|_| local.with(|_| ()));
        }));
        assert!(panicked.is_err(), "nested with() panics");
        assert_eq!(local.try_with(|v| *v), Ok(0));
    }

    #[test]
    fn test_foreign_thread_value_dropped_at_exit() {
        let drops = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&drops);
        let local = Arc::new(Local::with_init(move || DropCounter(Arc::clone(&counter))));
        let theirs = Arc::clone(&local);
        std::thread::spawn(move || theirs.with(|_| ()))
            .join()
            .unwrap();
        // std's join waits for the thread's thread-local destructors.
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        local.with(|_| ());
        assert_eq!(drops.load(Ordering::SeqCst), 1, "ours is a new, live value");
    }
}
