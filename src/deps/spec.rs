//! What a declared dependency asks for: npm specs (ranges, dist-tags, aliases, URLs) and PEP 508
//! requirements, and the flags the declaration alone earns (`url-source`, `floating`).

use std::str::FromStr;

use super::{Flag, FlagKind};
use crate::analyze::manifest::npm::{classify_spec, Source};

/// A version far above anything published: a range that admits it has no upper bound.
const HUGE: &str = "99999.99999.99999";

/// How an npm dependency spec is to be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpmWant {
    /// A semver range (`^1.2.3`, `1.x`, `*`, the empty string) against `name`'s versions.
    Range { name: String, range: String },
    /// A dist-tag (`latest`, `next`).
    Tag { name: String, tag: String },
    /// Not from the registry (git, http, file, link, github: shorthand).
    Url,
    /// Something npm cannot resolve from a registry (`workspace:`, `catalog:`, bad alias).
    Unresolvable(String),
}

/// Classify an npm dependency `name: spec`.
pub fn npm_want(name: &str, spec: &str) -> NpmWant {
    let s = spec.trim();
    if classify_spec(s).is_some() {
        return NpmWant::Url;
    }
    if let Some(rest) = s.strip_prefix("npm:") {
        // `npm:real-name@range` (the range may be missing).
        let (real, range) = match rest.get(1..).and_then(|r| r.find('@')) {
            Some(i) => (&rest[..i + 1], &rest[i + 2..]),
            None => (rest, ""),
        };
        if real.is_empty() || real.contains(char::is_whitespace) {
            return NpmWant::Unresolvable(format!("alias {s:?} names no package"));
        }
        return npm_want(real, range);
    }
    for proto in ["workspace:", "catalog:", "portal:", "patch:", "exec:"] {
        if s.starts_with(proto) {
            return NpmWant::Unresolvable(format!(
                "{proto} specs only resolve inside the publisher's workspace"
            ));
        }
    }
    if nodejs_semver::Range::parse(s).is_ok() {
        return NpmWant::Range {
            name: name.to_string(),
            range: s.to_string(),
        };
    }
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return NpmWant::Tag {
            name: name.to_string(),
            tag: s.to_string(),
        };
    }
    NpmWant::Unresolvable(format!("{s:?} is neither a version range nor a dist-tag"))
}

/// Evidence keeps at most 200 characters of anything a package wrote (escaped on output).
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Whether an npm range admits arbitrarily new versions.
pub fn npm_range_unbounded(range: &str) -> bool {
    let huge = nodejs_semver::Version::parse(HUGE).ok();
    match (nodejs_semver::Range::parse(range.trim()), huge) {
        (Ok(r), Some(h)) => r.satisfies(&h),
        _ => false,
    }
}

/// Flags an npm dependency earns from its declaration alone.
pub fn npm_spec_flags(name: &str, spec: &str) -> Vec<Flag> {
    let s = spec.trim();
    let mut out = Vec::new();
    if let Some(source) = classify_spec(s) {
        let what = match source {
            Source::Url { tls: true } => "a URL".to_string(),
            Source::Url { tls: false } => "a plain-http URL".to_string(),
            Source::Git {
                commit: Some(c), ..
            } => format!("git at commit {}", clip(&c)),
            Source::Git { commit: None, .. } => {
                "git without a commit id (a ref that can move)".to_string()
            }
            Source::Local => "a local path".to_string(),
        };
        out.push(Flag::new(
            FlagKind::UrlSource,
            format!("{} is fetched from {what}: {}", clip(name), clip(s)),
        ));
        return out;
    }
    match npm_want(name, s) {
        NpmWant::Range { range, .. } if npm_range_unbounded(&range) => {
            let why = if range.trim().is_empty() {
                "an empty spec accepts any version".to_string()
            } else {
                format!("{} has no upper bound", clip(&range))
            };
            out.push(Flag::new(FlagKind::Floating, why));
        }
        NpmWant::Tag { tag, .. } => out.push(Flag::new(
            FlagKind::Floating,
            format!("dist-tag {} moves with every publish", clip(&tag)),
        )),
        _ => {}
    }
    out
}

/// One PEP 508 requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub name: String,
    pub extras: Vec<String>,
    /// Version specifiers (`>=1,<2`), empty when none.
    pub specifier: String,
    /// `name @ url`.
    pub url: Option<String>,
    pub marker: Option<String>,
}

/// Parse `name[extra1,extra2] (>=1,<2) ; marker` or `name @ url ; marker`. `None` when the text
/// is not a requirement.
pub fn parse_requirement(text: &str) -> Option<Requirement> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') || text.starts_with('-') {
        return None;
    }
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(text.len());
    let name = &text[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut rest = text[name_end..].trim_start();
    let mut extras = Vec::new();
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']')?;
        extras = r[..close]
            .split(',')
            .map(|e| crate::spec::normalize_pypi_name(e.trim()))
            .filter(|e| !e.is_empty())
            .collect();
        rest = r[close + 1..].trim_start();
    }
    let (body, marker) = match rest.find(';') {
        Some(i) => (rest[..i].trim(), Some(rest[i + 1..].trim().to_string())),
        None => (rest.trim(), None),
    };
    // A URL requirement's `;` must follow whitespace, but a URL rarely holds one anyway.
    let (specifier, url) = if let Some(u) = body.strip_prefix('@') {
        (String::new(), Some(u.trim().to_string()))
    } else {
        let b = body.trim();
        let b = b
            .strip_prefix('(')
            .and_then(|b| b.strip_suffix(')'))
            .unwrap_or(b);
        (b.trim().to_string(), None)
    };
    Some(Requirement {
        name: name.to_string(),
        extras,
        specifier,
        url,
        marker: marker.filter(|m| !m.is_empty()),
    })
}

