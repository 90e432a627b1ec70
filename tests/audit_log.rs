//! The audit log through the CLI: verdicts and co-signatures append hash-chained records;
//! `mcpvet log verify` names an edited, deleted, inserted or reordered record (exit 1).

mod allow_support;
mod common;

use allow_support::*;
use common::Registry;

fn log_verify(repo: &Repo) -> (i32, String, String) {
    let out = repo.mcpvet().args(["log", "verify"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tampering_with_the_log_is_found_and_named() {
    if !have_ssh_keygen() {
        return;
    }
    let repo = Repo::new();
    let reg = Registry::start();
    let alice = keygen(&repo.keys, "alice", "ed25519");
    let bob = keygen(&repo.keys, "bob", "rsa");
    repo.write("pkg/package.json", r#"{"name":"p","version":"1.0.0"}"#);
    for name in ["one", "two"] {
        repo.verdict(&reg, "./pkg", name, "go", &alice, "alice@example.com")
            .assert()
            .success();
    }
    repo.mcpvet()
        .args([
            "allowlist",
            "sign",
            "one",
            "--principal",
            "bob@example.com",
            "--key",
        ])
        .arg(&bob)
        .assert()
        .success();
    let (code, out, err) = log_verify(&repo);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 record(s), chain intact"), "{out}");
    let original = repo.read(".mcpvet/audit.jsonl");
    let lines: Vec<&str> = original.lines().collect();
    assert!(
        lines[0].contains("\"event\":\"verdict\"")
            && lines[4].contains("\"actor\":\"bob@example.com\"")
    );
    let check = |text: String, want: &str| {
        repo.write(".mcpvet/audit.jsonl", &text);
        let (code, _, err) = log_verify(&repo);
        assert_eq!(code, 1, "{want}: {err}");
        assert!(err.contains(want), "want {want:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    };
    let join = |v: Vec<&str>| v.join("\n") + "\n";

    // edited: the verdict of record 3 flipped
    let mut v = lines.clone();
    let edited = lines[2].replace("\"verdict\":\"go\"", "\"verdict\":\"no-go\"");
    assert_ne!(edited, lines[2]);
    v[2] = &edited;
    check(join(v), "audit.jsonl:3: record 3 was edited");
    // deleted
    let mut v = lines.clone();
    v.remove(1);
    check(join(v), "audit.jsonl:2: record 2 was deleted");
    // reordered
    let mut v = lines.clone();
    v.swap(2, 3);
    check(
        join(v),
        "audit.jsonl:3: record 4 is in position 3: records were reordered",
    );
    // inserted (a copy of an earlier record)
    let mut v = lines.clone();
    v.insert(4, lines[0]);
    check(
        join(v),
        "audit.jsonl:5: record 1 appears twice (also on line 1)",
    );
    // garbage line
    let mut v = lines.clone();
    v.insert(2, "not json");
    check(join(v), "audit.jsonl:3: not a record");

    // Recording refuses to extend a broken chain, and leaves the allowlist alone.
    let mut v = lines.clone();
    v.remove(1);
    repo.write(".mcpvet/audit.jsonl", &join(v));
    let before = repo.read("mcp-allowlist.toml");
    let out = repo
        .verdict(&reg, "./pkg", "three", "go", &alice, "alice@example.com")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 2 was deleted; nothing recorded"),
        "{err}"
    );
    assert_eq!(repo.read("mcp-allowlist.toml"), before);
    let (code, _, _) = log_verify(&repo);
    assert_eq!(code, 1);
}
