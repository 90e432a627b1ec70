//! Credential locations (DESIGN §2): which paths a read must not reach unnoticed.
//!
//! Analyzers reduce a path argument to a string first (literals, joins of literals, the home
//! directory written as `~`), then ask [`credential_location`] what it names.

/// What a path names when it is a credential location, as a short label for the finding
/// (`"SSH keys"`, `"AWS credentials"`, …); `None` for ordinary paths.
pub fn credential_location(path: &str) -> Option<&'static str> {
    let p = path.replace('\\', "/").to_ascii_lowercase();
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let has = |seq: &[&str]| parts.windows(seq.len()).any(|w| w == seq);
    let last = parts.last().copied().unwrap_or("");

    if parts.contains(&".ssh")
        || last.starts_with("id_rsa")
        || last.starts_with("id_ed25519")
        || last.starts_with("id_ecdsa")
        || last == "id_dsa"
    {
        return Some("SSH keys");
    }
    // `~/.aws` itself, its credentials and config, and the SSO and CLI token caches; not
    // other tools' files kept under it.
    if let Some(i) = parts.iter().position(|p| *p == ".aws") {
        let rest = &parts[i + 1..];
        if matches!(
            rest,
            [] | ["credentials" | "config"] | ["sso" | "cli", "cache", ..] | ["*", ..]
        ) {
            return Some("AWS credentials");
        }
    }
    if parts.contains(&".kube") || last == "kubeconfig" {
        return Some("Kubernetes config");
    }
    if has(&[".config", "gcloud"]) || last == "application_default_credentials.json" {
        return Some("Google Cloud credentials");
    }
    if parts.contains(&".azure") {
        return Some("Azure credentials");
    }
    if parts.contains(&".docker") && last == "config.json" {
        return Some("Docker registry credentials");
    }
    if parts.contains(&".gnupg") {
        return Some("GnuPG keys");
    }
    if has(&[".config", "gh"]) && last == "hosts.yml" {
        return Some("GitHub CLI token");
    }
    match last {
        ".npmrc" | ".yarnrc" | ".yarnrc.yml" => return Some("npm credentials"),
        ".pypirc" => return Some("PyPI credentials"),
        ".netrc" | "_netrc" => return Some("netrc credentials"),
        ".git-credentials" => return Some("git credentials"),
        ".env" => return Some("dotenv secrets"),
        ".bash_history" | ".zsh_history" | ".python_history" | ".node_repl_history" => {
            return Some("shell history")
        }
        "claude_desktop_config.json" | ".claude.json" | "mcp_config.json" => {
            return Some("MCP client config")
        }
        _ => {}
    }
    if last.starts_with(".env.")
        && !matches!(last, ".env.example" | ".env.sample" | ".env.template")
    {
        return Some("dotenv secrets");
    }
    if (parts.contains(&".cursor") || parts.contains(&".vscode") || parts.contains(&".codeium"))
        && last == "mcp.json"
    {
        return Some("MCP client config");
    }
    if matches!(
        parts.as_slice(),
        ["etc", "passwd" | "shadow" | "sudoers" | "master.passwd"]
    ) || p.starts_with("/etc/shadow")
    {
        return Some("system account database");
    }
    if parts.first() == Some(&"proc") && matches!(last, "environ" | "mem") && parts.len() == 3 {
        return Some("another process's environment or memory");
    }
    if has(&["library", "keychains"])
        || last.ends_with(".keychain")
        || last.ends_with(".keychain-db")
    {
        return Some("macOS keychain");
    }
    if has(&["google", "chrome"])
        || has(&[".config", "google-chrome"])
        || has(&[".config", "chromium"])
        || has(&["bravesoftware", "brave-browser"])
        || has(&["microsoft", "edge"])
        || has(&[".mozilla", "firefox"])
        || has(&["mozilla", "firefox", "profiles"])
        || matches!(
            last,
            "login data" | "cookies" | "web data" | "logins.json" | "key4.db" | "cookies.sqlite"
        )
    {
        return Some("browser profile (passwords, cookies)");
    }
    if has(&[".config", "solana"]) && last == "id.json"
        || parts.contains(&"keystore") && has(&[".ethereum"])
        || last == "wallet.dat"
    {
        return Some("cryptocurrency wallet");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::credential_location as loc;

    #[test]
    fn credential_locations() {
        assert_eq!(loc("~/.ssh/id_rsa"), Some("SSH keys"));
        assert_eq!(loc("/home/u/.ssh"), Some("SSH keys"));
        assert_eq!(
            loc("C:\\Users\\u\\.aws\\credentials"),
            Some("AWS credentials")
        );
        assert_eq!(loc("~/.aws/config"), Some("AWS credentials"));
        assert_eq!(loc("~/.aws/sso/cache/x.json"), Some("AWS credentials"));
        assert_eq!(loc("~/.aws"), Some("AWS credentials"));
        assert_eq!(loc("~/.npmrc"), Some("npm credentials"));
        assert_eq!(loc("~/.pypirc"), Some("PyPI credentials"));
        assert_eq!(loc(".env"), Some("dotenv secrets"));
        assert_eq!(loc("./.env.production"), Some("dotenv secrets"));
        assert_eq!(loc("~/.kube/config"), Some("Kubernetes config"));
        assert_eq!(
            loc("~/.config/gcloud/credentials.db"),
            Some("Google Cloud credentials")
        );
        assert_eq!(loc("/etc/passwd"), Some("system account database"));
        assert_eq!(
            loc("/proc/1/environ"),
            Some("another process's environment or memory")
        );
        assert_eq!(
            loc("~/Library/Application Support/Claude/claude_desktop_config.json"),
            Some("MCP client config")
        );
        assert_eq!(loc("~/.cursor/mcp.json"), Some("MCP client config"));
        assert_eq!(
            loc("~/Library/Application Support/Google/Chrome/Default/Login Data"),
            Some("browser profile (passwords, cookies)")
        );
        assert_eq!(
            loc("~/Library/Keychains/login.keychain-db"),
            Some("macOS keychain")
        );
    }

    #[test]
    fn ordinary_paths_are_not() {
        for p in [
            "package.json",
            "./src/env.ts",
            ".env.example",
            "config/environment.js",
            "/etc/hosts",
            "/proc/cpuinfo",
            "/proc/*/cmdline",
            "~/.aws/aws-api-mcp/mcp-security-policy.json",
            "README.md",
            "~/.config/app/settings.json",
            "ssh_helpers.js",
            "mcp.json",
            "docs/passwd.md",
        ] {
            assert_eq!(loc(p), None, "{p}");
        }
    }
}
