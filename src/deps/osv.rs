//! An offline OSV directory (`--osv-dir`): advisories in the osv.dev export format, one JSON
//! file per advisory, matched by ecosystem, name and version (`affected[].versions` and
//! `affected[].ranges` of type `SEMVER` or `ECOSYSTEM`; `GIT` ranges name commits and are
//! skipped). Files that cannot be read are counted, never fatal.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use serde_json::Value;

use super::registry::Advisory;
use super::DepsError;

/// Files larger than this are not advisories.
const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Files read at most (the whole osv.dev export of one ecosystem is tens of thousands).
const MAX_FILES: usize = 1_000_000;

#[derive(Debug, Clone)]
enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

#[derive(Debug, Clone)]
struct Affected {
    versions: Vec<String>,
    /// Each range's events; `semver` says how to compare (SEMVER ranges are semver even on PyPI).
    ranges: Vec<(bool, Vec<Event>)>,
}

#[derive(Debug, Clone)]
struct Entry {
    id: String,
    summary: String,
    affected: Vec<Affected>,
}

/// Advisories by (ecosystem, name): `npm` names as published, PyPI names normalised.
#[derive(Debug, Default)]
pub struct OsvIndex {
    map: HashMap<(String, String), Vec<Entry>>,
    pub files: usize,
    pub unreadable: usize,
}

fn eco_key(ecosystem: &str) -> Option<&'static str> {
    match ecosystem.to_ascii_lowercase().as_str() {
        "npm" => Some("npm"),
        "pypi" => Some("pypi"),
        _ => None,
    }
}

fn name_key(eco: &str, name: &str) -> String {
    if eco == "pypi" {
        crate::spec::normalize_pypi_name(name)
    } else {
        name.to_string()
    }
}

impl OsvIndex {
    /// Read every `*.json` file under `dir` (one level of sub-folders too, as in an unzipped
    /// export per ecosystem).
    pub fn load(dir: &Path) -> Result<OsvIndex, DepsError> {
        let err = |reason: String| DepsError::OsvDir {
            path: dir.display().to_string(),
            reason,
        };
        let meta = std::fs::metadata(dir).map_err(|e| err(e.to_string()))?;
        if !meta.is_dir() {
            return Err(err("not a directory".into()));
        }
        let mut index = OsvIndex::default();
        let mut stack = vec![(dir.to_path_buf(), 0u8)];
        while let Some((d, level)) = stack.pop() {
            let entries = std::fs::read_dir(&d).map_err(|e| err(e.to_string()))?;
            for entry in entries.flatten() {
                if index.files + index.unreadable >= MAX_FILES {
                    break;
                }
                let path = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() && level == 0 {
                    stack.push((path, level + 1));
                    continue;
                }
                if !ft.is_file() || path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                match read_one(&path) {
                    Some(items) => {
                        index.files += 1;
                        for (key, e) in items {
                            index.map.entry(key).or_default().push(e);
                        }
                    }
                    None => index.unreadable += 1,
                }
            }
        }
        Ok(index)
    }

    /// Parse advisories from JSON text (tests, and one file).
    pub fn add_json(&mut self, text: &str) -> bool {
        match serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| parse(&v))
        {
            Some(items) => {
                self.files += 1;
                for (key, e) in items {
                    self.map.entry(key).or_default().push(e);
                }
                true
            }
            None => {
                self.unreadable += 1;
                false
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Advisories that affect `name` at `version`.
    pub fn matches(&self, ecosystem: &str, name: &str, version: &str) -> Vec<Advisory> {
        let Some(eco) = eco_key(ecosystem) else {
            return Vec::new();
        };
        let Some(entries) = self.map.get(&(eco.to_string(), name_key(eco, name))) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|e| e.affected.iter().any(|a| affects(a, eco, version)))
            .map(|e| Advisory {
                id: e.id.clone(),
                summary: e.summary.clone(),
            })
            .collect()
    }
}

fn read_one(path: &Path) -> Option<Vec<((String, String), Entry)>> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_FILE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    parse(&v)
}

