use std::rc::Rc;
use std::sync::Arc;

use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "profile_updated")]
struct ProfileUpdated<'a> {
    nickname: Option<String>,
    city: std::option::Option<&'a str>,
    country: core::option::Option<Box<str>>,
    language: ::std::option::Option<Arc<str>>,
    timezone: Option<Rc<str>>,
}

fn main() {
    let _ = ProfileUpdated {
        nickname: None,
        city: Some("Pune"),
        country: None,
        language: None,
        timezone: None,
    };
}
