//! Hostile archives, generated here and unpacked with `mcpvet::archive`: every trick must end as
//! an `archive.*` finding, never as a file outside the package, a followed link or an unbounded
//! decompression. Nothing is downloaded; nothing from an archive may reach the disk.

use std::io::{self, Cursor, Write};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::{Compression, Crc};
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
    /// A metadata entry for the next member: GNU long name (`L`) or PAX extended header (`x`).
    Extension(EntryType, &'a [u8]),
    /// A ustar header whose `prefix` field is joined in front of its name.
    Ustar {
        prefix: &'a str,
        name: &'a str,
        data: &'a [u8],
    },
}

/// Copy `value` into a fixed-size, NUL-padded header field.
fn put(field: &mut [u8], value: &str) {
    assert!(
        value.len() < field.len(),
        "test name too long for a raw tar header: {value}"
    );
    field.fill(0);
    field[..value.len()].copy_from_slice(value.as_bytes());
}

fn raw_header(name: &str, kind: EntryType, size: u64, mode: u32, link: Option<&str>) -> Header {
    let mut h = Header::new_gnu();
    put(&mut h.as_old_mut().name, name);
    if let Some(target) = link {
        put(&mut h.as_old_mut().linkname, target);
    }
    seal(h, kind, size, mode)
}

/// Fill in the remaining fields and the checksum.
fn seal(mut h: Header, kind: EntryType, size: u64, mode: u32) -> Header {
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_cksum();
    h
}

fn append_member<W: Write>(b: &mut tar::Builder<W>, m: &Member) -> io::Result<()> {
    let (header, data): (Header, &[u8]) = match *m {
        Member::File(name, data) => (
            raw_header(name, EntryType::Regular, data.len() as u64, 0o644, None),
            data,
        ),
        Member::Executable(name, data) => (
            raw_header(name, EntryType::Regular, data.len() as u64, 0o755, None),
            data,
        ),
        Member::Dir(name) => (raw_header(name, EntryType::Directory, 0, 0o755, None), &[]),
        Member::Symlink(name, target) => (
            raw_header(name, EntryType::Symlink, 0, 0o777, Some(target)),
            &[],
        ),
        Member::Hardlink(name, target) => (
            raw_header(name, EntryType::Link, 0, 0o644, Some(target)),
            &[],
        ),
        Member::Special(name, kind) => (raw_header(name, kind, 0, 0o600, None), &[]),
        Member::Extension(kind, data) => (
            raw_header("././@LongLink", kind, data.len() as u64, 0o644, None),
            data,
        ),
        Member::Ustar { prefix, name, data } => {
            let mut h = Header::new_ustar();
            let fields = h.as_ustar_mut().expect("a ustar header");
            put(&mut fields.prefix, prefix);
            put(&mut fields.name, name);
            (seal(h, EntryType::Regular, data.len() as u64, 0o644), data)
        }
    };
    b.append(&header, data)
}

/// One PAX extended-header record: `<length> <key>=<value>\n`, the length counting itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
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
    archive::unpack(bytes, None, limits)
        .expect("archive unpacks (hostile entries are findings, not errors)")
}

fn with_rule<'a>(u: &'a Unpacked, rule: &str) -> Vec<&'a Finding> {
    u.findings.iter().filter(|f| f.rule == rule).collect()
}

/// The single finding of `rule`, failing with every finding shown otherwise.
fn only<'a>(u: &'a Unpacked, rule: &str) -> &'a Finding {
    let found = with_rule(u, rule);
    assert_eq!(
        found.len(),
        1,
        "expected one {rule} finding, got: {:#?}",
        u.findings
    );
    found[0]
}

fn paths(tree: &PackageTree) -> Vec<&str> {
    tree.iter().map(|(p, _)| p).collect()
}

fn evidence_str<'a>(f: &'a Finding, key: &str) -> &'a str {
    f.evidence
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{key} missing in {f:#?}"))
}

fn evidence_u64(f: &Finding, key: &str) -> u64 {
    f.evidence
        .get(key)
        .and_then(|v| v.as_u64())
        .unwrap_or_else(|| panic!("{key} missing in {f:#?}"))
}

fn evidence_bool(f: &Finding, key: &str) -> bool {
    f.evidence
        .get(key)
        .and_then(|v| v.as_bool())
        .unwrap_or_else(|| panic!("{key} missing in {f:#?}"))
}

