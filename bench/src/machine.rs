//! The machine a report describes, read from the OS when the report is
//! written: CPU, logical CPUs, memory, OS and kernel, `rustc`, Python.
//!
//! Nothing here fails: a piece that cannot be read is `"unknown"`. The
//! parsers of `/proc/cpuinfo`, `/proc/meminfo` and `/etc/os-release` are
//! separate functions so that they can be tested on sample text.

use std::env;
use std::fs;
use std::process::Command;
use std::thread;

/// What [`Machine`] says of a piece it could not read.
pub const UNKNOWN: &str = "unknown";

/// The machine, as the report's "Machine" section shows it. Every field is
/// display text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// The CPU model (`/proc/cpuinfo`'s `model name`), else the architecture.
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub logical_cpus: String,
    /// Total memory (`/proc/meminfo`'s `MemTotal`), like `"7.8 GiB"`.
    pub memory: String,
    /// The OS (`/etc/os-release`'s `PRETTY_NAME`).
    pub os: String,
    /// The kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// `rustc -V` (of `$RUSTC` when set).
    pub rustc: String,
    /// The Python that ran the Python workloads, or why there was none.
    pub python: String,
}

impl Machine {
    /// Reads the machine this process runs on. `python` is the Python
    /// results' note (the interpreter's version), or `None` when there are
    /// no Python results.
    pub fn detect(python: Option<&str>) -> Machine {
        let cpu = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| cpu_model(&text))
            .or_else(|| command_line("uname", &["-m"]))
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let logical_cpus = thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| UNKNOWN.to_owned());
        let memory = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total_bytes(&text))
            .map(format_memory)
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let os = fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|text| os_pretty_name(&text))
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let rustc_program = env::var("RUSTC")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "rustc".to_owned());
        let rustc = command_line(&rustc_program, &["-V"]).unwrap_or_else(|| UNKNOWN.to_owned());
        Machine {
            cpu,
            logical_cpus,
            memory,
            os,
            kernel,
            rustc,
            python: python_line(python),
        }
    }
}

/// The Python line of the machine section: the results' note, or why there
/// is none.
pub fn python_line(note: Option<&str>) -> String {
    match note.map(str::trim) {
        None => "not measured, python3 was not found".to_owned(),
        Some("") => UNKNOWN.to_owned(),
        Some(note) => note.to_owned(),
    }
}

/// The first `model name` of `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let value = value.trim();
        (key.trim() == "model name" && !value.is_empty()).then(|| value.to_owned())
    })
}

/// `MemTotal` of `/proc/meminfo` text, in bytes.
pub fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let amount: u64 = words.next()?.parse().ok()?;
    let factor = match words.next() {
        Some("kB") => 1024,
        Some("mB") | Some("MB") => 1024 * 1024,
        None => 1,
        Some(_) => return None,
    };
    amount.checked_mul(factor)
}

/// `PRETTY_NAME` of `/etc/os-release` text, unquoted.
pub fn os_pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|line| {
        let value = line.trim().strip_prefix("PRETTY_NAME=")?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value)
            .trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// A memory size in GiB (MiB below 1 GiB), with one decimal.
fn format_memory(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let bytes = bytes as f64;
    if bytes >= 1024.0 * MIB {
        format!("{:.1} GiB", bytes / (1024.0 * MIB))
    } else {
        format!("{:.1} MiB", bytes / MIB)
    }
}

/// The first line of a command's standard output, if it ran and succeeded.
fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n\
                    processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(
            cpu_model(text).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        // Some architectures have no `model name`.
        assert_eq!(cpu_model("processor : 0\nBogoMIPS : 50.00\n"), None);
    }

    #[test]
    fn mem_total_in_bytes() {
        let text = "MemTotal:        8136916 kB\nMemFree:          123 kB\n";
        assert_eq!(mem_total_bytes(text), Some(8136916 * 1024));
        assert_eq!(mem_total_bytes("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total_bytes("MemTotal: lots\n"), None);
        assert_eq!(format_memory(8136916 * 1024), "7.8 GiB");
        assert_eq!(format_memory(512 * 1024 * 1024), "512.0 MiB");
    }

    #[test]
    fn pretty_name_unquoted() {
        let text = "NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n";
        assert_eq!(os_pretty_name(text).as_deref(), Some("Ubuntu 24.04.1 LTS"));
        assert_eq!(
            os_pretty_name("PRETTY_NAME=Alpine\n").as_deref(),
            Some("Alpine")
        );
        assert_eq!(os_pretty_name("NAME=x\n"), None);
    }

    #[test]
    fn python_line_says_why_it_is_missing() {
        assert_eq!(python_line(Some("CPython 3.11.7")), "CPython 3.11.7");
        assert_eq!(python_line(Some(" ")), UNKNOWN);
        assert!(python_line(None).contains("python3 was not found"));
    }

    #[test]
    fn detect_never_leaves_a_field_empty() {
        let machine = Machine::detect(None);
        for field in [
            &machine.cpu,
            &machine.logical_cpus,
            &machine.memory,
            &machine.os,
            &machine.kernel,
            &machine.rustc,
            &machine.python,
        ] {
            assert!(!field.is_empty(), "{machine:?}");
        }
    }
}
