//! Checks: an entry's signatures and override ([`check_entry`]), and the CI gate
//! ([`check_servers`]): every server of the repository's MCP client configs must match a
//! signed entry whose verdict allows it.
//!
//! Matching a server to its entry: the entry of the same name (else one whose package the
//! server runs, reported under that name). Then by the spec the config gives:
//! npm/PyPI the package and the exact version (the digest is the registry's for that version;
//! `--online` re-checks it), git the commit (a tag or branch is not enough), container images
//! the image digest, remote servers the URL.
//!
//! How a config shows that a server runs sandboxed: its command is `docker run` / `podman run`
//! (the package launched inside the container, or the image itself), or a sandbox wrapper
//! (`bwrap`, `firejail`, `nsjail`, `minijail0`, `sandbox-exec`) in front of the launcher.

use serde::Serialize;

use super::io::Allowlist;
use super::model::{Entry, Verdict};
use super::sign::AllowedSigners;
use crate::config::ServerEntry;
use crate::spec::{self, Spec, VersionReq};

/// One reason a server or entry fails, with a stable rule id (for SARIF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub rule: &'static str,
    pub message: String,
}

impl Reason {
    fn new(rule: &'static str, message: impl Into<String>) -> Reason {
        Reason {
            rule,
            message: message.into(),
        }
    }
}

/// The rules `verify` reports, with a short description each.
pub const RULES: &[(&str, &str)] = &[
    ("allowlist.unlisted", "server has no allowlist entry"),
    (
        "allowlist.unresolved",
        "cannot tell which package the server runs",
    ),
    (
        "allowlist.package",
        "server runs another package than the entry",
    ),
    (
        "allowlist.version",
        "server is not pinned to the allowlisted version",
    ),
    (
        "allowlist.digest",
        "digest differs from the allowlisted one",
    ),
    ("allowlist.verdict", "verdict does not allow the server"),
    (
        "allowlist.sandbox",
        "sandbox verdict, but the server is not sandboxed",
    ),
    ("allowlist.signature", "entry signatures do not verify"),
    (
        "allowlist.override",
        "critical band without a valid owner override",
    ),
];

/// Signatures and override of one entry, checked against `signers` at `now` (epoch seconds).
/// Empty when the entry is sound.
pub fn check_entry(
    list: &Allowlist,
    name: &str,
    entry: &Entry,
    signers: &AllowedSigners,
    now: i64,
) -> Vec<Reason> {
    let mut out = Vec::new();
    let msg = entry.canonical(name);
    let mut valid: Vec<&str> = Vec::new();
    if entry.signatures.is_empty() {
        out.push(Reason::new("allowlist.signature", "entry is not signed"));
    }
    for (i, s) in entry.signatures.iter().enumerate() {
        match signers.check(&s.principal, &s.signature, &msg, now) {
            Ok(_) => valid.push(&s.principal),
            Err(p) => out.push(Reason::new(
                "allowlist.signature",
                format!("signature {} ({}): {p}", i + 1, s.principal),
            )),
        }
    }
    let needs_override = entry.is_critical() && entry.verdict != Verdict::NoGo;
    match &entry.override_ {
        None if needs_override => out.push(Reason::new(
            "allowlist.override",
            "risk band is critical and the entry has no owner override",
        )),
        Some(o) if needs_override || !o.by.is_empty() => {
            if o.reason.trim().is_empty() {
                out.push(Reason::new(
                    "allowlist.override",
                    "override without a reason",
                ));
            }
            if !list.data.allowlist.owners.contains(&o.by) {
                out.push(Reason::new(
                    "allowlist.override",
                    format!("override by {:?}, who is not an owner in the header", o.by),
                ));
            } else if !valid.contains(&o.by.as_str()) {
                out.push(Reason::new(
                    "allowlist.override",
                    format!(
                        "override by {:?} carries no valid signature of theirs",
                        o.by
                    ),
                ));
            }
        }
        _ => {}
    }
    out
}

