//! Provenance through `mcpvet scan`: crafted packuments and PyPI JSON on a loopback registry →
//! signals, class and typosquat findings in the JSON report.

mod common;

use common::{json, mcpvet, sha256_hex, sri512, tgz, Registry, Route, RunOk};
use serde_json::{json as j, Value};

/// Serve an npm package whose packument is `extra` merged over a minimal one; each version's
/// manifest gets `manifest_extra[version]` merged in.
fn npm_package(
    reg: &Registry,
    name: &str,
    versions: &[&str],
    doc_extra: Value,
    manifest_extra: Value,
) {
    let bare = name.rsplit('/').next().unwrap_or(name);
    let mut vers = serde_json::Map::new();
    for v in versions {
        let pkg_json = format!("{{\"name\":\"{name}\",\"version\":\"{v}\"}}");
        let tarball = tgz("package", &[("package.json", pkg_json.as_bytes())]);
        let path = format!("/{name}/-/{bare}-{v}.tgz");
        reg.route(&path, Route::ok(tarball.clone()));
        let mut m = j!({"name": name, "version": v,
            "dist": {"tarball": reg.url(&path), "integrity": sri512(&tarball)}});
        if let Some(extra) = manifest_extra.get(*v).and_then(Value::as_object) {
            for (k, val) in extra {
                if k == "dist" {
                    for (dk, dv) in val.as_object().unwrap() {
                        m["dist"][dk] = dv.clone();
                    }
                } else {
                    m[k] = val.clone();
                }
            }
        }
        vers.insert(v.to_string(), m);
    }
    let latest = versions.last().unwrap();
    let mut doc =
        j!({"_id": name, "name": name, "dist-tags": {"latest": latest}, "versions": vers});
    for (k, v) in doc_extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    reg.route(
        &format!("/{}", name.replacen('/', "%2f", 1)),
        Route::ok(doc.to_string()),
    );
}

fn scan(cache: &std::path::Path, reg: &Registry, spec: &str) -> Value {
    json(
        &mcpvet(cache)
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
            .ok_stdout(),
    )
}

fn signal<'a>(r: &'a Value, name: &str) -> (&'a str, &'a str) {
    let s = r["provenance"]["signals"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no signal {name}: {}", r["provenance"]));
    (s["value"].as_str().unwrap(), s["status"].as_str().unwrap())
}

#[test]
fn npm_signals_and_mcp_org_class() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let name = "@modelcontextprotocol/server-demo";
    npm_package(
        &reg,
        name,
        &["0.6.2", "10.0.0"],
        j!({
            "maintainers": [{"name": "alice"}, {"name": "bob"}],
            "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2099-01-01T00:00:00Z",
                     "0.6.2": "2020-01-01T00:00:00.000Z", "10.0.0": "2023-06-01T00:00:00.000Z"},
            "repository": {"type": "git", "url": "git+https://github.com/modelcontextprotocol/servers.git"},
            "license": "MIT"
        }),
        j!({"10.0.0": {
            "_npmUser": {"name": "mallory", "email": "m@example.com"},
            "mcpName": "io.github.modelcontextprotocol/demo",
            "deprecated": "use server-other",
            "dist": {
                "attestations": {"url": "https://registry.example/attestations/x",
                    "provenance": {"predicateType": "https://slsa.dev/provenance/v1",
                        "predicate": {"buildDefinition": {"externalParameters": {"workflow":
                            {"repository": "https://github.com/modelcontextprotocol/servers",
                             "path": ".github/workflows/release.yml", "ref": "refs/tags/v10"}}}}}},
                "signatures": [{"keyid": "SHA256:abc", "sig": "MEUC"}]
            }
        }}),
    );
    let r = scan(cache.path(), &reg, &format!("npm:{name}@10.0.0"));
    // Provenance reads the packument the fetch used: it is asked for once.
    assert_eq!(reg.hits("/@modelcontextprotocol%2fserver-demo"), 1);
    let p = &r["provenance"];
    assert_eq!(p["class"], "mcp-org", "{p}");
    assert!(p["evidence"][0]
        .as_str()
        .unwrap()
        .contains("@modelcontextprotocol"));
    assert_eq!(signal(&r, "publisher"), ("mallory", "ok"));
    assert_eq!(signal(&r, "maintainers"), ("2 (alice, bob)", "ok"));
    assert_eq!(signal(&r, "package-age").1, "ok");
    assert_eq!(signal(&r, "versions"), ("2", "ok"));
    assert_eq!(signal(&r, "release-gap"), ("1247 days after 0.6.2", "warn"));
    assert_eq!(signal(&r, "version-jump"), ("0.x → 10.x", "warn"));
    assert_eq!(
        signal(&r, "repository"),
        ("https://github.com/modelcontextprotocol/servers", "ok")
    );
    assert_eq!(
        signal(&r, "mcp-name"),
        ("io.github.modelcontextprotocol/demo", "ok")
    );
    assert_eq!(signal(&r, "deprecated"), ("use server-other", "bad"));
    let (att, st) = signal(&r, "attestations");
    assert_eq!(st, "ok");
    assert!(
        att.contains("built from https://github.com/modelcontextprotocol/servers by .github/workflows/release.yml"),
        "{att}"
    );
    assert!(signal(&r, "registry-signatures").0.contains("SHA256:abc"));
    assert_eq!(signal(&r, "scope"), ("@modelcontextprotocol", "ok"));
    assert_eq!(signal(&r, "license"), ("MIT", "ok"));
}

