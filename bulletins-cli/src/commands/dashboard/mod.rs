//! `bulletins dashboard ...`: the dashboard file as a reviewed contract, and the code generated
//! from it. The rules live in `bulletins-dashboard` (`breaking`, `lint`, `starter`, `Inference`,
//! `codegen`); this module reads files, asks git, and prints findings.

mod breaking;
mod codegen;
mod git;
mod init;
mod lint;
mod render;

use clap::{Args, Subcommand, ValueEnum};

use bulletins_dashboard::{Finding, Level};

use crate::exit::{Exit, Failure, Result};

const FINDINGS_HELP: &str = "\
Output (--format):
  text    grouped by level, each finding as FILE:LINE:COLUMN: message [rule-id]; coloured on a
          terminal unless NO_COLOR is set (CLICOLOR_FORCE=1 colours it anywhere)
  json    one object per finding, one per line: file, line, column, level, rule, event,
          property, message
  github  GitHub Actions workflow commands (::error file=...,line=...,col=...::message)
A summary goes to stderr.

Exit codes:
  0  no finding at or above --fail-on (default: error)
  2  usage error (bad flags, an unreadable file, an unknown revision)
  3  breaking: a file is not a valid dashboard file (lint reports that as a finding)
  8  a finding at or above --fail-on";

/// The dashboard file's commands.
#[derive(Debug, Subcommand)]
pub(crate) enum DashboardCommand {
    /// Which changes between two versions of a dashboard file break which services.
    #[command(
        override_usage = "bulletins dashboard breaking [OPTIONS] OLD NEW\n       \
bulletins dashboard breaking [OPTIONS] FILE --against REV"
    )]
    #[command(after_help = format!("Rules (level):
  event-removed (error)             every service raising it breaks; a rename shows as a
                                    removal with \"did you mean\" and an addition
  property-removed (error)          the derive refuses a field the dashboard lacks
  property-became-required (error)  services raising the event without it break
  new-required-property (error)     every service raising the event breaks until it sends it
  account-added, account-removed (warning)
  event-added, new-optional-property, property-became-optional (info)
Findings point at the newer file. With --against, FILE is read as it was at REV with git
(its path taken from the repository's root, so run it from anywhere in the repository, and
--format github names it that way); a FILE that did not exist at REV counts as an empty file.

Examples:
  bulletins dashboard breaking bulletins.json --against origin/main
  bulletins dashboard breaking old.json new.json --format json
  bulletins dashboard breaking bulletins.json --against HEAD~1 --format github --fail-on warning

{FINDINGS_HELP}"))]
    Breaking(breaking::BreakingArgs),

    /// What a dashboard file would be refused for, and what is legal but probably wrong.
    #[command(after_help = format!("Rules (level):
  invalid-file (error)                 what the file is refused for (as `bulletins validate`)
  similar-event-names (warning)        two events differing only in case, spaces, _ or -, or
                                       by one or two edits (names of 4 characters or more;
                                       not a numbered series: Level 1, Level 2)
  similar-property-keys (warning)      the same for two properties of one event
  mixed-naming-styles (warning)        a name in another style than most names of its kind
                                       in the file (snake_case, camelCase, Title Case, ...)

Examples:
  bulletins dashboard lint bulletins.json
  bulletins dashboard lint bulletins.json --fail-on warning --format github

{FINDINGS_HELP}"))]
    Lint(lint::LintArgs),

    /// Write a first dashboard file: CleverTap's documented example, or one inferred from
    /// payloads already sent.
    #[command(
        after_help = "With --from, every property seen for an event is listed, and \
those present on every payload of the event are required: a guess from the payloads, to \
confirm on the CleverTap dashboard.

Examples:
  bulletins dashboard init
  bulletins dashboard init --from sent.jsonl --out bulletins.json
  cat sent.jsonl | bulletins dashboard init --from - --out -

Exit codes:
  0  written
  2  usage error (the output exists without --force, an unreadable input)
  3  an invalid payload line, or none at all; nothing written"
    )]
    Init(init::InitArgs),

    /// Generate the Rust module of the file's events: one #[derive(BusinessEvent)] struct each.
    #[command(after_help = codegen::AFTER_HELP)]
    Codegen(codegen::CodegenArgs),
}

/// Runs a dashboard command.
pub(crate) fn run(command: DashboardCommand) -> Result<Exit> {
    match command {
        DashboardCommand::Breaking(args) => breaking::run(args),
        DashboardCommand::Lint(args) => lint::run(args),
        DashboardCommand::Init(args) => init::run(&args),
        DashboardCommand::Codegen(args) => codegen::run(&args),
    }
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people: grouped by level, coloured on a terminal.
    Text,
    /// One JSON object per finding, one per line.
    Json,
    /// GitHub Actions workflow commands, which annotate the pull request.
    Github,
}

/// The least level that fails the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Only errors.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Info,
}

impl FailOn {
    fn level(self) -> Level {
        match self {
            FailOn::Error => Level::Error,
            FailOn::Warning => Level::Warning,
            FailOn::Info => Level::Info,
        }
    }
}

/// The flags every command that reports findings takes.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Exit 8 when a finding is at this level or above.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Error)]
    pub(crate) fail_on: FailOn,
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
