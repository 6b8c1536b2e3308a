//! What the integration tests share.

use std::fs;
use std::path::PathBuf;

/// A fresh directory of its own for each test: `suite` names the test
/// file, `name` the test.
pub(crate) fn temp_dir(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pythreading-bench-{suite}-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}
