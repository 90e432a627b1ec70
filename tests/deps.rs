//! Dependency resolution through `mcpvet scan`: crafted packuments and PyPI JSON on a loopback
//! registry (ranges, dist-tags, maintainers, times, install scripts, deprecations, a cycle, a
//! chain deeper than the bound, vulnerabilities, yanked releases, extras), an `--osv-dir`
//! fixture, the cache and `--offline`.

mod common;

use common::{json, mcpvet, sha256_hex, sri512, tgz, Registry, Route, RunOk};
use serde_json::{json as j, Value};

const ROOT_TIME: &str = "2025-06-01T00:00:00.000Z";

/// A packument whose versions are `versions` (version → extra manifest fields), no tarballs
/// (dependencies are never downloaded).
fn packument(reg: &Registry, name: &str, latest: &str, versions: Value, extra: Value) -> String {
    let mut vers = serde_json::Map::new();
    for (v, m) in versions.as_object().unwrap() {
        let mut doc = j!({"name": name, "version": v});
        for (k, val) in m.as_object().unwrap() {
            doc[k] = val.clone();
        }
        vers.insert(v.clone(), doc);
    }
    let mut doc =
        j!({"_id": name, "name": name, "dist-tags": {"latest": latest}, "versions": vers});
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    let path = format!("/{}", name.replacen('/', "%2f", 1));
    reg.route(&path, Route::ok(doc.to_string()));
    path
}

fn npm_root(reg: &Registry) {
    let pkg_json = r#"{
  "name": "mcp-root",
  "version": "1.0.0",
  "description": "see github.com/o/r for details",
  "dependencies": {
    "alpha": "^1.0.0",
    "gamma": "github:o/gamma",
    "delta": "latest",
    "lodahs": "^1.0.0",
    "vuln": "~1.0.0",
    "expres": "^1.0.0"
  },
  "devDependencies": {"devonly": "^1.0.0"}
}"#;
    let tarball = tgz(
        "package",
        &[
            ("package.json", pkg_json.as_bytes()),
            ("index.js", b"module.exports = 1;\n"),
        ],
    );
    reg.route("/mcp-root/-/mcp-root-1.0.0.tgz", Route::ok(tarball.clone()));
    let doc = j!({
        "_id": "mcp-root", "name": "mcp-root",
        "dist-tags": {"latest": "1.0.0"},
        "time": {"created": "2020-01-01T00:00:00.000Z", "1.0.0": ROOT_TIME},
        "versions": {"1.0.0": {"name": "mcp-root", "version": "1.0.0",
            "dependencies": {"alpha": "^1.0.0"},
            "dist": {"tarball": reg.url("/mcp-root/-/mcp-root-1.0.0.tgz"), "integrity": sri512(&tarball)}}}
    });
    reg.route("/mcp-root", Route::ok(doc.to_string()));

    // latest (1.0.0) satisfies ^1.0.0, so it wins over the higher 1.1.0, as npm picks.
    packument(
        reg,
        "alpha",
        "1.0.0",
        j!({
            "1.0.0": {"hasInstallScript": true, "maintainers": [{"name": "solo"}],
                      "dependencies": {"beta": "*"}},
            "1.1.0": {},
            "2.0.0": {}
        }),
        j!({"time": {"created": "2019-01-01T00:00:00Z"}}),
    );
    // beta depends back on alpha: a cycle.
    packument(
        reg,
        "beta",
        "1.0.0",
        j!({"1.0.0": {"deprecated": "use gamma", "dependencies": {"alpha": "^1.0.0"}}}),
        j!({"time": {"created": "2019-01-01T00:00:00Z"}}),
    );
    // delta: created 10 days before the root's release, maintainers replaced at 1.1.0, and a
    // chain c1 → c2 → c3 → c4 below it.
    packument(
        reg,
        "delta",
        "1.1.0",
        j!({
            "1.0.0": {"maintainers": ["old <old@example.com>"]},
            "1.1.0": {"maintainers": ["new <new@example.com>"], "dependencies": {"c1": "^1"}}
        }),
        j!({"time": {"created": "2025-05-22T00:00:00Z", "1.1.0": "2025-05-30T00:00:00Z"}}),
    );
    for (name, next) in [
        ("c1", Some("c2")),
        ("c2", Some("c3")),
        ("c3", Some("c4")),
        ("c4", None),
    ] {
        let deps = next.map(|n| j!({n: "^1"})).unwrap_or(j!({}));
        packument(
            reg,
            name,
            "1.0.0",
            j!({"1.0.0": {"dependencies": deps}}),
            j!({"time": {"created": "2019-01-01T00:00:00Z"}}),
        );
    }
    packument(reg, "lodahs", "1.0.0", j!({"1.0.0": {}}), j!({}));
    // A look-alike that has been on the registry for years is a settled package, not a squat.
    packument(
        reg,
        "expres",
        "1.0.0",
        j!({"1.0.0": {}}),
        j!({"time": {"created": "2012-03-01T00:00:00Z"}}),
    );
    packument(
        reg,
        "vuln",
        "1.0.3",
        j!({"1.0.3": {"scripts": {"postinstall": "node setup.js", "test": "x"}}, "1.0.9": {}}),
        j!({"dist-tags": {"latest": "1.0.3"}}),
    );
}

