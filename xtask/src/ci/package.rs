//! The `package` step: the crates as crates.io would hand them out.
//!
//! 1. `cargo package` of every member that may be published (`publish` is
//!    not `false`; they are packaged together, so that each finds the
//!    others it depends on). Cargo builds each one from its `.crate`,
//!    taking the others from a local registry of the fresh packages, which
//!    it unpacks under `$CARGO_HOME/registry/src/` and never unpacks again
//!    while that copy exists: a run after a change would build against the
//!    packages of an earlier run. The step removes those copies first
//!    (only in local registries' directories, whose names start with `-`;
//!    a crates.io copy is never touched). Its
//!    warnings fail the step (a missing `description`, `repository`, …),
//!    except its notes that a test left out of a package (`exclude`) is
//!    dropped from the packaged manifest.
//! 2. Each package holds `LICENSE-MIT` and `LICENSE-APACHE`, the same as
//!    the workspace's (each crate links them from the root).
//! 3. The tests in the packages build from the packages alone. Cargo drops
//!    a path dev-dependency without a version (pythreading-test-support)
//!    from the manifest it packages, and packs only the crate's directory,
//!    so a packaged test that uses either would not build. The unpacked
//!    packages become the members of a throw-away workspace under
//!    `target/package-check/`, in `NAME-VERSION` directories as cargo
//!    unpacks crates from a registry (so a path into a sibling crate of
//!    the repository, `../../pythreading-core/…`, leads nowhere). Each takes
//!    the others through `[patch.crates-io]`, as it would take them from
//!    crates.io, with the workspace's `Cargo.lock` for the same dependency
//!    versions. There `cargo test --all-features --all-targets --no-run`
//!    builds every test, bench and example, and `cargo test --doc` runs
//!    the doc tests. Its own target directory stays between runs, so a
//!    rerun rebuilds only the pythreading crates.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

use super::metadata::{self, Member};
use crate::process::{self, cargo_program, shown};
use crate::target_dir;

/// The licence files every package must hold, as in the workspace root.
const LICENSES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE"];

/// Runs the three checks of the module documentation.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let members = metadata::members(root)?;
    let published: Vec<&Member> = members.iter().filter(|m| m.publish).collect();
    if published.is_empty() {
        return Err("no workspace member may be published".to_owned());
    }
    forget_unpacked_packages(&published)?;
    package(root, &published)?;
    let packages = target_dir(root).join("package");
    for member in &published {
        check_licenses(root, &packages.join(unpacked(member)), &member.name)?;
    }
    build_packaged_tests(root, &packages, &published)
}

/// Removes the copies of the `published` packages that an earlier
/// `cargo package` unpacked from its local registry (see the module
/// documentation): cargo would build this run's packages against them.
fn forget_unpacked_packages(published: &[&Member]) -> Result<(), String> {
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => std::path::PathBuf::from(home),
        None => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(".cargo"),
            None => return Ok(()),
        },
    };
    let Ok(sources) = fs::read_dir(cargo_home.join("registry").join("src")) else {
        return Ok(());
    };
    for source in sources.flatten() {
        // Local registries have no host name: `-<hash>`.
        if !source.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for member in published {
            let stale = source.path().join(unpacked(member));
            if stale.exists() {
                fs::remove_dir_all(&stale)
                    .map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
            }
        }
    }
    Ok(())
}

/// The directory `cargo package` unpacks `member`'s `.crate` into.
fn unpacked(member: &Member) -> String {
    format!("{}-{}", member.name, member.version)
}

/// `cargo package --allow-dirty -p …` for the `published` members; fails on
/// any warning but the expected ones.
fn package(root: &Path, published: &[&Member]) -> Result<(), String> {
    // Uncommitted changes are packaged too: the step checks the tree as it is.
    let mut args = vec!["package", "--allow-dirty"];
    for member in published {
        args.extend(["-p", member.name.as_str()]);
    }
    let program = cargo_program();
    let shown = shown(&program, &args, &[]);
    println!("$ {shown}");
    let output = Command::new(&program)
        .args(&args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not run `{program}`: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{stderr}");
    if !output.status.success() {
        return Err(format!("`{shown}` failed ({})", output.status));
    }
    let warnings = unexpected_warnings(&stderr);
    if warnings.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`cargo package` warned (fix the manifests):\n{}",
            warnings.join("\n")
        ))
    }
}

/// The `warning:` lines of cargo's `stderr` other than its notes that a
/// target whose file a package leaves out is dropped from its manifest.
fn unexpected_warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("warning:"))
        .filter(|line| {
            !(line.starts_with("warning: ignoring ")
                && line.ends_with(" is not included in the published package"))
        })
        .collect()
}

