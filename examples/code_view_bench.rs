//! Code screen benchmark: drives the state → update → render path on generated files and prints
//! per-key times (p50/p99/max). Run: `cargo run --release --example code_view_bench`.
//!
//! - a 7.9 MB single-line bundle (generated from repeated JavaScript): open, then Right ×100,
//!   both while its tree is being parsed in the background (plain text) and once coloured;
//! - a 100,000-line file: PageDown ×200;
//! - a 30,000-line file: Bottom then Top, ×50.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcpvet::archive::{PackageFile, PackageTree, Unpacked};
use mcpvet::fetch::PackageInfo;
use mcpvet::report::Report;
use mcpvet::tui::code::{CodeAction, CodeState, CodeStyles};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn bundle(target: usize) -> String {
    let mut s = String::with_capacity(target + 200);
    let mut i = 0u64;
    while s.len() < target {
        s.push_str(&format!(
            "function f{i}(a,b){{var c=a+b*{i};if(c>{i}){{return \"s{i}\"+c}}return c}}var v{i}=f{i}({i},2),o{i}={{k:\"v{i}\",n:{i}}};"
        ));
        i += 1;
    }
    s
}

fn many_lines(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        match i % 5 {
            0 => s.push_str(&format!("function handler{i}(req, res) {{\n")),
            1 => s.push_str(&format!(
                "  const url = \"https://example.test/{i}\"; // call {i}\n"
            )),
            2 => s.push_str(&format!(
                "  return fetch(url).then((r) => r.json() + {i});\n"
            )),
            3 => s.push_str("}\n"),
            _ => s.push_str(&format!("export const value{i} = [{i}, {i}.5, 'x{i}'];\n")),
        }
    }
    s
}

fn state(files: Vec<(&str, String)>) -> CodeState {
    let mut t = PackageTree::new();
    for (p, text) in files {
        let size = text.len() as u64;
        t.insert(
            p,
            PackageFile {
                bytes: text.into_bytes(),
                size,
                truncated: false,
                executable: false,
            },
        );
    }
    let unpacked = Unpacked {
        tree: t.clone(),
        findings: vec![],
        entries: t.len(),
    };
    let info = PackageInfo {
        ecosystem: "local".into(),
        name: "bench".into(),
        version: "0".into(),
        spec: "bench".into(),
        source: "bench".into(),
        digest: String::new(),
        verified: false,
        pinned: true,
        moving: false,
        commit: None,
        artifact: "dir".into(),
        notes: vec![],
    };
    // Findings from the real analysis, so the overlay is part of what is measured.
    let analysis = mcpvet::analyze::analyze(&t);
    let report = Report::new(info, &unpacked, analysis, Default::default(), 0);
    CodeState::new(Arc::new(t), Arc::new(report))
}

struct Bench {
    term: Terminal<TestBackend>,
    styles: CodeStyles,
}

impl Bench {
    fn frame(&mut self, s: &mut CodeState) {
        let styles = &self.styles;
        self.term
            .draw(|f| s.render(f, f.area(), styles))
            .expect("draw");
    }
    /// One key: update, then redraw (as the app loop does when the state changed).
    fn key(&mut self, s: &mut CodeState, a: CodeAction) -> Duration {
        let t = Instant::now();
        s.handle(a);
        self.frame(s);
        t.elapsed()
    }
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<46} n={:<4} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        v.len(),
        ms(p(0.5)),
        ms(p(0.99)),
        ms(v[v.len() - 1])
    );
}

fn wait_colours(s: &mut CodeState) -> Duration {
    let t = Instant::now();
    while !s.poll() {
        if t.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    t.elapsed()
}

fn main() {
    let mut b = Bench {
        term: Terminal::new(TestBackend::new(160, 48)).expect("terminal"),
        styles: CodeStyles::default(),
    };
    println!(
        "Code screen, 160x48, {} build",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );

    // 1. 7.9 MB single-line bundle.
    let text = bundle(7_900_000);
    let bytes = text.len();
    let t = Instant::now();
    let mut s = state(vec![("dist/bundle.js", text)]);
    println!(
        "bundle: {bytes} bytes, one line; state + analysis {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    s.jump_to("dist/bundle.js", 1);
    b.frame(&mut s);
    println!(
        "  open + first frame (plain while parsing): {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let v: Vec<Duration> = (0..100).map(|_| b.key(&mut s, CodeAction::Right)).collect();
    report("  Right x100 while parsing (plain)", v);
    let parse = wait_colours(&mut s);
    println!(
        "  background parse finished after a further {:.0} ms",
        parse.as_secs_f64() * 1e3
    );
    let t = Instant::now();
    b.frame(&mut s);
    println!(
        "  first coloured frame: {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    s.handle(CodeAction::LineStart);
    let v: Vec<Duration> = (0..100).map(|_| b.key(&mut s, CodeAction::Right)).collect();
    report("  Right x100 coloured", v);
    // Far into the line: go-to via search of a late identifier, then scroll there.
    let t = Instant::now();
    s.handle(CodeAction::StartSearch);
    for c in "f90000(".chars() {
        s.input_char(c);
    }
    s.input_submit();
    b.frame(&mut s);
    println!(
        "  search to column ~{}: {:.3} ms",
        90_000 * 80,
        t.elapsed().as_secs_f64() * 1e3
    );
    let v: Vec<Duration> = (0..100).map(|_| b.key(&mut s, CodeAction::Right)).collect();
    report("  Right x100 deep in the line", v);
    drop(s);

    // 2. 100,000-line file.
    let mut s = state(vec![("src/big.js", many_lines(100_000))]);
    s.jump_to("src/big.js", 1);
    b.frame(&mut s);
    let v: Vec<Duration> = (0..200)
        .map(|_| b.key(&mut s, CodeAction::PageDown))
        .collect();
    report("100k lines: PageDown x200 while parsing", v);
    let parse = wait_colours(&mut s);
    println!(
        "  background parse finished after a further {:.0} ms",
        parse.as_secs_f64() * 1e3
    );
    s.handle(CodeAction::Top);
    let v: Vec<Duration> = (0..200)
        .map(|_| b.key(&mut s, CodeAction::PageDown))
        .collect();
    report("100k lines: PageDown x200 coloured", v);
    drop(s);

    // 3. 30,000-line file: Bottom then Top.
    let mut s = state(vec![("src/mid.js", many_lines(30_000))]);
    s.jump_to("src/mid.js", 1);
    b.frame(&mut s);
    let parse = wait_colours(&mut s);
    println!(
        "30k lines: background parse {:.0} ms",
        parse.as_secs_f64() * 1e3
    );
    let mut bottom = Vec::new();
    let mut top = Vec::new();
    for _ in 0..50 {
        bottom.push(b.key(&mut s, CodeAction::Bottom));
        top.push(b.key(&mut s, CodeAction::Top));
    }
    report("30k lines: Bottom (coloured)", bottom);
    report("30k lines: Top (coloured)", top);
    let mut gl = Vec::new();
    for i in 0..50 {
        let t = Instant::now();
        s.jump_to("src/mid.js", 29_999 - i * 600);
        b.frame(&mut s);
        gl.push(t.elapsed());
    }
    report("30k lines: jump_to scattered lines", gl);
}
