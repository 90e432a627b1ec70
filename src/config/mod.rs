//! MCP client configs (DESIGN §1, §2): find them, read their server entries, turn each entry
//! into a [`Spec`] where one can be derived, and mark what a reviewer must see in the config
//! itself (`config.unpinned.*`, `config.endpoint.*`, `config.secret.*`, `config.exec.*`).
//!
//! Decisions:
//! - Every JSON config is read as JSONC (comments and trailing commas allowed): a stray comment
//!   in a file a client would refuse is not worth an error here, and the stripper keeps
//!   positions, so real syntax errors still point at the right line and column.
//! - Every known server key is read from every JSON file (`mcpServers`, `servers`,
//!   `context_servers`, `mcp.servers`, Claude Code's `projects.*.mcpServers`): a file passed with
//!   `--config` need not be at its client's usual path.
//! - A broken file is one [`ConfigError`] naming the file and position; discovery carries on.

pub mod discover;
pub mod findings;
pub mod parse;
pub mod secrets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::finding::Finding;
use crate::spec::{self, Spec};

/// The MCP client a config belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    VsCode,
    Windsurf,
    Codex,
    Zed,
    Gemini,
    /// A file given on the command line whose client is not known from its path.
    Unknown,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude-desktop",
            Client::ClaudeCode => "claude-code",
            Client::Cursor => "cursor",
            Client::VsCode => "vs-code",
            Client::Windsurf => "windsurf",
            Client::Codex => "codex",
            Client::Zed => "zed",
            Client::Gemini => "gemini",
            Client::Unknown => "unknown",
        }
    }

    /// Guess the client from a path (for `--config FILE`).
    pub fn guess(path: &Path) -> Client {
        let p = path
            .to_string_lossy()
            .replace('\\', "/")
            .to_ascii_lowercase();
        let name = p.rsplit('/').next().unwrap_or("");
        if name == "claude_desktop_config.json" {
            Client::ClaudeDesktop
        } else if name == ".claude.json" || name == ".mcp.json" {
            Client::ClaudeCode
        } else if p.ends_with(".cursor/mcp.json") {
            Client::Cursor
        } else if p.ends_with(".vscode/mcp.json") || p.contains("/code/user/") {
            Client::VsCode
        } else if name == "mcp_config.json" && p.contains("windsurf") {
            Client::Windsurf
        } else if name.ends_with(".toml") {
            Client::Codex
        } else if p.contains("/zed/") {
            Client::Zed
        } else if p.contains(".gemini/") {
            Client::Gemini
        } else {
            Client::Unknown
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Stdio,
    Http,
    Sse,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::Http => "http",
            Transport::Sse => "sse",
        }
    }
}

/// One server entry of a client config.
#[derive(Debug, Clone, Serialize)]
pub struct ServerEntry {
    pub client: Client,
    /// The config file, as found or given.
    pub file: String,
    pub name: String,
    /// Claude Code per-project servers: the project path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Values as written: shown only through findings (redacted); serialized as names only.
    #[serde(
        serialize_with = "ser_keys",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// As `env`: names only in output.
    #[serde(
        serialize_with = "ser_keys",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The line of the entry in the file (1-based), when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The derived spec, when the command line or URL names one.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_spec")]
    pub spec: Option<Spec>,
    /// Why no spec could be derived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_error: Option<String>,
    /// Config-level findings for this server.
    pub findings: Vec<Finding>,
}

fn ser_keys<S: serde::Serializer>(m: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(m.keys())
}

fn ser_spec<S: serde::Serializer>(spec: &Option<Spec>, s: S) -> Result<S::Ok, S::Error> {
    match spec {
        Some(sp) => s.serialize_str(&sp.to_string()),
        None => s.serialize_none(),
    }
}

impl ServerEntry {
    /// Derive [`ServerEntry::spec`] from the command line or URL.
    pub fn derive_spec(&mut self) {
        let r = match (&self.command, &self.url) {
            (Some(c), _) => spec::from_command(c, &self.args),
            (None, Some(u)) => spec::from_url(u),
            (None, None) => return,
        };
        match r {
            Ok(s) => self.spec = Some(s),
            Err(e) => self.spec_error = Some(e.to_string()),
        }
    }

