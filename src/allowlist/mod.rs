//! The allowlist (DESIGN §5, issue 6): signed verdicts in `mcp-allowlist.toml`, an audit log
//! beside it, and the checks `mcpvet verify` runs in CI.
//!
//! - [`model`]: entries and the canonical serialization signatures cover.
//! - [`io`]: locating, strict reading, locked atomic format-preserving writes.
//! - [`sign`]: SSH signatures (`ssh-keygen -Y sign` format, namespace `mcpvet-verdict`) and
//!   the OpenSSH `allowed_signers` file.
//! - [`verify`]: entry signatures and overrides; MCP client configs against the allowlist.
//! - [`audit_log`]: `.mcpvet/audit.jsonl`, hash-chained.
//!
//! [`record`] is the one call that turns a report, a checklist's outcomes and a verdict into a
//! signed entry (the TUI's verdict screen and `mcpvet verdict` both use it); [`cosign`] adds a
//! teammate's signature.

pub mod audit_log;
pub mod io;
pub mod model;
pub mod sign;
pub mod time;
pub mod verify;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::report::Report;
use audit_log::Event;
use model::{Entry, EntryCapabilities, Outcome, Override, RiskSummary, Signature, Verdict};
pub use sign::KeyConfig;

#[derive(Debug, thiserror::Error)]
pub enum AllowlistError {
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}: no allowlist here (record a verdict first, or pass --allowlist)")]
    Missing(String),
    #[error("{path}: no entry named {name:?}")]
    NoEntry { path: String, name: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Signers {
        path: String,
        line: usize,
        message: String,
    },
    #[error("signing key: {0}")]
    Key(String),
    #[error("signing: {0}")]
    Sign(String),
    #[error("{0}")]
    Policy(String),
    #[error("audit log: {0}")]
    Audit(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AllowlistError {
    pub fn io(path: &str, e: std::io::Error) -> AllowlistError {
        AllowlistError::Io {
            path: path.to_string(),
            message: e.to_string(),
        }
    }
}

/// How an entry came to be (the entry says so: no checklist bypass is silent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The TUI's verdict screen.
    Tui,
    /// `mcpvet verdict` with a saved review session for the package.
    TuiSession,
    /// `mcpvet verdict` without a review: `checklist = "none"`.
    Cli,
}

impl Recorded {
    pub fn as_str(self) -> &'static str {
        match self {
            Recorded::Tui => "tui",
            Recorded::TuiSession => "tui-session",
            Recorded::Cli => "cli",
        }
    }
}

/// Everything [`record`] needs.
#[derive(Debug, Clone)]
pub struct RecordRequest<'a> {
    /// The allowlist file (see [`io::locate`]).
    pub allowlist: &'a Path,
    /// The server name the entry is kept under (as MCP client configs name it).
    pub name: &'a str,
    pub report: &'a Report,
    /// Checklist id (`thorough`, `quick`) or `none`.
    pub checklist: String,
    pub outcomes: BTreeMap<String, Outcome>,
    pub step_notes: BTreeMap<String, String>,
    pub verdict: Verdict,
    /// Why the reviewer chose otherwise than the suggested verdict.
    pub reason: Option<String>,
    /// An owner's reason to allow a critical band.
    pub override_reason: Option<String>,
    pub notes: String,
    /// The minimum credential scope the reviewer confirmed.
    pub scope: String,
    pub recorded: Recorded,
    pub key: &'a KeyConfig,
}

fn valid_name(name: &str) -> Result<(), AllowlistError> {
    if name.trim().is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(AllowlistError::Policy(format!(
            "server name {name:?} must be 1–200 characters without control characters"
        )));
    }
    Ok(())
}

