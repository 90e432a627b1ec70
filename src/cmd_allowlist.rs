//! The binary's allowlist commands: `verdict`, `allowlist show|export|canonical|sign`,
//! `verify`, `log verify`. All the work is in `mcpvet::allowlist`; this maps flags to it and
//! results to output and exit codes (0 done, 1 policy failure, 2 error).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use mcpvet::allowlist::io::{self as aio, Allowlist};
use mcpvet::allowlist::model::Verdict;
use mcpvet::allowlist::sign::AllowedSigners;
use mcpvet::allowlist::{self, verify, AllowlistError, KeyConfig, Recorded};
use mcpvet::cli::{
    AllowlistArgs, AllowlistCommand, AllowlistLocation, LogArgs, LogCommand, RescanArgs,
    SigningArgs, VerdictArgs, VerdictChoiceArg, VerifyArgs, VerifyFormat,
};
use mcpvet::fetch::{FetchOptions, Fetcher};
use mcpvet::settings::{Settings, SigningSettings};
use mcpvet::util::escape_for_terminal;

fn esc(s: &str) -> String {
    escape_for_terminal(s, false)
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn allowlist_path(loc: &AllowlistLocation) -> PathBuf {
    aio::locate(loc.allowlist.as_deref(), &cwd())
}

fn signing_settings(settings: Option<&Path>) -> Result<SigningSettings> {
    let path = settings
        .map(Path::to_path_buf)
        .or_else(Settings::default_path);
    Ok(match path {
        Some(p) => Settings::load(&p)?.signing,
        None => SigningSettings::default(),
    })
}

fn key_config(args: &SigningArgs, allowlist: &Path, s: SigningSettings) -> KeyConfig {
    KeyConfig {
        key: args.key.clone().or(s.key),
        principal: args.principal.clone().or(s.principal),
        allowed_signers: args.allowed_signers.clone().or(s.allowed_signers),
        git_dir: allowlist.parent().map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        }),
    }
}

/// Policy refusals exit 1, everything else 2.
fn fail(e: AllowlistError) -> Result<ExitCode> {
    eprintln!("mcpvet: {}", esc(&e.to_string()));
    Ok(ExitCode::from(match e {
        AllowlistError::Policy(_) => 1,
        _ => 2,
    }))
}

