//! The race-condition demo of [pythreading]: the tutorial's `FakeDatabase`,
//! whose [`update`](FakeDatabase::update) loses writes when two threads run
//! it at once, and its fix, [`locked_update`](FakeDatabase::locked_update),
//! which holds a `Lock` around the same steps.
//!
//! Every statement the threads run is recorded in a [`Timeline`]: which
//! thread ran it, when, its `local_copy` and the shared value. The timeline
//! prints as a terminal table and draws as an SVG diagram
//! ([`Timeline::to_svg`]), a lane per thread, with each write that wiped
//! out another thread's update marked: the tutorial's diagrams, drawn from
//! a real run.
//!
//! The `fakedb` binary (cargo feature `cli`, on by default) runs it all:
//!
//! ```sh
//! cargo run -p pythreading-fakedb -- race                # 2 threads, 1 update lost
//! cargo run -p pythreading-fakedb -- fixrace --threads 8 # 8 threads, none lost
//! cargo run -p pythreading-fakedb -- race --svg race.svg # and draw it
//! ```
//!
//! Each update's sleep obeys the calling thread's cancellation token
//! (`pythreading_core::CancellationToken`): a cancelled update stops there,
//! without writing back, and the timeline ends it with
//! [`Step::Interrupted`]. The binary cancels them all on Ctrl-C, prints
//! what ran and exits with status 130; the library itself installs no
//! Ctrl-C handler.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use pythreading_fakedb::{run, Mode};
//!
//! let report = run(Mode::Race, 2, Duration::from_millis(200)).unwrap();
//! assert_eq!(report.expected, 2);
//! assert_eq!(report.end, 1);
//! assert_eq!(report.lost(), 1);
//! assert_eq!(report.timeline.overwrites().len(), 1);
//!
//! let report = run(Mode::FixRace, 4, Duration::from_millis(5)).unwrap();
//! assert_eq!(report.end, 4);
//! assert_eq!(report.lost(), 0);
//! ```
//!
//! [pythreading]: https://docs.rs/pythreading

#![forbid(unsafe_code)]

mod database;
mod demo;
pub mod logging;
mod svg;
mod timeline;

pub use database::{DEFAULT_DELAY, DEFAULT_TIMELINE_CAPACITY, FakeDatabase};
pub use demo::{DemoError, MAX_DELAY, MAX_THREADS, Mode, Report, run};
pub use timeline::{Event, Overwrite, Step, Timeline};

/// The crate README's code blocks, compiled and run as doc tests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub mod readme {}
