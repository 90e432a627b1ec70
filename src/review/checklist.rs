//! Checklists (DESIGN §5) as data: `assets/checklists/*.toml`, embedded. Each step says what a
//! reviewer should look at, selects the report's evidence for it (finding categories, rule-id
//! prefixes, report sections) and suggests an outcome by rules that are data too.
//!
//! Evidence summaries are escaped for the terminal (package text never reaches it raw).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReviewError;
use crate::finding::{Category, Severity};
use crate::provenance::Status;
use crate::report::Report;
use crate::util::escape_for_terminal;

/// A reviewer's (or the suggestion's) answer to one step.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
    Uncertain,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Uncertain => "uncertain",
            Outcome::NotApplicable => "n/a",
        }
    }
}

/// The shipped checklists, by id.
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "thorough",
        "assets/checklists/thorough.toml",
        include_str!("../../assets/checklists/thorough.toml"),
    ),
    (
        "quick",
        "assets/checklists/quick.toml",
        include_str!("../../assets/checklists/quick.toml"),
    ),
];

const BUILTIN_IDS: &[&str] = &["thorough", "quick"];

/// Ids of the shipped checklists, the default first.
pub fn builtin_ids() -> &'static [&'static str] {
    BUILTIN_IDS
}

/// A shipped checklist (`thorough`: 8 steps, `quick`: 5 steps).
pub fn builtin(id: &str) -> Option<Checklist> {
    let (_, file, text) = BUILTIN.iter().find(|(i, _, _)| *i == id)?;
    // The shipped files are checked by the tests; a broken one is simply not offered.
    parse(text, file).ok()
}

/// Load a user's checklist file. Errors name the file and the problem.
pub fn load(path: &Path) -> Result<Checklist, ReviewError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ReviewError::Checklist {
        file: file.clone(),
        problem: e.to_string(),
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReviewError::Checklist {
            file,
            problem: format!(
                "{} bytes is too large for a checklist (limit {MAX_FILE_BYTES})",
                meta.len()
            ),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| ReviewError::Checklist {
        file: file.clone(),
        problem: e.to_string(),
    })?;
    parse(&text, &file)
}

const MAX_FILE_BYTES: u64 = 1 << 20;
const MAX_STEPS: usize = 100;

/// Parse and validate checklist text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Checklist, ReviewError> {
    let err = |problem: String| ReviewError::Checklist {
        file: file.to_string(),
        problem,
    };
    let list: Checklist = toml::from_str(text).map_err(|e| {
        // toml's message spans several lines (with a source excerpt): keep the first.
        let msg = e.to_string();
        let first = msg.lines().next().unwrap_or("invalid TOML").to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                err(format!(
                    "line {line}: {}",
                    escape_for_terminal(e.message(), false)
                ))
            }
            None => err(escape_for_terminal(&first, false)),
        }
    })?;
    list.validate().map_err(err)?;
    Ok(list)
}

/// A checklist: ordered steps.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub steps: Vec<Step>,
}

impl Checklist {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Every step's suggested outcome (steps only the reviewer can answer are left out), to
    /// pre-fill a review or feed [`super::decision::suggest`].
    pub fn suggestions(&self, report: &Report) -> std::collections::BTreeMap<String, Outcome> {
        self.steps
            .iter()
            .filter_map(|s| s.suggest(report).map(|o| (s.id.clone(), o)))
            .collect()
    }

