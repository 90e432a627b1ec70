//! The compact human format. Every string that came from a package or a registry is escaped.

use std::fmt::Write;

use super::Report;
use crate::util::escape_for_terminal as esc;

fn group(n: u64) -> String {
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

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let p = &r.package;
    let version = if p.version.is_empty() {
        String::new()
    } else {
        format!(" {}", esc(&p.version, false))
    };
    let _ = writeln!(o, "{} {}{}", p.ecosystem, esc(&p.name, false), version);
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
    let width = r
        .files
        .iter()
        .map(|f| esc(&f.path, false).chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for f in &r.files {
        let mut flags = String::new();
        if f.truncated {
            flags.push_str("  truncated");
        }
        if f.executable {
            flags.push_str("  executable");
        }
        let _ = writeln!(
            o,
            "    {:<width$}  {:<12} {:>12}  {}{}",
            esc(&f.path, false),
            f.language,
            group(f.bytes),
            &f.sha256[..16],
            flags
        );
    }
    if r.findings.is_empty() {
        let _ = writeln!(o, "  findings none");
    } else {
        let _ = writeln!(o, "  findings {}", r.findings.len());
        for f in &r.findings {
            let place = match (f.path.is_empty(), f.line) {
                (true, _) => String::from("(archive)"),
                (false, Some(line)) => format!("{}:{line}", esc(&f.path, false)),
                (false, None) => esc(&f.path, false),
            };
            let _ = writeln!(
                o,
                "    {:<8} {:<26} {}: {}",
                f.severity.as_str(),
                f.rule,
                place,
                esc(&f.message, false)
            );
        }
    }
    o
}
