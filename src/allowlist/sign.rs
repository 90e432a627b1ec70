//! SSH signatures over canonical entries (the format of `ssh-keygen -Y sign`, namespace
//! [`NAMESPACE`]) and the OpenSSH `allowed_signers` file that says whose signatures count.
//!
//! Signing: an unencrypted private key (ed25519, ECDSA P-256/P-384, RSA) signs natively; a
//! public key (the private half in `ssh-agent`), an encrypted key, or a key type this build
//! cannot sign with goes through `ssh-keygen -Y sign`, exactly as git does for SSH commit
//! signing. Verification is native: principals, `namespaces=`, `valid-after=`/`valid-before=`
//! are honoured; `cert-authority` lines are parsed and reported as unsupported.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use super::AllowlistError;

/// The SSHSIG namespace of every mcpvet verdict signature.
pub const NAMESPACE: &str = "mcpvet-verdict";

/// Where the signing key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A private key file (signed natively when unencrypted) or a public key file whose
    /// private half is in the agent (signed with `ssh-keygen -Y sign`).
    File(PathBuf),
    /// A public key literal (`ssh-ed25519 AAAA…`, git's `key::…` form): signed by the agent.
    Literal(String),
}

/// A key ready to sign, and who it signs as.
#[derive(Debug, Clone)]
pub struct Signer {
    pub source: KeySource,
    pub public: PublicKey,
    /// The principal the signature is recorded under (checked against `allowed_signers`).
    pub principal: String,
}

/// The reviewer's key settings, as given on the command line, in the settings file or by git.
#[derive(Debug, Clone, Default)]
pub struct KeyConfig {
    /// `--key` or the settings file's `signing.key`; falls back to git's `user.signingKey`.
    pub key: Option<String>,
    /// `--principal` or `signing.principal`; falls back to the `allowed_signers` line of the
    /// key, then git's `user.email`.
    pub principal: Option<String>,
    /// `--allowed-signers` or `signing.allowed_signers`; falls back to git's
    /// `gpg.ssh.allowedSignersFile`.
    pub allowed_signers: Option<PathBuf>,
    /// Where git is asked (`git -C DIR config …`): the allowlist's directory.
    pub git_dir: Option<PathBuf>,
}

/// `git config --get NAME` in `dir`, or none.
pub fn git_config(dir: Option<&Path>, name: &str) -> Option<String> {
    let mut cmd = Command::new("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    let out = cmd
        .args(["config", "--get", name])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let v = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!v.is_empty()).then_some(v)
}

fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => dirs::home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    }
}

impl KeyConfig {
    /// The `allowed_signers` file: the configured one, else git's.
    pub fn allowed_signers_path(&self) -> Option<PathBuf> {
        self.allowed_signers.clone().or_else(|| {
            git_config(self.git_dir.as_deref(), "gpg.ssh.allowedSignersFile")
                .map(|p| expand_home(&p))
        })
    }

    /// Who an audit record names without loading the key: the configured principal, else
    /// git's `user.email`, else the login name.
    pub fn actor(&self) -> String {
        self.principal
            .clone()
            .or_else(|| git_config(self.git_dir.as_deref(), "user.email"))
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into())
    }

    /// Resolve the key and the principal it signs as.
    pub fn signer(&self) -> Result<Signer, AllowlistError> {
        let key = match &self.key {
            Some(k) => k.clone(),
            None => git_config(self.git_dir.as_deref(), "user.signingKey").ok_or_else(|| {
                AllowlistError::Key(
                    "no signing key: set git's user.signingKey, signing.key in the settings file, \
                     or pass --key FILE"
                        .into(),
                )
            })?,
        };
        let (source, public) = load_key(&key)?;
        let principal = match &self.principal {
            Some(p) => p.clone(),
            None => {
                let from_file = match self.allowed_signers_path() {
                    Some(path) if path.is_file() => AllowedSigners::load(&path)?
                        .principal_for(&public)
                        .map(str::to_string),
                    _ => None,
                };
                match from_file.or_else(|| git_config(self.git_dir.as_deref(), "user.email")) {
                    Some(p) => p,
                    None => {
                        return Err(AllowlistError::Key(
                            "cannot tell who signs: pass --principal, list the key in \
                             allowed_signers, or set git's user.email"
                                .into(),
                        ))
                    }
                }
            }
        };
        if principal.is_empty() || principal.chars().any(|c| c.is_whitespace() || c == ',') {
            return Err(AllowlistError::Key(format!(
                "principal {principal:?} must be one word without commas"
            )));
        }
        Ok(Signer {
            source,
            public,
            principal,
        })
    }
}

