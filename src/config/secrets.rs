//! Credentials written inline in a config: known token shapes anywhere, and high-entropy values
//! under keys that name a secret. Values are only ever shown redacted.

use std::sync::OnceLock;

use regex::Regex;

/// One credential found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHit {
    /// Rule suffix: `github`, `openai`, `anthropic`, `slack`, `aws-access-key`, `aws-secret-key`,
    /// `atlassian`, `jwt`, `stripe`, `generic`.
    pub kind: &'static str,
    pub label: &'static str,
    /// `ghp_…7f3a`: the known prefix (if any) and the last four characters.
    pub redacted: String,
    /// The credential as written: only for replacing it by `redacted`, never for output.
    pub raw: String,
}

struct Shape {
    kind: &'static str,
    label: &'static str,
    re: Regex,
    /// Length of the prefix kept in the redacted form.
    prefix: usize,
}

fn shapes() -> &'static [Shape] {
    static SHAPES: OnceLock<Vec<Shape>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let s = |kind, label, re: &str, prefix| Shape {
            kind,
            label,
            re: Regex::new(re).unwrap_or_else(|e| panic!("bad secret regex {re}: {e}")),
            prefix,
        };
        vec![
            s(
                "github",
                "GitHub token",
                r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b",
                4,
            ),
            s(
                "github",
                "GitHub fine-grained token",
                r"\bgithub_pat_[A-Za-z0-9_]{22,}\b",
                11,
            ),
            s(
                "anthropic",
                "Anthropic API key",
                r"\bsk-ant-[A-Za-z0-9_\-]{20,}",
                7,
            ),
            s(
                "openai",
                "OpenAI API key",
                r"\bsk-proj-[A-Za-z0-9_\-]{20,}",
                8,
            ),
            s(
                "openai",
                "OpenAI API key",
                r"\bsk-(?:svcacct-|admin-)?[A-Za-z0-9]{20,}\b",
                3,
            ),
            s(
                "slack",
                "Slack token",
                r"\bxox[bpars]-[A-Za-z0-9\-]{10,}",
                5,
            ),
            s(
                "aws-access-key",
                "AWS access key id",
                r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
                4,
            ),
            s(
                "atlassian",
                "Atlassian API token",
                r"\bATATT[A-Za-z0-9_\-=]{20,}",
                5,
            ),
            s(
                "jwt",
                "JSON Web Token",
                r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
                3,
            ),
            s(
                "stripe",
                "Stripe live key",
                r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b",
                8,
            ),
        ]
    })
}

/// `ghp_…7f3a`.
pub fn redact(value: &str, prefix: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = prefix.min(chars.len().saturating_sub(4));
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    if chars.len() < 12 {
        return format!("{head}…");
    }
    format!("{head}…{tail}")
}

/// True for `${env:X}`, `${input:x}`, `${X}`, `$X`, `%X%`, `{env:X}`: the client fills them in.
pub fn is_reference(v: &str) -> bool {
    let t = v.trim();
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
    };
    if let Some(inner) = t.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        return !inner.contains(['{', '}']);
    }
    if let Some(inner) = t.strip_prefix("{env:").and_then(|r| r.strip_suffix('}')) {
        return ident(inner);
    }
    if let Some(inner) = t.strip_prefix('$') {
        return ident(inner);
    }
    if let Some(inner) = t.strip_prefix('%').and_then(|r| r.strip_suffix('%')) {
        return ident(inner);
    }
    false
}

/// Key names under which a value is a credential.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase().replace('-', "_");
    if k.ends_with("_ID") || k.ends_with("KEY_ID") || k.contains("PUBLIC") || k.ends_with("_URL") {
        return false;
    }
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "_KEY",
        "CREDENTIAL",
        "AUTHORIZATION",
        "AUTH",
        "COOKIE",
    ]
    .iter()
    .any(|w| k.contains(w))
        || k == "KEY"
}

fn looks_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "your",
        "xxxx",
        "<",
        ">",
        "here",
        "changeme",
        "change_me",
        "example",
        "placeholder",
        "replace",
        "insert",
        "dummy",
        "redacted",
        "...",
        "…",
        "todo",
        "sample",
    ]
    .iter()
    .any(|p| l.contains(p))
        || v.chars().collect::<std::collections::HashSet<_>>().len() <= 3
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Strip an auth scheme (`Bearer x`, `token x`, `Basic x`).
fn credential_part(v: &str) -> &str {
    let t = v.trim();
    for scheme in ["Bearer ", "bearer ", "Token ", "token ", "Basic ", "basic "] {
        if let Some(r) = t.strip_prefix(scheme) {
            return r.trim();
        }
    }
    t
}

