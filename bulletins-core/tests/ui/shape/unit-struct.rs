use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "heartbeat")]
struct Heartbeat;

fn main() {}
