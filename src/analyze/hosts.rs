//! Endpoints written into a package, and what their hosts are (DESIGN §2 `endpoint`, §3
//! `capabilities.hosts`).
//!
//! [`endpoints_in`] pulls URLs (and bare IP literals) out of a string, [`classify_host`] says
//! whether a host is public, an IP literal, internal, loopback, link-local or a cloud metadata
//! service, and [`endpoint_finding`] turns the endpoints a reviewer must see into findings.
//!
//! Decisions:
//! - Loopback endpoints (`localhost`, `127.0.0.1`, `::1`, `0.0.0.0`) are never findings: local MCP
//!   servers, dev servers and OAuth redirect listeners use them all the time, and a finding on
//!   each would bury the ones that matter. They are still returned by [`endpoints_in`] so the
//!   capabilities list can show them.
//! - Documentation names (RFC 2606/6761: `example.com|org|net`, `*.example`, `*.test`,
//!   `*.invalid`), documentation address blocks (RFC 5737, RFC 3849), placeholder hosts
//!   (`http://host:port`, `yourdomain.com`) and identifier URLs (XML namespaces, JSON-Schema ids,
//!   licence links; the `[[ignore]]` table) are dropped entirely.
//! - `0.0.0.0` and `::` count as loopback: connecting to them reaches the local machine.
//! - One finding per endpoint, the most telling rule: a plain-http URL to an IP literal is
//!   `endpoint.ip` with `scheme: "http"` in its evidence, not two findings.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::OnceLock;

use serde::Deserialize;
use url::{Host, Url};

use crate::finding::{Category, Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostKind {
    Public,
    Ip,
    Internal,
    Loopback,
    LinkLocal,
    Metadata,
}

impl HostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Public => "public",
            HostKind::Ip => "ip",
            HostKind::Internal => "internal",
            HostKind::Loopback => "loopback",
            HostKind::LinkLocal => "link-local",
            HostKind::Metadata => "metadata",
        }
    }
}

/// One endpoint found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL as written (a password in it replaced by `REDACTED`); for a bare IP literal the
    /// literal itself.
    pub url: String,
    /// `http`, `https`, `ws`, `wss`, `ftp`; empty for bare IP literals and protocol-relative URLs.
    pub scheme: String,
    /// Lower-case host, IPv6 without brackets, IPv4 in dotted form however it was written.
    pub host: String,
    pub kind: HostKind,
    /// Known paste/webhook/tunnel/out-of-band/file-drop service, as `"<category>: <name>"`.
    pub service: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct HostEntry {
    #[serde(default)]
    label: String,
    hosts: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Placeholders {
    #[serde(default)]
    hosts: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct HostsFile {
    #[serde(default)]
    service: Vec<HostEntry>,
    #[serde(default)]
    ignore: Vec<HostEntry>,
    #[serde(default)]
    placeholders: Placeholders,
}

fn parse_table(text: &str) -> Result<HostsFile, toml::de::Error> {
    let mut t: HostsFile = toml::from_str(text)?;
    for e in t.service.iter_mut().chain(t.ignore.iter_mut()) {
        for h in &mut e.hosts {
            *h = h.to_ascii_lowercase();
        }
    }
    for h in &mut t.placeholders.hosts {
        *h = h.to_ascii_lowercase();
    }
    Ok(t)
}

fn table() -> &'static HostsFile {
    static TABLE: OnceLock<HostsFile> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Shipped in the binary and checked by a unit test; a parse failure is a build defect.
        parse_table(include_str!("../../assets/rules/hosts.toml"))
            .expect("assets/rules/hosts.toml is valid")
    })
}

/// `host` is `h` or a subdomain of it.
fn host_matches(host: &str, h: &str) -> bool {
    host == h
        || host.len() > h.len()
            && host.ends_with(h)
            && host.as_bytes()[host.len() - h.len() - 1] == b'.'
}

