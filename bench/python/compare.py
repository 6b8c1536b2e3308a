#!/usr/bin/env python3
"""CPython's side of the pythreading comparison suite.

Measures the workloads of ``bench/README.md`` that have a ``python``
contender, using only the standard library (``threading``, ``queue`` and
``concurrent.futures``), and writes them as a results file in the JSON
format of ``bench/src/records.rs``. ``cargo xtask bench`` runs it after
the Rust suite, in a process of its own (its rounds are not interleaved
with the Rust contenders', and the report says so), and puts both in one
report; it can also be run alone::

    python3 bench/python/compare.py --out target/bench/python.json
    python3 bench/python/compare.py --quick --out python.json
    python3 bench/python/compare.py --smoke --out /tmp/p.json --only barrier

``--quick`` runs 3 rounds of smaller workloads instead of 7; ``--smoke``
runs one round of tiny ones, only to check that the script works.

Every workload but ``timers`` sizes its batches so that a round takes about
a quarter of a second (the calibration doubles as a warm-up), runs one
discarded batch, then its rounds; a record's ``value`` is the median of
its per-round figures. Times are wall-clock seconds per operation and
include the Python loop around the operation, since a Python user pays it
too. ``timers`` runs once, in a child process of its own (this script with
a hidden flag), so that its threads and memory are not mixed with ours.

Progress goes to stderr, one line per figure. The exit status is 0 on
success, 2 on bad arguments and 1 when a workload failed its own check
(a lost increment, a wrong sum); the results file is written either way,
without the failed workloads.

Runs on CPython 3.8 and later, free-threaded builds included.
"""

import argparse
import json
import math
import os
import platform
import queue
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from concurrent.futures import ThreadPoolExecutor

perf_counter = time.perf_counter

# How long a timer child may wait past its interval for its last timer.
TIMERS_GRACE = 120.0


class Plan:
    """How big a run is.

    rounds: rounds per workload; round_seconds: what a calibrated batch
    aims to take; round_trips: tasks per round of pool_round_trip;
    latency_trips: timed round trips of pool_latency, all rounds together;
    piece_seconds: what one piece of cpu_speedup takes; timers and
    interval: how many threading.Timers the timers child starts, and
    their interval in seconds.
    """

    def __init__(self, name, rounds, round_seconds, round_trips, latency_trips,
                 piece_seconds, timers, interval):
        self.name = name
        self.rounds = rounds
        self.round_seconds = round_seconds
        self.round_trips = round_trips
        self.latency_trips = latency_trips
        self.piece_seconds = piece_seconds
        self.timers = timers
        self.interval = interval


PLANS = {
    "full": Plan("full", 7, 0.25, 100_000, 20_000, 0.050, 10_000, 5.0),
    "quick": Plan("quick", 3, 0.1, 20_000, 2_000, 0.020, 2_000, 2.0),
    "smoke": Plan("smoke", 1, 0.005, 1_000, 200, 0.002, 50, 0.2),
}


class CheckFailed(Exception):
    """A workload's own result was wrong (a lost increment, a wrong sum)."""


# --- figures -----------------------------------------------------------------


def percentile(values, p):
    """The p-th percentile (0 to 100) of values by nearest rank, as records.rs."""
    ordered = sorted(values)
    rank = math.ceil((p / 100.0) * len(ordered))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def record(workload, label, metric, value, unit, samples=()):
    """One figure of the python contender, as records.rs's Record."""
    return {
        "workload": workload,
        "contender": "python",
        "label": label,
        "metric": metric,
        "value": float(value),
        "unit": unit,
        "samples": [float(s) for s in samples],
    }


def timed_record(workload, label, samples, metric="time"):
    """A seconds record whose value is the median of its per-round samples."""
    return record(workload, label, metric, statistics.median(samples),
                  "seconds", samples)


def show(value, unit):
    """A figure in a unit a person reads at a glance."""
    if unit == "seconds":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
            if abs(value) >= scale:
                return "%.3g %s" % (value / scale, suffix)
        return "%.3g ns" % (value / 1e-9)
    if unit == "bytes":
        return "%.1f MiB" % (value / 2**20)
    if unit == "ratio":
        return "%.2fx" % value
    return "%d" % value


