//! [`Thread`] and [`ThreadBuilder`]: Python's `threading.Thread`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ThreadError;
use crate::excepthook::{self, ExceptHookArgs};
use crate::locks::StaticMutex;
use crate::registry::{self, ThreadInner, ThreadRef};
use crate::wait::Deadline;

type Target<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// Where a thread's result is kept until `into_result` takes it.
enum Slot<T> {
    Pending,
    Value(T),
    Panicked(String),
    Taken,
}

struct Shared<T> {
    thread: ThreadRef,
    target: StaticMutex<Option<Target<T>>>,
    result: StaticMutex<Slot<T>>,
    stack_size: Option<usize>,
}

/// A thread of execution, as Python's `threading.Thread`: created with a
/// target, started once, joined by anyone, named, daemon or not.
///
/// A `Thread` is a shared handle (`Clone + Send + Sync`): clones name the
/// same thread, so one can be stored in a list and joined from elsewhere.
/// Unlike a Python thread it also hands back what its target returned, with
/// [`into_result`](Self::into_result), and a panic in the target is caught,
/// reported once through the [excepthook](crate::set_excepthook) and kept,
/// never lost.
///
/// ```
/// use pythreading_core::Thread;
///
/// let t = Thread::new(|| 6 * 7);
/// assert!(!t.is_alive());
/// t.start().unwrap();
/// t.join().unwrap();
/// assert!(!t.is_alive());
/// assert_eq!(t.into_result().unwrap(), 42);
/// ```
///
/// Threads are non-daemon unless created by a daemon thread or told
/// otherwise; [`shutdown`](crate::shutdown) (or a
/// [`ShutdownGuard`](crate::ShutdownGuard) at the top of `main`) waits for
/// every non-daemon thread, as Python does at exit.
pub struct Thread<T = ()> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Thread<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Thread {
    /// A builder to set the name, daemon flag or stack size first; its
    /// `build` / `spawn` give a `Thread<T>` for any result type `T`.
    pub fn builder() -> ThreadBuilder {
        ThreadBuilder::new()
    }
}

