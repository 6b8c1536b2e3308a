//! A queue of jobs and the workers that take them: how workers are started
//! and how they serve. Shared by the pool and by scopes, which differ only
//! in what a job is and what a worker thread is.
//!
//! As in CPython, workers start lazily, one per queued job, until `max`
//! run; a worker that will find the queue empty leaves an *idle credit*
//! (Python's `_idle_semaphore`), and a job that can take a credit starts
//! no new worker.
//!
//! The jobs travel through a crossbeam channel, taken with `try_recv`
//! only: a worker with nothing to do waits in [`Idle`], where at most one
//! idle worker spins for the next job and the others park (see
//! [`crate::idle`]). Closing the queue (dropping its sender, then
//! [`Crew::close`]) wakes them all to find it closed.

use std::sync::atomic::{AtomicBool, AtomicUsize};

use crossbeam_channel::{Receiver, Sender, TryIter, TryRecvError};
use pythreading_core::ThreadError;

use crate::error::ExecutorError;
use crate::idle::Idle;
use crate::sys::Ordering;

/// Why a job could not be handed to any worker, and the job itself when
/// the crew took it back.
pub(crate) type Refused<J> = (ExecutorError, Option<J>);

/// The receiving end of a job queue, with the idle credits of its workers.
///
/// Once every worker allowed is running, no job can start one, so credits
/// stop mattering and are neither given nor taken: the line stays
/// read-only while a full pool runs at speed.
#[repr(align(128))]
pub(crate) struct Crew<J> {
    receiver: Receiver<J>,
    max: usize,
    credits: AtomicUsize,
    full: AtomicBool,
    idle: Idle,
}

/// Why a worker thread could not be started, as the `start` of
/// [`Crew::dispatch`] reports it (the OS's refusal itself, when that is
/// the reason).
pub(crate) fn spawn_error(error: ThreadError) -> std::io::Error {
    match error {
        ThreadError::Spawn(error) => error,
        other => std::io::Error::other(other.to_string()),
    }
}

impl<J> Crew<J> {
    /// A crew of at most `max` workers, taking from `receiver`.
    pub(crate) fn new(receiver: Receiver<J>, max: usize) -> Self {
        Self {
            receiver,
            max,
            credits: AtomicUsize::new(0),
            full: AtomicBool::new(false),
            idle: Idle::new(),
        }
    }

    /// How many workers are parked waiting for a job now.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn parked(&self) -> usize {
        self.idle.parked()
    }

    /// Wakes every parked worker to find the queue closed: called once its
    /// sender is dropped (the workers run what is still queued, then
    /// return).
    pub(crate) fn close(&self) {
        self.idle.notify_all();
    }

    /// The most workers this crew starts.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Jobs queued and not taken yet.
    pub(crate) fn queued(&self) -> usize {
        self.receiver.len()
    }

    /// Takes every job still queued (to cancel or fail them).
    pub(crate) fn drain(&self) -> TryIter<'_, J> {
        self.receiver.try_iter()
    }

    fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    fn give_credit(&self) {
        if !self.is_full() {
            self.credits.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn take_credit(&self) -> bool {
        self.credits
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Queues `job` through `sender`, then starts a worker with `start`
    /// unless an idle one will take the job or `running` workers are
    /// already the most allowed. If no worker could be started and none
    /// runs, the job is taken back and the error says why.
    ///
    /// The job is queued first (as CPython does): a worker started first
    /// could find the queue empty and leave a credit that the next job
    /// would take, for a worker that is not idle.
    pub(crate) fn dispatch(
        &self,
        sender: &Sender<J>,
        running: usize,
        job: J,
        start: impl FnOnce() -> std::io::Result<()>,
    ) -> Result<(), Refused<J>> {
        // Cannot fail: the crew holds a receiver.
        let _ = sender.send(job);
        self.idle.notify();
        if self.is_full() || self.take_credit() {
            return Ok(());
        }
        match start() {
            Ok(()) => {
                if running + 1 >= self.max {
                    self.full.store(true, Ordering::Relaxed);
                }
                Ok(())
            }
            Err(error) if running == 0 => {
                // No worker ever ran, so the job just queued is the only
                // one: take it back rather than leave it to no one. The
                // caller drops it once it holds no lock (its Drop may be
                // the user's).
                Err((ExecutorError::Spawn(error), self.receiver.try_recv().ok()))
            }
            // Fewer workers than wanted, but the running ones will take it.
            Err(_) => Ok(()),
        }
    }

    /// A worker's loop: runs jobs until the queue is closed and empty.
    /// `run` gets each job and a hook to call after the job's task ran and
    /// before its future completes; `waiting` counts workers blocked for a
    /// job.
    ///
    /// A worker that will find the queue empty leaves its idle credit in
    /// that hook, *before* completing the future: a caller woken by the
    /// future and submitting again at once then finds the credit and
    /// starts no new worker. CPython gives the credit after, which only its
    /// GIL keeps from starting extra workers.
    pub(crate) fn serve(
        &self,
        waiting: Option<&AtomicUsize>,
        mut run: impl FnMut(J, &mut dyn FnMut()),
    ) {
        let mut credited = false;
        loop {
            let job = match self.receiver.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => {
                    if !credited {
                        self.give_credit();
                    }
                    waiting.map(|w| w.fetch_add(1, Ordering::Relaxed));
                    let next = self.next_job();
                    waiting.map(|w| w.fetch_sub(1, Ordering::Relaxed));
                    match next {
                        Some(job) => job,
                        None => return,
                    }
                }
            };
            credited = false;
            run(job, &mut || {
                if !self.is_full() && self.receiver.is_empty() {
                    self.give_credit();
                    credited = true;
                }
            });
        }
    }

    /// Waits for a job: `None` once the queue is closed and empty. A
    /// worker that finds a job and leaves more queued wakes the next one
    /// for them.
    fn next_job(&self) -> Option<J> {
        let next = self.idle.wait(|| match self.receiver.try_recv() {
            Ok(job) => Some(Some(job)),
            Err(TryRecvError::Disconnected) => Some(None),
            Err(TryRecvError::Empty) => None,
        });
        if next.is_some() && !self.receiver.is_empty() {
            self.idle.notify();
        }
        next
    }
}
