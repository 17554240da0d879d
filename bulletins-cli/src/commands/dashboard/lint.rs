//! `bulletins dashboard lint FILE...`.

use std::path::PathBuf;

use clap::Args;

use super::{report, FileFindings, OutputArgs};
use crate::exit::{Exit, Failure, Result};

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Dashboard files.
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

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
