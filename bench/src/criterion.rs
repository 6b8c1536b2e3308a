//! The criterion benches of every crate, read from criterion's own output.
//!
//! `cargo xtask bench` runs each crate's criterion benches with
//! `CRITERION_HOME=DIR/criterion/<crate>`, so criterion 0.5 leaves, for each
//! benchmark, a directory (nested as deep as the benchmark's id) holding
//! `new/estimates.json` (the estimates, in nanoseconds per iteration) and
//! `new/benchmark.json` (the id and the throughput). [`scan`] walks that
//! tree: it reads only directories named `new` (not `base` or `change`:
//! an older run, a comparison) and skips criterion's `report` directories.

use std::fs;
use std::io;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_derive::Deserialize;

use crate::records::{self, FileError};

/// One criterion benchmark's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionBench {
    /// Criterion's full id: `group/function/value`.
    pub full_id: String,
    /// The median time of one iteration, in nanoseconds.
    pub median_ns: f64,
    /// Criterion's confidence interval of that median (its bootstrap, 95%
    /// by default), lower and upper bound in nanoseconds, when the file
    /// has one.
    pub median_interval_ns: Option<(f64, f64)>,
    /// What one iteration processes, when the bench declared it.
    pub throughput: Option<Throughput>,
}

impl CriterionBench {
    /// The median time per element, in nanoseconds, when the throughput is
    /// counted in elements.
    pub fn per_element_ns(&self) -> Option<f64> {
        match self.throughput {
            Some(Throughput::Elements(n)) if n > 0 => Some(self.median_ns / n as f64),
            _ => None,
        }
    }
}

/// What one iteration of a benchmark processes, as criterion records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Throughput {
    /// Bytes, reported in binary multiples.
    Bytes(u64),
    /// Bytes, reported in decimal multiples.
    BytesDecimal(u64),
    /// Elements (items, tasks, …).
    Elements(u64),
}

/// The benchmarks of one crate, sorted by id.
#[derive(Debug, Clone, PartialEq)]
pub struct CrateBenches {
    /// The crate: the name of its directory under `DIR/criterion`.
    pub name: String,
    /// Its benchmarks, sorted by full id (empty when it has none).
    pub benches: Vec<CriterionBench>,
}

impl CrateBenches {
    /// The benchmark whose full id is `full_id`.
    pub fn bench(&self, full_id: &str) -> Option<&CriterionBench> {
        self.benches.iter().find(|b| b.full_id == full_id)
    }
}

/// `new/benchmark.json`: the fields the report needs.
#[derive(Deserialize)]
struct BenchmarkJson {
    full_id: String,
    #[serde(default)]
    throughput: Option<Throughput>,
}

/// `new/estimates.json`: the median's point estimate.
#[derive(Deserialize)]
struct EstimatesJson {
    median: EstimateJson,
}

#[derive(Deserialize)]
struct EstimateJson {
    point_estimate: f64,
    #[serde(default)]
    confidence_interval: Option<IntervalJson>,
}

#[derive(Deserialize)]
struct IntervalJson {
    lower_bound: f64,
    upper_bound: f64,
}

/// Scans `dir` (a results directory's `criterion` directory): one
/// [`CrateBenches`] per sub-directory, sorted by name. A missing `dir` is
/// no crate at all; an unreadable or invalid criterion file is an error
/// naming it.
pub fn scan(dir: &Path) -> Result<Vec<CrateBenches>, FileError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(FileError::io(dir, &e)),
    };
    let mut crates = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| FileError::io(dir, &e))?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let mut benches = Vec::new();
        collect(&path, &mut benches)?;
        benches.sort_by(|a: &CriterionBench, b| a.full_id.cmp(&b.full_id));
        crates.push(CrateBenches {
            name: entry.file_name().to_string_lossy().into_owned(),
            benches,
        });
    }
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(crates)
}

/// Adds every benchmark under `dir` to `benches`.
fn collect(dir: &Path, benches: &mut Vec<CriterionBench>) -> Result<(), FileError> {
    let entries = fs::read_dir(dir).map_err(|e| FileError::io(dir, &e))?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| FileError::io(dir, &e))?;
        let path = entry.path();
        if path.is_dir() {
            subdirs.push((entry.file_name(), path));
        }
    }
    subdirs.sort();
    for (name, path) in subdirs {
        if name == "new" {
            if let Some(bench) = read_bench(&path)? {
                benches.push(bench);
            }
        } else if name != "report" {
            collect(&path, benches)?;
        }
    }
    Ok(())
}

/// Reads one `new` directory; `None` when it holds no `benchmark.json` (it
/// is then not a benchmark's).
fn read_bench(new_dir: &Path) -> Result<Option<CriterionBench>, FileError> {
    let benchmark_path = new_dir.join("benchmark.json");
    if !benchmark_path.is_file() {
        return Ok(None);
    }
    let benchmark: BenchmarkJson = read_json(&benchmark_path)?;
    let estimates_path = new_dir.join("estimates.json");
    let estimates: EstimatesJson = read_json(&estimates_path)?;
    let median_ns = estimates.median.point_estimate;
    // An interval that is not one (not finite, upside down) is left out:
    // the median alone still reads.
    let median_interval_ns = estimates
        .median
        .confidence_interval
        .map(|i| (i.lower_bound, i.upper_bound))
        .filter(|(low, high)| low.is_finite() && high.is_finite() && low <= high);
    if !median_ns.is_finite() || median_ns < 0.0 {
        return Err(FileError::new(
            &estimates_path,
            format!("median.point_estimate is {median_ns}, not a time"),
        ));
    }
    Ok(Some(CriterionBench {
        full_id: benchmark.full_id,
        median_ns,
        median_interval_ns,
        throughput: benchmark.throughput,
    }))
}

