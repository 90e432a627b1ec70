//! Views: functions that borrow the state and draw it. They hold nothing and never see keys.

mod checklist;
mod deps;
mod help;
mod overview;
mod queue;
mod tools;
mod verdict;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::escape::sanitize;
use super::state::{Job, Screen, State, SCREENS};
use super::theme::Theme;

/// Package or registry text, made safe to show.
pub(crate) fn esc(s: &str) -> String {
    sanitize(s).into_owned()
}

/// Cut to `max` characters with an ellipsis.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// First row of a window of `height` rows that keeps `selected` visible.
pub(crate) fn window(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    selected.saturating_sub(height / 2).min(len - height)
}

pub(crate) fn heading<'a>(text: impl Into<String>, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text.into(), theme.style("heading")))
}

pub(crate) fn kv<'a>(key: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("  {key:<11} "), theme.style("muted")),
        Span::styled(value, theme.style("base")),
    ])
}

/// The Code screen's styles from the theme's scopes.
pub fn code_styles(theme: &Theme) -> super::code::CodeStyles {
    use crate::finding::Severity;
    let sev = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let t = theme.clone();
    super::code::CodeStyles {
        base: theme.style("base"),
        line_number: theme.style("code.line-number"),
        gutter: sev.map(|s| theme.severity(s)),
        span: sev.map(|s| theme.style(&format!("code.finding.{}", s.as_str()))),
        cursor_line: theme.style("cursor-line"),
        selection: theme.style("selection"),
        hidden_marker: theme.style("hidden-marker"),
        tree_dir: theme.style("code.tree.dir"),
        tree_file: theme.style("code.tree.file"),
        search_match: theme.style("code.search"),
        status: theme.style("code.status"),
        syntax: std::sync::Arc::new(move |scope: &str| t.style(&format!("syntax.{scope}"))),
    }
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, state: &mut State, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.style("base")), area);
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    state.page = body.height.saturating_sub(3).max(1);
    tabs(frame, top, state, theme);
    if state.screen == Screen::Code {
        if let Some(r) = state.review_mut() {
            let styles = code_styles(theme);
            r.code.render(frame, body, &styles);
            status_line(frame, bottom, state, theme);
            if state.help {
                help::draw(frame, area, state, theme);
            }
            return;
        }
    }
    match state.screen {
        Screen::Queue => queue::draw(frame, body, state, theme),
        _ => match state.review() {
            Some(r) => match state.screen {
                Screen::Overview => overview::draw(frame, body, r, theme),
                Screen::Tools => tools::draw(frame, body, r, theme),
                Screen::Deps => deps::draw(frame, body, r, theme),
                Screen::Checklist => checklist::draw(frame, body, r, theme),
                Screen::Verdict => verdict::draw(frame, body, r, theme),
                Screen::Queue | Screen::Code => {}
            },
            None => pending(frame, body, state, theme),
        },
    }
    status_line(frame, bottom, state, theme);
    if state.help {
        help::draw(frame, area, state, theme);
    }
    if let Some(input) = &state.input {
        prompt(frame, area, &input.prompt, &input.buffer, theme);
    }
}

