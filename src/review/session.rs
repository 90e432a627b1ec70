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
use crate::util::escape_for_terminal;

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

    /// Lock the review of a scanned package and resume its session, or start a new one with
    /// `checklist` (a resumed session keeps the checklist it was started with).
    pub fn open_for(
        &self,
        report: &Report,
        checklist: &str,
    ) -> Result<(Session, SessionLock), ReviewError> {
        let fresh = Session::for_report(report, checklist);
        let (saved, lock) = self.open(&fresh.key())?;
        Ok((saved.unwrap_or(fresh), lock))
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
            serde_json::from_slice(&bytes).map_err(|e| corrupt(path.clone(), e))?;
        session.check().map_err(|problem| corrupt(path, problem))?;
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
    // The lock file is only as trustworthy as the directory: keep its text off the terminal.
    let clean = |s: &str| escape_for_terminal(&s.chars().take(200).collect::<String>(), false);
    ReviewError::Locked {
        path,
        pid: info.pid,
        host: clean(&info.host),
        since: clean(&info.since),
    }
}

fn corrupt(path: PathBuf, problem: impl std::fmt::Display) -> ReviewError {
    // serde's messages quote the input.
    ReviewError::Corrupt {
        path,
        problem: escape_for_terminal(&problem.to_string(), false),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command};

    fn store() -> (tempfile::TempDir, SessionStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path().join("reviews"));
        (dir, store)
    }

    fn sample() -> Session {
        Session::new(
            "npm:weather-mcp@1.2.3",
            "weather-mcp",
            Some("1.2.3"),
            Some("sha512-AAAA"),
            "thorough",
        )
    }

    fn write_lock(store: &SessionStore, key: &str, pid: u32, host: &str, start: Option<u64>) {
        fs::create_dir_all(store.dir()).unwrap();
        let info = LockInfo {
            pid,
            host: host.into(),
            since: "2026-01-02T03:04:05Z".into(),
            start,
        };
        fs::write(
            store.dir().join(format!("{key}.lock")),
            serde_json::to_vec(&info).unwrap(),
        )
        .unwrap();
    }

    /// A live process that is not this one.
    struct Sleeper(Child);
    impl Sleeper {
        fn spawn() -> Sleeper {
            Sleeper(Command::new("sleep").arg("30").spawn().unwrap())
        }
        fn pid(&self) -> u32 {
            self.0.id()
        }
    }
    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn dead_pid() -> u32 {
        let mut c = Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    }

    #[test]
    fn save_and_resume() {
        let (_d, store) = store();
        let mut s = sample();
        let key = s.key();
        let (prev, lock) = store.open(&key).unwrap();
        assert!(prev.is_none());
        s.set_outcome("source", Some(Outcome::Pass));
        s.set_note("source", "vendor's own repo");
        s.set_outcome("code", Some(Outcome::Uncertain));
        s.ui.insert("cursor".into(), "3".into());
        s.decide(Verdict::Sandbox, Some("code unclear".into()), None);
        store.save(&s).unwrap();
        // Saved again (autosave) over the previous file.
        s.set_outcome("code", Some(Outcome::Fail));
        store.save(&s).unwrap();
        drop(lock);
        let (back, _lock) = store.open(&key).unwrap();
        assert_eq!(back.as_ref(), Some(&s));
        let back = back.unwrap();
        assert_eq!(back.schema, SCHEMA);
        assert_eq!(back.outcomes().get("code"), Some(&Outcome::Fail));
        assert_eq!(back.steps["source"].note, "vendor's own repo");
        // Only the session and the lock are in the directory: no temp files left behind.
        let mut names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [format!("{key}.json"), format!("{key}.lock")]);
        // The JSON is the documented shape.
        let v: serde_json::Value =
            serde_json::from_slice(&fs::read(store.session_path(&key).unwrap()).unwrap()).unwrap();
        assert_eq!(v["schema"], "mcpvet/review-session/v1");
        assert_eq!(v["steps"]["code"]["outcome"], "fail");
        assert_eq!(v["verdict"]["verdict"], "sandbox");
        assert!(v["verdict"]["decided_at"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn lock_is_exclusive_and_released_on_drop() {
        let (_d, store) = store();
        let key = sample().key();
        let lock_path = store.dir().join(format!("{key}.lock"));
        let (_, lock) = store.open(&key).unwrap();
        assert!(lock_path.exists());
        let text = fs::read_to_string(&lock_path).unwrap();
        let info: LockInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(info.pid, std::process::id());
        assert_eq!(info.host, hostname());
        assert!(!info.host.is_empty());
        // A second open (another window in this process) is refused: this pid is alive.
        match store.open(&key) {
            Err(ReviewError::Locked { pid, since, .. }) => {
                assert_eq!(pid, std::process::id());
                assert_eq!(since, lock.since());
            }
            other => panic!("{other:?}"),
        }
        drop(lock);
        assert!(!lock_path.exists());
        let (_, _again) = store.open(&key).unwrap();
    }

    #[test]
    fn live_lock_of_another_process_is_reported_and_blocks_saves() {
        let (_d, store) = store();
        let s = sample();
        let key = s.key();
        let other = Sleeper::spawn();
        write_lock(&store, &key, other.pid(), &hostname(), None);
        let err = store.open(&key).unwrap_err();
        match &err {
            ReviewError::Locked {
                pid, host, since, ..
            } => {
                assert_eq!(*pid, other.pid());
                assert_eq!(host, &hostname());
                assert_eq!(since, "2026-01-02T03:04:05Z");
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "this review is open in another mcpvet (pid {} on {}) since 2026-01-02T03:04:05Z",
                other.pid(),
                hostname()
            )),
            "{msg}"
        );
        assert!(matches!(store.save(&s), Err(ReviewError::Locked { .. })));
        // Read-only viewing still works.
        assert!(store.load(&key).unwrap().is_none());
        // A lock from another host cannot be checked: it counts as live, even with a dead pid.
        let key2 = session_key("other", None, None);
        write_lock(&store, &key2, dead_pid(), "some-other-host", None);
        assert!(matches!(store.open(&key2), Err(ReviewError::Locked { .. })));
    }

    #[test]
    fn stale_locks_are_taken_over() {
        let (_d, store) = store();
        let key = sample().key();
        let lock_path = store.dir().join(format!("{key}.lock"));
        write_lock(&store, &key, dead_pid(), &hostname(), None);
        let (_, lock) = store.open(&key).unwrap();
        let info: LockInfo = serde_json::from_slice(&fs::read(&lock_path).unwrap()).unwrap();
        assert_eq!(info.pid, std::process::id());
        drop(lock);
        assert!(!lock_path.exists());
        // No stray files from the takeover.
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_reused_pid_is_not_the_holder() {
        let (_d, store) = store();
        let key = sample().key();
        let other = Sleeper::spawn();
        let start = match process_state(other.pid()) {
            ProcState::Alive(Some(s)) => s,
            _ => panic!("no start time for a live child"),
        };
        // Same pid, other start time: the holder died and the pid went to someone else.
        write_lock(&store, &key, other.pid(), &hostname(), Some(start + 1));
        let (_, _lock) = store.open(&key).unwrap();
        // Same pid and start time: the holder.
        let key2 = session_key("b", None, None);
        write_lock(&store, &key2, other.pid(), &hostname(), Some(start));
        assert!(matches!(store.open(&key2), Err(ReviewError::Locked { .. })));
    }

    #[test]
    fn unreadable_locks_wait_then_are_stale() {
        let (_d, store) = store();
        let key = sample().key();
        let lock_path = store.dir().join(format!("{key}.lock"));
        fs::create_dir_all(store.dir()).unwrap();
        fs::write(&lock_path, b"").unwrap();
        // Just created by someone who has not written it yet.
        assert!(matches!(
            store.open(&key),
            Err(ReviewError::LockUnreadable { .. })
        ));
        // Old and still empty: a crashed writer.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        File::options()
            .write(true)
            .open(&lock_path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let (_, _lock) = store.open(&key).unwrap();
    }

    #[test]
    fn corrupt_sessions_are_errors_never_overwritten() {
        let (_d, store) = store();
        let s = sample();
        let key = s.key();
        let path = store.session_path(&key).unwrap();
        fs::create_dir_all(store.dir()).unwrap();
        for bad in [
            &b"{\"schema\": \"mcpvet/review-session/v1\", \"spec\": "[..],
            b"not json",
            b"{\"schema\":\"other/v9\",\"spec\":\"\",\"package\":\"\",\"version\":null,\"digest\":null,\"checklist\":\"quick\",\"verdict\":null,\"updated\":\"\"}",
        ] {
            fs::write(&path, bad).unwrap();
            let err = store.open(&key).unwrap_err();
            assert!(matches!(err, ReviewError::Corrupt { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.starts_with(&path.display().to_string()), "{msg}");
            assert!(msg.contains("corrupt review session"), "{msg}");
            // The lock was released with the error.
            assert!(!store.dir().join(format!("{key}.lock")).exists());
            // A save does not replace it.
            assert!(matches!(store.save(&s), Err(ReviewError::Corrupt { .. })));
            assert_eq!(fs::read(&path).unwrap(), bad);
        }
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].session.is_err());
        // Moved aside on request, then a fresh start.
        let aside = store.quarantine(&key).unwrap();
        assert!(aside
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&format!("{key}.json.corrupt-")));
        assert!(aside.exists() && !path.exists());
        let (prev, _lock) = store.open(&key).unwrap();
        assert!(prev.is_none());
        store.save(&s).unwrap();
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, key);
        assert_eq!(listed[0].session.as_ref().unwrap(), &s);
    }

    #[test]
    fn keys_are_filesystem_safe_and_distinct() {
        let a = session_key(
            "@modelcontextprotocol/server-github",
            Some("1.0.0"),
            Some("sha512-x"),
        );
        assert!(
            a.starts_with("_modelcontextprotocol_server-github@1.0.0-"),
            "{a}"
        );
        assert!(valid_key(&a));
        let b = session_key(
            "@modelcontextprotocol/server-github",
            Some("1.0.0"),
            Some("sha512-y"),
        );
        assert_ne!(a, b);
        assert_ne!(
            session_key("a", Some("1"), None),
            session_key("a", None, Some("1"))
        );
        for hostile in ["../../etc/passwd", ".hidden", "", "a\0b", "C:\\x", "名前"] {
            let k = session_key(hostile, Some("../1"), None);
            assert!(valid_key(&k), "{k}");
            assert!(
                !k.contains('/') && !k.contains('\\') && !k.starts_with('.'),
                "{k}"
            );
        }
        assert!(session_key(&"x".repeat(5000), Some(&"1".repeat(5000)), None).len() <= 160);
        let (_d, store) = store();
        for bad in ["../x", ".x", "a/b", ""] {
            assert!(matches!(store.open(bad), Err(ReviewError::BadKey(_))));
        }
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_790_000_000), "2026-09-21T14:13:20Z");
        for t in [0, 951_782_400, 1_790_000_000, 4_102_444_799] {
            assert_eq!(crate::provenance::signals::parse_time(&rfc3339(t)), Some(t));
        }
    }

    const CHILD_DIR: &str = "MCPVET_TEST_REVIEW_LOCK_DIR";

    /// Run by `two_processes`: hold the review lock until told to let go.
    #[test]
    #[ignore = "helper process for two_processes"]
    fn child_holds_lock() {
        let Some(dir) = std::env::var_os(CHILD_DIR) else {
            return;
        };
        let dir = PathBuf::from(dir);
        let store = SessionStore::new(dir.join("reviews"));
        let (_, _lock) = store.open(&sample().key()).unwrap();
        fs::write(dir.join("ready"), b"").unwrap();
        for _ in 0..400 {
            if dir.join("release").exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    fn spawn_holder(dir: &Path) -> Child {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "review::session::tests::child_holds_lock",
                "--ignored",
                "--quiet",
            ])
            .env(CHILD_DIR, dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..400 {
            if dir.join("ready").exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        assert!(dir.join("ready").exists(), "child never took the lock");
        child
    }

    #[test]
    fn two_processes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path().join("reviews"));
        let key = sample().key();
        // Another process holds it: Locked with its pid; released when it exits.
        let mut child = spawn_holder(dir.path());
        match store.open(&key) {
            Err(ReviewError::Locked { pid, .. }) => assert_eq!(pid, child.id()),
            other => panic!("{other:?}"),
        }
        fs::write(dir.path().join("release"), b"").unwrap();
        assert!(child.wait().unwrap().success());
        assert!(!store.dir().join(format!("{key}.lock")).exists());
        drop(store.open(&key).unwrap());
        // Killed while holding it: the lock file stays, and is stale.
        fs::remove_file(dir.path().join("release")).unwrap();
        fs::remove_file(dir.path().join("ready")).unwrap();
        let mut child = spawn_holder(dir.path());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(store.dir().join(format!("{key}.lock")).exists());
        let (_, lock) = store.open(&key).unwrap();
        assert_eq!(lock.info.pid, std::process::id());
    }

    #[test]
    fn open_for_a_report_resumes_or_starts() {
        let (_d, store) = store();
        let r = crate::review::testing::report("mcp-org");
        let (mut s, lock) = store.open_for(&r, "quick").unwrap();
        assert_eq!(s.checklist, "quick");
        assert_eq!(s.package, "weather-mcp");
        assert_eq!(s.version.as_deref(), Some("1.2.3"));
        assert_eq!(s.digest.as_deref(), Some("sha512-AAAA"));
        assert_eq!(
            s.key(),
            session_key("weather-mcp", Some("1.2.3"), Some("sha512-AAAA"))
        );
        s.set_outcome("publisher", Some(Outcome::Pass));
        store.save(&s).unwrap();
        drop(lock);
        let (back, _lock) = store.open_for(&r, "thorough").unwrap();
        assert_eq!(back, s);
        // Another digest is another review.
        let mut other = r.clone();
        other.package.digest = "sha512-BBBB".into();
        let (fresh, _l2) = store.open_for(&other, "thorough").unwrap();
        assert!(fresh.steps.is_empty());
    }

    #[test]
    fn lock_and_corrupt_texts_are_escaped() {
        let (_d, store) = store();
        let key = sample().key();
        let other = Sleeper::spawn();
        fs::create_dir_all(store.dir()).unwrap();
        let info = LockInfo {
            pid: other.pid(),
            host: hostname(),
            since: "\u{1b}]52;c;evil\u{7}".into(),
            start: None,
        };
        fs::write(
            store.dir().join(format!("{key}.lock")),
            serde_json::to_vec(&info).unwrap(),
        )
        .unwrap();
        let msg = store.open(&key).unwrap_err().to_string();
        assert!(!msg.contains('\u{1b}') && !msg.contains('\u{7}'), "{msg:?}");
        let key2 = session_key("x", None, None);
        fs::write(
            store.session_path(&key2).unwrap(),
            "{\"verdict\": {\"verdict\": \"\\u001b[2J\"}}",
        )
        .unwrap();
        let msg = store.load(&key2).unwrap_err().to_string();
        assert!(msg.contains("unknown variant"), "{msg:?}");
        assert!(!msg.contains('\u{1b}'), "{msg:?}");
    }
}
