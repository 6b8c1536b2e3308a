//! The idle workers of a crew, and the wake-ups that queued jobs send them.
//!
//! At most one idle worker *searches* at a time: it spins, looking at the
//! queue, before it parks. The others park at once. A job queued while a
//! worker searches wakes nobody, since that worker will find it. A job
//! queued while none searches wakes one parked worker, which becomes the
//! searcher the moment it is chosen, so the jobs queued while it wakes up
//! wake nobody else. A searcher that finds a job and leaves more behind
//! wakes the next worker, so a backlog brings every worker in, one after
//! the other.
//!
//! This is the rule of Go's scheduler and of tokio's (a bounded number of
//! "spinning" or "searching" workers). On a machine with fewer cores than
//! threads it matters twice over. A submitter that queues one job at a time
//! no longer pays a futex wake-up per job while a woken worker is still on
//! its way. And idle workers no longer spin side by side, taking the
//! submitter's core from it: with two workers and one submitter on two
//! cores, a second spinning worker shares a core with the submitter.
//!
//! One word holds both counts, so that every hand-off is an atomic
//! read-modify-write of that word, totally ordered with the others:
//!
//! - a submitter queues its job, then reads the word with an RMW (release
//!   and acquire);
//! - a worker changes the word with an RMW (counts itself parked, or stops
//!   searching), then looks at the queue.
//!
//! Either the submitter's RMW comes later and sees the worker counted, or
//! the worker's comes later, reads from it, and so sees the job. A worker
//! counted as parked looks at the queue once more under the lock of the
//! wait table's bucket, where an unpark also goes, so a wake-up is never
//! lost between its look and its sleep.

use pythreading_core::wait::{self, Deadline, Key, SpinWait, Wake};

use crate::sys::{AtomicU64, Ordering};

/// One searcher, in the low half of the word.
const SEARCHING: u64 = 1;
/// The searchers' half of the word.
const SEARCHERS: u64 = (1 << 32) - 1;
/// One parked worker (or one on its way to park), in the high half.
const PARKED: u64 = 1 << 32;

/// How an idle worker spins before it parks: the schedule of crossbeam's
/// `Backoff::snooze`, which the workers waited with inside crossbeam's own
/// blocking `recv` (6 rounds of 2 to 64 spins, then 4 yields), not
/// `SpinWait::new`'s shorter spin: with that one, a worker serving a caller
/// that submits one task at a time parked before the next task came, and
/// each round trip paid a futex wake-up on both sides (the single-task
/// latency tripled on 2 cores).
const fn idle_spin() -> SpinWait {
    SpinWait::with_rounds(6, 4)
}

/// The idle workers of one crew: how many search and how many are parked.
/// On a cache line of its own: submitters read-modify-write it on every
/// job, and no worker touches it while it runs jobs.
#[repr(align(128))]
pub(crate) struct Idle {
    word: AtomicU64,
}

impl Default for Idle {
    fn default() -> Self {
        Self::new()
    }
}

impl Idle {
    pub(crate) fn new() -> Self {
        Self {
            word: AtomicU64::new(0),
        }
    }

    /// What parked workers park on.
    fn key(&self) -> Key {
        Key::of(&self.word)
    }

