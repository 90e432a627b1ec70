//! Safe, in-memory unpacking of package artifacts into a [`PackageTree`].
//!
//! Nothing from an archive is ever written to disk or followed: links, devices, traversal and
//! absolute paths become `archive` findings. Decompression streams through a meter that stops at
//! the total-size limit and at absurd compression ratios, so a bomb costs bounded time and memory.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use crate::finding::{Category, Finding, Severity};

pub const MIB: u64 = 1024 * 1024;

/// Unpacking limits. Defaults: 512 MiB total, 64 MiB per file, 100,000 entries, 200:1 ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes read from the archive stream, all entries together.
    pub max_total_bytes: u64,
    /// Bytes kept per member; the rest is read past and the member marked truncated.
    pub max_file_bytes: u64,
    /// Entries (files, directories, links…) before unpacking stops.
    pub max_entries: usize,
    /// Decompressed-to-compressed ratio above which unpacking stops (checked past 32 MiB).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 512 * MIB,
            max_file_bytes: 64 * MIB,
            max_entries: 100_000,
            max_ratio: 200,
        }
    }
}

/// Below this many decompressed bytes the ratio is not judged (small, very regular files
/// compress far beyond 200:1 legitimately).
const RATIO_FLOOR: u64 = 32 * MIB;

/// One regular file of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    /// The bytes kept (at most the per-file limit).
    pub bytes: Vec<u8>,
    /// The member's full size as unpacked (larger than `bytes.len()` when truncated).
    pub size: u64,
    pub truncated: bool,
    pub executable: bool,
}

/// The unpacked package: relative path (with `/`) → file. Sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageTree {
    files: BTreeMap<String, PackageFile>,
}

impl PackageTree {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, path: impl Into<String>, file: PackageFile) -> Option<PackageFile> {
        self.files.insert(path.into(), file)
    }
    pub fn get(&self, path: &str) -> Option<&PackageFile> {
        self.files.get(path)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PackageFile)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
    /// Bytes held in memory.
    pub fn kept_bytes(&self) -> u64 {
        self.files.values().map(|f| f.bytes.len() as u64).sum()
    }
}

/// What unpacking produced: the tree and the findings about hostile or skipped entries.
#[derive(Debug, Default)]
pub struct Unpacked {
    pub tree: PackageTree,
    pub findings: Vec<Finding>,
    /// Entries seen in the archive (including refused ones).
    pub entries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0}")]
    Malformed(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Archive formats recognised by content (magic bytes), falling back to the caller's hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Tar,
    Zip,
}

pub fn detect_format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(Format::TarGz)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.len() >= 262 && &bytes[257..262] == b"ustar" {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Unpack an artifact held in memory.
pub fn unpack(
    bytes: &[u8],
    hint: Option<Format>,
    limits: &Limits,
) -> Result<Unpacked, ArchiveError> {
    let format = detect_format(bytes).or(hint).ok_or_else(|| {
        ArchiveError::Malformed("not a recognised archive (expected gzip, tar or zip)".into())
    })?;
    match format {
        Format::TarGz => {
            let meter = Meter::new(*limits);
            let input = CountingReader {
                inner: bytes,
                count: meter.input.clone(),
            };
            let gz = flate2::read::MultiGzDecoder::new(input);
            unpack_tar(
                MeteredReader {
                    inner: gz,
                    meter: meter.clone(),
                },
                &meter,
                limits,
            )
        }
        Format::Tar => {
            let meter = Meter::new(*limits);
            meter.input.set(bytes.len() as u64);
            unpack_tar(
                MeteredReader {
                    inner: bytes,
                    meter: meter.clone(),
                },
                &meter,
                limits,
            )
        }
        Format::Zip => unpack_zip(bytes, limits),
    }
}

// ---------------------------------------------------------------------------------------------
// Metering

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Total,
    Ratio,
}

#[derive(Clone)]
struct Meter {
    limits: Limits,
    input: Rc<Cell<u64>>,
    output: Rc<Cell<u64>>,
    stopped: Rc<Cell<Option<Stop>>>,
}