pub fn verdict(args: VerdictArgs, opts: FetchOptions) -> Result<ExitCode> {
    let path = allowlist_path(&args.location);
    let key = key_config(
        &args.signing,
        &path,
        signing_settings(args.fetch.settings.as_deref())?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let fetcher = Fetcher::new(opts)?;
    let report = runtime
        .block_on(mcpvet::scan::scan(&fetcher, &args.spec))
        .map_err(|e| anyhow!("{}: {e}", args.spec))?;
    let verdict = match args.verdict {
        VerdictChoiceArg::Go => Verdict::Go,
        VerdictChoiceArg::NoGo => Verdict::NoGo,
        VerdictChoiceArg::Sandbox => Verdict::Sandbox,
    };
    // A saved review of this very artifact supplies the checklist, outcomes and notes.
    let store_dir = args
        .sessions
        .clone()
        .or_else(mcpvet::review::session::SessionStore::default_dir);
    let p = &report.package;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let session_key = mcpvet::review::session::session_key(
        &p.name,
        opt(&p.version).as_deref(),
        opt(&p.digest).as_deref(),
    );
    let session = match store_dir {
        Some(d) => mcpvet::review::session::SessionStore::new(d)
            .load(&session_key)
            .map_err(|e| anyhow!("review session: {e}"))?,
        None => None,
    };
    let mut req = allowlist::RecordRequest {
        allowlist: &path,
        name: &args.name,
        report: &report,
        checklist: "none".into(),
        outcomes: Default::default(),
        step_notes: Default::default(),
        verdict,
        reason: args.reason.clone(),
        override_reason: args.override_reason.clone(),
        notes: args.note.clone().unwrap_or_default(),
        scope: args.scope.clone().unwrap_or_default(),
        recorded: Recorded::Cli,
        key: &key,
    };
    if let Some(s) = &session {
        let mut s = s.clone();
        if s.verdict.is_none() {
            s.decide(verdict, None, None);
        }
        let from = allowlist::request_from_session(
            &path,
            &args.name,
            &report,
            &s,
            Recorded::TuiSession,
            &key,
        )
        .map_err(|e| anyhow!("{e}"))?;
        req.checklist = from.checklist;
        req.outcomes = from.outcomes;
        req.step_notes = from.step_notes;
        req.recorded = Recorded::TuiSession;
        if req.reason.is_none() && from.verdict == verdict {
            req.reason = from.reason;
        }
        if req.override_reason.is_none() {
            req.override_reason = from.override_reason;
        }
    }
    match allowlist::record(&req) {
        Ok(entry) => {
            eprintln!(
                "recorded {} for {:?}: {}@{} ({}, checklist {}), signed by {} in {}",
                entry.verdict.as_str(),
                esc(&args.name),
                esc(&entry.package),
                esc(&entry.version),
                entry.recorded,
                esc(&entry.checklist),
                esc(&entry.reviewers.join(", ")),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => fail(e),
    }
}

fn load_signers(explicit: Option<PathBuf>, allowlist: &Path) -> Result<Option<AllowedSigners>> {
    let key = KeyConfig {
        allowed_signers: explicit,
        git_dir: allowlist.parent().map(Path::to_path_buf),
        ..Default::default()
    };
    match key.allowed_signers_path() {
        Some(p) => Ok(Some(AllowedSigners::load(&p)?)),
        None => Ok(None),
    }
}

pub fn allowlist_cmd(args: AllowlistArgs) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    match args.command {
        AllowlistCommand::Show {
            location,
            allowed_signers,
        } => {
            let path = allowlist_path(&location);
            let list = match aio::load(&path) {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            let signers = load_signers(
                allowed_signers.or(signing_settings(None)?.allowed_signers),
                &path,
            )?;
            let mut out = stdout.lock();
            write!(out, "{}", show(&list, signers.as_ref()))?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AllowlistCommand::Export { location, .. } => {
            let path = allowlist_path(&location);
            let list = match aio::load(&path) {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            let mut out = stdout.lock();
            write!(out, "{}", allowlist::markdown(&list))?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AllowlistCommand::Canonical { name, location } => {
            let path = allowlist_path(&location);
            let bytes =
                match aio::load(&path).and_then(|l| l.entry(&name).map(|e| e.canonical(&name))) {
                    Ok(b) => b,
                    Err(e) => return fail(e),
                };
            let mut out = stdout.lock();
            if out.is_terminal() {
                // Exact bytes only into a pipe or file: a terminal gets them escaped.
                let text = String::from_utf8_lossy(&bytes);
                let shown = esc(&text);
                if shown != text {
                    eprintln!(
                        "mcpvet: escaped for the terminal; redirect to a file for the exact bytes"
                    );
                }
                writeln!(out, "{shown}")?;
            } else {
                out.write_all(&bytes)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AllowlistCommand::Merge { base, ours, theirs } => {
            let read = |p: &Path| {
                std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))
            };
            let (o, a, b) = (read(&base)?, read(&ours)?, read(&theirs)?);
            match aio::merge3(&o, &a, &b, &ours) {
                Ok((text, conflicts)) => {
                    if let Err(e) = aio::write_atomic(&ours, &text) {
                        return fail(e);
                    }
                    if conflicts.is_empty() {
                        Ok(ExitCode::SUCCESS)
                    } else {
                        eprintln!(
                            "mcpvet: both sides changed {}; kept ours, record the verdict again",
                            esc(&conflicts.join(", "))
                        );
                        Ok(ExitCode::from(1))
                    }
                }
                Err(e) => fail(e),
            }
        }
        AllowlistCommand::Sign {
            name,
            location,
            signing,
        } => {
            let path = allowlist_path(&location);
            let key = key_config(&signing, &path, signing_settings(None)?);
            match allowlist::cosign(&path, &name, &key) {
                Ok(sig) => {
                    eprintln!(
                        "signed {:?} as {} ({})",
                        esc(&name),
                        esc(&sig.principal),
                        sig.key
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(e),
            }
        }
    }
}

fn show(list: &Allowlist, signers: Option<&AllowedSigners>) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "{}", list.path.display());
    if !list.data.allowlist.owners.is_empty() {
        let _ = writeln!(o, "owners: {}", esc(&list.data.allowlist.owners.join(", ")));
    }
    if list.data.servers.is_empty() {
        o.push_str("no entries\n");
    }
    let now = mcpvet::provenance::now();
    for (name, e) in &list.data.servers {
        let _ = writeln!(
            o,
            "{}  {}  {}:{}@{}  risk {} {}  {}  {}",
            esc(name),
            e.verdict.as_str(),
            esc(&e.ecosystem),
            esc(&e.package),
            esc(&e.version),
            e.risk.score,
            esc(&e.risk.band),
            esc(&e.provenance),
            esc(&e.date),
        );
        let _ = writeln!(
            o,
            "    recorded {} (checklist {}), reviewers {}",
            esc(&e.recorded),
            esc(&e.checklist),
            esc(&e.reviewers.join(", "))
        );
        if let Some(ov) = &e.override_ {
            let _ = writeln!(o, "    override by {}: {}", esc(&ov.by), esc(&ov.reason));
        }
        match signers {
            Some(s) => {
                let problems = verify::check_entry(list, name, e, s, now);
                for sig in &e.signatures {
                    let bad = problems
                        .iter()
                        .any(|p| p.message.contains(&format!("({})", sig.principal)));
                    let _ = writeln!(
                        o,
                        "    signature {} {} {}",
                        esc(&sig.principal),
                        sig.key.chars().take(60).collect::<String>(),
                        if bad { "INVALID" } else { "ok" }
                    );
                }
                for p in &problems {
                    let _ = writeln!(o, "    problem: {}", esc(&p.message));
                }
            }
            None => {
                let _ = writeln!(
                    o,
                    "    {} signature(s) by {} (not checked: no allowed_signers file)",
                    e.signatures.len(),
                    esc(&e.signers().join(", "))
                );
            }
        }
        if let Some(last) = e.scans.last() {
            let _ = writeln!(
                o,
                "    last rescan {}: risk {} {}{}",
                esc(&last.date),
                last.score,
                esc(&last.band),
                if last.changes.is_empty() {
                    String::new()
                } else {
                    format!("; changed: {}", esc(&last.changes.join("; ")))
                }
            );
        }
    }
    o
}

pub fn verify_cmd(args: VerifyArgs, online: Option<FetchOptions>) -> Result<ExitCode> {
    let path = allowlist_path(&args.location);
    let list = match aio::load(&path) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let signers = match load_signers(
        args.allowed_signers
            .clone()
            .or(signing_settings(args.fetch.settings.as_deref())?.allowed_signers),
        &path,
    ) {
        Ok(Some(s)) => s,
        Ok(None) => {
            eprintln!(
                "mcpvet: no allowed_signers file: pass --allowed-signers, set \
                 signing.allowed_signers, or git's gpg.ssh.allowedSignersFile"
            );
            return Ok(ExitCode::from(2));
        }
        Err(e) => {
            eprintln!("mcpvet: {}", esc(&format!("{e:#}")));
            return Ok(ExitCode::from(2));
        }
    };
    // The configs: as given, else the project-level ones at the repository root.
    let mut servers = Vec::new();
    let mut errors = 0;
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(cwd);
    let files: Vec<(PathBuf, mcpvet::config::Client)> = if args.configs.is_empty() {
        let loc = mcpvet::config::Locations {
            home: None,
            project: Some(root.clone()),
            appdata: None,
        };
        let mut v = mcpvet::config::discover::candidates(&loc);
        v.push((
            mcpvet::config::Client::Codex,
            root.join(".codex/config.toml"),
        ));
        v.into_iter()
            .filter(|(_, p)| p.is_file())
            .map(|(c, p)| (p, c))
            .collect()
    } else {
        args.configs
            .iter()
            .map(|p| (p.clone(), mcpvet::config::Client::guess(p)))
            .collect()
    };
    for (p, client) in &files {
        match mcpvet::config::load(p, *client) {
            Ok(f) => servers.extend(f.servers.into_iter().map(|mut s| {
                // Discovered configs are named relative to the repository root.
                if let Ok(rel) = Path::new(&s.file).strip_prefix(&root) {
                    s.file = rel.display().to_string();
                }
                s
            })),
            Err(e) => {
                errors += 1;
                eprintln!("mcpvet: {}", esc(&e.to_string()));
            }
        }
    }
    if files.is_empty() {
        eprintln!("mcpvet: no MCP client configs found (pass CONFIG files)");
    }
    let mut results = verify::check_servers(&list, &signers, &servers, mcpvet::provenance::now());
    if let Some(opts) = online {
        // Each matched entry's pinned artifact, fetched and scanned once.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let fetcher = Fetcher::new(opts)?;
        let mut seen: std::collections::BTreeMap<String, Vec<verify::Reason>> = Default::default();
        for r in &mut results {
            let Some(name) = r.entry.clone() else {
                continue;
            };
            let Ok(entry) = list.entry(&name) else {
                continue;
            };
            let Some(spec) = verify::entry_spec(entry) else {
                continue;
            };
            if !seen.contains_key(&name) {
                let reasons = match runtime.block_on(mcpvet::scan::scan(&fetcher, &spec)) {
                    Ok(report) => verify::online_reasons(entry, &report),
                    Err(e) => vec![verify::Reason {
                        rule: "allowlist.digest",
                        message: format!("cannot fetch {spec} to check its digest: {e}"),
                    }],
                };
                seen.insert(name.clone(), reasons);
            }
            r.reasons.extend(seen[&name].iter().cloned());
        }
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        VerifyFormat::Json => {
            mcpvet::report::json::to_writer(
                &mut out,
                &verify::to_json(&path.display().to_string(), &results),
            )?;
            writeln!(out)?;
        }
        VerifyFormat::Sarif => {
            mcpvet::report::json::to_writer(&mut out, &verify::to_sarif(&results))?;
            writeln!(out)?;
        }
        VerifyFormat::Text => {
            for r in &results {
                if r.passed() {
                    let how = r
                        .sandbox
                        .as_deref()
                        .map(|s| format!(", sandboxed with {s}"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "ok    {}: entry {:?}, {}{how}",
                        esc(&r.label()),
                        esc(r.entry.as_deref().unwrap_or("")),
                        r.verdict.unwrap_or("")
                    )?;
                } else {
                    for reason in &r.reasons {
                        writeln!(out, "FAIL  {}: {}", esc(&r.label()), esc(&reason.message))?;
                    }
                }
            }
            writeln!(
                out,
                "{} server(s) checked against {}: {} passed, {} failed",
                results.len(),
                path.display(),
                results.len() - failed,
                failed
            )?;
        }
    }
    out.flush()?;
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn log_cmd(args: LogArgs) -> Result<ExitCode> {
    match args.command {
        LogCommand::Verify { location } => {
            let path = allowlist_path(&location);
            match allowlist::audit_log::verify(&path) {
                Ok(n) => {
                    println!(
                        "{}: {n} record(s), chain intact",
                        allowlist::audit_log::path_for(&path).display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ AllowlistError::Audit(_)) => {
                    eprintln!("mcpvet: {}", esc(&e.to_string()));
                    Ok(ExitCode::from(1))
                }
                Err(e) => fail(e),
            }
        }
    }
}

pub fn rescan_cmd(args: RescanArgs, opts: FetchOptions) -> Result<ExitCode> {
    let path = allowlist_path(&args.location);
    let list = match aio::load(&path) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let names: Vec<String> = if args.names.is_empty() {
        list.data.servers.keys().cloned().collect()
    } else {
        args.names.clone()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let fetcher = Fetcher::new(opts)?;
    let mut errors = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for name in &names {
        let entry = match list.entry(name) {
            Ok(e) => e,
            Err(e) => {
                errors += 1;
                eprintln!("mcpvet: {}", esc(&e.to_string()));
                continue;
            }
        };
        let Some(spec) = verify::entry_spec(entry) else {
            writeln!(
                out,
                "{}: {} entries have nothing to fetch; skipped",
                esc(name),
                esc(&entry.ecosystem)
            )?;
            continue;
        };
        let report = match runtime.block_on(mcpvet::scan::scan(&fetcher, &spec)) {
            Ok(r) => r,
            Err(e) => {
                errors += 1;
                eprintln!("mcpvet: {}: {}", esc(&spec), esc(&e.to_string()));
                continue;
            }
        };
        match allowlist::record_rescan(&path, name, &report) {
            Ok((rec, changes)) => {
                if changes.is_empty() {
                    writeln!(
                        out,
                        "{}: unchanged (risk {} {}; verdict stays {})",
                        esc(name),
                        rec.score,
                        rec.band,
                        entry.verdict.as_str()
                    )?;
                } else {
                    writeln!(
                        out,
                        "{}: {} change(s) since the review (verdict stays {}; review again to change it)",
                        esc(name),
                        changes.len(),
                        entry.verdict.as_str()
                    )?;
                    for c in &changes {
                        writeln!(out, "    {}", esc(&c.message))?;
                    }
                }
            }
            Err(e) => {
                errors += 1;
                eprintln!("mcpvet: {}", esc(&e.to_string()));
            }
        }
    }
    out.flush()?;
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
