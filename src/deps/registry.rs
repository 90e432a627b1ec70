//! Registry documents for resolution, reduced to compact summaries: what resolution and the
//! flags need (versions, their dependencies, publish times, maintainers, install scripts,
//! deprecation, yanked releases, vulnerabilities) and nothing else. A summary is cached on disk
//! under the metadata cache with the metadata TTL, so a warm run reads a few kilobytes per
//! package instead of parsing whole packuments. Every field is optional: a registry that leaves
//! one out (the npm mirror here gives no maintainers) or gives it the wrong shape leaves it
//! unknown, never an error.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

use crate::fetch::cache::Cache;
use crate::fetch::http::{Got, Http};
use crate::fetch::Fetcher;
use crate::provenance::signals::parse_time;

/// Largest registry document accepted for a dependency.
pub const MAX_DOCUMENT: u64 = 128 * 1024 * 1024;
/// Versions kept per package, dependencies per version: beyond these a document is hostile.
const MAX_VERSIONS: usize = 20_000;
const MAX_DEPS: usize = 2_000;
/// Bumped when the summary layout changes, so old cache entries are ignored.
const SUMMARY_KEY: &str = "mcpvet-deps-summary/v2 ";

/// One npm version, as far as resolution and flags need it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NpmVersion {
    pub v: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// (name, spec), dependencies then optional then required peers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deps: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainers: Option<Vec<String>>,
    /// Why it runs code at install (`hasInstallScript`, `postinstall: node x.js`, `gypfile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NpmDoc {
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// First publish (`time.created`, else the earliest version time).
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub maintainers: Option<Vec<String>>,
    #[serde(default)]
    pub versions: Vec<NpmVersion>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Advisory {
    pub id: String,
    pub summary: String,
}

/// What one PyPI release declares.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PyVersionInfo {
    pub version: String,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub vulnerabilities: Vec<Advisory>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PyRelease {
    pub v: String,
    #[serde(default)]
    pub time: Option<i64>,
    /// Every file of the release is yanked.
    #[serde(default)]
    pub yanked: bool,
    /// A wheel is published (without one, pip builds the sdist and runs its build code).
    #[serde(default)]
    pub wheel: bool,
    /// A wheel's absolute URL (its `.metadata` names the release's requirements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PyDoc {
    pub name: String,
    #[serde(default)]
    pub latest: Option<String>,
    #[serde(default)]
    pub created: Option<i64>,
    /// Owners and maintainers (`ownership.roles`), where the index gives them.
    #[serde(default)]
    pub owners: Option<Vec<String>>,
    /// Releases with at least one file.
    #[serde(default)]
    pub releases: Vec<PyRelease>,
    /// The latest release's requirements and vulnerabilities (the project document's `info`).
    #[serde(default)]
    pub latest_info: Option<PyVersionInfo>,
}

/// Why a document is unavailable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocError {
    /// `--offline` and not in the cache.
    Offline,
    NotFound,
    Other(String),
}

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocError::Offline => write!(f, "not in the cache (offline)"),
            DocError::NotFound => write!(f, "not found on the registry"),
            DocError::Other(s) => write!(f, "{s}"),
        }
    }
}

/// The registries, the HTTP client and the cache the fetch uses.
#[derive(Debug, Clone)]
pub struct Registry {
    http: Http,
    cache: Cache,
    offline: bool,
    ttl: Duration,
    npm: String,
    pypi: String,
}

impl Registry {
    pub fn from_fetcher(f: &Fetcher) -> Registry {
        let o = f.options();
        Registry {
            http: f.http().clone(),
            cache: o.cache.clone(),
            offline: o.offline,
            ttl: o.metadata_ttl,
            npm: o.registries.npm.as_str().to_string(),
            pypi: o.registries.pypi.as_str().to_string(),
        }
    }

    pub fn npm_url(&self, name: &str) -> String {
        format!("{}{}", self.npm, crate::fetch::npm::packument_path(name))
    }

