//! The report: a results directory in, `BENCHMARKS.md` and its chart out.
//!
//! A results directory, as `cargo xtask bench` writes it, holds
//! `compare.json` (the comparison suite: pythreading and its Rust peers;
//! required), `python.json` (the Python script; absent when `python3` was
//! not found) and `criterion/<crate>/…` (each crate's criterion benches,
//! read by [`crate::criterion`], and
//! [`DEADLOCK_DETECTION`](crate::inputs::DEADLOCK_DETECTION):
//! pythreading-sync's `lock` bench with deadlock detection on).
//! [`Inputs::load`] reads them, [`markdown`] writes the page,
//! [`crate::chart`] draws the chart, and [`run`] does all of it for the
//! command line.
//!
//! Every figure on the page comes from those files; a figure that is not
//! there is a "—", a target that cannot be checked is "not measured".
//!
//! Ratios follow one convention everywhere, page and chart: the peer's
//! figure divided by pythreading's, so that above 1 pythreading is faster
//! ("2.31x slower": the peer took 2.31 times as long). The targets are
//! stated the way they were set, each saying which way it divides.

use std::env;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use crate::bars;
use crate::before_after::Baseline;
use crate::chart;
use crate::inputs::Inputs;
use crate::machine::Machine;
use crate::page::{Commit, PageOptions, markdown};
use crate::records::{FileError, write_file};

/// An input that could not be read, or an output that could not be
/// written: the file, and what went wrong.
pub type ReportError = FileError;

/// The link to `target` from a page at `page`: relative to the page's
/// directory, with `/` separators.
pub fn relative_link(page: &Path, target: &Path) -> String {
    let base = env::current_dir().unwrap_or_default();
    let absolute = |p: &Path| normalize(&base.join(p));
    let from = absolute(page.parent().unwrap_or(Path::new("")));
    let to = absolute(target);
    let common = from
        .iter()
        .zip(to.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(to[common..].iter().cloned());
    parts.join("/").replace(' ', "%20")
}

/// A path's normal components, `.` and `..` resolved lexically.
fn normalize(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::RootDir | Component::CurDir => {}
        }
    }
    parts
}

/// What the command line asks for: `report --results DIR --command CMD
/// --markdown PATH --svg PATH [--elapsed SECONDS] [--commit HASH [--dirty]]
/// [--baseline DIR [--baseline-label TEXT]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportArgs {
    /// The results directory.
    pub results: PathBuf,
    /// The command that produced it, quoted on the page.
    pub command: String,
    /// Where to write the page.
    pub markdown: PathBuf,
    /// Where to write the chart.
    pub svg: PathBuf,
    /// How long the run took, in seconds.
    pub elapsed: Option<f64>,
    /// The commit measured, if known.
    pub commit: Option<Commit>,
    /// The results directory of an earlier run to set this one beside.
    pub baseline: Option<PathBuf>,
    /// What that earlier run is, as the page says it; without it, the page
    /// names the directory.
    pub baseline_label: Option<String>,
}

/// Reads the baseline's results directory; an error says it was the
/// baseline's.
fn load_baseline(dir: &Path, label: Option<&str>) -> Result<Baseline, ReportError> {
    let inputs = Inputs::load(dir).map_err(|e| FileError {
        message: format!("{} (the baseline, `--baseline`)", e.message),
        ..e
    })?;
    let label = label
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    Ok(Baseline {
        label,
        dir: dir.to_owned(),
        inputs,
    })
}

/// Reads the results, then writes the chart and the page.
pub fn run(args: &ReportArgs) -> Result<(), ReportError> {
    let inputs = Inputs::load(&args.results)?;
    let baseline = match &args.baseline {
        Some(dir) => Some(load_baseline(dir, args.baseline_label.as_deref())?),
        None => None,
    };
    let machine = Machine::detect(inputs.python.as_ref().map(|p| p.note.as_str()));
    let svg = chart::draw_svg(&bars::groups(inputs.records()))
        .map_err(|e| FileError::new(&args.svg, e.to_string()))?;
    let options = PageOptions {
        command: args.command.clone(),
        commit: args.commit.clone(),
        generated: SystemTime::now(),
        elapsed: args.elapsed,
        svg_link: relative_link(&args.markdown, &args.svg),
        baseline,
    };
    let page = markdown(&inputs, &machine, &options);
    write_file(&args.svg, &svg)?;
    write_file(&args.markdown, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_relative_to_the_page() {
        let link = |page: &str, svg: &str| relative_link(Path::new(page), Path::new(svg));
        assert_eq!(
            link("/w/BENCHMARKS.md", "/w/benchmarks.svg"),
            "benchmarks.svg"
        );
        assert_eq!(link("/w/BENCHMARKS.md", "/w/docs/b.svg"), "docs/b.svg");
        assert_eq!(link("/w/docs/B.md", "/w/b.svg"), "../b.svg");
        assert_eq!(link("/w/./x/../B.md", "/w/my chart.svg"), "my%20chart.svg");
        assert_eq!(link("BENCHMARKS.md", "benchmarks.svg"), "benchmarks.svg");
    }
}
