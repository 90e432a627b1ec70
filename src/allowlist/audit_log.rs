//! The audit log: `.mcpvet/audit.jsonl` beside the allowlist, one JSON record per line,
//! append-only and hash-chained.
//!
//! Each record is `{"seq":N,"time":…,"event":…,"server":…,"actor":…,"data":{…},"prev":H,"hash":H}`
//! where `seq` counts from 1, `prev` is the previous record's `hash` (`sha256:` and 64 zeros for
//! the first) and `hash` is `sha256:` + hex SHA-256 of the record's canonical JSON without
//! `hash` (the same canonical form as allowlist entries: sorted keys, no whitespace).
//! [`verify`] names the first record that was edited, deleted, inserted or reordered. Cutting
//! records off the end leaves a valid shorter chain: compare the head against a copy (the
//! repository's history) to catch that.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AllowlistError;

pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    ReviewOpened,
    StepMarked,
    Verdict,
    Signature,
    Override,
    Rescan,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub seq: u64,
    pub time: String,
    pub event: Event,
    /// The allowlist entry (server name) it concerns.
    pub server: String,
    /// Who did it (principal), when known.
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub data: BTreeMap<String, Value>,
    pub prev: String,
    pub hash: String,
}

impl Record {
    /// The hash this record must carry.
    pub fn compute_hash(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.remove("hash");
        }
        let mut s = String::new();
        super::model::write_canonical(&v, &mut s);
        format!("sha256:{}", hex::encode(Sha256::digest(s.as_bytes())))
    }
}

/// The log beside an allowlist.
pub fn path_for(allowlist: &Path) -> PathBuf {
    super::io::state_dir(allowlist).join("audit.jsonl")
}

/// Append one record (under the log's lock); returns it with its sequence number and hash.
pub fn append(
    allowlist: &Path,
    event: Event,
    server: &str,
    actor: &str,
    data: BTreeMap<String, Value>,
) -> Result<Record, AllowlistError> {
    let _lock = super::io::lock(allowlist, "audit")?;
    let path = path_for(allowlist);
    let shown = path.display().to_string();
    let mut f = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(|e| AllowlistError::io(&shown, e))?;
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| AllowlistError::Audit(format!("{shown}: not UTF-8 text ({e})")))?;
    // Appending after a broken chain would hide the break: refuse.
    let (seq, prev) = match check_text(&text) {
        Ok((n, last)) => (n + 1, last),
        Err(problem) => {
            return Err(AllowlistError::Audit(format!(
                "{shown}: {problem}; not appending (run `mcpvet log verify`)"
            )))
        }
    };
    let mut rec = Record {
        seq,
        time: super::time::now_rfc3339(),
        event,
        server: server.to_string(),
        actor: actor.to_string(),
        data,
        prev,
        hash: String::new(),
    };
    rec.hash = rec.compute_hash();
    let mut line =
        serde_json::to_string(&rec).map_err(|e| AllowlistError::Internal(e.to_string()))?;
    line.push('\n');
    f.seek(SeekFrom::End(0))
        .and_then(|_| {
            if !text.is_empty() && !text.ends_with('\n') {
                f.write_all(b"\n")?;
            }
            f.write_all(line.as_bytes())
        })
        .and_then(|_| f.sync_data())
        .map_err(|e| AllowlistError::io(&shown, e))?;
    Ok(rec)
}

