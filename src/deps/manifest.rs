//! Direct dependencies from the unpacked manifest: `package.json` (dependencies,
//! optionalDependencies, peerDependencies; not devDependencies, which an install does not pull),
//! wheel `METADATA` / sdist `PKG-INFO` `Requires-Dist`, `pyproject.toml` (PEP 621 and poetry)
//! and setuptools' `*.egg-info/requires.txt`. Requirements that only apply with an extra are
//! left out: installing the package does not pull them.

use serde_json::Value;

use super::spec::{marker_extras, parse_requirement};
use crate::analyze::manifest::{npm::key_lines, python::toml_line};
use crate::archive::PackageTree;

/// Manifests larger than this are not read.
const MAX_MANIFEST: usize = 4 * 1024 * 1024;

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    /// npm: the spec as written; Python: the whole requirement.
    pub spec: String,
    pub section: String,
    pub path: String,
    pub line: Option<u32>,
}

/// npm: the root `package.json`'s dependencies. Errors are one line naming the file.
pub fn npm(tree: &PackageTree) -> Result<Vec<Declared>, String> {
    let path = "package.json";
    let Some(file) = tree.get(path) else {
        return Err("no package.json at the package root".into());
    };
    if file.bytes.len() > MAX_MANIFEST {
        return Err(format!(
            "{path}: larger than {MAX_MANIFEST} bytes, not read"
        ));
    }
    let text = std::str::from_utf8(&file.bytes).map_err(|_| format!("{path}: not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
    let lines = key_lines(text);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for section in ["dependencies", "optionalDependencies", "peerDependencies"] {
        let Some(deps) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, spec) in deps {
            // npm installs one copy: the first section naming a package decides.
            let Some(spec) = spec.as_str() else { continue };
            if !seen.insert(name.clone()) {
                continue;
            }
            out.push(Declared {
                name: name.clone(),
                spec: spec.to_string(),
                section: section.to_string(),
                path: path.to_string(),
                line: lines.get(&vec![section.to_string(), name.clone()]).copied(),
            });
        }
    }
    Ok(out)
}

/// Python: the first source that declares dependencies, in the order an installer trusts them.
pub fn python(tree: &PackageTree) -> Result<Vec<Declared>, String> {
    // Wheel metadata, then the sdist's PKG-INFO (when its Requires-Dist is not dynamic).
    let metadata = tree
        .iter()
        .find(|(p, _)| {
            p.ends_with("/METADATA")
                && p.matches('/').count() == 1
                && p.split('/')
                    .next()
                    .is_some_and(|d| d.ends_with(".dist-info"))
        })
        .map(|(p, _)| p.to_string());
    let mut candidates: Vec<String> = metadata.into_iter().collect();
    if tree.get("PKG-INFO").is_some() {
        candidates.push("PKG-INFO".into());
    }
    for path in &candidates {
        let Some(text) = read(tree, path)? else {
            continue;
        };
        let (reqs, dynamic) = requires_dist(&text);
        if !reqs.is_empty() || (!dynamic && path.ends_with("METADATA")) {
            return Ok(reqs
                .into_iter()
                .map(|(req, line)| declared(&req, "Requires-Dist", path, Some(line)))
                .collect());
        }
    }
    if let Some(text) = read(tree, "pyproject.toml")? {
        if let Some(found) = pyproject(&text)? {
            return Ok(found);
        }
    }
    // setuptools writes install_requires here in every sdist it builds.
    let egg = tree
        .iter()
        .find(|(p, _)| p.ends_with(".egg-info/requires.txt") && p.matches('/').count() <= 2)
        .map(|(p, _)| p.to_string());
    if let Some(path) = egg {
        if let Some(text) = read(tree, &path)? {
            return Ok(requires_txt(&text, &path));
        }
    }
    if candidates.is_empty() && tree.get("pyproject.toml").is_none() {
        return Err(
            "no METADATA, PKG-INFO, pyproject.toml or requires.txt declares dependencies".into(),
        );
    }
    Ok(Vec::new())
}

fn read(tree: &PackageTree, path: &str) -> Result<Option<String>, String> {
    let Some(f) = tree.get(path) else {
        return Ok(None);
    };
    if f.bytes.len() > MAX_MANIFEST {
        return Err(format!(
            "{path}: larger than {MAX_MANIFEST} bytes, not read"
        ));
    }
    Ok(Some(String::from_utf8_lossy(&f.bytes).into_owned()))
}

fn declared(req: &str, section: &str, path: &str, line: Option<u32>) -> Declared {
    let name = parse_requirement(req)
        .map(|r| r.name)
        .unwrap_or_else(|| req.to_string());
    Declared {
        name,
        spec: req.trim().to_string(),
        section: section.to_string(),
        path: path.to_string(),
        line,
    }
}

/// Whether a requirement applies to a plain install (no extra asked for).
fn unconditional(req: &str) -> bool {
    match parse_requirement(req) {
        Some(r) => r
            .marker
            .as_deref()
            .is_none_or(|m| marker_extras(m).is_empty()),
        None => false,
    }
}

/// `Requires-Dist` headers (RFC 822 style: the header block ends at the first blank line) and
/// whether `Dynamic: Requires-Dist` says they are computed at build time.
fn requires_dist(text: &str) -> (Vec<(String, u32)>, bool) {
    let mut out = Vec::new();
    let mut dynamic = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key == "requires-dist" && unconditional(value) {
            out.push((value.to_string(), i as u32 + 1));
        } else if key == "dynamic" && value.eq_ignore_ascii_case("requires-dist") {
            dynamic = true;
        }
    }
    (out, dynamic)
}

