//! Which dashboard file applies to a derive, reading it (once per compiler process), and the
//! tokens that make cargo rebuild when it changes.
//!
//! The file is `dashboard = "..."` on the struct, relative to the crate's manifest directory;
//! else the compile-time environment variable `BULLETINS_DASHBOARD` (absolute, or relative to
//! the manifest directory); else none. The rules it enforces are in
//! [`dashboard_check`](crate::dashboard_check).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use bulletins_dashboard::{Dashboard, DASHBOARD_ENV};
use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ast::Event;
use crate::ctxt::Ctxt;
use crate::dashboard_check;

/// Checks the event against the dashboard that applies, if one does, and returns the tokens
/// that track the file and the variable, to be emitted whether or not the event has errors.
pub(crate) fn check(cx: &mut Ctxt, event: &mut Event<'_>) -> TokenStream {
    let Some(file) = find(event) else {
        return track(None);
    };
    let tracking = track(Some(&file.path));
    match load(&file.path) {
        Ok(dashboard) => dashboard_check::check(cx, event, &dashboard, &file.shown),
        Err(Load::Read(error)) => {
            let origin = if file.from_env {
                format!(
                    " (named by `{DASHBOARD_ENV}`, absolute or relative to the crate's directory)"
                )
            } else {
                " (relative to the crate's directory)".to_owned()
            };
            cx.error_at(
                file.span,
                format!(
                    "cannot read the dashboard file `{}`{origin}: {error}",
                    file.shown
                ),
            );
            // A file that cannot be read cannot be included either.
            return track(None);
        }
        Err(Load::Refused(error)) => {
            let at = match (error.line(), error.column()) {
                (Some(line), Some(column)) => format!(":{line}:{column}"),
                _ => String::new(),
            };
            cx.error_at(
                file.span,
                format!(
                    "the dashboard file is refused: `{}{at}`: {}",
                    file.shown,
                    error.problem()
                ),
            );
        }
    }
    tracking
}

/// The dashboard file of one derive.
struct File {
    /// Where it is, for reading and for `include_bytes!`.
    path: PathBuf,
    /// How messages name it: as the user wrote it, never an absolute path of this machine.
    shown: String,
    /// Where its problems are reported: the `dashboard` literal, or the derive.
    span: Span,
    /// Whether `BULLETINS_DASHBOARD` named it.
    from_env: bool,
}

fn find(event: &Event<'_>) -> Option<File> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let base = manifest_dir.unwrap_or_default();
    if let Some(literal) = &event.attrs.dashboard {
        let written = literal.value();
        return Some(File {
            path: base.join(&written),
            shown: written,
            span: literal.span(),
            from_env: false,
        });
    }
    if event.attrs.dashboard_attempted {
        // A malformed `dashboard` was reported where it is written.
        return None;
    }
    let written = std::env::var_os(DASHBOARD_ENV).filter(|value| !value.is_empty())?;
    let path = base.join(&written);
    Some(File {
        shown: shown(&path, &base),
        path,
        span: Span::call_site(),
        from_env: true,
    })
}

/// The path as messages show it: relative to the manifest directory (with `..` where needed),
/// since cargo's `[env] ... relative = true` hands the macro an absolute path the user never
/// wrote, and an absolute path of the build machine helps no one reading the error elsewhere.
fn shown(path: &Path, base: &Path) -> String {
    if path.is_relative() || base.as_os_str().is_empty() {
        return path.display().to_string();
    }
    let path: Vec<Component<'_>> = path.components().collect();
    let base: Vec<Component<'_>> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for component in &path[common..] {
        relative.push(component);
    }
    relative.display().to_string()
}

/// Why a dashboard could not be used.
enum Load {
    Read(std::io::Error),
    Refused(Arc<bulletins_dashboard::Error>),
}

type Parsed = Result<Arc<Dashboard>, Arc<bulletins_dashboard::Error>>;

/// A parsed file, with the modification time and length it had when parsed.
struct Cached {
    modified: Option<SystemTime>,
    len: u64,
    parsed: Parsed,
}

/// Files parsed in this process, by path, with the modification time and length they had:
/// rustc runs a derive once per struct, and rust-analyzer keeps one process for hours.
fn cache() -> &'static Mutex<HashMap<PathBuf, Cached>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Cached>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// How many files this process has parsed (the cache's effect, seen by the unit tests).
#[cfg(test)]
static PARSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn load(path: &Path) -> Result<Arc<Dashboard>, Load> {
    let metadata = std::fs::metadata(path).map_err(Load::Read)?;
    let (modified, len) = (metadata.modified().ok(), metadata.len());
    let mut cache = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cached) = cache.get(path) {
        if cached.modified == modified && cached.len == len {
            return cached.parsed.clone().map_err(Load::Refused);
        }
    }
    let bytes = std::fs::read(path).map_err(Load::Read)?;
    #[cfg(test)]
    PARSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Errors are shown with the path as each derive's user wrote it, not this origin.
    let parsed: Parsed = Dashboard::from_slice(&bytes, "")
        .map(Arc::new)
        .map_err(Arc::new);
    let cached = Cached {
        modified,
        len,
        parsed: parsed.clone(),
    };
    cache.insert(path.to_owned(), cached);
    parsed.map_err(Load::Refused)
}

/// Reads of the file and of `BULLETINS_DASHBOARD` that rustc records as the crate's inputs, so
/// that editing the file, or setting, changing or unsetting the variable, re-runs the derive
/// on the next build (stable Rust has no other way for a macro to declare them).
fn track(path: Option<&Path>) -> TokenStream {
    let file = path.map(|path| {
        let path = path.to_string_lossy();
        quote!(let _ = ::core::include_bytes!(#path);)
    });
    quote! {
        const _: () = {
            #file
            let _ = ::core::option_env!(#DASHBOARD_ENV);
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_are_shown_relative_to_the_manifest_directory() {
        let base = Path::new("/ws/examples/schema");
        assert_eq!(
            shown(Path::new("/ws/examples/schema/bulletins.json"), base),
            "bulletins.json"
        );
        assert_eq!(
            shown(Path::new("/ws/bulletins.json"), base),
            Path::new("../../bulletins.json").display().to_string()
        );
        assert_eq!(shown(Path::new("a/b.json"), base), "a/b.json");
    }

    #[test]
    fn a_file_is_parsed_once_until_it_changes() {
        use std::sync::atomic::Ordering;
        let dir =
            std::env::temp_dir().join(format!("bulletins-derive-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bulletins.json");
        std::fs::write(&path, r#"{"business_events":[{"name":"a"}]}"#).unwrap();
        let before = PARSES.load(Ordering::Relaxed);
        for _ in 0..3 {
            assert!(load(&path).is_ok_and(|d| d.event("a").is_some()));
        }
        assert_eq!(PARSES.load(Ordering::Relaxed) - before, 1);
        // A different length is a different file, whatever the clock's resolution.
        std::fs::write(&path, r#"{"business_events":[{"name":"bb"}]}"#).unwrap();
        assert!(load(&path).is_ok_and(|d| d.event("bb").is_some()));
        assert_eq!(PARSES.load(Ordering::Relaxed) - before, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
