//! Hostile archives, generated here and unpacked with `mcpvet::archive`: every trick must end as
//! an `archive.*` finding, never as a file outside the package, a followed link or an unbounded
//! decompression. Nothing is downloaded; nothing from an archive may reach the disk.

use std::io::{self, Cursor, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use mcpvet::archive::{self, Limits, PackageTree, Unpacked, MIB};
use mcpvet::finding::{Category, Finding, Severity};
use tar::{EntryType, Header};
use zip::result::ZipResult;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, System, ZipWriter};

// ---------------------------------------------------------------------------------------------
// Building archives

/// One tar member. Names and link targets are written raw into the header, so the names
/// `tar::Builder` refuses (`..`, absolute paths) can be produced.
enum Member<'a> {
    File(&'a str, &'a [u8]),
    Executable(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    Special(&'a str, EntryType),
}

/// Copy `value` into a fixed-size, NUL-padded header field.
fn put(field: &mut [u8], value: &str) {
    assert!(value.len() < field.len(), "test name too long for a raw tar header: {value}");
    field.fill(0);
    field[..value.len()].copy_from_slice(value.as_bytes());
}

fn raw_header(name: &str, kind: EntryType, size: u64, mode: u32, link: Option<&str>) -> Header {
    let mut h = Header::new_gnu();
    put(&mut h.as_old_mut().name, name);
    if let Some(target) = link {
        put(&mut h.as_old_mut().linkname, target);
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_cksum();
    h
}

fn append_member<W: Write>(b: &mut tar::Builder<W>, m: &Member) -> io::Result<()> {
    let (header, data): (Header, &[u8]) = match *m {
        Member::File(name, data) => (raw_header(name, EntryType::Regular, data.len() as u64, 0o644, None), data),
        Member::Executable(name, data) => (raw_header(name, EntryType::Regular, data.len() as u64, 0o755, None), data),
        Member::Dir(name) => (raw_header(name, EntryType::Directory, 0, 0o755, None), &[]),
        Member::Symlink(name, target) => (raw_header(name, EntryType::Symlink, 0, 0o777, Some(target)), &[]),
        Member::Hardlink(name, target) => (raw_header(name, EntryType::Link, 0, 0o644, Some(target)), &[]),
        Member::Special(name, kind) => (raw_header(name, kind, 0, 0o600, None), &[]),
    };
    b.append(&header, data)
}

fn tar_bytes(members: &[Member]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        append_member(&mut b, m).expect("tar member written");
    }
    b.into_inner().expect("tar finished")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).expect("gzip written");
    gz.finish().expect("gzip finished")
}

fn tar_gz(members: &[Member]) -> Vec<u8> {
    gzip(&tar_bytes(members))
}

type Zip = ZipWriter<Cursor<Vec<u8>>>;

fn zip_bytes(build: impl FnOnce(&mut Zip) -> ZipResult<()>) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    build(&mut z).expect("zip members written");
    z.finish().expect("zip finished").into_inner()
}

fn zip_file(z: &mut Zip, name: &str, data: &[u8]) -> ZipResult<()> {
    z.start_file(name, SimpleFileOptions::default())?;
    z.write_all(data)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Inspecting results

fn unpack(bytes: &[u8]) -> Unpacked {
    unpack_with(bytes, &Limits::default())
}

fn unpack_with(bytes: &[u8], limits: &Limits) -> Unpacked {
    archive::unpack(bytes, None, limits).expect("archive unpacks (hostile entries are findings, not errors)")
}

fn with_rule<'a>(u: &'a Unpacked, rule: &str) -> Vec<&'a Finding> {
    u.findings.iter().filter(|f| f.rule == rule).collect()
}

/// The single finding of `rule`, failing with every finding shown otherwise.
fn only<'a>(u: &'a Unpacked, rule: &str) -> &'a Finding {
    let found = with_rule(u, rule);
    assert_eq!(found.len(), 1, "expected one {rule} finding, got: {:#?}", u.findings);
    found[0]
}

fn paths(tree: &PackageTree) -> Vec<&str> {
    tree.iter().map(|(p, _)| p).collect()
}

fn evidence_str<'a>(f: &'a Finding, key: &str) -> &'a str {
    f.evidence.get(key).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("{key} missing in {f:#?}"))
}

fn evidence_u64(f: &Finding, key: &str) -> u64 {
    f.evidence.get(key).and_then(|v| v.as_u64()).unwrap_or_else(|| panic!("{key} missing in {f:#?}"))
}

