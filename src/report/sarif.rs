//! SARIF 2.1.0 for GitHub code scanning: one run per package, one rule per distinct rule id.
//!
//! Locations are package-relative (`uriBaseId` `PKGROOT`). Each run carries its own
//! `automationDetails.id` (`mcpvet/<ecosystem>:<name>/`), so several packages in one log stay
//! separate analyses for GitHub. Written through the JSON report's terminal-safe formatter.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::Report;
use crate::finding::{Finding, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF `level` of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (0–10) for a severity.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// Rules reported outside the rule tables (archive checks, JavaScript checks in code).
const BUILTIN_RULES: &[(&str, &str)] = &[
    (
        "archive.absolute-path",
        "archive entry with an absolute path",
    ),
    (
        "archive.compression-ratio",
        "archive decompresses beyond the ratio limit",
    ),
    (
        "archive.duplicate-path",
        "archive holds the same path more than once",
    ),
    (
        "archive.file-truncated",
        "file larger than the per-file limit",
    ),
    ("archive.hardlink", "hard link in the archive"),
    ("archive.malformed", "archive is corrupt"),
    ("archive.overwrites-link", "archive entry replaces a link"),
    (
        "archive.path-traversal",
        "archive entry climbs out of the package",
    ),
    (
        "archive.size-limit",
        "archive content over the total size limit",
    ),
    ("archive.skipped-dir", "folder not read"),
    (
        "archive.special-file",
        "device, fifo or socket in the archive",
    ),
    ("archive.submodule", "git submodule not fetched"),
    ("archive.symlink", "symbolic link in the archive"),
    (
        "archive.through-symlink",
        "archive entry written through a link",
    ),
    ("archive.too-many-entries", "archive over the entry limit"),
    (
        "archive.unreadable-member",
        "archive member could not be unpacked",
    ),
    ("js.eval.eval", "eval() runs a string as code"),
    (
        "js.eval.function",
        "new Function() compiles a string as code",
    ),
    ("js.eval.string-timer", "timer called with a string of code"),
    (
        "js.eval.dynamic-import",
        "require/import of a computed module name",
    ),
    ("js.env.read", "reads an environment variable"),
    (
        "js.env.computed",
        "reads an environment variable chosen at run time",
    ),
    ("js.env.whole", "reads the whole environment"),
    ("js.env.object", "passes the whole environment on"),
    (
        "provenance.typosquat",
        "package name imitates a popular or known MCP package",
    ),
];

/// A one-line description of a rule, from whichever table defines it.
pub fn rule_description(id: &str) -> Option<String> {
    if let Some(d) = crate::analyze::manifest::describe(id) {
        return Some(d.to_string());
    }
    if let Some(d) = crate::deps::describe(id) {
        return Some(d.to_string());
    }
    for table in [
        crate::analyze::rules::javascript(),
        crate::analyze::rules::python(),
    ] {
        if let Some(r) = table.get(id) {
            return Some(r.message.clone());
        }
    }
    BUILTIN_RULES
        .iter()
        .find(|(r, _)| *r == id)
        .map(|(_, d)| d.to_string())
}

/// Percent-encode a package path as a relative URI reference (`/` kept).
fn uri_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JSON with object keys sorted at every level, whatever map order serde_json was built with.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Stable across runs: rule, path and evidence (not the line, which moves with edits), plus
/// the occurrence number among identical findings.
fn fingerprint(f: &Finding, occurrence: usize) -> String {
    let evidence = canonical(&Value::Object(f.evidence.clone()));
    let input = format!("{}\0{}\0{}\0{}", f.rule, f.path, evidence, occurrence);
    crate::util::sha256_hex(input.as_bytes())[..32].to_string()
}

fn location(f: &Finding, package: &str) -> Value {
    if f.path.is_empty() {
        // Findings about the archive as a whole have no file to point at.
        return json!({
            "logicalLocations": [{"name": package, "kind": "module"}]
        });
    }
    let mut physical = json!({
        "artifactLocation": {"uri": uri_path(&f.path), "uriBaseId": "PKGROOT"}
    });
    if let Some(line) = f.line.filter(|l| *l >= 1) {
        let mut region = Map::new();
        region.insert("startLine".into(), line.into());
        if let Some(c) = f.column.filter(|c| *c >= 1) {
            region.insert("startColumn".into(), c.into());
        }
        if let Some(e) = f.end_line.filter(|e| *e >= line) {
            region.insert("endLine".into(), e.into());
        }
        physical["region"] = Value::Object(region);
    }
    json!({ "physicalLocation": physical })
}

fn run(r: &Report) -> Value {
    // Rules in order of first appearance; each rule's level is its worst finding here.
    let mut rule_ids: Vec<&str> = Vec::new();
    let mut worst: Vec<Severity> = Vec::new();
    let mut categories: Vec<&str> = Vec::new();
    for f in &r.findings {
        match rule_ids.iter().position(|id| *id == f.rule) {
            Some(i) => worst[i] = worst[i].max(f.severity),
            None => {
                rule_ids.push(&f.rule);
                worst.push(f.severity);
                categories.push(f.category.as_str());
            }
        }
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .zip(worst.iter().zip(&categories))
        .map(|(id, (sev, cat))| {
            let text = rule_description(id).unwrap_or_else(|| format!("{cat} finding ({id})"));
            json!({
                "id": id,
                "shortDescription": {"text": text},
                "defaultConfiguration": {"level": level(*sev)},
                "properties": {
                    "tags": [cat, "security"],
                    "security-severity": security_severity(*sev),
                }
            })
        })
        .collect();

    let mut seen: std::collections::HashMap<(String, String, String), usize> = Default::default();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let index = rule_ids.iter().position(|id| *id == f.rule).unwrap_or(0);
            let key = (
                f.rule.clone(),
                f.path.clone(),
                canonical(&Value::Object(f.evidence.clone())),
            );
            let n = seen.entry(key).or_insert(0);
            let occurrence = *n;
            *n += 1;
            let mut props = json!({
                "category": f.category.as_str(),
                "severity": f.severity.as_str(),
                "evidence": Value::Object(f.evidence.clone()),
            });
            if let Some(t) = &f.tool {
                props["tool"] = Value::from(t.as_str());
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [location(f, &r.package.name)],
                "partialFingerprints": {"mcpvet/v1": fingerprint(f, occurrence)},
                "properties": props,
            })
        })
        .collect();

    let p = &r.package;
    let mut driver = json!({
        "name": r.tool.name,
        "version": r.tool.version,
        "semanticVersion": r.tool.version,
        "rules": rules,
    });
    let info = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty());
    if let Some(u) = info {
        driver["informationUri"] = Value::from(u);
    }
    json!({
        "tool": {"driver": driver},
        "automationDetails": {"id": format!("mcpvet/{}:{}/", p.ecosystem, p.name)},
        "originalUriBaseIds": {
            "PKGROOT": {"description": {"text": format!("root of the package {}", p.spec)}}
        },
        "results": results,
        "properties": {
            "package": {
                "ecosystem": p.ecosystem,
                "name": p.name,
                "version": p.version,
                "spec": p.spec,
                "source": p.source,
                "digest": p.digest,
                "verified": p.verified,
                "pinned": p.pinned,
            }
        }
    })
}

