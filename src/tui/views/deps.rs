use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{cut, esc, heading};
use crate::deps::{Dependencies, Flag};
use crate::tui::state::Review;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, r: &Review, theme: &Theme) {
    let lines = match &r.report.dependencies {
        Some(d) => resolved(d, area.width as usize, theme),
        None => manifest_only(r, area.width as usize, theme),
    };
    let max = (lines.len() as u16).saturating_sub(area.height.max(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((r.deps_scroll.min(max), 0)),
        area,
    );
}

fn flag_spans<'a>(flags: &[Flag], theme: &Theme) -> Vec<Span<'a>> {
    let mut out = Vec::new();
    for f in flags {
        out.push(Span::styled(
            format!(" {}", f.flag.as_str()),
            theme.severity(f.flag.severity()),
        ));
        if !f.evidence.is_empty() {
            out.push(Span::styled(
                format!(" ({})", esc(&f.evidence)),
                theme.style("muted"),
            ));
        }
    }
    out
}

/// The report's resolved dependencies: direct with the version they resolve to, then the
/// transitive ones with their depth and the package that pulled them in.
fn resolved<'a>(d: &Dependencies, w: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![heading(
        format!(
            "Dependencies ({}): {} direct, {} packages resolved{}",
            esc(&d.ecosystem),
            d.direct.len(),
            d.count,
            if d.truncated {
                ", tree cut at the bound"
            } else {
                ""
            }
        ),
        theme,
    )];
    if !d.flags.is_empty() {
        let summary: Vec<String> = d
            .flags
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_str()))
            .collect();
        lines.push(Line::styled(
            format!("  flagged: {}", summary.join(", ")),
            theme.style("signal.warn"),
        ));
    }
    for n in &d.notes {
        lines.push(Line::styled(format!("  {}", esc(n)), theme.style("muted")));
    }
    for e in &d.errors {
        lines.push(Line::styled(
            format!("  {}", esc(e)),
            theme.style("status.error"),
        ));
    }
    let name_w = (w / 3).clamp(12, 40);
    lines.push(Line::styled(" Direct", theme.style("title")));
    if d.direct.is_empty() {
        lines.push(Line::styled("  none declared", theme.style("muted")));
    }
    for dep in &d.direct {
        let version = dep
            .resolved
            .as_deref()
            .map(esc)
            .unwrap_or_else(|| "?".into());
        let mut spans = vec![
            Span::styled(
                format!("  {:<name_w$} ", cut(&esc(&dep.name), name_w)),
                theme.style("base"),
            ),
            Span::styled(
                format!("{} → {version}", cut(&esc(&dep.spec), 20)),
                theme.style("muted"),
            ),
        ];
        spans.extend(flag_spans(&dep.flags, theme));
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled(
        format!(" Transitive ({})", d.transitive.len()),
        theme.style("title"),
    ));
    for t in &d.transitive {
        let mut spans = vec![
            Span::styled(
                format!(
                    "  {}{:<name_w$} ",
                    "·".repeat(t.depth.saturating_sub(1).min(6) as usize),
                    cut(&esc(&t.name), name_w)
                ),
                theme.style("base"),
            ),
            Span::styled(
                format!("{} via {}", esc(&t.version), esc(&t.via)),
                theme.style("muted"),
            ),
        ];
        spans.extend(flag_spans(&t.flags, theme));
        lines.push(Line::from(spans));
    }
    lines
}

/// No resolution in the report (a package analysed without its registry, like the demo): what
/// the manifests declare, read from the tree.
fn manifest_only<'a>(r: &Review, w: usize, theme: &Theme) -> Vec<Line<'a>> {
    let d = &r.deps;
    let mut lines = vec![heading(
        format!(
            "Direct dependencies ({}) from the package's manifests",
            d.direct.len()
        ),
        theme,
    )];
    lines.push(Line::styled(
        "Not resolved for this package (no registry record): transitive dependencies unavailable.",
        theme.style("muted"),
    ));
    for e in &d.errors {
        lines.push(Line::styled(
            format!("  {}", esc(e)),
            theme.style("status.error"),
        ));
    }
    if d.direct.is_empty() {
        lines.push(Line::styled(
            "  no dependencies declared",
            theme.style("muted"),
        ));
    }
    let name_w = (w / 3).clamp(12, 40);
    let req_w = (w / 4).clamp(8, 30);
    let mut last_group = String::new();
    for dep in &d.direct {
        let group = format!("{} {}", dep.file, dep.kind);
        if group != last_group {
            lines.push(Line::styled(
                format!(" {}", esc(&group)),
                theme.style("title"),
            ));
            last_group = group;
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<name_w$} ", cut(&esc(&dep.name), name_w)),
                theme.style("base"),
            ),
            Span::styled(
                format!("{:<req_w$} ", cut(&esc(&dep.requirement), req_w)),
                theme.style("muted"),
            ),
            Span::styled(dep.flags.join(", "), theme.style("signal.warn")),
        ]));
    }
    lines
}
