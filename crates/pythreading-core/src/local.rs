//! [`Local`]: Python's `threading.local`, data that each thread sees its own
//! copy of.

use std::cell::RefCell;
use std::collections::{HashMap, hash_map};
use std::fmt;
use std::sync::{Arc, OnceLock, Weak};

use crate::excepthook;
use crate::locks::StaticMutex;
use crate::registry::get_ident;

/// Data with one value per thread (Python's `threading.local`).
///
/// Each thread that touches a `Local` gets its own value, made by
/// `T::default()` (or the function given to [`with_init`](Self::with_init))
/// on its first access. A thread's value is dropped when that thread exits;
/// all values are dropped with the `Local`. A value whose `Drop` panics is
/// reported through the [excepthook](crate::set_excepthook) (as Python
/// reports an exception raised in `__del__`) and the other values are
/// dropped all the same: a thread always finishes.
///
/// ```
/// use std::sync::Arc;
/// use pythreading_core::{Local, Thread};
///
/// let counter = Arc::new(Local::<u32>::new());
/// counter.with(|n| *n += 10);
///
/// let c = Arc::clone(&counter);
/// let t = Thread::new(move || c.with(|n| { *n += 1; *n }));
/// t.start().unwrap();
/// assert_eq!(t.into_result().unwrap(), 1); // its own value, from 0
/// assert_eq!(counter.with(|n| *n), 10);    // ours is untouched
/// ```
///
/// [`Local::new`] is a `const fn`, so a `Local` can be a `static`, as a
/// `threading.local()` is often made at the top of a Python module. For a
/// start value other than the type's default in a `static`, give the value
/// a type of its own with that `Default`.
///
/// ```
/// use pythreading_core::{Local, Thread};
///
/// static REQUESTS_SEEN: Local<u32> = Local::new();
///
/// let workers: Vec<Thread<u32>> = (1..=3)
///     .map(|n| Thread::new(move || {
///         for _ in 0..n {
///             REQUESTS_SEEN.with(|seen| *seen += 1);
///         }
///         REQUESTS_SEEN.with(|seen| *seen)
///     }))
///     .collect();
/// for w in &workers {
///     w.start().unwrap();
/// }
/// let counts: Vec<u32> = workers.into_iter().map(|w| w.into_result().unwrap()).collect();
/// assert_eq!(counts, [1, 2, 3]); // each thread counted its own
/// assert_eq!(REQUESTS_SEEN.with(|seen| *seen), 0);
/// ```
pub struct Local<T: Send> {
    init: Init<T>,
    /// Made on first access, so that `new` can be `const`.
    table: OnceLock<Arc<Slots<T>>>,
}

/// How a thread's first value is made.
enum Init<T> {
    Default(fn() -> T),
    With(Box<dyn Fn() -> T + Send + Sync>),
}

/// The values of one `Local`, by thread ident.
struct Slots<T> {
    by_thread: StaticMutex<HashMap<u64, PerThread<T>>>,
}

enum PerThread<T> {
    /// The thread is running the initializer: a use of the `Local` from
    /// inside it is a nested use.
    Initializing,
    Ready(Arc<StaticMutex<T>>),
}

/// Returned by [`Local::try_with`] when the calling thread is already using
/// the same `Local`: inside `with` on it (its value is borrowed mutably
/// there), or inside the initializer making its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this thread's value of the Local is already borrowed (nested with() on the same Local)")]
#[non_exhaustive]
pub struct LocalBorrowError;

impl<T: Send + Default + 'static> Local<T> {
    /// A `Local` whose per-thread values start as `T::default()`. A `const
    /// fn`: usable for a `static`.
    pub const fn new() -> Self {
        Self {
            init: Init::Default(T::default),
            table: OnceLock::new(),
        }
    }
}