    pub async fn npm(&self, name: &str) -> Result<NpmDoc, DocError> {
        if !valid_npm_name(name) {
            return Err(DocError::Other(format!("{name:?} is not a valid npm name")));
        }
        self.summary(&self.npm_url(name), summarize_npm).await
    }

    pub async fn pypi(&self, name: &str) -> Result<PyDoc, DocError> {
        if !valid_pypi_name(name) {
            return Err(DocError::Other(format!(
                "{name:?} is not a valid PyPI name"
            )));
        }
        let url = format!("{}pypi/{}/json", self.pypi, name);
        self.summary(&url, summarize_pypi).await
    }

    pub async fn pypi_version(&self, name: &str, version: &str) -> Result<PyVersionInfo, DocError> {
        if !valid_pypi_name(name)
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+!".contains(c))
        {
            return Err(DocError::Other(format!(
                "{name:?} {version:?} is not a valid PyPI release"
            )));
        }
        let url = format!("{}pypi/{}/{}/json", self.pypi, name, version);
        self.summary(&url, |d, _| pypi_version_info(d, None)).await
    }

    /// Requirements of a release from its wheel's core metadata (PEP 658 `.metadata`), for
    /// indexes without per-release JSON.
    pub async fn pypi_wheel_metadata(
        &self,
        version: &str,
        url: &str,
    ) -> Result<PyVersionInfo, DocError> {
        let meta_url = format!("{url}.metadata");
        let version = version.to_string();
        let parse = move |raw: &[u8], _url: &str| -> Result<PyVersionInfo, String> {
            let text = String::from_utf8_lossy(raw);
            Ok(PyVersionInfo {
                version: version.clone(),
                requires: super::manifest::requires_dist_all(&text),
                vulnerabilities: Vec::new(),
            })
        };
        self.summary_with(&meta_url, "text/plain", parse).await
    }

    /// The summary of the JSON document at `url`.
    async fn summary<T>(&self, url: &str, summarize: fn(&Value, &str) -> T) -> Result<T, DocError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        let parse = move |raw: &[u8], url: &str| -> Result<T, String> {
            let doc: Value = serde_json::from_slice(raw)
                .map_err(|e| format!("malformed registry response from {url}: {e}"))?;
            if !doc.is_object() {
                return Err(format!(
                    "malformed registry response from {url}: expected a JSON object"
                ));
            }
            Ok(summarize(&doc, url))
        };
        self.summary_with(url, "application/json", parse).await
    }

    /// The summary of the document at `url`: from the summary cache, else from a cached raw
    /// document (the fetch caches the scanned package's own), else from the network.
    async fn summary_with<T, P>(&self, url: &str, accept: &str, parse: P) -> Result<T, DocError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        P: FnOnce(&[u8], &str) -> Result<T, String> + Send + 'static,
    {
        let max_age = (!self.offline).then_some(self.ttl);
        let key = format!("{SUMMARY_KEY}{url}");
        if let Some(bytes) = self.cache.get_meta(&key, max_age) {
            // A summary that no longer parses (an older layout, a damaged file) is a miss.
            if let Ok(s) = serde_json::from_slice::<T>(&bytes) {
                return Ok(s);
            }
        }
        // A 404 is remembered for the TTL too: a missing per-release document is not asked for
        // on every run.
        let missing = format!("{SUMMARY_KEY}404 {url}");
        if self.cache.get_meta(&missing, max_age).is_some() {
            return Err(DocError::NotFound);
        }
        let raw = match self.cache.get_meta(url, max_age) {
            Some(raw) => raw,
            None if self.offline => return Err(DocError::Offline),
            None => match self
                .http
                .get(url, accept, MAX_DOCUMENT)
                .await
                .map_err(|e| DocError::Other(e.to_string()))?
            {
                Got::NotFound => {
                    let _ = self.cache.put_meta(&missing, b"404");
                    return Err(DocError::NotFound);
                }
                Got::Body(b) => b,
            },
        };
        let url_owned = url.to_string();
        // Parsing a large document is CPU work: keep it off the async workers.
        let (summary, bytes) = tokio::task::spawn_blocking(move || {
            let s = parse(&raw, &url_owned).map_err(DocError::Other)?;
            let bytes = serde_json::to_vec(&s).unwrap_or_default();
            Ok::<_, DocError>((s, bytes))
        })
        .await
        .map_err(|e| DocError::Other(format!("summary task failed: {e}")))??;
        let _ = self.cache.put_meta(&key, &bytes);
        Ok(summary)
    }
}

