//! The workloads of the comparison suite, as `bench/README.md` lists them:
//! what one operation of each is, its metrics and its contenders, in the
//! page's order ([`WORKLOADS`]); and the names the page and the chart share,
//! a contender's [`family`] and a metric's heading.

/// What a workload's section shows.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The workload's id, as in `bench/README.md`.
    pub id: &'static str,
    /// The section's title.
    pub title: &'static str,
    /// What one operation is, in one line.
    pub operation: &'static str,
    /// Its metrics, one column each, in order. The chart has a group for
    /// every one of them.
    pub metrics: &'static [&'static str],
    /// The metrics that get a "vs pythreading" column (times only).
    pub compared: &'static [&'static str],
    /// Its contenders, in row order, with the label shown when a contender
    /// has no record (a record's own label wins).
    pub contenders: &'static [(&'static str, &'static str)],
    /// The label under its groups in the chart, in two lines. A workload
    /// of several metrics shows the metric as the second line instead.
    pub chart: [&'static str; 2],
}

impl Workload {
    /// The two lines under `metric`'s group in the chart.
    pub fn chart_label(&self, metric: &'static str) -> [String; 2] {
        if self.metrics.len() == 1 {
            self.chart.map(str::to_owned)
        } else {
            [self.chart[0].to_owned(), metric_header(metric)]
        }
    }
}

/// The family of a contender id: the peer it is, whichever form of it.
/// A contender id is a family (`rayon`), or a family, `/` and the form
/// (`rayon/par_iter`: rayon, as its users write a batch).
pub fn family(contender: &str) -> &str {
    contender.split('/').next().unwrap_or(contender)
}

/// The workload of the types' sizes: one record per type, its
/// `std::mem::size_of` in bytes, under the contender id `family/type`
/// (`pythreading/Lock`, `parking_lot/Mutex<()>`). Not a workload of
/// [`WORKLOADS`]: the page shows it as a table of its own, the chart not
/// at all.
pub const SIZE_OF: &str = "size_of";

/// The metric of [`SIZE_OF`]'s records.
pub const SIZE: &str = "size";

/// How a metric heads its column.
pub(crate) fn metric_header(metric: &str) -> String {
    metric.replace('_', " ")
}

const POOL: &[(&str, &str)] = &[
    (
        "pythreading",
        "pythreading `ThreadPoolExecutor` (`submit` + `result`)",
    ),
    ("rayon", "rayon `spawn` + channel"),
    ("rayon/par_iter", "rayon `par_iter().map().sum()`"),
    ("threadpool", "threadpool `execute` + channel"),
    ("std", "`std::thread::spawn` per task + `join`"),
    ("python", "Python `ThreadPoolExecutor`"),
];

const LATENCY: &[(&str, &str)] = &[
    (
        "pythreading",
        "pythreading `ThreadPoolExecutor` (`submit` + `result`)",
    ),
    ("rayon", "rayon `spawn` + channel"),
    ("rayon/install", "rayon `install`"),
    ("threadpool", "threadpool `execute` + channel"),
    ("std", "`std::thread::spawn` + `join`"),
    ("python", "Python `ThreadPoolExecutor`"),
];

const LOCK: &[(&str, &str)] = &[
    ("pythreading", "pythreading `Lock`"),
    ("parking_lot", "parking_lot `Mutex<()>` beside the count"),
    ("parking_lot/data", "parking_lot `Mutex<u64>`"),
    ("std", "std `Mutex<()>` beside the count"),
    ("std/data", "std `Mutex<u64>`"),
    ("python", "Python `threading.Lock`"),
];

const RLOCK: &[(&str, &str)] = &[
    ("pythreading", "pythreading `RLock`"),
    (
        "parking_lot",
        "parking_lot `ReentrantMutex<()>` beside the count",
    ),
    (
        "parking_lot/data",
        "parking_lot `ReentrantMutex<Cell<u64>>`",
    ),
    ("python", "Python `threading.RLock`"),
];

const SEMAPHORE: &[(&str, &str)] = &[
    ("pythreading", "pythreading `Semaphore`"),
    ("std", "std `Mutex` + `Condvar`, by hand"),
    ("python", "Python `threading.Semaphore`"),
];

const TIME: &[&str] = &["time"];

