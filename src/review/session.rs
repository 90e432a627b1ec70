//! Review sessions (DESIGN §5): the reviewer's progress on one package, autosaved as JSON
//! (`mcpvet/review-session/v1`) in the user's state directory and resumable.
//!
//! - Saves are atomic: a temp file in the same directory, fsync, rename (then the directory is
//!   synced where the platform allows).
//! - `open` takes a lock: `<key>.lock`, created with `O_EXCL`, holding pid, hostname and time.
//!   A lock whose pid is dead on this host is stale and taken over; a live one is
//!   [`ReviewError::Locked`], so the UI can say who holds it and open read-only ([`SessionStore::load`]).
//!   The lock is released when the [`SessionLock`] is dropped.
//! - A session file that does not parse is [`ReviewError::Corrupt`] naming the file. It stays
//!   where it is (never overwritten by a save) until [`SessionStore::quarantine`] moves it aside.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::checklist::Outcome;
use super::decision::Verdict;
use super::ReviewError;
use crate::report::Report;

pub const SCHEMA: &str = "mcpvet/review-session/v1";

/// Session files larger than this are refused (a session is a few KB).
const MAX_SESSION_BYTES: u64 = 4 << 20;
/// A lock file that cannot be read and is older than this is stale (a writer needs
/// milliseconds between creating and filling it).
const UNREADABLE_LOCK_GRACE_SECS: u64 = 30;

/// The reviewer's answer to one step.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct StepState {
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub note: String,
}

/// The verdict the reviewer chose.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VerdictChoice {
    pub verdict: Verdict,
    /// Why, when it differs from the suggestion (or there was none).
    #[serde(default)]
    pub reason: Option<String>,
    /// The owner's reason for a GO or SANDBOX despite a critical risk band.
    #[serde(default)]
    pub override_reason: Option<String>,
    /// RFC 3339 UTC.
    pub decided_at: String,
}

/// One review in progress.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub schema: String,
    /// The spec as the reviewer typed it.
    pub spec: String,
    pub package: String,
    pub version: Option<String>,
    pub digest: Option<String>,
    /// Checklist id.
    pub checklist: String,
    /// Step id → the reviewer's state.
    #[serde(default)]
    pub steps: BTreeMap<String, StepState>,
    pub verdict: Option<VerdictChoice>,
    /// Free-form cursor state for the TUI (selected step, scroll positions…).
    #[serde(default)]
    pub ui: BTreeMap<String, String>,
    /// RFC 3339 UTC of the last change.
    pub updated: String,
}

impl Session {
    pub fn new(
        spec: &str,
        package: &str,
        version: Option<&str>,
        digest: Option<&str>,
        checklist: &str,
    ) -> Session {
        Session {
            schema: SCHEMA.to_string(),
            spec: spec.to_string(),
            package: package.to_string(),
            version: version.map(str::to_string),
            digest: digest.map(str::to_string),
            checklist: checklist.to_string(),
            steps: BTreeMap::new(),
            verdict: None,
            ui: BTreeMap::new(),
            updated: now_rfc3339(),
        }
    }

    /// A new session for a scanned package.
    pub fn for_report(report: &Report, checklist: &str) -> Session {
        let p = &report.package;
        fn opt(s: &str) -> Option<&str> {
            (!s.is_empty()).then_some(s)
        }
        Session::new(&p.spec, &p.name, opt(&p.version), opt(&p.digest), checklist)
    }

    /// The store key of this session.
    pub fn key(&self) -> String {
        session_key(
            &self.package,
            self.version.as_deref(),
            self.digest.as_deref(),
        )
    }

    /// Outcomes answered so far, for [`super::decision::suggest`].
    pub fn outcomes(&self) -> BTreeMap<String, Outcome> {
        self.steps
            .iter()
            .filter_map(|(id, s)| s.outcome.map(|o| (id.clone(), o)))
            .collect()
    }

    pub fn set_outcome(&mut self, step: &str, outcome: Option<Outcome>) {
        self.steps.entry(step.to_string()).or_default().outcome = outcome;
        self.touch();
    }

    pub fn set_note(&mut self, step: &str, note: &str) {
        self.steps.entry(step.to_string()).or_default().note = note.to_string();
        self.touch();
    }

