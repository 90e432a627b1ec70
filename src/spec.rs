//! The spec grammar: what a user types (`npm:pkg@1.2.3`, `pypi:pkg==1.0`, `git+https://…@v1`,
//! a local path) and what an MCP client config says (`npx -y pkg@1.2.3`, `uvx pkg`, `docker run
//! image`, a remote `url`), turned into one [`Spec`] value.

use std::fmt;
use std::path::{Path, PathBuf};

/// Errors from parsing a spec or a config command line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("empty spec")]
    Empty,
    #[error("invalid npm package name {0:?}: {1}")]
    NpmName(String, &'static str),
    #[error("invalid npm version or range {0:?}")]
    NpmVersion(String),
    #[error("invalid PyPI project name {0:?}")]
    PypiName(String),
    #[error("invalid PyPI version specifier {0:?}: {1}")]
    PypiSpecifier(String, String),
    #[error("invalid git source {0:?}: {1}")]
    Git(String, &'static str),
    #[error("invalid docker image reference {0:?}")]
    Docker(String),
    #[error("invalid remote server URL {0:?}")]
    Remote(String),
    #[error("unrecognised spec {0:?}: use npm:NAME, pypi:NAME, git+https://…, github:OWNER/REPO, or a path to a directory or archive")]
    Unrecognised(String),
    #[error("`{0}` does not start a package this tool can fetch (expected npx, bunx, pnpm dlx, yarn dlx, npm exec, uvx, pipx run or docker run)")]
    NotALauncher(String),
    #[error("`{0}` names no package in its arguments")]
    NoPackage(String),
}

/// What version a spec asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionReq {
    /// Nothing said: the registry's current version (unpinned).
    Latest,
    /// One exact version (pinned).
    Exact(String),
    /// A range or specifier (`^1.2`, `>=1,<2`): resolved to the highest match (unpinned).
    Range(String),
    /// An npm dist-tag (`latest`, `next`): resolved through the registry (unpinned).
    Tag(String),
}

impl VersionReq {
    pub fn is_exact(&self) -> bool {
        matches!(self, VersionReq::Exact(_))
    }
}

/// Kind of local artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    Dir,
    TarGz,
    Tar,
    Zip,
    Wheel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    Npm {
        name: String,
        req: VersionReq,
    },
    Pypi {
        /// PEP 503 normalised name.
        name: String,
        req: VersionReq,
    },
    Git {
        /// URL as git understands it (without the `git+` prefix).
        url: String,
        /// Tag, branch or commit; `None` means the remote's default branch.
        reference: Option<String>,
    },
    Local {
        path: PathBuf,
        kind: LocalKind,
    },
    Docker {
        image: String,
        tag: Option<String>,
        digest: Option<String>,
    },
    Remote {
        url: String,
    },
}

