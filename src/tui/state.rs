//! The TUI's state and its one update function: `update(&mut State, Msg) -> Vec<Effect>`.
//! Nothing here draws or touches the terminal; workers' results arrive as messages.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::archive::PackageTree;
use crate::finding::Severity;
use crate::progress::Stage;
use crate::report::Report;
use crate::review::checklist::{self, Checklist, Evidence, Outcome};
use crate::review::decision::{self, Suggestion, Verdict};
use crate::review::session::Session;
use crate::review::SessionLock;

use super::action::Action;
use super::code::{CodeAction, CodeState};
use super::deps::Deps;
use super::keymap::{Key, KeyCode, Keymap, Resolved};

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Overview,
    Code,
    Tools,
    Deps,
    Checklist,
    Verdict,
}

pub const SCREENS: &[Screen] = &[
    Screen::Queue,
    Screen::Overview,
    Screen::Code,
    Screen::Tools,
    Screen::Deps,
    Screen::Checklist,
    Screen::Verdict,
];

impl Screen {
    pub fn mode(self) -> &'static str {
        match self {
            Screen::Queue => "queue",
            Screen::Overview => "overview",
            Screen::Code => "code",
            Screen::Tools => "tools",
            Screen::Deps => "deps",
            Screen::Checklist => "checklist",
            Screen::Verdict => "verdict",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Screen::Queue => "Queue",
            Screen::Overview => "Overview",
            Screen::Code => "Code",
            Screen::Tools => "Tools",
            Screen::Deps => "Deps",
            Screen::Checklist => "Checklist",
            Screen::Verdict => "Verdict",
        }
    }

    pub fn from_mode(s: &str) -> Option<Screen> {
        SCREENS.iter().copied().find(|sc| sc.mode() == s)
    }
}

/// Where a queue item comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A spec as typed (`mcpvet review SPEC`).
    Spec(String),
    /// A server of an MCP client config.
    Server(Box<crate::config::ServerEntry>),
    /// The demo package shipped in `assets/demo`.
    Demo,
}

/// What the background scan of an item is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub stage: Option<Stage>,
    pub what: String,
    pub bytes: u64,
    pub total: Option<u64>,
    pub files_done: usize,
    pub files_total: usize,
}

#[derive(Debug, Default)]
pub enum Job {
    #[default]
    Idle,
    Running(Progress),
    Failed(String),
    Done,
}

/// How far a saved review got (from the session store, before or without a scan).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    pub answered: usize,
    pub verdict: Option<Verdict>,
}

pub struct QueueItem {
    pub label: String,
    /// Where it was found ("claude-desktop ~/.config/…", "command line", "demo").
    pub origin: String,
    pub source: Source,
    /// The spec the scan uses, when there is one.
    pub spec: Option<String>,
    /// Config-level risk (servers only): score and band.
    pub config_risk: Option<(u32, Severity)>,
    pub job: Job,
    pub saved: Option<Saved>,
    pub review: Option<Box<Review>>,
}

impl QueueItem {
    pub fn new(label: String, origin: String, source: Source) -> QueueItem {
        let spec = match &source {
            Source::Spec(s) => Some(s.clone()),
            Source::Server(s) => s.spec.as_ref().map(|sp| sp.to_string()),
            Source::Demo => None,
        };
        let config_risk = match &source {
            Source::Server(s) => {
                let rules = crate::provenance::Rules::embedded().ok();
                let r = crate::scan::config_report(s, rules.as_ref());
                Some((r.risk.score, r.risk.band))
            }
            _ => None,
        };
        QueueItem {
            label,
            origin,
            source,
            spec,
            config_risk,
            job: Job::Idle,
            saved: None,
            review: None,
        }
    }

    /// "not started", "in progress 3/8", "verdict GO"…
    pub fn status(&self) -> String {
        let (answered, total, verdict) = match &self.review {
            Some(r) => (
                r.session.outcomes().len(),
                Some(r.checklist.steps.len()),
                r.session.verdict.as_ref().map(|v| v.verdict),
            ),
            None => match &self.saved {
                Some(s) => (s.answered, None, s.verdict),
                None => (0, None, None),
            },
        };
        if let Some(v) = verdict {
            return format!("verdict {}", verdict_label(v));
        }
        if let Job::Running(p) = &self.job {
            return format!("{}…", p.stage.map_or("starting", Stage::as_str));
        }
        if let Job::Failed(_) = &self.job {
            return "scan failed".into();
        }
        if answered > 0 {
            return match total {
                Some(t) => format!("in progress {answered}/{t}"),
                None => format!("in progress {answered}"),
            };
        }
        "not started".into()
    }
}

pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Go => "GO",
        Verdict::NoGo => "NO-GO",
        Verdict::Sandbox => "SANDBOX",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    List,
    Detail,
}

