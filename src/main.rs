//! The `mcpvet` binary: parse arguments, call the library, map results to exit codes
//! (0 done, 1 policy failure, 2 error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::Parser;

use mcpvet::cli::{
    Cli, Command, ConfigsArgs, ConfigsFormat, FetchArgs, OutputFormat, ReviewArgs, ScanArgs,
};
use mcpvet::config::{self, Client, Locations, ServerEntry};
use mcpvet::fetch::{base_url, cache::Cache, FetchOptions, Fetcher, Registries};
use mcpvet::report::{self, Report};
use mcpvet::settings::{parse_size, Settings};
use mcpvet::util::escape_for_terminal;

mod cmd_allowlist;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mcpvet: {}", escape_for_terminal(&format!("{e:#}"), false));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Scan(args)) => scan(args),
        Some(Command::Configs(args)) => configs(args),
        Some(Command::Verdict(args)) => {
            let opts = fetch_options(&args.fetch)?;
            cmd_allowlist::verdict(args, opts)
        }
        Some(Command::Allowlist(args)) => cmd_allowlist::allowlist_cmd(args),
        Some(Command::Verify(args)) => {
            let opts = match args.online {
                true => Some(fetch_options(&args.fetch)?),
                false => None,
            };
            cmd_allowlist::verify_cmd(args, opts)
        }
        Some(Command::Rescan(args)) => {
            let opts = fetch_options(&args.fetch)?;
            cmd_allowlist::rescan_cmd(args, opts)
        }
        Some(Command::Log(args)) => cmd_allowlist::log_cmd(args),
        Some(Command::Review(args)) => review(args),
        // No command: the workstation, with flags and environment as `review` reads them.
        None => match Cli::parse_from(["mcpvet", "review"]).command {
            Some(Command::Review(args)) => review(args),
            _ => review(ReviewArgs::default()),
        },
    }
}

fn load_settings(args: &FetchArgs) -> Result<Settings> {
    let settings_path = args.settings.clone().or_else(Settings::default_path);
    Ok(match &settings_path {
        Some(p) => Settings::load(p)?,
        None => Settings::default(),
    })
}

fn review(args: ReviewArgs) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        eprintln!("mcpvet: the review workstation needs a terminal (stdout is not a TTY); use `mcpvet scan` for output to a file or pipe");
        return Ok(ExitCode::from(2));
    }
    let settings = load_settings(&args.fetch)?;
    let fetch = fetch_options(&args.fetch)?;
    let checklist = args
        .checklist
        .or(settings.tui.checklist)
        .unwrap_or_else(|| "thorough".into());
    if mcpvet::review::checklist::builtin(&checklist).is_none() {
        return Err(anyhow!(
            "--checklist {checklist}: not one of {}",
            mcpvet::review::checklist::builtin_ids().join(", ")
        ));
    }
    let opts = mcpvet::tui::Options {
        specs: args.specs,
        fetch,
        deps: mcpvet::deps::DepOptions::default(),
        state_dir: args
            .state_dir
            .or_else(mcpvet::review::SessionStore::default_dir),
        checklist,
        keymap: args
            .keymap
            .or(settings.tui.keymap)
            .unwrap_or_else(|| "default".into()),
        theme: args
            .theme
            .or(settings.tui.theme)
            .unwrap_or_else(|| "dark".into()),
        config_dir: dirs::config_dir().map(|d| d.join("mcpvet")),
        locations: Locations::from_env(),
        record: None,
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
    let allowlist = mcpvet::allowlist::io::locate(args.allowlist.as_deref(), &cwd);
    let signing = settings.signing;
    let opts = mcpvet::tui::Options {
        record: Some(mcpvet::tui::app::RecordTarget {
            key: mcpvet::allowlist::KeyConfig {
                key: args.key.or(signing.key),
                principal: args.principal.or(signing.principal),
                allowed_signers: signing.allowed_signers,
                git_dir: allowlist
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| p.to_path_buf())
                    .or(Some(std::path::PathBuf::from("."))),
            },
            allowlist,
        }),
        ..opts
    };
    mcpvet::tui::run(opts)?;
    Ok(ExitCode::SUCCESS)
}

