//! The command line of `cargo xtask bench`: how much to measure, and
//! where each kind of run writes its page and chart.

use std::path::{Path, PathBuf};

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every figure, built with the `bench` profile (thin LTO, one codegen
    /// unit): under 15 minutes on 2 cores, the build included. The only
    /// run that rewrites the committed `BENCHMARKS.md` and
    /// `benchmarks.svg`; refused on a working tree with uncommitted
    /// changes to tracked files unless `allow_dirty`.
    Full {
        /// Measure a dirty tree anyway (`--allow-dirty`); the page says so.
        allow_dirty: bool,
    },
    /// Smaller workloads, fewer rounds, shorter criterion runs, built with
    /// the `bench-quick` profile (no LTO): a few minutes. The report goes
    /// to `target/xtask-bench/`.
    Quick,
    /// Everything runs once, tiny, unoptimised, and the report goes to
    /// `target/xtask-bench/`: a check that the machinery works (CI runs
    /// it), not a measurement.
    Smoke,
}

/// Options of `cargo xtask bench`.
#[derive(Debug)]
pub(crate) struct Options {
    /// How much to measure.
    pub(crate) mode: Mode,
    /// Skip the Python script even when `python3` is there.
    pub(crate) no_python: bool,
}

/// Reads the flags of `bench`.
pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut size: Option<Mode> = None;
    let mut allow_dirty = false;
    let mut no_python = false;
    for arg in args {
        match arg.as_str() {
            "--quick" if size.is_none() => size = Some(Mode::Quick),
            "--smoke" if size.is_none() => size = Some(Mode::Smoke),
            "--quick" | "--smoke" => {
                return Err("give one of `--quick` and `--smoke`, once".to_owned());
            }
            "--allow-dirty" => allow_dirty = true,
            "--no-python" => no_python = true,
            other => return Err(format!("unknown flag `{other}` for `bench`")),
        }
    }
    let mode = match size {
        None => Mode::Full { allow_dirty },
        Some(_) if allow_dirty => {
            return Err(
                "`--allow-dirty` is for a full run: `--quick` and `--smoke` measure a dirty \
                 tree anyway (their page says so) and write only under target/"
                    .to_owned(),
            );
        }
        Some(mode) => mode,
    };
    Ok(Options { mode, no_python })
}

/// The command line as the report shows it.
pub(super) fn shown_command(options: &Options) -> String {
    let mut command = "cargo xtask bench".to_owned();
    match options.mode {
        Mode::Full { allow_dirty: false } => {}
        Mode::Full { allow_dirty: true } => command.push_str(" --allow-dirty"),
        Mode::Quick => command.push_str(" --quick"),
        Mode::Smoke => command.push_str(" --smoke"),
    }
    if options.no_python {
        command.push_str(" --no-python");
    }
    command
}

/// Where the run writes the page and the chart: the committed ones at the
/// workspace root for a full run, else next to the results, under
/// `target/`, so that a quick or smoke run never touches them.
pub(crate) fn outputs(root: &Path, results: &Path, mode: Mode) -> (PathBuf, PathBuf) {
    let dir = match mode {
        Mode::Full { .. } => root,
        Mode::Quick | Mode::Smoke => results,
    };
    (dir.join("BENCHMARKS.md"), dir.join("benchmarks.svg"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target_dir;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_pick_the_mode() {
        let full = Mode::Full { allow_dirty: false };
        assert_eq!(parse(&args(&[])).unwrap().mode, full);
        let options = parse(&args(&["--allow-dirty"])).unwrap();
        assert_eq!(options.mode, Mode::Full { allow_dirty: true });
        assert_eq!(shown_command(&options), "cargo xtask bench --allow-dirty");
        assert_eq!(parse(&args(&["--quick"])).unwrap().mode, Mode::Quick);
        assert_eq!(parse(&args(&["--smoke"])).unwrap().mode, Mode::Smoke);
        let options = parse(&args(&["--no-python", "--quick"])).unwrap();
        assert!(options.no_python);
        assert_eq!(
            shown_command(&options),
            "cargo xtask bench --quick --no-python"
        );
    }

    #[test]
    fn bad_flags_are_refused_with_a_reason() {
        for bad in [
            &["--quick", "--smoke"][..],
            &["--quick", "--quick"],
            &["--fast"],
            &["quick"],
        ] {
            let err = parse(&args(bad)).unwrap_err();
            assert!(
                err.starts_with("unknown flag") || err.starts_with("give one of"),
                "{bad:?}: {err}"
            );
        }
        for bad in [
            &["--quick", "--allow-dirty"][..],
            &["--allow-dirty", "--smoke"],
        ] {
            let err = parse(&args(bad)).unwrap_err();
            assert!(
                err.contains("`--allow-dirty` is for a full run"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn only_a_full_run_writes_the_committed_page() {
        let root = Path::new("/w");
        let results = target_dir(root).join("xtask-bench");
        for mode in [Mode::Quick, Mode::Smoke] {
            let (markdown, svg) = outputs(root, &results, mode);
            for path in [&markdown, &svg] {
                assert!(path.starts_with(&results), "{mode:?}: {}", path.display());
                assert!(path.starts_with(target_dir(root)), "{mode:?}");
                assert_ne!(path.parent(), Some(root), "{mode:?}");
            }
            assert_eq!(markdown, results.join("BENCHMARKS.md"));
            assert_eq!(svg, results.join("benchmarks.svg"));
        }
        for allow_dirty in [false, true] {
            let (markdown, svg) = outputs(root, &results, Mode::Full { allow_dirty });
            assert_eq!(markdown, root.join("BENCHMARKS.md"));
            assert_eq!(svg, root.join("benchmarks.svg"));
        }
    }
}
