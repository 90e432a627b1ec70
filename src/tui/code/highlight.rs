//! Syntax colours for JavaScript, TypeScript/TSX and Python from a tree-sitter tree: the file is
//! parsed once when opened (in the background when large, cancelled when the reviewer moves on),
//! then the grammar's highlight query runs over only the bytes on screen
//! (`QueryCursor::set_byte_range`), so jumping to line 30,000 costs what one screen costs.
//! Other file types are plain text (see the report of the Code screen's benchmark for why).

use std::collections::{HashMap, VecDeque};
use std::ops::{ControlFlow, Range};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, OnceLock};

use tree_sitter::StreamingIterator;
use tree_sitter::{Language, ParseOptions, Parser, Query, QueryCursor, Tree};

use crate::archive::PackageTree;

/// The scope names the view styles (`CodeStyles::syntax`).
pub const SCOPES: [&str; 10] = [
    "keyword",
    "string",
    "comment",
    "function",
    "number",
    "type",
    "variable.builtin",
    "property",
    "operator",
    "punctuation",
];

/// A scope: index into [`SCOPES`].
pub type Scope = u8;

/// Coloured byte ranges (absolute, in order, not overlapping).
pub type Spans = Arc<Vec<(Range<usize>, Scope)>>;

/// Files up to this size are parsed on the spot (a few ms); larger ones in the background.
pub const SYNC_PARSE_MAX: usize = 64 << 10;
/// Files above this size are not parsed for colour at all (plain text).
pub const MAX_HIGHLIGHT_BYTES: usize = 16 << 20;
/// Parsed trees kept (most recently used first), and their total source bytes.
const TREE_CACHE_FILES: usize = 6;
const TREE_CACHE_BYTES: usize = 24 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    JavaScript,
    TypeScript,
    Tsx,
    Python,
}

impl Lang {
    /// The language to colour a file as (from `analyze::lang::guess`), if any.
    pub fn of(path: &str, bytes: &[u8]) -> Option<Lang> {
        match crate::analyze::lang::guess(path, bytes) {
            "javascript" => Some(Lang::JavaScript),
            "typescript" => Some(Lang::TypeScript),
            "tsx" => Some(Lang::Tsx),
            "python" => Some(Lang::Python),
            _ => None,
        }
    }

    fn language(self) -> Language {
        match self {
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
        }
    }

    /// The compiled highlight query with each capture's scope (`None` for captures the view
    /// does not colour). Compiled once per process; `None` if the grammar's query does not
    /// compile (then the file is plain text).
    pub fn query(self) -> Option<&'static (Query, Vec<Option<Scope>>)> {
        static JS: OnceLock<Option<(Query, Vec<Option<Scope>>)>> = OnceLock::new();
        static TS: OnceLock<Option<(Query, Vec<Option<Scope>>)>> = OnceLock::new();
        static TSX: OnceLock<Option<(Query, Vec<Option<Scope>>)>> = OnceLock::new();
        static PY: OnceLock<Option<(Query, Vec<Option<Scope>>)>> = OnceLock::new();
        let (cell, source) = match self {
            Lang::JavaScript => (
                &JS,
                [
                    tree_sitter_javascript::JSX_HIGHLIGHT_QUERY,
                    tree_sitter_javascript::HIGHLIGHT_QUERY,
                ]
                .concat(),
            ),
            // The TypeScript queries add to the JavaScript ones (and win: earlier patterns
            // take precedence).
            Lang::TypeScript => (
                &TS,
                [
                    tree_sitter_typescript::HIGHLIGHTS_QUERY,
                    tree_sitter_javascript::HIGHLIGHT_QUERY,
                ]
                .concat(),
            ),
            Lang::Tsx => (
                &TSX,
                [
                    tree_sitter_typescript::HIGHLIGHTS_QUERY,
                    tree_sitter_javascript::JSX_HIGHLIGHT_QUERY,
                    tree_sitter_javascript::HIGHLIGHT_QUERY,
                ]
                .concat(),
            ),
            Lang::Python => (&PY, tree_sitter_python::HIGHLIGHTS_QUERY.to_string()),
        };
        cell.get_or_init(|| {
            let q = Query::new(&self.language(), &source).ok()?;
            let scopes = q.capture_names().iter().map(|n| scope_of(n)).collect();
            Some((q, scopes))
        })
        .as_ref()
    }
}

