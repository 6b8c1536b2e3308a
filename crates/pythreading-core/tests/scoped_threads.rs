//! `ThreadBuilder::spawn_scoped`: pythreading threads of a
//! `std::thread::scope`, which borrow from the stack and are joined by it.

use std::sync::{Arc, Mutex};

use pythreading_core::{Thread, ThreadError, current_thread, enumerate};

#[test]
fn a_scoped_thread_borrows_is_registered_and_returns_its_value() {
    let words = ["one", "two", "three"];
    let (value, name, repr, listed, ident, after) = std::thread::scope(|scope| {
        let thread = Thread::builder()
            .name("scoped-reader")
            .spawn_scoped(scope, || {
                let me = current_thread();
                let listed = enumerate().contains(&me);
                (
                    words.iter().map(|w| w.len()).sum::<usize>(),
                    me.name(),
                    format!("{me:?}"),
                    listed,
                )
            })
            .unwrap();
        let handle = thread.handle();
        let ident = handle.ident();
        let (value, name, repr, listed) = thread.join().unwrap();
        (value, name, repr, listed, ident, handle)
    });
    assert_eq!(value, 11);
    assert_eq!(name, "scoped-reader");
    assert!(repr.starts_with("<Thread(scoped-reader, started"), "{repr}");
    assert!(listed);
    assert!(ident.is_some());
    assert!(!after.is_alive(), "joined by the scope");
    assert!(
        !enumerate().contains(&after),
        "out of the registry once finished"
    );
}

#[test]
fn a_scoped_threads_panic_is_reported_and_joined_as_an_error() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&reports);
    pythreading_core::set_excepthook(move |args| {
        record
            .lock()
            .unwrap()
            .push((args.thread_name.clone(), args.message.clone()));
    });
    let joined = std::thread::scope(|scope| {
        Thread::builder()
            .name("scoped-panics")
            .spawn_scoped(scope, || -> u32 { panic!("scoped boom") })
            .unwrap()
            .join()
    });
    pythreading_core::reset_excepthook();
    assert!(matches!(joined, Err(ThreadError::Panicked(ref message)) if message == "scoped boom"));
    let reports = reports.lock().unwrap();
    assert_eq!(
        reports.as_slice(),
        [("scoped-panics".to_string(), "scoped boom".to_string())]
    );
}

#[test]
fn default_names_and_the_daemon_flag_follow_the_creating_thread() {
    std::thread::scope(|scope| {
        let thread = Thread::builder().spawn_scoped(scope, || ()).unwrap();
        let handle = thread.handle();
        assert!(handle.name().starts_with("Thread-"), "{}", handle.name());
        assert_eq!(handle.is_daemon(), current_thread().is_daemon());
        thread.join().unwrap();
        let daemon = Thread::builder()
            .daemon(true)
            .spawn_scoped(scope, || ())
            .unwrap();
        assert!(daemon.handle().is_daemon());
    });
}

#[test]
fn a_scoped_spawn_the_os_refuses_is_an_error_and_registers_nothing() {
    let refused = std::thread::scope(|scope| {
        match Thread::builder()
            .stack_size(usize::MAX / 2)
            .spawn_scoped(scope, || 5)
        {
            Err(error) => Some(error),
            // Some systems accept anything lazily; then it simply runs.
            Ok(thread) => {
                assert_eq!(thread.join().unwrap(), 5);
                None
            }
        }
    });
    if let Some(error) = refused {
        assert!(matches!(error, ThreadError::Spawn(_)), "{error:?}");
        assert!(
            enumerate()
                .iter()
                .all(|thread| thread.name() != "scoped-refused")
        );
    }
}
