//! The commit a run measures, and whether a full run may measure it: not
//! with uncommitted changes to tracked files, unless it was told to.

use std::path::Path;
use std::process::Command;

use super::options::Mode;

/// The files a run writes itself: their changes do not make the tree
/// dirty, or a second full run before committing the first would refuse.
const OUTPUTS: [&str; 2] = ["BENCHMARKS.md", "benchmarks.svg"];

/// The commit a run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkout {
    /// `git rev-parse HEAD`.
    pub(crate) commit: String,
    /// Tracked files with uncommitted changes (the run's own outputs left
    /// out), as `git status --porcelain` names them.
    pub(crate) changed: Vec<String>,
}

/// The commit at `root` and its uncommitted changes, or `None` when there
/// is no git checkout to ask (no git, or not a repository).
pub(super) fn checkout(root: &Path) -> Option<Checkout> {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let commit = git(&["rev-parse", "HEAD"])?.trim().to_owned();
    let status = git(&["status", "--porcelain", "--untracked-files=no"])?;
    Some(Checkout {
        commit,
        changed: changed_files(&status),
    })
}

/// The paths `git status --porcelain` lists as changed (a rename counts as
/// its new path), without the run's own [`OUTPUTS`].
pub(crate) fn changed_files(porcelain: &str) -> Vec<String> {
    porcelain
        .lines()
        .filter_map(|line| line.get(3..))
        .map(|path| path.rsplit(" -> ").next().unwrap_or(path))
        .map(|path| path.trim_matches('"').to_owned())
        .filter(|path| !OUTPUTS.contains(&path.as_str()))
        .collect()
}

/// Whether a run in `mode` may go on at `checkout`; `Err` says why not.
pub(crate) fn may_run(mode: Mode, checkout: Option<&Checkout>) -> Result<(), String> {
    match (mode, checkout) {
        (Mode::Full { allow_dirty: false }, Some(c)) if !c.changed.is_empty() => {
            let mut shown: Vec<&str> = c.changed.iter().take(5).map(String::as_str).collect();
            if c.changed.len() > 5 {
                shown.push("…");
            }
            Err(format!(
                "the working tree has uncommitted changes to tracked files ({}): the page \
                 would name commit {} while measuring something else. Commit them, or run \
                 `cargo xtask bench --allow-dirty` and the page will say the tree was dirty",
                shown.join(", "),
                c.commit
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkout_is_read_from_git() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let git = |args: &[&str]| {
            Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(&dir)
                .output()
                .is_ok_and(|out| out.status.success())
        };
        if !git(&["init", "-q"]) {
            eprintln!("git not found: the checkout was not read");
            return;
        }
        for file in ["lib.rs", "BENCHMARKS.md"] {
            std::fs::write(dir.join(file), "one\n").unwrap();
        }
        assert!(git(&["add", "."]) && git(&["commit", "-q", "-m", "one"]));
        let clean = checkout(&dir).expect("a checkout");
        assert_eq!(clean.commit.len(), 40, "{clean:?}");
        assert!(clean.commit.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(clean.changed.is_empty(), "{clean:?}");

        // The run's own output changed: still clean. An untracked file: clean.
        std::fs::write(dir.join("BENCHMARKS.md"), "two\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "scratch\n").unwrap();
        assert!(checkout(&dir).unwrap().changed.is_empty());
        // A tracked source changed: dirty, and a full run refuses.
        std::fs::write(dir.join("lib.rs"), "two\n").unwrap();
        let dirty = checkout(&dir).unwrap();
        assert_eq!(dirty.changed, ["lib.rs"]);
        assert!(may_run(Mode::Full { allow_dirty: false }, Some(&dirty)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_dirty_tree_is_refused_for_a_full_run_only() {
        let porcelain = " M bench/src/report.rs\n M BENCHMARKS.md\nR  old.rs -> new.rs\n\
                         A  \"with space.rs\"\n M benchmarks.svg\n";
        let changed = changed_files(porcelain);
        // The run's own outputs do not count.
        assert_eq!(changed, ["bench/src/report.rs", "new.rs", "with space.rs"]);
        let dirty = Checkout {
            commit: "2bbdb80".to_owned(),
            changed,
        };
        let err = may_run(Mode::Full { allow_dirty: false }, Some(&dirty)).unwrap_err();
        assert!(err.contains("bench/src/report.rs"), "{err}");
        assert!(err.contains("--allow-dirty"), "{err}");
        assert!(err.contains("2bbdb80"), "{err}");
        assert!(may_run(Mode::Full { allow_dirty: true }, Some(&dirty)).is_ok());
        assert!(may_run(Mode::Quick, Some(&dirty)).is_ok());
        assert!(may_run(Mode::Smoke, Some(&dirty)).is_ok());

        // Only its own outputs changed (a full run not yet committed): clean.
        let outputs_only = Checkout {
            commit: "2bbdb80".to_owned(),
            changed: changed_files(" M BENCHMARKS.md\n M benchmarks.svg\n"),
        };
        assert!(outputs_only.changed.is_empty());
        assert!(may_run(Mode::Full { allow_dirty: false }, Some(&outputs_only)).is_ok());
        // Not a git checkout: nothing to refuse; the page says so.
        assert!(may_run(Mode::Full { allow_dirty: false }, None).is_ok());
    }
}
