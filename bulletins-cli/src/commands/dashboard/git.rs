//! A file as it was at a git revision: `git cat-file blob REV:PATH` (what `git show REV:PATH`
//! prints, without text conversions), with PATH taken from the repository's root so the
//! command works from any directory inside it.

use std::path::Path;
use std::process::{Command, Output};

use crate::exit::{Exit, Failure, Result};

/// A file at a revision.
#[derive(Debug)]
pub(super) struct AtRevision {
    /// Its bytes, or `None` when the file did not exist at the revision.
    pub(super) bytes: Option<Vec<u8>>,
    /// Its path from the repository's root.
    pub(super) repo_path: String,
    /// `REV:PATH`, how messages name it.
    pub(super) spec: String,
}

/// Reads `file` (a path to the file as it is now) as it was at `rev`.
pub(super) fn at_revision(file: &Path, rev: &str) -> Result<AtRevision> {
    if rev.is_empty() || rev.starts_with('-') {
        return Err(Failure::usage(format!(
            "--against {rev:?} is not a revision"
        )));
    }
    let name = file
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{} is not a file name git can read",
                file.display()
            ))
        })?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = git(dir, &["rev-parse", "--show-prefix"])?;
    if !prefix.status.success() {
        return Err(Failure::usage(format!(
            "{} is not inside a git repository: {}",
            file.display(),
            stderr(&prefix)
        ))
        .hint("compare two files instead: bulletins dashboard breaking OLD NEW"));
    }
    let repo_path = format!(
        "{}{name}",
        String::from_utf8_lossy(&prefix.stdout).trim_end()
    );
    let commit = format!("{rev}^{{commit}}");
    if !git(dir, &["rev-parse", "--verify", "--quiet", &commit])?
        .status
        .success()
    {
        return Err(Failure::usage(format!("unknown revision {rev:?}")).hint(
            "fetch it first (a shallow CI checkout has no origin/main: git fetch origin main)",
        ));
    }
    let spec = format!("{rev}:{repo_path}");
    let exists = git(dir, &["cat-file", "-e", &spec])?.status.success();
    if !exists {
        return Ok(AtRevision {
            bytes: None,
            repo_path,
            spec,
        });
    }
    let blob = git(dir, &["cat-file", "blob", &spec])?;
    if !blob.status.success() {
        return Err(Failure::new(
            Exit::Failed,
            format!("git cannot read {spec}: {}", stderr(&blob)),
        ));
    }
    Ok(AtRevision {
        bytes: Some(blob.stdout),
        repo_path,
        spec,
    })
}

/// Runs git in `dir`, with its output captured.
fn git(dir: &Path, args: &[&str]) -> Result<Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| {
            Failure::new(Exit::Failed, format!("cannot run git: {e}"))
                .hint("--against needs git on the PATH; or compare two files: breaking OLD NEW")
        })
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}
