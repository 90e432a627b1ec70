//! Render snapshots of every screen (80×24 and 160×48) from the demo package's real report,
//! and state tests driven by key strings. No terminal, no network.

use mcpvet::tui::keymap::{Key, Keymap};
use mcpvet::tui::state::{update, Effect, Msg, Opened, QueueItem, Scanned, Screen, Source, State};
use mcpvet::tui::theme::{Depth, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn demo_state(keymap: &str, opened: Opened) -> State {
    let queue = vec![QueueItem::new(
        "mcpvet-demo-weather (demo package)".into(),
        "demo".into(),
        Source::Demo,
    )];
    let mut state = State::new(queue, Keymap::embedded(keymap).unwrap(), "thorough");
    assert_eq!(state.open(0), vec![Effect::Scan(0)]);
    let (info, unpacked) = mcpvet::tui::demo::package();
    let (report, tree) =
        mcpvet::scan::scan_tree(info, unpacked, &mcpvet::progress::NoProgress).unwrap();
    update(
        &mut state,
        Msg::Scanned(
            0,
            Ok(Box::new(Scanned {
                report,
                tree,
                opened,
            })),
        ),
    );
    state.status = None;
    state
}

fn unsaved() -> Opened {
    Opened::NoStore("test: not saved".into())
}

/// Feed a key string ("j j <enter> ?") through the keymap and update.
fn keys(state: &mut State, s: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for k in Key::parse_seq(s).unwrap() {
        fx.extend(update(state, Msg::Key(k)));
    }
    fx
}

fn render(state: &mut State, w: u16, h: u16) -> String {
    let theme = Theme::embedded("dark", Depth::TrueColor).unwrap();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| mcpvet::tui::views::draw(f, state, &theme))
        .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_screen_at_80x24_and_160x48() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut state = demo_state("default", unsaved());
        for (key, screen) in [
            ("2", Screen::Overview),
            ("3", Screen::Code),
            ("4", Screen::Tools),
            ("5", Screen::Deps),
            ("6", Screen::Checklist),
            ("7", Screen::Verdict),
            ("1", Screen::Queue),
        ] {
            keys(&mut state, key);
            assert_eq!(state.screen, screen);
            let text = render(&mut state, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", screen.mode()), text);
        }
        keys(&mut state, "2 ?");
        insta::assert_snapshot!(format!("help_{w}x{h}"), render(&mut state, w, h));
    }
}

#[test]
fn screens_carry_the_analysis() {
    let mut state = demo_state("default", unsaved());
    let overview = render(&mut state, 160, 48);
    assert!(overview.contains("Risk 100/100 critical"), "{overview}");
    let forecast = overview
        .lines()
        .find(|l| l.contains("get_forecast:"))
        .unwrap_or_default();
    assert!(forecast.contains("network to 198.18.7.23"), "{overview}");
    assert!(overview.contains("reads ~/.aws/credentials"), "{overview}");
    keys(&mut state, "4");
    let tools = render(&mut state, 160, 48);
    assert!(
        tools.contains("Get the weather forecast for a city."),
        "{tools}"
    );
    // get_alerts' description: its zero-width character is revealed as a marker.
    keys(&mut state, "j");
    let tools = render(&mut state, 160, 48);
    assert!(tools.contains("⟨U+200B⟩"), "{tools}");
}

