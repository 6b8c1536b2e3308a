//! A results directory, read: [`Inputs`] holds every file of it, and an
//! index of its records finds one by workload, contender and metric.

use std::collections::HashMap;
use std::path::Path;

use crate::criterion::{self, CrateBenches};
use crate::records::{FileError, Record, Results};

/// The directory, under the results' `criterion/`, of pythreading-sync's
/// `lock` bench run with the `deadlock-detection` feature on (`cargo xtask
/// bench` writes it under this name). Its benches are set beside the same
/// ones in the crate's own run, [`DEADLOCK_DETECTION_OFF`].
pub const DEADLOCK_DETECTION: &str = "pythreading-sync-deadlock-detection";

/// The criterion run that has the same benches with deadlock detection
/// off: the crate's own, the build every other table measures.
pub const DEADLOCK_DETECTION_OFF: &str = "pythreading-sync";

/// Everything one results directory holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inputs {
    /// `compare.json`: pythreading and its Rust peers.
    pub compare: Results,
    /// `python.json`, when Python was measured.
    pub python: Option<Results>,
    /// Each crate's criterion benches.
    pub criterion: Vec<CrateBenches>,
    /// pythreading-sync's `lock` bench with deadlock detection on, when the
    /// results have it ([`DEADLOCK_DETECTION`]; older ones do not).
    pub deadlock_detection: Option<CrateBenches>,
}

impl Inputs {
    /// Reads a results directory: `compare.json` must be there, `python.json`
    /// and `criterion/` may be missing. Any file there that cannot be read
    /// or parsed is an error naming it.
    pub fn load(dir: &Path) -> Result<Inputs, FileError> {
        if !dir.is_dir() {
            return Err(FileError::new(dir, "no such results directory"));
        }
        let compare = Results::read(&dir.join("compare.json"))?;
        let python_path = dir.join("python.json");
        let python = if python_path.exists() {
            Some(Results::read(&python_path)?)
        } else {
            None
        };
        let mut criterion = criterion::scan(&dir.join("criterion"))?;
        let deadlock_detection = criterion
            .iter()
            .position(|c| c.name == DEADLOCK_DETECTION)
            .map(|i| criterion.remove(i));
        Ok(Inputs {
            compare,
            python,
            criterion,
            deadlock_detection,
        })
    }

    /// Every record, the comparison suite's first.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.compare
            .records
            .iter()
            .chain(self.python.iter().flat_map(|p| &p.records))
    }

    /// Whether the run was a quick one (as the comparison suite says).
    pub fn quick(&self) -> bool {
        self.compare.quick
    }
}

/// The records of a run, by workload, contender and metric (the first of
/// duplicates wins).
pub(crate) struct Index<'a> {
    records: HashMap<(&'a str, &'a str, &'a str), &'a Record>,
}

impl<'a> Index<'a> {
    pub(crate) fn new(inputs: &'a Inputs) -> Index<'a> {
        let mut records = HashMap::new();
        for r in inputs.records() {
            records
                .entry((r.workload.as_str(), r.contender.as_str(), r.metric.as_str()))
                .or_insert(r);
        }
        Index { records }
    }

    pub(crate) fn get(&self, workload: &str, contender: &str, metric: &str) -> Option<&'a Record> {
        self.records.get(&(workload, contender, metric)).copied()
    }

    /// A record's value, if it is a usable figure.
    pub(crate) fn value(&self, workload: &str, contender: &str, metric: &str) -> Option<f64> {
        self.get(workload, contender, metric)
            .map(|r| r.value)
            .filter(|v| v.is_finite())
    }
}