fn evidence_bool(f: &Finding, key: &str) -> bool {
    f.evidence.get(key).and_then(|v| v.as_bool()).unwrap_or_else(|| panic!("{key} missing in {f:#?}"))
}

fn assert_archive_finding(f: &Finding, severity: Severity, path: &str) {
    assert_eq!(f.category, Category::Archive, "{f:#?}");
    assert_eq!(f.severity, severity, "{f:#?}");
    assert_eq!(f.path, path, "{f:#?}");
}

/// A decompression stop: its finding, whichever limit fired first.
fn bomb_stop(u: &Unpacked) -> &Finding {
    let stops: Vec<&Finding> = u
        .findings
        .iter()
        .filter(|f| f.rule == "archive.compression-ratio" || f.rule == "archive.size-limit")
        .collect();
    assert_eq!(stops.len(), 1, "expected one decompression stop, got: {:#?}", u.findings);
    assert_eq!(stops[0].severity, Severity::High);
    stops[0]
}

// ---------------------------------------------------------------------------------------------
// Paths leaving the package

#[test]
fn tar_gz_traversal_entries_are_refused() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"module.exports = 1;\n"),
        Member::File("../evil.txt", b"owned"),
        Member::File("package/../../evil2.txt", b"owned"),
        Member::File("package/lib/../../../etc/evil3", b"owned"),
    ]);
    let u = unpack(&bytes);

    let traversal = with_rule(&u, "archive.path-traversal");
    let entries: Vec<&str> = traversal.iter().map(|f| evidence_str(f, "entry")).collect();
    assert_eq!(entries, ["../evil.txt", "package/../../evil2.txt", "package/lib/../../../etc/evil3"]);
    for f in &traversal {
        assert_archive_finding(f, Severity::High, evidence_str(f, "entry"));
    }
    assert_eq!(paths(&u.tree), ["index.js"], "only the honest file is kept");
    assert_eq!(u.findings.len(), 3, "{:#?}", u.findings);
    assert_eq!(u.entries, 4);
}

#[test]
fn tar_gz_absolute_entries_are_refused() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::File("/abs/path", b"owned"),
        Member::File("/etc/cron.d/evil", b"* * * * * root sh"),
        Member::File("C:\\Windows\\evil.dll", b"MZ"),
        Member::File("c:/Users/evil.txt", b"owned"),
    ]);
    let u = unpack(&bytes);

    let absolute = with_rule(&u, "archive.absolute-path");
    let entries: Vec<&str> = absolute.iter().map(|f| evidence_str(f, "entry")).collect();
    assert_eq!(entries, ["/abs/path", "/etc/cron.d/evil", "C:\\Windows\\evil.dll", "c:/Users/evil.txt"]);
    for f in &absolute {
        assert_archive_finding(f, Severity::High, evidence_str(f, "entry"));
    }
    assert_eq!(paths(&u.tree), ["index.js"]);
    assert_eq!(u.findings.len(), 4, "{:#?}", u.findings);
}

// ---------------------------------------------------------------------------------------------
// Links, devices, duplicates

#[test]
fn file_written_through_absolute_symlink_is_refused_and_nothing_is_created() {
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("escape");
    let target_str = target.to_str().expect("utf-8 temp path");
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::Symlink("package/link", target_str),
        Member::File("package/link/payload", b"#!/bin/sh\necho owned\n"),
    ]);
    let u = unpack(&bytes);

    let link = only(&u, "archive.symlink");
    assert_archive_finding(link, Severity::High, "link");
    assert_eq!(evidence_str(link, "target"), target_str);
    assert!(evidence_bool(link, "escapes"));

    let through = only(&u, "archive.through-symlink");
    assert_archive_finding(through, Severity::Critical, "link/payload");
    assert_eq!(evidence_str(through, "link"), "link");

    assert!(u.tree.get("link/payload").is_none(), "payload written through the link is not kept");
    assert!(u.tree.get("link").is_none(), "the link itself is not a file");
    assert_eq!(paths(&u.tree), ["index.js"]);

    // Nothing reached the filesystem at the link's target.
    assert!(!target.exists(), "{} was created", target.display());
    let leftovers = std::fs::read_dir(outside.path()).expect("read tempdir").count();
    assert_eq!(leftovers, 0, "the link target folder must stay empty");
}