fn entry_matches(e: &HostEntry, host: &str, path: &str) -> bool {
    e.hosts.iter().any(|h| host_matches(host, h))
        && (e.paths.is_empty() || e.paths.iter().any(|p| path.starts_with(p.as_str())))
}

/// The known service a URL talks to.
fn service_of(host: &str, path: &str) -> Option<&'static str> {
    table()
        .service
        .iter()
        .find(|e| entry_matches(e, host, path))
        .map(|e| e.label.as_str())
}

fn ignored(host: &str, path: &str) -> bool {
    table().ignore.iter().any(|e| entry_matches(e, host, path))
}

/// Documentation and placeholder names (RFC 2606, RFC 6761): never endpoints.
fn documentation_host(host: &str) -> bool {
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|h| host_matches(host, h))
        || host == "example"
        || [".example", ".test", ".invalid"]
            .iter()
            .any(|s| host.ends_with(s))
        || matches!(host, "test" | "invalid")
        || table().placeholders.hosts.iter().any(|h| h == host)
}

/// Documentation address blocks (RFC 5737, RFC 3849).
fn documentation_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            matches!(
                (o[0], o[1], o[2]),
                (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
            )
        }
        IpAddr::V6(v6) => v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8,
    }
}

fn classify_v4(ip: Ipv4Addr) -> HostKind {
    let o = ip.octets();
    if matches!(
        o,
        [169, 254, 169, 254] | [169, 254, 170, 2] | [100, 100, 100, 200]
    ) {
        HostKind::Metadata
    } else if ip.is_loopback() || ip.is_unspecified() {
        HostKind::Loopback
    } else if ip.is_link_local() {
        HostKind::LinkLocal
    } else if ip.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
        HostKind::Internal
    } else {
        HostKind::Ip
    }
}

fn classify_v6(ip: Ipv6Addr) -> HostKind {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254) {
        HostKind::Metadata
    } else if ip.is_loopback() || ip.is_unspecified() {
        HostKind::Loopback
    } else if s[0] & 0xffc0 == 0xfe80 {
        HostKind::LinkLocal
    } else if s[0] & 0xfe00 == 0xfc00 {
        HostKind::Internal
    } else {
        HostKind::Ip
    }
}

fn classify_ip(ip: IpAddr) -> HostKind {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_domain(h: &str) -> HostKind {
    if h == "localhost" || h.ends_with(".localhost") {
        return HostKind::Loopback;
    }
    if matches!(
        h,
        "metadata.google.internal"
            | "metadata"
            | "metadata.goog"
            | "instance-data"
            | "instance-data.ec2.internal"
    ) {
        return HostKind::Metadata;
    }
    const INTERNAL_SUFFIXES: &[&str] = &[
        ".local",
        ".internal",
        ".lan",
        ".corp",
        ".home.arpa",
        ".localdomain",
        ".intranet",
        ".home",
        ".private",
    ];
    if !h.contains('.') || INTERNAL_SUFFIXES.iter().any(|s| h.ends_with(s)) {
        return HostKind::Internal;
    }
    HostKind::Public
}

/// What a host is. IP literals in any form `url` accepts (dotted, `[v6]`, and the decimal, hex
/// and octal IPv4 spellings such as `2130706433` and `0x7f000001`) count as IPs.
pub fn classify_host(host: &str) -> HostKind {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(&h);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return classify_ip(ip);
    }
    // Numeric IPv4 spellings: only strings made of digits, dots and hex digits that start with
    // a digit go to the WHATWG IPv4 parser (so `db` or `cafe` stay names).
    if bare.starts_with(|c: char| c.is_ascii_digit())
        && bare
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b'x')
    {
        if let Ok(Host::Ipv4(v4)) = Host::parse(bare) {
            return classify_v4(v4);
        }
    }
    classify_domain(bare)
}

const SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp"];

/// Characters that end a URL written in text or code.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '\\' | '^' | '|')
}

