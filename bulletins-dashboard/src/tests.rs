//! The file format's rules, each at its boundary, and the promise that account values never
//! reach a message.

use crate::{AccountProblem, Dashboard, ErrorKind, EventDefinition, KeyProblem};

fn refused(text: &str) -> crate::Error {
    match Dashboard::from_slice(text.as_bytes(), "bulletins.json") {
        Ok(dashboard) => panic!("accepted: {dashboard:?}"),
        Err(e) => e,
    }
}

fn event_file(events: &str) -> String {
    format!("{{\n  \"business_events\": [\n{events}\n  ]\n}}")
}

#[test]
fn the_emulator_format_parses_with_and_without_accounts() {
    let text = r#"{
      "accounts": [{ "account_id": "ABCD-RSTU-1234", "passcode": "XXXXXX" }],
      "concurrency_limit": 3,
      "business_events": [
        { "name": "order_placed",
          "properties": ["order_id", "product_category", "coupon_code"],
          "required": ["order_id", "product_category"],
          "targets": 2 }
      ]
    }"#;
    let d: Dashboard = text.parse().unwrap();
    assert_eq!(d.concurrency_limit(), Some(3));
    let accounts = d.accounts().unwrap();
    assert_eq!(accounts[0].account_id(), "ABCD-RSTU-1234");
    assert_eq!(accounts[0].passcode(), "XXXXXX");
    let event = d.event("order_placed").unwrap();
    assert_eq!(event.target_count(), Some(2));
    assert!(event.is_required("product_category"));
    assert!(!event.is_required("coupon_code"));

    let d: Dashboard = r#"{"business_events":[{"name":"e"}]}"#.parse().unwrap();
    assert_eq!(d.accounts(), None);
    assert_eq!(d.concurrency_limit(), None);
    assert_eq!(d.event("e").unwrap().target_count(), None);
    let empty: Dashboard = "{}".parse().unwrap();
    assert!(empty.events().is_empty());
}

#[test]
fn invalid_json_is_refused_with_line_and_column() {
    let e = refused("{\n  \"business_events\": [\n    { \"name\": \"a\" },,\n  ]\n}");
    assert_eq!((e.line(), e.column()), (Some(3), Some(21)));
    assert!(matches!(e.kind(), ErrorKind::Json(_)));
    assert!(e.to_string().starts_with("bulletins.json:3:21: "), "{e}");
    assert!(!e.to_string().contains(" at line "), "{e}");
}

#[test]
fn unknown_fields_are_refused_at_every_level() {
    let e = refused("{\n  \"business_event\": []\n}");
    assert_eq!(e.line(), Some(2));
    assert!(
        e.problem().contains("unknown field `business_event`"),
        "{e}"
    );
    let e = refused(&event_file(r#"    { "name": "a", "propertys": [] }"#));
    assert_eq!(e.line(), Some(3));
    assert!(e.problem().contains("unknown field `propertys`"), "{e}");
}

#[test]
fn two_events_with_one_name_are_refused_on_the_second() {
    let e = refused(&event_file(
        "    { \"name\": \"order_placed\" },\n    { \"name\": \"order_placed\" }",
    ));
    assert_eq!((e.line(), e.column()), (Some(4), Some(15)));
    assert_eq!(
        e.problem(),
        "business event \"order_placed\" is defined twice (first on line 3); keep one definition"
    );
}

#[test]
fn a_required_key_must_be_a_property() {
    let e = refused(&event_file(
        "    { \"name\": \"e\", \"properties\": [\"a\"],\n      \"required\": [\"a\", \"b\"] }",
    ));
    assert_eq!((e.line(), e.column()), (Some(4), Some(25)));
    assert!(matches!(e.kind(), ErrorKind::RequiredNotAProperty { key, .. } if key == "b"));
}

#[test]
fn keys_listed_twice_are_refused() {
    let e = refused(&event_file(
        r#"    { "name": "e", "properties": ["a", "a"] }"#,
    ));
    assert!(matches!(e.kind(), ErrorKind::DuplicateProperty { key, .. } if key == "a"));
    assert_eq!(e.column(), Some(40));
    let e = refused(&event_file(
        r#"    { "name": "e", "properties": ["a"], "required": ["a", "a"] }"#,
    ));
    assert!(matches!(e.kind(), ErrorKind::DuplicateRequired { key, .. } if key == "a"));
}

#[test]
fn names_and_keys_follow_the_key_rules_at_the_boundary() {
    let ok = |name: &str, key: &str| {
        let text = format!(r#"{{"business_events":[{{"name":{name:?},"properties":[{key:?}]}}]}}"#);
        Dashboard::from_slice(text.as_bytes(), "f").map(|_| ())
    };
    assert!(ok(&"n".repeat(120), &"語".repeat(120)).is_ok());
    let e = ok(&"n".repeat(121), "k").unwrap_err();
    assert!(matches!(
        e.kind(),
        ErrorKind::EventName {
            problem: KeyProblem::TooLong { chars: 121 },
            ..
        }
    ));
    let e = ok("n", &"語".repeat(121)).unwrap_err();
    assert!(matches!(
        e.kind(),
        ErrorKind::PropertyKey {
            problem: KeyProblem::TooLong { chars: 121 },
            ..
        }
    ));
    // A long key is cut in the message.
    assert!(e.problem().contains('…'), "{e}");
    for (bad, problem) in [
        ("", KeyProblem::Empty),
        (" Program Released", KeyProblem::SurroundingWhitespace),
        ("a\tb", KeyProblem::ControlCharacter),
    ] {
        let e = ok(bad, "k").unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::EventName { problem: p, .. } if *p == problem),
            "{e}"
        );
        let e = ok("n", bad).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::PropertyKey { problem: p, .. } if *p == problem),
            "{e}"
        );
    }
}

