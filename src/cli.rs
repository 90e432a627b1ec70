//! Command-line definitions (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "mcpvet",
    version,
    about = "Vet MCP servers before your team installs them",
    long_about = "mcpvet fetches the exact artifact of an MCP server (npm, PyPI, git or a local \
                  path), verifies it against the registry's digest, and opens it in memory \
                  without ever running it.\n\nExit codes: 0 done, 1 policy failure, 2 error."
)]
pub struct Cli {
    /// No command: the review workstation over the MCP client configs found (or the demo).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Parsed once per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch, verify and unpack packages, and report what is in them.
    Scan(ScanArgs),
    /// List the MCP client configs found, their servers and config-level findings.
    Configs(ConfigsArgs),
    /// Review packages in the terminal workstation (no SPEC: the MCP client configs found on
    /// this machine, or the demo package when there are none).
    Review(ReviewArgs),
    /// Scan a package and record a signed verdict for it in the allowlist.
    Verdict(VerdictArgs),
    /// Show, export, co-sign and inspect the allowlist.
    Allowlist(AllowlistArgs),
    /// CI gate: every configured MCP server must match a signed allowlist entry that allows it.
    Verify(VerifyArgs),
    /// The audit log beside the allowlist.
    Log(LogArgs),
    /// Fetch and score every allowlisted entry again; record and report what changed (never
    /// changes a verdict).
    Rescan(RescanArgs),
}

#[derive(Debug, Args)]
pub struct RescanArgs {
    /// Entries to rescan [default: all].
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub location: AllowlistLocation,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// Where the allowlist is.
#[derive(Debug, Args, Clone)]
pub struct AllowlistLocation {
    /// The allowlist [default: mcp-allowlist.toml at the git root].
    #[arg(long, value_name = "FILE")]
    pub allowlist: Option<PathBuf>,
}

/// The reviewer's signing key.
#[derive(Debug, Args, Clone)]
pub struct SigningArgs {
    /// Signing key: a private key file, a public key whose private half is in ssh-agent, or
    /// `key::ssh-…` [default: signing.key in the settings file, else git's user.signingKey].
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// The principal to sign as [default: the key's line in allowed_signers, else git's
    /// user.email].
    #[arg(long, value_name = "PRINCIPAL")]
    pub principal: Option<String>,

    /// OpenSSH allowed_signers file [default: signing.allowed_signers, else git's
    /// gpg.ssh.allowedSignersFile].
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerdictChoiceArg {
    Go,
    NoGo,
    Sandbox,
}

#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// The package to record (any spec `scan` takes).
    #[arg(value_name = "SPEC")]
    pub spec: String,

    /// The server name the entry is kept under (as MCP client configs name it).
    #[arg(long, value_name = "SERVER")]
    pub name: String,

    #[arg(long, value_enum)]
    pub verdict: VerdictChoiceArg,

    /// A note for the entry.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// Why this verdict differs from the checklist's suggestion (with a saved review).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// An owner's reason to allow a critical risk band.
    #[arg(long, value_name = "TEXT")]
    pub override_reason: Option<String>,

    /// The minimum credential scope you confirmed (free text).
    #[arg(long, value_name = "TEXT")]
    pub scope: Option<String>,

    /// Saved review sessions [default: <state dir>/mcpvet/reviews].
    #[arg(long, value_name = "DIR")]
    pub sessions: Option<PathBuf>,

    #[command(flatten)]
    pub location: AllowlistLocation,

    #[command(flatten)]
    pub signing: SigningArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct AllowlistArgs {
    #[command(subcommand)]
    pub command: AllowlistCommand,
}

#[derive(Debug, Subcommand)]
pub enum AllowlistCommand {
    /// List the entries, with the state of their signatures.
    Show {
        #[command(flatten)]
        location: AllowlistLocation,
        /// allowed_signers to check signatures against [default: as for signing].
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
    /// Print the allowlist for humans.
    Export {
        #[command(flatten)]
        location: AllowlistLocation,
        /// A Markdown table (MCP, package, version, provenance, verdict, risk, hosts,
        /// reviewed, reviewers).
        #[arg(long, required = true)]
        markdown: bool,
    },
    /// Print the exact bytes an entry's signatures cover (for `ssh-keygen -Y verify`).
    Canonical {
        /// The entry (server name).
        name: String,
        #[command(flatten)]
        location: AllowlistLocation,
    },
    /// git merge driver: merge entry by entry (set up with `git config merge.mcpvet.driver
    /// "mcpvet allowlist merge %O %A %B"` and `mcp-allowlist.toml merge=mcpvet` in
    /// .gitattributes). Writes the result to OURS; exit 1 on a conflict.
    Merge {
        base: PathBuf,
        ours: PathBuf,
        theirs: PathBuf,
    },
    /// Add your signature to an entry (a second reviewer, or an owner).
    Sign {
        /// The entry (server name).
        name: String,
        #[command(flatten)]
        location: AllowlistLocation,
        #[command(flatten)]
        signing: SigningArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// MCP client configs to check [default: the project-level configs at the repository
    /// root: .mcp.json, .cursor/mcp.json, .vscode/mcp.json, .gemini/settings.json,
    /// .codex/config.toml].
    #[arg(value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,

    #[command(flatten)]
    pub location: AllowlistLocation,

    /// OpenSSH allowed_signers file [default: signing.allowed_signers, else git's
    /// gpg.ssh.allowedSignersFile].
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: VerifyFormat,

    /// Also ask the registry: the pinned version must still have the allowlisted digest, and
    /// its tools must hash as reviewed.
    #[arg(long)]
    pub online: bool,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(subcommand)]
    pub command: LogCommand,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Check the hash chain of `.mcpvet/audit.jsonl`; name the first record edited, deleted,
    /// inserted or reordered.
    Verify {
        #[command(flatten)]
        location: AllowlistLocation,
    },
}

#[derive(Debug, Args, Default)]
pub struct ReviewArgs {
    /// What to review (as for `scan`); `demo` is the demo package shipped with mcpvet.
    #[arg(value_name = "SPEC")]
    pub specs: Vec<String>,

