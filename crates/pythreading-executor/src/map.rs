//! [`ThreadPoolExecutor::map`] and [`ThreadPoolExecutor::map_with`]:
//! Python's `Executor.map`, with its 3.14 `buffersize` and the `chunksize`
//! of its process pool.
//!
//! The results wait in *batches*: a task per item, or with a `chunksize`
//! a task per chunk of items, which runs `f` on each item in turn (each
//! item's panic caught on its own) and hands back the chunk's results,
//! yielded then one by one, in input order.

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::time::Duration;

use pythreading_core::ExceptHookArgs;
use pythreading_core::wait::{Deadline, Wait};

use crate::error::{ExecutorError, TaskError};
use crate::executor::{Pool, ThreadPoolExecutor};
use crate::future::{Future, Waited};
use crate::header::Plain;
use crate::report::{self, DropEach, drop_reporting};

/// Python's keyword arguments of `Executor.map`: a `timeout`, (new in
/// Python 3.14) a `buffersize`, and the `chunksize` of its
/// `ProcessPoolExecutor.map` (which its thread pool accepts and ignores;
/// here it batches the items).
///
/// ```
/// use std::time::Duration;
/// use pythreading_executor::MapOptions;
///
/// let options = MapOptions::new().timeout(Duration::from_secs(5)).buffersize(8).chunksize(64);
/// assert_eq!(options.get_buffersize(), Some(8));
/// assert_eq!(options.get_chunksize(), Some(64));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub struct MapOptions {
    timeout: Option<Duration>,
    buffersize: Option<usize>,
    chunksize: Option<usize>,
}

impl MapOptions {
    /// No timeout, every item submitted at once: what [`ThreadPoolExecutor::map`] does.
    pub fn new() -> Self {
        Self::default()
    }

    /// The results must all be there within `timeout` of the call; past it
    /// the iterator yields `Err(TaskError::Timeout)` once, cancels what has
    /// not started, and ends.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Consumes the input lazily (it may be endless): `n` items are
    /// submitted at the call, and one more each time a result is asked
    /// for, just before waiting for it (as in Python 3.14). So at most `n`
    /// tasks are submitted beyond the results taken, and `n + 1` while
    /// [`next`](Iterator::next) waits. 0 is refused with
    /// [`ExecutorError::InvalidBufferSize`].
    ///
    /// An input that panics while `next` pulls an item from it: see
    /// [`ThreadPoolExecutor::map_with`].
    pub fn buffersize(mut self, n: usize) -> Self {
        self.buffersize = Some(n);
        self
    }

    /// Hands the items to the workers `n` at a time: each task runs `f` on
    /// a chunk of `n` items (the last one may be shorter), so a cheap `f`
    /// over many items pays for one task per chunk instead of one per
    /// item. The results still come one by one, in input order, each
    /// item's own: a panic in `f` fails its item alone. With a
    /// [`buffersize`](Self::buffersize), that many chunks are in flight.
    /// 0 is refused with [`ExecutorError::InvalidChunkSize`]; 1 is the
    /// same as none.
    ///
    /// ```
    /// use pythreading_executor::{MapOptions, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let options = MapOptions::new().chunksize(1000);
    /// let squares = pool.map_with(|n: u64| n * n, 0..10_000, options)?;
    /// let total: u64 = squares.map(Result::unwrap).sum();
    /// assert_eq!(total, (0..10_000u64).map(|n| n * n).sum());
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn chunksize(mut self, n: usize) -> Self {
        self.chunksize = Some(n);
        self
    }

    /// The chunk size set, if any.
    pub fn get_chunksize(&self) -> Option<usize> {
        self.chunksize
    }

    /// The timeout set, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The buffer size set, if any.
    pub fn get_buffersize(&self) -> Option<usize> {
        self.buffersize
    }
}

/// Submits the next batch of the input, or says there is none.
type Refill<T> = Box<dyn FnMut() -> Option<Result<Batch<T>, ExecutorError>> + Send>;

/// What a map waits on for its next results.
enum Batch<T> {
    /// One item's task.
    One(Future<T>),
    /// A chunk's task, and how many items the chunk holds.
    Chunk(Future<Chunk<T>>, usize),
}

