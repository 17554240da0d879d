//! The JSONL input, streamed line by line (never held whole), and its fingerprint.
//!
//! `send` reads the input twice — once to check every line, once to send — so stdin is first
//! copied to a temporary file.

use std::fs::File;
use std::io::{self, BufRead as _, BufReader};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::exit::{Failure, Result};

/// A readable, re-readable input.
#[derive(Debug)]
pub(crate) struct Input {
    /// How messages name it: the path, or `<stdin>`.
    pub(crate) name: String,
    path: PathBuf,
    /// Keeps stdin's copy alive (deleted on drop).
    _spool: Option<tempfile::NamedTempFile>,
}

impl Input {
    /// Opens a file, or copies stdin aside when `path` is `-`.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        if path == Path::new("-") {
            let mut spool = tempfile::NamedTempFile::new().map_err(|e| {
                Failure::new(
                    crate::exit::Exit::Failed,
                    format!("cannot create a temporary file for stdin: {e}"),
                )
            })?;
            io::copy(&mut io::stdin().lock(), spool.as_file_mut())
                .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
            return Ok(Self {
                name: "<stdin>".to_owned(),
                path: spool.path().to_owned(),
                _spool: Some(spool),
            });
        }
        // Fails early, with the path, if it cannot be read.
        File::open(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        Ok(Self {
            name: path.display().to_string(),
            path: path.to_owned(),
            _spool: None,
        })
    }

    /// Its lines, from the start.
    pub(crate) fn lines(&self) -> Result<Lines> {
        let file = File::open(&self.path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", self.name)))?;
        Ok(Lines {
            reader: BufReader::with_capacity(64 * 1024, file),
            hasher: Sha256::new(),
            number: 0,
            buf: Vec::new(),
        })
    }
}

/// The input's lines with their 1-based numbers, hashing every byte read.
#[derive(Debug)]
pub(crate) struct Lines {
    reader: BufReader<File>,
    hasher: Sha256,
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
        self.hasher.update(&*bytes);
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

    /// The SHA-256 of every byte read so far, as `sha256:<hex>`.
    pub(crate) fn fingerprint(self) -> String {
        let digest = self.hasher.finalize();
        let mut text = String::from("sha256:");
        for byte in digest.iter() {
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }
}