def progress(line):
    """Writes one line of progress to stderr at once."""
    print(line, file=sys.stderr, flush=True)


def report(records):
    """Shows each record's figure on stderr as it is measured."""
    for r in records:
        n = len(r["samples"])
        rounds = " (%d round%s)" % (n, "" if n == 1 else "s") if n else ""
        progress("  %-18s %-10s %-12s %s%s" % (
            r["workload"], r["metric"], show(r["value"], r["unit"]),
            r["label"], rounds))


def interpreter():
    """The interpreter, its version and whether the GIL is on."""
    name = "%s %s" % (platform.python_implementation(), platform.python_version())
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        name += " free-threaded"
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    return "%s, GIL %s" % (name, "enabled" if gil_enabled else "disabled")


# --- batches -----------------------------------------------------------------


def round_size(n):
    """n rounded down to two significant digits, at least 1."""
    n = max(1, int(n))
    digits = len(str(n)) - 2
    return (n // 10**digits) * 10**digits if digits > 0 else n


def calibrate(batch, seconds):
    """A batch size n for which batch(n) takes about `seconds`.

    batch(n) runs n operations and returns the seconds per operation. The
    size grows until a batch takes a tenth of the target, then scales.
    """
    n = 16
    while True:
        per_op = batch(n)
        if per_op * n >= seconds / 10 or n >= 1 << 30:
            return round_size(seconds / max(per_op, 1e-12))
        n *= 4


def rounds_of(batch, plan):
    """Calibrates, warms up, then returns batch's per-op time for each round.

    The warm-up batch sizes the rounds once more: some operations cost more
    in a long batch than in the short ones calibration starts with.
    """
    n = calibrate(batch, plan.round_seconds)
    n = round_size(plan.round_seconds / batch(n))
    return [batch(n) for _ in range(plan.rounds)]


def fastest_form(forms, plan):
    """The (name, batch) of forms that runs fastest, each warmed and timed alike.

    forms maps a form's name to its batch; both do the same operations.
    """
    n = calibrate(next(iter(forms.values())), plan.round_seconds / 2)
    best = {name: math.inf for name in forms}
    for _ in range(3):
        for name, batch in forms.items():
            best[name] = min(best[name], batch(n))
    name = min(best, key=best.get)
    return name, forms[name]


def run_together(work, count):
    """Runs work(i) on count threads started at once; returns the wall time.

    The time runs from the first thread's start past the gate to the last
    one's end, as each thread reads the clock itself.
    """
    gate = threading.Barrier(count)
    spans = [None] * count

    def body(i):
        gate.wait()
        start = perf_counter()
        work(i)
        spans[i] = (start, perf_counter())

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if any(s is None for s in spans):
        raise CheckFailed("a thread did not finish its work")
    return max(end for _, end in spans) - min(start for start, _ in spans)


def noop():
    """A task that does nothing."""


# --- pools -------------------------------------------------------------------


def pool_round_trip(plan, notes):
    """Submits N no-op tasks to a pool of 2, then collects every result."""
    n = plan.round_trips

    def batch(pool, count):
        start = perf_counter()
        futures = [pool.submit(noop) for _ in range(count)]
        for f in futures:
            f.result()
        return (perf_counter() - start) / count

    with ThreadPoolExecutor(max_workers=2) as pool:
        batch(pool, max(n // 5, 100))
        samples = [batch(pool, n) for _ in range(plan.rounds)]
    return [timed_record("pool_round_trip", "ThreadPoolExecutor", samples)]


def pool_latency(plan, notes):
    """Times single submit + result round trips on an idle pool of 2."""
    total, rounds = plan.latency_trips, plan.rounds
    counts = [total // rounds + (i < total % rounds) for i in range(rounds)]

    def trips(pool, count):
        times = []
        for _ in range(count):
            start = perf_counter()
            pool.submit(noop).result()
            times.append(perf_counter() - start)
        return times

    with ThreadPoolExecutor(max_workers=2) as pool:
        trips(pool, max(total // 10, 100))
        per_round = [trips(pool, count) for count in counts]
    every = [t for times in per_round for t in times]
    return [
        record("pool_latency", "ThreadPoolExecutor", metric,
               percentile(every, p), "seconds",
               [percentile(times, p) for times in per_round])
        for metric, p in (("p50", 50), ("p99", 99))
    ]


def piece(n):
    """Pure-Python integer arithmetic: n steps of a small congruential mix."""
    x = 1
    for i in range(n):
        x = (x * 1103515245 + i) % 2147483647
    return x


def timed_piece(n):
    """Seconds per step of piece(n)."""
    start = perf_counter()
    piece(n)
    return (perf_counter() - start) / n


def cpu_speedup(plan, notes):
    """4 equal arithmetic pieces, one after the other and on a pool of 2."""
    n = calibrate(timed_piece, plan.piece_seconds)
    expected = piece(n)

    def sequential():
        start = perf_counter()
        results = [piece(n) for _ in range(4)]
        return perf_counter() - start, results

    def parallel(pool):
        start = perf_counter()
        results = list(pool.map(piece, [n] * 4))
        return perf_counter() - start, results

    seq, par = [], []
    with ThreadPoolExecutor(max_workers=2) as pool:
        parallel(pool)
        for r in range(plan.rounds):
            # Alternate which goes first, so neither always runs warmer.
            if r % 2:
                par_time, par_results = parallel(pool)
                seq_time, seq_results = sequential()
            else:
                seq_time, seq_results = sequential()
                par_time, par_results = parallel(pool)
            if seq_results != [expected] * 4 or par_results != [expected] * 4:
                raise CheckFailed("a piece computed a different result")
            seq.append(seq_time)
            par.append(par_time)
    speedups = [s / p for s, p in zip(seq, par)]
    label = "ThreadPoolExecutor"
    return [
        record("cpu_speedup", label, "speedup", statistics.median(speedups),
               "ratio", speedups),
        timed_record("cpu_speedup", label, seq, "sequential"),
        timed_record("cpu_speedup", label, par, "parallel"),
    ]


# --- locks -------------------------------------------------------------------


def with_batch(make):
    """A batch of n `with lock: pass` on a lock from make()."""
    def batch(n):
        lock = make()
        start = perf_counter()
        for _ in range(n):
            with lock:
                pass
        return (perf_counter() - start) / n
    return batch


def acquire_release_batch(make):
    """A batch of n `lock.acquire(); lock.release()` on a lock from make()."""
    def batch(n):
        lock = make()
        start = perf_counter()
        for _ in range(n):
            lock.acquire()
            lock.release()
        return (perf_counter() - start) / n
    return batch


def uncontended(workload, api, make, plan):
    """Acquire + release on one thread, in whichever idiomatic form is faster."""
    form, batch = fastest_form(
        {"with": with_batch(make), "acquire/release": acquire_release_batch(make)},
        plan)
    label = "%s (%s)" % (api, form)
    return [timed_record(workload, label, rounds_of(batch, plan))]


def contended(workload, api, make, plan):
    """2 threads increment one counter under `with lock:`; time per increment."""
    def batch(n):
        lock = make()
        half = max(1, n // 2)
        counter = [0]

        def work(_):
            for _ in range(half):
                with lock:
                    counter[0] += 1

        elapsed = run_together(work, 2)
        if counter[0] != 2 * half:
            raise CheckFailed("%s: counted %d of %d increments"
                              % (workload, counter[0], 2 * half))
        return elapsed / (2 * half)

    return [timed_record(workload, "%s (with)" % api, rounds_of(batch, plan))]


def lock_uncontended(plan, notes):
    """threading.Lock acquire + release on one thread."""
    return uncontended("lock_uncontended", "threading.Lock", threading.Lock, plan)


def lock_contended(plan, notes):
    """threading.Lock shared by 2 incrementing threads."""
    return contended("lock_contended", "threading.Lock", threading.Lock, plan)


def rlock_uncontended(plan, notes):
    """threading.RLock acquire + release on one thread."""
    return uncontended("rlock_uncontended", "threading.RLock", threading.RLock,
                       plan)


def rlock_contended(plan, notes):
    """threading.RLock shared by 2 incrementing threads."""
    return contended("rlock_contended", "threading.RLock", threading.RLock, plan)


def semaphore(plan, notes):
    """threading.Semaphore acquire + release on one thread."""
    return uncontended("semaphore", "threading.Semaphore", threading.Semaphore,
                       plan)


def semaphore_contended(plan, notes):
    """4 threads share a threading.Semaphore(2), each taking and giving back a unit.

    Time per acquire + release, over every thread. Afterwards exactly the
    2 units must be there to take, no more, no fewer.
    """
    threads, units = 4, 2

    def batch(n):
        sem = threading.Semaphore(units)
        share = max(1, n // threads)

        def work(_):
            for _ in range(share):
                with sem:
                    pass

        elapsed = run_together(work, threads)
        taken = 0
        while taken <= units and sem.acquire(blocking=False):
            taken += 1
        if taken != units:
            raise CheckFailed("semaphore_contended: %d units left of %d"
                              % (taken, units))
        return elapsed / (threads * share)

    return [timed_record("semaphore_contended",
                         "threading.Semaphore(2), 4 threads (with)",
                         rounds_of(batch, plan))]


# --- queues, barrier, threads -------------------------------------------------


def queue_workload(workload, maxsize, label, plan):
    """One producer puts the ints below n, one consumer gets them all."""
    def batch(n):
        q = queue.Queue(maxsize)
        total = [0]

        def work(i):
            if i == 0:
                for k in range(n):
                    q.put(k)
            else:
                got = 0
                for _ in range(n):
                    got += q.get()
                total[0] = got

        elapsed = run_together(work, 2)
        if total[0] != n * (n - 1) // 2:
            raise CheckFailed("%s: the consumer's sum is %d, not %d"
                              % (workload, total[0], n * (n - 1) // 2))
        return elapsed / n

    return [timed_record(workload, label, rounds_of(batch, plan))]


def queue_bounded(plan, notes):
    """queue.Queue(1024) between a producer and a consumer thread."""
    return queue_workload("queue_bounded", 1024, "queue.Queue(1024)", plan)


def queue_unbounded(plan, notes):
    """queue.Queue() between a producer and a consumer thread."""
    return queue_workload("queue_unbounded", 0, "queue.Queue()", plan)


def barrier(plan, notes):
    """Rounds of Barrier(2).wait() between the main thread and one other.

    wait() returns each thread's index in its round; every round must have
    exactly one index 0.
    """
    def batch(n):
        b = threading.Barrier(2)
        zeros = [0]

        def other():
            zeros[0] = sum(b.wait() == 0 for _ in range(n + 1))

        thread = threading.Thread(target=other)
        thread.start()
        mine = int(b.wait() == 0)
        start = perf_counter()
        for _ in range(n):
            mine += b.wait() == 0
        elapsed = perf_counter() - start
        thread.join()
        if mine + zeros[0] != n + 1:
            raise CheckFailed("barrier: %d rounds of %d had index 0 once"
                              % (mine + zeros[0], n + 1))
        return elapsed / n

    return [timed_record("barrier", "threading.Barrier(2)", rounds_of(batch, plan))]


def thread_start_join(plan, notes):
    """Starts a thread that counts itself and joins it, one at a time."""
    def batch(n):
        ran = []
        start = perf_counter()
        for _ in range(n):
            thread = threading.Thread(target=ran.append, args=(None,))
            thread.start()
            thread.join()
        elapsed = perf_counter() - start
        if len(ran) != n:
            raise CheckFailed("thread_start_join: %d of %d threads ran"
                              % (len(ran), n))
        return elapsed / n

    return [timed_record("thread_start_join", "threading.Thread",
                         rounds_of(batch, plan))]


# --- timers ------------------------------------------------------------------


def read_status():
    """Threads, VmRSS and VmHWM (bytes) from /proc/self/status, or None."""
    try:
        with open("/proc/self/status") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    found = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("Threads", "VmRSS", "VmHWM"):
            fields = rest.split()
            found[key] = int(fields[0]) * (1024 if len(fields) > 1 else 1)
    if "Threads" not in found or "VmRSS" not in found:
        return None
    return found


def max_rss():
    """The process's peak RSS in bytes from getrusage, or None without it."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Probe:
    """Samples the process's thread count and memory, keeping the peaks.

    Reads /proc/self/status where there is one; elsewhere counts Python
    threads and reads getrusage's peak RSS.
    """

    def __init__(self):
        status = read_status()
        self.proc = status is not None
        if self.proc:
            self.threads_before = status["Threads"]
            self.rss_before = status["VmRSS"]
        else:
            self.threads_before = threading.active_count()
            self.rss_before = max_rss()
        self.peak_threads = self.threads_before
        self.peak_rss = self.rss_before

    def sample(self):
        """Reads the current figures once."""
        if self.proc:
            status = read_status() or {}
            threads, rss = status.get("Threads", 0), status.get("VmRSS", 0)
        else:
            threads, rss = threading.active_count(), None
        self.peak_threads = max(self.peak_threads, threads)
        if rss is not None and self.peak_rss is not None:
            self.peak_rss = max(self.peak_rss, rss)

    def memory_added(self):
        """Peak bytes added since the start, or None when unknown."""
        if self.rss_before is None:
            return None
        if self.proc:
            peak = max((read_status() or {}).get("VmHWM", 0), self.peak_rss)
        else:
            peak = max_rss()
        return max(0, peak - self.rss_before)


def timers_child(count, interval):
    """Starts `count` threading.Timers at once and prints what it saw as JSON.

    Runs in a process of its own. The main thread samples the thread count
    and memory while it starts the timers (every 10 ms) and while it waits
    for them (every 5 ms). A timer is due `interval` after its own start.
    """
    fired = [None] * count
    due = [0.0] * count
    timers = [None] * count
    notes = []

    def fire(i):
        fired[i] = time.monotonic()

    probe = Probe()
    next_sample = perf_counter()
    start = perf_counter()
    for i in range(count):
        timer = threading.Timer(interval, fire, args=(i,))
        timers[i] = timer
        due[i] = time.monotonic() + interval
        timer.start()
        if perf_counter() >= next_sample:
            probe.sample()
            next_sample = perf_counter() + 0.010
    start_seconds = perf_counter() - start

    deadline = due[-1] + TIMERS_GRACE if count else time.monotonic()
    waiting = 0
    while waiting < count:
        if fired[waiting] is not None:
            waiting += 1
            continue
        probe.sample()
        if time.monotonic() > deadline:
            for timer in timers:
                timer.cancel()
            notes.append("%d of %d timers had not fired %g s after the last "
                         "one was due, and were cancelled"
                         % (sum(f is None for f in fired), count, TIMERS_GRACE))
            break
        time.sleep(0.005)
    probe.sample()
    for timer in timers:
        timer.join()

    late = sorted(f - d for f, d in zip(fired, due) if f is not None)
    if not probe.proc:
        notes.append("no /proc: threads counted by threading.active_count(), "
                     "memory from getrusage")
    json.dump({
        "start": start_seconds,
        "threads": probe.peak_threads - probe.threads_before,
        "memory": probe.memory_added(),
        "late": [percentile(late, 50), percentile(late, 99), late[-1]] if late else None,
        "notes": notes,
    }, sys.stdout)


def child_command(count, interval):
    """The command line that runs timers_child with this interpreter's -X options."""
    options = ["-X%s" % k if v is True else "-X%s=%s" % (k, v)
               for k, v in sys._xoptions.items()]
    return ([sys.executable] + options
            + [os.path.abspath(__file__), "--timers-child", str(count), str(interval)])


def timers(plan, notes):
    """threading.Timer, measured in a child process; its notes go to `notes`."""
    count, interval = plan.timers, plan.interval
    progress("  (timers: %d of %g s in a child process)" % (count, interval))
    # The child bounds its own wait; this is for a child that hangs anyway.
    limit = interval + TIMERS_GRACE + 60 + count * 0.05
    try:
        child = subprocess.run(child_command(count, interval),
                               stdout=subprocess.PIPE, timeout=limit)
    except subprocess.TimeoutExpired:
        raise CheckFailed("timers: the child process ran past %d s" % limit)
    if child.returncode != 0:
        raise CheckFailed("timers: the child process exited with status %d"
                          % child.returncode)
    seen = json.loads(child.stdout)
    notes.extend("timers: " + note for note in seen["notes"])
    label = "threading.Timer"
    records = [
        record("timers", label, "start", seen["start"], "seconds"),
        record("timers", label, "threads", seen["threads"], "count"),
    ]
    if seen["memory"] is not None:
        records.append(record("timers", label, "memory", seen["memory"], "bytes"))
    else:
        notes.append("timers: memory not measured (no /proc, no getrusage)")
    if seen["late"] is not None:
        for metric, value in zip(("late_p50", "late_p99", "late_max"), seen["late"]):
            records.append(record("timers", label, metric, value, "seconds"))
    else:
        notes.append("timers: none fired")
    return records


# --- the run -----------------------------------------------------------------


# The workloads with a python contender, in bench/README.md's order, each
# with the function that measures it.
MEASURES = {
    "pool_round_trip": pool_round_trip,
    "pool_latency": pool_latency,
    "cpu_speedup": cpu_speedup,
    "lock_uncontended": lock_uncontended,
    "lock_contended": lock_contended,
    "rlock_uncontended": rlock_uncontended,
    "rlock_contended": rlock_contended,
    "queue_bounded": queue_bounded,
    "queue_unbounded": queue_unbounded,
    "semaphore": semaphore,
    "semaphore_contended": semaphore_contended,
    "barrier": barrier,
    "thread_start_join": thread_start_join,
    "timers": timers,
}
WORKLOADS = tuple(MEASURES)


def run(plan, only, notes):
    """Runs the chosen workloads; returns their records and the failed ones.

    Each workload is the function of its name: it takes the plan and a
    list to add notes for the report to, and returns its records.
    """
    records, failed = [], []
    for workload in WORKLOADS:
        if only and workload not in only:
            continue
        progress("%s ..." % workload)
        start = perf_counter()
        try:
            found = MEASURES[workload](plan, notes)
        except CheckFailed as e:
            progress("  FAILED: %s" % e)
            failed.append(workload)
            continue
        report(found)
        progress("  (%.1f s)" % (perf_counter() - start))
        records.extend(found)
    return records, failed


def parse_args(argv):
    """The command line, checked; argparse exits with status 2 when it is bad."""
    parser = argparse.ArgumentParser(
        description="Measure CPython's threading, queue and concurrent.futures "
                    "on the workloads of bench/README.md and write a results "
                    "file (JSON).")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="smaller workloads and 3 rounds instead of 7")
    size.add_argument("--smoke", action="store_true",
                      help="tiny workloads and 1 round, to test the script")
    parser.add_argument("--out", metavar="PATH", help="the results file to write")
    parser.add_argument("--only", nargs="+", metavar="WORKLOAD", choices=WORKLOADS,
                        help="run only these workloads: " + ", ".join(WORKLOADS))
    parser.add_argument("--timers-child", nargs=2, metavar=("COUNT", "INTERVAL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.timers_child is None and args.out is None:
        parser.error("the following arguments are required: --out")
    return args


def main(argv=None):
    """Runs the suite (or the timers child) and returns the exit status."""
    args = parse_args(argv)
    if args.timers_child is not None:
        timers_child(int(args.timers_child[0]), float(args.timers_child[1]))
        return 0

    plan = PLANS["smoke" if args.smoke else "quick" if args.quick else "full"]
    note = interpreter()
    progress("python: %s; %s run, %d round%s" % (
        note, plan.name, plan.rounds, "" if plan.rounds == 1 else "s"))
    notes = []
    start = perf_counter()
    records, failed = run(plan, set(args.only or ()), notes)
    if args.smoke:
        notes.append("smoke run: tiny workloads, 1 round")
    if failed:
        notes.append("failed their check: " + ", ".join(failed))

    results = {
        "source": "python",
        "quick": plan.name != "full",
        "note": "; ".join([note] + notes),
        "records": records,
    }
    directory = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(directory, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2, allow_nan=False)
        f.write("\n")
    progress("wrote %d records to %s in %.0f s"
             % (len(records), args.out, perf_counter() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
