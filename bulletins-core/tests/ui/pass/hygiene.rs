// Generated code must not be broken by the user's names: shadowed prelude items and
// constants that a non-hygienic `let`/pattern would match.
#![allow(dead_code, non_upper_case_globals)]

use bulletins_core::BusinessEvent;

struct Result;
struct Option<T>(T);
struct Ok;
struct Some;
mod core {}
mod std {}
const writer: () = ();
const value: () = ();

#[derive(BusinessEvent)]
#[business_event(name = "shadowed")]
struct Shadowed {
    a: String,
    b: ::std::option::Option<String>,
    #[business_event(display)]
    c: ::std::option::Option<u8>,
}

fn main() {}
