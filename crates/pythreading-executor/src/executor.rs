//! [`ThreadPoolExecutor`]: Python's `concurrent.futures.ThreadPoolExecutor`.
//!
//! The pool is one unbounded channel of tasks and up to `max_workers`
//! pythreading threads taking from it. As in CPython:
//!
//! - workers start lazily, one per submit, until `max_workers` run; a
//!   worker that found the queue empty leaves an *idle credit*, and a
//!   submit that can take a credit starts no new worker (Python's
//!   `_idle_semaphore`);
//! - workers are non-daemon threads named `{prefix}_{i}`, so
//!   [`pythreading_core::shutdown`] waits for them, after its atexit hook
//!   has shut every live pool down;
//! - a panicking initializer breaks the pool: its queued tasks fail with
//!   [`TaskError::BrokenPool`] and later submits are refused.
//!
//! One mutex (`Control`) orders submits against `shutdown`: a submit either
//! happens before the shutdown (its task runs, or is cancelled by
//! `cancel_futures`) or is refused. It is held for a few nanoseconds per
//! submit. Shutting down drops the channel's sender, so workers run what is
//! queued and then see the channel closed and exit.
//!
//! The tasks a shutdown cancels (or a broken pool fails) are taken from the
//! queue and made done under that mutex, so a second shutdown racing the
//! first returns only once all of them are done; their callbacks and
//! closures, user code, run after it is released. Nothing the pool drops
//! lets a panic out (see [`crate::report`]).

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Weak};

use crossbeam_channel::Sender;
use pythreading_core::{CancellationToken, Thread};

use crate::crew::{self, Crew};
use crate::error::{ExecutorError, TaskError};
use crate::future::Future;
use crate::group::TaskGroup;
use crate::header::{ErrFails, Judge, Plain};
use crate::report::drop_reporting;
use crate::sys::{Ordering, PoolMutex};
use crate::task::{self, Leftovers, Run, TaskCell};
use crate::worker::{self, Served};

/// A task in the queue: its future's cell, seen as something to run.
pub(crate) type Work = Arc<dyn Run>;

type Initializer = Arc<dyn Fn() + Send + Sync + 'static>;

/// What `submit` and `shutdown` agree on under one lock.
struct Control {
    /// `None` once shut down or broken: nothing more can be queued.
    sender: Option<Sender<Work>>,
    /// Why the pool broke, once an initializer panicked.
    broken: Option<String>,
    /// Every worker started, in start order.
    workers: Vec<Thread>,
}

/// The shared part of an executor: what workers and lazy `map`s hold.
pub(crate) struct Pool {
    /// Unique in the process: what the pool's tasks know it by (see
    /// [`crate::worker`]).
    id: u64,
    prefix: String,
    initializer: Option<Initializer>,
    /// The queue's receiving end and the idle credits of the workers.
    crew: Crew<Work>,
    control: PoolMutex<Control>,
    /// Written by workers on every task: kept off the submitters' lines.
    counters: WorkerCounters,
}

/// What workers count as they go, on a cache line of its own.
#[repr(align(128))]
#[derive(Default)]
struct WorkerCounters {
    /// Workers blocked waiting for a task right now.
    waiting: AtomicUsize,
    /// Tasks run to their end (or panic).
    completed: AtomicU64,
}

/// Numbers about a pool at one moment, for logs and dashboards: what
/// rayon users ask for and `concurrent.futures` does not offer.
///
/// ```
/// use pythreading_executor::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2)?;
/// assert_eq!(pool.stats().workers_started, 0); // workers start lazily
/// pool.submit(|| ())?.result().unwrap();
/// let stats = pool.stats();
/// assert_eq!((stats.workers_started, stats.completed_tasks), (1, 1));
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ExecutorStats {
    /// Worker threads started so far (at most `max_workers`).
    pub workers_started: usize,
    /// Workers waiting for a task right now.
    pub idle_workers: usize,
    /// Tasks submitted and not yet taken by a worker (cancelled ones
    /// included until a worker or `shutdown` drops them).
    pub queued_tasks: usize,
    /// Tasks that ran to their end or panicked.
    pub completed_tasks: u64,
}

/// A pool of worker threads running submitted closures and handing back
/// [`Future`]s: Python's `concurrent.futures.ThreadPoolExecutor`.
///
/// Dropping it is Python's `with` block ending: it waits for every
/// submitted task (`shutdown(wait: true, cancel_futures: false)`).
///
/// ```
/// use pythreading_executor::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::builder().max_workers(3).thread_name_prefix("fetch").build()?;
/// let name = pool.submit(|| pythreading_core::current_thread().name())?;
/// assert_eq!(name.result().unwrap(), "fetch_0");
/// let squares: Vec<u64> = pool.map(|n: u64| n * n, 1..=4)?.map(Result::unwrap).collect();
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # Ok::<(), pythreading_executor::ExecutorError>(())
/// ```
pub struct ThreadPoolExecutor {
    pool: Arc<Pool>,
}

