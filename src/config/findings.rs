//! Config-level findings for one server entry (DESIGN §2): `config.unpinned.*`,
//! `config.endpoint.*`, `config.secret.*`, `config.exec.*`. Each names its server in
//! `evidence.server`; `path` is the config file and `line` the line of the value where found
//! (else the entry's line).
//!
//! Decisions:
//! - Without the registry, a git ref is judged by its shape: a full commit id is fixed, a
//!   version-shaped ref (`v1.2.3`, `1.2`) is taken for a tag, anything else for a branch
//!   (`config.unpinned.git-branch`). Fetching (`--deep`) resolves refs for real.
//! - `cmd /c npx …` is how Windows starts npx, not a shell finding; `cmd /c` is only a finding
//!   when the rest chains or pipes commands.

use std::path::Path;

use crate::analyze::hosts::{endpoint_finding, endpoints_in};
use crate::finding::{Category, Finding, Severity};
use crate::spec::{is_commit_id, Spec};

use super::parse::Source;
use super::{secrets, ServerEntry};

/// True when a spec names one artifact for good: an exact version, a commit, a version-shaped
/// tag, an image digest, a local path. Remote URLs count as fixed (nothing to pin).
pub fn spec_is_fixed(spec: &Spec) -> bool {
    match spec {
        Spec::Git { reference, .. } => reference
            .as_deref()
            .is_some_and(|r| is_commit_id(r) || is_version_tag(r)),
        Spec::Remote { .. } => true,
        other => other.is_pinned(),
    }
}

