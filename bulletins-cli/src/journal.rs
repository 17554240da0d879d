//! The send journal: for each input line, that it was started and how it ended, so a re-run
//! after a crash, a kill or Ctrl-C sends nothing twice.
//!
//! # Format
//! Text, one record per line, appended only:
//!
//! ```text
//! bulletins-journal 1 sha256:<hex of the input>     the header: which input this is for
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
//! while a `bulletins send` uses it, and its header fingerprints the input, so a journal is
//! never shared by two runs or applied to another file. A torn last record — the process died
//! mid-write, or the file system kept a zero-filled tail after a power loss — is cut off on
//! open; a damaged record followed by good ones is refused, as that is not a crash's damage.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};

const MAGIC: &str = "bulletins-journal 1 ";

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
    /// Opens (or creates) the journal for the input with this fingerprint, locks it, replays
    /// it and cuts off a torn last record.
    pub(crate) fn open(path: &Path, fingerprint: &str) -> Result<(Self, Replay), JournalError> {
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
        let header = format!("{MAGIC}{fingerprint}");
        let replay = journal.replay(&header)?;
        Ok((journal, replay))
    }

    fn replay(&mut self, header: &str) -> Result<Replay, JournalError> {
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
                    return Err(if text.starts_with(MAGIC) {
                        JournalError::OtherInput {
                            path: self.path.clone(),
                        }
                    } else {
                        JournalError::NotAJournal {
                            path: self.path.clone(),
                        }
                    });
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
mod tests {
    use super::*;

    const INPUT: &str = "sha256:aaaa";

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("a temporary directory")
    }

    fn open(path: &Path) -> (Journal, Replay) {
        Journal::open(path, INPUT).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_last_record_of_a_line_is_its_state() {
        let dir = dir();
        let path = dir.path().join("j");
        let (mut journal, replay) = open(&path);
        assert_eq!(replay.state(1), State::Unsent);
        let mut records = Records::default();
        for line in 1..=5 {
            records.started(line);
        }
        records.delivered(1, 1);
        records.not_delivered(2, "HTTP 400: Business Event Not Found\nsecond line");
        records.uncertain(3, "timed out");
        journal.append(&records).expect("append");
        drop(journal);
        let (_journal, replay) = open(&path);
        let states: Vec<_> = (1..=6).map(|l| replay.state(l)).collect();
        assert_eq!(
            states,
            [
                State::Delivered,
                State::NotDelivered,
                State::Uncertain,
                State::Started,
                State::Started,
                State::Unsent
            ]
        );
        assert_eq!(replay.torn_bytes, 0);
    }

    #[test]
    fn records_are_written_by_append_only() {
        let dir = dir();
        let path = dir.path().join("j");
        let (mut journal, _) = open(&path);
        let header_len = std::fs::metadata(&path).map(|m| m.len()).ok();
        let mut records = Records::default();
        records.started(1);
        assert_eq!(std::fs::metadata(&path).map(|m| m.len()).ok(), header_len);
        journal.append(&records).expect("append");
        assert!(std::fs::metadata(&path).map(|m| m.len()).ok() > header_len);
    }

    #[test]
    fn another_input_is_refused() {
        let dir = dir();
        let path = dir.path().join("j");
        drop(open(&path));
        let err = Journal::open(&path, "sha256:bbbb").map(drop);
        assert!(
            matches!(err, Err(JournalError::OtherInput { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn a_second_opener_is_refused_while_the_first_holds_it() {
        let dir = dir();
        let path = dir.path().join("j");
        let first = open(&path);
        let err = Journal::open(&path, INPUT).map(drop);
        assert!(matches!(err, Err(JournalError::Locked { .. })), "{err:?}");
        drop(first);
        assert!(Journal::open(&path, INPUT).is_ok());
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_the_journal_stays_usable() {
        let dir = dir();
        let path = dir.path().join("j");
        let (mut journal, _) = open(&path);
        let mut records = Records::default();
        records.started(1);
        records.started(2);
        records.delivered(1, 1);
        journal.append(&records).expect("append");
        drop(journal);
        let good = std::fs::read(&path).expect("read");
        for torn in [
            &b"d 2"[..],
            b"d 2 1\0\0\0\0",
            b"\0\0\0\0\0\0\0\0\n",
            b"d 2 1\nd 3",
        ] {
            let mut bytes = good.clone();
            bytes.extend_from_slice(torn);
            std::fs::write(&path, &bytes).expect("write");
            let (mut journal, replay) = open(&path);
            let expect_torn = if torn.starts_with(b"d 2 1\n") {
                3
            } else {
                torn.len()
            };
            assert_eq!(replay.torn_bytes, expect_torn as u64, "{torn:?}");
            let two = if torn.starts_with(b"d 2 1\n") {
                State::Delivered
            } else {
                State::Started
            };
            assert_eq!(replay.state(2), two, "{torn:?}");
            let mut records = Records::default();
            records.uncertain(7, "lost");
            journal.append(&records).expect("append");
            drop(journal);
            let (_journal, replay) = open(&path);
            assert_eq!(
                (replay.state(7), replay.torn_bytes),
                (State::Uncertain, 0),
                "{torn:?}"
            );
        }
    }

    #[test]
    fn damage_followed_by_good_records_is_refused() {
        let dir = dir();
        let path = dir.path().join("j");
        drop(open(&path));
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.extend_from_slice(b"s 1\nx 2\ns 3\n");
        std::fs::write(&path, &bytes).expect("write");
        let err = Journal::open(&path, INPUT).map(drop);
        assert!(
            matches!(err, Err(JournalError::Corrupt { record: 3, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_refused_and_left_alone() {
        let dir = dir();
        let path = dir.path().join("bulletins.jsonl");
        let text = "{\"business_event\":\"e\"}\n{\"business";
        std::fs::write(&path, text).expect("write");
        let err = Journal::open(&path, INPUT).map(drop);
        assert!(
            matches!(err, Err(JournalError::NotAJournal { .. })),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(text));
    }

    #[test]
    fn a_torn_header_is_written_again() {
        let dir = dir();
        let path = dir.path().join("j");
        std::fs::write(&path, &MAGIC.as_bytes()[..8]).expect("write");
        let (_journal, replay) = open(&path);
        assert_eq!(replay.torn_bytes, 8);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(text, format!("{MAGIC}{INPUT}\n"));
    }
}