/// (path, target, escapes) of link findings, in order.
fn link_summary<'a>(links: &[&'a Finding]) -> Vec<(&'a str, &'a str, bool)> {
    links
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                evidence_str(f, "target"),
                evidence_bool(f, "escapes"),
            )
        })
        .collect()
}

fn assert_archive_finding(f: &Finding, severity: Severity, path: &str) {
    assert_eq!(f.category, Category::Archive, "{f:#?}");
    assert_eq!(f.severity, severity, "{f:#?}");
    assert_eq!(f.path, path, "{f:#?}");
}

/// Bytes decompressed when a stop finding fired (the evidence key differs per rule).
fn stopped_after(f: &Finding) -> u64 {
    match f.rule.as_str() {
        "archive.size-limit" => evidence_u64(f, "read_bytes"),
        _ => evidence_u64(f, "decompressed_bytes"),
    }
}

/// A decompression stop: its finding, whichever limit fired first.
fn bomb_stop(u: &Unpacked) -> &Finding {
    let stops: Vec<&Finding> = u
        .findings
        .iter()
        .filter(|f| f.rule == "archive.compression-ratio" || f.rule == "archive.size-limit")
        .collect();
    assert_eq!(
        stops.len(),
        1,
        "expected one decompression stop, got: {:#?}",
        u.findings
    );
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
    assert_eq!(
        entries,
        [
            "../evil.txt",
            "package/../../evil2.txt",
            "package/lib/../../../etc/evil3"
        ]
    );
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
    assert_eq!(
        entries,
        [
            "/abs/path",
            "/etc/cron.d/evil",
            "C:\\Windows\\evil.dll",
            "c:/Users/evil.txt"
        ]
    );
    for f in &absolute {
        assert_archive_finding(f, Severity::High, evidence_str(f, "entry"));
    }
    assert_eq!(paths(&u.tree), ["index.js"]);
    assert_eq!(u.findings.len(), 4, "{:#?}", u.findings);
}

#[test]
fn long_pax_and_prefixed_names_are_checked_too() {
    // The name an unpacker uses can come from a GNU long-name entry, a PAX `path` record or the
    // ustar prefix field; the innocent-looking name in the header itself is not what counts.
    let long_name = format!("package/{}evil.sh", "../".repeat(40));
    let long_entry = [long_name.as_bytes(), b"\0"].concat();
    let pax = pax_record("path", "../pax-evil.txt");
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::Extension(EntryType::GNULongName, &long_entry),
        Member::File("package/innocent1.js", b"owned"),
        Member::Extension(EntryType::XHeader, &pax),
        Member::File("package/innocent2.js", b"owned"),
        Member::Ustar {
            prefix: "../..",
            name: "package/innocent3.js",
            data: b"owned",
        },
    ]);
    let u = unpack(&bytes);

    let entries: Vec<&str> = with_rule(&u, "archive.path-traversal")
        .iter()
        .map(|f| evidence_str(f, "entry"))
        .collect();
    assert_eq!(
        entries,
        [
            long_name.as_str(),
            "../pax-evil.txt",
            "../../package/innocent3.js"
        ]
    );
    assert_eq!(paths(&u.tree), ["index.js"]);
    assert_eq!(u.findings.len(), 3, "{:#?}", u.findings);
    assert_eq!(
        u.entries, 4,
        "extension entries belong to the member they describe"
    );
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

    assert!(
        u.tree.get("link/payload").is_none(),
        "payload written through the link is not kept"
    );
    assert!(
        u.tree.get("link").is_none(),
        "the link itself is not a file"
    );
    assert_eq!(paths(&u.tree), ["index.js"]);

    // Nothing reached the filesystem at the link's target.
    assert!(!target.exists(), "{} was created", target.display());
    let leftovers = std::fs::read_dir(outside.path())
        .expect("read tempdir")
        .count();
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
    assert_archive_finding(
        only(&u, "archive.overwrites-link"),
        Severity::Critical,
        "config.json",
    );
    assert!(u.tree.is_empty(), "{:?}", paths(&u.tree));
}

