use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{esc, heading, kv};
use crate::finding::{Category, Finding};
use crate::report::Report;
use crate::tui::state::Review;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, r: &Review, theme: &Theme) {
    let lines = lines(&r.report, theme);
    let max = (lines.len() as u16).saturating_sub(area.height.max(1));
    let scroll = r.overview_scroll.min(max);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

fn lines<'a>(rep: &Report, theme: &Theme) -> Vec<Line<'a>> {
    let p = &rep.package;
    let mut out = Vec::new();
    let title = if p.version.is_empty() {
        esc(&p.name)
    } else {
        format!("{} {}", esc(&p.name), esc(&p.version))
    };
    out.push(heading(format!("{title}  ({})", esc(&p.ecosystem)), theme));
    out.push(kv("spec", esc(&p.spec), theme));
    if !p.digest.is_empty() {
        out.push(kv("digest", esc(&p.digest), theme));
    }
    let pin = Line::from(vec![
        Span::styled(format!("  {:<11} ", "status"), theme.style("muted")),
        if p.verified {
            Span::styled("verified", theme.style("signal.ok"))
        } else {
            Span::styled("not verified", theme.style("signal.warn"))
        },
        Span::raw(", "),
        if p.pinned && !p.moving {
            Span::styled("pinned", theme.style("signal.ok"))
        } else {
            Span::styled("NOT PINNED", theme.style("signal.bad"))
        },
        Span::styled(
            format!("  {} files, {} bytes", rep.stats.files, rep.stats.bytes),
            theme.style("muted"),
        ),
    ]);
    out.push(pin);
    for n in &p.notes {
        out.push(kv("note", esc(n), theme));
    }
    out.push(Line::raw(""));

    let band = rep.risk.band;
    out.push(Line::from(vec![
        Span::styled("Risk ", theme.style("heading")),
        Span::styled(
            format!("{}/100 {}", rep.risk.score, band.as_str()),
            theme.severity(band),
        ),
    ]));
    for reason in &rep.risk.reasons {
        out.push(Line::from(vec![
            Span::styled(format!("  +{:<3} ", reason.points), theme.style("muted")),
            Span::raw(esc(&reason.text)),
        ]));
    }
    out.push(Line::raw(""));

    out.push(Line::from(vec![
        Span::styled("Provenance ", theme.style("heading")),
        Span::styled(
            if rep.provenance.class.is_empty() {
                "unclassified".to_string()
            } else {
                esc(&rep.provenance.class)
            },
            theme.style("title"),
        ),
    ]));
    for e in &rep.provenance.evidence {
        out.push(Line::styled(format!("  {}", esc(e)), theme.style("muted")));
    }
    for s in &rep.provenance.signals {
        let st = s.status.as_str();
        out.push(Line::from(vec![
            Span::styled(format!("  {:<8}", st), theme.style(&format!("signal.{st}"))),
            Span::styled(format!("{}: ", esc(&s.name)), theme.style("muted")),
            Span::raw(esc(&s.value)),
        ]));
    }
    out.push(Line::raw(""));

    out.push(heading("Capabilities", theme));
    let c = &rep.capabilities;
    let join = |v: &[String]| {
        if v.is_empty() {
            "none found".to_string()
        } else {
            v.iter().map(|s| esc(s)).collect::<Vec<_>>().join(", ")
        }
    };
    let hosts: Vec<String> = c
        .hosts
        .iter()
        .map(|h| format!("{} ({})", esc(&h.host), esc(&h.kind)))
        .collect();
    out.push(kv(
        "network",
        if hosts.is_empty() {
            "no hosts named".into()
        } else {
            hosts.join(", ")
        },
        theme,
    ));
    out.push(kv("env vars", join(&c.env), theme));
    out.push(kv("processes", join(&c.exec), theme));
    out.push(kv("writes", join(&c.fs_write), theme));
    out.push(kv("credentials", join(&c.sensitive_reads), theme));
    out.push(Line::raw(""));

    out.push(heading(
        format!("Tools → capabilities ({})", rep.tools.len()),
        theme,
    ));
    if rep.tools.is_empty() {
        out.push(Line::styled(
            "  no MCP tools, prompts or resources found",
            theme.style("muted"),
        ));
    }
    for t in &rep.tools {
        let caps = tool_capabilities(rep, &t.findings);
        out.push(Line::from(vec![
            Span::styled(format!("  {}", esc(&t.name)), theme.style("key")),
            Span::raw(": "),
            if caps.is_empty() {
                Span::styled("nothing found in its handler", theme.style("muted"))
            } else {
                Span::raw(caps.join(", "))
            },
        ]));
    }
    out.push(Line::raw(""));
    out.push(heading("Findings", theme));
    for (cat, counts) in rep.counts() {
        let parts: Vec<String> = counts
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| format!("{n} {}", severity_name(i)))
            .collect();
        out.push(Line::from(vec![
            Span::styled(format!("  {:<18}", cat.as_str()), theme.style("muted")),
            Span::raw(parts.join(", ")),
        ]));
    }
    out
}

fn severity_name(i: usize) -> &'static str {
    ["info", "low", "medium", "high", "critical"]
        .get(i)
        .copied()
        .unwrap_or("?")
}

fn evidence_str(f: &Finding, key: &str) -> Option<String> {
    f.evidence.get(key).and_then(|v| v.as_str()).map(esc)
}

/// A host named on the same line as `f` (the endpoint a call goes to).
fn host_near(rep: &Report, f: &Finding) -> Option<String> {
    evidence_str(f, "host").or_else(|| {
        rep.findings
            .iter()
            .filter(|o| o.path == f.path && o.line == f.line)
            .find_map(|o| evidence_str(o, "host"))
    })
}

/// "network to 198.18.7.23, reads ~/.aws/credentials" for one tool's findings.
pub(crate) fn tool_capabilities(rep: &Report, indices: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in indices.iter().filter_map(|&i| rep.findings.get(i)) {
        let phrase = match f.category {
            Category::Network => Some(match host_near(rep, f) {
                Some(h) => format!("network to {h}"),
                None => "network".into(),
            }),
            Category::SensitiveRead => Some(
                match evidence_str(f, "path").or_else(|| evidence_str(f, "location")) {
                    Some(p) => format!("reads {p}"),
                    None => "reads credentials".into(),
                },
            ),
            Category::EnvRead => Some(match evidence_str(f, "variable") {
                Some(v) => format!("env {v}"),
                None => "reads the environment".into(),
            }),
            Category::Exec => Some(match evidence_str(f, "command") {
                Some(c) => format!("runs {c}"),
                None => "starts processes".into(),
            }),
            Category::FsWrite => Some(match evidence_str(f, "target") {
                Some(t) => format!("writes {t}"),
                None => "writes files".into(),
            }),
            Category::Eval => Some("evaluates code".into()),
            Category::PromptInjection => Some("instructs the model".into()),
            Category::HiddenUnicode => Some("hidden characters".into()),
            Category::Obfuscation => Some("obfuscated code".into()),
            Category::Endpoint => host_near(rep, f).map(|h| format!("endpoint {h}")),
            _ => None,
        };
        if let Some(p) = phrase {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    // "network to HOST" says more than "network".
    if out.iter().any(|p| p.starts_with("network to ")) {
        out.retain(|p| p != "network");
    }
    out
}
