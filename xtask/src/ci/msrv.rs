//! The `msrv` step: the toolchain running CI is the Rust that every crate's
//! `rust-version` names.
//!
//! `rust-version` (set once in `[workspace.package]`, inherited by every
//! member) promises users the oldest Rust that builds the crates; cargo
//! refuses anything older. Only a build with that very toolchain shows the
//! promise is true: a newer compiler accepts language features and library
//! APIs the declared one lacks (let-chains, for one, need 1.88). So the
//! declared version is the one CI builds with, and this step fails when the
//! two differ, saying what to change: run CI with the declared toolchain,
//! or declare the one CI now uses. Clippy's `incompatible_msrv` lint (on by
//! default; the `clippy` step denies warnings) reads the same field and
//! names standard-library items newer than it, but it cannot see language
//! features; building with the declared toolchain sees everything.

use std::collections::BTreeMap;
use std::path::Path;

use super::metadata::{self, Member};
use crate::process::run_output;

/// Checks that every member declares the same `rust-version` and that the
/// `rustc` cargo runs (`$RUSTC`, else `rustc`) is that version.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let declared = declared(&metadata::members(root)?)?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let verbose = run_output(root, &rustc, &["-vV"])?;
    let release = verbose
        .lines()
        .find_map(|line| line.strip_prefix("release: "))
        .ok_or_else(|| format!("`{rustc} -vV` names no release:\n{verbose}"))?;
    check(&declared, release.trim())?;
    println!("rustc {release} is the declared rust-version {declared}");
    Ok(())
}

/// The one `rust-version` all `members` declare.
fn declared(members: &[Member]) -> Result<String, String> {
    let mut by_version: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut missing = Vec::new();
    for member in members {
        match &member.rust_version {
            Some(version) => by_version.entry(version).or_default().push(&member.name),
            None => missing.push(member.name.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "no rust-version for {} (add `rust-version.workspace = true` to [package])",
            missing.join(", ")
        ));
    }
    let mut versions = by_version.into_iter();
    match (versions.next(), versions.next()) {
        (Some((version, _)), None) => Ok(version.to_owned()),
        (None, _) => Err("the workspace has no members".to_owned()),
        (Some(first), Some(second)) => {
            let shown: Vec<String> = [first, second]
                .into_iter()
                .chain(versions)
                .map(|(version, names)| format!("{version} ({})", names.join(", ")))
                .collect();
            Err(format!(
                "the crates declare different rust-versions: {}; CI builds with one \
                 toolchain, so inherit the workspace's (`rust-version.workspace = true`)",
                shown.join(", ")
            ))
        }
    }
}

/// `Ok` if the toolchain `release` (`rustc -vV`'s, e.g. `1.95.0` or
/// `1.97.0-nightly`) is the `declared` rust-version (`1.95`, or `1.95.1`
/// and any later patch release of 1.95).
fn check(declared: &str, release: &str) -> Result<(), String> {
    let wanted = numbers(declared)
        .filter(|n| n.len() == 2 || n.len() == 3)
        .ok_or_else(|| format!("rust-version `{declared}` is not MAJOR.MINOR[.PATCH]"))?;
    let numeric = release.split_once('-').map_or(release, |(n, _)| n);
    let found = numbers(numeric)
        .filter(|n| n.len() == 3)
        .ok_or_else(|| format!("cannot read the rustc release `{release}`"))?;
    let same_minor = wanted[..2] == found[..2];
    if same_minor && wanted.get(2).is_none_or(|patch| *patch <= found[2]) {
        return Ok(());
    }
    if found < wanted {
        return Err(format!(
            "rustc {release} is older than the declared rust-version {declared}: \
             run CI with Rust {declared} (`cargo +{declared} xtask ci`)"
        ));
    }
    Err(format!(
        "rustc {release} is not the declared rust-version {declared}, and CI proves the \
         crates build only with the toolchain it runs: run CI with Rust {declared} \
         (`cargo +{declared} xtask ci`), or, if CI now builds with {release}, set \
         `rust-version = \"{}.{}\"` in [workspace.package] of Cargo.toml (and the Rust \
         version README.md names)",
        found[0], found[1]
    ))
}

/// The dot-separated numbers of `version`.
fn numbers(version: &str) -> Option<Vec<u64>> {
    version.split('.').map(|n| n.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_declared_toolchain_passes() {
        assert_eq!(check("1.95", "1.95.0"), Ok(()));
        assert_eq!(check("1.95", "1.95.2"), Ok(()));
        assert_eq!(check("1.95.1", "1.95.1"), Ok(()));
        assert_eq!(check("1.95", "1.95.0-beta.3"), Ok(()));
    }

    #[test]
    fn another_toolchain_fails_saying_what_to_change() {
        let newer = check("1.85", "1.95.0").unwrap_err();
        assert!(newer.contains("`rust-version = \"1.95\"`"), "{newer}");
        assert!(newer.contains("cargo +1.85 xtask ci"), "{newer}");
        let nightly = check("1.95", "1.97.0-nightly").unwrap_err();
        assert!(nightly.contains("`rust-version = \"1.97\"`"), "{nightly}");
        let older = check("1.95", "1.88.0").unwrap_err();
        assert!(older.contains("older"), "{older}");
        assert!(check("1.95.1", "1.95.0").unwrap_err().contains("older"));
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in ["", "1", "1.x", "1.95.0.0", "v1.95"] {
            let err = check(bad, "1.95.0").unwrap_err();
            assert!(err.contains("MAJOR.MINOR"), "{bad:?}: {err}");
        }
        assert!(check("1.95", "1.95").unwrap_err().contains("cannot read"));
    }

    fn member(name: &str, rust_version: Option<&str>) -> Member {
        Member {
            name: name.to_owned(),
            version: "0.1.0".to_owned(),
            dir: PathBuf::from(name),
            publish: true,
            rust_version: rust_version.map(str::to_owned),
        }
    }

    #[test]
    fn every_crate_declares_the_same_version() {
        let same = [member("a", Some("1.95")), member("b", Some("1.95"))];
        assert_eq!(declared(&same), Ok("1.95".to_owned()));
        let split = [
            member("a", Some("1.95")),
            member("b", Some("1.88")),
            member("c", Some("1.95")),
        ];
        let err = declared(&split).unwrap_err();
        assert!(err.contains("1.88 (b), 1.95 (a, c)"), "{err}");
        let missing = [member("a", Some("1.95")), member("b", None)];
        assert!(
            declared(&missing)
                .unwrap_err()
                .contains("no rust-version for b")
        );
        assert!(declared(&[]).is_err());
    }
}
