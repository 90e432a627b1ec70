//! The report (`mcpvet/report/v1`): one serializable value, the single source for every output.

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

use serde::Serialize;

use crate::analyze::Analysis;
use crate::archive::Unpacked;
use crate::fetch::PackageInfo;
use crate::finding::{Category, Finding, Severity};

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

impl Capabilities {
    /// Names the findings make concrete, each listed once, sorted.
    pub fn from_findings(findings: &[Finding]) -> Capabilities {
        use crate::finding::Category;
        use std::collections::BTreeSet;
        let mut env = BTreeSet::new();
        let mut exec = BTreeSet::new();
        let mut fs_write = BTreeSet::new();
        let mut sensitive = BTreeSet::new();
        for f in findings {
            let field = |k: &str| {
                f.evidence
                    .get(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            match f.category {
                Category::EnvRead => env.extend(field("variable")),
                Category::Exec => exec.extend(field("command")),
                Category::FsWrite => fs_write.extend(field("target")),
                Category::SensitiveRead => {
                    sensitive.extend(field("path").or_else(|| field("location")))
                }
                _ => {}
            }
        }
        Capabilities {
            hosts: Vec::new(),
            env: env.into_iter().collect(),
            exec: exec.into_iter().collect(),
            fs_write: fs_write.into_iter().collect(),
            sensitive_reads: sensitive.into_iter().collect(),
        }
    }
}

impl Capabilities {
    /// Add what `other` names and `self` does not (order kept, each listed once).
    pub fn merge(&mut self, other: Capabilities) {
        fn add<T: PartialEq>(dst: &mut Vec<T>, src: Vec<T>) {
            for v in src {
                if !dst.contains(&v) {
                    dst.push(v);
                }
            }
        }
        add(&mut self.hosts, other.hosts);
        add(&mut self.env, other.env);
        add(&mut self.exec, other.exec);
        add(&mut self.fs_write, other.fs_write);
        add(&mut self.sensitive_reads, other.sensitive_reads);
    }
}

/// The pin for what the model sees of a tool: kind, name, description and schema, each
/// length-prefixed so no two different tools hash alike.
pub fn surface_hash(
    kind: crate::analyze::SurfaceKind,
    name: &str,
    description: &Option<String>,
    schema: &Option<String>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let kind = match kind {
        crate::analyze::SurfaceKind::Tool => "tool",
        crate::analyze::SurfaceKind::Prompt => "prompt",
        crate::analyze::SurfaceKind::Resource => "resource",
    };
    for part in [
        Some(kind),
        Some(name),
        description.as_deref(),
        schema.as_deref(),
    ] {
        match part {
            Some(p) => {
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
    format!("sha256:{}", hex::encode(h.finalize()))
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
    pub risk: crate::risk::Risk,
    /// Who published it and how it classifies (DESIGN §4); none for config-only reports.
    pub provenance: crate::provenance::Provenance,
    /// Direct and transitive dependencies with their flags; absent when not resolved
    /// (`--no-deps`, local, git and config-only reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<crate::deps::Dependencies>,
    pub stats: Stats,
}

/// Dependencies worth a line in a short summary: flagged ones, worst flag first, then by depth
/// and name. Each entry: (`name@version` or `name spec`, depth, flags).
pub fn flagged_dependencies(
    d: &crate::deps::Dependencies,
) -> Vec<(String, u32, Vec<&crate::deps::Flag>)> {
    use crate::deps::FlagKind;
    let label = |name: &str, v: Option<&str>, spec: &str| match v {
        Some(v) if !v.is_empty() => format!("{name}@{v}"),
        _ => format!("{name} {spec}"),
    };
    let mut out: Vec<(String, u32, Vec<&crate::deps::Flag>)> = Vec::new();
    for x in &d.direct {
        if !x.flags.is_empty() {
            out.push((
                label(&x.name, x.resolved.as_deref(), &x.spec),
                1,
                x.flags.iter().collect(),
            ));
        }
    }
    for t in &d.transitive {
        if !t.flags.is_empty() {
            out.push((
                label(&t.name, Some(&t.version), &t.spec),
                t.depth,
                t.flags.iter().collect(),
            ));
        }
    }
    let worst = |fl: &[&crate::deps::Flag]| {
        fl.iter()
            .map(|f| f.flag.severity())
            .max()
            .unwrap_or(Severity::Info)
    };
    // Severity first; within one, low-weight flags (single maintainer) after the rest.
    let noise = |fl: &[&crate::deps::Flag]| {
        fl.iter()
            .all(|f| matches!(f.flag, FlagKind::SingleMaintainer | FlagKind::Floating))
    };
    out.sort_by(|a, b| {
        worst(&b.2)
            .cmp(&worst(&a.2))
            .then(noise(&a.2).cmp(&noise(&b.2)))
            .then(a.1.cmp(&b.1))
            .then(a.0.cmp(&b.0))
    });
    out
}

impl Report {
    /// The package's band for `--fail-on`. Until the risk score exists this is the worst
    /// finding's severity; `info` findings count as below `low` (no band).
    /// The risk band (`--fail-on` compares against it); none for a package with nothing to
    /// weigh (score 0).
    pub fn band(&self) -> Option<Severity> {
        (self.risk.score > 0).then_some(self.risk.band)
    }

    /// Findings per category, counted per severity (index: `Severity as usize`), categories in
    /// the order of their worst finding, then by name.
    pub fn counts(&self) -> Vec<(Category, [usize; 5])> {
        let mut map: std::collections::BTreeMap<Category, [usize; 5]> = Default::default();
        for f in &self.findings {
            map.entry(f.category).or_default()[f.severity as usize] += 1;
        }
        let mut v: Vec<(Category, [usize; 5])> = map.into_iter().collect();
        let worst = |c: &[usize; 5]| c.iter().rposition(|&n| n > 0).unwrap_or(0);
        v.sort_by(|a, b| worst(&b.1).cmp(&worst(&a.1)).then(a.0.cmp(&b.0)));
        v
    }

    pub fn new(
        package: PackageInfo,
        unpacked: &Unpacked,
        analysis: Analysis,
        provenance: crate::provenance::Provenance,
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
        // Archive findings first, then the analysis'; tools index the combined list, which is
        // then sorted (the indices follow the sort).
        let mut findings = unpacked.findings.clone();
        let base = findings.len();
        findings.extend(analysis.findings);
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&findings[a], &findings[b]);
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        let mut new_index = vec![0; findings.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
        let findings: Vec<Finding> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let tools = analysis
            .surface
            .into_iter()
            .map(|found| {
                let s = found.surface;
                let mut indices: Vec<usize> =
                    s.reaches.iter().map(|&i| new_index[base + i]).collect();
                indices.sort_unstable();
                ToolEntry {
                    hash: surface_hash(s.kind, &s.name, &s.description, &s.schema),
                    name: s.name,
                    kind: s.kind,
                    description: s.description,
                    schema: s.schema,
                    path: found.path,
                    line: s.line,
                    findings: indices,
                }
            })
            .collect();
        let mut capabilities = Capabilities::from_findings(&findings);
        capabilities.hosts = analysis
            .hosts
            .into_iter()
            .map(|h| HostEntry {
                host: h.host,
                scheme: h.scheme,
                kind: h.kind.as_str().to_string(),
            })
            .collect();
        let mut report = Report {
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
            capabilities,
            tools,
            risk: crate::risk::Risk::default(),
            provenance,
            dependencies: None,
        };
        // Everything the risk weighs is in place now: findings, tools, package, provenance.
        report.risk = crate::risk::assess(&report);
        report
    }
}
