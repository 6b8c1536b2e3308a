//! How the queues keep their items: the [`Store`] trait, and the FIFO and
//! LIFO stores (the priority queue's heap is in `heap.rs`).

use std::collections::VecDeque;

/// How the three kinds of queue store their items.
pub(super) trait Store<T> {
    /// Whether `push` and `pop` can panic (a user's `Ord`): only then do
    /// `put` and `get` pay for catching it. Known when compiling.
    const MAY_PANIC: bool = false;
    /// Adds `item`. If it panics, the item is either held (and `len` counts
    /// it) or was not taken at all.
    fn push(&mut self, item: T);
    /// Removes the next item. If it panics, nothing was removed.
    fn pop(&mut self) -> Option<T>;
    /// How many items it holds.
    fn len(&self) -> usize;
    /// Everything, in the order `pop` would give it. If it panics, every
    /// item is still held.
    fn drain_all(&mut self) -> Vec<T> {
        let mut items = Vec::with_capacity(self.len());
        while let Some(item) = self.pop() {
            items.push(item);
        }
        items
    }
}

/// First in, first out: a `Queue`'s items.
#[derive(Debug)]
pub(super) struct Fifo<T>(VecDeque<T>);

impl<T> Fifo<T> {
    pub(super) const fn new() -> Self {
        Self(VecDeque::new())
    }
}

impl<T> Store<T> for Fifo<T> {
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    fn drain_all(&mut self) -> Vec<T> {
        self.0.drain(..).collect()
    }
}

/// Last in, first out: a `LifoQueue`'s items.
#[derive(Debug)]
pub(super) struct Lifo<T>(Vec<T>);

impl<T> Lifo<T> {
    pub(super) const fn new() -> Self {
        Self(Vec::new())
    }
}

impl<T> Store<T> for Lifo<T> {
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn drain_all_gives_the_pop_order() {
        let mut fifo = Fifo::new();
        let mut lifo = Lifo::new();
        for n in [2, 3, 1] {
            fifo.push(n);
            lifo.push(n);
        }
        assert_eq!(fifo.pop(), Some(2));
        assert_eq!(lifo.pop(), Some(1));
        fifo.push(4);
        lifo.push(4);
        assert_eq!(fifo.drain_all(), [3, 1, 4]);
        assert_eq!(lifo.drain_all(), [4, 3, 2]);
        assert_eq!((fifo.len(), lifo.len()), (0, 0));
        assert_eq!((fifo.pop(), lifo.pop()), (None, None));
    }
}
