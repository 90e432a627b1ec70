//! git sources through the system `git`, hardened: hooks pointed at an always-empty folder, no
//! submodules, no LFS smudge, no prompts, `ext::` transport refused, shallow fetch of one ref
//! into a cached bare repository. The tree is then read object by object with
//! `git cat-file --batch`, and every object is re-hashed and checked against the commit id,
//! so what is reviewed is provably that commit. (`git archive` is not used: it obeys the
//! package's own `.gitattributes`, where `export-ignore` can hide files from a review.)

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use super::{Artifact, FetchError, Fetched, Fetcher, PackageInfo};
use crate::archive::{size_limit_finding, Collector, Limits, Unpacked};
use crate::finding::{Category, Finding, Severity};
use crate::spec::is_commit_id;

/// How a ref was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefKind {
    Commit,
    Tag,
    Branch,
    DefaultBranch,
}

#[derive(Clone)]
struct Git {
    program: PathBuf,
    repo: PathBuf,
    hooks: PathBuf,
    url: String,
    timeout: Duration,
}

impl Git {
    fn std_command(&self) -> StdCommand {
        let mut c = StdCommand::new(&self.program);
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            "GIT_NAMESPACE",
            "GIT_EXTERNAL_DIFF",
            "GIT_EXEC_PATH",
        ] {
            c.env_remove(var);
        }
        c.env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_LFS_SKIP_SMUDGE", "1")
            .env("GCM_INTERACTIVE", "never")
            .env("GIT_PROTOCOL_FROM_USER", "0");
        if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
            c.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
        }
        for cfg in [
            format!("core.hooksPath={}", self.hooks.display()),
            "protocol.ext.allow=never".into(),
            "protocol.file.allow=always".into(),
            "submodule.recurse=false".into(),
            "fetch.recurseSubmodules=false".into(),
            "core.fsmonitor=false".into(),
            "gc.auto=0".into(),
            "maintenance.auto=false".into(),
            "credential.interactive=false".into(),
            "filter.lfs.smudge=".into(),
            "filter.lfs.process=".into(),
        ] {
            c.arg("-c").arg(cfg);
        }
        c.arg("--git-dir").arg(&self.repo);
        c.stdin(Stdio::null());
        c
    }

    /// Run git with a deadline; returns stdout, or an error with git's last stderr line.
    async fn run(&self, args: &[&str]) -> Result<Vec<u8>, FetchError> {
        let mut cmd = tokio::process::Command::from(self.std_command());
        cmd.args(args).kill_on_drop(true);
        let out = tokio::time::timeout(self.timeout, cmd.output())
            .await
            .map_err(|_| {
                self.err(format!(
                    "`git {}` timed out after {}s",
                    args[0],
                    self.timeout.as_secs()
                ))
            })?
            .map_err(|e| self.err(format!("cannot run {}: {e}", self.program.display())))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no error message")
                .trim()
                .to_string();
            return Err(self.err(format!("`git {}` failed: {last}", args[0])));
        }
        Ok(out.stdout)
    }

    async fn rev_parse(&self, rev: &str) -> Option<String> {
        let out = self.run(&["rev-parse", "--verify", "-q", rev]).await.ok()?;
        let s = String::from_utf8_lossy(&out).trim().to_string();
        is_commit_id(&s).then_some(s)
    }

    fn err(&self, reason: String) -> FetchError {
        FetchError::Git {
            url: self.url.clone(),
            reason,
        }
    }
}

pub async fn fetch(
    f: &Fetcher,
    url: &str,
    reference: Option<&str>,
    spec_text: &str,
) -> Result<Fetched, FetchError> {
    if url.starts_with('-') || url.chars().any(|c| c.is_control()) {
        return Err(FetchError::Git {
            url: url.into(),
            reason: "refusing a URL that could be read as an option".into(),
        });
    }
    match fetch_once(f, url, reference, spec_text).await {
        Err(FetchError::Git { reason, .. })
            if reason.contains("failed verification") && !f.options().offline =>
        {
            // The cached repository was tampered with or corrupted: discard it, fetch again.
            let repo = f.options().cache.git_repo(url);
            let _ = std::fs::remove_dir_all(&repo);
            let mut fetched = fetch_once(f, url, reference, spec_text).await?;
            fetched.package.notes.push(
                "the cached git objects failed verification; they were discarded and fetched again"
                    .into(),
            );
            Ok(fetched)
        }
        other => other,
    }
}

