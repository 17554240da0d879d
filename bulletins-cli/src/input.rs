//! The JSONL input, streamed line by line (never held whole), its fingerprint, and the proof
//! that a second reading is the bytes the first one read.
//!
//! `send` reads the input twice — once to check every line, once to send — through the one
//! handle opened at the start, never reopening the path: a file renamed over the input in
//! between (an editor's save, `mv`) does not change what is sent. A file rewritten in place
//! (`cp`, a shell's `>`) would, so the first reading records a digest of each block of the
//! input, and the second hands out a block's bytes only once they match: a line is sent only
//! if every byte of it was checked, and a change stops the send with an error, at the first
//! block that differs. The digests cost 32 bytes per 64 KiB of input. Stdin, and any input that
//! cannot be read twice (a pipe, `<(...)`), is first copied to an anonymous temporary file.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use crate::exit::{Exit, Failure, Result};

/// The bytes of input behind each digest; the last block may be shorter.
const BLOCK: usize = 64 * 1024;

/// The SHA-256 of one block.
type BlockDigest = [u8; 32];

/// A readable, re-readable input.
#[derive(Debug)]
pub(crate) struct Input {
    /// How messages name it: the path, or `<stdin>`.
    pub(crate) name: String,
    /// The input, or the copy of it that can be read twice; every reading goes through it.
    file: File,
}

/// What the first reading read: the input's fingerprint and the digest of each of its blocks.
#[derive(Debug, Clone)]
pub(crate) struct Fingerprint {
    /// `sha256:<hex>` of every byte read.
    pub(crate) text: String,
    blocks: Arc<[BlockDigest]>,
}

impl Input {
    /// Opens a file, or copies stdin aside when `path` is `-` (or the file is a pipe or
    /// another input that cannot be read twice).
    pub(crate) fn open(path: &Path) -> Result<Self> {
        if path == Path::new("-") {
            let file = spool(&mut io::stdin().lock(), "stdin")?;
            return Ok(Self {
                name: "<stdin>".to_owned(),
                file,
            });
        }
        let name = path.display().to_string();
        let unreadable = |e: io::Error| Failure::usage(format!("cannot read {name}: {e}"));
        let mut file = File::open(path).map_err(unreadable)?;
        let regular = file.metadata().map_err(unreadable)?.is_file();
        if !regular {
            file = spool(&mut file, &name)?;
        }
        Ok(Self { name, file })
    }

    /// Its lines, from the start: the first reading, which records the input's fingerprint
    /// ([`Lines::fingerprint`]).
    pub(crate) fn lines(&self) -> Result<Lines> {
        self.read(Mode::Record {
            whole: Sha256::new(),
            blocks: Vec::new(),
        })
    }

    /// Its lines again, from the start, as a first reading with this fingerprint read them: a
    /// line is handed out only once every block it lies in matched, and reading fails at the
    /// first block that does not.
    pub(crate) fn lines_as_read(&self, fingerprint: &Fingerprint) -> Result<Lines> {
        self.read(Mode::Verify(fingerprint.clone()))
    }

    fn read(&self, mode: Mode) -> Result<Lines> {
        let unreadable = |e: io::Error| Failure::usage(format!("cannot read {}: {e}", self.name));
        // A second handle on the same open file (it shares the offset: the readings never
        // overlap), so the path is never opened again.
        let mut file = self.file.try_clone().map_err(unreadable)?;
        file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
        Ok(Lines {
            reader: Blocks {
                file,
                name: self.name.clone(),
                block: Vec::with_capacity(BLOCK),
                pos: 0,
                index: 0,
                mode,
            },
            number: 0,
            buf: Vec::new(),
        })
    }
}

/// Copies what cannot be read twice into an anonymous temporary file (gone when closed, even
/// after a crash).
fn spool(from: &mut impl Read, name: &str) -> Result<File> {
    let mut file = tempfile::tempfile().map_err(|e| {
        Failure::new(
            Exit::Failed,
            format!("cannot create a temporary file for {name}: {e}"),
        )
    })?;
    io::copy(from, &mut file).map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    Ok(file)
}

/// The input's lines with their 1-based numbers.
#[derive(Debug)]
pub(crate) struct Lines {
    reader: Blocks,
    number: u64,
    /// The current line's bytes, reused from line to line.
    buf: Vec<u8>,
}

/// One line: its number and its bytes (without the line ending).
#[derive(Debug)]
pub(crate) struct Line<'a> {
    pub(crate) number: u64,
    pub(crate) bytes: &'a [u8],
}

impl Line<'_> {
    /// Whether it holds nothing but whitespace (skipped, not an error).
    pub(crate) fn is_blank(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

impl Lines {
    /// The next line, or `None` at the end. Its bytes live until the next call.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let bytes = &mut self.buf;
        bytes.clear();
        if self.reader.read_until(b'\n', bytes)? == 0 {
            return Ok(None);
        }
        self.number += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Ok(Some(Line {
            number: self.number,
            bytes,
        }))
    }

    /// The fingerprint of every byte read so far (for a second reading, the first one's).
    pub(crate) fn fingerprint(self) -> Fingerprint {
        match self.reader.mode {
            Mode::Record { whole, blocks } => {
                let mut text = String::from("sha256:");
                for byte in whole.finalize().iter() {
                    text.push_str(&format!("{byte:02x}"));
                }
                Fingerprint {
                    text,
                    blocks: blocks.into(),
                }
            }
            Mode::Verify(fingerprint) => fingerprint,
        }
    }
}

