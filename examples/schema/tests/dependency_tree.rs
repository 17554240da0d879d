//! The point of a schema crate: services share it without it pulling in an HTTP stack.

use std::process::Command;

#[test]
fn the_schema_crate_depends_on_no_http_client_or_runtime() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--package",
            "bulletins-example-schema",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).expect("utf-8");
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"bulletins-core"), "{tree}");
    for forbidden in ["reqwest", "tokio", "hyper", "axum", "bulletins-http"] {
        assert!(
            !crates.contains(&forbidden),
            "{forbidden} is in the schema crate's dependency tree:\n{tree}"
        );
    }
}