impl Spec {
    /// Parse what a user typed.
    pub fn parse(input: &str) -> Result<Spec, SpecError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(SpecError::Empty);
        }
        if let Some(rest) = s.strip_prefix("npm:") {
            return parse_npm(rest);
        }
        if let Some(rest) = s.strip_prefix("pypi:") {
            return parse_pypi(rest);
        }
        if let Some(rest) = s.strip_prefix("docker:") {
            return parse_docker(rest);
        }
        if s.starts_with("git+") || s.starts_with("github:") {
            return parse_git(s);
        }
        if s.starts_with("https://") || s.starts_with("http://") {
            return parse_remote(s);
        }
        if let Some(kind) = local_kind(Path::new(s)) {
            return Ok(Spec::Local {
                path: PathBuf::from(s),
                kind,
            });
        }
        Err(SpecError::Unrecognised(s.to_string()))
    }

    /// True when the spec names exactly one artifact: an exact version, a git commit or tag,
    /// an image digest, or a local file.
    pub fn is_pinned(&self) -> bool {
        match self {
            Spec::Npm { req, .. } | Spec::Pypi { req, .. } => req.is_exact(),
            Spec::Git { reference, .. } => reference.is_some(),
            Spec::Local { .. } => true,
            Spec::Docker { digest, .. } => digest.is_some(),
            Spec::Remote { .. } => false,
        }
    }

    pub fn ecosystem(&self) -> &'static str {
        match self {
            Spec::Npm { .. } => "npm",
            Spec::Pypi { .. } => "pypi",
            Spec::Git { .. } => "git",
            Spec::Local { .. } => "local",
            Spec::Docker { .. } => "docker",
            Spec::Remote { .. } => "remote",
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Npm { name, req } => match req {
                VersionReq::Latest => write!(f, "npm:{name}"),
                VersionReq::Exact(v) | VersionReq::Range(v) | VersionReq::Tag(v) => {
                    write!(f, "npm:{name}@{v}")
                }
            },
            Spec::Pypi { name, req } => match req {
                VersionReq::Latest => write!(f, "pypi:{name}"),
                VersionReq::Exact(v) => write!(f, "pypi:{name}=={v}"),
                VersionReq::Range(v) | VersionReq::Tag(v) => write!(f, "pypi:{name}{v}"),
            },
            Spec::Git { url, reference } => match reference {
                Some(r) => write!(f, "git+{url}@{r}"),
                None => write!(f, "git+{url}"),
            },
            Spec::Local { path, .. } => write!(f, "{}", path.display()),
            Spec::Docker { image, tag, digest } => {
                write!(f, "docker:{image}")?;
                if let Some(t) = tag {
                    write!(f, ":{t}")?;
                }
                if let Some(d) = digest {
                    write!(f, "@{d}")?;
                }
                Ok(())
            }
            Spec::Remote { url } => write!(f, "{url}"),
        }
    }
}

/// Guess the local artifact kind of a path: an existing directory, or an archive by extension.
pub fn local_kind(path: &Path) -> Option<LocalKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        Some(LocalKind::TarGz)
    } else if name.ends_with(".tar") {
        Some(LocalKind::Tar)
    } else if name.ends_with(".whl") {
        Some(LocalKind::Wheel)
    } else if name.ends_with(".zip") {
        Some(LocalKind::Zip)
    } else if path.is_dir() {
        Some(LocalKind::Dir)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// npm

/// Validate an npm package name (scoped or not). The name ends up in a URL path, so anything
/// outside the registry's own rules is refused rather than escaped.
pub fn validate_npm_name(name: &str) -> Result<(), SpecError> {
    let err = |why| Err(SpecError::NpmName(name.to_string(), why));
    if name.is_empty() {
        return err("empty name");
    }
    if name.len() > 214 {
        return err("longer than 214 characters");
    }
    let (scope, bare) = match name.strip_prefix('@') {
        Some(rest) => match rest.split_once('/') {
            Some((s, b)) => (Some(s), b),
            None => return err("a scoped name needs @scope/name"),
        },
        None => (None, name),
    };
    let part_ok = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && !p.starts_with('_')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    };
    if let Some(s) = scope {
        if !part_ok(s) {
            return err("bad scope");
        }
    }
    if !part_ok(bare) {
        return err(
            "only letters, digits, '-', '.', '_' and '~' are allowed, not first '.' or '_'",
        );
    }
    Ok(())
}

/// `name`, `name@1.2.3`, `@scope/name@^1`, `name@next`.
pub fn parse_npm(s: &str) -> Result<Spec, SpecError> {
    let s = s.trim();
    let search_from = usize::from(s.starts_with('@'));
    let (name, version) = match s[search_from..].find('@') {
        Some(i) => (&s[..search_from + i], Some(&s[search_from + i + 1..])),
        None => (s, None),
    };
    validate_npm_name(name)?;
    let req = match version {
        None => VersionReq::Latest,
        Some(v) => npm_req(v)?,
    };
    Ok(Spec::Npm {
        name: name.to_string(),
        req,
    })
}

