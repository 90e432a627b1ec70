//! The allowlist's data: a header naming the owners, and one [`Entry`] per MCP server.
//!
//! ## Canonical serialization (what a signature covers)
//!
//! [`Entry::canonical`] is the byte string every signature signs and `mcpvet allowlist
//! canonical NAME` prints:
//!
//! - a JSON object of the entry's fields plus `"name"` (the server name, the TOML key), **without**
//!   `signatures` (they sign it) and `scans` (the rescan history `mcpvet rescan` appends; each
//!   rescan is also in the hash-chained audit log);
//! - object keys sorted by their UTF-8 bytes at every level, no whitespace at all, strings
//!   escaped as JSON requires (`"` `\` and control characters; other characters as UTF-8),
//!   integers in decimal; fields the file leaves out are left out (absent optional values, and
//!   empty `outcomes`, `step_notes` and `tools`); every other empty list or string is kept;
//! - UTF-8, no trailing newline.
//!
//! It depends only on the values, never on the TOML layout: reformatting or reordering the
//! file, or adding comments, does not break a signature; changing any signed value does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::review::checklist::Outcome;
pub use crate::review::decision::Verdict;

pub const SCHEMA: &str = "mcpvet/allowlist/v1";

/// `[allowlist]`: the file's header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    #[serde(default)]
    pub schema: String,
    /// Principals (as in `allowed_signers`) who may override a critical risk band.
    #[serde(default)]
    pub owners: Vec<String>,
}

/// The whole file as data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistData {
    #[serde(default)]
    pub allowlist: Header,
    #[serde(default)]
    pub servers: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSummary {
    pub score: u32,
    /// `low|medium|high|critical`.
    pub band: String,
}

/// What the server may do, as the reviewer confirmed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryCapabilities {
    /// Hosts the code names (`host` or `scheme://host`).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Environment variables it reads.
    #[serde(default)]
    pub env: Vec<String>,
    /// Credential locations it reads.
    #[serde(default)]
    pub credentials: Vec<String>,
    /// Commands it starts.
    #[serde(default)]
    pub exec: Vec<String>,
    /// The minimum scope of the credentials the reviewer confirmed (free text).
    #[serde(default)]
    pub scope: String,
}

/// An owner's override of a critical risk band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The owner's principal; a valid signature by it must be on the entry.
    pub by: String,
    pub reason: String,
}

/// One SSH signature over [`Entry::canonical`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Who signed, as listed in `allowed_signers` (`ssh-keygen -Y verify -I`).
    pub principal: String,
    /// Key fingerprint (`SHA256:…`), informational: the key is inside the signature.
    pub key: String,
    /// When it was signed (informational, not covered by the signature).
    pub signed_at: String,
    /// Armored `-----BEGIN SSH SIGNATURE-----` text, namespace `mcpvet-verdict`.
    pub signature: String,
}

/// One `mcpvet rescan` result (unsigned history; also in the audit log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRecord {
    pub date: String,
    pub version: String,
    pub digest: String,
    pub score: u32,
    pub band: String,
    /// What differs from the entry (new hosts, env reads, tools, band, digest).
    #[serde(default)]
    pub changes: Vec<String>,
}

/// One allowlisted (or refused) MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `npm|pypi|git|docker|remote|local`.
    pub ecosystem: String,
    /// Package name, git URL, image or remote URL.
    pub package: String,
    /// The exact version (git: the ref as reviewed).
    pub version: String,
    /// The artifact's digest as verified (npm `sha512-…`, PyPI sha256, image digest).
    pub digest: String,
    /// Where the artifact came from.
    pub source: String,
    /// Git: the commit reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Provenance class (DESIGN §4).
    pub provenance: String,
    pub verdict: Verdict,
    /// The checklist used (`thorough`, `quick`) or `none`.
    pub checklist: String,
    /// How the entry was recorded: `tui`, `tui-session` (CLI with a saved review) or `cli`.
    pub recorded: String,
    pub reviewers: Vec<String>,
    /// When the verdict was recorded (RFC 3339 UTC).
    pub date: String,
    #[serde(default)]
    pub notes: String,
    /// Why the reviewer chose another verdict than the suggested one, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub risk: RiskSummary,
    #[serde(default)]
    pub capabilities: EntryCapabilities,
    /// Checklist step id → outcome.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes: BTreeMap<String, Outcome>,
    /// Checklist step id → the reviewer's note.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub step_notes: BTreeMap<String, String>,
    /// Tool/prompt/resource name → hash of what the model sees of it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tools: BTreeMap<String, String>,
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<Signature>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scans: Vec<ScanRecord>,
}