#[test]
fn account_values_never_reach_a_message() {
    const SENTINEL: &str = "987654321";
    let files = [
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":{SENTINEL}}}]}}"#),
        format!(r#"{{"accounts":[{{"account_id":{SENTINEL},"passcode":"p"}}]}}"#),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":[{SENTINEL}]}}]}}"#),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":{{"x":"{SENTINEL}"}}}}]}}"#),
        format!(
            r#"{{"accounts":[{{"account_id":"A","passcode":"{SENTINEL}","extra":"{SENTINEL}"}}]}}"#
        ),
        format!(
            r#"{{"accounts":[{{"account_id":"{SENTINEL}","passcode":"p"}},{{"account_id":"{SENTINEL}","passcode":"q"}}]}}"#
        ),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":"{SENTINEL}"}}, "{SENTINEL}"]}}"#),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":{SENTINEL}.5e3}}]}}"#),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":{SENTINEL}e999}}]}}"#),
        format!("{{\"accounts\":[{{\"account_id\":\"A\",\"passcode\":\"{SENTINEL}\u{1}\"}}]}}"),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":"{SENTINEL}\q"}}]}}"#),
        format!(r#"{{"accounts":"{SENTINEL}"}}"#),
        format!(r#"{{"accounts":{SENTINEL}}}"#),
        format!(r#"{{"accounts":[{{"account_id":"A","passcode":{SENTINEL}x}}]}}"#),
        format!(
            r#"{{"accounts":[{{"account_id":"A","passcode":"{SENTINEL}"}}], "concurrency_limit": -1}}"#
        ),
    ];
    for file in &files {
        let e = refused(file);
        let shown = format!("{e} / {e:?}");
        assert!(!shown.contains(SENTINEL), "{file} → {shown}");
        assert!(e.line().is_some(), "{file} → {shown}");
    }
    // The account problems say which account and which field.
    let e = refused(&files[0]);
    assert!(matches!(
        e.kind(),
        ErrorKind::Account {
            index: 0,
            problem: AccountProblem::NotAString("passcode")
        }
    ));
    assert_eq!(e.column(), Some(43));
    let e = refused(&files[5]);
    assert_eq!(
        e.problem(),
        "accounts[1]: the same `account_id` as accounts[0]"
    );
}

#[test]
fn empty_and_missing_account_fields_are_refused() {
    let e = refused(r#"{"accounts":[]}"#);
    assert!(matches!(e.kind(), ErrorKind::NoAccounts));
    let e = refused(r#"{"accounts":[{"account_id":"A"}]}"#);
    assert!(matches!(
        e.kind(),
        ErrorKind::Account {
            problem: AccountProblem::Missing("passcode"),
            ..
        }
    ));
    let e = refused(r#"{"accounts":[{"account_id":"","passcode":"p"}]}"#);
    assert!(matches!(
        e.kind(),
        ErrorKind::Account {
            problem: AccountProblem::Empty("account_id"),
            ..
        }
    ));
    // `null` is the same as leaving `accounts` out.
    let d: Dashboard = r#"{"accounts":null}"#.parse().unwrap();
    assert_eq!(d.accounts(), None);
}

#[test]
fn debug_hides_passcodes() {
    let d: Dashboard = r#"{"accounts":[{"account_id":"A","passcode":"hunter2"}]}"#
        .parse()
        .unwrap();
    assert!(!format!("{d:?}").contains("hunter2"));
}

#[test]
fn a_written_dashboard_reads_back_the_same() {
    let mut d = Dashboard::new()
        .with_event(
            EventDefinition::new("Program Released")
                .properties(["program_id", "language"])
                .required(["program_id"]),
        )
        .with_event(EventDefinition::new("e").targets(4));
    assert_eq!(d.to_json_pretty().parse::<Dashboard>().unwrap(), d);
    d.add_account(crate::Account::new("A", "P"));
    d.set_concurrency_limit(Some(0));
    let text = d.to_json_pretty();
    assert!(text.ends_with("}\n"));
    assert_eq!(text.parse::<Dashboard>().unwrap(), d);
}

#[test]
fn a_built_dashboard_is_validated_by_the_same_rules() {
    let d = Dashboard::new().with_event(EventDefinition::new("e").required(["x"]));
    let e = d.validate().unwrap_err();
    assert_eq!(e.line(), None);
    assert!(e
        .to_string()
        .starts_with("<dashboard>: business event \"e\": required key \"x\""));
    let mut d = Dashboard::new();
    d.add_account(crate::Account::new("A", "secret"));
    d.add_account(crate::Account::new("A", "secret"));
    let e = d.validate().unwrap_err();
    assert!(!e.to_string().contains("secret"));
}

#[test]
fn files_are_named_as_the_caller_wrote_them() {
    let e = Dashboard::from_file("no/such/bulletins.json").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Read(_)));
    assert!(
        e.to_string()
            .starts_with("no/such/bulletins.json: cannot read"),
        "{e}"
    );
    let e = "{".parse::<Dashboard>().unwrap_err();
    assert_eq!(e.origin(), "<string>");
}
