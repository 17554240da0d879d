//! The send journal: for each input line, that it was started and how it ended, so a re-run
//! after a crash, a kill or Ctrl-C sends nothing twice.
//!
//! # Format
//! Text, one record per line, appended only:
//!
//! ```text
//! bulletins-journal 2 sha256:<hex of the input> {"account_id":"…","base_url":"https://…"}
//!                       the header: which input, sent to which account at which endpoint
//! s 12                  line 12 started: written and synced before its request leaves
//! d 12 1                line 12 delivered, to 1 target
//! n 12 <reason>         line 12 certainly not delivered (refused, never connected, not sent)
//! u 12 <reason>         line 12 may have been delivered (no answer, a 5xx, a lost connection)
//! ```
//!
//! A line's last record is its state. A start with no outcome after it means the process died
//! with the request perhaps sent: uncertain, like `u`.
//!
//! # Durability
//! Records are written (`write`) in groups, and survive the process dying once written.
//! Starts are made durable in groups: the caller writes the start records of the next few
//! lines (with the outcomes known since the last write), syncs the file (`fdatasync`, off the
//! async threads), and only once that returned hands those lines to the client. So a line's start is on disk before its request leaves, whatever
//! happens after. Outcomes are not synced on their own: the next group's sync, or the last one,
//! carries them. An outcome lost to a power cut leaves the line started-without-outcome, which
//! reads as uncertain: never resent by accident.
//!
//! # Safety against misuse
//! The file is locked (`File::try_lock`, released when the process ends, even by SIGKILL)
//! while a `bulletins send` uses it, and its header fingerprints the input and names where its
//! lines were sent (the account and the base URL, never the passcode), so a journal is never
//! shared by two runs, applied to another file, or taken for a send to another destination (a
//! rehearsal against the emulator would otherwise pass for the real send: every line
//! "delivered by an earlier run", none sent). A journal of format 1, which named no
//! destination, is refused rather than guessed at. A torn last record — the process died
//! mid-write, or the file system kept a zero-filled tail after a power loss — is cut off on
//! open; a damaged record followed by good ones is refused, as that is not a crash's damage.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};

/// The start of every journal's header, before its format's number.
const MAGIC: &str = "bulletins-journal ";

/// The format written and read: 2 added the destination to the header.
const FORMAT: &str = "2";

/// Where a journal's lines are sent: the account and the endpoint. Never the passcode.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Destination {
    /// The CleverTap account id.
    pub(crate) account_id: String,
    /// The base URL requests go to (a region's, a proxy's, the emulator's), without a
    /// trailing `/`.
    pub(crate) base_url: String,
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "account {} at {}", self.account_id, self.base_url)
    }
}

/// What the journal says of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// No record: never started.
    Unsent,
    /// Started, no outcome recorded: the request may have left. Uncertain.
    Started,
    /// Delivered.
    Delivered,
    /// Certainly not delivered: safe to send again.
    NotDelivered,
    /// May have been delivered.
    Uncertain,
}

impl State {
    /// Whether the line may have been delivered without that being confirmed.
    pub(crate) fn is_uncertain(self) -> bool {
        matches!(self, State::Started | State::Uncertain)
    }
}

/// Why a journal could not be used.
#[derive(Debug)]
pub(crate) enum JournalError {
    /// Another process holds its lock.
    Locked { path: PathBuf },
    /// Its header names another input.
    OtherInput { path: PathBuf },
    /// Its header names another destination: its lines went elsewhere.
    OtherDestination {
        path: PathBuf,
        recorded: Destination,
        this_run: Destination,
    },
    /// It is a journal of another format (1 named no destination).
    OtherFormat { path: PathBuf, format: String },
    /// It is not a journal at all.
    NotAJournal { path: PathBuf },
    /// A damaged record with good ones after it.
    Corrupt {
        path: PathBuf,
        record: u64,
        reason: String,
    },
    /// Reading or writing it failed.
    Io { path: PathBuf, source: io::Error },
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Locked { path } => write!(
                f,
                "the journal {} is in use by another running `bulletins send`",
                path.display()
            ),
            JournalError::OtherInput { path } => write!(
                f,
                "the journal {} belongs to another input: the file changed since it was started",
                path.display()
            ),
            JournalError::OtherDestination {
                path,
                recorded,
                this_run,
            } => write!(
                f,
                "the journal {} records sends to {recorded}; this run sends to {this_run}",
                path.display()
            ),
            JournalError::OtherFormat { path, format } => write!(
                f,
                "the journal {} is of format {format}, written by another version of bulletins; \
                 this one reads format {FORMAT}, which also records where the lines were sent",
                path.display()
            ),
            JournalError::NotAJournal { path } => {
                write!(f, "{} is not a bulletins journal", path.display())
            }
            JournalError::Corrupt {
                path,
                record,
                reason,
            } => write!(
                f,
                "the journal {} is damaged at record {record} ({reason}), with records after it",
                path.display()
            ),
            JournalError::Io { path, source } => {
                write!(f, "journal {}: {source}", path.display())
            }
        }
    }
}

