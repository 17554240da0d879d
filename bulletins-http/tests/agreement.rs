//! The core and the emulator apply the README's documented rules the same way, boundary by
//! boundary: the bulletin `name` and `c-by` are not blank, and a property key is 1–120
//! characters with no surrounding whitespace and no control characters. A bulletin the core
//! accepts is never refused by the emulator, and the reverse.
//!
//! Each side is asked on its own: the core through `DynamicEvent` and `Bulletin::to_json_vec`,
//! and through `Payload::parse` on the JSON the emulator gets (the differential proptest in
//! `bulletins-emulator/tests/differential.rs` compares the two readers on many more inputs);
//! the emulator with the JSON written by hand and POSTed with a plain HTTP client (the core would
//! refuse to send what the emulator must refuse).

mod common;

use bulletins_emulator::Emulator;
use bulletins_http::protocol::{ACCOUNT_ID_HEADER, PASSCODE_HEADER};
use bulletins_http::{Bulletin, DynamicEvent, Payload};
use common::*;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Accepted,
    Refused,
}

use Verdict::{Accepted, Refused};

/// One bulletin: its `name`, `c-by` and one extra property key.
#[derive(Debug)]
struct Case {
    name: String,
    created_by: String,
    key: String,
}

impl Case {
    fn valid() -> Self {
        Self {
            name: "Sa Re Ga Ma episode 12".into(),
            created_by: "[email protected]".into(),
            key: "season".into(),
        }
    }

    fn core(&self) -> Verdict {
        let event = DynamicEvent::new("Program Released")
            .and_then(|e| e.property("program_id", "234567"))
            .and_then(|e| e.property("language", "Hindi"))
            .and_then(|e| e.property(self.key.as_str(), "3"));
        let written = event.and_then(|event| {
            Bulletin::new(event, self.name.as_str(), self.created_by.as_str()).to_json_vec()
        });
        if written.is_ok() {
            Accepted
        } else {
            Refused
        }
    }

    /// The JSON the emulator is sent, written by hand.
    fn body(&self) -> serde_json::Value {
        json!({
            "business_event": "Program Released",
            "name": self.name,
            "properties": { "program_id": "234567", "language": "Hindi", self.key.as_str(): "3" },
            "c-by": self.created_by,
            "when": "now",
        })
    }

    /// The core's reader of trigger JSON, on the same bytes as the emulator.
    fn payload(&self) -> Verdict {
        match Payload::parse(self.body().to_string().as_bytes()) {
            Ok(_) => Accepted,
            Err(_) => Refused,
        }
    }

    async fn emulator(&self, emulator: &Emulator) -> Verdict {
        let body = self.body();
        let answer = reqwest::Client::new()
            .post(emulator.trigger_url())
            .header(ACCOUNT_ID_HEADER, ACCOUNT)
            .header(PASSCODE_HEADER, PASSCODE)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("an answer");
        match answer.status().as_u16() {
            200 => Accepted,
            400 => Refused,
            other => panic!("{self:?}: HTTP {other}"),
        }
    }
}

fn with(field: &str, value: &str) -> Case {
    let mut case = Case::valid();
    let slot = match field {
        "name" => &mut case.name,
        "c-by" => &mut case.created_by,
        "key" => &mut case.key,
        other => unreachable!("{other}"),
    };
    value.clone_into(slot);
    case
}

/// Every boundary of the documented rules, with the verdict the README promises.
fn cases() -> Vec<(Case, Verdict)> {
    let mut cases = vec![(Case::valid(), Accepted)];
    for field in ["name", "c-by"] {
        for (value, verdict) in [
            ("", Refused),
            (" ", Refused),
            ("\t\n", Refused),
            ("\u{3000}", Refused), // ideographic space: whitespace too
            ("\u{a0}", Refused),   // no-break space
            ("x", Accepted),
            (" x ", Accepted),      // not blank: padding is not a rule for these
            ("\u{200b}", Accepted), // zero-width space is not whitespace
        ] {
            cases.push((with(field, value), verdict));
        }
    }
    for (key, verdict) in [
        ("", Refused),
        (" padded\tkey ", Refused),
        (" key", Refused),
        ("key ", Refused),
        ("key\u{3000}", Refused),
        ("key\n", Refused),
        ("a\tb", Refused),
        ("a\u{0}b", Refused),
        ("a\u{7f}b", Refused), // DEL
        ("a\u{85}b", Refused), // NEL, a C1 control
        ("a b", Accepted),
        ("a\u{200b}b", Accepted),
    ] {
        cases.push((with("key", key), verdict));
    }
    for (key, verdict) in [
        ("k".repeat(120), Accepted),
        ("é".repeat(120), Accepted),
        ("k".repeat(121), Refused),
        ("語".repeat(121), Refused),
    ] {
        cases.push((with("key", &key), verdict));
    }
    cases
}

#[tokio::test]
async fn the_core_and_the_emulator_agree_on_every_boundary() {
    let emulator = start().await;
    let mut wrong = Vec::new();
    for (case, promised) in cases() {
        let core = case.core();
        let payload = case.payload();
        let server = case.emulator(&emulator).await;
        if (core, payload, server) != (promised, promised, promised) {
            wrong.push(format!(
                "{case:?}: promised {promised:?}, core {core:?}, payload {payload:?}, emulator {server:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    emulator.shutdown().await;
}
