//! The command line of `cargo xtask bench`: how much to measure, the
//! earlier run to set this one beside, and where each kind of run writes
//! its page and chart.

use std::path::{Path, PathBuf};

use crate::process::shown;

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

/// The earlier run a run is set beside: `--baseline DIR
/// [--baseline-label TEXT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Baseline {
    /// Its results directory, as given.
    pub(crate) dir: String,
    /// What it is, as the page says it.
    pub(crate) label: Option<String>,
}

/// Options of `cargo xtask bench`.
#[derive(Debug)]
pub(crate) struct Options {
    /// How much to measure.
    pub(crate) mode: Mode,
    /// Skip the Python script even when `python3` is there.
    pub(crate) no_python: bool,
    /// The earlier run to set this one beside, if any. It changes nothing
    /// of what is measured nor where the page goes.
    pub(crate) baseline: Option<Baseline>,
}

/// Reads the flags of `bench`. `--baseline` and `--baseline-label` take
/// their value as the next argument or after `=`.
pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut size: Option<Mode> = None;
    let mut allow_dirty = false;
    let mut no_python = false;
    let mut baseline: Option<String> = None;
    let mut label: Option<String> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        if let Some(slot) = match flag {
            "--baseline" => Some(&mut baseline),
            "--baseline-label" => Some(&mut label),
            _ => None,
        } {
            let value = match inline {
                Some(value) => value,
                None => match args.next() {
                    Some(next) if !next.starts_with("--") => next.clone(),
                    _ => return Err(format!("`{flag}` needs a value")),
                },
            };
            if slot.replace(value).is_some() {
                return Err(format!("`{flag}` given twice"));
            }
            continue;
        }
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
    let baseline = match (baseline, label) {
        (Some(dir), _) if dir.trim().is_empty() => {
            return Err("`--baseline` takes a results directory, not an empty one".to_owned());
        }
        (_, Some(label)) if label.trim().is_empty() => {
            return Err("`--baseline-label` takes a text, not an empty one".to_owned());
        }
        (Some(dir), label) => Some(Baseline { dir, label }),
        (None, Some(_)) => {
            return Err(
                "`--baseline-label` says what the baseline is: give `--baseline DIR`".to_owned(),
            );
        }
        (None, None) => None,
    };
    Ok(Options {
        mode,
        no_python,
        baseline,
    })
}

/// The whole command line as the report shows it, quoted as a shell
/// would take it.
pub(super) fn shown_command(options: &Options) -> String {
    let mut args = vec!["xtask", "bench"];
    match options.mode {
        Mode::Full { allow_dirty: false } => {}
        Mode::Full { allow_dirty: true } => args.push("--allow-dirty"),
        Mode::Quick => args.push("--quick"),
        Mode::Smoke => args.push("--smoke"),
    }
    if options.no_python {
        args.push("--no-python");
    }
    if let Some(baseline) = &options.baseline {
        args.extend(["--baseline", &baseline.dir]);
        if let Some(label) = &baseline.label {
            args.extend(["--baseline-label", label]);
        }
    }
    shown("cargo", &args, &[])
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
    fn a_baseline_changes_the_command_shown_and_nothing_measured() {
        let options = parse(&args(&[
            "--baseline",
            "/kept/db1cce6",
            "--baseline-label",
            "library crates at db1cce6, measured just before",
        ]))
        .unwrap();
        // Still a full run: it writes the committed page.
        assert_eq!(options.mode, Mode::Full { allow_dirty: false });
        let root = Path::new("/w");
        let (markdown, _) = outputs(root, &target_dir(root).join("xtask-bench"), options.mode);
        assert_eq!(markdown, root.join("BENCHMARKS.md"));
        assert_eq!(
            options.baseline,
            Some(Baseline {
                dir: "/kept/db1cce6".into(),
                label: Some("library crates at db1cce6, measured just before".into()),
            })
        );
        // The whole command, quoted as a shell would take it.
        assert_eq!(
            shown_command(&options),
            "cargo xtask bench --baseline /kept/db1cce6 --baseline-label 'library crates at \
             db1cce6, measured just before'"
        );
        let options = parse(&args(&["--smoke", "--baseline=old run", "--no-python"])).unwrap();
        assert_eq!(options.mode, Mode::Smoke);
        assert_eq!(options.baseline.as_ref().unwrap().label, None);
        assert_eq!(
            shown_command(&options),
            "cargo xtask bench --smoke --no-python --baseline 'old run'"
        );
        assert!(parse(&args(&[])).unwrap().baseline.is_none());
    }

    #[test]
    fn a_baseline_needs_a_directory() {
        for (bad, expected) in [
            (&["--baseline"][..], "`--baseline` needs a value"),
            (&["--baseline", "--quick"], "`--baseline` needs a value"),
            (
                &["--quick", "--baseline-label"],
                "`--baseline-label` needs a value",
            ),
            (&["--baseline", ""], "takes a results directory"),
            (&["--baseline="], "takes a results directory"),
            (&["--baseline-label", "x"], "give `--baseline DIR`"),
            (
                &["--baseline", "a", "--baseline-label", " "],
                "not an empty one",
            ),
            (
                &["--baseline", "a", "--baseline=b"],
                "`--baseline` given twice",
            ),
            (&["--smoke=yes"], "unknown flag `--smoke=yes`"),
        ] {
            let err = parse(&args(bad)).unwrap_err();
            assert!(err.contains(expected), "{bad:?}: {err}");
        }
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
