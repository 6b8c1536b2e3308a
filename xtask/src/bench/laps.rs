//! How long each part of a run took, printed as a table at its end.

use std::time::Instant;

/// How long each part of the run took, for the summary at the end.
#[derive(Debug)]
pub(super) struct Laps {
    last: Instant,
    laps: Vec<(String, f64)>,
}

impl Laps {
    pub(super) fn new() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Ends the part called `name`, started at the end of the previous one.
    pub(super) fn lap(&mut self, name: &str) {
        let now = Instant::now();
        self.laps
            .push((name.to_owned(), (now - self.last).as_secs_f64()));
        self.last = now;
    }

    pub(super) fn print(&self) {
        print!("{}", self.table());
    }

    /// The table `print` shows: a column of names as wide as the longest
    /// (`pythreading-sync-deadlock-detection`), then the seconds.
    fn table(&self) -> String {
        let width = self
            .laps
            .iter()
            .map(|(name, _)| name.chars().count())
            .fold("part".len(), usize::max)
            + 2;
        let mut table = format!("\n{:<width$}{:>8}\n", "part", "seconds");
        for (name, secs) in &self.laps {
            table.push_str(&format!("{name:<width$}{secs:>8.1}\n"));
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timings_fit_the_longest_name() {
        let mut laps = Laps::new();
        laps.lap("build");
        laps.lap("pythreading-sync-deadlock-detection");
        let table = laps.table();
        let lines: Vec<&str> = table.lines().skip(1).collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("part ") && lines[0].ends_with("seconds"));
        assert!(lines[2].starts_with("pythreading-sync-deadlock-detection "));
        // The seconds line up, right-aligned.
        let width = lines[0].len();
        assert!(lines.iter().all(|l| l.len() == width), "{table}");
    }
}
