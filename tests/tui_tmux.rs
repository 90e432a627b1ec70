//! End-to-end: the real binary in a detached tmux session at 80×24. Starts on a fixture
//! package (written here, with terminal escape sequences in a source file and in a tool
//! description), moves between screens, marks checklist steps, quits, restarts and finds the
//! review resumed; a second mcpvet on the same review is read-only; the pane title is never
//! changed by package text. Skips (with a message) only when tmux is not installed;
//! `.ci/run` installs it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Option<Tmux> {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            return None;
        }
        Some(Tmux {
            socket: format!("mcpvet-test-{}", std::process::id()),
        })
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start(&self, name: &str, command: &str) {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
            ])
            .args(["-s", name, command])
            .output()
            .expect("tmux starts");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn alive(&self, name: &str) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session", "-t", name])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn keys(&self, name: &str, keys: &[&str]) {
        // `-l` as the first item sends the rest literally.
        if keys.first() == Some(&"-l") {
            let mut args = vec!["send-keys", "-t", name, "-l"];
            args.extend(&keys[1..]);
            self.run(&args);
            return;
        }
        for k in keys {
            self.run(&["send-keys", "-t", name, k]);
        }
    }

    fn screen(&self, name: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", name])
    }

    fn title(&self, name: &str) -> String {
        self.run(&["display-message", "-p", "-t", name, "#{pane_title}"])
            .trim()
            .to_string()
    }

    /// Poll until `pred` holds for the pane's text (or the title), or fail after 30 s.
    fn wait(&self, name: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen(name);
            if pred(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {what}; the pane shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_text(&self, name: &str, text: &str) -> String {
        self.wait(name, text, |s| s.contains(text))
    }

    fn wait_gone(&self, name: &str) {
        let start = Instant::now();
        while self.alive(name) {
            if start.elapsed() > Duration::from_secs(30) {
                panic!("{name} did not exit:\n{}", self.screen(name));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J";

fn write_fixture(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"escape-fixture","version":"0.1.0","main":"index.js","dependencies":{"@modelcontextprotocol/sdk":"^1.0.0"}}"#,
    )
    .unwrap();
    let js = format!(
        "// banner {HOSTILE} end of banner\n\
         const {{ McpServer }} = require(\"@modelcontextprotocol/sdk/server/mcp.js\");\n\
         const server = new McpServer({{ name: \"fixture\", version: \"0.1.0\" }});\n\
         server.tool(\"lookup\", \"Looks things up {HOSTILE} quietly\", {{}}, async () => {{\n\
         \x20 const r = await fetch(\"https://example.com/api\");\n\
         \x20 return {{ content: [{{ type: \"text\", text: await r.text() }}] }};\n\
         }});\n"
    );
    std::fs::write(dir.join("index.js"), js).unwrap();
}

#[test]
fn review_in_tmux_resumes_and_package_text_cannot_touch_the_terminal() {
    let Some(tmux) = Tmux::new() else {
        println!("SKIPPED: tmux is not installed (.ci/run installs it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("escape-fixture");
    write_fixture(&pkg);
    let bin = env!("CARGO_BIN_EXE_mcpvet");
    let t = tmp.path().display();
    let command = format!(
        "env HOME={t} XDG_CONFIG_HOME={t}/config XDG_STATE_HOME={t}/state-home \
         MCPVET_STATE_DIR={t}/reviews MCPVET_CACHE_DIR={t}/cache MCPVET_CONFIG={t}/none.toml \
         {bin} review {}",
        pkg.display()
    );

    // The check below means something: a raw OSC 0 printed in a pane does change its title.
    tmux.start("probe", "printf '\\033]0;pwned\\007'; sleep 30");
    let start = Instant::now();
    while tmux.title("probe") != "pwned" && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(tmux.title("probe"), "pwned", "tmux must honour OSC 0 here");
    tmux.run(&["kill-session", "-t", "probe"]);

    tmux.start("a", &command);
    let title = tmux.title("a");
    assert_ne!(title, "pwned");
    tmux.wait_text("a", "Risk ");
    // Tools: the description is shown with its escapes as markers.
    tmux.keys("a", &["4"]);
    let s = tmux.wait_text("a", "Looks things up");
    assert!(s.contains("⟨ESC⟩"), "{s}");
    // Code: the source line with the escapes.
    tmux.keys("a", &["3"]);
    let s = tmux.wait_text("a", "banner");
    assert!(s.contains("⟨ESC⟩]0;pwned⟨BEL⟩"), "{s}");
    // ESC[2J did not clear the screen: the tab bar and the file tree are still drawn.
    assert!(s.contains("Overview") && s.contains("index.js"), "{s}");
    // Checklist: mark two steps.
    tmux.keys("a", &["6", "p", "f"]);
    tmux.wait_text("a", "2/8 answered");
    assert_eq!(
        tmux.title("a"),
        title,
        "package text changed the pane title"
    );

    // A second mcpvet on the same review is told and cannot write.
    tmux.start("b", &command);
    tmux.wait_text("b", "read-only");
    tmux.keys("b", &["6", "u"]);
    tmux.wait_text("b", "read-only");
    tmux.keys("b", &["q"]);
    tmux.wait_gone("b");

    tmux.keys("a", &["q"]);
    tmux.wait_gone("a");

    // Restart: resumed on the Checklist with both answers.
    tmux.start("c", &command);
    let s = tmux.wait_text("c", "2/8 answered");
    assert!(s.contains("Checklist"), "{s}");
    // Not every step is answered, so the matrix says escalate: NO-GO needs a reason.
    tmux.keys("c", &["7", "n"]);
    tmux.wait_text("c", "Reason for NO-GO");
    tmux.keys("c", &["-l", "too risky"]);
    tmux.keys("c", &["Enter"]);
    tmux.wait_text("c", "chosen     NO-GO");
    tmux.keys("c", &["C-c"]);
    tmux.wait_gone("c");

    // The session file holds it all.
    let sessions: Vec<_> = std::fs::read_dir(tmp.path().join("reviews"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let text = std::fs::read_to_string(sessions[0].path()).unwrap();
    assert!(
        text.contains("\"no-go\"") && text.contains("too risky"),
        "{text}"
    );
    assert!(
        text.contains("\"pass\"") && text.contains("\"fail\""),
        "{text}"
    );
}

#[test]
fn without_a_terminal_it_says_so_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpvet"))
        .arg("review")
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
}
