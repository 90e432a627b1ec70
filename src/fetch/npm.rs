//! npm: packument, version resolution (exact, range, dist-tag), tarball, integrity.

use serde_json::Value;

use super::digest::{Algo, Digest};
use super::{artifact_url, malformed, Artifact, FetchError, Fetched, Fetcher, PackageInfo};
use crate::archive::Format;
use crate::spec::VersionReq;

/// `@scope/name` → `@scope%2fname`, as the registry expects.
pub fn packument_path(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

/// Pick the version a request resolves to. Errors name the latest version.
pub fn resolve(doc: &Value, name: &str, req: &VersionReq, url: &str) -> Result<String, FetchError> {
    let versions = doc
        .get("versions")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed(url, "packument has no \"versions\" object"))?;
    let tags = doc.get("dist-tags").and_then(Value::as_object);
    let latest = tags
        .and_then(|t| t.get("latest"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let not_found = |what: &'static str, requested: &str| FetchError::VersionNotFound {
        ecosystem: "npm",
        name: name.to_string(),
        what,
        requested: requested.to_string(),
        latest: latest.clone(),
    };
    let parsed: Vec<nodejs_semver::Version> = versions
        .keys()
        .filter_map(|v| nodejs_semver::Version::parse(v).ok())
        .collect();
    match req {
        VersionReq::Exact(v) => {
            if versions.contains_key(v) {
                return Ok(v.clone());
            }
            // `1.0.0` may be published with build metadata or a leading `v`.
            let want = nodejs_semver::Version::parse(v).map_err(|_| not_found("version", v))?;
            versions
                .keys()
                .find(|k| nodejs_semver::Version::parse(k).is_ok_and(|p| p == want))
                .cloned()
                .ok_or_else(|| not_found("version", v))
        }
        VersionReq::Tag(t) => {
            let v = tags
                .and_then(|m| m.get(t))
                .and_then(Value::as_str)
                .ok_or_else(|| not_found("dist-tag", t))?;
            Ok(v.to_string())
        }
        VersionReq::Range(r) => {
            let range =
                nodejs_semver::Range::parse(r).map_err(|_| not_found("version matching", r))?;
            let best = range
                .max_satisfying(&parsed)
                .ok_or_else(|| not_found("version matching", r))?;
            versions
                .keys()
                .find(|k| nodejs_semver::Version::parse(k).is_ok_and(|p| &p == best))
                .cloned()
                .ok_or_else(|| not_found("version matching", r))
        }
        VersionReq::Latest => match latest.clone() {
            Some(l) => Ok(l),
            None => parsed
                .iter()
                .filter(|v| !v.is_prerelease())
                .max()
                .map(|v| v.to_string())
                .ok_or_else(|| malformed(url, "no dist-tags.latest and no release versions")),
        },
    }
}

pub async fn fetch(
    f: &Fetcher,
    name: &str,
    req: &VersionReq,
    spec_text: &str,
) -> Result<Fetched, FetchError> {
    let registry = &f.options().registries.npm;
    let url = format!("{}{}", registry.as_str(), packument_path(name));
    let doc = f.project_document("npm", name, &url).await?;
    let version = resolve(&doc, name, req, &url)?;
    let manifest = doc
        .get("versions")
        .and_then(|v| v.get(&version))
        .ok_or_else(|| {
            malformed(
                &url,
                format!("version {version} is listed but has no manifest"),
            )
        })?;
    let dist = manifest
        .get("dist")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed(&url, format!("version {version} has no \"dist\"")))?;
    let tarball = dist
        .get("tarball")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(&url, format!("version {version} has no dist.tarball")))?;
    let tarball = artifact_url(&url, tarball)?;
    let mut notes = Vec::new();
    let expected = match dist.get("integrity").and_then(Value::as_str) {
        Some(sri) => Some(
            Digest::from_sri(sri)
                .ok_or_else(|| malformed(&url, format!("unusable dist.integrity {sri:?}")))?,
        ),
        None => None,
    };
    let expected = match expected {
        Some(d) => d,
        None => {
            let shasum =
                dist.get("shasum")
                    .and_then(Value::as_str)
                    .ok_or_else(|| FetchError::NoDigest {
                        url: tarball.clone(),
                    })?;
            Digest::from_hex(Algo::Sha1, shasum)
                .ok_or_else(|| malformed(&url, format!("unusable dist.shasum {shasum:?}")))?
        }
    };
    if expected.is_weak() {
        notes.push(
            "the registry gives only a sha1 shasum for this version (weaker than sha512 integrity)"
                .into(),
        );
    }
    let (bytes, discarded) = f.artifact(&tarball, &expected).await?;
    if discarded {
        notes.push(super::DISCARDED_NOTE.into());
    }
    match req {
        VersionReq::Latest => notes.push(format!(
            "no version given: resolved to the registry's latest, {version}"
        )),
        VersionReq::Range(r) => notes.push(format!("range {r} resolved to {version}")),
        VersionReq::Tag(t) => notes.push(format!("dist-tag {t} resolved to {version}")),
        VersionReq::Exact(_) => {}
    }
    let artifact_name = tarball.rsplit('/').next().unwrap_or("tarball").to_string();
    Ok(Fetched {
        package: PackageInfo {
            ecosystem: "npm".into(),
            name: name.to_string(),
            version,
            spec: spec_text.to_string(),
            source: tarball,
            digest: expected.to_string(),
            verified: true,
            pinned: req.is_exact(),
            moving: false,
            commit: None,
            artifact: artifact_name,
            notes,
        },
        metadata: Some(doc),
        artifact: Artifact::Archive {
            bytes,
            format: Some(Format::TarGz),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "dist-tags": {"latest": "1.2.0", "next": "2.0.0-beta.1"},
            "versions": {"1.0.0": {}, "1.2.0": {}, "1.3.0-rc.1": {}, "2.0.0-beta.1": {}, "0.9.0": {}}
        })
    }

    #[test]
    fn resolution() {
        let d = doc();
        let r = |req| resolve(&d, "x", &req, "u");
        assert_eq!(r(VersionReq::Exact("1.0.0".into())).unwrap(), "1.0.0");
        assert_eq!(r(VersionReq::Latest).unwrap(), "1.2.0");
        assert_eq!(r(VersionReq::Tag("next".into())).unwrap(), "2.0.0-beta.1");
        assert_eq!(r(VersionReq::Range("^1".into())).unwrap(), "1.2.0");
        assert_eq!(r(VersionReq::Range("<1".into())).unwrap(), "0.9.0");
        let err = r(VersionReq::Exact("9.9.9".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "npm package x has no version 9.9.9 (latest is 1.2.0)");
        let err = r(VersionReq::Range("^5".into())).unwrap_err().to_string();
        assert_eq!(
            err,
            "npm package x has no version matching ^5 (latest is 1.2.0)"
        );
        assert!(r(VersionReq::Tag("nope".into())).is_err());
    }

    #[test]
    fn scope_escape() {
        assert_eq!(packument_path("@scope/name"), "@scope%2fname");
        assert_eq!(packument_path("plain"), "plain");
    }
}
