//! The dashboard file (`bulletins.json`): which business events exist and which properties they
//! take and require. The model, its parser and its rules are `bulletins-dashboard`'s, through
//! `bulletins-core`: the one model the derive and the emulator read too.

use std::path::{Path, PathBuf};

use bulletins_http::dashboard::DASHBOARD_ENV;
use bulletins_http::DynamicEvent;

use crate::cli::DashboardArg;

/// A loaded dashboard file.
pub(crate) type Dashboard = bulletins_http::dashboard::Dashboard;

/// The dashboard file to use: `--dashboard`, else `BULLETINS_DASHBOARD`, else none.
pub(crate) fn path(arg: &DashboardArg) -> Option<PathBuf> {
    arg.dashboard.clone().or_else(|| {
        std::env::var_os(DASHBOARD_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Loads the file; the error is `file:line:column: problem`.
pub(crate) fn load(path: &Path) -> Result<Dashboard, String> {
    Dashboard::from_file(path).map_err(|e| e.to_string())
}

/// Why the event would be refused by the dashboard, if it would.
pub(crate) fn check(dashboard: &Dashboard, event: &DynamicEvent) -> Vec<String> {
    match event.check_against(dashboard) {
        Ok(()) => Vec::new(),
        Err(mismatch) => vec![mismatch.to_string()],
    }
}