impl<T: Send + Default + 'static> Default for Local<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Local<T> {
    /// A `Local` whose per-thread values are made by `init`, called once in
    /// each thread on its first access (like the `__init__` of a Python
    /// `threading.local` subclass). Inside `init`, the same `Local` is
    /// already in use: [`try_with`](Self::try_with) on it returns
    /// [`LocalBorrowError`] and [`with`](Self::with) panics. If `init`
    /// panics, the thread has no value yet and the next access calls it
    /// again.
    pub fn with_init(init: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            init: Init::With(Box::new(init)),
            table: OnceLock::new(),
        }
    }

    /// Runs `f` on the calling thread's value and returns what it returns.
    ///
    /// # Panics
    /// If called inside `f` on the same `Local` (the value is already
    /// borrowed), or inside the `Local`'s initializer, like
    /// `RefCell::borrow_mut`; [`try_with`](Self::try_with) returns an error
    /// instead.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        match self.try_with(f) {
            Ok(value) => value,
            Err(error) => panic!("{error}"),
        }
    }

    /// Like [`with`](Self::with), but a nested use of the same `Local` is
    /// an error rather than a panic.
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Result<R, LocalBorrowError> {
        let slot = self.slot()?;
        let mut value = slot.try_lock().ok_or(LocalBorrowError)?;
        Ok(f(&mut value))
    }

    fn table(&self) -> &Arc<Slots<T>> {
        self.table.get_or_init(|| {
            Arc::new(Slots {
                by_thread: StaticMutex::new(HashMap::new()),
            })
        })
    }

    /// The calling thread's slot, made on first use.
    fn slot(&self) -> Result<Arc<StaticMutex<T>>, LocalBorrowError> {
        let ident = get_ident();
        let table = self.table();
        match table.by_thread.lock().entry(ident) {
            hash_map::Entry::Occupied(entry) => {
                return match entry.get() {
                    PerThread::Ready(slot) => Ok(Arc::clone(slot)),
                    PerThread::Initializing => Err(LocalBorrowError),
                };
            }
            hash_map::Entry::Vacant(entry) => {
                entry.insert(PerThread::Initializing);
            }
        }
        // Run the user's init without holding the table; if it panics, the
        // guard takes the marker away again.
        let guard = InitGuard { table, ident };
        let slot = Arc::new(StaticMutex::new(match &self.init {
            Init::Default(init) => init(),
            Init::With(init) => init(),
        }));
        guard.ready(Arc::clone(&slot));
        let weak: Weak<dyn ThreadSlots> = Arc::downgrade(table) as Weak<dyn ThreadSlots>;
        // A thread whose locals are already being destroyed keeps its value
        // until the Local is dropped.
        let _ = EXIT_CLEANUP.try_with(|cleanup| cleanup.borrow_mut().push(ident, weak));
        Ok(slot)
    }
}

/// Removes a thread's `Initializing` marker unless its value was made.
struct InitGuard<'a, T> {
    table: &'a Slots<T>,
    ident: u64,
}

impl<T> InitGuard<'_, T> {
    fn ready(self, slot: Arc<StaticMutex<T>>) {
        self.table
            .by_thread
            .lock()
            .insert(self.ident, PerThread::Ready(slot));
        std::mem::forget(self);
    }
}

impl<T> Drop for InitGuard<'_, T> {
    fn drop(&mut self) {
        self.table.by_thread.lock().remove(&self.ident);
    }
}

impl<T: Send> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let threads = self
            .table
            .get()
            .map_or(0, |table| table.by_thread.lock().len());
        f.debug_struct("Local")
            .field("threads", &threads)
            .finish_non_exhaustive()
    }
}

impl<T> Drop for Slots<T> {
    fn drop(&mut self) {
        // One value's panicking Drop must not leak (or abort on) the others.
        for (_, value) in std::mem::take(self.by_thread.get_mut()) {
            excepthook::drop_reporting(value, LOCAL_DROP);
        }
    }
}

/// How the excepthook names a panic raised by a value's `Drop`.
const LOCAL_DROP: &str = "a Local value";

/// Type-erased access to a `Local`'s table, for the exit cleanup.
trait ThreadSlots: Send + Sync {
    fn remove_thread(&self, ident: u64);
}

impl<T: Send> ThreadSlots for Slots<T> {
    fn remove_thread(&self, ident: u64) {
        let value = self.by_thread.lock().remove(&ident);
        // Dropped outside the table's lock: T::drop may touch this Local.
        excepthook::drop_reporting(value, LOCAL_DROP);
    }
}

/// The `Local`s a thread has values in; drops those values when the thread exits.
#[derive(Default)]
struct ExitCleanup {
    ident: u64,
    locals: Vec<Weak<dyn ThreadSlots>>,
}

impl ExitCleanup {
    fn push(&mut self, ident: u64, local: Weak<dyn ThreadSlots>) {
        self.ident = ident;
        // Forget Locals that were dropped meanwhile, so the list stays short.
        self.locals.retain(|l| l.strong_count() > 0);
        self.locals.push(local);
    }
}

impl Drop for ExitCleanup {
    /// Runs at a thread's finish or as a thread-local destructor, where a
    /// panic would keep `join()` waiting or abort the process: every value
    /// goes through `drop_reporting`, which catches and reports.
    fn drop(&mut self) {
        for local in self.locals.drain(..) {
            if let Some(local) = local.upgrade() {
                local.remove_thread(self.ident);
            }
        }
    }
}

/// Drops the calling thread's values in every `Local` now, rather than when
/// its thread-locals are destroyed: a started thread calls this as it
/// finishes, so that `join()` returning means its values are gone, as in
/// Python. Never panics: a panicking value is reported.
pub(crate) fn drop_current_thread_values() {
    let cleanup = EXIT_CLEANUP.try_with(|cleanup| std::mem::take(&mut *cleanup.borrow_mut()));
    // Dropping it removes the values (outside the RefCell's borrow, in case a
    // value's Drop touches a Local again).
    drop(cleanup);
}