/// Every unconditional `Requires-Dist` of a core metadata file (wheel `METADATA`).
pub(crate) fn requires_dist_all(text: &str) -> Vec<String> {
    requires_dist(text).0.into_iter().map(|(r, _)| r).collect()
}

/// `requires.txt`: requirements before the first `[section]`, plus `[:marker]` sections (which
/// apply without an extra); `[extra]` and `[extra:marker]` sections are skipped.
fn requires_txt(text: &str, path: &str) -> Vec<Declared> {
    let mut out = Vec::new();
    let mut active = true;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(section) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            active = section.starts_with(':');
            continue;
        }
        if active && parse_requirement(t).is_some() {
            out.push(declared(t, "install_requires", path, Some(i as u32 + 1)));
        }
    }
    out
}

/// PEP 621 `[project].dependencies`, else poetry's `[tool.poetry.dependencies]`. `None` when the
/// file declares neither (or says they are dynamic).
fn pyproject(text: &str) -> Result<Option<Vec<Declared>>, String> {
    let path = "pyproject.toml";
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        format!(
            "{path}: {}",
            e.message().lines().next().unwrap_or("invalid TOML")
        )
    })?;
    let project = doc.get("project").and_then(|p| p.as_table());
    if let Some(deps) = project
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_array())
    {
        let mut out = Vec::new();
        for req in deps.iter().filter_map(|v| v.as_str()) {
            if !unconditional(req) {
                continue;
            }
            let line = text
                .lines()
                .position(|l| l.contains(req))
                .map(|i| i as u32 + 1)
                .or_else(|| toml_line(text, "project", Some("dependencies")));
            out.push(declared(req, "project.dependencies", path, line));
        }
        return Ok(Some(out));
    }
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_table());
    let Some(poetry) = poetry else {
        return Ok(None);
    };
    let section = "tool.poetry.dependencies";
    let mut out = Vec::new();
    for (name, spec) in poetry {
        if name.eq_ignore_ascii_case("python") {
            continue;
        }
        let line = toml_line(text, section, Some(name));
        let req = match spec {
            toml::Value::String(v) => format!("{name}{}", poetry_version(v)),
            toml::Value::Table(t) => {
                if t.get("optional").and_then(|o| o.as_bool()) == Some(true) {
                    continue;
                }
                if let Some(url) = ["git", "url", "path"]
                    .iter()
                    .find_map(|k| t.get(*k).and_then(|v| v.as_str()))
                {
                    let url = if t.contains_key("git") && !url.starts_with("git+") {
                        format!("git+{url}")
                    } else if t.contains_key("path") && !url.starts_with("file:") {
                        format!("file:{url}")
                    } else {
                        url.to_string()
                    };
                    format!("{name} @ {url}")
                } else {
                    let v = t.get("version").and_then(|v| v.as_str()).unwrap_or("");
                    format!("{name}{}", poetry_version(v))
                }
            }
            _ => continue,
        };
        out.push(declared(&req, section, path, line));
    }
    Ok(Some(out))
}