fn npm_req(v: &str) -> Result<VersionReq, SpecError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(VersionReq::Latest);
    }
    let bare = v.trim_start_matches('=').trim_start_matches('v');
    if bare.chars().next().is_some_and(|c| c.is_ascii_digit())
        && nodejs_semver::Version::parse(bare).is_ok()
        && !v.contains(' ')
    {
        return Ok(VersionReq::Exact(bare.to_string()));
    }
    if nodejs_semver::Range::parse(v).is_ok() {
        return Ok(VersionReq::Range(v.to_string()));
    }
    let tag_ok = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if tag_ok {
        return Ok(VersionReq::Tag(v.to_string()));
    }
    Err(SpecError::NpmVersion(v.to_string()))
}

// ---------------------------------------------------------------------------------------------
// PyPI

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn valid_pypi_name(name: &str) -> bool {
    // PEP 508: starts and ends with a letter or digit; inner '-', '_', '.'.
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= 200
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `name`, `name==1.0`, `name[extra]>=1,<2`, `name@1.0` (uvx style).
pub fn parse_pypi(s: &str) -> Result<Spec, SpecError> {
    let s = s.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    let (raw_name, mut rest) = s.split_at(end);
    if !valid_pypi_name(raw_name) {
        return Err(SpecError::PypiName(s.to_string()));
    }
    rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        match after.find(']') {
            Some(i) => rest = after[i + 1..].trim_start(),
            None => return Err(SpecError::PypiName(s.to_string())),
        }
    }
    // Environment markers do not choose the artifact: drop them.
    if let Some(i) = rest.find(';') {
        rest = rest[..i].trim_end();
    }
    let req = if rest.is_empty() {
        VersionReq::Latest
    } else if let Some(v) = rest.strip_prefix('@') {
        // uvx accepts `pkg@1.2.3` and `pkg@latest`.
        let v = v.trim();
        if v == "latest" {
            VersionReq::Latest
        } else {
            exact_pep440(v, s)?
        }
    } else if let Some(v) = rest.strip_prefix("===") {
        VersionReq::Exact(v.trim().to_string())
    } else if let Some(v) = rest
        .strip_prefix("==")
        .filter(|v| !v.contains(',') && !v.contains('*'))
    {
        exact_pep440(v.trim(), s)?
    } else {
        rest.parse::<pep440_rs::VersionSpecifiers>()
            .map_err(|e| SpecError::PypiSpecifier(s.to_string(), e.to_string()))?;
        VersionReq::Range(rest.to_string())
    };
    Ok(Spec::Pypi {
        name: normalize_pypi_name(raw_name),
        req,
    })
}

fn exact_pep440(v: &str, whole: &str) -> Result<VersionReq, SpecError> {
    v.parse::<pep440_rs::Version>()
        .map_err(|e| SpecError::PypiSpecifier(whole.to_string(), e.to_string()))?;
    Ok(VersionReq::Exact(v.to_string()))
}

// ---------------------------------------------------------------------------------------------
// git

/// True for a full commit id (SHA-1 or SHA-256 object name).
pub fn is_commit_id(r: &str) -> bool {
    (r.len() == 40 || r.len() == 64) && r.chars().all(|c| c.is_ascii_hexdigit())
}

/// A ref name git will accept and that cannot be mistaken for an option.
pub fn valid_git_ref(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 255
        && !r.starts_with('-')
        && !r.starts_with('/')
        && !r.ends_with('/')
        && !r.ends_with(".lock")
        && !r.contains("..")
        && !r.contains("@{")
        && !r.contains("//")
        && r.chars().all(|c| {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\')
        })
}

