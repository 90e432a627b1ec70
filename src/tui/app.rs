//! The loop: terminal setup and restore (guard + panic hook), one tokio channel for input and
//! worker results, background scans with progress, autosave, OSC 52 copy.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use crossterm::event::{Event as TermEvent, KeyEventKind};
use crossterm::{execute, terminal};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::config::Locations;
use crate::fetch::{FetchOptions, Fetcher};
use crate::progress::Stage;
use crate::review::session::session_key;
use crate::review::{ReviewError, SessionStore};

use super::keymap::{Key, Keymap};
use super::state::{
    update, Effect, Msg, Opened, Progress, QueueItem, Saved, Scanned, Screen, Source, State,
};
use super::theme::{Depth, Theme};

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("the review workstation needs a terminal (stdout is not a TTY); use `mcpvet scan` for output to a file or pipe")]
    NoTerminal,
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// What `mcpvet` / `mcpvet review` asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Specs to review; empty: the MCP client configs found, or the demo package.
    pub specs: Vec<String>,
    pub fetch: FetchOptions,
    /// Dependency resolution for scanned packages (the Deps screen shows the result).
    pub deps: crate::deps::DepOptions,
    /// Where review sessions are kept; `None`: reviews are not saved (and the UI says so).
    pub state_dir: Option<PathBuf>,
    pub checklist: String,
    /// `default` or `vim`.
    pub keymap: String,
    /// `dark`, `light`, `high-contrast` or a user theme name.
    pub theme: String,
    /// `<config dir>/mcpvet`: keymap.toml and themes/ are read from here.
    pub config_dir: Option<PathBuf>,
    /// Where to look for MCP client configs when no spec is given.
    pub locations: Locations,
    /// Where verdicts are recorded (`R` on the Verdict screen) and the signing key.
    pub record: Option<RecordTarget>,
}

/// The allowlist and the reviewer's key.
#[derive(Debug, Clone)]
pub struct RecordTarget {
    pub allowlist: PathBuf,
    pub key: crate::allowlist::KeyConfig,
}

/// Sign and write queue item `i`'s verdict into the allowlist. ssh-keygen may ask for a
/// passphrase on the terminal, so the caller leaves the full-screen mode around this.
pub fn record_verdict(state: &State, i: usize, target: &RecordTarget) -> Result<String, String> {
    let item = state.queue.get(i).ok_or("no such review")?;
    let r = item
        .review
        .as_deref()
        .ok_or("the analysis has not finished")?;
    // Entries are kept under the server's name in MCP configs, else the package name.
    let name = match &item.source {
        Source::Server(s) => s.name.clone(),
        _ => r.report.package.name.clone(),
    };
    let req = crate::allowlist::request_from_session(
        &target.allowlist,
        &name,
        &r.report,
        &r.session,
        crate::allowlist::Recorded::Tui,
        &target.key,
    )
    .map_err(|e| e.to_string())?;
    let entry = crate::allowlist::record(&req).map_err(|e| e.to_string())?;
    Ok(format!(
        "recorded {} for {:?} in {}, signed by {}",
        entry.verdict.as_str(),
        name,
        target.allowlist.display(),
        entry.reviewers.join(", ")
    ))
}

/// Append a review event to the audit log beside the allowlist. Only where the team keeps an
/// allowlist already: opening a review in some other folder leaves no `.mcpvet/` behind.
pub fn audit(
    state: &State,
    i: usize,
    event: &super::state::AuditEvent,
    target: Option<&RecordTarget>,
) -> Result<(), String> {
    let Some(target) = target.filter(|t| t.allowlist.is_file()) else {
        return Ok(());
    };
    let Some(item) = state.queue.get(i) else {
        return Ok(());
    };
    let Some(r) = item.review.as_deref() else {
        return Ok(());
    };
    let name = match &item.source {
        Source::Server(s) => s.name.clone(),
        _ => r.report.package.name.clone(),
    };
    let actor = target.key.actor();
    let result = match event {
        super::state::AuditEvent::Opened => crate::allowlist::log_review_opened(
            &target.allowlist,
            &name,
            &actor,
            &r.report,
            &r.session.checklist,
        ),
        super::state::AuditEvent::Step(step, outcome) => {
            crate::allowlist::log_step_marked(&target.allowlist, &name, &actor, step, *outcome)
        }
    };
    result.map_err(|e| e.to_string())
}

