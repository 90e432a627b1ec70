//! Classification into the DESIGN §4 classes by rules kept as data (`assets/provenance.toml`).
//! The first class that matches, strongest first, wins; its evidence names the rule.

use serde::Deserialize;
use serde_json::Value;

use super::signals::{self, Signal, Status};
use super::ProvenanceError;
use crate::fetch::PackageInfo;

/// The embedded rules file.
pub const RULES_TOML: &str = include_str!("../../assets/provenance.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    VendorHosted,
    McpOrg,
    VendorPublished,
    Internal,
    CommunityEstablished,
    CommunityUnknown,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::VendorHosted => "vendor-hosted",
            Class::McpOrg => "mcp-org",
            Class::VendorPublished => "vendor-published",
            Class::Internal => "internal",
            Class::CommunityEstablished => "community-established",
            Class::CommunityUnknown => "community-unknown",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owners {
    #[serde(default)]
    pub npm_scopes: Vec<String>,
    #[serde(default)]
    pub npm_names: Vec<String>,
    #[serde(default)]
    pub pypi_prefixes: Vec<String>,
    #[serde(default)]
    pub pypi_names: Vec<String>,
    /// Name prefixes the owner publishes under, matched on the name alone (`awslabs.`).
    #[serde(default)]
    pub pypi_namespaces: Vec<String>,
    #[serde(default)]
    pub pypi_orgs: Vec<String>,
    /// `host/owner`, lowercased (`github.com/stripe`).
    #[serde(default)]
    pub repo_owners: Vec<String>,
    /// Domains of remote servers (a host matches the domain or any subdomain).
    #[serde(default)]
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Established {
    pub min_age_days: i64,
    pub min_versions: i64,
    /// 0: not required.
    pub min_maintainers: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TyposquatRules {
    /// Known MCP server names, checked besides the popular lists.
    #[serde(default)]
    pub known: Vec<String>,
}

/// The classification rules (`assets/provenance.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(rename = "mcp-org")]
    pub mcp_org: Owners,
    pub vendor: Owners,
    #[serde(default)]
    pub internal: Owners,
    pub established: Established,
    #[serde(default)]
    pub typosquat: TyposquatRules,
}

impl Rules {
    pub fn parse(text: &str) -> Result<Rules, ProvenanceError> {
        Ok(toml::from_str(text)?)
    }

    /// The rules shipped in the binary.
    pub fn embedded() -> Result<Rules, ProvenanceError> {
        Rules::parse(RULES_TOML)
    }

    /// Add organisation-internal npm scopes (`@acme`, or `acme`).
    pub fn with_internal_scopes(mut self, scopes: &[String]) -> Rules {
        for s in scopes {
            let s = s.trim().to_lowercase();
            if s.is_empty() {
                continue;
            }
            let s = if s.starts_with('@') {
                s
            } else {
                format!("@{s}")
            };
            self.internal.npm_scopes.push(s);
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub class: Class,
    pub evidence: Vec<String>,
}

fn npm_scope(name: &str) -> Option<String> {
    name.strip_prefix('@')
        .and_then(|n| n.split_once('/'))
        .map(|(s, _)| format!("@{}", s.to_lowercase()))
}

/// Which rule of `owners` the package matches, as evidence text.
fn matches(
    owners: &Owners,
    package: &PackageInfo,
    repo: Option<&str>,
    pypi_org: Option<&str>,
    section: &str,
) -> Option<String> {
    let name = package.name.to_lowercase();
    match package.ecosystem.as_str() {
        "npm" => {
            if let Some(scope) = npm_scope(&name) {
                if owners
                    .npm_scopes
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&scope))
                {
                    return Some(format!("[{section}] npm_scopes: {scope}"));
                }
            }
            if owners
                .npm_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&name))
            {
                return Some(format!("[{section}] npm_names: {name}"));
            }
        }
        "pypi" => {
            // PyPI names compare in their PEP 503 form: the fetch gives `awslabs-x` for
            // `awslabs.x`, and either spelling installs the same project.
            let name = pypi_norm(&name);
            if owners.pypi_names.iter().any(|n| pypi_norm(n) == name) {
                return Some(format!("[{section}] pypi_names: {name}"));
            }
            if let Some(p) = owners
                .pypi_namespaces
                .iter()
                .find(|p| name.starts_with(&pypi_norm(p)))
            {
                return Some(format!("[{section}] pypi_namespaces: {p}"));
            }
            let prefix = owners
                .pypi_prefixes
                .iter()
                .find(|p| name.starts_with(&pypi_norm(p)));
            if let Some(p) = prefix {
                // A bare prefix is anybody's: it needs the organisation or its repository too
                // (unless the section lists neither).
                if let Some(org) =
                    pypi_org.filter(|o| owners.pypi_orgs.iter().any(|x| x.eq_ignore_ascii_case(o)))
                {
                    return Some(format!(
                        "[{section}] pypi_prefixes: {p} published by organisation {org}"
                    ));
                }
                if let Some(owner) = repo.and_then(owner_match(owners)) {
                    return Some(format!(
                        "[{section}] pypi_prefixes: {p} with project URL under {owner} (self-declared)"
                    ));
                }
                if owners.pypi_orgs.is_empty() && owners.repo_owners.is_empty() {
                    return Some(format!("[{section}] pypi_prefixes: {p}"));
                }
            }
        }
        "git" => {
            if let Some(owner) = repo.and_then(owner_match(owners)) {
                return Some(format!("[{section}] repo_owners: {owner}"));
            }
        }
        _ => {}
    }
    None
}