/// Poetry constraints (`^1.2`, `~1.2`, `1.2.*`, `*`, `>=1,<2`) as PEP 440 specifiers.
fn poetry_version(v: &str) -> String {
    let v = v.trim();
    if v.is_empty() || v == "*" {
        return String::new();
    }
    let bump = |v: &str, caret: bool| -> Option<String> {
        let parts: Vec<u64> = v
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<u64>>>()?;
        let upper = if caret {
            // ^: the first non-zero component may not change.
            let i = parts
                .iter()
                .position(|&p| p != 0)
                .unwrap_or(parts.len() - 1);
            let mut u: Vec<u64> = parts[..=i].to_vec();
            u[i] += 1;
            u
        } else if parts.len() >= 2 {
            vec![parts[0], parts[1] + 1]
        } else {
            vec![parts[0] + 1]
        };
        let upper: Vec<String> = upper.iter().map(u64::to_string).collect();
        Some(format!(">={v},<{}", upper.join(".")))
    };
    if let Some(rest) = v.strip_prefix('^') {
        if let Some(s) = bump(rest.trim(), true) {
            return s;
        }
    } else if let Some(rest) = v.strip_prefix('~').filter(|r| !r.starts_with('=')) {
        if let Some(s) = bump(rest.trim(), false) {
            return s;
        }
    } else if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return format!("=={v}");
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::PackageFile;

    fn tree(files: &[(&str, &str)]) -> PackageTree {
        let mut t = PackageTree::new();
        for (p, text) in files {
            t.insert(
                *p,
                PackageFile {
                    bytes: text.as_bytes().to_vec(),
                    size: text.len() as u64,
                    truncated: false,
                    executable: false,
                },
            );
        }
        t
    }

    #[test]
    fn npm_sections_and_lines() {
        let t = tree(&[(
            "package.json",
            "{\n \"name\": \"x\",\n \"description\": \"see github.com/a/b\",\n \"dependencies\": {\n  \"a\": \"^1.0.0\"\n },\n \"devDependencies\": {\"d\": \"*\"},\n \"peerDependencies\": {\"p\": \">=2\", \"a\": \"^9\"}\n}",
        )]);
        let d = npm(&t).unwrap();
        let names: Vec<(&str, &str, Option<u32>)> = d
            .iter()
            .map(|d| (d.name.as_str(), d.section.as_str(), d.line))
            .collect();
        assert_eq!(
            names,
            [
                ("a", "dependencies", Some(5)),
                ("p", "peerDependencies", Some(8))
            ]
        );
        assert!(npm(&tree(&[("package.json", "{")]))
            .unwrap_err()
            .starts_with("package.json:"));
    }

    #[test]
    fn python_sources() {
        let wheel = tree(&[(
            "x-1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: x\nRequires-Dist: httpx>=0.27\nRequires-Dist: rich ; extra == \"cli\"\nRequires-Dist: tomli ; python_version < \"3.11\"\n\nRequires-Dist: not-a-header\n",
        )]);
        let d = python(&wheel).unwrap();
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["httpx", "tomli"]);
        assert_eq!(d[0].line, Some(3));

        let sdist = tree(&[
            ("PKG-INFO", "Metadata-Version: 2.1\nName: x\n"),
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\ndependencies = [\n  \"mcp>=1.0\",\n  \"extra-only; extra == 'dev'\",\n]\n",
            ),
        ]);
        let d = python(&sdist).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].name.as_str(), d[0].line), ("mcp", Some(4)));

        let poetry = tree(&[(
            "pyproject.toml",
            "[tool.poetry.dependencies]\npython = \"^3.10\"\nrequests = \"^2.31\"\nopt = {version = \"*\", optional = true}\ngitdep = {git = \"https://h/o/r.git\"}\n",
        )]);
        let d = python(&poetry).unwrap();
        let mut specs: Vec<&str> = d.iter().map(|d| d.spec.as_str()).collect();
        specs.sort();
        assert_eq!(
            specs,
            ["gitdep @ git+https://h/o/r.git", "requests>=2.31,<3"]
        );

        let egg = tree(&[
            ("setup.py", "setup()"),
            (
                "x.egg-info/requires.txt",
                "click\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n\n[dev]\npytest\n",
            ),
        ]);
        let d = python(&egg).unwrap();
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["click", "importlib-metadata"]);
    }

    #[test]
    fn poetry_constraints() {
        assert_eq!(poetry_version("^1.2.3"), ">=1.2.3,<2");
        assert_eq!(poetry_version("^0.2.3"), ">=0.2.3,<0.3");
        assert_eq!(poetry_version("~1.2"), ">=1.2,<1.3");
        assert_eq!(poetry_version("1.2.3"), "==1.2.3");
        assert_eq!(poetry_version(">=1,<2"), ">=1,<2");
        assert_eq!(poetry_version("*"), "");
    }
}