/// The results of a chunk's items: the values in input order, and the
/// panics of the items that have none, each with the count of values
/// between it and the panic before it (or the chunk's start). Apart, so
/// that a chunk of `u64` results takes 8 bytes per item, not the 16 of a
/// `Result<u64, Unread>`, and yielding a value is one comparison more
/// than reading it.
pub(crate) struct Chunk<T> {
    values: DropEach<T>,
    panics: Vec<(usize, Unread)>,
}

impl<T> Batch<T> {
    fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Chunk(_, len) => *len,
        }
    }

    fn cancel(&self) {
        match self {
            Self::One(future) => future.cancel(),
            Self::Chunk(future, _) => future.cancel(),
        };
    }

    fn block(&self, wait: Wait) -> Waited {
        match self {
            Self::One(future) => future.block(wait, true),
            Self::Chunk(future, _) => future.block(wait, true),
        }
    }
}

/// The panic of one item of a chunk: reported through the excepthook if
/// it is dropped unread, as a future's panic is.
///
/// Boxed: a chunk holds one result per item, and the report is large.
pub(crate) struct Unread(Option<Box<ExceptHookArgs>>);

impl Unread {
    /// The panic, read: it will not be reported.
    #[cold]
    fn read(mut self) -> TaskError {
        let message = self.0.take().map(|report| report.message);
        TaskError::Panicked(message.unwrap_or_default())
    }
}

impl Drop for Unread {
    fn drop(&mut self) {
        if let Some(report) = self.0.take() {
            report::unread_panic(*report);
        }
    }
}

/// Submits the next batch of `items` to `pool`: a task for the next item,
/// or with a `chunksize` one for the next chunk. `None` once the input is
/// over.
fn next_batch<It, F, T>(
    pool: &Arc<Pool>,
    f: &Arc<F>,
    items: &mut It,
    chunksize: Option<usize>,
) -> Option<Result<Batch<T>, ExecutorError>>
where
    It: Iterator,
    It::Item: Send + 'static,
    F: Fn(It::Item) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let f = Arc::clone(f);
    match chunksize {
        None | Some(1) => {
            let item = items.next()?;
            Some(
                pool.submit::<Plain, _, _>(move || f(item), None)
                    .map(Batch::One),
            )
        }
        Some(size) => {
            let chunk: Vec<It::Item> = items.by_ref().take(size).collect();
            if chunk.is_empty() {
                return None;
            }
            let len = chunk.len();
            // A chunk cancelled or never run drops its items with the task,
            // each in a catch.
            let chunk = DropEach::new(chunk, "an item of a map");
            let run = move || {
                // One catch per run of items that do not panic, not one
                // per item: a panic ends the run at its item, which gets
                // the panic, and the next run starts after it.
                let mut values = Vec::with_capacity(len);
                let mut panics = Vec::new();
                let mut values_at_last_panic = 0;
                let mut items = chunk;
                loop {
                    let run = pythreading_core::catch_panic(|| {
                        for item in items.by_ref() {
                            values.push(f(item));
                        }
                    });
                    match run {
                        Ok(()) => {
                            break Chunk {
                                values: DropEach::new(values, "a task's result"),
                                panics,
                            };
                        }
                        Err(report) => {
                            let gap = values.len() - values_at_last_panic;
                            values_at_last_panic = values.len();
                            panics.push((gap, Unread(Some(Box::new(report)))));
                        }
                    }
                }
            };
            Some(
                pool.submit::<Plain, _, _>(run, None)
                    .map(|future| Batch::Chunk(future, len)),
            )
        }
    }
}

/// Every batch of `items`, submitted now.
fn submit_all<It, F, T>(
    pool: &Arc<Pool>,
    f: &Arc<F>,
    mut items: It,
    chunksize: Option<usize>,
) -> Result<VecDeque<Batch<T>>, ExecutorError>
where
    It: Iterator,
    It::Item: Send + 'static,
    F: Fn(It::Item) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    std::iter::from_fn(|| next_batch(pool, f, &mut items, chunksize)).collect()
}

