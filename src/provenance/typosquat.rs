//! Typosquatting: is this name one edit, one separator or one scope away from a popular or
//! known MCP server name? A name that is itself popular or known is never flagged.
//!
//! Lists: `assets/popular/{npm,pypi}.txt` (built by `scripts/build-popular.py` from download
//! figures) and `[typosquat] known` in `assets/provenance.toml`.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::classify::Rules;
use crate::finding::{Category, Finding, Severity};

pub const RULE: &str = "provenance.typosquat";

const NPM_POPULAR: &str = include_str!("../../assets/popular/npm.txt");
const PYPI_POPULAR: &str = include_str!("../../assets/popular/pypi.txt");

/// Names shorter than this are never compared (too many honest neighbours).
pub const MIN_LEN: usize = 5;

fn load(text: &str) -> HashSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

/// The popular names of one ecosystem (`npm` or `pypi`).
pub fn popular(ecosystem: &str) -> &'static HashSet<String> {
    static NPM: OnceLock<HashSet<String>> = OnceLock::new();
    static PYPI: OnceLock<HashSet<String>> = OnceLock::new();
    static NONE: OnceLock<HashSet<String>> = OnceLock::new();
    match ecosystem {
        "npm" => NPM.get_or_init(|| load(NPM_POPULAR)),
        // PEP 503 names, as the fetch reports them.
        "pypi" => PYPI.get_or_init(|| {
            load(PYPI_POPULAR)
                .iter()
                .map(|n| crate::spec::normalize_pypi_name(n))
                .collect()
        }),
        _ => NONE.get_or_init(HashSet::new),
    }
}

/// A look-alike: the name it imitates and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub target: String,
    /// `edit distance 1`, `separator confusion`, `scope look-alike`, `scope dropped`.
    pub reason: String,
    /// Whether the target came from the known MCP server names (else the popular list).
    pub known_mcp: bool,
}

impl Hit {
    pub fn finding(&self, name: &str) -> Finding {
        // A moved scope is often an honest fork; a one-character difference rarely is.
        let severity = if self.reason.starts_with("scope @") {
            Severity::Medium
        } else {
            Severity::High
        };
        Finding::new(
            RULE,
            Category::Provenance,
            severity,
            "",
            format!(
                "package name {name} looks like {} ({}): did you mean {}?",
                self.target, self.reason, self.target
            ),
        )
        .with("name", name)
        .with("did_you_mean", self.target.as_str())
        .with("reason", self.reason.as_str())
        .with(
            "list",
            if self.known_mcp {
                "known MCP servers"
            } else {
                "popular packages"
            },
        )
    }
}

/// Restricted Damerau-Levenshtein (optimal string alignment) distance over chars.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// Edits allowed for a name of this length: none below [`MIN_LEN`], 1 up to 9, then 2.
pub fn allowed_edits(len: usize) -> usize {
    match len {
        0..MIN_LEN => 0,
        MIN_LEN..=9 => 1,
        _ => 2,
    }
}

fn strip_separators(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect()
}

fn split_scope(name: &str) -> (Option<&str>, &str) {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, pkg)) => (Some(scope), pkg),
        None => (None, name),
    }
}

/// How `name` imitates `target`, if it does. Both lowercased, and different.
fn compare(name: &str, target: &str) -> Option<String> {
    let (ns, np) = split_scope(name);
    let (ts, tp) = split_scope(target);
    if ns.is_some() && ns == ts {
        // One scope, one owner: a scope cannot squat itself.
        return None;
    }
    match (ns, ts) {
        (Some(ns), Some(ts)) if np == tp && ns != ts => {
            let d = distance(ns, ts);
            if strip_separators(ns) == strip_separators(ts)
                || (d <= allowed_edits(ts.len()) && d > 0)
            {
                return Some(format!("scope look-alike @{ts}"));
            }
        }
        (None, Some(ts)) if np.len() >= 8 && (np == tp || np == format!("{ts}-{tp}")) => {
            return Some(format!("scope @{ts} dropped"));
        }
        (Some(ns), None) if np.len() >= 8 && np == tp => {
            return Some(format!("scope @{ns} added"));
        }
        _ => {}
    }
    if strip_separators(name) == strip_separators(target) {
        return Some("separator confusion".into());
    }
    let limit = allowed_edits(target.chars().count().min(name.chars().count()));
    if limit == 0 || target.len().abs_diff(name.len()) > limit {
        return None;
    }
    let d = distance(name, target);
    (d > 0 && d <= limit).then(|| format!("edit distance {d}"))
}

