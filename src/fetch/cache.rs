//! The on-disk cache: content-addressed artifacts, short-lived registry metadata, and bare git
//! repositories. Only registry bytes and git objects live here; package files are never
//! unpacked to disk.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::digest::Digest;
use crate::util::sha256_hex;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// What a cache lookup found.
#[derive(Debug)]
pub enum Cached {
    Hit(Vec<u8>),
    Miss,
    /// The file was there but its digest no longer matched; it has been deleted.
    Discarded,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// `MCPVET_CACHE_DIR`, else the user cache dir (`~/.cache/mcpvet` on Linux).
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("MCPVET_CACHE_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(d);
        }
        dirs::cache_dir()
            .map(|d| d.join("mcpvet"))
            .unwrap_or_else(|| std::env::temp_dir().join("mcpvet-cache"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn artifact_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root
            .join("artifacts")
            .join(digest.algo.name())
            .join(&hex[..2])
            .join(&hex)
    }

    /// A cached artifact, verified against its digest on every read.
    pub fn get_artifact(&self, digest: &Digest) -> Cached {
        let path = self.artifact_path(digest);
        match std::fs::read(&path) {
            Ok(bytes) if digest.matches(&bytes) => Cached::Hit(bytes),
            Ok(_) => {
                let _ = std::fs::remove_file(&path);
                Cached::Discarded
            }
            Err(_) => Cached::Miss,
        }
    }

    /// Store verified bytes under their digest (atomically).
    pub fn put_artifact(&self, digest: &Digest, bytes: &[u8]) -> io::Result<()> {
        write_atomic(&self.artifact_path(digest), bytes)
    }

    fn meta_path(&self, url: &str) -> PathBuf {
        self.root
            .join("meta")
            .join(format!("{}.json", sha256_hex(url.as_bytes())))
    }

    /// Cached metadata for `url` no older than `max_age` (`None`: any age, for `--offline`).
    pub fn get_meta(&self, url: &str, max_age: Option<Duration>) -> Option<Vec<u8>> {
        let path = self.meta_path(url);
        if let Some(max_age) = max_age {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            let age = SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default();
            if age > max_age {
                return None;
            }
        }
        std::fs::read(path).ok()
    }

    pub fn put_meta(&self, url: &str, body: &[u8]) -> io::Result<()> {
        write_atomic(&self.meta_path(url), body)
    }

    /// The bare repository that caches objects fetched from `url`.
    pub fn git_repo(&self, url: &str) -> PathBuf {
        self.root
            .join("git")
            .join(format!("{}.git", &sha256_hex(url.as_bytes())[..32]))
    }

    /// An always-empty directory used as `core.hooksPath`, so no hook can ever run.
    pub fn empty_hooks_dir(&self) -> io::Result<PathBuf> {
        let dir = self.root.join("empty-hooks");
        std::fs::create_dir_all(&dir)?;
        // Anything placed there by someone else is removed, not trusted.
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&p)?;
            } else {
                std::fs::remove_file(&p)?;
            }
        }
        Ok(dir)
    }
}

/// Write `bytes` to `path` through a temp file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("cache path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::digest::Algo;

    #[test]
    fn tampered_artifact_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let d = Digest::compute(Algo::Sha512, b"payload");
        cache.put_artifact(&d, b"payload").unwrap();
        assert!(matches!(cache.get_artifact(&d), Cached::Hit(b) if b == b"payload"));
        std::fs::write(cache.artifact_path(&d), b"tampered").unwrap();
        assert!(matches!(cache.get_artifact(&d), Cached::Discarded));
        assert!(matches!(cache.get_artifact(&d), Cached::Miss));
    }

    #[test]
    fn metadata_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        cache.put_meta("https://r/x", b"{}").unwrap();
        assert!(cache
            .get_meta("https://r/x", Some(Duration::from_secs(60)))
            .is_some());
        assert!(cache.get_meta("https://r/x", None).is_some());
        assert!(cache.get_meta("https://r/y", None).is_none());
    }
}
