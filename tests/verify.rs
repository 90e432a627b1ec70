//! `mcpvet verify`, the CI gate, on fixture repositories with configs of several clients:
//! passes when every server matches a signed entry that allows it, fails with one precise
//! reason per problem once a config's version, an entry or a signature changes.

mod allow_support;
mod common;

use allow_support::*;
use common::{json, Registry};

struct Fixture {
    repo: Repo,
    reg: Registry,
    alice: std::path::PathBuf,
}

/// weather-mcp@1.2.3 GO and notes-mcp@2.0.0 SANDBOX, both signed by alice; configs for
/// Claude Code, Cursor (docker) and VS Code.
fn fixture() -> Option<Fixture> {
    if !have_ssh_keygen() {
        return None;
    }
    let reg = Registry::start();
    npm_pkg(&reg, "weather-mcp", &["1.2.3", "1.2.4"]);
    npm_pkg(&reg, "notes-mcp", &["2.0.0"]);
    let repo = Repo::new();
    let alice = keygen(&repo.keys, "alice", "ed25519");
    repo.add_signer(&signer_line("alice@example.com", "", &alice));
    repo.verdict(
        &reg,
        "npm:weather-mcp@1.2.3",
        "weather",
        "go",
        &alice,
        "alice@example.com",
    )
    .assert()
    .success();
    repo.verdict(
        &reg,
        "npm:notes-mcp@2.0.0",
        "notes",
        "sandbox",
        &alice,
        "alice@example.com",
    )
    .assert()
    .success();
    repo.write(
        ".mcp.json",
        r#"{
  "mcpServers": {
    "weather": {
      "command": "npx",
      "args": ["-y", "weather-mcp@1.2.3"],
      "env": {"WEATHER_KEY": "${WEATHER_KEY}"}
    }
  }
}
"#,
    );
    repo.write(
        ".cursor/mcp.json",
        r#"{"mcpServers": {
  "notes": {"command": "docker", "args": ["run", "-i", "--rm", "node:22", "npx", "-y", "notes-mcp@2.0.0"]}
}}
"#,
    );
    repo.write(
        ".vscode/mcp.json",
        r#"{
  // VS Code names the table "servers"
  "servers": {
    "weather": {"type": "stdio", "command": "npx", "args": ["weather-mcp@1.2.3"]},
  }
}
"#,
    );
    Some(Fixture { repo, reg, alice })
}

fn verify(repo: &Repo, extra: &[&str]) -> (i32, String, String) {
    let out = repo
        .mcpvet()
        .arg("verify")
        .arg("--allowed-signers")
        .arg(repo.signers())
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn passes_then_fails_precisely_when_the_config_version_changes() {
    let Some(f) = fixture() else { return };
    let (code, out, err) = verify(&f.repo, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok    server \"weather\" (.mcp.json:3): entry \"weather\", go"),
        "{out}"
    );
    assert!(out.contains("ok    server \"notes\" (.cursor/mcp.json:2): entry \"notes\", sandbox, sandboxed with docker run"), "{out}");
    assert!(out.contains("3 server(s) checked"), "{out}");

    f.repo.write(
        ".mcp.json",
        &f.repo
            .read(".mcp.json")
            .replace("weather-mcp@1.2.3", "weather-mcp@1.2.4"),
    );
    let (code, out, _) = verify(&f.repo, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "FAIL  server \"weather\" (.mcp.json:3): version 1.2.4 is not the allowlisted 1.2.3"
        ),
        "{out}"
    );
    assert_eq!(out.matches("FAIL").count(), 1, "{out}");

    // Unpinned is a failure too.
    f.repo.write(
        ".mcp.json",
        &f.repo
            .read(".mcp.json")
            .replace("weather-mcp@1.2.4", "weather-mcp"),
    );
    let (code, out, _) = verify(&f.repo, &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("no version pinned; the allowlisted version is 1.2.3"),
        "{out}"
    );
}