/// Read a key given as a path or a public key literal: where it signs from, and its public key.
pub fn load_key(key: &str) -> Result<(KeySource, PublicKey), AllowlistError> {
    let literal = key.strip_prefix("key::").unwrap_or(key).trim();
    if literal.starts_with("ssh-") || literal.starts_with("ecdsa-") || literal.starts_with("sk-") {
        let public = PublicKey::from_openssh(literal)
            .map_err(|e| AllowlistError::Key(format!("public key literal: {e}")))?;
        return Ok((KeySource::Literal(literal.to_string()), public));
    }
    let path = expand_home(key);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        AllowlistError::Key(format!("{}: cannot read the key: {e}", path.display()))
    })?;
    if text.contains("PRIVATE KEY") {
        let private = PrivateKey::from_openssh(&text).map_err(|e| {
            AllowlistError::Key(format!(
                "{}: not an OpenSSH private key ({e}); PEM/PKCS#8 keys: convert with \
                 `ssh-keygen -p -f KEY`",
                path.display()
            ))
        })?;
        Ok((KeySource::File(path), private.public_key().clone()))
    } else {
        let public = PublicKey::from_openssh(text.trim()).map_err(|e| {
            AllowlistError::Key(format!("{}: not an OpenSSH key: {e}", path.display()))
        })?;
        Ok((KeySource::File(path), public))
    }
}

impl Signer {
    /// Sign `msg` (the canonical entry); the armored `-----BEGIN SSH SIGNATURE-----` text.
    pub fn sign(&self, msg: &[u8]) -> Result<String, AllowlistError> {
        if let KeySource::File(path) = &self.source {
            if let Some(sig) = sign_native(path, msg)? {
                return Ok(sig);
            }
        }
        let sig = sign_with_ssh_keygen(&self.source, msg)?;
        // Whatever ssh-keygen produced must check out against the key we think it used.
        let parsed = SshSig::from_pem(sig.trim())
            .map_err(|e| AllowlistError::Sign(format!("ssh-keygen output: {e}")))?;
        self.public.verify(NAMESPACE, msg, &parsed).map_err(|e| {
            AllowlistError::Sign(format!("ssh-keygen's signature does not verify: {e}"))
        })?;
        Ok(sig.trim_end().to_string())
    }
}

/// Native signing when the file is an unencrypted private key of a type this build signs;
/// `None` to fall back to `ssh-keygen`.
fn sign_native(path: &Path, msg: &[u8]) -> Result<Option<String>, AllowlistError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    if !text.contains("PRIVATE KEY") {
        return Ok(None);
    }
    let Ok(private) = PrivateKey::from_openssh(&text) else {
        return Ok(None);
    };
    if private.is_encrypted() {
        return Ok(None);
    }
    match private.sign(NAMESPACE, HashAlg::Sha512, msg) {
        Ok(sig) => sig
            .to_pem(LineEnding::LF)
            .map(|s| Some(s.trim_end().to_string()))
            .map_err(|e| AllowlistError::Sign(e.to_string())),
        // e.g. a key type without native support here (P-521, security keys).
        Err(_) => Ok(None),
    }
}

