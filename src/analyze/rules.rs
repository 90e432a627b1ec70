//! Rule tables (qualified API name → category, severity, message) kept as data in
//! `assets/rules/*.toml` and embedded in the binary.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::{Category, Severity};

#[derive(Debug, Deserialize)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    /// Qualified names matched as calls (`x(…)`).
    #[serde(default)]
    pub calls: Vec<String>,
    /// Qualified names matched as constructors (`new X(…)`); calls match them too.
    #[serde(default)]
    pub news: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Reads {
    #[serde(default)]
    calls: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Mcp {
    #[serde(default)]
    servers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RuleFile {
    #[serde(default)]
    returns: HashMap<String, String>,
    /// Attributes that keep an instance of a known API (`Path(p).parent` is a `pathlib.Path`).
    #[serde(default)]
    attributes: HashMap<String, String>,
    #[serde(default)]
    reads: Reads,
    /// MCP SDK classes, by the instance name their constructors return.
    #[serde(default)]
    mcp: Mcp,
    #[serde(default)]
    rule: Vec<Rule>,
}

#[derive(Debug)]
pub struct RuleTable {
    rules: Vec<Rule>,
    calls: HashMap<String, usize>,
    news: HashMap<String, usize>,
    returns: HashMap<String, String>,
    reads: HashSet<String>,
    attributes: HashMap<String, String>,
    /// Every instance name a call or attribute can stand for.
    instances: HashSet<String>,
    servers: HashSet<String>,
}

impl RuleTable {
    pub fn parse(text: &str) -> Result<RuleTable, toml::de::Error> {
        let file: RuleFile = toml::from_str(text)?;
        let mut calls = HashMap::new();
        let mut news = HashMap::new();
        for (i, r) in file.rule.iter().enumerate() {
            for c in &r.calls {
                calls.insert(c.clone(), i);
            }
            for n in &r.news {
                news.insert(n.clone(), i);
                calls.entry(n.clone()).or_insert(i);
            }
        }
        let instances = file
            .returns
            .values()
            .chain(file.attributes.values())
            .cloned()
            .collect();
        Ok(RuleTable {
            rules: file.rule,
            calls,
            news,
            returns: file.returns,
            reads: file.reads.calls.into_iter().collect(),
            attributes: file.attributes,
            instances,
            servers: file.mcp.servers.into_iter().collect(),
        })
    }

    /// The rule for a call of `qualified` (`is_new` for `new X()`).
    pub fn lookup(&self, qualified: &str, is_new: bool) -> Option<&Rule> {
        let map = if is_new { &self.news } else { &self.calls };
        map.get(qualified)
            .or_else(|| {
                if is_new {
                    self.calls.get(qualified)
                } else {
                    None
                }
            })
            .map(|&i| &self.rules[i])
    }

    /// Whether `qualified` reads the path given as its first argument.
    pub fn reads(&self, qualified: &str) -> bool {
        self.reads.contains(qualified)
    }

    /// The rule with this id (analyzers switch rules on argument checks, e.g. `shell=True`).
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// What a call of `qualified` returns, when it returns an instance of a known API.
    pub fn returns(&self, qualified: &str) -> Option<&str> {
        self.returns.get(qualified).map(String::as_str)
    }

    /// What an attribute access `qualified` stands for, when it keeps an instance of a known API.
    pub fn attribute(&self, qualified: &str) -> Option<&str> {
        self.attributes.get(qualified).map(String::as_str)
    }

    /// Whether `qualified` names an instance of a known API (what some call returns).
    pub fn is_instance(&self, qualified: &str) -> bool {
        self.instances.contains(qualified)
    }

    /// Whether `qualified` names an instance of an MCP server class.
    pub fn is_server(&self, qualified: &str) -> bool {
        self.servers.contains(qualified)
    }
}

/// The JavaScript/TypeScript table, parsed once.
pub fn javascript() -> &'static RuleTable {
    static TABLE: OnceLock<RuleTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The table ships in the binary and is checked by a unit test; a parse failure is a
        // build defect, not an input error.
        RuleTable::parse(include_str!("../../assets/rules/javascript.toml"))
            .expect("assets/rules/javascript.toml is valid")
    })
}

/// The Python table, parsed once.
pub fn python() -> &'static RuleTable {
    static TABLE: OnceLock<RuleTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Shipped in the binary and checked by a unit test, like the JavaScript table.
        RuleTable::parse(include_str!("../../assets/rules/python.toml"))
            .expect("assets/rules/python.toml is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_javascript_table_parses() {
        let t = javascript();
        assert_eq!(
            t.lookup("child_process.exec", false).unwrap().id,
            "js.exec.child-process"
        );
        assert_eq!(
            t.lookup("WebSocket", true).unwrap().category,
            Category::Network
        );
        assert_eq!(t.returns("axios.create"), Some("axios"));
        assert!(t.lookup("JSON.parse", false).is_none());
        assert!(t.reads("fs.promises.readFile"));
        assert!(!t.reads("fs.writeFile"));
        assert_eq!(t.get("js.eval.vm").unwrap().category, Category::Eval);
        assert!(t.get("js.nope").is_none());
    }

    #[test]
    fn shipped_python_table_parses() {
        let t = python();
        assert_eq!(
            t.lookup("subprocess.run", false).unwrap().id,
            "py.exec.subprocess"
        );
        assert_eq!(
            t.lookup("requests.Session.get", false).unwrap().category,
            Category::Network
        );
        assert_eq!(t.returns("requests.Session"), Some("requests.Session"));
        assert_eq!(t.returns("httpx.AsyncClient"), Some("httpx.AsyncClient"));
        assert_eq!(t.attribute("pathlib.Path.parent"), Some("pathlib.Path"));
        assert!(t.is_instance("httpx.AsyncClient") && !t.is_instance("httpx.get"));
        // Every server class constructs an instance the table calls a server.
        let servers: Vec<&String> = t
            .returns
            .keys()
            .filter(|k| k.starts_with("mcp.") || k.starts_with("fastmcp."))
            .collect();
        assert!(servers.len() >= 10);
        for c in servers {
            assert!(t.is_server(t.returns(c).unwrap_or_default()), "{c}");
        }
        assert!(!t.is_server("requests.Session"));
        assert!(t.lookup("json.loads", false).is_none());
        assert!(t.lookup("ast.literal_eval", false).is_none());
        // Rules the analyzer switches to or refines by id.
        for id in [
            "py.exec.shell",
            "py.env.read",
            "py.env.computed",
            "py.env.whole",
            "py.env.object",
            "py.fs.open-write",
            "py.sensitive.read",
            "py.eval.dynamic-import",
            "py.eval.yaml-load",
        ] {
            assert!(t.get(id).is_some(), "{id}");
        }
        assert_eq!(t.get("py.exec.shell").unwrap().severity, Severity::Critical);
    }

    #[test]
    fn each_api_has_one_rule() {
        for (name, text) in [
            ("js.", include_str!("../../assets/rules/javascript.toml")),
            ("py.", include_str!("../../assets/rules/python.toml")),
        ] {
            let file: RuleFile = toml::from_str(text).unwrap();
            let mut seen = std::collections::HashMap::new();
            for r in &file.rule {
                assert!(r.id.starts_with(name), "{}", r.id);
                for c in r.calls.iter().chain(&r.news) {
                    if let Some(other) = seen.insert(c.clone(), r.id.clone()) {
                        assert_eq!(other, r.id, "{name}: {c} in two rules");
                    }
                }
            }
        }
    }
}
