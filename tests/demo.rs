//! The embedded demo package: materialized into a cache folder, scanned as a local path (the
//! library and the CLI), it shows what the walkthrough promises, and the review library turns
//! its report into failed steps and a NO-GO suggestion.

mod common;

use std::collections::BTreeMap;

use mcpvet::fetch::{cache::Cache, FetchOptions, Fetcher};
use mcpvet::finding::{Category, Severity};
use mcpvet::report::Report;
use mcpvet::review::{checklist, decision, demo, Outcome, Verdict};

async fn scan_demo(cache: &std::path::Path) -> Report {
    let dir = demo::materialize(cache).unwrap();
    let opts = FetchOptions {
        cache: Cache::new(cache.join("cache")),
        offline: true,
        ..FetchOptions::default()
    };
    let fetcher = Fetcher::new(opts).unwrap();
    mcpvet::scan::scan(&fetcher, dir.to_str().unwrap())
        .await
        .unwrap()
}

fn has(report: &Report, category: Category, rule: &str, tool: Option<&str>) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.category == category && f.rule.starts_with(rule) && f.tool.as_deref() == tool)
}

#[tokio::test]
async fn demo_shows_every_promised_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let r = scan_demo(tmp.path()).await;
    assert_eq!(r.package.ecosystem, "local");
    // The credential read and the post to a raw IP in get_forecast.
    assert!(has(
        &r,
        Category::SensitiveRead,
        "js.sensitive.read",
        Some("get_forecast")
    ));
    assert_eq!(r.capabilities.sensitive_reads, ["~/.aws/credentials"]);
    assert!(r.findings.iter().any(|f| f.category == Category::Network
        && f.tool.as_deref() == Some("get_forecast")
        && f.evidence.get("host").and_then(|h| h.as_str()) == Some("198.18.7.23")));
    assert!(r
        .capabilities
        .hosts
        .iter()
        .any(|h| h.host == "198.18.7.23" && h.kind == "ip"));
    assert!(r
        .findings
        .iter()
        .any(|f| f.category == Category::Endpoint && f.rule == "endpoint.ip"));
    // Environment reads.
    assert!(r.capabilities.env.contains(&"WEATHER_API_KEY".to_string()));
    assert!(has(&r, Category::EnvRead, "js.env.read", Some("get_units")));
    // The postinstall hook.
    assert!(r
        .findings
        .iter()
        .any(|f| f.category == Category::InstallScript
            && f.severity >= Severity::High
            && f.evidence.get("command").and_then(|c| c.as_str()) == Some("node setup.js")));
    // The hidden instruction and the zero-width character in get_alerts' description.
    assert!(has(
        &r,
        Category::PromptInjection,
        "mcp.prompt-injection.override",
        Some("get_alerts")
    ));
    assert!(has(
        &r,
        Category::HiddenUnicode,
        "mcp.hidden-unicode.zero-width",
        Some("get_alerts")
    ));
    // The benign tool reaches nothing.
    let names: Vec<&str> = r.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    let benign = r
        .tools
        .iter()
        .find(|t| t.name == "convert_temperature")
        .unwrap();
    assert!(benign.findings.is_empty());
    // High or critical overall.
    assert!(r.risk.band >= Severity::High, "{:?}", r.risk);
    // The README's own words are not model-facing text: no finding points at it.
    assert!(
        r.findings.iter().all(|f| f.path != "README.md"),
        "{:?}",
        r.findings
    );
}

#[tokio::test]
async fn review_of_the_demo_suggests_no_go() {
    let tmp = tempfile::tempdir().unwrap();
    let r = scan_demo(tmp.path()).await;
    let thorough = checklist::builtin("thorough").unwrap();
    let suggested: BTreeMap<String, Outcome> = thorough.suggestions(&r);
    // The manual steps are left to the reviewer.
    assert!(!suggested.contains_key("sandbox") && !suggested.contains_key("update-plan"));
    for step in ["install-scripts", "code", "credentials"] {
        assert_eq!(
            suggested.get(step),
            Some(&Outcome::Fail),
            "{step}: {suggested:?}"
        );
    }
    // The raw IP is not by itself a fail (medium findings): the reviewer decides.
    assert_eq!(suggested.get("network"), Some(&Outcome::Uncertain));
    assert_eq!(suggested.get("source"), Some(&Outcome::Uncertain));
    // Every step with a suggestion shows its evidence.
    for s in &thorough.steps {
        if s.id != "update-plan" && s.id != "dependencies" {
            assert!(!s.evidence(&r).is_empty(), "{}", s.id);
        }
    }
    let cred = thorough.step("credentials").unwrap().evidence(&r);
    assert!(cred
        .iter()
        .any(|e| e.file.as_deref() == Some("index.js") && e.line.is_some() && e.finding.is_some()));
    let s = decision::suggest(&thorough, &suggested, &r);
    assert_eq!(s.verdict(), Some(Verdict::NoGo), "{s:?}");
    if decision::needs_override(&r) {
        assert!(decision::override_required(&r, Verdict::Go));
    }
}

#[test]
fn cli_scans_the_materialized_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo::materialize(tmp.path()).unwrap();
    let out = common::mcpvet(&tmp.path().join("cache"))
        .args(["scan", "--format", "json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = common::json(&out.stdout);
    let band = v["risk"]["band"].as_str().unwrap();
    assert!(band == "high" || band == "critical", "{band}");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    for want in [
        "js.sensitive.read",
        "endpoint.ip",
        "js.env.read",
        "manifest.install-script.npm-install",
        "mcp.prompt-injection.override",
        "mcp.hidden-unicode.zero-width",
    ] {
        assert!(rules.contains(&want), "{want} missing from {rules:?}");
    }
}
