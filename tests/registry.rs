//! `mcpvet scan` against a loopback npm registry and PyPI index serving generated fixtures.

mod common;

use common::{file_paths, json, mcpvet, sha256_hex, sri512, tgz, zip, Registry, Route, RunOk};
use serde_json::json as j;

const INDEX_JS: &[u8] = b"import { Server } from '@modelcontextprotocol/sdk/server/index.js';\n";

fn npm_fixture(
    reg: &Registry,
    name: &str,
    versions: &[&str],
    latest: &str,
) -> Vec<(String, Vec<u8>)> {
    let mut vers = serde_json::Map::new();
    let mut out = Vec::new();
    let bare = name.rsplit('/').next().unwrap();
    for v in versions {
        let pkg_json = format!("{{\"name\":\"{name}\",\"version\":\"{v}\"}}");
        let tarball = tgz(
            "package",
            &[
                ("package.json", pkg_json.as_bytes()),
                ("dist/index.js", INDEX_JS),
            ],
        );
        let path = format!("/{name}/-/{bare}-{v}.tgz");
        reg.route(&path, Route::ok(tarball.clone()));
        vers.insert(
            v.to_string(),
            j!({"name": name, "version": v, "dist": {"tarball": reg.url(&path), "integrity": sri512(&tarball)}}),
        );
        out.push((v.to_string(), tarball));
    }
    let doc = j!({"name": name, "dist-tags": {"latest": latest, "next": versions.last().unwrap()}, "versions": vers});
    reg.route(
        &format!("/{}", name.replacen('/', "%2f", 1)),
        Route::ok(doc.to_string()),
    );
    out
}

fn scan_json(cache: &std::path::Path, reg: &Registry, spec: &str) -> serde_json::Value {
    let out = mcpvet(cache)
        .args([
            "scan",
            spec,
            "--format",
            "json",
            "--npm-registry",
            &reg.base,
            "--pypi-index",
            &reg.base,
        ])
        .ok_stdout();
    json(&out)
}

fn scan_err(cache: &std::path::Path, reg: &Registry, spec: &str, extra: &[&str]) -> String {
    let out = mcpvet(cache)
        .args([
            "scan",
            spec,
            "--npm-registry",
            &reg.base,
            "--pypi-index",
            &reg.base,
        ])
        .args(extra)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

fn artifact_count(cache: &std::path::Path) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&cache.join("artifacts"))
}

#[test]
fn npm_exact_version_is_verified_and_unpacked() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let tars = npm_fixture(&reg, "@acme/weather-mcp", &["1.0.0", "1.2.0"], "1.2.0");
    let r = scan_json(cache.path(), &reg, "npm:@acme/weather-mcp@1.0.0");
    assert_eq!(r["schema"], "mcpvet/report/v1");
    let p = &r["package"];
    assert_eq!(p["ecosystem"], "npm");
    assert_eq!(p["name"], "@acme/weather-mcp");
    assert_eq!(p["version"], "1.0.0");
    assert_eq!(p["verified"], true);
    assert_eq!(p["pinned"], true);
    assert_eq!(p["digest"], sri512(&tars[0].1));
    let paths = file_paths(&r);
    assert_eq!(
        paths,
        ["dist/index.js", "package.json"],
        "top folder stripped"
    );
    assert_eq!(r["files"][0]["language"], "javascript");
    assert_eq!(r["files"][0]["sha256"], sha256_hex(INDEX_JS));
    assert_eq!(r["findings"].as_array().unwrap().len(), 0);
    assert_eq!(reg.hits("/@acme%2fweather-mcp"), 1, "scoped name escaped");
}

#[test]
fn npm_range_tag_and_latest_resolve_unpinned() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    npm_fixture(&reg, "multi", &["1.0.0", "1.4.2", "2.0.0-beta.1"], "1.4.2");
    let r = scan_json(cache.path(), &reg, "npm:multi@^1.0.0");
    assert_eq!(r["package"]["version"], "1.4.2");
    assert_eq!(r["package"]["pinned"], false);
    assert!(r["package"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("range ^1.0.0 resolved to 1.4.2"));
    let r = scan_json(cache.path(), &reg, "npm:multi@next");
    assert_eq!(r["package"]["version"], "2.0.0-beta.1");
    let r = scan_json(cache.path(), &reg, "npm:multi");
    assert_eq!(r["package"]["version"], "1.4.2");
    assert_eq!(r["package"]["pinned"], false);
}