/// A URL's text with trailing sentence punctuation removed (`see https://x.io/a.` → `…/a`).
fn trim_trailing(u: &str) -> &str {
    let mut u = u;
    loop {
        let before = u.len();
        u = u.trim_end_matches(['.', ',', ';', ':', '!', '?', '*']);
        if let Some(rest) = u.strip_suffix(')') {
            if u.matches('(').count() < u.matches(')').count() {
                u = rest;
            }
        }
        if let Some(rest) = u.strip_suffix(']') {
            if u.matches('[').count() < u.matches(']').count() {
                u = rest;
            }
        }
        if u.len() == before {
            return u;
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Build the endpoint for `candidate` (a URL with an explicit scheme), or `None` when it is not
/// an endpoint (unparseable, a placeholder, documentation, an identifier).
fn url_endpoint(candidate: &str, scheme: &str) -> Option<Endpoint> {
    let url = Url::parse(candidate).ok()?;
    let (host, kind) = match url.host()? {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d.is_empty()
                || d.starts_with('.')
                || d.contains("..")
                || documentation_host(&d)
                || ignored(&d, url.path())
                || !d
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            {
                return None;
            }
            let kind = classify_domain(&d);
            (d, kind)
        }
        Host::Ipv4(v4) => {
            if documentation_ip(v4.into()) {
                return None;
            }
            (v4.to_string(), classify_v4(v4))
        }
        Host::Ipv6(v6) => {
            if documentation_ip(v6.into()) {
                return None;
            }
            (v6.to_string(), classify_v6(v6))
        }
    };
    let service = match kind {
        HostKind::Public => service_of(&host, url.path()),
        _ => None,
    };
    let shown = if url.password().is_some() {
        let mut u = url.clone();
        // Cannot fail: the URL has a host (checked above).
        let _ = u.set_password(Some("REDACTED"));
        u.to_string()
    } else {
        candidate.to_string()
    };
    Some(Endpoint {
        url: clip(&shown, 500),
        scheme: scheme.to_string(),
        host,
        kind,
        service,
    })
}

/// The URL starting at byte `start` of `s` (its scheme ends at `sep`, the `://`), cut before
/// template placeholders. `None` when a placeholder sits inside the host.
fn extract_url(s: &str, start: usize, sep: usize) -> Option<String> {
    let after = sep + 3;
    let rest = s.get(after..)?;
    // Placeholders in the userinfo are credentials, not the endpoint:
    // `https://${user}:${token}@evil.com/x` names evil.com.
    let authority_len = rest
        .find(|c: char| matches!(c, '/' | '?' | '#') || ends_url(c))
        .unwrap_or(rest.len());
    let userinfo_end = rest[..authority_len].rfind('@').map_or(0, |i| i + 1);
    let mut end = rest.len();
    let mut cut_at_placeholder = false;
    for (i, c) in rest.char_indices() {
        if ends_url(c) {
            end = i;
            break;
        }
        if i < userinfo_end {
            continue;
        }
        // Template placeholders: `${host}`, `{id}`, `<host>`, `%s` (but not `%2F`).
        let placeholder = match c {
            '{' | '}' | '<' | '>' => true,
            '$' => rest[i..].starts_with("${"),
            '%' => !rest
                .get(i + 1..i + 3)
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())),
            _ => false,
        };
        if placeholder {
            end = i;
            cut_at_placeholder = true;
            break;
        }
    }
    let body = &rest[..end];
    let authority_end = body.find(['/', '?', '#']);
    let authority = &body[..authority_end.unwrap_or(body.len())];
    let in_authority = cut_at_placeholder && authority_end.is_none();
    // `$`, `*` in a host are placeholders or wildcards (`https://$HOST/`, `https://*.x.com`).
    let host_part = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_part.contains(['$', '*']) {
        return None;
    }
    let scheme = &s[start..sep];
    if in_authority {
        // `https://api.x.com:${port}/x` still names its host; `https://api.${d}` does not.
        let (h, _) = host_part.rsplit_once(':').filter(|(h, _)| {
            !h.is_empty() && (!h.contains(':') || h.starts_with('[') && h.ends_with(']'))
        })?;
        return Some(format!("{scheme}://{h}"));
    }
    let text = trim_trailing(&s[start..after + end]);
    (text.len() > after - start).then(|| text.to_string())
}

