//! Where to send and as whom: flags first, then the variables `Client::from_env` reads.
//!
//! No flag takes the passcode's value — it would show in `ps` and in shell history — only
//! `--passcode-file` or `CLEVERTAP_PASSCODE`. The passcode is never printed.

use std::path::Path;

use bulletins_http::{
    BaseUrl, ClientBuilder, Region, ACCOUNT_ID_VAR, BASE_URL_VAR, PASSCODE_VAR, REGION_VAR,
};

use crate::cli::CredentialArgs;
use crate::exit::{Failure, Result};
use crate::journal::Destination;

/// Where requests go: a region's host or a base URL, as given.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Region(Region),
    BaseUrl(String),
}

impl Target {
    pub(crate) fn base_url(&self) -> String {
        match self {
            Target::Region(region) => BaseUrl::from(*region).as_str().to_owned(),
            // Checked by `parse_url`; spelled as the client sends to it.
            Target::BaseUrl(url) => BaseUrl::parse(url).map_or_else(
                |_| url.trim_end_matches('/').to_owned(),
                |url| url.as_str().to_owned(),
            ),
        }
    }
}

/// Reads an environment variable; unset and empty are the same.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The account id, from `--account-id` or the environment.
pub(crate) fn account_id(args: &CredentialArgs) -> Option<String> {
    args.account_id.clone().or_else(|| var(ACCOUNT_ID_VAR))
}

/// The region or base URL: a flag wins over both variables.
pub(crate) fn target(args: &CredentialArgs) -> Result<Target> {
    if let Some(code) = &args.region {
        return parse_region(code, "--region");
    }
    if let Some(url) = &args.base_url {
        return parse_url(url, "--base-url");
    }
    match (var(REGION_VAR), var(BASE_URL_VAR)) {
        (Some(_), Some(_)) => Err(Failure::usage(format!(
            "both {REGION_VAR} and {BASE_URL_VAR} are set"
        ))
        .hint("unset one of them, or choose with --region or --base-url")),
        (Some(code), None) => parse_region(&code, REGION_VAR),
        (None, Some(url)) => parse_url(&url, BASE_URL_VAR),
        (None, None) => Err(
            Failure::usage("no CleverTap region or base URL").hint(format!(
                "set {REGION_VAR} (in1, sg1, us1, aps3, mec1, eu1) or {BASE_URL_VAR}, \
             or pass --region or --base-url"
            )),
        ),
    }
}

fn parse_region(code: &str, from: &str) -> Result<Target> {
    code.parse()
        .map(Target::Region)
        .map_err(|e: bulletins_http::UnknownRegion| Failure::usage(format!("{from}: {e}")))
}

fn parse_url(url: &str, from: &str) -> Result<Target> {
    BaseUrl::parse(url)
        .map(|_| Target::BaseUrl(url.to_owned()))
        .map_err(|e| Failure::usage(format!("{from}: {e}")))
}

/// Where a run sends, as its journal records it: the account and the base URL, never the
/// passcode.
pub(crate) fn destination(args: &CredentialArgs) -> Result<Destination> {
    let account_id = account_id(args).ok_or_else(|| Failure::usage("no CleverTap account id"))?;
    Ok(Destination {
        account_id,
        base_url: target(args)?.base_url(),
    })
}

/// A client builder with the account, passcode and target set.
pub(crate) fn client_builder(args: &CredentialArgs) -> Result<ClientBuilder> {
    let account_id = account_id(args).ok_or_else(|| {
        Failure::usage("no CleverTap account id").hint(format!(
            "set {ACCOUNT_ID_VAR} or pass --account-id (Settings → Project in the dashboard)"
        ))
    })?;
    let passcode = match &args.passcode_file {
        Some(path) => read_passcode_file(path)?,
        None => var(PASSCODE_VAR).ok_or_else(|| {
            Failure::usage("no CleverTap passcode").hint(format!(
                "set {PASSCODE_VAR}, or pass --passcode-file FILE (Settings → Passcode in the \
                 dashboard); no flag takes the passcode itself, so it never shows in `ps`"
            ))
        })?,
    };
    let builder = ClientBuilder::new()
        .account_id(account_id)
        .passcode(passcode);
    Ok(match target(args)? {
        Target::Region(region) => builder.region(region),
        Target::BaseUrl(url) => builder.base_url(url),
    })
}

/// The first line of the file, without its line ending. Its content never appears in an error.
fn read_passcode_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read the passcode file {}: {e}",
            path.display()
        ))
    })?;
    let passcode = text.lines().next().unwrap_or_default().to_owned();
    if passcode.is_empty() {
        return Err(
            Failure::usage(format!("the passcode file {} is empty", path.display()))
                .hint("put the passcode on its first line"),
        );
    }
    Ok(passcode)
}