/// What an existing journal says, read on open.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// Indexed by line number; lines past the end are [`State::Unsent`].
    states: Vec<Option<State>>,
    /// Bytes of a torn last record that were cut off.
    pub(crate) torn_bytes: u64,
}

impl Replay {
    /// The state of a line (1-based).
    pub(crate) fn state(&self, line: u64) -> State {
        usize::try_from(line)
            .ok()
            .and_then(|at| self.states.get(at).copied().flatten())
            .unwrap_or(State::Unsent)
    }

    fn set(&mut self, line: u64, state: State) {
        let Ok(at) = usize::try_from(line) else {
            return;
        };
        if self.states.len() <= at {
            self.states.resize(at + 1, None);
        }
        self.states[at] = Some(state);
    }
}

/// An open, locked journal.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
}

/// Records not yet written: a group that [`Journal::append`] makes durable at once.
#[derive(Debug, Default)]
pub(crate) struct Records {
    bytes: Vec<u8>,
}

impl Records {
    /// Records that the line is about to be sent. Send it only once these records were
    /// appended.
    pub(crate) fn started(&mut self, line: u64) {
        self.push(format_args!("s {line}"));
    }

    /// Records that the line was delivered.
    pub(crate) fn delivered(&mut self, line: u64, targets: u64) {
        self.push(format_args!("d {line} {targets}"));
    }

    /// Records that the line certainly was not delivered.
    pub(crate) fn not_delivered(&mut self, line: u64, reason: &str) {
        self.push(format_args!("n {line} {}", one_line(reason)));
    }

    /// Records that the line may have been delivered.
    pub(crate) fn uncertain(&mut self, line: u64, reason: &str) {
        self.push(format_args!("u {line} {}", one_line(reason)));
    }

    /// The bytes of the records held.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Forgets the records (once written).
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
    }

    fn push(&mut self, record: std::fmt::Arguments<'_>) {
        // Writing to a Vec cannot fail.
        let _ = self.bytes.write_fmt(record);
        self.bytes.push(b'\n');
    }
}