/// The outcome for one configured server.
#[derive(Debug, Clone, Serialize)]
pub struct ServerResult {
    pub server: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub client: &'static str,
    /// The allowlist entry it was matched to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'static str>,
    /// How the config sandboxes it, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    pub reasons: Vec<Reason>,
}

impl ServerResult {
    pub fn passed(&self) -> bool {
        self.reasons.is_empty()
    }

    /// `server "weather" (.mcp.json:4)`.
    pub fn label(&self) -> String {
        match self.line {
            Some(l) => format!("server {:?} ({}:{l})", self.server, self.file),
            None => format!("server {:?} ({})", self.server, self.file),
        }
    }
}

const WRAPPERS: &[&str] = &["bwrap", "firejail", "nsjail", "minijail0", "sandbox-exec"];
const LAUNCHERS: &[&str] = &[
    "npx", "pnpx", "bunx", "pnpm", "yarn", "npm", "uvx", "uv", "pipx",
];

fn program(s: &str) -> String {
    let base = s
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(s)
        .to_ascii_lowercase();
    base.strip_suffix(".exe")
        .or_else(|| base.strip_suffix(".cmd"))
        .unwrap_or(&base)
        .to_string()
}

/// The spec a server runs and how it is sandboxed (the launcher inside a container or
/// wrapper when there is one).
pub fn effective_spec(server: &ServerEntry) -> (Option<Spec>, Option<String>) {
    let Some(cmd) = &server.command else {
        return (server.spec.clone(), None);
    };
    let prog = program(cmd);
    let inner = |from: usize| -> Option<Spec> {
        let i = server.args[from.min(server.args.len())..]
            .iter()
            .position(|a| LAUNCHERS.contains(&program(a).as_str()))?
            + from;
        spec::from_command(&server.args[i], &server.args[i + 1..]).ok()
    };
    if (prog == "docker" || prog == "podman")
        && server.args.first().map(String::as_str) == Some("run")
    {
        let how = format!("{prog} run");
        return (inner(1).or_else(|| server.spec.clone()), Some(how));
    }
    if WRAPPERS.contains(&prog.as_str()) {
        return (inner(0), Some(prog));
    }
    (server.spec.clone(), None)
}

fn same_package(spec: &Spec, e: &Entry) -> bool {
    match spec {
        Spec::Npm { name, .. } => e.ecosystem == "npm" && *name == e.package,
        Spec::Pypi { name, .. } => {
            e.ecosystem == "pypi" && *name == spec::normalize_pypi_name(&e.package)
        }
        Spec::Git { url, .. } => e.ecosystem == "git" && same_url(url, &e.package),
        Spec::Docker { image, .. } => e.ecosystem == "docker" && *image == e.package,
        Spec::Remote { url } => e.ecosystem == "remote" && same_url(url, &e.package),
        Spec::Local { .. } => false,
    }
}

fn same_url(a: &str, b: &str) -> bool {
    let n = |s: &str| {
        let s = s.trim_end_matches('/');
        s.strip_suffix(".git").unwrap_or(s).to_ascii_lowercase()
    };
    n(a) == n(b)
}

