use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{cut, esc, heading};
use crate::tui::state::Review;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, r: &Review, theme: &Theme) {
    let d = &r.deps;
    let mut lines = vec![heading(
        format!(
            "Direct dependencies ({}) from the package's manifests",
            d.direct.len()
        ),
        theme,
    )];
    lines.push(Line::styled(
        "Transitive resolution is not available yet: only what the manifests declare is shown.",
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
    let w = area.width as usize;
    let name_w = (w / 3).clamp(12, 40);
    let req_w = (w / 4).clamp(8, 30);
    let mut last_file = String::new();
    for dep in &d.direct {
        let group = format!("{} {}", dep.file, dep.kind);
        if group != last_file {
            lines.push(Line::styled(
                format!(" {}", esc(&group)),
                theme.style("title"),
            ));
            last_file = group;
        }
        let flags = dep.flags.join(", ");
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<name_w$} ", cut(&esc(&dep.name), name_w)),
                theme.style("base"),
            ),
            Span::styled(
                format!("{:<req_w$} ", cut(&esc(&dep.requirement), req_w)),
                theme.style("muted"),
            ),
            Span::styled(flags, theme.style("signal.warn")),
        ]));
    }
    let max = (lines.len() as u16).saturating_sub(area.height.max(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((r.deps_scroll.min(max), 0)),
        area,
    );
}
