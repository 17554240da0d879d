//! The README's getting-started blocks are real: its testing snippet is `tests/orders.rs`
//! byte for byte, after the file's header (so pasting it runs a test), the schema crate's
//! compile-fail suite in `docs/events.md` is `schema/tests/ui.rs` the same way, and its
//! dependency block names this release.

use std::path::Path;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The contents of every fenced block whose info string starts with `lang`.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) if info.split(',').next() == Some(lang) => {
                current = Some(String::new())
            }
            (Some(block), Some("")) => {
                found.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    found
}

/// The file after its `//!` header (which says what it is) and the blank line after that.
fn after_header(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let file = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    file.lines()
        .skip_while(|line| line.starts_with("//!"))
        .skip_while(|line| line.is_empty())
        .flat_map(|line| [line, "\n"])
        .collect()
}

#[test]
fn the_readme_testing_snippet_is_tests_orders_rs() {
    let snippet = after_header("tests/orders.rs");
    assert!(
        blocks(&readme(), "rust").contains(&snippet),
        "README.md has no ```rust block equal to examples/tests/orders.rs: copy the file into the \
         README's testing section (or the section into the file) so the snippet stays a real test"
    );
}

#[test]
fn the_documented_contract_suite_is_the_schema_crate_s_tests_ui_rs() {
    let snippet = after_header("schema/tests/ui.rs");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/events.md");
    let page = std::fs::read_to_string(&path).expect("docs/events.md");
    assert!(
        blocks(&page, "rust").contains(&snippet),
        "docs/events.md has no ```rust block equal to examples/schema/tests/ui.rs after its \
         header: copy the file into \"Pinning the contract\" (or the block into the file)"
    );
}

#[test]
fn the_readme_dependency_block_names_this_release() {
    let version = env!("CARGO_PKG_VERSION");
    let release = version
        .rsplit_once('.')
        .map_or(version, |(major_minor, _)| major_minor);
    let toml = blocks(&readme(), "toml").join("");
    for line in [
        format!("bulletins-http = \"{release}\""),
        format!("bulletins-emulator = \"{release}\""),
        // #[tokio::main] needs the multi-threaded runtime; both attributes need the macros.
        r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#.to_owned(),
        "[dev-dependencies]".to_owned(),
    ] {
        assert!(
            toml.contains(&line),
            "README.md's dependency block lacks `{line}`"
        );
    }
}

/// A newcomer reads the README in one sitting: the depth is in the pages it links to.
#[test]
fn the_readme_stays_short_and_every_relative_link_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = readme();
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md is {lines} lines; move the depth to a page under docs/ and link it"
    );
    let mut pages = vec![(root.join("README.md"), readme)];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "md") {
            let text = std::fs::read_to_string(&path).expect("a page");
            pages.push((path, text));
        }
    }
    for (page, text) in &pages {
        let dir = page.parent().expect("a directory");
        for target in relative_links(text) {
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() {
                continue;
            }
            assert!(
                dir.join(file).exists(),
                "{} links to {target}, which does not exist",
                page.display()
            );
        }
    }
}

/// The targets of `[text](target)` links that are not URLs.
fn relative_links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .filter(|target| !target.contains("://") && !target.starts_with("mailto:"))
        .collect()
}
