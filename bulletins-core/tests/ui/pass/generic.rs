use bulletins_core::{BusinessEvent, PropertyValue, StaticEvent};
use std::fmt::Display;

#[derive(BusinessEvent)]
#[business_event(name = "e")]
struct E<T: PropertyValue> {
    v: T,
}

#[derive(BusinessEvent)]
#[business_event(name = "w")]
struct Where<'a, T, U, const N: usize>
where
    T: PropertyValue + ?Sized,
    U: Display,
{
    v: &'a T,
    #[business_event(display)]
    n: Option<U>,
}

fn main() {
    fn is_static<E: StaticEvent>() {}
    is_static::<E<String>>();
    is_static::<E<&'static str>>();
    is_static::<Where<'static, str, u8, 3>>();
}
