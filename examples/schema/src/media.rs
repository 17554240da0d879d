//! Events of the media catalogue.

use bulletins_core::BusinessEvent;

/// A new episode of a programme was released: CleverTap's documented example event.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "Program Released", dashboard = "bulletins.json")]
pub struct ProgramReleased {
    /// The released programme.
    pub program_id: String,
    /// Its language, as shown to users ("Hindi").
    pub language: String,
    /// The programme it follows.
    pub prev_program_id: String,
}
