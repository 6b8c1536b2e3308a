//! Every method and every error of `Timer`, through the public API, and the
//! promises of its shared service: thousands of timers on at most eight
//! threads, each firing exactly once (or never, when cancelled), and no
//! service thread left once the timers are done.
//!
//! Waits are bounded (a broken timer fails a test, it does not hang the
//! suite) and timing checks only say "not before", never "at most": the
//! machines running them are small and noisy.
//!
//! Tests that start timers hold `SERVICE` shared; the one that watches the
//! service go idle holds it exclusively, so no other test keeps it busy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_core::{Thread, ThreadError, reset_excepthook, set_excepthook};
use pythreading_sync::Timer;

mod common;
use common::wait_until;

/// Long enough that a correct timer never hits it.
const PATIENCE: Duration = Duration::from_secs(20);
/// Long enough that such a timer never fires during a test.
const NEVER: Duration = Duration::from_secs(3600);
const SHORT: Duration = Duration::from_millis(50);

static SERVICE: RwLock<()> = RwLock::new(());
/// Serialises the tests that replace the process-wide excepthook.
static HOOK: Mutex<()> = Mutex::new(());

fn uses_service() -> RwLockReadGuard<'static, ()> {
    SERVICE.read().unwrap_or_else(PoisonError::into_inner)
}

fn owns_service() -> RwLockWriteGuard<'static, ()> {
    SERVICE.write().unwrap_or_else(PoisonError::into_inner)
}

