//! The `examples` step: run each example binary with a time limit and check
//! what it printed (stdout and stderr together) against the table `EXAMPLES`.
//!
//! The table is in `examples/table.rs` (to check a new example, add one
//! `ExampleCheck` entry to it); what an entry asks for, and the check of an
//! example's lines against it, in `examples/check.rs`; running one example
//! and reading what it prints, in `examples/capture.rs`.

mod capture;
mod check;
mod table;

use std::path::Path;
use std::time::Instant;

use capture::run_one;
use table::EXAMPLES;
pub(crate) use table::names;

/// Runs every example of the table (or only those named in `only`) from
/// `bin_dir` and checks it; reports all failing examples, not just the first.
pub(crate) fn run(root: &Path, bin_dir: &Path, only: &[String]) -> Result<(), String> {
    let mut failed = Vec::new();
    for check in EXAMPLES {
        if !only.is_empty() && !only.iter().any(|n| n == check.name) {
            continue;
        }
        let bin = bin_dir.join(format!("{}{}", check.name, std::env::consts::EXE_SUFFIX));
        println!("$ {}", bin.strip_prefix(root).unwrap_or(&bin).display());
        let start = Instant::now();
        let (problems, output) = run_one(root, &bin, check);
        let secs = start.elapsed().as_secs_f64();
        if problems.is_empty() {
            println!("example {} ok ({secs:.1} s)", check.name);
            continue;
        }
        println!("example {} FAILED ({secs:.1} s)", check.name);
        for problem in &problems {
            println!("  - {problem}");
        }
        println!(
            "  output of {} (stdout and stderr, in arrival order):",
            check.name
        );
        for line in &output {
            println!("  {} | {}", line.stream, line.text);
        }
        if output.is_empty() {
            println!("  (nothing)");
        }
        failed.push(check.name);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failing examples: {}", failed.join(", ")))
    }
}