/// Compare what the config runs with the entry.
fn match_spec(spec: &Spec, e: &Entry) -> Vec<Reason> {
    let mut out = Vec::new();
    if !same_package(spec, e) {
        out.push(Reason::new(
            "allowlist.package",
            format!(
                "runs {spec}, but the entry allowlists {}:{}",
                e.ecosystem, e.package
            ),
        ));
        return out;
    }
    match spec {
        Spec::Npm { req, .. } | Spec::Pypi { req, .. } => match req {
            VersionReq::Exact(v) if *v == e.version => {}
            VersionReq::Exact(v) => out.push(Reason::new(
                "allowlist.version",
                format!("version {v} is not the allowlisted {}", e.version),
            )),
            VersionReq::Latest => out.push(Reason::new(
                "allowlist.version",
                format!(
                    "no version pinned; the allowlisted version is {}",
                    e.version
                ),
            )),
            VersionReq::Range(r) | VersionReq::Tag(r) => out.push(Reason::new(
                "allowlist.version",
                format!(
                    "{r} is not an exact version; the allowlisted version is {}",
                    e.version
                ),
            )),
        },
        Spec::Git { reference, .. } => {
            let commit = e.commit.as_deref().unwrap_or(&e.version);
            match reference {
                Some(r)
                    if spec::is_commit_id(r) && commit.starts_with(r.as_str()) && r.len() >= 40 => {
                }
                Some(r) if spec::is_commit_id(r) => out.push(Reason::new(
                    "allowlist.version",
                    format!("commit {r} is not the allowlisted {commit}"),
                )),
                Some(r) => out.push(Reason::new(
                    "allowlist.version",
                    format!(
                        "git ref {r} is not a full commit id; pin the allowlisted commit {commit}"
                    ),
                )),
                None => out.push(Reason::new(
                    "allowlist.version",
                    format!("no git ref pinned; pin the allowlisted commit {commit}"),
                )),
            }
        }
        Spec::Docker { digest, .. } => match digest {
            Some(d) if *d == e.digest => {}
            Some(d) => out.push(Reason::new(
                "allowlist.digest",
                format!("image digest {d} is not the allowlisted {}", e.digest),
            )),
            None => out.push(Reason::new(
                "allowlist.digest",
                format!(
                    "image not pinned by digest; the allowlisted digest is {}",
                    e.digest
                ),
            )),
        },
        Spec::Remote { .. } | Spec::Local { .. } => {}
    }
    out
}

/// Check every server against the allowlist: one result per server, in input order.
pub fn check_servers(
    list: &Allowlist,
    signers: &AllowedSigners,
    servers: &[ServerEntry],
    now: i64,
) -> Vec<ServerResult> {
    servers
        .iter()
        .map(|s| check_server(list, signers, s, now))
        .collect()
}

fn check_server(
    list: &Allowlist,
    signers: &AllowedSigners,
    server: &ServerEntry,
    now: i64,
) -> ServerResult {
    let (spec, sandbox) = effective_spec(server);
    let mut res = ServerResult {
        server: server.name.clone(),
        file: server.file.clone(),
        line: server.line,
        client: server.client.as_str(),
        entry: None,
        verdict: None,
        sandbox: sandbox.clone(),
        reasons: Vec::new(),
    };
    let Some(spec) = spec else {
        let why = server
            .spec_error
            .clone()
            .unwrap_or_else(|| "no command or URL".into());
        res.reasons.push(Reason::new(
            "allowlist.unresolved",
            format!("cannot tell which package it runs: {why}"),
        ));
        return res;
    };
    let by_name = list.data.servers.get(&server.name);
    let (name, entry) = match by_name {
        Some(e) => (server.name.as_str(), e),
        None => match list
            .data
            .servers
            .iter()
            .find(|(_, e)| same_package(&spec, e))
        {
            Some((n, e)) => (n.as_str(), e),
            None => {
                res.reasons.push(Reason::new(
                    "allowlist.unlisted",
                    format!("no allowlist entry for {spec}"),
                ));
                return res;
            }
        },
    };
    res.entry = Some(name.to_string());
    res.verdict = Some(super::verdict_str(entry.verdict));
    res.reasons.extend(match_spec(&spec, entry));
    match entry.verdict {
        Verdict::Go => {}
        Verdict::NoGo => res.reasons.push(Reason::new(
            "allowlist.verdict",
            format!(
                "the verdict on {} {} is no-go ({}, {})",
                entry.package,
                entry.version,
                entry.reviewers.join(", "),
                entry.date
            ),
        )),
        Verdict::Sandbox if sandbox.is_none() => res.reasons.push(Reason::new(
            "allowlist.sandbox",
            "the verdict is sandbox, but the config runs it directly (run it with `docker run`, \
             `podman run`, bwrap, firejail, nsjail or sandbox-exec)",
        )),
        Verdict::Sandbox => {}
    }
    res.reasons
        .extend(check_entry(list, name, entry, signers, now));
    res
}