/// The entry a report and a verdict make (unsigned).
pub fn build_entry(req: &RecordRequest, reviewer: &str) -> Entry {
    let r = req.report;
    let caps = &r.capabilities;
    let hosts = caps
        .hosts
        .iter()
        .map(|h| {
            if h.scheme.is_empty() {
                h.host.clone()
            } else {
                format!("{}://{}", h.scheme, h.host)
            }
        })
        .collect();
    Entry {
        ecosystem: r.package.ecosystem.clone(),
        package: r.package.name.clone(),
        version: r.package.version.clone(),
        digest: r.package.digest.clone(),
        source: r.package.source.clone(),
        commit: r.package.commit.clone(),
        provenance: if r.provenance.class.is_empty() {
            "unknown".into()
        } else {
            r.provenance.class.clone()
        },
        verdict: req.verdict,
        checklist: req.checklist.clone(),
        recorded: req.recorded.as_str().to_string(),
        reviewers: vec![reviewer.to_string()],
        date: time::now_rfc3339(),
        notes: req.notes.clone(),
        reason: req.reason.clone().filter(|s| !s.trim().is_empty()),
        risk: RiskSummary {
            score: r.risk.score,
            band: r.risk.band.as_str().to_string(),
        },
        capabilities: EntryCapabilities {
            hosts,
            env: caps.env.clone(),
            credentials: caps.sensitive_reads.clone(),
            exec: caps.exec.clone(),
            scope: req.scope.clone(),
        },
        outcomes: req.outcomes.clone(),
        step_notes: req.step_notes.clone(),
        tools: r
            .tools
            .iter()
            .map(|t| (t.name.clone(), t.hash.clone()))
            .collect(),
        override_: None,
        signatures: Vec::new(),
        scans: Vec::new(),
    }
}

/// The owners named in the allowlist's header (none when the file does not exist yet).
fn owners(allowlist: &Path) -> Result<Vec<String>, AllowlistError> {
    match io::load(allowlist) {
        Ok(a) => Ok(a.data.allowlist.owners),
        Err(AllowlistError::Missing(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn sign_entry(
    signer: &sign::Signer,
    entry: &Entry,
    name: &str,
) -> Result<Signature, AllowlistError> {
    let armored = signer.sign(&entry.canonical(name))?;
    Ok(Signature {
        principal: signer.principal.clone(),
        key: sign::fingerprint(&signer.public),
        signed_at: time::now_rfc3339(),
        signature: armored,
    })
}

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::util::sha256_hex(bytes))
}

/// A request from a saved review session (the TUI's, or one `mcpvet verdict` finds): its
/// checklist, outcomes, step notes and verdict choice. Errors when no verdict was chosen.
pub fn request_from_session<'a>(
    allowlist: &'a Path,
    name: &'a str,
    report: &'a Report,
    session: &crate::review::session::Session,
    recorded: Recorded,
    key: &'a KeyConfig,
) -> Result<RecordRequest<'a>, AllowlistError> {
    let choice = session.verdict.as_ref().ok_or_else(|| {
        AllowlistError::Policy(format!(
            "the review of {} has no verdict yet",
            session.package
        ))
    })?;
    Ok(RecordRequest {
        allowlist,
        name,
        report,
        checklist: session.checklist.clone(),
        outcomes: session.outcomes(),
        step_notes: session
            .steps
            .iter()
            .filter(|(_, s)| !s.note.trim().is_empty())
            .map(|(id, s)| (id.clone(), s.note.clone()))
            .collect(),
        verdict: choice.verdict,
        reason: choice.reason.clone(),
        override_reason: choice.override_reason.clone(),
        notes: String::new(),
        scope: String::new(),
        recorded,
        key,
    })
}

