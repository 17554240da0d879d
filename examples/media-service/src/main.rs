//! A media service: announces new episodes with the shared schema's `ProgramReleased`.
//!
//! ```text
//! CLEVERTAP_ACCOUNT_ID=... CLEVERTAP_PASSCODE=... CLEVERTAP_REGION=in1 \
//!     cargo run -p bulletins-example-media-service -- 234567 Hindi 123457
//! ```

// A command-line service reports on the terminal.
#![allow(clippy::print_stdout)]

use bulletins_example_schema::media::ProgramReleased;
use bulletins_http::{Bulletin, Client, Error, Triggered};

/// Announces an episode: the only place this service talks to CleverTap.
async fn announce_episode(
    client: &Client,
    episode: ProgramReleased,
    title: &str,
) -> Result<Triggered, Error> {
    let bulletin = Bulletin::new(episode, title, "[email protected]");
    client.trigger(&bulletin).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(program_id), Some(language), Some(prev_program_id)) =
        (args.next(), args.next(), args.next())
    else {
        return Err("usage: media-service <program_id> <language> <prev_program_id>".into());
    };
    let client = Client::from_env()?;
    let episode = ProgramReleased {
        program_id,
        language,
        prev_program_id,
    };
    let triggered = announce_episode(&client, episode, "New episode").await?;
    println!("{} bulletin(s) sent", triggered.targets);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulletins_emulator::{Dashboard, Emulator, DEMO_ACCOUNT_ID, DEMO_PASSCODE};
    use bulletins_http::StaticEvent;

    #[tokio::test]
    async fn announcing_an_episode_raises_program_released() {
        // The emulator serves the schema crate's bulletins.json, the file the events are
        // checked against at compile time; it lists no accounts, so the demo account is served.
        let dashboard = Dashboard::from_json(bulletins_example_schema::DASHBOARD)
            .unwrap_or_else(|e| panic!("{e}"));
        let emulator = Emulator::builder()
            .dashboard(dashboard)
            .start()
            .await
            .expect("emulator starts");
        let client = Client::builder()
            .base_url(emulator.base_url())
            .account_id(DEMO_ACCOUNT_ID)
            .passcode(DEMO_PASSCODE)
            .build()
            .expect("client");
        let episode = ProgramReleased {
            program_id: "234567".into(),
            language: "Hindi".into(),
            prev_program_id: "123457".into(),
        };

        let triggered = announce_episode(&client, episode, "Episode 12")
            .await
            .expect("accepted");

        assert_eq!(triggered.targets, 1);
        let received = emulator.accepted();
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].business_event.as_deref(),
            Some(ProgramReleased::SCHEMA.name())
        );
        assert_eq!(received[0].property("language"), Some("Hindi"));
    }
}