#[test]
fn file_replacing_a_link_is_refused() {
    let bytes = tar_gz(&[
        Member::Symlink("package/config.json", "/etc/passwd"),
        Member::File("package/config.json", b"{}"),
    ]);
    let u = unpack(&bytes);

    assert_archive_finding(only(&u, "archive.symlink"), Severity::High, "config.json");
    assert_archive_finding(only(&u, "archive.overwrites-link"), Severity::Critical, "config.json");
    assert!(u.tree.is_empty(), "{:?}", paths(&u.tree));
}

#[test]
fn hard_links_are_findings_with_their_target() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::Hardlink("package/alias.js", "package/index.js"),
        Member::Hardlink("package/passwd", "/etc/passwd"),
        Member::Hardlink("package/up", "../outside/secret"),
    ]);
    let u = unpack(&bytes);

    let links = with_rule(&u, "archive.hardlink");
    assert_eq!(links.len(), 3, "{:#?}", u.findings);
    let summary: Vec<(&str, &str, bool)> = links
        .iter()
        .map(|f| (f.path.as_str(), evidence_str(f, "target"), evidence_bool(f, "escapes")))
        .collect();
    assert_eq!(
        summary,
        [
            ("alias.js", "index.js", false),
            ("passwd", "/etc/passwd", true),
            ("up", "../outside/secret", true),
        ]
    );
    for f in &links {
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.category, Category::Archive);
    }
    assert_eq!(paths(&u.tree), ["index.js"], "links are never materialised");
}

#[test]
fn devices_and_fifos_are_special_files() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::Special("package/dev/null", EntryType::Char),
        Member::Special("package/dev/sda", EntryType::Block),
        Member::Special("package/pipe", EntryType::Fifo),
    ]);
    let u = unpack(&bytes);

    let special = with_rule(&u, "archive.special-file");
    let summary: Vec<(&str, &str)> = special
        .iter()
        .map(|f| (evidence_str(f, "entry"), evidence_str(f, "type")))
        .collect();
    assert_eq!(
        summary,
        [
            ("package/dev/null", "character device"),
            ("package/dev/sda", "block device"),
            ("package/pipe", "fifo"),
        ]
    );
    for f in &special {
        assert_eq!(f.severity, Severity::High);
    }
    assert_eq!(paths(&u.tree), ["index.js"]);
    assert_eq!(u.findings.len(), 3, "{:#?}", u.findings);
}

#[test]
fn duplicate_paths_keep_the_last_copy() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"first"),
        Member::File("package/other.js", b"other"),
        Member::File("package/./index.js", b"second"),
        Member::File("package/index.js", b"third"),
    ]);
    let u = unpack(&bytes);

    let dup = only(&u, "archive.duplicate-path");
    assert_archive_finding(dup, Severity::High, "index.js");
    assert_eq!(evidence_str(dup, "first_sha256"), mcpvet::util::sha256_hex(b"first"));
    let kept = u.tree.get("index.js").expect("index.js kept");
    assert_eq!(kept.bytes, b"third", "an installer keeps the last copy");
    assert_eq!(paths(&u.tree), ["index.js", "other.js"]);
}

// ---------------------------------------------------------------------------------------------
// Size and count limits

/// ~3 GiB of zeros in one tar member; the gzip stream is a few MB.
const BOMB_BYTES: u64 = 3 * 1024 * MIB;

fn gzip_bomb() -> Vec<u8> {
    let header = raw_header("package/zeros.bin", EntryType::Regular, BOMB_BYTES, 0o644, None);
    let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::best()));
    // `append` streams the zeros through the encoder in small chunks.
    b.append(&header, io::repeat(0).take(BOMB_BYTES)).expect("bomb written");
    b.into_inner().expect("tar finished").finish().expect("gzip finished")
}

#[test]
fn gzip_bomb_stops_early() {
    let started = Instant::now();
    let bomb = gzip_bomb();
    let built = started.elapsed();
    assert!((bomb.len() as u64) < 16 * MIB, "bomb is {} bytes", bomb.len());

    let limits = Limits::default();
    let started = Instant::now();
    let u = unpack_with(&bomb, &limits);
    let elapsed = started.elapsed();
    println!(
        "gzip bomb: {} compressed bytes for {BOMB_BYTES} decompressed; built in {built:?}, unpacking stopped after {elapsed:?}",
        bomb.len()
    );

    let stop = bomb_stop(&u);
    let decompressed = evidence_u64(stop, "decompressed_bytes");
    println!("gzip bomb: stopped by {} after {decompressed} decompressed bytes", stop.rule);
    assert!(
        decompressed <= limits.max_total_bytes + limits.max_file_bytes,
        "read far past the limits: {decompressed}"
    );
    assert!(u.tree.kept_bytes() <= limits.max_file_bytes, "kept {} bytes", u.tree.kept_bytes());
    assert!(u.tree.iter().all(|(_, f)| f.bytes.len() as u64 <= limits.max_file_bytes));
    assert!(elapsed < Duration::from_secs(60), "unpacking took {elapsed:?}");
}

