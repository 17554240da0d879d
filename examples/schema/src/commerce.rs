//! Events of the shop.

use std::borrow::Cow;

use bulletins_core::BusinessEvent;

/// An order was placed. The documentation's own error samples use this event.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "bulletins.json")]
pub struct OrderPlaced<'a> {
    /// The order's id.
    pub order_id: &'a str,
    /// The category of the product ordered.
    pub product_category: Cow<'a, str>,
    /// A coupon, if one was used; omitted from the payload otherwise.
    #[business_event(rename = "coupon_code")]
    pub coupon: Option<String>,
    /// How many items; CleverTap takes strings, so it is sent as its decimal text.
    #[business_event(display)]
    pub quantity: u32,
}

/// A watched product got cheaper.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(
    name = "Price Drop",
    rename_all = "camelCase",
    dashboard = "bulletins.json"
)]
pub struct PriceDrop {
    /// The product, sent as `productId`.
    pub product_id: String,
    /// The old price in minor units, sent as `oldPrice`.
    #[business_event(display)]
    pub old_price: u64,
    /// The new price in minor units, sent as `newPrice`.
    #[business_event(display)]
    pub new_price: u64,
    /// Where the price changed, sent as `storeRegion`; not sent when `None`.
    pub store_region: Option<String>,
}
