//! The parking table: every parked waiter of the process, queued by the
//! address it waits on.
//!
//! A blocking type needs no queue of its own, only an atomic word: a waiter
//! parks on the word's address (its [`Key`]), a waker unparks that address.
//! The table is a fixed array of buckets, each a short mutex-guarded queue;
//! a key always hashes to the same bucket, and waiters of one key are woken
//! in the order they parked (FIFO). This is the design of parking_lot's
//! `parking_lot_core` (and WebKit's ParkingLot), without its `unsafe`: the
//! queues are `Vec`s of reference-counted parkers instead of intrusive
//! lists, which costs a short scan of the bucket; buckets rarely hold more
//! than a few waiters.
//!
//! No wake-up is lost. A waiter checks its condition (`validate`) under the
//! bucket lock and is queued before that lock is released; a waker changes
//! the state the condition reads *before* it takes the bucket lock to
//! unpark. So either the waiter's check sees the new state, or the waiter is
//! queued when the waker looks.
//!
//! Lock order: a caller's own mutex may be held when it parks (released in
//! `before_sleep`) or unparks; the bucket lock is always taken last and held
//! only for queue operations. `validate` runs under it and must not block.

use super::deadline::Deadline;
use super::parker::{CANCELLED, NOTIFIED, Parker, WAITING};
use super::sys::{self, Arc};
use super::token::{self, CancellationToken};
use crate::shim::Mutex;

/// What a blocking type parks on: the address of one of its fields.
///
/// Distinct fields (of one value or of different values) are distinct keys
/// while they live. A field must not be zero-sized, and the value must not
/// move while a thread is parked on it (a borrow guarantees both for the
/// field of a value being waited on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(usize);

impl Key {
    /// The key of `field`.
    #[inline]
    pub fn of<T>(field: &T) -> Self {
        Self(std::ptr::from_ref(field).addr())
    }

    /// Whether two keys share a bucket (for tests of that case).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn same_bucket(self, other: Self) -> bool {
        std::ptr::eq(self.bucket(), other.bucket())
    }

    #[inline]
    fn bucket(self) -> &'static Bucket {
        let table = table();
        // Fibonacci hashing: the high bits of the product mix every bit of
        // the address, low (alignment) bits included.
        let hash = (self.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // (`checked_shr`: under loom there is one bucket, and a shift by 64.)
        let index = hash.checked_shr(64 - BUCKET_BITS).unwrap_or(0) as usize;
        &table[index]
    }
}

/// How a [`park`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Wake {
    /// `validate` returned `false`: the thread did not park.
    Invalid,
    /// An [`unpark_one`], [`unpark`] or [`unpark_all`] of its key woke it.
    Notified,
    /// The deadline passed first.
    TimedOut,
    /// The calling thread's current cancellation token was cancelled
    /// (only from [`park_cancellable`] and [`park_releasing_cancellable`]).
    /// No wake-up of the key was spent on it: one given to it as it was
    /// cancelled went on to the next waiter.
    Cancelled,
}

#[derive(Debug)]
struct Entry {
    key: Key,
    parker: Arc<Parker>,
}

type Queue = Vec<Entry>;

#[cfg(not(loom))]
const BUCKET_BITS: u32 = 7;
/// Under loom a model has few keys, and one bucket makes every key share a
/// queue, the case that is the hardest to get right.
#[cfg(loom)]
const BUCKET_BITS: u32 = 0;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// A queue alone on its cache line, so that parking on one key does not
/// slow down the bucket next to it.
#[derive(Debug)]
#[repr(align(64))]
struct Bucket {
    queue: Mutex<Queue>,
}

#[cfg(not(loom))]
fn table() -> &'static [Bucket; BUCKETS] {
    static TABLE: [Bucket; BUCKETS] = [const {
        Bucket {
            queue: Mutex::new(Vec::new()),
        }
    }; BUCKETS];
    &TABLE
}

