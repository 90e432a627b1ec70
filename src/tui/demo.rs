//! The demo package (`assets/demo`, embedded by [`crate::review::demo`]) as an in-memory tree,
//! so a first run works offline and writes nothing. It is analysed like any package, never run.

use crate::archive::{PackageFile, PackageTree, Unpacked};
use crate::fetch::PackageInfo;
use crate::review::demo::FILES;

pub const SPEC: &str = "demo:mcpvet-demo-weather";

/// The demo's package block and tree.
pub fn package() -> (PackageInfo, Unpacked) {
    let mut tree = PackageTree::new();
    let mut manifest = String::new();
    let mut name = "mcpvet-demo-weather".to_string();
    let mut version = String::new();
    for (path, bytes) in FILES {
        manifest.push_str(&format!("{}  {}\n", crate::util::sha256_hex(bytes), path));
        if *path == "package.json" {
            if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) {
                if let Some(n) = doc.get("name").and_then(|v| v.as_str()) {
                    name = n.to_string();
                }
                if let Some(v) = doc.get("version").and_then(|v| v.as_str()) {
                    version = v.to_string();
                }
            }
        }
        tree.insert(
            *path,
            PackageFile {
                bytes: bytes.to_vec(),
                size: bytes.len() as u64,
                truncated: false,
                executable: false,
            },
        );
    }
    let info = PackageInfo {
        ecosystem: "local".into(),
        name,
        version,
        spec: SPEC.into(),
        source: "built into mcpvet (assets/demo)".into(),
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