#[test]
fn too_many_entries_stops_unpacking() {
    const ENTRIES: usize = 200_000;
    let started = Instant::now();
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..ENTRIES {
        append_member(&mut b, &Member::File(&format!("package/f{i:06}.js"), b"")).expect("entry written");
    }
    let bytes = b.into_inner().expect("tar finished");
    let built = started.elapsed();

    let limits = Limits::default();
    let started = Instant::now();
    let u = unpack_with(&bytes, &limits);
    let elapsed = started.elapsed();
    println!("{ENTRIES} entries: {} tar bytes built in {built:?}, unpacked in {elapsed:?}", bytes.len());

    let f = only(&u, "archive.too-many-entries");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(evidence_u64(f, "limit"), limits.max_entries as u64);
    assert!(u.tree.len() <= limits.max_entries, "{} files kept", u.tree.len());
    assert_eq!(u.tree.len(), limits.max_entries);
    assert_eq!(u.entries, limits.max_entries + 1, "stopped at the first entry past the limit");
    assert!(u.tree.get("f099999.js").is_some());
    assert!(u.tree.get("f100000.js").is_none());
}

#[test]
fn member_over_the_per_file_limit_is_truncated() {
    let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let bytes = tar_gz(&[
        Member::File("package/big.js", &big),
        Member::File("package/after.js", b"still read"),
    ]);
    let limits = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    let u = unpack_with(&bytes, &limits);

    let f = only(&u, "archive.file-truncated");
    assert_archive_finding(f, Severity::Medium, "big.js");
    assert_eq!(evidence_u64(f, "size"), 5000);
    assert_eq!(evidence_u64(f, "kept"), 1024);

    let file = u.tree.get("big.js").expect("truncated file kept");
    assert!(file.truncated);
    assert_eq!(file.size, 5000);
    assert_eq!(file.bytes, &big[..1024]);
    let after = u.tree.get("after.js").expect("the member after is read");
    assert_eq!(after.bytes, b"still read");
    assert!(!after.truncated);
    assert_eq!(u.findings.len(), 1, "{:#?}", u.findings);
}

// ---------------------------------------------------------------------------------------------
// zip

#[test]
fn zip_slip_names_are_refused() {
    let bytes = zip_bytes(|z| {
        zip_file(z, "package/ok.js", b"ok")?;
        zip_file(z, "../../evil", b"owned")?;
        zip_file(z, "..\\..\\evil.txt", b"owned")?;
        zip_file(z, "/etc/x", b"owned")
    });
    let u = unpack(&bytes);

    let traversal: Vec<&str> = with_rule(&u, "archive.path-traversal")
        .iter()
        .map(|f| evidence_str(f, "entry"))
        .collect();
    assert_eq!(traversal, ["../../evil", "..\\..\\evil.txt"]);
    assert_archive_finding(only(&u, "archive.absolute-path"), Severity::High, "/etc/x");
    assert_eq!(paths(&u.tree), ["ok.js"]);
    assert_eq!(u.findings.len(), 3, "{:#?}", u.findings);
}

#[test]
fn zip_symlinks_are_not_followed() {
    let bytes = zip_bytes(|z| {
        zip_file(z, "pkg/__init__.py", b"")?;
        z.add_symlink("pkg/passwd", "/etc/passwd", SimpleFileOptions::default())?;
        // The same, spelled out: unix mode 0o120777 in the external attributes.
        let options = SimpleFileOptions::default()
            .system(System::Unix)
            .compression_method(CompressionMethod::Stored)
            .external_attributes(0o120777 << 16);
        z.start_file("pkg/ssh", options)?;
        z.write_all(b"../../.ssh")?;
        zip_file(z, "pkg/ssh/authorized_keys", b"ssh-ed25519 AAAA attacker")
    });
    let u = unpack(&bytes);

    let links = with_rule(&u, "archive.symlink");
    let summary: Vec<(&str, &str, bool)> = links
        .iter()
        .map(|f| (f.path.as_str(), evidence_str(f, "target"), evidence_bool(f, "escapes")))
        .collect();
    assert_eq!(summary, [("passwd", "/etc/passwd", true), ("ssh", "../../.ssh", true)]);
    assert!(links.iter().all(|f| f.severity == Severity::High));
    assert_archive_finding(
        only(&u, "archive.through-symlink"),
        Severity::Critical,
        "ssh/authorized_keys",
    );
    assert_eq!(paths(&u.tree), ["__init__.py"], "neither links nor their content are files");
}

