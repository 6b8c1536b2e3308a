//! `shutdown()` and timers, in a binary of its own (shutdown is process-wide,
//! so no other test may run beside it): a pending non-daemon timer is waited
//! for, a daemon one is not, a cancelled one does not hold shutdown up, and
//! a callback that calls `shutdown()` itself does not wait for itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pythreading_core::shutdown;
use pythreading_sync::Timer;

const NEVER: Duration = Duration::from_secs(3600);
const PATIENCE: Duration = Duration::from_secs(20);

fn flagging(interval: Duration, daemon: bool) -> (Timer, Arc<AtomicBool>) {
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    let timer = Timer::new(interval, move || set.store(true, Ordering::SeqCst));
    timer.set_daemon(daemon).unwrap();
    (timer, flag)
}

#[test]
fn shutdown_waits_for_pending_non_daemon_timers_only() {
    let (awaited, awaited_ran) = flagging(Duration::from_millis(500), false);
    let (daemon, daemon_ran) = flagging(NEVER, true);
    let (cancelled, cancelled_ran) = flagging(NEVER, false);
    for timer in [&awaited, &daemon, &cancelled] {
        timer.start().unwrap();
    }
    cancelled.cancel();

    let started = Instant::now();
    shutdown();
    let took = started.elapsed();
    assert!(
        awaited_ran.load(Ordering::SeqCst),
        "shutdown returned before the non-daemon timer fired"
    );
    assert!(!awaited.is_alive(), "finished when shutdown returns");
    assert!(took < NEVER / 2, "held up by the daemon or cancelled timer");
    assert!(daemon.is_alive(), "the daemon timer is still pending");
    assert!(!daemon_ran.load(Ordering::SeqCst));
    assert!(!cancelled_ran.load(Ordering::SeqCst));
    daemon.cancel();

    // A non-daemon timer whose callback calls shutdown(): it must not wait
    // for its own timer (that would never end).
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let nested = Timer::new(Duration::from_millis(10), move || {
        shutdown();
        flag.store(true, Ordering::SeqCst);
    });
    nested.set_daemon(false).unwrap();
    nested.start().unwrap();
    assert!(
        nested.join_timeout(PATIENCE).unwrap(),
        "shutdown() inside a callback waited for itself"
    );
    assert!(done.load(Ordering::SeqCst));
    shutdown(); // nothing left: returns
}
