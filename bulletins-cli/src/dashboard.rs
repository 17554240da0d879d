//! The dashboard file: which business events exist and which properties they require.
//!
//! Everything the CLI needs of it is here — loading (with file and line in errors) and checking
//! one event against it — so the parser behind it can change without touching the commands.

use std::path::{Path, PathBuf};

use bulletins_http::DynamicEvent;

use crate::cli::DashboardArg;

/// The variable naming a dashboard file when `--dashboard` is not given.
pub(crate) const DASHBOARD_VAR: &str = "BULLETINS_DASHBOARD";

/// A loaded dashboard file.
#[derive(Debug)]
pub(crate) struct Dashboard {
    events: Vec<bulletins_emulator::EventDefinition>,
}

/// The dashboard file to use: `--dashboard`, else `BULLETINS_DASHBOARD`, else none.
pub(crate) fn path(arg: &DashboardArg) -> Option<PathBuf> {
    arg.dashboard.clone().or_else(|| {
        std::env::var_os(DASHBOARD_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Loads the file; the error names the file and, for JSON errors, the line.
pub(crate) fn load(path: &Path) -> Result<Dashboard, String> {
    bulletins_emulator::Dashboard::from_file(path)
        .map(|dashboard| Dashboard {
            events: dashboard.events().to_vec(),
        })
        .map_err(|e| e.to_string())
}

impl Dashboard {
    /// Every way the event differs from its definition: undefined, a required property
    /// missing, a property the dashboard does not declare.
    pub(crate) fn check(&self, event: &DynamicEvent) -> Vec<String> {
        let Some(definition) = self.events.iter().find(|e| e.name() == event.name()) else {
            return vec![format!(
                "business event {:?} is not defined on the dashboard",
                event.name()
            )];
        };
        let mut problems = Vec::new();
        for required in definition.required_in_order() {
            if !event.properties().any(|(key, _)| key == required) {
                problems.push(format!(
                    "property {required:?} is required by {:?} on the dashboard but missing",
                    event.name()
                ));
            }
        }
        for (key, _) in event.properties() {
            if !definition.property_keys().iter().any(|k| k == key) {
                problems.push(format!(
                    "property {key:?} is not declared for {:?} on the dashboard",
                    event.name()
                ));
            }
        }
        problems
    }
}
