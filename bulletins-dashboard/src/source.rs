//! A dashboard file with its text's positions: what the comparison and the lint point at.

use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::locate::{map, EventMap, FileMap, Position};
use crate::model::Dashboard;

/// A dashboard file as read: the [`Dashboard`], the name it was read under, and where each
/// event, property, `required` key and account sits in its text, so that a finding about one
/// of them can name its line and column.
///
/// ```
/// use bulletins_dashboard::{DashboardFile, Position};
///
/// let file = DashboardFile::parse(
///     b"{\n  \"business_events\": [\n    { \"name\": \"order_placed\" }\n  ]\n}",
///     "bulletins.json",
/// )?;
/// assert_eq!(file.origin(), "bulletins.json");
/// assert_eq!(file.dashboard().events().len(), 1);
/// assert_eq!(file.event_position(0), Position { line: 3, column: 15 });
/// # Ok::<(), bulletins_dashboard::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DashboardFile {
    origin: String,
    dashboard: Dashboard,
    map: FileMap,
}

impl DashboardFile {
    /// Parses and checks the bytes of a dashboard file, as [`Dashboard::from_slice`] does;
    /// `origin` names it in errors.
    ///
    /// # Errors
    /// The [`Error`] [`Dashboard::from_slice`] returns.
    pub fn parse(bytes: &[u8], origin: impl Into<String>) -> Result<Self, Error> {
        let origin = origin.into();
        let dashboard = Dashboard::from_slice(bytes, &origin)?;
        Ok(Self {
            map: map(bytes),
            origin,
            dashboard,
        })
    }

    /// Reads and checks a dashboard file; errors and [`origin`](Self::origin) name it as
    /// `path` is written.
    ///
    /// # Errors
    /// [`Error`] if the file cannot be read or is refused.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| Error::new(&origin, None, ErrorKind::Read(e)))?;
        Self::parse(&bytes, origin)
    }

    /// A file with no events: what a file compares as before it existed.
    pub fn empty(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            dashboard: Dashboard::new(),
            map: FileMap::default(),
        }
    }

    /// A dashboard built in code, with the positions it has in the text
    /// [`Dashboard::to_json_pretty`] writes.
    ///
    /// # Errors
    /// [`Error`] if the dashboard breaks a rule of the file format (see
    /// [`Dashboard::validate`]).
    pub fn from_dashboard(dashboard: &Dashboard, origin: impl Into<String>) -> Result<Self, Error> {
        dashboard.validate()?;
        Self::parse(dashboard.to_json_pretty().as_bytes(), origin)
    }

    /// The file's name, as the caller gave it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The dashboard the file defines.
    pub fn dashboard(&self) -> &Dashboard {
        &self.dashboard
    }

    /// Where the name of the event at `index` (in file order) is; the start of the file for
    /// an index it does not have.
    pub fn event_position(&self, index: usize) -> Position {
        self.event(index).map_or(Position::START, |e| e.name)
    }

    /// Where the file's `business_events` list is (the start of the file without one).
    pub(crate) fn events_position(&self) -> Position {
        self.map.events.unwrap_or(Position::START)
    }

    pub(crate) fn event(&self, index: usize) -> Option<&EventMap> {
        self.map.event.get(index)
    }

    /// Where the event's `properties` list is.
    pub(crate) fn properties_position(&self, event: usize) -> Position {
        self.event(event).map_or(Position::START, |e| e.properties)
    }

    /// Where the event's `required` list is.
    pub(crate) fn required_position(&self, event: usize) -> Position {
        self.event(event).map_or(Position::START, |e| e.required)
    }

    /// Where property `key` (at `index` in `properties`) of the event is.
    pub(crate) fn property_position(&self, event: usize, index: usize) -> Position {
        self.event(event)
            .and_then(|e| e.property.get(index).copied())
            .unwrap_or_else(|| self.properties_position(event))
    }

    /// Where required key `index` of the event is.
    pub(crate) fn required_key_position(&self, event: usize, index: usize) -> Position {
        self.event(event)
            .and_then(|e| e.required_key.get(index).copied())
            .unwrap_or_else(|| self.required_position(event))
    }

    /// Where the `accounts` list is (the start of the file without one).
    pub(crate) fn accounts_position(&self) -> Position {
        self.map.accounts.unwrap_or(Position::START)
    }

    /// Where account `index` is.
    pub(crate) fn account_position(&self, index: usize) -> Position {
        self.map
            .account
            .get(index)
            .copied()
            .unwrap_or_else(|| self.accounts_position())
    }
}