impl<T: Send + 'static> Thread<T> {
    /// A thread that will run `target` once started; named `Thread-N`,
    /// daemon if the creating thread is.
    ///
    /// Nothing runs until [`start`](Self::start): a thread made and never
    /// started is a warning (`unused_must_use`).
    ///
    /// ```compile_fail
    /// #![deny(unused_must_use)]
    /// pythreading_core::Thread::new(|| println!("never printed"));
    /// ```
    #[must_use = "a thread does nothing until start() is called"]
    pub fn new<F: FnOnce() -> T + Send + 'static>(target: F) -> Self {
        ThreadBuilder::new().build(target)
    }

    /// Starts the thread. It runs its target at once, in parallel with the
    /// caller.
    ///
    /// Errors: [`ThreadError::AlreadyStarted`] on a second call;
    /// [`ThreadError::Spawn`] if the OS refuses (the thread stays unstarted,
    /// its target kept, so `start` may be tried again).
    pub fn start(&self) -> Result<(), ThreadError> {
        let shared = Arc::clone(&self.shared);
        start_as(
            &self.shared.thread,
            self.shared.stack_size,
            |builder, ident| {
                builder.spawn(move || {
                    run(&shared, ident);
                    // If every handle is gone, the result is dropped here, after
                    // the finish: a panicking Drop of it is reported, not unwound.
                    excepthook::drop_reporting(shared, "a thread's result");
                })
            },
        )
        // Detached: joining goes through the lifecycle, not the OS handle.
        .map(drop)
    }

    /// Waits until the thread finishes. `Ok(())` also when the target
    /// panicked (the panic was reported and is kept for `into_result`).
    ///
    /// Errors: [`ThreadError::NotStarted`], [`ThreadError::JoinSelf`];
    /// [`ThreadError::Cancelled`] if the calling thread's current
    /// [`CancellationToken`](crate::CancellationToken) is cancelled while
    /// it waits (so do `join_timeout` and `into_result`).
    pub fn join(&self) -> Result<(), ThreadError> {
        self.shared.thread.join()
    }

    /// Waits at most `timeout`: `Ok(true)` if the thread finished.
    ///
    /// Errors as for [`join`](Self::join).
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, ThreadError> {
        self.shared.thread.join_timeout(timeout)
    }

    /// Waits for the thread, then takes what its target returned.
    ///
    /// Errors: [`ThreadError::Panicked`] with the panic message;
    /// [`ThreadError::ResultTaken`] if another handle took the result;
    /// [`ThreadError::NotStarted`] and [`ThreadError::JoinSelf`] as for `join`.
    pub fn into_result(self) -> Result<T, ThreadError> {
        self.into_result_deadline(Deadline::NEVER)
            .map(|result| result.expect("an untimed wait finishes"))
    }

    /// Like [`into_result`](Self::into_result), waiting at most `timeout`:
    /// `Ok(None)` if the thread is still running (the handle is consumed,
    /// but the result stays available to the other handles).
    pub fn into_result_timeout(self, timeout: Duration) -> Result<Option<T>, ThreadError> {
        self.into_result_deadline(Deadline::after(timeout))
    }

    fn into_result_deadline(self, deadline: Deadline) -> Result<Option<T>, ThreadError> {
        if !self.shared.thread.join_deadline(deadline)? {
            return Ok(None);
        }
        let mut slot = self.shared.result.lock();
        match std::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Value(value) => Ok(Some(value)),
            Slot::Panicked(message) => Err(ThreadError::Panicked(message)),
            Slot::Taken => Err(ThreadError::ResultTaken),
            Slot::Pending => unreachable!("a finished thread has stored its result"),
        }
    }

    /// The cancellation token the thread was built with
    /// ([`ThreadBuilder::cancel_token`]): cancelling it ends its blocked
    /// pythreading calls.
    pub fn cancel_token(&self) -> Option<crate::CancellationToken> {
        self.shared.thread.0.token.clone()
    }

    /// Whether the thread is started and not finished yet.
    pub fn is_alive(&self) -> bool {
        self.shared.thread.is_alive()
    }

    /// The thread's name.
    pub fn name(&self) -> String {
        self.shared.thread.name()
    }

    /// Renames the thread (before or after start).
    pub fn set_name(&self, name: impl Into<String>) {
        self.shared.thread.set_name(name);
    }

    /// Whether the thread is a daemon, one that `shutdown()` does not wait for.
    pub fn is_daemon(&self) -> bool {
        self.shared.thread.is_daemon()
    }

    /// Makes the thread a daemon or not; only before `start`.
    ///
    /// Errors: [`ThreadError::DaemonAfterStart`] once started.
    pub fn set_daemon(&self, daemon: bool) -> Result<(), ThreadError> {
        // Under the lifecycle's lock, so a concurrent start() cannot slip in
        // between the check and the change.
        let thread = &self.shared.thread;
        if !thread.0.life.if_initial(|| thread.set_daemon_flag(daemon)) {
            return Err(ThreadError::DaemonAfterStart);
        }
        Ok(())
    }

    /// The thread's ident; `None` before start. See [`ThreadRef::ident`].
    pub fn ident(&self) -> Option<u64> {
        self.shared.thread.ident()
    }

    /// The OS thread id (`gettid()` on Linux); `None` before start.
    /// See [`ThreadRef::native_id`].
    pub fn native_id(&self) -> Option<u64> {
        self.shared.thread.native_id()
    }

    /// A type-erased handle on this thread, as [`current_thread`](crate::current_thread)
    /// returns inside it.
    pub fn handle(&self) -> ThreadRef {
        self.shared.thread.clone()
    }
}

impl<T> PartialEq for Thread<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Eq for Thread<T> {}

