//! `bulletins send FILE`: every line of a JSONL file, checked first, then sent at most once,
//! with a journal that lets a re-run resume.
//!
//! The send pass reads the bytes the check pass checked: the input is opened once, and a
//! second reading hands out only blocks that match the first's digests
//! ([`Input::lines_as_read`]).

mod direct;
mod interrupts;
mod pipeline;
mod queue;
mod report;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::cli::SendArgs;
use crate::dashboard::{self, Dashboard};
use crate::exit::{Exit, Failure, Result};
use crate::input::{Fingerprint, Input};
use crate::journal::{Journal, JournalError, Replay};
use crate::{credentials, log, payload};
use tracing::Level;

use pipeline::Source;
use report::Report;

pub(crate) fn run(args: SendArgs) -> Result<Exit> {
    // The client's warnings (a trigger dropped with its request in flight); RUST_LOG filters.
    crate::log::init("warn", args.log_format);
    let journal_path = journal_path(&args)?;
    let input = Input::open(&args.file)?;
    let dashboard = match dashboard::path(args.dashboard.dashboard.as_deref()) {
        Some(path) => Some(dashboard::load(&path).map_err(|e| Failure::new(Exit::Invalid, e))?),
        None => {
            dashboard::note_unchecked();
            None
        }
    };

    // Every line is checked before anything is sent.
    let checked = check_all(&input, dashboard.as_ref())?;
    if checked.invalid > 0 && !args.skip_invalid {
        return Err(invalid_lines(&checked, &input.name));
    }

    let concurrency = usize::from(args.concurrency);
    let client = credentials::client_builder(&args.credentials)?
        .max_concurrency(concurrency)
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;

    let (journal, replay) = match &journal_path {
        Some(path) => {
            let (journal, replay) = open_journal(path, &checked, &args)?;
            (Some(journal), Some(replay))
        }
        None => (None, None),
    };

    let source = Source {
        lines: input.lines_as_read(&checked.fingerprint)?,
        replay,
        resend_uncertain: args.resend_uncertain,
        dashboard,
    };
    let report = Report::new(args.json, checked.lines);
    let runtime = super::runtime()?;
    // Driven from a spawned task, not `block_on`'s own future: that one is polled outside the
    // runtime's workers, so every I/O wake-up must unpark it.
    let ended = match journal {
        Some(journal) => runtime.block_on(runtime.spawn(pipeline::send(
            source,
            client,
            Some(journal),
            report,
            concurrency,
        ))),
        None => runtime.block_on(runtime.spawn(direct::send(source, client, report))),
    }
    .map_err(|e| Failure::new(Exit::Failed, format!("the sending task failed: {e}")))?;
    let exit = ended.report.finish(ended.interrupted);
    match ended.failure {
        Some(failure) => Err(Failure::new(Exit::Failed, failure).hint(
            "lines started but not finished are uncertain; the journal lists them on the next run",
        )),
        None => Ok(exit),
    }
}

/// `--journal`, else `FILE.journal`; none with `--no-journal`.
fn journal_path(args: &SendArgs) -> Result<Option<PathBuf>> {
    if args.no_journal {
        return Ok(None);
    }
    if let Some(path) = &args.journal {
        return Ok(Some(path.clone()));
    }
    if args.file == Path::new("-") {
        return Err(Failure::usage("reading stdin, there is no FILE.journal to default to")
            .hint("pass --journal PATH to keep a journal (re-run with the same input to resume), or --no-journal"));
    }
    let mut path = OsString::from(args.file.as_os_str());
    path.push(".journal");
    Ok(Some(PathBuf::from(path)))
}

fn journal_failure(error: JournalError) -> Failure {
    let hint = match &error {
        JournalError::Locked { .. } => {
            "wait for the other run to finish; two runs sharing a journal could send a line twice"
        }
        JournalError::OtherInput { .. } => {
            "resume with the input the journal was started with, or use another --journal for this input"
        }
        JournalError::OtherDestination { .. } => {
            "a journal belongs to one destination: point this run where its lines went to resume, or pass --journal PATH to keep another journal for this destination"
        }
        JournalError::OtherFormat { .. } => {
            "resume it with the version that wrote it; or move it aside to start a new journal, knowing that every line it records would be sent again"
        }
        JournalError::NotAJournal { .. } => "pass the path of a bulletins journal to --journal",
        JournalError::Corrupt { .. } => {
            "this is not the damage of a crash; inspect the file before sending anything"
        }
        JournalError::Io { .. } => {
            return Failure::new(Exit::Failed, error.to_string());
        }
    };
    Failure::new(Exit::Journal, error.to_string()).hint(hint)
}

struct Checked {
    fingerprint: Fingerprint,
    /// Non-blank lines.
    lines: u64,
    invalid: u64,
}

/// Reads the whole input once: every problem printed as `FILE:LINE: problem`, and the input's
/// fingerprint.
fn check_all(input: &Input, dashboard: Option<&Dashboard>) -> Result<Checked> {
    let mut lines = input.lines()?;
    let (mut count, mut invalid) = (0, 0);
    while let Some(line) = lines
        .next_line()
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.name)))?
    {
        if line.is_blank() {
            continue;
        }
        count += 1;
        if let Err(problems) = payload::check_line(line.bytes, dashboard) {
            invalid += 1;
            for problem in problems {
                log::say(
                    Level::WARN,
                    format_args!("{}:{}: {problem}", input.name, line.number),
                );
            }
        }
    }
    Ok(Checked {
        fingerprint: lines.fingerprint(),
        lines: count,
        invalid,
    })
}

/// Nothing is sent when a line is invalid, unless `--skip-invalid`.
fn invalid_lines(checked: &Checked, input: &str) -> Failure {
    let (verb, hint) = if checked.invalid == 1 {
        (
            "is",
            "fix it, or pass --skip-invalid to send the valid lines",
        )
    } else {
        (
            "are",
            "fix them, or pass --skip-invalid to send the valid lines",
        )
    };
    Failure::new(
        Exit::Invalid,
        format!(
            "{} of {} lines of {input} {verb} invalid; nothing was sent",
            checked.invalid, checked.lines
        ),
    )
    .hint(hint)
}

/// Opens (or creates) the journal of this input and destination, and reads what earlier runs
/// recorded.
fn open_journal(path: &Path, checked: &Checked, args: &SendArgs) -> Result<(Journal, Replay)> {
    let destination = credentials::destination(&args.credentials)?;
    let (journal, replay) =
        Journal::open(path, &checked.fingerprint.text, &destination).map_err(journal_failure)?;
    if replay.torn_bytes > 0 {
        log::say(
            Level::WARN,
            format_args!(
                "recovered the journal {}: cut off a torn last record ({} bytes) left by a crash",
                path.display(),
                replay.torn_bytes
            ),
        );
    }
    Ok((journal, replay))
}
