//! pythreading-fakedb: the race-condition demo: FakeDatabase, its update that loses writes and its fix with a Lock, and the fakedb binary.
//!
//! **Not built yet.** This release is deliberately empty: it exports no items.
//! See the workspace README for what is available today.

#![forbid(unsafe_code)]
