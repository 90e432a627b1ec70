//! PyPI: JSON API, version resolution (exact, PEP 440 specifiers), sdist (or wheel), sha256.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use serde_json::Value;

use super::digest::{Algo, Digest};
use super::{artifact_url, malformed, Artifact, FetchError, Fetched, Fetcher, PackageInfo};
use crate::archive::Format;
use crate::spec::VersionReq;

fn files_of<'a>(doc: &'a Value, version: &str) -> Option<&'a Vec<Value>> {
    doc.get("releases")?.get(version)?.as_array()
}

fn all_yanked(files: &[Value]) -> bool {
    !files.is_empty()
        && files
            .iter()
            .all(|f| f.get("yanked").and_then(Value::as_bool) == Some(true))
}

/// The release key a request resolves to.
pub fn resolve(doc: &Value, name: &str, req: &VersionReq, url: &str) -> Result<String, FetchError> {
    let info = doc
        .get("info")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed(url, "no \"info\" object"))?;
    let latest = info
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_string);
    let releases = doc.get("releases").and_then(Value::as_object);
    let not_found = |what: &'static str, requested: &str| FetchError::VersionNotFound {
        ecosystem: "pypi",
        name: name.to_string(),
        what,
        requested: requested.to_string(),
        latest: latest.clone(),
    };
    match req {
        VersionReq::Latest => latest
            .clone()
            .ok_or_else(|| malformed(url, "no info.version")),
        VersionReq::Exact(v) => {
            let want = Version::from_str(v).map_err(|_| not_found("version", v))?;
            let found = releases.and_then(|r| {
                r.iter()
                    .filter(|(_, files)| files.as_array().is_some_and(|f| !f.is_empty()))
                    .find(|(k, _)| Version::from_str(k).is_ok_and(|p| p == want))
                    .map(|(k, _)| k.clone())
            });
            match (found, releases) {
                (Some(k), _) => Ok(k),
                // Some indexes leave `releases` out of the project document; the caller asks
                // the per-version endpoint.
                (None, None) => Ok(v.clone()),
                (None, Some(_)) => Err(not_found("version", v)),
            }
        }
        VersionReq::Range(r) | VersionReq::Tag(r) => {
            let specs =
                VersionSpecifiers::from_str(r).map_err(|_| not_found("version matching", r))?;
            let allow_pre = specs.iter().any(|s| s.any_prerelease());
            let releases = releases.ok_or_else(|| {
                malformed(url, "no \"releases\" object to resolve a specifier against")
            })?;
            releases
                .iter()
                .filter(|(_, files)| {
                    files
                        .as_array()
                        .is_some_and(|f| !f.is_empty() && !all_yanked(f))
                })
                .filter_map(|(k, _)| Version::from_str(k).ok().map(|v| (v, k)))
                .filter(|(v, _)| allow_pre || !(v.any_prerelease()))
                .filter(|(v, _)| specs.contains(v))
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, k)| k.clone())
                .ok_or_else(|| not_found("version matching", r))
        }
    }
}

