//! Running the programs the tasks call: cargo (the one that runs us) and
//! any other, each printed as a shell would show it before it runs, with
//! a failure to start or an unsuccessful exit turned into an error message.

use std::path::Path;
use std::process::Command;

/// The cargo that runs us (`$CARGO`), or `cargo` from the `PATH`.
pub(crate) fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Prints, then runs `cargo ARGS` from `root` with the extra `envs`, and fails
/// if it cannot start or exits unsuccessfully.
pub(crate) fn cargo(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    run_program(root, &cargo_program(), args, envs)
}

/// Prints, then runs `cargo ARGS` from `root`, and returns what it wrote
/// to stdout; fails if it cannot start or exits unsuccessfully.
pub(crate) fn cargo_output(root: &Path, args: &[&str]) -> Result<String, String> {
    run_output(root, &cargo_program(), args)
}

/// Prints, then runs `program ARGS` from `root`, and returns what it wrote
/// to stdout (its stderr goes to ours); fails if it cannot start, exits
/// unsuccessfully or writes what is not UTF-8.
pub(crate) fn run_output(root: &Path, program: &str, args: &[&str]) -> Result<String, String> {
    let shown = shown(program, args, &[]);
    println!("$ {shown}");
    let output = Command::new(program)
        .args(args)
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run `{program}`: {e}"))?;
    if !output.status.success() {
        return Err(format!("`{shown}` failed ({})", output.status));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("`{shown}` printed what is not UTF-8"))
}

/// `program ARGS` with the extra `envs` as a shell would show them, the
/// program by its file name.
pub(crate) fn shown(program: &str, args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut shown = String::new();
    for (key, value) in envs {
        shown.push_str(&format!("{key}={} ", quote(value)));
    }
    let shown_program = Path::new(program)
        .file_name()
        .map_or(program.into(), |name| name.to_string_lossy());
    shown.push_str(&quote(&shown_program));
    for arg in args {
        shown.push(' ');
        shown.push_str(&quote(arg));
    }
    shown
}

/// Prints, then runs `program ARGS` from `root` with the extra `envs`, and
/// fails if it cannot start or exits unsuccessfully.
pub(crate) fn run_program(
    root: &Path,
    program: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<(), String> {
    let shown = shown(program, args, envs);
    println!("$ {shown}");
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not run `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Quotes `s` for display if the shell would split or expand it.
fn quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_=./:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_as_a_shell_would_take_them() {
        assert_eq!(
            shown(
                "/usr/bin/cargo",
                &["test", "a b", "it's"],
                &[("RUSTFLAGS", "--cfg loom")]
            ),
            "RUSTFLAGS='--cfg loom' cargo test 'a b' 'it'\\''s'"
        );
    }
}