/// Check one package name. `ecosystem` is `npm` or `pypi`; other ecosystems are not checked.
pub fn check(ecosystem: &str, name: &str, rules: &Rules) -> Option<Hit> {
    if !matches!(ecosystem, "npm" | "pypi") {
        return None;
    }
    let name = name.to_lowercase();
    let popular = popular(ecosystem);
    let known: Vec<String> = rules
        .typosquat
        .known
        .iter()
        .map(|k| k.to_lowercase())
        .collect();
    if popular.contains(&name) || known.contains(&name) {
        return None;
    }
    if name.chars().count() < MIN_LEN {
        return None;
    }
    let mut best: Option<(u8, Hit)> = None;
    let candidates = known
        .iter()
        .map(|k| (k, true))
        .chain(popular.iter().map(|p| (p, false)));
    for (target, known_mcp) in candidates {
        // PyPI normalises separators: `a_b` and `a-b` are the same project there.
        if ecosystem == "pypi" && crate::spec::normalize_pypi_name(target) == name {
            continue;
        }
        let Some(reason) = compare(&name, target) else {
            continue;
        };
        // A scoped copy of a popular name is usually a fork or types package (`@types/node`);
        // only known MCP servers are checked for that.
        if !known_mcp && reason.ends_with(" added") {
            continue;
        }
        // Known MCP names first, then the plainer confusions, then the smaller edit.
        let rank = u8::from(!known_mcp) * 10
            + if reason.starts_with("edit distance 2") {
                2
            } else if reason.starts_with("edit distance") {
                1
            } else {
                0
            };
        let better = best
            .as_ref()
            .is_none_or(|(r, h)| rank < *r || (rank == *r && target.as_str() < h.target.as_str()));
        if better {
            best = Some((
                rank,
                Hit {
                    target: target.clone(),
                    reason,
                    known_mcp,
                },
            ));
        }
    }
    best.map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::embedded().expect("embedded rules parse")
    }

    fn hit(eco: &str, name: &str) -> Option<Hit> {
        check(eco, name, &rules())
    }

    #[test]
    fn distances() {
        assert_eq!(distance("express", "expresss"), 1);
        assert_eq!(distance("requests", "reqeusts"), 1);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn positives() {
        let h = hit("npm", "@modelcontextprotocoI/server-filesystem").expect("hit");
        assert_eq!(h.target, "@modelcontextprotocol/server-filesystem");
        assert!(h.known_mcp);
        let h = hit("npm", "@modelcontext-protocol/server-memory").expect("hit");
        assert_eq!(h.target, "@modelcontextprotocol/server-memory");
        assert!(h.reason.contains("scope"), "{h:?}");
        assert_eq!(hit("npm", "expresss").expect("hit").target, "express");
        assert_eq!(hit("pypi", "reqeusts").expect("hit").target, "requests");
        let h = hit("npm", "mcp_server_fetch").expect("hit");
        assert_eq!(h.target, "mcp-server-fetch");
        assert_eq!(h.reason, "separator confusion");
        let h = hit("npm", "server-filesystem").expect("hit");
        assert_eq!(h.target, "@modelcontextprotocol/server-filesystem");
        let h2 = hit("npm", "@someone/firecrawl-mcp").expect("hit");
        assert_eq!(h2.target, "firecrawl-mcp");
        assert_eq!(
            h2.finding("@someone/firecrawl-mcp").severity,
            Severity::Medium
        );
        assert_eq!(
            hit("pypi", "typingextensions").expect("hit").reason,
            "separator confusion"
        );
        let f = h.finding("server-filesystem");
        assert_eq!(f.rule, RULE);
        assert_eq!(
            f.evidence["did_you_mean"],
            "@modelcontextprotocol/server-filesystem"
        );
    }

    #[test]
    fn look_alikes_are_not_flagged() {
        // Popular or known names themselves.
        assert_eq!(hit("npm", "express"), None);
        assert_eq!(hit("npm", "@modelcontextprotocol/server-filesystem"), None);
        assert_eq!(hit("pypi", "requests"), None);
        // Both neighbours are popular: neither squats the other.
        assert!(popular("npm").contains("react-dom") && popular("npm").contains("react-is"));
        assert_eq!(hit("npm", "react-is"), None);
        // Short names have too many honest neighbours.
        assert_eq!(hit("npm", "exprs"), None);
        assert_eq!(hit("npm", "mcpx"), None);
        // PyPI normalises separators: the same project, not a look-alike.
        assert_eq!(hit("pypi", "mcp-server-fetch"), None);
        // Scoped copies of popular names are forks or types, not squats.
        assert_eq!(hit("npm", "@types/express"), None);
        assert_eq!(hit("pypi", "typing-extensions"), None);
        // Neighbours inside one scope share an owner.
        assert_eq!(hit("npm", "@modelcontextprotocol/server-memorys"), None);
        // Other ecosystems are not checked.
        assert_eq!(hit("git", "expresss"), None);
    }
}
