//! pythreading-executor: ThreadPoolExecutor, Future, wait and as_completed (Python's concurrent.futures, thread part).
//!
//! **Not built yet.** This release is deliberately empty: it exports no items.
//! See the workspace README for what is available today.

#![forbid(unsafe_code)]
