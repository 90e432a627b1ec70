//! The report (`mcpvet/report/v1`): one serializable value, the single source for every output.

pub mod json;
pub mod text;

use serde::Serialize;

use crate::analyze::Analysis;
use crate::archive::Unpacked;
use crate::fetch::PackageInfo;
use crate::finding::Finding;

pub const SCHEMA: &str = "mcpvet/report/v1";

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "mcpvet",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub language: &'static str,
    /// Full size of the file as packaged.
    pub bytes: u64,
    /// sha256 of the bytes kept (the whole file unless `truncated`).
    pub sha256: String,
    /// Whether an analyzer read this file (JavaScript and TypeScript so far).
    pub analyzed: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub executable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    /// Archive entries seen while unpacking (including refused ones).
    pub entries: usize,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: ToolInfo,
    pub package: PackageInfo,
    pub files: Vec<FileEntry>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

impl Report {
    pub fn new(
        package: PackageInfo,
        unpacked: &Unpacked,
        analysis: Analysis,
        elapsed_ms: u64,
    ) -> Report {
        let files: Vec<FileEntry> = unpacked
            .tree
            .iter()
            .map(|(path, f)| FileEntry {
                path: path.to_string(),
                language: crate::analyze::lang::guess(path, &f.bytes),
                bytes: f.size,
                sha256: crate::util::sha256_hex(&f.bytes),
                analyzed: analysis.analyzed.contains(path),
                truncated: f.truncated,
                executable: f.executable,
            })
            .collect();
        let mut findings = unpacked.findings.clone();
        findings.extend(analysis.findings);
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        Report {
            schema: SCHEMA,
            tool: ToolInfo::default(),
            stats: Stats {
                files: files.len(),
                bytes: files.iter().map(|f| f.bytes).sum(),
                entries: unpacked.entries,
                elapsed_ms,
            },
            package,
            files,
            findings,
        }
    }
}
