// What a service writes and the dashboard accepts: the schema crate's shared event, and a
// struct of the service's own checked against the same file.
use bulletins_core::{Bulletin, BusinessEvent, StaticEvent};
use bulletins_example_schema::media::ProgramReleased;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "bulletins.json")]
struct OrderPlaced {
    order_id: String,
    product_category: String,
    coupon_code: Option<String>,
}

fn main() {
    let shared = ProgramReleased {
        program_id: "234567".into(),
        language: "Hindi".into(),
        prev_program_id: "123457".into(),
    };
    let json = Bulletin::new(shared, "Sa Re Ga Ma episode 12", "[email protected]")
        .to_json_vec()
        .expect("a valid bulletin");
    assert!(json.starts_with(br#"{"business_event":"Program Released""#));
    // The file's `required` keys are the struct's required properties.
    let required: Vec<&str> = OrderPlaced::SCHEMA.required().collect();
    assert_eq!(required, ["order_id", "product_category"]);
    let own = OrderPlaced {
        order_id: "12345".into(),
        product_category: "books".into(),
        coupon_code: None,
    };
    let _ = Bulletin::new(own, "Order 12345", "[email protected]");
}
