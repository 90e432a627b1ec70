//! Fetch the exact artifact a spec names and prove it is what the registry published.
//!
//! npm: packument → version → `dist.tarball`, verified against `dist.integrity`.
//! PyPI: JSON API → release files → sdist (or wheel), verified against `digests.sha256`.
//! git: the system `git`, hooks disabled, shallow fetch of one ref, objects read and hashed.
//! Nothing here runs package code, and nothing here knows about any UI.

pub mod cache;
pub mod digest;
pub mod git;
pub mod http;
pub mod npm;
pub mod pypi;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::archive::{self, Format, Limits, Unpacked};
use crate::spec::{LocalKind, Spec};
use cache::{Cache, Cached};
use digest::Digest;

pub const DEFAULT_NPM_REGISTRY: &str = "https://registry.npmjs.org/";
pub const DEFAULT_PYPI_INDEX: &str = "https://pypi.org/";

/// The note a package gets when its cached artifact failed verification and was refetched.
pub const DISCARDED_NOTE: &str =
    "a cached copy no longer matched its digest; it was discarded and fetched again";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("registry unreachable: GET {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{ecosystem} package {name} not found at {url}")]
    PackageNotFound {
        ecosystem: &'static str,
        name: String,
        url: String,
    },
    #[error("{ecosystem} package {name} has no {what} {requested}{}", latest_hint(.latest))]
    VersionNotFound {
        ecosystem: &'static str,
        name: String,
        what: &'static str,
        requested: String,
        latest: Option<String>,
    },
    #[error("digest mismatch for {url}: expected {expected}, got {actual}; nothing was cached")]
    DigestMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("malformed registry response from {url}: {reason}")]
    Malformed { url: String, reason: String },
    #[error("GET {url}: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("GET {url}: response larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("offline: {0} is not in the cache")]
    Offline(String),
    #[error("{url}: the registry gives no usable digest for this artifact; refusing to use an unverifiable download")]
    NoDigest { url: String },
    #[error("git {url}: {reason}")]
    Git { url: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Archive {
        what: String,
        #[source]
        source: archive::ArchiveError,
    },
    #[error("{0}")]
    Setup(String),
}

fn latest_hint(latest: &Option<String>) -> String {
    match latest {
        Some(l) => format!(" (latest is {l})"),
        None => String::new(),
    }
}

/// Registry base URLs (mirrors, loopback registries in tests).
#[derive(Debug, Clone)]
pub struct Registries {
    pub npm: Url,
    pub pypi: Url,
}

impl Default for Registries {
    fn default() -> Self {
        Registries {
            npm: Url::parse(DEFAULT_NPM_REGISTRY).expect("constant URL"),
            pypi: Url::parse(DEFAULT_PYPI_INDEX).expect("constant URL"),
        }
    }
}

/// Parse a registry base URL, making sure it ends with `/` so joins append.
pub fn base_url(s: &str) -> Result<Url, FetchError> {
    let mut s = s.trim().to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    let u = Url::parse(&s)
        .map_err(|e| FetchError::Setup(format!("invalid registry URL {s:?}: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(FetchError::Setup(format!(
            "registry URL {s:?} must be http or https"
        )));
    }
    Ok(u)
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub registries: Registries,
    pub cache: Cache,
    pub offline: bool,
    /// Per-request timeout (connect and between reads).
    pub timeout: Duration,
    pub retries: u32,
    /// How long registry metadata is reused without asking again.
    pub metadata_ttl: Duration,
    /// Largest artifact download accepted.
    pub max_download: u64,
    pub limits: Limits,
    pub git_program: PathBuf,
    pub git_timeout: Duration,
    /// Not used to fetch: npm scopes the organisation owns, classed `internal` by provenance.
    pub internal_scopes: Vec<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            registries: Registries::default(),
            cache: Cache::new(Cache::default_dir()),
            offline: false,
            timeout: Duration::from_secs(30),
            retries: 2,
            metadata_ttl: Duration::from_secs(600),
            max_download: 512 * archive::MIB,
            limits: Limits::default(),
            git_program: PathBuf::from("git"),
            git_timeout: Duration::from_secs(300),
            internal_scopes: Vec::new(),
        }
    }
}

/// The `package` block of the report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PackageInfo {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    /// The spec as given.
    pub spec: String,
    /// Where the artifact came from (URL, git remote, local path).
    pub source: String,
    /// The digest the artifact was checked against (or, for local files, computed).
    pub digest: String,
    /// True when the bytes matched the digest the registry published (git: the commit id).
    pub verified: bool,
    /// True when the spec named this exact version (or commit, tag, file).
    pub pinned: bool,
    /// A git branch or default branch: the same spec may give other code tomorrow.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub moving: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The artifact's file name or kind (`sdist`, `wheel`, `tarball`, `git-tree`, `directory`).
    pub artifact: String,
    /// Anything the reviewer should know about how this was obtained.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A fetched artifact, not yet unpacked (git trees and directories arrive unpacked).
