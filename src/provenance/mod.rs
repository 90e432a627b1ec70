//! Provenance (DESIGN §4): who published what, from the registry document the fetch already
//! has, classified by rules kept as data (`assets/provenance.toml`), plus a typosquatting check
//! against popular and known MCP server names. Nothing here asks the network anything.

pub mod classify;
pub mod signals;
pub mod typosquat;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fetch::PackageInfo;
use crate::finding::Finding;

pub use classify::{Class, Classification, Rules};
pub use signals::{Signal, Status};

#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    #[error("provenance rules: {0}")]
    Rules(#[from] toml::de::Error),
}

/// The report's `provenance` block.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    /// One of the DESIGN §4 classes (`vendor-hosted` … `community-unknown`).
    pub class: String,
    /// Which rule matched, and on what.
    pub evidence: Vec<String>,
    pub signals: Vec<Signal>,
}

/// Signals, class and typosquatting findings for one fetched package. `metadata` is the
/// registry document the fetch used (none for git, local, remote and docker specs); `now` is
/// seconds since the Unix epoch (ages are computed against it).
pub fn assess(
    package: &PackageInfo,
    metadata: Option<&Value>,
    rules: &Rules,
    now: i64,
) -> (Provenance, Vec<Finding>) {
    let mut signals = signals::collect(package, metadata, now);
    let classification = classify::classify(package, metadata, &signals, rules);
    let mut findings = Vec::new();
    if let Some(hit) = typosquat::check(&package.ecosystem, &package.name, rules) {
        signals.push(Signal::new(
            "typosquat",
            format!("{} ({})", hit.target, hit.reason),
            Status::Bad,
        ));
        findings.push(hit.finding(&package.name));
    }
    (
        Provenance {
            class: classification.class.as_str().to_string(),
            evidence: classification.evidence,
            signals,
        },
        findings,
    )
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