impl ThreadPoolExecutor {
    /// Runs `f` on every item, all submitted at once, and yields the
    /// results in input order: Python's `executor.map(f, items)`.
    ///
    /// A task that panicked yields `Err(TaskError::Panicked)` in its place
    /// and the others still come (Python would stop at the first
    /// exception). As with Python's generator, dropping the iterator once a
    /// result was taken cancels the tasks not started; dropping it before
    /// that leaves every task to run (fire and forget). Refused with
    /// [`ExecutorError::ShutDown`] or [`ExecutorError::BrokenPool`] if an
    /// item cannot be submitted (those submitted before it still run).
    ///
    /// If `items` panics, the panic leaves `map` itself (as Python's
    /// exception leaves `executor.map`, which consumes its input at once)
    /// and the tasks submitted before it still run; a panic among them,
    /// which nobody can read any more, is reported through the excepthook.
    ///
    /// ```
    /// use pythreading_executor::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(3)?;
    /// let lengths: Vec<usize> = pool.map(|word: &str| word.len(), ["a", "bb", "ccc"])?
    ///     .collect::<Result<_, _>>()
    ///     .unwrap();
    /// assert_eq!(lengths, [1, 2, 3]);
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn map<I, F, T>(&self, f: F, items: I) -> Result<MapResults<T>, ExecutorError>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let pending = submit_all(self.pool(), &Arc::new(f), items.into_iter(), None)?;
        Ok(MapResults::new(pending, None, Deadline::NEVER))
    }

    /// [`map`](Self::map) with Python's keyword arguments: a timeout
    /// counted from this call, and a `buffersize` bounding the tasks in
    /// flight so that a huge or endless input is consumed lazily.
    ///
    /// With a buffer, an item that cannot be submitted later (the executor
    /// was shut down or broke) yields `Err(TaskError::NotSubmitted)` in
    /// its place after the earlier results, and the iterator ends.
    ///
    /// With a buffer, the input is pulled from inside
    /// [`next`](Iterator::next), one item before each result is taken. If
    /// it panics there, the panic leaves that call to `next` before it
    /// takes any result (as Python 3.14's exception leaves its results
    /// iterator after the results already yielded), and nothing is lost:
    /// the input is dropped and pulled no more, and calling `next` again
    /// yields the results of the items submitted before the panic, in
    /// order, then `None`. A panic while the first `buffersize` items are
    /// pulled leaves `map_with` itself, as with [`map`](Self::map).
    ///
    /// ```
    /// use pythreading_executor::{MapOptions, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let items = (1..).map(|n: u32| if n == 4 { panic!("bad input") } else { n });
    /// let mut tens = pool.map_with(|n| n * 10, items, MapOptions::new().buffersize(2))?;
    /// assert_eq!(tens.next(), Some(Ok(10))); // pulls 3
    /// let panicked = pythreading_core::catch_panic(|| tens.next()).unwrap_err(); // pulls 4
    /// assert_eq!(panicked.message, "bad input");
    /// assert_eq!(tens.collect::<Vec<_>>(), [Ok(20), Ok(30)]);
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    ///
    /// ```
    /// use pythreading_executor::{MapOptions, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// // An endless input: only 4 tasks are ever in flight.
    /// let first: Vec<u64> = pool
    ///     .map_with(|n: u64| n * 2, 0.., MapOptions::new().buffersize(4))?
    ///     .take(5)
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(first, [0, 2, 4, 6, 8]);
    /// # Ok::<(), pythreading_executor::ExecutorError>(())
    /// ```
    pub fn map_with<I, F, T>(
        &self,
        f: F,
        items: I,
        options: MapOptions,
    ) -> Result<MapResults<T>, ExecutorError>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let deadline = Deadline::from_timeout(options.timeout);
        let chunksize = options.chunksize;
        if chunksize == Some(0) {
            return Err(ExecutorError::InvalidChunkSize);
        }
        let f = Arc::new(f);
        let mut items = items.into_iter();
        let Some(buffersize) = options.buffersize else {
            let pending = submit_all(self.pool(), &f, items, chunksize)?;
            return Ok(MapResults::new(pending, None, deadline));
        };
        if buffersize == 0 {
            return Err(ExecutorError::InvalidBufferSize);
        }
        let pool = Arc::clone(self.pool());
        let mut pending = VecDeque::new();
        for _ in 0..buffersize {
            match next_batch(&pool, &f, &mut items, chunksize) {
                Some(batch) => pending.push_back(batch?),
                None => break,
            }
        }
        let refill: Refill<T> = Box::new(move || next_batch(&pool, &f, &mut items, chunksize));
        Ok(MapResults::new(pending, Some(refill), deadline))
    }
}