pub enum Artifact {
    Archive {
        bytes: Vec<u8>,
        format: Option<Format>,
    },
    Unpacked(Unpacked),
    /// Remote servers and container images: nothing is fetched.
    Nothing,
}

pub struct Fetched {
    pub package: PackageInfo,
    pub artifact: Artifact,
    /// The registry document the fetch used (npm packument, PyPI project JSON), kept for
    /// provenance so nothing is asked twice.
    pub metadata: Option<serde_json::Value>,
}

impl Fetched {
    /// Unpack (in memory) under the configured limits.
    pub fn unpack(self, limits: &Limits) -> Result<(PackageInfo, Unpacked), FetchError> {
        let unpacked = match self.artifact {
            Artifact::Archive { bytes, format } => archive::unpack(&bytes, format, limits)
                .map_err(|e| FetchError::Archive {
                    what: self.package.source.clone(),
                    source: e,
                })?,
            Artifact::Unpacked(u) => u,
            Artifact::Nothing => Unpacked::default(),
        };
        Ok((self.package, unpacked))
    }
}

pub struct Fetcher {
    opts: FetchOptions,
    http: http::Http,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FetchError> {
        let http = http::Http::new(opts.timeout, opts.retries)?;
        Ok(Fetcher { opts, http })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// The HTTP client (timeouts, retries, size caps), for other registry readers.
    pub(crate) fn http(&self) -> &http::Http {
        &self.http
    }

    /// Fetch and verify the artifact `spec` names. `spec_text` is what the user typed.
    pub async fn fetch(&self, spec: &Spec, spec_text: &str) -> Result<Fetched, FetchError> {
        match spec {
            Spec::Npm { name, req } => npm::fetch(self, name, req, spec_text).await,
            Spec::Pypi { name, req } => pypi::fetch(self, name, req, spec_text).await,
            Spec::Git { url, reference } => git::fetch(self, url, reference.as_deref(), spec_text).await,
            Spec::Local { path, kind } => self.local(path, *kind, spec_text),
            Spec::Docker { image, tag, digest } => Ok(Fetched {
                package: PackageInfo {
                    ecosystem: "docker".into(),
                    name: image.clone(),
                    version: tag.clone().unwrap_or_else(|| "latest".into()),
                    spec: spec_text.into(),
                    source: spec.to_string(),
                    digest: digest.clone().unwrap_or_default(),
                    verified: false,
                    pinned: digest.is_some(),
                    moving: digest.is_none(),
                    commit: None,
                    artifact: "container-image".into(),
                    notes: vec![
                        "container images are not fetched or unpacked; review the image's source and pin it by digest".into(),
                    ],
                },
                artifact: Artifact::Nothing,
                metadata: None,
            }),
            Spec::Remote { url } => Ok(Fetched {
                package: PackageInfo {
                    ecosystem: "remote".into(),
                    name: url.clone(),
                    version: String::new(),
                    spec: spec_text.into(),
                    source: url.clone(),
                    digest: String::new(),
                    verified: false,
                    pinned: false,
                    moving: true,
                    commit: None,
                    artifact: "remote-server".into(),
                    notes: vec!["remote server: its code runs elsewhere and cannot be fetched; only its endpoint is reviewed".into()],
                },
                artifact: Artifact::Nothing,
                metadata: None,
            }),
        }
    }

    fn local(
        &self,
        path: &std::path::Path,
        kind: LocalKind,
        spec_text: &str,
    ) -> Result<Fetched, FetchError> {
        let io_err = |e| FetchError::Io {
            path: path.display().to_string(),
            source: e,
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let mut package = PackageInfo {
            ecosystem: "local".into(),
            name,
            version: String::new(),
            spec: spec_text.into(),
            source: path.display().to_string(),
            digest: String::new(),
            verified: false,
            pinned: true,
            moving: false,
            commit: None,
            artifact: String::new(),
            notes: vec!["local artifact: no registry digest to verify against".into()],
        };
        if kind == LocalKind::Dir {
            let unpacked =
                archive::read_dir(path, &self.opts.limits).map_err(|e| FetchError::Archive {
                    what: path.display().to_string(),
                    source: e,
                })?;
            package.artifact = "directory".into();
            // A digest over the sorted (path, sha256) list identifies the tree's content.
            let mut manifest = String::new();
            for (p, f) in unpacked.tree.iter() {
                manifest.push_str(&format!("{}  {}\n", crate::util::sha256_hex(&f.bytes), p));
            }
            package.digest = format!(
                "sha256-tree:{}",
                crate::util::sha256_hex(manifest.as_bytes())
            );
            return Ok(Fetched {
                package,
                artifact: Artifact::Unpacked(unpacked),
                metadata: None,
            });
        }
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if meta.len() > self.opts.max_download {
            return Err(FetchError::TooLarge {
                url: path.display().to_string(),
                limit: self.opts.max_download,
            });
        }
        let bytes = std::fs::read(path).map_err(io_err)?;
        package.digest = Digest::compute(digest::Algo::Sha256, &bytes).to_string();
        let format = match kind {
            LocalKind::TarGz => Format::TarGz,
            LocalKind::Tar => Format::Tar,
            LocalKind::Zip | LocalKind::Wheel => Format::Zip,
            LocalKind::Dir => Format::Tar,
        };
        package.artifact = match kind {
            LocalKind::Wheel => "wheel",
            LocalKind::Zip => "zip",
            LocalKind::Tar => "tar",
            _ => "tarball",
        }
        .into();
        Ok(Fetched {
            package,
            metadata: None,
            artifact: Artifact::Archive {
                bytes,
                format: Some(format),
            },
        })
    }

    /// A project's registry document (npm packument, PyPI project JSON); 404 is "not found".
    pub(crate) async fn project_document(
        &self,
        ecosystem: &'static str,
        name: &str,
        url: &str,
    ) -> Result<serde_json::Value, FetchError> {
        self.metadata(url, "application/json")
            .await?
            .ok_or_else(|| FetchError::PackageNotFound {
                ecosystem,
                name: name.to_string(),
                url: url.to_string(),
            })
    }

    /// Registry metadata (JSON) through the short-lived cache.
    pub(crate) async fn metadata(
        &self,
        url: &str,
        accept: &str,
    ) -> Result<Option<serde_json::Value>, FetchError> {
        let cache = &self.opts.cache;
        let max_age = (!self.opts.offline).then_some(self.opts.metadata_ttl);
        if let Some(body) = cache.get_meta(url, max_age) {
            return parse_json(url, &body).map(Some);
        }
        if self.opts.offline {
            return Err(FetchError::Offline(format!("registry metadata {url}")));
        }
        match self.http.get(url, accept, 256 * archive::MIB).await? {
            http::Got::NotFound => Ok(None),
            http::Got::Body(body) => {
                // Parsed before caching: malformed JSON is an error and is never cached.
                let doc = parse_json(url, &body)?;
                let _ = cache.put_meta(url, &body);
                Ok(Some(doc))
            }
        }
    }

    /// The artifact at `url` whose digest must be `expected`: from the cache if it verifies there,
    /// else downloaded, verified, and only then cached.
    pub(crate) async fn artifact(
        &self,
        url: &str,
        expected: &Digest,
    ) -> Result<(Vec<u8>, bool), FetchError> {
        let cache = &self.opts.cache;
        let mut discarded = false;
        match cache.get_artifact(expected) {
            Cached::Hit(bytes) => return Ok((bytes, false)),
            Cached::Discarded => discarded = true,
            Cached::Miss => {}
        }
        if self.opts.offline {
            return Err(FetchError::Offline(format!("artifact {url}")));
        }
        let bytes = match self
            .http
            .get(url, "application/octet-stream", self.opts.max_download)
            .await?
        {
            http::Got::Body(b) => b,
            http::Got::NotFound => {
                return Err(FetchError::Http {
                    url: url.to_string(),
                    status: 404,
                })
            }
        };
        let actual = Digest::compute(expected.algo, &bytes);
        if actual != *expected {
            return Err(FetchError::DigestMismatch {
                url: url.to_string(),
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
        cache
            .put_artifact(expected, &bytes)
            .map_err(|e| FetchError::Io {
                path: cache.root().display().to_string(),
                source: e,
            })?;
        Ok((bytes, discarded))
    }
}

fn parse_json(url: &str, body: &[u8]) -> Result<serde_json::Value, FetchError> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| FetchError::Malformed {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if !v.is_object() {
        return Err(FetchError::Malformed {
            url: url.to_string(),
            reason: "expected a JSON object".into(),
        });
    }
    Ok(v)
}

/// Resolve an artifact URL from registry JSON: absolute http(s) URLs as they are, relative ones
/// against the document's URL; anything else is malformed.
pub(crate) fn artifact_url(doc_url: &str, raw: &str) -> Result<String, FetchError> {
    let base = Url::parse(doc_url).map_err(|e| FetchError::Malformed {
        url: doc_url.into(),
        reason: e.to_string(),
    })?;
    let u = base.join(raw).map_err(|e| FetchError::Malformed {
        url: doc_url.into(),
        reason: format!("bad artifact URL {raw:?}: {e}"),
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(FetchError::Malformed {
            url: doc_url.into(),
            reason: format!("artifact URL {raw:?} is not http or https"),
        });
    }
    Ok(u.to_string())
}

pub(crate) fn malformed(url: &str, reason: impl Into<String>) -> FetchError {
    FetchError::Malformed {
        url: url.to_string(),
        reason: reason.into(),
    }
}
