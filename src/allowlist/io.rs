//! Reading and writing `mcp-allowlist.toml`.
//!
//! - Found by walking up from a directory to the git root (`--allowlist` overrides).
//! - Read strictly: a malformed file is an error naming `FILE:LINE:COLUMN` and is never
//!   overwritten.
//! - Written under an exclusive lock (`flock` on `.mcpvet/allowlist.lock` beside the file, via
//!   `std::fs::File::lock`: released by the kernel even if the writer dies), re-read under the
//!   lock, changed by one entry with `toml_edit` (comments and layout of everything else kept),
//!   then written to a temporary file in the same directory, synced and renamed over the old one.
//! - Entries live in `[servers.NAME]` tables sorted by name, one blank line apart, so two
//!   reviewers adding different servers touch different places of the file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

use super::model::{AllowlistData, Entry, ScanRecord, Signature, SCHEMA};
use super::AllowlistError;

pub const FILE_NAME: &str = "mcp-allowlist.toml";

/// Largest allowlist read (a team's list is kilobytes; this is a bound, not a target).
pub const MAX_BYTES: u64 = 16 << 20;

const TEMPLATE: &str = "\
# MCP servers this repository allows (mcpvet). Entries are signed: record and co-sign them with
# `mcpvet verdict`, the review TUI, or `mcpvet allowlist sign`; a hand edit breaks the signature.
# Owners (principals from allowed_signers) may override a critical risk band; their signature
# is then required on that entry.

[allowlist]
schema = \"mcpvet/allowlist/v1\"
owners = []
";

/// The git root above `start` (the first directory holding `.git`), if any.
pub fn git_root(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Where the allowlist is: `explicit`, else `mcp-allowlist.toml` at the git root above
/// `start`, else in `start` itself.
pub fn locate(explicit: Option<&Path>, start: &Path) -> PathBuf {
    match explicit {
        Some(p) => p.to_path_buf(),
        None => git_root(start)
            .unwrap_or_else(|| start.to_path_buf())
            .join(FILE_NAME),
    }
}

/// The `.mcpvet` directory beside the allowlist (audit log, lock).
pub fn state_dir(allowlist: &Path) -> PathBuf {
    parent_dir(allowlist).join(".mcpvet")
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An allowlist read from disk.
#[derive(Debug, Clone)]
pub struct Allowlist {
    pub path: PathBuf,
    pub data: AllowlistData,
}

impl Allowlist {
    pub fn entry(&self, name: &str) -> Result<&Entry, AllowlistError> {
        self.data
            .servers
            .get(name)
            .ok_or_else(|| AllowlistError::NoEntry {
                path: self.path.display().to_string(),
                name: name.to_string(),
            })
    }
}

fn read_text(path: &Path) -> Result<Option<String>, AllowlistError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AllowlistError::io(&shown, e)),
    };
    let mut bytes = Vec::new();
    f.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AllowlistError::io(&shown, e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(AllowlistError::Malformed {
            path: shown,
            line: 0,
            column: 0,
            message: format!("larger than {MAX_BYTES} bytes"),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
        AllowlistError::Malformed {
            path: shown.clone(),
            line,
            column: 0,
            message: "not UTF-8 text".into(),
        }
    })?;
    Ok(Some(text))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[start..]).chars().count();
    (line, column)
}