impl<T> fmt::Debug for Thread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.shared.thread, f)
    }
}

impl<T> From<&Thread<T>> for ThreadRef {
    fn from(thread: &Thread<T>) -> Self {
        thread.shared.thread.clone()
    }
}

/// The body of every started thread.
fn run<T: Send + 'static>(shared: &Shared<T>, ident: u64) {
    // start() hands the target over exactly once.
    let target = shared.target.lock().take();
    run_as(&shared.thread, ident, target, |outcome| {
        *shared.result.lock() = match outcome {
            Ok(value) => Slot::Value(value),
            Err(message) => Slot::Panicked(message),
        };
    });
}

/// What every started thread does, scoped or not, as the thread `thread`
/// with `ident`: enters the registry, runs `target`, reports a panic of it
/// through the excepthook, and gives `deliver` the value or the panic's
/// message (a missing target is a panic that is not reported), all before
/// the thread counts as finished (joiners wake, the registry lets go of
/// it).
fn run_as<T, F: FnOnce() -> T, R>(
    thread: &ThreadRef,
    ident: u64,
    target: Option<F>,
    deliver: impl FnOnce(Result<T, String>) -> R,
) -> R {
    registry::enter_started_thread(ident, thread.clone());
    // Where the OS id cannot be read, the ident stands in (as documented).
    let native_id = crate::os::native_id().unwrap_or(ident);
    thread.0.life.publish_native_id(native_id);
    // Whatever happens below, the thread leaves the registry and joiners wake.
    let _finish = FinishOnDrop { thread, ident };

    let Some(target) = target else {
        return deliver(Err("the thread had no target".to_owned()));
    };
    let _token = thread
        .0
        .token
        .as_ref()
        .map(crate::CancellationToken::install);
    let outcome = excepthook::run_target(target).map_err(|(message, record)| {
        excepthook::report(&ExceptHookArgs {
            thread_name: thread.name(),
            message: message.clone(),
            location: record.location,
            backtrace: record.backtrace,
            thread: Some(thread.clone()),
        });
        message
    });
    deliver(outcome)
}

/// Registers `thread`, built and not started, under a fresh ident, and
/// starts its OS thread with `spawn` (given the ident and the OS builder,
/// named and sized); undone if the OS refuses.
fn start_as<H>(
    thread: &ThreadRef,
    stack_size: Option<usize>,
    spawn: impl FnOnce(std::thread::Builder, u64) -> std::io::Result<H>,
) -> Result<H, ThreadError> {
    if !thread.0.life.begin_start() {
        return Err(ThreadError::AlreadyStarted);
    }
    excepthook::install_panic_hook();
    let ident = registry::next_ident();
    thread.0.set_ident(ident);
    registry::register(ident, thread.clone());
    // The OS name may not contain NUL; ours may.
    let mut builder = std::thread::Builder::new().name(thread.name().replace('\0', " "));
    if let Some(size) = stack_size {
        builder = builder.stack_size(size);
    }
    spawn(builder, ident).map_err(|error| {
        registry::unregister(ident);
        thread.0.set_ident(0);
        thread.0.life.abort_start();
        ThreadError::Spawn(error)
    })
}

struct FinishOnDrop<'a> {
    thread: &'a ThreadRef,
    ident: u64,
}

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        // The thread's Local values go before join() can return (Python
        // frees them with the thread state); this never unwinds, a value
        // whose Drop panics is reported. Then leave the registry: after
        // join() returns, enumerate() no longer lists the thread.
        crate::local::drop_current_thread_values();
        registry::unregister(self.ident);
        self.thread.0.life.finish();
        crate::shutdown::thread_finished();
    }
}

