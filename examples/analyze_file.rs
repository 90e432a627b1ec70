//! Time the analysis of single files: `cargo run --release --example analyze_file -- FILE…`.
//! Prints parse and whole-analysis time and throughput per file (a development aid for the
//! speed budgets of DESIGN §8; the package-level benchmark is bench/corpus.py).

use std::time::Instant;

use mcpvet::analyze::{js, lang};

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let dialect = match lang::guess(&path, &bytes) {
            "javascript" => js::Dialect::JavaScript,
            "typescript" => js::Dialect::TypeScript,
            "tsx" => js::Dialect::Tsx,
            other => {
                eprintln!("{path}: {other} is not analysed by this example");
                continue;
            }
        };
        let mb = bytes.len() as f64 / 1e6;
        let t = Instant::now();
        let trees = js::parse_pieces(&bytes, dialect);
        let parse = t.elapsed().as_secs_f64();
        drop(trees);

        let t = Instant::now();
        let a = js::analyze(&path, &bytes, dialect);
        let whole = t.elapsed().as_secs_f64();
        println!(
            "{path}: {mb:.2} MB  parse {:.0} ms ({:.1} MB/s)  analyze {:.0} ms ({:.1} MB/s)  {} findings {} strings",
            parse * 1e3,
            mb / parse,
            whole * 1e3,
            mb / whole,
            a.findings.len(),
            a.strings.len()
        );
    }
}
