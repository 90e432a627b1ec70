//! Review (DESIGN §5): checklists as data, the decision matrix that suggests a verdict, and
//! autosaved, resumable, locked review sessions. No terminal types here: the TUI builds on this.

pub mod checklist;
pub mod decision;
pub mod demo;
pub mod session;

use std::path::PathBuf;

pub use checklist::{Checklist, Evidence, EvidenceKind, Outcome, Step};
pub use decision::{Suggestion, Verdict};
pub use session::{Session, SessionLock, SessionStore, StepState, VerdictChoice};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// A checklist file that does not load or is not a valid checklist.
    #[error("{file}: {problem}")]
    Checklist { file: String, problem: String },
    /// A session file that is not a valid session (left in place unless quarantined).
    #[error("{}: corrupt review session: {problem}", path.display())]
    Corrupt { path: PathBuf, problem: String },
    /// Another live mcpvet holds this review open.
    #[error("this review is open in another mcpvet (pid {pid} on {host}) since {since}; lock file {}", path.display())]
    Locked {
        path: PathBuf,
        pid: u32,
        host: String,
        since: String,
    },
    /// A lock file just created by someone else (not yet readable) or unreadable and recent.
    #[error("{}: review lock is held but unreadable: {problem}", path.display())]
    LockUnreadable { path: PathBuf, problem: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid review session key {0:?}")]
    BadKey(String),
}

impl ReviewError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ReviewError {
        ReviewError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Crafted reports for the unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::finding::{Category, Finding, Severity};
    use crate::report::{Capabilities, HostEntry, Report, Stats, ToolEntry, ToolInfo, SCHEMA};

    /// A verified, pinned npm package with no findings from the given provenance class.
    pub fn report(class: &str) -> Report {
        Report {
            schema: SCHEMA,
            tool: ToolInfo::default(),
            package: crate::fetch::PackageInfo {
                ecosystem: "npm".into(),
                name: "weather-mcp".into(),
                version: "1.2.3".into(),
                spec: "npm:weather-mcp@1.2.3".into(),
                source: "https://registry.example/weather-mcp/-/weather-mcp-1.2.3.tgz".into(),
                digest: "sha512-AAAA".into(),
                verified: true,
                pinned: true,
                moving: false,
                commit: None,
                artifact: "tarball".into(),
                notes: Vec::new(),
            },
            files: Vec::new(),
            findings: Vec::new(),
            capabilities: Capabilities::default(),
            tools: Vec::new(),
            risk: crate::risk::Risk::default(),
            provenance: crate::provenance::Provenance {
                class: class.into(),
                evidence: vec!["rule: test".into()],
                signals: Vec::new(),
            },
            dependencies: None,
            stats: Stats {
                files: 0,
                bytes: 0,
                entries: 0,
                elapsed_ms: 0,
            },
        }
    }

    pub fn finding(rule: &str, category: Category, severity: Severity, line: u32) -> Finding {
        let mut f = Finding::new(
            rule,
            category,
            severity,
            "src/index.js",
            format!("{rule} here"),
        );
        f.line = Some(line);
        f
    }

    /// Add findings (kept in the report's order: worst first) and a tool reaching all of them.
    pub fn with_findings(mut r: Report, findings: Vec<Finding>) -> Report {
        r.findings = findings;
        r.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        r.capabilities = Capabilities::from_findings(&r.findings);
        r.tools = vec![ToolEntry {
            name: "get_forecast".into(),
            kind: crate::analyze::SurfaceKind::Tool,
            description: Some("Forecast".into()),
            schema: None,
            path: "src/index.js".into(),
            line: 3,
            findings: (0..r.findings.len()).collect(),
            hash: String::new(),
        }];
        r
    }

    pub fn with_band(mut r: Report, score: u32, band: Severity) -> Report {
        r.risk.score = score;
        r.risk.band = band;
        r
    }

    pub fn with_host(mut r: Report, host: &str, kind: &str) -> Report {
        r.capabilities.hosts.push(HostEntry {
            host: host.into(),
            scheme: "https".into(),
            kind: kind.into(),
        });
        r
    }
}