#[test]
fn edited_entries_and_signatures_fail() {
    let Some(f) = fixture() else { return };
    // The entry edited to allow another version: the signature no longer matches.
    let text = f.repo.read("mcp-allowlist.toml");
    f.repo.write(
        "mcp-allowlist.toml",
        &text.replacen("version = \"1.2.3\"", "version = \"1.2.4\"", 1),
    );
    f.repo.write(
        ".mcp.json",
        &f.repo
            .read(".mcp.json")
            .replace("weather-mcp@1.2.3", "weather-mcp@1.2.4"),
    );
    let (code, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  server \"weather\" (.mcp.json:3): signature 1 (alice@example.com): signature by \"alice@example.com\" does not match the entry"), "{out}");

    // The signature itself corrupted.
    f.repo.write("mcp-allowlist.toml", &text);
    f.repo.write(
        ".mcp.json",
        &f.repo
            .read(".mcp.json")
            .replace("weather-mcp@1.2.4", "weather-mcp@1.2.3"),
    );
    let sig = signature_of(&f.repo.allowlist(), "weather", 0);
    let lines: Vec<&str> = sig.lines().collect();
    let mut broken = lines[2].to_string();
    broken.replace_range(10..11, if &broken[10..11] == "A" { "B" } else { "A" });
    f.repo
        .write("mcp-allowlist.toml", &text.replace(lines[2], &broken));
    let (code, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  server \"weather\" (.mcp.json:3): signature 1 (alice@example.com):"),
        "{out}"
    );

    // The signer dropped from allowed_signers.
    f.repo.write("mcp-allowlist.toml", &text);
    let bob = keygen(&f.repo.keys, "bob", "ed25519");
    std::fs::write(f.repo.signers(), signer_line("bob@example.com", "", &bob)).unwrap();
    let (code, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("is not in allowed_signers for principal \"alice@example.com\""),
        "{out}"
    );

    // Alice's key restricted to git signatures, then expired.
    std::fs::write(
        f.repo.signers(),
        signer_line("alice@example.com", "namespaces=\"git\"", &f.alice),
    )
    .unwrap();
    let (_, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert!(
        out.contains("does not allow namespace \"mcpvet-verdict\""),
        "{out}"
    );
    std::fs::write(
        f.repo.signers(),
        signer_line("*@example.com", "valid-before=\"20200101Z\"", &f.alice),
    )
    .unwrap();
    let (_, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert!(out.contains("is expired (valid-before)"), "{out}");
}

#[test]
fn sandbox_no_go_unlisted_and_codex_configs() {
    let Some(f) = fixture() else { return };
    f.repo.write(
        ".codex/config.toml",
        "[mcp_servers.notes]\ncommand = \"npx\"\nargs = [\"-y\", \"notes-mcp@2.0.0\"]\n\n\
         [mcp_servers.calendar]\ncommand = \"uvx\"\nargs = [\"calendar-mcp==0.1.0\"]\n",
    );
    let (code, out, _) = verify(&f.repo, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  server \"notes\" (.codex/config.toml:1): the verdict is sandbox, but the config runs it directly"), "{out}");
    assert!(out.contains("FAIL  server \"calendar\" (.codex/config.toml:5): no allowlist entry for pypi:calendar-mcp==0.1.0"), "{out}");
    assert!(out.contains("5 server(s) checked"), "{out}");

    // A no-go entry fails whatever the config says.
    f.repo
        .verdict(
            &f.reg,
            "npm:weather-mcp@1.2.3",
            "weather",
            "no-go",
            &f.alice,
            "alice@example.com",
        )
        .assert()
        .success();
    let (code, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("the verdict on weather-mcp 1.2.3 is no-go"),
        "{out}"
    );
}

#[test]
fn json_and_sarif_outputs() {
    let Some(f) = fixture() else { return };
    f.repo.write(
        ".mcp.json",
        &f.repo
            .read(".mcp.json")
            .replace("weather-mcp@1.2.3", "weather-mcp@1.2.4"),
    );
    let (code, out, _) = verify(&f.repo, &["--format", "json"]);
    assert_eq!(code, 1);
    let v = json(out.as_bytes());
    assert_eq!(v["schema"], "mcpvet/verify/v1");
    assert_eq!(v["passed"], 2);
    assert_eq!(v["failed"], 1);
    let failing: Vec<&serde_json::Value> = v["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["reasons"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0]["file"], ".mcp.json");
    assert_eq!(failing[0]["line"], 3);
    assert_eq!(failing[0]["reasons"][0]["rule"], "allowlist.version");

    let (code, out, _) = verify(&f.repo, &["--format", "sarif"]);
    assert_eq!(code, 1);
    let s = json(out.as_bytes());
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "allowlist.version");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".mcp.json"
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
}

#[test]
fn errors_exit_2() {
    let Some(f) = fixture() else { return };
    f.repo.write(".mcp.json", "{\"mcpServers\": {\"x\": }\n");
    let (code, _, err) = verify(&f.repo, &[]);
    assert_eq!(code, 2);
    assert!(err.contains(".mcp.json:1:"), "{err}");
    // No allowed_signers at all.
    let out = f.repo.mcpvet().arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no allowed_signers file"));
}

