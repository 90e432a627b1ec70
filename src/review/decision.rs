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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Category;
    use crate::review::checklist::builtin;
    use crate::review::testing::{finding, report, with_band, with_findings};
    use Outcome::{Fail as F, NotApplicable as N, Pass as P, Uncertain as U};

    const IDS: [&str; 8] = [
        "source",
        "dependencies",
        "install-scripts",
        "code",
        "credentials",
        "network",
        "sandbox",
        "update-plan",
    ];

    fn outcomes(o: &[Option<Outcome>; 8]) -> BTreeMap<String, Outcome> {
        IDS.iter()
            .zip(o)
            .filter_map(|(id, o)| o.map(|o| (id.to_string(), o)))
            .collect()
    }

    #[test]
    fn decision_matrix() {
        let thorough = builtin("thorough").unwrap();
        assert_eq!(
            thorough
                .steps
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            IDS
        );
        let critical_net = with_findings(
            report("mcp-org"),
            vec![finding(
                "js.network.fetch",
                Category::Network,
                Severity::Critical,
                1,
            )],
        );
        let go = |r: &'static str| (Some(Verdict::Go), r);
        let sandbox = |r: &'static str| (Some(Verdict::Sandbox), r);
        let no_go = |r: &'static str| (Some(Verdict::NoGo), r);
        let esc = |r: &'static str| (None, r);
        let all_pass = [Some(P); 8];
        let mut one_fail = all_pass;
        one_fail[3] = Some(F);
        let mut two_fail = one_fail;
        two_fail[5] = Some(F);
        let mut three_fail = two_fail;
        three_fail[0] = Some(F);
        let mut na = all_pass;
        na[1] = Some(N);
        na[6] = Some(N);
        let mut uncertain = all_pass;
        uncertain[4] = Some(U);
        let mut unanswered = all_pass;
        unanswered[7] = None;
        let mut net_fail = all_pass;
        net_fail[5] = Some(F);
        let mut three_fail_open = three_fail;
        three_fail_open[7] = None;

        #[allow(clippy::type_complexity)]
        let table: Vec<(
            &str,
            Report,
            [Option<Outcome>; 8],
            (Option<Verdict>, &'static str),
        )> = vec![
            (
                "official",
                report("mcp-org"),
                all_pass,
                go("publisher is mcp-org"),
            ),
            (
                "vendor",
                report("vendor-published"),
                all_pass,
                go("vendor-published"),
            ),
            (
                "vendor-hosted",
                report("vendor-hosted"),
                all_pass,
                go("vendor-hosted"),
            ),
            ("internal", report("internal"), all_pass, go("internal")),
            (
                "established",
                report("community-established"),
                all_pass,
                go("community-established"),
            ),
            (
                "n/a counts as pass",
                report("mcp-org"),
                na,
                go("all steps pass"),
            ),
            (
                "individual",
                report("community-unknown"),
                all_pass,
                sandbox("publisher is community-unknown"),
            ),
            (
                "no class",
                report(""),
                all_pass,
                sandbox("publisher is unknown"),
            ),
            (
                "one fail",
                report("mcp-org"),
                one_fail,
                sandbox("1 non-critical step failed (code)"),
            ),
            (
                "two fails",
                report("mcp-org"),
                two_fail,
                sandbox("2 non-critical steps failed (code, network)"),
            ),
            (
                "three fails",
                report("mcp-org"),
                three_fail,
                no_go("3 steps failed (three or more): source, code, network"),
            ),
            (
                "three fails, one open",
                report("mcp-org"),
                three_fail_open,
                no_go("three or more"),
            ),
            (
                "uncertain",
                report("mcp-org"),
                uncertain,
                esc("uncertain: credentials"),
            ),
            (
                "unanswered",
                report("mcp-org"),
                unanswered,
                esc("unanswered: update-plan"),
            ),
            (
                "nothing answered",
                report("mcp-org"),
                [None; 8],
                esc("unanswered: source, dependencies"),
            ),
            (
                "failed step with critical finding",
                critical_net.clone(),
                net_fail,
                no_go("critical finding: network"),
            ),
            // The critical finding is in the network step, which passed: not critical by rule 1.
            (
                "critical finding in a passed step",
                critical_net.clone(),
                one_fail,
                sandbox("1 non-critical"),
            ),
            (
                "critical band",
                with_band(report("mcp-org"), 95, Severity::Critical),
                all_pass,
                no_go("risk band is critical (score 95)"),
            ),
            (
                "critical band, unanswered",
                with_band(report("mcp-org"), 95, Severity::Critical),
                [None; 8],
                no_go("risk band is critical"),
            ),
            (
                "high band is no rule",
                with_band(report("mcp-org"), 70, Severity::High),
                all_pass,
                go("mcp-org"),
            ),
        ];
        for (name, r, o, (verdict, reason)) in table {
            let s = suggest(&thorough, &outcomes(&o), &r);
            assert_eq!(s.verdict(), verdict, "{name}: {s:?}");
            assert!(s.reason().contains(reason), "{name}: {s:?}");
        }
    }

    #[test]
    fn unknown_step_ids_are_ignored() {
        let quick = builtin("quick").unwrap();
        let mut o: BTreeMap<String, Outcome> = quick
            .steps
            .iter()
            .map(|s| (s.id.clone(), Outcome::Pass))
            .collect();
        o.insert("not-a-step".into(), Outcome::Fail);
        o.insert("other".into(), Outcome::Uncertain);
        let s = suggest(&quick, &o, &report("mcp-org"));
        assert_eq!(s.verdict(), Some(Verdict::Go), "{s:?}");
    }

    #[test]
    fn override_and_reason_rules() {
        let crit = with_band(report("mcp-org"), 90, Severity::Critical);
        let high = with_band(report("mcp-org"), 70, Severity::High);
        assert!(needs_override(&crit));
        assert!(!needs_override(&high));
        // A zero score has no band at all.
        assert!(!needs_override(&with_band(
            report("mcp-org"),
            0,
            Severity::Critical
        )));
        assert!(override_required(&crit, Verdict::Go));
        assert!(override_required(&crit, Verdict::Sandbox));
        assert!(!override_required(&crit, Verdict::NoGo));
        assert!(!override_required(&high, Verdict::Go));

        let go = Suggestion::Verdict {
            verdict: Verdict::Go,
            reason: String::new(),
        };
        let esc = Suggestion::Escalate {
            reason: String::new(),
        };
        let table = [
            (&go, Verdict::Go, false),
            (&go, Verdict::Sandbox, true),
            (&go, Verdict::NoGo, true),
            (&esc, Verdict::Go, true),
            (&esc, Verdict::NoGo, true),
        ];
        for (s, chosen, want) in table {
            assert_eq!(needs_reason(s, chosen), want, "{s:?} {chosen:?}");
        }
    }

    #[test]
    fn verdicts_serialize_as_documented() {
        let v: Vec<String> = [Verdict::Go, Verdict::NoGo, Verdict::Sandbox]
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        assert_eq!(v, ["\"go\"", "\"no-go\"", "\"sandbox\""]);
        for v in [Verdict::Go, Verdict::NoGo, Verdict::Sandbox] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
        }
        let o: Outcome = serde_json::from_str("\"n/a\"").unwrap();
        assert_eq!(o, Outcome::NotApplicable);
    }
}