/// The file to analyse: the sdist (`.tar.gz` before `.zip`), else a wheel (pure ones first).
/// Yanked files are skipped unless nothing else exists.
pub fn pick_file(files: &[Value]) -> Option<(&Value, bool)> {
    let kind = |f: &Value| {
        f.get("packagetype")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let fname = |f: &Value| {
        f.get("filename")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let yanked = |f: &Value| f.get("yanked").and_then(Value::as_bool) == Some(true);
    let rank = |f: &Value| -> Option<u8> {
        let n = fname(f);
        match kind(f).as_str() {
            "sdist" if n.ends_with(".tar.gz") => Some(0),
            "sdist" if n.ends_with(".zip") => Some(1),
            "sdist" if n.ends_with(".tar") => Some(2),
            "bdist_wheel" if n.contains("-none-any") => Some(3),
            "bdist_wheel" => Some(4),
            _ => None,
        }
    };
    let best = |allow_yanked: bool| {
        files
            .iter()
            .filter(|f| allow_yanked || !yanked(f))
            .filter_map(|f| rank(f).map(|r| (r, f)))
            .min_by_key(|(r, _)| *r)
            .map(|(_, f)| f)
    };
    best(false)
        .or_else(|| best(true))
        .map(|f| (f, kind(f) == "bdist_wheel"))
}

pub async fn fetch(
    f: &Fetcher,
    name: &str,
    req: &VersionReq,
    spec_text: &str,
) -> Result<Fetched, FetchError> {
    let index = &f.options().registries.pypi;
    let url = format!("{}pypi/{}/json", index.as_str(), name);
    let doc = f.project_document("pypi", name, &url).await?;
    let version = resolve(&doc, name, req, &url)?;
    let mut files_url = url.clone();
    let files = match files_of(&doc, &version) {
        Some(files) if !files.is_empty() => files.clone(),
        _ => {
            // Per-version endpoint: `urls` lists that release's files.
            files_url = format!("{}pypi/{}/{}/json", index.as_str(), name, version);
            f.metadata(&files_url, "application/json")
                .await?
                .as_ref()
                .and_then(|d| d.get("urls"))
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| FetchError::VersionNotFound {
                    ecosystem: "pypi",
                    name: name.to_string(),
                    what: "version",
                    requested: version.clone(),
                    latest: doc
                        .get("info")
                        .and_then(|i| i.get("version"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })?
        }
    };
    let (file, is_wheel) = pick_file(&files).ok_or_else(|| FetchError::VersionNotFound {
        ecosystem: "pypi",
        name: name.to_string(),
        what: "sdist or wheel for version",
        requested: version.clone(),
        latest: None,
    })?;
    let filename = file
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let raw_url = file
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(&files_url, format!("file {filename:?} has no url")))?;
    let file_url = artifact_url(&files_url, raw_url)?;
    let sha256 = file
        .get("digests")
        .and_then(|d| d.get("sha256"))
        .and_then(Value::as_str)
        .ok_or_else(|| FetchError::NoDigest {
            url: file_url.clone(),
        })?;
    let expected = Digest::from_hex(Algo::Sha256, sha256)
        .ok_or_else(|| malformed(&files_url, format!("unusable sha256 digest {sha256:?}")))?;
    let mut notes = Vec::new();
    if is_wheel {
        notes.push(format!("no sdist for {version}: analysing the wheel {filename}, which is built code, not the source"));
    }
    if file.get("yanked").and_then(Value::as_bool) == Some(true) {
        let reason = file
            .get("yanked_reason")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        notes.push(format!("this file is yanked on the index ({reason})"));
    }
    let (bytes, discarded) = f.artifact(&file_url, &expected).await?;
    if discarded {
        notes.push(super::DISCARDED_NOTE.into());
    }
    match req {
        VersionReq::Latest => notes.push(format!(
            "no version given: resolved to the index's latest, {version}"
        )),
        VersionReq::Range(r) | VersionReq::Tag(r) => {
            notes.push(format!("specifier {r} resolved to {version}"))
        }
        VersionReq::Exact(_) => {}
    }
    let format = if filename.ends_with(".whl") || filename.ends_with(".zip") {
        Format::Zip
    } else if filename.ends_with(".tar") {
        Format::Tar
    } else {
        Format::TarGz
    };
    let display_name = doc
        .get("info")
        .and_then(|i| i.get("name"))
        .and_then(Value::as_str)
        .map(crate::spec::normalize_pypi_name)
        .unwrap_or_else(|| name.to_string());
    Ok(Fetched {
        package: PackageInfo {
            ecosystem: "pypi".into(),
            name: display_name,
            version,
            spec: spec_text.to_string(),
            source: file_url,
            digest: expected.to_string(),
            verified: true,
            pinned: req.is_exact(),
            moving: false,
            commit: None,
            artifact: filename,
            notes,
        },
        metadata: Some(doc),
        artifact: Artifact::Archive {
            bytes,
            format: Some(format),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(name: &str, kind: &str, yanked: bool) -> Value {
        json!({"filename": name, "packagetype": kind, "yanked": yanked, "url": name, "digests": {"sha256": "00"}})
    }

    fn doc() -> Value {
        json!({
            "info": {"name": "Demo", "version": "1.2.0"},
            "releases": {
                "1.0": [file("demo-1.0.tar.gz", "sdist", false)],
                "1.2.0": [file("demo-1.2.0.tar.gz", "sdist", false)],
                "1.3.0": [file("demo-1.3.0.tar.gz", "sdist", true)],
                "2.0.0b1": [file("demo-2.0.0b1.tar.gz", "sdist", false)],
                "3.0": []
            }
        })
    }

    #[test]
    fn resolution() {
        let d = doc();
        let r = |req| resolve(&d, "demo", &req, "u");
        assert_eq!(r(VersionReq::Latest).unwrap(), "1.2.0");
        assert_eq!(r(VersionReq::Exact("1.0.0".into())).unwrap(), "1.0");
        assert_eq!(
            r(VersionReq::Range(">=1,<2".into())).unwrap(),
            "1.2.0",
            "yanked 1.3.0 skipped"
        );
        assert_eq!(r(VersionReq::Range(">=2.0.0b1".into())).unwrap(), "2.0.0b1");
        assert_eq!(
            r(VersionReq::Exact("3.0".into())).unwrap_err().to_string(),
            "pypi package demo has no version 3.0 (latest is 1.2.0)"
        );
    }

    #[test]
    fn file_choice() {
        let files = vec![
            file("d-1-cp311-cp311-manylinux.whl", "bdist_wheel", false),
            file("d-1-py3-none-any.whl", "bdist_wheel", false),
        ];
        let (f, wheel) = pick_file(&files).unwrap();
        assert!(wheel);
        assert_eq!(f["filename"], "d-1-py3-none-any.whl");
        let files = vec![
            file("d-1.zip", "sdist", false),
            file("d-1.tar.gz", "sdist", false),
            file("d-1-py3-none-any.whl", "bdist_wheel", false),
        ];
        assert_eq!(pick_file(&files).unwrap().0["filename"], "d-1.tar.gz");
        let files = vec![file("d-1.tar.gz", "sdist", true)];
        assert_eq!(
            pick_file(&files).unwrap().0["filename"],
            "d-1.tar.gz",
            "yanked is the fallback"
        );
    }
}
