//! `bulletins validate FILE…`: check payload files and dashboard files offline.

use std::path::Path;

use crate::cli::ValidateArgs;
use crate::dashboard::{self, Dashboard};
use crate::exit::{Exit, Failure, Result};
use crate::input::Input;
use crate::payload;

pub(crate) fn run(args: ValidateArgs) -> Result<Exit> {
    let mut problems: u64 = 0;
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
    let mut lines_checked: u64 = 0;
    for file in &args.files {
        if is_dashboard_file(file) {
            if let Err(problem) = dashboard::load(file) {
                eprintln!("{problem}");
                problems += 1;
            }
            continue;
        }
        let (checked, found) = check_payloads(file, dashboard.as_ref())?;
        lines_checked += checked;
        problems += found;
    }
    let files = args.files.len();
    let s = if files == 1 { "" } else { "s" };
    if problems == 0 {
        eprintln!("{files} file{s} valid ({lines_checked} payload lines)");
        Ok(Exit::Success)
    } else {
        Err(Failure::new(
            Exit::Invalid,
            format!(
                "{problems} problem{} in {files} file{s}",
                if problems == 1 { "" } else { "s" }
            ),
        ))
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
