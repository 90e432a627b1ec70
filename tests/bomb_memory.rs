//! A multi-GiB gzip bomb costs bounded memory and time. This file holds a single test so the
//! process's peak RSS (`VmHWM`) measures only this unpacking.

use std::io::Write;
use std::time::Instant;

use mcpvet::archive::{unpack, Format, Limits, MIB};

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A tar.gz whose one member holds `mib` MiB of zeros. Built as concatenated gzip members
/// (which gzip readers must accept): the header, the same 1 MiB-of-zeros member repeated,
/// and the end-of-archive blocks; so building it costs one 1 MiB compression.
fn zero_bomb(mib: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path("package/zeros.bin").unwrap();
    h.set_size(mib * MIB);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut out = gz(h.as_bytes());
    let chunk = gz(&vec![0u8; MIB as usize]);
    for _ in 0..mib {
        out.extend_from_slice(&chunk);
    }
    out.extend_from_slice(&gz(&[0u8; 1024]));
    out
}

#[test]
fn three_gib_gzip_bomb_is_bounded() {
    let bomb = zero_bomb(3 * 1024);
    assert!(
        bomb.len() < 8 * 1024 * 1024,
        "bomb is {} bytes compressed",
        bomb.len()
    );
    let before = peak_rss_mib();

    let start = Instant::now();
    let out = unpack(&bomb, Some(Format::TarGz), &Limits::default()).unwrap();
    let elapsed = start.elapsed();

    let rules: Vec<&str> = out.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"archive.compression-ratio"), "{rules:?}");
    assert!(out.tree.kept_bytes() <= 64 * MIB);
    assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
    if let (Some(before), Some(after)) = (before, peak_rss_mib()) {
        eprintln!("bomb: {} bytes compressed, stopped after {elapsed:?}, peak RSS {before} -> {after} MiB", bomb.len());
        assert!(
            after < before + 200,
            "peak RSS grew from {before} to {after} MiB"
        );
    }
}
