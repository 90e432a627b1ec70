//! Breadth-first resolution of the dependency tree through the registry, level by level:
//! every package document of a level is fetched concurrently (bounded), each once per run; a
//! (name, version) already resolved is not expanded again, which also ends cycles.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::osv::OsvIndex;
use super::registry::{self, DocError, NpmDoc, PyDoc, PyVersionInfo, Registry};
use super::spec::{self, NpmWant};
use super::{manifest, DepOptions, Dependencies, DirectDep, Flag, FlagKind, TransitiveDep};
use crate::archive::PackageTree;
use crate::fetch::{Fetcher, PackageInfo};
use crate::provenance::signals::parse_time;
use crate::provenance::Rules;

const DAY: i64 = 86_400;
/// A dependency first published less than this before the release using it is young.
const YOUNG_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eco {
    Npm,
    Pypi,
}

impl Eco {
    fn as_str(self) -> &'static str {
        match self {
            Eco::Npm => "npm",
            Eco::Pypi => "pypi",
        }
    }
}

type ReleaseKey = (String, String);
type InfoResult = Result<Arc<PyVersionInfo>, DocError>;

/// One edge to resolve: a parent asks for `name` at `spec`.
#[derive(Debug, Clone)]
struct Want {
    /// The registry name (npm aliases resolved, PyPI names normalised).
    name: String,
    /// The spec as declared (for the report).
    spec: String,
    npm: Option<NpmWant>,
    /// PEP 440 specifier and the extras asked for.
    py: Option<(String, Vec<String>)>,
    depth: u32,
    via: String,
    /// Index into `direct` (the direct dependency this descends from).
    root: usize,
    /// When the release that depends on this one was published (young is relative to it).
    parent_time: Option<i64>,
    flags: Vec<Flag>,
    /// Not resolvable from the registry (URL source, workspace: spec, bad requirement).
    unresolvable: Option<String>,
}

/// What a picked version contributes.
struct Picked {
    version: String,
    deps: Vec<Want>,
    flags: Vec<Flag>,
    /// The version resolved but its own dependencies could not be read.
    error: Option<String>,
}

