//! Provenance signals: facts the registry document states about the package and this version,
//! each with a status. What the registry does not supply is `unknown` — never guessed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fetch::PackageInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Bad,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Bad => "bad",
            Status::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub name: String,
    pub value: String,
    pub status: Status,
}

impl Signal {
    pub fn new(name: &str, value: impl Into<String>, status: Status) -> Signal {
        Signal {
            name: name.to_string(),
            value: value.into(),
            status,
        }
    }

    fn unknown(name: &str) -> Signal {
        Signal::new(name, "not supplied by the registry", Status::Unknown)
    }
}

/// A release younger than this many days is flagged (the usual window of a hijacked release).
pub const FRESH_VERSION_DAYS: i64 = 7;
/// A package younger than this many days is flagged.
pub const YOUNG_PACKAGE_DAYS: i64 = 30;
/// A release after this long a silence is flagged (dormant package revived).
pub const DORMANT_DAYS: i64 = 730;

const DAY: i64 = 86_400;

/// Forges whose repository URLs are recognised.
pub const FORGES: &[&str] = &["github.com", "gitlab.com", "codeberg.org", "bitbucket.org"];

/// Signals for one package, from its registry document (if any).
pub fn collect(package: &PackageInfo, metadata: Option<&Value>, now: i64) -> Vec<Signal> {
    match (package.ecosystem.as_str(), metadata) {
        ("npm", Some(doc)) => npm(doc, &package.name, &package.version, now),
        ("pypi", Some(doc)) => pypi(doc, &package.version, now),
        ("git", _) => git(package),
        ("docker", _) => vec![
            Signal::new("image", package.name.clone(), Status::Ok),
            Signal::new(
                "image-digest",
                if package.digest.is_empty() {
                    "none (tag only)".to_string()
                } else {
                    package.digest.clone()
                },
                if package.digest.is_empty() {
                    Status::Warn
                } else {
                    Status::Ok
                },
            ),
        ],
        ("remote", _) => {
            let host = url::Url::parse(&package.source)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string));
            match host {
                Some(h) => vec![Signal::new("host", h, Status::Ok)],
                None => vec![Signal::unknown("host")],
            }
        }
        ("npm" | "pypi", None) => vec![Signal::new(
            "registry-metadata",
            "the registry document was not available",
            Status::Unknown,
        )],
        _ => Vec::new(),
    }
}

/// Days between an RFC 3339 time and `now` (negative when in the future).
fn age_days(time: &str, now: i64) -> Option<i64> {
    parse_time(time).map(|t| (now - t).div_euclid(DAY))
}

