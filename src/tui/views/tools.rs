use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::{cut, esc, window};
use crate::tui::state::{Pane, Review};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, r: &Review, theme: &Theme) {
    let rep = &r.report;
    let wide = area.width >= 100;
    let [list_area, detail_area] = if wide {
        Layout::horizontal([Constraint::Length(34), Constraint::Min(20)]).areas(area)
    } else {
        let h = (rep.tools.len() as u16 + 2)
            .min(area.height / 3 + 1)
            .max(3.min(area.height));
        Layout::vertical([Constraint::Length(h), Constraint::Min(3)]).areas(area)
    };
    let border = |active: bool| {
        if active {
            theme.style("title")
        } else {
            theme.style("border")
        }
    };
    // The list.
    let inner_h = list_area.height.saturating_sub(2) as usize;
    let start = window(r.tool, rep.tools.len(), inner_h);
    let lw = list_area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    if rep.tools.is_empty() {
        lines.push(Line::styled(
            "no tools, prompts or resources found",
            theme.style("muted"),
        ));
    }
    for (i, t) in rep.tools.iter().enumerate().skip(start).take(inner_h) {
        let kind = match t.kind {
            crate::analyze::SurfaceKind::Tool => "tool",
            crate::analyze::SurfaceKind::Prompt => "prompt",
            crate::analyze::SurfaceKind::Resource => "res",
        };
        let worst = t
            .findings
            .iter()
            .filter_map(|&i| rep.findings.get(i))
            .map(|f| f.severity)
            .max();
        let style = if i == r.tool {
            theme.style("selection")
        } else {
            theme.style("base")
        };
        let count = format!("{:>3}", t.findings.len());
        lines.push(Line::from(vec![
            Span::styled(format!("{kind:<7}"), theme.style("muted")),
            Span::styled(
                format!(
                    "{:<w$}",
                    cut(&esc(&t.name), lw.saturating_sub(11)),
                    w = lw.saturating_sub(11)
                ),
                style,
            ),
            Span::styled(
                count,
                worst.map_or(theme.style("muted"), |s| theme.severity(s)),
            ),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(r.tools_pane == Pane::List))
                .title(format!(" Tools, prompts, resources ({}) ", rep.tools.len())),
        ),
        list_area,
    );
    // The detail.
    let mut d = Vec::new();
    if let Some(t) = rep.tools.get(r.tool) {
        d.push(Line::from(vec![
            Span::styled(esc(&t.name), theme.style("title")),
            Span::styled(
                format!("  {}:{}", esc(&t.path), t.line),
                theme.style("muted"),
            ),
        ]));
        let caps = super::overview::tool_capabilities(rep, &t.findings);
        if !caps.is_empty() {
            d.push(Line::from(vec![
                Span::styled("does: ", theme.style("muted")),
                Span::raw(caps.join(", ")),
            ]));
        }
        d.push(Line::styled(
            "Description (hidden characters shown as ⟨…⟩):",
            theme.style("heading"),
        ));
        match &t.description {
            Some(desc) => {
                for l in desc.lines() {
                    d.push(Line::raw(esc(l)));
                }
            }
            None => d.push(Line::styled("(none)", theme.style("muted"))),
        }
        if let Some(schema) = &t.schema {
            d.push(Line::styled("Schema:", theme.style("heading")));
            for l in schema.lines().take(40) {
                d.push(Line::raw(esc(l)));
            }
        }
        d.push(Line::styled(
            format!("Findings its handler reaches ({}):", t.findings.len()),
            theme.style("heading"),
        ));
        for (k, &fi) in t.findings.iter().enumerate() {
            let Some(f) = rep.findings.get(fi) else {
                continue;
            };
            let sel = r.tools_pane == Pane::Detail && k == r.tool_finding;
            let loc = match f.line {
                Some(l) => format!("{}:{l}", esc(&f.path)),
                None => esc(&f.path),
            };
            d.push(Line::from(vec![
                Span::styled(if sel { "▸ " } else { "  " }, theme.style("selection")),
                Span::styled(
                    format!("{:<8} ", f.severity.as_str()),
                    theme.severity(f.severity),
                ),
                Span::styled(
                    format!("{loc}  {}", esc(&f.message)),
                    if sel {
                        theme.style("selection")
                    } else {
                        theme.style("base")
                    },
                ),
            ]));
        }
    }
    // Keep the selected finding in view.
    let inner = detail_area.height.saturating_sub(2) as usize;
    let sel_line = d.len().saturating_sub(
        rep.tools
            .get(r.tool)
            .map_or(0, |t| t.findings.len().saturating_sub(r.tool_finding)),
    );
    let scroll = if r.tools_pane == Pane::Detail && sel_line >= inner {
        (sel_line + 1 - inner) as u16
    } else {
        0
    };
    frame.render_widget(
        Paragraph::new(d)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(border(r.tools_pane == Pane::Detail)),
            ),
        detail_area,
    );
}
