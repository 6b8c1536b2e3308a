//! What the tests of several pythreading crates share, as a crate rather
//! than a file included by path, so that each crate's tests build from that
//! crate alone.
//!
//! - [`child_process`]: re-running a test binary as a child process, for
//!   what only a real process exit shows.
//!
//! Not published: it is a dev-dependency of pythreading-core and
//! pythreading-executor. Cargo drops a dev-dependency without a version from
//! the manifest it publishes, so the tests that use this crate are excluded
//! from those crates' packages (their `exclude` lists); every test that is
//! packaged builds from the package alone (`cargo xtask ci --only package`
//! checks it).

#![forbid(unsafe_code)]

pub mod child_process;