/// A string that is exactly an IP literal or `ip:port` (`10.0.0.5`, `45.61.139.22:4444`,
/// `[::1]:8080`, `fe80::1`).
fn bare_ip(s: &str) -> Option<Endpoint> {
    if s.len() < 2 || s.len() > 60 {
        return None;
    }
    let ip = if let Ok(ip) = s.parse::<IpAddr>() {
        ip
    } else if let Ok(sa) = s.parse::<SocketAddr>() {
        sa.ip()
    } else {
        return None;
    };
    match ip {
        // `255.255.255.0` is a netmask, `0.1.2.3` nothing one connects to.
        IpAddr::V4(v4) if v4.octets()[0] == 255 || v4.octets()[0] == 0 && !v4.is_unspecified() => {
            return None
        }
        // `::` alone is a separator as often as an address.
        IpAddr::V6(v6) if v6.is_unspecified() => return None,
        _ => {}
    }
    if documentation_ip(ip) {
        return None;
    }
    Some(Endpoint {
        url: s.to_string(),
        scheme: String::new(),
        host: ip.to_string(),
        kind: classify_ip(ip),
        service: None,
    })
}

/// Endpoints written in `s`: URLs with an http, https, ws, wss or ftp scheme anywhere in it
/// (several per string), a protocol-relative `//host/…` when the string starts with it, and the
/// whole string when it is exactly an IP literal or `ip:port`. Template placeholders end a URL
/// (`https://api.x.com/${p}` → `api.x.com`; `https://${host}/x` → nothing).
pub fn endpoints_in(s: &str) -> Vec<Endpoint> {
    let mut out: Vec<Endpoint> = Vec::new();
    // A pattern (`https://docs\.example\.com/…`) describes URLs; it does not name one.
    if s.len() < 2 || s.contains("\\.") {
        return out;
    }
    if let Some(e) = bare_ip(s) {
        out.push(e);
        return out;
    }
    if let Some(rest) = s.strip_prefix("//") {
        // Protocol-relative: the host must look like a domain (`// TODO` is a comment).
        let host_end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
        let host = &rest[..host_end];
        if host.contains('.')
            && !host.starts_with('.')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        {
            if let Some(text) = extract_url(&format!("https:{s}"), 0, 5) {
                if let Some(mut e) = url_endpoint(&text, "") {
                    e.url = clip(text.strip_prefix("https:").unwrap_or(&text), 500);
                    out.push(e);
                }
            }
        }
    }
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(rel) = s.get(from..).and_then(|r| r.find("://")) {
        let sep = from + rel;
        from = sep + 3;
        let mut start = sep;
        while start > 0 && bytes[start - 1].is_ascii_alphabetic() {
            start -= 1;
        }
        let scheme = s[start..sep].to_ascii_lowercase();
        if !SCHEMES.contains(&scheme.as_str()) {
            continue;
        }
        let Some(text) = extract_url(s, start, sep) else {
            continue;
        };
        if let Some(e) = url_endpoint(&text, &scheme) {
            if !out.iter().any(|o| o.url == e.url) {
                out.push(e);
            }
        }
    }
    out
}