/// Parse allowlist text strictly (unknown fields, bad verdicts, wrong types are errors).
pub fn parse(text: &str, path: &str) -> Result<AllowlistData, AllowlistError> {
    let data: AllowlistData = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        AllowlistError::Malformed {
            path: path.to_string(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    if !data.allowlist.schema.is_empty() && data.allowlist.schema != SCHEMA {
        return Err(AllowlistError::Malformed {
            path: path.to_string(),
            line: 0,
            column: 0,
            message: format!(
                "schema {:?} is not {SCHEMA:?} (written by a newer mcpvet?)",
                data.allowlist.schema
            ),
        });
    }
    Ok(data)
}

/// Read the allowlist; a missing file is an error.
pub fn load(path: &Path) -> Result<Allowlist, AllowlistError> {
    let shown = path.display().to_string();
    let text = read_text(path)?.ok_or_else(|| AllowlistError::Missing(shown.clone()))?;
    Ok(Allowlist {
        path: path.to_path_buf(),
        data: parse(&text, &shown)?,
    })
}

/// Held while the allowlist is being rewritten.
pub struct FileLock {
    _file: File,
}

/// Take the exclusive lock `.mcpvet/NAME.lock` beside `allowlist` (waits for other writers).
pub fn lock(allowlist: &Path, name: &str) -> Result<FileLock, AllowlistError> {
    let dir = state_dir(allowlist);
    let shown = dir.display().to_string();
    std::fs::create_dir_all(&dir).map_err(|e| AllowlistError::io(&shown, e))?;
    let path = dir.join(format!("{name}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AllowlistError::io(&path.display().to_string(), e))?;
    file.lock()
        .map_err(|e| AllowlistError::io(&path.display().to_string(), e))?;
    Ok(FileLock { _file: file })
}

/// Write `text` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over `path`.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), AllowlistError> {
    let shown = path.display().to_string();
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".mcp-allowlist.")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| AllowlistError::io(&shown, e))?;
    // The temporary file is private (0600): give the result the old file's mode, or the
    // usual one for a file in a repository.
    let perms = std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions())
        .or_else(default_permissions);
    tmp.write_all(text.as_bytes())
        .and_then(|_| match perms {
            Some(p) => tmp.as_file().set_permissions(p),
            None => Ok(()),
        })
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| AllowlistError::io(&shown, e))?;
    tmp.persist(path)
        .map_err(|e| AllowlistError::io(&shown, e.error))?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

/// The editable document, as read under the lock.
pub struct Editor {
    pub path: PathBuf,
    pub doc: DocumentMut,
    /// The data as parsed from the same text (strict).
    pub data: AllowlistData,
}

/// Lock, re-read, let `f` change the document, validate, write atomically. A malformed file
/// is an error and is left as it is.
pub fn update<T>(
    path: &Path,
    f: impl FnOnce(&mut Editor) -> Result<T, AllowlistError>,
) -> Result<T, AllowlistError> {
    let shown = path.display().to_string();
    let _lock = lock(path, "allowlist")?;
    let text = read_text(path)?.unwrap_or_else(|| TEMPLATE.to_string());
    let mut ed = Editor::from_text(&text, path)?;
    let out = f(&mut ed)?;
    let mut new_text = ed.doc.to_string();
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    // What is written must read back, and must not have lost anyone's entry.
    let back = parse(&new_text, &shown).map_err(|e| AllowlistError::Internal(e.to_string()))?;
    if let Some(lost) = ed
        .data
        .servers
        .keys()
        .find(|k| !back.servers.contains_key(*k))
    {
        return Err(AllowlistError::Internal(format!(
            "rewriting would lose entry {lost:?}"
        )));
    }
    write_atomic(path, &new_text)?;
    Ok(out)
}

/// A value as a fresh `toml_edit` table (positions cleared so it renders where it is put).
fn to_table<T: serde::Serialize>(value: &T) -> Result<Table, AllowlistError> {
    let text = toml::to_string(value).map_err(|e| AllowlistError::Internal(e.to_string()))?;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| AllowlistError::Internal(e.to_string()))?;
    let mut t = doc.as_table().clone();
    clear_positions(&mut t);
    t.decor_mut().clear();
    Ok(t)
}

fn clear_positions(t: &mut Table) {
    t.set_position(None);
    for (_, item) in t.iter_mut() {
        match item {
            Item::Table(sub) => clear_positions(sub),
            Item::ArrayOfTables(a) => {
                for sub in a.iter_mut() {
                    clear_positions(sub);
                }
            }
            _ => {}
        }
    }
}