fn tabs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = Vec::new();
    let reviewing = state.current.is_some();
    for s in SCREENS {
        if *s != Screen::Queue && !reviewing {
            continue;
        }
        let style = if *s == state.screen {
            theme.style("tab.active")
        } else {
            theme.style("tab")
        };
        spans.push(Span::styled(format!(" {} ", s.title()), style));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if let Some(item) = state.current_item() {
        let name = match &item.review {
            Some(r) => {
                let p = &r.report.package;
                if p.version.is_empty() {
                    esc(&p.name)
                } else {
                    format!("{}@{}", esc(&p.name), esc(&p.version))
                }
            }
            None => esc(&item.label),
        };
        let room = (area.width as usize).saturating_sub(used + 2);
        if room > 4 {
            let name = cut(&name, room);
            let pad = room - name.chars().count();
            spans.push(Span::raw(" ".repeat(pad + 1)));
            spans.push(Span::styled(name, theme.style("title")));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The body while a package is still being fetched or analysed (or failed).
fn pending(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines = Vec::new();
    if let Some(item) = state.current_item() {
        lines.push(heading(esc(&item.label), theme));
        lines.push(Line::raw(""));
        match &item.job {
            Job::Running(p) => {
                for l in progress_lines(p) {
                    lines.push(Line::styled(l, theme.style("status.progress")));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    "The screens fill in when the analysis ends; keys work meanwhile.",
                    theme.style("muted"),
                ));
            }
            Job::Failed(e) => {
                lines.push(Line::styled(
                    format!("scan failed: {}", esc(e)),
                    theme.style("status.error"),
                ));
                lines.push(Line::styled(
                    "Go back to the queue (1) and press Enter to try again.",
                    theme.style("muted"),
                ));
            }
            Job::Idle | Job::Done => {}
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

pub(crate) fn progress_lines(p: &super::state::Progress) -> Vec<String> {
    let mut out = Vec::new();
    let stage = p.stage.map_or("starting", |s| s.as_str());
    out.push(format!("{stage} {}", esc(&p.what)));
    if p.bytes > 0 {
        out.push(match p.total {
            Some(t) if t > 0 => format!("  {} of {} bytes", p.bytes, t),
            _ => format!("  {} bytes", p.bytes),
        });
    }
    if p.files_total > 0 {
        out.push(format!(
            "  {} of {} files analysed",
            p.files_done, p.files_total
        ));
    }
    out
}

fn status_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let (text, style) = match &state.status {
        Some((m, true)) => (esc(m), theme.style("status.error")),
        Some((m, false)) => (esc(m), theme.style("status")),
        None => {
            let running = state.queue.iter().find_map(|q| match &q.job {
                Job::Running(p) => Some(progress_lines(p).join(" ")),
                _ => None,
            });
            match running {
                Some(p) => (p, theme.style("status.progress")),
                None => {
                    let help = state
                        .keymap
                        .key_for(state.mode(), super::action::Action::Help)
                        .unwrap_or_else(|| "?".into());
                    let quit = state
                        .keymap
                        .key_for(state.mode(), super::action::Action::Quit)
                        .unwrap_or_else(|| "q".into());
                    (
                        format!("{help} help  {quit} quit  Tab next screen"),
                        theme.style("muted"),
                    )
                }
            }
        }
    };
    let mut spans = vec![Span::styled(cut(&text, area.width as usize), style)];
    if let Some(r) = state.review() {
        if r.read_only.is_some() && state.status.is_none() {
            spans = vec![Span::styled(
                cut(
                    "read-only: this review is open elsewhere",
                    area.width as usize,
                ),
                theme.style("status.error"),
            )];
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn prompt(frame: &mut Frame, area: Rect, title: &str, buffer: &str, theme: &Theme) {
    let w = area.width.saturating_sub(4).clamp(10, 100);
    let h = 5.min(area.height);
    let x = area.x + (area.width.saturating_sub(w)) / 2;
    let y = area.y + (area.height.saturating_sub(h)) / 2;
    let rect = Rect::new(x, y, w, h).intersection(area);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style("border"))
        .title(Span::styled(
            format!(" {} ", esc(title)),
            theme.style("title"),
        ));
    let inner_w = w.saturating_sub(2) as usize;
    // Show the end of long input.
    let shown: String = {
        let text = esc(buffer);
        let n = text.chars().count();
        text.chars()
            .skip(n.saturating_sub(inner_w.saturating_sub(1)))
            .collect()
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(shown, theme.style("base")),
            Span::styled("▏", theme.style("key")),
        ]),
        Line::styled("Enter save · Esc cancel", theme.style("muted")),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(block).style(Style::default()),
        rect,
    );
}
