//! `bulletins dashboard codegen FILE [--out PATH] [--check]`: the Rust module of a dashboard's
//! events, printed, written, or compared with the file on disk (`--check`, like
//! `cargo fmt --check`). The generator is `bulletins_dashboard::codegen`, which a `build.rs`
//! calls too.

use std::io::Write as _;
use std::path::{Component, Path};

use bulletins_dashboard::codegen::{self, DeriveCrate, Options};
use bulletins_dashboard::{Dashboard, ErrorKind};

use crate::cli::dashboard::{CodegenArgs, Crate};
use crate::exit::{Exit, Failure, Result};

pub(super) fn run(args: &CodegenArgs) -> Result<Exit> {
    let dashboard = Dashboard::from_file(&args.file).map_err(|e| match e.kind() {
        ErrorKind::Read(_) => Failure::usage(e.to_string()),
        _ => Failure::new(Exit::Invalid, e.to_string()),
    })?;
    let derive_crate = match args.krate {
        Crate::BulletinsCore => DeriveCrate::BulletinsCore,
        Crate::BulletinsHttp => DeriveCrate::BulletinsHttp,
    };
    let options = Options::new(source_name(&args.file)).derive_crate(derive_crate);
    // A dashboard read from a file always passes the checks `generate` makes.
    let code = codegen::generate(&dashboard, &options)
        .map_err(|e| Failure::new(Exit::Invalid, e.to_string()))?;
    let events = dashboard.events().len();
    match (&args.out, args.check) {
        (None, _) => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(code.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::new(Exit::Failed, format!("cannot print the module: {e}")))?;
            Ok(Exit::Success)
        }
        (Some(out), false) => write(out, &code, events),
        (Some(out), true) => check(args, out, &code),
    }
}

/// The file as the header names it: as written, without `./`, with `/` between components,
/// so `./bulletins.json` and `bulletins.json` generate the same text.
fn source_name(file: &Path) -> String {
    let parts: Vec<String> = file
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [root, rest @ ..] if root == "/" => format!("/{}", rest.join("/")),
        _ => parts.join("/"),
    }
}

/// Writes the module unless the file already holds it, so an unchanged module keeps its
/// modification time and rebuilds nothing.
fn write(out: &Path, code: &str, events: usize) -> Result<Exit> {
    let s = if events == 1 { "" } else { "s" };
    if std::fs::read(out).is_ok_and(|old| old == code.as_bytes()) {
        eprintln!("{} is up to date ({events} event{s})", out.display());
        return Ok(Exit::Success);
    }
    std::fs::write(out, code)
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot write {}: {e}", out.display())))?;
    eprintln!("wrote {} ({events} event{s})", out.display());
    Ok(Exit::Success)
}

/// Compares the file on disk with the module: exit 0 when equal, else the diff on stdout and
/// exit 3. A missing file is stale (its diff adds every line).
fn check(args: &CodegenArgs, out: &Path, code: &str) -> Result<Exit> {
    let (old, missing) = match std::fs::read(out) {
        Ok(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), true),
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read {}: {e}",
                out.display()
            )))
        }
    };
    if old == code {
        eprintln!("{} is up to date", out.display());
        return Ok(Exit::Success);
    }
    let shown = out.display().to_string();
    // `a/` and `b/`, as git writes them, so `git apply` takes the diff of a relative path.
    let (a, b) = if out.is_relative() {
        (format!("a/{shown}"), format!("b/{shown}"))
    } else {
        (shown.clone(), shown.clone())
    };
    let diff = similar::TextDiff::from_lines(old.as_str(), code)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(diff.as_bytes())
        .and_then(|()| stdout.flush());
    let problem = if missing { "is missing" } else { "is stale" };
    Err(Failure::new(
        Exit::Invalid,
        format!(
            "{shown} {problem}: it is not what {} generates (the diff is on stdout)",
            args.file.display()
        ),
    )
    .hint(format!(
        "run `bulletins dashboard codegen {} --out {shown}{}` and commit the result",
        args.file.display(),
        match args.krate {
            Crate::BulletinsCore => "",
            Crate::BulletinsHttp => " --crate bulletins-http",
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_named_without_dot_components() {
        assert_eq!(source_name(Path::new("./bulletins.json")), "bulletins.json");
        assert_eq!(
            source_name(Path::new("schema/./bulletins.json")),
            "schema/bulletins.json"
        );
        assert_eq!(
            source_name(Path::new("/srv/bulletins.json")),
            "/srv/bulletins.json"
        );
    }
}