/// Restores the terminal when dropped (normal exit, error, or unwinding panic).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            crossterm::cursor::Hide
        )?;
        Ok(guard)
    }
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Everything the loop hears about.
pub enum Event {
    Input(TermEvent),
    Msg(Msg),
}

/// Forwards a scan's progress to the loop (throttled: stages, every 64 KiB, every file batch).
struct ChannelProgress {
    index: usize,
    tx: UnboundedSender<Event>,
    current: Mutex<(Progress, u64)>,
}

impl ChannelProgress {
    fn send(&self, p: &Progress) {
        let _ = self
            .tx
            .send(Event::Msg(Msg::Progress(self.index, p.clone())));
    }
}

impl crate::progress::Progress for ChannelProgress {
    fn stage(&self, stage: Stage, what: &str) {
        if let Ok(mut cur) = self.current.lock() {
            cur.0.stage = Some(stage);
            cur.0.what = what.to_string();
            self.send(&cur.0);
        }
    }
    fn bytes(&self, _url: &str, received: u64, total: Option<u64>) {
        if let Ok(mut cur) = self.current.lock() {
            cur.0.bytes = received;
            cur.0.total = total;
            if received >= cur.1 + 64 * 1024 || Some(received) == total {
                cur.1 = received;
                self.send(&cur.0);
            }
        }
    }
    fn files(&self, done: usize, total: usize) {
        if let Ok(mut cur) = self.current.lock() {
            cur.0.files_done = done;
            cur.0.files_total = total;
            self.send(&cur.0);
        }
    }
}

/// The queue for these options: the specs, else the configs' servers, else the demo.
/// Returns the queue and messages (config files that did not load).
pub fn build_queue(opts: &Options) -> (Vec<QueueItem>, Vec<String>) {
    let mut errors = Vec::new();
    let mut queue = Vec::new();
    if !opts.specs.is_empty() {
        for s in &opts.specs {
            let source = if s == super::demo::SPEC || s == "demo" {
                Source::Demo
            } else {
                Source::Spec(s.clone())
            };
            queue.push(QueueItem::new(s.clone(), "command line".into(), source));
        }
        return (queue, errors);
    }
    let found = crate::config::discover_and_load(&opts.locations);
    for e in &found.errors {
        errors.push(e.to_string());
    }
    for f in found.files {
        for s in f.servers {
            let origin = format!("{} {}", f.client.as_str(), f.path);
            queue.push(QueueItem::new(
                s.name.clone(),
                origin,
                Source::Server(Box::new(s)),
            ));
        }
    }
    if queue.is_empty() {
        queue.push(QueueItem::new(
            "mcpvet-demo-weather (demo package)".into(),
            "no MCP client config found on this machine: the demo shipped with mcpvet".into(),
            Source::Demo,
        ));
    }
    (queue, errors)
}

/// Mark queue items whose spec has a saved session (status before any scan).
pub fn mark_saved(queue: &mut [QueueItem], store: &SessionStore) {
    let Ok(list) = store.list() else {
        return;
    };
    for saved in list {
        let Ok(s) = saved.session else { continue };
        for item in queue.iter_mut() {
            let spec = match &item.source {
                Source::Demo => Some(super::demo::SPEC.to_string()),
                _ => item.spec.clone(),
            };
            if spec.as_deref() == Some(s.spec.as_str()) {
                item.saved = Some(Saved {
                    answered: s.outcomes().len(),
                    verdict: s.verdict.as_ref().map(|v| v.verdict),
                });
            }
        }
    }
}

/// Open (lock) the session for a scanned report.
pub fn open_session(store: Option<&SessionStore>, report: &crate::report::Report) -> Opened {
    let Some(store) = store else {
        return Opened::NoStore("no state directory: this review is not saved".into());
    };
    let p = &report.package;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let key = session_key(
        &p.name,
        opt(&p.version).as_deref(),
        opt(&p.digest).as_deref(),
    );
    match store.open(&key) {
        Ok((session, lock)) => Opened::Locked(session, lock),
        Err(e @ ReviewError::Locked { .. }) => {
            let saved = store.load(&key).ok().flatten();
            Opened::ReadOnly(saved, e.to_string())
        }
        Err(e) => Opened::NoStore(format!("{e}; this review is not saved")),
    }
}

