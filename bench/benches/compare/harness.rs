//! Interleaved rounds: every round runs each contender of a workload once,
//! in a rotating order, so a spell of the machine being busy slows all of
//! them alike and their ratios stay meaningful.

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use pythreading_bench::records::{Record, Unit, median, percentile};
use pythreading_bench::workloads::SIZE;

/// How much to measure: the sizes of a full run, a `--quick` one, or the
/// smoke run `cargo test --benches` makes (without `--bench`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// Every figure of BENCHMARKS.md.
    Full,
    /// Smaller batches, fewer rounds: a minute or so.
    Quick,
    /// One tiny round of everything: does it run, and check its results.
    Smoke,
}

impl Size {
    /// Picks `full`, `quick` or `smoke` by size.
    pub(crate) fn pick<T>(self, full: T, quick: T, smoke: T) -> T {
        match self {
            Size::Full => full,
            Size::Quick => quick,
            Size::Smoke => smoke,
        }
    }
}

/// One contender of a batch workload: `run(n)` performs `n` operations and
/// returns the time they took (set-up excluded).
pub(crate) struct Contender<'a> {
    /// The contender's id (`pythreading`, `rayon`, …).
    pub(crate) id: &'static str,
    /// How the report shows it in this workload.
    pub(crate) label: &'static str,
    /// Operations per round.
    pub(crate) ops: u64,
    /// Performs that many operations and times them.
    pub(crate) run: Box<dyn FnMut(u64) -> Duration + 'a>,
}

impl<'a> Contender<'a> {
    /// A contender doing `ops` operations per round.
    pub(crate) fn new(
        id: &'static str,
        label: &'static str,
        ops: u64,
        run: impl FnMut(u64) -> Duration + 'a,
    ) -> Self {
        Self {
            id,
            label,
            ops,
            run: Box::new(run),
        }
    }
}

/// Collects the records of a run and prints progress on stderr.
pub(crate) struct Suite {
    /// Sizes of this run.
    pub(crate) size: Size,
    /// Workload ids to run; empty runs all.
    filters: Vec<String>,
    /// Everything measured so far.
    pub(crate) records: Vec<Record>,
}

impl Suite {
    /// A suite of `size` running the workloads whose id contains one of
    /// `filters` (all when empty).
    pub(crate) fn new(size: Size, filters: Vec<String>) -> Self {
        Self {
            size,
            filters,
            records: Vec::new(),
        }
    }

    /// Whether `workload` was asked for.
    pub(crate) fn wants(&self, workload: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| workload.contains(f.as_str()))
    }

    /// Rounds of a batch workload in this run.
    pub(crate) fn rounds(&self, full: usize) -> usize {
        self.size.pick(full, full.div_ceil(2).max(3), 1)
    }

    /// Runs `contenders` in `rounds` interleaved rounds after one warm-up
    /// round, and records each one's time per operation (`metric` `time`,
    /// the median over the rounds).
    pub(crate) fn interleaved(
        &mut self,
        workload: &str,
        rounds: usize,
        mut contenders: Vec<Contender<'_>>,
    ) {
        for c in &mut contenders {
            black_box((c.run)(c.ops.div_ceil(10).max(1)));
        }
        let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
        for round in 0..rounds {
            for k in 0..contenders.len() {
                let i = (k + round) % contenders.len();
                let c = &mut contenders[i];
                let elapsed = (c.run)(c.ops);
                samples[i].push(elapsed.as_secs_f64() / c.ops as f64);
            }
        }
        for (c, samples) in contenders.iter().zip(samples) {
            self.push(workload, c.id, c.label, "time", Unit::Seconds, samples);
        }
        self.report(workload, "time");
    }

    /// Records one figure: the median of `samples` (or the one value).
    pub(crate) fn push(
        &mut self,
        workload: &str,
        contender: &str,
        label: &str,
        metric: &str,
        unit: Unit,
        samples: Vec<f64>,
    ) {
        self.records.push(Record {
            workload: workload.to_owned(),
            contender: contender.to_owned(),
            label: label.to_owned(),
            metric: metric.to_owned(),
            value: median(&samples),
            unit,
            samples,
        });
    }

    /// Records `p50` and `p99` over every timed operation of a contender,
    /// given round by round; each round's own percentile is a sample.
    pub(crate) fn push_percentiles(
        &mut self,
        workload: &str,
        contender: &str,
        label: &str,
        rounds: &[Vec<f64>],
    ) {
        let all: Vec<f64> = rounds.concat();
        for (metric, p) in [("p50", 50.0), ("p99", 99.0)] {
            self.records.push(Record {
                workload: workload.to_owned(),
                contender: contender.to_owned(),
                label: label.to_owned(),
                metric: metric.to_owned(),
                value: percentile(&all, p),
                unit: Unit::Seconds,
                samples: rounds.iter().map(|times| percentile(times, p)).collect(),
            });
        }
    }

    /// Prints one line per contender of `workload` for `metric`, with its
    /// ratio to pythreading's figure.
    pub(crate) fn report(&self, workload: &str, metric: &str) {
        let of = |r: &&Record| r.workload == workload && r.metric == metric;
        let ours = self
            .records
            .iter()
            .filter(of)
            .find(|r| r.contender == "pythreading")
            .map(|r| r.value);
        eprintln!("{workload} ({metric})");
        for r in self.records.iter().filter(of) {
            let ratio = match ours {
                Some(ours) if r.contender != "pythreading" => {
                    format!("  {:.2}x pythreading's", r.value / ours)
                }
                _ => String::new(),
            };
            let shown = show(&r.metric, r.value, r.unit);
            eprintln!("  {:<50}{shown:>14}{ratio}", r.label);
        }
    }
}

/// A figure of `metric` for the progress lines: a type's size in plain
/// bytes, other memory in MiB.
pub(crate) fn show(metric: &str, value: f64, unit: Unit) -> String {
    match unit {
        Unit::Bytes if metric == SIZE => format!("{value} B"),
        Unit::Seconds if value < 1e-6 => format!("{:.1} ns", value * 1e9),
        Unit::Seconds if value < 1e-3 => format!("{:.2} µs", value * 1e6),
        Unit::Seconds if value < 1.0 => format!("{:.2} ms", value * 1e3),
        Unit::Seconds => format!("{value:.2} s"),
        Unit::Bytes => format!("{:.1} MiB", value / 1048576.0),
        Unit::Ratio => format!("{value:.2}x"),
        Unit::Count => format!("{value}"),
    }
}

/// Runs `op` `ops` times in total, split evenly over `threads` threads that
/// start together, and returns the wall time from the first start to the
/// last finish.
pub(crate) fn run_split(threads: u64, ops: u64, op: &(impl Fn() + Sync)) -> Duration {
    let start_line = Barrier::new(threads as usize);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                // The first `ops % threads` threads take one extra.
                let share = ops / threads + u64::from(t < ops % threads);
                let start_line = &start_line;
                s.spawn(move || {
                    start_line.wait();
                    let start = Instant::now();
                    for _ in 0..share {
                        op();
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a bench thread panicked"))
            .collect()
    });
    let first = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("one thread at least");
    let last = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("one thread at least");
    last - first
}

/// Times `n` runs of `op` on this thread.
pub(crate) fn time_n(n: u64, mut op: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        op();
    }
    start.elapsed()
}
