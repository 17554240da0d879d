use bulletins_core::BusinessEvent;

// `T` could be anything: its bounds must make it a string type.
#[derive(BusinessEvent)]
#[business_event(name = "e")]
struct E<T> {
    v: T,
}

fn main() {}