/// A timer that counts its calls.
fn counting(interval: Duration) -> (Timer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let timer = Timer::new(interval, move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (timer, calls)
}

/// The service threads alive now, by name.
fn timer_threads() -> Vec<String> {
    pythreading_core::enumerate()
        .into_iter()
        .map(|t| t.name())
        .filter(|name| name.starts_with("pythreading-timer"))
        .collect()
}

// ------------------------------------------------------------- basics

#[test]
fn handle_is_clone_send_sync_debug() {
    fn bounds<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    bounds::<Timer>();
    let timer = Timer::new(Duration::from_millis(1500), || ());
    assert_eq!(timer.interval(), Duration::from_millis(1500));
    assert_eq!(timer.clone().interval(), timer.interval());
    assert!(format!("{timer:?}").starts_with("Timer { interval: 1.5s"));
}

#[test]
fn fires_once_not_before_its_interval() {
    let _service = uses_service();
    let (tx, rx) = mpsc::channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let interval = Duration::from_millis(200);
    let timer = Timer::new(interval, move || {
        counter.fetch_add(1, Ordering::SeqCst);
        tx.send(Instant::now()).unwrap();
    });
    assert!(!timer.fired());
    let started = Instant::now();
    timer.start().unwrap();
    let fired_at = rx.recv_timeout(PATIENCE).expect("the timer fired");
    assert!(fired_at - started >= interval, "fired early");
    assert!(timer.join_timeout(PATIENCE).unwrap());
    thread::sleep(SHORT);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(timer.fired());
    assert!(!timer.cancelled());
    assert!(!timer.is_alive());
}

#[test]
fn zero_interval_fires() {
    let _service = uses_service();
    let (timer, calls) = counting(Duration::ZERO);
    timer.start().unwrap();
    timer.join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn is_alive_while_pending_and_running_only() {
    let _service = uses_service();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let timer = Timer::new(SHORT, move || {
        entered_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(PATIENCE);
    });
    assert!(!timer.is_alive(), "not started");
    timer.start().unwrap();
    assert!(timer.is_alive(), "pending");
    entered.recv_timeout(PATIENCE).expect("the callback ran");
    assert!(timer.is_alive(), "running");
    assert!(timer.fired());
    assert!(!timer.join_timeout(SHORT).unwrap(), "still running");
    release.send(()).unwrap();
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert!(!timer.is_alive(), "finished");
}

// ------------------------------------------------------------- errors

#[test]
fn start_twice_is_already_started() {
    let _service = uses_service();
    let (timer, calls) = counting(SHORT);
    timer.start().unwrap();
    assert!(matches!(timer.start(), Err(ThreadError::AlreadyStarted)));
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert!(matches!(timer.start(), Err(ThreadError::AlreadyStarted)));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn join_before_start_is_not_started() {
    let (timer, _) = counting(SHORT);
    assert!(matches!(timer.join(), Err(ThreadError::NotStarted)));
    assert!(matches!(
        timer.join_timeout(SHORT),
        Err(ThreadError::NotStarted)
    ));
    // Cancelled but never started: still not started, as in Python.
    timer.cancel();
    assert!(matches!(timer.join(), Err(ThreadError::NotStarted)));
}

#[test]
fn join_timeout_reports_pending_then_finished() {
    let _service = uses_service();
    let (timer, calls) = counting(Duration::from_millis(300));
    timer.start().unwrap();
    assert!(!timer.join_timeout(Duration::ZERO).unwrap());
    assert!(!timer.join_timeout(SHORT).unwrap());
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert!(timer.join_timeout(Duration::ZERO).unwrap());
    timer.join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn inside_its_callback_join_is_join_self_and_the_rest_no_ops() {
    let _service = uses_service();
    let (tx, rx) = mpsc::channel();
    let slot: Arc<Mutex<Option<Timer>>> = Arc::default();
    let me = Arc::clone(&slot);
    let timer = Timer::new(Duration::ZERO, move || {
        let timer = me.lock().unwrap().clone().expect("set before start");
        let join = timer.join();
        let join_timeout = timer.join_timeout(PATIENCE);
        let start = timer.start();
        let daemon = timer.set_daemon(true);
        timer.cancel(); // running: a no-op
        tx.send((join, join_timeout, start, daemon, timer.is_alive()))
            .unwrap();
    });
    *slot.lock().unwrap() = Some(timer.clone());
    timer.start().unwrap();
    let (join, join_timeout, start, daemon, alive) = rx
        .recv_timeout(PATIENCE)
        .expect("no hang inside the callback");
    assert!(matches!(join, Err(ThreadError::JoinSelf)), "{join:?}");
    assert!(matches!(join_timeout, Err(ThreadError::JoinSelf)));
    assert!(matches!(start, Err(ThreadError::AlreadyStarted)));
    assert!(matches!(daemon, Err(ThreadError::DaemonAfterStart)));
    assert!(alive, "alive while its callback runs");
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert!(timer.fired() && !timer.cancelled());
    slot.lock().unwrap().take();
}

// ------------------------------------------------------------- cancel

#[test]
fn cancel_while_pending_never_calls_and_finishes_at_once() {
    let _service = uses_service();
    let (timer, calls) = counting(Duration::from_millis(300));
    timer.start().unwrap();
    let (joined_tx, joined) = mpsc::channel();
    let joiner = {
        let timer = timer.clone();
        thread::spawn(move || joined_tx.send(timer.join()).unwrap())
    };
    wait_until("the joiner blocks", || timer.waiting_joiners() == 1);
    timer.cancel();
    // Well before the interval: the waiting joiner is released by cancel.
    joined.recv_timeout(PATIENCE).unwrap().unwrap();
    joiner.join().unwrap();
    assert!(timer.cancelled());
    assert!(!timer.is_alive());
    assert!(timer.join_timeout(Duration::ZERO).unwrap());
    // Past the interval: still never called.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(!timer.fired());
    timer.cancel(); // again: harmless
    assert!(timer.cancelled());
}

#[test]
fn cancel_drops_the_callback() {
    let _service = uses_service();
    let token = Arc::new(());
    let held = Arc::clone(&token);
    let timer = Timer::new(NEVER, move || drop(held));
    timer.start().unwrap();
    assert_eq!(Arc::strong_count(&token), 2);
    timer.cancel();
    assert_eq!(Arc::strong_count(&token), 1, "the callback was dropped");
}

#[test]
fn cancel_before_start_then_start_finishes_at_once() {
    let _service = uses_service();
    let (timer, calls) = counting(Duration::ZERO);
    timer.cancel();
    assert!(timer.cancelled());
    assert!(!timer.is_alive());
    timer.start().unwrap();
    assert!(!timer.is_alive());
    assert!(timer.join_timeout(Duration::ZERO).unwrap());
    assert!(matches!(timer.start(), Err(ThreadError::AlreadyStarted)));
    thread::sleep(SHORT);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(timer.cancelled() && !timer.fired());
}

#[test]
fn cancel_after_firing_is_a_no_op() {
    let _service = uses_service();
    let (timer, calls) = counting(Duration::ZERO);
    timer.start().unwrap();
    timer.join().unwrap();
    timer.cancel();
    assert!(timer.fired());
    assert!(!timer.cancelled());
    assert!(!timer.is_alive());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn cancel_while_running_is_a_no_op() {
    let _service = uses_service();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicUsize::new(0));
    let done = Arc::clone(&finished);
    let timer = Timer::new(Duration::ZERO, move || {
        entered_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(PATIENCE);
        done.fetch_add(1, Ordering::SeqCst);
    });
    timer.start().unwrap();
    entered.recv_timeout(PATIENCE).unwrap();
    timer.cancel();
    assert!(timer.is_alive(), "cancel does not stop a running callback");
    assert!(!timer.cancelled());
    release.send(()).unwrap();
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}

#[test]
fn huge_interval_stays_pending_until_cancelled() {
    let _service = uses_service();
    let (timer, calls) = counting(Duration::MAX);
    timer.start().unwrap();
    assert!(timer.is_alive());
    assert!(!timer.join_timeout(SHORT).unwrap());
    timer.cancel();
    assert!(timer.join_timeout(PATIENCE).unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

// ------------------------------------------------------------- daemon

#[test]
fn daemon_follows_the_creating_thread_until_set() {
    let made_by = |daemon: bool| {
        Thread::builder()
            .daemon(daemon)
            .spawn(|| Timer::new(NEVER, || ()))
            .unwrap()
            .into_result()
            .unwrap()
    };
    assert!(!made_by(false).is_daemon());
    assert!(made_by(true).is_daemon());

    let timer = made_by(false);
    timer.set_daemon(true).unwrap();
    assert!(timer.is_daemon());
    timer.set_daemon(false).unwrap();
    assert!(!timer.is_daemon());
}

#[test]
fn set_daemon_after_start_is_daemon_after_start() {
    let _service = uses_service();
    let timer = Timer::new(NEVER, || ());
    timer.set_daemon(true).unwrap();
    timer.start().unwrap();
    assert!(matches!(
        timer.set_daemon(false),
        Err(ThreadError::DaemonAfterStart)
    ));
    assert!(timer.is_daemon(), "unchanged");
    timer.cancel();
    assert!(matches!(
        timer.set_daemon(false),
        Err(ThreadError::DaemonAfterStart)
    ));
}

// ------------------------------------------------------------- panics

#[test]
fn panicking_callback_is_reported_and_the_service_goes_on() {
    let _service = uses_service();
    let _hook = HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log = Arc::clone(&seen);
    set_excepthook(move |args| {
        log.lock()
            .unwrap()
            .push((args.thread_name.clone(), args.message.clone()));
    });

    let timers: Vec<Timer> = (0..3)
        .map(|i| Timer::new(Duration::ZERO, move || panic!("timer {i} failed")))
        .collect();
    for t in &timers {
        t.start().unwrap();
    }
    for t in &timers {
        assert!(t.join_timeout(PATIENCE).unwrap());
        assert!(t.fired() && !t.is_alive());
    }
    // The runners survived: more timers still fire.
    let (after, calls) = counting(Duration::ZERO);
    after.start().unwrap();
    assert!(after.join_timeout(PATIENCE).unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    reset_excepthook();

    let seen = seen.lock().unwrap().clone();
    let mut messages: Vec<&str> = seen.iter().map(|(_, m)| m.as_str()).collect();
    messages.sort_unstable();
    assert_eq!(
        messages,
        ["timer 0 failed", "timer 1 failed", "timer 2 failed"]
    );
    for (thread, _) in &seen {
        assert!(thread.starts_with("pythreading-timer"), "{thread}");
    }
}

// ------------------------------------------------------------- many timers

/// 2,000 short timers fire exactly once, 2,000 cancelled ones never, and
/// all of them together never use more than eight service threads.
#[test]
fn thousands_of_timers_on_at_most_eight_threads() {
    let _service = uses_service();
    const N: usize = 2000;
    let calls: Arc<Vec<AtomicUsize>> = Arc::new((0..2 * N).map(|_| AtomicUsize::new(0)).collect());
    let timers: Vec<Timer> = (0..2 * N)
        .map(|i| {
            let calls = Arc::clone(&calls);
            // Short ones spread over 300–700 ms; the others far away.
            let interval = if i < N {
                Duration::from_millis(300 + (i % 400) as u64)
            } else {
                Duration::from_secs(30)
            };
            let timer = Timer::new(interval, move || {
                calls[i].fetch_add(1, Ordering::SeqCst);
            });
            timer.set_daemon(true).unwrap();
            timer
        })
        .collect();
    for t in &timers {
        t.start().unwrap();
    }
    let mut most = timer_threads().len();
    for t in &timers[N..] {
        t.cancel();
    }
    let deadline = Instant::now() + PATIENCE;
    while timers[..N].iter().any(Timer::is_alive) {
        assert!(Instant::now() < deadline, "short timers did not all fire");
        most = most.max(timer_threads().len());
        thread::sleep(Duration::from_millis(2));
    }
    for t in &timers {
        assert!(t.join_timeout(PATIENCE).unwrap());
    }
    assert!(most <= 8, "{most} service threads");
    for (i, c) in calls.iter().enumerate() {
        let expected = usize::from(i < N);
        assert_eq!(c.load(Ordering::SeqCst), expected, "timer {i}");
    }
    assert!(timers[..N].iter().all(Timer::fired));
    assert!(timers[N..].iter().all(Timer::cancelled));
}

/// Timers whose callbacks block fill every runner; the others then wait
/// for a runner, and the service never grows past eight threads.
#[test]
fn blocking_callbacks_use_at_most_seven_runners() {
    let _service = uses_service();
    let gate = Gate::default();
    let running = Arc::new(AtomicUsize::new(0));
    let timers: Vec<Timer> = (0..12)
        .map(|_| {
            let gate = gate.clone();
            let running = Arc::clone(&running);
            Timer::new(Duration::ZERO, move || {
                running.fetch_add(1, Ordering::SeqCst);
                gate.wait();
            })
        })
        .collect();
    let opener = gate.opener();
    for t in &timers {
        t.start().unwrap();
    }
    wait_until("seven callbacks run at once", || {
        running.load(Ordering::SeqCst) >= 7
    });
    thread::sleep(Duration::from_millis(200));
    assert_eq!(running.load(Ordering::SeqCst), 7, "only seven runners");
    assert!(timer_threads().len() <= 8, "{:?}", timer_threads());
    drop(opener);
    for t in &timers {
        assert!(t.join_timeout(PATIENCE).unwrap());
    }
    assert_eq!(running.load(Ordering::SeqCst), 12);
}

/// A gate that callbacks wait at (at most PATIENCE) until it is opened.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, opened) = &*self.0;
        let guard = open.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = opened.wait_timeout_while(guard, PATIENCE, |open| !*open);
    }

    /// Opens the gate when dropped, also when the test fails first, so
    /// that blocked callbacks do not starve the other tests of runners.
    fn opener(&self) -> impl Drop {
        struct Opener(Gate);
        impl Drop for Opener {
            fn drop(&mut self) {
                let (open, opened) = &*(self.0).0;
                *open.lock().unwrap_or_else(PoisonError::into_inner) = true;
                opened.notify_all();
            }
        }
        Opener(self.clone())
    }
}

// ------------------------------------------------------------- idling

/// Once every timer is done the service threads exit, and the next timer
/// starts the service again.
#[test]
fn service_threads_exit_when_idle_and_come_back() {
    let _service = owns_service();
    let (tx, rx) = mpsc::channel();
    let timer = Timer::new(Duration::ZERO, move || {
        let me = pythreading_core::current_thread();
        tx.send((me.name(), me.is_daemon(), timer_threads()))
            .unwrap();
    });
    timer.start().unwrap();
    timer.join().unwrap();
    let (name, daemon, seen) = rx.recv_timeout(PATIENCE).unwrap();
    assert!(name.starts_with("pythreading-timer-"), "{name}");
    assert!(daemon, "service threads are daemons");
    assert!(seen.contains(&name), "{seen:?}");
    assert!(seen.contains(&"pythreading-timer".to_owned()), "{seen:?}");
    wait_until("the service threads exit", || timer_threads().is_empty());

    let (again, calls_again) = counting(Duration::from_millis(10));
    again.start().unwrap();
    assert!(again.join_timeout(PATIENCE).unwrap());
    assert_eq!(calls_again.load(Ordering::SeqCst), 1);
    wait_until("the service threads exit again", || {
        timer_threads().is_empty()
    });
}
