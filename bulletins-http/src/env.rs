//! Configuration from environment variables, read through a lookup function so tests need not
//! touch the process environment.

use bulletins_core::{BaseUrl, InvalidCredentials, Region};

use crate::builder::{BuildClientError, ClientBuilder};
use crate::client::Client;

/// The account id variable.
pub const ACCOUNT_ID_VAR: &str = "CLEVERTAP_ACCOUNT_ID";
/// The passcode variable.
pub const PASSCODE_VAR: &str = "CLEVERTAP_PASSCODE";
/// The region code variable (`in1`, `sg1`, `us1`, `aps3`, `mec1`, `eu1`).
pub const REGION_VAR: &str = "CLEVERTAP_REGION";
/// The custom base URL variable, instead of [`REGION_VAR`].
pub const BASE_URL_VAR: &str = "CLEVERTAP_BASE_URL";

impl ClientBuilder {
    /// A builder filled from the environment: `CLEVERTAP_ACCOUNT_ID`, `CLEVERTAP_PASSCODE`, and
    /// `CLEVERTAP_REGION` (a region code: `in1`, `sg1`, `us1`, `aps3`, `mec1`, `eu1`) or
    /// `CLEVERTAP_BASE_URL`; with the `redis` feature, `CLEVERTAP_REDIS_URL` (if set) takes each
    /// attempt's slot from a `RedisLimiter` there. Further calls may adjust it before
    /// [`Self::build`].
    ///
    /// # Errors
    /// [`BuildClientError::MissingEnv`] or [`BuildClientError::InvalidEnv`], naming the
    /// variable.
    pub fn from_env() -> Result<Self, BuildClientError> {
        from_lookup(|name| std::env::var(name).ok())
    }
}

impl Client {
    /// A client configured from `CLEVERTAP_ACCOUNT_ID`, `CLEVERTAP_PASSCODE`, and
    /// `CLEVERTAP_REGION` (a region code) or `CLEVERTAP_BASE_URL`, with every other setting at
    /// its default; with the `redis` feature, `CLEVERTAP_REDIS_URL` (if set) shares the cap
    /// through that Redis. See [`ClientBuilder::from_env`] to adjust them.
    ///
    /// # Errors
    /// [`BuildClientError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, BuildClientError> {
        ClientBuilder::from_env()?.build()
    }
}

/// The Redis URL variable: with the `redis` feature, [`Client::from_env`](crate::Client::from_env)
/// shares the account's cap through the Redis there (see `RedisLimiter`).
pub const REDIS_URL_VAR: &str = "CLEVERTAP_REDIS_URL";