impl Meter {
    fn new(limits: Limits) -> Meter {
        Meter {
            limits,
            input: Rc::new(Cell::new(0)),
            output: Rc::new(Cell::new(0)),
            stopped: Rc::new(Cell::new(None)),
        }
    }

    /// Account `n` more decompressed bytes; refuse when a limit is passed.
    fn account(&self, n: u64) -> Result<(), Stop> {
        let out = self.output.get().saturating_add(n);
        self.output.set(out);
        let stop = if out > self.limits.max_total_bytes {
            Some(Stop::Total)
        } else if out > RATIO_FLOOR && out / self.input.get().max(1) > self.limits.max_ratio {
            Some(Stop::Ratio)
        } else {
            None
        };
        if let Some(s) = stop {
            self.stopped.set(Some(s));
            return Err(s);
        }
        Ok(())
    }

    fn finding(&self, stop: Stop) -> Finding {
        let out = self.output.get();
        let input = self.input.get().max(1);
        match stop {
            Stop::Total => size_limit_finding(&self.limits, out),
            Stop::Ratio => Finding::new(
                "archive.compression-ratio",
                Category::Archive,
                Severity::High,
                "",
                format!(
                    "unpacking stopped: compression ratio {}:1 exceeds {}:1 (a decompression bomb?)",
                    out / input,
                    self.limits.max_ratio
                ),
            )
            .with("ratio", out / input)
            .with("compressed_bytes", input)
            .with("decompressed_bytes", out),
        }
    }
}

/// The finding for a package whose content passed the total-size limit.
pub(crate) fn size_limit_finding(limits: &Limits, read: u64) -> Finding {
    Finding::new(
        "archive.size-limit",
        Category::Archive,
        Severity::High,
        "",
        format!(
            "unpacking stopped: more than {} MiB of content (limit --max-total); the rest was not read",
            limits.max_total_bytes / MIB
        ),
    )
    .with("limit_bytes", limits.max_total_bytes)
    .with("read_bytes", read)
}

struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

struct MeteredReader<R> {
    inner: R,
    meter: Meter,
}

impl<R: Read> Read for MeteredReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.meter.stopped.get().is_some() {
            return Err(io::Error::other("unpacking limit reached"));
        }
        let n = self.inner.read(buf)?;
        self.meter
            .account(n as u64)
            .map_err(|_| io::Error::other("unpacking limit reached"))?;
        Ok(n)
    }
}

/// Read at most `max` bytes into memory and the rest into the void; returns (kept, full size).
fn read_capped<R: Read>(r: &mut R, max: u64) -> io::Result<(Vec<u8>, u64)> {
    let mut kept = Vec::new();
    r.by_ref().take(max).read_to_end(&mut kept)?;
    let rest = io::copy(r, &mut io::sink())?;
    let size = kept.len() as u64 + rest;
    Ok((kept, size))
}

// ---------------------------------------------------------------------------------------------
// Entry collection, shared by tar, zip and directories

enum Kind {
    File(PackageFile),
    Dir,
    Symlink(String),
    Hardlink(String),
}

struct Entry {
    path: String,
    kind: Kind,
}

/// Collects entries, refuses hostile ones, and builds the tree at the end.
pub(crate) struct Collector {
    limits: Limits,
    entries: Vec<Entry>,
    findings: Vec<Finding>,
    seen: usize,
    strip_top: bool,
}