    fn validate(&self) -> Result<(), String> {
        if !valid_id(&self.id) {
            return Err(format!(
                "checklist id {:?} must be 1-64 characters of a-z, 0-9, '-' or '_'",
                self.id
            ));
        }
        if self.title.trim().is_empty() {
            return Err("checklist title is empty".into());
        }
        if self.steps.is_empty() {
            return Err("checklist has no steps".into());
        }
        if self.steps.len() > MAX_STEPS {
            return Err(format!(
                "{} steps is more than the limit of {MAX_STEPS}",
                self.steps.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            if !valid_id(&s.id) {
                return Err(format!(
                    "step {n}: id {:?} must be 1-64 characters of a-z, 0-9, '-' or '_'",
                    s.id
                ));
            }
            if !seen.insert(s.id.as_str()) {
                return Err(format!("step {n}: duplicate step id {:?}", s.id));
            }
            if s.title.trim().is_empty() {
                return Err(format!("step {:?}: title is empty", s.id));
            }
            if s.guidance.trim().is_empty() {
                return Err(format!("step {:?}: guidance is empty", s.id));
            }
            for p in &s.evidence.rules {
                if p.is_empty() {
                    return Err(format!("step {:?}: empty rule prefix", s.id));
                }
            }
            if let (Some(f), Some(u)) = (s.suggest.fail_at, s.suggest.uncertain_at) {
                if u > f {
                    return Err(format!(
                        "step {:?}: uncertain_at ({}) is above fail_at ({})",
                        s.id,
                        u.as_str(),
                        f.as_str()
                    ));
                }
            }
        }
        Ok(())
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// One step of a checklist.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// What the reviewer should look at (plain text, a few sentences).
    pub guidance: String,
    /// Which parts of the report are this step's evidence.
    #[serde(default)]
    pub evidence: Selectors,
    /// When to suggest fail / uncertain / pass.
    #[serde(default)]
    pub suggest: SuggestRules,
}

/// Report parts a step selects as its evidence.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Selectors {
    /// Findings of these categories.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Findings whose rule id starts with one of these (`manifest.dependency.`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Report sections shown as evidence.
    #[serde(default)]
    pub sections: Vec<Section>,
}

/// Report sections a step can show.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// The provenance class and the rule that gave it.
    Provenance,
    /// Provenance signals that are not `ok` (warn, bad, unknown).
    Signals,
    /// How the artifact was obtained: digest verified, version pinned, moving git ref, notes.
    Package,
    /// `capabilities.hosts`.
    Hosts,
    /// `capabilities.env`.
    Env,
    /// `capabilities.exec`.
    Exec,
    /// `capabilities.fs_write`.
    FsWrite,
    /// `capabilities.sensitive_reads`.
    SensitiveReads,
    /// MCP tools (prompts, resources) whose handlers reach a finding this step selects
    /// (any finding when the step selects none).
    Tools,
    /// The risk score, band and reasons.
    Risk,
}

/// What to do about unverified or unpinned artifacts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    Fail,
    Uncertain,
}

/// Suggestion rules of one step. Fail conditions are checked first, then uncertain ones;
/// with neither, the step suggests pass (unless `pass_when_clean` is false or it is `manual`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SuggestRules {
    /// Only the reviewer can answer: never suggest.
    #[serde(default)]
    pub manual: bool,
    /// Suggest pass when nothing below fires (false: the analysis cannot see enough).
    #[serde(default = "yes")]
    pub pass_when_clean: bool,
    /// A selected finding at or above this severity: fail.
    #[serde(default)]
    pub fail_at: Option<Severity>,
    /// A selected finding at or above this severity: uncertain.
    #[serde(default)]
    pub uncertain_at: Option<Severity>,
    /// The risk band at or above this (with a score above 0): fail.
    #[serde(default)]
    pub fail_band: Option<Severity>,
    /// Provenance classes that fail the step.
    #[serde(default)]
    pub fail_classes: Vec<String>,
    /// Provenance classes that make it uncertain (`""` matches no class at all).
    #[serde(default)]
    pub uncertain_classes: Vec<String>,
    /// A provenance signal with status `bad`: fail.
    #[serde(default)]
    pub fail_bad_signals: bool,
    /// A provenance signal with status `warn`: uncertain.
    #[serde(default)]
    pub uncertain_warn_signals: bool,
    /// Host kinds (`ip`, `metadata`, …) that fail the step.
    #[serde(default)]
    pub fail_hosts: Vec<String>,
    /// Host kinds that make it uncertain.
    #[serde(default)]
    pub uncertain_hosts: Vec<String>,
    /// The artifact did not match a registry digest.
    #[serde(default)]
    pub unverified: Option<Flag>,
    /// The spec named no exact version, or a moving git ref.
    #[serde(default)]
    pub unpinned: Option<Flag>,
}