fn osv_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("GHSA-test-0001.json"),
        r#"{"id": "GHSA-test-0001", "summary": "vuln runs arbitrary code",
            "affected": [{"package": {"ecosystem": "npm", "name": "vuln"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.5"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        d.path().join("OTHER.json"),
        r#"{"id": "GHSA-other", "affected": [{"package": {"ecosystem": "npm", "name": "alpha"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "2.0.0"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(d.path().join("broken.json"), "{not json").unwrap();
    d
}

fn run(cache: &std::path::Path, reg: &Registry, spec: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        spec,
        "--format",
        "json",
        "--npm-registry",
        &reg.base,
        "--pypi-index",
        &reg.base,
    ];
    args.extend_from_slice(extra);
    json(&mcpvet(cache).args(&args).ok_stdout())
}

fn flags(entry: &Value) -> Vec<String> {
    entry["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["flag"].as_str().unwrap().to_string())
        .collect()
}

fn direct<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["dependencies"]["direct"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no direct {name}: {}", r["dependencies"]))
}

fn transitive<'a>(r: &'a Value, name: &str) -> Vec<&'a Value> {
    r["dependencies"]["transitive"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == name)
        .collect()
}

#[test]
fn npm_tree_flags_bounds_cache_and_offline() {
    let reg = Registry::start();
    npm_root(&reg);
    let cache = tempfile::tempdir().unwrap();
    let osv = osv_dir();
    let osv_arg = osv.path().to_str().unwrap();
    let r = run(
        cache.path(),
        &reg,
        "npm:mcp-root@1.0.0",
        &["--deps-depth", "4", "--osv-dir", osv_arg],
    );
    let d = &r["dependencies"];
    assert_eq!(d["ecosystem"], "npm");
    let names: Vec<&str> = d["direct"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        6,
        "devDependencies are not installed: {names:?}"
    );
    assert!(!names.contains(&"devonly"));

    let alpha = direct(&r, "alpha");
    assert_eq!(
        alpha["resolved"], "1.0.0",
        "dist-tags.latest wins when it satisfies"
    );
    assert_eq!(alpha["line"], 6);
    assert_eq!(flags(alpha), ["install-script", "single-maintainer"]);
    assert!(
        !flags(alpha).contains(&"vulnerable".to_string()),
        "advisory for >=2.0.0 only"
    );

    let gamma = direct(&r, "gamma");
    assert_eq!(flags(gamma), ["url-source"]);
    assert!(gamma.get("resolved").is_none());

    let delta = direct(&r, "delta");
    assert_eq!(delta["resolved"], "1.1.0");
    let f = flags(delta);
    for want in [
        "floating",
        "young",
        "recently-transferred",
        "single-maintainer",
    ] {
        assert!(f.contains(&want.to_string()), "delta lacks {want}: {delta}");
    }
    let young = delta["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["flag"] == "young")
        .unwrap();
    assert!(
        young["evidence"]
            .as_str()
            .unwrap()
            .contains("10 days before mcp-root@1.0.0 was released"),
        "{young}"
    );

    assert_eq!(flags(direct(&r, "lodahs")), ["typosquat"]);
    assert!(flags(direct(&r, "expres")).is_empty());
    let vuln = direct(&r, "vuln");
    assert_eq!(vuln["resolved"], "1.0.3");
    assert_eq!(flags(vuln), ["install-script", "vulnerable"]);
    assert!(vuln["flags"][1]["evidence"]
        .as_str()
        .unwrap()
        .contains("GHSA-test-0001"));

    // The cycle: beta appears once, below alpha; alpha is not listed again.
    let beta = transitive(&r, "beta");
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0]["depth"], 2);
    assert_eq!(beta[0]["via"], "alpha@1.0.0");
    assert_eq!(flags(beta[0]), ["floating", "deprecated"]);
    assert!(transitive(&r, "alpha").is_empty());

    // The chain: delta (1) → c1 (2) → c2 (3) → c3 (4); c4 is beyond the bound.
    assert_eq!(transitive(&r, "c3")[0]["depth"], 4);
    assert!(transitive(&r, "c4").is_empty());
    assert_eq!(d["truncated"], true);
    assert!(d["notes"][0]
        .as_str()
        .unwrap()
        .contains("depth bound 4 reached"));
    assert!(d["notes"][1].as_str().unwrap().contains("--osv-dir"));
    assert_eq!(
        d["count"], 9,
        "alpha beta delta c1 c2 c3 lodahs expres vuln"
    );
    assert_eq!(d["flags"]["install-script"], 2);
    assert_eq!(d["errors"].as_array().unwrap().len(), 0, "{}", d["errors"]);

    // Findings at the manifest line, in the risk with its reasons.
    let findings = r["findings"].as_array().unwrap();
    let vf = findings
        .iter()
        .find(|f| f["rule"] == "dependency.vulnerable")
        .expect("vulnerable finding");
    assert_eq!(
        (vf["path"].as_str(), vf["line"].as_u64()),
        (Some("package.json"), Some(10))
    );
    assert_eq!(vf["category"], "dependency");
    assert!(
        !findings
            .iter()
            .any(|f| f["rule"] == "dependency.url-source"),
        "the manifest scan already reports URL dependencies"
    );
    let reasons = r["risk"]["reasons"].to_string();
    assert!(
        reasons.contains("dependencies: 1 vulnerable (vuln@1.0.3)"),
        "{reasons}"
    );

    // Each document once per run; a warm run asks the registry nothing.
    for p in ["/alpha", "/beta", "/delta", "/c1", "/c3", "/vuln"] {
        assert_eq!(reg.hits(p), 1, "{p}");
    }
    assert_eq!(reg.hits("/c4"), 0);
    let before = reg.total_hits();
    let again = run(
        cache.path(),
        &reg,
        "npm:mcp-root@1.0.0",
        &["--deps-depth", "4", "--osv-dir", osv_arg],
    );
    assert_eq!(reg.total_hits(), before, "warm run used the network");
    assert_eq!(again["dependencies"]["count"], 9);
    // Offline with the same cache resolves the same tree.
    let off = run(
        cache.path(),
        &reg,
        "npm:mcp-root@1.0.0",
        &["--offline", "--deps-depth", "4"],
    );
    assert_eq!(off["dependencies"]["count"], 9);
    assert_eq!(reg.total_hits(), before);

    // --no-deps: no section at all.
    let none = run(cache.path(), &reg, "npm:mcp-root@1.0.0", &["--no-deps"]);
    assert!(none.get("dependencies").is_none());
    assert!(!none["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"].as_str().unwrap().starts_with("dependency.")));
}