/// `LICENSES` are in the unpacked package `dir`, the same as in `root`.
fn check_licenses(root: &Path, dir: &Path, name: &str) -> Result<(), String> {
    for license in LICENSES {
        let wanted = fs::read(root.join(license))
            .map_err(|e| format!("cannot read {license} in the workspace root: {e}"))?;
        match fs::read(dir.join(license)) {
            Ok(found) if found == wanted => {}
            Ok(_) => {
                return Err(format!(
                    "the package of {name} holds a {license} unlike the workspace's"
                ));
            }
            Err(e) => {
                return Err(format!(
                    "the package of {name} has no {license} ({e}): link it into the \
                     crate's directory (`ln -s ../../{license}`)"
                ));
            }
        }
    }
    println!("{name}: {} packaged", LICENSES.join(", "));
    Ok(())
}

/// Builds every test of the unpacked packages under `packages` in a
/// throw-away workspace, and runs their doc tests.
fn build_packaged_tests(root: &Path, packages: &Path, published: &[&Member]) -> Result<(), String> {
    let check = target_dir(root).join("package-check");
    let members = check.join("crates");
    remove_dir(&members).map_err(|e| format!("cannot clear {}: {e}", members.display()))?;
    for member in published {
        let from = packages.join(unpacked(member));
        copy_dir(&from, &members.join(unpacked(member)))
            .map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    }
    let write = |name: &str, text: &[u8]| {
        fs::write(check.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    write("Cargo.toml", manifest(published).as_bytes())?;
    // The same dependency versions as the workspace; cargo drops the rest.
    let lock = fs::read(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    write("Cargo.lock", &lock)?;
    let target = check.join("target");
    let target = target.to_string_lossy();
    let envs = [("CARGO_TARGET_DIR", &*target)];
    let cargo = |args: &[&str]| process::cargo(&check, args, &envs);
    cargo(&[
        "test",
        "--workspace",
        "--all-features",
        "--all-targets",
        "--no-run",
    ])?;
    cargo(&["test", "--workspace", "--all-features", "--doc"])
}

/// The throw-away workspace's manifest: the packages as members, and as
/// what their dependencies on each other resolve to.
fn manifest(published: &[&Member]) -> String {
    let mut text = String::from(
        "# Written by `cargo xtask ci --only package`: the packaged crates,\n\
         # built as crates.io would hand them out.\n\n\
         [workspace]\nresolver = \"3\"\nmembers = [\n",
    );
    for member in published {
        let _ = writeln!(text, "    \"crates/{}\",", unpacked(member));
    }
    text.push_str("]\n\n[patch.crates-io]\n");
    for member in published {
        let _ = writeln!(
            text,
            "{} = {{ path = \"crates/{}\" }}",
            member.name,
            unpacked(member)
        );
    }
    text
}

/// Removes `dir` and everything in it; a missing `dir` is not an error.
fn remove_dir(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Copies the tree `from` to `to`, which must not exist yet.
fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn only_the_notes_on_excluded_targets_are_expected() {
        let stderr = "\
   Packaging a v0.1.0 (/w/a)
warning: ignoring test `process_shutdown` as `tests/process_shutdown.rs` is not included in the published package
warning: manifest has no documentation, homepage or repository
warning: ignoring bench `b` as `benches/b.rs` is not included in the published package
    Packaged 7 files
";
        assert_eq!(
            unexpected_warnings(stderr),
            ["warning: manifest has no documentation, homepage or repository"]
        );
        assert!(unexpected_warnings("   Packaging a\n").is_empty());
    }

    #[test]
    fn the_manifest_patches_every_package() {
        let member = |name: &str| Member {
            name: name.to_owned(),
            version: "0.1.0".to_owned(),
            dir: PathBuf::from(name),
            publish: true,
            rust_version: None,
        };
        let (a, b) = (member("a"), member("b-c"));
        let text = manifest(&[&a, &b]);
        assert!(
            text.contains("members = [\n    \"crates/a-0.1.0\",\n    \"crates/b-c-0.1.0\",\n]\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "[patch.crates-io]\na = { path = \"crates/a-0.1.0\" }\n\
                 b-c = { path = \"crates/b-c-0.1.0\" }\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn trees_are_copied_whole() {
        let base = std::env::temp_dir().join(format!("xtask-copy-{}", std::process::id()));
        let (from, to) = (base.join("from"), base.join("to"));
        fs::create_dir_all(from.join("sub/deeper")).unwrap();
        fs::write(from.join("top.txt"), "top").unwrap();
        fs::write(from.join("sub/deeper/low.txt"), "low").unwrap();
        copy_dir(&from, &to).unwrap();
        assert_eq!(fs::read_to_string(to.join("top.txt")).unwrap(), "top");
        assert_eq!(
            fs::read_to_string(to.join("sub/deeper/low.txt")).unwrap(),
            "low"
        );
        remove_dir(&base).unwrap();
        assert!(!base.exists());
        // Removing what is not there is fine.
        remove_dir(&base).unwrap();
    }
}
