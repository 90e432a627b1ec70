//! Analysis of a package tree: per file, in parallel, tree-sitter for JavaScript, TypeScript
//! and Python.
//!
//! Each language analyzer turns one file into a [`FileAnalysis`]: its findings, the MCP surface
//! (tools, prompts, resources) it declares with the findings each handler reaches, and the string
//! literals it holds (for the endpoint and obfuscation checks that run on every language alike).

pub mod hosts;
pub mod injection;
pub mod js;
pub mod lang;
pub mod manifest;
pub mod python;
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

/// One MCP declaration with the file it is in; `reaches` index the analysis' findings.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundSurface {
    pub path: String,
    pub surface: Surface,
}

/// What the analysis found, and which files it read.
#[derive(Debug, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub surface: Vec<FoundSurface>,
    pub analyzed: std::collections::HashSet<String>,
}

/// Which analyzer reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Js(js::Dialect),
    Python,
}

impl Job {
    fn of(language: &str) -> Option<Job> {
        match language {
            "javascript" => Some(Job::Js(js::Dialect::JavaScript)),
            "typescript" => Some(Job::Js(js::Dialect::TypeScript)),
            "tsx" => Some(Job::Js(js::Dialect::Tsx)),
            "python" => Some(Job::Python),
            _ => None,
        }
    }

    fn run(self, path: &str, bytes: &[u8]) -> FileAnalysis {
        match self {
            Job::Js(d) => js::analyze(path, bytes, d),
            Job::Python => python::analyze(path, bytes),
        }
    }
}

/// Analyse every file the engine understands, spreading files over the available cores.
pub fn analyze(tree: &PackageTree) -> Analysis {
    let jobs: Vec<(&str, &[u8], Job)> = tree
        .iter()
        .filter_map(|(path, f)| {
            Job::of(lang::guess(path, &f.bytes)).map(|j| (path, f.bytes.as_slice(), j))
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
                let Some(&(path, bytes, job)) = jobs.get(i) else {
                    break;
                };
                let found = job.run(path, bytes);
                if let Ok(mut r) = results.lock() {
                    r.push((i, found));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let mut analysis = Analysis {
        analyzed: jobs.iter().map(|(p, _, _)| p.to_string()).collect(),
        ..Analysis::default()
    };
    for (i, file) in results {
        let path = jobs[i].0;
        let base = analysis.findings.len();
        analysis.findings.extend(file.findings);
        analysis
            .surface
            .extend(file.surface.into_iter().map(|mut s| {
                for r in &mut s.reaches {
                    *r += base;
                }
                FoundSurface {
                    path: path.to_string(),
                    surface: s,
                }
            }));
    }
    analysis.findings.extend(manifest::scan_manifests(tree));
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::PackageFile;

    fn file(text: &str) -> PackageFile {
        PackageFile {
            bytes: text.as_bytes().to_vec(),
            size: text.len() as u64,
            truncated: false,
            executable: false,
        }
    }

    #[test]
    fn javascript_and_python_files_are_analyzed() {
        let mut tree = PackageTree::new();
        tree.insert("pkg/index.js", file("eval(x)"));
        tree.insert("pkg/server.py", file("import os\nos.system(c)"));
        tree.insert(
            "bin/tool",
            file("#!/usr/bin/env python3\nimport pickle\npickle.loads(b)"),
        );
        tree.insert("README.md", file("eval(x) and os.system(c)"));
        let a = analyze(&tree);
        let mut found: Vec<(&str, &str)> = a
            .findings
            .iter()
            .map(|f| (f.path.as_str(), f.rule.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("bin/tool", "py.eval.deserialize"),
                ("pkg/index.js", "js.eval.eval"),
                ("pkg/server.py", "py.exec.shell"),
            ]
        );
        assert!(a.analyzed.contains("pkg/server.py") && !a.analyzed.contains("README.md"));
    }
}
