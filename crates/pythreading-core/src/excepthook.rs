//! What happens to a panic in a thread's target: Python's `threading.excepthook`.
//!
//! A panic that escapes a target is caught by the thread, kept as the
//! thread's result ([`ThreadError::Panicked`](crate::ThreadError::Panicked)
//! from `into_result`) and reported exactly once, through the hook set with
//! [`set_excepthook`] or, by default, one report on stderr naming the thread.
//!
//! To report it once, pythreading chains a process panic hook (installed the
//! first time a thread is started) that stays silent for panics escaping
//! a pythreading thread's target and records their location instead; every
//! other panic goes to the hook that was there before. As in Python, a panic
//! the target catches itself is not reported. A panic hook set later with
//! `std::panic::set_hook` replaces this one; then Rust prints such panics
//! as well.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Arc, Once};

use crate::locks::StaticRwLock;
use crate::registry::ThreadRef;

/// What the excepthook is told about a panic that escaped a thread's target
/// (Python's `threading.ExceptHookArgs`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExceptHookArgs {
    /// The thread's name at the time of the panic.
    pub thread_name: String,
    /// The panic message (`"Box<dyn Any>"` if the payload was not a string).
    /// A panic that did not come from a target says first where it came
    /// from: `atexit hook panicked: …`, and, as Python words an exception
    /// it could raise nowhere, `Exception ignored in drop of a Local
    /// value: …`, `Exception ignored in drop of a thread's result: …`
    /// ([`drop_reporting`]; pythreading-executor reports the values a pool
    /// drops alike).
    pub message: String,
    /// Where the panic happened (`file:line:column`), when known.
    pub location: Option<String>,
    /// The backtrace, when one was captured (`RUST_BACKTRACE=1`).
    pub backtrace: Option<String>,
    /// The thread itself, as Python passes `args.thread`.
    pub thread: Option<ThreadRef>,
}

impl ExceptHookArgs {
    /// Arguments naming a thread and a message, the other fields empty: to
    /// call a hook (or [`default_excepthook`]) yourself, e.g. in a test.
    pub fn new(thread_name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            thread_name: thread_name.into(),
            message: message.into(),
            location: None,
            backtrace: None,
            thread: None,
        }
    }
}

impl fmt::Display for ExceptHookArgs {
    /// The default report: `Exception in thread NAME:` then where and what.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Exception in thread {}:", self.thread_name)?;
        match &self.location {
            Some(location) => writeln!(f, "panicked at {location}:")?,
            None => writeln!(f, "panicked:")?,
        }
        writeln!(f, "{}", self.message)?;
        if let Some(backtrace) = &self.backtrace {
            writeln!(f, "stack backtrace:\n{backtrace}")?;
        }
        Ok(())
    }
}

type Hook = Arc<dyn Fn(&ExceptHookArgs) + Send + Sync + 'static>;

static HOOK: StaticRwLock<Option<Hook>> = StaticRwLock::new(None);

/// Sets the function called with every panic that escapes a thread's target
/// (Python's `threading.excepthook = hook`). It runs on the panicking
/// thread, before `join()` returns for that thread.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use pythreading_core::{reset_excepthook, set_excepthook, Thread};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// set_excepthook(move |args| log.lock().unwrap().push((args.thread_name.clone(), args.message.clone())));
///
/// let t = Thread::builder().name("doomed").build(|| panic!("boom"));
/// t.start().unwrap();
/// t.join().unwrap(); // Ok: the panic is reported, not propagated
/// reset_excepthook();
/// assert_eq!(seen.lock().unwrap().as_slice(), [("doomed".to_string(), "boom".to_string())]);
/// ```
pub fn set_excepthook(hook: impl Fn(&ExceptHookArgs) + Send + Sync + 'static) {
    *HOOK.write() = Some(Arc::new(hook));
}

/// Restores the default excepthook (Python's
/// `threading.excepthook = threading.__excepthook__`).
pub fn reset_excepthook() {
    *HOOK.write() = None;
}

/// The default excepthook: writes one report naming the thread to stderr
/// (Python's `threading.__excepthook__`). Useful to chain from a custom hook.
pub fn default_excepthook(args: &ExceptHookArgs) {
    // A report must not fail the thread: a closed stderr is ignored.
    let _ = std::io::stderr()
        .lock()
        .write_all(args.to_string().as_bytes());
}

/// Calls the current excepthook with `args` (Python's
/// `threading.excepthook(args)`): the hook set with [`set_excepthook`], or
/// [`default_excepthook`]. A panicking hook is itself reported on stderr,
/// with the original report, as Python does.
///
/// With [`catch_panic`], this is how code that runs user callbacks on its
/// own threads (timers, pools) reports a panic the way a thread does.
pub fn excepthook(args: &ExceptHookArgs) {
    report(args);
}

