//! Source checks that need nothing but std, run by `cargo xtask ci` (step
//! `tidy`) and by `cargo test` (the `tidy` test at the bottom):
//!
//! - every `*.rs` file under `crates/`, `bench/`, `examples/` and `xtask/` starts with a
//!   `//!` doc comment;
//! - no leftover debugging or placeholder macros;
//! - the facade crate only re-exports.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The directories searched for `*.rs` files, relative to the root.
const DIRS: &[&str] = &["crates", "bench", "examples", "xtask"];

/// The facade crate's root, which may only re-export.
const FACADE: &str = "crates/pythreading/src/lib.rs";

/// Macro calls that must not be committed. Spelled in pieces so that this
/// file does not trip its own check.
const FORBIDDEN_MACROS: &[&str] = &[
    concat!("dbg", "!("),
    concat!("todo", "!("),
    concat!("unimplemented", "!("),
];

/// Runs every check on the workspace at `root`; returns one line per problem.
pub(crate) fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in DIRS {
        if let Err(e) = collect_rs_files(&root.join(dir), &mut files) {
            problems.push(format!("{dir}: cannot list: {e}"));
        }
    }
    files.sort();
    for file in &files {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        match fs::read_to_string(file) {
            Ok(text) => problems.extend(check_file(&shown, &text)),
            Err(e) => problems.push(format!("{shown}: cannot read: {e}")),
        }
    }
    // A missing facade is the build's problem, not tidy's.
    if let Ok(text) = fs::read_to_string(root.join(FACADE)) {
        problems.extend(check_facade(FACADE, &text));
    }
    problems
}

/// Adds every `*.rs` file under `dir` to `files`, skipping `target` and hidden
/// directories. A missing `dir` is not an error.
fn collect_rs_files(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rs_files(&path, files)?;
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// Checks one source file: the `//!` header and the forbidden macros.
fn check_file(path: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if !first.is_some_and(|l| l.starts_with("//!")) {
        problems.push(format!("{path}: must start with a `//!` doc comment"));
    }
    for (i, line) in text.lines().enumerate() {
        for bad in FORBIDDEN_MACROS {
            if line.contains(bad) {
                problems.push(format!("{path}:{}: `{bad}` must not be committed", i + 1));
            }
        }
    }
    problems
}

/// Checks that the facade only re-exports: outside comments and attributes,
/// every line is part of a `pub use ...;`, opens an inline `pub mod name {`,
/// closes one with `}`, or is a one-line `pub mod name { pub use ...; }`.
/// So no `fn`, `struct`, `enum`, `impl`, `trait`, `static`, `const`, ...
fn check_facade(path: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut in_block_comment = false;
    let mut attribute_depth = 0; // unclosed `[` of an attribute spanning lines
    let mut in_use = false; // inside a `pub use` spanning lines
    let mut open_mods = 0;
    for (i, raw) in text.lines().enumerate() {
        let mut line = raw.trim();
        if in_block_comment {
            in_block_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("/*") {
            in_block_comment = !line.contains("*/");
            continue;
        }
        if let Some(comment) = line.find("//") {
            line = line[..comment].trim_end();
        }
        if attribute_depth > 0 || line.starts_with("#[") || line.starts_with("#![") {
            let (depth, rest) = skip_attribute(line, attribute_depth);
            attribute_depth = depth;
            line = rest.trim();
        }
        if line.is_empty() {
            continue;
        }
        if in_use {
            in_use = !line.contains(';');
            continue;
        }
        if line == "}" && open_mods > 0 {
            open_mods -= 1;
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub use ") {
            in_use = !rest.contains(';');
            continue;
        }
        if let Some((name, body)) = line
            .strip_prefix("pub mod ")
            .and_then(|r| r.split_once('{'))
        {
            let is_ident =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
            let body = body.trim();
            if is_ident(name.trim()) && body.is_empty() {
                open_mods += 1;
                continue;
            }
            let only_uses = |inner: &str| {
                inner
                    .split(';')
                    .map(str::trim)
                    .all(|s| s.is_empty() || s.starts_with("pub use "))
            };
            if is_ident(name.trim()) && body.strip_suffix('}').is_some_and(only_uses) {
                continue;
            }
        }
        problems.push(format!(
            "{path}:{}: the facade may only re-export (`pub use`, `pub mod x {{ pub use ...; }}`), found `{line}`",
            i + 1
        ));
    }
    if in_use || open_mods > 0 || attribute_depth > 0 {
        problems.push(format!(
            "{path}: unclosed `pub use`, `pub mod` or attribute at the end"
        ));
    }
    problems
}

/// Skips attribute text at the start of `line`, given `depth` brackets still
/// open from earlier lines; returns the depth left open and the rest of the
/// line after the attribute (empty if it continues on the next line).
fn skip_attribute(line: &str, mut depth: usize) -> (usize, &str) {
    for (i, c) in line.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (0, &line[i + 1..]);
                }
            }
            _ => {}
        }
    }
    (depth, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole workspace is tidy: `cargo test --workspace` runs the checks.
    #[test]
    fn tidy() {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir
            .parent()
            .expect("xtask lives inside the workspace");
        let problems = check(root);
        assert!(
            problems.is_empty(),
            "tidy found problems:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn files_need_a_doc_header() {
        assert!(check_file("a.rs", "\n//! Doc.\nfn main() {}\n").is_empty());
        assert_eq!(check_file("a.rs", "/// Item doc.\nfn main() {}\n").len(), 1);
        assert_eq!(check_file("a.rs", "#![allow(x)]\n//! Doc.\n").len(), 1);
        assert_eq!(check_file("a.rs", "").len(), 1);
    }

    #[test]
    fn forbidden_macros_are_found() {
        for bad in FORBIDDEN_MACROS {
            let text = format!("//! Doc.\nfn f() {{\n    {bad}1);\n}}\n");
            let problems = check_file("a.rs", &text);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].starts_with("a.rs:3:"));
        }
    }

    #[test]
    fn facade_with_only_reexports_passes() {
        let text = r#"//! The facade.
#![forbid(unsafe_code)]
#![cfg_attr(
    docsrs,
    feature(doc_cfg)
)]