/// Configures a [`ThreadPoolExecutor`]: Python's constructor arguments.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ExecutorBuilder {
    max_workers: Option<usize>,
    prefix: Option<String>,
    initializer: Option<Initializer>,
}

impl ExecutorBuilder {
    /// A builder with Python's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `n` worker threads (0 is refused by [`build`](Self::build)).
    /// The default is `min(32, available_parallelism + 4)`, as in Python.
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Workers are named `{prefix}_0`, `{prefix}_1`, … The default prefix
    /// is `ThreadPoolExecutor-{n}`, `n` counting executors from 0.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Runs `f` on each worker when it starts, before its first task
    /// (Python's `initializer`; capture what would be `initargs`). If it
    /// panics the pool breaks: queued tasks fail with
    /// [`TaskError::BrokenPool`] and later submits with
    /// [`ExecutorError::BrokenPool`].
    pub fn initializer(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.initializer = Some(Arc::new(f));
        self
    }

    /// The executor; [`ExecutorError::InvalidMaxWorkers`] for 0 workers.
    /// No thread starts until the first submit.
    pub fn build(self) -> Result<ThreadPoolExecutor, ExecutorError> {
        let max_workers = match self.max_workers {
            Some(0) => return Err(ExecutorError::InvalidMaxWorkers),
            Some(n) => n,
            None => default_max_workers(),
        };
        Ok(self.build_with(max_workers))
    }

    fn build_with(self, max_workers: usize) -> ThreadPoolExecutor {
        let prefix = self.prefix.unwrap_or_else(|| {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            format!(
                "ThreadPoolExecutor-{}",
                COUNTER.fetch_add(1, Ordering::Relaxed)
            )
        });
        let (sender, receiver) = crossbeam_channel::unbounded();
        static POOLS: AtomicU64 = AtomicU64::new(1);
        let pool = Arc::new(Pool {
            id: POOLS.fetch_add(1, Ordering::Relaxed) | task::POOL,
            prefix,
            initializer: self.initializer,
            crew: Crew::new(receiver, max_workers),
            control: PoolMutex::new(Control {
                sender: Some(sender),
                broken: None,
                workers: Vec::new(),
            }),
            counters: WorkerCounters::default(),
        });
        live::register(&pool);
        ThreadPoolExecutor { pool }
    }
}

/// Python's default: `min(32, (os.process_cpu_count() or 1) + 4)`.
fn default_max_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    (cores + 4).min(32)
}

impl ThreadPoolExecutor {
    /// An executor of at most `max_workers` threads;
    /// [`ExecutorError::InvalidMaxWorkers`] for 0.
    pub fn new(max_workers: usize) -> Result<Self, ExecutorError> {
        Self::builder().max_workers(max_workers).build()
    }