/// An age signal: unknown without a time, a warning when younger than `warn_below` days.
fn age_signal(name: &str, time: Option<i64>, now: i64, warn_below: i64) -> Signal {
    match time {
        Some(t) => {
            let d = (now - t).div_euclid(DAY);
            let status = if d < warn_below {
                Status::Warn
            } else {
                Status::Ok
            };
            Signal::new(name, days(d), status)
        }
        None => Signal::unknown(name),
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// RFC 3339 / ISO 8601 (`2024-05-01T12:00:00.123Z`, `+02:00` offsets) → Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.trim().get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, se) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        None | Some(b'Z') | Some(b'z') => 0,
        Some(b'+') | Some(b'-') => {
            let sign = if b[i] == b'-' { -1 } else { 1 };
            let oh = n(i + 1..i + 3)?;
            let om = n(i + 4..i + 6)?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * DAY + h * 3600 + mi * 60 + se - offset)
}

/// A repository URL in its usual spellings (`git+https://…/x.git`, `git@host:o/r`,
/// `github:o/r`) → `https://host/owner/repo`.
pub fn normalize_repo(url: &str) -> String {
    let mut u = url.trim().to_string();
    if let Some(rest) = u.strip_prefix("git+") {
        u = rest.to_string();
    }
    for (short, host) in [
        ("github:", "github.com"),
        ("gitlab:", "gitlab.com"),
        ("bitbucket:", "bitbucket.org"),
    ] {
        if let Some(rest) = u.strip_prefix(short) {
            u = format!("https://{host}/{rest}");
        }
    }
    if let Some(rest) = u.strip_prefix("git@") {
        u = format!("https://{}", rest.replacen(':', "/", 1));
    }
    if let Some(rest) = u.strip_prefix("ssh://git@") {
        u = format!("https://{rest}");
    }
    if let Some(rest) = u.strip_prefix("git://") {
        u = format!("https://{rest}");
    }
    if let Some(rest) = u.strip_prefix("http://") {
        u = format!("https://{rest}");
    }
    if !u.contains("://") && u.split('/').count() == 2 {
        // npm shorthand `owner/repo` means GitHub.
        u = format!("https://github.com/{u}");
    }
    let u = u.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_string()
}

/// `github.com/owner` of a normalised repository URL, lowercased.
pub fn repo_owner(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.trim_start_matches("www.").to_lowercase();
    let owner = parsed.path_segments()?.find(|s| !s.is_empty())?;
    Some(format!("{host}/{}", owner.to_lowercase()))
}

fn repo_signal(url: Option<String>) -> Signal {
    match url {
        Some(u) => {
            let norm = normalize_repo(&u);
            let host = url::Url::parse(&norm).ok().and_then(|p| {
                p.host_str()
                    .map(|h| h.trim_start_matches("www.").to_lowercase())
            });
            match host {
                Some(h) if FORGES.contains(&h.as_str()) => {
                    Signal::new("repository", norm, Status::Ok)
                }
                Some(_) => Signal::new(
                    "repository",
                    format!("{norm} (not a known forge)"),
                    Status::Warn,
                ),
                None => Signal::new("repository", format!("{u} (not a URL)"), Status::Warn),
            }
        }
        None => Signal::unknown("repository"),
    }
}

/// The repository URL an npm manifest (or packument) names.
pub fn npm_repository(v: &Value) -> Option<String> {
    match v.get("repository")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("url").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn major(version: &str) -> Option<u64> {
    version
        .trim_start_matches(['v', '='])
        .split(['.', '-', '+'])
        .next()?
        .parse()
        .ok()
}

fn npm(doc: &Value, name: &str, version: &str, now: i64) -> Vec<Signal> {
    let manifest = doc.get("versions").and_then(|v| v.get(version));
    let time = doc.get("time").and_then(Value::as_object);
    let mut out = Vec::new();

    // Publisher of this version.
    out.push(
        match manifest
            .and_then(|m| m.get("_npmUser"))
            .and_then(|u| u.get("name"))
            .and_then(Value::as_str)
        {
            Some(u) => Signal::new("publisher", u, Status::Ok),
            None => Signal::unknown("publisher"),
        },
    );
    out.push(match doc.get("maintainers").and_then(Value::as_array) {
        Some(m) if m.is_empty() => Signal::new("maintainers", "0", Status::Warn),
        Some(m) => {
            let names: Vec<&str> = m
                .iter()
                .filter_map(|x| x.get("name").and_then(Value::as_str).or(x.as_str()))
                .collect();
            Signal::new(
                "maintainers",
                format!("{} ({})", m.len(), names.join(", ")),
                Status::Ok,
            )
        }
        None => Signal::unknown("maintainers"),
    });
    // Ages.
    // `time.created`, else the first release's publication time (mirrors drop `created`).
    let created = time
        .and_then(|t| t.get("created"))
        .and_then(Value::as_str)
        .and_then(|c| age_days(c, now))
        .map(|d| (d, ""))
        .or_else(|| {
            let first = time?
                .iter()
                .filter(|(k, _)| k.as_str() != "modified")
                .filter_map(|(_, v)| parse_time(v.as_str()?))
                .min()?;
            Some(((now - first).div_euclid(DAY), " (since the first release)"))
        });
    out.push(match created {
        Some((d, how)) => {
            let status = if d < YOUNG_PACKAGE_DAYS {
                Status::Warn
            } else {
                Status::Ok
            };
            Signal::new("package-age", format!("{}{how}", days(d)), status)
        }
        None => Signal::unknown("package-age"),
    });
    let this_time = time
        .and_then(|t| t.get(version))
        .and_then(Value::as_str)
        .and_then(parse_time);
    out.push(age_signal(
        "version-age",
        this_time,
        now,
        FRESH_VERSION_DAYS,
    ));
    let versions = doc.get("versions").and_then(Value::as_object);
    out.push(match versions {
        Some(v) if v.len() <= 1 => Signal::new("versions", v.len().to_string(), Status::Warn),
        Some(v) => Signal::new("versions", v.len().to_string(), Status::Ok),
        None => Signal::unknown("versions"),
    });
    // The release before this one, by publication time.
    let previous = match (time, this_time) {
        (Some(t), Some(this)) => t
            .iter()
            .filter(|(k, _)| k.as_str() != "created" && k.as_str() != "modified" && *k != version)
            .filter_map(|(k, v)| Some((parse_time(v.as_str()?)?, k.as_str())))
            .filter(|(at, _)| *at < this)
            .max(),
        _ => None,
    };
    out.push(match (previous, this_time) {
        (Some((prev, prev_v)), Some(this)) => {
            let gap = (this - prev).div_euclid(DAY);
            let status = if gap > DORMANT_DAYS {
                Status::Warn
            } else {
                Status::Ok
            };
            Signal::new(
                "release-gap",
                format!("{} after {prev_v}", days(gap)),
                status,
            )
        }
        (None, Some(_)) if time.is_some() => {
            Signal::new("release-gap", "first release", Status::Ok)
        }
        _ => Signal::unknown("release-gap"),
    });
    out.push(
        match (previous.and_then(|(_, v)| major(v)), major(version)) {
            (Some(a), Some(b)) => {
                let jump = b > a + 1 || (a == 0 && b >= 10);
                let value = format!("{}.x → {}.x", a, b);
                if jump {
                    Signal::new("version-jump", value, Status::Warn)
                } else {
                    Signal::new("version-jump", value, Status::Ok)
                }
            }
            _ => Signal::unknown("version-jump"),
        },
    );
    out.push(repo_signal(
        manifest
            .and_then(npm_repository)
            .or_else(|| npm_repository(doc)),
    ));
    out.push(
        match manifest
            .and_then(|m| m.get("mcpName"))
            .and_then(Value::as_str)
        {
            Some(n) => Signal::new("mcp-name", n, Status::Ok),
            None => Signal::unknown("mcp-name"),
        },
    );
    out.push(match manifest.and_then(|m| m.get("deprecated")) {
        Some(Value::String(s)) if !s.is_empty() => {
            Signal::new("deprecated", s.clone(), Status::Bad)
        }
        Some(Value::Bool(true)) => Signal::new("deprecated", "yes", Status::Bad),
        Some(_) => Signal::new("deprecated", "no", Status::Ok),
        None => Signal::unknown("deprecated"),
    });
    let dist = manifest.and_then(|m| m.get("dist"));
    out.push(match dist.and_then(|d| d.get("attestations")) {
        Some(a) => Signal::new("attestations", attestation_value(a), Status::Ok),
        None => Signal::unknown("attestations"),
    });
    out.push(
        match dist
            .and_then(|d| d.get("signatures"))
            .and_then(Value::as_array)
        {
            Some(s) if !s.is_empty() => {
                let keys: Vec<&str> = s
                    .iter()
                    .filter_map(|x| x.get("keyid").and_then(Value::as_str))
                    .collect();
                Signal::new(
                    "registry-signatures",
                    format!(
                        "{} present, not verified here (keys: {})",
                        s.len(),
                        keys.join(", ")
                    ),
                    Status::Ok,
                )
            }
            Some(_) => Signal::new("registry-signatures", "none", Status::Warn),
            None => Signal::unknown("registry-signatures"),
        },
    );
    out.push(
        match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, _)) => Signal::new("scope", format!("@{scope}"), Status::Ok),
            None => Signal::new("scope", "unscoped", Status::Ok),
        },
    );
    let license = manifest
        .and_then(|m| m.get("license"))
        .or_else(|| doc.get("license"));
    out.push(match license {
        Some(Value::String(s)) if !s.is_empty() => Signal::new("license", s.clone(), Status::Ok),
        Some(Value::Object(o)) => match o.get("type").and_then(Value::as_str) {
            Some(t) => Signal::new("license", t, Status::Ok),
            None => Signal::unknown("license"),
        },
        _ => Signal::unknown("license"),
    });
    out
}