/// Configures a [`Thread`] before it is created: name, daemon flag, stack size.
///
/// ```
/// use pythreading_core::Thread;
///
/// let t = Thread::builder().name("loader").daemon(true).spawn(|| "done").unwrap();
/// assert_eq!(t.name(), "loader");
/// assert!(t.is_daemon());
/// assert_eq!(t.into_result().unwrap(), "done");
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until build() or spawn()"]
pub struct ThreadBuilder {
    name: Option<String>,
    daemon: Option<bool>,
    stack_size: Option<usize>,
    token: Option<crate::CancellationToken>,
}

impl ThreadBuilder {
    /// A builder with Python's defaults: name `Thread-N`, daemon flag of the
    /// creating thread, the platform's stack size.
    pub fn new() -> Self {
        Self::default()
    }

    /// The thread's name (an empty one means the default `Thread-N`, as in Python).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Whether the thread is a daemon (default: as the creating thread).
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = Some(daemon);
        self
    }

    /// The new thread's stack size in bytes.
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// The cancellation token the thread's target runs with: its current
    /// token from its first instruction (see
    /// [`CancellationToken::install`](crate::CancellationToken::install)),
    /// so that cancelling `token` ends the thread's blocked pythreading
    /// calls. Without one, the thread has none (or the process's root, see
    /// `cancel_on_ctrl_c`).
    pub fn cancel_token(mut self, token: crate::CancellationToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The thread this builder describes, registered nowhere yet.
    fn unstarted(self) -> ThreadRef {
        // As Python's `name or _newname()`: an empty name gets the default.
        let name = self
            .name
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| registry::new_name("Thread"));
        let daemon = self
            .daemon
            .unwrap_or_else(|| crate::current_thread().is_daemon());
        ThreadRef(Arc::new(ThreadInner::new_unstarted(
            name, daemon, self.token,
        )))
    }

    /// Creates the thread, not started: a thread built and never started is
    /// a warning (`unused_must_use`).
    ///
    /// ```compile_fail
    /// #![deny(unused_must_use)]
    /// pythreading_core::Thread::builder().name("idle").build(|| ());
    /// ```
    #[must_use = "a thread does nothing until start() is called"]
    pub fn build<T, F>(self, target: F) -> Thread<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let stack_size = self.stack_size;
        Thread {
            shared: Arc::new(Shared {
                thread: self.unstarted(),
                target: StaticMutex::new(Some(Box::new(target))),
                result: StaticMutex::new(Slot::Pending),
                stack_size,
            }),
        }
    }

    /// Creates the thread and starts it.
    ///
    /// Errors: [`ThreadError::Spawn`] if the OS refuses.
    pub fn spawn<T, F>(self, target: F) -> Result<Thread<T>, ThreadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let thread = self.build(target);
        thread.start()?;
        Ok(thread)
    }

    /// Starts a thread of `scope` (a [`std::thread::scope`]): its target
    /// may borrow from the caller of the scope, which joins it before it
    /// returns. It is a pythreading thread in every other way: named (by
    /// default `Thread-N`), registered while it runs
    /// ([`enumerate`](crate::enumerate), [`current_thread`](crate::current_thread)
    /// inside it), and a panic of its target is reported through the
    /// excepthook under its name, then handed to [`ScopedThread::join`].
    ///
    /// Errors: [`ThreadError::Spawn`] if the OS refuses.
    ///
    /// ```
    /// use pythreading_core::Thread;
    ///
    /// let words = vec!["borrowed", "from", "the", "stack"];
    /// let count = std::thread::scope(|scope| {
    ///     let counter = Thread::builder()
    ///         .name("counter")
    ///         .spawn_scoped(scope, || {
    ///             assert_eq!(pythreading_core::current_thread().name(), "counter");
    ///             words.len()
    ///         })
    ///         .unwrap();
    ///     counter.join()
    /// });
    /// assert_eq!(count.unwrap(), 4);
    /// ```
    pub fn spawn_scoped<'scope, 'env, T, F>(
        self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        target: F,
    ) -> Result<ScopedThread<'scope, T>, ThreadError>
    where
        T: Send + 'scope,
        F: FnOnce() -> T + Send + 'scope,
    {
        let stack_size = self.stack_size;
        let thread = self.unstarted();
        let inner = thread.clone();
        let handle = start_as(&thread, stack_size, move |builder, ident| {
            builder.spawn_scoped(scope, move || {
                run_as(&inner, ident, Some(target), |outcome| outcome)
            })
        })?;
        Ok(ScopedThread { thread, handle })
    }
}