async fn fetch_once(
    f: &Fetcher,
    url: &str,
    reference: Option<&str>,
    spec_text: &str,
) -> Result<Fetched, FetchError> {
    let opts = f.options();
    let io = |p: &Path, e: std::io::Error| FetchError::Io {
        path: p.display().to_string(),
        source: e,
    };
    let cache_root = opts.cache.root().to_path_buf();
    let hooks = opts
        .cache
        .empty_hooks_dir()
        .map_err(|e| io(&cache_root, e))?;
    let repo = opts.cache.git_repo(url);
    let git = Git {
        program: opts.git_program.clone(),
        repo: repo.clone(),
        hooks,
        url: url.to_string(),
        timeout: opts.git_timeout,
    };
    if !repo.join("HEAD").exists() {
        if opts.offline {
            return Err(FetchError::Offline(format!("git repository {url}")));
        }
        std::fs::create_dir_all(&repo).map_err(|e| io(&repo, e))?;
        let repo_s = repo.to_string_lossy().into_owned();
        git.run(&["init", "--bare", "--template=", "-q", &repo_s])
            .await?;
    }

    let mut notes = Vec::new();
    let (commit, kind) = if opts.offline {
        resolve_offline(&git, reference).await?
    } else {
        resolve_remote(&git, reference).await?
    };

    if !opts.offline {
        let local_ref = local_ref_name(reference, &kind, &commit);
        let previous = git.rev_parse(&format!("{local_ref}^{{commit}}")).await;
        if previous.as_deref() != Some(commit.as_str()) {
            let refspec = match (&kind, reference) {
                (RefKind::Tag, Some(r)) => format!("+refs/tags/{r}:{local_ref}"),
                (RefKind::Branch, Some(r)) => format!("+refs/heads/{r}:{local_ref}"),
                (RefKind::DefaultBranch, _) => format!("+HEAD:{local_ref}"),
                _ => format!("+{commit}:{local_ref}"),
            };
            let shallow = git
                .run(&[
                    "fetch",
                    "-q",
                    "--depth=1",
                    "--no-tags",
                    "--no-recurse-submodules",
                    "--no-write-fetch-head",
                    url,
                    &refspec,
                ])
                .await;
            if let Err(e) = shallow {
                if kind != RefKind::Commit {
                    return Err(e);
                }
                // Servers that refuse a commit id by itself: fetch the branches and tags.
                let mut args = vec![
                    "fetch",
                    "-q",
                    "--no-recurse-submodules",
                    "--no-write-fetch-head",
                ];
                // Earlier shallow fetches hide older commits behind their boundaries: deepen.
                if repo.join("shallow").exists() {
                    args.push("--unshallow");
                }
                args.extend([
                    url,
                    "+refs/heads/*:refs/mcpvet/heads/*",
                    "+refs/tags/*:refs/tags/*",
                ]);
                git.run(&args).await?;
                if git
                    .rev_parse(&format!("{commit}^{{commit}}"))
                    .await
                    .is_none()
                {
                    return Err(git.err(format!(
                        "commit {commit} is not reachable from any branch or tag"
                    )));
                }
                let _ = git.run(&["update-ref", &local_ref, &commit]).await;
            }
            if kind == RefKind::Tag {
                if let Some(prev) = previous {
                    notes.push(format!(
                        "tag {} now points at {commit}; it pointed at {prev} when last fetched",
                        reference.unwrap_or_default()
                    ));
                }
            }
        }
        let got = git.rev_parse(&format!("{local_ref}^{{commit}}")).await;
        if got.as_deref() != Some(commit.as_str()) {
            return Err(git.err(format!(
                "fetched ref resolves to {} but the remote said {commit}",
                got.unwrap_or_default()
            )));
        }
    }

    match kind {
        RefKind::Branch => notes.push(format!(
            "{} is a branch: a moving source; pin a tag or commit (resolved to {commit})",
            reference.unwrap_or_default()
        )),
        RefKind::DefaultBranch => notes.push(format!(
            "no ref given: the default branch, a moving source (resolved to {commit})"
        )),
        RefKind::Tag => notes.push(format!(
            "tag {} resolved to commit {commit}",
            reference.unwrap_or_default()
        )),
        RefKind::Commit => {}
    }

    let limits = opts.limits;
    let git2 = git.clone();
    let commit2 = commit.clone();
    let unpacked = tokio::task::spawn_blocking(move || read_commit_tree(&git2, &commit2, &limits))
        .await
        .map_err(|e| git.err(format!("reader thread failed: {e}")))??;

    let name = repo_name(url);
    Ok(Fetched {
        package: PackageInfo {
            ecosystem: "git".into(),
            name,
            version: reference
                .map(str::to_string)
                .unwrap_or_else(|| commit[..12].to_string()),
            spec: spec_text.to_string(),
            source: url.to_string(),
            digest: format!("git:{commit}"),
            verified: true,
            pinned: matches!(kind, RefKind::Commit | RefKind::Tag),
            moving: matches!(kind, RefKind::Branch | RefKind::DefaultBranch),
            commit: Some(commit),
            artifact: "git-tree".into(),
            notes,
        },
        artifact: Artifact::Unpacked(unpacked),
        metadata: None,
    })
}