#[test]
fn marking_steps_and_recording_a_verdict_by_keys() {
    let mut state = demo_state("default", unsaved());
    // Pass step 1, fail step 2 (the cursor moves on after each mark), then note step 3.
    let fx = keys(&mut state, "6 p f");
    let r = state.review().unwrap();
    let ids: Vec<String> = r.checklist.steps.iter().map(|s| s.id.clone()).collect();
    use mcpvet::review::Outcome;
    use mcpvet::tui::state::AuditEvent;
    assert_eq!(
        fx,
        vec![
            Effect::Save(0),
            Effect::Audit(0, AuditEvent::Step(ids[0].clone(), Some(Outcome::Pass))),
            Effect::Save(0),
            Effect::Audit(0, AuditEvent::Step(ids[1].clone(), Some(Outcome::Fail))),
        ]
    );
    let outcomes = r.session.outcomes();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(
        outcomes.get(&ids[0]).copied(),
        Some(mcpvet::review::Outcome::Pass)
    );
    assert_eq!(
        outcomes.get(&ids[1]).copied(),
        Some(mcpvet::review::Outcome::Fail)
    );
    assert_eq!(r.step, 2);
    keys(&mut state, "e o k <space> t h e n <enter>");
    let r = state.review().unwrap();
    assert_eq!(r.session.steps[&ids[2]].note, "ok then");
    // Movement and the evidence pane.
    keys(&mut state, "k j l");
    assert_eq!(
        state.review().unwrap().checklist_pane,
        mcpvet::tui::state::Pane::Detail
    );
    // Critical band: GO differs from the NO-GO suggestion and needs a reason and an override.
    keys(&mut state, "7 g");
    assert!(state.input.is_some());
    keys(&mut state, "<enter>");
    assert!(state.input.is_some(), "an empty reason is refused");
    keys(&mut state, "w h y <enter>");
    assert!(state.input.is_some(), "then the owner override");
    keys(&mut state, "o w n e r <enter>");
    let v = state.review().unwrap().session.verdict.clone().unwrap();
    assert_eq!(v.verdict, mcpvet::review::Verdict::Go);
    assert_eq!(v.reason.as_deref(), Some("why"));
    assert_eq!(v.override_reason.as_deref(), Some("owner"));
    // NO-GO is what the matrix suggests: recorded at once.
    keys(&mut state, "n");
    let v = state.review().unwrap().session.verdict.clone().unwrap();
    assert_eq!(v.verdict, mcpvet::review::Verdict::NoGo);
    assert!(v.reason.is_none());
    // Esc cancels a prompt; Ctrl-C quits from anywhere with a save.
    keys(&mut state, "s <esc>");
    assert!(state.input.is_none());
    let fx = keys(&mut state, "6 e h a l f <c-c>");
    assert_eq!(fx, vec![Effect::Save(0), Effect::Quit]);
    assert!(state.quit);
    let r = state.review().unwrap();
    let id = r.current_step_id().unwrap();
    assert!(
        r.session.steps[id].note.ends_with("half"),
        "a note being typed survives Ctrl-C"
    );
}

#[test]
fn evidence_and_tool_findings_jump_to_the_code() {
    let mut state = demo_state("default", unsaved());
    // Tools: the first tool's first finding.
    keys(&mut state, "4 l <enter>");
    assert_eq!(state.screen, Screen::Code);
    let r = state.review().unwrap();
    let t = &r.report.tools[0];
    let f = &r.report.findings[t.findings[0]];
    assert_eq!(
        r.code.cursor_location(),
        Some((f.path.clone(), f.line.unwrap()))
    );
    let path = f.path.clone();
    let text = render(&mut state, 80, 24);
    assert!(text.contains(&path), "{text}");
    // Checklist: step 4 (code) evidence.
    keys(&mut state, "6 <home> j j j l <enter>");
    assert_eq!(state.screen, Screen::Code);
    let r = state.review().unwrap();
    let e = &r.evidence[3][0];
    assert_eq!(r.code.cursor_location().map(|(p, _)| p), e.file.clone());
    // Code keys reach the component; a search prompt takes typed text, Esc closes it.
    keys(&mut state, "/ f e t c h");
    assert!(state.review().unwrap().code.wants_text_input());
    keys(&mut state, "<esc>");
    assert!(!state.review().unwrap().code.wants_text_input());
    assert_eq!(state.screen, Screen::Code);
}

#[test]
fn help_and_sequences() {
    let mut state = demo_state("vim", unsaved());
    keys(&mut state, "g k");
    assert_eq!(state.screen, Screen::Checklist);
    keys(&mut state, "g v");
    assert_eq!(state.screen, Screen::Verdict);
    keys(&mut state, "?");
    assert!(state.help);
    let text = render(&mut state, 80, 24);
    assert!(text.contains("Choose GO"), "{text}");
    keys(&mut state, "<esc>");
    assert!(!state.help);
    // A sequence that goes nowhere falls back to its last key.
    keys(&mut state, "g 1");
    assert_eq!(state.screen, Screen::Queue);
}

