//! [`ThreadPoolExecutor::scope`]: tasks that borrow from the caller's stack.
//!
//! A task handed to the pool's long-lived workers must own what it uses
//! (`'static`), since nothing stops the caller from returning while it runs.
//! A scope lifts that: it does not return before every task submitted
//! through it is done, so its tasks may borrow. Handing a borrowing task to
//! a long-lived worker would take `unsafe` code, which this crate forbids;
//! so a scope runs its tasks on threads of its own (at most the executor's
//! `max_workers`, started lazily and reused the same way, named
//! `{prefix}_scope_{i}`), built on [`std::thread::scope`].
//!
//! As on the pool's workers, nothing a scope's thread drops lets a panic
//! out (a result nobody took, a cancelled task's closure): it is reported
//! through the excepthook, so the scope never fails with "a scoped thread
//! panicked".

use std::fmt;
use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::crew::{self, Crew};
use crate::error::ExecutorError;
use crate::executor::ThreadPoolExecutor;
use crate::future::Future;
use crate::header::{ErrFails, Header, Judge, Plain};
use crate::report::drop_reporting;
use crate::sys::PoolMutex;

/// A scoped task: runs, calls its argument, then completes its future.
type Job<'scope> = Box<dyn FnOnce(&mut dyn FnMut()) + Send + 'scope>;

/// The handle a [`ThreadPoolExecutor::scope`] closure submits through.
pub struct Scope<'scope, 'env> {
    threads: &'scope std::thread::Scope<'scope, 'env>,
    executor: &'scope ThreadPoolExecutor,
    /// The sender (`None` once the scope closes) and the threads started.
    control: PoolMutex<(Option<Sender<Job<'scope>>>, usize)>,
    crew: Arc<Crew<Job<'scope>>>,
}

impl ThreadPoolExecutor {
    /// Runs `f` with a [`Scope`] whose tasks may borrow from the caller's
    /// stack, and returns once every one of them is done (then `f`'s
    /// value). At most [`max_workers`](Self::max_workers) of them run at
    /// once.
    ///
    /// ```
    /// use pythreading_executor::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let words = vec!["alpha", "beta", "gamma"];
    /// let mut lengths = vec![0; words.len()];
    /// pool.scope(|s| {
    ///     for (word, length) in words.iter().zip(lengths.iter_mut()) {
    ///         let _ = s.submit(move || *length = word.len()).unwrap();
    ///     }
    /// });
    /// assert_eq!(lengths, [5, 4, 5]);
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn scope<'env, R>(&'env self, f: impl for<'scope> FnOnce(&Scope<'scope, 'env>) -> R) -> R {
        std::thread::scope(|threads| {
            let (sender, receiver) = crossbeam_channel::unbounded();
            let scope = Scope {
                threads,
                executor: self,
                control: PoolMutex::new((Some(sender), 0)),
                crew: Arc::new(Crew::new(receiver, self.max_workers())),
            };
            // Dropping the scope closes its queue, also if `f` panics: its
            // threads run what is left and exit, and std::thread::scope
            // joins them before returning.
            f(&scope)
        })
    }
}

impl<'scope> Scope<'scope, '_> {
    /// Queues `f` (which may borrow anything that outlives the scope) and
    /// returns its [`Future`]. Refused with [`ExecutorError::ShutDown`] or
    /// [`ExecutorError::BrokenPool`] as [`ThreadPoolExecutor::submit`] is,
    /// and with [`ExecutorError::Spawn`] if no thread could be started to
    /// run it.
    pub fn submit<T, F>(&self, f: F) -> Result<Future<T>, ExecutorError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'scope,
    {
        self.submit_judged::<Plain, _, _>(f)
    }

    /// [`submit`](Self::submit) for a task that returns a `Result`: one
    /// that returns `Err` counts as failed for
    /// [`ReturnWhen::FirstException`](crate::ReturnWhen::FirstException),
    /// as with [`ThreadPoolExecutor::submit_fallible`].
    pub fn submit_fallible<T, E, F>(&self, f: F) -> Result<Future<Result<T, E>>, ExecutorError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce() -> Result<T, E> + Send + 'scope,
    {
        self.submit_judged::<ErrFails, _, _>(f)
    }

    /// Queues `f`, whose value `V` judges (see [`Judge`]).
    fn submit_judged<V, T, F>(&self, f: F) -> Result<Future<T>, ExecutorError>
    where
        V: Judge<T>,
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'scope,
    {
        self.executor.pool().accepting()?;
        let header = Arc::new(Header::new());
        let job: Job<'scope> = {
            let header = Arc::clone(&header);
            Box::new(move |before_completing| {
                let source = Arc::clone(&header) as Arc<dyn pythreading_core::wait::TokenSource>;
                let _token = pythreading_core::wait::install_source(source);
                header.run::<V>(f, before_completing);
            })
        };
        let mut control = self.control.lock();
        let (Some(sender), started) = &mut *control else {
            return Err(ExecutorError::ShutDown);
        };
        let running = *started;
        let dispatched = self.crew.dispatch(sender, running, job, || {
            self.start_thread(running)?;
            *started += 1;
            Ok(())
        });
        drop(control);
        if let Err((error, job)) = dispatched {
            // The job holds the user's closure: dropped with no lock held.
            drop_reporting(job, "a task never run");
            return Err(error);
        }
        Ok(Future::from_cell(header))
    }

    fn start_thread(&self, index: usize) -> std::io::Result<()> {
        let crew = Arc::clone(&self.crew);
        // A pythreading thread, named as CPython would name a pool's
        // worker: what its tasks see as `current_thread()`, and the name
        // reports give.
        pythreading_core::Thread::builder()
            .name(format!(
                "{}_scope_{index}",
                self.executor.thread_name_prefix()
            ))
            .daemon(false)
            .spawn_scoped(self.threads, move || {
                crew.serve(None, |job, before_completing| job(before_completing));
            })
            .map_err(crew::spawn_error)?;
        Ok(())
    }
}

impl Drop for Scope<'_, '_> {
    fn drop(&mut self) {
        self.control.get_mut().0 = None;
        self.crew.close();
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("threads_started", &self.control.lock().1)
            .field("queued", &self.crew.queued())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use crate::ThreadPoolExecutor;

    /// Generous: the machine running the tests may be slow and shared.
    const PATIENCE: Duration = Duration::from_secs(30);

    /// A scope's closure that panics while the scope's thread is parked
    /// idle still lets the scope end: dropping the scope wakes the thread
    /// to find the queue closed, and the panic leaves `scope`.
    #[test]
    fn a_panicking_scope_wakes_its_idle_threads() {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let pool = ThreadPoolExecutor::new(1).unwrap();
            let caught = pythreading_core::catch_panic(|| {
                pool.scope(|s| {
                    s.submit(|| ()).unwrap().result().unwrap();
                    let start = Instant::now();
                    while s.crew.parked() != 1 {
                        assert!(start.elapsed() < PATIENCE, "the thread never parked");
                        std::thread::yield_now();
                    }
                    panic!("the scope's closure panics");
                })
            });
            let _ = tx.send(caught.map_err(|report| report.message));
        });
        let outcome = rx
            .recv_timeout(PATIENCE)
            .expect("the scope never returned: its idle thread was not woken");
        assert_eq!(outcome, Err("the scope's closure panics".to_string()));
    }
}
