use std::borrow::Cow;

use bulletins_core::{Bulletin, BusinessEvent};

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id", "product_category"])]
struct OrderPlaced<'a, 'b: 'a> {
    order_id: &'a str,
    product_category: Cow<'b, str>,
    note: &'a &'b str,
}

fn main() {
    let category = String::from("books");
    let note = "gift";
    let event = OrderPlaced {
        order_id: "12345",
        product_category: Cow::Borrowed(&category),
        note: &note,
    };
    let _ = Bulletin::new(event, "Order 12345", "[email protected]").to_json_vec();
}
