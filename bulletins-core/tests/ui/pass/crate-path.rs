// A crate that reaches `bulletins_core` under another name, as a facade crate re-exporting it
// would.
extern crate bulletins_core as renamed;

mod facade {
    pub use ::bulletins_core as core_again;
}

use renamed::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", crate = "renamed")]
struct ViaExternCrate {
    order_id: String,
}

#[derive(BusinessEvent)]
#[business_event(crate = "crate::facade::core_again", name = "order_placed")]
struct ViaModule {
    order_id: String,
}

fn main() {
    fn is_static<E: renamed::StaticEvent>() {}
    is_static::<ViaExternCrate>();
    is_static::<ViaModule>();
}