/// `ssh-keygen -Y sign -n mcpvet-verdict -f KEY` with the message on stdin, as git does: the
/// agent holds the key, or ssh-keygen asks for the passphrase on the terminal.
fn sign_with_ssh_keygen(source: &KeySource, msg: &[u8]) -> Result<String, AllowlistError> {
    use std::io::Write;
    let tmp;
    let key_path: &Path = match source {
        KeySource::File(p) => p,
        KeySource::Literal(l) => {
            tmp = tempfile::Builder::new()
                .prefix("mcpvet-key")
                .suffix(".pub")
                .tempfile()
                .map_err(|e| AllowlistError::Sign(format!("temporary key file: {e}")))?;
            std::fs::write(tmp.path(), format!("{l}\n"))
                .map_err(|e| AllowlistError::Sign(format!("temporary key file: {e}")))?;
            tmp.path()
        }
    };
    let mut child = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| AllowlistError::Sign(format!("cannot run ssh-keygen: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(msg)
            .map_err(|e| AllowlistError::Sign(format!("ssh-keygen: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| AllowlistError::Sign(format!("ssh-keygen: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(AllowlistError::Sign(format!(
            "ssh-keygen -Y sign failed: {}",
            err.trim()
        )));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| AllowlistError::Sign("ssh-keygen printed non-UTF-8 output".into()))
}

/// The key fingerprint as `ssh-keygen -l` prints it (`SHA256:…`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// One line of an `allowed_signers` file.
#[derive(Debug, Clone)]
pub struct SignerLine {
    pub line: usize,
    /// Comma-separated patterns (`*`, `?`, `!negation`).
    pub principals: String,
    pub namespaces: Option<String>,
    /// Seconds since the Unix epoch.
    pub valid_after: Option<i64>,
    pub valid_before: Option<i64>,
    pub cert_authority: bool,
    pub key: PublicKey,
}

/// An OpenSSH `allowed_signers` file (ssh-keygen(1), "ALLOWED SIGNERS").
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub path: String,
    pub lines: Vec<SignerLine>,
}

/// Why a signature does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigProblem {
    #[error("not an SSH signature: {0}")]
    Malformed(String),
    #[error("signed in namespace {0:?}, not {NAMESPACE:?}")]
    Namespace(String),
    #[error("key {key} is not in allowed_signers for principal {principal:?}")]
    NotAllowed { principal: String, key: String },
    #[error("key {key} for {principal:?} is a cert-authority line in allowed_signers (line {line}); certificates are not supported")]
    CertAuthority {
        principal: String,
        key: String,
        line: usize,
    },
    #[error(
        "allowed_signers line {line} does not allow namespace {NAMESPACE:?} for {principal:?}"
    )]
    NamespaceNotAllowed { principal: String, line: usize },
    #[error("allowed_signers line {line}: key for {principal:?} is {when}")]
    Window {
        principal: String,
        line: usize,
        when: &'static str,
    },
    #[error("signature by {principal:?} does not match the entry (changed after signing?)")]
    Invalid { principal: String },
}

fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
                started = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.push(c);
                started = true;
            }
        }
    }
    if in_quotes {
        return Err("unterminated quote".into());
    }
    if started {
        out.push(cur);
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Split options on commas outside quotes.
fn split_options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut q = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => q = !q,
            ',' if !q => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-") || s.starts_with("ecdsa-sha2-") || s.starts_with("sk-")
}