#[test]
fn online_checks_the_registry_digest_and_tools_and_rescan_reports_changes() {
    let Some(f) = fixture() else { return };
    let online = |cache: &str| {
        let out = f
            .repo
            .mcpvet()
            .arg("verify")
            .arg("--allowed-signers")
            .arg(f.repo.signers())
            .args([
                ".mcp.json",
                "--online",
                "--npm-registry",
                &f.reg.base,
                "--cache-dir",
            ])
            .arg(f.repo.tmp.path().join(cache))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = online("cache-a");
    assert_eq!(code, 0, "{out}");
    let t = f.repo.read("mcp-allowlist.toml");
    assert!(t.contains("get_forecast = \"sha256:"), "{t}");

    // The registry now serves other bytes for the same version.
    npm_pkg_with(&f.reg, "weather-mcp", &["1.2.3", "1.2.4"], INDEX_JS_CHANGED);
    let (code, out) = online("cache-b");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "FAIL  server \"weather\" (.mcp.json:3): digest of weather-mcp 1.2.3 is now sha512-"
        ),
        "{out}"
    );
    assert!(
        out.contains("FAIL  server \"weather\" (.mcp.json:3): tool get_forecast changed"),
        "{out}"
    );

    // rescan: records what changed, never the verdict.
    let before = f.repo.read("mcp-allowlist.toml");
    let out = f
        .repo
        .mcpvet()
        .args([
            "rescan",
            "weather",
            "--npm-registry",
            &f.reg.base,
            "--cache-dir",
        ])
        .arg(f.repo.tmp.path().join("cache-c"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("weather: "), "{out}");
    assert!(out.contains("verdict stays go"), "{out}");
    assert!(
        out.contains("new host: https://collect.weather-metrics-test.dev"),
        "{out}"
    );
    assert!(out.contains("new env: GITHUB_TOKEN"), "{out}");
    assert!(out.contains("tool get_forecast changed"), "{out}");
    let after = f.repo.read("mcp-allowlist.toml");
    assert!(after.contains("[[servers.weather.scans]]"), "{after}");
    assert!(after.contains("verdict = \"go\""));
    // The history is outside the signed bytes: the entry still verifies offline.
    let (code, out, _) = verify(&f.repo, &[".mcp.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(before.len() < after.len());
    let log = f.repo.read(".mcpvet/audit.jsonl");
    assert!(
        log.lines().last().unwrap().contains("\"event\":\"rescan\""),
        "{log}"
    );
}

#[test]
fn git_ssh_signing_config_is_enough() {
    if !have_ssh_keygen() {
        return;
    }
    let reg = Registry::start();
    npm_pkg(&reg, "weather-mcp", &["1.2.3"]);
    let repo = Repo::new();
    std::fs::remove_dir_all(repo.root.join(".git")).unwrap();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo.root)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", repo.tmp.path().join("no-gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(st.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let key = keygen(&repo.keys, "carol", "ecdsa");
    repo.add_signer(&signer_line("carol@example.com", "", &key));
    git(&["config", "user.email", "carol@example.com"]);
    // git accepts a private key file here (it hands it to ssh-keygen -Y sign -f).
    git(&["config", "user.signingKey", key.to_str().unwrap()]);
    git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        repo.signers().to_str().unwrap(),
    ]);
    // A subdirectory: the allowlist is found at the git root.
    std::fs::create_dir_all(repo.root.join("sub")).unwrap();
    repo.mcpvet()
        .current_dir(repo.root.join("sub"))
        .args([
            "verdict",
            "npm:weather-mcp@1.2.3",
            "--name",
            "weather",
            "--verdict",
            "go",
        ])
        .args(["--npm-registry", &reg.base])
        .assert()
        .success();
    let text = repo.read("mcp-allowlist.toml");
    assert!(text.contains("principal = \"carol@example.com\""), "{text}");
    repo.write(
        ".mcp.json",
        r#"{"mcpServers": {"weather": {"command": "npx", "args": ["-y", "weather-mcp@1.2.3"]}}}"#,
    );
    // verify takes the allowed_signers file from git.
    repo.mcpvet()
        .arg("verify")
        .assert()
        .success()
        .stdout(predicates::str::contains("1 passed, 0 failed"));
}