    /// How many workers are parked on this crew right now.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn parked(&self) -> usize {
        wait::parked(self.key())
    }

    /// Tells the idle workers that a job was queued (call it after queueing
    /// the job): wakes one parked worker unless one searches already.
    pub(crate) fn notify(&self) {
        // The RMW that orders this job against every worker's change of
        // the word (see the module's documentation).
        let mut word = self.word.fetch_add(0, Ordering::AcqRel);
        loop {
            if word & SEARCHERS != 0 || word < PARKED {
                return;
            }
            // The woken worker's search starts now, before it runs: jobs
            // queued while it wakes up need no other wake-up.
            match self.word.compare_exchange(
                word,
                word + SEARCHING,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => word = actual,
            }
        }
        if !wait::unpark_one(self.key()) {
            // The worker counted as parked had not queued itself yet: it
            // looks at the queue again under the bucket lock and finds the
            // job.
            self.stop_searching();
        }
    }

    /// Wakes every parked worker (to find the queue closed).
    pub(crate) fn notify_all(&self) {
        wait::unpark_all(self.key());
    }

    /// Becomes the searcher if none is: whether this worker is it now.
    fn start_searching(&self) -> bool {
        let mut word = self.word.load(Ordering::Relaxed);
        while word & SEARCHERS == 0 {
            match self.word.compare_exchange(
                word,
                word + SEARCHING,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
        false
    }

    /// Ends this worker's search. Saturating: a worker woken by
    /// [`notify_all`](Self::notify_all) was not made a searcher, yet ends
    /// a search like one woken by [`notify`](Self::notify).
    fn stop_searching(&self) {
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word & SEARCHERS != 0).then(|| word - SEARCHING)
            });
    }

    /// Waits, as an idle worker, until `look` finds something: `look`
    /// returns `None` while the queue is empty, and what the worker is to
    /// do next otherwise (a job, or the news that the queue is closed).
    ///
    /// The worker searches if no other does (looking between spins), then
    /// parks until a job is queued. It has stopped searching when this
    /// returns: the caller, if it found a job and more are queued, calls
    /// [`notify`](Self::notify) for them.
    pub(crate) fn wait<R>(&self, mut look: impl FnMut() -> Option<R>) -> R {
        let mut searching = self.start_searching();
        loop {
            if searching {
                let mut spin = idle_spin();
                let found = loop {
                    if let Some(found) = look() {
                        break Some(found);
                    }
                    if !spin.spin() {
                        break None;
                    }
                };
                self.stop_searching();
                if let Some(found) = found {
                    return found;
                }
            }
            // The RMW that orders this worker against every submitter's
            // (see the module's documentation).
            self.word.fetch_add(PARKED, Ordering::AcqRel);
            let mut found = None;
            // The queue is looked at under the bucket lock: a job queued
            // after that is followed by an unpark, which finds this worker
            // queued.
            let wake = wait::park(
                self.key(),
                || {
                    found = look();
                    found.is_none()
                },
                || {},
                Deadline::NEVER,
            );
            self.word.fetch_sub(PARKED, Ordering::AcqRel);
            if let Some(found) = found {
                return found;
            }
            // Woken: by a job's `notify`, which made this worker the
            // searcher, or by `notify_all`.
            searching = wake == Wake::Notified;
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! The hand-off between submitters and idle workers, with a counter as
    //! the queue: no job is left queued while every worker sleeps.
    use std::sync::Arc;

    use loom::sync::atomic::{AtomicBool, AtomicUsize};
    use pythreading_core::wait::{self, Deadline, Key};

    use super::Idle;
    use crate::sys::Ordering;

    /// A queue of jobs that are only counted, the idle workers, and a count
    /// of the jobs run, which the submitter waits on.
    #[derive(Default)]
    struct Crew {
        queued: AtomicUsize,
        closed: AtomicBool,
        ran: AtomicUsize,
        idle: Idle,
    }

    impl Crew {
        fn submit(&self) {
            self.queued.fetch_add(1, Ordering::Release);
            self.idle.notify();
        }

        fn take(&self) -> bool {
            self.queued
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        }

        /// `Some(true)`: a job; `Some(false)`: closed and empty.
        fn look(&self) -> Option<bool> {
            if self.take() {
                Some(true)
            } else if self.closed.load(Ordering::Acquire) {
                Some(false)
            } else {
                None
            }
        }

        fn ran_key(&self) -> Key {
            Key::of(&self.ran)
        }

        /// A worker: runs jobs until closed, calling `notify` for a
        /// backlog as the crew does.
        fn serve(&self) {
            loop {
                let job = match self.look() {
                    Some(job) => job,
                    None => {
                        let job = self.idle.wait(|| self.look());
                        if job && self.queued.load(Ordering::Acquire) != 0 {
                            self.idle.notify();
                        }
                        job
                    }
                };
                if !job {
                    return;
                }
                self.ran.fetch_add(1, Ordering::AcqRel);
                wait::unpark_all(self.ran_key());
            }
        }

        /// Blocks until `n` jobs have run: a job left queued while every
        /// worker sleeps leaves every thread blocked, which loom reports.
        fn wait_ran(&self, n: usize) {
            while self.ran.load(Ordering::Acquire) < n {
                let _ = wait::park(
                    self.ran_key(),
                    || self.ran.load(Ordering::Acquire) < n,
                    || {},
                    Deadline::NEVER,
                );
            }
        }

        fn close(&self) {
            self.closed.store(true, Ordering::Release);
            self.idle.notify_all();
        }
    }

    /// `jobs` jobs for `workers` workers. With two workers, the models
    /// allow one preemption: two make a model run for minutes, too long
    /// for every CI run (`LOOM_WIDE=1` explores them with the usual bound).
    fn run(workers: usize, jobs: usize) {
        let mut builder = loom::model::Builder::new();
        if workers > 1 && std::env::var_os("LOOM_WIDE").is_none() {
            builder.preemption_bound = Some(1);
        }
        builder.check(move || {
            let crew = Arc::new(Crew::default());
            let threads: Vec<_> = (0..workers)
                .map(|_| {
                    let crew = Arc::clone(&crew);
                    loom::thread::spawn(move || crew.serve())
                })
                .collect();
            for _ in 0..jobs {
                crew.submit();
            }
            crew.wait_ran(jobs);
            crew.close();
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(crew.ran.load(Ordering::Relaxed), jobs);
            assert_eq!(crew.queued.load(Ordering::Relaxed), 0);
        });
    }

    /// One worker, two jobs: each job is found, whether the worker is
    /// searching, parking or asleep when it is queued.
    #[test]
    fn loom_one_worker_finds_every_job() {
        run(1, 2);
    }

    /// Two workers, one job: the searcher-or-wake rule never leaves the
    /// job to a worker that went to sleep.
    #[test]
    fn loom_two_workers_one_job() {
        run(2, 1);
    }

    /// Two workers, two jobs: the wake-up handed to a parked worker and
    /// the backlog's wake-up are never lost.
    #[test]
    fn loom_two_workers_two_jobs() {
        run(2, 2);
    }
}
