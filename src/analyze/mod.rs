//! Analysis of a package tree: per file, in parallel, tree-sitter for JavaScript and TypeScript.

pub mod js;
pub mod lang;
pub mod rules;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::archive::PackageTree;
use crate::finding::Finding;

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
    let results: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::new(Vec::new());
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
        findings: results.into_iter().flat_map(|(_, f)| f).collect(),
        analyzed: jobs.iter().map(|(p, _, _)| p.to_string()).collect(),
    }
}