fn lossy(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

impl Collector {
    pub(crate) fn new(limits: Limits, strip_top: bool) -> Collector {
        Collector {
            limits,
            entries: Vec::new(),
            findings: Vec::new(),
            seen: 0,
            strip_top,
        }
    }

    /// Count one more entry; false (with a finding) once the limit is passed.
    pub(crate) fn admit(&mut self) -> bool {
        self.seen += 1;
        if self.seen > self.limits.max_entries {
            self.findings.push(
                Finding::new(
                    "archive.too-many-entries",
                    Category::Archive,
                    Severity::High,
                    "",
                    format!(
                        "unpacking stopped after {} entries (limit --max-entries); the rest was not read",
                        self.limits.max_entries
                    ),
                )
                .with("limit", self.limits.max_entries as u64),
            );
            return false;
        }
        true
    }

    /// Normalise an archive path; hostile paths produce a finding and `None`.
    fn normalize(&mut self, raw: &[u8]) -> Option<String> {
        let name = lossy(raw);
        let unified = name.replace('\\', "/");
        let absolute = unified.starts_with('/')
            || (unified.len() >= 2
                && unified.as_bytes()[1] == b':'
                && unified.as_bytes()[0].is_ascii_alphabetic());
        if absolute {
            self.findings.push(
                Finding::new(
                    "archive.absolute-path",
                    Category::Archive,
                    Severity::High,
                    name.clone(),
                    "entry has an absolute path; an unpacker that trusts it writes outside the target folder (refused)",
                )
                .with("entry", name),
            );
            return None;
        }
        let mut parts = Vec::new();
        for c in unified.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    self.findings.push(
                        Finding::new(
                            "archive.path-traversal",
                            Category::Archive,
                            Severity::High,
                            name.clone(),
                            "entry path climbs out of the package with '..' (refused)",
                        )
                        .with("entry", name),
                    );
                    return None;
                }
                c => parts.push(c),
            }
        }
        if parts.is_empty() {
            return None;
        }
        Some(parts.join("/"))
    }

    pub(crate) fn dir(&mut self, raw: &[u8]) {
        if let Some(path) = self.normalize(raw) {
            self.entries.push(Entry {
                path,
                kind: Kind::Dir,
            });
        }
    }

    pub(crate) fn file(&mut self, raw: &[u8], bytes: Vec<u8>, size: u64, executable: bool) {
        if let Some(path) = self.normalize(raw) {
            let truncated = size > bytes.len() as u64;
            self.entries.push(Entry {
                path,
                kind: Kind::File(PackageFile {
                    bytes,
                    size,
                    truncated,
                    executable,
                }),
            });
        }
    }

    pub(crate) fn symlink(&mut self, raw: &[u8], target: &[u8]) {
        if let Some(path) = self.normalize(raw) {
            self.entries.push(Entry {
                path,
                kind: Kind::Symlink(lossy(target)),
            });
        }
    }

    pub(crate) fn hardlink(&mut self, raw: &[u8], target: &[u8]) {
        if let Some(path) = self.normalize(raw) {
            self.entries.push(Entry {
                path,
                kind: Kind::Hardlink(lossy(target)),
            });
        }
    }

    pub(crate) fn special(&mut self, raw: &[u8], what: &str) {
        let name = lossy(raw);
        self.findings.push(
            Finding::new(
                "archive.special-file",
                Category::Archive,
                Severity::High,
                name.clone(),
                format!("entry is a {what}; packages have no reason to ship one (refused)"),
            )
            .with("entry", name)
            .with("type", what),
        );
    }

    pub(crate) fn note(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub(crate) fn finish(mut self) -> Unpacked {
        // Strip one top folder shared by every non-directory entry (`package/`, `name-1.0/`).
        let prefix = if self.strip_top {
            let mut first: Option<&str> = None;
            let mut ok = true;
            for e in self.entries.iter().filter(|e| !matches!(e.kind, Kind::Dir)) {
                match e.path.split_once('/') {
                    Some((top, _)) if first.is_none_or(|f| f == top) => first = Some(top),
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            first.filter(|_| ok).map(|f| format!("{f}/"))
        } else {
            None
        };
        let strip = |p: &str| -> String {
            match &prefix {
                Some(pre) => p.strip_prefix(pre.as_str()).unwrap_or(p).to_string(),
                None => p.to_string(),
            }
        };

        let mut tree = PackageTree::new();
        let mut links: Vec<String> = Vec::new();
        let mut dup_reported: HashSet<String> = HashSet::new();
        let entries = std::mem::take(&mut self.entries);
        for e in entries {
            let path = strip(&e.path);
            let kind = match e.kind {
                // A hard link to a file already unpacked is how tar stores one content twice
                // (pnpm stores, deduplicated LICENSE files); an installer writes a copy. Only
                // links leaving the package or naming no earlier file are findings.
                Kind::Hardlink(target) => {
                    let rel = strip(&normalize_link_target(&target));
                    match tree.get(&rel).filter(|_| !hardlink_escapes(&target)) {
                        Some(f) => Kind::File(f.clone()),
                        None => Kind::Hardlink(target),
                    }
                }
                k => k,
            };
            match kind {
                Kind::Dir => {}
                Kind::Symlink(target) => {
                    let escapes = link_escapes(&path, &target);
                    self.findings.push(
                        Finding::new(
                            "archive.symlink",
                            Category::Archive,
                            if escapes { Severity::High } else { Severity::Medium },
                            path.clone(),
                            if escapes {
                                format!("symbolic link pointing outside the package, to {target} (not followed)")
                            } else {
                                format!("symbolic link to {target} (not followed)")
                            },
                        )
                        .with("target", target)
                        .with("escapes", escapes),
                    );
                    links.push(path);
                }
                Kind::Hardlink(target) => {
                    let target_rel = strip(&target.replace('\\', "/"));
                    let escapes = hardlink_escapes(&target);
                    self.findings.push(
                        Finding::new(
                            "archive.hardlink",
                            Category::Archive,
                            Severity::High,
                            path.clone(),
                            format!("hard link to {target}, which is not a file of the package (not followed)"),
                        )
                        .with("target", target_rel)
                        .with("escapes", escapes),
                    );
                    links.push(path);
                }
                Kind::File(file) => {
                    if let Some(link) = links.iter().find(|l| path.starts_with(&format!("{l}/"))) {
                        self.findings.push(
                            Finding::new(
                                "archive.through-symlink",
                                Category::Archive,
                                Severity::Critical,
                                path.clone(),
                                format!("entry is written through the link {link}; an unpacker would write wherever the link points (refused)"),
                            )
                            .with("link", link.clone()),
                        );
                        continue;
                    }
                    if links.contains(&path) {
                        self.findings.push(
                            Finding::new(
                                "archive.overwrites-link",
                                Category::Archive,
                                Severity::Critical,
                                path.clone(),
                                "file entry replaces a link of the same name; an unpacker may write through the link (refused)",
                            ),
                        );
                        continue;
                    }
                    if file.truncated {
                        self.findings.push(
                            Finding::new(
                                "archive.file-truncated",
                                Category::Archive,
                                Severity::Medium,
                                path.clone(),
                                format!(
                                    "member is {} bytes, over the per-file limit; only the first {} bytes are kept and analysed",
                                    file.size,
                                    file.bytes.len()
                                ),
                            )
                            .with("size", file.size)
                            .with("kept", file.bytes.len() as u64),
                        );
                    }
                    if let Some(old) = tree.insert(path.clone(), file) {
                        if dup_reported.insert(path.clone()) {
                            self.findings.push(
                                Finding::new(
                                    "archive.duplicate-path",
                                    Category::Archive,
                                    Severity::High,
                                    path.clone(),
                                    "the archive holds this path more than once; an installer keeps the last copy, which is what is shown",
                                )
                                .with("first_sha256", crate::util::sha256_hex(&old.bytes)),
                            );
                        }
                    }
                }
            }
        }
        Unpacked {
            tree,
            findings: self.findings,
            entries: self.seen,
        }
    }
}

/// A hard link target as an archive path: `\\` as `/`, empty and `.` components dropped.
fn normalize_link_target(target: &str) -> String {
    target
        .replace('\\', "/")
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a hard link target (an archive path) lies outside the package.
fn hardlink_escapes(target: &str) -> bool {
    target.starts_with('/') || target.split(['/', '\\']).any(|c| c == "..")
}

/// Whether a symlink at `path` pointing at `target` leaves the package root.
fn link_escapes(path: &str, target: &str) -> bool {
    let target = target.replace('\\', "/");
    if target.starts_with('/') || target.as_bytes().get(1) == Some(&b':') {
        return true;
    }
    let mut depth: i64 = path.matches('/').count() as i64; // directory depth of the link
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// tar

fn unpack_tar<R: Read>(
    reader: R,
    meter: &Meter,
    limits: &Limits,
) -> Result<Unpacked, ArchiveError> {
    let mut c = Collector::new(*limits, true);
    let mut ar = tar::Archive::new(reader);
    let entries = ar
        .entries()
        .map_err(|e| ArchiveError::Malformed(format!("unreadable tar archive: {e}")))?;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                stream_error(&mut c, meter, e)?;
                break;
            }
        };
        if !c.admit() {
            break;
        }
        let raw = entry.path_bytes().into_owned();
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        use tar::EntryType as T;
        match header.entry_type() {
            T::Regular | T::Continuous | T::GNUSparse => {
                match read_capped(&mut entry, limits.max_file_bytes) {
                    Ok((bytes, size)) => c.file(&raw, bytes, size, mode & 0o111 != 0),
                    Err(e) => {
                        stream_error(&mut c, meter, e)?;
                        break;
                    }
                }
            }
            T::Directory => c.dir(&raw),
            T::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                c.symlink(&raw, &target);
            }
            T::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                c.hardlink(&raw, &target);
            }
            T::Char => c.special(&raw, "character device"),
            T::Block => c.special(&raw, "block device"),
            T::Fifo => c.special(&raw, "fifo"),
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => {}
            other => c.special(
                &raw,
                &format!("tar entry of unknown type {}", other.as_byte()),
            ),
        }
    }
    Ok(c.finish())
}

