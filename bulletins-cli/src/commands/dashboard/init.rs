//! `bulletins dashboard init [--from FILE.jsonl] [--out PATH]`.

use std::io::Write as _;
use std::path::Path;

use crate::cli::dashboard::InitArgs;
use crate::exit::{Exit, Failure, Result};
use crate::input::Input;
use crate::payload;
use bulletins_dashboard::{Dashboard, Inference};

pub(crate) fn run(args: &InitArgs) -> Result<Exit> {
    let to_stdout = args.out == Path::new("-");
    let out = args.out.display().to_string();
    if !to_stdout && !args.force && args.out.exists() {
        return Err(Failure::usage(format!("{out} already exists"))
            .hint("--force replaces it; --out PATH writes elsewhere"));
    }
    let (dashboard, seen) = match &args.from {
        Some(from) => {
            let seen = infer(from)?;
            (seen.dashboard(), Some(seen))
        }
        None => (bulletins_dashboard::starter(), None),
    };
    write(&args.out, to_stdout, &dashboard)?;
    let written = if to_stdout {
        "printed the dashboard file".to_owned()
    } else {
        format!("wrote {out}")
    };
    match seen {
        None => eprintln!(
            "{written} with CleverTap's documented example event, \"Program Released\"\n\
             replace it with your dashboard's events, or infer them from payloads you sent: \
             bulletins dashboard init --from sent.jsonl"
        ),
        Some(seen) => describe(&written, &seen),
    }
    Ok(Exit::Success)
}

/// Reads every payload line; nothing is inferred unless every line is valid.
fn infer(path: &Path) -> Result<Inference> {
    let input = Input::open(path)?;
    let mut lines = input.lines()?;
    let mut seen = Inference::new();
    let mut problems = 0usize;
    while let Some(line) = lines
        .next_line()
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.name)))?
    {
        if line.is_blank() {
            continue;
        }
        match payload::parse_checked(line.bytes, None) {
            Ok(payload) => {
                let keys = payload.property_keys();
                seen.observe(payload.event(), keys.iter().map(String::as_str));
            }
            Err(found) => {
                for problem in &found {
                    eprintln!("{}:{}: {problem}", input.name, line.number);
                }
                problems += 1;
            }
        }
    }
    if problems > 0 {
        let s = if problems == 1 { "" } else { "s" };
        return Err(Failure::new(
            Exit::Invalid,
            format!(
                "{problems} invalid line{s} in {}; nothing written",
                input.name
            ),
        ));
    }
    if seen.lines() == 0 {
        return Err(Failure::new(
            Exit::Invalid,
            format!("{} has no payload lines; nothing to infer", input.name),
        )
        .hint("without --from, init writes CleverTap's documented example"));
    }
    Ok(seen)
}

fn write(path: &Path, to_stdout: bool, dashboard: &Dashboard) -> Result<()> {
    let text = dashboard.to_json_pretty();
    let written = if to_stdout {
        std::io::stdout().lock().write_all(text.as_bytes())
    } else {
        std::fs::write(path, text)
    };
    written.map_err(|e| {
        Failure::new(
            Exit::Failed,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// What was inferred, on stderr, with the guess said to be one.
fn describe(written: &str, seen: &Inference) {
    let events = seen.events().len();
    let s = if events == 1 { "" } else { "s" };
    eprintln!(
        "{written}: {events} business event{s} from {} payloads",
        seen.lines()
    );
    for event in seen.events() {
        let (required, optional): (Vec<_>, Vec<_>) =
            event.keys().partition(|(key, _)| event.always_has(key));
        let mut line = format!("  {:?} ({} payloads)", event.name(), event.lines());
        if !required.is_empty() {
            let keys: Vec<&str> = required.iter().map(|(key, _)| *key).collect();
            line.push_str(&format!("; required: {}", keys.join(", ")));
        }
        if !optional.is_empty() {
            let keys: Vec<String> = optional
                .iter()
                .map(|(key, count)| format!("{key} ({count} of {})", event.lines()))
                .collect();
            line.push_str(&format!("; optional: {}", keys.join(", ")));
        }
        eprintln!("{line}");
    }
    eprintln!(
        "note: `required` is a guess: the properties every payload of an event carried. \
         Confirm each on the CleverTap dashboard, then check the file with \
         `bulletins dashboard lint`."
    );
}
