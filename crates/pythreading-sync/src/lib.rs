//! pythreading-sync: Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event, Timer, Barrier and the queues (Python's threading objects and queue module).
//!
//! **Not built yet.** This release is deliberately empty: it exports no items.
//! See the workspace README for what is available today.

#![forbid(unsafe_code)]