fn local_ref_name(reference: Option<&str>, kind: &RefKind, commit: &str) -> String {
    match (kind, reference) {
        (RefKind::Tag, Some(r)) => format!("refs/tags/{r}"),
        (RefKind::Branch, Some(r)) => format!("refs/mcpvet/heads/{r}"),
        (RefKind::DefaultBranch, _) => "refs/mcpvet/HEAD".into(),
        _ => format!("refs/mcpvet/commits/{commit}"),
    }
}

/// `https://github.com/org/repo.git` → `org/repo`.
fn repo_name(url: &str) -> String {
    let trimmed = url.trim_end_matches('/').trim_end_matches(".git");
    let parts: Vec<&str> = trimmed.rsplit(['/', ':']).take(2).collect();
    match parts.as_slice() {
        [repo, owner] => format!("{owner}/{repo}"),
        [repo] => repo.to_string(),
        _ => trimmed.to_string(),
    }
}

async fn resolve_remote(
    git: &Git,
    reference: Option<&str>,
) -> Result<(String, RefKind), FetchError> {
    let url = git.url.clone();
    match reference {
        Some(r) if is_commit_id(r) => Ok((r.to_ascii_lowercase(), RefKind::Commit)),
        None => {
            let out = git.run(&["ls-remote", &url, "HEAD"]).await?;
            let refs = parse_ls_remote(&out);
            refs.iter()
                .find(|(_, name)| name == "HEAD")
                .map(|(c, _)| (c.clone(), RefKind::DefaultBranch))
                .ok_or_else(|| git.err("the remote has no HEAD (empty repository?)".into()))
        }
        Some(r) => {
            let tag = format!("refs/tags/{r}");
            let peeled = format!("refs/tags/{r}^{{}}");
            let head = format!("refs/heads/{r}");
            // The peeled `^{}` line of an annotated tag is listed only when asked for by name.
            let out = git.run(&["ls-remote", &url, &tag, &peeled, &head]).await?;
            let refs = parse_ls_remote(&out);
            let find = |n: &str| {
                refs.iter()
                    .find(|(_, name)| name == n)
                    .map(|(c, _)| c.clone())
            };
            if let Some(c) = find(&peeled).or_else(|| find(&tag)) {
                return Ok((c, RefKind::Tag));
            }
            if let Some(c) = find(&head) {
                return Ok((c, RefKind::Branch));
            }
            if r.len() >= 4 && r.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(git.err(format!(
                    "no tag or branch named {r}; abbreviated commit ids cannot be fetched, give the full 40-character id"
                )));
            }
            Err(FetchError::VersionNotFound {
                ecosystem: "git",
                name: url,
                what: "tag or branch",
                requested: r.to_string(),
                latest: None,
            })
        }
    }
}