#[test]
fn a_locked_review_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = mcpvet::review::SessionStore::new(dir.path().to_path_buf());
    let (info, unpacked) = mcpvet::tui::demo::package();
    let (report, _) =
        mcpvet::scan::scan_tree(info, unpacked, &mcpvet::progress::NoProgress).unwrap();
    let first = mcpvet::tui::app::open_session(Some(&store), &report);
    assert!(matches!(first, Opened::Locked(..)));
    let second = mcpvet::tui::app::open_session(Some(&store), &report);
    let Opened::ReadOnly(_, why) = &second else {
        panic!("a second open must be read-only");
    };
    assert!(why.contains("another mcpvet"), "{why}");
    let mut state = demo_state("default", second);
    let fx = keys(&mut state, "6 p");
    assert!(fx.is_empty());
    assert!(state.review().unwrap().session.outcomes().is_empty());
    assert!(state.status.as_ref().unwrap().0.contains("read-only"));
    drop(first);
}

#[test]
fn resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let store = mcpvet::review::SessionStore::new(dir.path().to_path_buf());
    let (info, unpacked) = mcpvet::tui::demo::package();
    let (report, _) =
        mcpvet::scan::scan_tree(info, unpacked, &mcpvet::progress::NoProgress).unwrap();
    let opened = mcpvet::tui::app::open_session(Some(&store), &report);
    let mut state = demo_state("default", opened);
    for fx in keys(&mut state, "6 p p u q") {
        if let Effect::Save(i) = fx {
            store
                .save(&state.queue[i].review.as_ref().unwrap().session)
                .unwrap();
        }
    }
    // Quitting drops the lock with the state.
    drop(state);
    let opened = mcpvet::tui::app::open_session(Some(&store), &report);
    assert!(matches!(opened, Opened::Locked(Some(_), _)));
    let state = demo_state("default", opened);
    assert_eq!(state.screen, Screen::Checklist);
    let r = state.review().unwrap();
    assert_eq!(r.session.outcomes().len(), 3);
    assert_eq!(r.step, 3);
}

fn options_with_home(home: &std::path::Path, specs: Vec<String>) -> mcpvet::tui::Options {
    mcpvet::tui::Options {
        specs,
        fetch: Default::default(),
        deps: Default::default(),
        state_dir: None,
        checklist: "thorough".into(),
        keymap: "default".into(),
        theme: "dark".into(),
        config_dir: None,
        locations: mcpvet::config::Locations {
            home: Some(home.to_path_buf()),
            project: Some(home.join("project")),
            appdata: None,
        },
        record: None,
    }
}

#[test]
fn the_queue_lists_config_servers_or_falls_back_to_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let (queue, errors) =
        mcpvet::tui::app::build_queue(&options_with_home(home.path(), Vec::new()));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(queue.len(), 1);
    assert!(matches!(queue[0].source, Source::Demo));

    std::fs::create_dir_all(home.path().join(".cursor")).unwrap();
    std::fs::write(
        home.path().join(".cursor/mcp.json"),
        r#"{"mcpServers":{"fs":{"command":"npx","args":["-y","some-mcp-server"]},"web":{"url":"http://10.0.0.5/mcp"}}}"#,
    )
    .unwrap();
    let (queue, _) = mcpvet::tui::app::build_queue(&options_with_home(home.path(), Vec::new()));
    let labels: Vec<&str> = queue.iter().map(|q| q.label.as_str()).collect();
    assert_eq!(labels, vec!["fs", "web"]);
    // Unpinned npx and a plain-http internal endpoint carry config-level risk.
    assert!(queue
        .iter()
        .all(|q| q.config_risk.is_some_and(|(s, _)| s > 0)));
    assert_eq!(queue[0].spec.as_deref(), Some("npm:some-mcp-server"));
    let mut state = State::new(queue, Keymap::embedded("default").unwrap(), "quick");
    let text = render(&mut state, 80, 24);
    assert!(
        text.contains("not started") && text.contains("fs"),
        "{text}"
    );
    // Enter starts the background scan of the selected server and shows its progress.
    let fx = keys(&mut state, "j <enter>");
    assert_eq!(fx, vec![Effect::Scan(1)]);
    assert_eq!(state.screen, Screen::Overview);
    update(
        &mut state,
        Msg::Progress(
            1,
            mcpvet::tui::state::Progress {
                stage: Some(mcpvet::progress::Stage::Fetching),
                what: "npm:x".into(),
                bytes: 2048,
                total: Some(4096),
                files_done: 0,
                files_total: 0,
            },
        ),
    );
    let text = render(&mut state, 80, 24);
    assert!(
        text.contains("fetching npm:x") && text.contains("2048 of 4096 bytes"),
        "{text}"
    );
    // A failure is shown, not a crash; keys still work.
    update(
        &mut state,
        Msg::Scanned(1, Err("registry unreachable: GET x".into())),
    );
    let text = render(&mut state, 80, 24);
    assert!(text.contains("scan failed: registry unreachable"), "{text}");
    keys(&mut state, "1");
    assert_eq!(state.screen, Screen::Queue);
}