#[test]
fn hard_links_are_findings_with_their_target() {
    let bytes = tar_gz(&[
        Member::File("package/index.js", b"ok"),
        Member::Hardlink("package/passwd", "/etc/passwd"),
        Member::Hardlink("package/up", "../outside/secret"),
        Member::Hardlink("package/dangling", "package/not-there.js"),
    ]);
    let u = unpack(&bytes);

    let links = with_rule(&u, "archive.hardlink");
    assert_eq!(links.len(), 3, "{:#?}", u.findings);
    let summary = link_summary(&links);
    assert_eq!(
        summary,
        [
            ("passwd", "/etc/passwd", true),
            ("up", "../outside/secret", true),
            ("dangling", "not-there.js", false),
        ]
    );
    for f in &links {
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.category, Category::Archive);
    }
    assert_eq!(
        paths(&u.tree),
        ["index.js"],
        "unresolvable links are never materialised"
    );
}

#[test]
fn hard_links_to_earlier_package_files_are_copies_not_findings() {
    // How tar stores one content twice (deduplicated LICENSE files in pnpm stores): an
    // installer writes a copy, so the review sees a copy and no finding.
    let bytes = tar_gz(&[
        Member::File("package/LICENSE", b"MIT"),
        Member::Hardlink("package/vendor/a/LICENSE", "package/LICENSE"),
        Member::Hardlink("package/vendor/b/LICENSE", "./package/LICENSE"),
    ]);
    let u = unpack(&bytes);
    assert!(u.findings.is_empty(), "{:#?}", u.findings);
    assert_eq!(
        paths(&u.tree),
        ["LICENSE", "vendor/a/LICENSE", "vendor/b/LICENSE"]
    );
    assert_eq!(u.tree.get("vendor/b/LICENSE").unwrap().bytes, b"MIT");
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
    assert_eq!(
        evidence_str(dup, "first_sha256"),
        mcpvet::util::sha256_hex(b"first")
    );
    let kept = u.tree.get("index.js").expect("index.js kept");
    assert_eq!(kept.bytes, b"third", "an installer keeps the last copy");
    assert_eq!(paths(&u.tree), ["index.js", "other.js"]);
}

// ---------------------------------------------------------------------------------------------
// Size and count limits

/// ~3 GiB of zeros in one tar member.
const BOMB_BYTES: u64 = 3 * 1024 * MIB;

/// A tar.gz whose single member is [`BOMB_BYTES`] of zeros: one gzip member of about 3 MB.
/// `header` describes that member (a regular file, or a metadata entry such as a long name).
///
/// Compressing 3 GiB takes over a minute in a debug build, so only two MiB of zeros are streamed
/// through the encoder. After a sync flush, the second MiB compresses to byte-aligned deflate
/// blocks whose back-references reach only zeros; those blocks are repeated for every other MiB.
/// The gzip trailer is then rewritten with the CRC-32 and size of the whole stream, so the
/// result is a valid archive (`gzip -t` and `tar -tz` accept it).
fn gzip_bomb(header: Header) -> Vec<u8> {
    let chunk = vec![0u8; MIB as usize];
    let chunks = BOMB_BYTES / MIB;
    let end_of_archive = [0u8; 1024];

    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(header.as_bytes()).expect("header compressed");
    gz.write_all(&chunk).expect("zeros compressed");
    gz.flush().expect("sync flush");
    let start = gz.get_ref().len();
    gz.write_all(&chunk).expect("zeros compressed");
    gz.flush().expect("sync flush");
    let zeros_block = gz.get_ref()[start..].to_vec();
    for _ in 2..chunks {
        gz.get_mut().extend_from_slice(&zeros_block);
    }
    gz.write_all(&end_of_archive)
        .expect("end of archive compressed");
    let mut bomb = gz.finish().expect("gzip finished");

    let mut crc = Crc::new();
    crc.update(header.as_bytes());
    let mut zeros_crc = Crc::new();
    zeros_crc.update(&chunk);
    for _ in 0..chunks {
        crc.combine(&zeros_crc);
    }
    crc.update(&end_of_archive);
    let size = header.as_bytes().len() as u64 + BOMB_BYTES + end_of_archive.len() as u64;
    let trailer = bomb.len() - 8;
    bomb[trailer..trailer + 4].copy_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the uncompressed size modulo 2^32.
    bomb[trailer + 4..].copy_from_slice(&((size % (1 << 32)) as u32).to_le_bytes());
    bomb
}

fn zeros_file() -> Header {
    raw_header(
        "package/zeros.bin",
        EntryType::Regular,
        BOMB_BYTES,
        0o644,
        None,
    )
}

