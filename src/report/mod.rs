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
    /// Whether an analyzer read this file (JavaScript, TypeScript and Python so far).
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

/// One host the package names (string literals, template prefixes, base URLs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HostEntry {
    pub host: String,
    pub scheme: String,
    /// `public|ip|internal|loopback|link-local|metadata`.
    pub kind: String,
}

/// What the package can do, summed up from its findings (DESIGN §3).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Capabilities {
    pub hosts: Vec<HostEntry>,
    /// Environment variables read by name.
    pub env: Vec<String>,
    /// Commands started, where the code names them.
    pub exec: Vec<String>,
    /// Paths written, where the code names them.
    pub fs_write: Vec<String>,
    /// Credential locations read.
    pub sensitive_reads: Vec<String>,
}

/// One MCP tool, prompt or resource and what its handler reaches.
#[derive(Debug, Clone, Serialize)]
pub struct ToolEntry {
    pub name: String,
    pub kind: crate::analyze::SurfaceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub path: String,
    pub line: u32,
    /// Indices into the report's `findings`.
    pub findings: Vec<usize>,
    /// sha256 over kind, name, description and schema: changes when what the model sees changes.
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: ToolInfo,
    pub package: PackageInfo,
    pub files: Vec<FileEntry>,
    pub findings: Vec<Finding>,
    pub capabilities: Capabilities,
    pub tools: Vec<ToolEntry>,
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
            capabilities: Capabilities::default(),
            tools: Vec::new(),
        }
    }
}