/// One package under review: its report and tree, the checklist and the reviewer's session.
pub struct Review {
    pub report: Arc<Report>,
    pub tree: Arc<PackageTree>,
    pub checklist: Checklist,
    pub session: Session,
    /// Held while we may write the session; dropped on quit.
    pub lock: Option<SessionLock>,
    /// Why the session cannot be written (another mcpvet holds it).
    pub read_only: Option<String>,
    /// Why changes are not saved (no state dir, or the store failed); still editable.
    pub unsaved: Option<String>,
    /// What was recorded in the allowlist this run.
    pub recorded: Option<String>,
    /// Per step: its evidence and suggested outcome (computed once).
    pub evidence: Vec<Vec<Evidence>>,
    pub suggested: Vec<Option<(Outcome, String)>>,
    pub deps: Deps,
    /// The Code screen (tree, source with findings, search).
    pub code: CodeState,
    pub step: usize,
    pub evidence_cursor: usize,
    pub checklist_pane: Pane,
    pub tool: usize,
    pub tool_finding: usize,
    pub tools_pane: Pane,
    pub overview_scroll: u16,
    pub deps_scroll: u16,
    pub verdict_scroll: u16,
}

/// What opening the session gave (done off the loop by the worker).
pub enum Opened {
    /// Ours to write: a saved session or none yet.
    Locked(Option<Session>, SessionLock),
    /// Another mcpvet holds it: what it saved so far (read-only), and why.
    ReadOnly(Option<Session>, String),
    /// No session store (no state dir): reviews are not saved.
    NoStore(String),
}

impl Review {
    pub fn new(
        report: Arc<Report>,
        tree: Arc<PackageTree>,
        checklist_id: &str,
        opened: Opened,
    ) -> Review {
        let (session, lock, read_only, unsaved) = match opened {
            Opened::Locked(s, l) => (s, Some(l), None, None),
            Opened::ReadOnly(s, why) => (s, None, Some(why), None),
            Opened::NoStore(why) => (None, None, None, Some(why)),
        };
        let session = session.unwrap_or_else(|| Session::for_report(&report, checklist_id));
        // A resumed session keeps the checklist it was started with.
        let checklist = checklist::builtin(&session.checklist)
            .or_else(|| checklist::builtin(checklist_id))
            .or_else(|| checklist::builtin("thorough"))
            .unwrap_or_else(|| Checklist {
                id: "none".into(),
                title: "no checklist".into(),
                description: String::new(),
                steps: Vec::new(),
            });
        let evidence = checklist
            .steps
            .iter()
            .map(|s| s.evidence(&report))
            .collect();
        let suggested = checklist
            .steps
            .iter()
            .map(|s| s.suggest_why(&report))
            .collect();
        let deps = Deps::from_tree(&tree);
        let code = CodeState::new(tree.clone(), report.clone());
        let mut r = Review {
            report,
            tree,
            checklist,
            session,
            lock,
            read_only,
            unsaved,
            recorded: None,
            evidence,
            suggested,
            deps,
            code,
            step: 0,
            evidence_cursor: 0,
            checklist_pane: Pane::List,
            tool: 0,
            tool_finding: 0,
            tools_pane: Pane::List,
            overview_scroll: 0,
            deps_scroll: 0,
            verdict_scroll: 0,
        };
        r.restore_ui();
        r
    }

    fn restore_ui(&mut self) {
        let get = |k: &str| self.session.ui.get(k).and_then(|v| v.parse::<usize>().ok());
        if let Some(s) = get("step") {
            self.step = s.min(self.checklist.steps.len().saturating_sub(1));
        }
        if let Some(t) = get("tool") {
            self.tool = t.min(self.report.tools.len().saturating_sub(1));
        }
        let line = self
            .session
            .ui
            .get("code.line")
            .and_then(|v| v.parse::<u32>().ok());
        if let (Some(file), Some(line)) = (self.session.ui.get("code.file").cloned(), line) {
            self.code.jump_to(&file, line);
        }
    }

    /// Cursor state into the session's `ui` map (saved with it).
    pub fn store_ui(&mut self, screen: Screen) {
        let ui = &mut self.session.ui;
        ui.insert("screen".into(), screen.mode().into());
        ui.insert("step".into(), self.step.to_string());
        ui.insert("tool".into(), self.tool.to_string());
        if let Some((file, line)) = self.code.cursor_location() {
            ui.insert("code.file".into(), file);
            ui.insert("code.line".into(), line.to_string());
        }
    }