/// Check, sign and write one entry (replacing an entry of the same name), and log the verdict,
/// the signature and any override. Policy:
/// - the artifact must have been verified against its registry digest (local files: computed);
/// - a critical risk band allows only `no-go`, unless an owner records an override with a
///   reason (the owner signs the entry);
/// - with a checklist, a verdict other than the suggested one needs a reason.
pub fn record(req: &RecordRequest) -> Result<Entry, AllowlistError> {
    valid_name(req.name)?;
    let pkg = &req.report.package;
    if pkg.digest.is_empty() || (!pkg.verified && pkg.ecosystem != "local") {
        return Err(AllowlistError::Policy(format!(
            "{}: the artifact was not verified against a digest; nothing to pin an entry to",
            pkg.spec
        )));
    }
    if pkg.version.is_empty() && pkg.ecosystem != "local" {
        return Err(AllowlistError::Policy(format!(
            "{}: no exact version to pin",
            pkg.spec
        )));
    }
    let signer = req.key.signer()?;
    // A broken audit chain is not extended: refuse before anything is written.
    preflight_log(req.allowlist)?;
    let mut entry = build_entry(req, &signer.principal);

    if req.checklist != "none" {
        let checklist = crate::review::checklist::builtin(&req.checklist).ok_or_else(|| {
            AllowlistError::Policy(format!(
                "unknown checklist {:?} (known: {})",
                req.checklist,
                crate::review::checklist::builtin_ids().join(", ")
            ))
        })?;
        let suggested = crate::review::decision::suggest(&checklist, &req.outcomes, req.report);
        if crate::review::decision::needs_reason(&suggested, req.verdict) && entry.reason.is_none()
        {
            return Err(AllowlistError::Policy(format!(
                "the checklist suggests {}; choosing {} needs a reason",
                describe(&suggested),
                verdict_str(req.verdict)
            )));
        }
    }

    let override_reason = req
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if crate::review::decision::override_required(req.report, req.verdict)
        || entry.is_critical() && req.verdict != Verdict::NoGo
    {
        let owners = owners(req.allowlist)?;
        let Some(reason) = override_reason else {
            return Err(AllowlistError::Policy(format!(
                "risk band is critical (score {}): a {} verdict needs an owner's override with a \
                 reason (--override-reason)",
                entry.risk.score,
                verdict_str(req.verdict)
            )));
        };
        if !owners.contains(&signer.principal) {
            return Err(AllowlistError::Policy(format!(
                "risk band is critical: only an owner may override it, and {:?} is not one \
                 (owners in the allowlist header: {})",
                signer.principal,
                if owners.is_empty() {
                    "none".to_string()
                } else {
                    owners.join(", ")
                }
            )));
        }
        entry.override_ = Some(Override {
            by: signer.principal.clone(),
            reason: reason.to_string(),
        });
    }

    let sig = sign_entry(&signer, &entry, req.name)?;
    entry.signatures.push(sig);
    io::update(req.allowlist, |ed| ed.put_entry(req.name, &entry))?;

    let canonical_hash = digest_of(&entry.canonical(req.name));
    let mut data: BTreeMap<String, Value> = BTreeMap::new();
    data.insert("verdict".into(), verdict_str(entry.verdict).into());
    data.insert("package".into(), entry.package.clone().into());
    data.insert("version".into(), entry.version.clone().into());
    data.insert("digest".into(), entry.digest.clone().into());
    data.insert("recorded".into(), entry.recorded.clone().into());
    data.insert("checklist".into(), entry.checklist.clone().into());
    data.insert(
        "risk".into(),
        format!("{} {}", entry.risk.score, entry.risk.band).into(),
    );
    data.insert("entry".into(), canonical_hash.clone().into());
    audit_log::append(
        req.allowlist,
        Event::Verdict,
        req.name,
        &signer.principal,
        data,
    )?;
    if let Some(o) = &entry.override_ {
        let data = [
            ("reason".to_string(), Value::from(o.reason.clone())),
            ("entry".to_string(), Value::from(canonical_hash.clone())),
        ]
        .into();
        audit_log::append(req.allowlist, Event::Override, req.name, &o.by, data)?;
    }
    log_signature(
        req.allowlist,
        req.name,
        &entry.signatures[0],
        &canonical_hash,
    )?;
    Ok(entry)
}

/// The audit chain must be intact before anything is recorded (appending would hide a break).
fn preflight_log(allowlist: &Path) -> Result<(), AllowlistError> {
    audit_log::verify(allowlist)
        .map(|_| ())
        .map_err(|e| match e {
            AllowlistError::Audit(m) => AllowlistError::Audit(format!(
                "{m}; nothing recorded (restore the log from the repository's history)"
            )),
            other => other,
        })
}

fn log_signature(
    allowlist: &Path,
    name: &str,
    sig: &Signature,
    canonical_hash: &str,
) -> Result<(), AllowlistError> {
    let data = [
        ("key".to_string(), Value::from(sig.key.clone())),
        ("entry".to_string(), Value::from(canonical_hash.to_string())),
    ]
    .into();
    audit_log::append(allowlist, Event::Signature, name, &sig.principal, data)?;
    Ok(())
}

/// A teammate's co-signature on an existing entry (the entry itself unchanged).
pub fn cosign(allowlist: &Path, name: &str, key: &KeyConfig) -> Result<Signature, AllowlistError> {
    let signer = key.signer()?;
    let list = io::load(allowlist)?;
    preflight_log(allowlist)?;
    let entry = list.entry(name)?.clone();
    let fp = sign::fingerprint(&signer.public);
    if entry
        .signatures
        .iter()
        .any(|s| s.principal == signer.principal && s.key == fp)
    {
        return Err(AllowlistError::Policy(format!(
            "{name:?} is already signed by {} with this key",
            signer.principal
        )));
    }
    let canonical = entry.canonical(name);
    let sig = sign_entry(&signer, &entry, name)?;
    io::update(allowlist, |ed| {
        let now = ed.data.servers.get(name).map(|e| e.canonical(name));
        if now.as_deref() != Some(canonical.as_slice()) {
            return Err(AllowlistError::Policy(format!(
                "entry {name:?} changed while signing; sign again"
            )));
        }
        ed.push_signature(name, &sig)
    })?;
    log_signature(allowlist, name, &sig, &digest_of(&canonical))?;
    Ok(sig)
}