/// Reads one of criterion's JSON files.
fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    records::read_json(path, "invalid criterion JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pythreading-bench-criterion-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write_bench(dir: &Path, full_id: &str, median: f64, throughput: &str) {
        let new = dir.join("new");
        fs::create_dir_all(&new).unwrap();
        fs::write(
            new.join("benchmark.json"),
            format!(
                r#"{{"group_id":"g","function_id":null,"value_str":null,"throughput":{throughput},
                "full_id":"{full_id}","directory_name":"x","title":"{full_id}"}}"#
            ),
        )
        .unwrap();
        let estimate = |v: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{v},"upper_bound":{v}}},
                "point_estimate":{v},"standard_error":0.1}}"#
            )
        };
        fs::write(
            new.join("estimates.json"),
            format!(
                r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":null,"std_dev":{}}}"#,
                estimate(median + 1.0),
                estimate(median),
                estimate(0.5),
                estimate(0.7)
            ),
        )
        .unwrap();
    }

    #[test]
    fn nested_benchmarks_sorted_and_reports_skipped() {
        let dir = temp_dir("nested");
        let sync = dir.join("pythreading-sync");
        write_bench(
            &sync.join("queue/bounded/1024"),
            "queue/bounded/1024",
            24.0,
            r#"{"Elements":20000}"#,
        );
        write_bench(
            &sync.join("lock/uncontended"),
            "lock/uncontended",
            5.5,
            "null",
        );
        // Older runs and criterion's HTML reports are not results.
        write_bench(&sync.join("report"), "report-only", 1.0, "null");
        let old = sync.join("lock/uncontended/base");
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("benchmark.json"), "not json").unwrap();
        fs::create_dir_all(dir.join("pythreading-core")).unwrap();
        fs::write(dir.join("stray.txt"), "").unwrap();

        let crates = scan(&dir).unwrap();
        assert_eq!(crates.len(), 2);
        assert_eq!(crates[0].name, "pythreading-core");
        assert!(crates[0].benches.is_empty());
        let ids: Vec<&str> = crates[1]
            .benches
            .iter()
            .map(|b| b.full_id.as_str())
            .collect();
        assert_eq!(ids, ["lock/uncontended", "queue/bounded/1024"]);
        assert_eq!(crates[1].benches[0].median_ns, 5.5);
        assert_eq!(crates[1].benches[0].median_interval_ns, Some((5.5, 5.5)));
        assert_eq!(crates[1].benches[0].per_element_ns(), None);
        assert_eq!(
            crates[1].benches[1].throughput,
            Some(Throughput::Elements(20000))
        );
        assert_eq!(crates[1].benches[1].per_element_ns(), Some(24.0 / 20000.0));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn invalid_json_names_the_file() {
        let dir = temp_dir("invalid");
        write_bench(&dir.join("c/b"), "b", 1.0, r#"{"Bytes":10}"#);
        let estimates = dir.join("c/b/new/estimates.json");
        fs::write(&estimates, "{").unwrap();
        let err = scan(&dir).unwrap_err();
        assert_eq!(err.path, estimates);
        assert!(err.to_string().contains("estimates.json"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_median_interval_is_read_when_it_is_one() {
        let dir = temp_dir("interval");
        write_bench(&dir.join("c/a"), "a", 10.0, "null");
        write_bench(&dir.join("c/b"), "b", 10.0, "null");
        write_bench(&dir.join("c/c"), "c", 10.0, "null");
        let median = |interval: &str| {
            format!(
                r#"{{"mean":{{"point_estimate":11.0}},"median":{{"point_estimate":10.0{interval}}}}}"#
            )
        };
        let interval = r#","confidence_interval":{"confidence_level":0.95,"lower_bound":9.5,"upper_bound":10.4}"#;
        fs::write(dir.join("c/a/new/estimates.json"), median(interval)).unwrap();
        // Without an interval, or with one upside down: the median alone.
        fs::write(dir.join("c/b/new/estimates.json"), median("")).unwrap();
        let upside_down = interval.replace("9.5", "12.0");
        fs::write(dir.join("c/c/new/estimates.json"), median(&upside_down)).unwrap();
        let crates = scan(&dir).unwrap();
        let intervals: Vec<Option<(f64, f64)>> = crates[0]
            .benches
            .iter()
            .map(|b| b.median_interval_ns)
            .collect();
        assert_eq!(intervals, [Some((9.5, 10.4)), None, None]);
        assert!(crates[0].benches.iter().all(|b| b.median_ns == 10.0));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_no_crates() {
        assert!(
            scan(Path::new("/nonexistent/criterion"))
                .unwrap()
                .is_empty()
        );
    }
}