    /// A builder, for a name prefix or an initializer.
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::new()
    }

    /// Queues `f` to run on a worker and returns its [`Future`]. Refused
    /// with [`ExecutorError::ShutDown`] after [`shutdown`](Self::shutdown)
    /// and [`ExecutorError::BrokenPool`] once an initializer panicked.
    pub fn submit<T, F>(&self, f: F) -> Result<Future<T>, ExecutorError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.pool.submit::<Plain, _, _>(f, None)
    }

    /// [`submit`](Self::submit) for a task that returns a `Result`: one
    /// that returns `Err` counts as failed for
    /// [`ReturnWhen::FirstException`](crate::ReturnWhen::FirstException),
    /// as a task that raised does in Python, and so does one that panics.
    /// The future holds the task's `Result` as it returned it.
    ///
    /// A plain [`submit`](Self::submit) cannot tell: a future's type says
    /// nothing of whether its value is an error, and stable Rust cannot
    /// look inside a generic value to find out.
    ///
    /// ```
    /// use pythreading_executor::{ReturnWhen, ThreadPoolExecutor, wait};
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let gate = std::sync::Arc::new(std::sync::Barrier::new(2));
    /// let waits = std::sync::Arc::clone(&gate);
    /// let futures = vec![
    ///     pool.submit_fallible(|| "x".parse::<u32>())?, // fails at once
    ///     pool.submit_fallible(move || { waits.wait(); "7".parse::<u32>() })?,
    /// ];
    /// let first = wait(&futures, None, ReturnWhen::FirstException);
    /// assert_eq!((first.done, first.not_done), (vec![0], vec![1]));
    /// gate.wait();
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn submit_fallible<T, E, F>(&self, f: F) -> Result<Future<Result<T, E>>, ExecutorError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        self.pool.submit::<ErrFails, _, _>(f, None)
    }

    /// Opens a [`TaskGroup`] on this executor: tasks that stand or fall
    /// together (the first failure cancels the others), joined as one.
    /// Its token is a child of the calling thread's current token, so a
    /// group opened in a task of another group is cancelled with it.
    pub fn group<T: Send + 'static>(&self) -> TaskGroup<T> {
        TaskGroup::new(Arc::clone(&self.pool))
    }

    /// Stops taking tasks. With `cancel_futures`, cancels every task not
    /// started yet (their futures are done at once, as
    /// [`TaskError::Cancelled`]); the others still run. With `wait` (which
    /// no cancellation token of the calling thread cuts short),
    /// returns once every worker has finished; without, at once while the
    /// work goes on. Calling it again, or from several threads at once, is
    /// harmless: each call returns with every task it or another call
    /// cancelled done.
    ///
    /// The done callbacks of the cancelled futures run on the calling
    /// thread, and their closures are dropped there; a panic in one of them
    /// is reported through the excepthook and the others are still
    /// cancelled.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.pool.shutdown(wait, cancel_futures);
    }

    /// The most worker threads this executor runs.
    pub fn max_workers(&self) -> usize {
        self.pool.crew.max()
    }

    /// The prefix of the workers' names.
    pub fn thread_name_prefix(&self) -> &str {
        &self.pool.prefix
    }

    /// Workers started, idle now, tasks queued and tasks completed.
    pub fn stats(&self) -> ExecutorStats {
        self.pool.stats()
    }

    pub(crate) fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }
}

impl Default for ThreadPoolExecutor {
    /// An executor with Python's default size,
    /// `min(32, available_parallelism + 4)` workers.
    fn default() -> Self {
        ExecutorBuilder::new().build_with(default_max_workers())
    }
}

impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        self.pool.shutdown(true, false);
    }
}

impl Served for Pool {
    fn id(&self) -> u64 {
        self.id
    }

    /// Before the future completes: whoever sees it done also sees it in
    /// `stats().completed_tasks`.
    fn count_completed(&self) {
        self.counters.completed.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        drop_reporting(self.initializer.take(), "the pool's initializer");
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &self.pool.crew.max())
            .field("thread_name_prefix", &self.pool.prefix)
            .field("stats", &self.pool.stats())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ExecutorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.prefix)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}

impl Control {
    /// Why no task may be queued once `sender` is gone.
    fn refusal(&self) -> ExecutorError {
        match &self.broken {
            Some(reason) => ExecutorError::BrokenPool(reason.clone()),
            None => ExecutorError::ShutDown,
        }
    }
}

impl Pool {
    /// `Ok` while the executor takes tasks; else why not.
    pub(crate) fn accepting(&self) -> Result<(), ExecutorError> {
        let control = self.control.lock();
        match control.sender {
            Some(_) => Ok(()),
            None => Err(control.refusal()),
        }
    }

