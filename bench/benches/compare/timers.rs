//! 10,000 pending timers, each contender in a child process of its own (this
//! same binary, with `COMPARE_TIMERS` set) so its threads and memory are
//! its own: `pythreading::Timer` against one OS thread per timer, which is
//! what Python's `threading.Timer` does.
//!
//! A child starts the timers, each recording when it fired, watches
//! `/proc/self/status` while they are pending, then times cancelling as
//! many pending timers. It prints one `RESULT key=value …` line:
//!
//! - `start`: the time to create and start all the timers;
//! - `threads`: extra threads at the peak, while pending or firing;
//! - `memory`: peak RSS added (`VmHWM`, reset through
//!   `/proc/self/clear_refs` at the start, minus `VmRSS` before);
//! - `late_p50`, `late_p99`, `late_max`: when each timer fired minus when
//!   it was due (its start + the interval);
//! - `cancel`: the time to cancel as many pending timers (for threads: to
//!   signal each, as Python's `cancel()` sets the event its thread waits on).

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pythreading::Timer;
use pythreading_bench::records::Unit;

use crate::harness::Suite;

/// The environment variable that makes this binary a timers child.
pub(crate) const CHILD: &str = "COMPARE_TIMERS";
/// How many timers a child starts.
const COUNT: &str = "COMPARE_TIMERS_COUNT";
/// Their interval, in seconds.
const SECS: &str = "COMPARE_TIMERS_SECS";
/// How long to wait beyond the interval for stragglers before giving up.
const GRACE: Duration = Duration::from_secs(60);
/// How often the main thread samples `/proc/self/status` while waiting.
const SAMPLE: Duration = Duration::from_millis(2);

/// Runs the `timers` workload: one child per contender.
pub(crate) fn run(suite: &mut Suite) {
    if !suite.wants("timers") {
        return;
    }
    let (count, secs) = suite.size.pick((10_000, 5.0), (2_000, 2.0), (100, 0.05));
    let contenders = [
        ("pythreading", "Timer", "timer"),
        ("std", "a thread per timer (Python's design)", "threads"),
    ];
    for (id, label, scenario) in contenders {
        let report = run_child(scenario, count, secs);
        let fired = report.get("fired");
        assert_eq!(
            fired, count as f64,
            "{label}: only {fired} of {count} timers fired"
        );
        let metrics = [
            ("start", Unit::Seconds, report.get("start_us") / 1e6),
            ("threads", Unit::Count, report.get("threads")),
            ("memory", Unit::Bytes, report.get("rss_kib") * 1024.0),
            ("late_p50", Unit::Seconds, report.get("p50_us") / 1e6),
            ("late_p99", Unit::Seconds, report.get("p99_us") / 1e6),
            ("late_max", Unit::Seconds, report.get("max_us") / 1e6),
            ("cancel", Unit::Seconds, report.get("cancel_us") / 1e6),
        ];
        for (metric, unit, value) in metrics {
            suite.push("timers", id, label, metric, unit, vec![value]);
        }
    }
    for metric in [
        "start", "threads", "memory", "late_p50", "late_p99", "late_max", "cancel",
    ] {
        suite.report("timers", metric);
    }
}

/// Runs as a child when `COMPARE_TIMERS` is set; returns whether it did.
pub(crate) fn child_main() -> bool {
    let Ok(scenario) = std::env::var(CHILD) else {
        return false;
    };
    let count = env_parse(COUNT);
    let interval = Duration::from_secs_f64(env_parse(SECS));
    match scenario.as_str() {
        "timer" => child(count, interval, &TimerScenario),
        "threads" => child(count, interval, &ThreadScenario),
        other => panic!("{CHILD}={other:?}: expected `timer` or `threads`"),
    }
    true
}

fn env_parse<T: std::str::FromStr>(name: &str) -> T {
    let value = std::env::var(name).unwrap_or_default();
    match value.trim().parse() {
        Ok(v) => v,
        Err(_) => panic!("{name}={value:?} is not a valid number"),
    }
}

/// One child's `key=value` results.
struct Report(BTreeMap<String, f64>);

impl Report {
    fn get(&self, key: &str) -> f64 {
        self.0.get(key).copied().unwrap_or(f64::NAN)
    }
}

fn run_child(scenario: &str, count: usize, secs: f64) -> Report {
    let exe = std::env::current_exe().expect("the bench binary");
    eprintln!("timers: {count} timers of {secs} s, `{scenario}` in a child process…");
    let output = Command::new(exe)
        .env(CHILD, scenario)
        .env(COUNT, count.to_string())
        .env(SECS, secs.to_string())
        .output()
        .expect("the child ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "timers scenario {scenario} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("a RESULT line");
    Report(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.parse().expect("a number")))
            .collect(),
    )
}

// ------------------------------------------------------------------ children

/// One way of running many timers.
trait Scenario {
    /// Starts `count` timers of `interval` calling `callback(i)`; returns
    /// how many could not be started, and something to keep alive.
    fn start_all(
        &self,
        count: usize,
        interval: Duration,
        callback: Arc<dyn Fn(usize) + Send + Sync>,
        scheduled: &mut Vec<Instant>,
    ) -> (usize, Box<dyn Pending>);
}

/// Started timers, to cancel or wait for.
trait Pending {
    fn cancel_all(&self);
    fn wait_all(self: Box<Self>);
}