#[cfg(loom)]
fn table() -> &'static [Bucket; BUCKETS] {
    // loom objects cannot live in a `static`; loom's lazy statics are made
    // afresh for each model run.
    loom::lazy_static! {
        static ref TABLE: [Bucket; BUCKETS] = [Bucket {
            queue: Mutex::new(Vec::new()),
        }];
    }
    &TABLE
}

/// Parks the calling thread on `key` until an unpark of that key, or
/// `deadline`.
///
/// Under the bucket lock, `validate` decides whether to park at all (it
/// re-checks the condition being waited for; `false` returns
/// [`Wake::Invalid`] at once). Then the thread is queued, the lock released,
/// and `before_sleep` runs (a condition variable releases its mutex there).
/// A waiter woken by an unpark returns [`Wake::Notified`] even if its
/// deadline passed meanwhile: the wake-up was given to it, and a caller that
/// does not use it must pass it on.
///
/// `Notified` means "look again", never "the change happened": an unpark
/// wakes whoever is queued when it runs, which may be a thread that saw the
/// change it announces, went on, and parked again for the next one. Every
/// caller re-checks its state after a wake-up (an `Event` compares the
/// generation of its word, a lock tries its word again).
///
/// It does not obey the calling thread's cancellation token (an
/// infallible wait, or one of the library's own): [`park_cancellable`]
/// does.
pub fn park(
    key: Key,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    deadline: Deadline,
) -> Wake {
    park_with(key, validate, before_sleep, deadline, None)
}

/// [`park`] that also ends, with [`Wake::Cancelled`], when the calling
/// thread's current cancellation token (see [`current_token`]) is
/// cancelled: at once, without parking, if it is cancelled already
/// (`validate` and `before_sleep` are not called then). A thread with no
/// token parks as [`park`] does, at the cost of one thread-local read.
///
/// [`current_token`]: super::current_token
pub fn park_cancellable(
    key: Key,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    deadline: Deadline,
) -> Wake {
    match token::current_token() {
        None => park_with(key, validate, before_sleep, deadline, None),
        Some(token) => park_with(key, validate, before_sleep, deadline, Some(&token)),
    }
}

/// [`park_cancellable`] if `obey`, else [`park`]: for a type whose
/// blocking calls come in both kinds over one slow path.
#[inline]
pub fn park_obeying(
    obey: bool,
    key: Key,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    deadline: Deadline,
) -> Wake {
    if obey {
        park_cancellable(key, validate, before_sleep, deadline)
    } else {
        park(key, validate, before_sleep, deadline)
    }
}

/// [`park_releasing_cancellable`] if `obey`, else [`park_releasing`].
#[inline]
pub fn park_releasing_obeying<G>(obey: bool, key: Key, guard: G, deadline: Deadline) -> Wake {
    park_obeying(obey, key, || true, move || drop(guard), deadline)
}

/// [`park_releasing`] that obeys the calling thread's cancellation token,
/// as [`park_cancellable`] does (`guard` is dropped in every case).
#[inline]
pub fn park_releasing_cancellable<G>(key: Key, guard: G, deadline: Deadline) -> Wake {
    park_cancellable(key, || true, move || drop(guard), deadline)
}

