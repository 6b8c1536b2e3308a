//! A `PriorityQueue`'s items: a binary heap that a panicking `Ord` cannot
//! make lose an item.

use super::store::Store;

/// A binary min-heap (the smallest item at the root, as Python's `heapq`)
/// that moves items only by swapping them, so that a panicking `Ord` can
/// never lose one: at every step the vector holds each item exactly once.
/// A comparison that panics may leave the heap out of order; `disordered`
/// says so, and the next operation rebuilds it first (and if that panics
/// too, it stays disordered, still holding everything).
#[derive(Debug)]
pub(super) struct Heap<T> {
    items: Vec<T>,
    disordered: bool,
}

impl<T: Ord> Heap<T> {
    pub(super) const fn new() -> Self {
        Self {
            items: Vec::new(),
            disordered: false,
        }
    }

    /// Runs `reorder`, which may panic half-way: the heap counts as
    /// disordered until it returns.
    fn reorder(&mut self, reorder: impl FnOnce(&mut Self)) {
        self.disordered = true;
        reorder(self);
        self.disordered = false;
    }

    fn less(&self, a: usize, b: usize) -> bool {
        self.items[a].cmp(&self.items[b]).is_lt()
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.less(at, parent) {
                break;
            }
            self.items.swap(at, parent);
            at = parent;
        }
    }

    /// Sifts `items[at]` down within `items[..end]`.
    fn sift_down(&mut self, mut at: usize, end: usize) {
        loop {
            let left = 2 * at + 1;
            if left >= end {
                break;
            }
            let right = left + 1;
            let child = if right < end && self.less(right, left) {
                right
            } else {
                left
            };
            if !self.less(child, at) {
                break;
            }
            self.items.swap(at, child);
            at = child;
        }
    }

    fn rebuild(&mut self) {
        let end = self.items.len();
        for at in (0..end / 2).rev() {
            self.sift_down(at, end);
        }
    }
}

impl<T: Ord> Store<T> for Heap<T> {
    const MAY_PANIC: bool = true;
    fn push(&mut self, item: T) {
        // Held from here on, whatever the comparisons do.
        self.items.push(item);
        if self.disordered {
            self.reorder(Self::rebuild);
        } else {
            let last = self.items.len() - 1;
            self.reorder(|heap| heap.sift_up(last));
        }
    }

    fn pop(&mut self) -> Option<T> {
        if self.disordered {
            self.reorder(Self::rebuild);
        }
        let last = self.items.len().checked_sub(1)?;
        // The smallest goes to the end, and leaves only once the rest is in
        // order again.
        self.items.swap(0, last);
        self.reorder(|heap| heap.sift_down(0, last));
        self.items.pop()
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn drain_all(&mut self) -> Vec<T> {
        // A sorted vector is a heap too; if a comparison panics, the sort
        // leaves every item in the vector (as every slice sort does).
        self.reorder(|heap| heap.items.sort());
        std::mem::take(&mut self.items)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::cmp::Ordering;
    use std::panic::{self, AssertUnwindSafe};

    thread_local! {
        /// While set, every comparison of a [`Touchy`] panics.
        static TROUBLE: Cell<bool> = const { Cell::new(false) };
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Touchy(u8);

    impl Ord for Touchy {
        fn cmp(&self, other: &Self) -> Ordering {
            if TROUBLE.get() {
                // `resume_unwind` skips the panic hook: nothing is printed.
                panic::resume_unwind(Box::new("touchy"));
            }
            self.0.cmp(&other.0)
        }
    }

    impl PartialOrd for Touchy {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    fn in_trouble<R>(f: impl FnOnce() -> R) -> Option<R> {
        TROUBLE.set(true);
        let result = panic::catch_unwind(AssertUnwindSafe(f)).ok();
        TROUBLE.set(false);
        result
    }

    #[test]
    fn smallest_first() {
        let mut heap = Heap::new();
        for n in [5, 3, 8, 1, 9, 2, 7] {
            heap.push(Touchy(n));
        }
        let out: Vec<u8> = std::iter::from_fn(|| heap.pop()).map(|t| t.0).collect();
        assert_eq!(out, [1, 2, 3, 5, 7, 8, 9]);
    }

    /// A panicking comparison in push, pop or drain loses nothing, and the
    /// order comes back once the items compare again.
    #[test]
    fn a_panicking_ord_loses_nothing() {
        let mut heap = Heap::new();
        for n in [4, 6, 2] {
            heap.push(Touchy(n));
        }
        // The pushed item is held even though sifting it up panicked.
        assert!(in_trouble(|| heap.push(Touchy(1))).is_none());
        assert!(heap.disordered);
        assert_eq!(heap.len(), 4);
        // A panicking pop removes nothing.
        assert!(in_trouble(|| heap.pop()).is_none());
        assert_eq!(heap.len(), 4);
        // Nor does a panicking drain.
        assert!(in_trouble(|| heap.drain_all()).is_none());
        assert_eq!(heap.len(), 4);
        assert_eq!(heap.pop(), Some(Touchy(1)));
        assert!(!heap.disordered);
        heap.push(Touchy(3));
        let rest: Vec<u8> = heap.drain_all().into_iter().map(|t| t.0).collect();
        assert_eq!(rest, [2, 3, 4, 6]);
    }
}
