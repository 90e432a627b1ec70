//! Direct dependencies read from the package's own manifests (package.json, pyproject.toml,
//! requirements.txt), with flags a reviewer should see: the Deps screen's fallback when the
//! report carries no resolved `dependencies` (a package analysed without its registry, such as
//! the demo). It says transitive resolution is unavailable instead of guessing.

use crate::archive::PackageTree;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub name: String,
    pub requirement: String,
    /// `dependencies`, `optionalDependencies`, `project.dependencies`, …
    pub kind: String,
    /// The manifest it is declared in.
    pub file: String,
    pub flags: Vec<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct Deps {
    pub direct: Vec<Dep>,
    /// Manifests that could not be read (path: problem).
    pub errors: Vec<String>,
}

/// Flags for an npm requirement.
fn npm_flags(req: &str) -> Vec<&'static str> {
    let r = req.trim();
    let mut f = Vec::new();
    if r.starts_with("git") || r.contains("://") || r.starts_with("github:") {
        f.push("url/git source");
    } else if r.starts_with("file:") || r.starts_with("link:") {
        f.push("local path");
    } else if r.starts_with("npm:") {
        f.push("alias");
    } else if r.is_empty() || r == "*" || r == "latest" || r.starts_with(">=") || r == "x" {
        f.push("any version");
    } else if r.starts_with('^') || r.starts_with('~') || r.contains(" - ") || r.contains('x') {
        f.push("range");
    }
    f
}

/// Flags for a PEP 508 requirement line.
fn pep508_flags(req: &str) -> Vec<&'static str> {
    let r = req.trim();
    let mut f = Vec::new();
    if r.contains(" @ ") || r.contains("://") || r.starts_with("git+") {
        f.push("url/git source");
    } else if r.contains("===") || (r.contains("==") && !r.contains('*')) {
    } else if r.contains(['>', '<', '~', '!', '=']) {
        f.push("range");
    } else {
        f.push("any version");
    }
    f
}

/// The distribution name at the start of a PEP 508 line.
fn pep508_name(req: &str) -> String {
    req.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

impl Deps {
    pub fn from_tree(tree: &PackageTree) -> Deps {
        let mut d = Deps::default();
        // Top-level manifests only: nested ones belong to vendored code (listed by the scan).
        for (path, file) in tree.iter() {
            if path.contains('/') {
                continue;
            }
            let text = match std::str::from_utf8(&file.bytes) {
                Ok(t) => t,
                Err(_) => continue,
            };
            match path {
                "package.json" => d.npm(path, text),
                "pyproject.toml" => d.pyproject(path, text),
                "requirements.txt" => d.requirements(path, text),
                _ => {}
            }
        }
        d
    }

    fn npm(&mut self, path: &str, text: &str) {
        let doc: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(format!("{path}: {e}"));
                return;
            }
        };
        for kind in [
            "dependencies",
            "optionalDependencies",
            "peerDependencies",
            "bundledDependencies",
            "devDependencies",
        ] {
            match doc.get(kind) {
                Some(serde_json::Value::Object(map)) => {
                    for (name, req) in map {
                        let req = req.as_str().unwrap_or("(not a string)").to_string();
                        let mut flags = npm_flags(&req);
                        if kind == "devDependencies" {
                            flags.push("dev only");
                        }
                        self.direct.push(Dep {
                            name: name.clone(),
                            requirement: req,
                            kind: kind.into(),
                            file: path.into(),
                            flags,
                        });
                    }
                }
                Some(serde_json::Value::Array(list)) => {
                    for name in list.iter().filter_map(|v| v.as_str()) {
                        self.direct.push(Dep {
                            name: name.into(),
                            requirement: String::new(),
                            kind: kind.into(),
                            file: path.into(),
                            flags: vec!["bundled"],
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn pyproject(&mut self, path: &str, text: &str) {
        let doc: toml::Table = match toml::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(format!("{path}: {}", e.message().trim()));
                return;
            }
        };
        let project = doc.get("project").and_then(|p| p.as_table());
        let mut add = |kind: &str, list: Option<&toml::Value>| {
            for req in list
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
            {
                self.direct.push(Dep {
                    name: pep508_name(req),
                    requirement: req.to_string(),
                    kind: kind.into(),
                    file: path.into(),
                    flags: pep508_flags(req),
                });
            }
        };
        add(
            "project.dependencies",
            project.and_then(|p| p.get("dependencies")),
        );
        if let Some(opt) = project
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(|o| o.as_table())
        {
            for (extra, list) in opt {
                add(&format!("extra {extra}"), Some(list));
            }
        }
        let build = doc.get("build-system").and_then(|b| b.as_table());
        add(
            "build-system.requires",
            build.and_then(|b| b.get("requires")),
        );
    }

    fn requirements(&mut self, path: &str, text: &str) {
        for line in text.lines() {
            let l = line.split('#').next().unwrap_or("").trim();
            if l.is_empty() || l.starts_with('-') {
                continue;
            }
            self.direct.push(Dep {
                name: pep508_name(l),
                requirement: l.to_string(),
                kind: "requirements".into(),
                file: path.into(),
                flags: pep508_flags(l),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::PackageFile;

    fn tree(files: &[(&str, &str)]) -> PackageTree {
        let mut t = PackageTree::new();
        for (p, c) in files {
            t.insert(
                *p,
                PackageFile {
                    bytes: c.as_bytes().to_vec(),
                    size: c.len() as u64,
                    truncated: false,
                    executable: false,
                },
            );
        }
        t
    }

    #[test]
    fn manifests_give_direct_deps_with_flags() {
        let t = tree(&[
            ("package.json", r#"{"dependencies":{"a":"^1.0.0","b":"git+https://x/y.git","c":"1.2.3"},"devDependencies":{"d":"*"}}"#),
            ("pyproject.toml", "[project]\ndependencies = [\"httpx>=0.27\", \"mcp==1.2.0\", \"evil @ https://x/e.whl\"]\n"),
            ("nested/package.json", r#"{"dependencies":{"ignored":"1"}}"#),
        ]);
        let deps = Deps::from_tree(&t);
        assert!(deps.direct.iter().all(|d| d.name != "ignored"));
        let by = |n: &str| {
            deps.direct
                .iter()
                .find(|d| d.name == n)
                .unwrap()
                .flags
                .clone()
        };
        assert_eq!(by("a"), vec!["range"]);
        assert_eq!(by("b"), vec!["url/git source"]);
        assert!(by("c").is_empty());
        assert_eq!(by("d"), vec!["any version", "dev only"]);
        assert_eq!(by("httpx"), vec!["range"]);
        assert!(by("mcp").is_empty());
        assert_eq!(by("evil"), vec!["url/git source"]);
        let mut bad = Deps::default();
        bad.npm("package.json", "{");
        assert_eq!(bad.errors.len(), 1);
    }
}