/// An npm `dist.attestations` entry: the source repository and workflow when the SLSA
/// predicate is inline, otherwise the URL the attestations can be fetched from.
fn attestation_value(a: &Value) -> String {
    let url = a.get("url").and_then(Value::as_str);
    let predicate = a.get("provenance").and_then(|p| p.get("predicate"));
    let workflow = predicate
        .and_then(|p| p.pointer("/buildDefinition/externalParameters/workflow"))
        .and_then(Value::as_object);
    if let Some(w) = workflow {
        let repo = w.get("repository").and_then(Value::as_str).unwrap_or("?");
        let path = w.get("path").and_then(Value::as_str).unwrap_or("?");
        let r#ref = w.get("ref").and_then(Value::as_str);
        let mut v = format!("present: built from {repo} by {path}");
        if let Some(r) = r#ref {
            v.push_str(&format!(" at {r}"));
        }
        return v;
    }
    let kind = a
        .get("provenance")
        .and_then(|p| p.get("predicateType"))
        .and_then(Value::as_str);
    match (url, kind) {
        (Some(u), Some(k)) => format!("present ({k}): {u}"),
        (Some(u), None) => format!("present: {u}"),
        (None, _) => "present".to_string(),
    }
}

fn pypi_files<'a>(doc: &'a Value, version: &str) -> Option<&'a Vec<Value>> {
    let from_releases = doc
        .get("releases")
        .and_then(|r| r.get(version))
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty());
    from_releases.or_else(|| {
        let latest = doc.pointer("/info/version").and_then(Value::as_str);
        (latest == Some(version))
            .then(|| doc.get("urls").and_then(Value::as_array))
            .flatten()
    })
}