impl Editor {
    /// Parse `text` (strictly, and for editing); `path` names it in errors.
    pub fn from_text(text: &str, path: &Path) -> Result<Editor, AllowlistError> {
        let shown = path.display().to_string();
        let data = parse(text, &shown)?;
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            AllowlistError::Malformed {
                path: shown.clone(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(Editor {
            path: path.to_path_buf(),
            doc,
            data,
        })
    }

    /// Remove one entry.
    pub fn remove_entry(&mut self, name: &str) -> Result<(), AllowlistError> {
        self.servers_mut()?.remove(name);
        self.data.servers.remove(name);
        Ok(())
    }

    /// Replace the `[allowlist]` header with `other`'s.
    pub fn set_header_from(&mut self, other: &Editor) {
        if let Some(h) = other.doc.as_table().get("allowlist") {
            self.doc.as_table_mut().insert("allowlist", h.clone());
            self.data.allowlist = other.data.allowlist.clone();
        }
    }

    fn servers_mut(&mut self) -> Result<&mut Table, AllowlistError> {
        let root = self.doc.as_table_mut();
        if !root.contains_key("servers") {
            let mut t = Table::new();
            t.set_implicit(true);
            root.insert("servers", Item::Table(t));
        }
        root.get_mut("servers")
            .and_then(Item::as_table_mut)
            .ok_or_else(|| AllowlistError::Internal("`servers` is not a table".into()))
    }

    /// Insert or replace one entry, in sorted position; comments above a replaced entry stay.
    pub fn put_entry(&mut self, name: &str, entry: &Entry) -> Result<(), AllowlistError> {
        let mut table = to_table(entry)?;
        table.decor_mut().set_prefix("\n");
        let servers = self.servers_mut()?;
        if let Some(old) = servers.get(name).and_then(Item::as_table) {
            *table.decor_mut() = old.decor().clone();
        }
        // Entries after this one move behind it (keys and their formatting kept), so the new
        // entry renders between its neighbours.
        let later: Vec<String> = servers
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| k.as_str() > name)
            .collect();
        let mut tail = Vec::new();
        for k in later {
            if let Some(kv) = servers.remove_entry(&k) {
                tail.push(kv);
            }
        }
        servers.remove(name);
        servers.insert(name, Item::Table(table));
        for (k, item) in tail {
            servers.insert_formatted(&k, item);
        }
        self.data.servers.insert(name.to_string(), entry.clone());
        Ok(())
    }

    fn entry_table(&mut self, name: &str) -> Result<&mut Table, AllowlistError> {
        let path = self.path.display().to_string();
        self.servers_mut()?
            .get_mut(name)
            .and_then(Item::as_table_mut)
            .ok_or(AllowlistError::NoEntry {
                path,
                name: name.to_string(),
            })
    }

    fn push_to(&mut self, name: &str, key: &str, t: Table) -> Result<(), AllowlistError> {
        let entry = self.entry_table(name)?;
        if !entry.contains_key(key) {
            entry.insert(key, Item::ArrayOfTables(ArrayOfTables::new()));
        }
        match entry.get_mut(key) {
            Some(Item::ArrayOfTables(a)) => {
                a.push(t);
                Ok(())
            }
            Some(Item::Value(toml_edit::Value::Array(a))) if a.is_empty() => {
                let mut aot = ArrayOfTables::new();
                aot.push(t);
                entry.insert(key, Item::ArrayOfTables(aot));
                Ok(())
            }
            _ => Err(AllowlistError::Internal(format!(
                "`{key}` of entry {name:?} is not an array of tables"
            ))),
        }
    }

    /// Append a signature to an entry (the rest of the entry untouched).
    pub fn push_signature(&mut self, name: &str, sig: &Signature) -> Result<(), AllowlistError> {
        self.push_to(name, "signatures", to_table(sig)?)?;
        if let Some(e) = self.data.servers.get_mut(name) {
            e.signatures.push(sig.clone());
        }
        Ok(())
    }

    /// Append a rescan result to an entry's history.
    pub fn push_scan(&mut self, name: &str, scan: &ScanRecord) -> Result<(), AllowlistError> {
        self.push_to(name, "scans", to_table(scan)?)?;
        if let Some(e) = self.data.servers.get_mut(name) {
            e.scans.push(scan.clone());
        }
        Ok(())
    }
}

/// Three-way merge of allowlist texts (git's merge driver: `mcpvet allowlist merge %O %A %B`).
///
/// Entry by entry: a side that left an entry as the base had it takes the other side's
/// version (added, changed or removed); two sides that signed the same entry keep every
/// signature (and every rescan); two different changes to one entry, or to the header, are a
/// conflict and keep ours. Returns the merged text (layout and comments of ours kept) and the
/// names in conflict.
pub fn merge3(
    base: &str,
    ours: &str,
    theirs: &str,
    path: &Path,
) -> Result<(String, Vec<String>), AllowlistError> {
    let o = Editor::from_text(base, path)?;
    let mut a = Editor::from_text(ours, path)?;
    let b = Editor::from_text(theirs, path)?;
    let mut conflicts = Vec::new();
    let (ha, hb, ho) = (&a.data.allowlist, &b.data.allowlist, &o.data.allowlist);
    if ha != hb && hb != ho {
        if ha == ho {
            a.set_header_from(&b);
        } else {
            conflicts.push("[allowlist] header".to_string());
        }
    }
    let mut names: Vec<String> = o.data.servers.keys().cloned().collect();
    names.extend(a.data.servers.keys().cloned());
    names.extend(b.data.servers.keys().cloned());
    names.sort();
    names.dedup();
    for name in names {
        let eo = o.data.servers.get(&name).cloned();
        let ea = a.data.servers.get(&name).cloned();
        let eb = b.data.servers.get(&name).cloned();
        if ea == eb || eb == eo {
            continue;
        }
        if ea == eo {
            match &eb {
                Some(e) => a.put_entry(&name, e)?,
                None => a.remove_entry(&name)?,
            }
            continue;
        }
        match (&ea, &eb) {
            (Some(x), Some(y)) if x.canonical(&name) == y.canonical(&name) => {
                for sig in y.signatures.iter().filter(|s| !x.signatures.contains(s)) {
                    a.push_signature(&name, sig)?;
                }
                for scan in y.scans.iter().filter(|s| !x.scans.contains(s)) {
                    a.push_scan(&name, scan)?;
                }
            }
            _ => conflicts.push(name),
        }
    }
    let mut text = a.doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    parse(&text, &path.display().to_string())
        .map_err(|e| AllowlistError::Internal(e.to_string()))?;
    Ok((text, conflicts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::model::sample_entry;

    #[test]
    fn entries_sorted_comments_kept_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        update(&path, |ed| ed.put_entry("mango", &sample_entry())).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text = text.replace(
            "[servers.mango]",
            "# picked by the infra team\n[servers.mango]",
        );
        text.push_str("# trailing note\n");
        std::fs::write(&path, &text).unwrap();
        update(&path, |ed| ed.put_entry("zebra", &sample_entry())).unwrap();
        update(&path, |ed| ed.put_entry("apple", &sample_entry())).unwrap();
        update(&path, |ed| ed.put_entry("mango", &sample_entry())).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let a = text.find("[servers.apple]").unwrap();
        let m = text.find("[servers.mango]").unwrap();
        let z = text.find("[servers.zebra]").unwrap();
        assert!(a < m && m < z, "{text}");
        assert!(
            text.contains("# picked by the infra team\n[servers.mango]"),
            "{text}"
        );
        assert!(text.contains("# trailing note"), "{text}");
        assert!(text.starts_with("# MCP servers this repository allows"));
        // subtables of one entry stay with it
        let ac = text.find("[servers.apple.capabilities]").unwrap();
        assert!(a < ac && ac < m, "{text}");
        let odd = "my server \"x\".v2";
        update(&path, |ed| ed.put_entry(odd, &sample_entry())).unwrap();
        let data = load(&path).unwrap().data;
        assert_eq!(data.servers.len(), 4);
        assert_eq!(data.servers["zebra"], sample_entry());
        assert_eq!(data.servers[odd], sample_entry());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    #[test]
    fn malformed_file_is_named_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let bad =
            "[allowlist]\nschema = \"mcpvet/allowlist/v1\"\n\n[servers.x]\nverdict = \"maybe\"\n";
        std::fs::write(&path, bad).unwrap();
        let e = update(&path, |ed| ed.put_entry("y", &sample_entry())).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}:5:11: unknown variant `maybe`", path.display())),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        std::fs::write(&path, "[allowlist\n").unwrap();
        let e = load(&path).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!("{}:1:", path.display())),
            "{e}"
        );
    }
}