fn fetch_options(args: &FetchArgs) -> Result<FetchOptions> {
    let settings = load_settings(args)?;
    let mut opts = FetchOptions::default();
    let npm = args.npm_registry.clone().or(settings.registries.npm);
    let pypi = args.pypi_index.clone().or(settings.registries.pypi);
    opts.registries = Registries {
        npm: match npm {
            Some(u) => base_url(&u)?,
            None => opts.registries.npm,
        },
        pypi: match pypi {
            Some(u) => base_url(&u)?,
            None => opts.registries.pypi,
        },
    };
    let cache_dir = args
        .cache_dir
        .clone()
        .or_else(|| {
            std::env::var_os("MCPVET_CACHE_DIR")
                .filter(|d| !d.is_empty())
                .map(Into::into)
        })
        .or(settings.fetch.cache_dir)
        .unwrap_or_else(Cache::default_dir);
    opts.cache = Cache::new(cache_dir);
    opts.offline = args.offline;
    if let Some(t) = args.timeout.or(settings.fetch.timeout_secs) {
        opts.timeout = Duration::from_secs(t.max(1));
    }
    if let Some(r) = args.retries.or(settings.fetch.retries) {
        opts.retries = r;
    }
    if let Some(t) = settings.fetch.metadata_ttl_secs {
        opts.metadata_ttl = Duration::from_secs(t);
    }
    let size = |flag: &Option<String>, file: &Option<String>, name: &str| -> Result<Option<u64>> {
        match flag.as_ref().or(file.as_ref()) {
            Some(s) => Ok(Some(parse_size(s).map_err(|e| anyhow!("{name}: {e}"))?)),
            None => Ok(None),
        }
    };
    if let Some(v) = size(&args.max_total, &settings.limits.max_total, "--max-total")? {
        opts.limits.max_total_bytes = v;
        opts.max_download = opts.max_download.max(v);
    }
    if let Some(v) = size(&args.max_file, &settings.limits.max_file, "--max-file")? {
        opts.limits.max_file_bytes = v;
    }
    if let Some(v) = args.max_entries.or(settings.limits.max_entries) {
        opts.limits.max_entries = v;
    }
    if let Some(v) = args.max_ratio.or(settings.limits.max_ratio) {
        opts.limits.max_ratio = v.max(1);
    }
    opts.internal_scopes = settings.provenance.internal_scopes;
    Ok(opts)
}

/// Dependency resolution options from the flags; the OSV directory is read once here.
fn dep_options(args: &ScanArgs) -> Result<mcpvet::deps::DepOptions> {
    let mut d = mcpvet::deps::DepOptions {
        enabled: !args.no_deps,
        depth: args.deps_depth,
        ..Default::default()
    };
    if let Some(dir) = &args.osv_dir {
        d.osv = Some(std::sync::Arc::new(mcpvet::deps::osv::OsvIndex::load(dir)?));
    }
    Ok(d)
}