fn child(n: usize, interval: Duration, scenario: &dyn Scenario) {
    // Reset VmHWM to the current RSS (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = Status::read();

    let base = Instant::now();
    let fired_at: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let fired = Arc::new(AtomicUsize::new(0));
    let callback: Arc<dyn Fn(usize) + Send + Sync> = {
        let (fired_at, fired) = (Arc::clone(&fired_at), Arc::clone(&fired));
        Arc::new(move |i| {
            let ns = base.elapsed().as_nanos() as u64;
            fired_at[i].store(ns.max(1), Ordering::SeqCst);
            fired.fetch_add(1, Ordering::SeqCst);
        })
    };
    let mut scheduled = Vec::with_capacity(n);
    let started = Instant::now();
    let (spawn_failures, pending) = scenario.start_all(n, interval, callback, &mut scheduled);
    let start_time = started.elapsed();

    let mut peak_threads = Status::read().threads;
    let give_up = started + interval + GRACE;
    while fired.load(Ordering::SeqCst) < n - spawn_failures && Instant::now() < give_up {
        peak_threads = peak_threads.max(Status::read().threads);
        thread::sleep(SAMPLE);
    }
    pending.wait_all();
    let after = Status::read();

    let mut late: Vec<u64> = scheduled
        .iter()
        .zip(fired_at.iter())
        .filter_map(|(due, at)| {
            let at = at.load(Ordering::SeqCst);
            let due = due.duration_since(base).as_nanos() as u64;
            (at != 0).then(|| at.saturating_sub(due) / 1000)
        })
        .collect();
    late.sort_unstable();
    let pct = |q: f64| {
        late.get(((late.len().saturating_sub(1)) as f64 * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };

    // Cancelling: as many timers, far in the future, cancelled at once.
    let noop: Arc<dyn Fn(usize) + Send + Sync> = Arc::new(|_| ());
    let mut ignored = Vec::with_capacity(n);
    let (_, far) = scenario.start_all(n, Duration::from_secs(3600), noop, &mut ignored);
    let cancelling = Instant::now();
    far.cancel_all();
    let cancel_time = cancelling.elapsed();
    far.wait_all();

    println!(
        "RESULT count={n} start_us={} threads={} rss_kib={} p50_us={} p99_us={} max_us={} \
         fired={} cancel_us={} spawn_failures={spawn_failures}",
        start_time.as_micros(),
        peak_threads.saturating_sub(before.threads),
        after.hwm_kib.saturating_sub(before.rss_kib),
        pct(0.5),
        pct(0.99),
        late.last().copied().unwrap_or_default(),
        fired.load(Ordering::SeqCst),
        cancel_time.as_micros(),
    );
}

/// The lines of `/proc/self/status` this bench needs.
struct Status {
    threads: u64,
    rss_kib: u64,
    hwm_kib: u64,
}

impl Status {
    fn read() -> Self {
        let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_default()
        };
        Self {
            threads: field("Threads:"),
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }
}

/// `pythreading_sync::Timer`.
struct TimerScenario;

impl Scenario for TimerScenario {
    fn start_all(
        &self,
        count: usize,
        interval: Duration,
        callback: Arc<dyn Fn(usize) + Send + Sync>,
        scheduled: &mut Vec<Instant>,
    ) -> (usize, Box<dyn Pending>) {
        let mut timers = Vec::with_capacity(count);
        for i in 0..count {
            let callback = Arc::clone(&callback);
            let timer = Timer::new(interval, move || callback(i));
            timer.set_daemon(true).expect("not started");
            scheduled.push(Instant::now() + interval);
            timer.start().expect("the timer service starts");
            timers.push(timer);
        }
        (0, Box::new(timers))
    }
}

impl Pending for Vec<Timer> {
    fn cancel_all(&self) {
        for timer in self {
            timer.cancel();
        }
    }

    fn wait_all(self: Box<Self>) {
        for timer in self.iter() {
            timer.join().expect("started");
        }
    }
}

/// One OS thread per timer, as Python's `threading.Timer`: the thread waits
/// on its own event for the interval and calls back unless it was set.
struct ThreadScenario;

/// A thread's `finished` event.
type Flag = Arc<(Mutex<bool>, Condvar)>;

impl Scenario for ThreadScenario {
    fn start_all(
        &self,
        count: usize,
        interval: Duration,
        callback: Arc<dyn Fn(usize) + Send + Sync>,
        scheduled: &mut Vec<Instant>,
    ) -> (usize, Box<dyn Pending>) {
        let mut threads = Vec::with_capacity(count);
        let mut failures = 0;
        for i in 0..count {
            let flag: Flag = Arc::default();
            let cancelled = Arc::clone(&flag);
            let callback = Arc::clone(&callback);
            scheduled.push(Instant::now() + interval);
            let spawned = thread::Builder::new().spawn(move || {
                let (lock, changed) = &*cancelled;
                let guard = lock.lock().unwrap();
                let (guard, _) = changed
                    .wait_timeout_while(guard, interval, |cancelled| !*cancelled)
                    .unwrap();
                if !*guard {
                    drop(guard);
                    callback(i);
                }
            });
            match spawned {
                Ok(handle) => threads.push((flag, handle)),
                Err(_) => failures += 1,
            }
        }
        (failures, Box::new(threads))
    }
}

impl Pending for Vec<(Flag, thread::JoinHandle<()>)> {
    fn cancel_all(&self) {
        for (flag, _) in self {
            *flag.0.lock().unwrap() = true;
            flag.1.notify_one();
        }
    }

    fn wait_all(self: Box<Self>) {
        for (_, handle) in *self {
            handle.join().expect("the timer thread ran");
        }
    }
}