fn pypi(doc: &Value, version: &str, now: i64) -> Vec<Signal> {
    let info = doc.get("info");
    let mut out = Vec::new();
    let ownership = doc
        .get("ownership")
        .or_else(|| info.and_then(|i| i.get("ownership")));
    out.push(match ownership {
        Some(o) => {
            let mut parts = Vec::new();
            if let Some(org) = o.get("organization").and_then(Value::as_str) {
                parts.push(format!("organisation {org}"));
            }
            for r in o
                .get("roles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(role), Some(user)) = (
                    r.get("role").and_then(Value::as_str),
                    r.get("user").and_then(Value::as_str),
                ) {
                    parts.push(format!("{role} {user}"));
                }
            }
            if parts.is_empty() {
                Signal::unknown("ownership")
            } else {
                Signal::new("ownership", parts.join(", "), Status::Ok)
            }
        }
        None => Signal::unknown("ownership"),
    });
    let files = pypi_files(doc, version);
    let uploaded = files
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("upload_time_iso_8601").and_then(Value::as_str))
        .filter_map(parse_time)
        .min();
    out.push(age_signal("version-age", uploaded, now, FRESH_VERSION_DAYS));
    let releases = doc.get("releases").and_then(Value::as_object);
    let first = releases
        .into_iter()
        .flatten()
        .flat_map(|(_, files)| files.as_array().into_iter().flatten())
        .filter_map(|f| f.get("upload_time_iso_8601").and_then(Value::as_str))
        .filter_map(parse_time)
        .min();
    out.push(age_signal("package-age", first, now, YOUNG_PACKAGE_DAYS));
    out.push(match releases {
        Some(r) if r.len() <= 1 => Signal::new("versions", r.len().to_string(), Status::Warn),
        Some(r) => Signal::new("versions", r.len().to_string(), Status::Ok),
        None => Signal::unknown("versions"),
    });
    // Yanked: this version's files, then other releases all of whose files are yanked.
    let this_yanked = files.map(|f| {
        !f.is_empty()
            && f.iter()
                .all(|x| x.get("yanked").and_then(Value::as_bool) == Some(true))
    });
    let yanked_others: Vec<&str> = releases
        .into_iter()
        .flatten()
        .filter(|(v, _)| v.as_str() != version)
        .filter(|(_, files)| {
            files.as_array().is_some_and(|f| {
                !f.is_empty()
                    && f.iter()
                        .all(|x| x.get("yanked").and_then(Value::as_bool) == Some(true))
            })
        })
        .map(|(v, _)| v.as_str())
        .collect();
    out.push(match this_yanked {
        Some(true) => {
            let reason = files
                .and_then(|f| f.first())
                .and_then(|f| f.get("yanked_reason"))
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            Signal::new(
                "yanked",
                format!("this version is yanked: {reason}"),
                Status::Bad,
            )
        }
        Some(false) if !yanked_others.is_empty() => Signal::new(
            "yanked",
            format!("other releases yanked: {}", yanked_others.join(", ")),
            Status::Warn,
        ),
        Some(false) => Signal::new("yanked", "no", Status::Ok),
        None => Signal::unknown("yanked"),
    });
    let urls = info
        .and_then(|i| i.get("project_urls"))
        .and_then(Value::as_object);
    out.push(match urls {
        Some(u) if !u.is_empty() => {
            let list: Vec<String> = u
                .iter()
                .filter_map(|(k, v)| Some(format!("{k}: {}", v.as_str()?)))
                .collect();
            Signal::new("project-urls", list.join(", "), Status::Ok)
        }
        _ => Signal::unknown("project-urls"),
    });
    out.push(repo_signal(pypi_repository(doc)));
    out.push(match doc.get("vulnerabilities").and_then(Value::as_array) {
        Some(v) if v.is_empty() => Signal::new("vulnerabilities", "none listed", Status::Ok),
        Some(v) => {
            let ids: Vec<&str> = v
                .iter()
                .filter_map(|x| x.get("id").and_then(Value::as_str))
                .collect();
            let of = info
                .and_then(|i| i.get("version"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            Signal::new(
                "vulnerabilities",
                format!("{} (listed for {of})", ids.join(", ")),
                Status::Bad,
            )
        }
        None => Signal::unknown("vulnerabilities"),
    });
    let provenance: Vec<&str> = files
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("provenance").and_then(Value::as_str))
        .collect();
    out.push(if !provenance.is_empty() {
        Signal::new("file-provenance", provenance.join(", "), Status::Ok)
    } else if files
        .into_iter()
        .flatten()
        .any(|f| f.get("provenance").is_some())
    {
        Signal::new("file-provenance", "none", Status::Unknown)
    } else {
        Signal::unknown("file-provenance")
    });
    let license = info
        .and_then(|i| i.get("license_expression"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            info.and_then(|i| i.get("license"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && s.len() < 100)
        });
    out.push(match license {
        Some(l) => Signal::new("license", l, Status::Ok),
        None => Signal::unknown("license"),
    });
    out
}

/// The source repository a PyPI project links (first project URL on a known forge).
pub fn pypi_repository(doc: &Value) -> Option<String> {
    let info = doc.get("info")?;
    // Source-like labels first; issue trackers and documentation last.
    let mut labelled: Vec<(u8, &str)> = info
        .get("project_urls")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let k = k.to_lowercase();
            let rank = if ["source", "repo", "code", "github", "git"]
                .iter()
                .any(|w| k.contains(w))
            {
                0
            } else if ["issue", "bug", "doc", "changelog", "tracker"]
                .iter()
                .any(|w| k.contains(w))
            {
                2
            } else {
                1
            };
            Some((rank, v.as_str()?))
        })
        .collect();
    labelled.extend(
        info.get("home_page")
            .and_then(Value::as_str)
            .map(|h| (1, h)),
    );
    labelled.sort_by_key(|(rank, _)| *rank);
    let candidates = labelled.into_iter().map(|(_, u)| u);
    candidates
        .into_iter()
        .find(|u| {
            let n = normalize_repo(u);
            repo_owner(&n).is_some_and(|o| FORGES.iter().any(|f| o.starts_with(&format!("{f}/"))))
        })
        .map(str::to_string)
}