/// Runs `f` and catches a panic escaping it, as a thread does with its
/// target: the panic is not printed by Rust's panic hook, and comes back as
/// the [`ExceptHookArgs`] describing it (the calling thread's name, the
/// message, the location and the backtrace when captured), ready for
/// [`excepthook`] or to be kept.
///
/// ```
/// use pythreading_core::catch_panic;
///
/// let caught = catch_panic(|| -> u32 { panic!("callback failed") }).unwrap_err();
/// assert_eq!(caught.message, "callback failed");
/// assert!(caught.location.unwrap().contains(".rs:"));
/// assert_eq!(catch_panic(|| 7).unwrap(), 7);
/// ```
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, ExceptHookArgs> {
    install_panic_hook();
    // `try_with`: this also runs in thread-local destructors (a Local's
    // values), where Rust's own hook then prints the panic instead.
    let was_in_target = IN_TARGET.try_with(|flag| flag.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    if let Ok(was_in_target) = was_in_target {
        let _ = IN_TARGET.try_with(|flag| flag.set(was_in_target));
    }
    outcome.map_err(|payload| {
        let record = take_record();
        let message = payload_message(payload.as_ref());
        drop_payload(payload);
        let me = crate::current_thread();
        ExceptHookArgs {
            thread_name: me.name(),
            message,
            location: record.location,
            backtrace: record.backtrace,
            thread: Some(me),
        }
    })
}

/// Drops `value`; a panic in its `Drop` is caught and reported through the
/// [excepthook](set_excepthook) as `Exception ignored in drop of {what}: …`
/// (Python's words for an exception raised in `__del__`), and goes no
/// further.
///
/// For code that drops values users handed it where unwinding would do harm:
/// on a thread's way out (a panic there would keep `join()` waiting, or
/// abort the process in a thread-local destructor), or on a worker that
/// must go on serving. pythreading drops `Local` values, threads' results
/// and everything a pool lets go of this way.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use pythreading_core::{drop_reporting, reset_excepthook, set_excepthook};
///
/// struct Grumpy;
/// impl Drop for Grumpy {
///     fn drop(&mut self) {
///         panic!("cannot let go");
///     }
/// }
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// set_excepthook(move |args| sink.lock().unwrap().push(args.message.clone()));
/// drop_reporting(Grumpy, "a grumpy value"); // does not unwind
/// reset_excepthook();
/// assert_eq!(
///     *seen.lock().unwrap(),
///     ["Exception ignored in drop of a grumpy value: cannot let go"]
/// );
/// ```
pub fn drop_reporting<V>(value: V, what: &str) {
    if !std::mem::needs_drop::<V>() {
        return;
    }
    if let Err(mut args) = catch_panic(move || drop(value)) {
        args.message = format!("Exception ignored in drop of {what}: {}", args.message);
        report(&args);
    }
}

/// Drops a caught panic's payload, whose own `Drop` may panic in turn.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
}

fn take_record() -> PanicRecord {
    RECORD
        .try_with(|cell| cell.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Reports a caught panic through the current hook. A panicking hook is
/// itself reported on stderr, with the original report, as Python does.
pub(crate) fn report(args: &ExceptHookArgs) {
    let hook = HOOK.read().clone();
    let Some(hook) = hook else {
        default_excepthook(args);
        return;
    };
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook(args))) {
        let message = payload_message(payload.as_ref());
        drop_payload(payload);
        let _ = writeln!(
            std::io::stderr().lock(),
            "Exception in threading.excepthook: {message}"
        );
        default_excepthook(args);
    }
}

/// Where and how a panic inside a target happened, as the panic hook saw it.
#[derive(Debug, Default)]
pub(crate) struct PanicRecord {
    pub(crate) location: Option<String>,
    pub(crate) backtrace: Option<String>,
}

thread_local! {
    /// True while this thread runs a pythreading target.
    static IN_TARGET: Cell<bool> = const { Cell::new(false) };
    static RECORD: RefCell<Option<PanicRecord>> = const { RefCell::new(None) };
}

/// Installs the chained panic hook once per process.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if IN_TARGET.try_with(Cell::get).unwrap_or(false) {
                record(info);
            } else {
                previous(info);
            }
        }));
    });
}

fn record(info: &PanicHookInfo<'_>) {
    let backtrace = Backtrace::capture();
    let record = PanicRecord {
        location: info.location().map(ToString::to_string),
        backtrace: (backtrace.status() == BacktraceStatus::Captured).then(|| backtrace.to_string()),
    };
    let _ = RECORD.try_with(|cell| *cell.borrow_mut() = Some(record));
}

/// Runs `target` with panics caught and their location recorded.
pub(crate) fn run_target<T>(target: impl FnOnce() -> T) -> Result<T, (String, PanicRecord)> {
    IN_TARGET.with(|flag| flag.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(target));
    IN_TARGET.with(|flag| flag.set(false));
    outcome.map_err(|payload| {
        let record = take_record();
        let message = payload_message(payload.as_ref());
        // Dropping a payload can panic in turn; keep that inside the thread.
        drop_payload(payload);
        (message, record)
    })
}

/// The text of a panic payload, as Rust's own hook prints it.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn payload_messages() {
        assert_eq!(payload_message(&"static"), "static");
        assert_eq!(payload_message(&String::from("owned")), "owned");
        assert_eq!(payload_message(&42_u8), "Box<dyn Any>");
    }

    #[test]
    fn report_text_names_thread_location_and_message() {
        let mut args = ExceptHookArgs::new("Thread-7", "boom");
        args.location = Some("src/x.rs:1:2".into());
        assert_eq!(
            args.to_string(),
            "Exception in thread Thread-7:\npanicked at src/x.rs:1:2:\nboom\n"
        );
    }

    #[test]
    fn run_target_catches_and_records() {
        install_panic_hook();
        let (message, record) = run_target(|| -> () { panic!("caught {}", 1) }).unwrap_err();
        assert_eq!(message, "caught 1");
        let location = record.location.expect("the hook recorded the location");
        assert!(location.contains("excepthook.rs"), "{location}");
        assert_eq!(run_target(|| 5).unwrap(), 5);
    }
}
