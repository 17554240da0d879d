//! `bulletins dashboard init`: the starter, a file inferred from payloads, and the refusals.

use crate::{bulletins, expect_code, run};

fn payload(event: &str, properties: &str) -> String {
    format!(
        r#"{{"business_event":"{event}","name":"n","properties":{{{properties}}},"c-by":"[email protected]","when":"now"}}"#
    )
}

#[test]
fn the_starter_is_the_documented_event_and_an_existing_file_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(bulletins()
        .current_dir(dir.path())
        .args(["dashboard", "init"]));
    expect_code(&out, 0);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "wrote bulletins.json with CleverTap's documented example event, \"Program Released\"\n\
         replace it with your dashboard's events, or infer them from payloads you sent: bulletins dashboard init --from sent.jsonl\n"
    );
    let path = dir.path().join("bulletins.json");
    let written = std::fs::read_to_string(&path).expect("written");
    let dashboard: bulletins_dashboard::Dashboard = written.parse().expect("a valid file");
    let event = dashboard.event("Program Released").expect("the event");
    assert_eq!(
        event.property_keys(),
        ["program_id", "language", "prev_program_id"]
    );
    assert_eq!(event.required_keys(), ["program_id", "language"]);

    std::fs::write(&path, "mine").expect("write");
    let out = run(bulletins()
        .current_dir(dir.path())
        .args(["dashboard", "init"]));
    expect_code(&out, 2);
    assert_eq!(
        out.stderr,
        "error: bulletins.json already exists\n  hint: --force replaces it; --out PATH writes elsewhere\n"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "mine");
    let out = run(bulletins()
        .current_dir(dir.path())
        .args(["dashboard", "init", "--force"]));
    expect_code(&out, 0);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), written);
}

#[test]
fn from_payloads_every_key_is_listed_and_keys_on_every_line_are_a_guess_at_required() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sent = dir.path().join("sent.jsonl");
    let lines = [
        payload("Program Released", r#""program_id":"1","language":"Hindi""#),
        payload("order_placed", r#""order_id":"7""#),
        String::new(),
        payload(
            "Program Released",
            r#""program_id":"2","language":"Tamil","prev_program_id":"1""#,
        ),
    ];
    std::fs::write(&sent, lines.join("\n")).expect("write");
    let out = run(bulletins().current_dir(dir.path()).args([
        "dashboard",
        "init",
        "--from",
        "sent.jsonl",
        "--out",
        "-",
    ]));
    expect_code(&out, 0);
    let dashboard: bulletins_dashboard::Dashboard = out.stdout.parse().expect("a valid file");
    let program = dashboard.event("Program Released").expect("seen");
    assert_eq!(
        program.property_keys(),
        ["program_id", "language", "prev_program_id"]
    );
    assert_eq!(program.required_keys(), ["program_id", "language"]);
    assert_eq!(
        dashboard
            .event("order_placed")
            .expect("seen")
            .required_keys(),
        ["order_id"]
    );
    assert_eq!(
        out.stderr,
        "printed the dashboard file: 2 business events from 3 payloads\n  \
         \"Program Released\" (2 payloads); required: program_id, language; optional: prev_program_id (1 of 2)\n  \
         \"order_placed\" (1 payloads); required: order_id\n\
         note: `required` is a guess: the properties every payload of an event carried. Confirm each on the CleverTap dashboard, then check the file with `bulletins dashboard lint`.\n"
    );
    assert!(!dir.path().join("bulletins.json").exists());
}

#[test]
fn an_invalid_line_or_no_line_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sent = dir.path().join("sent.jsonl");
    let good = payload("e", r#""k":"v""#);
    std::fs::write(&sent, format!("{good}\n{{\"business_event\":\"e\"}}\n")).expect("write");
    let out = run(bulletins().current_dir(dir.path()).args([
        "dashboard",
        "init",
        "--from",
        "sent.jsonl",
    ]));
    expect_code(&out, 3);
    assert_eq!(
        out.stderr,
        "sent.jsonl:2: missing \"name\", \"properties\", \"c-by\" and \"when\"\nerror: 1 invalid line in sent.jsonl; nothing written\n"
    );
    assert!(!dir.path().join("bulletins.json").exists());

    std::fs::write(&sent, "\n\n").expect("write");
    let out = run(bulletins().current_dir(dir.path()).args([
        "dashboard",
        "init",
        "--from",
        "sent.jsonl",
    ]));
    expect_code(&out, 3);
    assert!(
        out.stderr
            .starts_with("error: sent.jsonl has no payload lines; nothing to infer\n"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("bulletins.json").exists());
    let out = run(bulletins().current_dir(dir.path()).args([
        "dashboard",
        "init",
        "--from",
        "missing.jsonl",
    ]));
    expect_code(&out, 2);
}
