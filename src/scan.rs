//! `scan`: spec → fetch → verify → unpack (in memory) → report.

use std::time::Instant;

use crate::deps::DepOptions;
use crate::fetch::{FetchError, Fetcher};
use crate::report::Report;
use crate::spec::{Spec, SpecError};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Spec(#[from] SpecError),
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Provenance(#[from] crate::provenance::ProvenanceError),
}

/// Scan one spec as typed by the user (dependencies resolved with the default bounds).
pub async fn scan(fetcher: &Fetcher, spec_text: &str) -> Result<Report, ScanError> {
    scan_with(fetcher, spec_text, &DepOptions::default()).await
}

/// [`scan`] with explicit dependency options (`--no-deps`, `--deps-depth`, `--osv-dir`).
pub async fn scan_with(
    fetcher: &Fetcher,
    spec_text: &str,
    deps: &DepOptions,
) -> Result<Report, ScanError> {
    let start = Instant::now();
    let spec = Spec::parse(spec_text)?;
    scan_spec_with(fetcher, &spec, spec_text, start, deps).await
}

pub async fn scan_spec(
    fetcher: &Fetcher,
    spec: &Spec,
    spec_text: &str,
    start: Instant,
) -> Result<Report, ScanError> {
    scan_spec_with(fetcher, spec, spec_text, start, &DepOptions::default()).await
}

pub async fn scan_spec_with(
    fetcher: &Fetcher,
    spec: &Spec,
    spec_text: &str,
    start: Instant,
    deps: &DepOptions,
) -> Result<Report, ScanError> {
    let mut fetched = fetcher.fetch(spec, spec_text).await?;
    let limits = fetcher.options().limits;
    let rules = crate::provenance::Rules::embedded()?
        .with_internal_scopes(&fetcher.options().internal_scopes);
    // The registry document the fetch used: provenance reads it, nothing asks again.
    let metadata = fetched.metadata.take();
    let dep_rules = rules.clone();
    // Decompression and analysis are CPU work: keep them off the async workers.
    let (package, mut unpacked, analysis, provenance, metadata) =
        tokio::task::spawn_blocking(move || {
            let (provenance, squats) = crate::provenance::assess(
                &fetched.package,
                metadata.as_ref(),
                &rules,
                crate::provenance::now(),
            );
            fetched.unpack(&limits).map(|(package, mut unpacked)| {
                // Look-alike names are findings like the archive's own.
                unpacked.findings.extend(squats);
                let analysis = crate::analyze::analyze(&unpacked.tree);
                (package, unpacked, analysis, provenance, metadata)
            })
        })
        .await
        .map_err(|e| FetchError::Setup(format!("analysis thread failed: {e}")))??;
    // After analysis: the manifest's dependencies through the registry the fetch used.
    let dependencies = if deps.enabled {
        crate::deps::resolve(
            fetcher,
            &package,
            &unpacked.tree,
            metadata.as_ref(),
            &dep_rules,
            deps,
            crate::provenance::now(),
        )
        .await
    } else {
        None
    };
    if let Some(d) = &dependencies {
        // Flagged dependencies are findings at the manifest line: every report and the risk
        // score see them.
        unpacked.findings.extend(d.findings());
    }
    let mut report = Report::new(
        package,
        &unpacked,
        analysis,
        provenance,
        start.elapsed().as_millis() as u64,
    );
    report.dependencies = dependencies;
    Ok(report)
}

/// The report for one server of an MCP client config, from the config alone: the derived spec
/// as the package (nothing fetched, so not verified), and the server's config findings.
pub fn config_report(
    server: &crate::config::ServerEntry,
    rules: Option<&crate::provenance::Rules>,
) -> Report {
    use crate::report::{Capabilities, Stats, ToolInfo, SCHEMA};
    let spec_text = server
        .spec
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_else(|| server.launch());
    let (ecosystem, name, version) = match &server.spec {
        Some(Spec::Npm { name, req }) | Some(Spec::Pypi { name, req }) => (
            server.spec.as_ref().map_or("config", |s| s.ecosystem()),
            name.clone(),
            match req {
                crate::spec::VersionReq::Exact(v) => v.clone(),
                _ => String::new(),
            },
        ),
        Some(s) => (s.ecosystem(), s.to_string(), String::new()),
        None => ("config", server.name.clone(), String::new()),
    };
    let findings = server.findings.clone();
    let mut notes = vec![format!(
        "server `{}` in {} ({})",
        server.name,
        server.file,
        server.client.as_str()
    )];
    if let Some(e) = &server.spec_error {
        notes.push(format!("no package to fetch: {e}"));
    }
    let mut report = Report {
        schema: SCHEMA,
        tool: ToolInfo::default(),
        package: crate::fetch::PackageInfo {
            ecosystem: ecosystem.to_string(),
            name,
            version,
            spec: spec_text,
            source: server.launch(),
            digest: String::new(),
            verified: false,
            pinned: server.pinned().unwrap_or(false),
            moving: matches!(&server.spec, Some(s @ Spec::Git { .. }) if !crate::config::findings::spec_is_fixed(s)),
            commit: None,
            artifact: "config".to_string(),
            notes,
        },
        files: Vec::new(),
        capabilities: Capabilities::from_findings(&findings),
        findings,
        tools: Vec::new(),
        risk: crate::risk::Risk::default(),
        provenance: Default::default(),
        dependencies: None,
        stats: Stats {
            files: 0,
            bytes: 0,
            entries: 0,
            elapsed_ms: 0,
        },
    };
    // What the name and source alone say (scope, vendor domain of a remote server, git owner,
    // look-alike names); registry signals need the fetch (`--deep`).
    report.capabilities.hosts = config_hosts(server);
    if let (Some(_), Some(rules)) = (&server.spec, rules) {
        let (provenance, squats) =
            crate::provenance::assess(&report.package, None, rules, crate::provenance::now());
        report.provenance = provenance;
        report.findings.extend(squats);
    }
    // Config signals (unpinned, endpoints, inline secrets, shell commands) weigh in as findings.
    report.risk = crate::risk::assess(&report);
    report
}

/// One server of a config: its config findings, and with `deep` its derived spec fetched and
/// scanned, the config findings appended after the package's (tool indices stay valid). When
/// the package cannot be fetched the config-only report is returned with the error.
pub async fn scan_server(
    fetcher: &Fetcher,
    server: &crate::config::ServerEntry,
    deep: bool,
) -> (Report, Option<ScanError>) {
    scan_server_with(fetcher, server, deep, &DepOptions::default()).await
}

/// [`scan_server`] with explicit dependency options for the `deep` scan.
pub async fn scan_server_with(
    fetcher: &Fetcher,
    server: &crate::config::ServerEntry,
    deep: bool,
    deps: &DepOptions,
) -> (Report, Option<ScanError>) {
    let start = Instant::now();
    let rules = match crate::provenance::Rules::embedded() {
        Ok(r) => r.with_internal_scopes(&fetcher.options().internal_scopes),
        Err(e) => return (config_report(server, None), Some(e.into())),
    };
    let spec = match (&server.spec, deep) {
        (Some(spec), true) if !matches!(spec, Spec::Remote { .. }) => spec,
        _ => return (config_report(server, Some(&rules)), None),
    };
    match scan_spec_with(fetcher, spec, &spec.to_string(), start, deps).await {
        Ok(mut r) => {
            r.package.notes.insert(
                0,
                format!(
                    "server `{}` in {} ({})",
                    server.name,
                    server.file,
                    server.client.as_str()
                ),
            );
            r.findings.extend(server.findings.iter().cloned());
            let mut extra = crate::report::Capabilities::from_findings(&server.findings);
            extra.hosts = config_hosts(server);
            r.capabilities.merge(extra);
            // The config's own signals (inline secrets, shell wrappers, endpoints) count too.
            r.risk = crate::risk::assess(&r);
            (r, None)
        }
        Err(e) => (config_report(server, Some(&rules)), Some(e)),
    }
}

/// Hosts named by a config server's launch: its URL, and URLs in its arguments
/// (`npx mcp-remote https://…`).
fn config_hosts(server: &crate::config::ServerEntry) -> Vec<crate::report::HostEntry> {
    let mut out: Vec<crate::report::HostEntry> = Vec::new();
    for text in server.url.iter().chain(server.args.iter()) {
        for e in crate::analyze::hosts::endpoints_in(text) {
            let h = crate::report::HostEntry {
                host: e.host,
                scheme: e.scheme,
                kind: e.kind.as_str().to_string(),
            };
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}
