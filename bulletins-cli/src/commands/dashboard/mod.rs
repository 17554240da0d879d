//! `bulletins dashboard ...`: the dashboard file as a reviewed contract, and the code generated
//! from it. The rules live in `bulletins-dashboard` (`breaking`, `lint`, `starter`, `Inference`,
//! `codegen`); this module reads files, asks git, and prints findings.

mod breaking;
mod codegen;
mod git;
mod init;
mod lint;
mod render;

use bulletins_dashboard::{Finding, Level};

use crate::cli::dashboard::{DashboardCommand, Format, OutputArgs};

use crate::exit::{Exit, Failure, Result};

/// Runs a dashboard command.
pub(crate) fn run(command: DashboardCommand) -> Result<Exit> {
    match command {
        DashboardCommand::Breaking(args) => breaking::run(args),
        DashboardCommand::Lint(args) => lint::run(args),
        DashboardCommand::Init(args) => init::run(&args),
        DashboardCommand::Codegen(args) => codegen::run(&args),
    }
}

/// The findings of one file, and the names it goes by.
#[derive(Debug)]
pub(crate) struct FileFindings {
    /// The file as the user named it.
    pub(crate) name: String,
    /// The file as GitHub names it (from the repository's root), when known.
    pub(crate) repo_path: Option<String>,
    pub(crate) findings: Vec<Finding>,
}

/// Prints the findings, a summary on stderr, and decides the exit code.
pub(crate) fn report(files: &[FileFindings], output: &OutputArgs) -> Result<Exit> {
    let mut stdout = std::io::stdout().lock();
    let printed = match output.format {
        Format::Text => render::text(&mut stdout, files, render::colour()),
        Format::Json => render::json(&mut stdout, files),
        Format::Github => render::github(&mut stdout, files),
    };
    printed.map_err(|e| Failure::new(Exit::Failed, format!("cannot write the findings: {e}")))?;
    let all = files.iter().flat_map(|f| &f.findings);
    let count = |level| all.clone().filter(|f| f.level() == level).count();
    let (errors, warnings, infos) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info),
    );
    if errors + warnings + infos == 0 {
        eprintln!("no findings");
    } else {
        eprintln!(
            "{}, {}, {infos} info",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    let threshold = output.fail_on.level();
    let failing = all.filter(|f| f.level() >= threshold).count();
    if failing == 0 {
        return Ok(Exit::Success);
    }
    Err(Failure::new(
        Exit::Findings,
        format!(
            "{} at or above --fail-on {threshold}",
            plural(failing, "finding")
        ),
    ))
}

/// `1 error`, `2 errors`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
