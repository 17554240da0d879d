// `display` on the struct: every field is sent as its `Display` text, strings included (their
// text is themselves), `Option<T>` when `Some`; a skipped field needs no `Display`, and a
// field's own `display` is allowed, if redundant.
use std::borrow::Cow;
use std::fmt;
use std::net::Ipv4Addr;

use bulletins_core::BusinessEvent;

struct OrderId(u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ord_{}", self.0)
    }
}

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", display, requires = ["order_id"])]
struct OrderPlaced<'a> {
    order_id: OrderId,
    quantity: u32,
    total_cents: i64,
    gift: bool,
    origin: Option<Ipv4Addr>,
    channel: &'a str,
    note: Cow<'a, str>,
    coupon: Option<String>,
    #[business_event(display)]
    store: u16,
    #[business_event(skip)]
    items: Vec<String>,
}

// `display` may come first, and the generics carry through with a `Display` bound.
#[derive(BusinessEvent)]
#[business_event(display, name = "price_drop", rename_all = "camelCase")]
struct PriceDrop<P: fmt::Display> {
    product_id: u64,
    new_price: P,
}

fn main() {
    let _ = OrderPlaced {
        order_id: OrderId(1),
        quantity: 3,
        total_cents: 1999,
        gift: false,
        origin: None,
        channel: "web",
        note: Cow::Borrowed(""),
        coupon: None,
        store: 7,
        items: Vec::new(),
    };
    let _ = PriceDrop {
        product_id: 1,
        new_price: 9.99,
    };
}