#[test]
fn hostile_names_are_escaped_in_the_queue() {
    let queue = vec![QueueItem::new(
        "evil\u{1b}]0;pwned\u{7}\u{202e}name".into(),
        "origin\u{1b}[2J".into(),
        Source::Spec("npm:x\u{200b}y".into()),
    )];
    let mut state = State::new(queue, Keymap::embedded("default").unwrap(), "thorough");
    let text = render(&mut state, 160, 10);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\u{200b}'));
    assert!(
        text.contains("evil⟨ESC⟩]0;pwned⟨BEL⟩⟨U+202E⟩name"),
        "{text}"
    );
}

#[test]
fn resolved_dependencies_are_shown_with_their_flags() {
    use mcpvet::deps::{Dependencies, DirectDep, Flag, FlagKind, TransitiveDep};
    let queue = vec![QueueItem::new("demo".into(), "demo".into(), Source::Demo)];
    let mut state = State::new(queue, Keymap::embedded("default").unwrap(), "thorough");
    state.open(0);
    let (info, unpacked) = mcpvet::tui::demo::package();
    let (mut report, tree) =
        mcpvet::scan::scan_tree(info, unpacked, &mcpvet::progress::NoProgress).unwrap();
    let mut d = Dependencies {
        ecosystem: "npm".into(),
        count: 2,
        ..Default::default()
    };
    d.direct.push(DirectDep {
        name: "node-fetch".into(),
        spec: "^3.3.2".into(),
        section: "dependencies".into(),
        resolved: Some("3.3.2".into()),
        flags: vec![Flag::new(FlagKind::Floating, "^3.3.2")],
        path: "package.json".into(),
        line: Some(10),
    });
    d.transitive.push(TransitiveDep {
        name: "data-uri-to-buffer\u{1b}[2J".into(),
        version: "4.0.1".into(),
        spec: "^4.0.0".into(),
        depth: 2,
        via: "node-fetch@3.3.2".into(),
        flags: vec![Flag::new(FlagKind::InstallScript, "postinstall")],
        root: 0,
    });
    d.flags.insert(FlagKind::Floating, 1);
    report.dependencies = Some(d);
    update(
        &mut state,
        Msg::Scanned(
            0,
            Ok(Box::new(Scanned {
                report,
                tree,
                opened: unsaved(),
            })),
        ),
    );
    keys(&mut state, "5");
    let text = render(&mut state, 160, 24);
    assert!(text.contains("1 direct, 2 packages resolved"), "{text}");
    assert!(text.contains("^3.3.2 → 3.3.2 floating"), "{text}");
    assert!(text.contains("data-uri-to-buffer⟨ESC⟩[2J"), "{text}");
    assert!(
        text.contains("via node-fetch@3.3.2 install-script (postinstall)"),
        "{text}"
    );
}

#[test]
fn every_screen_survives_tiny_and_odd_sizes() {
    let mut state = demo_state("default", unsaved());
    for key in [
        "1", "2", "3", "4", "5", "6", "7", "6 l", "4 l", "e", "<esc> ?",
    ] {
        keys(&mut state, key);
        for (w, h) in [
            (1u16, 1u16),
            (2, 3),
            (10, 4),
            (20, 5),
            (40, 8),
            (81, 25),
            (200, 12),
        ] {
            render(&mut state, w, h);
        }
    }
}