fn yes() -> bool {
    true
}

impl Default for SuggestRules {
    fn default() -> Self {
        SuggestRules {
            manual: false,
            pass_when_clean: true,
            fail_at: None,
            uncertain_at: None,
            fail_band: None,
            fail_classes: Vec::new(),
            uncertain_classes: Vec::new(),
            fail_bad_signals: false,
            uncertain_warn_signals: false,
            fail_hosts: Vec::new(),
            uncertain_hosts: Vec::new(),
            unverified: None,
            unpinned: None,
        }
    }
}

/// Where an evidence item comes from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    Finding,
    Provenance,
    Signal,
    Package,
    Host,
    Env,
    Exec,
    FsWrite,
    SensitiveRead,
    Tool,
    Risk,
}

/// One thing the analysis found that bears on a step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// One line, escaped for the terminal.
    pub summary: String,
    pub severity: Option<Severity>,
    /// Package-relative path.
    pub file: Option<String>,
    pub line: Option<u32>,
    /// Index into `report.findings`.
    pub finding: Option<usize>,
}

impl Evidence {
    fn new(kind: EvidenceKind, summary: &str, severity: Option<Severity>) -> Evidence {
        Evidence {
            kind,
            summary: one_line(summary),
            severity,
            file: None,
            line: None,
            finding: None,
        }
    }
}

