//! User settings file (`$XDG_CONFIG_HOME/mcpvet/config.toml`, or `MCPVET_CONFIG`). Flags and
//! environment variables win over it.
//!
//! ```toml
//! [registries]
//! npm = "https://registry.npmjs.org/"
//! pypi = "https://pypi.org/"
//!
//! [fetch]
//! timeout_secs = 30
//! retries = 2
//! metadata_ttl_secs = 600
//! cache_dir = "/path/to/cache"
//!
//! [limits]
//! max_total = "512MiB"
//! max_file = "64MiB"
//! max_entries = 100000
//! max_ratio = 200
//!
//! [provenance]
//! internal_scopes = ["@acme"]
//!
//! [signing]                      # verdict signatures (else git's user.signingKey etc.)
//! key = "~/.ssh/id_ed25519"
//! principal = "alice@example.com"
//! allowed_signers = "~/.config/git/allowed_signers"
//! [tui]
//! keymap = "vim"          # or "default"; <config dir>/mcpvet/keymap.toml is layered on top
//! theme = "light"         # dark, light, high-contrast, or <config dir>/mcpvet/themes/NAME.toml
//! checklist = "quick"     # or "thorough"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub registries: RegistrySettings,
    #[serde(default)]
    pub fetch: FetchSettings,
    #[serde(default)]
    pub limits: LimitSettings,
    #[serde(default)]
    pub provenance: ProvenanceSettings,
    #[serde(default)]
    pub tui: TuiSettings,
    #[serde(default)]
    pub signing: SigningSettings,
}

/// Verdict signing: the key, the principal it signs as, the allowed_signers file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningSettings {
    pub key: Option<String>,
    pub principal: Option<String>,
    pub allowed_signers: Option<PathBuf>,
}

/// `[tui]`: the review workstation's keymap, theme and default checklist.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuiSettings {
    /// `default` or `vim`.
    pub keymap: Option<String>,
    /// `dark`, `light`, `high-contrast` or a user theme.
    pub theme: Option<String>,
    /// `thorough` or `quick`.
    pub checklist: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceSettings {
    /// npm scopes the organisation owns: their packages classify as `internal`.
    #[serde(default)]
    pub internal_scopes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    pub npm: Option<String>,
    pub pypi: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSettings {
    pub timeout_secs: Option<u64>,
    pub retries: Option<u32>,
    pub metadata_ttl_secs: Option<u64>,
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_total: Option<String>,
    pub max_file: Option<String>,
    pub max_entries: Option<usize>,
    pub max_ratio: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Settings {
    /// The settings file's location: `MCPVET_CONFIG`, else the user config dir.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("MCPVET_CONFIG").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        dirs::config_dir().map(|d| d.join("mcpvet").join("config.toml"))
    }

    /// Load `path`; a missing file is empty settings, a broken one an error naming the line.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => {
                return Err(SettingsError::Invalid {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let msg = e.message().trim().to_string();
            SettingsError::Invalid {
                path: path.display().to_string(),
                message: match line {
                    Some(l) => format!("line {l}: {msg}"),
                    None => msg,
                },
            }
        })
    }
}

/// Parse a size: `1048576`, `512K`, `64M`, `1G`, `512MiB`, `2GB` (binary units throughout).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("invalid size unit in {s:?} (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert!(parse_size("12X").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn bad_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[registries]\nnpm = \"x\"\nbogus = 1\n").unwrap();
        let err = Settings::load(&p).unwrap_err().to_string();
        assert!(err.contains("config.toml: line 3"), "{err}");
        assert!(Settings::load(&dir.path().join("missing.toml")).is_ok());
    }
}