/// A problem found in the chain: the line and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Check the whole text: the number of records and the last hash, or the first problem.
pub fn check_text(text: &str) -> Result<(u64, String), Problem> {
    let mut recs: Vec<(usize, Record)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(l).map_err(|e| Problem {
            line: i + 1,
            message: format!("not a record: {e}"),
        })?;
        recs.push((i + 1, r));
    }
    // Sequence numbers first: they tell deletion, insertion and reordering apart.
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for (line, r) in &recs {
        if let Some(first) = seen.insert(r.seq, *line) {
            return Err(Problem {
                line: *line,
                message: format!(
                    "record {} appears twice (also on line {first}): a record was inserted",
                    r.seq
                ),
            });
        }
    }
    let n = recs.len() as u64;
    let max = seen.keys().next_back().copied().unwrap_or(0);
    if let Some(missing) = (1..=max).find(|s| !seen.contains_key(s)) {
        // The record after the gap is where the chain breaks.
        let line = recs
            .iter()
            .find(|(_, r)| r.seq > missing)
            .map_or(0, |(l, _)| *l);
        return Err(Problem {
            line,
            message: format!("record {missing} was deleted"),
        });
    }
    for (i, (line, r)) in recs.iter().enumerate() {
        if r.seq != i as u64 + 1 {
            return Err(Problem {
                line: *line,
                message: format!(
                    "record {} is in position {}: records were reordered",
                    r.seq,
                    i + 1
                ),
            });
        }
    }
    let mut prev = GENESIS.to_string();
    for (line, r) in &recs {
        if r.compute_hash() != r.hash {
            return Err(Problem {
                line: *line,
                message: format!("record {} was edited (its hash does not match)", r.seq),
            });
        }
        if r.prev != prev {
            return Err(Problem {
                line: *line,
                message: format!(
                    "record {} does not follow record {}: the previous record was replaced",
                    r.seq,
                    r.seq - 1
                ),
            });
        }
        prev = r.hash.clone();
    }
    Ok((n, prev))
}

/// Verify the log beside `allowlist`: the number of records, or the first problem (as an
/// [`AllowlistError::Audit`] naming the file and line). A missing log has zero records.
pub fn verify(allowlist: &Path) -> Result<u64, AllowlistError> {
    let path = path_for(allowlist);
    let shown = path.display().to_string();
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8(b)
            .map_err(|_| AllowlistError::Audit(format!("{shown}: not UTF-8 text")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(AllowlistError::io(&shown, e)),
    };
    check_text(&text)
        .map(|(n, _)| n)
        .map_err(|p| AllowlistError::Audit(format!("{shown}:{}: {}", p.line, p.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize) -> (tempfile::TempDir, PathBuf, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let al = dir.path().join("mcp-allowlist.toml");
        for i in 0..n {
            let data = [("step".to_string(), Value::from(format!("s{i}")))].into();
            append(&al, Event::StepMarked, "weather", "alice", data).unwrap();
        }
        let text = std::fs::read_to_string(path_for(&al)).unwrap();
        let lines = text.lines().map(str::to_string).collect();
        (dir, al, lines)
    }

    fn write(al: &Path, lines: &[String]) {
        std::fs::write(path_for(al), lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn intact_chain_verifies() {
        let (_d, al, _) = log(4);
        assert_eq!(verify(&al).unwrap(), 4);
    }

    #[test]
    fn tampering_is_named() {
        let (_d, al, lines) = log(5);
        let err = |lines: &[String]| {
            write(&al, lines);
            verify(&al).unwrap_err().to_string()
        };
        let mut edited = lines.clone();
        edited[2] = edited[2].replace("\"s2\"", "\"s9\"");
        assert!(err(&edited).ends_with(":3: record 3 was edited (its hash does not match)"));

        let mut deleted = lines.clone();
        deleted.remove(1);
        assert!(
            err(&deleted).ends_with(":2: record 2 was deleted"),
            "{}",
            err(&deleted)
        );

        let mut swapped = lines.clone();
        swapped.swap(1, 2);
        assert!(err(&swapped).contains(":2: record 3 is in position 2"));

        let mut dup = lines.clone();
        dup.insert(3, lines[1].clone());
        assert!(err(&dup).contains(":4: record 2 appears twice"));

        // A record replaced by a self-consistent one: the next record names the break.
        let mut replaced = lines.clone();
        let mut r: Record = serde_json::from_str(&lines[1]).unwrap();
        r.actor = "mallory".into();
        r.hash = r.compute_hash();
        replaced[1] = serde_json::to_string(&r).unwrap();
        assert!(err(&replaced).contains(":3: record 3 does not follow record 2"));

        // Appending refuses to extend a broken chain.
        write(&al, &edited);
        let e = append(&al, Event::Verdict, "w", "a", BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("not appending"), "{e}");
    }
}