/* A block
   comment. */
pub use pythreading_core::{Thread, current_thread}; // trailing comment
pub use pythreading_core::{
    ThreadError,
    local::Local,
};

/// Synchronisation primitives.
#[doc(inline)]
pub mod sync {
    #[cfg(feature = "sync")]
    pub use pythreading_sync::*;
}

#[doc(hidden)] pub use pythreading_core as core;
pub mod executor { pub use pythreading_executor::{Executor, Future}; }
"#;
        assert_eq!(check_facade("lib.rs", text), Vec::<String>::new());
    }

    #[test]
    fn facade_with_items_fails() {
        let items = [
            "fn helper() {}",
            "pub fn helper() {}",
            "pub struct S;",
            "enum E { A }",
            "impl S {}",
            "pub trait T {}",
            "static X: u8 = 0;",
            "pub const X: u8 = 0;",
            "pub mod file_module;",
            "use std::fmt;",
            "pub mod m { pub fn f() {} }",
        ];
        for item in items {
            let text = format!("//! Facade.\npub use a::B;\n{item}\n");
            let problems = check_facade("lib.rs", &text);
            assert_eq!(problems.len(), 1, "{item}: {problems:?}");
            assert!(problems[0].starts_with("lib.rs:3:"), "{item}: {problems:?}");
        }
        // An item inside an inline module.
        let text = "pub mod m {\n    pub use a::B;\n    pub struct S;\n}\n";
        assert_eq!(check_facade("lib.rs", text).len(), 1);
        // Unclosed.
        assert_eq!(check_facade("lib.rs", "pub use a::{\n    B,\n").len(), 1);
    }
}