#[test]
fn npm_missing_version_and_package_name_the_latest() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    npm_fixture(&reg, "known", &["1.0.0", "1.2.0"], "1.2.0");
    let err = scan_err(cache.path(), &reg, "npm:known@9.9.9", &[]);
    assert!(
        err.contains("npm package known has no version 9.9.9 (latest is 1.2.0)"),
        "{err}"
    );
    let err = scan_err(cache.path(), &reg, "npm:known@^7", &[]);
    assert!(
        err.contains("has no version matching ^7 (latest is 1.2.0)"),
        "{err}"
    );
    let err = scan_err(cache.path(), &reg, "npm:unknown-pkg@1.0.0", &[]);
    assert!(err.contains("npm package unknown-pkg not found"), "{err}");
}

#[test]
fn npm_integrity_mismatch_caches_nothing() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let real = tgz("package", &[("index.js", b"good")]);
    let evil = tgz("package", &[("index.js", b"evil")]);
    reg.route("/bad/-/bad-1.0.0.tgz", Route::ok(evil.clone()));
    let doc = j!({"dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"dist": {"tarball": reg.url("/bad/-/bad-1.0.0.tgz"), "integrity": sri512(&real)}}}});
    reg.route("/bad", Route::ok(doc.to_string()));
    let err = scan_err(cache.path(), &reg, "npm:bad@1.0.0", &[]);
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(
        err.contains(&format!("expected {}", sri512(&real))),
        "{err}"
    );
    assert!(err.contains(&format!("got {}", sri512(&evil))), "{err}");
    assert_eq!(artifact_count(cache.path()), 0, "nothing cached");
}

#[test]
fn npm_sha1_only_is_reported_as_weaker() {
    use sha1::Digest;
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let t = tgz("package", &[("index.js", b"x")]);
    reg.route("/old.tgz", Route::ok(t.clone()));
    let sha1 = hex::encode(sha1::Sha1::digest(&t));
    let doc = j!({"dist-tags": {"latest": "0.1.0"}, "versions": {"0.1.0": {"dist": {"tarball": "/old.tgz", "shasum": sha1}}}});
    reg.route("/old", Route::ok(doc.to_string()));
    let r = scan_json(cache.path(), &reg, "npm:old@0.1.0");
    assert_eq!(r["package"]["digest"], format!("sha1:{sha1}"));
    assert!(r["package"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("only a sha1 shasum"));
}

#[test]
fn malformed_registry_json_is_one_clear_error() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    reg.route("/broken", Route::ok("{\"versions\": [1, 2"));
    let err = scan_err(cache.path(), &reg, "npm:broken", &[]);
    assert!(err.contains("malformed registry response from"), "{err}");
    reg.route("/shape", Route::ok("{\"versions\": \"nope\"}"));
    let err = scan_err(cache.path(), &reg, "npm:shape", &[]);
    assert!(
        err.contains("no \\\"versions\\\" object") || err.contains("no \"versions\" object"),
        "{err}"
    );
    reg.route("/proto", Route::ok(j!({"dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"dist": {"tarball": "file:///etc/passwd", "integrity": sri512(b"x")}}}}).to_string()));
    let err = scan_err(cache.path(), &reg, "npm:proto", &[]);
    assert!(err.contains("is not http or https"), "{err}");
}

#[test]
fn timeouts_and_unreachable_registries_fail_fast() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    reg.route(
        "/slow",
        Route {
            delay: std::time::Duration::from_secs(8),
            ..Route::ok("{}")
        },
    );
    let start = std::time::Instant::now();
    let err = scan_err(
        cache.path(),
        &reg,
        "npm:slow",
        &["--timeout", "1", "--retries", "0"],
    );
    assert!(
        err.contains("registry unreachable") && err.contains("timed out"),
        "{err}"
    );
    assert!(start.elapsed().as_secs() < 6, "took {:?}", start.elapsed());

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let out = mcpvet(cache.path())
        .args(["scan", "npm:x", "--retries", "0", "--npm-registry", &url])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("registry unreachable") && err.contains("connection"),
        "{err}"
    );
}

#[test]
fn server_errors_are_retried() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    npm_fixture(&reg, "flaky", &["1.0.0"], "1.0.0");
    let doc_route = Route {
        fail_first: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(2)),
        ..Route::ok(
            j!({"dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"dist": {"tarball": reg.url("/flaky/-/flaky-1.0.0.tgz"), "integrity": sri512(&tgz("package", &[("package.json", b"{\"name\":\"flaky\",\"version\":\"1.0.0\"}"), ("dist/index.js", INDEX_JS)]))}}}}).to_string(),
        )
    };
    reg.route("/flaky", doc_route);
    let r = scan_json(cache.path(), &reg, "npm:flaky@1.0.0");
    assert_eq!(r["package"]["verified"], true);
    assert_eq!(reg.hits("/flaky"), 3);
}