    /// Queues `f`, whose value `V` judges (see [`Judge`]), with `token`
    /// (or one made when asked for).
    pub(crate) fn submit<V, T, F>(
        self: &Arc<Self>,
        f: F,
        token: Option<CancellationToken>,
    ) -> Result<Future<T>, ExecutorError>
    where
        V: Judge<T>,
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let cell = TaskCell::<T, F, V>::new(self.id, f, token);
        self.enqueue(Arc::clone(&cell) as Work)?;
        Ok(Future::from_cell(cell))
    }

    /// Queues `work` and starts a worker for it if no idle one will take
    /// it (a pool that cannot start any thread refuses the task instead of
    /// queueing it for no one).
    fn enqueue(self: &Arc<Self>, work: Work) -> Result<(), ExecutorError> {
        let mut guard = self.control.lock();
        let control = &mut *guard;
        let Some(sender) = &control.sender else {
            return Err(control.refusal());
        };
        let workers = &mut control.workers;
        // A job taken back is a second handle on the cell `submit` still
        // holds: dropping it here drops nothing of the user's.
        self.crew
            .dispatch(sender, workers.len(), work, || self.start_worker(workers))
            .map_err(|(error, _work)| error)
    }

    fn start_worker(self: &Arc<Self>, workers: &mut Vec<Thread>) -> std::io::Result<()> {
        let name = format!("{}_{}", self.prefix, workers.len());
        let pool = Arc::clone(self);
        let worker = Thread::builder()
            .name(name)
            .daemon(false)
            .spawn(move || pool.work())
            .map_err(crew::spawn_error)?;
        workers.push(worker);
        Ok(())
    }

    /// A worker's life: the initializer, then tasks until the channel is
    /// closed and empty.
    fn work(self: Arc<Self>) {
        let _serving = worker::serve(Arc::clone(&self) as Arc<dyn Served>);
        if let Some(initializer) = &self.initializer
            && let Err(report) = pythreading_core::catch_panic(|| initializer())
        {
            pythreading_core::excepthook(&report);
            self.break_pool(format!(
                "A thread initializer failed, the thread pool is not usable anymore: {}",
                report.message
            ));
            return;
        }
        let me = pythreading_core::get_ident();
        self.crew
            .serve(Some(&self.counters.waiting), |work, before_completing| {
                // Counted before the future completes: whoever sees it done
                // also sees it in `stats().completed_tasks`.
                work.run(me, &mut || {
                    self.count_completed();
                    before_completing();
                });
            });
    }

    /// An initializer panicked: refuse new tasks and fail the queued ones.
    fn break_pool(&self, reason: String) {
        let failed = {
            let mut control = self.control.lock();
            control.broken.get_or_insert_with(|| reason.clone());
            self.close(&mut control);
            self.settle_queued(Some(TaskError::BrokenPool(reason)))
        };
        finish_settled(failed);
    }

    pub(crate) fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let (workers, cancelled) = {
            let mut control = self.control.lock();
            self.close(&mut control);
            let cancelled = if cancel_futures {
                self.settle_queued(None)
            } else {
                Vec::new()
            };
            let workers = if wait {
                control.workers.clone()
            } else {
                Vec::new()
            };
            (workers, cancelled)
        };
        finish_settled(cancelled);
        // A shutdown that waits waits whatever the calling thread's token
        // says (the tasks are cancelled through their own tokens): a token
        // of its own, never cancelled, shields the joins.
        let shield = CancellationToken::new();
        let _joins = shield.install();
        for worker in workers {
            // JoinSelf when a task shuts its own pool down: skip ourselves.
            let _ = worker.join();
        }
    }

    /// Stops taking tasks: drops the queue's sender, and wakes the idle
    /// workers to run what is queued and exit.
    fn close(&self, control: &mut Control) {
        control.sender = None;
        self.crew.close();
    }

    /// Takes every queued task and ends it without running it, cancelled
    /// (`error` is `None`) or failed with `error`: called with the control
    /// lock held, it runs no user code; [`finish_settled`] does the rest.
    fn settle_queued(&self, error: Option<TaskError>) -> Vec<(Work, Option<Leftovers>)> {
        self.crew
            .drain()
            .map(|work| {
                let leftovers = work.settle(error.clone());
                (work, leftovers)
            })
            .collect()
    }

    fn stats(&self) -> ExecutorStats {
        ExecutorStats {
            workers_started: self.control.lock().workers.len(),
            idle_workers: self.counters.waiting.load(Ordering::Relaxed),
            queued_tasks: self.crew.queued(),
            completed_tasks: self.counters.completed.load(Ordering::Relaxed),
        }
    }
}

/// Runs the callbacks of tasks ended by [`Pool::settle_queued`] and drops
/// their closures, without the control lock; a panic in either is reported.
fn finish_settled(settled: Vec<(Work, Option<Leftovers>)>) {
    for (work, leftovers) in settled {
        if let Some(leftovers) = leftovers {
            leftovers();
        }
        drop(work);
    }
}

/// Every live pool, for the atexit hook of `pythreading_core::shutdown`.
mod live {
    use super::*;

    struct Live {
        pools: Vec<Weak<Pool>>,
        hooked: bool,
    }

    static LIVE: PoolMutex<Live> = PoolMutex::new(Live {
        pools: Vec::new(),
        hooked: false,
    });

    pub(super) fn register(pool: &Arc<Pool>) {
        let mut live = LIVE.lock();
        live.pools.retain(|pool| pool.strong_count() > 0);
        live.pools.push(Arc::downgrade(pool));
        if !live.hooked {
            live.hooked = true;
            pythreading_core::register_atexit(shutdown_all);
        }
    }

    /// Python's `concurrent.futures.thread._python_exit`: every pool stops
    /// taking tasks and its workers finish what was queued.
    fn shutdown_all() {
        let pools = {
            let mut live = LIVE.lock();
            live.hooked = false;
            std::mem::take(&mut live.pools)
        };
        for pool in pools.iter().filter_map(Weak::upgrade) {
            pool.shutdown(true, false);
        }
    }
}