/// The extras a marker asks for (`extra == "socks"`); empty when it names none.
pub fn marker_extras(marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = marker;
    while let Some(i) = rest.find("extra") {
        let before_ok = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let after = rest[i + 5..].trim_start();
        rest = &rest[i + 5..];
        if !before_ok {
            continue;
        }
        let Some(after) = after.strip_prefix("==") else {
            continue;
        };
        let after = after.trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = after[1..].find(q) {
            out.push(crate::spec::normalize_pypi_name(&after[1..1 + end]));
        }
    }
    out
}

/// Whether a PEP 440 specifier set admits arbitrarily new versions (`>=1`, `!=2`, none at all).
pub fn pypi_unbounded(specifier: &str) -> bool {
    let s = specifier.trim();
    if s.is_empty() || s == "*" {
        return true;
    }
    match (
        pep440_rs::VersionSpecifiers::from_str(s),
        pep440_rs::Version::from_str(HUGE),
    ) {
        (Ok(specs), Ok(h)) => specs.contains(&h),
        _ => false,
    }
}

/// Flags a Python requirement earns from its declaration alone.
pub fn pypi_spec_flags(req: &Requirement) -> Vec<Flag> {
    let mut out = Vec::new();
    if let Some(url) = &req.url {
        out.push(Flag::new(
            FlagKind::UrlSource,
            format!("{} is fetched from {}", clip(&req.name), clip(url)),
        ));
        return out;
    }
    if pypi_unbounded(&req.specifier) {
        let why = if req.specifier.trim().is_empty() {
            "no version specifier: any version".to_string()
        } else {
            format!("{} has no upper bound", clip(&req.specifier))
        };
        out.push(Flag::new(FlagKind::Floating, why));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(v: &[Flag]) -> Vec<FlagKind> {
        v.iter().map(|f| f.flag).collect()
    }

    #[test]
    fn npm_floating_and_not() {
        for floating in [
            "*",
            "",
            "x",
            "X",
            ">=1.0.0",
            "latest",
            "next",
            ">1 || ^2",
            "1.x || >=3",
        ] {
            assert_eq!(
                kinds(&npm_spec_flags("a", floating)),
                [FlagKind::Floating],
                "{floating:?}"
            );
        }
        for bounded in [
            "^1.2.3",
            "~1.2.3",
            "1.2.3",
            ">=1 <2",
            "1.x",
            "<2",
            "1.2.3 - 2.0.0",
            "=1.0.0",
        ] {
            assert!(npm_spec_flags("a", bounded).is_empty(), "{bounded:?}");
        }
    }

    #[test]
    fn npm_url_sources() {
        for url in [
            "git+https://github.com/a/b.git",
            "git://github.com/a/b.git#abc1234",
            "https://example.com/a.tgz",
            "http://example.com/a.tgz",
            "file:../a",
            "link:../a",
            "github:owner/repo",
            "owner/repo#main",
        ] {
            assert_eq!(
                kinds(&npm_spec_flags("a", url)),
                [FlagKind::UrlSource],
                "{url}"
            );
        }
        // An alias to a registry package is not a URL.
        assert!(npm_spec_flags("a", "npm:b@^1.0.0").is_empty());
        assert_eq!(
            npm_want("a", "npm:@s/b@^2"),
            NpmWant::Range {
                name: "@s/b".into(),
                range: "^2".into()
            }
        );
        assert_eq!(
            npm_want("a", "latest"),
            NpmWant::Tag {
                name: "a".into(),
                tag: "latest".into()
            }
        );
        assert!(matches!(
            npm_want("a", "workspace:*"),
            NpmWant::Unresolvable(_)
        ));
    }

    #[test]
    fn pep508() {
        let r =
            parse_requirement("Requests[socks, security] (>=2.8.1,<3) ; extra == \"net\"").unwrap();
        assert_eq!(r.name, "Requests");
        assert_eq!(r.extras, ["socks", "security"]);
        assert_eq!(r.specifier, ">=2.8.1,<3");
        assert_eq!(marker_extras(r.marker.as_deref().unwrap()), ["net"]);
        let r = parse_requirement("pkg @ git+https://h/o/r@v1 ; python_version>'3'").unwrap();
        assert_eq!(r.url.as_deref(), Some("git+https://h/o/r@v1"));
        assert!(marker_extras("python_version >= '3.8'").is_empty());
        assert!(marker_extras("my_extra_thing == '1'").is_empty());
        assert_eq!(
            marker_extras("(extra=='a' or extra == \"B_c\") and os_name=='nt'"),
            ["a", "b-c"]
        );
        assert!(parse_requirement("# comment").is_none());
        assert!(parse_requirement("-r other.txt").is_none());
    }

    #[test]
    fn pypi_floating_and_not() {
        let f = |s: &str| {
            kinds(&pypi_spec_flags(
                &parse_requirement(&format!("x{s}")).unwrap(),
            ))
        };
        for floating in ["", ">=1.0", "!=1.5", ">1"] {
            assert_eq!(f(floating), [FlagKind::Floating], "{floating:?}");
        }
        for bounded in [">=1,<2", "==1.2.3", "~=1.4", "==1.*", "<3", "===1.0"] {
            assert!(f(bounded).is_empty(), "{bounded:?}");
        }
        assert_eq!(f(" @ https://e.com/x.whl"), [FlagKind::UrlSource]);
    }
}