fn git(package: &PackageInfo) -> Vec<Signal> {
    let norm = normalize_repo(&package.source);
    let parsed = url::Url::parse(&norm).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_string));
    let owner = repo_owner(&norm).and_then(|o| o.split_once('/').map(|(_, o)| o.to_string()));
    let reference = match crate::spec::Spec::parse(&package.spec) {
        Ok(crate::spec::Spec::Git { reference, .. }) => reference,
        _ => None,
    };
    let kind = if package.moving {
        if reference.is_some() {
            ("branch", Status::Warn)
        } else {
            ("default branch", Status::Warn)
        }
    } else {
        match (&reference, &package.commit) {
            (Some(r), Some(c)) if r.len() >= 7 && c.starts_with(r.as_str()) => {
                ("commit", Status::Ok)
            }
            (Some(_), _) => ("tag", Status::Ok),
            _ => ("commit", Status::Ok),
        }
    };
    vec![
        match host {
            Some(h) if FORGES.contains(&h.as_str()) => Signal::new("host", h, Status::Ok),
            Some(h) => Signal::new("host", format!("{h} (not a known forge)"), Status::Warn),
            None => Signal::unknown("host"),
        },
        match owner {
            Some(o) => Signal::new("owner", o, Status::Ok),
            None => Signal::unknown("owner"),
        },
        Signal::new("ref-kind", kind.0, kind.1),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("1970-01-02T00:00:00.123Z"), Some(86_400));
        assert_eq!(
            parse_time("2000-03-01T00:00:00+01:00"),
            Some(951_868_800 - 3600)
        );
        assert_eq!(parse_time("2024-02-29T12:00:00"), Some(1_709_208_000));
        assert_eq!(parse_time("garbage"), None);
        assert_eq!(parse_time("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn repositories() {
        assert_eq!(
            normalize_repo("git+https://github.com/o/r.git"),
            "https://github.com/o/r"
        );
        assert_eq!(
            normalize_repo("git@github.com:o/r.git"),
            "https://github.com/o/r"
        );
        assert_eq!(normalize_repo("github:o/r"), "https://github.com/o/r");
        assert_eq!(normalize_repo("o/r"), "https://github.com/o/r");
        assert_eq!(
            repo_owner("https://GitHub.com/Stripe/x").as_deref(),
            Some("github.com/stripe")
        );
    }

    fn pkg(ecosystem: &str, name: &str, version: &str) -> PackageInfo {
        PackageInfo {
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: version.into(),
            spec: String::new(),
            source: String::new(),
            digest: String::new(),
            verified: true,
            pinned: true,
            moving: false,
            commit: None,
            artifact: String::new(),
            notes: Vec::new(),
        }
    }

    fn get<'a>(signals: &'a [Signal], name: &str) -> (&'a str, Status) {
        let s = signals
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name} in {signals:?}"));
        (s.value.as_str(), s.status)
    }

    const NOW: i64 = 1_700_000_000; // 2023-11-14

    #[test]
    fn npm_mirror_times_and_major_jump() {
        let doc = serde_json::json!({
            "versions": {"1.0.0": {}, "3.0.0": {}},
            "time": {"modified": "2023-11-01T00:00:00Z", "1.0.0": "2023-01-01T00:00:00Z",
                     "3.0.0": "2023-11-10T00:00:00Z"}
        });
        let s = collect(&pkg("npm", "x", "3.0.0"), Some(&doc), NOW);
        assert_eq!(
            get(&s, "package-age"),
            ("317 days (since the first release)", Status::Ok)
        );
        assert_eq!(get(&s, "version-age"), ("4 days", Status::Warn));
        assert_eq!(get(&s, "version-jump"), ("1.x → 3.x", Status::Warn));
        assert_eq!(get(&s, "release-gap"), ("313 days after 1.0.0", Status::Ok));
        assert_eq!(get(&s, "deprecated").1, Status::Unknown);
    }

    #[test]
    fn pypi_this_version_yanked_and_no_document() {
        let doc = serde_json::json!({
            "info": {"version": "2.0"},
            "releases": {"2.0": [{"yanked": true, "yanked_reason": "credential stealer",
                                   "upload_time_iso_8601": "2023-11-13T00:00:00Z"}]}
        });
        let s = collect(&pkg("pypi", "x", "2.0"), Some(&doc), NOW);
        assert_eq!(
            get(&s, "yanked"),
            ("this version is yanked: credential stealer", Status::Bad)
        );
        assert_eq!(get(&s, "version-age"), ("1 day", Status::Warn));
        assert_eq!(get(&s, "package-age").1, Status::Warn);
        assert_eq!(get(&s, "versions"), ("1", Status::Warn));
        assert_eq!(get(&s, "vulnerabilities").1, Status::Unknown);
        assert_eq!(get(&s, "ownership").1, Status::Unknown);
        let s = collect(&pkg("pypi", "x", "2.0"), None, NOW);
        assert_eq!(get(&s, "registry-metadata").1, Status::Unknown);
    }

    #[test]
    fn git_and_remote() {
        let mut p = pkg("git", "repo", "v1.2");
        p.source = "https://github.com/Owner/repo.git".into();
        p.spec = "git+https://github.com/Owner/repo.git#v1.2".into();
        p.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
        let s = collect(&p, None, NOW);
        assert_eq!(get(&s, "host"), ("github.com", Status::Ok));
        assert_eq!(get(&s, "owner"), ("owner", Status::Ok));
        assert_eq!(get(&s, "ref-kind"), ("tag", Status::Ok));
        p.spec = "git+https://github.com/Owner/repo.git#0123456789ab".into();
        assert_eq!(
            get(&collect(&p, None, NOW), "ref-kind"),
            ("commit", Status::Ok)
        );
        p.moving = true;
        p.pinned = false;
        p.spec = "git+https://github.com/Owner/repo.git#main".into();
        assert_eq!(
            get(&collect(&p, None, NOW), "ref-kind"),
            ("branch", Status::Warn)
        );
        p.source = "https://git.example.org/o/r".into();
        assert_eq!(
            get(&collect(&p, None, NOW), "host"),
            ("git.example.org (not a known forge)", Status::Warn)
        );
        let mut r = pkg("remote", "x", "");
        r.source = "https://mcp.example.com/sse".into();
        assert_eq!(
            get(&collect(&r, None, NOW), "host"),
            ("mcp.example.com", Status::Ok)
        );
        let mut d = pkg("docker", "mcp/fetch", "latest");
        d.digest = String::new();
        assert_eq!(get(&collect(&d, None, NOW), "image-digest").1, Status::Warn);
    }
}