/// Keymap and theme for the options; errors become status messages.
pub fn load_look(opts: &Options, depth: Depth) -> (Keymap, Theme, Vec<String>) {
    let user_keymap = opts.config_dir.as_ref().map(|d| d.join("keymap.toml"));
    let (keymap, mut errors) = Keymap::load(&opts.keymap, user_keymap.as_deref());
    let themes_dir = opts.config_dir.as_ref().map(|d| d.join("themes"));
    let (theme, theme_errors) = Theme::load(&opts.theme, themes_dir.as_deref(), depth);
    errors.extend(theme_errors);
    (keymap, theme, errors)
}

/// Run the workstation until the reviewer quits.
pub fn run(opts: Options) -> Result<(), TuiError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(TuiError::NoTerminal);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (keymap, theme, mut errors) = load_look(&opts, Depth::from_env());
    let store = opts.state_dir.clone().map(SessionStore::new);
    let (mut queue, config_errors) = build_queue(&opts);
    errors.extend(config_errors);
    if let Some(store) = &store {
        mark_saved(&mut queue, store);
    }
    let mut state = State::new(queue, keymap, &opts.checklist);
    if let Some(e) = errors.first() {
        let more = if errors.len() > 1 {
            format!(" (+{} more)", errors.len() - 1)
        } else {
            String::new()
        };
        state.error(format!("{e}{more}"));
    }
    let mut initial = Vec::new();
    if state.queue.len() == 1 {
        initial = state.open(0);
    }

    // Restore the terminal on panic before the message is printed.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    let guard = TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop(&mut state, &theme, &opts, store, initial));
    drop(guard);
    let _ = std::panic::take_hook();
    result
}

async fn event_loop(
    state: &mut State,
    theme: &Theme,
    opts: &Options,
    store: Option<SessionStore>,
    initial: Vec<Effect>,
) -> Result<(), TuiError> {
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let (tx, mut rx) = unbounded_channel::<Event>();
    // Terminal input on its own thread: crossterm's reads block.
    let input_tx = tx.clone();
    std::thread::spawn(move || loop {
        match crossterm::event::poll(Duration::from_millis(200)) {
            Ok(true) => match crossterm::event::read() {
                Ok(ev) => {
                    if input_tx.send(Event::Input(ev)).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            },
            Ok(false) => {
                if input_tx.is_closed() {
                    break;
                }
            }
            Err(_) => break,
        }
    });
    let store = store.map(Arc::new);
    // Autosaves run in order on their own thread (a write + rename + fsync can take longer
    // than a frame); failures come back as status messages. Joined before returning.
    let (save_tx, save_rx) = std::sync::mpsc::channel::<crate::review::Session>();
    let saver = {
        let store = store.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for session in save_rx {
                if let Some(store) = &store {
                    if let Err(e) = store.save(&session) {
                        let _ = tx.send(Event::Msg(Msg::Status(
                            format!("autosave failed: {e}"),
                            true,
                        )));
                    }
                }
            }
        })
    };
    let result = run_loop(
        state, theme, opts, store, initial, &mut term, tx, &mut rx, save_tx,
    )
    .await;
    let _ = saver.join();
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    state: &mut State,
    theme: &Theme,
    opts: &Options,
    store: Option<Arc<SessionStore>>,
    initial: Vec<Effect>,
    term: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    tx: UnboundedSender<Event>,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    save_tx: std::sync::mpsc::Sender<crate::review::Session>,
) -> Result<(), TuiError> {
    term.draw(|f| super::views::draw(f, state, theme))?;
    let mut effects = initial;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let mut quit = false;
        for fx in effects.drain(..) {
            match fx {
                Effect::Scan(i) => spawn_scan(i, state, opts, store.clone(), tx.clone()),
                Effect::Save(i) => {
                    if store.is_none() {
                        continue;
                    }
                    if let Some(r) = state.queue.get(i).and_then(|q| q.review.as_deref()) {
                        if r.writable() {
                            let _ = save_tx.send(r.session.clone());
                        }
                    }
                }
                Effect::Copy(text) => {
                    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                    let mut out = std::io::stdout();
                    let _ = write!(out, "\x1b]52;c;{b64}\x07");
                    let _ = out.flush();
                }
                Effect::Audit(i, event) => {
                    if let Err(e) = audit(state, i, &event, opts.record.as_ref()) {
                        state.error(format!("audit log: {e}"));
                        term.draw(|f| super::views::draw(f, state, theme))?;
                    }
                }
                Effect::Record(i) => {
                    let result = match &opts.record {
                        None => Err("no allowlist location (run mcpvet inside a repository or pass --allowlist)".into()),
                        Some(target) => {
                            // Let the pending autosave land, then leave full-screen mode:
                            // ssh-keygen may ask for the key's passphrase.
                            restore_terminal();
                            println!("mcpvet: recording the verdict in {} …", target.allowlist.display());
                            let r = record_verdict(state, i, target);
                            terminal::enable_raw_mode()?;
                            execute!(std::io::stdout(), terminal::EnterAlternateScreen, crossterm::cursor::Hide)?;
                            term.clear()?;
                            r
                        }
                    };
                    let _ = update(state, Msg::Recorded(i, result));
                    term.draw(|f| super::views::draw(f, state, theme))?;
                }
                Effect::Quit => quit = true,
            }
        }
        if quit {
            break;
        }
        // Ticks only matter while the Code screen may have background highlighting to collect.
        let ev = tokio::select! {
            ev = rx.recv() => ev,
            _ = tick.tick() => {
                if state.screen == Screen::Code
                    && state.review_mut().is_some_and(|r| r.code.poll())
                {
                    term.draw(|f| super::views::draw(f, state, theme))?;
                }
                continue;
            }
        };
        let Some(ev) = ev else { break };
        let mut batch = vec![ev];
        while let Ok(ev) = rx.try_recv() {
            batch.push(ev);
        }
        let mut changed = false;
        for ev in batch {
            let msg = match ev {
                Event::Input(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                    match Key::from_crossterm(&k) {
                        Some(key) => Msg::Key(key),
                        None => continue,
                    }
                }
                Event::Input(TermEvent::Resize(_, _)) => Msg::Resize,
                Event::Input(_) => continue,
                Event::Msg(m) => m,
            };
            if matches!(msg, Msg::Key(_)) {
                // A key press replaces the last message.
                state.status = state.status.take().filter(|_| false);
            }
            effects.extend(update(state, msg));
            changed = true;
        }
        if changed {
            term.draw(|f| super::views::draw(f, state, theme))?;
        }
    }
    Ok(())
}

