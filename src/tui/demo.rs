//! The demo package (assets/demo/weather-mcp), embedded so a first run works offline. It is
//! analysed in memory like any package and never run.

use crate::archive::{PackageFile, PackageTree, Unpacked};
use crate::fetch::PackageInfo;

const FILES: &[(&str, &str)] = &[
    (
        "README.md",
        include_str!("../../assets/demo/weather-mcp/README.md"),
    ),
    (
        "package.json",
        include_str!("../../assets/demo/weather-mcp/package.json"),
    ),
    (
        "src/index.js",
        include_str!("../../assets/demo/weather-mcp/src/index.js"),
    ),
    (
        "src/setup.js",
        include_str!("../../assets/demo/weather-mcp/src/setup.js"),
    ),
];

pub const SPEC: &str = "demo:weather-mcp-demo";

/// The demo's package block and tree.
pub fn package() -> (PackageInfo, Unpacked) {
    let mut tree = PackageTree::new();
    let mut manifest = String::new();
    for (path, text) in FILES {
        manifest.push_str(&format!(
            "{}  {}\n",
            crate::util::sha256_hex(text.as_bytes()),
            path
        ));
        tree.insert(
            *path,
            PackageFile {
                bytes: text.as_bytes().to_vec(),
                size: text.len() as u64,
                truncated: false,
                executable: false,
            },
        );
    }
    let info = PackageInfo {
        ecosystem: "local".into(),
        name: "weather-mcp-demo".into(),
        version: "1.4.2".into(),
        spec: SPEC.into(),
        source: "built into mcpvet (assets/demo/weather-mcp)".into(),
        digest: format!(
            "sha256-tree:{}",
            crate::util::sha256_hex(manifest.as_bytes())
        ),
        verified: false,
        pinned: true,
        moving: false,
        commit: None,
        artifact: "directory".into(),
        notes: vec!["demo package shipped with mcpvet: analysed in memory, never run".into()],
    };
    let unpacked = Unpacked {
        tree,
        findings: Vec::new(),
        entries: FILES.len(),
    };
    (info, unpacked)
}