/// The JSON document of a verify run.
pub fn to_json(list_path: &str, results: &[ServerResult]) -> serde_json::Value {
    let failed = results.iter().filter(|r| !r.passed()).count();
    serde_json::json!({
        "schema": "mcpvet/verify/v1",
        "allowlist": list_path,
        "passed": results.len() - failed,
        "failed": failed,
        "servers": results,
    })
}

/// SARIF 2.1.0: one run, one result per failing reason, located at the server's config line.
pub fn to_sarif(results: &[ServerResult]) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<_> = RULES
        .iter()
        .map(|(id, d)| {
            json!({"id": id, "shortDescription": {"text": d},
                   "properties": {"security-severity": "8.0"}})
        })
        .collect();
    let mut out = Vec::new();
    for r in results {
        for reason in &r.reasons {
            let mut region = serde_json::Map::new();
            if let Some(l) = r.line {
                region.insert("startLine".into(), json!(l));
            }
            let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": r.file}}});
            if !region.is_empty() {
                loc["physicalLocation"]["region"] = serde_json::Value::Object(region);
            }
            out.push(json!({
                "ruleId": reason.rule,
                "level": "error",
                "message": {"text": format!("server {:?}: {}", r.server, reason.message)},
                "locations": [loc],
            }));
        }
    }
    json!({
        "$schema": crate::report::sarif::SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mcpvet",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "automationDetails": {"id": "mcpvet/verify/"},
            "results": out,
        }]
    })
}

/// The spec that fetches exactly what an entry pins (none for remote servers and images:
/// nothing to fetch).
pub fn entry_spec(e: &Entry) -> Option<String> {
    match e.ecosystem.as_str() {
        "npm" => Some(format!("npm:{}@{}", e.package, e.version)),
        "pypi" => Some(format!("pypi:{}=={}", e.package, e.version)),
        "git" => Some(format!(
            "git+{}@{}",
            e.package,
            e.commit.as_deref().unwrap_or(&e.version)
        )),
        "local" => Some(e.source.clone()),
        _ => None,
    }
}

/// One difference between an entry and a fresh scan of what it pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `digest`, `host`, `env`, `credential`, `exec`, `tool-added`, `tool-removed`,
    /// `tool-changed`, `band`.
    pub kind: &'static str,
    pub message: String,
}

/// What a fresh report shows that the entry did not (new hosts, env reads, credential reads,
/// commands, tools, a changed digest or risk band).
pub fn changes(e: &Entry, r: &crate::report::Report) -> Vec<Change> {
    let mut out = Vec::new();
    let mut add = |kind: &'static str, message: String| out.push(Change { kind, message });
    if r.package.digest != e.digest {
        add(
            "digest",
            format!(
                "digest of {} {} is now {}, not the allowlisted {}",
                e.package, e.version, r.package.digest, e.digest
            ),
        );
    }
    let hosts: Vec<String> = r
        .capabilities
        .hosts
        .iter()
        .map(|h| {
            if h.scheme.is_empty() {
                h.host.clone()
            } else {
                format!("{}://{}", h.scheme, h.host)
            }
        })
        .collect();
    for (kind, now, before) in [
        ("host", &hosts, &e.capabilities.hosts),
        ("env", &r.capabilities.env, &e.capabilities.env),
        (
            "credential",
            &r.capabilities.sensitive_reads,
            &e.capabilities.credentials,
        ),
        ("exec", &r.capabilities.exec, &e.capabilities.exec),
    ] {
        for v in now.iter().filter(|v| !before.contains(v)) {
            add(kind, format!("new {kind}: {v}"));
        }
    }
    let tools: std::collections::BTreeMap<&str, &str> = r
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.hash.as_str()))
        .collect();
    for (name, hash) in &tools {
        match e.tools.get(*name) {
            None => add("tool-added", format!("new tool {name}")),
            Some(h) if h != hash => add(
                "tool-changed",
                format!("tool {name} changed (what the model sees of it differs)"),
            ),
            Some(_) => {}
        }
    }
    for name in e.tools.keys().filter(|n| !tools.contains_key(n.as_str())) {
        add("tool-removed", format!("tool {name} is gone"));
    }
    let band = r.risk.band.as_str();
    if band != e.risk.band {
        add(
            "band",
            format!(
                "risk band {} → {band} (score {} → {})",
                e.risk.band, e.risk.score, r.risk.score
            ),
        );
    }
    out
}