/// What a reading does with each block.
#[derive(Debug)]
enum Mode {
    /// The first reading: hashes the whole input, and each block.
    Record {
        whole: Sha256,
        blocks: Vec<BlockDigest>,
    },
    /// A second reading: each block must match the first reading's.
    Verify(Fingerprint),
}

/// The input read a block at a time, each block hashed before any of its bytes is handed out.
#[derive(Debug)]
struct Blocks {
    file: File,
    name: String,
    block: Vec<u8>,
    /// How much of `block` was handed out.
    pos: usize,
    /// How many non-empty blocks were read.
    index: usize,
    mode: Mode,
}

impl Blocks {
    /// Reads the next block (empty at the end) and records or verifies it.
    fn next_block(&mut self) -> io::Result<()> {
        self.block.resize(BLOCK, 0);
        self.pos = 0;
        // Whole blocks, whatever the reads return, so both readings cut the input alike.
        let mut filled = 0;
        while filled < BLOCK {
            match self.file.read(&mut self.block[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.block.clear();
                    return Err(e);
                }
            }
        }
        self.block.truncate(filled);
        let digest: Option<BlockDigest> = (filled > 0).then(|| Sha256::digest(&self.block).into());
        let matches = match (&mut self.mode, digest) {
            (Mode::Record { whole, blocks }, Some(digest)) => {
                whole.update(&self.block);
                blocks.push(digest);
                true
            }
            (Mode::Record { .. }, None) => true,
            (Mode::Verify(read), digest) => read.blocks.get(self.index).copied() == digest,
        };
        if !matches {
            self.block.clear();
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} changed since it was checked (from byte {} on); no line from there on is sent",
                    self.name,
                    self.index * BLOCK
                ),
            ));
        }
        if digest.is_some() {
            self.index += 1;
        }
        Ok(())
    }
}

impl Read for Blocks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Blocks {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.block.len() {
            self.next_block()?;
        }
        Ok(&self.block[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.block.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn input(bytes: &[u8]) -> (tempfile::NamedTempFile, Input) {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(bytes).expect("write");
        let input = Input::open(file.path()).unwrap_or_else(|e| panic!("{e}"));
        (file, input)
    }

    fn read_all(lines: &mut Lines) -> io::Result<Vec<Vec<u8>>> {
        let mut all = Vec::new();
        while let Some(line) = lines.next_line()? {
            all.push(line.bytes.to_vec());
        }
        Ok(all)
    }

    fn first_reading(input: &Input) -> (Vec<Vec<u8>>, Fingerprint) {
        let mut lines = input.lines().unwrap_or_else(|e| panic!("{e}"));
        let all = read_all(&mut lines).expect("read");
        (all, lines.fingerprint())
    }

    /// Lines of 100 bytes, enough for several blocks.
    fn text(lines: usize, fill: u8) -> Vec<u8> {
        let mut bytes = Vec::new();
        for _ in 0..lines {
            bytes.extend(std::iter::repeat_n(fill, 99));
            bytes.push(b'\n');
        }
        bytes
    }

    #[test]
    fn the_fingerprint_is_the_sha256_of_the_input_and_a_second_reading_matches() {
        let bytes = text(3000, b'a');
        let (_file, input) = input(&bytes);
        let (first, fingerprint) = first_reading(&input);
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(fingerprint.text, format!("sha256:{hex}"));
        assert_eq!(fingerprint.blocks.len(), bytes.len().div_ceil(BLOCK));
        let mut again = input.lines_as_read(&fingerprint).expect("again");
        assert_eq!(read_all(&mut again).expect("verified"), first);
    }

    #[test]
    fn a_change_in_place_stops_the_second_reading_before_the_changed_block() {
        for (at, expect_lines) in [(0, 0), (BLOCK + 10, BLOCK / 100)] {
            let bytes = text(3000, b'a');
            let (file, input) = input(&bytes);
            let (_, fingerprint) = first_reading(&input);
            let mut changed = bytes.clone();
            changed[at] = b'b';
            std::fs::write(file.path(), &changed).expect("rewrite");
            let mut again = input.lines_as_read(&fingerprint).expect("again");
            let mut handed = 0;
            let error = loop {
                match again.next_line() {
                    Ok(Some(line)) => {
                        assert!(line.bytes.iter().all(|&b| b == b'a'), "a changed byte");
                        handed += 1;
                    }
                    Ok(None) => panic!("read to the end"),
                    Err(e) => break e,
                }
            };
            assert_eq!(handed, expect_lines, "changed at {at}");
            assert!(error.to_string().contains("changed since it was checked"));
        }
    }

    #[test]
    fn a_grown_or_shortened_input_is_a_change() {
        for changed in [text(3001, b'a'), text(2999, b'a'), text(1280, b'a')] {
            let (file, input) = input(&text(3000, b'a'));
            let (_, fingerprint) = first_reading(&input);
            std::fs::write(file.path(), &changed).expect("rewrite");
            let mut again = input.lines_as_read(&fingerprint).expect("again");
            let read = read_all(&mut again);
            assert!(read.is_err(), "{} bytes read as unchanged", changed.len());
        }
    }

    #[test]
    fn a_file_renamed_over_the_path_is_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, text(10, b'a')).expect("write");
        let input = Input::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let (first, fingerprint) = first_reading(&input);
        let new = dir.path().join("new");
        std::fs::write(&new, text(10, b'b')).expect("write");
        std::fs::rename(&new, &path).expect("rename");
        let mut again = input.lines_as_read(&fingerprint).expect("again");
        assert_eq!(read_all(&mut again).expect("the opened file"), first);
    }
}