/// Printable-ASCII form of package text for a message.
fn ascii(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(200) {
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// The finding for an endpoint a reviewer must see, at `line`/`column` (1-based) of `path`;
/// `None` for public https hosts (capabilities only) and for loopback.
pub fn endpoint_finding(e: &Endpoint, path: &str, line: u32, column: u32) -> Option<Finding> {
    let host = ascii(&e.host);
    let (rule, severity, message) = match e.kind {
        HostKind::Metadata => (
            "endpoint.metadata",
            Severity::Critical,
            format!("cloud metadata endpoint {host}: instance credentials can be read from it"),
        ),
        HostKind::LinkLocal => (
            "endpoint.link-local",
            Severity::High,
            format!("link-local address {host}"),
        ),
        HostKind::Loopback => return None,
        HostKind::Internal => (
            "endpoint.internal",
            Severity::Medium,
            format!("internal host {host}"),
        ),
        HostKind::Ip => (
            "endpoint.ip",
            Severity::Medium,
            format!("hardcoded IP address {host}"),
        ),
        HostKind::Public => match e.service {
            Some(service) => (
                "endpoint.service",
                Severity::High,
                format!("{} endpoint {host}", ascii(service)),
            ),
            None if matches!(e.scheme.as_str(), "http" | "ws" | "ftp") => (
                "endpoint.plain-http",
                Severity::Low,
                format!("unencrypted {}:// connection to {host}", e.scheme),
            ),
            None => return None,
        },
    };
    let mut f = Finding::new(rule, Category::Endpoint, severity, path, message)
        .with("url", e.url.clone())
        .with("host", e.host.clone())
        .with("scheme", e.scheme.clone())
        .with("kind", e.kind.as_str());
    if let Some(s) = e.service {
        f = f.with("service", s);
    }
    f.line = Some(line);
    f.column = Some(column);
    f.end_line = Some(line);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(s: &str) -> Vec<String> {
        endpoints_in(s).into_iter().map(|e| e.host).collect()
    }

    fn one(s: &str) -> Endpoint {
        let mut e = endpoints_in(s);
        assert_eq!(e.len(), 1, "{s}: {e:?}");
        e.remove(0)
    }

    fn rule(s: &str) -> Option<String> {
        endpoint_finding(&one(s), "a.js", 3, 7).map(|f| f.rule)
    }

    #[test]
    fn shipped_table_parses() {
        let t = parse_table(include_str!("../../assets/rules/hosts.toml")).unwrap();
        assert!(t.service.len() > 20);
        assert!(t
            .service
            .iter()
            .all(|s| !s.label.is_empty() && !s.hosts.is_empty()));
        assert!(t
            .service
            .iter()
            .all(|s| s.label.split_once(": ").is_some_and(|(c, _)| matches!(
                c,
                "paste" | "webhook" | "tunnel" | "oob" | "exfil" | "file-drop"
            ))));
        assert!(!t.ignore.is_empty() && !t.placeholders.hosts.is_empty());
        assert!(std::ptr::eq(table(), table()));
    }

    #[test]
    fn classifies_hosts() {
        use HostKind::*;
        for (h, k) in [
            ("127.0.0.1", Loopback),
            ("127.5.5.5", Loopback),
            ("::1", Loopback),
            ("[::1]", Loopback),
            ("0.0.0.0", Loopback),
            ("localhost", Loopback),
            ("LOCALHOST.", Loopback),
            ("app.localhost", Loopback),
            ("169.254.169.254", Metadata),
            ("169.254.170.2", Metadata),
            ("100.100.100.200", Metadata),
            ("fd00:ec2::254", Metadata),
            ("::ffff:169.254.169.254", Metadata),
            ("metadata.google.internal", Metadata),
            ("169.254.1.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("10.1.2.3", Internal),
            ("172.16.0.1", Internal),
            ("172.31.255.1", Internal),
            ("192.168.1.1", Internal),
            ("100.64.0.1", Internal),
            ("fc00::1", Internal),
            ("fd12:3456::1", Internal),
            ("db", Internal),
            ("printer.local", Internal),
            ("svc.cluster.internal", Internal),
            ("nas.lan", Internal),
            ("git.corp", Internal),
            ("router.home.arpa", Internal),
            ("172.32.0.1", Ip),
            ("100.128.0.1", Ip),
            ("8.8.8.8", Ip),
            ("2606:4700::1111", Ip),
            ("api.github.com", Public),
            ("localhost.evil.com", Public),
            ("cafe.io", Public),
            // Numeric IPv4 spellings, as the WHATWG URL parser reads them.
            ("2130706433", Loopback),
            ("0x7f000001", Loopback),
            ("0xa9fea9fe", Metadata),
            ("0177.0.0.1", Loopback),
        ] {
            assert_eq!(classify_host(h), k, "{h}");
        }
        assert_eq!(HostKind::LinkLocal.as_str(), "link-local");
    }

    #[test]
    fn finds_urls_in_strings() {
        assert_eq!(
            hosts("get https://api.x.com/v1 then post to http://10.0.0.5:8080/x."),
            ["api.x.com", "10.0.0.5"]
        );
        let e = one("See https://x.com/docs.");
        assert_eq!(
            (e.url.as_str(), e.scheme.as_str()),
            ("https://x.com/docs", "https")
        );
        assert_eq!(one("[docs](https://x.com/a)").url, "https://x.com/a");
        assert_eq!(
            one("(https://en.x.org/wiki/A_(b))").url,
            "https://en.x.org/wiki/A_(b)"
        );
        assert_eq!(one("HTTPS://API.X.COM/A").host, "api.x.com");
        assert_eq!(one("git+https://github.com/a/b.git").host, "github.com");
        assert_eq!(one("wss://relay.x.io/s").scheme, "wss");
        assert_eq!(one("ftp://files.x.org/a").scheme, "ftp");
        assert_eq!(one("https://x.io/a https://x.io/a").url, "https://x.io/a");
        assert!(
            endpoints_in("xhttp://evil.com/ and file:///etc/passwd and mailto:a@b.c").is_empty()
        );
        assert!(endpoints_in("http://").is_empty());
        assert!(endpoints_in("https:// spaced").is_empty());
        // A password never reaches the evidence.
        let e = one("https://user:s3cret@h.com/x");
        assert!(
            !e.url.contains("s3cret") && e.url.contains("REDACTED"),
            "{}",
            e.url
        );
    }

    #[test]
    fn template_placeholders() {
        assert!(endpoints_in("https://${host}/x").is_empty());
        assert!(endpoints_in("https://${host}").is_empty());
        assert!(endpoints_in("https://api.${domain}/x").is_empty());
        assert!(endpoints_in("https://{}/api").is_empty());
        assert!(endpoints_in("http://{host}:{port}/").is_empty());
        assert!(endpoints_in("http://%s:%d/").is_empty());
        assert!(endpoints_in("https://<your-host>/x").is_empty());
        assert!(endpoints_in("https://$HOST/x").is_empty());
        assert!(endpoints_in("https://*.x.com/").is_empty());
        let e = one("https://api.x.com/${p}");
        assert_eq!(
            (e.host.as_str(), e.url.as_str()),
            ("api.x.com", "https://api.x.com/")
        );
        assert_eq!(
            one("https://api.x.com/repos/{owner}/{repo}").host,
            "api.x.com"
        );
        assert_eq!(one("https://api.x.com:${port}/v1").host, "api.x.com");
        // Placeholders in the userinfo do not hide the host; the credentials are not kept.
        let e = one("https://${user}:${token}@collect.evil-cdn.io/up");
        assert_eq!(e.host, "collect.evil-cdn.io");
        assert!(!e.url.contains("token"), "{}", e.url);
        assert_eq!(one("https://u:p@api.x.com:8443/v1").host, "api.x.com");
        // An `@` after the path starts is not userinfo.
        assert_eq!(one("https://api.x.com/@scope/pkg").host, "api.x.com");
        assert!(endpoints_in("https://${user}@").is_empty());
        assert!(endpoints_in("https://user@${host}/x").is_empty());
        assert_eq!(one("http://10.1.1.1:{port}").host, "10.1.1.1");
    }

    #[test]
    fn numeric_ip_spellings() {
        let e = one("http://2130706433/");
        assert_eq!((e.host.as_str(), e.kind), ("127.0.0.1", HostKind::Loopback));
        let e = one("http://0xa9fea9fe/latest/meta-data/");
        assert_eq!(
            (e.host.as_str(), e.kind),
            ("169.254.169.254", HostKind::Metadata)
        );
        assert_eq!(one("http://0177.0.0.1:80/").host, "127.0.0.1");
        assert_eq!(one("http://[::ffff:a9fe:a9fe]/").kind, HostKind::Metadata);
    }

    #[test]
    fn bare_ips_only_as_the_whole_string() {
        let e = one("10.0.0.1");
        assert_eq!((e.kind, e.scheme.as_str()), (HostKind::Internal, ""));
        assert_eq!(one("45.61.139.22:4444").host, "45.61.139.22");
        assert_eq!(one("[::1]:8080").kind, HostKind::Loopback);
        assert_eq!(one("fe80::1").kind, HostKind::LinkLocal);
        for s in [
            "version 1.2.3.4",
            "1.2.3",
            "1.2",
            "::",
            "255.255.255.0",
            "10.0.0.1 ",
            "a:b",
            "12:30",
            "2130706433",
            "192.0.2.7",
        ] {
            assert!(endpoints_in(s).is_empty(), "{s}");
        }
    }

    #[test]
    fn protocol_relative_only_at_start() {
        let e = one("//cdn.x.com/lib.js");
        assert_eq!((e.host.as_str(), e.scheme.as_str()), ("cdn.x.com", ""));
        assert_eq!(e.url, "//cdn.x.com/lib.js");
        assert!(endpoints_in("// TODO: fix").is_empty());
        assert!(endpoints_in("//server/share").is_empty());
        assert!(endpoints_in("see //cdn.x.com/lib.js").is_empty());
        assert!(endpoints_in("///x.com").is_empty());
    }

    #[test]
    fn documentation_and_identifier_urls_are_dropped() {
        for s in [
            "https://example.com/x",
            "http://www.example.org",
            "https://api.example.net/v1",
            "http://foo.example/",
            "http://a.test/b",
            "https://x.invalid",
            "http://ex%61mple.com/",
            "http://192.0.2.1/",
            "http://[2001:db8::1]/",
            "http://host:port/path",
            "http://host/path",
            "https://yourdomain.com/api",
            "http://www.w3.org/2000/svg",
            "http://www.w3.org/1999/xlink",
            "http://json-schema.org/draft-07/schema#",
            "https://json-schema.org/draft/2020-12/schema",
            "http://www.apache.org/licenses/LICENSE-2.0",
            "http://opensource.org/licenses/MIT",
            "http://schemas.xmlsoap.org/soap/envelope/",
            "http://purl.org/dc/elements/1.1/",
            "http://www.gnu.org/licenses/gpl-3.0.html",
        ] {
            assert!(endpoints_in(s).is_empty(), "{s}: {:?}", endpoints_in(s));
        }
        // Only the licence path of apache.org is an identifier.
        assert_eq!(
            rule("http://www.apache.org/dist/x.tgz").as_deref(),
            Some("endpoint.plain-http")
        );
        assert_eq!(
            one("https://example.com.evil.io/").host,
            "example.com.evil.io"
        );
        // Loopback identifiers are endpoints, never findings.
        assert_eq!(rule("http://localhost:3000/callback"), None);
    }

    #[test]
    fn services() {
        for (s, label) in [
            (
                "https://discord.com/api/webhooks/123/abc",
                "webhook: discord webhook",
            ),
            (
                "https://discordapp.com/api/webhooks/1/x",
                "webhook: discord webhook",
            ),
            (
                "https://hooks.slack.com/services/T/B/X",
                "webhook: slack webhook",
            ),
            (
                "https://api.telegram.org/bot123:abc/sendMessage",
                "webhook: telegram bot api",
            ),
            ("https://webhook.site/0d5c", "exfil: webhook.site"),
            ("https://eo1x.m.pipedream.net", "exfil: pipedream"),
            ("https://abc.ngrok-free.app/x", "tunnel: ngrok"),
            ("https://abc.ngrok.io", "tunnel: ngrok"),
            (
                "https://word-word.trycloudflare.com/",
                "tunnel: cloudflare quick tunnel",
            ),
            ("https://x.loca.lt", "tunnel: localtunnel"),
            ("http://c59x.oast.fun", "oob: interact.sh"),
            ("https://x.burpcollaborator.net", "oob: burp collaborator"),
            ("https://pastebin.com/raw/xyz", "paste: pastebin.com"),
            ("https://transfer.sh/abc/x.bin", "file-drop: transfer.sh"),
            (
                "https://cdn.discordapp.com/attachments/1/2/x.exe",
                "file-drop: discord attachments",
            ),
        ] {
            assert_eq!(one(s).service, Some(label), "{s}");
            assert_eq!(rule(s).as_deref(), Some("endpoint.service"), "{s}");
        }
        for s in [
            "https://discord.com/invite/abc",
            "https://api.telegram.org/",
            "https://raw.githubusercontent.com/a/b/main/schema.json",
            "https://gist.githubusercontent.com/a/b/raw/x",
            "https://notpastebin.com/x",
            "https://pastebin.com.evil.io/x",
            "https://cdn.discordapp.com/avatars/1/x.png",
        ] {
            assert_eq!(one(s).service, None, "{s}");
        }
    }

    #[test]
    fn findings_per_kind() {
        let f = endpoint_finding(
            &one("http://169.254.169.254/latest/meta-data/"),
            "a.js",
            3,
            7,
        )
        .unwrap();
        assert_eq!(
            (f.rule.as_str(), f.severity),
            ("endpoint.metadata", Severity::Critical)
        );
        assert_eq!(
            (f.line, f.column, f.category),
            (Some(3), Some(7), Category::Endpoint)
        );
        assert_eq!(f.evidence["host"], "169.254.169.254");
        assert_eq!(f.evidence["kind"], "metadata");
        assert_eq!(f.evidence["scheme"], "http");
        assert_eq!(
            rule("http://metadata.google.internal/computeMetadata/v1/").as_deref(),
            Some("endpoint.metadata")
        );
        assert_eq!(
            rule("http://169.254.10.1/").as_deref(),
            Some("endpoint.link-local")
        );
        assert_eq!(
            rule("http://10.0.0.5:9200").as_deref(),
            Some("endpoint.internal")
        );
        assert_eq!(
            rule("https://db.internal/x").as_deref(),
            Some("endpoint.internal")
        );
        assert_eq!(
            rule("https://45.61.139.22/x").as_deref(),
            Some("endpoint.ip")
        );
        assert_eq!(rule("45.61.139.22:4444").as_deref(), Some("endpoint.ip"));
        assert_eq!(
            rule("http://api.weather.gov/points").as_deref(),
            Some("endpoint.plain-http")
        );
        assert_eq!(
            rule("ws://relay.x.io/").as_deref(),
            Some("endpoint.plain-http")
        );
        assert_eq!(rule("https://api.weather.gov/points"), None);
        assert_eq!(rule("wss://relay.x.io/"), None);
        assert_eq!(rule("//cdn.x.com/a.js"), None);
        assert_eq!(rule("http://127.0.0.1:8080/"), None);
        assert_eq!(rule("http://[::1]/"), None);
        assert_eq!(rule("http://localhost/"), None);
        let f = endpoint_finding(&one("http://webhook.site/x"), "a.py", 1, 1).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.evidence["service"], "exfil: webhook.site");
        assert!(f.message.is_ascii());
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let pieces = [
            "http://", "https://", "//", "${", "}", "{", "%", "%4", ":", "[", "]", "@", ".", "/",
            "1", "0x", "::", "é", "\u{202e}", "\0", " ", "a", "$", "*", "(", ")", "ws://",
        ];
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(x % 12) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(pieces[(x % pieces.len() as u64) as usize]);
            }
            for e in endpoints_in(&s) {
                let _ = endpoint_finding(&e, "p", 1, 1);
                let _ = classify_host(&e.host);
            }
            let _ = classify_host(&s);
            x = x.wrapping_add(1);
        }
    }
}
