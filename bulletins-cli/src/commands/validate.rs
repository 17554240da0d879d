//! `bulletins validate FILE…`: check payload files and dashboard files offline.

use std::path::Path;

use crate::cli::ValidateArgs;
use crate::dashboard::{self, Dashboard};
use crate::exit::{Exit, Failure, Result};
use crate::input::Input;
use crate::payload;

pub(crate) fn run(args: ValidateArgs) -> Result<Exit> {
    let dashboard = match dashboard::path(args.dashboard.dashboard.as_deref()) {
        Some(path) => match dashboard::load(&path) {
            Ok(dashboard) => Some(dashboard),
            Err(problem) => {
                eprintln!("error: {problem}");
                return Err(Failure::new(
                    Exit::Invalid,
                    format!("the dashboard file {} is invalid", path.display()),
                ));
            }
        },
        None => None,
    };
    if dashboard.is_none() && args.files.iter().any(|file| !is_dashboard_file(file)) {
        dashboard::note_unchecked();
    }
    let mut tally = Tally::default();
    for file in &args.files {
        let problems = if is_dashboard_file(file) {
            match dashboard::load(file) {
                Ok(loaded) => {
                    let n = loaded.events().len();
                    eprintln!(
                        "{}: dashboard: {n} event{}",
                        file.display(),
                        plural(n as u64)
                    );
                    0
                }
                Err(problem) => {
                    eprintln!("{problem}");
                    1
                }
            }
        } else {
            let (checked, found) = check_payloads(file, dashboard.as_ref())?;
            tally.lines += checked;
            tally.payload_files += 1;
            found
        };
        tally.problems += problems;
        tally.files_with_problems += u64::from(problems > 0);
    }
    tally.finish(args.files.len() as u64)
}

#[derive(Debug, Default)]
struct Tally {
    problems: u64,
    files_with_problems: u64,
    payload_files: u64,
    lines: u64,
}

impl Tally {
    fn finish(self, files: u64) -> Result<Exit> {
        if self.problems == 0 {
            let mut summary = format!("{files} file{} valid", plural(files));
            if self.payload_files > 0 {
                summary.push_str(&format!(
                    " ({} payload line{})",
                    self.lines,
                    plural(self.lines)
                ));
            }
            eprintln!("{summary}");
            return Ok(Exit::Success);
        }
        let in_files = if files == 1 {
            "in 1 file".to_owned()
        } else {
            format!("in {} of {files} files", self.files_with_problems)
        };
        Err(Failure::new(
            Exit::Invalid,
            format!(
                "{} problem{} {in_files}",
                self.problems,
                plural(self.problems)
            ),
        ))
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `*.json` is a dashboard file; anything else holds one payload per line.
fn is_dashboard_file(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "json")
}

/// Checks every line; prints each problem as `FILE:LINE: problem`. Returns the lines checked
/// and the problems found.
fn check_payloads(path: &Path, dashboard: Option<&Dashboard>) -> Result<(u64, u64)> {
    let input = Input::open(path)?;
    let mut lines = input.lines()?;
    let (mut checked, mut problems) = (0, 0);
    while let Some(line) = lines
        .next_line()
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.name)))?
    {
        if line.is_blank() {
            continue;
        }
        checked += 1;
        if let Err(found) = payload::check_line(line.bytes, dashboard) {
            for problem in &found {
                eprintln!("{}:{}: {problem}", input.name, line.number);
            }
            problems += found.len() as u64;
        }
    }
    Ok((checked, problems))
}