pub fn verdict_str(v: Verdict) -> &'static str {
    v.as_str()
}

fn describe(s: &crate::review::decision::Suggestion) -> String {
    match s {
        crate::review::decision::Suggestion::Verdict { verdict, reason } => {
            format!("{} ({reason})", verdict_str(*verdict))
        }
        crate::review::decision::Suggestion::Escalate { reason } => {
            format!("escalating before a verdict ({reason})")
        }
    }
}

/// The human table: MCP, package, version, provenance, verdict, risk, hosts, reviewed,
/// reviewers (every cell escaped for Markdown and terminals).
pub fn markdown(list: &io::Allowlist) -> String {
    use crate::report::markdown::{code, text};
    use std::fmt::Write as _;
    let mut o = String::from(
        "| MCP | package | version | provenance | verdict | risk | hosts | reviewed | reviewers |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (name, e) in &list.data.servers {
        let hosts: Vec<String> = e
            .capabilities
            .hosts
            .iter()
            .map(|h| {
                code(
                    h.split_once("://").map_or(h.as_str(), |(_, host)| host),
                    true,
                )
            })
            .collect();
        let verdict = match &e.override_ {
            Some(_) => format!("{} (override)", e.verdict.as_str()),
            None => e.verdict.as_str().to_string(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} {} | {} | {} | {} |",
            text(name),
            code(&format!("{}:{}", e.ecosystem, e.package), true),
            code(&e.version, true),
            text(&e.provenance),
            verdict,
            e.risk.score,
            text(&e.risk.band),
            if hosts.is_empty() {
                "none".to_string()
            } else {
                hosts.join(", ")
            },
            text(e.date.get(..10).unwrap_or(&e.date)),
            e.signers()
                .iter()
                .map(|s| code(s, true))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    o
}

/// `mcpvet rescan` for one entry: compare a fresh report of what the entry pins, append the
/// result to the entry's scan history (unsigned, outside the canonical bytes) and to the audit
/// log. The verdict is never changed.
pub fn record_rescan(
    allowlist: &Path,
    name: &str,
    report: &Report,
) -> Result<(model::ScanRecord, Vec<verify::Change>), AllowlistError> {
    let list = io::load(allowlist)?;
    let entry = list.entry(name)?;
    preflight_log(allowlist)?;
    let changes = verify::changes(entry, report);
    let rec = model::ScanRecord {
        date: time::now_rfc3339(),
        version: report.package.version.clone(),
        digest: report.package.digest.clone(),
        score: report.risk.score,
        band: report.risk.band.as_str().to_string(),
        changes: changes.iter().map(|c| c.message.clone()).collect(),
    };
    io::update(allowlist, |ed| ed.push_scan(name, &rec))?;
    let data = [
        ("version".to_string(), Value::from(rec.version.clone())),
        ("digest".to_string(), Value::from(rec.digest.clone())),
        (
            "risk".to_string(),
            Value::from(format!("{} {}", rec.score, rec.band)),
        ),
        ("changes".to_string(), Value::from(rec.changes.clone())),
    ]
    .into();
    audit_log::append(allowlist, Event::Rescan, name, "", data)?;
    Ok((rec, changes))
}

/// Audit record for the TUI: a review of `server` was opened.
pub fn log_review_opened(
    allowlist: &Path,
    server: &str,
    actor: &str,
    report: &Report,
    checklist: &str,
) -> Result<(), AllowlistError> {
    let p = &report.package;
    let data = [
        ("package".to_string(), Value::from(p.name.clone())),
        ("version".to_string(), Value::from(p.version.clone())),
        ("digest".to_string(), Value::from(p.digest.clone())),
        ("checklist".to_string(), Value::from(checklist.to_string())),
    ]
    .into();
    audit_log::append(allowlist, Event::ReviewOpened, server, actor, data).map(|_| ())
}

/// Audit record for the TUI: a checklist step was marked.
pub fn log_step_marked(
    allowlist: &Path,
    server: &str,
    actor: &str,
    step: &str,
    outcome: Option<Outcome>,
) -> Result<(), AllowlistError> {
    let data = [
        ("step".to_string(), Value::from(step.to_string())),
        (
            "outcome".to_string(),
            outcome.map_or(Value::Null, |o| Value::from(o.as_str())),
        ),
    ]
    .into();
    audit_log::append(allowlist, Event::StepMarked, server, actor, data).map(|_| ())
}