    /// Show evidence or a finding in the Code screen.
    fn jump(&mut self, finding: Option<usize>, file: Option<&str>, line: Option<u32>) -> bool {
        match (finding, file) {
            (Some(i), _) => self.code.jump_to_finding(i),
            (None, Some(f)) => self.code.jump_to(f, line.unwrap_or(1)),
            (None, None) => return false,
        }
        true
    }

    pub fn suggestion(&self) -> Suggestion {
        decision::suggest(&self.checklist, &self.session.outcomes(), &self.report)
    }

    pub fn current_step_id(&self) -> Option<&str> {
        self.checklist.steps.get(self.step).map(|s| s.id.as_str())
    }

    pub fn writable(&self) -> bool {
        self.read_only.is_none()
    }
}

/// What a text prompt edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputTarget {
    Note(String),
    /// The reason for `verdict` (differs from the suggestion).
    Reason(Verdict),
    /// The owner override for `verdict` (critical band); `reason` already given.
    Override(Verdict, Option<String>),
}

#[derive(Debug, Clone)]
pub struct Input {
    pub target: InputTarget,
    pub prompt: String,
    pub buffer: String,
}

/// What the app must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start fetching and analysing queue item `i` in the background.
    Scan(usize),
    /// Save queue item `i`'s session (atomic write).
    Save(usize),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Record queue item `i`'s verdict, signed, in the allowlist.
    Record(usize),
    /// Append a record about queue item `i` to the repository's audit log.
    Audit(usize, AuditEvent),
    Quit,
}

/// Review events for the audit log (`.mcpvet/audit.jsonl` beside the allowlist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditEvent {
    Opened,
    Step(String, Option<crate::review::checklist::Outcome>),
}

/// A finished scan with its opened session.
pub struct Scanned {
    pub report: Report,
    pub tree: PackageTree,
    pub opened: Opened,
}

/// Messages into [`update`].
pub enum Msg {
    Key(Key),
    Action(Action),
    Progress(usize, Progress),
    Scanned(usize, Result<Box<Scanned>, String>),
    /// A message for the status line from a worker (an autosave that failed).
    Status(String, bool),
    /// The allowlist recording of queue item `i`: what was recorded, or why not.
    Recorded(usize, Result<String, String>),
    Resize,
}

pub struct State {
    pub queue: Vec<QueueItem>,
    pub queue_cursor: usize,
    /// The queue item under review.
    pub current: Option<usize>,
    pub screen: Screen,
    pub help: bool,
    pub help_scroll: u16,
    pub keymap: Keymap,
    pub pending: Vec<Key>,
    /// (message, is error).
    pub status: Option<(String, bool)>,
    pub input: Option<Input>,
    pub checklist_id: String,
    pub quit: bool,
    /// Lines of the body the last draw had (for page up/down).
    pub page: u16,
}

impl State {
    pub fn new(queue: Vec<QueueItem>, keymap: Keymap, checklist_id: &str) -> State {
        State {
            queue,
            queue_cursor: 0,
            current: None,
            screen: Screen::Queue,
            help: false,
            help_scroll: 0,
            keymap,
            pending: Vec::new(),
            status: None,
            input: None,
            checklist_id: checklist_id.to_string(),
            quit: false,
            page: 10,
        }
    }

    pub fn review(&self) -> Option<&Review> {
        self.current
            .and_then(|i| self.queue.get(i))
            .and_then(|q| q.review.as_deref())
    }

    pub fn review_mut(&mut self) -> Option<&mut Review> {
        self.current
            .and_then(|i| self.queue.get_mut(i))
            .and_then(|q| q.review.as_deref_mut())
    }

    pub fn current_item(&self) -> Option<&QueueItem> {
        self.current.and_then(|i| self.queue.get(i))
    }

    /// The keymap mode in force.
    pub fn mode(&self) -> &'static str {
        if self.help {
            "help"
        } else {
            self.screen.mode()
        }
    }

    pub fn error(&mut self, msg: impl Into<String>) {
        self.status = Some((msg.into(), true));
    }

    pub fn info(&mut self, msg: impl Into<String>) {
        self.status = Some((msg.into(), false));
    }

    /// Open queue item `i`: scan it if needed and show its overview.
    pub fn open(&mut self, i: usize) -> Vec<Effect> {
        let Some(item) = self.queue.get_mut(i) else {
            return vec![];
        };
        self.current = Some(i);
        self.queue_cursor = i;
        let mut fx = Vec::new();
        if matches!(item.job, Job::Idle | Job::Failed(_)) && item.review.is_none() {
            if item.spec.is_none() && !matches!(item.source, Source::Demo) {
                self.status = Some((
                    "this server names no package to fetch: only its config-level findings exist"
                        .into(),
                    true,
                ));
                return fx;
            }
            item.job = Job::Running(Progress::default());
            fx.push(Effect::Scan(i));
        }
        let resume = item
            .review
            .as_ref()
            .and_then(|r| r.session.ui.get("screen"))
            .and_then(|s| Screen::from_mode(s))
            .filter(|s| *s != Screen::Queue);
        self.screen = resume.unwrap_or(Screen::Overview);
        fx
    }
}

