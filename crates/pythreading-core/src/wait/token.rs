//! Cancellation tokens, and the token each thread's waits obey.
//!
//! A token is a node of a tree: a flag that goes from "live" to
//! "cancelled" once, the waiters parked under it, its children and its
//! callbacks, behind one small mutex. [`CancellationToken::cancel`] sets
//! the flag first, then takes (under the mutex) everything registered and
//! wakes it; whoever registers takes the same mutex and looks at the flag
//! after it has registered, so either the cancel finds it registered or it
//! finds the flag set: nothing registered is ever missed. The tree is
//! walked with a work list, not recursion, so a deep chain of children
//! cannot overflow the stack.
//!
//! A waiter is registered only while it is parked in a wait that obeys
//! the token ([`park_cancellable`](super::park_cancellable)), and the
//! cancel marks its parker (`WAITING` → `CANCELLED`) under the token's
//! mutex: a parker that has left the wait is never marked, so a cancel can
//! never end a later wait that does not obey it.
//!
//! The thread's current token is a thread-local: installed for a region
//! ([`CancellationToken::install`]), carried by a thread from its start, or
//! a task's, made only when something asks for it ([`TokenSource`]).
//! Nothing of this is read on any fast path: only a wait about to park
//! looks at it.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

use std::time::Duration;

use super::deadline::{Deadline, Wait};
use super::parker::Parker;
use super::sys::{self, AtomicU32};
use super::table::{self, Key, Wake};
use crate::shim::Mutex;
use std::sync::atomic::Ordering;

/// A blocking call ended because the calling thread's cancellation token
/// was cancelled: distinct from a timeout, and nothing was taken or lost
/// (a cancelled get took no item; a cancelled put hands its item back).
///
/// ```
/// use pythreading_core::{CancellationToken, Cancelled, sleep};
/// use std::time::Duration;
///
/// let token = CancellationToken::new();
/// token.cancel();
/// assert_eq!(token.run(|| sleep(Duration::from_secs(60))), Err(Cancelled));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the operation was cancelled")]
pub struct Cancelled;

type Callback = Box<dyn FnOnce() + Send + 'static>;

const LIVE: u32 = 0;
const CANCELLED: u32 = 1;

/// One token of the tree.
struct Node {
    state: AtomicU32,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The parkers of threads parked in a wait that obeys this token.
    parkers: Vec<sys::Arc<Parker>>,
    /// Children. One that nobody else holds and that has nothing to run
    /// on cancel (no callback, no child) is pruned as more come; one with a
    /// callback stays, so that the callback runs even if every handle of
    /// the child was dropped.
    children: Vec<Arc<Node>>,
    /// When to prune `children` next (their count doubles in between).
    prune_at: usize,
    callbacks: Vec<(u64, Callback)>,
    next_callback: u64,
}

impl Node {
    fn new(state: u32) -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU32::new(state),
            inner: Mutex::new(Inner::default()),
        })
    }

    fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) == CANCELLED
    }

    /// Whether a child still matters to its parent: someone holds it, or
    /// something of it must run when it is cancelled.
    fn is_wanted(child: &Arc<Self>) -> bool {
        Arc::strong_count(child) > 1 || {
            let inner = child.inner.lock();
            !inner.callbacks.is_empty() || !inner.children.is_empty()
        }
    }

    /// What token waiters park on.
    fn key(&self) -> Key {
        Key::of(&self.state)
    }
}

impl Drop for Node {
    /// A token dropped before it was cancelled: its callbacks never run,
    /// and each is dropped alone, a panic in its `Drop` reported (a second
    /// one unwinding during the first would abort the process).
    fn drop(&mut self) {
        for (_, callback) in self.inner.get_mut().callbacks.drain(..) {
            crate::drop_reporting(callback, "a cancel callback never run");
        }
    }
}

/// A token that cancels work on any thread: `Clone + Send + Sync`, every
/// clone the same token.
///
/// - [`cancel`](Self::cancel) once, from anywhere; [`is_cancelled`](Self::is_cancelled)
///   ever after.
/// - [`child`](Self::child) tokens are cancelled with their parent (and
///   their own children with them), never the other way round.
/// - [`on_cancel`](Self::on_cancel) runs a callback when it is cancelled;
///   [`wait`](Self::wait) blocks until it is.
/// - A thread obeys one token at a time, its *current* token: every
///   blocking call of pythreading that can report it ends within a moment
///   of that token's cancel, with an outcome distinct from a timeout
///   (`Cancelled`). [`install`](Self::install) makes a token current for a
///   region, [`run`](Self::run) for one call; a thread started with
///   `ThreadBuilder::cancel_token` carries one from its first instruction;
///   every task of an executor has one of its own.
///
/// ```
/// use pythreading_core::{CancellationToken, Thread, sleep};
/// use std::time::Duration;
///
/// let token = CancellationToken::new();
/// let worker = Thread::builder()
///     .cancel_token(token.child())
///     .spawn(|| sleep(Duration::from_secs(3600)))?;
/// token.cancel(); // the child is cancelled with it: the sleep ends now
/// assert!(worker.into_result()?.is_err());
/// # Ok::<(), pythreading_core::ThreadError>(())
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    node: Arc<Node>,
}

