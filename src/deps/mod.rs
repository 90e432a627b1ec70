//! Dependencies (issue 4): the direct dependencies a package's manifest declares, the transitive
//! set resolved through the registry the fetch uses (npm packuments and semver ranges, PyPI JSON
//! and PEP 440 specifiers), and flags per dependency with their evidence.
//!
//! Resolution is bounded (depth, requests in flight, total packages) and every registry document
//! is fetched at most once per run and cached on disk as a compact summary with the metadata
//! TTL; `--offline` uses only the cache and lists what it could not resolve. Registry documents
//! are attacker-written: size-capped, parsed without panics, and any field of the wrong shape is
//! treated as absent.

pub mod manifest;
pub mod osv;
pub mod registry;
pub mod resolve;
pub mod spec;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::finding::{Category, Finding, Severity};

pub use resolve::resolve;

/// What a dependency is flagged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    /// Known vulnerabilities (PyPI JSON, `--osv-dir`).
    Vulnerable,
    /// The name looks like a popular or known MCP package.
    Typosquat,
    /// Declares an install script (npm `hasInstallScript`, pre/post/install scripts, gypfile).
    InstallScript,
    /// git, http, file, `github:` or `link:` instead of a registry version.
    UrlSource,
    /// The maintainer set changed at the resolved version.
    RecentlyTransferred,
    Deprecated,
    /// `*`, `latest`, `x`, a range with no upper bound, an empty specifier.
    Floating,
    /// First published less than 30 days before the release that depends on it.
    Young,
    SingleMaintainer,
}

impl FlagKind {
    pub const ALL: [FlagKind; 9] = [
        FlagKind::Vulnerable,
        FlagKind::Typosquat,
        FlagKind::InstallScript,
        FlagKind::UrlSource,
        FlagKind::RecentlyTransferred,
        FlagKind::Deprecated,
        FlagKind::Floating,
        FlagKind::Young,
        FlagKind::SingleMaintainer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::Vulnerable => "vulnerable",
            FlagKind::Typosquat => "typosquat",
            FlagKind::InstallScript => "install-script",
            FlagKind::UrlSource => "url-source",
            FlagKind::RecentlyTransferred => "recently-transferred",
            FlagKind::Deprecated => "deprecated",
            FlagKind::Floating => "floating",
            FlagKind::Young => "young",
            FlagKind::SingleMaintainer => "single-maintainer",
        }
    }

    /// The severity of the finding a flagged dependency gets.
    pub fn severity(self) -> Severity {
        match self {
            FlagKind::Vulnerable | FlagKind::Typosquat => Severity::High,
            FlagKind::InstallScript | FlagKind::UrlSource | FlagKind::RecentlyTransferred => {
                Severity::Medium
            }
            FlagKind::Deprecated | FlagKind::Floating | FlagKind::Young => Severity::Low,
            FlagKind::SingleMaintainer => Severity::Info,
        }
    }

    /// The finding rule id (`dependency.vulnerable`).
    pub fn rule(self) -> &'static str {
        match self {
            FlagKind::Vulnerable => "dependency.vulnerable",
            FlagKind::Typosquat => "dependency.typosquat",
            FlagKind::InstallScript => "dependency.install-script",
            FlagKind::UrlSource => "dependency.url-source",
            FlagKind::RecentlyTransferred => "dependency.recently-transferred",
            FlagKind::Deprecated => "dependency.deprecated",
            FlagKind::Floating => "dependency.floating",
            FlagKind::Young => "dependency.young",
            FlagKind::SingleMaintainer => "dependency.single-maintainer",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FlagKind::Vulnerable => "dependency with known vulnerabilities",
            FlagKind::Typosquat => "dependency whose name imitates a popular or known MCP package",
            FlagKind::InstallScript => "dependency that runs an install script",
            FlagKind::UrlSource => "dependency fetched from git, a URL or a local path",
            FlagKind::RecentlyTransferred => "dependency whose maintainers changed at this version",
            FlagKind::Deprecated => "deprecated dependency",
            FlagKind::Floating => "dependency without an upper version bound",
            FlagKind::Young => "dependency first published shortly before the release using it",
            FlagKind::SingleMaintainer => "dependency with a single maintainer",
        }
    }
}

/// Every rule this module reports, with a one-line description (for SARIF rule metadata).
pub fn describe(rule: &str) -> Option<&'static str> {
    FlagKind::ALL
        .iter()
        .find(|k| k.rule() == rule)
        .map(|k| k.describe())
}

/// One flag with the evidence that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub flag: FlagKind,
    pub evidence: String,
}

impl Flag {
    pub fn new(flag: FlagKind, evidence: impl Into<String>) -> Flag {
        Flag {
            flag,
            evidence: evidence.into(),
        }
    }
}

