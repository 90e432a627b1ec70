//! The decision matrix (DESIGN §5): step outcomes + the report → a suggested verdict, with the
//! rule that fired in words. The reviewer may choose otherwise, with a reason.
//!
//! Rules, first match wins:
//! 1. any critical: the risk band is critical, or a failed step's evidence includes a critical
//!    finding → NO-GO (whatever is still unanswered: nothing can make it better);
//! 2. three or more failed steps → NO-GO;
//! 3. a step uncertain or unanswered → escalate before a verdict;
//! 4. one or two failed steps (none critical) → SANDBOX;
//! 5. all pass (or n/a) and an official or well-known publisher (`vendor-hosted`, `mcp-org`,
//!    `vendor-published`, `internal`, `community-established`) → GO;
//! 6. all pass from anyone else (`community-unknown`, no class) → SANDBOX.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::checklist::{Checklist, Outcome};
use crate::finding::Severity;
use crate::report::Report;

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Go,
    NoGo,
    Sandbox,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Go => "go",
            Verdict::NoGo => "no-go",
            Verdict::Sandbox => "sandbox",
        }
    }
}

/// What the matrix suggests.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Suggestion {
    Verdict {
        verdict: Verdict,
        reason: String,
    },
    /// No verdict yet: a step is uncertain or unanswered.
    Escalate {
        reason: String,
    },
}

impl Suggestion {
    pub fn verdict(&self) -> Option<Verdict> {
        match self {
            Suggestion::Verdict { verdict, .. } => Some(*verdict),
            Suggestion::Escalate { .. } => None,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Suggestion::Verdict { reason, .. } | Suggestion::Escalate { reason } => reason,
        }
    }
}

/// Provenance classes of official or well-known publishers (DESIGN §4).
pub const TRUSTED_CLASSES: &[&str] = &[
    "vendor-hosted",
    "mcp-org",
    "vendor-published",
    "internal",
    "community-established",
];

fn list(ids: &[&str]) -> String {
    ids.join(", ")
}

/// Suggest a verdict from the reviewer's outcomes (keyed by step id; steps missing from the
/// map are unanswered, ids not in the checklist are ignored) and the report.
pub fn suggest(
    checklist: &Checklist,
    outcomes: &BTreeMap<String, Outcome>,
    report: &Report,
) -> Suggestion {
    let mut failed = Vec::new();
    let mut critical = Vec::new();
    let mut uncertain = Vec::new();
    let mut unanswered = Vec::new();
    for step in &checklist.steps {
        match outcomes.get(&step.id) {
            Some(Outcome::Fail) => {
                failed.push(step.id.as_str());
                let crit = step
                    .findings(report)
                    .iter()
                    .any(|&i| report.findings[i].severity == Severity::Critical);
                if crit {
                    critical.push(step.id.as_str());
                }
            }
            Some(Outcome::Uncertain) => uncertain.push(step.id.as_str()),
            Some(Outcome::Pass) | Some(Outcome::NotApplicable) => {}
            None => unanswered.push(step.id.as_str()),
        }
    }
    let no_go = |reason: String| Suggestion::Verdict {
        verdict: Verdict::NoGo,
        reason,
    };
    if needs_override(report) {
        return no_go(format!(
            "risk band is critical (score {}): NO-GO unless an owner overrides with a reason",
            report.risk.score
        ));
    }
    if !critical.is_empty() {
        return no_go(format!(
            "failed step{} with a critical finding: {}",
            if critical.len() == 1 { "" } else { "s" },
            list(&critical)
        ));
    }
    if failed.len() >= 3 {
        return no_go(format!(
            "{} steps failed (three or more): {}",
            failed.len(),
            list(&failed)
        ));
    }
    if !uncertain.is_empty() || !unanswered.is_empty() {
        let mut parts = Vec::new();
        if !uncertain.is_empty() {
            parts.push(format!("uncertain: {}", list(&uncertain)));
        }
        if !unanswered.is_empty() {
            parts.push(format!("unanswered: {}", list(&unanswered)));
        }
        return Suggestion::Escalate {
            reason: format!("resolve before a verdict ({})", parts.join("; ")),
        };
    }
    if !failed.is_empty() {
        return Suggestion::Verdict {
            verdict: Verdict::Sandbox,
            reason: format!(
                "{} non-critical step{} failed ({}): run only in a sandbox",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                list(&failed)
            ),
        };
    }
    let class = report.provenance.class.as_str();
    if TRUSTED_CLASSES.contains(&class) {
        Suggestion::Verdict {
            verdict: Verdict::Go,
            reason: format!("all steps pass and the publisher is {class}"),
        }
    } else {
        let shown = if class.is_empty() { "unknown" } else { class };
        Suggestion::Verdict {
            verdict: Verdict::Sandbox,
            reason: format!(
                "all steps pass but the publisher is {shown}, not an official or established one"
            ),
        }
    }
}

/// A critical risk band: a GO or SANDBOX needs an owner's override with a reason (kept in the
/// allowlist entry).
pub fn needs_override(report: &Report) -> bool {
    report.risk.score > 0 && report.risk.band == Severity::Critical
}

/// Does choosing `chosen` need a written reason? Yes when it differs from the suggestion, or
/// when the matrix had no verdict to suggest (escalation).
pub fn needs_reason(suggestion: &Suggestion, chosen: Verdict) -> bool {
    suggestion.verdict() != Some(chosen)
}

/// Does choosing `chosen` for this report need an owner override (critical band, and not
/// NO-GO)?
pub fn override_required(report: &Report, chosen: Verdict) -> bool {
    needs_override(report) && chosen != Verdict::NoGo
}
