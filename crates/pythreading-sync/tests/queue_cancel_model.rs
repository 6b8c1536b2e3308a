//! A proptest model of a bounded `Queue<u64>` driven by worker threads
//! that block and are cancelled: random sequences of puts and gets on
//! workers (each under a token of its own), cancels of blocked workers
//! (alone, or racing a `put_nowait` / `get_nowait` of the test thread),
//! and `put_nowait` / `get_nowait`, ending with `shutdown(true)`.
//!
//! Every item put is delivered by exactly one get or handed back exactly
//! once (by a cancelled put, a refused `put_nowait`, a put refused by the
//! shutdown, or the items the shutdown drains), never both and never lost;
//! each get returns the item at the front of the model, so FIFO order holds
//! among delivered items; and the queue's counts of waiting threads match
//! the workers that are blocked.
//!
//! Deterministic: after each step the test waits until every busy worker
//! is parked under its token (and counted by the queue) or has reported,
//! then checks what happened against the model. Only the racing steps have
//! two possible outcomes, and each is checked for what it implies.
//!
//! `PROPTEST_CASES` overrides the number of cases (64).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use pythreading_core::CancellationToken;
use pythreading_sync::queue::{GetError, PutError, Queue};

/// How long a step may take to settle before the test calls it a hang.
const PATIENCE: Duration = Duration::from_secs(30);
const WORKERS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// An idle worker (the n-th, modulo their number) puts the next item.
    Put(u8),
    /// An idle worker gets.
    Get(u8),
    PutNowait,
    GetNowait,
    /// A blocked worker's token is cancelled.
    Cancel(u8),
    /// A blocked getter's token is cancelled while the test thread puts
    /// (with `true`, the cancel is over before the put starts: a wake-up
    /// of the put that reaches the cancelled getter must go on).
    CancelGetterRacingPut(u8, bool),
    /// A blocked putter's token is cancelled while the test thread gets
    /// (with `true`, the cancel is over before the get starts).
    CancelPutterRacingGet(u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::Put),
        4 => any::<u8>().prop_map(Op::Get),
        2 => Just(Op::PutNowait),
        2 => Just(Op::GetNowait),
        3 => any::<u8>().prop_map(Op::Cancel),
        3 => any::<(u8, bool)>().prop_map(|(n, first)| Op::CancelGetterRacingPut(n, first)),
        3 => any::<(u8, bool)>().prop_map(|(n, first)| Op::CancelPutterRacingGet(n, first)),
    ]
}

enum Command {
    Put(u64, CancellationToken),
    Get(CancellationToken),
}

#[derive(Debug)]
enum Outcome {
    Put(Result<(), PutError<u64>>),
    Get(Result<u64, GetError>),
}

/// What a worker is doing, as far as the test knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Idle,
    /// Putting this item, under the token in `Worker::token`.
    Putting(u64),
    Getting,
}

struct Worker {
    commands: Option<Sender<Command>>,
    outcomes: Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    busy: Busy,
    token: CancellationToken,
    /// Reported in the step being settled.
    reported: Option<Outcome>,
}

impl Worker {
    fn spawn(q: &Arc<Queue<u64>>) -> Self {
        let (commands, inbox) = mpsc::channel::<Command>();
        let (outbox, outcomes) = mpsc::channel();
        let q = Arc::clone(q);
        let thread = thread::spawn(move || {
            for command in inbox {
                let outcome = match command {
                    Command::Put(item, token) => Outcome::Put(token.run(|| q.put(item))),
                    Command::Get(token) => Outcome::Get(token.run(|| q.get())),
                };
                if outbox.send(outcome).is_err() {
                    return;
                }
            }
        });
        Self {
            commands: Some(commands),
            outcomes,
            thread: Some(thread),
            busy: Busy::Idle,
            token: CancellationToken::new(),
            reported: None,
        }
    }

    fn start(&mut self, busy: Busy) {
        self.token = CancellationToken::new();
        let command = match busy {
            Busy::Putting(item) => Command::Put(item, self.token.clone()),
            Busy::Getting => Command::Get(self.token.clone()),
            Busy::Idle => unreachable!("a command"),
        };
        self.commands
            .as_ref()
            .expect("running")
            .send(command)
            .expect("the worker runs");
        self.busy = busy;
    }
}

