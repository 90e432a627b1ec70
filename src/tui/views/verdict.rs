use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{esc, heading};
use crate::review::decision::{self, Verdict};
use crate::tui::state::{outcome_counts, verdict_label, Review};
use crate::tui::theme::Theme;

fn verdict_style(v: Verdict, theme: &Theme) -> ratatui::style::Style {
    theme.style(match v {
        Verdict::Go => "verdict.go",
        Verdict::NoGo => "verdict.no-go",
        Verdict::Sandbox => "verdict.sandbox",
    })
}

pub fn draw(frame: &mut Frame, area: Rect, r: &Review, theme: &Theme) {
    let rep = &r.report;
    let outcomes = r.session.outcomes();
    let [pass, fail, uncertain, na] = outcome_counts(&outcomes);
    let total = r.checklist.steps.len();
    let mut lines = vec![heading("Decision", theme)];
    lines.push(Line::from(vec![
        Span::styled("  checklist  ", theme.style("muted")),
        Span::raw(format!(
            "{} of {total} answered: {pass} pass, {fail} fail, {uncertain} uncertain, {na} n/a",
            outcomes.len()
        )),
    ]));
    lines.push(Line::from(vec![
        Span::styled("  risk       ", theme.style("muted")),
        Span::styled(
            format!("{}/100 {}", rep.risk.score, rep.risk.band.as_str()),
            theme.severity(rep.risk.band),
        ),
        Span::styled(
            format!(
                "   provenance {}",
                if rep.provenance.class.is_empty() {
                    "unclassified".to_string()
                } else {
                    esc(&rep.provenance.class)
                }
            ),
            theme.style("muted"),
        ),
    ]));
    let suggestion = r.suggestion();
    lines.push(Line::from(match suggestion.verdict() {
        Some(v) => vec![
            Span::styled("  suggested  ", theme.style("muted")),
            Span::styled(verdict_label(v), verdict_style(v, theme)),
            Span::raw(format!("  {}", esc(suggestion.reason()))),
        ],
        None => vec![
            Span::styled("  suggested  ", theme.style("muted")),
            Span::styled("ESCALATE", theme.style("signal.warn")),
            Span::raw(format!("  {}", esc(suggestion.reason()))),
        ],
    }));
    if decision::needs_override(rep) {
        lines.push(Line::styled(
            "  Critical band: GO or SANDBOX needs an owner override with a reason.",
            theme.style("risk.critical"),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(heading("Verdict", theme));
    match &r.session.verdict {
        Some(v) => {
            lines.push(Line::from(vec![
                Span::styled("  chosen     ", theme.style("muted")),
                Span::styled(verdict_label(v.verdict), verdict_style(v.verdict, theme)),
                Span::styled(format!("  at {}", esc(&v.decided_at)), theme.style("muted")),
            ]));
            if let Some(reason) = &v.reason {
                lines.push(Line::from(vec![
                    Span::styled("  reason     ", theme.style("muted")),
                    Span::raw(esc(reason)),
                ]));
            }
            if let Some(o) = &v.override_reason {
                lines.push(Line::from(vec![
                    Span::styled("  override   ", theme.style("muted")),
                    Span::raw(esc(o)),
                ]));
            }
            match &r.recorded {
                Some(m) => lines.push(Line::styled(
                    format!("  {}", esc(m)),
                    theme.style("signal.ok"),
                )),
                None => lines.push(Line::styled(
                    "  Kept in the review session; R records it, signed, in the allowlist.",
                    theme.style("muted"),
                )),
            }
        }
        None => lines.push(Line::styled("  none yet", theme.style("muted"))),
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("  g", theme.style("key")),
        Span::raw(" GO   "),
        Span::styled("s", theme.style("key")),
        Span::raw(" SANDBOX   "),
        Span::styled("n", theme.style("key")),
        Span::raw(" NO-GO   "),
        Span::styled("r", theme.style("key")),
        Span::raw(" reason   "),
        Span::styled("o", theme.style("key")),
        Span::raw(" override   "),
        Span::styled("x", theme.style("key")),
        Span::raw(" clear   "),
        Span::styled("R", theme.style("key")),
        Span::raw(" record"),
    ]));
    if let Some(why) = &r.read_only {
        lines.push(Line::styled(
            format!("  read-only: {}", esc(why)),
            theme.style("status.error"),
        ));
    }
    let max = (lines.len() as u16).saturating_sub(area.height.max(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((r.verdict_scroll.min(max), 0)),
        area,
    );
}