#[test]
fn gzip_bomb_stops_early() {
    let started = Instant::now();
    let bomb = gzip_bomb(zeros_file());
    let built = started.elapsed();
    assert!(
        (bomb.len() as u64) < 16 * MIB,
        "bomb is {} bytes",
        bomb.len()
    );

    let limits = Limits::default();
    let started = Instant::now();
    let u = unpack_with(&bomb, &limits);
    let elapsed = started.elapsed();
    println!(
        "gzip bomb: {} compressed bytes for {BOMB_BYTES} decompressed; built in {built:?}, unpacking stopped after {elapsed:?}",
        bomb.len()
    );

    let stop = bomb_stop(&u);
    let decompressed = stopped_after(stop);
    println!(
        "gzip bomb: stopped by {} after {decompressed} decompressed bytes",
        stop.rule
    );
    assert!(
        decompressed <= limits.max_total_bytes + limits.max_file_bytes,
        "read far past the limits: {decompressed}"
    );
    assert!(
        u.tree.kept_bytes() <= limits.max_file_bytes,
        "kept {} bytes",
        u.tree.kept_bytes()
    );
    assert!(u
        .tree
        .iter()
        .all(|(_, f)| f.bytes.len() as u64 <= limits.max_file_bytes));
    assert!(
        elapsed < Duration::from_secs(60),
        "unpacking took {elapsed:?}"
    );
}

#[test]
fn gzip_bomb_is_bounded_by_the_total_limit_without_a_ratio_limit() {
    let bomb = gzip_bomb(zeros_file());
    let limits = Limits {
        max_total_bytes: 128 * MIB,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let started = Instant::now();
    let u = unpack_with(&bomb, &limits);
    let elapsed = started.elapsed();
    println!("gzip bomb without a ratio limit: stopped at the total limit after {elapsed:?}");

    let stop = only(&u, "archive.size-limit");
    assert_eq!(stop.severity, Severity::High);
    assert_eq!(evidence_u64(stop, "limit_bytes"), limits.max_total_bytes);
    let decompressed = stopped_after(stop);
    assert!(
        decompressed > limits.max_total_bytes
            && decompressed <= limits.max_total_bytes + limits.max_file_bytes
    );
    assert!(u.tree.kept_bytes() <= limits.max_file_bytes);
    assert!(with_rule(&u, "archive.compression-ratio").is_empty());
    assert!(
        elapsed < Duration::from_secs(60),
        "unpacking took {elapsed:?}"
    );
}

#[test]
fn gzip_bomb_in_a_long_name_entry_is_stopped() {
    // The tar reader buffers a GNU long name whole, before any member is seen: the meter must
    // stop it as well, and the stop is a finding, not an "unreadable archive" error.
    let header = raw_header(
        "././@LongLink",
        EntryType::GNULongName,
        BOMB_BYTES,
        0o644,
        None,
    );
    let bomb = gzip_bomb(header);
    let started = Instant::now();
    let u = unpack(&bomb);
    let elapsed = started.elapsed();
    println!("gzip bomb as a GNU long name: stopped after {elapsed:?}");

    let stop = bomb_stop(&u);
    assert!(stopped_after(stop) <= Limits::default().max_total_bytes + 64 * MIB);
    assert!(u.tree.is_empty());
    assert_eq!(u.entries, 0);
    assert!(
        elapsed < Duration::from_secs(60),
        "unpacking took {elapsed:?}"
    );
}

#[test]
fn too_many_entries_stops_unpacking() {
    const ENTRIES: usize = 200_000;
    let started = Instant::now();
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..ENTRIES {
        append_member(&mut b, &Member::File(&format!("package/f{i:06}.js"), b""))
            .expect("entry written");
    }
    let bytes = b.into_inner().expect("tar finished");
    let built = started.elapsed();

    let limits = Limits::default();
    let started = Instant::now();
    let u = unpack_with(&bytes, &limits);
    let elapsed = started.elapsed();
    println!(
        "{ENTRIES} entries: {} tar bytes built in {built:?}, unpacked in {elapsed:?}",
        bytes.len()
    );

    let f = only(&u, "archive.too-many-entries");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(evidence_u64(f, "limit"), limits.max_entries as u64);
    assert!(
        u.tree.len() <= limits.max_entries,
        "{} files kept",
        u.tree.len()
    );
    assert_eq!(u.tree.len(), limits.max_entries);
    assert_eq!(
        u.entries,
        limits.max_entries + 1,
        "stopped at the first entry past the limit"
    );
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
    let summary = link_summary(&links);
    assert_eq!(
        summary,
        [("passwd", "/etc/passwd", true), ("ssh", "../../.ssh", true)]
    );
    assert!(links.iter().all(|f| f.severity == Severity::High));
    assert_archive_finding(
        only(&u, "archive.through-symlink"),
        Severity::Critical,
        "ssh/authorized_keys",
    );
    assert_eq!(
        paths(&u.tree),
        ["__init__.py"],
        "neither links nor their content are files"
    );
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
    assert!(
        check.has_overlapping_files().expect("overlap check"),
        "members share their data"
    );
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
    assert!(
        u.tree.len() < 6,
        "stopped within a few members, kept {}",
        u.tree.len()
    );
    assert!(
        u.entries < 10,
        "the rest of the central directory was not read: {}",
        u.entries
    );
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

#[cfg(unix)]
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
        .map(|f| {
            (
                f.path.as_str(),
                evidence_str(f, "target"),
                evidence_bool(f, "escapes"),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("etc-link", "/etc", true, Severity::High),
            ("lib/alias.js", "../index.js", false, Severity::Medium),
        ]
    );
    assert_eq!(
        paths(&u.tree),
        ["index.js"],
        "links are not followed into /etc"
    );
    if have_fifo {
        // Opening a fifo for reading would block forever; it must be reported, not read.
        assert_eq!(
            evidence_str(only(&u, "archive.special-file"), "entry"),
            "pipe"
        );
    }
}

#[test]
fn read_dir_refuses_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("index.js");
    std::fs::write(&file, b"ok").expect("write");
    let err = archive::read_dir(&file, &Limits::default()).expect_err("a file is not a directory");
    assert!(err.to_string().contains("not a directory"), "{err}");
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
        zip_file(
            z,
            "pkg-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: pkg\n",
        )
    });
    let u = unpack(&wheel);
    assert_eq!(
        paths(&u.tree),
        ["pkg-1.0.dist-info/METADATA", "pkg/__init__.py"]
    );
    assert!(u.findings.is_empty(), "{:#?}", u.findings);
}