/// The queue, its workers and the model they are checked against.
struct Harness {
    q: Arc<Queue<u64>>,
    maxsize: usize,
    workers: Vec<Worker>,
    /// The items in the queue, front first.
    model: VecDeque<u64>,
    next_item: u64,
    delivered: Vec<u64>,
    handed_back: Vec<u64>,
}

impl Harness {
    fn new(maxsize: usize) -> Self {
        let q = Arc::new(Queue::new(maxsize));
        let workers = (0..WORKERS).map(|_| Worker::spawn(&q)).collect();
        Self {
            q,
            maxsize,
            workers,
            model: VecDeque::new(),
            next_item: 0,
            delivered: Vec::new(),
            handed_back: Vec::new(),
        }
    }

    fn new_item(&mut self) -> u64 {
        self.next_item += 1;
        self.next_item - 1
    }

    /// The `n`-th (modulo their number) worker in a state `busy` accepts.
    fn pick(&self, n: u8, busy: impl Fn(Busy) -> bool) -> Option<usize> {
        let matching: Vec<usize> = (0..WORKERS)
            .filter(|&w| busy(self.workers[w].busy))
            .collect();
        (!matching.is_empty()).then(|| matching[usize::from(n) % matching.len()])
    }

    fn blocked_getters(&self) -> Vec<usize> {
        (0..WORKERS)
            .filter(|&w| self.workers[w].busy == Busy::Getting)
            .collect()
    }

    fn blocked_putters(&self) -> Vec<usize> {
        (0..WORKERS)
            .filter(|&w| matches!(self.workers[w].busy, Busy::Putting(_)))
            .collect()
    }

    /// Waits until every busy worker has either reported (its outcome is
    /// kept in `reported`, and it is idle again) or is parked under its
    /// token and counted by the queue as waiting. Returns the workers that
    /// reported.
    fn settle(&mut self) -> Vec<usize> {
        let start = Instant::now();
        let mut reported = Vec::new();
        let mut polls = 0u32;
        loop {
            for (w, worker) in self.workers.iter_mut().enumerate() {
                if worker.busy == Busy::Idle {
                    continue;
                }
                if let Ok(outcome) = worker.outcomes.try_recv() {
                    worker.reported = Some(outcome);
                    worker.busy = Busy::Idle;
                    reported.push(w);
                }
            }
            let getters = self.blocked_getters();
            let putters = self.blocked_putters();
            let parked = getters
                .iter()
                .chain(&putters)
                .all(|&w| self.workers[w].token.parked() == 1);
            if parked
                && self.q.waiting_getters() == getters.len()
                && self.q.waiting_putters() == putters.len()
            {
                return reported;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the workers never settled: {:?}, {} getters and {} putters waiting",
                self.workers.iter().map(|w| w.busy).collect::<Vec<_>>(),
                self.q.waiting_getters(),
                self.q.waiting_putters(),
            );
            polls += 1;
            if polls < 64 {
                thread::yield_now();
            } else {
                thread::sleep(Duration::from_millis(1));
            }
        }
    }

    fn outcome(&mut self, w: usize) -> Outcome {
        self.workers[w].reported.take().expect("it reported")
    }

    /// A get returned `item`: it must be the model's front.
    fn got(&mut self, item: u64) {
        assert_eq!(Some(item), self.model.pop_front(), "FIFO order");
        self.delivered.push(item);
    }

    /// After an item went in: if getters were blocked, exactly one of
    /// them reported, with that item.
    fn check_woken_getter(&mut self, getters_before: &[usize], reported: &[usize]) {
        let woken: Vec<usize> = reported
            .iter()
            .copied()
            .filter(|w| getters_before.contains(w))
            .collect();
        assert_eq!(woken.len(), usize::from(!getters_before.is_empty()));
        for w in woken {
            match self.outcome(w) {
                Outcome::Get(Ok(item)) => self.got(item),
                other => panic!("a woken getter returned {other:?}"),
            }
        }
    }

    /// After an item went out: if putters were blocked, exactly one of
    /// them reported, its item now at the back.
    fn check_woken_putter(&mut self, putters_before: &[(usize, u64)], reported: &[usize]) {
        let woken: Vec<(usize, u64)> = putters_before
            .iter()
            .copied()
            .filter(|(w, _)| reported.contains(w))
            .collect();
        assert_eq!(woken.len(), usize::from(!putters_before.is_empty()));
        for (w, item) in woken {
            match self.outcome(w) {
                Outcome::Put(Ok(())) => self.model.push_back(item),
                other => panic!("a woken putter returned {other:?}"),
            }
        }
    }

