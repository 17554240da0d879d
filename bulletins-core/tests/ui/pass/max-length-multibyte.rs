// A name and a key of exactly 120 characters (360 and 240 bytes): CleverTap counts
// characters, not bytes.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語")]
struct Longest {
    #[business_event(rename = "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé")]
    value: String,
}

fn main() {}
