//! The thread registry: every thread this process knows to be alive, and the
//! type-erased handle [`ThreadRef`] that names one of them.
//!
//! Three kinds of thread end up here, as in Python's `threading._active`:
//! the main thread (registered on first use, ident 1), threads started with
//! [`Thread::start`](crate::Thread::start) (registered by `start()`, removed
//! when their target is done), and "dummy" threads: threads not started by
//! us that called [`current_thread`] (registered then, removed by a
//! thread-local destructor when they exit).

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::ThreadError;
pub(crate) use crate::ident::next_ident;
use crate::ident::{self, MAIN_IDENT};
use crate::lifecycle::{Lifecycle, Phase, WaitOutcome};
use crate::locks::StaticMutex;
use crate::os;
use crate::wait::Deadline;

/// Python's `_counter`: one sequence for `Thread-N` and `Dummy-N`.
static NAME_COUNTER: AtomicU64 = AtomicU64::new(1);

static REGISTRY: StaticMutex<BTreeMap<u64, ThreadRef>> = StaticMutex::new(BTreeMap::new());
static MAIN: OnceLock<ThreadRef> = OnceLock::new();

thread_local! {
    static CURRENT: OnceCell<ThreadRef> = const { OnceCell::new() };
    static DUMMY_EXIT: OnceCell<DummyExit> = const { OnceCell::new() };
}

/// Which kind of thread a handle names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Started,
    Dummy,
}

/// The shared state of one thread, whatever its result type.
pub(crate) struct ThreadInner {
    name: StaticMutex<String>,
    daemon: AtomicBool,
    ident: AtomicU64,
    kind: Kind,
    pub(crate) life: Lifecycle,
    /// The token the thread's target runs with (`ThreadBuilder::cancel_token`).
    pub(crate) token: Option<crate::CancellationToken>,
}

impl ThreadInner {
    pub(crate) fn new_unstarted(
        name: String,
        daemon: bool,
        token: Option<crate::CancellationToken>,
    ) -> Self {
        Self {
            name: StaticMutex::new(name),
            daemon: AtomicBool::new(daemon),
            ident: AtomicU64::new(0),
            kind: Kind::Started,
            life: Lifecycle::new(),
            token,
        }
    }

    pub(crate) fn set_ident(&self, ident: u64) {
        self.ident.store(ident, Ordering::Release);
    }
}

/// A type-erased handle on a thread: any [`Thread`](crate::Thread), the main
/// thread, or a thread started outside pythreading.
///
/// Cheap to clone, `Send + Sync`, and equal to another `ThreadRef` exactly
/// when both name the same thread. This is what [`current_thread`],
/// [`main_thread`] and [`enumerate`] return, like Python's `Thread` objects
/// in those places.
///
/// ```
/// use pythreading_core::{current_thread, Thread};
///
/// let t = Thread::builder().name("worker").build(|| current_thread());
/// t.start().unwrap();
/// let seen_inside = t.clone().into_result().unwrap();
/// assert_eq!(seen_inside, t.handle());
/// assert_eq!(seen_inside.name(), "worker");
/// assert!(!seen_inside.is_alive());
/// ```
#[derive(Clone)]
pub struct ThreadRef(pub(crate) Arc<ThreadInner>);

impl ThreadRef {
    /// The thread's name (`Thread-N` unless given one).
    pub fn name(&self) -> String {
        self.0.name.lock().clone()
    }

    /// Renames the thread, as assigning `thread.name` does in Python.
    ///
    /// The name pythreading reports changes; the name the operating system
    /// shows (taken at start) does not.
    pub fn set_name(&self, name: impl Into<String>) {
        *self.0.name.lock() = name.into();
    }

    /// The thread's ident: `None` before it is started. Unique among the
    /// threads of this process, and never reused (stronger than Python,
    /// whose idents may be recycled once a thread has exited).
    pub fn ident(&self) -> Option<u64> {
        match self.0.ident.load(Ordering::Acquire) {
            0 => None,
            ident => Some(ident),
        }
    }

    /// The operating system's id of the thread (`gettid()` on Linux);
    /// `None` before it is started.
    ///
    /// Right after `start()` this may wait the few microseconds until the new
    /// thread runs and publishes its id. On systems where pythreading cannot
    /// read the OS id without `unsafe` code, this is the [`ident`](Self::ident).
    pub fn native_id(&self) -> Option<u64> {
        match self.0.kind {
            Kind::Started => self.0.life.native_id_wait(),
            // Known from the moment the handle exists.
            Kind::Main | Kind::Dummy => self.0.life.native_id_now(),
        }
    }

    /// Whether the thread is a daemon: one that `shutdown()` does not wait for.
    pub fn is_daemon(&self) -> bool {
        self.0.daemon.load(Ordering::Acquire)
    }

