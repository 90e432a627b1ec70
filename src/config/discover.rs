//! Where MCP clients keep their configs, relative to a home and a project directory.

use std::path::PathBuf;

use super::{Client, Locations};

/// Every path a known client may read, in a stable order (existing or not). The same file is
/// listed once even when two rules name it.
pub fn candidates(loc: &Locations) -> Vec<(Client, PathBuf)> {
    let mut out: Vec<(Client, PathBuf)> = Vec::new();
    if let Some(home) = &loc.home {
        let h = |p: &str| home.join(p);
        out.push((
            Client::ClaudeDesktop,
            h("Library/Application Support/Claude/claude_desktop_config.json"),
        ));
        out.push((
            Client::ClaudeDesktop,
            h(".config/Claude/claude_desktop_config.json"),
        ));
        out.push((Client::ClaudeCode, h(".claude.json")));
        out.push((Client::Cursor, h(".cursor/mcp.json")));
        out.push((Client::VsCode, h(".config/Code/User/settings.json")));
        out.push((Client::VsCode, h(".config/Code/User/mcp.json")));
        out.push((
            Client::VsCode,
            h("Library/Application Support/Code/User/settings.json"),
        ));
        out.push((
            Client::VsCode,
            h("Library/Application Support/Code/User/mcp.json"),
        ));
        out.push((Client::Windsurf, h(".codeium/windsurf/mcp_config.json")));
        out.push((Client::Codex, h(".codex/config.toml")));
        out.push((Client::Zed, h(".config/zed/settings.json")));
        out.push((Client::Gemini, h(".gemini/settings.json")));
    }
    if let Some(appdata) = &loc.appdata {
        out.push((
            Client::ClaudeDesktop,
            appdata.join("Claude/claude_desktop_config.json"),
        ));
        out.push((Client::VsCode, appdata.join("Code/User/settings.json")));
        out.push((Client::VsCode, appdata.join("Code/User/mcp.json")));
    }
    if let Some(project) = &loc.project {
        let p = |s: &str| project.join(s);
        out.push((Client::ClaudeCode, p(".mcp.json")));
        out.push((Client::Cursor, p(".cursor/mcp.json")));
        out.push((Client::VsCode, p(".vscode/mcp.json")));
        out.push((Client::Gemini, p(".gemini/settings.json")));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, p)| seen.insert(p.clone()));
    out
}

impl Locations {
    /// The real locations: the user's home, the current directory, `%APPDATA%` on Windows.
    pub fn from_env() -> Locations {
        Locations {
            home: dirs::home_dir(),
            project: std::env::current_dir().ok(),
            appdata: if cfg!(windows) {
                std::env::var_os("APPDATA").map(PathBuf::from)
            } else {
                None
            },
        }
    }
}