impl CancellationToken {
    /// A new token, not cancelled, with no parent.
    pub fn new() -> Self {
        Self {
            node: Node::new(LIVE),
        }
    }

    /// A token cancelled when this one is (at once, if it is already).
    /// Cancelling the child does not cancel its parent.
    pub fn child(&self) -> Self {
        let mut inner = self.node.inner.lock();
        if self.node.is_cancelled() {
            drop(inner);
            return Self {
                node: Node::new(CANCELLED),
            };
        }
        let child = Node::new(LIVE);
        if inner.children.len() >= inner.prune_at {
            // Parent before child is the only order two node locks are
            // ever taken in (a cancel holds one at a time).
            inner.children.retain(Node::is_wanted);
            inner.prune_at = (inner.children.len() * 2).max(8);
        }
        inner.children.push(Arc::clone(&child));
        Self { node: child }
    }

    /// Cancels this token and every token under it: each thread blocked in
    /// a wait that obeys one of them is woken (its call returns
    /// `Cancelled`), threads in [`wait`](Self::wait) return, and the
    /// callbacks run, on this thread, before `cancel` returns (a callback
    /// that panics is reported through the excepthook, and the others
    /// still run). A second call does nothing.
    pub fn cancel(&self) {
        let mut nodes = vec![Arc::clone(&self.node)];
        let mut callbacks = Vec::new();
        while let Some(node) = nodes.pop() {
            if node.state.swap(CANCELLED, Ordering::AcqRel) == CANCELLED {
                continue;
            }
            let woken: Vec<sys::Arc<Parker>> = {
                let mut inner = node.inner.lock();
                nodes.append(&mut inner.children);
                callbacks.extend(inner.callbacks.drain(..).map(|(_, callback)| callback));
                // Marked under the lock: a parker still registered is in
                // its wait (see the module's notes).
                inner
                    .parkers
                    .drain(..)
                    .filter(|parker| parker.cancel())
                    .collect()
            };
            for parker in woken {
                parker.unpark();
            }
            table::unpark_all(node.key());
        }
        for callback in callbacks {
            run_callback(callback);
        }
    }

    /// Whether it was cancelled (itself or through a parent).
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// `Err(Cancelled)` once it is cancelled: a check for `?` in a loop
    /// that blocks on nothing.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Runs `callback` once, when this token is cancelled, on the thread
    /// that cancels it (at once, on this thread, if it is cancelled
    /// already). The handle can take it back before it ran; dropping the
    /// handle leaves it registered.
    pub fn on_cancel(&self, callback: impl FnOnce() + Send + 'static) -> CancelCallback {
        let mut inner = self.node.inner.lock();
        if self.node.is_cancelled() {
            drop(inner);
            run_callback(Box::new(callback));
            return CancelCallback {
                node: Weak::new(),
                id: 0,
            };
        }
        inner.next_callback += 1;
        let id = inner.next_callback;
        inner.callbacks.push((id, Box::new(callback)));
        CancelCallback {
            node: Arc::downgrade(&self.node),
            id,
        }
    }

    /// Blocks until the token is cancelled. It obeys no other token.
    pub fn wait(&self) {
        let _ = self.wait_deadline(Deadline::NEVER);
    }

    /// [`wait`](Self::wait) for at most `timeout`: `true` if the token is
    /// cancelled.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        match Wait::Timeout(timeout).deadline() {
            None => self.is_cancelled(),
            Some(deadline) => self.wait_deadline(deadline),
        }
    }

    fn wait_deadline(&self, deadline: Deadline) -> bool {
        while !self.is_cancelled() {
            let wake = table::park(
                self.node.key(),
                || !self.node.is_cancelled(),
                || {},
                deadline,
            );
            if wake == Wake::TimedOut {
                return self.is_cancelled();
            }
        }
        true
    }

    /// Makes this token the calling thread's current one until the guard
    /// is dropped (then the one before it is current again). Guards must
    /// be dropped in the reverse order of their installs, as scopes are.
    ///
    /// ```
    /// use pythreading_core::{CancellationToken, current_token};
    ///
    /// let token = CancellationToken::new();
    /// {
    ///     let _region = token.install();
    ///     assert_eq!(current_token(), Some(token.clone()));
    /// }
    /// assert_eq!(current_token(), None);
    /// ```
    pub fn install(&self) -> TokenGuard {
        TokenGuard::install(Current::Token(self.clone()))
    }

    /// Runs `f` with this token current (see [`install`](Self::install)).
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.install();
        f()
    }

    /// How many threads are parked right now in a wait that obeys this
    /// token (not its children): a snapshot, for tests that must know a
    /// thread is blocked before they cancel it.
    pub fn parked(&self) -> usize {
        self.node.inner.lock().parkers.len()
    }

    /// Registers `parker` as parked in a wait that obeys this token, or
    /// marks it cancelled at once if the token is.
    pub(crate) fn register<'a>(&'a self, parker: &'a sys::Arc<Parker>) -> Registration<'a> {
        let mut inner = self.node.inner.lock();
        if self.node.is_cancelled() {
            parker.cancel();
        } else {
            inner.parkers.push(sys::Arc::clone(parker));
        }
        Registration {
            node: &self.node,
            parker,
        }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        Self::new()
    }
}