#[test]
fn cache_serves_offline_and_discards_tampered_artifacts() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    npm_fixture(&reg, "cached", &["1.0.0"], "1.0.0");
    scan_json(cache.path(), &reg, "npm:cached@1.0.0");
    let before = reg.total_hits();

    let out = mcpvet(cache.path())
        .args([
            "scan",
            "npm:cached@1.0.0",
            "--offline",
            "--format",
            "json",
            "--npm-registry",
            &reg.base,
        ])
        .ok_stdout();
    assert_eq!(json(&out)["package"]["verified"], true);
    assert_eq!(reg.total_hits(), before, "offline touched the network");

    // Tamper with the cached artifact: it must be discarded and fetched again, never used.
    let mut files = Vec::new();
    let mut stack = vec![cache.path().join("artifacts")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path())
            } else {
                files.push(e.path())
            }
        }
    }
    assert_eq!(files.len(), 1);
    let tampered = tgz("package", &[("dist/index.js", b"tampered")]);
    std::fs::write(&files[0], &tampered).unwrap();
    let r = scan_json(cache.path(), &reg, "npm:cached@1.0.0");
    assert_eq!(r["files"][0]["sha256"], sha256_hex(INDEX_JS));
    let notes = r["package"]["notes"].to_string();
    assert!(notes.contains("no longer matched its digest"), "{notes}");

    std::fs::write(&files[0], &tampered).unwrap();
    let err = scan_err(cache.path(), &reg, "npm:cached@1.0.0", &["--offline"]);
    assert!(
        err.contains("offline") && err.contains("not in the cache"),
        "{err}"
    );

    let empty = tempfile::tempdir().unwrap();
    let err = scan_err(empty.path(), &reg, "npm:cached@1.0.0", &["--offline"]);
    assert!(err.contains("offline"), "{err}");
}

fn pypi_fixture(reg: &Registry) -> (Vec<u8>, Vec<u8>) {
    let sdist = tgz(
        "demo_mcp-1.0.0",
        &[
            ("PKG-INFO", b"Name: demo-mcp"),
            ("demo_mcp/server.py", b"import os\n"),
        ],
    );
    let wheel = zip(&[
        ("demo_mcp/server.py", b"import os\n"),
        ("demo_mcp-2.0.0.dist-info/METADATA", b"Name: demo-mcp"),
    ]);
    reg.route(
        "/packages/ab/cd/demo_mcp-1.0.0.tar.gz",
        Route::ok(sdist.clone()),
    );
    reg.route(
        "/packages/ef/01/demo_mcp-2.0.0-py3-none-any.whl",
        Route::ok(wheel.clone()),
    );
    let doc = j!({
        "info": {"name": "Demo_MCP", "version": "2.0.0"},
        "releases": {
            "1.0.0": [{"filename": "demo_mcp-1.0.0.tar.gz", "packagetype": "sdist", "url": "../../packages/ab/cd/demo_mcp-1.0.0.tar.gz", "digests": {"sha256": sha256_hex(&sdist)}, "yanked": false}],
            "2.0.0": [{"filename": "demo_mcp-2.0.0-py3-none-any.whl", "packagetype": "bdist_wheel", "url": reg.url("/packages/ef/01/demo_mcp-2.0.0-py3-none-any.whl"), "digests": {"sha256": sha256_hex(&wheel)}, "yanked": false}],
            "3.0.0rc1": [{"filename": "demo_mcp-3.0.0rc1.tar.gz", "packagetype": "sdist", "url": "/nowhere", "digests": {"sha256": "00"}, "yanked": false}]
        }
    });
    reg.route("/pypi/demo-mcp/json", Route::ok(doc.to_string()));
    (sdist, wheel)
}

