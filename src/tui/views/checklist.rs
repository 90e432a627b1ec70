use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::{cut, esc, window};
use crate::review::checklist::Outcome;
use crate::tui::state::{Pane, Review};
use crate::tui::theme::Theme;

pub(crate) fn outcome_label(o: Option<Outcome>) -> &'static str {
    match o {
        Some(Outcome::Pass) => "pass",
        Some(Outcome::Fail) => "fail",
        Some(Outcome::Uncertain) => "uncertain",
        Some(Outcome::NotApplicable) => "n/a",
        None => "-",
    }
}

pub fn draw(frame: &mut Frame, area: Rect, r: &Review, theme: &Theme) {
    let steps = &r.checklist.steps;
    let wide = area.width >= 110;
    let [list_area, detail_area] = if wide {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        let h = (steps.len() as u16 + 2).min(area.height / 2);
        Layout::vertical([Constraint::Length(h), Constraint::Min(3)]).areas(area)
    };
    let border = |active: bool| {
        if active {
            theme.style("title")
        } else {
            theme.style("border")
        }
    };
    let inner_h = list_area.height.saturating_sub(2) as usize;
    let lw = list_area.width.saturating_sub(2) as usize;
    let start = window(r.step, steps.len(), inner_h);
    let mut lines = Vec::new();
    for (i, s) in steps.iter().enumerate().skip(start).take(inner_h) {
        let st = r.session.steps.get(&s.id);
        let outcome = st.and_then(|s| s.outcome);
        let suggested = r.suggested.get(i).and_then(|s| s.as_ref()).map(|s| s.0);
        let sel = i == r.step;
        let title_w = lw.saturating_sub(4 + 10 + 12);
        let note = if st.is_some_and(|s| !s.note.is_empty()) {
            "✎"
        } else {
            " "
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2}.", i + 1), theme.style("muted")),
            Span::styled(
                format!("{note}{:<title_w$}", cut(&esc(&s.title), title_w)),
                if sel {
                    theme.style("selection")
                } else {
                    theme.style("base")
                },
            ),
            Span::styled(
                format!(" {:<9}", outcome_label(outcome)),
                theme.style(&format!("outcome.{}", outcome_label(outcome))),
            ),
            Span::styled(
                format!(" ({})", outcome_label(suggested)),
                theme.style("muted"),
            ),
        ]));
    }
    let answered = r.session.outcomes().len();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(r.checklist_pane == Pane::List))
                .title(format!(
                    " {} · {answered}/{} answered · (suggested) ",
                    esc(&r.checklist.title),
                    steps.len()
                )),
        ),
        list_area,
    );

    let mut d = Vec::new();
    let mut selected_line = 0;
    if let Some(s) = steps.get(r.step) {
        d.push(Line::styled(esc(&s.title), theme.style("title")));
        if let Some(Some((o, why))) = r.suggested.get(r.step) {
            let label = outcome_label(Some(*o));
            d.push(Line::from(vec![
                Span::styled("suggested: ", theme.style("muted")),
                Span::styled(label, theme.style(&format!("outcome.{label}"))),
                Span::styled(format!("  {}", esc(why)), theme.style("muted")),
            ]));
        }
        if let Some(st) = r.session.steps.get(&s.id) {
            if !st.note.is_empty() {
                d.push(Line::from(vec![
                    Span::styled("note: ", theme.style("muted")),
                    Span::raw(esc(&st.note)),
                ]));
            }
        }
        let ev = r
            .evidence
            .get(r.step)
            .map(Vec::as_slice)
            .unwrap_or_default();
        d.push(Line::styled(
            format!("Evidence ({}):", ev.len()),
            theme.style("heading"),
        ));
        if ev.is_empty() {
            d.push(Line::styled(
                "  the analysis found nothing for this step",
                theme.style("muted"),
            ));
        }
        for (k, e) in ev.iter().enumerate() {
            let sel = r.checklist_pane == Pane::Detail && k == r.evidence_cursor;
            if sel {
                selected_line = d.len();
            }
            let loc = match (&e.file, e.line) {
                (Some(f), Some(l)) => format!("{}:{l} ", esc(f)),
                (Some(f), None) => format!("{} ", esc(f)),
                _ => String::new(),
            };
            let sev = e
                .severity
                .map_or("        ".to_string(), |s| format!("{:<8} ", s.as_str()));
            d.push(Line::from(vec![
                Span::styled(if sel { "▸ " } else { "  " }, theme.style("selection")),
                Span::styled(
                    sev,
                    e.severity
                        .map_or(theme.style("muted"), |s| theme.severity(s)),
                ),
                Span::styled(
                    format!("{loc}{}", esc(&e.summary)),
                    if sel {
                        theme.style("selection")
                    } else {
                        theme.style("base")
                    },
                ),
            ]));
        }
        d.push(Line::styled("Guidance:", theme.style("heading")));
        for l in s.guidance.lines() {
            d.push(Line::raw(esc(l)));
        }
    }
    let inner = detail_area.height.saturating_sub(2) as usize;
    let scroll = if selected_line >= inner {
        (selected_line + 1 - inner) as u16
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
                    .border_style(border(r.checklist_pane == Pane::Detail))
                    .title(" p pass · f fail · u uncertain · n n/a · a accept · e note "),
            ),
        detail_area,
    );
}