/// One deflated member of zeros, referenced again and again by central-directory entries that
/// all point at the same data (an overlapping zip bomb).
fn overlapping_zip_bomb(member: usize, copies: usize) -> Vec<u8> {
    let zeros = vec![0u8; member];
    let bytes = zip_bytes(|z| {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        z.start_file("package/blob.bin", options)?;
        z.write_all(&zeros)?;
        for i in 0..copies {
            z.shallow_copy_file("package/blob.bin", &format!("package/copy{i:03}.bin"))?;
        }
        Ok(())
    });
    let mut check = zip::ZipArchive::new(Cursor::new(&bytes)).expect("bomb is a readable zip");
    assert!(check.has_overlapping_files().expect("overlap check"), "members share their data");
    bytes
}

#[test]
fn overlapping_zip_bomb_trips_the_total_limit() {
    let bomb = overlapping_zip_bomb(4 * MIB as usize, 255);
    let limits = Limits {
        max_total_bytes: 20 * MIB,
        ..Limits::default()
    };
    let started = Instant::now();
    let u = unpack_with(&bomb, &limits);
    println!(
        "overlapping zip bomb: {} bytes claiming 1 GiB; stopped after {:?}",
        bomb.len(),
        started.elapsed()
    );

    let stop = only(&u, "archive.size-limit");
    assert_eq!(stop.severity, Severity::High);
    assert_eq!(evidence_u64(stop, "limit_bytes"), 20 * MIB);
    assert!(u.tree.kept_bytes() <= limits.max_total_bytes);
    assert!(u.tree.len() < 6, "stopped within a few members, kept {}", u.tree.len());
    assert!(u.entries < 10, "the rest of the central directory was not read: {}", u.entries);
}

#[test]
fn overlapping_zip_bomb_trips_the_ratio_limit() {
    let bomb = overlapping_zip_bomb(4 * MIB as usize, 255);
    let u = unpack(&bomb);

    let stop = only(&u, "archive.compression-ratio");
    assert_eq!(stop.severity, Severity::High);
    assert!(evidence_u64(stop, "ratio") > 200);
    assert!(evidence_u64(stop, "decompressed_bytes") < 64 * MIB);
    assert!(u.tree.kept_bytes() < 64 * MIB);
}

// ---------------------------------------------------------------------------------------------
// Local directories

#[test]
fn local_directory_symlinks_are_findings_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("index.js"), b"console.log(1)").expect("write");
    std::os::unix::fs::symlink("/etc", dir.path().join("etc-link")).expect("symlink");
    std::fs::create_dir(dir.path().join("lib")).expect("mkdir");
    std::os::unix::fs::symlink("../index.js", dir.path().join("lib/alias.js")).expect("symlink");
    let fifo = dir.path().join("pipe");
    let have_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());

    let u = archive::read_dir(dir.path(), &Limits::default()).expect("directory read");

    let links = with_rule(&u, "archive.symlink");
    let summary: Vec<(&str, &str, bool, Severity)> = links
        .iter()
        .map(|f| (f.path.as_str(), evidence_str(f, "target"), evidence_bool(f, "escapes"), f.severity))
        .collect();
    assert_eq!(
        summary,
        [
            ("etc-link", "/etc", true, Severity::High),
            ("lib/alias.js", "../index.js", false, Severity::Medium),
        ]
    );
    assert_eq!(paths(&u.tree), ["index.js"], "links are not followed into /etc");
    if have_fifo {
        // Opening a fifo for reading would block forever; it must be reported, not read.
        assert_eq!(evidence_str(only(&u, "archive.special-file"), "entry"), "pipe");
    }
}

fn assert_not_a_directory(path: &Path) {
    let err = archive::read_dir(path, &Limits::default()).expect_err("a file is not a directory");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn read_dir_refuses_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("index.js");
    std::fs::write(&file, b"ok").expect("write");
    assert_not_a_directory(&file);
}

