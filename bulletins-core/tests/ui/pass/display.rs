use std::fmt;
use std::net::Ipv4Addr;

use bulletins_core::BusinessEvent;

struct Tier(u8);

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tier-{}", self.0)
    }
}

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["quantity"])]
struct OrderPlaced {
    #[business_event(display)]
    quantity: u32,
    #[business_event(display)]
    in_stock: bool,
    #[business_event(display)]
    tier: Option<Tier>,
    #[business_event(display)]
    origin: Option<Ipv4Addr>,
    #[business_event(display)]
    order_id: String,
}

fn main() {
    let _ = OrderPlaced {
        quantity: 3,
        in_stock: true,
        tier: Some(Tier(2)),
        origin: None,
        order_id: "1".into(),
    };
}