#[test]
fn npm_mirror_fields_only_give_unknowns_not_errors() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    // What the mirror here returns: `_id, name, dist-tags, versions, time`.
    npm_package(
        &reg,
        "weather-thing-mcp",
        &["1.0.0"],
        j!({"time": {"created": "2099-01-01T00:00:00Z", "1.0.0": "2099-01-01T00:00:00Z"}}),
        j!({}),
    );
    let r = scan(cache.path(), &reg, "npm:weather-thing-mcp@1.0.0");
    assert_eq!(r["provenance"]["class"], "community-unknown");
    for s in [
        "publisher",
        "maintainers",
        "repository",
        "mcp-name",
        "deprecated",
        "attestations",
        "registry-signatures",
        "license",
    ] {
        assert_eq!(signal(&r, s).1, "unknown", "{s}");
    }
    // A release in the future is as fresh as it gets.
    assert_eq!(signal(&r, "version-age").1, "warn");
    assert_eq!(signal(&r, "versions"), ("1", "warn"));
    assert_eq!(signal(&r, "release-gap"), ("first release", "ok"));
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "provenance.typosquat"));
}

#[test]
fn npm_established_internal_and_typosquat() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let versions: Vec<String> = (0..12).map(|i| format!("1.{i}.0")).collect();
    let vs: Vec<&str> = versions.iter().map(String::as_str).collect();
    let mut time = serde_json::Map::new();
    time.insert("created".into(), j!("2019-01-01T00:00:00Z"));
    for (i, v) in vs.iter().enumerate() {
        time.insert(v.to_string(), j!(format!("2019-{:02}-01T00:00:00Z", i + 1)));
    }
    for name in ["mcp-remote-helper", "@acme/mcp-internal", "expresss"] {
        npm_package(&reg, name, &vs, j!({"time": time}), j!({}));
    }
    let r = scan(cache.path(), &reg, "npm:mcp-remote-helper@1.11.0");
    assert_eq!(
        r["provenance"]["class"], "community-established",
        "{}",
        r["provenance"]
    );

    // The settings file names the organisation's scopes.
    let config = cache.path().join("config.toml");
    std::fs::write(&config, "[provenance]\ninternal_scopes = [\"acme\"]\n").unwrap();
    let out = mcpvet(cache.path())
        .env("MCPVET_CONFIG", &config)
        .args([
            "scan",
            "npm:@acme/mcp-internal@1.11.0",
            "--format",
            "json",
            "--npm-registry",
            &reg.base,
        ])
        .ok_stdout();
    let r = json(&out);
    assert_eq!(r["provenance"]["class"], "internal");
    assert_eq!(
        r["provenance"]["evidence"][0],
        "[internal] npm_scopes: @acme"
    );

    let r = scan(cache.path(), &reg, "npm:expresss@1.11.0");
    let squat = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "provenance.typosquat")
        .unwrap_or_else(|| panic!("no typosquat finding: {}", r["findings"]));
    assert_eq!(squat["category"], "provenance");
    assert_eq!(squat["evidence"]["did_you_mean"], "express");
    assert_eq!(signal(&r, "typosquat").1, "bad");
}