    /// Started and not finished yet.
    pub fn is_alive(&self) -> bool {
        self.0.life.phase() == Phase::Started
    }

    /// Waits until the thread finishes.
    ///
    /// Errors: [`ThreadError::NotStarted`], [`ThreadError::JoinSelf`].
    /// A target that panicked still joins with `Ok(())`. Joining the main
    /// thread waits until it calls [`shutdown`](crate::shutdown); joining a
    /// thread started outside pythreading waits until it exits.
    pub fn join(&self) -> Result<(), ThreadError> {
        self.join_deadline(Deadline::NEVER).map(|_| ())
    }

    /// Waits at most `timeout` for the thread to finish: `Ok(true)` if it did.
    ///
    /// Errors as for [`join`](Self::join).
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, ThreadError> {
        // A timeout too large to represent waits forever, as Python's does.
        self.join_deadline(Deadline::after(timeout))
    }

    pub(crate) fn join_deadline(&self, deadline: Deadline) -> Result<bool, ThreadError> {
        if self.0.life.phase() == Phase::Initial {
            return Err(ThreadError::NotStarted);
        }
        if self.ident() == Some(get_ident()) {
            return Err(ThreadError::JoinSelf);
        }
        match self.0.life.wait_finished(deadline) {
            WaitOutcome::Finished => Ok(true),
            WaitOutcome::TimedOut => Ok(false),
            WaitOutcome::NotStarted => Err(ThreadError::NotStarted),
            WaitOutcome::Cancelled => Err(ThreadError::Cancelled),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        self.0.kind
    }

    pub(crate) fn set_daemon_flag(&self, daemon: bool) {
        self.0.daemon.store(daemon, Ordering::Release);
    }
}

impl PartialEq for ThreadRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ThreadRef {}

impl Hash for ThreadRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.0).hash(state);
    }
}

/// Python's repr: `<Thread(Thread-1, started daemon 3)>`.
impl fmt::Debug for ThreadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.0.kind {
            Kind::Main => "_MainThread",
            Kind::Started => "Thread",
            Kind::Dummy => "_DummyThread",
        };
        let status = match self.0.life.phase() {
            Phase::Initial => "initial",
            Phase::Started => "started",
            Phase::Finished => "stopped",
        };
        write!(f, "<{class}({}, {status}", self.name())?;
        if self.is_daemon() {
            f.write_str(" daemon")?;
        }
        if let Some(ident) = self.ident() {
            write!(f, " {ident}")?;
        }
        f.write_str(")>")
    }
}

/// The next `Thread-N` / `Dummy-N` name.
pub(crate) fn new_name(prefix: &str) -> String {
    format!("{prefix}-{}", NAME_COUNTER.fetch_add(1, Ordering::Relaxed))
}

pub(crate) fn register(ident: u64, thread: ThreadRef) {
    REGISTRY.lock().insert(ident, thread);
}

pub(crate) fn unregister(ident: u64) {
    REGISTRY.lock().remove(&ident);
}

/// Called first thing by a thread started with `Thread::start`.
pub(crate) fn enter_started_thread(ident: u64, me: ThreadRef) {
    ident::set_current(ident);
    CURRENT.with(|cell| {
        // A fresh OS thread: the cell is empty.
        let _ = cell.set(me);
    });
}

/// The calling thread's ident (Python's `threading.get_ident()`).
///
/// Unique among the threads of this process and never reused. It is set
/// for any thread, including threads not started by pythreading, without
/// registering them (as in Python).
#[inline]
pub fn get_ident() -> u64 {
    ident::current()
}

/// The operating system's id of the calling thread (Python's
/// `threading.get_native_id()`; `gettid()` on Linux).
///
/// On systems where it cannot be read without `unsafe` code, this is
/// [`get_ident`].
pub fn get_native_id() -> u64 {
    os::native_id().unwrap_or_else(get_ident)
}

/// The thread calling it (Python's `threading.current_thread()`).
///
/// For a thread started outside pythreading (with `std::thread::spawn`, by
/// another library, …) this creates a daemon "dummy" thread named `Dummy-N`
/// on first use and registers it until that thread exits, as Python does.
/// Rust's main thread is `MainThread`.
pub fn current_thread() -> ThreadRef {
    CURRENT
        .try_with(|cell| cell.get_or_init(adopt_current).clone())
        // This thread's locals are being destroyed; describe it without
        // registering anything that could never be removed.
        .unwrap_or_else(|_| new_dummy(get_ident()))
}

/// A handle for a running thread that pythreading did not start.
fn new_dummy(ident: u64) -> ThreadRef {
    ThreadRef(Arc::new(ThreadInner {
        name: StaticMutex::new(new_name("Dummy")),
        daemon: AtomicBool::new(true),
        ident: AtomicU64::new(ident),
        kind: Kind::Dummy,
        life: Lifecycle::running(os::native_id().unwrap_or(ident)),
        token: None,
    }))
}