#[test]
fn pypi_sdist_with_relative_url_and_normalised_name() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let (sdist, _) = pypi_fixture(&reg);
    let r = scan_json(cache.path(), &reg, "pypi:Demo.MCP[cli]==1.0.0");
    let p = &r["package"];
    assert_eq!(p["ecosystem"], "pypi");
    assert_eq!(p["name"], "demo-mcp");
    assert_eq!(p["version"], "1.0.0");
    assert_eq!(p["artifact"], "demo_mcp-1.0.0.tar.gz");
    assert_eq!(p["digest"], format!("sha256:{}", sha256_hex(&sdist)));
    assert_eq!(
        p["source"],
        reg.url("/packages/ab/cd/demo_mcp-1.0.0.tar.gz")
    );
    let paths = file_paths(&r);
    assert_eq!(paths, ["PKG-INFO", "demo_mcp/server.py"]);
    assert_eq!(r["files"][1]["language"], "python");
}

#[test]
fn pypi_wheel_fallback_specifiers_and_mismatch() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    pypi_fixture(&reg);
    let r = scan_json(cache.path(), &reg, "pypi:demo-mcp");
    assert_eq!(
        r["package"]["version"], "2.0.0",
        "pre-release 3.0.0rc1 skipped"
    );
    assert!(r["package"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("no sdist for 2.0.0: analysing the wheel"));
    let paths = file_paths(&r);
    assert_eq!(
        paths,
        ["demo_mcp-2.0.0.dist-info/METADATA", "demo_mcp/server.py"],
        "wheel top folders kept"
    );
    let r = scan_json(cache.path(), &reg, "pypi:demo-mcp<2");
    assert_eq!(r["package"]["version"], "1.0.0");
    let err = scan_err(cache.path(), &reg, "pypi:demo-mcp==4.0", &[]);
    assert!(
        err.contains("pypi package demo-mcp has no version 4.0 (latest is 2.0.0)"),
        "{err}"
    );
    let err = scan_err(cache.path(), &reg, "pypi:demo-mcp==3.0.0rc1", &[]);
    assert!(
        err.contains("unusable sha256") || err.contains("digest"),
        "{err}"
    );
    let err = scan_err(cache.path(), &reg, "pypi:nothing-here", &[]);
    assert!(err.contains("pypi package nothing-here not found"), "{err}");

    // The index serves different bytes than its digest says.
    reg.route(
        "/packages/ab/cd/demo_mcp-1.0.0.tar.gz",
        Route::ok(tgz("x", &[("evil.py", b"1")])),
    );
    let fresh = tempfile::tempdir().unwrap();
    let err = scan_err(fresh.path(), &reg, "pypi:demo-mcp==1.0.0", &[]);
    assert!(err.contains("digest mismatch"), "{err}");
}

