// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
use bulletins_core::{Bulletin, BusinessEvent, StaticEvent};

// Four mistakes against the file, four errors, one compile, and none from the code using
// the event.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "tests/ui/dashboard/fixtures/bulletins.json")]
struct OrderPlaced {
    order_id: Option<String>,
    #[business_event(rename = "coupon")]
    coupon_code: Option<String>,
    note: String,
}

fn main() {
    let event = OrderPlaced {
        order_id: None,
        coupon_code: None,
        note: String::new(),
    };
    let _ = OrderPlaced::SCHEMA.properties();
    let _ = Bulletin::new(event, "n", "c").to_json_vec();
}
