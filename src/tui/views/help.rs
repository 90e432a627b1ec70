use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The help overlay, generated from the keymap's descriptions for the current screen.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let w = area.width.saturating_sub(4).clamp(20, 90);
    let h = area.height.saturating_sub(2).max(5);
    let rect = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
    .intersection(area);
    frame.render_widget(Clear, rect);
    let mode = state.screen.mode();
    let entries = state.keymap.help(mode);
    let key_w = entries
        .iter()
        .map(|(_, k, _)| k.chars().count())
        .max()
        .unwrap_or(4)
        .min(14);
    let mut lines = Vec::new();
    let mut last = String::new();
    for (m, keys, desc) in entries {
        if m != last {
            lines.push(Line::styled(
                if m == "global" {
                    "Everywhere".to_string()
                } else {
                    format!("On this screen ({m})")
                },
                theme.style("heading"),
            ));
            last = m;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<key_w$}  "), theme.style("key")),
            Span::styled(desc, theme.style("base")),
        ]));
    }
    let inner = h.saturating_sub(2);
    let max = (lines.len() as u16).saturating_sub(inner);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((state.help_scroll.min(max), 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.style("title"))
                    .title(" Help: ? or Esc closes, j/k scroll "),
            ),
        rect,
    );
}
