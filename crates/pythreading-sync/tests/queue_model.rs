//! proptest model tests: random put / get / task_done / shutdown sequences
//! on each queue agree with a `VecDeque` (FIFO, LIFO) or `BinaryHeap`
//! (priority) model, including every error and every item handed back.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use proptest::prelude::*;
use pythreading_sync::SyncError;
use pythreading_sync::queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue};

#[derive(Debug, Clone)]
enum Op {
    Put(u8),
    PutNowait(u8),
    Get,
    TaskDone,
    Shutdown(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::PutNowait),
        2 => any::<u8>().prop_map(Op::Put),
        4 => Just(Op::Get),
        2 => Just(Op::TaskDone),
        1 => any::<bool>().prop_map(Op::Shutdown),
    ]
}

/// The model: items in a reference container plus Python's counters.
trait Model: Default {
    fn push(&mut self, v: u8);
    fn pop(&mut self) -> Option<u8>;
    fn len(&self) -> usize;
}

#[derive(Default)]
struct FifoModel(VecDeque<u8>);
impl Model for FifoModel {
    fn push(&mut self, v: u8) {
        self.0.push_back(v);
    }
    fn pop(&mut self) -> Option<u8> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Default)]
struct LifoModel(Vec<u8>);
impl Model for LifoModel {
    fn push(&mut self, v: u8) {
        self.0.push(v);
    }
    fn pop(&mut self) -> Option<u8> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Default)]
struct HeapModel(BinaryHeap<Reverse<u8>>);
impl Model for HeapModel {
    fn push(&mut self, v: u8) {
        self.0.push(Reverse(v));
    }
    fn pop(&mut self) -> Option<u8> {
        self.0.pop().map(|Reverse(v)| v)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// The operations the three queues share, for one generic check.
trait UnderTest {
    fn put_nowait(&self, v: u8) -> Result<(), PutError<u8>>;
    fn get_nowait(&self) -> Result<u8, GetError>;
    fn task_done(&self) -> Result<(), SyncError>;
    fn shutdown(&self, immediate: bool) -> Vec<u8>;
    fn qsize(&self) -> usize;
    fn full(&self) -> bool;
    fn empty(&self) -> bool;
    fn unfinished_tasks(&self) -> usize;
    fn is_shutdown(&self) -> bool;
}

macro_rules! under_test {
    ($ty:ident) => {
        impl UnderTest for $ty<u8> {
            fn put_nowait(&self, v: u8) -> Result<(), PutError<u8>> {
                $ty::put_nowait(self, v)
            }
            fn get_nowait(&self) -> Result<u8, GetError> {
                $ty::get_nowait(self)
            }
            fn task_done(&self) -> Result<(), SyncError> {
                $ty::task_done(self)
            }
            fn shutdown(&self, immediate: bool) -> Vec<u8> {
                $ty::shutdown(self, immediate)
            }
            fn qsize(&self) -> usize {
                $ty::qsize(self)
            }
            fn full(&self) -> bool {
                $ty::full(self)
            }
            fn empty(&self) -> bool {
                $ty::empty(self)
            }
            fn unfinished_tasks(&self) -> usize {
                $ty::unfinished_tasks(self)
            }
            fn is_shutdown(&self) -> bool {
                $ty::is_shutdown(self)
            }
        }
    };
}
under_test!(Queue);
under_test!(LifoQueue);
under_test!(PriorityQueue);

fn check<Q: UnderTest, M: Model>(q: &Q, maxsize: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut model = M::default();
    let mut unfinished = 0usize;
    let mut shut = false;
    for op in ops {
        match op {
            // A blocking put is only issued when it cannot block.
            Op::Put(v) | Op::PutNowait(v) => {
                let result = q.put_nowait(v);
                if shut {
                    prop_assert_eq!(result, Err(PutError::ShutDown(v)));
                } else if maxsize > 0 && model.len() >= maxsize {
                    prop_assert_eq!(result, Err(PutError::Full(v)));
                } else {
                    prop_assert_eq!(result, Ok(()));
                    model.push(v);
                    unfinished += 1;
                }
            }
            Op::Get => {
                let expected = match model.pop() {
                    Some(v) => Ok(v),
                    None if shut => Err(GetError::ShutDown),
                    None => Err(GetError::Empty),
                };
                prop_assert_eq!(q.get_nowait(), expected);
            }
            Op::TaskDone => {
                if unfinished == 0 {
                    prop_assert_eq!(q.task_done(), Err(SyncError::TaskDoneTooManyTimes));
                } else {
                    prop_assert_eq!(q.task_done(), Ok(()));
                    unfinished -= 1;
                }
            }
            Op::Shutdown(immediate) => {
                let drained = q.shutdown(immediate);
                shut = true;
                if immediate {
                    let mut expected = Vec::new();
                    while let Some(v) = model.pop() {
                        expected.push(v);
                    }
                    unfinished = unfinished.saturating_sub(expected.len());
                    prop_assert_eq!(drained, expected);
                } else {
                    prop_assert!(drained.is_empty());
                }
            }
        }
        prop_assert_eq!(q.qsize(), model.len());
        prop_assert_eq!(q.empty(), model.len() == 0);
        prop_assert_eq!(q.full(), maxsize > 0 && model.len() >= maxsize);
        prop_assert_eq!(q.unfinished_tasks(), unfinished);
        prop_assert_eq!(q.is_shutdown(), shut);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn fifo_matches_vecdeque(maxsize in 0usize..5, ops in prop::collection::vec(op(), 0..80)) {
        check::<_, FifoModel>(&Queue::new(maxsize), maxsize, ops)?;
    }

    #[test]
    fn lifo_matches_vec(maxsize in 0usize..5, ops in prop::collection::vec(op(), 0..80)) {
        check::<_, LifoModel>(&LifoQueue::new(maxsize), maxsize, ops)?;
    }

    #[test]
    fn priority_matches_binary_heap(maxsize in 0usize..5, ops in prop::collection::vec(op(), 0..80)) {
        check::<_, HeapModel>(&PriorityQueue::new(maxsize), maxsize, ops)?;
    }
}