/// The results of [`ThreadPoolExecutor::map`], in input order: `Ok(value)`
/// or why there is none. Waiting happens in [`next`](Iterator::next).
///
/// Dropped after its first result was taken, it cancels the tasks that
/// have not started (Python closes its generator the same way); dropped
/// before, it leaves them all to run, and a buffered map submits no more.
/// The results it drops are dropped as a dropped [`Future`] drops them (a
/// panic nobody read, or one in a value's `Drop`, is reported through the
/// excepthook), and so is a buffered map's input.
#[must_use = "the results of the tasks, panics included, are lost unless read"]
pub struct MapResults<T> {
    pending: VecDeque<Batch<T>>,
    /// The values of the chunk being yielded.
    current: DropEach<T>,
    /// The panics of the chunk being yielded, each after the count of
    /// values before it (see [`Chunk`]).
    panics: std::vec::IntoIter<(usize, Unread)>,
    /// How many values of `current` come before its next panic:
    /// `usize::MAX` when no panic is left.
    until_panic: usize,
    /// A chunk that ended without results (cancelled, failed): its error,
    /// and how many of its items are still to yield it.
    repeat: Option<(TaskError, usize)>,
    refill: Option<Refill<T>>,
    deadline: Deadline,
    /// Why the next lazily submitted item could not be: yielded after the
    /// results before it.
    not_submitted: Option<TaskError>,
    /// Whether a result was asked for: only then does dropping cancel.
    started: bool,
    ended: bool,
}

impl<T> MapResults<T> {
    fn new(pending: VecDeque<Batch<T>>, refill: Option<Refill<T>>, deadline: Deadline) -> Self {
        Self {
            pending,
            current: DropEach::new(Vec::new(), "a task's result"),
            panics: Vec::new().into_iter(),
            until_panic: usize::MAX,
            repeat: None,
            refill,
            deadline,
            not_submitted: None,
            started: false,
            ended: false,
        }
    }

    /// Submits one more item of a buffered map. A panic of the input
    /// leaves here, with the input dropped and every result in place.
    fn refill(&mut self) {
        let Some(refill) = self.refill.as_mut() else {
            return;
        };
        match catch_unwind(AssertUnwindSafe(refill)) {
            Ok(Some(Ok(batch))) => self.pending.push_back(batch),
            Ok(Some(Err(error))) => {
                self.not_submitted = Some(error.into());
                self.stop_refilling();
            }
            Ok(None) => self.stop_refilling(),
            Err(panic) => {
                self.stop_refilling();
                resume_unwind(panic);
            }
        }
    }

    /// Drops a buffered map's input (a panic in its `Drop` is reported).
    fn stop_refilling(&mut self) {
        if let Some(refill) = self.refill.take() {
            drop_reporting(refill, "a map's input");
        }
    }

    fn cancel_pending(&mut self) {
        for batch in self.pending.drain(..) {
            batch.cancel();
        }
        self.stop_refilling();
    }

    /// A batch of `len` items ended with `error`: yielded for each.
    fn failed(&mut self, error: TaskError, len: usize) -> Option<Result<T, TaskError>> {
        if len > 1 {
            self.repeat = Some((error.clone(), len - 1));
        }
        Some(Err(error))
    }

    /// How many results are still to come, a timeout aside.
    fn left(&self) -> usize {
        let repeated = self.repeat.as_ref().map_or(0, |(_, left)| *left);
        let batched: usize = self.pending.iter().map(Batch::len).sum();
        self.current.len() + self.panics.len() + repeated + batched
    }

