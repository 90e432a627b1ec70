//! The package's file tree with finding counts: folders fold, counts add up, rows are what the
//! tree pane shows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::finding::Severity;

/// Findings in a file or under a folder, per severity (index `Severity as usize`).
pub type Counts = [usize; 5];

/// One visible row of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub depth: usize,
    /// The name shown (the last path segment).
    pub name: String,
    /// The full path of the file or folder (folders without a trailing `/`).
    pub path: String,
    pub is_dir: bool,
    pub expanded: bool,
    pub counts: Counts,
}

impl Row {
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }
    pub fn worst(&self) -> Option<Severity> {
        worst(&self.counts)
    }
}

pub fn worst(c: &Counts) -> Option<Severity> {
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .into_iter()
    .find(|s| c[*s as usize] > 0)
}

#[derive(Default, Debug)]
struct Dir {
    dirs: BTreeMap<String, Dir>,
    files: BTreeMap<String, Counts>,
    counts: Counts,
}

/// The file tree, with the set of collapsed folders.
#[derive(Debug)]
pub struct FileTree {
    root: Dir,
    collapsed: BTreeSet<String>,
    rows: Vec<Row>,
    /// Every file, in the order the tree shows them (folders first, then files, by name).
    files: Vec<String>,
}

impl FileTree {
    /// `paths`: every file of the package; `counts`: findings per path.
    pub fn new<'a>(
        paths: impl Iterator<Item = &'a str>,
        counts: &HashMap<String, Counts>,
    ) -> FileTree {
        let mut root = Dir::default();
        for path in paths {
            let c = counts.get(path).copied().unwrap_or_default();
            let mut dir = &mut root;
            let mut parts: Vec<&str> = path.split('/').collect();
            let name = parts.pop().unwrap_or(path);
            add(&mut dir.counts, &c);
            for p in parts {
                dir = dir.dirs.entry(p.to_string()).or_default();
                add(&mut dir.counts, &c);
            }
            dir.files.insert(name.to_string(), c);
        }
        let mut files = Vec::new();
        collect_files(&root, "", &mut files);
        let mut t = FileTree {
            root,
            collapsed: BTreeSet::new(),
            rows: Vec::new(),
            files,
        };
        t.rebuild();
        t
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Files in tree order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Position of `path` among [`FileTree::files`].
    pub fn file_index(&self, path: &str) -> Option<usize> {
        self.files.iter().position(|f| f == path)
    }

    pub fn set_expanded(&mut self, dir: &str, expanded: bool) {
        let changed = if expanded {
            self.collapsed.remove(dir)
        } else {
            self.collapsed.insert(dir.to_string())
        };
        if changed {
            self.rebuild();
        }
    }

    /// Unfold every folder above `path` so its row shows; its row index.
    pub fn reveal(&mut self, path: &str) -> Option<usize> {
        let mut changed = false;
        let mut prefix = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for p in &parts[..parts.len().saturating_sub(1)] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(p);
            changed |= self.collapsed.remove(&prefix);
        }
        if changed {
            self.rebuild();
        }
        self.rows.iter().position(|r| !r.is_dir && r.path == path)
    }

    fn rebuild(&mut self) {
        let mut rows = Vec::new();
        walk(&self.root, "", 0, &self.collapsed, &mut rows);
        self.rows = rows;
    }
}

fn add(into: &mut Counts, c: &Counts) {
    for (a, b) in into.iter_mut().zip(c) {
        *a += b;
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn collect_files(dir: &Dir, prefix: &str, out: &mut Vec<String>) {
    for (name, sub) in &dir.dirs {
        collect_files(sub, &join(prefix, name), out);
    }
    for name in dir.files.keys() {
        out.push(join(prefix, name));
    }
}

fn walk(dir: &Dir, prefix: &str, depth: usize, collapsed: &BTreeSet<String>, rows: &mut Vec<Row>) {
    for (name, sub) in &dir.dirs {
        let path = join(prefix, name);
        let expanded = !collapsed.contains(&path);
        rows.push(Row {
            depth,
            name: name.clone(),
            path: path.clone(),
            is_dir: true,
            expanded,
            counts: sub.counts,
        });
        if expanded {
            walk(sub, &path, depth + 1, collapsed, rows);
        }
    }
    for (name, counts) in &dir.files {
        rows.push(Row {
            depth,
            name: name.clone(),
            path: join(prefix, name),
            is_dir: false,
            expanded: false,
            counts: *counts,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_first_counts_add_up_and_fold() {
        let mut counts = HashMap::new();
        counts.insert("lib/net.js".to_string(), [0, 0, 0, 2, 0]);
        counts.insert("lib/util/x.js".to_string(), [1, 0, 0, 0, 1]);
        let paths = ["package.json", "lib/net.js", "lib/util/x.js", "README.md"];
        let mut t = FileTree::new(paths.into_iter(), &counts);
        let names: Vec<(usize, &str)> = t
            .rows()
            .iter()
            .map(|r| (r.depth, r.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                (0, "lib"),
                (1, "util"),
                (2, "x.js"),
                (1, "net.js"),
                (0, "README.md"),
                (0, "package.json")
            ]
        );
        assert_eq!(t.rows()[0].counts, [1, 0, 0, 2, 1]);
        assert_eq!(t.rows()[0].worst(), Some(Severity::Critical));
        assert_eq!(
            t.files(),
            ["lib/util/x.js", "lib/net.js", "README.md", "package.json"]
        );
        t.set_expanded("lib", false);
        assert_eq!(t.rows().len(), 3);
        assert_eq!(t.reveal("lib/util/x.js"), Some(2));
        assert_eq!(t.rows().len(), 6);
    }
}