/// One unit of `scan` work: a spec as typed, or one server of a config.
enum Job {
    Spec(String),
    Server(Box<ServerEntry>),
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let opts = fetch_options(&args.fetch)?;
    let mut failed = false;
    // Specs in order (a config file given as a spec expands into its servers), then --config.
    let mut jobs = Vec::new();
    let mut config_files = Vec::new();
    for spec in &args.specs {
        let p = std::path::Path::new(spec);
        if config::looks_like_config(p) {
            config_files.push(p.to_path_buf());
        } else {
            jobs.push(Job::Spec(spec.clone()));
        }
    }
    config_files.extend(args.config_files.iter().cloned());
    let single = jobs.len() == 1 && config_files.is_empty();
    for path in &config_files {
        match config::load(path, Client::guess(path)) {
            Ok(file) => {
                if file.servers.is_empty() {
                    eprintln!(
                        "mcpvet: {}: no MCP servers in this file",
                        escape_for_terminal(&file.path, false)
                    );
                }
                jobs.extend(file.servers.into_iter().map(|s| Job::Server(Box::new(s))));
            }
            Err(e) => {
                failed = true;
                eprintln!("mcpvet: {}", escape_for_terminal(&e.to_string(), false));
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let fetcher = std::sync::Arc::new(Fetcher::new(opts)?);
    let deep = args.deep;
    let deps = std::sync::Arc::new(dep_options(&args)?);
    // Jobs run concurrently (a few at a time); results are reported in input order.
    let results: Vec<(String, Result<Report, mcpvet::scan::ScanError>)> = runtime.block_on(async {
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
        let mut handles = Vec::new();
        for job in jobs {
            let fetcher = fetcher.clone();
            let sem = sem.clone();
            let deps = deps.clone();
            handles.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await;
                match job {
                    Job::Spec(spec) => {
                        let r = mcpvet::scan::scan_with(&fetcher, &spec, &deps).await;
                        vec![(spec, r)]
                    }
                    Job::Server(server) => {
                        let (report, err) =
                            mcpvet::scan::scan_server_with(&fetcher, &server, deep, &deps).await;
                        let label = format!("{}: server `{}`", server.file, server.name);
                        let mut out = Vec::new();
                        if let Some(e) = err {
                            out.push((label.clone(), Err(e)));
                        }
                        out.push((label, Ok(report)));
                        out
                    }
                }
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            match h.await {
                Ok(r) => out.extend(r),
                Err(e) => out.push((
                    String::from("?"),
                    Err(mcpvet::fetch::FetchError::Setup(format!("task failed: {e}")).into()),
                )),
            }
        }
        out
    });

    let mut reports = Vec::new();
    for (spec, r) in results {
        match r {
            Ok(rep) => reports.push(rep),
            Err(e) => {
                failed = true;
                eprintln!(
                    "mcpvet: {}: {}",
                    escape_for_terminal(&spec, false),
                    escape_for_terminal(&e.to_string(), false)
                );
            }
        }
    }
    let stdout = std::io::stdout();
    let style = report::text::Style::detect(
        stdout.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let mut out = stdout.lock();
    match args.format {
        _ if reports.is_empty() => {}
        OutputFormat::Json => {
            if reports.len() == 1 && single {
                report::json::to_writer(&mut out, &reports[0])?;
            } else {
                report::json::to_writer(&mut out, &reports)?;
            }
            writeln!(out)?;
        }
        OutputFormat::Sarif => {
            report::sarif::to_writer(&mut out, &reports)?;
            writeln!(out)?;
        }
        OutputFormat::Markdown => {
            write!(out, "{}", report::markdown::render_all(&reports))?;
        }
        OutputFormat::Text => {
            for (i, r) in reports.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write!(out, "{}", report::text::render(r, style))?;
            }
        }
    }
    out.flush()?;
    let policy_failed = args.fail_on.is_some_and(|threshold| {
        reports
            .iter()
            .any(|r| r.band().is_some_and(|band| band >= threshold.severity()))
    });
    Ok(if failed {
        ExitCode::from(2)
    } else if policy_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn configs(args: ConfigsArgs) -> Result<ExitCode> {
    let defaults = Locations::from_env();
    let loc = Locations {
        home: args.home.or(defaults.home),
        project: args.project.or(defaults.project),
        appdata: defaults.appdata,
    };
    let found = config::discover_and_load(&loc);
    for e in &found.errors {
        eprintln!("mcpvet: {}", escape_for_terminal(&e.to_string(), false));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ConfigsFormat::Json => {
            let errors: Vec<serde_json::Value> = found
                .errors
                .iter()
                .map(|e| serde_json::json!({"path": e.path, "error": e.error.to_string()}))
                .collect();
            let doc = serde_json::json!({
                "schema": "mcpvet/configs/v1",
                "configs": found.files,
                "errors": errors,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ConfigsFormat::Text => {
            write!(out, "{}", render_configs(&found.files))?;
        }
    }
    out.flush()?;
    Ok(if found.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn render_configs(files: &[config::ConfigFile]) -> String {
    use std::fmt::Write as _;
    let e = |s: &str| escape_for_terminal(s, false);
    let mut o = String::new();
    if files.is_empty() {
        o.push_str("no MCP client configs found\n");
    }
    for f in files {
        let _ = writeln!(
            o,
            "{}  {}  ({} server{})",
            f.client.as_str(),
            e(&f.path),
            f.servers.len(),
            if f.servers.len() == 1 { "" } else { "s" }
        );
        for s in &f.servers {
            let scope = s
                .scope
                .as_deref()
                .map(|p| format!("  [project {}]", e(p)))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {}  {}  {}{scope}",
                e(&s.name),
                s.transport.as_str(),
                e(&s.launch())
            );
            match (&s.spec, &s.spec_error) {
                (Some(spec), _) => {
                    let pinned = if matches!(spec, mcpvet::spec::Spec::Remote { .. }) {
                        "remote"
                    } else if s.pinned().unwrap_or(false) {
                        "pinned"
                    } else {
                        "unpinned"
                    };
                    let _ = writeln!(o, "    spec  {}  ({pinned})", e(&spec.to_string()));
                }
                (None, Some(err)) => {
                    let _ = writeln!(o, "    spec  none: {}", e(err));
                }
                (None, None) => {}
            }
            if !s.env.is_empty() {
                let names: Vec<&str> = s.env.keys().map(String::as_str).collect();
                let _ = writeln!(o, "    env   {}", e(&names.join(", ")));
            }
            for fi in &s.findings {
                let line = fi.line.map(|l| format!(":{l}")).unwrap_or_default();
                let _ = writeln!(
                    o,
                    "    {:<8}  {}  {}{line}  {}",
                    fi.severity.as_str(),
                    fi.rule,
                    e(&fi.path),
                    e(&fi.message)
                );
            }
        }
    }
    o
}
