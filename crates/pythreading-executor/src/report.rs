//! Panics no caller will ever see, reported through the excepthook.
//!
//! A worker drops what users hand it (a task's closure, its result, a done
//! callback, an initializer) when nobody can take it any more, and any of
//! those may panic in `Drop`. Such a panic must not take the worker (or the
//! caller of `cancel` or `shutdown`) down: as Python prints
//! `Exception ignored in: …` for an exception raised in `__del__`, the
//! panic is caught, reported through [`pythreading_core::excepthook`] with
//! the name of the thread that dropped the value and what the value was,
//! and goes no further.
//!
//! A task's panic kept in a future nobody reads (the future was dropped
//! without [`Future::result`](crate::Future::result)) is reported the same
//! way when the future's last owner lets go of it, as asyncio reports a
//! "Task exception was never retrieved".

use pythreading_core::ExceptHookArgs;
pub(crate) use pythreading_core::drop_reporting;

/// Values handed out one by one, and dropped one by one if they are not
/// all taken, each in a catch: a panicking `Drop` is reported and the
/// values after it are still dropped. A plain `Vec` or its iterator would
/// drop the rest while the first panic unwinds, and a second panicking
/// `Drop` there aborts the process. What a chunked map holds many of: the
/// items of a chunk, the results of one.
pub(crate) struct DropEach<T> {
    values: std::vec::IntoIter<T>,
    /// What a value is, for the report.
    what: &'static str,
}

impl<T> DropEach<T> {
    pub(crate) fn new(values: Vec<T>, what: &'static str) -> Self {
        Self {
            values: values.into_iter(),
            what,
        }
    }
}

impl<T> Iterator for DropEach<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.values.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
    }
}

impl<T> ExactSizeIterator for DropEach<T> {}

impl<T> Drop for DropEach<T> {
    fn drop(&mut self) {
        for value in self.values.by_ref() {
            drop_reporting(value, self.what);
        }
    }
}

/// Runs a done callback; a panic in it (or in dropping what it captured)
/// is reported and does not stop the callbacks after it.
pub(crate) fn run_callback(callback: impl FnOnce()) {
    if let Err(mut report) = pythreading_core::catch_panic(callback) {
        report.message = format!("Exception ignored in a done callback: {}", report.message);
        pythreading_core::excepthook(&report);
    }
}

/// Reports a task's panic that nobody took from its future: `report` is the
/// panic as caught on the worker (its thread, location and backtrace).
pub(crate) fn unread_panic(mut report: ExceptHookArgs) {
    report.message = format!(
        "A task's panic was never retrieved (its future was dropped): {}",
        report.message
    );
    pythreading_core::excepthook(&report);
}