fn park_with(
    key: Key,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    deadline: Deadline,
    token: Option<&CancellationToken>,
) -> Wake {
    if token.is_some_and(CancellationToken::is_cancelled) {
        return Wake::Cancelled;
    }
    let parker = Parker::current();
    let bucket = key.bucket();
    {
        let mut queue = bucket.queue.lock();
        if !validate() {
            return Wake::Invalid;
        }
        parker.prepare();
        queue.push(Entry {
            key,
            parker: Arc::clone(&parker),
        });
    }
    {
        // A `before_sleep` that panics must not leave this thread queued (a
        // later unpark would spend its wake-up on it): it leaves the queue,
        // passing on a wake-up it was already given.
        let unwinding = LeaveOnUnwind {
            key,
            bucket,
            parker: &parker,
        };
        before_sleep();
        std::mem::forget(unwinding);
    }
    // Registered once queued (a cancel before that is seen by the check
    // above or by `register` itself), until the wait is over: a cancel can
    // mark this parker only while the guard lives.
    let _registered = token.map(|token| token.register(&parker));
    loop {
        match parker.reason() {
            WAITING => {}
            NOTIFIED => return Wake::Notified,
            _ => {
                // Cancelled: leave the queue. Not found there, a notify
                // took the entry, failed to mark it and woke the next one.
                leave(bucket, &parker);
                return Wake::Cancelled;
            }
        }
        match deadline.instant() {
            None => parker.park(),
            Some(instant) => {
                sys::park_until(instant);
                if parker.reason() == WAITING && sys::deadline_passed(instant) {
                    break;
                }
            }
        }
    }
    // The deadline passed: leave the queue, unless an unpark took us out
    // first (it marked us under the lock, so the mark is seen here).
    if leave(bucket, &parker) {
        Wake::TimedOut
    } else if parker.reason() == CANCELLED {
        Wake::Cancelled
    } else {
        debug_assert_eq!(parker.reason(), NOTIFIED);
        Wake::Notified
    }
}

/// Takes `parker`'s entry out of `bucket`; `false` if an unpark took it
/// out first.
fn leave(bucket: &Bucket, parker: &Arc<Parker>) -> bool {
    let mut queue = bucket.queue.lock();
    match queue
        .iter()
        .position(|entry| Arc::ptr_eq(&entry.parker, parker))
    {
        Some(at) => {
            queue.remove(at);
            true
        }
        None => false,
    }
}

/// Leaves the queue when dropped, which only happens if `before_sleep`
/// panicked (it is forgotten otherwise).
struct LeaveOnUnwind<'a> {
    key: Key,
    bucket: &'a Bucket,
    parker: &'a Arc<Parker>,
}

impl Drop for LeaveOnUnwind<'_> {
    fn drop(&mut self) {
        if !leave(self.bucket, self.parker) {
            unpark_one(self.key);
        }
    }
}

/// [`park`] for a waiter that holds a guard of its own mutex: it is queued
/// before `guard` is dropped, so a waker that takes that mutex after it
/// cannot miss it. The caller locks its mutex again after the wake-up.
#[inline]
pub fn park_releasing<G>(key: Key, guard: G, deadline: Deadline) -> Wake {
    park(key, || true, move || drop(guard), deadline)
}

/// Wakes the longest-parked waiter of `key`; `true` if there was one.
pub fn unpark_one(key: Key) -> bool {
    let woken = {
        let mut queue = key.bucket().queue.lock();
        loop {
            let Some(at) = queue.iter().position(|entry| entry.key == key) else {
                break None;
            };
            let entry = queue.remove(at);
            if entry.parker.notify() {
                break Some(entry.parker);
            }
        }
    };
    woken.map(|parker| parker.unpark()).is_some()
}

/// Wakes up to `n` waiters of `key`, longest-parked first; how many it woke.
pub fn unpark(key: Key, n: usize) -> usize {
    match n {
        0 => return 0,
        1 => return usize::from(unpark_one(key)),
        _ => {}
    }
    let mut woken = Vec::new();
    {
        let mut queue = key.bucket().queue.lock();
        let mut at = 0;
        while at < queue.len() && woken.len() < n {
            if queue[at].key != key {
                at += 1;
                continue;
            }
            let entry = queue.remove(at);
            if entry.parker.notify() {
                woken.push(entry.parker);
            }
        }
    }
    let count = woken.len();
    for parker in woken {
        parker.unpark();
    }
    count
}

/// Wakes every waiter of `key`; how many it woke.
#[inline]
pub fn unpark_all(key: Key) -> usize {
    unpark(key, usize::MAX)
}

/// How many threads are parked on `key` right now.
///
/// A snapshot for tests and for the waiter counts the public types report
/// (a waiter may be woken or time out the moment after).
pub fn parked(key: Key) -> usize {
    key.bucket()
        .queue
        .lock()
        .iter()
        .filter(|entry| entry.key == key)
        .count()
}
