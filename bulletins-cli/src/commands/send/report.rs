//! What `send` tells the user: a progress bar on a terminal, one JSON result per line on stdout
//! with `--json`, a line on stderr for each line not delivered, and the summary.

use std::io::{BufWriter, IsTerminal as _, Stdout, Write as _};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use tracing::Level;

use crate::exit::Exit;
use crate::log;

/// How one request ended.
#[derive(Debug)]
pub(super) enum Outcome {
    Delivered {
        targets: u64,
    },
    /// Certainly not delivered. `refused`: for the line itself (invalid, or refused by
    /// CleverTap), which a re-run sends again only to be refused again; otherwise for a
    /// passing reason (429, no connection, credentials), which a re-run may get past.
    NotDelivered {
        reason: String,
        refused: bool,
    },
    Uncertain {
        reason: String,
    },
}

impl Outcome {
    /// By the client's one classification ([`bulletins_http::Error::outcome`]).
    pub(super) fn of(result: Result<bulletins_http::Triggered, bulletins_http::Error>) -> Self {
        let error = match result {
            Ok(triggered) => {
                return Outcome::Delivered {
                    targets: triggered.targets,
                }
            }
            Err(error) => error,
        };
        let reason = error.to_string();
        match error.outcome() {
            bulletins_http::Outcome::NotDelivered(cause) => Outcome::NotDelivered {
                reason,
                refused: matches!(
                    cause,
                    bulletins_http::NotDelivered::Invalid | bulletins_http::NotDelivered::Refused
                ),
            },
            // May have been delivered (or a case a later client adds): never resent unasked.
            _ => Outcome::Uncertain { reason },
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    delivered: u64,
    delivered_earlier: u64,
    not_delivered: u64,
    refused: u64,
    uncertain: u64,
    uncertain_earlier: u64,
    skipped: u64,
}

#[derive(Debug)]
pub(super) struct Report {
    json: bool,
    bar: ProgressBar,
    /// Whether the bar is drawn (stderr is a terminal).
    shown: bool,
    out: BufWriter<Stdout>,
    counts: Counts,
    not_delivered: Vec<u64>,
    refused: Vec<u64>,
    uncertain: Vec<u64>,
    skipped: Vec<u64>,
    /// When sending began, for the rate in the summary.
    started: Instant,
}

impl Report {
    /// `total`: the non-blank lines of the input.
    pub(super) fn new(json: bool, total: u64) -> Self {
        // Not among JSON log lines: every line of stderr is then an object.
        let shown = std::io::stderr().is_terminal() && !log::is_json();
        let bar = if shown {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{wide_bar} {pos}/{len} lines  {rate}  eta {eta}",
            )
            .map(|style| {
                // Whole lines a second: indicatif's own `per_sec` shows four decimals.
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                )
            }) {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            json,
            bar,
            shown,
            out: BufWriter::new(std::io::stdout()),
            counts: Counts::default(),
            not_delivered: Vec::new(),
            refused: Vec::new(),
            uncertain: Vec::new(),
            skipped: Vec::new(),
            started: Instant::now(),
        }
    }

    /// One more line done, on the progress bar. Without a terminal the bar is hidden, and not
    /// even updated: its rate estimate costs more than the rest of reporting a line.
    fn advance(&self) {
        if self.shown {
            self.bar.inc(1);
        }
    }

    /// A message on stderr, above the progress bar.
    pub(super) fn note(&self, message: &str) {
        self.bar.suspend(|| log::say(Level::WARN, message));
    }

    /// Prints the value made by `value` with `--json`; without, does not even make it.
    fn json(&mut self, value: impl FnOnce() -> serde_json::Value) {
        if self.json {
            // stdout closed: nothing to tell; the journal and the summary still say it.
            let _ = writeln!(self.out, "{}", value());
        }
    }

    pub(super) fn outcome(&mut self, line: u64, outcome: &Outcome) {
        self.advance();
        match outcome {
            Outcome::Delivered { targets } => {
                self.counts.delivered += 1;
                self.json(|| {
                    serde_json::json!({"line": line, "outcome": "delivered", "targets": targets})
                });
            }
            Outcome::NotDelivered { reason, refused } => {
                if *refused {
                    self.counts.refused += 1;
                    self.refused.push(line);
                    self.note(&format!("line {line}: refused: {reason}"));
                } else {
                    self.counts.not_delivered += 1;
                    self.not_delivered.push(line);
                    self.note(&format!("line {line}: not delivered: {reason}"));
                }
                self.json(|| {
                    serde_json::json!({"line": line, "outcome": "not_delivered", "refused": refused, "error": reason})
                });
            }
            Outcome::Uncertain { reason } => {
                self.counts.uncertain += 1;
                self.uncertain.push(line);
                self.note(&format!("line {line}: may have been delivered: {reason}"));
                self.json(
                    || serde_json::json!({"line": line, "outcome": "uncertain", "error": reason}),
                );
            }
        }
    }

    /// A line an earlier run delivered: not sent again.
    pub(super) fn delivered_earlier(&mut self, line: u64) {
        self.advance();
        self.counts.delivered_earlier += 1;
        self.json(|| serde_json::json!({"line": line, "outcome": "delivered", "earlier": true}));
    }

    /// A line an earlier run may have delivered: not sent again.
    pub(super) fn uncertain_earlier(&mut self, line: u64) {
        self.advance();
        self.counts.uncertain_earlier += 1;
        self.uncertain.push(line);
        self.json(|| serde_json::json!({"line": line, "outcome": "uncertain", "earlier": true}));
    }

    /// An invalid line left out by `--skip-invalid` (its problems were printed when checked).
    pub(super) fn skipped(&mut self, line: u64, problems: &[String]) {
        self.advance();
        self.counts.skipped += 1;
        self.skipped.push(line);
        self.json(|| {
            serde_json::json!({"line": line, "outcome": "skipped", "error": problems.join("; ")})
        });
    }

    /// Prints the summary on stderr and says how the process exits.
    pub(super) fn finish(mut self, interrupted: bool) -> Exit {
        self.bar.finish_and_clear();
        let _ = self.out.flush();
        let c = &self.counts;
        let delivered = c.delivered + c.delivered_earlier;
        let uncertain = c.uncertain + c.uncertain_earlier;
        let mut summary = format!("{delivered} delivered");
        if c.delivered_earlier > 0 {
            summary.push_str(&format!(" ({} by an earlier run)", c.delivered_earlier));
        }
        if c.refused > 0 {
            summary.push_str(&format!(", {} refused", c.refused));
        }
        summary.push_str(&format!(", {} not delivered", c.not_delivered));
        summary.push_str(&format!(", {uncertain} may have been delivered"));
        if c.uncertain_earlier > 0 {
            summary.push_str(&format!(" ({} by an earlier run)", c.uncertain_earlier));
        }
        summary.push_str(&format!(", {} skipped", c.skipped));
        let requests = c.delivered + c.not_delivered + c.refused + c.uncertain;
        if requests > 0 {
            let seconds = self.started.elapsed().as_secs_f64();
            summary.push_str(&format!(
                "; {requests} request{} in {seconds:.2} s ({:.0}/s)",
                if requests == 1 { "" } else { "s" },
                requests as f64 / seconds.max(1e-9)
            ));
        }
        log::say(Level::INFO, summary);
        if !self.refused.is_empty() {
            log::say(
                Level::WARN,
                format_args!(
                    "refused: {}\n  fix those lines (or the dashboard); re-running sends them again and CleverTap will refuse them again",
                    ranges(&self.refused)
                ),
            );
        }
        if !self.not_delivered.is_empty() {
            log::say(
                Level::WARN,
                format_args!(
                    "not delivered, for a passing reason: {}\n  re-run the same command to send them",
                    ranges(&self.not_delivered)
                ),
            );
        }
        if !self.skipped.is_empty() {
            log::say(
                Level::WARN,
                format_args!("skipped as invalid: {}", ranges(&self.skipped)),
            );
        }
        if !self.uncertain.is_empty() {
            log::say(
                Level::WARN,
                format_args!(
                    "may have been delivered, so not resent: {}\n  check them; --resend-uncertain sends them again",
                    ranges(&self.uncertain)
                ),
            );
        }
        if interrupted {
            log::say(
                Level::WARN,
                "interrupted: the journal is flushed; re-run the same command to resume",
            );
            Exit::Interrupted
        } else if uncertain > 0 {
            Exit::Uncertain
        } else if c.not_delivered + c.refused + c.skipped > 0 {
            Exit::Partial
        } else {
            Exit::Success
        }
    }
}

/// `lines 3, 7-9, 12`, in ascending order.
fn ranges(lines: &[u64]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut iter = sorted.into_iter().peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while iter.peek() == Some(&(last + 1)) {
            last += 1;
            iter.next();
        }
        parts.push(if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        });
    }
    let s = if parts.len() == 1 && !parts[0].contains('-') {
        ""
    } else {
        "s"
    };
    format!("line{s} {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn lines_are_listed_as_ranges() {
        assert_eq!(ranges(&[9, 3, 7, 8, 12]), "lines 3, 7-9, 12");
        assert_eq!(ranges(&[4]), "line 4");
    }
}