/// `git+https://host/o/r[.git][@ref|#ref]`, `git+ssh://git@host/o/r@ref`, `github:o/r[@ref|#ref]`.
pub fn parse_git(s: &str) -> Result<Spec, SpecError> {
    let bad = |why| SpecError::Git(s.to_string(), why);
    let (url, reference) = if let Some(rest) = s.strip_prefix("github:") {
        let (path, r) = split_ref(rest, 0);
        let mut parts = path.splitn(2, '/');
        let owner = parts.next().unwrap_or_default();
        let repo = parts.next().unwrap_or_default().trim_end_matches(".git");
        let ok = |p: &str| {
            !p.is_empty()
                && !p.starts_with('.')
                && !p.starts_with('-')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !ok(owner) || !ok(repo) {
            return Err(bad("expected github:OWNER/REPO"));
        }
        (format!("https://github.com/{owner}/{repo}.git"), r)
    } else {
        let rest = s
            .strip_prefix("git+")
            .ok_or_else(|| bad("expected git+URL"))?;
        let scheme_end = rest.find("://").ok_or_else(|| bad("expected a URL"))?;
        let scheme = &rest[..scheme_end];
        if !matches!(scheme, "https" | "http" | "ssh" | "git" | "file") {
            return Err(bad("only https, http, ssh, git and file URLs are allowed"));
        }
        // The ref marker `@` must come after the host part (ssh URLs carry `user@host`).
        let path_start = rest[scheme_end + 3..]
            .find('/')
            .map(|i| scheme_end + 3 + i)
            .ok_or_else(|| bad("URL has no repository path"))?;
        let (url, r) = split_ref(rest, path_start);
        if url.len() <= path_start + 1 {
            return Err(bad("URL has no repository path"));
        }
        if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("URL contains spaces or control characters"));
        }
        (url.to_string(), r)
    };
    if let Some(r) = &reference {
        if !valid_git_ref(r) {
            return Err(bad("invalid ref name"));
        }
    }
    Ok(Spec::Git { url, reference })
}

/// Split `path[#ref]` or `path[@ref]`, looking for `@` only at or after `from`.
fn split_ref(s: &str, from: usize) -> (&str, Option<String>) {
    if let Some(i) = s.find('#') {
        let r = &s[i + 1..];
        // npm-style `#semver:` is not a ref git understands; keep it visible as given.
        return (&s[..i], (!r.is_empty()).then(|| r.to_string()));
    }
    match s[from..].rfind('@') {
        Some(i) => {
            let r = &s[from + i + 1..];
            (&s[..from + i], (!r.is_empty()).then(|| r.to_string()))
        }
        None => (s, None),
    }
}

// ---------------------------------------------------------------------------------------------
// docker and remote

/// `image`, `image:tag`, `registry:5000/org/image:tag@sha256:…`.
pub fn parse_docker(s: &str) -> Result<Spec, SpecError> {
    let s = s.trim();
    let bad = || SpecError::Docker(s.to_string());
    if s.is_empty() || s.starts_with('-') {
        return Err(bad());
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            let ok = d.split_once(':').is_some_and(|(algo, hex)| {
                !algo.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
            });
            if !ok {
                return Err(bad());
            }
            (r, Some(d.to_string()))
        }
        None => (s, None),
    };
    // A ':' after the last '/' is a tag; before it, a registry port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (image, tag) = match rest[last_slash..].find(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(rest[last_slash + i + 1..].to_string()),
        ),
        None => (rest, None),
    };
    let image_ok = !image.is_empty()
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'));
    let tag_ok = tag.as_deref().is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    });
    if !image_ok || !tag_ok {
        return Err(bad());
    }
    Ok(Spec::Docker {
        image: image.to_string(),
        tag,
        digest,
    })
}

/// A remote (HTTP/SSE) MCP server: kept as a spec, never fetched.
pub fn parse_remote(s: &str) -> Result<Spec, SpecError> {
    let u = url::Url::parse(s.trim()).map_err(|_| SpecError::Remote(s.to_string()))?;
    if !matches!(u.scheme(), "http" | "https" | "ws" | "wss") || u.host_str().is_none() {
        return Err(SpecError::Remote(s.to_string()));
    }
    Ok(Spec::Remote { url: u.to_string() })
}

// ---------------------------------------------------------------------------------------------
// MCP config command lines