/// A pythreading thread of a [`std::thread::scope`], started by
/// [`ThreadBuilder::spawn_scoped`]. Dropping it does not detach the
/// thread: the scope still joins it.
pub struct ScopedThread<'scope, T> {
    thread: ThreadRef,
    handle: std::thread::ScopedJoinHandle<'scope, Result<T, String>>,
}

impl<T> ScopedThread<'_, T> {
    /// The thread, as [`current_thread`](crate::current_thread) shows it
    /// from inside.
    pub fn handle(&self) -> ThreadRef {
        self.thread.clone()
    }

    /// Whether the thread has finished.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for the thread and returns its target's value, or
    /// [`ThreadError::Panicked`] with the message of its panic (which was
    /// reported already).
    pub fn join(self) -> Result<T, ThreadError> {
        match self.handle.join() {
            Ok(outcome) => outcome.map_err(ThreadError::Panicked),
            // Only a panic outside the target (in pythreading's own code)
            // gets here; say so rather than unwind.
            Err(payload) => Err(ThreadError::Panicked(excepthook::payload_message(
                payload.as_ref(),
            ))),
        }
    }
}

impl<T> fmt::Debug for ScopedThread<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.thread, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn bounds() {
        fn send_sync<X: Send + Sync>() {}
        send_sync::<Thread<u32>>();
        send_sync::<Thread<Vec<String>>>();
        send_sync::<ThreadRef>();
        send_sync::<ThreadBuilder>();
        send_sync::<ThreadError>();
    }

    #[test]
    fn default_names_count_up() {
        let a = Thread::new(|| ());
        let b = Thread::new(|| ());
        let n = |t: &Thread| t.name()["Thread-".len()..].parse::<u64>().unwrap();
        assert!(n(&b) > n(&a));
    }

    #[test]
    fn result_and_states() {
        let (go, wait) = mpsc::channel::<()>();
        let t = Thread::new(move || {
            wait.recv().unwrap();
            "value"
        });
        assert_eq!(t.ident(), None);
        assert_eq!(t.native_id(), None);
        t.start().unwrap();
        assert!(t.is_alive());
        assert!(t.ident().is_some());
        assert!(t.native_id().is_some());
        assert!(registry::enumerate().contains(&t.handle()));
        assert!(!t.join_timeout(Duration::from_millis(10)).unwrap());
        go.send(()).unwrap();
        assert_eq!(t.clone().into_result().unwrap(), "value");
        assert!(!t.is_alive());
        assert!(!registry::enumerate().contains(&t.handle()));
        assert!(matches!(t.into_result(), Err(ThreadError::ResultTaken)));
    }

    #[test]
    fn into_result_timeout_leaves_result_to_others() {
        let (go, wait) = mpsc::channel::<()>();
        let t = Thread::new(move || wait.recv().map(|()| 3).unwrap_or(0));
        t.start().unwrap();
        assert_eq!(
            t.clone()
                .into_result_timeout(Duration::from_millis(10))
                .unwrap(),
            None
        );
        go.send(()).unwrap();
        assert_eq!(
            t.into_result_timeout(Duration::from_secs(60)).unwrap(),
            Some(3)
        );
    }

    #[test]
    fn nul_in_name_is_accepted() {
        let t = Thread::builder().name("a\0b").spawn(|| 1).unwrap();
        assert_eq!(t.name(), "a\0b");
        assert_eq!(t.into_result().unwrap(), 1);
    }
}