    fn putters_with_items(&self) -> Vec<(usize, u64)> {
        self.blocked_putters()
            .into_iter()
            .map(|w| match self.workers[w].busy {
                Busy::Putting(item) => (w, item),
                _ => unreachable!("a putter"),
            })
            .collect()
    }

    /// Cancels worker `w`'s token on another thread, or on this one
    /// before returning when `now`.
    fn cancel(&self, w: usize, now: bool) -> JoinHandle<()> {
        let token = self.workers[w].token.clone();
        if now {
            token.cancel();
            thread::spawn(|| {})
        } else {
            thread::spawn(move || token.cancel())
        }
    }

    fn step(&mut self, op: &Op) {
        let getters = self.blocked_getters();
        let putters = self.putters_with_items();
        match *op {
            Op::Put(n) => {
                let Some(w) = self.pick(n, |b| b == Busy::Idle) else {
                    return;
                };
                let item = self.new_item();
                self.workers[w].start(Busy::Putting(item));
                let reported = self.settle();
                if self.model.len() < self.maxsize {
                    assert!(reported.contains(&w), "a put with room returned");
                    assert!(matches!(self.outcome(w), Outcome::Put(Ok(()))));
                    self.model.push_back(item);
                    self.check_woken_getter(&getters, &reported);
                } else {
                    assert!(reported.is_empty(), "a put on a full queue blocks");
                }
            }
            Op::Get(n) => {
                let Some(w) = self.pick(n, |b| b == Busy::Idle) else {
                    return;
                };
                self.workers[w].start(Busy::Getting);
                let reported = self.settle();
                if self.model.is_empty() {
                    assert!(reported.is_empty(), "a get on an empty queue blocks");
                } else {
                    assert!(reported.contains(&w), "a get with an item returned");
                    match self.outcome(w) {
                        Outcome::Get(Ok(item)) => self.got(item),
                        other => panic!("a get with an item returned {other:?}"),
                    }
                    self.check_woken_putter(&putters, &reported);
                }
            }
            Op::PutNowait => {
                let item = self.new_item();
                let put = self.q.put_nowait(item);
                let reported = self.settle();
                if self.model.len() < self.maxsize {
                    assert!(put.is_ok(), "{put:?}");
                    self.model.push_back(item);
                    self.check_woken_getter(&getters, &reported);
                } else {
                    assert!(matches!(put, Err(PutError::Full(back)) if back == item));
                    self.handed_back.push(item);
                    assert!(reported.is_empty());
                }
            }
            Op::GetNowait => {
                let got = self.q.get_nowait();
                let reported = self.settle();
                match got {
                    Ok(item) => {
                        self.got(item);
                        self.check_woken_putter(&putters, &reported);
                    }
                    Err(e) => {
                        assert_eq!(e, GetError::Empty);
                        assert!(self.model.is_empty());
                        assert!(reported.is_empty());
                    }
                }
            }
            Op::Cancel(n) => {
                let Some(w) = self.pick(n, |b| b != Busy::Idle) else {
                    return;
                };
                let busy = self.workers[w].busy;
                self.workers[w].token.cancel();
                let reported = self.settle();
                assert_eq!(reported, [w], "only the cancelled worker returned");
                match (busy, self.outcome(w)) {
                    (Busy::Getting, Outcome::Get(Err(GetError::Cancelled))) => {}
                    (Busy::Putting(item), Outcome::Put(Err(PutError::Cancelled(back)))) => {
                        assert_eq!(back, item);
                        self.handed_back.push(back);
                    }
                    (busy, other) => panic!("cancelled while {busy:?}, it returned {other:?}"),
                }
            }
            Op::CancelGetterRacingPut(n, cancel_first) => {
                let Some(w) = self.pick(n, |b| b == Busy::Getting) else {
                    return;
                };
                let item = self.new_item();
                let canceller = self.cancel(w, cancel_first);
                // Getters are blocked: the queue is empty, so there is room.
                assert!(self.q.put_nowait(item).is_ok());
                canceller.join().expect("cancel");
                self.model.push_back(item);
                let reported = self.settle();
                assert!(reported.contains(&w), "the cancelled getter returned");
                let others: Vec<usize> = getters.iter().copied().filter(|&o| o != w).collect();
                match self.outcome(w) {
                    // It got there first: the others wait on.
                    Outcome::Get(Ok(got)) => {
                        self.got(got);
                        assert_eq!(reported, [w]);
                    }
                    // It took nothing: the item went to another getter if
                    // there was one (the wake-up was passed on), else it
                    // is still queued.
                    Outcome::Get(Err(GetError::Cancelled)) => {
                        self.check_woken_getter(&others, &reported);
                        assert_eq!(reported.len(), 1 + usize::from(!others.is_empty()));
                    }
                    other => panic!("a cancelled getter returned {other:?}"),
                }
            }
            Op::CancelPutterRacingGet(n, cancel_first) => {
                let Some(w) = self.pick(n, |b| matches!(b, Busy::Putting(_))) else {
                    return;
                };
                let Busy::Putting(item) = self.workers[w].busy else {
                    unreachable!("a putter");
                };
                let canceller = self.cancel(w, cancel_first);
                // Putters are blocked: the queue is full, so there is an item.
                let got = self.q.get_nowait().expect("a full queue");
                canceller.join().expect("cancel");
                self.got(got);
                let reported = self.settle();
                assert!(reported.contains(&w), "the cancelled putter returned");
                let others: Vec<(usize, u64)> =
                    putters.iter().copied().filter(|&(o, _)| o != w).collect();
                match self.outcome(w) {
                    Outcome::Put(Ok(())) => {
                        self.model.push_back(item);
                        assert_eq!(reported, [w]);
                    }
                    Outcome::Put(Err(PutError::Cancelled(back))) => {
                        assert_eq!(back, item);
                        self.handed_back.push(back);
                        self.check_woken_putter(&others, &reported);
                        assert_eq!(reported.len(), 1 + usize::from(!others.is_empty()));
                    }
                    other => panic!("a cancelled putter returned {other:?}"),
                }
            }
        }
        assert!(
            self.workers.iter().all(|w| w.reported.is_none()),
            "an outcome nobody expected"
        );
        assert_eq!(self.q.qsize(), self.model.len());
        assert_eq!(self.q.waiting_getters(), self.blocked_getters().len());
        assert_eq!(self.q.waiting_putters(), self.blocked_putters().len());
        if !self.blocked_getters().is_empty() {
            assert!(
                self.model.is_empty(),
                "getters blocked by a queue with items"
            );
        }
        if !self.blocked_putters().is_empty() {
            assert_eq!(self.model.len(), self.maxsize, "putters blocked with room");
        }
    }

