//! CPython's executor tests that run a child interpreter and check what
//! happens at its exit, ported to pythreading-executor and
//! `pythreading_core::shutdown` (Python's exit sequence for threads).
//!
//! # Provenance
//!
//! Ported from CPython 3.13 (3.13.0),
//! `Lib/test/test_concurrent_futures/test_shutdown.py` (`ThreadPoolShutdownTest`
//! and what it inherits from `ExecutorShutdownTest`), with
//! `Lib/concurrent/futures/thread.py` (`_python_exit`) and
//! `Lib/threading.py` (`_shutdown`) of the same version as the reference
//! for behaviour. CPython is distributed under the Python Software
//! Foundation License Version 2 (PSF-2.0); Copyright (c) 2001-2024 Python
//! Software Foundation; All Rights Reserved. This file is a Rust
//! re-expression of those tests' intent against `pythreading_executor`; no
//! Python code is included.
//!
//! Ported, in the module `thread_pool_shutdown_test`, same names (the other
//! 10 ported methods of the class are in `cpython_test_shutdown.rs`):
//! `test_interpreter_shutdown`, `test_submit_after_interpreter_shutdown`,
//! `test_hang_gh83386`, `test_cancel_futures_wait_false`.
//!
//! ## How the child interpreter is played
//!
//! CPython runs `python -c SCRIPT` and checks its stdout and stderr. Here
//! each test runs this very test binary again, with only itself selected
//! (`--exact`) and an environment variable telling the test it is the
//! child. The child does what the script does, then calls
//! `pythreading_core::shutdown()`, which is what the interpreter does at
//! exit: the atexit hooks (the executors' `_python_exit`), then joining
//! every non-daemon thread. `pythreading_core::shutdown()` shuts down every
//! executor of the process; it is only ever called in such a child, which
//! runs that one test and nothing else, never in the process running the
//! other tests. The parent waits at most `LONG` for the child (then kills
//! it and fails: a hang at exit), and checks its stdout lines and stderr as
//! CPython does. Starting the child and reading its output is `run_child`
//! of `pythreading_test_support::child_process`.
//!
//! ## Tweaks
//!
//! - `sleep_and_print(1.0, "apple")` sleeps 0.2 s (0.1 s where CPython
//!   sleeps 0.1 s) and writes `apple` straight to stdout.
//! - CPython checks `out.strip() == b"apple"`; the child's stdout also holds
//!   the test harness's lines, so the parent checks that exactly one line is
//!   `apple` (none or one for `test_cancel_futures_wait_false`,
//!   gh-116682).
//! - `test_submit_after_interpreter_shutdown`: the atexit hook registered
//!   before the executor runs after the executor's own hook (hooks run in
//!   reverse order of registration, as Python's `atexit` runs after
//!   `threading._shutdown`); its submit is refused with
//!   `ExecutorError::ShutDown`, it prints `runtime-error` and panics with
//!   the error, which pythreading reports on stderr (CPython re-raises the
//!   `RuntimeError`, which the interpreter prints).
//! - The `mp_context` variants belong to the process pool and are left out.

mod cpython_util;

use pythreading_test_support::child_process;

mod thread_pool_shutdown_test {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::Duration;

    use pythreading_executor::ThreadPoolExecutor;

    use crate::child_process::{self, Output};
    use crate::cpython_util::LONG;

    /// Set (to the test's name) in the child process.
    const CHILD: &str = "PYTHREADING_EXECUTOR_CPYTHON_EXIT_CHILD";

    /// Whether this process is the child run for `test`.
    fn is_child(test: &str) -> bool {
        std::env::var(CHILD).is_ok_and(|name| name == test)
    }

    /// CPython's `assert_python_ok`: runs this test binary again with only
    /// `test` selected, as the child interpreter, and returns its output;
    /// fails the test if the child has not exited within `LONG`, or has
    /// exited with a failure.
    #[track_caller]
    fn assert_python_ok(test: &str) -> Output {
        let args = [test, "--exact", "--nocapture", "--test-threads=1", "-q"];
        let child = child_process::run_child(CHILD, test, &args, LONG)
            .unwrap_or_else(|why| panic!("running {test} as the child: {why}"));
        assert!(child.success, "{}\n{}", child.stdout, child.stderr);
        child
    }