/// The credentials in one value; `key` is the env name, header name or flag it sits under.
pub fn find(key: Option<&str>, value: &str) -> Vec<SecretHit> {
    let mut out = Vec::new();
    if value.len() > 100_000 {
        return out;
    }
    for shape in shapes() {
        for m in shape.re.find_iter(value) {
            let text = m.as_str();
            if looks_placeholder(text) || out.iter().any(|h: &SecretHit| h.kind == shape.kind) {
                continue;
            }
            out.push(SecretHit {
                kind: shape.kind,
                label: shape.label,
                redacted: redact(text, shape.prefix),
                raw: text.to_string(),
            });
        }
    }
    if !out.is_empty() {
        return out;
    }
    let Some(key) = key else { return out };
    if !is_secret_key(key) {
        return out;
    }
    let v = credential_part(value);
    if v.contains("${") || is_reference(v) || v.chars().any(char::is_whitespace) {
        return out;
    }
    let upper = key.to_ascii_uppercase();
    if upper.contains("AWS") && upper.contains("SECRET") {
        let aws = v.len() == 40
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '='));
        if aws && !looks_placeholder(v) {
            out.push(SecretHit {
                kind: "aws-secret-key",
                label: "AWS secret access key",
                redacted: redact(v, 0),
                raw: v.to_string(),
            });
            return out;
        }
    }
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    let has_alpha = v.chars().any(|c| c.is_ascii_alphabetic());
    if v.len() >= 16 && has_digit && has_alpha && entropy(v) >= 3.3 && !looks_placeholder(v) {
        out.push(SecretHit {
            kind: "generic",
            label: "credential",
            redacted: redact(v, 0),
            raw: v.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(key: Option<&str>, v: &str) -> Vec<&'static str> {
        find(key, v).into_iter().map(|h| h.kind).collect()
    }

    #[test]
    fn known_shapes() {
        let gh = "ghp_aB3dE6gH9jK2mN5pQ8rS1tU4vW7xY0z7f3a";
        let hits = find(Some("GITHUB_PERSONAL_ACCESS_TOKEN"), gh);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].kind, "github");
        assert_eq!(hits[0].redacted, "ghp_…7f3a");
        assert!(!hits[0].redacted.contains("aB3dE6"));
        assert_eq!(
            kinds(
                None,
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
            ),
            ["github"]
        );
        assert_eq!(
            kinds(None, "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
            ["anthropic"]
        );
        assert_eq!(
            kinds(None, "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
            ["openai"]
        );
        assert_eq!(kinds(None, "sk-AbCdEfGhIjKlMnOpQrStUvWx"), ["openai"]);
        assert_eq!(
            kinds(None, "xoxb-1234567890-0987654321-AbCdEfGhIj"),
            ["slack"]
        );
        assert_eq!(kinds(None, "AKIAIOSFODNN7EXAMPLZ"), ["aws-access-key"]);
        assert_eq!(
            kinds(
                Some("AWS_SECRET_ACCESS_KEY"),
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQWERTYKQA"
            ),
            ["aws-secret-key"]
        );
        assert_eq!(
            kinds(None, "ATATT3xFfGF0AbCdEfGhIjKlMnOpQrStUvWxYz"),
            ["atlassian"]
        );
        assert_eq!(
            kinds(
                None,
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
            ),
            ["jwt"]
        );
        assert_eq!(kinds(None, "sk_live_51AbCdEfGhIjKlMnOpQr"), ["stripe"]);
        assert_eq!(
            kinds(
                Some("Authorization"),
                "Bearer 9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"
            ),
            ["generic"]
        );
        assert_eq!(
            kinds(Some("DB_PASSWORD"), "Tr0ub4dor&3xQz!9pLm"),
            ["generic"]
        );
    }

    #[test]
    fn look_alikes_are_not_secrets() {
        for (k, v) in [
            (Some("GITHUB_TOKEN"), "your-token-here"),
            (Some("GITHUB_TOKEN"), "${env:GITHUB_TOKEN}"),
            (Some("GITHUB_TOKEN"), "${input:github_token}"),
            (Some("GITHUB_TOKEN"), "$GITHUB_TOKEN"),
            (Some("Authorization"), "Bearer ${env:API_KEY}"),
            (Some("API_KEY"), "short1"),
            (Some("API_KEY"), "<YOUR_API_KEY>"),
            (Some("API_KEY"), "xxxxxxxxxxxxxxxxxxxxxxxx"),
            (Some("SESSION_ID"), "123e4567-e89b-12d3-a456-426614174000"),
            (Some("WORKSPACE"), "123e4567-e89b-12d3-a456-426614174000"),
            (Some("KEY_ID"), "abc123def456ghi789jkl"),
            (Some("LOG_LEVEL"), "debug"),
            (None, "sk-your-key-here"),
            (None, "--api-key"),
            (None, "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        ] {
            assert!(find(k, v).is_empty(), "{k:?} {v:?}: {:?}", find(k, v));
        }
    }

    #[test]
    fn references() {
        assert!(is_reference("${env:X}"));
        assert!(is_reference("${input:tok}"));
        assert!(is_reference("$HOME_TOKEN"));
        assert!(is_reference("%APPDATA%"));
        assert!(!is_reference("abc$def"));
    }
}
