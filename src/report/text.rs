//! The compact human format. Every string that came from a package or a registry is escaped;
//! colour (severity words and headings only) is added when the caller says the output is a
//! terminal that wants it.

use std::fmt::Write;

use super::Report;
use crate::finding::Severity;
use crate::util::escape_for_terminal as esc;

/// How to render: plain, or with ANSI colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };
    pub const COLOR: Style = Style { color: true };

    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty (no-color.org).
    pub fn detect(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> Style {
        Style {
            color: is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    fn paint(self, sgr: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A severity word padded to `width`, coloured by severity.
    fn severity(self, s: Severity, width: usize) -> String {
        let word = format!("{:<width$}", s.as_str());
        let sgr = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(sgr, &word)
    }

    fn heading(self, s: &str) -> String {
        self.paint("1", s)
    }
}

pub(crate) fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn render(r: &Report, style: Style) -> String {
    let mut o = String::new();
    let p = &r.package;
    let version = if p.version.is_empty() {
        String::new()
    } else {
        format!(" {}", esc(&p.version, false))
    };
    let _ = writeln!(
        o,
        "{}",
        style.heading(&format!(
            "{} {}{}",
            p.ecosystem,
            esc(&p.name, false),
            version
        ))
    );
    let status = [
        if p.verified {
            "verified"
        } else {
            "not verified"
        },
        if p.pinned { "pinned" } else { "unpinned" },
    ]
    .join(", ");
    let _ = writeln!(
        o,
        "  status   {status}{}",
        if p.moving { ", moving source" } else { "" }
    );
    if !p.digest.is_empty() {
        let _ = writeln!(o, "  digest   {}", esc(&p.digest, false));
    }
    let _ = writeln!(o, "  source   {}", esc(&p.source, false));
    if let Some(c) = &p.commit {
        let _ = writeln!(o, "  commit   {}", esc(c, false));
    }
    for n in &p.notes {
        let _ = writeln!(o, "  note     {}", esc(n, false));
    }
    let _ = writeln!(
        o,
        "  files    {} ({} bytes, {} ms)",
        r.stats.files,
        group(r.stats.bytes),
        r.stats.elapsed_ms
    );
    // Files by language; only files with something to say are listed one by one (the JSON
    // report lists them all).
    let mut by_language: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &r.files {
        *by_language.entry(f.language).or_default() += 1;
    }
    let mut langs: Vec<(&str, usize)> = by_language.into_iter().collect();
    langs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !langs.is_empty() {
        let list: Vec<String> = langs.iter().map(|(l, n)| format!("{l} {n}")).collect();
        let _ = writeln!(o, "           {}", list.join(", "));
    }
    for f in r.files.iter().filter(|f| f.truncated || f.executable) {
        let mut flags = Vec::new();
        if f.truncated {
            flags.push("truncated");
        }
        if f.executable {
            flags.push("executable");
        }
        let _ = writeln!(
            o,
            "    {}  {}  {}",
            esc(&f.path, false),
            f.language,
            flags.join(", ")
        );
    }

    // Risk: score, band and the reasons behind it.
    let _ = writeln!(
        o,
        "  risk     {}/100 {}",
        r.risk.score,
        style.severity(r.risk.band, 0)
    );
    for reason in r.risk.reasons.iter().take(8) {
        let _ = writeln!(o, "    +{:<3} {}", reason.points, esc(&reason.text, false));
    }
    if r.risk.reasons.len() > 8 {
        let _ = writeln!(
            o,
            "    … {} more (see --format json)",
            r.risk.reasons.len() - 8
        );
    }
    for p in &r.risk.purpose {
        let _ = writeln!(o, "    purpose: {}", esc(p, false));
    }
    if r.findings.is_empty() {
        let _ = writeln!(o, "  findings none");
    } else {
        let counts = r.counts();
        let mut totals = [0usize; 5];
        for (_, c) in &counts {
            for (t, n) in totals.iter_mut().zip(c) {
                *t += n;
            }
        }
        let breakdown: Vec<String> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ]
        .iter()
        .filter(|s| totals[**s as usize] > 0)
        .map(|s| format!("{} {}", totals[*s as usize], s.as_str()))
        .collect();
        let _ = writeln!(
            o,
            "  findings {} ({})",
            r.findings.len(),
            breakdown.join(", ")
        );
        let rule_width = r
            .findings
            .iter()
            .map(|f| f.rule.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(10, 44);
        for (cat, c) in &counts {
            let n: usize = c.iter().sum();
            let _ = writeln!(o, "  {} ({n})", style.heading(cat.as_str()));
            for f in r.findings.iter().filter(|f| f.category == *cat) {
                let place = match (f.path.is_empty(), f.line) {
                    (true, _) => String::from("(archive)"),
                    (false, Some(line)) => format!("{}:{line}", esc(&f.path, false)),
                    (false, None) => esc(&f.path, false),
                };
                let tool = f
                    .tool
                    .as_deref()
                    .map(|t| format!(" [tool {}]", esc(t, false)))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "    {} {:<rule_width$} {}: {}{}",
                    style.severity(f.severity, 8),
                    esc(&f.rule, false),
                    place,
                    esc(&f.message, false),
                    tool
                );
            }
        }
    }

    let caps = &r.capabilities;
    let lists: [(&str, Vec<String>); 5] = [
        (
            "hosts",
            caps.hosts
                .iter()
                .map(|h| {
                    format!(
                        "{} ({}, {})",
                        esc(&h.host, false),
                        esc(&h.scheme, false),
                        esc(&h.kind, false)
                    )
                })
                .collect(),
        ),
        ("env", caps.env.iter().map(|e| esc(e, false)).collect()),
        ("exec", caps.exec.iter().map(|e| esc(e, false)).collect()),
        (
            "writes",
            caps.fs_write.iter().map(|e| esc(e, false)).collect(),
        ),
        (
            "sensitive",
            caps.sensitive_reads.iter().map(|e| esc(e, false)).collect(),
        ),
    ];
    if lists.iter().any(|(_, v)| !v.is_empty()) {
        let _ = writeln!(o, "  {}", style.heading("capabilities"));
        for (label, items) in &lists {
            if !items.is_empty() {
                let _ = writeln!(o, "    {label:<9} {}", items.join(", "));
            }
        }
    }

    let prov = &r.provenance;
    if !prov.class.is_empty() {
        let _ = writeln!(
            o,
            "  {} {}",
            style.heading("provenance"),
            esc(&prov.class, false)
        );
        for e in &prov.evidence {
            let _ = writeln!(o, "    {}", esc(e, false));
        }
        let mut unknown = Vec::new();
        for sig in &prov.signals {
            if sig.status == crate::provenance::Status::Unknown {
                unknown.push(esc(&sig.name, false));
                continue;
            }
            let _ = writeln!(
                o,
                "    {:<20} {:<7} {}",
                esc(&sig.name, false),
                sig.status.as_str(),
                esc(&sig.value, false)
            );
        }
        if !unknown.is_empty() {
            let _ = writeln!(o, "    {:<20} {}", "not supplied", unknown.join(", "));
        }
    }

    if let Some(d) = &r.dependencies {
        dependencies(&mut o, d, style);
    }

    if !r.tools.is_empty() {
        let _ = writeln!(o, "  {} ({})", style.heading("tools"), r.tools.len());
        let width = r
            .tools
            .iter()
            .map(|t| esc(&t.name, false).chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        for t in &r.tools {
            let kind = serde_json::to_value(t.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let n = t.findings.len();
            let _ = writeln!(
                o,
                "    {:<width$}  {:<8} {:>3} finding{}  {}:{}",
                esc(&t.name, false),
                kind,
                n,
                if n == 1 { " " } else { "s" },
                esc(&t.path, false),
                t.line
            );
        }
    }
    o
}

/// The dependencies block: counts, then at most eight flagged dependencies, notes and errors
/// summed up (about ten lines whatever the tree).
fn dependencies(o: &mut String, d: &crate::deps::Dependencies, style: Style) {
    let esc = |s: &str| crate::util::escape_for_terminal(s, false);
    let counts: Vec<String> = d
        .flags
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    let _ = writeln!(
        o,
        "  {} {} direct, {} resolved{}{}",
        style.heading("dependencies"),
        d.direct.len(),
        d.count,
        if d.truncated { " (truncated)" } else { "" },
        if counts.is_empty() {
            String::new()
        } else {
            format!("; {}", counts.join(", "))
        }
    );
    let flagged = super::flagged_dependencies(d);
    const SHOWN: usize = 8;
    for (label, depth, flags) in flagged.iter().take(SHOWN) {
        let worst = flags
            .iter()
            .map(|f| f.flag.severity())
            .max()
            .unwrap_or(Severity::Info);
        let first = flags
            .iter()
            .max_by_key(|f| f.flag.severity())
            .map(|f| format!("{}: {}", f.flag.as_str(), f.evidence))
            .unwrap_or_default();
        let names: Vec<&str> = flags.iter().map(|f| f.flag.as_str()).collect();
        let mut line = format!(
            "{}{}  [{}]  {}",
            esc(label),
            if *depth > 1 { " (transitive)" } else { "" },
            names.join(", "),
            esc(&first)
        );
        if line.chars().count() > 150 {
            line = line.chars().take(149).collect::<String>() + "…";
        }
        let _ = writeln!(o, "    {} {line}", style.severity(worst, 8));
    }
    if flagged.len() > SHOWN {
        let _ = writeln!(
            o,
            "    … {} more flagged (JSON or Markdown output lists them all)",
            flagged.len() - SHOWN
        );
    }
    for n in &d.notes {
        let _ = writeln!(o, "    note: {}", esc(n));
    }
    if let Some(first) = d.errors.first() {
        let more = if d.errors.len() > 1 {
            format!(" (and {} more)", d.errors.len() - 1)
        } else {
            String::new()
        };
        let _ = writeln!(o, "    unresolved: {}{more}", esc(first));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_terminal_and_no_color() {
        use std::ffi::OsStr;
        assert!(Style::detect(true, None).color);
        assert!(!Style::detect(false, None).color);
        assert!(!Style::detect(true, Some(OsStr::new("1"))).color);
        assert!(Style::detect(true, Some(OsStr::new(""))).color);
    }

    #[test]
    fn severity_words_pad_before_colour() {
        assert_eq!(Style::PLAIN.severity(Severity::High, 8), "high    ");
        assert_eq!(
            Style::COLOR.severity(Severity::Critical, 8),
            "\x1b[1;31mcritical\x1b[0m"
        );
    }
}
