//! The dashboard file (`bulletins.json`): which business events exist and which properties they
//! take and require. The model and its parser are `bulletins-dashboard`'s, the one model the
//! derive and the emulator read too; a payload is checked against it by
//! `Payload::check_against`, through `bulletins-http`.

use std::path::{Path, PathBuf};

use bulletins_http::dashboard::DASHBOARD_ENV;

/// A loaded dashboard file.
pub(crate) type Dashboard = bulletins_http::dashboard::Dashboard;

/// The dashboard file to use: `flag` (`--dashboard`), else `BULLETINS_DASHBOARD`, else none.
pub(crate) fn path(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(DASHBOARD_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Says, once, on stderr, what was not checked because no dashboard file was given.
pub(crate) fn note_unchecked() {
    crate::log::say(
        tracing::Level::WARN,
        format_args!(
            "note: not checked against a dashboard: event names and required properties; \
             pass --dashboard FILE or set {DASHBOARD_ENV}"
        ),
    );
}

/// Loads the file; the error is `file:line:column: problem`.
pub(crate) fn load(path: &Path) -> Result<Dashboard, String> {
    Dashboard::from_file(path).map_err(|e| e.to_string())
}