fn is_version_tag(r: &str) -> bool {
    let r = r.strip_prefix('v').unwrap_or(r);
    r.starts_with(|c: char| c.is_ascii_digit())
        && r.contains('.')
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

fn base(
    s: &ServerEntry,
    rule: &str,
    category: Category,
    severity: Severity,
    msg: String,
) -> Finding {
    let mut f = Finding::new(rule, category, severity, s.file.clone(), msg)
        .with("server", s.name.clone())
        .with("client", s.client.as_str());
    if let Some(scope) = &s.scope {
        f = f.with("scope", scope.clone());
    }
    f.line = s.line;
    f
}

/// Every config-level finding for one server. Credentials found in its arguments or URL are
/// replaced there by their redacted form first, so no later message or listing shows them.
pub fn server_findings(s: &mut ServerEntry, text: &Source) -> Vec<Finding> {
    let mut found = Vec::new();
    let raw = secrets_of(s, text, &mut found);
    for (secret, redacted) in &raw {
        for a in &mut s.args {
            if a.contains(secret.as_str()) {
                *a = a.replace(secret.as_str(), redacted);
            }
        }
        if let Some(u) = &mut s.url {
            if u.contains(secret.as_str()) {
                *u = u.replace(secret.as_str(), redacted);
            }
        }
    }
    let mut out = Vec::new();
    unpinned(s, &mut out);
    exec(s, text, &mut out);
    endpoints(s, text, &mut out);
    out.extend(found);
    out
}

fn unpinned(s: &ServerEntry, out: &mut Vec<Finding>) {
    let Some(spec) = &s.spec else { return };
    if spec_is_fixed(spec) {
        return;
    }
    let name = &s.name;
    let (rule, msg) = match spec {
        Spec::Npm { .. } => (
            "config.unpinned.npm",
            format!("server `{name}` runs {spec} without an exact version: whatever the registry serves at each start"),
        ),
        Spec::Pypi { .. } => (
            "config.unpinned.pypi",
            format!("server `{name}` runs {spec} without an exact version: whatever the index serves at each start"),
        ),
        Spec::Git { reference: None, .. } => (
            "config.unpinned.git-default-branch",
            format!("server `{name}` runs {spec} from the default branch: a moving source"),
        ),
        Spec::Git { .. } => (
            "config.unpinned.git-branch",
            format!("server `{name}` runs {spec} from a branch: a moving source; pin a tag or commit"),
        ),
        Spec::Docker { .. } => (
            "config.unpinned.docker",
            format!("server `{name}` runs image {spec} without a digest: the tag can be moved"),
        ),
        Spec::Local { .. } | Spec::Remote { .. } => return,
    };
    out.push(
        base(s, rule, Category::Unpinned, Severity::Medium, msg)
            .with("spec", spec.to_string())
            .with("command", s.launch()),
    );
}

fn program(command: &str) -> String {
    let name = Path::new(command)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = name
        .rsplit('\\')
        .next()
        .unwrap_or(&name)
        .to_ascii_lowercase();
    for ext in [".exe", ".cmd", ".bat"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name
}

/// `curl … | sh`-shaped text: a download piped (or handed) to a shell or interpreter.
fn download_to_shell(script: &str) -> bool {
    let l = script.to_ascii_lowercase();
    let downloads = [
        "curl ",
        "wget ",
        "iwr ",
        "invoke-webrequest",
        "irm ",
        "invoke-restmethod",
    ]
    .iter()
    .any(|d| l.contains(d));
    let runs = l.split('|').skip(1).any(|seg| {
        let first = seg.split_whitespace().next().unwrap_or("");
        let first = first.rsplit('/').next().unwrap_or(first);
        matches!(
            first,
            "sh" | "bash"
                | "zsh"
                | "dash"
                | "ksh"
                | "python"
                | "python3"
                | "node"
                | "perl"
                | "iex"
                | "invoke-expression"
                | "sudo"
        )
    }) || l.contains("iex(")
        || l.contains("iex (")
        || l.contains("invoke-expression")
        || l.contains("$(curl")
        || l.contains("$(wget")
        || l.contains("`curl");
    downloads && runs
}

fn chains(script: &str) -> bool {
    script.contains('|') || script.contains("&&") || script.contains(';') || script.contains('&')
}

fn exec(s: &ServerEntry, text: &Source, out: &mut Vec<Finding>) {
    let Some(command) = &s.command else { return };
    let prog = program(command);
    let args = &s.args;
    let flag_at = |pred: &dyn Fn(&str) -> bool| args.iter().position(|a| pred(a));
    let name = &s.name;
    let shown = crate::util::escape_for_terminal(&s.launch(), false);
    let mut push = |rule: &str, severity: Severity, msg: String, script: &str| {
        let mut f = base(s, rule, Category::Exec, severity, msg).with("command", s.launch());
        if let Some(l) = text.find_value_line(s.line, script) {
            f.line = Some(l);
        }
        out.push(f);
    };
    let script_after = |i: usize| args.get(i + 1..).map(|r| r.join(" ")).unwrap_or_default();
    match prog.as_str() {
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "fish" | "busybox" => {
            // `-c` counts among the shell's own options (before a script path).
            let Some(i) = args
                .iter()
                .take_while(|a| a.starts_with('-'))
                .position(|a| !a.starts_with("--") && a.contains('c'))
            else {
                return;
            };
            let script = script_after(i);
            if download_to_shell(&script) {
                push(
                    "config.exec.download-pipe",
                    Severity::Critical,
                    format!("server `{name}` downloads code and runs it through a shell: {shown}"),
                    args.get(i + 1).map(String::as_str).unwrap_or(""),
                );
            } else {
                push(
                    "config.exec.shell",
                    Severity::Medium,
                    format!("server `{name}` is started through a shell script: {shown}"),
                    args.get(i + 1).map(String::as_str).unwrap_or(""),
                );
            }
        }
        "cmd" => {
            let Some(i) =
                flag_at(&|a: &str| a.eq_ignore_ascii_case("/c") || a.eq_ignore_ascii_case("/k"))
            else {
                return;
            };
            let script = script_after(i);
            if download_to_shell(&script) {
                push(
                    "config.exec.download-pipe",
                    Severity::Critical,
                    format!("server `{name}` downloads code and runs it through cmd: {shown}"),
                    args.get(i + 1).map(String::as_str).unwrap_or(""),
                );
            } else if chains(&script) {
                push(
                    "config.exec.shell",
                    Severity::Medium,
                    format!("server `{name}` is started through a cmd pipeline: {shown}"),
                    args.get(i + 1).map(String::as_str).unwrap_or(""),
                );
            }
        }
        "powershell" | "pwsh" => {
            let lower: Vec<String> = args.iter().map(|a| a.to_ascii_lowercase()).collect();
            let enc = lower.iter().position(|a| {
                let a = a.trim_start_matches(['-', '/']);
                a.len() >= 2 && "encodedcommand".starts_with(a) && a.starts_with('e')
            });
            if let Some(i) = enc {
                push(
                    "config.exec.powershell-encoded",
                    Severity::High,
                    format!("server `{name}` runs an encoded PowerShell command: {shown}"),
                    args.get(i + 1).map(String::as_str).unwrap_or(""),
                );
                return;
            }
            let cmd = lower.iter().position(|a| {
                let a = a.trim_start_matches(['-', '/']);
                !a.is_empty() && "command".starts_with(a) && a.starts_with('c')
            });
            if let Some(i) = cmd {
                let script = script_after(i);
                let (rule, sev, what) = if download_to_shell(&script) {
                    (
                        "config.exec.download-pipe",
                        Severity::Critical,
                        "downloads code and runs it through PowerShell",
                    )
                } else {
                    (
                        "config.exec.shell",
                        Severity::Medium,
                        "is started through a PowerShell command",
                    )
                };
                push(
                    rule,
                    sev,
                    format!("server `{name}` {what}: {shown}"),
                    args.get(i + 1).map(String::as_str).unwrap_or(""),
                );
            }
        }
        p if is_interpreter(p) => {
            let inline: &[&str] = if p.starts_with("python") || p == "py" {
                &["-c"]
            } else if p == "deno" || p == "bun" {
                &["eval", "-e", "--eval"]
            } else {
                &["-e", "--eval", "-p", "--print", "-E"]
            };
            // `python -c` only counts before the script name (later args belong to the script).
            let i = args
                .iter()
                .take_while(|a| a.starts_with('-') || inline.contains(&a.as_str()))
                .position(|a| inline.contains(&a.as_str()) || a.starts_with("--eval="));
            if let Some(i) = i {
                let code = args.get(i + 1).map(String::as_str).unwrap_or("");
                let (rule, sev) = if download_to_shell(code) {
                    ("config.exec.download-pipe", Severity::Critical)
                } else {
                    ("config.exec.inline-code", Severity::High)
                };
                push(
                    rule,
                    sev,
                    format!("server `{name}` runs code written inline in the config: {shown}"),
                    code,
                );
            }
        }
        _ => {}
    }
}

fn is_interpreter(p: &str) -> bool {
    let p = p.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        p,
        "node" | "nodejs" | "python" | "py" | "perl" | "ruby" | "deno" | "bun" | "php"
    )
}

fn endpoints(s: &ServerEntry, text: &Source, out: &mut Vec<Finding>) {
    let mut values: Vec<(String, &str)> = Vec::new();
    if let Some(u) = &s.url {
        values.push(("url".into(), u));
    }
    for (i, a) in s.args.iter().enumerate() {
        values.push((format!("args[{i}]"), a));
    }
    for (k, v) in &s.env {
        values.push((format!("env.{k}"), v));
    }
    let mut seen = std::collections::HashSet::new();
    for (field, v) in values {
        for e in endpoints_in(v) {
            if !seen.insert(e.url.clone()) {
                continue;
            }
            let line = text.find_value_line(s.line, &e.url).or(s.line).unwrap_or(0);
            let Some(mut f) = endpoint_finding(&e, &s.file, line, 0) else {
                continue;
            };
            f.rule = format!("config.{}", f.rule);
            f.message = format!("server `{}`: {}", s.name, f.message);
            if line == 0 {
                f.line = None;
            }
            f.column = None;
            f = f
                .with("server", s.name.clone())
                .with("client", s.client.as_str())
                .with("field", field.clone());
            out.push(f);
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Secret findings; returns the (raw, redacted) pairs found.
fn secrets_of(s: &ServerEntry, text: &Source, out: &mut Vec<Finding>) -> Vec<(String, String)> {
    let mut raw = Vec::new();
    let mut values: Vec<(String, Option<&str>, &str)> = Vec::new();
    for (k, v) in &s.env {
        values.push((format!("env.{k}"), Some(k), v));
    }
    for (k, v) in &s.headers {
        values.push((format!("headers.{k}"), Some(k), v));
    }
    // `--token=VALUE`, `--api-key VALUE`: the flag names the value.
    for (i, a) in s.args.iter().enumerate() {
        let (key, val) = match a.split_once('=') {
            Some((k, v)) if k.starts_with('-') => (Some(k.trim_start_matches('-')), v),
            // `docker run -e NAME=VALUE`, `env NAME=VALUE …`.
            Some((k, v))
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
            {
                (Some(k), v)
            }
            _ => {
                let prev = i
                    .checked_sub(1)
                    .and_then(|p| s.args.get(p))
                    .filter(|p| p.starts_with('-'))
                    .map(|p| p.trim_start_matches('-'));
                (prev, a.as_str())
            }
        };
        values.push((format!("args[{i}]"), key, val));
    }
    if let Some(u) = &s.url {
        // Tokens in a query string (`?api_key=…`), a password in the URL.
        if let Ok(parsed) = url::Url::parse(u) {
            let password = parsed.password().map(percent_decode);
            if let Some(pw) = password.filter(|p| !secrets::is_reference(p) && !p.contains("${")) {
                let hit = secrets::SecretHit {
                    kind: "url-password",
                    label: "password",
                    redacted: secrets::redact(&pw, 0),
                    raw: pw.clone(),
                };
                out.push(secret_finding(s, text, "url", &pw, &hit));
                raw.push((format!(":{pw}@"), format!(":{}@", hit.redacted)));
            }
            for (k, v) in parsed.query_pairs() {
                let (k, v) = (k.to_string(), v.to_string());
                for hit in secrets::find(Some(&k), &v) {
                    out.push(secret_finding(s, text, &format!("url?{k}"), &v, &hit));
                    raw.push((hit.raw.clone(), hit.redacted.clone()));
                }
            }
        }
    }
    for (field, key, v) in values {
        for hit in secrets::find(key, v) {
            out.push(secret_finding(s, text, &field, v, &hit));
            raw.push((hit.raw.clone(), hit.redacted.clone()));
        }
    }
    raw
}

fn secret_finding(
    s: &ServerEntry,
    text: &Source,
    field: &str,
    value: &str,
    hit: &secrets::SecretHit,
) -> Finding {
    let mut f = base(
        s,
        &format!("config.secret.{}", hit.kind),
        Category::Secret,
        Severity::High,
        format!(
            "server `{}`: {} written inline in {field} ({}); use the client's secret input or an environment reference",
            s.name, hit.label, hit.redacted
        ),
    )
    .with("field", field)
    .with("redacted", hit.redacted.clone());
    if let Some(l) = text.find_value_line(s.line, value) {
        f.line = Some(l);
    }
    f
}