    /// The command line (`command arg…`) or the URL, as one string.
    pub fn launch(&self) -> String {
        match &self.command {
            Some(c) => {
                let mut s = c.clone();
                for a in &self.args {
                    s.push(' ');
                    s.push_str(a);
                }
                s
            }
            None => self.url.clone().unwrap_or_default(),
        }
    }

    /// Pinned: the derived spec names one artifact and no git ref moves.
    pub fn pinned(&self) -> Option<bool> {
        self.spec.as_ref().map(findings::spec_is_fixed)
    }
}

/// A config file read successfully.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigFile {
    pub client: Client,
    pub path: String,
    pub servers: Vec<ServerEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{line}:{column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("too large ({0} bytes; the limit is {max} bytes)", max = parse::MAX_CONFIG_BYTES)]
    TooLarge(u64),
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("{0}")]
    Shape(String),
}

/// A config file that could not be read: one line, `FILE:LINE:COL: message` for syntax
/// errors, `FILE: message` otherwise.
#[derive(Debug, thiserror::Error)]
pub struct FileError {
    pub path: String,
    pub error: ConfigError,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            ConfigError::Syntax { .. } => write!(f, "{}:{}", self.path, self.error),
            other => write!(f, "{}: {other}", self.path),
        }
    }
}

/// Read one config file: its server entries and their config-level findings.
pub fn load(path: &Path, client: Client) -> Result<ConfigFile, FileError> {
    let shown = path.display().to_string();
    let fail = |error| FileError {
        path: shown.clone(),
        error,
    };
    let text = read_capped(path).map_err(fail)?;
    load_text(&text, &shown, client).map_err(fail)
}

fn read_capped(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    f.take(parse::MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > parse::MAX_CONFIG_BYTES {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(0)
            .max(bytes.len() as u64);
        return Err(ConfigError::TooLarge(size));
    }
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// Parse config text (JSON/JSONC, or TOML for Codex and `.toml` files).
pub fn load_text(text: &str, path: &str, client: Client) -> Result<ConfigFile, ConfigError> {
    let is_toml = client == Client::Codex || path.to_ascii_lowercase().ends_with(".toml");
    let root = if is_toml {
        parse::parse_toml(text)?
    } else {
        parse::parse_json(text)?
    };
    if !root.is_object() {
        return Err(ConfigError::Shape(
            "the top level is not an object (expected {\"mcpServers\": …} or similar)".into(),
        ));
    }
    let mut servers = parse::servers(&root, client, path, text);
    let source = parse::Source::new(text);
    for s in &mut servers {
        s.findings = findings::server_findings(s, &source);
        if s.findings
            .iter()
            .any(|f| f.category == crate::finding::Category::Secret)
        {
            // The arguments may have been redacted: the spec follows what is shown.
            let (spec, err) = (s.spec.take(), s.spec_error.take());
            s.derive_spec();
            if s.spec.is_none() {
                (s.spec, s.spec_error) = (spec, err);
            }
        }
    }
    Ok(ConfigFile {
        client,
        path: path.to_string(),
        servers,
    })
}

/// True when `path` looks like an MCP client config given where a spec was expected: a
/// `.json`/`.jsonc`/`.toml` file whose text names a server table.
pub fn looks_like_config(path: &Path) -> bool {
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if !(lower.ends_with(".json") || lower.ends_with(".jsonc") || lower.ends_with(".toml")) {
        return false;
    }
    if !path.is_file() {
        return false;
    }
    match read_capped(path) {
        Ok(t) => [
            "mcpServers",
            "\"servers\"",
            "context_servers",
            "mcp_servers",
            "mcp.servers",
        ]
        .iter()
        .any(|k| t.contains(k)),
        Err(_) => true,
    }
}

/// Where to look: a home directory and a project directory (both injectable for tests), and
/// the Windows `%APPDATA%` folder when known.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    pub home: Option<PathBuf>,
    pub project: Option<PathBuf>,
    pub appdata: Option<PathBuf>,
}

/// The result of discovery: every config read, every config that failed.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<ConfigFile>,
    pub errors: Vec<FileError>,
}

/// Find and read every known config under `loc`.
pub fn discover_and_load(loc: &Locations) -> Discovered {
    let mut out = Discovered::default();
    for (client, path) in discover::candidates(loc) {
        if !path.is_file() {
            continue;
        }
        match load(&path, client) {
            Ok(f) => out.files.push(f),
            Err(e) => out.errors.push(e),
        }
    }
    out
}