impl Journal {
    /// Opens (or creates) the journal for the input with this fingerprint sent to this
    /// destination, locks it, replays it and cuts off a torn last record.
    pub(crate) fn open(
        path: &Path,
        fingerprint: &str,
        destination: &Destination,
    ) -> Result<(Self, Replay), JournalError> {
        let io_error = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(&io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path: path.to_owned(),
                })
            }
            Err(TryLockError::Error(source)) => return Err(io_error(source)),
        }
        let mut journal = Self {
            file,
            path: path.to_owned(),
        };
        let header = header(fingerprint, destination);
        let replay = journal.replay(&header, |text| {
            header_mismatch(path, text, fingerprint, destination)
        })?;
        Ok((journal, replay))
    }

    /// Replays the records after the header, which must be `header`; `mismatch` says why
    /// another one is refused.
    fn replay(
        &mut self,
        header: &str,
        mismatch: impl FnOnce(&str) -> JournalError,
    ) -> Result<Replay, JournalError> {
        let path = self.path.clone();
        let io_error = move |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let len = self.file.metadata().map_err(&io_error)?.len();
        let mut replay = Replay::default();
        let mut reader = BufReader::new(&self.file);
        let mut buf = Vec::new();
        let mut offset: u64 = 0;
        // The end of the last good record (the header included); anything after it is torn.
        let mut good_end: u64 = 0;
        let mut damaged: Option<(u64, String)> = None;
        let mut record: u64 = 0;
        loop {
            buf.clear();
            let read = reader.read_until(b'\n', &mut buf).map_err(&io_error)?;
            if read == 0 || buf.last() != Some(&b'\n') {
                break; // the end, or a torn record
            }
            offset += read as u64;
            let text = String::from_utf8_lossy(&buf[..buf.len() - 1]);
            if record == 0 {
                if text != header {
                    return Err(mismatch(&text));
                }
                record = 1;
                good_end = offset;
                continue;
            }
            record += 1;
            match parse_record(&text) {
                Ok((line, state)) => {
                    if let Some((at, reason)) = damaged.take() {
                        return Err(JournalError::Corrupt {
                            path: self.path.clone(),
                            record: at,
                            reason,
                        });
                    }
                    replay.set(line, state);
                    good_end = offset;
                }
                Err(reason) => {
                    damaged.get_or_insert((record, reason));
                }
            }
        }
        drop(reader);
        if record == 0 && len > 0 && !header.starts_with(&*String::from_utf8_lossy(&buf)) {
            // Not even a torn header of ours: someone else's file.
            return Err(JournalError::NotAJournal {
                path: self.path.clone(),
            });
        }
        if good_end < len {
            self.file.set_len(good_end).map_err(&io_error)?;
            self.file.sync_all().map_err(&io_error)?;
            replay.torn_bytes = len - good_end;
        }
        if good_end == 0 {
            let mut first = Records::default();
            first.bytes.extend_from_slice(header.as_bytes());
            first.bytes.push(b'\n');
            self.append(&first).map_err(&io_error)?;
            sync_parent(&self.path).map_err(&io_error)?;
        }
        Ok(replay)
    }

    /// Appends the records and waits until they are on disk (one `write`, one `fdatasync`).
    /// On error, some of them may have been written.
    pub(crate) fn append(&mut self, records: &Records) -> io::Result<()> {
        self.write(records)?;
        self.file.sync_data()
    }

    /// Appends the records with one `write`, without waiting for the disk: they survive the
    /// process dying (they are in the kernel's cache), and a power loss only once a sync
    /// followed.
    pub(crate) fn write(&mut self, records: &Records) -> io::Result<()> {
        if records.bytes.is_empty() {
            return Ok(());
        }
        self.file.write_all(&records.bytes)
    }

    /// Another handle on the file, to sync it from a blocking thread while this one writes.
    pub(crate) fn syncer(&self) -> io::Result<File> {
        self.file.try_clone()
    }
}

/// The header of a journal of this input sent to this destination. The destination is JSON:
/// an account id may hold any character, and the base URL never holds a secret (`BaseUrl`
/// refuses user info, queries and fragments).
fn header(fingerprint: &str, destination: &Destination) -> String {
    // Serializing two strings cannot fail.
    let to = serde_json::to_string(destination).unwrap_or_default();
    format!("{MAGIC}{FORMAT} {fingerprint} {to}")
}

/// Why a journal whose header is `text`, not this run's, is refused.
fn header_mismatch(
    path: &Path,
    text: &str,
    fingerprint: &str,
    destination: &Destination,
) -> JournalError {
    let path = path.to_owned();
    let Some(rest) = text.strip_prefix(MAGIC) else {
        return JournalError::NotAJournal { path };
    };
    let (format, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if format != FORMAT {
        return JournalError::OtherFormat {
            path,
            format: format.to_owned(),
        };
    }
    let (recorded_input, recorded_to) = rest.split_once(' ').unwrap_or((rest, ""));
    if recorded_input != fingerprint {
        return JournalError::OtherInput { path };
    }
    match serde_json::from_str::<Destination>(recorded_to) {
        Ok(recorded) if recorded == *destination => JournalError::Corrupt {
            path,
            record: 1,
            reason: "a header not written by bulletins".to_owned(),
        },
        Ok(recorded) => JournalError::OtherDestination {
            path,
            recorded,
            this_run: destination.clone(),
        },
        Err(e) => JournalError::Corrupt {
            path,
            record: 1,
            reason: format!("a header naming no destination: {e}"),
        },
    }
}

/// Makes a new file's directory entry durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

fn one_line(reason: &str) -> String {
    reason.replace(['\n', '\r'], " ")
}

fn parse_record(text: &str) -> Result<(u64, State), String> {
    let mut parts = text.splitn(3, ' ');
    let kind = parts.next().unwrap_or_default();
    let line: u64 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("no line number in {text:?}"))?;
    let state = match kind {
        "s" => State::Started,
        "d" => State::Delivered,
        "n" => State::NotDelivered,
        "u" => State::Uncertain,
        _ => return Err(format!("unknown record {text:?}")),
    };
    Ok((line, state))
}

#[cfg(test)]
mod tests;