fn spawn_scan(
    i: usize,
    state: &State,
    opts: &Options,
    store: Option<Arc<SessionStore>>,
    tx: UnboundedSender<Event>,
) {
    let Some(item) = state.queue.get(i) else {
        return;
    };
    let demo = matches!(item.source, Source::Demo);
    let spec = item.spec.clone();
    let fetch = opts.fetch.clone();
    let deps = opts.deps.clone();
    tokio::spawn(async move {
        let progress = Arc::new(ChannelProgress {
            index: i,
            tx: tx.clone(),
            current: Mutex::new((Progress::default(), 0)),
        });
        let result = if demo {
            let p = progress.clone();
            tokio::task::spawn_blocking(move || {
                let (info, unpacked) = super::demo::package();
                crate::scan::scan_tree(info, unpacked, &*p).map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(format!("analysis failed: {e}")))
        } else {
            match (spec, Fetcher::new(fetch)) {
                (Some(spec), Ok(fetcher)) => {
                    let fetcher = fetcher.with_progress(progress.clone());
                    crate::scan::scan_progress(&fetcher, &spec, &deps, &*progress)
                        .await
                        .map_err(|e| format!("{spec}: {e}"))
                }
                (None, _) => Err("nothing to fetch".into()),
                (_, Err(e)) => Err(e.to_string()),
            }
        };
        let msg = match result {
            Ok((report, tree)) => {
                let opened = tokio::task::spawn_blocking(move || {
                    let o = open_session(store.as_deref(), &report);
                    (report, o)
                })
                .await;
                match opened {
                    Ok((report, opened)) => Msg::Scanned(
                        i,
                        Ok(Box::new(Scanned {
                            report,
                            tree,
                            opened,
                        })),
                    ),
                    Err(e) => Msg::Scanned(i, Err(format!("opening the review failed: {e}"))),
                }
            }
            Err(e) => Msg::Scanned(i, Err(e)),
        };
        let _ = tx.send(Event::Msg(msg));
    });
}