/// Apply one message. Returns what the app must do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Action(a) => on_action(state, a),
        Msg::Progress(i, p) => {
            if let Some(item) = state.queue.get_mut(i) {
                if matches!(item.job, Job::Running(_)) {
                    item.job = Job::Running(p);
                }
            }
            vec![]
        }
        Msg::Scanned(i, result) => {
            let checklist_id = state.checklist_id.clone();
            let Some(item) = state.queue.get_mut(i) else {
                return vec![];
            };
            match result {
                Ok(scanned) => {
                    let Scanned {
                        report,
                        tree,
                        opened,
                    } = *scanned;
                    item.job = Job::Done;
                    let review =
                        Review::new(Arc::new(report), Arc::new(tree), &checklist_id, opened);
                    let why = review.read_only.clone();
                    let unsaved = review.unsaved.clone();
                    let audit = review.writable();
                    let resumed = review.session.outcomes().len();
                    let resume_screen = review
                        .session
                        .ui
                        .get("screen")
                        .and_then(|s| Screen::from_mode(s))
                        .filter(|s| *s != Screen::Queue);
                    item.review = Some(Box::new(review));
                    if state.current == Some(i) {
                        if let Some(s) = resume_screen {
                            if state.screen == Screen::Overview {
                                state.screen = s;
                            }
                        }
                        match why {
                            Some(w) => state.error(format!("read-only: {w}")),
                            None if unsaved.is_some() => state.error(unsaved.unwrap_or_default()),
                            None if resumed > 0 => state.info(format!(
                                "review resumed: {resumed} step{} answered",
                                if resumed == 1 { "" } else { "s" }
                            )),
                            None => state.info("analysis done"),
                        }
                    }
                    if audit {
                        return vec![Effect::Audit(i, AuditEvent::Opened)];
                    }
                }
                Err(e) => {
                    item.job = Job::Failed(e.clone());
                    if state.current == Some(i) {
                        state.error(e);
                    }
                }
            }
            vec![]
        }
        Msg::Recorded(i, result) => {
            if let Some(r) = state.queue.get_mut(i).and_then(|q| q.review.as_deref_mut()) {
                if let Ok(m) = &result {
                    r.recorded = Some(m.clone());
                }
            }
            match result {
                Ok(m) => state.info(m),
                Err(e) => state.error(format!("not recorded: {e}")),
            }
            vec![]
        }
        Msg::Status(m, is_error) => {
            state.status = Some((m, is_error));
            vec![]
        }
        Msg::Resize => vec![],
    }
}

fn on_key(state: &mut State, key: Key) -> Vec<Effect> {
    // Ctrl-C always quits (with save), even in a prompt.
    if key.ctrl && key.code == KeyCode::Char('c') {
        state.pending.clear();
        return on_action(state, Action::Quit);
    }
    if state.input.is_some() {
        return on_input_key(state, key);
    }
    if state.screen == Screen::Code && !state.help {
        if let Some(r) = state.review_mut() {
            if r.code.wants_text_input() {
                match key.code {
                    KeyCode::Esc => r.code.input_cancel(),
                    KeyCode::Enter => r.code.input_submit(),
                    KeyCode::Backspace => r.code.input_backspace(),
                    KeyCode::Char(c) if !key.ctrl && !key.alt => r.code.input_char(c),
                    _ => {}
                }
                return vec![];
            }
        }
    }
    state.pending.push(key);
    let keys = state.pending.clone();
    match state.keymap.resolve(state.mode(), &keys) {
        Resolved::Run(a) => {
            state.pending.clear();
            on_action(state, a)
        }
        Resolved::Pending => vec![],
        Resolved::Unbound => {
            state.pending.clear();
            // A sequence that went nowhere: try the last key alone.
            if keys.len() > 1 {
                if let Resolved::Run(a) = state.keymap.resolve(state.mode(), &[key]) {
                    return on_action(state, a);
                }
            }
            vec![]
        }
    }
}