    /// CPython's `sleep_and_print`.
    fn sleep_and_print(t: Duration, msg: &str) {
        thread::sleep(t);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{msg}").expect("stdout");
        stdout.flush().expect("stdout");
    }

    #[test]
    fn test_interpreter_shutdown() {
        const TEST: &str = "thread_pool_shutdown_test::test_interpreter_shutdown";
        if is_child(TEST) {
            let printed = Arc::new(AtomicBool::new(false));
            let t = ThreadPoolExecutor::new(5).unwrap();
            {
                let printed = Arc::clone(&printed);
                let _ = t
                    .submit(move || {
                        sleep_and_print(Duration::from_millis(200), "apple");
                        printed.store(true, Ordering::SeqCst);
                    })
                    .unwrap();
            }
            // The interpreter exits with the executor still alive.
            pythreading_core::shutdown();
            assert!(
                printed.load(Ordering::SeqCst),
                "exit did not wait for the task"
            );
            drop(t);
            return;
        }
        let child = assert_python_ok(TEST);
        assert!(child.stderr.is_empty(), "{}", child.stderr);
        assert_eq!(child.lines_equal_to("apple"), 1, "{}", child.stdout);
    }

    #[test]
    fn test_submit_after_interpreter_shutdown() {
        const TEST: &str = "thread_pool_shutdown_test::test_submit_after_interpreter_shutdown";
        if is_child(TEST) {
            let t: Arc<Mutex<Option<Arc<ThreadPoolExecutor>>>> = Arc::default();
            {
                let t = Arc::clone(&t);
                // Registered before the executor exists: runs after its hook.
                pythreading_core::register_atexit(move || {
                    let t = t.lock().unwrap().clone().expect("the executor");
                    if let Err(error) = t.submit(|| ()) {
                        println!("runtime-error");
                        panic!("RuntimeError: {error}");
                    }
                });
            }
            let executor = Arc::new(ThreadPoolExecutor::new(5).unwrap());
            *t.lock().unwrap() = Some(Arc::clone(&executor));
            pythreading_core::shutdown();
            return;
        }
        let child = assert_python_ok(TEST);
        assert!(
            child
                .stderr
                .contains("RuntimeError: cannot schedule new futures"),
            "{}",
            child.stderr
        );
        assert_eq!(child.lines_equal_to("runtime-error"), 1, "{}", child.stdout);
    }

    #[test]
    fn test_hang_gh83386() {
        const TEST: &str = "thread_pool_shutdown_test::test_hang_gh83386";
        if is_child(TEST) {
            let t = ThreadPoolExecutor::new(3).unwrap();
            let _ = t
                .submit(|| sleep_and_print(Duration::from_millis(200), "apple"))
                .unwrap();
            t.shutdown(false, false);
            pythreading_core::shutdown();
            drop(t);
            return;
        }
        let child = assert_python_ok(TEST);
        assert!(child.stderr.is_empty(), "{}", child.stderr);
        assert_eq!(child.lines_equal_to("apple"), 1, "{}", child.stdout);
    }

    #[test]
    fn test_cancel_futures_wait_false() {
        const TEST: &str = "thread_pool_shutdown_test::test_cancel_futures_wait_false";
        if is_child(TEST) {
            let t = ThreadPoolExecutor::default();
            let _ = t
                .submit(|| sleep_and_print(Duration::from_millis(100), "apple"))
                .unwrap();
            t.shutdown(false, true);
            pythreading_core::shutdown();
            drop(t);
            return;
        }
        let child = assert_python_ok(TEST);
        assert!(child.stderr.is_empty(), "{}", child.stderr);
        // gh-116682: the task may be cancelled before it starts.
        assert!(child.lines_equal_to("apple") <= 1, "{}", child.stdout);
    }
}
