//! TUI timing on the demo package: first frame (queue, keymap, theme, state, draw; before the
//! analysis ends) and key → redraw (update + full draw) on every screen at 80×24 and 160×48.
//!
//! `cargo run --release --example tui_bench` — budgets (DESIGN §8): first frame < 100 ms,
//! key → redraw < 16 ms.

use std::time::{Duration, Instant};

use mcpvet::tui::keymap::Key;
use mcpvet::tui::state::{update, Msg, Opened, Scanned, State};
use mcpvet::tui::theme::{Depth, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn options() -> mcpvet::tui::Options {
    mcpvet::tui::Options {
        specs: vec!["demo".into()],
        fetch: Default::default(),
        deps: Default::default(),
        state_dir: None,
        checklist: "thorough".into(),
        keymap: "default".into(),
        theme: "dark".into(),
        config_dir: None,
        locations: mcpvet::config::Locations::from_env(),
        record: None,
    }
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let pct = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    println!(
        "{name:<34} n={:<5} median {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        v.len(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    // First frame: everything `run` does before drawing, then the draw.
    let mut firsts = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let opts = options();
        let (keymap, theme, _) = mcpvet::tui::app::load_look(&opts, Depth::TrueColor);
        let (queue, _) = mcpvet::tui::app::build_queue(&opts);
        let mut state = State::new(queue, keymap, &opts.checklist);
        let _ = state.open(0);
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        term.draw(|f| mcpvet::tui::views::draw(f, &mut state, &theme))
            .unwrap();
        firsts.push(t0.elapsed());
    }
    stats("first frame (80x24, before analysis)", firsts);

    let t0 = Instant::now();
    let (info, unpacked) = mcpvet::tui::demo::package();
    let (report, tree) =
        mcpvet::scan::scan_tree(info, unpacked, &mcpvet::progress::NoProgress).unwrap();
    println!(
        "demo analysis (off the loop)       {:>8.3} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );

    let theme = Theme::embedded("dark", Depth::TrueColor).unwrap();
    let script = "2 j j k 3 j j G <pgup> ] f ] f [ f t j <enter> 4 j l j <enter> 4 h k 5 j \
                  6 j l j <enter> 6 h p f u n k k 7 <pgdn> ? j k ? 1 j k";
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let opts = options();
        let (keymap, _, _) = mcpvet::tui::app::load_look(&opts, Depth::TrueColor);
        let (queue, _) = mcpvet::tui::app::build_queue(&opts);
        let mut state = State::new(queue, keymap, "thorough");
        let _ = state.open(0);
        update(
            &mut state,
            Msg::Scanned(
                0,
                Ok(Box::new(Scanned {
                    report: report.clone(),
                    tree: tree.clone(),
                    opened: Opened::NoStore("bench".into()),
                })),
            ),
        );
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| mcpvet::tui::views::draw(f, &mut state, &theme))
            .unwrap();
        let keys = Key::parse_seq(script).unwrap();
        let mut times = Vec::new();
        let mut slowest = (Duration::ZERO, String::new(), 0);
        for round in 0..20 {
            for k in &keys {
                let t = Instant::now();
                let _ = update(&mut state, Msg::Key(*k));
                term.draw(|f| mcpvet::tui::views::draw(f, &mut state, &theme))
                    .unwrap();
                let e = t.elapsed();
                if e > slowest.0 {
                    slowest = (e, k.display(), round);
                }
                times.push(e);
            }
            // Back to a known place; clear what the script marked.
            for k in Key::parse_seq("6 <home> x j x j x j x 2").unwrap() {
                let _ = update(&mut state, Msg::Key(k));
            }
        }
        stats(&format!("key -> redraw ({w}x{h})"), times);
        println!(
            "  slowest: key {:?} in round {} ({:.3} ms)",
            slowest.1,
            slowest.2,
            slowest.0.as_secs_f64() * 1e3
        );
    }
}