async fn resolve_offline(
    git: &Git,
    reference: Option<&str>,
) -> Result<(String, RefKind), FetchError> {
    let missing = || {
        FetchError::Offline(format!(
            "git {} at {}",
            git.url,
            reference.unwrap_or("HEAD")
        ))
    };
    match reference {
        Some(r) if is_commit_id(r) => {
            let c = git
                .rev_parse(&format!("{r}^{{commit}}"))
                .await
                .ok_or_else(missing)?;
            Ok((c, RefKind::Commit))
        }
        None => Ok((
            git.rev_parse("refs/mcpvet/HEAD^{commit}")
                .await
                .ok_or_else(missing)?,
            RefKind::DefaultBranch,
        )),
        Some(r) => {
            if let Some(c) = git.rev_parse(&format!("refs/tags/{r}^{{commit}}")).await {
                return Ok((c, RefKind::Tag));
            }
            let c = git
                .rev_parse(&format!("refs/mcpvet/heads/{r}^{{commit}}"))
                .await
                .ok_or_else(missing)?;
            Ok((c, RefKind::Branch))
        }
    }
}

fn parse_ls_remote(out: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| {
            let (c, name) = l.split_once('\t')?;
            is_commit_id(c).then(|| (c.to_ascii_lowercase(), name.to_string()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading and verifying objects

struct Object {
    kind: String,
    size: u64,
    data: Vec<u8>,
}

struct Batch {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
    url: String,
}

impl Drop for Batch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Batch {
    fn err(&self, reason: String) -> FetchError {
        FetchError::Git {
            url: self.url.clone(),
            reason,
        }
    }

    /// Read object `oid`, keeping at most `cap` bytes, hashing all of it; a hash that does not
    /// match the name is an error.
    fn object(&mut self, oid: &str, cap: u64) -> Result<Object, FetchError> {
        writeln!(self.stdin, "{oid}").map_err(|e| self.err(format!("cat-file: {e}")))?;
        self.stdin
            .flush()
            .map_err(|e| self.err(format!("cat-file: {e}")))?;
        let mut header = String::new();
        self.stdout
            .read_line(&mut header)
            .map_err(|e| self.err(format!("cat-file: {e}")))?;
        let mut parts = header.split_whitespace();
        let (name, kind, size) = (parts.next(), parts.next(), parts.next());
        let size: u64 = match (name, kind, size) {
            (Some(n), Some(_), Some(s)) if n == oid => s
                .parse()
                .map_err(|_| self.err(format!("bad cat-file header {header:?}")))?,
            _ => {
                return Err(self.err(format!(
                    "object {oid} is missing from the fetched repository"
                )))
            }
        };
        let kind = kind.unwrap_or_default().to_string();
        let prefix = format!("{kind} {size}\0");
        let mut hasher = if oid.len() == 64 {
            Hasher::Sha256(Sha256::new())
        } else {
            Hasher::Sha1(Sha1::new())
        };
        hasher.update(prefix.as_bytes());
        let mut data = Vec::new();
        let mut remaining = size;
        let mut buf = vec![0u8; 64 * 1024];
        while remaining > 0 {
            let want = remaining.min(buf.len() as u64) as usize;
            let n = self
                .stdout
                .read(&mut buf[..want])
                .map_err(|e| self.err(format!("cat-file: {e}")))?;
            if n == 0 {
                return Err(self.err("cat-file ended early".into()));
            }
            hasher.update(&buf[..n]);
            let keep = (cap.saturating_sub(data.len() as u64)).min(n as u64) as usize;
            data.extend_from_slice(&buf[..keep]);
            remaining -= n as u64;
        }
        let mut nl = [0u8; 1];
        self.stdout
            .read_exact(&mut nl)
            .map_err(|e| self.err(format!("cat-file: {e}")))?;
        if hasher.finish() != oid {
            return Err(self.err(format!(
                "object {oid} failed verification (its content does not hash to its name)"
            )));
        }
        Ok(Object { kind, size, data })
    }
}

enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(b),
            Hasher::Sha256(h) => h.update(b),
        }
    }
    fn finish(self) -> String {
        match self {
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
        }
    }
}

/// Walk the commit's tree into a package tree, verifying every object read.
fn read_commit_tree(git: &Git, commit: &str, limits: &Limits) -> Result<Unpacked, FetchError> {
    let mut cmd = git.std_command();
    cmd.args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .map_err(|e| git.err(format!("cannot run git cat-file: {e}")))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(git.err("cat-file pipes unavailable".into()));
    };
    let mut batch = Batch {
        child,
        stdin,
        stdout: BufReader::new(stdout),
        url: git.url.clone(),
    };

    let c = batch.object(commit, 1024 * 1024)?;
    if c.kind != "commit" {
        return Err(batch.err(format!("{commit} is a {}, not a commit", c.kind)));
    }
    let text = String::from_utf8_lossy(&c.data);
    let tree = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("tree "))
        .map(str::to_string)
        .ok_or_else(|| batch.err(format!("commit {commit} names no tree")))?;

    let oid_len = commit.len() / 2;
    let mut out = Collector::new(*limits, false);
    let mut total: u64 = 0;
    let mut stack = vec![(tree, String::new())];
    'walk: while let Some((tree_oid, prefix)) = stack.pop() {
        let t = batch.object(&tree_oid, u64::MAX)?;
        if t.kind != "tree" {
            return Err(batch.err(format!("{tree_oid} is a {}, not a tree", t.kind)));
        }
        for (mode, name, oid) in parse_tree(&t.data, oid_len)
            .ok_or_else(|| batch.err(format!("tree {tree_oid} is malformed")))?
        {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if !out.admit() {
                break 'walk;
            }
            match mode.as_str() {
                "40000" | "040000" => stack.push((oid, path)),
                "160000" => out.note(
                    Finding::new(
                        "archive.submodule",
                        Category::Archive,
                        Severity::Medium,
                        path,
                        format!("git submodule (commit {oid}) is not fetched; its code is not part of this review"),
                    )
                    .with("commit", oid),
                ),
                "120000" => {
                    let o = batch.object(&oid, 4096)?;
                    total += o.size;
                    out.symlink(path.as_bytes(), &o.data);
                }
                _ => {
                    let remaining = limits.max_total_bytes.saturating_sub(total);
                    let o = batch.object(&oid, limits.max_file_bytes.min(remaining))?;
                    total += o.size;
                    out.file(path.as_bytes(), o.data, o.size, mode == "100755");
                    if total > limits.max_total_bytes {
                        out.note(size_limit_finding(limits, total));
                        break 'walk;
                    }
                }
            }
        }
    }
    Ok(out.finish())
}

