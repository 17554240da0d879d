//! The three renderers of one list of findings: text for people, JSON lines for programs,
//! GitHub Actions workflow commands for pull requests.

use std::io::{self, IsTerminal as _, Write};

use bulletins_dashboard::{Finding, Level};
use serde::Serialize;

use super::FileFindings;

/// Whether text output is coloured: on a terminal, or anywhere with `CLICOLOR_FORCE` set (to
/// anything but `0`), and never with `NO_COLOR` set.
pub(super) fn colour() -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if std::env::var_os("NO_COLOR").is_some() {
        return false;
    }
    let forced = set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE") != Some("0".into());
    forced || io::stdout().is_terminal()
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn level_colour(level: Level) -> &'static str {
    match level {
        Level::Error => "\x1b[1;31m",
        Level::Warning => "\x1b[1;33m",
        Level::Info => "\x1b[1;36m",
    }
}

/// Grouped by level, errors first; within a level, by file and position:
///
/// ```text
/// error (1)
///   bulletins.json:3:22: business event "order_placed" was removed: ... [event-removed]
/// ```
pub(super) fn text(out: &mut impl Write, files: &[FileFindings], colour: bool) -> io::Result<()> {
    let paint = |code: &'static str| if colour { code } else { "" };
    for level in [Level::Error, Level::Warning, Level::Info] {
        let group: Vec<(&str, &Finding)> = files
            .iter()
            .flat_map(|file| file.findings.iter().map(|f| (file.name.as_str(), f)))
            .filter(|(_, f)| f.level() == level)
            .collect();
        if group.is_empty() {
            continue;
        }
        let (on, off) = (paint(level_colour(level)), paint(RESET));
        writeln!(out, "{on}{level}{off} ({})", group.len())?;
        for (name, finding) in group {
            let position = finding.position();
            writeln!(
                out,
                "  {}{name}:{}:{}{}: {} {}[{}]{}",
                paint(BOLD),
                position.line,
                position.column,
                off,
                finding.message(),
                paint(DIM),
                finding.rule(),
                off,
            )?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    level: &'static str,
    rule: &'static str,
    event: Option<&'a str>,
    property: Option<&'a str>,
    message: &'a str,
}

/// One JSON object per finding, one per line, in file order.
pub(super) fn json(out: &mut impl Write, files: &[FileFindings]) -> io::Result<()> {
    for file in files {
        for finding in &file.findings {
            let position = finding.position();
            let object = JsonFinding {
                file: &file.name,
                line: position.line,
                column: position.column,
                level: finding.level().as_str(),
                rule: finding.rule().id(),
                event: finding.event_name(),
                property: finding.property_key(),
                message: finding.message(),
            };
            serde_json::to_writer(&mut *out, &object)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// `::error file=F,line=L,col=C,title=rule-id::message`; info is a `notice`. Paths are the
/// repository's when known (GitHub resolves them from the repository's root).
pub(super) fn github(out: &mut impl Write, files: &[FileFindings]) -> io::Result<()> {
    for file in files {
        let path = file.repo_path.as_deref().unwrap_or(&file.name);
        for finding in &file.findings {
            let command = match finding.level() {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Info => "notice",
            };
            let position = finding.position();
            writeln!(
                out,
                "::{command} file={},line={},col={},title={}::{}",
                escape_property(path),
                position.line,
                position.column,
                finding.rule(),
                escape_data(finding.message()),
            )?;
        }
    }
    Ok(())
}

/// A workflow command's message: `%`, CR and LF escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<FileFindings> {
        let old = bulletins_dashboard::DashboardFile::parse(
            br#"{"business_events": [{"name": "a"}, {"name": "b", "properties": ["k"]}]}"#,
            "old",
        )
        .expect("valid");
        let new = bulletins_dashboard::DashboardFile::parse(
            b"{\"business_events\": [\n{\"name\": \"b\", \"properties\": [\"k\", \"50%,x:y\"]}]}",
            "new",
        )
        .expect("valid");
        vec![FileFindings {
            name: "dir/new.json".to_owned(),
            repo_path: Some("sub,dir:/new.json".to_owned()),
            findings: bulletins_dashboard::breaking(&old, &new),
        }]
    }

    fn render(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).expect("written");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn text_is_grouped_by_level_and_coloured_only_when_asked() {
        let files = files();
        let plain = render(|out| text(out, &files, false));
        assert_eq!(
            plain,
            "error (1)\n  dir/new.json:1:21: business event \"a\" was removed: every service raising it breaks (CleverTap answers \"Business Event Not Found\"; the derive refuses it) [event-removed]\n\
             info (1)\n  dir/new.json:2:35: business event \"b\": new optional property \"50%,x:y\": no service breaks; services may start sending it [new-optional-property]\n"
        );
        let coloured = render(|out| text(out, &files, true));
        assert!(
            coloured.starts_with("\x1b[1;31merror\x1b[0m (1)\n  \x1b[1mdir/new.json:1:21\x1b[0m: "),
            "{coloured:?}"
        );
        assert!(
            coloured.contains("\x1b[1;36minfo\x1b[0m (1)"),
            "{coloured:?}"
        );
        assert!(
            coloured.contains(" \x1b[2m[event-removed]\x1b[0m\n"),
            "{coloured:?}"
        );
    }

    #[test]
    fn github_commands_escape_what_would_end_them() {
        let files = files();
        let shown = render(|out| github(out, &files));
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("::error file=sub%2Cdir%3A/new.json,line=1,col=21,title=event-removed::business event \"a\" was removed"),
            "{}",
            lines[0]
        );
        // In a message, only `%` (and line ends) are escaped.
        assert!(lines[1].starts_with("::notice file=sub%2Cdir%3A/new.json,line=2,col=35,title=new-optional-property::business event \"b\": new optional property \"50%25,x:y\""), "{}", lines[1]);
        assert_eq!(escape_data("a%\r\nb"), "a%25%0D%0Ab");
    }

    #[test]
    fn json_is_one_object_per_line() {
        let files = files();
        let shown = render(|out| json(out, &files));
        let objects: Vec<serde_json::Value> = shown
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0]["rule"], "event-removed");
        assert_eq!(objects[0]["level"], "error");
        assert_eq!(objects[0]["file"], "dir/new.json");
        assert_eq!(objects[0]["property"], serde_json::Value::Null);
        assert_eq!(objects[1]["property"], "50%,x:y");
        assert_eq!(objects[1]["line"], 2);
        assert_eq!(objects[1]["column"], 35);
    }
}