/// Two handles are equal when they are the same token.
impl PartialEq for CancellationToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl Eq for CancellationToken {}

impl std::fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancellationToken")
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// A parker registered with a token while it waits; unregisters on drop.
pub(crate) struct Registration<'a> {
    node: &'a Node,
    parker: &'a sys::Arc<Parker>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut inner = self.node.inner.lock();
        if let Some(at) = inner
            .parkers
            .iter()
            .position(|parker| sys::Arc::ptr_eq(parker, self.parker))
        {
            inner.parkers.swap_remove(at);
        }
    }
}

/// A callback registered with [`CancellationToken::on_cancel`].
#[derive(Debug)]
#[must_use = "dropping the handle leaves the callback registered; let it go with `let _ =` if that is meant"]
pub struct CancelCallback {
    node: Weak<Node>,
    id: u64,
}

impl CancelCallback {
    /// Takes the callback back: `true` if it had not run (it never will),
    /// `false` if it ran or is running.
    pub fn remove(self) -> bool {
        let Some(node) = self.node.upgrade() else {
            return false;
        };
        let callback = {
            let mut inner = node.inner.lock();
            let at = inner.callbacks.iter().position(|(id, _)| *id == self.id);
            at.map(|at| inner.callbacks.remove(at))
        };
        // The user's closure is dropped with no lock held, a panic in its
        // `Drop` reported rather than unwound into the caller.
        callback
            .map(|(_, callback)| crate::drop_reporting(callback, "a cancel callback taken back"))
            .is_some()
    }
}

fn run_callback(callback: Callback) {
    if let Err(report) = crate::catch_panic(callback) {
        crate::excepthook(&report);
    }
}

/// A task's token, made only when something asks for it: the executor's
/// tasks implement it, so that a task nobody cancels or asks costs no
/// token at all. Not public API (see [`wait`](super)).
pub trait TokenSource: Send + Sync {
    /// The token (the same one on every call).
    fn token(&self) -> CancellationToken;
}

/// What a thread's current token is.
enum Current {
    Token(CancellationToken),
    Source(Arc<dyn TokenSource>),
}

impl Current {
    fn token(&self) -> CancellationToken {
        match self {
            Self::Token(token) => token.clone(),
            Self::Source(source) => source.token(),
        }
    }
}

#[cfg(not(loom))]
std::thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

#[cfg(loom)]
loom::thread_local! {
    static CURRENT: RefCell<Option<Current>> = RefCell::new(None);
}

/// The calling thread's current token: the one installed last (by
/// [`CancellationToken::install`], a thread's `cancel_token`, or the task
/// this thread is running), else the process's root token if one was
/// set up (`cancel_on_ctrl_c`), else `None`.
pub fn current_token() -> Option<CancellationToken> {
    CURRENT
        .try_with(|current| current.borrow().as_ref().map(Current::token))
        .ok()
        .flatten()
        .or_else(root)
}

/// Makes `source`'s token the current one until the guard is dropped.
/// Not public API (see [`wait`](super)).
pub fn install_source(source: Arc<dyn TokenSource>) -> TokenGuard {
    TokenGuard::install(Current::Source(source))
}

/// Keeps a token current on this thread; the one before it is current
/// again when it is dropped. Not `Send`: it belongs to its thread.
#[must_use = "the token is current only while the guard lives"]
pub struct TokenGuard {
    previous: Option<Current>,
    _thread: PhantomData<*const ()>,
}

impl TokenGuard {
    fn install(current: Current) -> Self {
        let previous = CURRENT
            .try_with(|slot| slot.borrow_mut().replace(current))
            .ok()
            .flatten();
        Self {
            previous,
            _thread: PhantomData,
        }
    }
}

impl Drop for TokenGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The token that was current is dropped after the borrow ends.
        let _replaced = CURRENT
            .try_with(|slot| std::mem::replace(&mut *slot.borrow_mut(), previous))
            .ok()
            .flatten();
    }
}

impl std::fmt::Debug for TokenGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGuard").finish_non_exhaustive()
    }
}

#[cfg(not(loom))]
static ROOT: std::sync::OnceLock<CancellationToken> = std::sync::OnceLock::new();

/// The process's root token, current on every thread that has none of
/// its own: set once (by `cancel_on_ctrl_c`); the token that is root.
#[cfg(not(loom))]
pub fn set_root(make: impl FnOnce() -> CancellationToken) -> CancellationToken {
    ROOT.get_or_init(make).clone()
}

#[cfg(not(loom))]
fn root() -> Option<CancellationToken> {
    ROOT.get().cloned()
}

#[cfg(loom)]
fn root() -> Option<CancellationToken> {
    None
}

/// A new token for a task that has no parent of its own: a child of the
/// process's root token if there is one, so that the root reaches it too.
/// Not public API (see [`wait`](super)).
pub fn task_token() -> CancellationToken {
    root().map_or_else(CancellationToken::new, |root| root.child())
}