    /// Checklist for new reviews: thorough (8 steps) or quick (5 steps).
    #[arg(long, value_name = "ID")]
    pub checklist: Option<String>,

    /// Where review sessions are kept [env: MCPVET_STATE_DIR; default: <state dir>/mcpvet/reviews].
    #[arg(long, env = "MCPVET_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Keymap: default or vim (overrides `[tui] keymap` in the settings file).
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,

    /// Theme: dark, light, high-contrast or a file in <config dir>/mcpvet/themes/.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Where `R` on the Verdict screen records verdicts [default: mcp-allowlist.toml at the
    /// git root]; the key comes from --key, [signing] in the settings file or git's user.signingKey.
    #[arg(long, value_name = "FILE")]
    pub allowlist: Option<PathBuf>,

    /// SSH private key (or `key::` public key in an agent) that signs recorded verdicts.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// Principal the signature is made as [default: the allowed_signers line of the key,
    /// else git's user.email].
    #[arg(long, value_name = "NAME")]
    pub principal: Option<String>,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// Output of `configs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigsFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ConfigsArgs {
    /// Home directory to search [default: the user's home].
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Project directory to search [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ConfigsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Compact, for a terminal (coloured only on a terminal; NO_COLOR honoured).
    Text,
    /// The report (`mcpvet/report/v1`); an array when several specs are given.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning); one run per package.
    Sarif,
    /// Markdown for a pull request comment.
    Markdown,
}

/// The band at which `scan` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan: npm:NAME[@VERSION|@RANGE|@TAG], pypi:NAME[==VERSION|SPECIFIER],
    /// git+https://…[@REF], github:OWNER/REPO[@REF], a directory / .tgz / .tar / .zip / .whl,
    /// or an MCP client config file (.json/.jsonc/.toml naming servers).
    #[arg(required_unless_present = "config_files", value_name = "SPEC")]
    pub specs: Vec<String>,

    /// An MCP client config: report every server in it (one report per server; config
    /// findings always, the package's findings too with --deep). Repeatable.
    #[arg(long = "config", value_name = "FILE")]
    pub config_files: Vec<PathBuf>,

    /// With a config: also fetch and scan each server's package and fold in its findings.
    #[arg(long)]
    pub deep: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,

    /// Exit 1 when a package's band reaches this level (for now: its worst finding's
    /// severity; info counts as below low). Errors still exit 2.
    #[arg(long, value_enum, value_name = "BAND")]
    pub fail_on: Option<FailOn>,

    /// Do not resolve dependencies through the registry.
    #[arg(long)]
    pub no_deps: bool,

    /// Levels of dependencies to resolve (1: direct dependencies only).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub deps_depth: u32,

    /// A directory of OSV advisories (the osv.dev export format, one JSON file per
    /// advisory): dependencies at an affected version are flagged vulnerable.
    #[arg(long, value_name = "DIR")]
    pub osv_dir: Option<PathBuf>,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct FetchArgs {
    /// Use only the cache; never touch the network.
    #[arg(long)]
    pub offline: bool,

    /// npm registry base URL (mirrors, tests).
    #[arg(long, env = "MCPVET_NPM_REGISTRY", value_name = "URL")]
    pub npm_registry: Option<String>,

    /// PyPI index base URL (the JSON API lives under <URL>/pypi/<name>/json).
    #[arg(long, env = "MCPVET_PYPI_INDEX", value_name = "URL")]
    pub pypi_index: Option<String>,

    /// Cache directory [env: MCPVET_CACHE_DIR; default: the user cache dir].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Per-request network timeout in seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,

    /// Retries after a failed request (connection errors, timeouts, 429, 5xx).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Stop unpacking after this much content (e.g. 512M).
    #[arg(long, value_name = "SIZE")]
    pub max_total: Option<String>,

    /// Keep at most this much of one file (e.g. 64M); the rest is marked truncated.
    #[arg(long, value_name = "SIZE")]
    pub max_file: Option<String>,

    /// Stop unpacking after this many archive entries.
    #[arg(long, value_name = "N")]
    pub max_entries: Option<usize>,

    /// Stop unpacking when decompressed/compressed exceeds this ratio.
    #[arg(long, value_name = "N")]
    pub max_ratio: Option<u64>,

    /// Settings file [env: MCPVET_CONFIG; default: <config dir>/mcpvet/config.toml]. (`--config`
    /// names an MCP client config to scan.)
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
}