impl Entry {
    /// The canonical bytes signatures cover (see the module docs).
    pub fn canonical(&self, name: &str) -> Vec<u8> {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.remove("signatures");
            m.remove("scans");
            m.insert("name".into(), Value::String(name.to_string()));
        }
        let mut out = String::new();
        write_canonical(&v, &mut out);
        out.into_bytes()
    }

    /// Principals of the signatures, in order, each once.
    pub fn signers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.signatures {
            if !out.contains(&s.principal.as_str()) {
                out.push(&s.principal);
            }
        }
        out
    }

    pub fn is_critical(&self) -> bool {
        self.risk.band == "critical"
    }
}

/// Sorted-key compact JSON: the bytes entry signatures and audit-record hashes are made over.
pub(crate) fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
pub(crate) fn sample_entry() -> Entry {
    Entry {
        ecosystem: "npm".into(),
        package: "@acme/weather-mcp".into(),
        version: "1.2.3".into(),
        digest: "sha512-abc".into(),
        source: "https://registry.npmjs.org/@acme/weather-mcp/-/weather-mcp-1.2.3.tgz".into(),
        commit: None,
        provenance: "vendor-published".into(),
        verdict: Verdict::Go,
        checklist: "none".into(),
        recorded: "cli".into(),
        reviewers: vec!["alice@example.com".into()],
        date: "2026-11-21T12:00:00Z".into(),
        notes: "tabs\tand \"quotes\" ü".into(),
        reason: None,
        risk: RiskSummary {
            score: 12,
            band: "low".into(),
        },
        capabilities: EntryCapabilities {
            hosts: vec!["https://api.weather.example".into()],
            env: vec!["WEATHER_KEY".into()],
            ..Default::default()
        },
        outcomes: BTreeMap::new(),
        step_notes: BTreeMap::new(),
        tools: [("get_forecast".to_string(), "sha256:00".to_string())].into(),
        override_: None,
        signatures: Vec::new(),
        scans: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_is_sorted_compact_and_ignores_signatures() {
        let mut e = sample_entry();
        let c = String::from_utf8(e.canonical("weather")).unwrap();
        assert!(c.starts_with("{\"capabilities\":{\"credentials\":[],\"env\":[\"WEATHER_KEY\"]"));
        assert!(c.contains("\"name\":\"weather\""));
        assert!(c.contains("\"notes\":\"tabs\\tand \\\"quotes\\\" ü\""));
        assert!(!c.contains("signatures") && !c.contains("scans") && !c.ends_with('\n'));
        e.signatures.push(Signature {
            principal: "a".into(),
            key: "k".into(),
            signed_at: "t".into(),
            signature: "s".into(),
        });
        assert_eq!(c.as_bytes(), e.canonical("weather"));
        e.version = "1.2.4".into();
        assert_ne!(c.as_bytes(), e.canonical("weather"));
        assert_ne!(c.as_bytes(), sample_entry().canonical("weather2"));
    }

    #[test]
    fn toml_round_trip_keeps_the_canonical_bytes() {
        let mut data = AllowlistData::default();
        data.servers.insert("weather".into(), sample_entry());
        let text = toml::to_string(&data).unwrap();
        let back: AllowlistData = toml::from_str(&text).unwrap();
        assert_eq!(
            back.servers["weather"].canonical("weather"),
            sample_entry().canonical("weather")
        );
    }
}