/// `verify --online`: the registry must still serve the allowlisted digest, and tool hashes
/// must not have changed.
pub fn online_reasons(e: &Entry, r: &crate::report::Report) -> Vec<Reason> {
    changes(e, r)
        .into_iter()
        .filter_map(|c| match c.kind {
            "digest" => Some(Reason::new("allowlist.digest", c.message)),
            "tool-added" | "tool-removed" | "tool-changed" => {
                Some(Reason::new("allowlist.tools", c.message))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::model::sample_entry;
    use crate::config::{load_text, Client};

    fn server(json: &str) -> ServerEntry {
        let text = format!("{{\"mcpServers\": {{\"s\": {json}}}}}");
        load_text(&text, "t.json", Client::ClaudeCode)
            .unwrap()
            .servers
            .remove(0)
    }

    #[test]
    fn sandboxes_and_the_spec_inside_them() {
        let s = server(
            r#"{"command": "bwrap", "args": ["--ro-bind", "/", "/", "npx", "-y", "@acme/weather-mcp@1.2.3"]}"#,
        );
        let (spec, how) = effective_spec(&s);
        assert_eq!(spec.unwrap().to_string(), "npm:@acme/weather-mcp@1.2.3");
        assert_eq!(how.as_deref(), Some("bwrap"));
        let s = server(
            r#"{"command": "docker", "args": ["run", "-i", "--rm", "node:22", "npx", "-y", "@acme/weather-mcp@1.2.3"]}"#,
        );
        let (spec, how) = effective_spec(&s);
        assert_eq!(spec.unwrap().to_string(), "npm:@acme/weather-mcp@1.2.3");
        assert_eq!(how.as_deref(), Some("docker run"));
        let image = format!("ghcr.io/acme/weather@sha256:{}", "c".repeat(64));
        let s = server(&format!(
            r#"{{"command": "docker", "args": ["run", "-i", "{image}"]}}"#
        ));
        let (spec, how) = effective_spec(&s);
        assert!(
            matches!(spec, Some(Spec::Docker { .. })),
            "{spec:?} {:?}",
            s.spec_error
        );
        assert!(how.is_some());
        let s = server(r#"{"command": "npx", "args": ["-y", "@acme/weather-mcp@1.2.3"]}"#);
        assert_eq!(effective_spec(&s).1, None);
        assert!(match_spec(&effective_spec(&s).0.unwrap(), &sample_entry()).is_empty());
    }

    #[test]
    fn git_needs_the_full_allowlisted_commit() {
        let mut e = sample_entry();
        e.ecosystem = "git".into();
        e.package = "https://github.com/acme/weather".into();
        e.version = "v1.2.3".into();
        e.commit = Some("a".repeat(40));
        let spec = |r: &str| Spec::Git {
            url: "https://github.com/acme/weather.git".into(),
            reference: Some(r.into()),
        };
        assert!(match_spec(&spec(&"a".repeat(40)), &e).is_empty());
        let r = match_spec(&spec("v1.2.3"), &e);
        assert!(r[0].message.contains("not a full commit id"), "{r:?}");
        let r = match_spec(&spec(&"b".repeat(40)), &e);
        assert!(r[0].message.contains("is not the allowlisted"), "{r:?}");
        let r = match_spec(&spec("aaaaaaa"), &e);
        assert_eq!(r.len(), 1, "{r:?}");
    }
}