/// Escape for the terminal and keep it to one line of reasonable length.
fn one_line(s: &str) -> String {
    const MAX: usize = 300;
    let mut out = escape_for_terminal(s, false);
    if out.len() > MAX {
        let mut cut = MAX;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

fn surface_kind(k: crate::analyze::SurfaceKind) -> &'static str {
    match k {
        crate::analyze::SurfaceKind::Tool => "tool",
        crate::analyze::SurfaceKind::Prompt => "prompt",
        crate::analyze::SurfaceKind::Resource => "resource",
    }
}

fn status_severity(s: Status) -> Option<Severity> {
    match s {
        Status::Bad => Some(Severity::High),
        Status::Warn => Some(Severity::Medium),
        Status::Ok | Status::Unknown => None,
    }
}

fn host_severity(kind: &str) -> Option<Severity> {
    match kind {
        "metadata" => Some(Severity::High),
        "ip" | "internal" | "link-local" => Some(Severity::Medium),
        "loopback" => Some(Severity::Low),
        _ => None,
    }
}

impl Step {
    /// Does this step select the finding?
    pub fn selects(&self, f: &crate::finding::Finding) -> bool {
        self.evidence.categories.contains(&f.category)
            || self.evidence.rules.iter().any(|p| f.rule.starts_with(p))
    }

    fn has(&self, s: Section) -> bool {
        self.evidence.sections.contains(&s)
    }

    /// Indices of the report's findings this step selects, in report order (worst first).
    pub fn findings(&self, report: &Report) -> Vec<usize> {
        (0..report.findings.len())
            .filter(|&i| self.selects(&report.findings[i]))
            .collect()
    }

    /// The report's evidence for this step: sections first (provenance, package, risk, …),
    /// then tools, then findings (worst first, as the report sorts them).
    pub fn evidence(&self, report: &Report) -> Vec<Evidence> {
        use EvidenceKind as K;
        let mut out = Vec::new();
        for &section in &self.evidence.sections {
            match section {
                Section::Provenance => {
                    let class = if report.provenance.class.is_empty() {
                        "unknown"
                    } else {
                        report.provenance.class.as_str()
                    };
                    let sev = (class == "community-unknown" || class == "unknown")
                        .then_some(Severity::Medium);
                    let why = report.provenance.evidence.join("; ");
                    let text = if why.is_empty() {
                        format!("publisher class: {class}")
                    } else {
                        format!("publisher class: {class} ({why})")
                    };
                    out.push(Evidence::new(K::Provenance, &text, sev));
                }
                Section::Signals => {
                    for s in &report.provenance.signals {
                        if s.status == Status::Ok {
                            continue;
                        }
                        out.push(Evidence::new(
                            K::Signal,
                            &format!("{}: {} ({})", s.name, s.value, s.status.as_str()),
                            status_severity(s.status),
                        ));
                    }
                }
                Section::Package => {
                    let p = &report.package;
                    if !p.verified {
                        out.push(Evidence::new(
                            K::Package,
                            &format!(
                                "artifact not verified against a registry digest ({})",
                                p.artifact
                            ),
                            Some(Severity::Medium),
                        ));
                    }
                    if !p.pinned {
                        out.push(Evidence::new(
                            K::Package,
                            &format!("spec {} names no exact version", p.spec),
                            Some(Severity::Medium),
                        ));
                    }
                    if p.moving {
                        out.push(Evidence::new(
                            K::Package,
                            "git source follows a branch: the same spec may give other code tomorrow",
                            Some(Severity::Medium),
                        ));
                    }
                    for n in &p.notes {
                        out.push(Evidence::new(K::Package, n, None));
                    }
                }
                Section::Hosts => {
                    for h in &report.capabilities.hosts {
                        out.push(Evidence::new(
                            K::Host,
                            &format!("{}://{} ({})", h.scheme, h.host, h.kind),
                            host_severity(&h.kind),
                        ));
                    }
                }
                Section::Env => {
                    for v in &report.capabilities.env {
                        out.push(Evidence::new(
                            K::Env,
                            &format!("reads environment variable {v}"),
                            None,
                        ));
                    }
                }
                Section::Exec => {
                    for c in &report.capabilities.exec {
                        out.push(Evidence::new(
                            K::Exec,
                            &format!("runs {c}"),
                            Some(Severity::Medium),
                        ));
                    }
                }
                Section::FsWrite => {
                    for t in &report.capabilities.fs_write {
                        out.push(Evidence::new(K::FsWrite, &format!("writes {t}"), None));
                    }
                }
                Section::SensitiveReads => {
                    for t in &report.capabilities.sensitive_reads {
                        out.push(Evidence::new(
                            K::SensitiveRead,
                            &format!("reads credential location {t}"),
                            Some(Severity::High),
                        ));
                    }
                }
                Section::Risk => {
                    let r = &report.risk;
                    out.push(Evidence::new(
                        K::Risk,
                        &format!("risk score {} ({})", r.score, r.band.as_str()),
                        (r.score > 0).then_some(r.band),
                    ));
                    for reason in &r.reasons {
                        out.push(Evidence::new(
                            K::Risk,
                            &format!("+{} {}", reason.points, reason.text),
                            None,
                        ));
                    }
                }
                Section::Tools => {}
            }
        }
        let selected = self.findings(report);
        if self.has(Section::Tools) {
            let any = self.evidence.categories.is_empty() && self.evidence.rules.is_empty();
            for t in &report.tools {
                let mine: Vec<usize> = t
                    .findings
                    .iter()
                    .copied()
                    .filter(|i| any || selected.binary_search(i).is_ok())
                    .filter(|&i| i < report.findings.len())
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let cats: BTreeSet<&str> = mine
                    .iter()
                    .map(|&i| report.findings[i].category.as_str())
                    .collect();
                let worst = mine.iter().map(|&i| report.findings[i].severity).max();
                let cats: Vec<&str> = cats.into_iter().collect();
                let mut e = Evidence::new(
                    K::Tool,
                    &format!(
                        "{} {} reaches {} finding{}: {}",
                        surface_kind(t.kind),
                        t.name,
                        mine.len(),
                        if mine.len() == 1 { "" } else { "s" },
                        cats.join(", ")
                    ),
                    worst,
                );
                e.file = Some(t.path.clone());
                e.line = Some(t.line);
                out.push(e);
            }
        }
        for i in selected {
            let f = &report.findings[i];
            let tool = f
                .tool
                .as_deref()
                .map(|t| format!(" [tool {t}]"))
                .unwrap_or_default();
            let mut e = Evidence::new(
                K::Finding,
                &format!("{}: {}{tool}", f.rule, f.message),
                Some(f.severity),
            );
            e.file = Some(f.path.clone());
            e.line = f.line;
            e.finding = Some(i);
            out.push(e);
        }
        out
    }

    /// The outcome the analysis suggests, with no reviewer input; `None` when only the
    /// reviewer can answer.
    pub fn suggest(&self, report: &Report) -> Option<Outcome> {
        self.suggest_why(report).map(|(o, _)| o)
    }

    /// [`Step::suggest`] with the rule that fired, in words.
    pub fn suggest_why(&self, report: &Report) -> Option<(Outcome, String)> {
        let r = &self.suggest;
        if r.manual {
            return None;
        }
        let worst = self
            .findings(report)
            .into_iter()
            .map(|i| &report.findings[i])
            .max_by_key(|f| f.severity);
        let class = report.provenance.class.as_str();
        let band = (report.risk.score > 0).then_some(report.risk.band);
        let p = &report.package;
        let host_of = |kinds: &[String]| {
            report
                .capabilities
                .hosts
                .iter()
                .find(|h| kinds.contains(&h.kind))
        };
        let signal_with = |st: Status| report.provenance.signals.iter().find(|s| s.status == st);

        // Fail.
        if let (Some(at), Some(f)) = (r.fail_at, worst) {
            if f.severity >= at {
                return Some((
                    Outcome::Fail,
                    format!("{} finding {}", f.severity.as_str(), f.rule),
                ));
            }
        }
        if let (Some(at), Some(b)) = (r.fail_band, band) {
            if b >= at {
                return Some((Outcome::Fail, format!("risk band {}", b.as_str())));
            }
        }
        if r.fail_classes.iter().any(|c| c == class) {
            return Some((Outcome::Fail, format!("publisher class {class}")));
        }
        if r.fail_bad_signals {
            if let Some(s) = signal_with(Status::Bad) {
                return Some((
                    Outcome::Fail,
                    one_line(&format!("provenance signal {}: {}", s.name, s.value)),
                ));
            }
        }
        if let Some(h) = host_of(&r.fail_hosts) {
            return Some((
                Outcome::Fail,
                one_line(&format!("{} host {}", h.kind, h.host)),
            ));
        }
        if r.unverified == Some(Flag::Fail) && !p.verified {
            return Some((Outcome::Fail, "artifact not verified".into()));
        }
        if r.unpinned == Some(Flag::Fail) && (!p.pinned || p.moving) {
            return Some((Outcome::Fail, "version not pinned".into()));
        }
        // Uncertain.
        if let (Some(at), Some(f)) = (r.uncertain_at, worst) {
            if f.severity >= at {
                return Some((
                    Outcome::Uncertain,
                    format!("{} finding {}", f.severity.as_str(), f.rule),
                ));
            }
        }
        if r.uncertain_classes.iter().any(|c| c == class) {
            let shown = if class.is_empty() { "unknown" } else { class };
            return Some((Outcome::Uncertain, format!("publisher class {shown}")));
        }
        if r.uncertain_warn_signals {
            if let Some(s) = signal_with(Status::Warn) {
                return Some((
                    Outcome::Uncertain,
                    one_line(&format!("provenance signal {}: {}", s.name, s.value)),
                ));
            }
        }
        if let Some(h) = host_of(&r.uncertain_hosts) {
            return Some((
                Outcome::Uncertain,
                one_line(&format!("{} host {}", h.kind, h.host)),
            ));
        }
        if r.unverified == Some(Flag::Uncertain) && !p.verified {
            return Some((Outcome::Uncertain, "artifact not verified".into()));
        }
        if r.unpinned == Some(Flag::Uncertain) && (!p.pinned || p.moving) {
            return Some((Outcome::Uncertain, "version not pinned".into()));
        }
        r.pass_when_clean.then(|| {
            (
                Outcome::Pass,
                "nothing the analysis sees for this step".into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_with_their_step_counts() {
        for (id, file, text) in BUILTIN {
            let c = parse(text, file).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&c.id, id);
        }
        assert_eq!(builtin("thorough").map(|c| c.steps.len()), Some(8));
        assert_eq!(builtin("quick").map(|c| c.steps.len()), Some(5));
        assert!(builtin("nope").is_none());
        assert_eq!(builtin_ids(), &["thorough", "quick"]);
    }

    use crate::provenance::Signal;
    use crate::review::testing::{finding, report, with_band, with_findings, with_host};

    fn step(list: &str, id: &str) -> Step {
        builtin(list)
            .and_then(|c| c.step(id).cloned())
            .unwrap_or_else(|| panic!("{list}/{id}"))
    }

    #[test]
    fn evidence_points_at_findings_tools_and_sections() {
        let r = with_findings(
            report("community-unknown"),
            vec![
                finding("js.network.fetch", Category::Network, Severity::Medium, 12)
                    .with("host", "203.0.113.9"),
                finding(
                    "js.sensitive.read",
                    Category::SensitiveRead,
                    Severity::High,
                    9,
                )
                .with("path", "~/.aws/credentials"),
                finding("js.env.read", Category::EnvRead, Severity::Low, 5)
                    .with("variable", "API_KEY"),
            ],
        );
        let r = with_host(r, "203.0.113.9", "ip");
        let net = step("thorough", "network");
        let ev = net.evidence(&r);
        // The host section, then the finding, with file/line and its index in the report.
        assert_eq!(ev[0].kind, EvidenceKind::Host);
        assert!(ev[0].summary.contains("203.0.113.9 (ip)"), "{ev:?}");
        assert_eq!(ev[0].severity, Some(Severity::Medium));
        let f: Vec<&Evidence> = ev
            .iter()
            .filter(|e| e.kind == EvidenceKind::Finding)
            .collect();
        assert_eq!(f.len(), 1);
        let i = f[0].finding.unwrap();
        assert_eq!(r.findings[i].rule, "js.network.fetch");
        assert_eq!(f[0].file.as_deref(), Some("src/index.js"));
        assert_eq!(f[0].line, Some(12));

        let cred = step("thorough", "credentials");
        let ev = cred.evidence(&r);
        let kinds: Vec<EvidenceKind> = ev.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&EvidenceKind::Env));
        assert!(kinds.contains(&EvidenceKind::SensitiveRead));
        assert!(ev.iter().any(|e| e.summary.contains("~/.aws/credentials")));
        assert_eq!(
            ev.iter()
                .filter(|e| e.kind == EvidenceKind::Finding)
                .count(),
            2
        );

        // Tools: only those reaching a finding this step selects, with the tool's position.
        let code = step("thorough", "code");
        assert!(code
            .evidence(&r)
            .iter()
            .all(|e| e.kind != EvidenceKind::Tool));
        let model = step("quick", "model-text");
        let r2 = with_findings(
            report("mcp-org"),
            vec![finding(
                "text.prompt-injection.ignore-previous",
                Category::PromptInjection,
                Severity::High,
                4,
            )],
        );
        let tools: Vec<Evidence> = model
            .evidence(&r2)
            .into_iter()
            .filter(|e| e.kind == EvidenceKind::Tool)
            .collect();
        assert_eq!(tools.len(), 1);
        assert!(tools[0]
            .summary
            .starts_with("tool get_forecast reaches 1 finding"));
        assert_eq!(tools[0].line, Some(3));

        // Provenance: class and signals that are not ok.
        let mut r3 = report("community-unknown");
        r3.provenance.signals = vec![
            Signal::new("package-age", "3 days", Status::Warn),
            Signal::new("license", "MIT", Status::Ok),
        ];
        let ev = step("thorough", "source").evidence(&r3);
        assert!(ev[0]
            .summary
            .starts_with("publisher class: community-unknown"));
        assert!(ev.iter().any(|e| e.summary == "package-age: 3 days (warn)"));
        assert!(!ev.iter().any(|e| e.summary.contains("license")));
    }

    #[test]
    fn flagged_dependencies_are_the_dependencies_step_evidence() {
        let dep = |rule: &str, sev| finding(rule, Category::Dependency, sev, 7);
        let s = step("thorough", "dependencies");
        let r = with_findings(
            report("mcp-org"),
            vec![dep("dependency.vulnerable", Severity::High)],
        );
        assert_eq!(s.evidence(&r).len(), 1);
        assert_eq!(s.suggest(&r), Some(Outcome::Fail));
        // A floating range alone is worth a look, not a fail; a clean tree is never a pass.
        let r = with_findings(
            report("mcp-org"),
            vec![dep("dependency.floating", Severity::Low)],
        );
        assert_ne!(s.suggest(&r), Some(Outcome::Fail));
        assert_ne!(s.suggest(&report("mcp-org")), Some(Outcome::Pass));
    }

    #[test]
    fn evidence_is_escaped_for_the_terminal() {
        let mut f = finding("js.env.read", Category::EnvRead, Severity::Low, 1);
        f.message = "reads \u{1b}[31mRED\u{1b}[0m\nnext".into();
        let r = with_findings(report("mcp-org"), vec![f]);
        for e in step("thorough", "credentials").evidence(&r) {
            assert!(!e.summary.contains('\u{1b}'), "{:?}", e.summary);
            assert!(!e.summary.contains('\n'), "{:?}", e.summary);
        }
    }

    #[test]
    fn suggestions_find_what_matters() {
        let high_net = with_findings(
            report("vendor-published"),
            vec![finding(
                "js.network.fetch",
                Category::Network,
                Severity::High,
                1,
            )],
        );
        assert_eq!(
            step("thorough", "network").suggest(&high_net),
            Some(Outcome::Fail)
        );
        let medium = with_findings(
            report("vendor-published"),
            vec![finding(
                "js.exec.child-process",
                Category::Exec,
                Severity::Medium,
                1,
            )],
        );
        assert_eq!(
            step("thorough", "code").suggest(&medium),
            Some(Outcome::Uncertain)
        );
        // Unknown publisher: the source step is uncertain; a bad signal fails it.
        assert_eq!(
            step("thorough", "source").suggest(&report("community-unknown")),
            Some(Outcome::Uncertain)
        );
        assert_eq!(
            step("thorough", "source").suggest(&report("")),
            Some(Outcome::Uncertain)
        );
        let mut squat = report("community-established");
        squat.provenance.signals = vec![Signal::new("typosquat", "left-pad", Status::Bad)];
        assert_eq!(
            step("thorough", "source").suggest(&squat),
            Some(Outcome::Fail)
        );
        // Metadata host fails the network step, a raw IP makes it uncertain.
        let meta = with_host(report("mcp-org"), "169.254.169.254", "metadata");
        assert_eq!(
            step("thorough", "network").suggest(&meta),
            Some(Outcome::Fail)
        );
        let ip = with_host(report("mcp-org"), "203.0.113.9", "ip");
        assert_eq!(
            step("thorough", "network").suggest(&ip),
            Some(Outcome::Uncertain)
        );
        // Critical band fails the quick audit's code step.
        let crit = with_band(report("mcp-org"), 90, Severity::Critical);
        assert_eq!(step("quick", "code").suggest(&crit), Some(Outcome::Fail));
        // Unverified artifact: source uncertain.
        let mut unv = report("mcp-org");
        unv.package.verified = false;
        let (o, why) = step("thorough", "source").suggest_why(&unv).unwrap();
        assert_eq!(o, Outcome::Uncertain);
        assert_eq!(why, "artifact not verified");
    }

    #[test]
    fn suggestions_do_not_over_fail() {
        // A clean package from a known publisher passes every step that can be suggested.
        let clean = report("mcp-org");
        for list in builtin_ids() {
            let c = builtin(list).unwrap();
            for s in &c.steps {
                let got = s.suggest(&clean);
                if s.suggest.manual || !s.suggest.pass_when_clean {
                    assert_eq!(got, None, "{list}/{}", s.id);
                } else {
                    assert_eq!(got, Some(Outcome::Pass), "{list}/{}", s.id);
                }
            }
        }
        // Findings of other steps' categories do not fail this one.
        let net = with_findings(
            report("mcp-org"),
            vec![finding(
                "js.network.fetch",
                Category::Network,
                Severity::Critical,
                1,
            )],
        );
        assert_eq!(
            step("thorough", "install-scripts").suggest(&net),
            Some(Outcome::Pass)
        );
        assert_eq!(
            step("thorough", "credentials").suggest(&net),
            Some(Outcome::Pass)
        );
        // Low and info findings are not a fail (nor uncertain where the bar is medium).
        let low = with_findings(
            report("mcp-org"),
            vec![
                finding("js.env.read", Category::EnvRead, Severity::Low, 1),
                finding("js.fs.write", Category::FsWrite, Severity::Info, 2),
            ],
        );
        assert_eq!(
            step("thorough", "credentials").suggest(&low),
            Some(Outcome::Pass)
        );
        assert_eq!(step("thorough", "code").suggest(&low), Some(Outcome::Pass));
        // Public hosts and a non-critical band do not fail.
        let public = with_band(
            with_host(report("mcp-org"), "api.weather.example", "public"),
            60,
            Severity::High,
        );
        assert_eq!(
            step("thorough", "network").suggest(&public),
            Some(Outcome::Pass)
        );
        assert_eq!(step("quick", "code").suggest(&public), Some(Outcome::Pass));
        // Manual steps never suggest, whatever the report says.
        let crit = with_band(report("community-unknown"), 99, Severity::Critical);
        assert_eq!(step("thorough", "sandbox").suggest(&crit), None);
        assert_eq!(step("thorough", "update-plan").suggest(&crit), None);
    }

    #[test]
    fn load_names_file_and_problem() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, &str)] = &[
            ("id = \"x\"\ntitle = \"X\"\nsteps = []\n", "checklist has no steps"),
            (
                "id = \"x\"\ntitle = \"X\"\n[[steps]]\nid = \"a\"\ntitle = \"A\"\nguidance = \"g\"\n[[steps]]\nid = \"a\"\ntitle = \"B\"\nguidance = \"g\"\n",
                "step 2: duplicate step id \"a\"",
            ),
            (
                "id = \"x\"\ntitle = \"X\"\n[[steps]]\nid = \"a\"\ntitle = \"A\"\nguidance = \"  \"\n",
                "guidance is empty",
            ),
            (
                "id = \"x\"\ntitle = \"X\"\n[[steps]]\nid = \"a\"\ntitle = \"A\"\nguidance = \"g\"\n[steps.evidence]\ncategories = [\"nope\"]\n",
                "line 8: unknown variant `nope`",
            ),
            (
                "id = \"X Y\"\ntitle = \"X\"\n[[steps]]\nid = \"a\"\ntitle = \"A\"\nguidance = \"g\"\n",
                "checklist id",
            ),
            (
                "id = \"x\"\ntitle = \"X\"\n[[steps]]\nid = \"a\"\ntitle = \"A\"\nguidance = \"g\"\n[steps.suggest]\nfail_at = \"medium\"\nuncertain_at = \"high\"\n",
                "uncertain_at (high) is above fail_at (medium)",
            ),
            ("id = \"x\"\ntitle = \"X\"\ncolour = 1\nsteps = []\n", "unknown field"),
            ("id = ", "line 1"),
        ];
        for (i, (text, want)) in cases.iter().enumerate() {
            let p = dir.path().join(format!("c{i}.toml"));
            std::fs::write(&p, text).unwrap();
            let e = load(&p).unwrap_err().to_string();
            assert!(e.starts_with(&p.display().to_string()), "{e}");
            assert!(e.contains(want), "case {i}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        let missing = dir.path().join("missing.toml");
        let e = load(&missing).unwrap_err().to_string();
        assert!(e.starts_with(&missing.display().to_string()), "{e}");
        // A good file loads.
        let p = dir.path().join("ok.toml");
        std::fs::write(
            &p,
            "id = \"team\"\ntitle = \"Team\"\n[[steps]]\nid = \"a\"\ntitle = \"A\"\nguidance = \"Look.\"\n[steps.evidence]\nrules = [\"js.\"]\n",
        )
        .unwrap();
        let c = load(&p).unwrap();
        assert_eq!(c.steps[0].evidence.rules, vec!["js.".to_string()]);
        assert!(c.steps[0].suggest.pass_when_clean);
    }
}
