//! The comparison suite (being written).
#![allow(missing_docs)]
fn main() {}
