//! pythreading measured against its peers: the results format shared by the
//! comparison suite, the Python script and `cargo xtask bench`, and the
//! report that turns results into `BENCHMARKS.md` and a chart.
//!
//! See `bench/README.md` for the workloads and their ids.

pub mod bars;
pub mod before_after;
pub mod chart;
pub mod criterion;
pub mod format;
pub mod inputs;
pub mod machine;
mod markdown;
pub mod page;
pub mod records;
pub mod report;
mod sizes;
pub mod tables;
pub mod targets;
pub mod workloads;

pub use records::{Record, Results, Unit};