#[test]
fn no_color_draws_without_colours_but_marks_the_selection() {
    use ratatui::style::{Color, Modifier};
    let theme = Theme::embedded("dark", Depth::None).unwrap();
    let mut state = demo_state("default", unsaved());
    for key in ["1", "2", "3", "4", "5", "6", "7"] {
        keys(&mut state, key);
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        term.draw(|f| mcpvet::tui::views::draw(f, &mut state, &theme))
            .unwrap();
        let buf = term.backend().buffer();
        for cell in buf.content() {
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "screen {key}: a coloured cell {cell:?}"
            );
        }
        if key == "6" {
            assert!(
                buf.content()
                    .iter()
                    .any(|c| c.modifier.contains(Modifier::REVERSED)),
                "the selected step must stand out without colour"
            );
        }
    }
}

#[test]
fn r_records_the_verdict_signed_in_the_allowlist() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f"])
        .arg(&key)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!("SKIPPED: ssh-keygen is not available");
        return;
    }
    let public = std::fs::read_to_string(dir.path().join("id_ed25519.pub")).unwrap();
    let signers = dir.path().join("allowed_signers");
    std::fs::write(&signers, format!("alice@example.com {public}")).unwrap();
    let target = mcpvet::tui::app::RecordTarget {
        allowlist: dir.path().join("mcp-allowlist.toml"),
        key: mcpvet::allowlist::KeyConfig {
            key: Some(key.display().to_string()),
            principal: Some("alice@example.com".into()),
            allowed_signers: Some(signers),
            git_dir: Some(dir.path().to_path_buf()),
        },
    };
    let mut state = demo_state("default", unsaved());
    // No verdict yet: R says so and records nothing.
    assert!(keys(&mut state, "7 R").is_empty());
    // NO-GO is what the matrix suggests for a critical band: no reason needed.
    keys(&mut state, "6 p p p p p p p p 7 n");
    let fx = keys(&mut state, "R");
    assert_eq!(fx, vec![Effect::Save(0), Effect::Record(0)]);
    let result = mcpvet::tui::app::record_verdict(&state, 0, &target);
    let msg = result.clone().unwrap();
    assert!(msg.contains("recorded no-go"), "{msg}");
    update(&mut state, Msg::Recorded(0, result));
    let text = render(&mut state, 160, 48);
    assert!(text.contains("recorded no-go"), "{text}");
    let list = std::fs::read_to_string(dir.path().join("mcp-allowlist.toml")).unwrap();
    assert!(
        list.contains("mcpvet-demo-weather") && list.contains("no-go"),
        "{list}"
    );
    assert!(list.contains("SSH SIGNATURE"), "{list}");

    // With the allowlist there, review events go to its audit log, chained after the verdict.
    let step =
        mcpvet::tui::state::AuditEvent::Step("code".into(), Some(mcpvet::review::Outcome::Fail));
    mcpvet::tui::app::audit(&state, 0, &step, Some(&target)).unwrap();
    mcpvet::tui::app::audit(
        &state,
        0,
        &mcpvet::tui::state::AuditEvent::Opened,
        Some(&target),
    )
    .unwrap();
    let log = std::fs::read_to_string(dir.path().join(".mcpvet/audit.jsonl")).unwrap();
    let events: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect();
    assert_eq!(events.len(), 4, "{log}");
    assert!(events[2].contains("step"), "{events:?}");
    assert!(events[3].contains("review"), "{events:?}");
    assert!(log.contains("alice@example.com"), "{log}");
}

#[test]
fn review_events_leave_no_audit_log_where_there_is_no_allowlist() {
    let dir = tempfile::tempdir().unwrap();
    let target = mcpvet::tui::app::RecordTarget {
        allowlist: dir.path().join("mcp-allowlist.toml"),
        key: mcpvet::allowlist::KeyConfig {
            key: None,
            principal: Some("alice@example.com".into()),
            allowed_signers: None,
            git_dir: Some(dir.path().to_path_buf()),
        },
    };
    let state = demo_state("default", unsaved());
    mcpvet::tui::app::audit(
        &state,
        0,
        &mcpvet::tui::state::AuditEvent::Opened,
        Some(&target),
    )
    .unwrap();
    assert!(!dir.path().join(".mcpvet").exists());
}
