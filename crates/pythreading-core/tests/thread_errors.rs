//! Every misuse named in `ThreadError` returns its variant: no panic, no hang.
//! Also pins the error's Display texts (close to Python's messages) and its
//! traits.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use pythreading_core::{
    Thread, ThreadError, current_thread, default_excepthook, main_thread, reset_excepthook,
    set_excepthook,
};

const BOUND: Duration = Duration::from_secs(60);

#[test]
fn start_twice_is_already_started() {
    let t = Thread::new(|| ());
    t.start().unwrap();
    assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
    assert!(t.join_timeout(BOUND).unwrap());
    // Still an error after it finished.
    assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
}

#[test]
fn join_before_start_is_not_started() {
    let t = Thread::new(|| 1);
    assert!(matches!(t.join(), Err(ThreadError::NotStarted)));
    assert!(matches!(
        t.join_timeout(Duration::from_millis(1)),
        Err(ThreadError::NotStarted)
    ));
    assert!(matches!(t.handle().join(), Err(ThreadError::NotStarted)));
    assert!(matches!(
        t.clone().into_result(),
        Err(ThreadError::NotStarted)
    ));
    // Nothing was lost: the thread can still be started and gives its value.
    t.start().unwrap();
    assert_eq!(t.into_result().unwrap(), 1);
}

#[test]
fn join_from_the_thread_itself_is_join_self() {
    let (tx, rx) = mpsc::channel();
    let t = Thread::new(move || {
        let me = rx.recv().unwrap();
        let me: Thread<()> = me;
        let by_handle = matches!(me.join(), Err(ThreadError::JoinSelf));
        let by_timeout = matches!(me.join_timeout(BOUND), Err(ThreadError::JoinSelf));
        let by_current = matches!(current_thread().join(), Err(ThreadError::JoinSelf));
        let by_result = matches!(me.into_result(), Err(ThreadError::JoinSelf));
        assert!(by_handle && by_timeout && by_current && by_result);
    });
    t.start().unwrap();
    tx.send(t.clone()).unwrap();
    assert!(t.join_timeout(BOUND).unwrap());
    // The asserts inside passed: the target did not panic.
    assert!(t.into_result().is_ok());
}

#[test]
fn join_of_the_current_foreign_thread_is_join_self() {
    // Tests run on threads pythreading did not start: they are dummies.
    let me = current_thread();
    assert!(matches!(me.join(), Err(ThreadError::JoinSelf)));
    assert_ne!(me, main_thread());
}

#[test]
fn set_daemon_after_start_is_daemon_after_start() {
    let (go, wait) = mpsc::channel::<()>();
    let t = Thread::new(move || wait.recv().unwrap());
    t.set_daemon(true).unwrap();
    t.set_daemon(false).unwrap();
    t.start().unwrap();
    assert!(matches!(
        t.set_daemon(true),
        Err(ThreadError::DaemonAfterStart)
    ));
    assert!(!t.is_daemon(), "the failed call changed nothing");
    go.send(()).unwrap();
    assert!(t.join_timeout(BOUND).unwrap());
    assert!(matches!(
        t.set_daemon(true),
        Err(ThreadError::DaemonAfterStart)
    ));
}

#[test]
fn into_result_twice_is_result_taken() {
    let t = Thread::new(|| String::from("once"));
    t.start().unwrap();
    let other = t.clone();
    assert_eq!(t.into_result().unwrap(), "once");
    assert!(matches!(
        other.clone().into_result(),
        Err(ThreadError::ResultTaken)
    ));
    assert!(matches!(
        other.into_result_timeout(BOUND),
        Err(ThreadError::ResultTaken)
    ));
}

/// Restores the default excepthook when dropped (also when the test fails).
struct DefaultHookAfter;

impl Drop for DefaultHookAfter {
    fn drop(&mut self) {
        reset_excepthook();
    }
}

#[test]
fn panicking_target_joins_ok_and_keeps_the_message() {
    // The only test here that sets the excepthook: it records the report
    // about its own thread (which the default hook would print, with a
    // backtrace under RUST_BACKTRACE=1) and passes any other to the default.
    let t = Thread::builder()
        .name("panicker")
        .build(|| -> u8 { panic!("kaboom {}", 7) });
    let reports = Arc::new(Mutex::new(Vec::new()));
    let _restore = DefaultHookAfter;
    {
        let (reports, me) = (Arc::clone(&reports), t.handle());
        set_excepthook(move |args| match &args.thread {
            Some(thread) if *thread == me => reports.lock().unwrap().push(args.clone()),
            _ => default_excepthook(args),
        });
    }
    t.start().unwrap();
    assert!(t.join().is_ok());
    match t.clone().into_result() {
        Err(ThreadError::Panicked(message)) => assert_eq!(message, "kaboom 7"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert!(matches!(t.into_result(), Err(ThreadError::ResultTaken)));
    // Reported once, before join() returned, naming the thread.
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].thread_name, "panicker");
    assert_eq!(reports[0].message, "kaboom 7");
    let location = reports[0].location.as_deref().unwrap_or_default();
    assert!(location.contains("thread_errors.rs"), "{location:?}");
}

#[test]
fn display_texts_follow_python() {
    let cases = [
        (
            ThreadError::AlreadyStarted,
            "threads can only be started once",
        ),
        (
            ThreadError::NotStarted,
            "cannot join thread before it is started",
        ),
        (ThreadError::JoinSelf, "cannot join current thread"),
        (
            ThreadError::DaemonAfterStart,
            "cannot set daemon status of active thread",
        ),
        (
            ThreadError::ResultTaken,
            "the thread's result was already taken",
        ),
        (
            ThreadError::Panicked("boom".into()),
            "thread panicked: boom",
        ),
        (
            ThreadError::Spawn(std::io::Error::other("no more threads")),
            "can't start new thread: no more threads",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
    }
}

#[test]
fn error_is_a_well_behaved_error_type() {
    fn check<E: std::error::Error + Send + Sync + 'static>() {}
    check::<ThreadError>();
    let spawn = ThreadError::Spawn(std::io::Error::other("inner"));
    let source = std::error::Error::source(&spawn).expect("Spawn keeps its io::Error");
    assert_eq!(source.to_string(), "inner");
}

#[test]
fn spawn_failure_is_an_error_and_the_thread_can_be_started_again() {
    // An absurd stack size makes the OS refuse the thread.
    let t = Thread::builder().stack_size(usize::MAX / 2).build(|| 5);
    match t.start() {
        Err(ThreadError::Spawn(_)) => {
            assert!(!t.is_alive());
            assert_eq!(t.ident(), None);
            assert!(matches!(t.join(), Err(ThreadError::NotStarted)));
            assert!(!pythreading_core::enumerate().contains(&t.handle()));
        }
        // Some systems accept anything lazily; then it simply runs.
        Ok(()) => assert_eq!(t.into_result().unwrap(), 5),
        Err(other) => panic!("unexpected {other:?}"),
    }
}