/// The workloads of `bench/README.md`, in its order.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        id: "pool_round_trip",
        title: "Pool round trip",
        operation: "100,000 no-op tasks submitted to a pool of 2 workers, then every result \
                    collected and summed; time per task (`std`: a thread per task, on fewer \
                    tasks). `rayon par_iter` is the same batch as a rayon user writes it, \
                    `(0..n).into_par_iter().map(..).sum()`: rayon splits the range into a few \
                    jobs instead of a task per item.",
        metrics: TIME,
        compared: TIME,
        contenders: POOL,
        chart: ["pool", "round trip"],
    },
    Workload {
        id: "pool_latency",
        title: "Pool latency",
        operation: "one no-op task submitted to an idle pool of 2 workers and waited for, each \
                    round trip timed alone; p50 and p99 over every round trip. `rayon install` \
                    is rayon's own way to run one closure on the pool and wait for its value.",
        metrics: &["p50", "p99"],
        compared: &["p50", "p99"],
        contenders: LATENCY,
        chart: ["pool latency", ""],
    },
    Workload {
        id: "cpu_speedup",
        title: "CPU-bound speedup",
        operation: "4 equal pieces of pure arithmetic on 2 workers, against the same 4 run one \
                    after the other; speedup = sequential ÷ parallel (2x at best on 2 workers). \
                    The Rust contenders share one sequential time per round. Python's pieces are \
                    sized by time (pure-Python arithmetic is far slower), so its sequential and \
                    parallel times are not comparable with the Rust ones; its speedup is.",
        metrics: &["speedup", "sequential", "parallel"],
        compared: &[],
        contenders: &[
            (
                "pythreading",
                "pythreading `ThreadPoolExecutor` (`submit` + `result`)",
            ),
            ("rayon", "rayon `spawn` + channel"),
            ("rayon/par_iter", "rayon `par_iter().map().sum()`"),
            ("threadpool", "threadpool `execute` + channel"),
            ("python", "Python `ThreadPoolExecutor`"),
        ],
        chart: ["CPU-bound", ""],
    },
    Workload {
        id: "pool_nested",
        title: "Pool, nested waits",
        operation: "one fib(25) call tree (242,785 calls) on 2 workers; time per tree. Each \
                    call of ours submits fib(n - 1), computes fib(n - 2) itself and waits for \
                    the first with `result` (a waiting worker runs what nobody has started); \
                    rayon `join`s per call. For scale: `join` is the fastest way Rust has to \
                    nest. Python's pool deadlocks on this program once both workers wait, so \
                    it has no row.",
        metrics: TIME,
        compared: TIME,
        contenders: &[
            (
                "pythreading",
                "pythreading `ThreadPoolExecutor` (`submit` + `result` per call)",
            ),
            ("rayon", "rayon `join` per call"),
        ],
        chart: ["nested", "fib(25)"],
    },
    Workload {
        id: "pool_map_chunks",
        title: "Pool map, in chunks",
        operation: "1,000,000 items through a cheap function on 2 workers, every result \
                    collected into a `Vec` in input order; time per item. Ours is `map_with` \
                    with `chunksize(10_000)` (100 tasks, results one by one); rayon's \
                    `par_iter().map().collect()` splits the range itself.",
        metrics: TIME,
        compared: TIME,
        contenders: &[
            ("pythreading", "pythreading `map_with`, `chunksize(10_000)`"),
            ("rayon", "rayon `par_iter().map().collect()`"),
        ],
        chart: ["map", "chunks"],
    },
    Workload {
        id: "lock_uncontended",
        title: "Lock, uncontended",
        operation: "acquire, add one to a count, release, one thread. Every contender guards \
                    the same count: pythreading's locks hold no data (as Python's), so the \
                    count sits beside the lock; each Rust mutex runs twice, as a lock of `()` \
                    beside the count (the same work), and holding the count itself, \
                    `*m.lock() += 1`, as its users write it.",
        metrics: TIME,
        compared: TIME,
        contenders: LOCK,
        chart: ["Lock", "uncontended"],
    },
    Workload {
        id: "lock_contended",
        title: "Lock, contended",
        operation: "2 threads increment one counter under the lock; wall time per increment. \
                    Every contender guards the same count, as in the uncontended workload.",
        metrics: TIME,
        compared: TIME,
        contenders: LOCK,
        chart: ["Lock", "contended"],
    },
    Workload {
        id: "rlock_uncontended",
        title: "RLock, uncontended",
        operation: "acquire, add one to a count, release, one thread. parking_lot's \
                    `ReentrantMutex` runs with `()` beside the count, and holding it in a \
                    `Cell` (a reentrant guard lends only `&`), as its users write it.",
        metrics: TIME,
        compared: TIME,
        contenders: RLOCK,
        chart: ["RLock", "uncontended"],
    },
    Workload {
        id: "rlock_contended",
        title: "RLock, contended",
        operation: "2 threads increment one counter under the lock; wall time per increment.",
        metrics: TIME,
        compared: TIME,
        contenders: RLOCK,
        chart: ["RLock", "contended"],
    },
    Workload {
        id: "queue_bounded",
        title: "Queue, bounded",
        operation: "1 producer, 1 consumer, capacity 1024; time per item. The consumer of a \
                    channel takes the items through its iterator, which ends when the sender \
                    is dropped; a `Queue`'s `get`s them one by one, as many as were put.",
        metrics: TIME,
        compared: TIME,
        contenders: &[
            ("pythreading", "pythreading `Queue::new(1024)`"),
            ("crossbeam", "crossbeam `bounded(1024)`"),
            ("std", "std `mpsc::sync_channel(1024)`"),
            ("python", "Python `queue.Queue(1024)`"),
        ],
        chart: ["Queue", "bounded"],
    },
    Workload {
        id: "queue_unbounded",
        title: "Queue, unbounded",
        operation: "1 producer, 1 consumer, unbounded; time per item, taken as above.",
        metrics: TIME,
        compared: TIME,
        contenders: &[
            ("pythreading", "pythreading `Queue::new(0)`"),
            ("crossbeam", "crossbeam `unbounded()`"),
            ("std", "std `mpsc::channel()`"),
            ("python", "Python `queue.Queue()`"),
        ],
        chart: ["Queue", "unbounded"],
    },
    Workload {
        id: "semaphore",
        title: "Semaphore",
        operation: "acquire + release of a semaphore of 1, one thread. The std semaphore is a \
                    count under a `Mutex` and a `Condvar`, notified only when a thread sleeps \
                    on it, as its users write it.",
        metrics: TIME,
        compared: TIME,
        contenders: SEMAPHORE,
        chart: ["Semaphore", "uncontended"],
    },
    Workload {
        id: "semaphore_contended",
        title: "Semaphore, contended",
        operation: "4 threads share a semaphore of 2 units, each taking a unit and giving it \
                    back; wall time per acquire + release. Every holder checks that at most 2 \
                    are inside at once.",
        metrics: TIME,
        compared: TIME,
        contenders: SEMAPHORE,
        chart: ["Semaphore", "contended"],
    },
    Workload {
        id: "barrier",
        title: "Barrier",
        operation: "one round of `wait` between 2 threads; every round must have exactly one \
                    leader.",
        metrics: TIME,
        compared: TIME,
        contenders: &[
            ("pythreading", "pythreading `Barrier`"),
            ("std", "`std::sync::Barrier`"),
            ("python", "Python `threading.Barrier`"),
        ],
        chart: ["Barrier", ""],
    },
    Workload {
        id: "thread_start_join",
        title: "Thread start + join",
        operation: "start a thread that adds one to a shared count, then join it.",
        metrics: TIME,
        compared: TIME,
        contenders: &[
            ("pythreading", "pythreading `Thread`"),
            ("std", "`std::thread::spawn`"),
            ("python", "Python `threading.Thread`"),
        ],
        chart: ["thread", "start + join"],
    },
    Workload {
        id: "cancel_latency",
        title: "Cancellation latency",
        operation: "a call blocked on its own thread under a cancellation token, the token \
                    cancelled once the call is parked: the time from `cancel()` to the call \
                    returning `Cancelled`, each timed alone; p50 and p99. No peer can end a \
                    blocked call or a running task, so pythreading runs alone, a plain \
                    `Event::set` wake-up beside it for scale.",
        metrics: &["p50", "p99"],
        compared: &[],
        contenders: &[
            ("pythreading", "`Queue::get` cancelled"),
            ("pythreading/event", "`Event::wait_cancellable` cancelled"),
            (
                "pythreading/sleep",
                "a running task's `sleep`, `Future::interrupt`",
            ),
            (
                "pythreading/wake",
                "for scale: `Event::set` waking a plain `wait`",
            ),
        ],
        chart: ["cancellation", "latency"],
    },
    Workload {
        id: "group_stop",
        title: "Task group stop",
        operation: "a `TaskGroup` of 8 tasks on 8 workers, 7 asleep in a cancellable `sleep`, \
                    the 8th failing once they all sleep: the time from its failure to `join` \
                    returning with the other 7 stopped; p50 and p99.",
        metrics: &["p50", "p99"],
        compared: &[],
        contenders: &[("pythreading", "pythreading `TaskGroup`, 7 siblings stopped")],
        chart: ["group of 8", "stop"],
    },
    Workload {
        id: "timers",
        title: "Timers",
        operation: "10,000 timers started at once (2,000 in a quick run), each recording when it \
                    fired, in a child process of its own: the time to start them all, the extra \
                    threads at the peak, the peak memory added, how late they fired, and the \
                    time to cancel as many pending ones (not measured for Python, whose 10,000 \
                    threads would have to be started again).",
        metrics: &[
            "start", "threads", "memory", "late_p50", "late_p99", "late_max", "cancel",
        ],
        compared: &[],
        contenders: &[
            ("pythreading", "pythreading `Timer`"),
            ("std", "std: a thread per timer on a `Condvar`"),
            ("python", "Python `threading.Timer`"),
        ],
        chart: ["timers", ""],
    },
];
