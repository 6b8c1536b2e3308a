//! 10,000 pending timers: `pythreading_sync::Timer` against one OS thread
//! per timer (what Python's `threading.Timer` does).
//!
//! ```text
//! cargo bench -p pythreading-sync --bench timers
//! TIMERS_SECS=2 cargo bench -p pythreading-sync --bench timers -- --no-baseline
//! ```
//!
//! Each scenario runs in a fresh child process (this same binary, with
//! `TIMERS_SCENARIO` set), so its threads and memory are its own. A child
//! starts `TIMERS_COUNT` (10,000) timers of `TIMERS_SECS` (5) seconds, each
//! recording when it fired, watches `/proc/self/status` while they are
//! pending, and then times cancelling as many pending timers. It reports:
//!
//! - the time to create and start all the timers;
//! - extra threads: the peak of `Threads:` while pending or firing, minus
//!   the count before;
//! - peak RSS added: `VmHWM` (reset through `/proc/self/clear_refs` at the
//!   start) minus `VmRSS` before;
//! - lateness: when each timer fired minus when it was due (start + interval):
//!   median, p99 and max;
//! - the time to cancel 10,000 pending timers (for threads: to signal all of
//!   them, as Python's `cancel()` sets an event the thread waits on).
//!
//! The baseline (thread per timer) waits on its own condition variable with
//! a timeout and calls back unless cancelled: Python's `Timer.run`. Skip it
//! with `--no-baseline` or `TIMERS_BASELINE=0`. Run without `--bench` (as
//! `cargo test --benches` does), the binary only makes a quick smoke run.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pythreading_sync::Timer;

/// How long to wait beyond the interval for stragglers before giving up.
const GRACE: Duration = Duration::from_secs(60);
/// How often the main thread samples `/proc/self/status` while waiting.
const SAMPLE: Duration = Duration::from_millis(2);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match std::env::var("TIMERS_SCENARIO").as_deref() {
        Ok("timer") => child(&Config::from_env(), &TimerScenario),
        Ok("threads") => child(&Config::from_env(), &ThreadScenario),
        _ => parent(&args),
    }
}

/// What a child measures: from the environment.
struct Config {
    count: usize,
    interval: Duration,
}

impl Config {
    fn from_env() -> Self {
        let count = env_parse("TIMERS_COUNT").unwrap_or(10_000);
        let secs: f64 = env_parse("TIMERS_SECS").unwrap_or(5.0);
        Self {
            count,
            interval: Duration::from_secs_f64(secs),
        }
    }
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{name}={value:?} is not a valid number"),
    }
}

// ------------------------------------------------------------------ parent

fn parent(args: &[String]) {
    let quick = !args.iter().any(|a| a == "--bench");
    let baseline = !args.iter().any(|a| a == "--no-baseline")
        && std::env::var("TIMERS_BASELINE").map_or(true, |v| v != "0");
    // Children inherit TIMERS_COUNT / TIMERS_SECS; a smoke run (as
    // `cargo test --benches` makes) overrides them.
    let env: Vec<(&str, String)> = if quick {
        vec![
            ("TIMERS_COUNT", "200".into()),
            ("TIMERS_SECS", "0.05".into()),
        ]
    } else {
        Vec::new()
    };
    let config = if quick {
        Config {
            count: 200,
            interval: Duration::from_millis(50),
        }
    } else {
        Config::from_env()
    };

    let mut columns = vec![("pythreading Timer", run_child("timer", &env))];
    if baseline {
        columns.push(("thread per timer", run_child("threads", &env)));
    }

    println!();
    println!(
        "{} timers of {:?}, {} CPUs",
        config.count,
        config.interval,
        thread::available_parallelism().map_or(0, usize::from)
    );
    print!("{:<28}", "");
    for (name, _) in &columns {
        print!("{name:>20}");
    }
    println!();
    let rows: [(&str, Cell); 9] = [
        ("start all", |r| ms(r.get("start_us"))),
        ("extra threads (peak)", |r| r.get("threads").to_string()),
        ("peak RSS added", |r| mib(r.get("rss_kib"))),
        ("lateness median", |r| ms(r.get("p50_us"))),
        ("lateness p99", |r| ms(r.get("p99_us"))),
        ("lateness max", |r| ms(r.get("max_us"))),
        ("fired", |r| {
            format!("{}/{}", r.get("fired"), r.get("count"))
        }),
        ("cancel all pending", |r| ms(r.get("cancel_us"))),
        ("threads that failed to start", |r| {
            r.get("spawn_failures").to_string()
        }),
    ];
    for (label, cell) in rows {
        print!("{label:<28}");
        for (_, report) in &columns {
            print!("{:>20}", cell(report));
        }
        println!();
    }
}

/// How one row of the table shows a report.
type Cell = fn(&Report) -> String;

/// One child's `key=value` results.
struct Report(BTreeMap<String, u64>);

impl Report {
    fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or_default()
    }
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn run_child(scenario: &str, env: &[(&str, String)]) -> Report {
    let exe = std::env::current_exe().expect("the bench binary");
    eprintln!("running scenario `{scenario}` in a child process…");
    let output = Command::new(exe)
        .env("TIMERS_SCENARIO", scenario)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the child ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "scenario {scenario} failed ({}):\n{stdout}\n{}",
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

fn child(config: &Config, scenario: &dyn Scenario) {
    let n = config.count;
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
    let (spawn_failures, pending) =
        scenario.start_all(n, config.interval, callback, &mut scheduled);
    let start_time = started.elapsed();

    let mut peak_threads = Status::read().threads;
    let give_up = started + config.interval + GRACE;
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