/// Resolve the dependencies of a fetched package. Never fails: what cannot be resolved is in
/// `errors`. `None` for ecosystems without a registry to resolve through.
pub async fn resolve(
    fetcher: &Fetcher,
    package: &PackageInfo,
    tree: &PackageTree,
    metadata: Option<&Value>,
    rules: &Rules,
    opts: &DepOptions,
    now: i64,
) -> Option<Dependencies> {
    let eco = match package.ecosystem.as_str() {
        "npm" => Eco::Npm,
        "pypi" => Eco::Pypi,
        _ => return None,
    };
    let mut out = Dependencies {
        ecosystem: eco.as_str().to_string(),
        ..Default::default()
    };
    let declared = match eco {
        Eco::Npm => manifest::npm(tree),
        Eco::Pypi => manifest::python(tree),
    };
    let declared = match declared {
        Ok(d) => d,
        Err(e) => {
            out.errors.push(e);
            return Some(out);
        }
    };
    let release_time = release_time(eco, package, metadata);
    let own = format!("{}@{}", package.name, package.version);
    let mut level = Vec::new();
    for (i, d) in declared.iter().enumerate() {
        out.direct.push(DirectDep {
            name: d.name.clone(),
            spec: d.spec.clone(),
            section: d.section.clone(),
            resolved: None,
            flags: Vec::new(),
            path: d.path.clone(),
            line: d.line,
        });
        let want = match eco {
            Eco::Npm => npm_edge(&d.name, &d.spec, 1, &own, i, release_time),
            Eco::Pypi => py_edge(&d.spec, 1, &own, i, release_time),
        };
        level.push(want);
    }
    let ctx = Ctx {
        eco,
        rules,
        osv: opts.osv.clone(),
        now,
    };
    let registry = Registry::from_fetcher(fetcher);
    let mut npm_docs: HashMap<String, Result<Arc<NpmDoc>, DocError>> = HashMap::new();
    let mut py_docs: HashMap<String, Result<Arc<PyDoc>, DocError>> = HashMap::new();
    let mut py_infos: HashMap<(String, String), Result<Arc<PyVersionInfo>, DocError>> =
        HashMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut depth_cut = 0usize;
    let mut capped = 0usize;
    let conc = opts.concurrency.max(1);

    while !level.is_empty() {
        // Phase 1: the documents this level needs, fetched concurrently.
        let names: BTreeSet<String> = level
            .iter()
            .filter(|w| w.unresolvable.is_none())
            .map(|w| w.name.clone())
            .filter(|n| match eco {
                Eco::Npm => !npm_docs.contains_key(n),
                Eco::Pypi => !py_docs.contains_key(n),
            })
            .collect();
        match eco {
            Eco::Npm => {
                let got = fetch_all(
                    &registry,
                    names.into_iter().collect(),
                    conc,
                    |r, n| async move { r.npm(&n).await.map(Arc::new) },
                )
                .await;
                npm_docs.extend(got);
            }
            Eco::Pypi => {
                let got = fetch_all(
                    &registry,
                    names.into_iter().collect(),
                    conc,
                    |r, n| async move { r.pypi(&n).await.map(Arc::new) },
                )
                .await;
                py_docs.extend(got);
            }
        }
        // Phase 2 (PyPI): a release other than the latest declares its requirements in its
        // own document.
        if eco == Eco::Pypi {
            let mut need = BTreeSet::new();
            for w in level.iter().filter(|w| w.unresolvable.is_none()) {
                let Some(Ok(doc)) = py_docs.get(&w.name) else {
                    continue;
                };
                let spec = w.py.as_ref().map(|p| p.0.as_str()).unwrap_or("");
                if let Ok(r) = registry::pypi_pick(doc, spec) {
                    let is_latest = doc.latest_info.as_ref().is_some_and(|li| li.version == r.v);
                    let key = (w.name.clone(), r.v.clone());
                    if !is_latest && !py_infos.contains_key(&key) && !seen.contains(&key) {
                        need.insert(key);
                    }
                }
            }
            let wheels: HashMap<(String, String), Option<String>> = need
                .iter()
                .map(|(n, v)| {
                    let url = match py_docs.get(n) {
                        Some(Ok(doc)) => doc
                            .releases
                            .iter()
                            .find(|r| &r.v == v)
                            .and_then(|r| r.wheel_url.clone()),
                        _ => None,
                    };
                    ((n.clone(), v.clone()), url)
                })
                .collect();
            let keys: Vec<((String, String), Option<String>)> = wheels.into_iter().collect();
            let got = fetch_all(&registry, keys, conc, |r, ((n, v), wheel)| async move {
                // Per-release JSON, else the wheel's core metadata (PEP 658).
                match (r.pypi_version(&n, &v).await, wheel) {
                    (Err(DocError::NotFound), Some(w)) => r.pypi_wheel_metadata(&v, &w).await,
                    (res, _) => res,
                }
                .map(Arc::new)
            })
            .await;
            let got: Vec<(ReleaseKey, InfoResult)> =
                got.into_iter().map(|((k, _), res)| (k, res)).collect();
            py_infos.extend(got);
        }
        // Phase 3: pick, flag, expand.
        let mut next = Vec::new();
        for want in level {
            if let Some(why) = &want.unresolvable {
                if want.depth == 1 {
                    if let Some(d) = out.direct.get_mut(want.root) {
                        d.flags = want.flags.clone();
                    }
                    if !want.flags.iter().any(|f| f.flag == FlagKind::UrlSource) {
                        out.errors
                            .push(format!("{} ({}): {why}", want.name, want.spec));
                    }
                } else if seen.insert((want.name.clone(), format!("spec:{}", want.spec))) {
                    out.transitive.push(TransitiveDep {
                        name: want.name.clone(),
                        version: String::new(),
                        spec: want.spec.clone(),
                        depth: want.depth,
                        via: want.via.clone(),
                        flags: want.flags.clone(),
                        root: want.root,
                    });
                }
                continue;
            }
            let picked = match eco {
                Eco::Npm => match npm_docs.get(&want.name) {
                    Some(Ok(doc)) => ctx.npm_pick(doc, &want),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Err("not fetched".into()),
                },
                Eco::Pypi => match py_docs.get(&want.name) {
                    Some(Ok(doc)) => ctx.py_pick(doc, &py_infos, &want),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Err("not fetched".into()),
                },
            };
            let picked = match picked {
                Ok(p) => p,
                Err(e) => {
                    if failed.insert(want.name.clone()) || want.depth == 1 {
                        out.errors
                            .push(format!("{} ({}): {e}", want.name, want.spec));
                    }
                    if want.depth == 1 {
                        if let Some(d) = out.direct.get_mut(want.root) {
                            d.flags = want.flags.clone();
                        }
                    }
                    continue;
                }
            };
            let key = (want.name.clone(), picked.version.clone());
            if seen.contains(&key) {
                continue;
            }
            if seen.len() >= opts.max_packages {
                capped += 1;
                continue;
            }
            seen.insert(key);
            if let Some(e) = &picked.error {
                out.errors
                    .push(format!("{}@{}: {e}", want.name, picked.version));
            }
            let mut flags = want.flags.clone();
            flags.extend(picked.flags);
            if want.depth == 1 {
                if let Some(d) = out.direct.get_mut(want.root) {
                    d.resolved = Some(picked.version.clone());
                    d.flags = flags;
                }
            } else {
                out.transitive.push(TransitiveDep {
                    name: want.name.clone(),
                    version: picked.version.clone(),
                    spec: want.spec.clone(),
                    depth: want.depth,
                    via: want.via.clone(),
                    flags,
                    root: want.root,
                });
            }
            if want.depth < opts.depth {
                next.extend(picked.deps);
            } else if !picked.deps.is_empty() {
                depth_cut += 1;
            }
        }
        level = next;
    }
    if depth_cut > 0 {
        out.truncated = true;
        out.notes.push(format!(
            "depth bound {} reached: the dependencies of {depth_cut} package{} were not followed",
            opts.depth,
            if depth_cut == 1 { "" } else { "s" }
        ));
    }
    if capped > 0 {
        out.truncated = true;
        out.notes.push(format!(
            "package cap {} reached: {capped} further dependenc{} not resolved",
            opts.max_packages,
            if capped == 1 { "y was" } else { "ies were" }
        ));
    }
    if let Some(osv) = &ctx.osv {
        if osv.unreadable > 0 {
            out.notes.push(format!(
                "{} file{} in --osv-dir could not be read as OSV advisories",
                osv.unreadable,
                if osv.unreadable == 1 { "" } else { "s" }
            ));
        }
    }
    out.transitive
        .sort_by(|a, b| (a.depth, &a.name, &a.version).cmp(&(b.depth, &b.name, &b.version)));
    out.tally();
    Some(out)
}

