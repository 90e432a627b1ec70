//! Analysis of a package tree: per file, in parallel, tree-sitter for JavaScript and TypeScript.
//!
//! Each language analyzer turns one file into a [`FileAnalysis`]: its findings, the MCP surface
//! (tools, prompts, resources) it declares with the findings each handler reaches, and the string
//! literals it holds (for the endpoint and obfuscation checks that run on every language alike).

pub mod hosts;
pub mod injection;
pub mod js;
pub mod lang;
pub mod rules;
pub mod sensitive;
pub mod text;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::archive::PackageTree;
use crate::finding::Finding;

/// What one file holds.
#[derive(Debug, Default)]
pub struct FileAnalysis {
    pub findings: Vec<Finding>,
    pub surface: Vec<Surface>,
    /// String literals (and the static parts of template strings), in document order.
    pub strings: Vec<StringLit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    pub value: String,
    /// 1-based position of the literal.
    pub line: u32,
    pub column: u32,
}

/// Which part of the MCP surface a declaration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SurfaceKind {
    Tool,
    Prompt,
    Resource,
}

/// One MCP tool, prompt or resource declared in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    pub kind: SurfaceKind,
    pub name: String,
    /// The text the model sees (description argument, docstring), when there is one.
    pub description: Option<String>,
    /// The input schema as written in the source (zod chain, JSON schema literal, signature).
    pub schema: Option<String>,
    /// 1-based position of the declaration.
    pub line: u32,
    pub column: u32,
    /// Indices into the file's `findings` that the handler reaches.
    pub reaches: Vec<usize>,
}

/// What the analysis found, and which files it read.
#[derive(Debug, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub analyzed: std::collections::HashSet<String>,
}

fn dialect(language: &str) -> Option<js::Dialect> {
    match language {
        "javascript" => Some(js::Dialect::JavaScript),
        "typescript" => Some(js::Dialect::TypeScript),
        "tsx" => Some(js::Dialect::Tsx),
        _ => None,
    }
}

/// Analyse every file the engine understands, spreading files over the available cores.
pub fn analyze(tree: &PackageTree) -> Analysis {
    let jobs: Vec<(&str, &[u8], js::Dialect)> = tree
        .iter()
        .filter_map(|(path, f)| {
            dialect(lang::guess(path, &f.bytes)).map(|d| (path, f.bytes.as_slice(), d))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, FileAnalysis)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(path, bytes, d)) = jobs.get(i) else {
                    break;
                };
                let found = js::analyze(path, bytes, d);
                if let Ok(mut r) = results.lock() {
                    r.push((i, found));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    Analysis {
        findings: results.into_iter().flat_map(|(_, f)| f.findings).collect(),
        analyzed: jobs.iter().map(|(p, _, _)| p.to_string()).collect(),
    }
}