/// Turn an MCP client config's `command` + `args` into a spec.
pub fn from_command(command: &str, args: &[String]) -> Result<Spec, SpecError> {
    let program = program_name(command);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // `cmd /c npx …` on Windows.
    if program == "cmd" {
        if let Some(pos) = args.iter().position(|a| a.eq_ignore_ascii_case("/c")) {
            if let Some((cmd, rest)) = args[pos + 1..].split_first() {
                let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
                return from_command(cmd, &rest);
            }
        }
        return Err(SpecError::NotALauncher(command.to_string()));
    }
    let whole = || format!("{command} {}", args.join(" "));
    match program.as_str() {
        "npx" | "pnpx" => npm_launcher(&args, &["-p", "--package"], &whole()),
        "bunx" => npm_launcher(&args, &["-p", "--package"], &whole()),
        "pnpm" | "yarn" if args.first() == Some(&"dlx") => {
            npm_launcher(&args[1..], &["-p", "--package"], &whole())
        }
        "npm" if matches!(args.first(), Some(&"exec") | Some(&"x")) => {
            npm_launcher(&args[1..], &["-p", "--package"], &whole())
        }
        "uvx" => python_launcher(&args, "--from", &whole()),
        "uv" if args.len() >= 2 && args[0] == "tool" && args[1] == "run" => {
            python_launcher(&args[2..], "--from", &whole())
        }
        "pipx" if args.first() == Some(&"run") => python_launcher(&args[1..], "--spec", &whole()),
        "docker" | "podman" if args.first() == Some(&"run") => {
            docker_launcher(&args[1..], &whole())
        }
        _ => Err(SpecError::NotALauncher(command.to_string())),
    }
}

/// A remote server's `url` (or `serverUrl`) from a config.
pub fn from_url(url: &str) -> Result<Spec, SpecError> {
    parse_remote(url)
}

fn program_name(command: &str) -> String {
    let base = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let lower = base.to_ascii_lowercase();
    for ext in [".cmd", ".exe", ".bat", ".ps1"] {
        if let Some(stem) = lower.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    lower
}

/// Split `--flag=value` or `--flag value` for flags in `with_value`.
fn take_flag<'a>(args: &[&'a str], i: &mut usize, names: &[&str]) -> Option<&'a str> {
    let a = args[*i];
    for n in names {
        if a == *n {
            *i += 1;
            return args.get(*i).copied();
        }
        if let Some(v) = a.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
            return Some(v);
        }
    }
    None
}

fn npm_package_spec(p: &str) -> Result<Spec, SpecError> {
    if p.starts_with("github:") || p.starts_with("git+") {
        parse_git(p)
    } else if let Some(rest) = p.strip_prefix("npm:") {
        parse_npm(rest)
    } else if p.starts_with('.') || p.starts_with('/') || p.starts_with("file:") {
        let path = p.strip_prefix("file:").unwrap_or(p);
        let kind = local_kind(Path::new(path)).unwrap_or(LocalKind::Dir);
        Ok(Spec::Local {
            path: PathBuf::from(path),
            kind,
        })
    } else {
        parse_npm(p)
    }
}

fn npm_launcher(args: &[&str], package_flags: &[&str], whole: &str) -> Result<Spec, SpecError> {
    let mut package = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if a == "--" {
            if package.is_none() {
                if let Some(p) = args.get(i + 1) {
                    return npm_package_spec(p);
                }
            }
            break;
        }
        // Flags with a value that name no package.
        const VALUE_FLAGS: &[&str] = &[
            "--registry",
            "--cache",
            "--userconfig",
            "-c",
            "--call",
            "--node-options",
            "--shell",
        ];
        if let Some(v) = take_flag(args, &mut i, package_flags) {
            package.get_or_insert(v);
        } else if take_flag(args, &mut i, VALUE_FLAGS).is_none() && !a.starts_with('-') {
            // The first positional argument (boolean flags such as -y, --bun are skipped).
            return npm_package_spec(package.unwrap_or(a));
        }
        i += 1;
    }
    match package {
        Some(p) => npm_package_spec(p),
        None => Err(SpecError::NoPackage(whole.to_string())),
    }
}