/// When the scanned release was published (npm `time[version]`, PyPI the first upload).
fn release_time(eco: Eco, package: &PackageInfo, metadata: Option<&Value>) -> Option<i64> {
    let m = metadata?;
    match eco {
        Eco::Npm => m
            .get("time")?
            .get(&package.version)?
            .as_str()
            .and_then(parse_time),
        Eco::Pypi => m
            .get("releases")?
            .get(&package.version)?
            .as_array()?
            .iter()
            .filter_map(|f| {
                f.get("upload_time_iso_8601")
                    .or_else(|| f.get("upload_time"))
                    .and_then(Value::as_str)
                    .and_then(parse_time)
            })
            .min(),
    }
}

fn npm_edge(
    name: &str,
    spec: &str,
    depth: u32,
    via: &str,
    root: usize,
    parent_time: Option<i64>,
) -> Want {
    let flags = spec::npm_spec_flags(name, spec);
    let w = spec::npm_want(name, spec);
    let (reg_name, unresolvable) = match &w {
        NpmWant::Range { name, .. } | NpmWant::Tag { name, .. } => (name.clone(), None),
        NpmWant::Url => (name.to_string(), Some("not from the registry".to_string())),
        NpmWant::Unresolvable(why) => (name.to_string(), Some(why.clone())),
    };
    Want {
        name: reg_name,
        spec: spec.to_string(),
        npm: Some(w),
        py: None,
        depth,
        via: via.to_string(),
        root,
        parent_time,
        flags,
        unresolvable,
    }
}

fn py_edge(
    requirement: &str,
    depth: u32,
    via: &str,
    root: usize,
    parent_time: Option<i64>,
) -> Want {
    let mut w = Want {
        name: requirement.to_string(),
        spec: requirement.to_string(),
        npm: None,
        py: None,
        depth,
        via: via.to_string(),
        root,
        parent_time,
        flags: Vec::new(),
        unresolvable: None,
    };
    match spec::parse_requirement(requirement) {
        Some(r) => {
            w.name = crate::spec::normalize_pypi_name(&r.name);
            w.flags = spec::pypi_spec_flags(&r);
            if r.url.is_some() {
                w.unresolvable = Some("not from the index".into());
            }
            w.py = Some((r.specifier, r.extras));
        }
        None => w.unresolvable = Some("not a PEP 508 requirement".into()),
    }
    w
}

