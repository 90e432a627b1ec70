//! Artifact digests as registries publish them: npm SRI strings (`sha512-<base64>`), npm
//! `shasum` (sha1 hex), PyPI `digests.sha256` (hex).

use std::fmt;

use base64::Engine;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algo {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algo {
    pub fn name(self) -> &'static str {
        match self {
            Algo::Sha1 => "sha1",
            Algo::Sha256 => "sha256",
            Algo::Sha384 => "sha384",
            Algo::Sha512 => "sha512",
        }
    }
    fn len(self) -> usize {
        match self {
            Algo::Sha1 => 20,
            Algo::Sha256 => 32,
            Algo::Sha384 => 48,
            Algo::Sha512 => 64,
        }
    }
    fn from_name(s: &str) -> Option<Algo> {
        match s {
            "sha1" => Some(Algo::Sha1),
            "sha256" => Some(Algo::Sha256),
            "sha384" => Some(Algo::Sha384),
            "sha512" => Some(Algo::Sha512),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub algo: Algo,
    pub bytes: Vec<u8>,
}

impl Digest {
    pub fn compute(algo: Algo, data: &[u8]) -> Digest {
        let bytes = match algo {
            Algo::Sha1 => Sha1::digest(data).to_vec(),
            Algo::Sha256 => Sha256::digest(data).to_vec(),
            Algo::Sha384 => Sha384::digest(data).to_vec(),
            Algo::Sha512 => Sha512::digest(data).to_vec(),
        };
        Digest { algo, bytes }
    }

    /// The strongest hash of an SRI string (`sha512-… sha1-…`); unknown algorithms are ignored.
    pub fn from_sri(sri: &str) -> Option<Digest> {
        sri.split_whitespace()
            .filter_map(|part| {
                let (algo, b64) = part.split_once('-')?;
                let algo = Algo::from_name(algo)?;
                let b64 = b64.split('?').next().unwrap_or(b64);
                let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
                (bytes.len() == algo.len()).then_some(Digest { algo, bytes })
            })
            .max_by_key(|d| d.algo)
    }

    pub fn from_hex(algo: Algo, hex_str: &str) -> Option<Digest> {
        let bytes = hex::decode(hex_str.trim()).ok()?;
        (bytes.len() == algo.len()).then_some(Digest { algo, bytes })
    }

    pub fn hex(&self) -> String {
        hex::encode(&self.bytes)
    }

    pub fn matches(&self, data: &[u8]) -> bool {
        Digest::compute(self.algo, data) == *self
    }

    /// Weaker than what a registry should use today.
    pub fn is_weak(&self) -> bool {
        self.algo == Algo::Sha1
    }
}

impl fmt::Display for Digest {
    /// sha512/sha384 in SRI form (what npm users see in lockfiles), sha256/sha1 as `algo:hex`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.algo {
            Algo::Sha512 | Algo::Sha384 => write!(
                f,
                "{}-{}",
                self.algo.name(),
                base64::engine::general_purpose::STANDARD.encode(&self.bytes)
            ),
            Algo::Sha256 | Algo::Sha1 => write!(f, "{}:{}", self.algo.name(), self.hex()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_round_trip_and_strongest() {
        let d = Digest::compute(Algo::Sha512, b"hello");
        let sri = d.to_string();
        assert!(sri.starts_with("sha512-"));
        let s1 = Digest::compute(Algo::Sha1, b"hello");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&s1.bytes);
        let both = format!("sha1-{b64} {sri}");
        assert_eq!(Digest::from_sri(&both), Some(d.clone()));
        assert!(d.matches(b"hello"));
        assert!(!d.matches(b"hellO"));
        assert_eq!(Digest::from_sri("md5-AAAA"), None);
        assert_eq!(Digest::from_sri("sha512-short"), None);
    }

    #[test]
    fn hex_digests() {
        let d = Digest::compute(Algo::Sha256, b"x");
        assert_eq!(Digest::from_hex(Algo::Sha256, &d.hex()), Some(d.clone()));
        assert!(d.to_string().starts_with("sha256:"));
        assert_eq!(Digest::from_hex(Algo::Sha256, "abc"), None);
    }
}
