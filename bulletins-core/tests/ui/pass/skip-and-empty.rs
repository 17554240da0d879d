use bulletins_core::BusinessEvent;

// Skipped fields may have any type; an event may have no properties.
#[derive(BusinessEvent)]
#[business_event(name = "heartbeat")]
struct Heartbeat {
    #[business_event(skip)]
    attempts: u32,
    #[business_event(skip, rename = "ignored")]
    internal: Vec<u8>,
}

#[derive(BusinessEvent)]
#[business_event(name = "ping")]
struct Ping {}

fn main() {}
