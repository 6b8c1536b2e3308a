//! `FakeDatabase`: its constructors and accessors, the race that loses an
//! update on every run, the locked update that loses none, and the
//! timeline each records.
//!
//! Timing: the race needs the threads' reads to fall within one delay of
//! each other. The tests start them together at a barrier and give them
//! a delay of hundreds of milliseconds, far more than a busy 2-core
//! machine takes to schedule a thread.

use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_core::CancellationToken;
use pythreading_fakedb::{DEFAULT_DELAY, DEFAULT_TIMELINE_CAPACITY, FakeDatabase, Mode, Step, run};

/// Long enough for every thread to read before the first one writes.
const RACE_DELAY: Duration = Duration::from_millis(300);

/// Short: the locked update's result does not depend on the delay.
const LOCKED_DELAY: Duration = Duration::from_millis(2);

/// Runs `update` (or `locked_update`) once on each of `threads` threads,
/// all released together, and waits for them.
fn hammer(database: &Arc<FakeDatabase>, threads: usize, locked: bool) {
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|name| {
            let database = Arc::clone(database);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                if locked {
                    database.locked_update(name);
                } else {
                    database.update(name);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("an update panicked");
    }
}

fn steps_of(database: &FakeDatabase, name: usize) -> Vec<Step> {
    database
        .timeline()
        .events()
        .iter()
        .filter(|e| e.name == name)
        .map(|e| e.step)
        .collect()
}

#[test]
fn new_starts_at_zero_with_the_tutorials_delay() {
    let database = FakeDatabase::new();
    assert_eq!(database.value(), 0);
    assert_eq!(database.delay(), Duration::from_millis(100));
    assert_eq!(DEFAULT_DELAY, Duration::from_millis(100));
    assert_eq!(database.updates(), 0);
    assert!(database.timeline().events().is_empty());
    assert_eq!(database.timeline().dropped(), 0);

    let default = FakeDatabase::default();
    assert_eq!(default.delay(), DEFAULT_DELAY);
    assert_eq!(default.value(), 0);
}

#[test]
fn with_delay_sets_the_sleep_between_read_and_write() {
    let database = FakeDatabase::with_delay(Duration::from_millis(50));
    assert_eq!(database.delay(), Duration::from_millis(50));
    assert_eq!(database.timeline().delay(), Duration::from_millis(50));
    let started = std::time::Instant::now();
    database.update(0);
    assert!(started.elapsed() >= Duration::from_millis(50));
    let events = database.timeline();
    let sleep = events
        .events()
        .iter()
        .find(|e| e.step == Step::Sleep)
        .unwrap();
    let write = events
        .events()
        .iter()
        .find(|e| e.step == Step::Write)
        .unwrap();
    assert!(write.at - sleep.at >= Duration::from_millis(50));
}

#[test]
fn one_thread_updates_exactly() {
    let database = FakeDatabase::with_delay(Duration::ZERO);
    for i in 0..5 {
        database.update(i);
    }
    assert_eq!(database.value(), 5);
    assert_eq!(database.updates(), 5);
    for i in 0..5 {
        database.locked_update(i);
    }
    assert_eq!(database.value(), 10);
    assert_eq!(database.updates(), 10);
    assert!(database.timeline().overwrites().is_empty());
    assert_eq!(database.timeline().lost_updates(), 0);
}

/// The tutorial's diagram for one thread: each statement with its
/// `local_copy` and the shared value.
#[test]
fn one_update_records_the_tutorials_single_thread_diagram() {
    let database = FakeDatabase::with_delay(Duration::from_millis(1));
    database.update(1);
    let timeline = database.timeline();
    let rows: Vec<_> = timeline
        .events()
        .iter()
        .map(|e| (e.step, e.local_copy, e.value, e.replaced))
        .collect();
    assert_eq!(
        rows,
        [
            (Step::Start, None, 0, None),
            (Step::Read, Some(0), 0, None),
            (Step::Increment, Some(1), 0, None),
            (Step::Sleep, Some(1), 0, None),
            (Step::Write, Some(1), 1, Some(0)),
            (Step::Finish, Some(1), 1, None),
        ]
    );
    for event in timeline.events() {
        assert_eq!(event.name, 1);
        assert_eq!(event.label(), "Thread 1");
        assert_eq!(event.thread, timeline.events()[0].thread);
    }
    assert!(timeline.events().windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(timeline.threads().len(), 1);
}

#[test]
fn locked_update_records_the_lock_steps_around_the_same_statements() {
    let database = FakeDatabase::with_delay(Duration::from_millis(1));
    database.locked_update(0);
    assert_eq!(
        steps_of(&database, 0),
        [
            Step::Start,
            Step::AboutToLock,
            Step::HasLock,
            Step::Read,
            Step::Increment,
            Step::Sleep,
            Step::Write,
            Step::AboutToRelease,
            Step::AfterRelease,
            Step::Finish,
        ]
    );
}

/// The tutorial's two-thread diagrams: both threads read 0 and sleep
/// with `local_copy` 1; the second write wipes out the first. On every run.
#[test]
fn two_threads_lose_an_update_on_every_run() {
    for run in 0..5 {
        let database = Arc::new(FakeDatabase::with_delay(RACE_DELAY));
        hammer(&database, 2, false);
        assert_eq!(database.updates(), 2, "run {run}");
        assert_eq!(database.value(), 1, "run {run}: no update was lost");

        let timeline = database.timeline();
        let reads: Vec<_> = timeline
            .events()
            .iter()
            .filter(|e| e.step == Step::Read)
            .map(|e| e.local_copy)
            .collect();
        assert_eq!(reads, [Some(0), Some(0)], "run {run}: both read 0");
        let overwrites = timeline.overwrites();
        assert_eq!(overwrites.len(), 1, "run {run}");
        let overwrite = &overwrites[0];
        assert_eq!(
            (overwrite.read, overwrite.replaced, overwrite.written),
            (0, 1, 1)
        );
        assert_eq!(overwrite.lost(), 1);
        let [overwritten] = overwrite.overwritten[..] else {
            panic!("run {run}: {overwrite:?}");
        };
        let first = &timeline.events()[overwritten];
        let second = &timeline.events()[overwrite.write];
        assert_eq!(first.step, Step::Write);
        assert_ne!(first.name, second.name);
        assert_eq!(timeline.lost_updates(), 1);
        assert_eq!(timeline.threads().len(), 2);
    }
}

#[test]
fn more_threads_lose_all_but_one_update() {
    let database = Arc::new(FakeDatabase::with_delay(RACE_DELAY));
    hammer(&database, 6, false);
    assert_eq!(database.updates(), 6);
    assert_eq!(database.value(), 1);
    let timeline = database.timeline();
    assert_eq!(timeline.lost_updates(), 5);
    assert_eq!(timeline.overwrites().len(), 5);
}

#[test]
fn locked_update_is_exact_for_2_to_16_threads() {
    for threads in 2..=16 {
        let database = Arc::new(FakeDatabase::with_delay(LOCKED_DELAY));
        hammer(&database, threads, true);
        let expected = i64::try_from(threads).unwrap();
        assert_eq!(database.value(), expected, "{threads} threads");
        assert_eq!(database.updates(), threads as u64);
        let timeline = database.timeline();
        assert!(timeline.overwrites().is_empty(), "{threads} threads");
        // Under the lock, the reads see 0, 1, 2, … in turn.
        let reads: Vec<_> = timeline
            .events()
            .iter()
            .filter(|e| e.step == Step::Read)
            .filter_map(|e| e.local_copy)
            .collect();
        assert_eq!(reads, (0..expected).collect::<Vec<_>>());
    }
}

/// With the tutorial's own delay too, not just a short one.
#[test]
fn locked_update_is_exact_with_the_default_delay() {
    let database = Arc::new(FakeDatabase::new());
    hammer(&database, 3, true);
    assert_eq!(database.value(), 3);
}

/// No two threads hold the lock at once: between one thread's `HasLock`
/// and its `AboutToRelease`, no other thread has a statement inside the
/// lock.
#[test]
fn locked_updates_never_overlap_inside_the_lock() {
    let database = Arc::new(FakeDatabase::with_delay(LOCKED_DELAY));
    hammer(&database, 8, true);
    let mut holder: Option<usize> = None;
    for event in database.timeline().events() {
        match event.step {
            Step::HasLock => {
                assert_eq!(holder, None, "two holders");
                holder = Some(event.name);
            }
            Step::Read | Step::Increment | Step::Sleep | Step::Write => {
                assert_eq!(holder, Some(event.name), "a step outside the lock");
            }
            Step::AboutToRelease => {
                assert_eq!(holder.take(), Some(event.name));
            }
            _ => {}
        }
    }
}

#[test]
fn mixing_locked_and_unlocked_updates_still_loses() {
    // The lock only protects updates that take it.
    let database = Arc::new(FakeDatabase::with_delay(RACE_DELAY));
    let other = Arc::clone(&database);
    let start = Arc::new(Barrier::new(2));
    let start2 = Arc::clone(&start);
    let racer = thread::spawn(move || {
        start2.wait();
        other.update(1);
    });
    start.wait();
    database.locked_update(0);
    racer.join().unwrap();
    assert_eq!(database.value(), 1);
    assert_eq!(database.updates(), 2);
}

#[test]
fn timeline_capacity_bounds_the_recording_and_counts_the_rest() {
    let database = FakeDatabase::with_delay(Duration::ZERO).timeline_capacity(10);
    for i in 0..3 {
        database.update(i);
    }
    let timeline = database.timeline();
    assert_eq!(timeline.events().len(), 10);
    assert_eq!(timeline.dropped(), 8);
    assert_eq!(database.value(), 3, "recording or not, the updates happen");
    assert!(
        timeline
            .to_string()
            .contains("8 later statements not recorded")
    );

    let silent = FakeDatabase::with_delay(Duration::ZERO).timeline_capacity(0);
    silent.locked_update(0);
    assert!(silent.timeline().events().is_empty());
    assert_eq!(silent.timeline().dropped(), 10);
    assert!(
        silent
            .timeline()
            .to_string()
            .contains("10 statements not recorded: the timeline's capacity is 0")
    );
    assert_eq!(silent.value(), 1);
    assert_eq!(DEFAULT_TIMELINE_CAPACITY, 4096);
}

#[test]
fn timeline_is_a_snapshot() {
    let database = FakeDatabase::with_delay(Duration::ZERO);
    database.update(0);
    let before = database.timeline();
    database.update(1);
    assert_eq!(before.events().len(), 6);
    assert_eq!(database.timeline().events().len(), 12);
}

#[test]
fn the_thread_name_is_pythreadings() {
    let worker = pythreading_core::Thread::builder()
        .name("db-writer")
        .build(|| {
            let database = FakeDatabase::with_delay(Duration::ZERO);
            database.update(7);
            database.timeline()
        });
    worker.start().unwrap();
    let timeline = worker.into_result().unwrap();
    assert_eq!(timeline.threads(), ["db-writer"]);
    assert!(timeline.events().iter().all(|e| e.label() == "Thread 7"));
}

#[test]
fn a_panicking_caller_does_not_poison_the_database() {
    // The lock is released by its guard even when the update's thread
    // unwinds afterwards; the next locked update goes through.
    let database = Arc::new(FakeDatabase::with_delay(Duration::ZERO));
    let db = Arc::clone(&database);
    let outcome = thread::spawn(move || {
        db.locked_update(0);
        panic!("after the update");
    })
    .join();
    assert!(outcome.is_err());
    database.locked_update(1);
    assert_eq!(database.value(), 2);
}

#[test]
fn run_reports_the_race_and_the_fix() {
    let report = run(Mode::Race, 2, RACE_DELAY).unwrap();
    assert_eq!((report.start, report.end, report.expected), (0, 1, 2));
    assert_eq!(report.lost(), 1);
    assert_eq!(report.threads, 2);
    assert_eq!(report.mode, Mode::Race);
    assert_eq!(
        report.to_string(),
        "Ending value 1, expected 2: 1 update lost."
    );
    assert_eq!(report.timeline.threads().len(), 2);

    let report = run(Mode::FixRace, 5, LOCKED_DELAY).unwrap();
    assert_eq!((report.end, report.expected, report.lost()), (5, 5, 0));
    assert_eq!(
        report.to_string(),
        "Ending value 5, expected 5: no update lost."
    );

    let report = run(Mode::Race, 3, RACE_DELAY).unwrap();
    assert_eq!(
        report.to_string(),
        "Ending value 1, expected 3: 2 updates lost."
    );
    assert_eq!(report.timeline.lost_updates(), report.lost());
}

#[test]
fn run_rejects_arguments_out_of_range() {
    use pythreading_fakedb::{DemoError, MAX_DELAY, MAX_THREADS};
    let err = run(Mode::Race, 0, RACE_DELAY).unwrap_err();
    assert!(matches!(err, DemoError::Threads(0)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the number of threads must be from 1 to 256, not 0"
    );
    let err = run(Mode::FixRace, MAX_THREADS + 1, RACE_DELAY).unwrap_err();
    assert!(matches!(err, DemoError::Threads(257)), "{err:?}");
    let err = run(Mode::Race, 2, MAX_DELAY + Duration::from_millis(1)).unwrap_err();
    assert!(matches!(err, DemoError::Delay(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the delay must be at most 60s, not 60.001s"
    );
}

#[test]
fn mode_adjectives_are_the_tutorials() {
    assert_eq!(Mode::Race.adjective(), "unlocked");
    assert_eq!(Mode::FixRace.adjective(), "locked");
}

/// The delay of the interrupted updates: an update that is not interrupted
/// takes a minute, far longer than any of these tests waits.
const LONG_DELAY: Duration = Duration::from_secs(60);

/// Generous, for a slow machine: what should happen at once happens well
/// within this, and nothing here waits longer.
const PATIENCE: Duration = Duration::from_secs(30);

/// Waits (polling every millisecond, up to [`PATIENCE`]) until a thread is
/// parked in a wait that obeys `token`.
#[track_caller]
fn wait_until_parked(token: &CancellationToken) {
    let started = Instant::now();
    while token.parked() < 1 {
        assert!(
            started.elapsed() < PATIENCE,
            "no thread parked under the token within {PATIENCE:?}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `update` (as update number `name`) on a thread of its own under
/// `token`; `after_parked` runs on this thread once it is parked (`None`:
/// do not wait for that); returns once the update ended, bounded by
/// [`PATIENCE`].
fn run_update_under(
    database: &Arc<FakeDatabase>,
    token: &CancellationToken,
    name: usize,
    update: fn(&FakeDatabase, usize),
    after_parked: Option<&dyn Fn()>,
) {
    let (done, finished) = mpsc::channel();
    let updater = {
        let database = Arc::clone(database);
        let token = token.clone();
        thread::spawn(move || {
            token.run(|| update(&database, name));
            done.send(()).unwrap();
        })
    };
    if let Some(after) = after_parked {
        wait_until_parked(token);
        after();
    }
    finished
        .recv_timeout(PATIENCE)
        .expect("the update ended after the cancel");
    updater.join().unwrap();
}

#[test]
fn an_update_under_a_cancelled_token_is_interrupted_at_its_sleep() {
    let database = FakeDatabase::with_delay(LONG_DELAY);
    let token = CancellationToken::new();
    token.cancel();
    let started = Instant::now();
    token.run(|| database.update(0));
    assert!(started.elapsed() < PATIENCE, "the update slept on");
    assert_eq!(database.value(), 0, "an interrupted update writes nothing");
    assert_eq!(database.updates(), 0);
    assert_eq!(database.interrupted(), 1);
    assert_eq!(
        steps_of(&database, 0),
        [
            Step::Start,
            Step::Read,
            Step::Increment,
            Step::Sleep,
            Step::Interrupted,
        ]
    );
    let timeline = database.timeline();
    let last = timeline.events().last().unwrap();
    assert_eq!(
        (last.step, last.local_copy, last.value, last.replaced),
        (Step::Interrupted, Some(1), 0, None)
    );
    assert_eq!(timeline.interrupted(), 1);
    assert!(timeline.overwrites().is_empty());
    let table = timeline.to_string();
    assert!(
        table.lines().last().unwrap().contains("interrupted"),
        "{table}"
    );

    // Without the token, the same database updates as ever.
    let quick = FakeDatabase::with_delay(Duration::ZERO);
    token.run(|| quick.update(0));
    assert_eq!(
        (quick.value(), quick.updates(), quick.interrupted()),
        (0, 0, 1)
    );
    quick.update(1);
    assert_eq!(
        (quick.value(), quick.updates(), quick.interrupted()),
        (1, 1, 1)
    );
}

/// The cancel lands while the update sleeps: it ends within moments, not
/// after its minute.
#[test]
fn cancelling_a_sleeping_update_interrupts_it() {
    let database = Arc::new(FakeDatabase::with_delay(LONG_DELAY));
    let token = CancellationToken::new();
    run_update_under(
        &database,
        &token,
        3,
        FakeDatabase::update,
        Some(&|| {
            assert_eq!(
                steps_of(&database, 3).last(),
                Some(&Step::Sleep),
                "parked in its sleep"
            );
            token.cancel();
        }),
    );
    assert_eq!(database.value(), 0);
    assert_eq!(database.updates(), 0);
    assert_eq!(database.interrupted(), 1);
    assert_eq!(steps_of(&database, 3).last(), Some(&Step::Interrupted));
}

/// An interrupted locked update releases the lock: the next one takes it.
#[test]
fn an_interrupted_locked_update_releases_the_lock() {
    let database = Arc::new(FakeDatabase::with_delay(LONG_DELAY));
    let token = CancellationToken::new();
    run_update_under(
        &database,
        &token,
        0,
        FakeDatabase::locked_update,
        Some(&|| token.cancel()),
    );
    assert_eq!(
        steps_of(&database, 0),
        [
            Step::Start,
            Step::AboutToLock,
            Step::HasLock,
            Step::Read,
            Step::Increment,
            Step::Sleep,
            Step::Interrupted,
        ]
    );
    assert_eq!((database.value(), database.updates()), (0, 0));

    // A second locked update (interrupted at once too) gets the lock: the
    // first one let go of it.
    run_update_under(&database, &token, 1, FakeDatabase::locked_update, None);
    assert_eq!(steps_of(&database, 1).last(), Some(&Step::Interrupted));
    assert_eq!(database.interrupted(), 2);
    assert!(steps_of(&database, 1).contains(&Step::HasLock));
}

#[test]
fn a_run_nobody_cancels_is_not_interrupted() {
    let report = run(Mode::Race, 2, Duration::from_millis(5)).unwrap();
    assert_eq!(report.interrupted, 0);
    assert!(!report.is_interrupted());
    assert_eq!(report.timeline.interrupted(), 0);
}