/// Fills a builder from variables looked up by name. The passcode's value never appears in an
/// error.
pub(crate) fn from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ClientBuilder, BuildClientError> {
    let account_id = lookup(ACCOUNT_ID_VAR).ok_or(BuildClientError::MissingEnv {
        name: ACCOUNT_ID_VAR,
        hint: "set it to the account id from Settings → Project in the dashboard",
    })?;
    let passcode = lookup(PASSCODE_VAR).ok_or(BuildClientError::MissingEnv {
        name: PASSCODE_VAR,
        hint: "set it to the passcode from Settings → Passcode in the dashboard",
    })?;
    // Checked here too, so the error names the variable rather than a builder call.
    if let Err(problem) = bulletins_core::Credentials::new(&account_id, passcode.as_str()) {
        let name = match problem {
            InvalidCredentials::EmptyPasscode | InvalidCredentials::PasscodeCharacter { .. } => {
                PASSCODE_VAR
            }
            _ => ACCOUNT_ID_VAR,
        };
        return Err(BuildClientError::InvalidEnv {
            name,
            reason: problem.to_string(),
        });
    }
    let builder = ClientBuilder::new()
        .account_id(account_id)
        .passcode(passcode);
    #[cfg(feature = "redis")]
    let builder = match lookup(REDIS_URL_VAR) {
        Some(url) => builder.limiter(crate::RedisLimiter::new(&url).map_err(|_| {
            // Not the parser's message: the URL may carry a password.
            BuildClientError::InvalidEnv {
                name: REDIS_URL_VAR,
                reason: "not a Redis URL; expected redis://[:password@]host[:port][/db]".into(),
            }
        })?),
        None => builder,
    };

    match (lookup(REGION_VAR), lookup(BASE_URL_VAR)) {
        (Some(_), Some(_)) => Err(BuildClientError::InvalidEnv {
            name: BASE_URL_VAR,
            reason: format!("{REGION_VAR} is set too; set only one of them"),
        }),
        (Some(code), None) => {
            let region: Region = code.parse().map_err(|e: bulletins_core::UnknownRegion| {
                BuildClientError::InvalidEnv {
                    name: REGION_VAR,
                    reason: e.to_string(),
                }
            })?;
            Ok(builder.region(region))
        }
        (None, Some(url)) => {
            // Parsed here so the error names the variable; the builder parses it again.
            BaseUrl::parse(&url).map_err(|e| BuildClientError::InvalidEnv {
                name: BASE_URL_VAR,
                reason: e.to_string(),
            })?;
            Ok(builder.base_url(url))
        }
        (None, None) => Err(BuildClientError::MissingEnv {
            name: REGION_VAR,
            hint: "set it to your account's region code (in1, sg1, us1, aps3, mec1 or eu1), or set CLEVERTAP_BASE_URL instead",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The names are the contract: spelled out here, not taken from the constants.
    const ACCOUNT_ID: &str = "CLEVERTAP_ACCOUNT_ID";
    const PASSCODE: &str = "CLEVERTAP_PASSCODE";
    const REGION: &str = "CLEVERTAP_REGION";
    const BASE_URL: &str = "CLEVERTAP_BASE_URL";

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn env_err(vars: &[(&str, &str)]) -> BuildClientError {
        match from_lookup(lookup(vars)).and_then(ClientBuilder::build) {
            Ok(client) => panic!("built {client:?}"),
            Err(e) => e,
        }
    }

    const ID: (&str, &str) = ("CLEVERTAP_ACCOUNT_ID", "ABCD-RSTU-1234");
    const PASS: (&str, &str) = ("CLEVERTAP_PASSCODE", "S3NT1NEL");

    #[test]
    fn a_region_code_or_a_base_url() {
        let client = from_lookup(lookup(&[ID, PASS, (REGION, "sg1")]))
            .and_then(ClientBuilder::build)
            .expect("valid");
        assert_eq!(client.base_url().as_str(), "https://sg1.api.clevertap.com");
        let client = from_lookup(lookup(&[ID, PASS, (BASE_URL, "http://127.0.0.1:9")]))
            .and_then(ClientBuilder::build)
            .expect("valid");
        assert_eq!(client.base_url().as_str(), "http://127.0.0.1:9");
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: [(&[(&str, &str)], &str); 8] = [
            (&[PASS, (REGION, "in1")], ACCOUNT_ID),
            (&[ID, (REGION, "in1")], PASSCODE),
            (&[ID, PASS], REGION),
            (&[ID, PASS, (REGION, "in2")], REGION),
            (&[ID, PASS, (BASE_URL, "nope")], BASE_URL),
            (
                &[ID, PASS, (REGION, "in1"), (BASE_URL, "https://x")],
                BASE_URL,
            ),
            (&[ID, (PASSCODE, "S3NT1NEL\n"), (REGION, "in1")], PASSCODE),
            (&[(ACCOUNT_ID, ""), PASS, (REGION, "in1")], ACCOUNT_ID),
        ];
        for (vars, name) in cases {
            let e = env_err(vars);
            let text = e.to_string();
            assert!(text.contains(name), "{vars:?}: {text}");
            assert!(!text.contains("S3NT1NEL") && !format!("{e:?}").contains("S3NT1NEL"));
        }
    }

    /// `fn main() -> Result<(), Box<dyn Error>>` prints `Debug`: both forms read as sentences.
    #[test]
    fn a_missing_variable_reads_well_as_display_and_debug() {
        let e = env_err(&[PASS, (REGION, "in1")]);
        assert_eq!(
            e.to_string(),
            "environment variable CLEVERTAP_ACCOUNT_ID is not set; set it to the account id from Settings → Project in the dashboard"
        );
        assert_eq!(
            format!("{e:?}"),
            r#"MissingEnv { name: "CLEVERTAP_ACCOUNT_ID", hint: "set it to the account id from Settings → Project in the dashboard" }"#
        );
        let e = env_err(&[ID, PASS]);
        assert_eq!(
            e.to_string(),
            "environment variable CLEVERTAP_REGION is not set; set it to your account's region code (in1, sg1, us1, aps3, mec1 or eu1), or set CLEVERTAP_BASE_URL instead"
        );
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_redis_url_shares_the_cap_and_a_bad_one_is_named() {
        let client = from_lookup(lookup(&[
            ID,
            PASS,
            (REGION, "in1"),
            ("CLEVERTAP_REDIS_URL", "redis://127.0.0.1:6379"),
        ]))
        .and_then(ClientBuilder::build)
        .expect("valid");
        assert!(format!("{client:?}").contains("RedisLimiter"), "{client:?}");
        let e = env_err(&[
            ID,
            PASS,
            (REGION, "in1"),
            ("CLEVERTAP_REDIS_URL", "http://:S3NT1NEL@x"),
        ]);
        let text = e.to_string();
        assert!(text.contains("CLEVERTAP_REDIS_URL"), "{text}");
        assert!(!text.contains("S3NT1NEL"), "{text}");
    }

    #[test]
    fn plain_http_from_the_environment_is_refused_too() {
        let e = env_err(&[ID, PASS, (BASE_URL, "http://example.com")]);
        assert!(matches!(e, BuildClientError::InsecureBaseUrl { .. }), "{e}");
    }
}
