//! `pythreading-bench report`: turns a results directory into
//! `BENCHMARKS.md` and its chart, set beside an earlier one's with
//! `--baseline`. `cargo xtask bench` runs it after the benchmarks; it can
//! be run again on kept results. `pythreading-bench check` reads a results
//! directory as the report would, and writes nothing: `cargo xtask bench`
//! checks a baseline with it before it measures anything.
//!
//! Exit status: 0 when both files were written (or the directory read),
//! 1 when an input could not be read or an output written (the message
//! names the file), 2 for a command line it does not understand.

use std::env;
use std::path::PathBuf;
use std::process::ExitCode;

use pythreading_bench::inputs::Inputs;
use pythreading_bench::page::Commit;
use pythreading_bench::report::{self, ReportArgs};

const USAGE: &str = "\
usage: pythreading-bench report --results DIR --command COMMAND --markdown PATH --svg PATH
                                [--elapsed SECONDS] [--commit HASH [--dirty]]
                                [--baseline DIR [--baseline-label TEXT]]
       pythreading-bench check --results DIR

report reads DIR/compare.json, DIR/python.json (optional) and DIR/criterion/ (optional),
then writes the page to --markdown and the chart to --svg. check reads DIR as report
would, and writes nothing.

  --results DIR       the results directory `cargo xtask bench` wrote
  --command COMMAND   the command that produced it, quoted on the page
  --markdown PATH     where to write the page (BENCHMARKS.md)
  --svg PATH          where to write the chart; the page links to it relative to itself
  --elapsed SECONDS   how long the run took (optional)
  --commit HASH       the commit measured (`git rev-parse HEAD` when the run started;
                      optional: without it the page says the commit was not recorded)
  --dirty             the working tree had uncommitted changes to tracked files
  --baseline DIR      the results directory of an earlier run: the page sets this run
                      beside it, in a section \"Before and after\"
  --baseline-label TEXT
                      what the baseline is, as the page says it (\"library crates at
                      ba6d19f\"); without it, the page names DIR";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match parse(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Check(dir)) => match Inputs::load(&dir) {
            Ok(_) => {
                println!("{}: a results directory the report can read", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("pythreading-bench: {e}");
                ExitCode::from(1)
            }
        },
        Ok(Command::Report(args)) => match report::run(&args) {
            Ok(()) => {
                println!(
                    "wrote {} and {}",
                    args.markdown.display(),
                    args.svg.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("pythreading-bench: {e}");
                ExitCode::from(1)
            }
        },
        Err(message) => {
            eprintln!("pythreading-bench: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    /// Read a results directory, write nothing.
    Check(PathBuf),
    Report(ReportArgs),
}

/// Parses the arguments after the program's name. Flags take their value
/// as the next argument or after `=`. Parsed by hand, not with clap: clap
/// with its derive and default features here would change the features
/// criterion's clap is built with in this crate's benches, and so rebuild
/// criterion between the parts of `cargo xtask bench`.
fn parse(args: &[String]) -> Result<Command, String> {
    let Some((subcommand, rest)) = args.split_first() else {
        return Err("missing subcommand (`report` or `check`)".to_owned());
    };
    let check = match subcommand.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "report" => false,
        "check" => true,
        other => return Err(format!("unknown subcommand `{other}`")),
    };
    let mut results = None;
    let mut command = None;
    let mut markdown = None;
    let mut svg = None;
    let mut elapsed = None;
    let mut commit = None;
    let mut baseline = None;
    let mut baseline_label = None;
    let mut dirty = false;
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        i += 1;
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        if arg == "--dirty" {
            if dirty {
                return Err("`--dirty` given twice".to_owned());
            }
            dirty = true;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let slot = match flag {
            "--results" => &mut results,
            "--command" => &mut command,
            "--markdown" => &mut markdown,
            "--svg" => &mut svg,
            "--elapsed" => &mut elapsed,
            "--commit" => &mut commit,
            "--baseline" => &mut baseline,
            "--baseline-label" => &mut baseline_label,
            _ if flag.starts_with('-') => return Err(format!("unknown flag `{flag}`")),
            _ => return Err(format!("unexpected argument `{arg}`")),
        };
        let value = match inline {
            Some(value) => value,
            None => {
                let value = rest.get(i).ok_or(format!("`{flag}` needs a value"))?;
                i += 1;
                value.clone()
            }
        };
        if slot.replace(value).is_some() {
            return Err(format!("`{flag}` given twice"));
        }
    }
    let required = |value: Option<String>, flag: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or(format!("missing `{flag}`"))
    };
    if check {
        let others = [&command, &markdown, &svg, &elapsed, &commit, &baseline];
        if dirty || baseline_label.is_some() || others.iter().any(|v| v.is_some()) {
            return Err("`check` takes only `--results DIR`".to_owned());
        }
        return Ok(Command::Check(PathBuf::from(required(
            results,
            "--results",
        )?)));
    }
    let baseline = match baseline {
        Some(dir) if dir.trim().is_empty() => {
            return Err("`--baseline` takes a results directory, not an empty one".to_owned());
        }
        Some(dir) => Some(PathBuf::from(dir)),
        None if baseline_label.is_some() => {
            return Err(
                "`--baseline-label` says what the baseline is: give `--baseline DIR`".to_owned(),
            );
        }
        None => None,
    };
    if baseline_label
        .as_deref()
        .is_some_and(|l| l.trim().is_empty())
    {
        return Err("`--baseline-label` takes a text, not an empty one".to_owned());
    }
    let elapsed = match elapsed {
        None => None,
        Some(text) => match text.parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs >= 0.0 => Some(secs),
            _ => {
                return Err(format!(
                    "`--elapsed` takes a number of seconds, not `{text}`"
                ));
            }
        },
    };
    let commit = match commit {
        Some(hash) if hash.trim().is_empty() || hash.contains(char::is_whitespace) => {
            return Err(format!("`--commit` takes a commit hash, not `{hash}`"));
        }
        Some(hash) => Some(Commit { hash, dirty }),
        None if dirty => return Err("`--dirty` says of which commit: give `--commit`".to_owned()),
        None => None,
    };
    Ok(Command::Report(ReportArgs {
        results: PathBuf::from(required(results, "--results")?),
        command: required(command, "--command")?,
        markdown: PathBuf::from(required(markdown, "--markdown")?),
        svg: PathBuf::from(required(svg, "--svg")?),
        elapsed,
        commit,
        baseline,
        baseline_label,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A command line with every flag `report` requires, and only those.
    const FULL: [&str; 9] = [
        "report",
        "--results",
        "d",
        "--command",
        "c",
        "--markdown",
        "m",
        "--svg",
        "s",
    ];

    #[test]
    fn parses_every_flag_both_ways() {
        let parsed = parse(&args(&[
            "report",
            "--results",
            "target/bench",
            "--command=cargo xtask bench --quick",
            "--markdown",
            "BENCHMARKS.md",
            "--svg=benchmarks.svg",
            "--elapsed",
            "61.5",
            "--dirty",
            "--commit=2bbdb80c",
            "--baseline",
            "/kept/results",
            "--baseline-label=library crates at ba6d19f",
        ]))
        .unwrap();
        assert_eq!(
            parsed,
            Command::Report(ReportArgs {
                results: "target/bench".into(),
                command: "cargo xtask bench --quick".into(),
                markdown: "BENCHMARKS.md".into(),
                svg: "benchmarks.svg".into(),
                elapsed: Some(61.5),
                commit: Some(Commit {
                    hash: "2bbdb80c".into(),
                    dirty: true,
                }),
                baseline: Some("/kept/results".into()),
                baseline_label: Some("library crates at ba6d19f".into()),
            })
        );
    }

    #[test]
    fn a_baseline_is_a_directory_and_its_label_needs_one() {
        let with = |more: &[&str]| {
            let mut all = args(&FULL);
            all.extend(args(more));
            parse(&all)
        };
        match with(&["--baseline", "old"]).unwrap() {
            Command::Report(r) => {
                assert_eq!(r.baseline, Some("old".into()));
                assert_eq!(r.baseline_label, None);
            }
            other => panic!("{other:?}"),
        }
        match with(&[]).unwrap() {
            Command::Report(r) => assert_eq!((r.baseline, r.baseline_label), (None, None)),
            other => panic!("{other:?}"),
        }
        for (bad, expected) in [
            (&["--baseline"][..], "`--baseline` needs a value"),
            (&["--baseline", ""], "takes a results directory"),
            (&["--baseline", "  "], "takes a results directory"),
            (&["--baseline-label", "x"], "give `--baseline DIR`"),
            (
                &["--baseline", "a", "--baseline-label", " "],
                "not an empty one",
            ),
            (&["--baseline", "a", "--baseline", "b"], "given twice"),
            (
                &[
                    "--baseline",
                    "a",
                    "--baseline-label",
                    "x",
                    "--baseline-label=y",
                ],
                "`--baseline-label` given twice",
            ),
        ] {
            let err = with(bad).unwrap_err();
            assert!(err.contains(expected), "{bad:?}: {err}");
        }
    }

    #[test]
    fn check_reads_a_results_directory_and_takes_nothing_else() {
        assert_eq!(
            parse(&args(&["check", "--results", "kept"])).unwrap(),
            Command::Check("kept".into())
        );
        assert_eq!(
            parse(&args(&["check", "--results=kept"])).unwrap(),
            Command::Check("kept".into())
        );
        for bad in [
            &["check"][..],
            &["check", "--results", ""],
            &["check", "--results", "a", "--svg", "b"],
            &["check", "--results", "a", "--baseline", "b"],
            &["check", "--results", "a", "--baseline-label", "b"],
            &["check", "--results", "a", "--dirty"],
        ] {
            let err = parse(&args(bad)).unwrap_err();
            assert!(
                err.contains("missing `--results`") || err.contains("takes only"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn usage_errors() {
        assert!(parse(&args(&FULL)).is_ok());
        for (bad, expected) in [
            (vec![], "missing subcommand"),
            (vec!["draw"], "unknown subcommand"),
            (vec!["report", "--results", "d"], "missing `--command`"),
            (vec!["report", "--results"], "needs a value"),
            (
                vec!["report", "--frobnicate", "x"],
                "unknown flag `--frobnicate`",
            ),
            (vec!["report", "stray"], "unexpected argument"),
            (vec!["report", "--svg", "a", "--svg", "b"], "given twice"),
            (
                vec!["report", "--dirty", "--dirty"],
                "`--dirty` given twice",
            ),
            (vec!["report", "--commit", ""], "takes a commit hash"),
        ] {
            let err = parse(&args(&bad)).unwrap_err();
            assert!(err.contains(expected), "{bad:?}: {err}");
        }
        let mut bad_elapsed = args(&FULL);
        bad_elapsed.extend(args(&["--elapsed", "-3"]));
        assert!(parse(&bad_elapsed).unwrap_err().contains("--elapsed"));
        let mut dirty_alone = args(&FULL);
        dirty_alone.push("--dirty".to_owned());
        assert!(parse(&dirty_alone).unwrap_err().contains("give `--commit`"));
        let mut blank_commit = args(&FULL);
        blank_commit.extend(args(&["--commit", "a b"]));
        assert!(
            parse(&blank_commit)
                .unwrap_err()
                .contains("takes a commit hash")
        );
        let mut commit = args(&FULL);
        commit.extend(args(&["--commit", "abc"]));
        match parse(&commit).unwrap() {
            Command::Report(r) => assert_eq!(
                r.commit,
                Some(Commit {
                    hash: "abc".into(),
                    dirty: false
                })
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse(&args(&["--help"])).unwrap(), Command::Help);
    }
}
