//! Risk score (DESIGN §4): 0–100 and a band, with every reason listed. Weights, combinations
//! and declared-purpose rules are data (`assets/risk.toml`).
//!
//! How the score treats declared purpose: a package whose name or tool names say what it is
//! for (a filesystem server, a fetch server, a terminal server) is expected to do that. Findings
//! of an expected category count a fraction of their points, and those points alone never make
//! the band critical; the reasons say which purpose was read from where. Combinations that are
//! suspicious whatever the purpose (whole-environment or credential reads next to the network,
//! decoded payloads executed, install hooks that download) keep their full weight.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::finding::{Category, Finding, Severity};
use crate::report::Report;

#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub points: u32,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    pub score: u32,
    /// `low|medium|high|critical`.
    pub band: Severity,
    pub reasons: Vec<Reason>,
    /// Categories the package is expected to need, with where that was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purpose: Vec<String>,
}

impl Default for Risk {
    fn default() -> Risk {
        Risk {
            score: 0,
            band: Severity::Low,
            reasons: Vec::new(),
            purpose: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Bands {
    medium: f64,
    high: f64,
    critical: f64,
}

#[derive(Debug, Deserialize)]
struct SeverityPoints {
    critical: f64,
    high: f64,
    medium: f64,
    low: f64,
    info: f64,
    per_extra: f64,
    extra_cap: f64,
}

#[derive(Debug, Deserialize)]
struct Combo {
    id: String,
    points: f64,
    message: String,
    /// Every group must be met by at least one tag (`category`, `category:severity`,
    /// `env-read:whole`).
    needs: Vec<Vec<String>>,
    /// `tool`: only within one tool's handler; otherwise also within one ordinary-sized file.
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Signals {
    unpinned: f64,
    moving: f64,
    unverified: f64,
    community_unknown: f64,
    community_established: f64,
}

#[derive(Debug, Deserialize)]
struct PurposeRule {
    words: Vec<String>,
    expects: Vec<Category>,
}

#[derive(Debug, Deserialize)]
struct Purpose {
    factor: f64,
    rule: Vec<PurposeRule>,
}

#[derive(Debug, Deserialize)]
struct DependencyWeights {
    cap: f64,
    per_extra: f64,
    extra_cap: f64,
    /// Points per flag (`vulnerable`, `install-script`…); flags not listed weigh nothing.
    flag: HashMap<crate::deps::FlagKind, f64>,
}

#[derive(Debug, Deserialize)]
struct Weights {
    bands: Bands,
    dependency: DependencyWeights,
    severity: SeverityPoints,
    #[serde(default)]
    category_factor: HashMap<Category, f64>,
    #[serde(default)]
    combo: Vec<Combo>,
    signals: Signals,
    purpose: Purpose,
}

fn weights() -> &'static Weights {
    static W: OnceLock<Weights> = OnceLock::new();
    W.get_or_init(|| {
        // Shipped in the binary and checked by a unit test; a failure is a build defect.
        toml::from_str(include_str!("../assets/risk.toml")).expect("assets/risk.toml is valid")
    })
}

impl SeverityPoints {
    fn of(&self, s: Severity) -> f64 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}

fn is_test(f: &Finding) -> bool {
    f.evidence.get("context").and_then(|v| v.as_str()) == Some("test code")
}

/// Tags a finding contributes to combinations.
fn tags(f: &Finding, out: &mut BTreeSet<String>) {
    let c = f.category.as_str();
    out.insert(c.to_string());
    for s in [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ] {
        if f.severity >= s {
            out.insert(format!("{c}:{}", s.as_str()));
        }
    }
    if f.rule.contains(".env.whole") {
        out.insert("env-read:whole".into());
    }
}

fn combo_met(combo: &Combo, tags: &BTreeSet<String>) -> bool {
    combo
        .needs
        .iter()
        .all(|group| group.iter().any(|t| tags.contains(t)))
}

/// Words of a name: `@scope/server-filesystem` → scope, server, filesystem.
fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
}

/// Categories the package's name and tool names say it needs, with the evidence.
fn declared_purpose(report: &Report) -> (BTreeSet<Category>, Vec<String>) {
    let w = weights();
    let name = report.package.name.to_ascii_lowercase();
    let name_words: BTreeSet<String> = words(&name).collect();
    let tool_words: BTreeSet<String> = report
        .tools
        .iter()
        .filter(|t| t.kind == crate::analyze::SurfaceKind::Tool)
        .flat_map(|t| words(&t.name).collect::<Vec<_>>())
        .collect();
    let mut expected = BTreeSet::new();
    let mut evidence = Vec::new();
    for rule in &w.purpose.rule {
        let hit = rule.words.iter().find_map(|word| {
            let in_name = if word.contains('-') {
                name.contains(word.as_str())
            } else {
                name_words.contains(word)
            };
            if in_name {
                Some(format!("package name ({word})"))
            } else if tool_words.contains(word) {
                Some(format!("tool names ({word})"))
            } else {
                None
            }
        });
        if let Some(from) = hit {
            for c in &rule.expects {
                if expected.insert(*c) {
                    evidence.push(format!("{} expected from the {from}", c.as_str()));
                }
            }
        }
    }
    (expected, evidence)
}

/// Score a report.
pub fn assess(report: &Report) -> Risk {
    let w = weights();
    let (expected, purpose) = declared_purpose(report);
    let mut reasons: Vec<(f64, bool, String)> = Vec::new(); // (points, expected-only, text)

    // Categories: worst finding, plus a little for each further one.
    let mut by_category: BTreeMap<Category, Vec<&Finding>> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| !is_test(f) && f.category != Category::Dependency)
    {
        by_category.entry(f.category).or_default().push(f);
    }
    for (cat, fs) in &by_category {
        let Some(worst) = fs.iter().max_by_key(|f| f.severity) else {
            continue;
        };
        let factor = w.category_factor.get(cat).copied().unwrap_or(1.0);
        let extra = (w.severity.per_extra * (fs.len() - 1) as f64).min(w.severity.extra_cap);
        let mut points = (w.severity.of(worst.severity) + extra) * factor;
        if points <= 0.0 {
            continue;
        }
        let is_expected = expected.contains(cat);
        if is_expected {
            points *= w.purpose.factor;
        }
        let at = match worst.line {
            Some(l) => format!("{}:{l}", worst.path),
            None => worst.path.clone(),
        };
        let mut text = format!(
            "{}: {} finding{}, worst {} ({} at {at})",
            cat.as_str(),
            fs.len(),
            if fs.len() == 1 { "" } else { "s" },
            worst.severity.as_str(),
            worst.rule
        );
        if is_expected {
            text.push_str("; expected from the declared purpose");
        }
        reasons.push((points, is_expected, text));
    }

    dependency_reasons(report, &mut reasons);

    // Combinations: per tool (what its handler reaches), then per file outside tools.
    let mut fired: BTreeMap<&str, String> = BTreeMap::new();
    let mut reached: BTreeSet<usize> = BTreeSet::new();
    for t in &report.tools {
        let mut set = BTreeSet::new();
        for &i in &t.findings {
            if let Some(f) = report.findings.get(i).filter(|f| !is_test(f)) {
                tags(f, &mut set);
                reached.insert(i);
            }
        }
        for c in &w.combo {
            if !fired.contains_key(c.id.as_str()) && combo_met(c, &set) {
                fired.insert(&c.id, format!("in tool {}", t.name));
            }
        }
    }
    let small_files: BTreeSet<&str> = report
        .files
        .iter()
        .filter(|f| f.bytes <= 256 * 1024)
        .map(|f| f.path.as_str())
        .collect();
    let mut by_file: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        if is_test(f) || reached.contains(&i) {
            continue;
        }
        // Single-finding combinations hold anywhere; pairs only within an ordinary-sized file
        // (a bundle holds a whole dependency tree's worth of unrelated calls).
        let file = f.path.as_str();
        if small_files.contains(file) || f.severity == Severity::Critical {
            tags(f, by_file.entry(file).or_default());
        }
    }
    // An install hook that runs a file of the package (`node setup.js`) does what that file
    // does: its network and process findings make the hook's own.
    for f in report.findings.iter().filter(|f| !is_test(f)) {
        if f.category != Category::InstallScript {
            continue;
        }
        let Some(files) = f.evidence.get("files").and_then(|v| v.as_array()) else {
            continue;
        };
        for run in files.iter().filter_map(|v| v.as_str()) {
            for g in report
                .findings
                .iter()
                .filter(|g| g.path == run && !is_test(g) && g.severity >= Severity::Medium)
            {
                let tag = match g.category {
                    Category::Network => "install-script:runs-network",
                    Category::Exec => "install-script:runs-exec",
                    _ => continue,
                };
                by_file
                    .entry(f.path.as_str())
                    .or_default()
                    .insert(tag.to_string());
            }
        }
    }
    for (file, set) in &by_file {
        for c in w
            .combo
            .iter()
            .filter(|c| c.scope.as_deref() != Some("tool"))
        {
            if !fired.contains_key(c.id.as_str()) && combo_met(c, set) {
                fired.insert(&c.id, format!("in {file}"));
            }
        }
    }
    for c in &w.combo {
        if let Some(where_) = fired.get(c.id.as_str()) {
            reasons.push((c.points, false, format!("{} ({where_})", c.message)));
        }
    }