    /// `shutdown(true)`: the items queued come back, blocked putters get
    /// theirs back, blocked getters are told; then every item is accounted
    /// for exactly once.
    fn finish(mut self) {
        let getters = self.blocked_getters();
        let putters = self.putters_with_items();
        let drained = self.q.shutdown(true);
        assert_eq!(drained, Vec::from(std::mem::take(&mut self.model)));
        self.handed_back.extend(drained);
        let mut reported = self.settle();
        reported.sort_unstable();
        let mut blocked = getters.clone();
        blocked.extend(putters.iter().map(|&(w, _)| w));
        blocked.sort_unstable();
        assert_eq!(reported, blocked, "every blocked worker returned");
        for w in getters {
            assert!(matches!(
                self.outcome(w),
                Outcome::Get(Err(GetError::ShutDown))
            ));
        }
        for (w, item) in putters {
            match self.outcome(w) {
                Outcome::Put(Err(PutError::ShutDown(back))) => {
                    assert_eq!(back, item);
                    self.handed_back.push(back);
                }
                other => panic!("a putter at shutdown returned {other:?}"),
            }
        }
        let mut all = self.delivered.clone();
        all.extend(&self.handed_back);
        all.sort_unstable();
        assert_eq!(
            all,
            (0..self.next_item).collect::<Vec<_>>(),
            "every item delivered or handed back exactly once"
        );
        for worker in &mut self.workers {
            worker.commands = None;
            worker
                .thread
                .take()
                .expect("running")
                .join()
                .expect("the worker ended");
        }
    }
}

impl Drop for Harness {
    /// A failed case leaves no worker blocked: they all wake and end.
    fn drop(&mut self) {
        let _ = self.q.shutdown(true);
        for worker in &mut self.workers {
            worker.commands = None;
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn cancelled_workers_lose_no_item(
        maxsize in 1usize..4,
        ops in prop::collection::vec(op(), 0..60),
    ) {
        let mut harness = Harness::new(maxsize);
        for op in &ops {
            harness.step(op);
        }
        harness.finish();
    }
}