/// npm names: lowercase-ish URL-safe characters, an optional `@scope/`.
pub fn valid_npm_name(name: &str) -> bool {
    let body = match name.strip_prefix('@') {
        Some(rest) => match rest.split_once('/') {
            Some((scope, pkg)) if !scope.is_empty() && !pkg.is_empty() => {
                return [scope, pkg].iter().all(|p| valid_npm_part(p)) && name.len() <= 214
            }
            _ => return false,
        },
        None => name,
    };
    valid_npm_part(body) && name.len() <= 214
}

fn valid_npm_part(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('.')
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~!*'()".contains(c))
}

pub fn valid_pypi_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(|s| s.chars().take(500).collect())
}

/// `[{name, email}]` or `["name <email>"]` → names; `None` when absent or not an array.
fn people(v: Option<&Value>) -> Option<Vec<String>> {
    let arr = v?.as_array()?;
    let mut out: Vec<String> = arr
        .iter()
        .take(1000)
        .filter_map(|p| match p {
            Value::String(s) => Some(s.split('<').next().unwrap_or(s).trim().to_string()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .filter(|n| !n.is_empty())
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

pub fn summarize_npm(doc: &Value, _url: &str) -> NpmDoc {
    let times = doc.get("time").and_then(Value::as_object);
    let time_of = |k: &str| {
        times
            .and_then(|t| t.get(k))
            .and_then(Value::as_str)
            .and_then(parse_time)
    };
    let mut versions = Vec::new();
    if let Some(vs) = doc.get("versions").and_then(Value::as_object) {
        for (v, m) in vs.iter().take(MAX_VERSIONS) {
            let mut deps = Vec::new();
            let optional_peer = |name: &str| {
                m.get("peerDependenciesMeta")
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("optional"))
                    .and_then(Value::as_bool)
                    == Some(true)
            };
            for section in ["dependencies", "optionalDependencies", "peerDependencies"] {
                if let Some(d) = m.get(section).and_then(Value::as_object) {
                    for (name, spec) in d {
                        if deps.len() >= MAX_DEPS {
                            break;
                        }
                        let Some(spec) = spec.as_str() else { continue };
                        if section == "peerDependencies" && optional_peer(name) {
                            continue;
                        }
                        if deps.iter().any(|(n, _): &(String, String)| n == name) {
                            continue;
                        }
                        deps.push((name.clone(), spec.chars().take(500).collect()));
                    }
                }
            }
            let scripts = m.get("scripts").and_then(Value::as_object);
            let script = ["preinstall", "install", "postinstall"]
                .iter()
                .find_map(|s| {
                    scripts
                        .and_then(|sc| sc.get(*s))
                        .and_then(Value::as_str)
                        .map(|cmd| format!("{s}: {}", super::spec::clip(cmd)))
                });
            let install = script
                .or_else(|| {
                    (m.get("hasInstallScript").and_then(Value::as_bool) == Some(true))
                        .then(|| "hasInstallScript".to_string())
                })
                .or_else(|| {
                    (m.get("gypfile").and_then(Value::as_bool) == Some(true))
                        .then(|| "gypfile (node-gyp rebuild)".to_string())
                });
            let deprecated = match m.get("deprecated") {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(super::spec::clip(s)),
                Some(Value::Bool(true)) => Some("deprecated".to_string()),
                _ => None,
            };
            versions.push(NpmVersion {
                v: v.chars().take(200).collect(),
                time: time_of(v),
                deps,
                maintainers: people(m.get("maintainers")),
                install,
                deprecated,
            });
        }
    }
    let created = time_of("created").or_else(|| versions.iter().filter_map(|v| v.time).min());
    let tags = doc
        .get("dist-tags")
        .and_then(Value::as_object)
        .map(|t| {
            t.iter()
                .take(100)
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    NpmDoc {
        name: str_of(doc.get("name")).unwrap_or_default(),
        tags,
        created,
        maintainers: people(doc.get("maintainers")),
        versions,
    }
}

fn advisories(v: Option<&Value>) -> Vec<Advisory> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(500)
        .filter(|a| a.get("withdrawn").is_none_or(|w| w.is_null()))
        .filter_map(|a| {
            let id = str_of(a.get("id"))?;
            let summary = str_of(a.get("summary"))
                .filter(|s| !s.is_empty())
                .or_else(|| {
                    str_of(a.get("details")).map(|d| d.lines().next().unwrap_or("").to_string())
                })
                .unwrap_or_default();
            Some(Advisory {
                id,
                summary: super::spec::clip(&summary),
            })
        })
        .collect()
}

fn pypi_version_info(doc: &Value, version: Option<&str>) -> PyVersionInfo {
    let info = doc.get("info");
    PyVersionInfo {
        version: version
            .map(str::to_string)
            .or_else(|| str_of(info.and_then(|i| i.get("version"))))
            .unwrap_or_default(),
        requires: info
            .and_then(|i| i.get("requires_dist"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(MAX_DEPS)
            .filter_map(|r| r.as_str().map(|s| s.chars().take(1000).collect()))
            .collect(),
        vulnerabilities: advisories(doc.get("vulnerabilities")),
    }
}

pub fn summarize_pypi(doc: &Value, url: &str) -> PyDoc {
    let info = doc.get("info");
    let mut releases = Vec::new();
    if let Some(rs) = doc.get("releases").and_then(Value::as_object) {
        for (v, files) in rs.iter().take(MAX_VERSIONS) {
            let Some(files) = files.as_array().filter(|f| !f.is_empty()) else {
                continue;
            };
            let time = files
                .iter()
                .filter_map(|f| {
                    f.get("upload_time_iso_8601")
                        .or_else(|| f.get("upload_time"))
                        .and_then(Value::as_str)
                        .and_then(parse_time)
                })
                .min();
            let yanked = files
                .iter()
                .all(|f| f.get("yanked").and_then(Value::as_bool) == Some(true));
            let is_wheel = |f: &&Value| {
                f.get("filename")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.ends_with(".whl"))
            };
            let wheel = files.iter().any(|f| is_wheel(&f));
            // Pure wheels first: any wheel of a release declares the same requirements.
            let wheel_url = files
                .iter()
                .filter(is_wheel)
                .min_by_key(|f| {
                    !f.get("filename")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.contains("-none-any"))
                })
                .and_then(|f| f.get("url").and_then(Value::as_str))
                .and_then(|u| crate::fetch::artifact_url(url, u).ok());
            releases.push(PyRelease {
                v: v.chars().take(200).collect(),
                time,
                yanked,
                wheel,
                wheel_url,
            });
        }
    }
    let ownership = doc
        .get("ownership")
        .or_else(|| info.and_then(|i| i.get("ownership")));
    let owners = ownership
        .and_then(|o| o.get("roles"))
        .and_then(Value::as_array)
        .map(|roles| {
            let mut v: Vec<String> = roles
                .iter()
                .filter_map(|r| r.get("user").and_then(Value::as_str).map(str::to_string))
                .collect();
            v.sort();
            v.dedup();
            v
        });
    let latest = str_of(info.and_then(|i| i.get("version")));
    PyDoc {
        name: str_of(info.and_then(|i| i.get("name"))).unwrap_or_default(),
        latest_info: latest.as_ref().map(|l| pypi_version_info(doc, Some(l))),
        latest,
        created: releases.iter().filter_map(|r| r.time).min(),
        owners,
        releases,
    }
}

/// The version an npm range or dist-tag resolves to, as npm picks it: the `latest` tag when it
/// satisfies the range, else the highest satisfying version, non-deprecated ones first.
pub fn npm_pick<'a>(
    doc: &'a NpmDoc,
    want: &super::spec::NpmWant,
) -> Result<&'a NpmVersion, String> {
    use super::spec::NpmWant;
    let find = |v: &str| doc.versions.iter().find(|x| x.v == v);
    match want {
        NpmWant::Tag { tag, .. } => {
            let v = doc
                .tags
                .get(tag)
                .ok_or_else(|| format!("no dist-tag {tag:?}"))?;
            find(v).ok_or_else(|| format!("dist-tag {tag} names {v}, which is not listed"))
        }
        NpmWant::Range { range, .. } => {
            let r = nodejs_semver::Range::parse(range.trim())
                .map_err(|_| format!("invalid range {range:?}"))?;
            if let Some(latest) = doc.tags.get("latest").and_then(|l| find(l)) {
                if nodejs_semver::Version::parse(&latest.v).is_ok_and(|v| r.satisfies(&v)) {
                    return Ok(latest);
                }
            }
            doc.versions
                .iter()
                .filter_map(|x| nodejs_semver::Version::parse(&x.v).ok().map(|p| (p, x)))
                .filter(|(p, _)| r.satisfies(p))
                .max_by(|a, b| {
                    (a.1.deprecated.is_none(), &a.0).cmp(&(b.1.deprecated.is_none(), &b.0))
                })
                .map(|(_, x)| x)
                .ok_or_else(|| {
                    format!(
                        "no version matching {range}{}",
                        doc.tags
                            .get("latest")
                            .map(|l| format!(" (latest is {l})"))
                            .unwrap_or_default()
                    )
                })
        }
        NpmWant::Url | NpmWant::Unresolvable(_) => Err("not a registry spec".into()),
    }
}

/// The release a PEP 440 specifier set resolves to: the highest matching release, skipping
/// yanked releases and pre-releases unless the specifier names one (`==1.0` may pick a yanked
/// 1.0, as PEP 592 says).
pub fn pypi_pick<'a>(doc: &'a PyDoc, specifier: &str) -> Result<&'a PyRelease, String> {
    let s = specifier.trim();
    let specs = if s.is_empty() {
        pep440_rs::VersionSpecifiers::from_str(">=0").map_err(|e| e.to_string())?
    } else {
        pep440_rs::VersionSpecifiers::from_str(s).map_err(|_| format!("invalid specifier {s:?}"))?
    };
    let pinned = specs.iter().any(|sp| {
        matches!(
            sp.operator(),
            pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
        )
    });
    let allow_pre = specs.iter().any(|sp| sp.any_prerelease());
    doc.releases
        .iter()
        .filter(|r| pinned || !r.yanked)
        .filter_map(|r| pep440_rs::Version::from_str(&r.v).ok().map(|v| (v, r)))
        .filter(|(v, _)| allow_pre || !v.any_prerelease())
        .filter(|(v, _)| specs.contains(v))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r)
        .ok_or_else(|| {
            format!(
                "no release matching {}{}",
                if s.is_empty() { "any version" } else { s },
                doc.latest
                    .as_ref()
                    .map(|l| format!(" (latest is {l})"))
                    .unwrap_or_default()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::spec::npm_want;
    use serde_json::json;

    #[test]
    fn npm_summary_and_pick() {
        let doc = json!({
            "name": "a",
            "dist-tags": {"latest": "1.2.0", "next": "2.0.0-rc.1"},
            "time": {"created": "2020-01-01T00:00:00Z", "1.2.0": "2021-01-01T00:00:00.000Z"},
            "maintainers": "not a list",
            "versions": {
                "1.0.0": {"dependencies": {"b": "^1"}, "peerDependencies": {"c": "*", "d": "^2"},
                           "peerDependenciesMeta": {"c": {"optional": true}}},
                "1.2.0": {"hasInstallScript": true, "maintainers": [{"name": "x"}, "y <y@e>"]},
                "1.3.0": {"deprecated": "use 1.2", "scripts": {"postinstall": "node i.js"}},
                "2.0.0-rc.1": {},
                "junk": 5
            }
        });
        let s = summarize_npm(&doc, "https://r/a");
        assert_eq!(s.maintainers, None);
        let v100 = s.versions.iter().find(|v| v.v == "1.0.0").unwrap();
        assert_eq!(
            v100.deps,
            [
                ("b".to_string(), "^1".to_string()),
                ("d".into(), "^2".into())
            ]
        );
        let v120 = s.versions.iter().find(|v| v.v == "1.2.0").unwrap();
        assert_eq!(v120.install.as_deref(), Some("hasInstallScript"));
        assert_eq!(
            v120.maintainers.as_deref(),
            Some(&["x".to_string(), "y".to_string()][..])
        );
        let v130 = s.versions.iter().find(|v| v.v == "1.3.0").unwrap();
        assert_eq!(v130.install.as_deref(), Some("postinstall: node i.js"));
        assert!(s.created.is_some());
        let pick = |spec: &str| npm_pick(&s, &npm_want("a", spec)).map(|v| v.v.clone());
        assert_eq!(
            pick("^1.0.0").unwrap(),
            "1.2.0",
            "latest satisfies: latest wins"
        );
        assert_eq!(pick(">=1.2.1 <2").unwrap(), "1.3.0");
        assert_eq!(pick("^1.0.0 <1.2.0").unwrap(), "1.0.0");
        assert_eq!(pick("next").unwrap(), "2.0.0-rc.1");
        assert_eq!(pick("*").unwrap(), "1.2.0");
        assert!(pick("^3").unwrap_err().contains("latest is 1.2.0"));
    }

    #[test]
    fn deprecated_avoided_when_possible() {
        let s = summarize_npm(
            &json!({
            "versions": {"1.0.0": {}, "1.1.0": {"deprecated": "broken"}}
            }),
            "u",
        );
        assert_eq!(npm_pick(&s, &npm_want("a", "^1")).unwrap().v, "1.0.0");
    }

    #[test]
    fn pypi_summary_and_pick() {
        let f = |t: &str, y: bool| json!({"upload_time_iso_8601": t, "yanked": y});
        let doc = json!({
            "info": {"name": "Demo", "version": "1.2", "requires_dist": ["a>=1", "b; extra == 'x'"]},
            "ownership": {"roles": [{"role": "Owner", "user": "alice"}]},
            "vulnerabilities": [{"id": "PYSEC-1", "summary": "bad"}, {"id": "W", "withdrawn": "2024-01-01T00:00:00Z"}],
            "releases": {
                "1.0": [f("2020-01-01T00:00:00Z", false)],
                "1.2": [f("2021-01-01T00:00:00Z", false)],
                "1.3": [f("2022-01-01T00:00:00Z", true)],
                "2.0b1": [f("2023-01-01T00:00:00Z", false)],
                "3.0": []
            }
        });
        let s = summarize_pypi(&doc, "https://i/pypi/demo/json");
        assert_eq!(s.owners.as_deref(), Some(&["alice".to_string()][..]));
        let li = s.latest_info.as_ref().unwrap();
        assert_eq!(li.requires.len(), 2);
        assert_eq!(li.vulnerabilities.len(), 1, "withdrawn advisories dropped");
        let pick = |spec: &str| pypi_pick(&s, spec).map(|r| r.v.clone());
        assert_eq!(pick("").unwrap(), "1.2", "yanked and pre-releases skipped");
        assert_eq!(pick("==1.3").unwrap(), "1.3", "pinned may be yanked");
        assert_eq!(pick(">=2.0b1").unwrap(), "2.0b1");
        assert!(pick(">=3").is_err());
        assert!(pick("garbage(").is_err());
    }

    #[test]
    fn names() {
        assert!(valid_npm_name("@scope/pkg"));
        assert!(valid_npm_name("lodash.merge"));
        assert!(!valid_npm_name("../etc"));
        assert!(!valid_npm_name("@scope"));
        assert!(!valid_npm_name("a/b"));
        assert!(valid_pypi_name("zope.interface"));
        assert!(!valid_pypi_name("a/b"));
    }
}
