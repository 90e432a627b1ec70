use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{cut, esc, heading, window};
use crate::tui::state::State;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let w = area.width as usize;
    let mut lines = vec![heading(
        format!("Queue: {} to review", state.queue.len()),
        theme,
    )];
    if state.queue.is_empty() {
        lines.push(Line::styled("  nothing to review", theme.style("muted")));
    }
    let status_w = 16;
    let risk_w = 14;
    let label_w = w.saturating_sub(status_w + risk_w + 4).max(10);
    lines.push(Line::styled(
        format!(
            "  {:<status_w$} {:<risk_w$} {}",
            "status", "config risk", "server / package"
        ),
        theme.style("muted"),
    ));
    let height = (area.height as usize).saturating_sub(lines.len() + 3);
    let start = window(state.queue_cursor, state.queue.len(), height / 2);
    for (i, item) in state.queue.iter().enumerate().skip(start) {
        if lines.len() + 2 > area.height as usize {
            break;
        }
        let selected = i == state.queue_cursor;
        let risk = match item.config_risk {
            Some((score, band)) if score > 0 => (
                format!("{score:>3} {}", band.as_str()),
                theme.severity(band),
            ),
            Some(_) => ("  0".to_string(), theme.style("muted")),
            None => ("-".to_string(), theme.style("muted")),
        };
        let marker = if selected { "▸ " } else { "  " };
        let row_style = if selected {
            theme.style("selection")
        } else {
            theme.style("base")
        };
        lines.push(Line::from(vec![
            Span::styled(marker, row_style),
            Span::styled(
                format!("{:<status_w$} ", cut(&item.status(), status_w)),
                row_style,
            ),
            Span::styled(format!("{:<risk_w$} ", cut(&risk.0, risk_w)), risk.1),
            Span::styled(cut(&esc(&item.label), label_w), row_style),
        ]));
        let detail = match &item.spec {
            Some(s) => format!("{}  {}", esc(s), esc(&item.origin)),
            None => esc(&item.origin),
        };
        lines.push(Line::styled(
            format!(
                "{:width$}{}",
                "",
                cut(&detail, w.saturating_sub(status_w + risk_w + 4)),
                width = status_w + risk_w + 4
            ),
            theme.style("muted"),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