thread_local! {
    static EXIT_CLEANUP: RefCell<ExitCleanup> = RefCell::new(ExitCleanup::default());
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops in `DROPS[N]`: a counter for each test.
    #[derive(Default)]
    struct Counted<const N: usize>(u32);

    static DROPS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

    impl<const N: usize> Drop for Counted<N> {
        fn drop(&mut self) {
            DROPS[N].fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn bounds() {
        fn send_sync<X: Send + Sync>() {}
        send_sync::<Local<u32>>();
        send_sync::<Local<std::cell::Cell<u32>>>();
    }

    #[test]
    fn values_are_per_thread_and_dropped_at_thread_exit() {
        let local = Arc::new(Local::<Counted<0>>::new());
        local.with(|c| c.0 = 5);
        let other = Arc::clone(&local);
        std::thread::spawn(move || {
            other.with(|c| {
                assert_eq!(c.0, 0);
                c.0 = 9;
            });
        })
        .join()
        .unwrap();
        assert_eq!(
            DROPS[0].load(Ordering::SeqCst),
            1,
            "the exited thread's value is dropped"
        );
        assert_eq!(local.with(|c| c.0), 5);
        drop(local);
        assert_eq!(
            DROPS[0].load(Ordering::SeqCst),
            2,
            "ours goes with the Local"
        );
    }

    #[test]
    fn with_init_runs_once_per_thread() {
        static INITS: AtomicUsize = AtomicUsize::new(0);
        let local = Local::with_init(|| {
            INITS.fetch_add(1, Ordering::SeqCst);
            7
        });
        assert_eq!(local.with(|v| *v), 7);
        local.with(|v| *v += 1);
        assert_eq!(local.with(|v| *v), 8);
        assert_eq!(INITS.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn init_using_its_own_local_gets_the_borrow_error() {
        static SELF_READING: OnceLock<Local<Option<Result<u8, LocalBorrowError>>>> =
            OnceLock::new();
        let local = SELF_READING
            .get_or_init(|| Local::with_init(|| Some(SELF_READING.get().unwrap().try_with(|_| 1))));
        assert_eq!(local.with(|v| v.clone()), Some(Err(LocalBorrowError)));

        // Through another Local's init too (a cycle of initializers).
        static FIRST: OnceLock<Local<u8>> = OnceLock::new();
        static SECOND: OnceLock<Local<u8>> = OnceLock::new();
        let first = FIRST.get_or_init(|| Local::with_init(|| SECOND.get().unwrap().with(|v| *v)));
        SECOND.get_or_init(|| {
            Local::with_init(|| match FIRST.get().unwrap().try_with(|v| *v) {
                Err(LocalBorrowError) => 9,
                Ok(_) => 0,
            })
        });
        assert_eq!(first.with(|v| *v), 9);
    }

    #[test]
    fn init_panicking_or_using_with_leaves_no_value_behind() {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        static LOCAL: OnceLock<Local<u32>> = OnceLock::new();
        let local = LOCAL.get_or_init(|| {
            Local::with_init(|| match CALLS.fetch_add(1, Ordering::SeqCst) {
                // `with` inside the init panics, as a nested with() does.
                0 => LOCAL.get().unwrap().with(|v| *v),
                _ => 5,
            })
        });
        let nested = crate::catch_panic(|| local.with(|v| *v)).unwrap_err();
        assert_eq!(nested.message, LocalBorrowError.to_string());
        // No half-made value is left: the next access runs init again.
        assert_eq!(local.try_with(|v| *v), Ok(5));
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_static_local_drops_each_threads_value_at_its_exit() {
        static PER_THREAD: Local<Counted<1>> = Local::new();
        let threads: Vec<crate::Thread<u32>> = (1..=4)
            .map(|n| {
                crate::Thread::new(move || {
                    PER_THREAD.with(|c| c.0 += n);
                    PER_THREAD.with(|c| c.0)
                })
            })
            .collect();
        for t in &threads {
            t.start().unwrap();
        }
        let seen: Vec<u32> = threads
            .into_iter()
            .map(|t| t.into_result().unwrap())
            .collect();
        assert_eq!(seen, [1, 2, 3, 4]);
        assert_eq!(
            DROPS[1].load(Ordering::SeqCst),
            4,
            "each at its thread's exit"
        );
        assert_eq!(PER_THREAD.with(|c| c.0), 0);
    }

    #[test]
    fn nested_access_is_an_error_not_a_deadlock() {
        let local = Local::<u8>::new();
        let nested = local.with(|_| local.try_with(|_| ()));
        assert_eq!(nested, Err(LocalBorrowError));
        let other = Local::<u8>::new();
        assert_eq!(
            local.with(|_| other.with(|v| *v)),
            0,
            "other Locals are fine"
        );
    }
}