    // Package signals.
    let p = &report.package;
    if p.moving {
        reasons.push((
            w.signals.moving,
            false,
            "the source moves (a branch, or an image without a digest)".into(),
        ));
    } else if !p.pinned {
        reasons.push((
            w.signals.unpinned,
            false,
            "the spec has no exact version".into(),
        ));
    }
    // A local folder has no publisher to weigh.
    let published = matches!(p.ecosystem.as_str(), "npm" | "pypi" | "git");
    match report.provenance.class.as_str() {
        _ if !published => {}
        "community-unknown" => reasons.push((
            w.signals.community_unknown,
            false,
            "provenance: community-unknown (no official, vendor or established-project rule matched)".into(),
        )),
        "community-established" => reasons.push((
            w.signals.community_established,
            false,
            "provenance: community-established".into(),
        )),
        _ => {}
    }
    if !p.verified && p.ecosystem == "remote" {
        reasons.push((
            w.signals.unverified,
            false,
            "no registry digest to verify against".into(),
        ));
    }

    let total: f64 = reasons.iter().map(|(p, _, _)| p).sum();
    let unexpected: f64 = reasons
        .iter()
        .filter(|(_, e, _)| !e)
        .map(|(p, _, _)| p)
        .sum();
    let score = total.round().min(100.0) as u32;
    let band_of = |s: f64| {
        if s >= w.bands.critical {
            Severity::Critical
        } else if s >= w.bands.high {
            Severity::High
        } else if s >= w.bands.medium {
            Severity::Medium
        } else {
            Severity::Low
        }
    };
    let mut band = band_of(total);
    // What the package exists to do never makes it critical on its own.
    if band == Severity::Critical && band_of(unexpected) < Severity::Critical {
        band = Severity::High;
    }
    // A critical finding outside the declared purpose is at least high, whatever the sum.
    let critical_unexpected = report.findings.iter().any(|f| {
        f.severity == Severity::Critical && !is_test(f) && !expected.contains(&f.category)
    });
    if critical_unexpected && band < Severity::High {
        band = Severity::High;
    }
    reasons.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.cmp(&b.2)));
    Risk {
        score,
        band,
        reasons: reasons
            .into_iter()
            .map(|(p, _, text)| Reason {
                points: p.round() as u32,
                text,
            })
            .collect(),
        purpose,
    }
}

