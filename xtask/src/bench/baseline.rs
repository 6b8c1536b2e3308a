//! The earlier run a run is set beside (`--baseline DIR`): found, and kept
//! out of harm's way, before anything is built or measured, so that a
//! mistyped directory costs nothing and a baseline is never cleared with
//! the results.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The baseline's results directory `dir` (as given, relative to where
/// the command was run) as an absolute path, once it is known to be a
/// readable results directory that this run, writing to `results`, will
/// not clear.
pub(super) fn resolve(dir: &str, results: &Path) -> Result<PathBuf, String> {
    let fail = |why: String| format!("`--baseline {dir}`: {why}");
    let absolute = fs::canonicalize(dir).map_err(|e| {
        fail(if e.kind() == io::ErrorKind::NotFound {
            "no such directory".to_owned()
        } else {
            e.to_string()
        })
    })?;
    if !absolute.is_dir() {
        return Err(fail(
            "not a directory: it takes the results directory of an earlier run".to_owned(),
        ));
    }
    let compare = absolute.join("compare.json");
    if !compare.is_file() {
        return Err(fail(format!(
            "no compare.json in {}, so it is not the results directory of a run (a \
             target/xtask-bench/ copied elsewhere)",
            absolute.display()
        )));
    }
    fs::File::open(&compare).map_err(|e| fail(format!("{}: {e}", compare.display())))?;
    if let Ok(results) = fs::canonicalize(results)
        && absolute.starts_with(&results)
    {
        return Err(fail(format!(
            "{} is where this run writes its results, and it clears them first: copy the \
             baseline elsewhere before the run (`cp -r {} /tmp/baseline`)",
            results.display(),
            results.display()
        )));
    }
    Ok(absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "xtask-bench-baseline-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::canonicalize(dir).unwrap()
    }

    #[test]
    fn a_results_directory_resolves_to_its_absolute_path() {
        let dir = temp_dir("ok");
        let kept = dir.join("kept");
        fs::create_dir_all(&kept).unwrap();
        fs::write(kept.join("compare.json"), "{}").unwrap();
        let results = dir.join("target/xtask-bench");
        let given = format!("{}/./kept", dir.display());
        assert_eq!(resolve(&given, &results), Ok(kept.clone()));
        // The results directory need not exist yet.
        assert!(!results.exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn what_is_not_a_baseline_is_refused_with_a_reason() {
        let dir = temp_dir("refused");
        let results = dir.join("target/xtask-bench");
        fs::create_dir_all(results.join("kept")).unwrap();
        fs::write(results.join("compare.json"), "{}").unwrap();
        fs::write(results.join("kept/compare.json"), "{}").unwrap();
        fs::create_dir_all(dir.join("empty")).unwrap();
        let path = |p: &str| dir.join(p).display().to_string();
        for (given, expected) in [
            (path("missing"), "no such directory"),
            (path("target/xtask-bench/compare.json"), "not a directory"),
            (path("empty"), "no compare.json in"),
            // The directory the run clears, or one inside it.
            (path("target/xtask-bench"), "it clears them first"),
            (path("target/xtask-bench/kept"), "it clears them first"),
            (
                path("target/xtask-bench/../xtask-bench"),
                "it clears them first",
            ),
        ] {
            let err = resolve(&given, &results).unwrap_err();
            assert!(err.contains(expected), "{given}: {err}");
            assert!(err.starts_with(&format!("`--baseline {given}`: ")), "{err}");
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
