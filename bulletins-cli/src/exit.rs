//! Exit codes, and the one error type every command returns.

use std::fmt;
use std::process::ExitCode;

/// What the process exits with. The numbers are a contract with scripts: see `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: every bulletin delivered (or, for `validate`, every file valid).
    Success,
    /// 1: something outside the input failed (a file that cannot be written, the runtime).
    Failed,
    /// 2: a usage error: bad flags, missing credentials, an unreadable file.
    Usage,
    /// 3: invalid input or a dashboard mismatch; nothing was sent.
    Invalid,
    /// 4: CleverTap refused it; it certainly was not delivered.
    Refused,
    /// 5: the outcome is unknown; it may have been delivered.
    Uncertain,
    /// 6: a batch in which some lines were not delivered.
    Partial,
    /// 7: the journal is locked by another run, belongs to another input or destination, or
    /// is of another format.
    Journal,
    /// 8: `dashboard breaking` or `dashboard lint` found something at or above `--fail-on`
    /// (like `buf breaking`'s 100: findings, not a failure to run).
    Findings,
    /// 130: interrupted; the journal was flushed, re-run to resume.
    Interrupted,
}

impl Exit {
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Invalid => 3,
            Exit::Refused => 4,
            Exit::Uncertain => 5,
            Exit::Partial => 6,
            Exit::Journal => 7,
            Exit::Findings => 8,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// An error that ends the command: printed once to stderr as `error: ...`, with a hint line
/// when there is something to do about it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Failure {
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    #[must_use]
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

pub(crate) type Result<T, E = Failure> = std::result::Result<T, E>;