/// A read error mid-archive: a limit stop becomes its finding; corruption becomes a finding
/// when something was read already, and an error when nothing was.
fn stream_error(c: &mut Collector, meter: &Meter, e: io::Error) -> Result<(), ArchiveError> {
    if let Some(stop) = meter.stopped.get() {
        c.note(meter.finding(stop));
        return Ok(());
    }
    if c.seen == 0 {
        return Err(ArchiveError::Malformed(format!("unreadable archive: {e}")));
    }
    c.note(
        Finding::new(
            "archive.malformed",
            Category::Archive,
            Severity::High,
            "",
            format!(
                "archive is corrupt after {} entries: {e}; the rest was not read",
                c.seen
            ),
        )
        .with("error", e.to_string()),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// zip (and wheels)

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;
const S_IFIFO: u32 = 0o010000;
const S_IFSOCK: u32 = 0o140000;

fn unpack_zip(bytes: &[u8], limits: &Limits) -> Result<Unpacked, ArchiveError> {
    let mut za = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ArchiveError::Malformed(format!("unreadable zip archive: {e}")))?;
    let meter = Meter::new(*limits);
    meter.input.set(bytes.len() as u64);
    let mut c = Collector::new(*limits, true);
    for i in 0..za.len() {
        if !c.admit() {
            break;
        }
        let listed_name = za
            .name_for_index(i)
            .and_then(Result::ok)
            .map(|n| n.into_owned())
            .unwrap_or_default();
        let mut f = match za.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                let raw = listed_name;
                c.note(
                    Finding::new(
                        "archive.unreadable-member",
                        Category::Archive,
                        Severity::Medium,
                        raw.clone(),
                        format!("member could not be unpacked ({e}); its content is not analysed"),
                    )
                    .with("error", e.to_string()),
                );
                continue;
            }
        };
        let raw = f.name_raw().to_vec();
        let mode = f.unix_mode().unwrap_or(0);
        let kind = mode & S_IFMT;
        if f.is_dir() {
            c.dir(&raw);
            continue;
        }
        match kind {
            S_IFLNK => {
                let mut target = Vec::new();
                let _ = f.by_ref().take(4096).read_to_end(&mut target);
                if meter.account(target.len() as u64).is_err() {
                    break;
                }
                c.symlink(&raw, &target);
                continue;
            }
            S_IFCHR => {
                c.special(&raw, "character device");
                continue;
            }
            S_IFBLK => {
                c.special(&raw, "block device");
                continue;
            }
            S_IFIFO => {
                c.special(&raw, "fifo");
                continue;
            }
            S_IFSOCK => {
                c.special(&raw, "socket");
                continue;
            }
            _ => {}
        }
        let mut metered = MeteredReader {
            inner: &mut f,
            meter: meter.clone(),
        };
        match read_capped(&mut metered, limits.max_file_bytes) {
            Ok((kept, size)) => c.file(&raw, kept, size, mode & 0o111 != 0),
            Err(e) => {
                drop(metered);
                stream_error(&mut c, &meter, e)?;
                if meter.stopped.get().is_some() {
                    break;
                }
            }
        }
    }
    Ok(c.finish())
}