/// Dependency findings, weighed per flag and capped as a whole (`[dependency]` weights).
fn dependency_reasons(report: &Report, reasons: &mut Vec<(f64, bool, String)>) {
    let w = &weights().dependency;
    let mut by_flag: BTreeMap<crate::deps::FlagKind, Vec<&Finding>> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.category == Category::Dependency && !is_test(f))
    {
        let flag = crate::deps::FlagKind::ALL
            .into_iter()
            .find(|k| k.rule() == f.rule);
        if let Some(k) = flag {
            by_flag.entry(k).or_default().push(f);
        }
    }
    let mut items: Vec<(f64, String)> = Vec::new();
    for (flag, fs) in &by_flag {
        let base = w.flag.get(flag).copied().unwrap_or(0.0);
        if base <= 0.0 {
            continue;
        }
        let extra = (w.per_extra * (fs.len() - 1) as f64).min(w.extra_cap);
        let names: Vec<String> = fs
            .iter()
            .take(3)
            .map(|f| {
                let name = f
                    .evidence
                    .get("dependency")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                match f.evidence.get("version").and_then(|v| v.as_str()) {
                    Some(v) => format!("{name}@{v}"),
                    None => name.to_string(),
                }
            })
            .collect();
        let more = if fs.len() > 3 {
            format!(" and {} more", fs.len() - 3)
        } else {
            String::new()
        };
        items.push((
            base + extra,
            format!(
                "dependencies: {} {} ({}{more})",
                fs.len(),
                flag.as_str(),
                names.join(", ")
            ),
        ));
    }
    items.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut left = w.cap;
    for (points, mut text) in items {
        if left <= 0.0 {
            break;
        }
        let p = points.min(left);
        if p < points {
            text.push_str(&format!("; dependency points capped at {}", w.cap));
        }
        left -= p;
        reasons.push((p, false, text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_weights_parse() {
        let w = weights();
        assert!(w.bands.medium < w.bands.high && w.bands.high < w.bands.critical);
        assert!(w.combo.iter().any(|c| c.id == "exfiltration"));
        assert!(!w.purpose.rule.is_empty());
        for k in crate::deps::FlagKind::ALL {
            assert!(
                w.dependency.flag.contains_key(&k),
                "{} has no weight",
                k.as_str()
            );
        }
    }

    #[test]
    fn words_split_names() {
        let v: Vec<String> = words("@modelcontextprotocol/server-filesystem").collect();
        assert_eq!(v, ["modelcontextprotocol", "server", "filesystem"]);
    }
}