/// Map a grammar capture name (`function.method`, `punctuation.bracket`, `constant.builtin`…)
/// to one of [`SCOPES`].
pub fn scope_of(capture: &str) -> Option<Scope> {
    let pick = |name: &str| SCOPES.iter().position(|s| *s == name).map(|i| i as Scope);
    if let Some(s) = pick(capture) {
        return Some(s);
    }
    let head = capture.split('.').next().unwrap_or(capture);
    match head {
        "constructor" | "tag" => pick("type"),
        "constant" | "boolean" | "float" => pick("number"),
        "attribute" => pick("property"),
        "escape" | "embedded" if capture == "escape" => pick("string"),
        "module" => pick("type"),
        _ => pick(head),
    }
}

/// Parse `bytes` as `lang`, giving up when `cancel` is set.
pub fn parse(bytes: &[u8], lang: Lang, cancel: Option<&AtomicBool>) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&lang.language()).ok()?;
    let mut read = |i: usize, _| bytes.get(i..).unwrap_or(&[]);
    match cancel {
        None => parser.parse_with_options(&mut read, None, None),
        Some(flag) => {
            let mut progress = |_: &tree_sitter::ParseState| {
                if flag.load(Ordering::Relaxed) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            let opts = ParseOptions::new().progress_callback(&mut progress);
            parser.parse_with_options(&mut read, None, Some(opts))
        }
    }
}

/// Where a file's colours stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not a language with a tree-sitter grammar here, or too large: plain text.
    Plain,
    /// Parsing in the background; plain text until it is done.
    Parsing,
    Ready,
    /// The parse or the query failed: plain text.
    Failed,
}

struct Job {
    path: String,
    cancel: Arc<AtomicBool>,
    rx: Receiver<Option<Tree>>,
}

/// Parsed trees and per-row colour spans for the files the Code screen opens.
pub struct Highlighter {
    package: Arc<PackageTree>,
    trees: VecDeque<(String, Lang, Arc<Tree>, usize)>,
    failed: Vec<String>,
    job: Option<Job>,
    /// Colour spans by (path generation, byte range) of rows already drawn.
    spans: HashMap<(u64, usize, usize), Spans>,
    generation: u64,
    current: Option<String>,
    /// Warm the query compilation off the UI thread.
    _warm: Option<std::thread::JoinHandle<()>>,
}

impl Highlighter {
    pub fn new(package: Arc<PackageTree>) -> Highlighter {
        let langs: Vec<Lang> = {
            let mut v: Vec<Lang> = package
                .iter()
                .filter_map(|(p, f)| Lang::of(p, &f.bytes))
                .collect();
            v.sort_by_key(|l| *l as u8);
            v.dedup();
            v
        };
        let warm = (!langs.is_empty()).then(|| {
            std::thread::spawn(move || {
                for l in langs {
                    let _ = l.query();
                }
            })
        });
        Highlighter {
            package,
            trees: VecDeque::new(),
            failed: Vec::new(),
            job: None,
            spans: HashMap::new(),
            generation: 0,
            current: None,
            _warm: warm,
        }
    }