// ---------------------------------------------------------------------------------------------
// local directories

/// Folders not read from a local directory: version control and installed dependencies.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "__pycache__",
];

/// Read a local directory under the same limits, never following links.
pub fn read_dir(root: &Path, limits: &Limits) -> Result<Unpacked, ArchiveError> {
    let io_err = |p: &Path, e: io::Error| ArchiveError::Io {
        path: p.display().to_string(),
        source: e,
    };
    let meta = std::fs::metadata(root).map_err(|e| io_err(root, e))?;
    if !meta.is_dir() {
        return Err(ArchiveError::Malformed(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let mut c = Collector::new(*limits, false);
    let mut total: u64 = 0;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    'walk: while let Some((dir, rel)) = stack.pop() {
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| io_err(&dir, e))?
            .filter_map(Result::ok)
            .collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            let rel_path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let path = child.path();
            let ft = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) => return Err(io_err(&path, e)),
            };
            if ft.is_dir() && SKIP_DIRS.contains(&name.as_str()) {
                c.note(Finding::new(
                    "archive.skipped-dir",
                    Category::Archive,
                    Severity::Info,
                    rel_path.clone(),
                    "folder not read (version control or installed dependencies)",
                ));
                continue;
            }
            if !c.admit() {
                break 'walk;
            }
            let ftype = ft.file_type();
            if ftype.is_symlink() {
                let target = std::fs::read_link(&path)
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                c.symlink(rel_path.as_bytes(), target.as_bytes());
            } else if ftype.is_dir() {
                stack.push((path, rel_path));
            } else if ftype.is_file() {
                let file = std::fs::File::open(&path).map_err(|e| io_err(&path, e))?;
                let remaining = limits.max_total_bytes.saturating_sub(total);
                let cap = limits.max_file_bytes.min(remaining);
                let (kept, size) = read_capped(&mut io::BufReader::new(file), cap)
                    .map_err(|e| io_err(&path, e))?;
                total += kept.len() as u64;
                #[cfg(unix)]
                let exec = {
                    use std::os::unix::fs::PermissionsExt;
                    ft.permissions().mode() & 0o111 != 0
                };
                #[cfg(not(unix))]
                let exec = false;
                c.file(rel_path.as_bytes(), kept, size, exec);
                if total >= limits.max_total_bytes {
                    c.note(size_limit_finding(limits, total));
                    break 'walk;
                }
            } else {
                c.special(rel_path.as_bytes(), "special file (device, fifo or socket)");
            }
        }
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_escape_rules() {
        assert!(link_escapes("a", "/etc/passwd"));
        assert!(link_escapes("a", "../x"));
        assert!(!link_escapes("a/b", "../x"));
        assert!(link_escapes("a/b", "../../x"));
        assert!(!link_escapes("a", "b/c"));
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect_format(&[0x1f, 0x8b, 8]), Some(Format::TarGz));
        assert_eq!(detect_format(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(detect_format(b"hello"), None);
    }

    #[test]
    fn meter_stops_at_ratio_and_total() {
        let limits = Limits {
            max_total_bytes: 100 * MIB,
            ..Limits::default()
        };
        let m = Meter::new(limits);
        m.input.set(1024);
        assert!(m.account(RATIO_FLOOR).is_ok());
        assert_eq!(m.account(1), Err(Stop::Ratio));
        let m = Meter::new(limits);
        m.input.set(100 * MIB);
        assert_eq!(m.account(100 * MIB + 1), Err(Stop::Total));
    }
}
