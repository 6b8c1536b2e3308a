//! The `fakedb` binary: its command line comes in the next commit.

fn main() {}