/// Fetch documents for `keys`, at most `conc` in flight.
async fn fetch_all<K, T, F, Fut>(
    registry: &Registry,
    keys: Vec<K>,
    conc: usize,
    f: F,
) -> Vec<(K, Result<T, DocError>)>
where
    K: Clone + Send + 'static,
    T: Send + 'static,
    F: Fn(Registry, K) -> Fut,
    Fut: Future<Output = Result<T, DocError>> + Send + 'static,
{
    let mut out = Vec::with_capacity(keys.len());
    let mut set = JoinSet::new();
    let mut it = keys.into_iter();
    loop {
        while set.len() < conc {
            let Some(k) = it.next() else { break };
            let fut = f(registry.clone(), k.clone());
            set.spawn(async move { (k, fut.await) });
        }
        match set.join_next().await {
            Some(Ok(r)) => out.push(r),
            // A panicked or cancelled task: its key is unknown, so its package stays unfetched
            // and is reported as such by the caller.
            Some(Err(_)) => {}
            None => break,
        }
    }
    out
}

struct Ctx<'a> {
    eco: Eco,
    rules: &'a Rules,
    osv: Option<Arc<OsvIndex>>,
    now: i64,
}

fn date(t: i64) -> String {
    // Days from the epoch → civil date (Howard Hinnant's algorithm).
    let z = t.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days on the registry after which a look-alike dependency name is not flagged.
const SETTLED_DAYS: i64 = 730;

impl Ctx<'_> {
    /// Flags every ecosystem shares: young, typosquat, vulnerable (OSV), single maintainer.
    fn common_flags(
        &self,
        want: &Want,
        version: &str,
        created: Option<i64>,
        maintainers: Option<&[String]>,
        out: &mut Vec<Flag>,
    ) {
        if let Some(created) = created {
            let reference = want.parent_time.unwrap_or(self.now);
            let age = (reference - created).div_euclid(DAY);
            if age < 0 {
                out.push(Flag::new(
                    FlagKind::Young,
                    format!(
                        "first published {} ({} days after {} was released: the name was registered after a release depending on it)",
                        date(created),
                        -age,
                        want.via
                    ),
                ));
            } else if age < YOUNG_DAYS {
                out.push(Flag::new(
                    FlagKind::Young,
                    format!(
                        "first published {}, {age} day{} before {}",
                        date(created),
                        if age == 1 { "" } else { "s" },
                        if want.parent_time.is_some() {
                            format!("{} was released", want.via)
                        } else {
                            "today".to_string()
                        }
                    ),
                ));
            }
        }
        if let Some(m) = maintainers {
            if m.len() == 1 {
                out.push(Flag::new(
                    FlagKind::SingleMaintainer,
                    format!("only maintainer: {}", spec::clip(&m[0])),
                ));
            }
        }
        // A look-alike name that has been on the registry for years is an old, settled package
        // (`isnumber`, `tldjs`); registries take squats down quickly, so only young or undated
        // names are flagged.
        let settled = created.is_some_and(|c| self.now - c >= SETTLED_DAYS * DAY);
        if let Some(hit) = (!settled)
            .then(|| crate::provenance::typosquat::check(self.eco.as_str(), &want.name, self.rules))
            .flatten()
        {
            out.push(Flag::new(
                FlagKind::Typosquat,
                format!(
                    "looks like {} ({}): did you mean {}?",
                    hit.target, hit.reason, hit.target
                ),
            ));
        }
        if let Some(osv) = &self.osv {
            for a in osv.matches(self.eco.as_str(), &want.name, version) {
                out.push(Flag::new(
                    FlagKind::Vulnerable,
                    format!("{}: {} (offline OSV)", a.id, a.summary),
                ));
            }
        }
    }

    fn npm_pick(&self, doc: &NpmDoc, want: &Want) -> Result<Picked, String> {
        let w = want.npm.as_ref().ok_or("no npm spec")?;
        let v = registry::npm_pick(doc, w)?;
        let mut flags = Vec::new();
        if let Some(i) = &v.install {
            flags.push(Flag::new(
                FlagKind::InstallScript,
                format!("runs at install: {i}"),
            ));
        }
        if let Some(d) = &v.deprecated {
            flags.push(Flag::new(
                FlagKind::Deprecated,
                format!("{}@{}: {d}", want.name, v.v),
            ));
        }
        let maintainers = v.maintainers.as_ref().or(doc.maintainers.as_ref());
        // The release before this one in version order (publish times can be rewritten by
        // mirrors; version order cannot).
        let previous = nodejs_semver::Version::parse(&v.v).ok().and_then(|this| {
            doc.versions
                .iter()
                .filter_map(|x| nodejs_semver::Version::parse(&x.v).ok().map(|p| (p, x)))
                .filter(|(p, _)| *p < this)
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, x)| x)
        });
        if let (Some(p), Some(now_m)) = (previous, v.maintainers.as_ref()) {
            if let Some(prev_m) = p.maintainers.as_ref().filter(|m| !m.is_empty()) {
                if !now_m.is_empty() && prev_m != now_m {
                    let added: Vec<&str> = now_m
                        .iter()
                        .filter(|m| !prev_m.contains(m))
                        .map(String::as_str)
                        .collect();
                    let removed: Vec<&str> = prev_m
                        .iter()
                        .filter(|m| !now_m.contains(m))
                        .map(String::as_str)
                        .collect();
                    flags.push(Flag::new(
                        FlagKind::RecentlyTransferred,
                        format!(
                            "maintainers changed between {} and {}: added [{}], removed [{}]",
                            p.v,
                            v.v,
                            spec::clip(&added.join(", ")),
                            spec::clip(&removed.join(", "))
                        ),
                    ));
                }
            }
        }
        self.common_flags(
            want,
            &v.v,
            doc.created,
            maintainers.map(Vec::as_slice),
            &mut flags,
        );
        let via = format!("{}@{}", want.name, v.v);
        let deps = v
            .deps
            .iter()
            .map(|(n, s)| npm_edge(n, s, want.depth + 1, &via, want.root, v.time))
            .collect();
        Ok(Picked {
            version: v.v.clone(),
            deps,
            flags,
            error: None,
        })
    }

    fn py_pick(
        &self,
        doc: &PyDoc,
        infos: &HashMap<(String, String), Result<Arc<PyVersionInfo>, DocError>>,
        want: &Want,
    ) -> Result<Picked, String> {
        let (specifier, extras) = want.py.as_ref().ok_or("no requirement")?;
        let r = registry::pypi_pick(doc, specifier)?;
        let mut error = None;
        let info: Option<&PyVersionInfo> =
            match doc.latest_info.as_ref().filter(|li| li.version == r.v) {
                Some(li) => Some(li),
                None => match infos.get(&(want.name.clone(), r.v.clone())) {
                    Some(Ok(i)) => Some(i.as_ref()),
                    Some(Err(e)) => {
                        error = Some(format!("requirements of release {}: {e}", r.v));
                        None
                    }
                    // Already resolved elsewhere: the caller skips it.
                    None => None,
                },
            };
        let mut flags = Vec::new();
        if r.yanked {
            flags.push(Flag::new(
                FlagKind::Deprecated,
                format!("{} {} is yanked", want.name, r.v),
            ));
        }
        if !r.wheel {
            flags.push(Flag::new(
                FlagKind::InstallScript,
                format!(
                    "{} {} has no wheel: pip builds the sdist, running its build code at install",
                    want.name, r.v
                ),
            ));
        }
        if let Some(info) = info {
            for a in &info.vulnerabilities {
                flags.push(Flag::new(
                    FlagKind::Vulnerable,
                    format!("{}: {} (PyPI)", a.id, a.summary),
                ));
            }
        }
        self.common_flags(want, &r.v, doc.created, doc.owners.as_deref(), &mut flags);
        // Vulnerabilities from both sources name the same advisory once.
        let mut seen_ids = HashSet::new();
        flags.retain(|f| {
            f.flag != FlagKind::Vulnerable
                || seen_ids.insert(f.evidence.split(':').next().unwrap_or("").to_string())
        });
        let via = format!("{}@{}", want.name, r.v);
        let deps = info
            .map(|i| {
                i.requires
                    .iter()
                    .filter(|req| {
                        let Some(p) = spec::parse_requirement(req) else {
                            return false;
                        };
                        match p.marker.as_deref() {
                            None => true,
                            Some(m) => {
                                let asked = spec::marker_extras(m);
                                asked.is_empty() || asked.iter().any(|e| extras.contains(e))
                            }
                        }
                    })
                    .map(|req| py_edge(req, want.depth + 1, &via, want.root, r.time))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Picked {
            version: r.v.clone(),
            deps,
            flags,
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000), "2023-11-14");
    }
}