#[test]
fn package_text_never_reaches_the_terminal_raw() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let evil_name = "dist/\u{1b}]0;pwned\u{7}\u{202e}sj.js";
    // The file's content gives a finding, so its path appears in every format.
    let t = tgz("package", &[(evil_name, b"eval(x)")]);
    reg.route("/esc.tgz", Route::ok(t.clone()));
    reg.route(
        "/esc",
        Route::ok(j!({"dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"dist": {"tarball": "/esc.tgz", "integrity": sri512(&t)}}}}).to_string()),
    );
    for format in ["text", "json", "sarif", "markdown"] {
        let out = mcpvet(cache.path())
            .args([
                "scan",
                "npm:esc@1.0.0",
                "--format",
                format,
                "--npm-registry",
                &reg.base,
            ])
            .ok_stdout();
        let s = String::from_utf8(out).unwrap();
        assert!(
            !s.contains('\u{1b}') && !s.contains('\u{7}') && !s.contains('\u{202e}'),
            "{format}: {s:?}"
        );
        if format == "json" {
            assert_eq!(
                json(s.as_bytes())["files"][0]["path"],
                evil_name,
                "escaping is lossless in JSON"
            );
        }
        if format == "sarif" {
            let log = json(s.as_bytes());
            assert_eq!(log["version"], "2.1.0");
            assert_eq!(log["runs"][0]["results"][0]["ruleId"], "js.eval.eval");
        }
        if format == "markdown" {
            assert!(
                s.contains(r"`dist/\u{1b}]0;pwned\u{7}\u{202e}sj.js:1`"),
                "the path, escaped, in a code span: {s}"
            );
        }
    }
}

#[test]
fn local_directory_and_archives() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.ts"), "export {}\n").unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/dep")).unwrap();
    std::fs::write(dir.path().join("node_modules/dep/index.js"), "x").unwrap();
    let out = mcpvet(cache.path())
        .args(["scan", dir.path().to_str().unwrap(), "--format", "json"])
        .ok_stdout();
    let r = json(&out);
    assert_eq!(r["package"]["ecosystem"], "local");
    assert_eq!(r["files"].as_array().unwrap().len(), 1);
    assert_eq!(r["files"][0]["path"], "src/index.ts");
    assert!(r["package"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256-tree:"));

    let t = dir.path().join("pkg.tgz");
    std::fs::write(&t, tgz("package", &[("index.js", b"1")])).unwrap();
    let out = mcpvet(cache.path())
        .args(["scan", t.to_str().unwrap(), "--format", "json"])
        .ok_stdout();
    assert_eq!(json(&out)["files"][0]["path"], "index.js");

    let out = mcpvet(cache.path())
        .args(["scan", dir.path().join("missing.tgz").to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("missing.tgz"));
}

#[test]
fn multiple_specs_report_each_and_fail_if_any_fails() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    npm_fixture(&reg, "one", &["1.0.0"], "1.0.0");
    let out = mcpvet(cache.path())
        .args([
            "scan",
            "npm:one@1.0.0",
            "npm:two@1.0.0",
            "--format",
            "json",
            "--npm-registry",
            &reg.base,
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let r = json(&out.stdout);
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("npm:two@1.0.0: npm package two not found")
    );
}

#[test]
fn bad_input_is_exit_2_with_one_line() {
    let cache = tempfile::tempdir().unwrap();
    for spec in [
        "npm:../../etc",
        "pypi:-x",
        "nonsense-without-prefix",
        "git+ext::sh -c x",
    ] {
        let out = mcpvet(cache.path())
            .args(["scan", spec])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{spec}: {err}");
    }
    let cfg = cache.path().join("bad.toml");
    std::fs::write(&cfg, "[limits]\nmax_total = \"lots\"\n").unwrap();
    let out = mcpvet(cache.path())
        .args([
            "scan",
            "npm:x",
            "--offline",
            "--settings",
            cfg.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid size"));
}

#[test]
fn pypi_per_version_endpoint_when_releases_are_absent() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let sdist = tgz("slim-1.0.0", &[("slim/__init__.py", b"")]);
    reg.route("/files/slim-1.0.0.tar.gz", Route::ok(sdist.clone()));
    reg.route(
        "/pypi/slim/json",
        Route::ok(j!({"info": {"name": "slim", "version": "1.0.0"}}).to_string()),
    );
    reg.route(
        "/pypi/slim/1.0.0/json",
        Route::ok(
            j!({"info": {"name": "slim", "version": "1.0.0"}, "urls": [{"filename": "slim-1.0.0.tar.gz", "packagetype": "sdist", "url": "/files/slim-1.0.0.tar.gz", "digests": {"sha256": sha256_hex(&sdist)}}]})
                .to_string(),
        ),
    );
    let r = scan_json(cache.path(), &reg, "pypi:slim==1.0.0");
    assert_eq!(r["package"]["verified"], true);
    assert_eq!(r["files"][0]["path"], "slim/__init__.py");
}

#[test]
fn remote_and_container_specs_are_reported_not_fetched() {
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args([
            "scan",
            "https://mcp.example.com/sse",
            "docker:ghcr.io/acme/mcp:1.0",
            "--format",
            "json",
            "--offline",
        ])
        .ok_stdout();
    let r = json(&out);
    assert_eq!(r[0]["package"]["ecosystem"], "remote");
    assert_eq!(r[0]["package"]["verified"], false);
    assert_eq!(r[0]["files"].as_array().unwrap().len(), 0);
    assert_eq!(r[1]["package"]["ecosystem"], "docker");
    assert_eq!(r[1]["package"]["pinned"], false);
    assert!(r[1]["package"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("not fetched"));
}

#[test]
fn http_proxy_from_the_environment_is_used_and_no_proxy_respected() {
    let proxy = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    // Through the proxy: the request arrives in absolute form for a host that does not exist.
    let out = mcpvet(cache.path())
        .env("HTTP_PROXY", &proxy.base)
        .args([
            "scan",
            "npm:via-proxy@1.0.0",
            "--retries",
            "0",
            "--npm-registry",
            "http://registry.invalid/",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
    assert_eq!(proxy.hits("http://registry.invalid/via-proxy"), 1);

    // NO_PROXY names the registry: the proxy is bypassed.
    let reg = Registry::start();
    npm_fixture(&reg, "direct", &["1.0.0"], "1.0.0");
    mcpvet(cache.path())
        .env("HTTP_PROXY", &proxy.base)
        .args(["scan", "npm:direct@1.0.0", "--npm-registry", &reg.base])
        .ok_stdout();
    assert_eq!(proxy.total_hits(), 1);
}