// ---------------------------------------------------------------------------------------------
// Well-formed look-alikes: no findings

#[test]
fn normal_npm_tarball_has_no_findings() {
    let bytes = tar_gz(&[
        Member::Dir("package/"),
        Member::File(
            "package/package.json",
            br#"{"name":"demo","version":"1.0.0"}"#,
        ),
        Member::File("package/README.md", b"# demo\n"),
        Member::Dir("package/lib/"),
        Member::Dir("package/lib/util/"),
        Member::File(
            "package/lib/index.js",
            b"module.exports = require('./util/strings');\n",
        ),
        Member::File("package/lib/util/strings.js", b"module.exports = {};\n"),
        Member::Executable("package/bin/cli.js", b"#!/usr/bin/env node\n"),
    ]);
    let u = unpack(&bytes);

    assert!(u.findings.is_empty(), "{:#?}", u.findings);
    assert_eq!(
        paths(&u.tree),
        [
            "README.md",
            "bin/cli.js",
            "lib/index.js",
            "lib/util/strings.js",
            "package.json"
        ]
    );
    assert!(u.tree.get("bin/cli.js").is_some_and(|f| f.executable));
    assert!(u
        .tree
        .get("package.json")
        .is_some_and(|f| !f.executable && !f.truncated));
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
    assert_eq!(
        paths(&u.tree),
        ["..foo", "a..b.js", "lib/.../x.js", "lib/foo.."]
    );

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

    assert!(
        u.findings.iter().all(|f| f.severity <= Severity::Medium),
        "{:#?}",
        u.findings
    );
    let links = with_rule(&u, "archive.symlink");
    let summary = link_summary(&links);
    assert_eq!(
        summary,
        [
            ("lib/alias.js", "../index.js", false),
            ("current", "lib", false)
        ]
    );
    assert_eq!(u.findings.len(), 2, "{:#?}", u.findings);
    assert_eq!(paths(&u.tree), ["index.js", "lib/real.js"]);
}
