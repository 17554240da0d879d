//! `bulletins dashboard lint FILE...`.

use super::{report, FileFindings};
use crate::cli::dashboard::LintArgs;
use crate::exit::{Exit, Failure, Result};

pub(crate) fn run(args: LintArgs) -> Result<Exit> {
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let name = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        files.push(FileFindings {
            findings: bulletins_dashboard::lint(&bytes, &name),
            name,
            repo_path: None,
        });
    }
    report(&files, &args.output)
}
