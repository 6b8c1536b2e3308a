//! The process-wide schedule and the threads that serve it: the scheduler,
//! the runners, the retry of a runner the OS refused and its report (see the
//! `timer` module's docs).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use pythreading_core::{ExceptHookArgs, Thread, ThreadError, catch_panic, excepthook, get_ident};

use super::shared::{Inner, Key};
use pythreading_core::wait::{self, Deadline, Key as WaitKey, Wake};

use crate::sys::{Arc, Ordering, StaticAtomicUsize, StaticMutex, StaticMutexGuard};

/// How many runner threads the service starts at most: with the scheduler,
/// at most eight timer threads in the process.
const MAX_RUNNERS: usize = 7;
// Runner names are bits of a `u8`.
const _: () = assert!(MAX_RUNNERS <= u8::BITS as usize);

/// How long before the earliest deadline the scheduler starts a runner
/// when none is alive, so that creating the thread does not make the
/// timer late.
const WARM_UP: Duration = Duration::from_millis(2);

/// How long a service thread waits for work before it exits.
const IDLE: Duration = Duration::from_secs(1);

/// The name of the scheduler thread; runners add `-1` … `-7`.
const THREAD_NAME: &str = "pythreading-timer";

/// A due timer on its way to a runner.
type Due = Arc<Inner>;

/// Everything under the one service lock.
struct Service {
    schedule: BTreeMap<Key, Due>,
    /// Makes keys unique among equal deadlines, in order of start.
    next_id: u64,
    /// Whether a scheduler thread is running (or about to).
    scheduler: bool,
    /// Runner threads alive, and which names `-1` … `-7` they hold.
    /// A thread leaves these counts under the lock just before it
    /// ends, so `enumerate()` may list it for a moment longer.
    runners: usize,
    slots: u8,
    /// Scheduler → runners. Sends happen under the service lock, so a
    /// runner that sees the channel empty under the lock may exit.
    channel: Option<(Sender<Due>, Receiver<Due>)>,
    /// A runner that could not be started, for the excepthook.
    unreported: Option<String>,
}

static SERVICE: StaticMutex<Service> = StaticMutex::new(Service {
    schedule: BTreeMap::new(),
    next_id: 0,
    scheduler: false,
    runners: 0,
    slots: 0,
    channel: None,
    unreported: None,
});

/// 1 while `Service::unreported` holds a report: read by the runners
/// without the lock before each timer.
static UNREPORTED: StaticAtomicUsize = StaticAtomicUsize::new(0);

/// How many runner threads the OS refused, ever.
static REFUSED: StaticAtomicUsize = StaticAtomicUsize::new(0);

pub(super) fn refused_runners() -> usize {
    REFUSED.load(Ordering::Relaxed)
}

/// Due timers handed to runners and not yet done: those queued in the
/// channel plus those being run, so `runners - BUSY` runners are free.
/// Raised only by the scheduler; lowered by runners without the lock
/// (so the scheduler never sees it too low: at worst it starts a
/// runner that is not needed).
static BUSY: StaticAtomicUsize = StaticAtomicUsize::new(0);

/// What the scheduler sleeps on: the service's address.
fn scheduler_key() -> WaitKey {
    WaitKey::of(&SERVICE)
}

/// Puts `timer` into the schedule, starting the scheduler if none runs.
pub(super) fn schedule(timer: &Arc<Inner>, deadline: Instant) -> Result<Key, ThreadError> {
    let mut service = SERVICE.lock();
    if !service.scheduler {
        // Decided under the lock: an exiting scheduler has already
        // cleared the flag, so exactly one scheduler serves the map.
        Thread::builder()
            .name(THREAD_NAME)
            .daemon(true)
            .spawn(scheduler)?;
        service.scheduler = true;
    }
    service.next_id += 1;
    let key = (deadline, service.next_id);
    let earliest = service
        .schedule
        .first_key_value()
        .is_none_or(|(k, _)| key < *k);
    service.schedule.insert(key, Arc::clone(timer));
    if earliest {
        // A new earliest deadline: wake the scheduler.
        wait::unpark_one(scheduler_key());
    }
    Ok(key)
}

/// Takes a cancelled timer out of the schedule (it may be gone already:
/// due and handed to a runner, which will find it cancelled).
pub(super) fn unschedule(key: Key) {
    SERVICE.lock().schedule.remove(&key);
}

#[cfg(all(test, not(loom)))]
pub(super) fn is_scheduled(key: Key) -> bool {
    SERVICE.lock().schedule.contains_key(&key)
}

