//! The journal's unit tests: replay, locking, refusals and recovery from torn records.

use super::*;

const INPUT: &str = "sha256:aaaa";

fn to() -> Destination {
    Destination {
        account_id: "ABCD-RSTU-1234".to_owned(),
        base_url: "https://in1.api.clevertap.com".to_owned(),
    }
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn open(path: &Path) -> (Journal, Replay) {
    Journal::open(path, INPUT, &to()).unwrap_or_else(|e| panic!("{e}"))
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
    let err = Journal::open(&path, "sha256:bbbb", &to()).map(drop);
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
    let err = Journal::open(&path, INPUT, &to()).map(drop);
    assert!(matches!(err, Err(JournalError::Locked { .. })), "{err:?}");
    drop(first);
    assert!(Journal::open(&path, INPUT, &to()).is_ok());
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
    let err = Journal::open(&path, INPUT, &to()).map(drop);
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
    let err = Journal::open(&path, INPUT, &to()).map(drop);
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
    assert_eq!(text, format!("{}\n", header(INPUT, &to())));
}

#[test]
fn another_destination_is_refused_naming_both() {
    let dir = dir();
    let path = dir.path().join("j");
    drop(open(&path));
    for other in [
        Destination {
            base_url: "http://127.0.0.1:8787".to_owned(),
            ..to()
        },
        Destination {
            account_id: "WXYZ-RSTU-5678".to_owned(),
            ..to()
        },
    ] {
        let err = Journal::open(&path, INPUT, &other).map(drop);
        let Err(JournalError::OtherDestination {
            recorded, this_run, ..
        }) = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!((recorded, this_run), (&to(), &other));
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains(&other.to_string()), "{message}");
        assert!(message.contains(&to().to_string()), "{message}");
    }
    assert!(Journal::open(&path, INPUT, &to()).is_ok());
}

#[test]
fn a_journal_of_format_1_is_refused_and_left_alone() {
    let dir = dir();
    let path = dir.path().join("j");
    let text = format!("bulletins-journal 1 {INPUT}\ns 1\nd 1 1\n");
    std::fs::write(&path, &text).expect("write");
    let err = Journal::open(&path, INPUT, &to()).map(drop);
    assert!(
        matches!(&err, Err(JournalError::OtherFormat { format, .. }) if format == "1"),
        "{err:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).ok(), Some(text));
}
