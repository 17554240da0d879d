//! Raise CleverTap's documented "Program Released" business event.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With `CLEVERTAP_ACCOUNT_ID`, `CLEVERTAP_PASSCODE` and `CLEVERTAP_REGION` (or
//! `CLEVERTAP_BASE_URL`) set, it talks to CleverTap — and real users get the bulletin. Without
//! them it starts the emulator in-process, serving the example schema's `bulletins.json` (the
//! dashboard file its events are checked against) to the documented demo account, and says so.

// An example's job is to show what happens, on the terminal.
#![allow(clippy::print_stdout)]

use bulletins_emulator::{Dashboard, Emulator};
use bulletins_http::{Bulletin, BusinessEvent, Client, When, ACCOUNT_ID_VAR};

/// The documented example event: a new episode of a programme was released.
#[derive(Debug, BusinessEvent)]
#[business_event(
    name = "Program Released",
    requires = ["program_id", "language", "prev_program_id"]
)]
struct ProgramReleased {
    program_id: String,
    language: String,
    prev_program_id: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let event = ProgramReleased {
        program_id: "234567".into(),
        language: "Hindi".into(),
        prev_program_id: "123457".into(),
    };
    let bulletin =
        Bulletin::new(event, "Sa Re Ga Ma episode 12", "[email protected]").when(When::Now);

    // Keep the emulator alive until the end of main: dropping its handle stops it.
    let (client, _emulator) = if std::env::var_os(ACCOUNT_ID_VAR).is_some() {
        let client = Client::from_env()?;
        println!("Sending to CleverTap at {}", client.base_url());
        (client, None)
    } else {
        let dashboard = Dashboard::from_json(bulletins_example_schema::DASHBOARD)?;
        let emulator = Emulator::builder().dashboard(dashboard).start().await?;
        println!(
            "{ACCOUNT_ID_VAR} is not set: using the embedded emulator at {} \
             (demo account ABCD-RSTU-1234, event \"Program Released\"; nothing leaves this machine)",
            emulator.base_url()
        );
        let client = Client::builder()
            .base_url(emulator.base_url())
            .account_id("ABCD-RSTU-1234")
            .passcode("XXXXXX")
            .build()?;
        (client, Some(emulator))
    };

    println!(
        "POST {}\n{}",
        client.base_url().trigger_uri(),
        String::from_utf8(bulletin.to_json_vec()?)?
    );

    match client.trigger(&bulletin).await {
        Ok(triggered) => {
            // The typed form of CleverTap's {"status":"success","targets":n}.
            println!(
                "success: {triggered:?} ({} bulletin(s) sent)",
                triggered.targets
            );
            Ok(())
        }
        Err(error) => {
            println!("failed: {error}");
            if error.may_have_been_delivered() {
                println!("the bulletin may have been delivered: do not resend it blindly");
            }
            Err(error.into())
        }
    }
}
