//! Opt-in tests against the real npm registry and PyPI. They need the network, so they are
//! ignored by default: `cargo test --test real_registries -- --ignored`.

mod common;

use common::{file_paths, json, mcpvet, RunOk};

#[test]
#[ignore = "network: run with --ignored"]
fn real_npm_server_filesystem() {
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args([
            "scan",
            "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
            "--format",
            "json",
        ])
        .ok_stdout();
    let r = json(&out);
    assert_eq!(
        r["package"]["digest"],
        "sha512-kKaFkyAh6oipvc9+EAbJ552JafnMnOq5nzmzWkp1jJdBhTAAGpmIpWihUG1+rfNhmEFM98gUZDdCHCDD4v6a7Q=="
    );
    assert_eq!(r["package"]["verified"], true);
    assert_eq!(r["package"]["pinned"], true);
    let paths = file_paths(&r);
    assert!(
        paths.iter().any(|p| p == "dist/index.js") && paths.iter().any(|p| p == "package.json"),
        "{paths:?}"
    );
}

#[test]
#[ignore = "network: run with --ignored"]
fn real_pypi_mcp_server_fetch() {
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args(["scan", "pypi:mcp-server-fetch", "--format", "json"])
        .ok_stdout();
    let r = json(&out);
    assert_eq!(r["package"]["name"], "mcp-server-fetch");
    assert_eq!(r["package"]["verified"], true);
    assert_eq!(r["package"]["pinned"], false);
    assert!(r["package"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(r["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["language"] == "python"));
}