/// The scheduler thread: sleeps until the earliest deadline, queues due
/// timers for the runners (starting runners when too few are free), and
/// exits after `IDLE` with an empty schedule and no timer waiting for a
/// runner. It never calls a callback itself.
fn scheduler() {
    let mut service = SERVICE.lock();
    let mut retry = Retry::default();
    loop {
        let now = Instant::now();
        while let Some(entry) = service.schedule.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let timer = entry.remove();
            // Cannot fail: the service keeps a receiver.
            let _ = service.jobs().0.send(timer);
            BUSY.fetch_add(1, Ordering::Relaxed);
        }
        let next = service
            .schedule
            .first_key_value()
            .map(|(&(deadline, _), _)| deadline);
        // No runner alive (the first timer, or after idling): start one
        // just before the deadline, so the timer does not wait for it.
        let warm_up = next
            .filter(|_| service.runners == 0)
            .map(|deadline| deadline.checked_sub(WARM_UP).unwrap_or(now));
        // Queued first, then a runner started if too few are free: one
        // per pass, so timers falling due meanwhile are queued between
        // thread creations instead of after all of them.
        let short = BUSY.load(Ordering::Relaxed) > service.runners && service.runners < MAX_RUNNERS;
        let wanted = short || warm_up.is_some_and(|ahead| now >= ahead);
        if wanted && retry.allows(now) {
            service = start_runner(service, &mut retry);
            continue;
        }
        if !wanted {
            retry.succeeded();
        }
        // Sleep until the next deadline, the warm-up before it, or the
        // next try at starting a runner that is still wanted.
        let wake = [
            next,
            warm_up.filter(|&ahead| now < ahead),
            retry.pending(wanted),
        ]
        .into_iter()
        .flatten()
        .min();
        match wake {
            Some(wake) => {
                let _ = wait::park_releasing(scheduler_key(), service, Deadline::at(wake));
                service = SERVICE.lock();
            }
            None => {
                let wake = wait::park_releasing(scheduler_key(), service, Deadline::after(IDLE));
                service = SERVICE.lock();
                let timed_out = wake == Wake::TimedOut;
                let waiting = BUSY.load(Ordering::Relaxed) > service.runners;
                if timed_out && service.schedule.is_empty() && !waiting {
                    service.scheduler = false;
                    return;
                }
            }
        }
    }
}

/// The first wait before trying again to start a runner that could not
/// be started, and the longest (the wait doubles at each failure).
const RETRY_FIRST: Duration = Duration::from_millis(10);
const RETRY_MOST: Duration = Duration::from_secs(1);

/// What the scheduler does when the OS refuses a runner thread: the due
/// timers stay queued (a busy runner takes them when it is free), and it
/// tries again after a wait that doubles up to `RETRY_MOST`. The first
/// failure of a run of them is reported through the excepthook, by the
/// next runner to take a timer or the next `Timer::start`, `join` or
/// `join_timeout`, whichever comes first (when no runner can start at
/// all, only a user's call is left to tell): the scheduler never runs
/// user code, a hook included. Once no runner is wanted any more, the
/// run of failures is over: the next refusal is reported again.
#[derive(Default)]
struct Retry {
    /// No try before this.
    at: Option<Instant>,
    /// The wait after the next failure (0: none failed yet).
    backoff: Duration,
}

impl Retry {
    fn allows(&self, now: Instant) -> bool {
        self.at.is_none_or(|at| now >= at)
    }

    /// When to try again, if a runner is `wanted` and a try must wait.
    fn pending(&self, wanted: bool) -> Option<Instant> {
        self.at.filter(|_| wanted)
    }

    fn failed(&mut self, service: &mut Service, error: &ThreadError) {
        if self.backoff.is_zero() {
            service.unreported = Some(format!(
                "cannot start a timer runner thread: {error}; due timers waited \
                 for a runner, and starting one was retried"
            ));
            UNREPORTED.store(1, Ordering::Relaxed);
            self.backoff = RETRY_FIRST;
        } else {
            self.backoff = (self.backoff * 2).min(RETRY_MOST);
        }
        self.at = Deadline::after(self.backoff).instant();
    }

    fn succeeded(&mut self) {
        *self = Self::default();
    }
}

/// Takes a runner slot and starts its thread (without the lock); if the
/// OS refuses, gives the slot back and tells `retry`.
fn start_runner(
    mut service: StaticMutexGuard<'static, Service>,
    retry: &mut Retry,
) -> StaticMutexGuard<'static, Service> {
    let slot = service.slots.trailing_ones() as u8;
    service.slots |= 1 << slot;
    service.runners += 1;
    let jobs = service.jobs().1.clone();
    drop(service);
    let spawned = Thread::builder()
        .name(format!("{THREAD_NAME}-{}", slot + 1))
        .daemon(true)
        .spawn(move || runner(slot, &jobs));
    let mut service = SERVICE.lock();
    match spawned {
        Ok(_) => retry.succeeded(),
        Err(error) => {
            service.runners -= 1;
            service.slots &= !(1 << slot);
            REFUSED.fetch_add(1, Ordering::Relaxed);
            retry.failed(&mut service, &error);
        }
    }
    service
}

impl Service {
    fn jobs(&mut self) -> &(Sender<Due>, Receiver<Due>) {
        self.channel
            .get_or_insert_with(crossbeam_channel::unbounded)
    }
}

/// Hands a refused runner thread to the excepthook, if one is waiting
/// to be told; called without any lock held, on a runner or in the
/// user's own calls.
#[inline]
pub(super) fn report_refused_runner() {
    if UNREPORTED.load(Ordering::Relaxed) != 0 {
        report_spawn_failure();
    }
}

#[cold]
fn report_spawn_failure() {
    let report = {
        let mut service = SERVICE.lock();
        UNREPORTED.store(0, Ordering::Relaxed);
        service.unreported.take()
    };
    if let Some(message) = report {
        // A hook that panics must not take the runner with it.
        let _ = catch_panic(|| excepthook(&ExceptHookArgs::new(THREAD_NAME, message)));
    }
}

/// A runner thread: runs what the channel brings, and exits after
/// `IDLE` without work.
fn runner(slot: u8, jobs: &Receiver<Due>) {
    loop {
        match jobs.recv_timeout(IDLE) {
            Ok(timer) => run(&timer),
            Err(_) => {
                let mut service = SERVICE.lock();
                if jobs.is_empty() {
                    service.runners -= 1;
                    service.slots &= !(1 << slot);
                    return;
                }
            }
        }
    }
}

fn run(timer: &Inner) {
    report_refused_runner();
    timer.fire(get_ident());
    BUSY.fetch_sub(1, Ordering::Relaxed);
}
