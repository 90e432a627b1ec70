//! Markdown for a pull request comment.
//!
//! Everything that came from a package or a registry is neutralised twice: control, bidi and
//! invisible characters become visible escapes ([`escape_for_terminal`]), and Markdown syntax
//! cannot act — paths, evidence and names go into code spans, free text is backslash-escaped,
//! and words that GitHub would turn into links or mentions (`@user`, `https://…`) become code.

use std::fmt::Write;

use serde_json::Value;

use super::Report;
use crate::finding::{Finding, Severity};
use crate::util::escape_for_terminal;

/// Rows shown per category before the rest is summarised (GitHub comments stop at 65,536
/// characters).
const MAX_ROWS: usize = 200;

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Package text as a code span. In a table cell, pipes are escaped (and a backslash before a
/// pipe doubled so the escape holds).
pub fn code(s: &str, in_table: bool) -> String {
    let s = escape_for_terminal(s, false);
    if s.is_empty() {
        return String::new();
    }
    let mut body = String::with_capacity(s.len() + 2);
    let mut backslashes = 0;
    for c in s.chars() {
        match c {
            '\\' => backslashes += 1,
            '|' if in_table => {
                body.push_str(&"\\".repeat(backslashes * 2));
                body.push_str("\\|");
                backslashes = 0;
            }
            c => {
                body.push_str(&"\\".repeat(backslashes));
                backslashes = 0;
                body.push(c);
            }
        }
    }
    body.push_str(&"\\".repeat(backslashes));
    // The fence is one backtick longer than the longest run inside.
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = body.starts_with('`') || body.ends_with('`') || body.starts_with(' ');
    if pad {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// Package text as inline Markdown: punctuation that could start markup is backslash-escaped;
/// words GitHub would link (`@name`, URLs, `www.`) are code spans.
pub fn text(s: &str) -> String {
    let s = escape_for_terminal(s, false);
    let mut out = String::with_capacity(s.len() + 8);
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let linky = word.contains('@')
            || word.contains("://")
            || word.to_ascii_lowercase().contains("www.");
        if linky {
            out.push_str(&code(word, true));
            continue;
        }
        for c in word.chars() {
            if "\\`*_[]<>&|~$#!".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn place(f: &Finding) -> String {
    match (f.path.is_empty(), f.line) {
        (true, _) => "(archive)".to_string(),
        (false, Some(l)) => code(&format!("{}:{l}", f.path), true),
        (false, None) => code(&f.path, true),
    }
}

/// `key: value; …` of a finding's evidence, clipped.
fn evidence_summary(f: &Finding) -> String {
    let mut parts = Vec::new();
    for (k, v) in &f.evidence {
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        parts.push(format!("{k}: {v}"));
    }
    let joined = parts.join("; ");
    let clipped: String = joined.chars().take(160).collect();
    if clipped.len() < joined.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let p = &r.package;
    let id = if p.version.is_empty() {
        p.name.clone()
    } else {
        format!("{}@{}", p.name, p.version)
    };
    let _ = writeln!(
        o,
        "## mcpvet: {} ({})\n",
        code(&id, false),
        text(&p.ecosystem)
    );
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| source | {} |", code(&p.source, true));
    if !p.digest.is_empty() {
        let _ = writeln!(o, "| digest | {} |", code(&p.digest, true));
    }
    if let Some(c) = &p.commit {
        let _ = writeln!(o, "| commit | {} |", code(c, true));
    }
    let _ = writeln!(
        o,
        "| verified | {} |",
        if p.verified {
            "yes"
        } else {
            "**no**: not checked against a registry digest"
        }
    );
    let _ = writeln!(
        o,
        "| pinned | {}{} |",
        if p.pinned { "yes" } else { "**no**" },
        if p.moving { " (moving source)" } else { "" }
    );
    let _ = writeln!(
        o,
        "| files | {} ({} bytes) |",
        r.stats.files,
        super::text::group(r.stats.bytes)
    );
    let _ = writeln!(
        o,
        "| worst finding | {} |",
        r.band().map_or("none", |s| s.as_str())
    );
    for n in &p.notes {
        let _ = writeln!(o, "| note | {} |", text(n));
    }
    o.push('\n');

    if r.findings.is_empty() {
        o.push_str("No findings.\n");
    } else {
        let counts = r.counts();
        o.push_str("### Summary\n\n| category | critical | high | medium | low | info | total |\n");
        o.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        let mut totals = [0usize; 5];
        for (cat, c) in &counts {
            let _ = write!(o, "| {} ", cat.as_str());
            for s in SEVERITIES {
                let _ = write!(o, "| {} ", c[s as usize]);
                totals[s as usize] += c[s as usize];
            }
            let _ = writeln!(o, "| {} |", c.iter().sum::<usize>());
        }
        o.push_str("| **total** ");
        for s in SEVERITIES {
            let _ = write!(o, "| **{}** ", totals[s as usize]);
        }
        let _ = writeln!(o, "| **{}** |\n", totals.iter().sum::<usize>());

        for (cat, c) in &counts {
            let n: usize = c.iter().sum();
            let _ = writeln!(o, "### {} ({n})\n", cat.as_str());
            o.push_str("| severity | location | message | evidence | tool |\n");
            o.push_str("|---|---|---|---|---|\n");
            for f in r
                .findings
                .iter()
                .filter(|f| f.category == *cat)
                .take(MAX_ROWS)
            {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    f.severity.as_str(),
                    place(f),
                    text(&f.message),
                    code(&evidence_summary(f), true),
                    f.tool.as_deref().map(|t| code(t, true)).unwrap_or_default()
                );
            }
            if n > MAX_ROWS {
                let _ = writeln!(
                    o,
                    "\n{} more {} findings are in the JSON report.",
                    n - MAX_ROWS,
                    cat.as_str()
                );
            }
            o.push('\n');
        }
    }

    let caps = &r.capabilities;
    let any_caps = !caps.hosts.is_empty()
        || !caps.env.is_empty()
        || !caps.exec.is_empty()
        || !caps.fs_write.is_empty()
        || !caps.sensitive_reads.is_empty();
    if any_caps {
        o.push_str("### Capabilities\n\n");
        if !caps.hosts.is_empty() {
            let hosts: Vec<String> = caps
                .hosts
                .iter()
                .map(|h| {
                    format!(
                        "{} ({}, {})",
                        code(&h.host, false),
                        text(&h.scheme),
                        text(&h.kind)
                    )
                })
                .collect();
            let _ = writeln!(o, "- **hosts**: {}", hosts.join(", "));
        }
        for (label, items) in [
            ("environment", &caps.env),
            ("exec", &caps.exec),
            ("writes", &caps.fs_write),
            ("sensitive reads", &caps.sensitive_reads),
        ] {
            if !items.is_empty() {
                let list: Vec<String> = items.iter().map(|i| code(i, false)).collect();
                let _ = writeln!(o, "- **{label}**: {}", list.join(", "));
            }
        }
        o.push('\n');
    }

    let prov = &r.provenance;
    if !prov.class.is_empty() {
        let _ = writeln!(o, "### Provenance: {}\n", code(&prov.class, false));
        for e in &prov.evidence {
            let _ = writeln!(o, "- {}", text(e));
        }
        let (unknown, known): (Vec<_>, Vec<_>) = prov
            .signals
            .iter()
            .partition(|s| s.status == crate::provenance::Status::Unknown);
        if !known.is_empty() {
            o.push_str("\n| signal | value | status |\n|---|---|---|\n");
            for sig in known {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    code(&sig.name, true),
                    code(&sig.value, true),
                    sig.status.as_str()
                );
            }
        }
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|s| code(&s.name, false)).collect();
            let _ = writeln!(o, "\nNot supplied by the registry: {}", names.join(", "));
        }
        o.push('\n');
    }

    if let Some(d) = &r.dependencies {
        let counts: Vec<String> = d
            .flags
            .iter()
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect();
        let _ = writeln!(
            o,
            "### Dependencies\n\n{} direct, {} resolved{}{}\n",
            d.direct.len(),
            d.count,
            if d.truncated { " (truncated)" } else { "" },
            if counts.is_empty() {
                String::new()
            } else {
                format!("; flagged: {}", counts.join(", "))
            }
        );
        let flagged = super::flagged_dependencies(d);
        if !flagged.is_empty() {
            o.push_str("| dependency | depth | flags | evidence |\n|---|---:|---|---|\n");
            for (label, depth, flags) in flagged.iter().take(100) {
                let names: Vec<&str> = flags.iter().map(|f| f.flag.as_str()).collect();
                let ev: Vec<String> = flags.iter().map(|f| f.evidence.clone()).collect();
                let _ = writeln!(
                    o,
                    "| {} | {depth} | {} | {} |",
                    code(label, true),
                    names.join(", "),
                    code(&ev.join("; "), true)
                );
            }
            if flagged.len() > 100 {
                let _ = writeln!(
                    o,
                    "\n{} more flagged dependencies in the JSON report.",
                    flagged.len() - 100
                );
            }
        }
        for n in &d.notes {
            let _ = writeln!(o, "\n- {}", text(n));
        }
        for e in d.errors.iter().take(20) {
            let _ = writeln!(o, "- unresolved: {}", text(e));
        }
        if d.errors.len() > 20 {
            let _ = writeln!(o, "- {} more unresolved", d.errors.len() - 20);
        }
        o.push('\n');
    }

    if !r.tools.is_empty() {
        o.push_str("### Tools\n\n| name | kind | findings | location |\n|---|---|---:|---|\n");
        for t in &r.tools {
            let kind = serde_json::to_value(t.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                code(&t.name, true),
                kind,
                t.findings.len(),
                code(&format!("{}:{}", t.path, t.line), true)
            );
        }
        o.push('\n');
    }
    o
}

/// Several packages: one section each, separated by a rule.
pub fn render_all(reports: &[Report]) -> String {
    reports
        .iter()
        .map(render)
        .collect::<Vec<_>>()
        .join("\n---\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_pipes_and_controls() {
        assert_eq!(code("a.js", true), "`a.js`");
        assert_eq!(code("a`b", true), "``a`b``");
        assert_eq!(code("`x", true), "`` `x ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
        assert_eq!(code("a|b", false), "`a|b`");
        assert_eq!(code("a\\|b", true), "`a\\\\\\|b`");
        assert_eq!(code("x\u{202e}y\nz", true), "`x\\u{202e}y\\u{a}z`");
        assert_eq!(code("", true), "");
    }

    #[test]
    fn text_neutralises_markup_links_and_mentions() {
        assert_eq!(text("plain words"), "plain words");
        assert_eq!(
            text("[click](x) <img> *b* a|b &#8238;"),
            "\\[click\\](x) \\<img\\> \\*b\\* a\\|b \\&\\#8238;"
        );
        assert_eq!(text("ping @admin now"), "ping `@admin` now");
        assert_eq!(
            text("see https://evil.example/x"),
            "see `https://evil.example/x`"
        );
        assert_eq!(text("$x$ and ~~s~~"), "\\$x\\$ and \\~\\~s\\~\\~");
        assert_eq!(text("a\nb\u{1b}[31m"), "a\\\\u{a}b\\\\u{1b}\\[31m");
    }
}
