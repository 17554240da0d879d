//! `bulletins dashboard ...`'s arguments: the dashboard file as a reviewed contract, and the
//! code generated from it.

use std::path::PathBuf;

use bulletins_dashboard::Level;
use clap::{Args, Subcommand, ValueEnum};

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
    Breaking(BreakingArgs),

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
    Lint(LintArgs),

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
    Init(InitArgs),

    /// Generate the Rust module of the file's events: one #[derive(BusinessEvent)] struct each.
    #[command(after_help = CODEGEN_HELP)]
    Codegen(CodegenArgs),
}

/// `breaking`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct BreakingArgs {
    /// OLD and NEW dashboard files; with --against, only FILE (as it is now).
    #[arg(value_name = "FILE", required = true, num_args = 1..=2)]
    pub(crate) files: Vec<PathBuf>,
    /// Compare FILE with itself as it was at this git revision (a branch, a tag, HEAD~1...).
    #[arg(long, value_name = "REV")]
    pub(crate) against: Option<String>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `lint`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Dashboard files.
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `init`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Infer the events from these trigger payloads, one per line (`-` reads stdin).
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) from: Option<PathBuf>,
    /// Where to write the file (`-` prints it).
    #[arg(long, value_name = "PATH", default_value = "bulletins.json")]
    pub(crate) out: PathBuf,
    /// Replace the file at --out if there is one.
    #[arg(long)]
    pub(crate) force: bool,
}

const CODEGEN_HELP: &str = "\
The module is sorted, formatted as rustfmt formats it, and the same on every run; its header
names FILE as written, so give FILE relative to the repository. --check compares it with
--out PATH and prints a unified diff when they differ, as cargo fmt --check does.

Examples:
  bulletins dashboard codegen bulletins.json                       # print it
  bulletins dashboard codegen bulletins.json --out src/events.rs   # write it (when changed)
  bulletins dashboard codegen bulletins.json --out src/events.rs --check   # in CI

Exit codes:
  0    printed, written, or (--check) up to date
  1    --out PATH could not be written
  2    usage error, or FILE (or, with --check, PATH) could not be read
  3    FILE is not a valid dashboard file; or (--check) PATH is stale or missing";

/// `codegen`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct CodegenArgs {
    /// The dashboard file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Write the module to PATH (only when it changes) instead of printing it.
    #[arg(long, value_name = "PATH")]
    pub(crate) out: Option<PathBuf>,
    /// Write nothing: exit 3 with a unified diff on stdout when PATH is not what FILE generates.
    #[arg(long, requires = "out")]
    pub(crate) check: bool,
    /// The crate whose BusinessEvent derive the structs name: the one the including crate
    /// depends on.
    #[arg(long = "crate", value_enum, default_value_t = Crate::BulletinsCore, value_name = "CRATE")]
    pub(crate) krate: Crate,
}

/// `--crate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Crate {
    /// `::bulletins_core::BusinessEvent`, for a schema crate.
    BulletinsCore,
    /// `::bulletins_http::BusinessEvent`, for a service.
    BulletinsHttp,
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
    /// The level it names.
    pub(crate) fn level(self) -> Level {
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
