//! `bulletins outbox ...`: the outbox's operator commands, run by the built binary against a
//! SQLite file and the emulator.

use crate::support::{against, bulletins, expect_code, jsonl, run, Emu, Run, ACCOUNT};

fn status(database: &str) -> serde_json::Value {
    let out = run(bulletins().args(["outbox", "status", "--json", "--database", database]));
    expect_code(&out, 0);
    serde_json::from_str(out.stdout.trim()).expect("status prints JSON")
}

/// `bulletins outbox enqueue` of the file at `path` into `database`, for the test account.
fn enqueue(database: &str, path: &std::path::Path) -> Run {
    run(bulletins()
        .args([
            "outbox",
            "enqueue",
            "--database",
            database,
            "--account",
            ACCOUNT,
        ])
        .arg(path))
}

#[test]
fn enqueue_then_relay_until_empty_delivers_every_line_once() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "backfill.jsonl", 5);
    let database = format!("sqlite:{}", dir.path().join("outbox.db").display());
    let out = run(bulletins().args(["outbox", "migrate", "--database", &database]));
    expect_code(&out, 0);

    let out = enqueue(&database, &path);
    expect_code(&out, 0);
    assert!(
        out.stdout.contains("enqueued 5 bulletins"),
        "{}",
        out.stdout
    );
    assert_eq!(status(&database)["counts"]["pending"], 5);
    assert_eq!(emu.received(), 0, "enqueueing sends nothing");

    let out =
        run(against(&emu).args(["outbox", "relay", "--until-empty", "--database", &database]));
    expect_code(&out, 0);
    assert!(out.stdout.contains("delivered 5,"), "{}", out.stdout);
    let seen = emu.by_program_id();
    assert!((1..=5).all(|id| seen.get(&id) == Some(&(1, 1))), "{seen:?}");
    let status = status(&database);
    assert_eq!(status["counts"]["delivered"], 5, "{status}");
    assert_eq!(status["counts"]["pending"], 0, "{status}");

    // Again: nothing left to send.
    let out =
        run(against(&emu).args(["outbox", "relay", "--until-empty", "--database", &database]));
    expect_code(&out, 0);
    assert_eq!(emu.received(), 5);
}

#[test]
fn an_invalid_line_enqueues_nothing_and_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "backfill.jsonl", 2);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"business_event\":\"Program Released\"}\n");
    std::fs::write(&path, text).expect("write");
    let database = format!("sqlite:{}", dir.path().join("outbox.db").display());
    let out = enqueue(&database, &path);
    expect_code(&out, 3);
    assert!(out.stderr.contains("backfill.jsonl:3:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("nothing was enqueued"),
        "{}",
        out.stderr
    );
}

/// A row CleverTap refused leaves `relay --until-empty` with exit 6 (documented in the help);
/// `resolve` on a row that is not uncertain is a usage error (2); `resolve --resend` sends the
/// refused row again.
#[test]
fn until_empty_with_a_refused_row_exits_6_and_resolve_misuse_exits_2() {
    let emu = Emu::start();
    emu.inject(bulletins_emulator::Fault::status(400), 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "backfill.jsonl", 1);
    let database = format!("sqlite:{}", dir.path().join("outbox.db").display());
    expect_code(
        &run(bulletins().args(["outbox", "migrate", "--database", &database])),
        0,
    );
    expect_code(&enqueue(&database, &path), 0);

    let relay =
        || run(against(&emu).args(["outbox", "relay", "--until-empty", "--database", &database]));
    let out = relay();
    expect_code(&out, 6);
    assert!(out.stdout.contains("refused 1,"), "{}", out.stdout);
    let out = run(bulletins().args([
        "outbox",
        "resolve",
        "1",
        "--delivered",
        "--database",
        &database,
    ]));
    expect_code(&out, 2);
    assert!(
        out.stderr.contains("is `refused`, not uncertain"),
        "{}",
        out.stderr
    );

    let out = run(bulletins().args([
        "outbox",
        "resolve",
        "1",
        "--resend",
        "--database",
        &database,
    ]));
    expect_code(&out, 0);
    expect_code(&relay(), 0);
    assert_eq!(status(&database)["counts"]["delivered"], 1);

    let help = run(bulletins().args(["outbox", "--help"]));
    assert!(
        help.stdout.contains("  6    relay --until-empty"),
        "{}",
        help.stdout
    );
}

#[test]
fn help_lists_the_outbox_commands() {
    let out = run(bulletins().args(["outbox", "--help"]));
    expect_code(&out, 0);
    for command in [
        "migrate",
        "status",
        "relay",
        "uncertain",
        "resolve",
        "enqueue",
    ] {
        assert!(out.stdout.contains(command), "{}", out.stdout);
    }
    let out = run(bulletins().arg("--help"));
    assert!(out.stdout.contains("outbox"), "{}", out.stdout);
}

#[cfg(feature = "postgres")]
#[test]
fn enqueue_and_status_against_postgres() {
    const VAR: &str = "BULLETINS_TEST_DATABASE_URL";
    let Some(database) = std::env::var(VAR).ok().filter(|url| !url.is_empty()) else {
        let reason = format!(
            "skipping enqueue_and_status_against_postgres: {VAR} is unset (`source .ci/services.sh` starts a PostgreSQL and sets it)"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        eprintln!("{reason}");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "backfill.jsonl", 2);
    // A table of its own, so runs sharing the database do not count each other's rows.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let table = format!("cli_outbox_{}_{nanos}", std::process::id());
    let out = run(bulletins()
        .args(["outbox", "enqueue", "--account", ACCOUNT, "--table", &table])
        .env("DATABASE_URL", &database)
        .arg(&path));
    expect_code(&out, 0);
    let out = run(bulletins()
        .args(["outbox", "status", "--json", "--table", &table])
        .env("DATABASE_URL", &database));
    expect_code(&out, 0);
    let status: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("JSON");
    assert_eq!(status["counts"]["pending"], 2, "{status}");
}