/// Tree object entries: `<mode> <name>\0<raw oid>`.
fn parse_tree(data: &[u8], oid_len: usize) -> Option<Vec<(String, String, String)>> {
    let mut entries = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let sp = data[i..].iter().position(|&b| b == b' ')? + i;
        let nul = data[sp..].iter().position(|&b| b == 0)? + sp;
        let mode = String::from_utf8_lossy(&data[i..sp]).into_owned();
        let name = String::from_utf8_lossy(&data[sp + 1..nul]).into_owned();
        let oid = data.get(nul + 1..nul + 1 + oid_len)?;
        entries.push((mode, name, hex::encode(oid)));
        i = nul + 1 + oid_len;
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ls_remote() {
        assert_eq!(repo_name("https://github.com/org/repo.git"), "org/repo");
        assert_eq!(repo_name("ssh://git@host/org/repo"), "org/repo");
        let out = b"0123456789abcdef0123456789abcdef01234567\trefs/tags/v1\nnot-a-line\n";
        assert_eq!(
            parse_ls_remote(out),
            vec![(
                "0123456789abcdef0123456789abcdef01234567".into(),
                "refs/tags/v1".into()
            )]
        );
    }

    #[test]
    fn tree_parsing() {
        let mut data = b"100644 a.js\0".to_vec();
        data.extend_from_slice(&[0xab; 20]);
        data.extend_from_slice(b"40000 dir\0");
        data.extend_from_slice(&[0x01; 20]);
        let e = parse_tree(&data, 20).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, "a.js");
        assert_eq!(e[1].0, "40000");
        assert!(parse_tree(b"100644 truncated\0abc", 20).is_none());
    }
}