#[test]
fn offline_says_what_could_not_be_resolved() {
    let reg = Registry::start();
    npm_root(&reg);
    let cache = tempfile::tempdir().unwrap();
    // Only the package itself is cached.
    run(cache.path(), &reg, "npm:mcp-root@1.0.0", &["--no-deps"]);
    let before = reg.total_hits();
    let r = run(cache.path(), &reg, "npm:mcp-root@1.0.0", &["--offline"]);
    assert_eq!(reg.total_hits(), before);
    let errors = r["dependencies"]["errors"].to_string();
    for name in ["alpha", "delta", "lodahs", "vuln"] {
        assert!(errors.contains(&format!("{name} (")), "{errors}");
    }
    assert!(errors.contains("not in the cache (offline)"), "{errors}");
    let text = mcpvet(cache.path())
        .args([
            "scan",
            "npm:mcp-root@1.0.0",
            "--offline",
            "--npm-registry",
            &reg.base,
        ])
        .ok_stdout();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("dependencies 6 direct, 0 resolved"), "{text}");
    assert!(text.contains("unresolved:"), "{text}");
}

#[test]
fn bad_osv_dir_is_one_clear_error() {
    let cache = tempfile::tempdir().unwrap();
    let out = mcpvet(cache.path())
        .args(["scan", "npm:x@1.0.0", "--osv-dir", "/no/such/dir"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("--osv-dir /no/such/dir:"), "{err}");
}

fn pypi_file(reg: &Registry, name: &str, v: &str, wheel: bool, yanked: bool, year: u32) -> Value {
    let filename = if wheel {
        format!("{name}-{v}-py3-none-any.whl")
    } else {
        format!("{name}-{v}.tar.gz")
    };
    let path = format!("/files/{filename}");
    j!({"filename": filename, "packagetype": if wheel {"bdist_wheel"} else {"sdist"},
        "url": reg.url(&path), "digests": {"sha256": "00"}, "yanked": yanked,
        "upload_time_iso_8601": format!("{year}-01-01T00:00:00.000000Z")})
}

fn pypi_project(
    year: u32,
    reg: &Registry,
    name: &str,
    latest: &str,
    releases: &[(&str, bool, bool)],
    requires: Value,
    vulns: Value,
) {
    let mut rel = serde_json::Map::new();
    for (v, wheel, yanked) in releases {
        rel.insert(
            v.to_string(),
            j!([pypi_file(reg, name, v, *wheel, *yanked, year)]),
        );
    }
    let doc = j!({"info": {"name": name, "version": latest, "requires_dist": requires},
                  "releases": rel, "vulnerabilities": vulns});
    reg.route(&format!("/pypi/{name}/json"), Route::ok(doc.to_string()));
}

#[test]
fn pypi_specifiers_vulnerabilities_yanked_and_extras() {
    let reg = Registry::start();
    let pkg_info = "Metadata-Version: 2.1\nName: pyroot\nVersion: 1.0\nRequires-Dist: pdep>=1.0\nRequires-Dist: pextra[fancy]<2\nRequires-Dist: skipme; extra == \"dev\"\nRequires-Dist: yankdep<3\n\nlong description\n";
    let sdist = tgz(
        "pyroot-1.0",
        &[
            ("PKG-INFO", pkg_info.as_bytes()),
            ("pyroot/__init__.py", b""),
        ],
    );
    reg.route("/files/pyroot-1.0.tar.gz", Route::ok(sdist.clone()));
    let doc = j!({"info": {"name": "pyroot", "version": "1.0"},
        "releases": {"1.0": [{"filename": "pyroot-1.0.tar.gz", "packagetype": "sdist",
            "url": reg.url("/files/pyroot-1.0.tar.gz"), "digests": {"sha256": sha256_hex(&sdist)},
            "upload_time_iso_8601": "2025-06-01T00:00:00Z"}]}});
    reg.route("/pypi/pyroot/json", Route::ok(doc.to_string()));

    pypi_project(
        2022,
        &reg,
        "pdep",
        "1.1",
        &[("1.0", true, false), ("1.1", true, false)],
        j!(["pchild (<5)", "notme; extra == 'x'"]),
        j!([{"id": "PYSEC-2099-1", "summary": "pdep leaks tokens", "fixed_in": ["1.2"]}]),
    );
    pypi_project(
        2019,
        &reg,
        "pchild",
        "4.1b1",
        &[("4.0", false, false), ("4.1b1", true, false)],
        j!([]),
        j!([]),
    );
    pypi_project(
        2022,
        &reg,
        "pextra",
        "1.0",
        &[("1.0", true, false)],
        j!(["fancydep; extra == \"fancy\""]),
        j!([]),
    );
    pypi_project(
        2019,
        &reg,
        "fancydep",
        "1.0",
        &[("1.0", true, false)],
        j!([]),
        j!([]),
    );
    // The latest (2.0) is yanked: 1.5 is picked, and its requirements come from its own document.
    pypi_project(
        2022,
        &reg,
        "yankdep",
        "2.0",
        &[("1.5", true, false), ("2.0", true, true)],
        j!(["wrong"]),
        j!([]),
    );
    reg.route(
        "/pypi/yankdep/1.5/json",
        Route::ok(
            j!({"info": {"version": "1.5", "requires_dist": ["fancydep"]},
        "vulnerabilities": [{"id": "GHSA-yank", "summary": "old bug"}]})
            .to_string(),
        ),
    );

    reg.route(
        "/pypi/pchild/4.0/json",
        Route::ok(j!({"info": {"version": "4.0", "requires_dist": null}}).to_string()),
    );

    let cache = tempfile::tempdir().unwrap();
    let r = run(cache.path(), &reg, "pypi:pyroot==1.0", &[]);
    let d = &r["dependencies"];
    assert_eq!(d["ecosystem"], "pypi");
    assert_eq!(d["errors"].as_array().unwrap().len(), 0, "{}", d["errors"]);
    assert_eq!(
        d["direct"].as_array().unwrap().len(),
        3,
        "extra-only requirement skipped"
    );
    let pdep = direct(&r, "pdep");
    assert_eq!(pdep["resolved"], "1.1");
    assert_eq!(pdep["line"], 4);
    assert_eq!(flags(pdep), ["floating", "vulnerable"]);
    assert!(pdep["flags"][1]["evidence"]
        .as_str()
        .unwrap()
        .contains("PYSEC-2099-1"));
    assert!(flags(direct(&r, "pextra")).is_empty(), "<2 is bounded");
    let yank = direct(&r, "yankdep");
    assert_eq!(yank["resolved"], "1.5");
    assert_eq!(flags(yank), ["vulnerable"]);
    let pchild = transitive(&r, "pchild");
    assert_eq!(pchild[0]["version"], "4.0", "pre-release skipped");
    assert_eq!(
        flags(pchild[0]),
        ["install-script"],
        "sdist only: pip runs its build"
    );
    assert!(transitive(&r, "notme").is_empty());
    assert_eq!(
        transitive(&r, "fancydep").len(),
        1,
        "pulled by the extra and by yankdep, listed once"
    );
    assert_eq!(reg.hits("/pypi/yankdep/1.5/json"), 1);
    assert_eq!(reg.hits("/pypi/skipme/json"), 0);
    let md = mcpvet(cache.path())
        .args([
            "scan",
            "pypi:pyroot==1.0",
            "--format",
            "markdown",
            "--pypi-index",
            &reg.base,
        ])
        .ok_stdout();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("### Dependencies"), "{md}");
    assert!(md.contains("PYSEC-2099-1"), "{md}");
}