    /// Record the verdict (time stamped now).
    pub fn decide(
        &mut self,
        verdict: Verdict,
        reason: Option<String>,
        override_reason: Option<String>,
    ) {
        self.verdict = Some(VerdictChoice {
            verdict,
            reason,
            override_reason,
            decided_at: now_rfc3339(),
        });
        self.touch();
    }

    /// Mark changed now.
    pub fn touch(&mut self) {
        self.updated = now_rfc3339();
    }

    fn check(&self) -> Result<(), String> {
        if self.schema != SCHEMA {
            return Err(format!(
                "schema {:?} is not {SCHEMA:?}",
                self.schema.chars().take(80).collect::<String>()
            ));
        }
        Ok(())
    }
}

/// A filesystem-safe, stable key for a package review: readable name and version, plus a
/// hash of name, version and digest so different artifacts never share a session.
pub fn session_key(package_name: &str, version: Option<&str>, digest: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [Some(package_name), version, digest] {
        match part {
            Some(p) => {
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
    let hash = hex::encode(h.finalize());
    let safe = |s: &str, max: usize| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+') {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(max)
            .collect()
    };
    let mut key = safe(package_name, 80);
    if key.is_empty() {
        key.push('_');
    }
    // Never a hidden file or a relative path component.
    if key.starts_with('.') {
        key.replace_range(0..1, "_");
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        key.push('@');
        key.push_str(&safe(v, 40));
    }
    key.push('-');
    key.push_str(&hash[..16]);
    key
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 160
        && !key.starts_with('.')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_' | b'@'))
}

/// Who holds a lock (the lock file's JSON).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
struct LockInfo {
    pid: u32,
    host: String,
    since: String,
    /// The holder's process start time (Linux clock ticks since boot): a reused pid is not
    /// the holder.
    #[serde(default)]
    start: Option<u64>,
}

/// A held review lock; dropping it removes the lock file (if it is still ours).
#[derive(Debug)]
pub struct SessionLock {
    path: PathBuf,
    info: LockInfo,
}

impl SessionLock {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// RFC 3339 time the lock was taken.
    pub fn since(&self) -> &str {
        &self.info.since
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Only remove the file if it still names us (a takeover after we were presumed dead
        // must not be undone).
        if let Ok(LockRead::Info(info)) = read_lock(&self.path) {
            if info == self.info {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// One saved session as [`SessionStore::list`] finds it.
#[derive(Debug)]
pub struct Saved {
    pub key: String,
    /// The session, or why it does not load (corrupt, unreadable).
    pub session: Result<Session, ReviewError>,
}

/// Where sessions live.
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    pub fn new(dir: PathBuf) -> SessionStore {
        SessionStore { dir }
    }

    /// `<state dir>/mcpvet/reviews` (`dirs::state_dir`, else `dirs::data_local_dir`).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .map(|d| d.join("mcpvet").join("reviews"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, key: &str, ext: &str) -> Result<PathBuf, ReviewError> {
        if !valid_key(key) {
            return Err(ReviewError::BadKey(key.chars().take(200).collect()));
        }
        Ok(self.dir.join(format!("{key}.{ext}")))
    }

    /// The session file of `key`.
    pub fn session_path(&self, key: &str) -> Result<PathBuf, ReviewError> {
        self.path_of(key, "json")
    }

    /// Lock the review and read its session (`None`: no session saved yet, start a new one).
    /// Another live mcpvet holding it gives [`ReviewError::Locked`]; a corrupt session file gives
    /// [`ReviewError::Corrupt`] (the lock is released again).
    pub fn open(&self, key: &str) -> Result<(Option<Session>, SessionLock), ReviewError> {
        let lock_path = self.path_of(key, "lock")?;
        fs::create_dir_all(&self.dir).map_err(|e| ReviewError::io(&self.dir, e))?;
        let lock = acquire(&lock_path)?;
        let session = self.load(key)?;
        Ok((session, lock))
    }

    /// Read a session without locking it (read-only viewing).
    pub fn load(&self, key: &str) -> Result<Option<Session>, ReviewError> {
        let path = self.session_path(key)?;
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ReviewError::io(&path, e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_SESSION_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ReviewError::io(&path, e))?;
        if bytes.len() as u64 > MAX_SESSION_BYTES {
            return Err(ReviewError::Corrupt {
                path,
                problem: format!("larger than {MAX_SESSION_BYTES} bytes"),
            });
        }
        let session: Session =
            serde_json::from_slice(&bytes).map_err(|e| ReviewError::Corrupt {
                path: path.clone(),
                problem: e.to_string(),
            })?;
        session
            .check()
            .map_err(|problem| ReviewError::Corrupt { path, problem })?;
        Ok(Some(session))
    }

    /// Write the session atomically (temp file in the same directory, fsync, rename). Refused
    /// when another live mcpvet holds the review's lock, and when the file on disk is corrupt
    /// (quarantine it first): nothing is silently overwritten.
    pub fn save(&self, s: &Session) -> Result<(), ReviewError> {
        let key = s.key();
        let path = self.session_path(&key)?;
        let lock_path = self.path_of(&key, "lock")?;
        if let Ok(LockRead::Info(info)) = read_lock(&lock_path) {
            if !is_self(&info) && holder_alive(&info) {
                return Err(locked(lock_path, info));
            }
        }
        if path.exists() {
            // Surfaces Corrupt: the caller decides whether to quarantine.
            self.load(&key)?;
        }
        fs::create_dir_all(&self.dir).map_err(|e| ReviewError::io(&self.dir, e))?;
        let json = serde_json::to_vec_pretty(s).map_err(|e| ReviewError::Corrupt {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        write_atomic(&self.dir, &path, &json)
    }

    /// Move a (corrupt) session file aside as `<key>.json.corrupt-<unix seconds>`; returns the
    /// new path. Only on explicit request.
    pub fn quarantine(&self, key: &str) -> Result<PathBuf, ReviewError> {
        let path = self.session_path(key)?;
        let mut aside = path.with_extension(format!("json.corrupt-{}", unix_now()));
        let mut n = 1;
        while aside.exists() {
            aside = path.with_extension(format!("json.corrupt-{}-{n}", unix_now()));
            n += 1;
        }
        fs::rename(&path, &aside).map_err(|e| ReviewError::io(&path, e))?;
        Ok(aside)
    }

    /// Every saved session, by key; corrupt ones as their error. No directory yet: empty.
    pub fn list(&self) -> Result<Vec<Saved>, ReviewError> {
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ReviewError::io(&self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| ReviewError::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(key) = name.strip_suffix(".json") else {
                continue;
            };
            if !valid_key(key) {
                continue;
            }
            let loaded = match self.load(key) {
                Ok(Some(s)) => Ok(s),
                Ok(None) => continue, // removed meanwhile
                Err(e) => Err(e),
            };
            out.push(Saved {
                key: key.to_string(),
                session: loaded,
            });
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), ReviewError> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".session-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| ReviewError::io(dir, e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| ReviewError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| ReviewError::io(path, e.error))?;
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

enum LockRead {
    Missing,
    Info(LockInfo),
    /// Present but not (yet) a lock: the problem and the file's age in seconds.
    Unreadable(String, u64),
}

fn read_lock(path: &Path) -> Result<LockRead, ReviewError> {
    let mut bytes = Vec::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(LockRead::Missing),
        Err(e) => return Err(ReviewError::io(path, e)),
    };
    let age = file
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    file.take(64 * 1024)
        .read_to_end(&mut bytes)
        .map_err(|e| ReviewError::io(path, e))?;
    match serde_json::from_slice::<LockInfo>(&bytes) {
        Ok(info) => Ok(LockRead::Info(info)),
        Err(e) => Ok(LockRead::Unreadable(e.to_string(), age)),
    }
}

fn locked(path: PathBuf, info: LockInfo) -> ReviewError {
    ReviewError::Locked {
        path,
        pid: info.pid,
        host: info.host,
        since: info.since,
    }
}

fn is_self(info: &LockInfo) -> bool {
    info.pid == std::process::id() && info.host == hostname()
}

/// Is the lock's holder (possibly) still running? Another host cannot be checked: assume so.
fn holder_alive(info: &LockInfo) -> bool {
    if info.host != hostname() {
        return true;
    }
    match process_state(info.pid) {
        ProcState::Dead => false,
        ProcState::Alive(start) => match (info.start, start) {
            // The pid was reused by a process that started at another time.
            (Some(a), Some(b)) => a == b,
            _ => true,
        },
    }
}

fn acquire(path: &Path) -> Result<SessionLock, ReviewError> {
    // A few rounds: each either takes the lock, reports the holder, or removes a stale lock.
    for _ in 0..5 {
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut f) => {
                let info = LockInfo {
                    pid: std::process::id(),
                    host: hostname(),
                    since: now_rfc3339(),
                    start: match process_state(std::process::id()) {
                        ProcState::Alive(s) => s,
                        ProcState::Dead => None,
                    },
                };
                let json = serde_json::to_vec(&info).unwrap_or_default();
                if let Err(e) = f.write_all(&json).and_then(|_| f.sync_all()) {
                    let _ = fs::remove_file(path);
                    return Err(ReviewError::io(path, e));
                }
                return Ok(SessionLock {
                    path: path.to_path_buf(),
                    info,
                });
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(ReviewError::io(path, e)),
        }
        let stale = match read_lock(path)? {
            LockRead::Missing => continue,
            LockRead::Info(info) => {
                if holder_alive(&info) {
                    return Err(locked(path.to_path_buf(), info));
                }
                Some(info)
            }
            LockRead::Unreadable(problem, age) => {
                if age < UNREADABLE_LOCK_GRACE_SECS {
                    return Err(ReviewError::LockUnreadable {
                        path: path.to_path_buf(),
                        problem,
                    });
                }
                None
            }
        };
        take_over(path, stale)?;
    }
    Err(ReviewError::LockUnreadable {
        path: path.to_path_buf(),
        problem: "the lock kept changing while it was taken; try again".into(),
    })
}

/// Move a stale lock aside. If what was moved is not the stale lock that was read (another
/// process took over in between), put it back and report that holder.
fn take_over(path: &Path, stale: Option<LockInfo>) -> Result<(), ReviewError> {
    let aside = path.with_extension(format!("lock.stale-{}", std::process::id()));
    match fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(ReviewError::io(path, e)),
    }
    let moved = read_lock(&aside)?;
    let same = match (&moved, &stale) {
        (LockRead::Info(m), Some(s)) => m == s,
        (LockRead::Unreadable(..), None) => true,
        _ => false,
    };
    if same {
        let _ = fs::remove_file(&aside);
        return Ok(());
    }
    // We moved a fresh lock: restore it unless someone holds the path again already.
    let _ = fs::hard_link(&aside, path);
    let _ = fs::remove_file(&aside);
    match moved {
        LockRead::Info(info) => Err(locked(path.to_path_buf(), info)),
        _ => Err(ReviewError::LockUnreadable {
            path: path.to_path_buf(),
            problem: "another mcpvet is taking the lock".into(),
        }),
    }
}

enum ProcState {
    Dead,
    /// Running, with its start time when the platform gives it.
    Alive(Option<u64>),
}

#[cfg(target_os = "linux")]
fn process_state(pid: u32) -> ProcState {
    if pid == 0 {
        return ProcState::Dead;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // `pid (comm) state ppid …`: comm may hold spaces and parens; fields follow the
            // last ')'. Field 3 is the state, field 22 the start time.
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return ProcState::Alive(None);
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
                return ProcState::Dead;
            }
            ProcState::Alive(fields.get(19).and_then(|s| s.parse().ok()))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => ProcState::Dead,
        // Cannot tell (no /proc?): ask the kernel.
        Err(_) => kill_probe(pid),
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn process_state(pid: u32) -> ProcState {
    kill_probe(pid)
}

#[cfg(unix)]
fn kill_probe(pid: u32) -> ProcState {
    let Ok(pid) = i32::try_from(pid) else {
        return ProcState::Dead;
    };
    if pid <= 0 {
        return ProcState::Dead;
    }
    // SAFETY: signal 0 performs only the existence and permission check; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    if r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
        ProcState::Alive(None)
    } else {
        ProcState::Dead
    }
}

#[cfg(not(unix))]
fn process_state(_pid: u32) -> ProcState {
    // No portable check: a lock is never presumed stale.
    ProcState::Alive(None)
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
        let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if r == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

fn unix_now() -> i64 {
    crate::provenance::now()
}

/// Now as RFC 3339 UTC (`2026-11-21T09:30:00Z`).
pub fn now_rfc3339() -> String {
    rfc3339(unix_now())
}

/// Unix seconds → RFC 3339 UTC.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