/// PEP 503 form of a name or of a prefix; a prefix's trailing separator stays (as `-`) so
/// `awslabs.` matches `awslabs-x` but not `awslabsx`.
fn pypi_norm(s: &str) -> String {
    let mut n = crate::spec::normalize_pypi_name(s);
    if s.ends_with(['-', '_', '.']) {
        n.push('-');
    }
    n
}

fn owner_match(owners: &Owners) -> impl Fn(&str) -> Option<String> + '_ {
    move |repo: &str| {
        let owner = signals::repo_owner(&signals::normalize_repo(repo))?;
        owners
            .repo_owners
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&owner))
            .then_some(owner)
    }
}

fn host_matches(host: &str, domains: &[String]) -> Option<String> {
    let host = host.trim_end_matches('.').to_lowercase();
    domains
        .iter()
        .find(|d| {
            let d = d.to_lowercase();
            host == d || host.ends_with(&format!(".{d}"))
        })
        .cloned()
}

/// The leading number of a known signal's value (`"412 days"` → 412).
fn number(signals: &[Signal], name: &str) -> Option<i64> {
    let s = signals
        .iter()
        .find(|s| s.name == name && s.status != Status::Unknown)?;
    s.value.split_whitespace().next()?.parse().ok()
}

/// Classify a package. `signals` are the ones [`signals::collect`] gave for it.
pub fn classify(
    package: &PackageInfo,
    metadata: Option<&Value>,
    signals: &[Signal],
    rules: &Rules,
) -> Classification {
    let done = |class: Class, evidence: String| Classification {
        class,
        evidence: vec![evidence],
    };
    if package.ecosystem == "remote" {
        let host = url::Url::parse(&package.source)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        if let Some(h) = &host {
            if let Some(d) = host_matches(h, &rules.vendor.domains) {
                return done(
                    Class::VendorHosted,
                    format!("[vendor] domains: {h} is on {d}"),
                );
            }
        }
        return done(
            Class::CommunityUnknown,
            format!(
                "remote host {} is on no vendor domain",
                host.as_deref().unwrap_or("?")
            ),
        );
    }
    let repo: Option<String> = match package.ecosystem.as_str() {
        "npm" => metadata.and_then(|d| {
            d.get("versions")
                .and_then(|v| v.get(&package.version))
                .and_then(signals::npm_repository)
                .or_else(|| signals::npm_repository(d))
        }),
        "pypi" => metadata.and_then(signals::pypi_repository),
        "git" => Some(package.source.clone()),
        _ => None,
    };
    let pypi_org = metadata
        .and_then(|d| {
            d.pointer("/ownership/organization")
                .or_else(|| d.pointer("/info/ownership/organization"))
        })
        .and_then(Value::as_str);
    if let Some(e) = matches(
        &rules.mcp_org,
        package,
        repo.as_deref(),
        pypi_org,
        "mcp-org",
    ) {
        return done(Class::McpOrg, e);
    }
    if let Some(e) = matches(&rules.vendor, package, repo.as_deref(), pypi_org, "vendor") {
        return done(Class::VendorPublished, e);
    }
    if let Some(e) = matches(
        &rules.internal,
        package,
        repo.as_deref(),
        pypi_org,
        "internal",
    ) {
        return done(Class::Internal, e);
    }
    let t = &rules.established;
    let age = number(signals, "package-age");
    let versions = number(signals, "versions");
    let maintainers = number(signals, "maintainers").or_else(|| {
        // PyPI: the roles the ownership block lists.
        signals
            .iter()
            .find(|s| s.name == "ownership" && s.status != Status::Unknown)
            .map(|s| {
                s.value
                    .split(", ")
                    .filter(|p| !p.starts_with("organisation "))
                    .count() as i64
            })
    });
    let mut evidence = Vec::new();
    let mut established = true;
    let mut check = |what: &str, value: Option<i64>, min: i64| {
        if min <= 0 {
            return;
        }
        match value {
            Some(v) if v >= min => evidence.push(format!("{what} {v} ≥ {min}")),
            Some(v) => {
                established = false;
                evidence.push(format!("{what} {v} < {min}"));
            }
            None => {
                established = false;
                evidence.push(format!("{what} unknown (needs ≥ {min})"));
            }
        }
    };
    let registry = matches!(package.ecosystem.as_str(), "npm" | "pypi");
    if registry {
        check("age in days", age, t.min_age_days);
        check("versions", versions, t.min_versions);
        check("maintainers", maintainers, t.min_maintainers);
    }
    let class = if established && registry {
        evidence.insert(0, "[established] all thresholds hold".into());
        Class::CommunityEstablished
    } else {
        let why = match package.ecosystem.as_str() {
            "npm" | "pypi" => "no owner rule matched and an [established] threshold does not hold",
            "git" => "no owner rule matched the repository",
            _ => "no registry record to classify by",
        };
        evidence.insert(0, why.into());
        Class::CommunityUnknown
    };
    Classification { class, evidence }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pkg(ecosystem: &str, name: &str, source: &str) -> PackageInfo {
        PackageInfo {
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: "1.0.0".into(),
            spec: String::new(),
            source: source.into(),
            digest: String::new(),
            verified: true,
            pinned: true,
            moving: false,
            commit: None,
            artifact: String::new(),
            notes: Vec::new(),
        }
    }

    fn class_of(p: &PackageInfo, doc: Option<&Value>, signals: &[Signal]) -> Classification {
        let rules = Rules::embedded()
            .expect("embedded rules parse")
            .with_internal_scopes(&["acme".to_string()]);
        classify(p, doc, signals, &rules)
    }

    fn sig(name: &str, value: &str) -> Signal {
        Signal::new(name, value, Status::Ok)
    }

    #[test]
    fn vendor_hosted_remote() {
        let c = class_of(&pkg("remote", "x", "https://mcp.stripe.com/v1"), None, &[]);
        assert_eq!(c.class, Class::VendorHosted);
        assert_eq!(
            c.evidence,
            ["[vendor] domains: mcp.stripe.com is on stripe.com"]
        );
        // A look-alike domain is not a subdomain.
        let c = class_of(&pkg("remote", "x", "https://evilstripe.com/mcp"), None, &[]);
        assert_eq!(c.class, Class::CommunityUnknown);
    }

    #[test]
    fn mcp_org() {
        let c = class_of(
            &pkg("npm", "@modelcontextprotocol/server-memory", ""),
            None,
            &[],
        );
        assert_eq!(c.class, Class::McpOrg);
        assert_eq!(c.evidence, ["[mcp-org] npm_scopes: @modelcontextprotocol"]);
        // PyPI `mcp-server-*` needs the organisation or its repository.
        let bare = pkg("pypi", "mcp-server-fetch", "");
        assert_eq!(class_of(&bare, None, &[]).class, Class::CommunityUnknown);
        let doc = json!({"info": {"project_urls": {"Repository": "https://github.com/modelcontextprotocol/servers"}}});
        let c = class_of(&bare, Some(&doc), &[]);
        assert_eq!(c.class, Class::McpOrg);
        assert!(c.evidence[0].contains("self-declared"), "{c:?}");
        let doc = json!({"ownership": {"organization": "modelcontextprotocol"}});
        assert_eq!(class_of(&bare, Some(&doc), &[]).class, Class::McpOrg);
        // git: the organisation's repositories.
        let g = pkg(
            "git",
            "servers",
            "https://github.com/modelcontextprotocol/servers.git",
        );
        assert_eq!(class_of(&g, None, &[]).class, Class::McpOrg);
    }

    #[test]
    fn vendor_published() {
        for (eco, name) in [
            ("npm", "@stripe/mcp"),
            ("npm", "@azure-devops/mcp"),
            ("npm", "mongodb-mcp-server"),
            ("pypi", "awslabs.aws-api-mcp-server"),
            ("pypi", "dbt-mcp"),
            // The fetch reports PyPI names in PEP 503 form; any spelling is the same project.
            ("pypi", "awslabs-aws-api-mcp-server"),
            ("pypi", "AwsLabs_Aws.Api-MCP-Server"),
            ("pypi", "DBT_MCP"),
        ] {
            let c = class_of(&pkg(eco, name, ""), None, &[]);
            assert_eq!(c.class, Class::VendorPublished, "{name}: {c:?}");
        }
        // The namespace's separator is part of it.
        let c = class_of(&pkg("pypi", "awslabsx-mcp", ""), None, &[]);
        assert_eq!(c.class, Class::CommunityUnknown);
        let g = pkg("git", "x", "git@github.com:getsentry/sentry-mcp.git");
        let c = class_of(&g, None, &[]);
        assert_eq!(c.class, Class::VendorPublished);
        assert_eq!(c.evidence, ["[vendor] repo_owners: github.com/getsentry"]);
        // A repository field alone does not make an npm package the vendor's.
        let doc = json!({"repository": "github:stripe/agent-toolkit"});
        let c = class_of(&pkg("npm", "stripe-mcp-unofficial", ""), Some(&doc), &[]);
        assert_eq!(c.class, Class::CommunityUnknown);
    }

    #[test]
    fn internal_scope() {
        let c = class_of(&pkg("npm", "@acme/tools-mcp", ""), None, &[]);
        assert_eq!(c.class, Class::Internal);
        assert_eq!(c.evidence, ["[internal] npm_scopes: @acme"]);
    }

    #[test]
    fn established_needs_every_threshold_known() {
        let p = pkg("npm", "some-community-mcp", "");
        let good = [sig("package-age", "400 days"), sig("versions", "12")];
        let c = class_of(&p, None, &good);
        assert_eq!(c.class, Class::CommunityEstablished, "{c:?}");
        assert!(c.evidence.contains(&"versions 12 ≥ 10".to_string()));
        let young = [sig("package-age", "20 days"), sig("versions", "12")];
        assert_eq!(class_of(&p, None, &young).class, Class::CommunityUnknown);
        let unknown = [
            Signal::new(
                "package-age",
                "not supplied by the registry",
                Status::Unknown,
            ),
            sig("versions", "12"),
        ];
        let c = class_of(&p, None, &unknown);
        assert_eq!(c.class, Class::CommunityUnknown);
        assert!(c.evidence.iter().any(|e| e.contains("unknown")), "{c:?}");
        // Local directories have no registry record.
        let c = class_of(&pkg("local", "dir", "/tmp/x"), None, &good);
        assert_eq!(c.class, Class::CommunityUnknown);
    }
}
