// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
use bulletins_core::{BusinessEvent, Presence, StaticEvent};

// No `requires`: the file's `required` is the truth, and the schema says so.
#[derive(BusinessEvent)]
#[business_event(name = "Program Released", dashboard = "tests/ui/dashboard/fixtures/bulletins.json")]
struct ProgramReleased {
    program_id: String,
    language: String,
    prev_program_id: Option<String>,
}

// A struct may be stricter than the dashboard, and need not send every optional property.
#[derive(BusinessEvent)]
#[business_event(
    name = "order_placed",
    requires = ["coupon_code"],
    dashboard = "tests/ui/dashboard/fixtures/bulletins.json"
)]
struct OrderPlacedWithCoupon {
    order_id: String,
    product_category: String,
    coupon_code: String,
    #[business_event(skip)]
    internal_note: String,
}

fn main() {
    let presence: Vec<(&str, Presence)> = ProgramReleased::SCHEMA
        .properties()
        .iter()
        .map(|p| (p.key(), p.presence()))
        .collect();
    assert_eq!(
        presence,
        [
            ("program_id", Presence::Required),
            ("language", Presence::Required),
            ("prev_program_id", Presence::Optional),
        ]
    );
    let required: Vec<&str> = OrderPlacedWithCoupon::SCHEMA.required().collect();
    assert_eq!(required, ["order_id", "product_category", "coupon_code"]);
}