fn python_package_spec(p: &str) -> Result<Spec, SpecError> {
    if p.starts_with("git+") || p.starts_with("github:") {
        parse_git(p)
    } else if p.starts_with('.') || p.starts_with('/') {
        let kind = local_kind(Path::new(p)).unwrap_or(LocalKind::Dir);
        Ok(Spec::Local {
            path: PathBuf::from(p),
            kind,
        })
    } else if let Some((name, url)) = p.split_once(" @ ") {
        // PEP 508 direct reference: `name @ git+https://…`
        let _ = name;
        python_package_spec(url.trim())
    } else {
        parse_pypi(p)
    }
}

fn python_launcher(args: &[&str], from_flag: &str, whole: &str) -> Result<Spec, SpecError> {
    let mut from = None;
    let mut i = 0;
    let value_flags = [
        "--with",
        "-w",
        "--python",
        "-p",
        "--index-url",
        "-i",
        "--extra-index-url",
        "--index",
        "--default-index",
        "--find-links",
        "-f",
        "--pip-args",
        "--with-requirements",
        "--constraints",
        "--overrides",
        "--directory",
        "--project",
        "--cache-dir",
        "--config-file",
        "--env-file",
        "--python-preference",
        "--refresh-package",
        "--reinstall-package",
        "--upgrade-package",
        "-P",
        "--exclude-newer",
    ];
    while i < args.len() {
        let a = args[i];
        if a == "--" {
            i += 1;
            if from.is_none() {
                if let Some(p) = args.get(i) {
                    return python_package_spec(p);
                }
            }
            break;
        }
        if let Some(v) = take_flag(args, &mut i, &[from_flag]) {
            from.get_or_insert(v);
        } else if take_flag(args, &mut i, &value_flags).is_none() && !a.starts_with('-') {
            // The first positional argument: the package (or, with --from, the command).
            return python_package_spec(from.unwrap_or(a));
        }
        i += 1;
    }
    match from {
        Some(p) => python_package_spec(p),
        None => Err(SpecError::NoPackage(whole.to_string())),
    }
}