fn on_input_key(state: &mut State, key: Key) -> Vec<Effect> {
    let Some(input) = state.input.as_mut() else {
        return vec![];
    };
    match key.code {
        KeyCode::Esc => {
            state.input = None;
            state.info("cancelled");
            vec![]
        }
        KeyCode::Enter => submit_input(state),
        KeyCode::Backspace => {
            input.buffer.pop();
            vec![]
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt && !c.is_control() => {
            if input.buffer.chars().count() < 2000 {
                input.buffer.push(c);
            }
            vec![]
        }
        KeyCode::Tab => {
            input.buffer.push(' ');
            vec![]
        }
        _ => vec![],
    }
}

fn submit_input(state: &mut State) -> Vec<Effect> {
    let Some(input) = state.input.take() else {
        return vec![];
    };
    let Some(i) = state.current else {
        return vec![];
    };
    let text = input.buffer.trim().to_string();
    match input.target {
        InputTarget::Note(step) => {
            let Some(r) = state.review_mut() else {
                return vec![];
            };
            r.session.set_note(&step, &text);
            state.info("note saved");
            vec![Effect::Save(i)]
        }
        InputTarget::Reason(v) => {
            if text.is_empty() {
                state.error("a reason is required when the verdict differs from the suggestion");
                state.input = Some(input);
                return vec![];
            }
            let needs_override = state
                .review()
                .is_some_and(|r| decision::override_required(&r.report, v));
            if needs_override {
                state.input = Some(Input {
                    target: InputTarget::Override(v, Some(text)),
                    prompt: "Critical risk band: owner override reason".into(),
                    buffer: String::new(),
                });
                return vec![];
            }
            record_verdict(state, v, Some(text), None)
        }
        InputTarget::Override(v, ref reason) => {
            let reason = reason.clone();
            if text.is_empty() {
                state.error("a critical band needs the owner's override reason for this verdict");
                state.input = Some(input);
                return vec![];
            }
            record_verdict(state, v, reason, Some(text))
        }
    }
}

fn record_verdict(
    state: &mut State,
    v: Verdict,
    reason: Option<String>,
    override_reason: Option<String>,
) -> Vec<Effect> {
    let Some(i) = state.current else {
        return vec![];
    };
    let Some(r) = state.review_mut() else {
        return vec![];
    };
    r.session.decide(v, reason, override_reason);
    state.info(format!(
        "verdict {} recorded in the review session",
        verdict_label(v)
    ));
    vec![Effect::Save(i)]
}

fn clamp_move(cur: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    let next = cur as isize + delta;
    next.clamp(0, len as isize - 1) as usize
}

fn screens(state: &State) -> Vec<Screen> {
    if state.review().is_some() || state.current.is_some() {
        SCREENS.to_vec()
    } else {
        vec![Screen::Queue]
    }
}

fn on_action(state: &mut State, a: Action) -> Vec<Effect> {
    // Global actions first.
    match a {
        Action::Quit => {
            state.quit = true;
            // A note being typed is kept (quitting loses nothing); a verdict prompt is not a
            // decision and is dropped.
            if let Some(Input {
                target: InputTarget::Note(step),
                buffer,
                ..
            }) = state.input.take()
            {
                if let Some(r) = state.review_mut() {
                    if r.writable() {
                        r.session.set_note(&step, buffer.trim());
                    }
                }
            }
            let mut fx = Vec::new();
            let screen = state.screen;
            for (i, item) in state.queue.iter_mut().enumerate() {
                if let Some(r) = item.review.as_deref_mut() {
                    if r.writable() {
                        if state.current == Some(i) {
                            r.store_ui(screen);
                        }
                        fx.push(Effect::Save(i));
                    }
                }
            }
            fx.push(Effect::Quit);
            return fx;
        }
        Action::Help => {
            state.help = !state.help;
            state.help_scroll = 0;
            return vec![];
        }
        Action::Back if state.help => {
            state.help = false;
            return vec![];
        }
        _ => {}
    }
    if state.help {
        match a {
            Action::Up => state.help_scroll = state.help_scroll.saturating_sub(1),
            Action::Down => state.help_scroll = state.help_scroll.saturating_add(1),
            Action::PageUp => state.help_scroll = state.help_scroll.saturating_sub(state.page),
            Action::PageDown => state.help_scroll = state.help_scroll.saturating_add(state.page),
            Action::Top => state.help_scroll = 0,
            _ => {}
        }
        return vec![];
    }
    let target = match a {
        Action::ScreenQueue => Some(Screen::Queue),
        Action::ScreenOverview => Some(Screen::Overview),
        Action::ScreenTools => Some(Screen::Tools),
        Action::ScreenDeps => Some(Screen::Deps),
        Action::ScreenChecklist => Some(Screen::Checklist),
        Action::ScreenVerdict => Some(Screen::Verdict),
        Action::ScreenCode => Some(Screen::Code),
        Action::NextScreen | Action::PrevScreen => {
            let list = screens(state);
            let pos = list.iter().position(|s| *s == state.screen).unwrap_or(0);
            let n = list.len();
            let next = if a == Action::NextScreen {
                (pos + 1) % n
            } else {
                (pos + n - 1) % n
            };
            Some(list[next])
        }
        _ => None,
    };
    if let Some(t) = target {
        if t != Screen::Queue && state.current.is_none() {
            state.info("open a package from the queue first (Enter)");
            return vec![];
        }
        state.screen = t;
        return vec![];
    }
    if a == Action::Copy {
        return match copy_text(state) {
            Some(t) => {
                state.info("copied (OSC 52)");
                vec![Effect::Copy(t)]
            }
            None => vec![],
        };
    }
    let page = state.page.max(1) as isize;
    match state.screen {
        Screen::Queue => {
            let n = state.queue.len();
            match a {
                Action::Up => state.queue_cursor = clamp_move(state.queue_cursor, n, -1),
                Action::Down => state.queue_cursor = clamp_move(state.queue_cursor, n, 1),
                Action::PageUp => state.queue_cursor = clamp_move(state.queue_cursor, n, -page),
                Action::PageDown => state.queue_cursor = clamp_move(state.queue_cursor, n, page),
                Action::Top => state.queue_cursor = 0,
                Action::Bottom => state.queue_cursor = n.saturating_sub(1),
                Action::Open => return state.open(state.queue_cursor),
                _ => {}
            }
            vec![]
        }
        Screen::Overview => {
            let Some(r) = state.review_mut() else {
                return vec![];
            };
            scroll(&mut r.overview_scroll, a, page);
            vec![]
        }
        Screen::Deps => {
            let Some(r) = state.review_mut() else {
                return vec![];
            };
            scroll(&mut r.deps_scroll, a, page);
            vec![]
        }
        Screen::Tools => {
            let Some(r) = state.review_mut() else {
                return vec![];
            };
            let nt = r.report.tools.len();
            let nf = r.report.tools.get(r.tool).map_or(0, |t| t.findings.len());
            match (r.tools_pane, a) {
                (_, Action::Left) => r.tools_pane = Pane::List,
                (_, Action::Right) | (Pane::List, Action::Open) if nf > 0 => {
                    r.tools_pane = Pane::Detail
                }
                (_, Action::ToggleFocus) => {
                    r.tools_pane = if r.tools_pane == Pane::List && nf > 0 {
                        Pane::Detail
                    } else {
                        Pane::List
                    }
                }
                (_, Action::Back) => r.tools_pane = Pane::List,
                (Pane::List, _) => {
                    let before = r.tool;
                    r.tool = list_move(r.tool, nt, a, page);
                    if r.tool != before {
                        r.tool_finding = 0;
                    }
                }
                (Pane::Detail, Action::Open) => {
                    let f = r
                        .report
                        .tools
                        .get(r.tool)
                        .and_then(|t| t.findings.get(r.tool_finding))
                        .copied();
                    if r.jump(f, None, None) {
                        state.screen = Screen::Code;
                    }
                }
                (Pane::Detail, _) => r.tool_finding = list_move(r.tool_finding, nf, a, page),
            }
            vec![]
        }
        Screen::Code => {
            let Some(r) = state.review_mut() else {
                return vec![];
            };
            if let Some(ca) = code_action(a) {
                r.code.handle(ca);
            }
            vec![]
        }
        Screen::Checklist => checklist_action(state, a, page),
        Screen::Verdict => verdict_action(state, a, page),
    }
}

/// The Code screen's meaning of an action.
fn code_action(a: Action) -> Option<CodeAction> {
    Some(match a {
        Action::Up => CodeAction::Up,
        Action::Down => CodeAction::Down,
        Action::PageUp => CodeAction::PageUp,
        Action::PageDown => CodeAction::PageDown,
        Action::Top => CodeAction::Top,
        Action::Bottom => CodeAction::Bottom,
        Action::Left => CodeAction::Left,
        Action::Right => CodeAction::Right,
        Action::LineStart => CodeAction::LineStart,
        Action::NextFinding => CodeAction::NextFinding,
        Action::PrevFinding => CodeAction::PrevFinding,
        Action::NextFile => CodeAction::NextFile,
        Action::PrevFile => CodeAction::PrevFile,
        Action::FocusTree => CodeAction::FocusTree,
        Action::FocusSource => CodeAction::FocusSource,
        Action::ToggleFocus => CodeAction::ToggleFocus,
        Action::Open => CodeAction::Open,
        Action::Search => CodeAction::StartSearch,
        Action::SearchNext => CodeAction::SearchNext,
        Action::SearchPrev => CodeAction::SearchPrev,
        Action::GotoLine => CodeAction::StartGotoLine,
        Action::ToggleHidden => CodeAction::ToggleHidden,
        Action::ToggleFindings => CodeAction::ToggleFindingsList,
        Action::Back => CodeAction::FocusTree,
        _ => return None,
    })
}

fn list_move(cur: usize, n: usize, a: Action, page: isize) -> usize {
    match a {
        Action::Up => clamp_move(cur, n, -1),
        Action::Down => clamp_move(cur, n, 1),
        Action::PageUp => clamp_move(cur, n, -page),
        Action::PageDown => clamp_move(cur, n, page),
        Action::Top => 0,
        Action::Bottom => n.saturating_sub(1),
        _ => cur,
    }
}

fn scroll(v: &mut u16, a: Action, page: isize) {
    let page = page as u16;
    match a {
        Action::Up => *v = v.saturating_sub(1),
        Action::Down => *v = v.saturating_add(1),
        Action::PageUp => *v = v.saturating_sub(page),
        Action::PageDown => *v = v.saturating_add(page),
        Action::Top => *v = 0,
        Action::Bottom => *v = u16::MAX / 2,
        _ => {}
    }
}

fn checklist_action(state: &mut State, a: Action, page: isize) -> Vec<Effect> {
    let Some(i) = state.current else {
        return vec![];
    };
    let Some(r) = state.review_mut() else {
        return vec![];
    };
    let n = r.checklist.steps.len();
    let ne = r.evidence.get(r.step).map_or(0, Vec::len);
    let outcome = match a {
        Action::MarkPass => Some(Some(Outcome::Pass)),
        Action::MarkFail => Some(Some(Outcome::Fail)),
        Action::MarkUncertain => Some(Some(Outcome::Uncertain)),
        Action::MarkNotApplicable => Some(Some(Outcome::NotApplicable)),
        Action::ClearOutcome => Some(None),
        Action::AcceptSuggestion => match r.suggested.get(r.step).and_then(|s| s.as_ref()) {
            Some((o, _)) => Some(Some(*o)),
            None => {
                state.info("no suggestion for this step: decide from the guidance");
                return vec![];
            }
        },
        _ => None,
    };
    if let Some(o) = outcome {
        if let Some(why) = &r.read_only {
            let why = why.clone();
            state.error(format!("read-only: {why}"));
            return vec![];
        }
        let Some(id) = r.current_step_id().map(str::to_string) else {
            return vec![];
        };
        r.session.set_outcome(&id, o);
        // Move on to the next unanswered step after marking one.
        if o.is_some() && r.step + 1 < n {
            r.step += 1;
            r.evidence_cursor = 0;
        }
        r.store_ui(Screen::Checklist);
        return vec![Effect::Save(i), Effect::Audit(i, AuditEvent::Step(id, o))];
    }
    match a {
        Action::EditNote => {
            if let Some(why) = &r.read_only {
                let why = why.clone();
                state.error(format!("read-only: {why}"));
                return vec![];
            }
            let Some(id) = r.current_step_id().map(str::to_string) else {
                return vec![];
            };
            let current = r
                .session
                .steps
                .get(&id)
                .map(|s| s.note.clone())
                .unwrap_or_default();
            let title = r
                .checklist
                .steps
                .get(r.step)
                .map(|s| s.title.clone())
                .unwrap_or_default();
            state.input = Some(Input {
                target: InputTarget::Note(id),
                prompt: format!("Note for \"{title}\""),
                buffer: current,
            });
            vec![]
        }
        Action::Left | Action::Back => {
            r.checklist_pane = Pane::List;
            vec![]
        }
        Action::Right if ne > 0 => {
            r.checklist_pane = Pane::Detail;
            vec![]
        }
        Action::ToggleFocus => {
            r.checklist_pane = if r.checklist_pane == Pane::List && ne > 0 {
                Pane::Detail
            } else {
                Pane::List
            };
            vec![]
        }
        Action::Open => {
            if r.checklist_pane == Pane::List && ne > 0 {
                r.checklist_pane = Pane::Detail;
            } else if r.checklist_pane == Pane::Detail {
                let e = r
                    .evidence
                    .get(r.step)
                    .and_then(|ev| ev.get(r.evidence_cursor))
                    .map(|e| (e.finding, e.file.clone(), e.line));
                match e {
                    Some((finding, file, line)) if r.jump(finding, file.as_deref(), line) => {
                        state.screen = Screen::Code;
                    }
                    _ => state.info("this evidence has no place in the code"),
                }
            }
            vec![]
        }
        _ => {
            if r.checklist_pane == Pane::List {
                let before = r.step;
                r.step = list_move(r.step, n, a, page);
                if r.step != before {
                    r.evidence_cursor = 0;
                }
            } else {
                r.evidence_cursor = list_move(r.evidence_cursor, ne, a, page);
            }
            vec![]
        }
    }
}

fn verdict_action(state: &mut State, a: Action, page: isize) -> Vec<Effect> {
    let Some(i) = state.current else {
        return vec![];
    };
    let Some(r) = state.review_mut() else {
        return vec![];
    };
    let chosen = match a {
        Action::VerdictGo => Some(Verdict::Go),
        Action::VerdictNoGo => Some(Verdict::NoGo),
        Action::VerdictSandbox => Some(Verdict::Sandbox),
        _ => None,
    };
    let edits = matches!(
        a,
        Action::VerdictGo
            | Action::VerdictNoGo
            | Action::VerdictSandbox
            | Action::EditReason
            | Action::EditOverride
            | Action::ClearVerdict
            | Action::RecordVerdict
    );
    if edits {
        if let Some(why) = &r.read_only {
            let why = why.clone();
            state.error(format!("read-only: {why}"));
            return vec![];
        }
    }
    if let Some(v) = chosen {
        let suggestion = r.suggestion();
        let need_reason = decision::needs_reason(&suggestion, v);
        let need_override = decision::override_required(&r.report, v);
        if need_reason {
            let why = match suggestion.verdict() {
                Some(s) => format!(
                    "Reason for {} (the matrix suggests {})",
                    verdict_label(v),
                    verdict_label(s)
                ),
                None => format!(
                    "Reason for {} (the matrix says: escalate)",
                    verdict_label(v)
                ),
            };
            state.input = Some(Input {
                target: InputTarget::Reason(v),
                prompt: why,
                buffer: String::new(),
            });
            return vec![];
        }
        if need_override {
            state.input = Some(Input {
                target: InputTarget::Override(v, None),
                prompt: "Critical risk band: owner override reason".into(),
                buffer: String::new(),
            });
            return vec![];
        }
        r.store_ui(Screen::Verdict);
        return record_verdict(state, v, None, None);
    }
    match a {
        Action::EditReason | Action::EditOverride => {
            let Some(choice) = r.session.verdict.clone() else {
                state.info("choose a verdict first");
                return vec![];
            };
            state.input = Some(if a == Action::EditReason {
                Input {
                    target: InputTarget::Reason(choice.verdict),
                    prompt: format!("Reason for {}", verdict_label(choice.verdict)),
                    buffer: choice.reason.unwrap_or_default(),
                }
            } else {
                Input {
                    target: InputTarget::Override(choice.verdict, choice.reason),
                    prompt: "Owner override reason".into(),
                    buffer: choice.override_reason.unwrap_or_default(),
                }
            });
            vec![]
        }
        Action::RecordVerdict => {
            if r.session.verdict.is_none() {
                state.info("choose a verdict first (g, s or n)");
                return vec![];
            }
            r.store_ui(Screen::Verdict);
            vec![Effect::Save(i), Effect::Record(i)]
        }
        Action::ClearVerdict => {
            r.session.verdict = None;
            r.session.touch();
            state.info("verdict cleared");
            vec![Effect::Save(i)]
        }
        _ => {
            scroll(&mut r.verdict_scroll, a, page);
            vec![]
        }
    }
}

/// What `y` copies on the current screen (package text is base64-wrapped by OSC 52).
fn copy_text(state: &State) -> Option<String> {
    if state.screen == Screen::Queue {
        let item = state.queue.get(state.queue_cursor)?;
        return item.spec.clone().or_else(|| Some(item.label.clone()));
    }
    let r = state.review()?;
    let p = &r.report.package;
    match state.screen {
        Screen::Tools => {
            let t = r.report.tools.get(r.tool)?;
            if r.tools_pane == Pane::Detail {
                let f = r.report.findings.get(*t.findings.get(r.tool_finding)?)?;
                return Some(location(&f.path, f.line, &f.message));
            }
            Some(format!("{} ({}:{})", t.name, t.path, t.line))
        }
        Screen::Code => {
            let (file, line) = r.code.cursor_location()?;
            Some(format!("{file}:{line}"))
        }
        Screen::Checklist => {
            let ev = r.evidence.get(r.step)?;
            let e = ev.get(r.evidence_cursor).or_else(|| ev.first())?;
            Some(match &e.file {
                Some(f) => location(f, e.line, &e.summary),
                None => e.summary.clone(),
            })
        }
        _ => Some(if p.digest.is_empty() {
            p.spec.clone()
        } else {
            format!("{} {}", p.spec, p.digest)
        }),
    }
}

fn location(file: &str, line: Option<u32>, what: &str) -> String {
    match line {
        Some(l) => format!("{file}:{l}  {what}"),
        None => format!("{file}  {what}"),
    }
}

/// Outcome counts for display: (pass, fail, uncertain, n/a).
pub fn outcome_counts(outcomes: &BTreeMap<String, Outcome>) -> [usize; 4] {
    let mut c = [0; 4];
    for o in outcomes.values() {
        c[match o {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Uncertain => 2,
            Outcome::NotApplicable => 3,
        }] += 1;
    }
    c
}
