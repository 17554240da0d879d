//! The trigger request: endpoint path and headers.

/// The path of the Bulletins trigger endpoint, below a region's base URL.
pub const TRIGGER_PATH: &str = "/1/targets/trigger.json";

/// The header carrying the CleverTap account id (header names are case-insensitive).
pub const ACCOUNT_ID_HEADER: &str = "x-clevertap-account-id";

/// The header carrying the account's passcode.
pub const PASSCODE_HEADER: &str = "x-clevertap-passcode";
