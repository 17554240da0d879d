//! A snapshot test for teams whose events live in code: the checked-in file must be what the
//! code writes, and is rewritten when an environment variable asks (as expect-test's
//! `UPDATE_EXPECT=1` does).

use std::fmt;
use std::path::Path;

use crate::breaking::breaking;
use crate::error::Error;
use crate::finding::Finding;
use crate::model::Dashboard;
use crate::source::DashboardFile;

/// The environment variable that makes [`expect_file`] write the file instead of failing when
/// it is stale: `BULLETINS_UPDATE_DASHBOARD=1 cargo test`. Empty or `0` counts as unset.
pub const UPDATE_ENV: &str = "BULLETINS_UPDATE_DASHBOARD";

/// What [`expect_file`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshot {
    /// The file already was what the code writes.
    Fresh,
    /// The file was stale or missing, and was written (the update was asked for).
    Written,
}

/// Why [`expect_file`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file is not what the code writes, or does not exist.
    Stale {
        /// The file, as the caller named it.
        path: String,
        /// Whether it does not exist at all.
        missing: bool,
        /// What writing it would change, as the comparison sees it (an error breaks services
        /// raising the event). Empty when only order or layout differ, or the file is refused.
        changes: Vec<Finding>,
        /// Why the file on disk is refused, if it is.
        refused: Option<String>,
    },
    /// The expected dashboard breaks a rule of the file format (two events with one name...).
    Invalid(Error),
    /// The file could not be read or written.
    Io {
        /// The file, as the caller named it.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Checks that the file at `path` is `expected` as [`Dashboard::to_json_pretty`] writes it;
/// when [`UPDATE_ENV`] is set, writes it instead of failing.
///
/// A schema crate's test, with `bulletins_core::dashboard::from_schemas` building `expected`
/// from the derived events' `StaticEvent::SCHEMA`:
///
/// ```ignore
/// #[test]
/// fn bulletins_json_is_what_the_events_write() {
///     let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bulletins.json");
///     let expected = bulletins_core::dashboard::from_schemas(my_schema::SCHEMAS);
///     bulletins_core::dashboard::expect_file(&expected, &path).unwrap_or_else(|e| panic!("{e}"));
/// }
/// ```
///
/// # Errors
/// [`SnapshotError::Stale`] when the file differs or is missing (and no update was asked
/// for); its `Display` lists what an update would change and says how to make it.
pub fn expect_file(
    expected: &Dashboard,
    path: impl AsRef<Path>,
) -> Result<Snapshot, SnapshotError> {
    let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    expect_file_or_update(expected, path, update)
}

/// [`expect_file`], with the decision to write made by the caller rather than by
/// [`UPDATE_ENV`].
///
/// # Errors
/// As [`expect_file`].
pub fn expect_file_or_update(
    expected: &Dashboard,
    path: impl AsRef<Path>,
    update: bool,
) -> Result<Snapshot, SnapshotError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let io = |source| SnapshotError::Io {
        path: name.clone(),
        source,
    };
    let new = DashboardFile::from_dashboard(expected, &name).map_err(SnapshotError::Invalid)?;
    let text = expected.to_json_pretty();
    let on_disk = match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    // A checkout with CRLF line ends holds the same file.
    let same = on_disk
        .as_deref()
        .is_some_and(|bytes| String::from_utf8_lossy(bytes).replace("\r\n", "\n") == text);
    if same {
        return Ok(Snapshot::Fresh);
    }
    if update {
        std::fs::write(path, text).map_err(io)?;
        return Ok(Snapshot::Written);
    }
    let (changes, refused) = match on_disk.as_deref().map(|b| DashboardFile::parse(b, &name)) {
        Some(Ok(old)) => (breaking(&old, &new), None),
        Some(Err(e)) => (Vec::new(), Some(e.to_string())),
        None => (Vec::new(), None),
    };
    Err(SnapshotError::Stale {
        path: name,
        missing: on_disk.is_none(),
        changes,
        refused,
    })
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Stale {
                path,
                missing,
                changes,
                refused,
            } => {
                if *missing {
                    write!(f, "{path} does not exist")?;
                } else {
                    write!(f, "{path} is stale: it is not what the code writes")?;
                }
                if let Some(refused) = refused {
                    write!(f, "\n  the file is refused: {refused}")?;
                } else if !missing && changes.is_empty() {
                    f.write_str("\n  (the same events, in another order or layout)")?;
                }
                for change in changes {
                    let level = change.level();
                    write!(f, "\n  {level}[{}]: {}", change.rule(), change.message())?;
                }
                write!(
                    f,
                    "\nwrite it with {UPDATE_ENV}=1 (for instance `{UPDATE_ENV}=1 cargo test`), then review its diff"
                )
            }
            SnapshotError::Invalid(e) => write!(f, "the expected dashboard is invalid: {e}"),
            SnapshotError::Io { path, source } => {
                write!(f, "cannot read or write {path}: {source}")
            }
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Invalid(e) => Some(e),
            SnapshotError::Io { source, .. } => Some(source),
            SnapshotError::Stale { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventDefinition;

    fn expected() -> Dashboard {
        Dashboard::new().with_event(
            EventDefinition::new("order_placed")
                .properties(["order_id", "coupon_code"])
                .required(["order_id", "coupon_code"]),
        )
    }

    #[test]
    fn a_fresh_file_passes_and_a_crlf_checkout_is_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulletins.json");
        std::fs::write(&path, expected().to_json_pretty()).unwrap();
        assert_eq!(
            expect_file_or_update(&expected(), &path, false).unwrap(),
            Snapshot::Fresh
        );
        std::fs::write(&path, expected().to_json_pretty().replace('\n', "\r\n")).unwrap();
        assert_eq!(
            expect_file_or_update(&expected(), &path, false).unwrap(),
            Snapshot::Fresh
        );
    }

    #[test]
    fn a_stale_file_fails_saying_what_an_update_changes_and_how_to_make_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulletins.json");
        let old = Dashboard::new().with_event(
            EventDefinition::new("order_placed")
                .properties(["order_id", "coupon_code"])
                .required(["order_id"]),
        );
        std::fs::write(&path, old.to_json_pretty()).unwrap();
        let error = expect_file_or_update(&expected(), &path, false).unwrap_err();
        let shown = error.to_string();
        let name = path.display();
        assert_eq!(
            shown,
            format!(
                "{name} is stale: it is not what the code writes\n  \
                 error[property-became-required]: business event \"order_placed\": property \"coupon_code\" became required: every service raising the event without it breaks (CleverTap answers \"Property coupon_code missing\")\n\
                 write it with BULLETINS_UPDATE_DASHBOARD=1 (for instance `BULLETINS_UPDATE_DASHBOARD=1 cargo test`), then review its diff"
            )
        );
        // The file is left alone; with the update asked for, it is written, then fresh.
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            old.to_json_pretty()
        );
        assert_eq!(
            expect_file_or_update(&expected(), &path, true).unwrap(),
            Snapshot::Written
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            expected().to_json_pretty()
        );
        assert_eq!(
            expect_file_or_update(&expected(), &path, false).unwrap(),
            Snapshot::Fresh
        );
    }

    #[test]
    fn a_missing_a_reordered_or_a_refused_file_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulletins.json");
        let shown = expect_file_or_update(&expected(), &path, false)
            .unwrap_err()
            .to_string();
        assert!(
            shown.starts_with(&format!("{} does not exist\nwrite it with", path.display())),
            "{shown}"
        );
        let two = expected().with_event(EventDefinition::new("e"));
        let reordered = Dashboard::new()
            .with_event(EventDefinition::new("e"))
            .with_event(expected().events()[0].clone());
        std::fs::write(&path, reordered.to_json_pretty()).unwrap();
        let shown = expect_file_or_update(&two, &path, false)
            .unwrap_err()
            .to_string();
        assert!(
            shown.contains("\n  (the same events, in another order or layout)\n"),
            "{shown}"
        );
        std::fs::write(&path, "{").unwrap();
        let shown = expect_file_or_update(&two, &path, false)
            .unwrap_err()
            .to_string();
        assert!(shown.contains("\n  the file is refused: "), "{shown}");
        assert_eq!(
            expect_file_or_update(&two, &path, true).unwrap(),
            Snapshot::Written
        );
    }

    #[test]
    fn an_invalid_expected_dashboard_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulletins.json");
        let twice = expected().with_event(EventDefinition::new("order_placed"));
        let error = expect_file_or_update(&twice, &path, true).unwrap_err();
        assert!(matches!(error, SnapshotError::Invalid(_)), "{error}");
        assert!(!path.exists());
    }
}
