//! The demo package (`assets/demo/`): a small, deliberately risky MCP server written for
//! mcpvet's walkthrough, embedded in the binary. [`materialize`] writes it into a directory
//! mcpvet owns so that `scan` of that local path works. Nothing here runs it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ReviewError;

/// The demo's files: package-relative path and bytes.
pub const FILES: &[(&str, &[u8])] = &[
    ("README.md", include_bytes!("../../assets/demo/README.md")),
    ("index.js", include_bytes!("../../assets/demo/index.js")),
    (
        "package.json",
        include_bytes!("../../assets/demo/package.json"),
    ),
    ("setup.js", include_bytes!("../../assets/demo/setup.js")),
];

/// sha256 over the files (length-prefixed paths and bytes), hex.
pub fn content_hash() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (path, bytes) in FILES {
        h.update((path.len() as u64).to_be_bytes());
        h.update(path.as_bytes());
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    hex::encode(h.finalize())
}

/// Write the demo into `<dir>/demo/<content hash>/` (`dir`: a directory mcpvet owns, such as
/// its cache) and return that folder. An existing, intact copy is reused; a damaged one is
/// replaced. The copy appears whole or not at all (written beside it, then renamed).
pub fn materialize(dir: &Path) -> Result<PathBuf, ReviewError> {
    let parent = dir.join("demo");
    let target = parent.join(&content_hash()[..16]);
    if intact(&target)? {
        return Ok(target);
    }
    fs::create_dir_all(&parent).map_err(|e| ReviewError::io(&parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".demo-")
        .tempdir_in(&parent)
        .map_err(|e| ReviewError::io(&parent, e))?;
    for (path, bytes) in FILES {
        let p = tmp.path().join(path);
        let mut f = fs::File::create(&p).map_err(|e| ReviewError::io(&p, e))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| ReviewError::io(&p, e))?;
    }
    // Replace a damaged copy (never follow a link planted in its place).
    match fs::symlink_metadata(&target) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(&target),
        Ok(_) => fs::remove_file(&target),
        Err(_) => Ok(()),
    }
    .map_err(|e| ReviewError::io(&target, e))?;
    let tmp_path = tmp.keep();
    match fs::rename(&tmp_path, &target) {
        Ok(()) => Ok(target),
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp_path);
            // Another mcpvet wrote the same copy at the same time.
            if intact(&target)? {
                Ok(target)
            } else {
                Err(ReviewError::io(&target, e))
            }
        }
    }
}

/// Is `dir` a real directory holding exactly the demo's files with the demo's bytes?
fn intact(dir: &Path) -> Result<bool, ReviewError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(ReviewError::io(dir, e)),
    }
    let entries = fs::read_dir(dir).map_err(|e| ReviewError::io(dir, e))?;
    let mut n = 0;
    for entry in entries {
        let entry = entry.map_err(|e| ReviewError::io(dir, e))?;
        n += 1;
        let name = entry.file_name();
        let Some(expected) = FILES
            .iter()
            .find(|(p, _)| name.to_str() == Some(p))
            .map(|(_, b)| *b)
        else {
            return Ok(false);
        };
        let path = entry.path();
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() && m.len() == expected.len() as u64 => {}
            _ => return Ok(false),
        }
        if fs::read(&path).map_err(|e| ReviewError::io(&path, e))? != expected {
            return Ok(false);
        }
    }
    Ok(n == FILES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn materialize_writes_reuses_and_repairs() {
        let cache = tempfile::tempdir().unwrap();
        let dir = materialize(cache.path()).unwrap();
        assert_eq!(dir, cache.path().join("demo").join(&content_hash()[..16]));
        for (path, bytes) in FILES {
            assert_eq!(&fs::read(dir.join(path)).unwrap(), bytes);
        }
        // No temp folders left beside it.
        assert_eq!(fs::read_dir(cache.path().join("demo")).unwrap().count(), 1);
        // Reused as is.
        assert_eq!(materialize(cache.path()).unwrap(), dir);
        // Damaged (edited file, extra file, missing file): replaced.
        fs::write(dir.join("index.js"), b"changed").unwrap();
        materialize(cache.path()).unwrap();
        assert_eq!(fs::read(dir.join("index.js")).unwrap(), FILES[1].1);
        fs::write(dir.join("extra.js"), b"x").unwrap();
        fs::remove_file(dir.join("setup.js")).unwrap();
        materialize(cache.path()).unwrap();
        assert!(!dir.join("extra.js").exists());
        assert!(dir.join("setup.js").exists());
        assert_eq!(fs::read_dir(cache.path().join("demo")).unwrap().count(), 1);
    }

    #[test]
    fn demo_says_it_is_a_demo() {
        let readme = std::str::from_utf8(FILES[0].1).unwrap();
        assert!(readme.contains("Never install, publish or run this package"));
        let pkg: serde_json::Value = serde_json::from_slice(FILES[2].1).unwrap();
        assert_eq!(pkg["private"], true);
        assert_eq!(pkg["scripts"]["postinstall"], "node setup.js");
    }
}