/// A dependency the package's manifest declares.
#[derive(Debug, Clone, Serialize)]
pub struct DirectDep {
    pub name: String,
    pub spec: String,
    /// Where it is declared (`dependencies`, `project.dependencies`, `Requires-Dist`…).
    pub section: String,
    /// The version the registry resolves it to; none for URL sources and failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    pub flags: Vec<Flag>,
    /// The manifest and line that declare it.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// A package pulled in through another one.
#[derive(Debug, Clone, Serialize)]
pub struct TransitiveDep {
    pub name: String,
    /// The resolved version (for a URL source: empty, and `spec` says where it comes from).
    pub version: String,
    /// The spec the first package that pulled it in asked for.
    pub spec: String,
    /// 2 for a dependency of a direct dependency, and so on.
    pub depth: u32,
    /// `name@version` of the package that pulled it in first.
    pub via: String,
    pub flags: Vec<Flag>,
    /// Index into `direct` of the direct dependency it descends from.
    #[serde(skip)]
    pub root: usize,
}

/// The report's `dependencies` section.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dependencies {
    pub ecosystem: String,
    pub direct: Vec<DirectDep>,
    /// Distinct packages (name and version) resolved, direct and transitive.
    pub count: usize,
    pub transitive: Vec<TransitiveDep>,
    /// Packages per flag, direct and transitive.
    pub flags: BTreeMap<FlagKind, usize>,
    /// The tree is incomplete: the depth bound or the package cap was reached.
    pub truncated: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What could not be resolved, one line each.
    pub errors: Vec<String>,
}

/// Resolution bounds and sources.
#[derive(Debug, Clone)]
pub struct DepOptions {
    /// Resolve at all (`--no-deps` turns it off).
    pub enabled: bool,
    /// Levels below the package (1: direct dependencies only).
    pub depth: u32,
    /// Registry requests in flight.
    pub concurrency: usize,
    /// Distinct packages resolved before the tree is cut (and marked truncated).
    pub max_packages: usize,
    /// Offline OSV advisories (`--osv-dir`), loaded once per run.
    pub osv: Option<Arc<osv::OsvIndex>>,
}

impl Default for DepOptions {
    fn default() -> Self {
        DepOptions {
            enabled: true,
            depth: 6,
            concurrency: 8,
            max_packages: 500,
            osv: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("--osv-dir {path}: {reason}")]
    OsvDir { path: String, reason: String },
}

impl Dependencies {
    /// Recount `count` and `flags` from the entries.
    pub(crate) fn tally(&mut self) {
        let mut flags: BTreeMap<FlagKind, usize> = BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.direct {
            if let Some(v) = &d.resolved {
                seen.insert((d.name.clone(), v.clone()));
            }
            let kinds: std::collections::BTreeSet<FlagKind> =
                d.flags.iter().map(|f| f.flag).collect();
            for k in kinds {
                *flags.entry(k).or_default() += 1;
            }
        }
        for t in &self.transitive {
            if !t.version.is_empty() {
                seen.insert((t.name.clone(), t.version.clone()));
            }
            let kinds: std::collections::BTreeSet<FlagKind> =
                t.flags.iter().map(|f| f.flag).collect();
            for k in kinds {
                *flags.entry(k).or_default() += 1;
            }
        }
        self.count = seen.len();
        self.flags = flags;
    }

    /// Findings for flagged dependencies, located at the manifest line that declares the direct
    /// dependency (for a transitive one: the direct dependency it descends from). Direct
    /// dependencies get one per flag (except `url-source`, which the manifest scan already
    /// reports); transitive ones only for flags of medium severity and above, so a large tree of
    /// single-maintainer packages does not bury the report.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mk = |flag: &Flag, name: &str, version: &str, path: &str, line: Option<u32>| {
            let who = if version.is_empty() {
                name.to_string()
            } else {
                format!("{name}@{version}")
            };
            let mut f = Finding::new(
                flag.flag.rule(),
                Category::Dependency,
                flag.flag.severity(),
                path,
                format!("{}: {who}: {}", flag.flag.describe(), flag.evidence),
            )
            .with("dependency", name)
            .with("flag", flag.flag.as_str())
            .with("detail", flag.evidence.as_str());
            if !version.is_empty() {
                f = f.with("version", version);
            }
            f.line = line;
            f
        };
        for d in &self.direct {
            for flag in d.flags.iter().filter(|f| f.flag != FlagKind::UrlSource) {
                out.push(mk(
                    flag,
                    &d.name,
                    d.resolved.as_deref().unwrap_or(""),
                    &d.path,
                    d.line,
                ));
            }
        }
        for t in &self.transitive {
            let Some(root) = self.direct.get(t.root) else {
                continue;
            };
            for flag in t
                .flags
                .iter()
                .filter(|f| f.flag.severity() >= Severity::Medium)
            {
                let f = mk(flag, &t.name, &t.version, &root.path, root.line)
                    .with("via", t.via.as_str())
                    .with("depth", t.depth)
                    .with("direct", root.name.as_str());
                out.push(f);
            }
        }
        out
    }
}
