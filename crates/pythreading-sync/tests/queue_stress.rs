//! Several producers and consumers through small queues, bounded in size
//! and time: every item is received exactly once, and a shutdown in the
//! middle loses nothing (each item is received, drained or handed back).

use std::sync::Arc;
use std::thread::{self};
use std::time::Duration;

use pythreading_sync::queue::{GetError, LifoQueue, PriorityQueue, Queue};

mod common;
use common::join_all;

const PATIENCE: Duration = Duration::from_secs(60);
const PRODUCERS: u64 = 4;
const CONSUMERS: usize = 4;
const PER_PRODUCER: u64 = 5_000;

macro_rules! exactly_once {
    ($name:ident, $queue:ident) => {
        #[test]
        fn $name() {
            let q = Arc::new($queue::new(8));
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let q = Arc::clone(&q);
                    thread::spawn(move || {
                        for i in 0..PER_PRODUCER {
                            q.put(p * PER_PRODUCER + i).unwrap();
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..CONSUMERS)
                .map(|_| {
                    let q = Arc::clone(&q);
                    thread::spawn(move || {
                        let mut got = Vec::new();
                        loop {
                            match q.get() {
                                Ok(v) => {
                                    got.push(v);
                                    q.task_done().unwrap();
                                }
                                Err(GetError::ShutDown) => return got,
                                Err(GetError::Empty) => unreachable!("a blocking get"),
                                Err(GetError::Cancelled) => unreachable!("no token"),
                            }
                        }
                    })
                })
                .collect();
            join_all(producers);
            assert!(q.join_timeout(PATIENCE), "join did not see every task done");
            assert!(q.shutdown(false).is_empty());
            let mut all: Vec<u64> = join_all(consumers).into_iter().flatten().collect();
            all.sort_unstable();
            assert_eq!(all, (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>());
        }
    };
}

exactly_once!(fifo_every_item_exactly_once, Queue);
exactly_once!(lifo_every_item_exactly_once, LifoQueue);
exactly_once!(priority_every_item_exactly_once, PriorityQueue);

#[test]
fn shutdown_mid_stream_loses_nothing() {
    let q = Arc::new(Queue::new(4));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let mut refused = Vec::new();
                for i in 0..PER_PRODUCER {
                    if let Err(e) = q.put(p * PER_PRODUCER + i) {
                        refused.push(e.into_inner());
                    }
                }
                refused
            })
        })
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(v) = q.get() {
                    got.push(v);
                }
                got
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(20));
    let drained = q.shutdown(true);
    let mut all: Vec<u64> = drained;
    all.extend(join_all(producers).into_iter().flatten());
    all.extend(join_all(consumers).into_iter().flatten());
    all.sort_unstable();
    assert_eq!(all, (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>());
}