fn docker_launcher(args: &[&str], whole: &str) -> Result<Spec, SpecError> {
    let value_flags = [
        "-e",
        "--env",
        "--env-file",
        "-v",
        "--volume",
        "--name",
        "-p",
        "--publish",
        "--network",
        "--net",
        "--mount",
        "-w",
        "--workdir",
        "-u",
        "--user",
        "--entrypoint",
        "--platform",
        "-l",
        "--label",
        "--add-host",
        "--cap-add",
        "--cap-drop",
        "-m",
        "--memory",
        "--cpus",
        "--pull",
        "-h",
        "--hostname",
        "--security-opt",
        "--tmpfs",
        "--device",
        "--ulimit",
        "--dns",
        "--log-driver",
        "--log-opt",
        "--restart",
        "--gpus",
        "--ipc",
        "--pid",
        "--runtime",
        "--shm-size",
        "--stop-signal",
        "--userns",
        "--label-file",
        "--cidfile",
        "--expose",
        "--group-add",
        "--health-cmd",
        "--memory-swap",
        "--cpu-shares",
        "-c",
        "--init-path",
    ];
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if take_flag(args, &mut i, &value_flags).is_some() || a.starts_with('-') {
            i += 1;
            continue;
        }
        return parse_docker(a);
    }
    Err(SpecError::NoPackage(whole.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn npm_specs() {
        assert_eq!(
            Spec::parse("npm:@modelcontextprotocol/server-filesystem@2026.8.31").unwrap(),
            Spec::Npm {
                name: "@modelcontextprotocol/server-filesystem".into(),
                req: VersionReq::Exact("2026.8.31".into())
            }
        );
        assert_eq!(
            Spec::parse("npm:left-pad").unwrap(),
            Spec::Npm {
                name: "left-pad".into(),
                req: VersionReq::Latest
            }
        );
        assert_eq!(
            Spec::parse("npm:@scope/x@^1.2").unwrap(),
            Spec::Npm {
                name: "@scope/x".into(),
                req: VersionReq::Range("^1.2".into())
            }
        );
        assert_eq!(
            Spec::parse("npm:x@next").unwrap(),
            Spec::Npm {
                name: "x".into(),
                req: VersionReq::Tag("next".into())
            }
        );
        assert_eq!(
            Spec::parse("npm:x@1").unwrap(),
            Spec::Npm {
                name: "x".into(),
                req: VersionReq::Range("1".into())
            }
        );
        assert_eq!(
            Spec::parse("npm:x@v1.0.0-beta.1").unwrap(),
            Spec::Npm {
                name: "x".into(),
                req: VersionReq::Exact("1.0.0-beta.1".into())
            }
        );
        assert!(Spec::parse("npm:x@1.0.0").unwrap().is_pinned());
        assert!(!Spec::parse("npm:x@^1").unwrap().is_pinned());
        for bad in [
            "npm:../etc",
            "npm:@scope",
            "npm:a b",
            "npm:.hidden",
            "npm:x/y",
            "npm:@s/../x",
        ] {
            assert!(Spec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pypi_specs() {
        assert_eq!(
            Spec::parse("pypi:MCP_Server.Fetch==2026.10.24").unwrap(),
            Spec::Pypi {
                name: "mcp-server-fetch".into(),
                req: VersionReq::Exact("2026.10.24".into())
            }
        );
        assert_eq!(
            Spec::parse("pypi:mcp-server-fetch[extra1,extra2]>=1,<2").unwrap(),
            Spec::Pypi {
                name: "mcp-server-fetch".into(),
                req: VersionReq::Range(">=1,<2".into())
            }
        );
        assert_eq!(
            Spec::parse("pypi:foo==1.*").unwrap(),
            Spec::Pypi {
                name: "foo".into(),
                req: VersionReq::Range("==1.*".into())
            }
        );
        assert_eq!(
            Spec::parse("pypi:foo").unwrap(),
            Spec::Pypi {
                name: "foo".into(),
                req: VersionReq::Latest
            }
        );
        assert!(Spec::parse("pypi:foo>>1").is_err());
        assert!(Spec::parse("pypi:-foo").is_err());
        assert!(Spec::parse("pypi:foo==notaversion!").is_err());
    }

    #[test]
    fn git_specs() {
        assert_eq!(
            Spec::parse("git+https://github.com/o/r.git@v1.2.0").unwrap(),
            Spec::Git {
                url: "https://github.com/o/r.git".into(),
                reference: Some("v1.2.0".into())
            }
        );
        assert_eq!(
            Spec::parse("git+ssh://git@github.com/o/r.git#main").unwrap(),
            Spec::Git {
                url: "ssh://git@github.com/o/r.git".into(),
                reference: Some("main".into())
            }
        );
        assert_eq!(
            Spec::parse("git+ssh://git@github.com/o/r.git").unwrap(),
            Spec::Git {
                url: "ssh://git@github.com/o/r.git".into(),
                reference: None
            }
        );
        assert_eq!(
            Spec::parse("github:o/r@0123456789abcdef0123456789abcdef01234567").unwrap(),
            Spec::Git {
                url: "https://github.com/o/r.git".into(),
                reference: Some("0123456789abcdef0123456789abcdef01234567".into())
            }
        );
        for bad in [
            "git+ext::sh -c evil",
            "git+https://h/r@--upload-pack=x",
            "github:o",
            "git+https://host",
            "git+https://h/r@a..b",
        ] {
            assert!(Spec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_and_remote() {
        assert_eq!(
            Spec::parse("./pkg.tgz").unwrap(),
            Spec::Local {
                path: "./pkg.tgz".into(),
                kind: LocalKind::TarGz
            }
        );
        assert_eq!(
            Spec::parse("x-1.0-py3-none-any.whl").unwrap(),
            Spec::Local {
                path: "x-1.0-py3-none-any.whl".into(),
                kind: LocalKind::Wheel
            }
        );
        assert!(matches!(
            Spec::parse("https://mcp.example.com/sse").unwrap(),
            Spec::Remote { .. }
        ));
        assert!(matches!(
            Spec::parse("nonsense"),
            Err(SpecError::Unrecognised(_))
        ));
    }

    #[test]
    fn commands() {
        let npm = |n: &str, v: &str| Spec::Npm {
            name: n.into(),
            req: if v.is_empty() {
                VersionReq::Latest
            } else {
                VersionReq::Exact(v.into())
            },
        };
        assert_eq!(
            from_command("npx", &s(&["-y", "@a/b@1.0.0", "/tmp"])).unwrap(),
            npm("@a/b", "1.0.0")
        );
        assert_eq!(
            from_command("npx", &s(&["--package", "pkg@2.0.0", "bin-name"])).unwrap(),
            npm("pkg", "2.0.0")
        );
        assert_eq!(
            from_command("npx", &s(&["--package=pkg@2.0.0", "--", "bin"])).unwrap(),
            npm("pkg", "2.0.0")
        );
        assert_eq!(
            from_command("/usr/bin/npx.cmd", &s(&["pkg"])).unwrap(),
            npm("pkg", "")
        );
        assert_eq!(
            from_command("bunx", &s(&["--bun", "pkg@1.0.0"])).unwrap(),
            npm("pkg", "1.0.0")
        );
        assert_eq!(
            from_command("pnpm", &s(&["dlx", "pkg@1.0.0"])).unwrap(),
            npm("pkg", "1.0.0")
        );
        assert_eq!(
            from_command("yarn", &s(&["dlx", "-q", "pkg@1.0.0"])).unwrap(),
            npm("pkg", "1.0.0")
        );
        assert_eq!(
            from_command("npm", &s(&["exec", "--yes", "--", "pkg@1.0.0"])).unwrap(),
            npm("pkg", "1.0.0")
        );
        assert_eq!(
            from_command("cmd", &s(&["/c", "npx", "-y", "pkg@1.0.0"])).unwrap(),
            npm("pkg", "1.0.0")
        );
        assert_eq!(
            from_command("uvx", &s(&["mcp-server-fetch==2026.10.24"])).unwrap(),
            Spec::Pypi {
                name: "mcp-server-fetch".into(),
                req: VersionReq::Exact("2026.10.24".into())
            }
        );
        assert_eq!(
            from_command("uvx", &s(&["--python", "3.12", "Mcp_Server@1.0"])).unwrap(),
            Spec::Pypi {
                name: "mcp-server".into(),
                req: VersionReq::Exact("1.0".into())
            }
        );
        assert_eq!(
            from_command(
                "uvx",
                &s(&["--from", "git+https://github.com/o/r@v1", "server-name"])
            )
            .unwrap(),
            Spec::Git {
                url: "https://github.com/o/r".into(),
                reference: Some("v1".into())
            }
        );
        assert_eq!(
            from_command("pipx", &s(&["run", "--spec", "pkg==1.0", "cmd"])).unwrap(),
            Spec::Pypi {
                name: "pkg".into(),
                req: VersionReq::Exact("1.0".into())
            }
        );
        assert_eq!(
            from_command(
                "docker",
                &s(&["run", "-i", "--rm", "-e", "TOKEN", "ghcr.io/org/img:1.2"])
            )
            .unwrap(),
            Spec::Docker {
                image: "ghcr.io/org/img".into(),
                tag: Some("1.2".into()),
                digest: None
            }
        );
        let dig = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            from_command(
                "docker",
                &s(&["run", "--env=A=b", &format!("localhost:5000/img@{dig}")])
            )
            .unwrap(),
            Spec::Docker {
                image: "localhost:5000/img".into(),
                tag: None,
                digest: Some(dig.clone())
            }
        );
        assert!(matches!(
            from_command("node", &s(&["server.js"])),
            Err(SpecError::NotALauncher(_))
        ));
        assert!(matches!(
            from_command("npx", &s(&["-y"])),
            Err(SpecError::NoPackage(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            "npm:@a/b@1.0.0",
            "pypi:foo==1.0",
            "git+https://h/o/r@v1",
            "npm:x@^1",
        ] {
            assert_eq!(Spec::parse(spec).unwrap().to_string(), spec);
        }
    }
}
