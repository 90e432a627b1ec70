//! Unit tests of the Code screen's state: search, findings across files, go to line.

use super::*;
use crate::archive::{PackageFile, Unpacked};
use crate::finding::{Category, Finding};

pub(crate) fn package(files: &[(&str, &str)]) -> Arc<PackageTree> {
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
    Arc::new(t)
}

fn finding(path: &str, line: u32, col: u32, sev: Severity) -> Finding {
    let mut f = Finding::new("test.rule", Category::Network, sev, path, "a finding");
    f.line = Some(line);
    f.column = Some(col);
    f.end_line = Some(line);
    f
}

fn report(tree: &PackageTree, findings: Vec<Finding>) -> Arc<Report> {
    let unpacked = Unpacked {
        tree: tree.clone(),
        findings,
        entries: tree.len(),
    };
    let info = crate::fetch::PackageInfo {
        ecosystem: "local".into(),
        name: "t".into(),
        version: "0".into(),
        spec: "t".into(),
        source: "t".into(),
        digest: String::new(),
        verified: false,
        pinned: true,
        moving: false,
        commit: None,
        artifact: "dir".into(),
        notes: vec![],
    };
    let analysis = crate::analyze::Analysis::default();
    Arc::new(Report::new(
        info,
        &unpacked,
        analysis,
        Default::default(),
        0,
    ))
}

fn state() -> CodeState {
    let pkg = package(&[
        ("a.js", "one\ntwo fetch\nthree\nfour fetch\n"),
        ("b/c.py", "x = 1\nFETCH = 2\n"),
        ("z.txt", "nothing\n"),
    ]);
    let r = report(
        &pkg,
        vec![
            finding("a.js", 2, 5, Severity::Low),
            finding("b/c.py", 2, 1, Severity::High),
            finding("a.js", 4, 6, Severity::Medium),
            finding("gone.js", 1, 1, Severity::Critical),
        ],
    );
    CodeState::new(pkg, r)
}

fn at(s: &CodeState) -> (String, u32) {
    s.cursor_location().unwrap()
}

#[test]
fn opens_the_worst_file_and_walks_findings_across_files() {
    let mut s = state();
    // gone.js is not in the package: b/c.py (high) is the worst shown.
    assert_eq!(at(&s), ("b/c.py".into(), 1));
    // Tree order: b/c.py, a.js, z.txt.
    assert!(s.handle(CodeAction::NextFinding));
    assert_eq!(at(&s), ("b/c.py".into(), 2));
    s.handle(CodeAction::NextFinding);
    assert_eq!(at(&s), ("a.js".into(), 2));
    s.handle(CodeAction::NextFinding);
    assert_eq!(at(&s), ("a.js".into(), 4));
    s.handle(CodeAction::NextFinding);
    assert_eq!(at(&s), ("b/c.py".into(), 2), "wraps around");
    s.handle(CodeAction::PrevFinding);
    assert_eq!(at(&s), ("a.js".into(), 4));
    s.handle(CodeAction::PrevFinding);
    assert_eq!(at(&s), ("a.js".into(), 2));
    // A finding outside the package says so instead of jumping.
    let gone = s
        .report
        .findings
        .iter()
        .position(|f| f.path == "gone.js")
        .unwrap();
    s.jump_to_finding(gone);
    assert_eq!(at(&s), ("a.js".into(), 2));
    assert!(s.message.as_deref().unwrap().contains("not in the package"));
}

#[test]
fn search_is_smart_case_and_crosses_files() {
    let mut s = state();
    s.jump_to("a.js", 1);
    s.handle(CodeAction::StartSearch);
    assert!(s.wants_text_input());
    for c in "fetch".chars() {
        s.input_char(c);
    }
    s.input_submit();
    assert!(!s.wants_text_input());
    assert_eq!(at(&s), ("a.js".into(), 2));
    s.handle(CodeAction::SearchNext);
    assert_eq!(at(&s), ("a.js".into(), 4));
    s.handle(CodeAction::SearchNext);
    assert_eq!(at(&s), ("b/c.py".into(), 2), "case-insensitive: FETCH");
    s.handle(CodeAction::SearchNext);
    assert_eq!(at(&s), ("a.js".into(), 2), "wraps");
    s.handle(CodeAction::SearchPrev);
    assert_eq!(at(&s), ("b/c.py".into(), 2));
    // An upper-case letter makes it case-sensitive.
    s.handle(CodeAction::StartSearch);
    while !s.prompt.as_ref().unwrap().text.is_empty() {
        s.input_backspace();
    }
    for c in "FETCH".chars() {
        s.input_char(c);
    }
    s.input_submit();
    s.handle(CodeAction::SearchNext);
    assert_eq!(at(&s), ("b/c.py".into(), 2));
    // No match is a message, not a move.
    s.handle(CodeAction::StartSearch);
    s.input_char('q');
    s.input_submit();
    assert_eq!(at(&s), ("b/c.py".into(), 2));
    assert!(s.message.as_deref().unwrap().starts_with("no match"));
}

#[test]
fn go_to_line_clamps_and_ignores_non_digits() {
    let mut s = state();
    s.jump_to("a.js", 1);
    s.handle(CodeAction::StartGotoLine);
    for c in "3x".chars() {
        s.input_char(c);
    }
    s.input_submit();
    assert_eq!(at(&s), ("a.js".into(), 3));
    s.handle(CodeAction::StartGotoLine);
    for c in "999".chars() {
        s.input_char(c);
    }
    s.input_submit();
    assert_eq!(at(&s), ("a.js".into(), 4));
    s.handle(CodeAction::StartGotoLine);
    s.input_char('5');
    s.input_cancel();
    assert_eq!(at(&s), ("a.js".into(), 4));
}

#[test]
fn tree_navigation_opens_files_and_folds() {
    let mut s = state();
    s.handle(CodeAction::FocusTree);
    s.handle(CodeAction::Top);
    // Row 0 is the folder b.
    assert!(s.handle(CodeAction::Open));
    assert_eq!(s.tree.rows().len(), 3, "b folded");
    s.handle(CodeAction::Open);
    s.handle(CodeAction::Down);
    s.handle(CodeAction::Open);
    assert_eq!(at(&s).0, "b/c.py");
    assert_eq!(s.focus, Focus::Source);
    s.handle(CodeAction::NextFile);
    assert_eq!(at(&s).0, "a.js");
    s.handle(CodeAction::PrevFile);
    assert_eq!(at(&s).0, "b/c.py");
}

#[test]
fn horizontal_scroll_stops_at_the_longest_visible_line() {
    let long = "x".repeat(5000);
    let pkg = package(&[("l.txt", &format!("short\n{long}\n"))]);
    let r = report(&pkg, vec![]);
    let mut s = CodeState::new(pkg, r);
    s.text_w = 50;
    let mut steps = 0;
    while s.handle(CodeAction::Right) {
        steps += 1;
        assert!(steps < 10_000);
    }
    assert_eq!(s.hscroll, 4992);
    assert!(s.handle(CodeAction::LineStart));
    assert_eq!(s.hscroll, 0);
}