    /// The reviewer opened `path`: parse it now when small, start a background parse when
    /// large (cancelling one for a file no longer shown).
    pub fn open(&mut self, path: &str) {
        if self.current.as_deref() != Some(path) {
            self.current = Some(path.to_string());
            self.generation += 1;
            self.spans.clear();
        }
        if let Some(job) = &self.job {
            if job.path != path {
                job.cancel.store(true, Ordering::Relaxed);
                self.job = None;
            }
        }
        if self.status(path) != Status::Parsing || self.job.is_some() {
            return;
        }
        let Some(file) = self.package.get(path) else {
            return;
        };
        let Some(lang) = Lang::of(path, &file.bytes) else {
            return;
        };
        if file.bytes.len() <= SYNC_PARSE_MAX {
            let tree = parse(&file.bytes, lang, None);
            self.store(path, lang, tree);
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let package = Arc::clone(&self.package);
        let (p, flag) = (path.to_string(), Arc::clone(&cancel));
        std::thread::spawn(move || {
            let tree = package
                .get(&p)
                .and_then(|f| parse(&f.bytes, lang, Some(&flag)));
            let _ = tx.send(tree);
        });
        self.job = Some(Job {
            path: path.to_string(),
            cancel,
            rx,
        });
    }

    fn store(&mut self, path: &str, lang: Lang, tree: Option<Tree>) {
        match tree {
            Some(t) => {
                let size = self.package.get(path).map_or(0, |f| f.bytes.len());
                self.trees.retain(|(p, ..)| p != path);
                self.trees
                    .push_front((path.to_string(), lang, Arc::new(t), size));
                while self.trees.len() > TREE_CACHE_FILES
                    || (self.trees.len() > 1
                        && self.trees.iter().map(|t| t.3).sum::<usize>() > TREE_CACHE_BYTES)
                {
                    self.trees.pop_back();
                }
            }
            None => self.failed.push(path.to_string()),
        }
        if self.current.as_deref() == Some(path) {
            self.generation += 1;
            self.spans.clear();
        }
    }

    /// Collect a finished background parse; true when one finished (the view should redraw).
    pub fn poll(&mut self) -> bool {
        let Some(job) = &self.job else {
            return false;
        };
        match job.rx.try_recv() {
            Err(TryRecvError::Empty) => false,
            Ok(tree) => {
                let path = job.path.clone();
                self.job = None;
                let lang = self
                    .package
                    .get(&path)
                    .and_then(|f| Lang::of(&path, &f.bytes));
                match lang {
                    Some(lang) => self.store(&path, lang, tree),
                    None => self.failed.push(path),
                }
                true
            }
            Err(TryRecvError::Disconnected) => {
                let path = job.path.clone();
                self.job = None;
                self.failed.push(path);
                true
            }
        }
    }

    /// Block until a background parse finishes (tests and benchmarks).
    pub fn wait(&mut self) {
        if let Some(job) = &self.job {
            let tree = job.rx.recv().ok().flatten();
            let path = job.path.clone();
            self.job = None;
            let lang = self
                .package
                .get(&path)
                .and_then(|f| Lang::of(&path, &f.bytes));
            match lang {
                Some(lang) => self.store(&path, lang, tree),
                None => self.failed.push(path),
            }
        }
    }

    pub fn status(&self, path: &str) -> Status {
        if self.trees.iter().any(|(p, ..)| p == path) {
            return Status::Ready;
        }
        if self.failed.iter().any(|p| p == path) {
            return Status::Failed;
        }
        let Some(file) = self.package.get(path) else {
            return Status::Plain;
        };
        match Lang::of(path, &file.bytes) {
            Some(_) if file.bytes.len() <= MAX_HIGHLIGHT_BYTES => Status::Parsing,
            _ => Status::Plain,
        }
    }

    /// Colour spans (absolute byte ranges, clipped to `range`) for bytes `range` of the current
    /// file; empty while there is no tree. Cached per range.
    pub fn spans(&mut self, path: &str, range: Range<usize>) -> Spans {
        let key = (self.generation, range.start, range.end);
        if let Some(s) = self.spans.get(&key) {
            return Arc::clone(s);
        }
        let Some((_, lang, tree, _)) = self.trees.iter().find(|(p, ..)| p == path) else {
            return Arc::new(Vec::new());
        };
        let (Some(q), Some(file)) = (lang.query(), self.package.get(path)) else {
            return Arc::new(Vec::new());
        };
        let out = Arc::new(query_spans(tree, q, &file.bytes, range));
        if self.spans.len() > 4096 {
            self.spans.clear();
        }
        self.spans.insert(key, Arc::clone(&out));
        out
    }
}

/// Run the highlight query over `range` only and resolve overlaps: inner nodes win over the
/// nodes containing them; for the same node the earlier pattern wins. Returns non-overlapping
/// spans in order.
pub fn query_spans(
    tree: &Tree,
    (query, scopes): &(Query, Vec<Option<Scope>>),
    src: &[u8],
    range: Range<usize>,
) -> Vec<(Range<usize>, Scope)> {
    if range.is_empty() {
        return Vec::new();
    }
    let mut cursor = QueryCursor::new();
    cursor.set_byte_range(range.clone());
    cursor.set_match_limit(256);
    let mut found: Vec<(usize, usize, usize, Scope)> = Vec::new();
    let mut it = cursor.captures(query, tree.root_node(), src);
    while let Some((m, i)) = it.next() {
        let Some(cap) = m.captures().get(*i) else {
            continue;
        };
        let Some(Some(scope)) = scopes.get(cap.index as usize) else {
            continue;
        };
        let (s, e) = (cap.node.start_byte(), cap.node.end_byte());
        if e <= range.start || s >= range.end {
            continue;
        }
        found.push((s, e, m.pattern_index, *scope));
        if found.len() > 20_000 {
            break;
        }
    }
    // Paint in order: outer first, for the same range the later pattern first, so inner nodes
    // and earlier patterns end up on top.
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    let len = range.len();
    let mut paint: Vec<u8> = vec![u8::MAX; len];
    for (s, e, _, scope) in found {
        let (s, e) = (
            s.max(range.start) - range.start,
            e.min(range.end) - range.start,
        );
        paint[s..e].fill(scope);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < len {
        let v = paint[i];
        let mut j = i + 1;
        while j < len && paint[j] == v {
            j += 1;
        }
        if v != u8::MAX {
            out.push((range.start + i..range.start + j, v));
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_compile_for_every_language() {
        for l in [Lang::JavaScript, Lang::TypeScript, Lang::Tsx, Lang::Python] {
            let (q, scopes) = l.query().unwrap_or_else(|| panic!("{l:?} query"));
            assert!(q.pattern_count() > 10);
            assert!(scopes.iter().any(|s| s.is_some()));
        }
    }

    fn scope_at(spans: &[(Range<usize>, Scope)], at: usize) -> Option<&'static str> {
        spans
            .iter()
            .find(|(r, _)| r.contains(&at))
            .map(|(_, s)| SCOPES[*s as usize])
    }

    #[test]
    fn javascript_spans_over_a_range() {
        let src = b"const a = 1;\n// note\nfunction f(x) { return \"s\" + x; }\n";
        let tree = parse(src, Lang::JavaScript, None).unwrap();
        let q = Lang::JavaScript.query().unwrap();
        let all = query_spans(&tree, q, src, 0..src.len());
        assert_eq!(scope_at(&all, 0), Some("keyword"));
        assert_eq!(scope_at(&all, 10), Some("number"));
        assert_eq!(scope_at(&all, 14), Some("comment"));
        let f = 21 + "function ".len();
        assert_eq!(scope_at(&all, f), Some("function"));
        let s = src.iter().position(|&b| b == b'"').unwrap();
        assert_eq!(scope_at(&all, s + 1), Some("string"));
        // Only the asked range, clipped.
        let part = query_spans(&tree, q, src, 14..18);
        assert!(part.iter().all(|(r, _)| r.start >= 14 && r.end <= 18));
        assert_eq!(scope_at(&part, 15), Some("comment"));
    }

    #[test]
    fn python_and_typescript() {
        let src = b"def f():\n    return None\n";
        let tree = parse(src, Lang::Python, None).unwrap();
        let spans = query_spans(&tree, Lang::Python.query().unwrap(), src, 0..src.len());
        assert_eq!(scope_at(&spans, 0), Some("keyword"));
        let src = b"let x: number = 2;\n";
        let tree = parse(src, Lang::TypeScript, None).unwrap();
        let spans = query_spans(&tree, Lang::TypeScript.query().unwrap(), src, 0..src.len());
        assert_eq!(scope_at(&spans, 7), Some("type"));
    }

    #[test]
    fn cancelled_parse_gives_up() {
        let src = "let a = [1,2,3];\n".repeat(100_000);
        let flag = AtomicBool::new(true);
        assert!(parse(src.as_bytes(), Lang::JavaScript, Some(&flag)).is_none());
    }

    #[test]
    fn scope_names_map() {
        assert_eq!(
            scope_of("function.method").map(|s| SCOPES[s as usize]),
            Some("function")
        );
        assert_eq!(
            scope_of("variable.builtin").map(|s| SCOPES[s as usize]),
            Some("variable.builtin")
        );
        assert_eq!(
            scope_of("punctuation.bracket").map(|s| SCOPES[s as usize]),
            Some("punctuation")
        );
        assert_eq!(
            scope_of("constant.builtin").map(|s| SCOPES[s as usize]),
            Some("number")
        );
        assert_eq!(scope_of("variable"), None);
    }
}