/// `YYYYMMDD[HHMM[SS]][Z]` as seconds since the epoch. Times without `Z` are read as UTC
/// (OpenSSH reads them as local time; write `Z` to be exact).
pub fn parse_signer_time(s: &str) -> Option<i64> {
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .unwrap_or(s);
    if !s.bytes().all(|b| b.is_ascii_digit()) || !matches!(s.len(), 8 | 12 | 14) {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (hh, mm, ss) = match s.len() {
        8 => (0, 0, 0),
        12 => (n(8, 10)?, n(10, 12)?, 0),
        _ => (n(8, 10)?, n(10, 12)?, n(12, 14)?),
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(super::time::days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss)
}

impl AllowedSigners {
    pub fn load(path: &Path) -> Result<AllowedSigners, AllowlistError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| AllowlistError::Signers {
            path: shown.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        AllowedSigners::parse(&text, &shown)
    }

    /// Parse the text; the first bad line is an error naming it.
    pub fn parse(text: &str, path: &str) -> Result<AllowedSigners, AllowlistError> {
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let lineno = i + 1;
            let err = |message: String| AllowlistError::Signers {
                path: path.to_string(),
                line: lineno,
                message,
            };
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let toks = tokenize(t).map_err(err)?;
            if toks.len() < 3 {
                return Err(err(
                    "expected `principals [options] key-type base64-key [comment]`".into(),
                ));
            }
            let principals = unquote(&toks[0]).to_string();
            let (opts, kt) = if is_key_type(&toks[1]) {
                (None, 1)
            } else {
                (Some(toks[1].as_str()), 2)
            };
            let Some(b64) = toks.get(kt + 1) else {
                return Err(err("the key is missing after its type".into()));
            };
            if !is_key_type(&toks[kt]) {
                return Err(err(format!("unknown key type {:?}", toks[kt])));
            }
            let mut namespaces = None;
            let mut valid_after = None;
            let mut valid_before = None;
            let mut cert_authority = false;
            for o in opts.map(split_options).unwrap_or_default() {
                let (name, value) = match o.split_once('=') {
                    Some((n, v)) => (n.to_ascii_lowercase(), Some(unquote(v))),
                    None => (o.to_ascii_lowercase(), None),
                };
                match (name.as_str(), value) {
                    ("cert-authority", None) => cert_authority = true,
                    ("namespaces", Some(v)) => namespaces = Some(v.to_string()),
                    ("valid-after", Some(v)) => {
                        valid_after = Some(
                            parse_signer_time(v)
                                .ok_or_else(|| err(format!("bad valid-after time {v:?}")))?,
                        )
                    }
                    ("valid-before", Some(v)) => {
                        valid_before = Some(
                            parse_signer_time(v)
                                .ok_or_else(|| err(format!("bad valid-before time {v:?}")))?,
                        )
                    }
                    _ => return Err(err(format!("unknown option {o:?}"))),
                }
            }
            let key = PublicKey::from_openssh(&format!("{} {}", toks[kt], b64))
                .map_err(|e| err(format!("bad {} key: {e}", toks[kt])))?;
            let l = SignerLine {
                line: lineno,
                principals,
                namespaces,
                valid_after,
                valid_before,
                cert_authority,
                key,
            };
            lines.push(l);
        }
        Ok(AllowedSigners {
            path: path.to_string(),
            lines,
        })
    }

    /// The first principal (without wildcards) listed for this key.
    pub fn principal_for(&self, key: &PublicKey) -> Option<&str> {
        self.lines
            .iter()
            .filter(|l| !l.cert_authority && l.key.key_data() == key.key_data())
            .flat_map(|l| l.principals.split(','))
            .find(|p| !p.starts_with('!') && !p.contains(['*', '?']))
    }

    /// Check one armored signature over `msg` by `principal`, at time `now` (epoch seconds).
    pub fn check(
        &self,
        principal: &str,
        armored: &str,
        msg: &[u8],
        now: i64,
    ) -> Result<PublicKey, SigProblem> {
        let sig =
            SshSig::from_pem(armored.trim()).map_err(|e| SigProblem::Malformed(e.to_string()))?;
        if sig.namespace() != NAMESPACE {
            return Err(SigProblem::Namespace(sig.namespace().to_string()));
        }
        let key = PublicKey::from(sig.public_key().clone());
        let fp = fingerprint(&key);
        let candidates: Vec<&SignerLine> = self
            .lines
            .iter()
            .filter(|l| match_pattern_list(principal, &l.principals))
            .collect();
        let Some(line) = candidates
            .iter()
            .find(|l| !l.cert_authority && l.key.key_data() == key.key_data())
        else {
            if let Some(ca) = candidates.iter().find(|l| l.cert_authority) {
                return Err(SigProblem::CertAuthority {
                    principal: principal.into(),
                    key: fp,
                    line: ca.line,
                });
            }
            return Err(SigProblem::NotAllowed {
                principal: principal.into(),
                key: fp,
            });
        };
        if let Some(ns) = &line.namespaces {
            if !match_pattern_list(NAMESPACE, ns) {
                return Err(SigProblem::NamespaceNotAllowed {
                    principal: principal.into(),
                    line: line.line,
                });
            }
        }
        if line.valid_after.is_some_and(|t| now < t) {
            return Err(SigProblem::Window {
                principal: principal.into(),
                line: line.line,
                when: "not yet valid (valid-after)",
            });
        }
        if line.valid_before.is_some_and(|t| now > t) {
            return Err(SigProblem::Window {
                principal: principal.into(),
                line: line.line,
                when: "expired (valid-before)",
            });
        }
        key.verify(NAMESPACE, msg, &sig)
            .map_err(|_| SigProblem::Invalid {
                principal: principal.into(),
            })?;
        Ok(key)
    }
}

/// OpenSSH `match_pattern_list`: comma-separated patterns, `!` negates (a negated match wins).
pub fn match_pattern_list(s: &str, list: &str) -> bool {
    let mut matched = false;
    for p in list.split(',') {
        let p = p.trim();
        if let Some(neg) = p.strip_prefix('!') {
            if wildcard(s.as_bytes(), neg.as_bytes()) {
                return false;
            }
        } else if wildcard(s.as_bytes(), p.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// `*` and `?` wildcards (iterative, linear backtracking).
fn wildcard(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(match_pattern_list("alice@example.com", "*@example.com"));
        assert!(!match_pattern_list(
            "alice@example.com",
            "*@example.com,!alice@*"
        ));
        assert!(match_pattern_list("mcpvet-verdict", "git,mcpvet-*"));
        assert!(!match_pattern_list("bob", "alice,carol"));
        assert!(match_pattern_list("b", "?"));
    }

    #[test]
    fn times() {
        assert_eq!(parse_signer_time("19700102"), Some(86400));
        assert_eq!(parse_signer_time("197001020001Z"), Some(86460));
        assert_eq!(parse_signer_time("20261321"), None);
        assert_eq!(parse_signer_time("2026"), None);
    }

    #[test]
    fn bad_lines_are_named() {
        let e = AllowedSigners::parse("# c\n\nalice ssh-ed25519\n", "as").unwrap_err();
        assert_eq!(
            e.to_string(),
            "as:3: expected `principals [options] key-type base64-key [comment]`"
        );
        let e = AllowedSigners::parse("alice ssh-ed25519 AAAA!!\n", "as").unwrap_err();
        assert!(
            e.to_string().starts_with("as:1: bad ssh-ed25519 key"),
            "{e}"
        );
        let e = AllowedSigners::parse("alice bogus=1 ssh-ed25519 AAAA\n", "as").unwrap_err();
        assert!(e.to_string().starts_with("as:1: "), "{e}");
    }
}

#[cfg(test)]
mod ca_tests {
    use super::*;

    #[test]
    fn cert_authority_lines_are_reported_as_unsupported() {
        let key = PrivateKey::random(&mut rand_core_os(), ssh_key::Algorithm::Ed25519).unwrap();
        let public = key.public_key().to_openssh().unwrap();
        let signers =
            AllowedSigners::parse(&format!("*@example.com cert-authority {public}\n"), "as")
                .unwrap();
        let sig = key
            .sign(NAMESPACE, HashAlg::Sha512, b"m")
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        let e = signers.check("a@example.com", &sig, b"m", 0).unwrap_err();
        assert!(
            e.to_string().contains("certificates are not supported"),
            "{e}"
        );
    }

    fn rand_core_os() -> ssh_key::rand_core::OsRng {
        ssh_key::rand_core::OsRng
    }
}