// ---------------------------------------------------------------------------------------------
// Top folders

#[test]
fn shared_top_folder_is_stripped() {
    let npm = unpack(&tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::File("package/lib/util.js", b"ok"),
    ]));
    assert_eq!(paths(&npm.tree), ["index.js", "lib/util.js"]);

    let sdist = unpack(&tar_gz(&[
        Member::Dir("demo-1.0/"),
        Member::File("demo-1.0/setup.py", b"ok"),
        Member::File("demo-1.0/demo/__init__.py", b""),
    ]));
    assert_eq!(paths(&sdist.tree), ["demo/__init__.py", "setup.py"]);

    let flat = unpack(&tar_gz(&[Member::File("index.js", b"ok")]));
    assert_eq!(paths(&flat.tree), ["index.js"], "nothing to strip");
}

#[test]
fn wheel_keeps_both_top_folders() {
    let wheel = zip_bytes(|z| {
        zip_file(z, "pkg/__init__.py", b"")?;
        zip_file(z, "pkg-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: pkg\n")
    });
    let u = unpack(&wheel);
    assert_eq!(paths(&u.tree), ["pkg-1.0.dist-info/METADATA", "pkg/__init__.py"]);
    assert!(u.findings.is_empty(), "{:#?}", u.findings);
}

// ---------------------------------------------------------------------------------------------
// Well-formed look-alikes: no findings

#[test]
fn normal_npm_tarball_has_no_findings() {
    let bytes = tar_gz(&[
        Member::Dir("package/"),
        Member::File("package/package.json", br#"{"name":"demo","version":"1.0.0"}"#),
        Member::File("package/README.md", b"# demo\n"),
        Member::Dir("package/lib/"),
        Member::Dir("package/lib/util/"),
        Member::File("package/lib/index.js", b"module.exports = require('./util/strings');\n"),
        Member::File("package/lib/util/strings.js", b"module.exports = {};\n"),
        Member::Executable("package/bin/cli.js", b"#!/usr/bin/env node\n"),
    ]);
    let u = unpack(&bytes);

    assert!(u.findings.is_empty(), "{:#?}", u.findings);
    assert_eq!(
        paths(&u.tree),
        ["README.md", "bin/cli.js", "lib/index.js", "lib/util/strings.js", "package.json"]
    );
    assert!(u.tree.get("bin/cli.js").is_some_and(|f| f.executable));
    assert!(u.tree.get("package.json").is_some_and(|f| !f.executable && !f.truncated));
    assert_eq!(u.entries, 8);
}

#[test]
fn dotted_names_are_not_traversal() {
    let bytes = tar_gz(&[
        Member::File("package/..foo", b"a"),
        Member::File("package/a..b.js", b"b"),
        Member::File("package/lib/.../x.js", b"c"),
        Member::File("package/lib/foo..", b"d"),
    ]);
    let u = unpack(&bytes);
    assert!(u.findings.is_empty(), "{:#?}", u.findings);
    assert_eq!(paths(&u.tree), ["..foo", "a..b.js", "lib/.../x.js", "lib/foo.."]);

    let zipped = unpack(&zip_bytes(|z| {
        zip_file(z, "..foo", b"a")?;
        zip_file(z, "a..b.js", b"b")
    }));
    assert!(zipped.findings.is_empty(), "{:#?}", zipped.findings);
    assert_eq!(paths(&zipped.tree), ["..foo", "a..b.js"]);
}

#[test]
fn relative_symlink_inside_the_package_is_at_most_medium() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::File("package/lib/real.js", b"ok"),
        Member::Symlink("package/lib/alias.js", "../index.js"),
        Member::Symlink("package/current", "lib"),
    ]);
    let u = unpack(&bytes);

    assert!(u.findings.iter().all(|f| f.severity <= Severity::Medium), "{:#?}", u.findings);
    let links = with_rule(&u, "archive.symlink");
    let summary: Vec<(&str, &str, bool)> = links
        .iter()
        .map(|f| (f.path.as_str(), evidence_str(f, "target"), evidence_bool(f, "escapes")))
        .collect();
    assert_eq!(summary, [("lib/alias.js", "../index.js", false), ("current", "lib", false)]);
    assert_eq!(u.findings.len(), 2, "{:#?}", u.findings);
    assert_eq!(paths(&u.tree), ["index.js", "lib/real.js"]);
}