#[test]
fn pypi_signals_and_class() {
    let reg = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let sdist = tgz(
        "mcp_server_demo-1.1.0",
        &[("PKG-INFO", b"Name: mcp-server-demo")],
    );
    reg.route(
        "/packages/aa/mcp_server_demo-1.1.0.tar.gz",
        Route::ok(sdist.clone()),
    );
    let file = |v: &str, yanked: bool, at: &str| {
        j!({"filename": format!("mcp_server_demo-{v}.tar.gz"), "packagetype": "sdist",
            "url": reg.url(&format!("/packages/aa/mcp_server_demo-{v}.tar.gz")),
            "digests": {"sha256": if v == "1.1.0" { sha256_hex(&sdist) } else { "00".into() }},
            "yanked": yanked, "yanked_reason": if yanked { Value::from("broken") } else { Value::Null },
            "upload_time_iso_8601": at,
            "provenance": if v == "1.1.0" { Value::from("https://pypi.example/integrity/1.1.0/provenance") } else { Value::Null }})
    };
    let doc = j!({
        "info": {"name": "mcp-server-demo", "version": "1.1.0", "license_expression": "MIT",
                 "project_urls": {"Source": "https://github.com/modelcontextprotocol/servers"}},
        "ownership": {"organization": "modelcontextprotocol", "roles": [{"role": "Owner", "user": "alice"}]},
        "releases": {
            "1.0.0": [file("1.0.0", true, "2021-01-01T00:00:00.000000Z")],
            "1.1.0": [file("1.1.0", false, "2022-01-01T00:00:00.000000Z")]
        },
        "vulnerabilities": [{"id": "PYSEC-2024-1", "aliases": ["CVE-2024-1"]}, {"id": "GHSA-xxxx"}]
    });
    reg.route("/pypi/mcp-server-demo/json", Route::ok(doc.to_string()));
    let r = scan(cache.path(), &reg, "pypi:mcp-server-demo==1.1.0");
    let p = &r["provenance"];
    assert_eq!(p["class"], "mcp-org", "{p}");
    assert!(p["evidence"][0]
        .as_str()
        .unwrap()
        .contains("organisation modelcontextprotocol"));
    assert_eq!(
        signal(&r, "ownership"),
        ("organisation modelcontextprotocol, Owner alice", "ok")
    );
    assert_eq!(signal(&r, "version-age").1, "ok");
    assert_eq!(signal(&r, "versions"), ("2", "ok"));
    assert_eq!(
        signal(&r, "yanked"),
        ("other releases yanked: 1.0.0", "warn")
    );
    assert_eq!(
        signal(&r, "vulnerabilities"),
        ("PYSEC-2024-1, GHSA-xxxx (listed for 1.1.0)", "bad")
    );
    assert_eq!(
        signal(&r, "file-provenance"),
        ("https://pypi.example/integrity/1.1.0/provenance", "ok")
    );
    assert_eq!(
        signal(&r, "repository"),
        ("https://github.com/modelcontextprotocol/servers", "ok")
    );
    assert_eq!(signal(&r, "license"), ("MIT", "ok"));

    // The text report shows the block, escaped.
    let text = mcpvet(cache.path())
        .args([
            "scan",
            "pypi:mcp-server-demo==1.1.0",
            "--pypi-index",
            &reg.base,
        ])
        .ok_stdout();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("provenance mcp-org"), "{text}");
}