/// Registers the calling thread, which pythreading did not start.
fn adopt_current() -> ThreadRef {
    let ident = get_ident();
    if ident == MAIN_IDENT {
        return main_thread();
    }
    let dummy = new_dummy(ident);
    register(ident, dummy.clone());
    // When this thread exits, its thread-locals are destroyed: that is when
    // the dummy stops being alive.
    let _ = DUMMY_EXIT.try_with(|cell| cell.set(DummyExit(dummy.clone())));
    dummy
}

/// Marks a dummy thread finished when its OS thread exits.
struct DummyExit(ThreadRef);

impl Drop for DummyExit {
    fn drop(&mut self) {
        if let Some(ident) = self.0.ident() {
            unregister(ident);
        }
        self.0.0.life.finish();
    }
}

/// The main thread (Python's `threading.main_thread()`): the thread Rust
/// runs `main` on, named `MainThread`, with ident 1.
pub fn main_thread() -> ThreadRef {
    MAIN.get_or_init(|| {
        let main = ThreadRef(Arc::new(ThreadInner {
            name: StaticMutex::new("MainThread".to_owned()),
            daemon: AtomicBool::new(false),
            ident: AtomicU64::new(MAIN_IDENT),
            kind: Kind::Main,
            life: Lifecycle::running(os::main_native_id().unwrap_or(MAIN_IDENT)),
            token: None,
        }));
        register(MAIN_IDENT, main.clone());
        main
    })
    .clone()
}

/// Marks the main thread finished: part of `shutdown()` on the main thread,
/// so that threads joining it can go on (as Python's `_shutdown` does).
pub(crate) fn finish_main_thread() {
    let main = main_thread();
    unregister(MAIN_IDENT);
    main.0.life.finish();
}

/// Every alive thread (Python's `threading.enumerate()`): the main thread,
/// started threads that have not finished, and dummy threads seen by
/// [`current_thread`] that have not exited; in ident order, which for
/// started threads is the order they were started in.
pub fn enumerate() -> Vec<ThreadRef> {
    let _ = main_thread();
    REGISTRY.lock().values().cloned().collect()
}

/// Whether any listed thread satisfies `test`, checked under the registry's
/// lock without copying it (for `shutdown()`, which asks at every thread's
/// finish). `test` must not touch the registry.
pub(crate) fn any_thread(test: impl FnMut(&ThreadRef) -> bool) -> bool {
    REGISTRY.lock().values().any(test)
}

/// The number of alive threads, main thread included (Python's
/// `threading.active_count()`); equal to `enumerate().len()`.
pub fn active_count() -> usize {
    let _ = main_thread();
    REGISTRY.lock().len()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn idents_are_distinct_per_thread_and_stable() {
        let here = get_ident();
        assert_eq!(here, get_ident());
        let there = std::thread::spawn(get_ident).join().unwrap();
        assert_ne!(here, there);
        assert_ne!(there, MAIN_IDENT);
    }

    #[test]
    fn foreign_thread_becomes_a_registered_daemon_dummy_until_it_exits() {
        let (me, alive_inside) = std::thread::spawn(|| {
            let me = current_thread();
            (me.clone(), enumerate().contains(&me))
        })
        .join()
        .unwrap();
        assert!(alive_inside);
        assert!(me.name().starts_with("Dummy-"), "{}", me.name());
        assert!(me.is_daemon());
        assert_eq!(me.kind(), Kind::Dummy);
        // The OS thread has exited: its thread-locals were destroyed.
        assert!(!me.is_alive());
        assert!(!enumerate().contains(&me));
        assert!(me.join_timeout(Duration::from_secs(5)).unwrap());
    }

    #[test]
    fn main_thread_is_registered_with_ident_one() {
        let main = main_thread();
        assert_eq!(main.name(), "MainThread");
        assert_eq!(main.ident(), Some(MAIN_IDENT));
        assert!(!main.is_daemon());
        assert!(enumerate().contains(&main));
        assert_ne!(current_thread(), main, "tests run on spawned threads");
        #[cfg(target_os = "linux")]
        assert_eq!(main.native_id(), Some(u64::from(std::process::id())));
    }

    #[test]
    fn debug_reads_like_python_repr() {
        let text = format!("{:?}", main_thread());
        assert!(text.starts_with("<_MainThread(MainThread, "), "{text}");
        assert!(text.ends_with(" 1)>"), "{text}");
    }

    #[test]
    fn native_id_of_the_calling_thread_is_the_os_id() {
        let me = current_thread();
        assert_eq!(me.native_id(), Some(get_native_id()));
        #[cfg(target_os = "linux")]
        assert_ne!(get_native_id(), u64::from(std::process::id()));
    }
}