/// One advisory → its (ecosystem, name) keys. `None` when it is not an OSV advisory.
fn parse(v: &Value) -> Option<Vec<((String, String), Entry)>> {
    let id = v.get("id")?.as_str()?.chars().take(100).collect::<String>();
    if v.get("withdrawn").is_some_and(|w| !w.is_null()) {
        return Some(Vec::new());
    }
    let summary = v
        .get("summary")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            v.get("details")
                .and_then(Value::as_str)
                .and_then(|d| d.lines().next())
        })
        .map(super::spec::clip)
        .unwrap_or_default();
    let mut by_key: HashMap<(String, String), Vec<Affected>> = HashMap::new();
    for a in v.get("affected")?.as_array()? {
        let Some(pkg) = a.get("package") else {
            continue;
        };
        let (Some(eco), Some(name)) = (
            pkg.get("ecosystem")
                .and_then(Value::as_str)
                .and_then(eco_key),
            pkg.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let versions = a
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let mut ranges = Vec::new();
        for r in a
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let semver = match r.get("type").and_then(Value::as_str) {
                Some("SEMVER") => true,
                Some("ECOSYSTEM") => eco == "npm",
                _ => continue,
            };
            let mut events = Vec::new();
            for e in r
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let get = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
                if let Some(v) = get("introduced") {
                    events.push(Event::Introduced(v));
                } else if let Some(v) = get("fixed") {
                    events.push(Event::Fixed(v));
                } else if let Some(v) = get("last_affected") {
                    events.push(Event::LastAffected(v));
                } else if let Some(v) = get("limit") {
                    events.push(Event::Limit(v));
                }
            }
            ranges.push((semver, events));
        }
        by_key
            .entry((eco.to_string(), name_key(eco, name)))
            .or_default()
            .push(Affected { versions, ranges });
    }
    Some(
        by_key
            .into_iter()
            .map(|(k, affected)| {
                (
                    k,
                    Entry {
                        id: id.clone(),
                        summary: summary.clone(),
                        affected,
                    },
                )
            })
            .collect(),
    )
}

/// Versions of either scheme, compared within their scheme; "0" is below everything.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Zero,
    Semver(nodejs_semver::Version),
    Pep(pep440_rs::Version),
}

fn version(s: &str, semver: bool) -> Option<V> {
    if s == "0" {
        return Some(V::Zero);
    }
    if semver {
        nodejs_semver::Version::parse(s.trim_start_matches('v'))
            .ok()
            .map(V::Semver)
    } else {
        pep440_rs::Version::from_str(s).ok().map(V::Pep)
    }
}

fn affects(a: &Affected, eco: &str, ver: &str) -> bool {
    let same = |listed: &str| {
        if eco == "pypi" {
            match (
                pep440_rs::Version::from_str(listed),
                pep440_rs::Version::from_str(ver),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => listed == ver,
            }
        } else {
            listed == ver
        }
    };
    if a.versions.iter().any(|v| same(v)) {
        return true;
    }
    a.ranges
        .iter()
        .any(|(semver, events)| in_range(events, *semver, ver))
}

/// The OSV evaluation: walk the events in version order; introduced opens, fixed and limit
/// close, last_affected closes after its version.
fn in_range(events: &[Event], semver: bool, ver: &str) -> bool {
    let Some(target) = version(ver, semver) else {
        return false;
    };
    let mut evs: Vec<(V, &Event)> = events
        .iter()
        .filter_map(|e| {
            let s = match e {
                Event::Introduced(s)
                | Event::Fixed(s)
                | Event::LastAffected(s)
                | Event::Limit(s) => s,
            };
            version(s, semver).map(|v| (v, e))
        })
        .collect();
    evs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut affected = false;
    for (v, e) in &evs {
        match e {
            Event::Introduced(_) if target >= *v => affected = true,
            Event::Fixed(_) | Event::Limit(_) if target >= *v => affected = false,
            Event::LastAffected(_) if target > *v => affected = false,
            _ => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_versions() {
        let mut idx = OsvIndex::default();
        assert!(idx.add_json(
            r#"{"id": "GHSA-1", "summary": "proto pollution",
                "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#
        ));
        assert!(idx.add_json(
            r#"{"id": "PYSEC-2", "details": "first line\nmore",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "Some_Pkg"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": "1.4"},
                                                              {"introduced": "2.0"}, {"fixed": "2.1"}]}],
                  "versions": ["0.9"]}]}"#
        ));
        assert!(!idx.add_json("not json"));
        assert!(
            !idx.add_json(r#"{"id": "x"}"#),
            "no affected: not an advisory"
        );
        assert_eq!(idx.matches("npm", "lodash", "4.17.20")[0].id, "GHSA-1");
        assert!(idx.matches("npm", "lodash", "4.17.21").is_empty());
        assert!(idx.matches("pypi", "lodash", "4.17.20").is_empty());
        let hit = |v: &str| !idx.matches("pypi", "some-pkg", v).is_empty();
        assert!(hit("0.9") && hit("1.0") && hit("1.4") && hit("2.0.5"));
        assert!(!hit("1.5") && !hit("2.1") && !hit("0.8"));
        assert_eq!(
            idx.matches("pypi", "some.pkg", "1.2")[0].summary,
            "first line"
        );
    }
}
