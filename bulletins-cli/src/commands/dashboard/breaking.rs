//! `bulletins dashboard breaking OLD NEW` and `breaking FILE --against REV`.

use std::path::Path;

use bulletins_dashboard::{breaking, DashboardFile, ErrorKind};

use super::{git, report, FileFindings};
use crate::cli::dashboard::BreakingArgs;
use crate::exit::{Exit, Failure, Result};

pub(crate) fn run(args: BreakingArgs) -> Result<Exit> {
    let (old, new, repo_path) = match (&args.against, args.files.as_slice()) {
        (Some(rev), [file]) => {
            let new = read(file)?;
            let at = git::at_revision(file, rev)?;
            let old = match &at.bytes {
                Some(bytes) => DashboardFile::parse(bytes, &at.spec).map_err(invalid)?,
                None => {
                    eprintln!(
                        "note: {} did not exist at {rev}: every event in it is new",
                        at.repo_path
                    );
                    DashboardFile::empty(&at.spec)
                }
            };
            (old, new, Some(at.repo_path))
        }
        (None, [old, new]) => (read(old)?, read(new)?, None),
        (Some(_), _) => {
            return Err(Failure::usage(
                "--against compares one FILE with itself at a revision; give one file",
            ))
        }
        (None, _) => {
            return Err(Failure::usage("give two files, OLD and NEW").hint(
                "or compare a file with a git revision: breaking FILE --against origin/main",
            ))
        }
    };
    let findings = FileFindings {
        name: new.origin().to_owned(),
        repo_path,
        findings: breaking(&old, &new),
    };
    report(&[findings], &args.output)
}

/// Reads a dashboard file: an unreadable one is a usage error (2), a refused one invalid
/// input (3).
fn read(path: &Path) -> Result<DashboardFile> {
    DashboardFile::read(path).map_err(|e| match e.kind() {
        ErrorKind::Read(_) => Failure::usage(e.to_string()),
        _ => invalid(e),
    })
}

fn invalid(e: bulletins_dashboard::Error) -> Failure {
    Failure::new(Exit::Invalid, e.to_string())
        .hint("`bulletins dashboard lint FILE` lists what a file is refused for")
}
