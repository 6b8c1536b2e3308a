//! What a benchmark run measured: one [`Record`] per figure, in a
//! [`Results`] file of JSON.
//!
//! Three programs write these files and one reads them: the comparison
//! suite (`benches/compare/`) for pythreading and its Rust peers, the
//! Python script (`python/compare.py`, standard library only) for
//! CPython's `threading`, `queue` and `concurrent.futures`, and
//! `cargo xtask bench` for the criterion benches of every crate. The
//! report reads them all. The format is plain JSON so that the Python
//! script can write it with `json.dump`:
//!
//! ```json
//! {
//!   "source": "python",
//!   "quick": false,
//!   "note": "CPython 3.11.7",
//!   "records": [
//!     { "workload": "pool_round_trip", "contender": "python",
//!       "label": "ThreadPoolExecutor", "metric": "time",
//!       "value": 2.1e-5, "unit": "seconds", "samples": [2.0e-5, 2.2e-5] }
//!   ]
//! }
//! ```

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_derive::{Deserialize, Serialize};

/// What a [`Record`]'s value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds of wall time (per operation, unless the metric says otherwise).
    Seconds,
    /// A plain count (threads, tasks).
    Count,
    /// Bytes (memory).
    Bytes,
    /// A ratio of two times (a speed-up).
    Ratio,
}

/// One figure: how `contender` did on one `metric` of one `workload`.
///
/// Workload, contender and metric names are the ids listed in
/// `bench/README.md`; `label` is how the report shows the contender in
/// this workload (`"rayon spawn + channel"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The workload's id: `pool_round_trip`, `lock_uncontended`, …
    pub workload: String,
    /// The contender's id: `pythreading`, `rayon`, `python`, …
    pub contender: String,
    /// How the report names the contender in this workload.
    pub label: String,
    /// What was measured: `time`, `p50`, `speedup`, `threads`, …
    pub metric: String,
    /// The figure: the median of `samples` when there are samples, except
    /// for percentiles (`p50`, `p99`), taken over every operation of every
    /// round while `samples` holds each round's own percentile.
    pub value: f64,
    /// What `value` counts.
    pub unit: Unit,
    /// Each round's figure, in the order measured (may be empty).
    #[serde(default)]
    pub samples: Vec<f64>,
}

/// A results file: every record one program wrote, and where they came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Results {
    /// Who measured: `compare`, `python`, or `criterion/<crate>`.
    pub source: String,
    /// Whether this was a `--quick` run (smaller workloads, fewer rounds).
    #[serde(default)]
    pub quick: bool,
    /// A line for the report: the interpreter's version, why a part was
    /// skipped, …
    #[serde(default)]
    pub note: String,
    /// The figures.
    pub records: Vec<Record>,
}

impl Results {
    /// Reads a results file.
    pub fn read(path: &Path) -> Result<Results, FileError> {
        read_json(path, "not a valid results file")
    }

    /// Writes the results as pretty-printed JSON, creating the parent
    /// directory if needed.
    pub fn write(&self, path: &Path) -> Result<(), FileError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| FileError::new(path, format!("cannot encode: {e}")))?;
        write_file(path, &(text + "\n"))
    }
}

/// A file that could not be read or understood, or an output that could
/// not be written: the file, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl FileError {
    /// An error about `path`.
    pub fn new(path: &Path, message: impl Into<String>) -> FileError {
        FileError {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`; a missing file says "not found".
    pub fn io(path: &Path, e: &io::Error) -> FileError {
        let message = if e.kind() == io::ErrorKind::NotFound {
            "not found".to_owned()
        } else {
            e.to_string()
        };
        FileError::new(path, message)
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for FileError {}

/// Reads `path` as JSON; when it does not parse, the error is `invalid`
/// followed by the parser's message.
pub fn read_json<T: DeserializeOwned>(path: &Path, invalid: &str) -> Result<T, FileError> {
    let text = fs::read_to_string(path).map_err(|e| FileError::io(path, &e))?;
    serde_json::from_str(&text).map_err(|e| FileError::new(path, format!("{invalid}: {e}")))
}

/// Writes `text` to `path`, creating its parent directory if needed.
pub fn write_file(path: &Path, text: &str) -> Result<(), FileError> {
    let fail = |e: io::Error| FileError::new(path, format!("cannot write: {e}"));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(fail)?;
    }
    fs::write(path, text).map_err(fail)
}

/// The median of `values` (the mean of the middle two for an even count);
/// `NaN` when empty. NaNs sort last.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The `p`-th percentile (0 to 100) of `values` by the nearest-rank method;
/// `NaN` when empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn results_round_trip_through_json() {
        let results = Results {
            source: "python".into(),
            quick: true,
            note: "CPython".into(),
            records: vec![Record {
                workload: "pool_round_trip".into(),
                contender: "python".into(),
                label: "ThreadPoolExecutor".into(),
                metric: "time".into(),
                value: 2.0e-5,
                unit: Unit::Seconds,
                samples: vec![1.0e-5, 2.0e-5, 3.0e-5],
            }],
        };
        let dir = std::env::temp_dir().join(format!("pythreading-bench-{}", std::process::id()));
        let path = dir.join("r.json");
        results.write(&path).unwrap();
        assert_eq!(Results::read(&path).unwrap(), results);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_without_samples_or_note_reads() {
        let text = r#"{"source":"python","records":[{"workload":"w","contender":"c",
            "label":"l","metric":"time","value":1.5,"unit":"seconds"}]}"#;
        let results: Results = serde_json::from_str(text).unwrap();
        assert!(!results.quick);
        assert!(results.records[0].samples.is_empty());
    }
}