/// The SARIF log for one or more reports.
pub fn log(reports: &[Report]) -> Value {
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": reports.iter().map(run).collect::<Vec<_>>(),
    })
}

/// Write the log with the JSON report's terminal-safe escaping.
pub fn to_writer<W: Write>(w: W, reports: &[Report]) -> io::Result<()> {
    super::json::to_writer(w, &log(reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_scores() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(security_severity(Severity::Critical), "9.5");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_path("dist/index.js"), "dist/index.js");
        assert_eq!(uri_path("a b/#x?.js"), "a%20b/%23x%3F.js");
        assert_eq!(uri_path("é"), "%C3%A9");
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"z":0,"y":1}],"c":"x"}}"#).expect("json");
        assert_eq!(
            canonical(&a),
            r#"{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}"#
        );
    }

    #[test]
    fn fingerprints_ignore_lines_but_count_repeats() {
        let mut f = Finding::new(
            "js.eval.eval",
            crate::finding::Category::Eval,
            Severity::High,
            "a.js",
            "m",
        )
        .with("argument", "x");
        f.line = Some(3);
        let a = fingerprint(&f, 0);
        f.line = Some(30);
        assert_eq!(a, fingerprint(&f, 0));
        assert_ne!(a, fingerprint(&f, 1));
        assert_ne!(a, fingerprint(&f.clone().with("argument", "y"), 0));
    }

    #[test]
    fn descriptions_come_from_every_table() {
        assert!(rule_description("manifest.install-script.pth-exec").is_some());
        assert_eq!(
            rule_description("js.network.fetch").as_deref(),
            Some("outbound HTTP request")
        );
        assert!(rule_description("archive.path-traversal").is_some());
        assert!(rule_description("provenance.typosquat").is_some());
        assert!(rule_description("nope.nope").is_none());
    }
}
