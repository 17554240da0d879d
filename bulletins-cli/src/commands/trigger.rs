//! `bulletins trigger EVENT -p KEY=VALUE … --name NAME --created-by WHO`: one bulletin.

use std::io::Write as _;

use bulletins_http::protocol::TRIGGER_PATH;
use bulletins_http::{Bulletin, DynamicEvent, Error, NotDelivered, Outcome, Payload};

use crate::cli::TriggerArgs;
use crate::exit::{Exit, Failure, Result};
use crate::{credentials, dashboard, payload};

pub(crate) fn run(args: TriggerArgs) -> Result<Exit> {
    let payload = build(&args)?;
    let dashboard_path = dashboard::path(args.dashboard.dashboard.as_deref());
    if dashboard_path.is_none() {
        dashboard::note_unchecked();
    }
    if let Some(path) = dashboard_path {
        let dashboard = dashboard::load(&path).map_err(|e| Failure::new(Exit::Invalid, e))?;
        if let Err(mismatch) = payload.check_against(&dashboard) {
            return Err(
                Failure::new(Exit::Invalid, mismatch.to_string()).hint(format!(
                    "nothing was sent; fix the bulletin or the dashboard file {}",
                    path.display()
                )),
            );
        }
    }
    if args.dry_run {
        return dry_run(&args, &payload);
    }
    let client = credentials::client_builder(&args.credentials)?
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let result = super::runtime()?.block_on(client.send(&payload));
    let mut out = std::io::stdout().lock();
    match result {
        Ok(triggered) => {
            if args.json {
                let line =
                    serde_json::json!({"outcome": "delivered", "targets": triggered.targets});
                let _ = writeln!(out, "{line}");
            } else {
                let s = if triggered.targets == 1 { "" } else { "s" };
                let _ = writeln!(out, "delivered to {} target{s}", triggered.targets);
            }
            Ok(Exit::Success)
        }
        Err(error) => {
            let (exit, outcome, hint) = classify(&error);
            if args.json {
                let line = serde_json::json!({"outcome": outcome, "error": error.to_string()});
                let _ = writeln!(out, "{line}");
            }
            Err(Failure::new(exit, error.to_string()).hint(hint))
        }
    }
}

/// The exit code, the outcome's name and what to do, for a failed trigger, by the client's one
/// classification ([`Error::outcome`]).
fn classify(error: &Error) -> (Exit, &'static str, String) {
    let outcome = error.outcome();
    match outcome {
        Outcome::NotDelivered(cause) => {
            let exit = match cause {
                NotDelivered::Invalid => Exit::Invalid,
                _ => Exit::Refused,
            };
            let hint = format!("it certainly was not delivered: {}", what_to_change(cause));
            (exit, outcome.as_str(), hint)
        }
        // May have been delivered (or a case a later client adds): checked before resending.
        // The error already says so; the hint says how to check.
        _ => (
            Exit::Uncertain,
            Outcome::MayHaveBeenDelivered.as_str(),
            "look for it on the CleverTap dashboard before running this again".to_owned(),
        ),
    }
}

/// What to do, in the words of the command line: the arguments, the flags, the dashboard file.
fn what_to_change(cause: NotDelivered) -> &'static str {
    match cause {
        NotDelivered::Invalid | NotDelivered::Refused => {
            "fix the EVENT, -p KEY=VALUE, --name or --when arguments (or the event on the \
             CleverTap dashboard); running the same command again is refused again"
        }
        NotDelivered::Credentials => {
            "fix --account-id, --passcode-file ($CLEVERTAP_PASSCODE) or --region, then run it again"
        }
        other => other.hint(),
    }
}

/// The bulletin the arguments describe, as the payload to send.
fn build(args: &TriggerArgs) -> Result<Payload> {
    let invalid = |e: bulletins_http::BuildError| {
        Failure::new(Exit::Invalid, e.to_string()).hint("nothing was sent")
    };
    let mut event = DynamicEvent::new(args.event.as_str()).map_err(invalid)?;
    for property in &args.properties {
        let (key, value) = property.split_once('=').ok_or_else(|| {
            Failure::usage(format!("-p {property:?}: expected KEY=VALUE"))
                .hint("for example -p order_id=12345")
        })?;
        event.insert(key, value).map_err(invalid)?;
    }
    let when = payload::parse_when(&args.when).ok_or_else(|| {
        Failure::usage(format!(
            "--when {:?}: expected `now` or a positive UNIX timestamp in seconds",
            args.when
        ))
    })?;
    Bulletin::new(event, args.name.as_str(), args.created_by.as_str())
        .when(when)
        .to_payload()
        .map_err(invalid)
}

/// Prints the body and a curl command that sends it; the passcode stays `$CLEVERTAP_PASSCODE`.
fn dry_run(args: &TriggerArgs, payload: &Payload) -> Result<Exit> {
    let body = String::from_utf8_lossy(payload.as_bytes());
    let target = credentials::target(&args.credentials)?;
    let url = format!("{}{TRIGGER_PATH}", target.base_url());
    let account = match credentials::account_id(&args.credentials) {
        Some(id) => shell_quote(&format!("X-CleverTap-Account-Id: {id}")),
        None => "\"X-CleverTap-Account-Id: $CLEVERTAP_ACCOUNT_ID\"".to_owned(),
    };
    let curl = format!(
        "curl -sS -X POST {} \\\n  -H {account} \\\n  -H \"X-CleverTap-Passcode: $CLEVERTAP_PASSCODE\" \\\n  -H 'Content-Type: application/json' \\\n  --data-binary {}",
        shell_quote(&url),
        shell_quote(&body)
    );
    let mut out = std::io::stdout().lock();
    if args.json {
        let line = serde_json::json!({"body": serde_json::from_str::<serde_json::Value>(&body).ok(), "curl": curl});
        let _ = writeln!(out, "{line}");
    } else {
        let _ = writeln!(out, "{body}");
        let _ = writeln!(out, "{curl}");
    }
    Ok(Exit::Success)
}

/// Single-quotes for POSIX shells: nothing inside is expanded.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