    /// Yields the chunk `chunk`, whose first result is returned.
    fn start_chunk(&mut self, chunk: Chunk<T>) -> Option<Result<T, TaskError>> {
        self.current = chunk.values;
        self.panics = chunk.panics.into_iter();
        self.until_panic = self.next_gap();
        self.next()
    }

    /// The values before the next panic of the chunk in hand.
    fn next_gap(&self) -> usize {
        self.panics
            .as_slice()
            .first()
            .map_or(usize::MAX, |(gap, _)| *gap)
    }

    /// The next result of the chunk in hand is a panic: yields it.
    #[cold]
    fn next_panic(&mut self) -> Option<Result<T, TaskError>> {
        let (_, panic) = self.panics.next()?;
        self.until_panic = self.next_gap();
        Some(Err(panic.read()))
    }
}

impl<T> Iterator for MapResults<T> {
    type Item = Result<T, TaskError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // The results of a chunk are there already: a chunked map's every
        // result but one per chunk comes this way. Only `next` fills
        // `current` (so a result was asked for), and never once ended.
        if self.until_panic == 0 {
            return self.next_panic();
        }
        match self.current.next() {
            Some(value) => {
                self.until_panic -= 1;
                Some(Ok(value))
            }
            None => self.next_batch(),
        }
    }

    /// Exact without a timeout or a buffer, so that `collect` allocates
    /// once: each item yields one result (a cancelled or failed batch
    /// yields its error once per item). A timeout may end the map early;
    /// a buffered map's input may be endless.
    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.ended {
            (0, Some(0))
        } else if self.refill.is_some() {
            (self.left(), None)
        } else if self.deadline.is_never() {
            (self.left(), Some(self.left()))
        } else {
            // What is in hand comes whatever the clock says; a batch still
            // waited for yields its results or the one timeout error.
            let in_hand = self.left() - self.pending.iter().map(Batch::len).sum::<usize>();
            let waited = usize::from(!self.pending.is_empty());
            (in_hand + waited, Some(self.left()))
        }
    }
}

impl<T> MapResults<T> {
    /// [`next`](Iterator::next) once the chunk in hand is used up: the
    /// next batch's results. Kept out of line, so that `next` stays small
    /// enough to be inlined into the caller's loop.
    #[inline(never)]
    fn next_batch(&mut self) -> Option<Result<T, TaskError>> {
        if self.ended {
            return None;
        }
        self.started = true;
        if let Some((error, left)) = &mut self.repeat {
            let error = error.clone();
            *left -= 1;
            if *left == 0 {
                self.repeat = None;
            }
            return Some(Err(error));
        }
        if self.pending.is_empty() {
            self.ended = true;
            self.stop_refilling();
            return self.not_submitted.take().map(Err);
        }
        // Before the front result is taken: should the input panic, the
        // panic leaves with that result still first in line.
        self.refill();
        let batch = self.pending.pop_front()?;
        match batch.block(Wait::Until(self.deadline)) {
            Waited::Done => match batch {
                Batch::One(future) => Some(future.result()),
                Batch::Chunk(future, len) => match future.result() {
                    Ok(chunk) => self.start_chunk(chunk),
                    Err(error) => self.failed(error, len),
                },
            },
            // A cancelled wait ends the map as its timeout does.
            ended @ (Waited::TimedOut | Waited::Cancelled) => {
                batch.cancel();
                self.cancel_pending();
                self.ended = true;
                Some(Err(if ended == Waited::TimedOut {
                    TaskError::Timeout
                } else {
                    TaskError::WaitCancelled
                }))
            }
            // The map goes on: a later result may not be part of it.
            Waited::Deadlock(cycle) => {
                let len = batch.len();
                self.failed(TaskError::Deadlock(cycle), len)
            }
        }
    }
}

impl<T> FusedIterator for MapResults<T> {}

impl<T> Drop for MapResults<T> {
    fn drop(&mut self) {
        if self.started {
            self.cancel_pending();
        }
        self.stop_refilling();
    }
}

impl<T> fmt::Debug for MapResults<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapResults")
            .field("in_flight", &self.pending.len())
            .field("lazy", &self.refill.is_some())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
