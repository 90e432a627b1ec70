//! The Code screen: the package's file tree with finding counts, the source with findings
//! overlaid (gutter marks, coloured spans, the message of the cursor line), a findings list,
//! next/previous finding across files, search, go to line, and a toggle that shows hidden
//! Unicode and control characters as visible markers.
//!
//! A self-contained component: the app loop owns a [`CodeState`], maps keys to [`CodeAction`]s,
//! calls [`CodeState::handle`] and redraws with [`CodeState::render`] when it returns true. While
//! [`CodeState::wants_text_input`] is true (a search or go-to-line prompt is open) typed
//! characters go to `input_*` instead of the keymap. Large JavaScript/TypeScript/Python files
//! are parsed for colour in the background: call [`CodeState::poll`] on each tick and redraw when
//! it returns true.
//!
//! Everything from the package is drawn through [`crate::tui::escape`] or the cell walker in
//! [`text`]: no byte of a file reaches the terminal raw.

pub mod highlight;
pub mod lines;
pub mod text;
pub mod tree;
mod view;

use std::collections::HashMap;
use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;

use crate::archive::PackageTree;
use crate::finding::Severity;
use crate::report::Report;

use highlight::Highlighter;
use lines::LineIndex;
use text::{Checkpoints, HiddenMode};
use tree::FileTree;

/// What the keymap asks of the Code screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    LineStart,
    NextFinding,
    PrevFinding,
    NextFile,
    PrevFile,
    FocusTree,
    FocusSource,
    ToggleFocus,
    Open,
    StartSearch,
    SearchNext,
    SearchPrev,
    StartGotoLine,
    ToggleHidden,
    ToggleFindingsList,
}

/// Maps a highlight scope name (one of [`highlight::SCOPES`]) to a style.
pub type SyntaxStyle = Arc<dyn Fn(&str) -> Style + Send + Sync>;

/// The theme's styles for the Code screen. Severity-indexed arrays are low, medium, high,
/// critical (`info` findings use the low style).
#[derive(Clone)]
pub struct CodeStyles {
    pub base: Style,
    pub line_number: Style,
    pub gutter: [Style; 4],
    pub span: [Style; 4],
    pub cursor_line: Style,
    pub selection: Style,
    pub hidden_marker: Style,
    pub tree_dir: Style,
    pub tree_file: Style,
    pub search_match: Style,
    pub status: Style,
    /// Style of a highlight scope: "keyword", "string", "comment", "function", "number", "type",
    /// "variable.builtin", "property", "operator", "punctuation".
    pub syntax: SyntaxStyle,
}

impl Default for CodeStyles {
    /// A 16-colour scheme, for tests, the benchmark and terminals without a theme.
    fn default() -> Self {
        let fg = |c| Style::default().fg(c);
        CodeStyles {
            base: Style::default(),
            line_number: fg(Color::DarkGray),
            gutter: [
                fg(Color::Blue),
                fg(Color::Yellow),
                fg(Color::LightRed),
                fg(Color::Red).add_modifier(Modifier::BOLD),
            ],
            span: [
                Style::default().add_modifier(Modifier::UNDERLINED),
                Style::default().bg(Color::Yellow).fg(Color::Black),
                Style::default().bg(Color::LightRed).fg(Color::Black),
                Style::default().bg(Color::Red).fg(Color::White),
            ],
            cursor_line: Style::default().bg(Color::Indexed(236)),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            hidden_marker: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            tree_dir: fg(Color::Blue).add_modifier(Modifier::BOLD),
            tree_file: Style::default(),
            search_match: Style::default().bg(Color::Cyan).fg(Color::Black),
            status: Style::default().add_modifier(Modifier::REVERSED),
            syntax: Arc::new(|scope: &str| match scope {
                "keyword" => Style::default().fg(Color::Magenta),
                "string" => Style::default().fg(Color::Green),
                "comment" => Style::default().fg(Color::DarkGray),
                "function" => Style::default().fg(Color::Blue),
                "number" => Style::default().fg(Color::Cyan),
                "type" => Style::default().fg(Color::Yellow),
                "variable.builtin" => Style::default().fg(Color::Red),
                "property" => Style::default().fg(Color::LightBlue),
                _ => Style::default(),
            }),
        }
    }
}

/// Index into the severity-indexed style arrays.
pub fn severity_slot(s: Severity) -> usize {
    match s {
        Severity::Info | Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Focus {
    Tree,
    Source,
    Findings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PromptKind {
    Search,
    Goto,
}

struct Prompt {
    kind: PromptKind,
    text: String,
}

struct Search {
    query: String,
    re: regex::bytes::Regex,
}

/// The file on screen.
struct OpenFile {
    path: String,
    index: LineIndex,
    /// Shown as "binary file, N bytes".
    binary: bool,
    /// Findings of this file (indices into `report.findings`), by line and column.
    findings: Vec<usize>,
    /// The most lines any of them spans beyond its first.
    max_extent: u32,
}

impl OpenFile {
    /// Findings touching 1-based line `ln` (binary search: O(log n + hits) per row).
    fn findings_on<'a>(&'a self, report: &'a Report, ln: u32) -> impl Iterator<Item = usize> + 'a {
        let first = |i: &usize| report.findings[*i].line.unwrap_or(1).max(1);
        let lo = ln.saturating_sub(self.max_extent);
        let start = self.findings.partition_point(|i| first(i) < lo);
        self.findings[start..]
            .iter()
            .copied()
            .take_while(move |i| first(i) <= ln)
            .filter(move |&i| {
                let f = &report.findings[i];
                let a = f.line.unwrap_or(1).max(1);
                f.end_line.unwrap_or(a).max(a) >= ln
            })
    }
}

/// Horizontal scroll step (columns) of Left/Right.
const HSTEP: usize = 8;
/// Lines longer than this (bytes) keep column checkpoints.
const LONG_LINE: usize = 1024;
/// Longest search or go-to-line text.
const PROMPT_MAX: usize = 256;

/// The Code screen's state.
pub struct CodeState {
    package: Arc<PackageTree>,
    report: Arc<Report>,
    tree: FileTree,
    tree_sel: usize,
    tree_top: usize,
    focus: Focus,
    file: Option<OpenFile>,
    cursor: usize,
    top: usize,
    hscroll: usize,
    hidden: HiddenMode,
    long_lines: HashMap<usize, Checkpoints>,
    highlighter: Highlighter,
    /// Findings in files of the package, in tree order, then line and column.
    nav: Vec<usize>,
    nav_pos: Option<usize>,
    by_file: HashMap<String, Vec<usize>>,
    list_open: bool,
    list_sel: usize,
    list_top: usize,
    prompt: Option<Prompt>,
    search: Option<Search>,
    /// Where the last search match starts (path, byte).
    search_at: Option<(String, usize)>,
    message: Option<String>,
    // Geometry of the last frame (used by paging and scrolling before the next one).
    body_h: usize,
    text_w: usize,
    tree_h: usize,
    list_h: usize,
}

impl CodeState {
    pub fn new(package: Arc<PackageTree>, report: Arc<Report>) -> Self {
        let mut counts: HashMap<String, tree::Counts> = HashMap::new();
        let mut by_file: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            if package.get(&f.path).is_some() {
                counts.entry(f.path.clone()).or_default()[f.severity as usize] += 1;
                by_file.entry(f.path.clone()).or_default().push(i);
            }
        }
        let pos = |i: &usize| {
            let f = &report.findings[*i];
            (f.line.unwrap_or(1), f.column.unwrap_or(1), *i)
        };
        for v in by_file.values_mut() {
            v.sort_by_key(pos);
        }
        let tree = FileTree::new(package.iter().map(|(p, _)| p), &counts);
        let mut nav = Vec::new();
        for path in tree.files() {
            if let Some(v) = by_file.get(path) {
                nav.extend(v);
            }
        }
        let highlighter = Highlighter::new(Arc::clone(&package));
        let mut s = CodeState {
            package,
            report,
            tree,
            tree_sel: 0,
            tree_top: 0,
            focus: Focus::Tree,
            file: None,
            cursor: 0,
            top: 0,
            hscroll: 0,
            hidden: HiddenMode::Quiet,
            long_lines: HashMap::new(),
            highlighter,
            nav,
            nav_pos: None,
            by_file,
            list_open: false,
            list_sel: 0,
            list_top: 0,
            prompt: None,
            search: None,
            search_at: None,
            message: None,
            body_h: 20,
            text_w: 60,
            tree_h: 20,
            list_h: 6,
        };
        // Open the file with the worst finding first, else the first file.
        let first = s
            .nav
            .iter()
            .min_by_key(|&&i| std::cmp::Reverse(s.report.findings[i].severity))
            .map(|&i| s.report.findings[i].path.clone())
            .or_else(|| s.tree.files().first().cloned());
        if let Some(p) = first {
            s.open(&p);
            if let Some(r) = s.tree.reveal(&p) {
                s.tree_sel = r;
            }
        }
        s
    }

    /// Apply one action; true when the view changed.
    pub fn handle(&mut self, action: CodeAction) -> bool {
        use CodeAction as A;
        let had_message = self.message.take().is_some();
        let changed = match action {
            A::FocusTree => self.set_focus(Focus::Tree),
            A::FocusSource => self.set_focus(Focus::Source),
            A::ToggleFocus => {
                let next = match self.focus {
                    Focus::Tree => Focus::Source,
                    Focus::Source if self.list_open => Focus::Findings,
                    _ => Focus::Tree,
                };
                self.set_focus(next)
            }
            A::NextFinding => self.step_finding(true),
            A::PrevFinding => self.step_finding(false),
            A::NextFile => self.step_file(true),
            A::PrevFile => self.step_file(false),
            A::StartSearch => self.start_prompt(PromptKind::Search),
            A::StartGotoLine => self.start_prompt(PromptKind::Goto),
            A::SearchNext => self.search_step(true),
            A::SearchPrev => self.search_step(false),
            A::ToggleHidden => {
                self.hidden = match self.hidden {
                    HiddenMode::Quiet => HiddenMode::Reveal,
                    HiddenMode::Reveal => HiddenMode::Quiet,
                };
                self.long_lines.clear();
                true
            }
            A::ToggleFindingsList => {
                self.list_open = !self.list_open;
                if self.list_open {
                    self.focus = Focus::Findings;
                    if let Some(p) = self.nav_pos {
                        self.list_sel = self.nav.get(p).copied().unwrap_or(0);
                    }
                } else if self.focus == Focus::Findings {
                    self.focus = Focus::Source;
                }
                true
            }
            _ => match self.focus {
                Focus::Tree => self.tree_action(action),
                Focus::Source => self.source_action(action),
                Focus::Findings => self.list_action(action),
            },
        };
        changed || had_message
    }

    /// Collect background work (a finished parse); true when the view should be redrawn.
    pub fn poll(&mut self) -> bool {
        self.highlighter.poll()
    }

    /// Draw the screen into `area`.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, styles: &CodeStyles) {
        self.highlighter.poll();
        view::render(self, frame.buffer_mut(), area, styles);
        if let Some(p) = &self.prompt {
            // The prompt is the last row; put the terminal cursor after its text.
            let w = unicode_width::UnicodeWidthStr::width(
                crate::tui::escape::sanitize(&p.text).as_ref(),
            );
            let x = area.x.saturating_add(1).saturating_add(w as u16);
            if area.height > 0 && x < area.right() {
                frame.set_cursor_position((x, area.bottom() - 1));
            }
        }
    }

    /// Open `file` at 1-based `line` (evidence from the Checklist or Tools screens).
    pub fn jump_to(&mut self, file: &str, line: u32) {
        if self.package.get(file).is_none() {
            self.message = Some(format!(
                "{} is not in the package",
                crate::tui::escape::sanitize(file)
            ));
            return;
        }
        self.open(file);
        self.goto_line(line.max(1) as usize - 1);
        self.focus = Focus::Source;
    }

    /// Open the file of `report.findings[index]` at its line.
    pub fn jump_to_finding(&mut self, index: usize) {
        let Some(f) = self.report.findings.get(index) else {
            return;
        };
        let (path, line, col) = (f.path.clone(), f.line.unwrap_or(1), f.column);
        if self.package.get(&path).is_none() {
            self.message = Some(format!(
                "{} is not in the package (nothing to show)",
                crate::tui::escape::sanitize(&path)
            ));
            return;
        }
        self.open(&path);
        self.goto_line(line.max(1) as usize - 1);
        if let Some(c) = col {
            self.show_byte_col(c.saturating_sub(1) as usize);
        }
        self.nav_pos = self.nav.iter().position(|&i| i == index);
        self.list_sel = index;
        self.focus = Focus::Source;
    }

    /// A search or go-to-line prompt is open: typed characters belong to it.
    pub fn wants_text_input(&self) -> bool {
        self.prompt.is_some()
    }

    pub fn input_char(&mut self, c: char) {
        let Some(p) = &mut self.prompt else {
            return;
        };
        if c.is_control() || p.text.chars().count() >= PROMPT_MAX {
            return;
        }
        if p.kind == PromptKind::Goto && !c.is_ascii_digit() {
            return;
        }
        p.text.push(c);
    }

    pub fn input_backspace(&mut self) {
        if let Some(p) = &mut self.prompt {
            p.text.pop();
        }
    }

    pub fn input_submit(&mut self) {
        let Some(p) = self.prompt.take() else {
            return;
        };
        match p.kind {
            PromptKind::Goto => match p.text.parse::<usize>() {
                Ok(n) if n > 0 => {
                    self.goto_line(n - 1);
                    self.focus = Focus::Source;
                }
                _ => self.message = Some("go to line: enter a line number".into()),
            },
            PromptKind::Search => {
                if p.text.is_empty() {
                    return;
                }
                let smart = if p.text.chars().any(char::is_uppercase) {
                    ""
                } else {
                    "(?i)"
                };
                let pattern = format!("{smart}{}", regex::escape(&p.text));
                match regex::bytes::RegexBuilder::new(&pattern)
                    .unicode(true)
                    .size_limit(1 << 20)
                    .build()
                {
                    Ok(re) => {
                        self.search = Some(Search { query: p.text, re });
                        self.search_at = None;
                        self.search_step(true);
                    }
                    Err(e) => self.message = Some(format!("search: {e}")),
                }
            }
        }
    }

    pub fn input_cancel(&mut self) {
        self.prompt = None;
    }

    /// The open file and 1-based cursor line (for session autosave).
    pub fn cursor_location(&self) -> Option<(String, u32)> {
        self.file.as_ref().map(|f| {
            (
                f.path.clone(),
                (self.cursor + 1).min(u32::MAX as usize) as u32,
            )
        })
    }

    // --- internals -------------------------------------------------------------------------

    fn set_focus(&mut self, f: Focus) -> bool {
        let f = if f == Focus::Findings && !self.list_open {
            Focus::Source
        } else {
            f
        };
        let changed = self.focus != f;
        self.focus = f;
        changed
    }

    fn bytes(&self) -> &[u8] {
        self.file
            .as_ref()
            .and_then(|f| self.package.get(&f.path))
            .map_or(&[][..], |f| &f.bytes[..])
    }

    fn line_count(&self) -> usize {
        self.file
            .as_ref()
            .map_or(0, |f| if f.binary { 1 } else { f.index.count() })
    }

    /// Open `path` (no-op when it is open already). False when it is not in the package.
    fn open(&mut self, path: &str) -> bool {
        if self.file.as_ref().is_some_and(|f| f.path == path) {
            return true;
        }
        let Some(pf) = self.package.get(path) else {
            return false;
        };
        let lang = crate::analyze::lang::guess(path, &pf.bytes);
        let head = &pf.bytes[..pf.bytes.len().min(8192)];
        let binary = matches!(lang, "native" | "wasm" | "image" | "python-bytecode")
            || memchr::memchr(0, head).is_some();
        let index = if binary {
            LineIndex::new(b"")
        } else {
            LineIndex::new(&pf.bytes)
        };
        let findings = self.by_file.get(path).cloned().unwrap_or_default();
        let max_extent = findings
            .iter()
            .map(|&i| {
                let f = &self.report.findings[i];
                let a = f.line.unwrap_or(1).max(1);
                f.end_line.unwrap_or(a).saturating_sub(a)
            })
            .max()
            .unwrap_or(0);
        self.file = Some(OpenFile {
            path: path.to_string(),
            index,
            binary,
            findings,
            max_extent,
        });
        self.cursor = 0;
        self.top = 0;
        self.hscroll = 0;
        self.long_lines.clear();
        if !binary {
            self.highlighter.open(path);
        }
        if let Some(r) = self.tree.reveal(path) {
            self.tree_sel = r;
            self.keep_tree_visible();
        }
        true
    }

    fn goto_line(&mut self, line: usize) {
        let n = self.line_count();
        if n == 0 {
            return;
        }
        self.cursor = line.min(n - 1);
        self.hscroll = 0;
        // Centre the target.
        self.top = self.cursor.saturating_sub(self.body_h / 2);
        self.clamp_top();
    }

    fn clamp_top(&mut self) {
        let n = self.line_count();
        let max_top = n.saturating_sub(self.body_h.max(1));
        self.top = self.top.min(max_top);
    }

    fn keep_cursor_visible(&mut self) {
        let h = self.body_h.max(1);
        if self.cursor < self.top {
            self.top = self.cursor;
        } else if self.cursor >= self.top + h {
            self.top = self.cursor + 1 - h;
        }
    }

    fn keep_tree_visible(&mut self) {
        let h = self.tree_h.max(1);
        if self.tree_sel < self.tree_top {
            self.tree_top = self.tree_sel;
        } else if self.tree_sel >= self.tree_top + h {
            self.tree_top = self.tree_sel + 1 - h;
        }
    }

    /// Make byte column `byte_col` of the cursor line visible (horizontal scroll).
    fn show_byte_col(&mut self, byte_col: usize) {
        let Some(f) = &self.file else {
            return;
        };
        let bytes = self.bytes();
        let r = f.index.range(bytes, self.cursor);
        let line = &bytes[r];
        let target = byte_col.min(line.len());
        let mut col = 0;
        for cell in text::Cells::new(line, 0, 0, self.hidden) {
            if cell.byte >= target {
                break;
            }
            col = cell.col + cell.piece.width();
        }
        let w = self.text_w.max(1);
        if col < self.hscroll || col >= self.hscroll + w {
            self.hscroll = col.saturating_sub(w / 3);
        }
    }

    /// Vertical movement shared by the panes: the new position for `action`.
    fn moved(action: CodeAction, at: usize, len: usize, page: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        let last = len - 1;
        let to = match action {
            CodeAction::Up => at.saturating_sub(1),
            CodeAction::Down => (at + 1).min(last),
            CodeAction::PageUp => at.saturating_sub(page.max(1)),
            CodeAction::PageDown => (at + page.max(1)).min(last),
            CodeAction::Top => 0,
            CodeAction::Bottom => last,
            _ => return None,
        };
        Some(to)
    }

    fn source_action(&mut self, action: CodeAction) -> bool {
        use CodeAction as A;
        match action {
            A::Up | A::Down | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                let n = self.line_count();
                let Some(to) = Self::moved(action, self.cursor, n, self.body_h) else {
                    return false;
                };
                let (old_c, old_t) = (self.cursor, self.top);
                if matches!(action, A::PageUp | A::PageDown) {
                    // Scroll the page with the cursor.
                    let delta = to as isize - self.cursor as isize;
                    self.top = (self.top as isize + delta).max(0) as usize;
                    self.clamp_top();
                }
                self.cursor = to;
                self.keep_cursor_visible();
                (old_c, old_t) != (self.cursor, self.top)
            }
            A::Left => {
                let old = self.hscroll;
                self.hscroll = self.hscroll.saturating_sub(HSTEP);
                old != self.hscroll
            }
            A::Right => {
                let target = self.hscroll + HSTEP;
                if self.visible_extends_past(target) {
                    self.hscroll = target;
                    true
                } else {
                    false
                }
            }
            A::LineStart => std::mem::replace(&mut self.hscroll, 0) != 0,
            A::Open => false,
            _ => false,
        }
    }

    /// Does any line on screen reach past display column `col`? (Long lines walk from their
    /// checkpoints, so this costs the step, not the line.)
    fn visible_extends_past(&mut self, col: usize) -> bool {
        let Some(f) = &self.file else {
            return false;
        };
        if f.binary {
            return false;
        }
        let bytes: &[u8] = match self.package.get(&f.path) {
            Some(pf) => &pf.bytes,
            None => return false,
        };
        let end = (self.top + self.body_h.max(1)).min(f.index.count());
        for i in self.top..end {
            let line = &bytes[f.index.range(bytes, i)];
            if line.len() > LONG_LINE {
                let cp = self.long_lines.entry(i).or_default();
                let (b, _) = cp.seek(line, col, self.hidden);
                if b < line.len() {
                    return true;
                }
            } else if line.len() > col / 12 && text::line_width(line, self.hidden) > col {
                return true;
            }
        }
        false
    }

    fn tree_action(&mut self, action: CodeAction) -> bool {
        use CodeAction as A;
        let rows = self.tree.rows().len();
        if let Some(to) = Self::moved(action, self.tree_sel, rows, self.tree_h) {
            let changed = to != self.tree_sel;
            self.tree_sel = to;
            self.keep_tree_visible();
            return changed;
        }
        let Some(row) = self.tree.rows().get(self.tree_sel).cloned() else {
            return false;
        };
        match action {
            A::Open if row.is_dir => {
                self.tree.set_expanded(&row.path, !row.expanded);
                true
            }
            A::Open => {
                self.open(&row.path);
                self.focus = Focus::Source;
                true
            }
            A::Right if row.is_dir && !row.expanded => {
                self.tree.set_expanded(&row.path, true);
                true
            }
            A::Right if !row.is_dir => {
                let changed = self.open(&row.path);
                changed && self.set_focus(Focus::Source)
            }
            A::Left if row.is_dir && row.expanded => {
                self.tree.set_expanded(&row.path, false);
                true
            }
            A::Left => {
                // To the parent folder's row.
                let parent = row.path.rsplit_once('/').map(|(p, _)| p.to_string());
                match parent.and_then(|p| {
                    self.tree
                        .rows()
                        .iter()
                        .position(|r| r.is_dir && r.path == p)
                }) {
                    Some(i) => {
                        self.tree_sel = i;
                        self.keep_tree_visible();
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }

    fn list_action(&mut self, action: CodeAction) -> bool {
        let n = self.report.findings.len();
        if let Some(to) = Self::moved(action, self.list_sel, n, self.list_h) {
            let changed = to != self.list_sel;
            self.list_sel = to;
            let h = self.list_h.max(1);
            if self.list_sel < self.list_top {
                self.list_top = self.list_sel;
            } else if self.list_sel >= self.list_top + h {
                self.list_top = self.list_sel + 1 - h;
            }
            return changed;
        }
        if action == CodeAction::Open && n > 0 {
            self.jump_to_finding(self.list_sel);
            return true;
        }
        false
    }

    fn step_file(&mut self, forward: bool) -> bool {
        let files = self.tree.files();
        if files.is_empty() {
            return false;
        }
        let cur = self
            .file
            .as_ref()
            .and_then(|f| self.tree.file_index(&f.path));
        let next = match (cur, forward) {
            (None, _) => 0,
            (Some(i), true) => (i + 1) % files.len(),
            (Some(i), false) => (i + files.len() - 1) % files.len(),
        };
        let path = files[next].clone();
        self.open(&path)
    }

    /// The next (or previous) finding in tree order from the cursor, wrapping around.
    fn step_finding(&mut self, forward: bool) -> bool {
        if self.nav.is_empty() {
            self.message = Some("no findings in the package's files".into());
            return true;
        }
        let key = |s: &Self, i: usize| {
            let f = &s.report.findings[i];
            (
                s.tree.file_index(&f.path).unwrap_or(usize::MAX),
                f.line.unwrap_or(1).max(1) as usize - 1,
            )
        };
        // Where we are: the current finding when the cursor still sits on it.
        let here = self.file.as_ref().map(|f| {
            (
                self.tree.file_index(&f.path).unwrap_or(usize::MAX),
                self.cursor,
            )
        });
        let n = self.nav.len();
        let pos = match (self.nav_pos, here) {
            (Some(p), Some(h)) if p < n && key(self, self.nav[p]) == h => {
                if forward {
                    (p + 1) % n
                } else {
                    (p + n - 1) % n
                }
            }
            (_, Some(h)) => {
                if forward {
                    let i = self.nav.partition_point(|&i| key(self, i) <= h);
                    i % n
                } else {
                    let i = self.nav.partition_point(|&i| key(self, i) < h);
                    (i + n - 1) % n
                }
            }
            (_, None) => 0,
        };
        let index = self.nav[pos];
        self.jump_to_finding(index);
        self.nav_pos = Some(pos);
        true
    }

    fn start_prompt(&mut self, kind: PromptKind) -> bool {
        let text = match (kind, &self.search) {
            (PromptKind::Search, Some(s)) => s.query.clone(),
            _ => String::new(),
        };
        self.prompt = Some(Prompt { kind, text });
        true
    }

    /// The next or previous match of the current search, through the package's files in tree
    /// order, wrapping around.
    fn search_step(&mut self, forward: bool) -> bool {
        let Some(search) = &self.search else {
            self.message = Some("no search yet".into());
            return true;
        };
        let files = self.tree.files();
        if files.is_empty() {
            return false;
        }
        // Start: the last match, else the cursor line of the open file.
        let (start_file, start_byte) = match (&self.search_at, &self.file) {
            (Some((p, b)), Some(f)) if *p == f.path => (p.clone(), *b),
            (_, Some(f)) => (f.path.clone(), f.index.start(self.cursor)),
            _ => (files[0].clone(), 0),
        };
        let fi = self.tree.file_index(&start_file).unwrap_or(0);
        let n = files.len();
        let searchable = |p: &str| {
            self.package.get(p).filter(|f| {
                !matches!(
                    crate::analyze::lang::guess(p, &f.bytes),
                    "native" | "wasm" | "image" | "python-bytecode"
                )
            })
        };
        let first_after = |bytes: &[u8], from: usize| {
            search
                .re
                .find_at(bytes, from.min(bytes.len()))
                .map(|m| m.start())
        };
        let last_before = |bytes: &[u8], to: usize| {
            search
                .re
                .find_iter(&bytes[..to.min(bytes.len())])
                .last()
                .map(|m| m.start())
        };
        let fresh = self.search_at.is_none();
        let mut found: Option<(usize, usize)> = None;
        for step in 0..=n {
            let i = if forward {
                (fi + step) % n
            } else {
                (fi + n - step % n) % n
            };
            let Some(pf) = searchable(&files[i]) else {
                continue;
            };
            let b = &pf.bytes;
            let hit = match (step, forward) {
                (0, true) => first_after(b, if fresh { start_byte } else { start_byte + 1 }),
                (0, false) => last_before(b, start_byte),
                (s, true) if s == n => first_after(b, 0).filter(|&m| m <= start_byte),
                (s, false) if s == n => last_before(b, b.len()).filter(|&m| m >= start_byte),
                (_, true) => first_after(b, 0),
                (_, false) => last_before(b, b.len()),
            };
            if let Some(m) = hit {
                found = Some((i, m));
                break;
            }
        }
        let query = crate::tui::escape::sanitize(&search.query).into_owned();
        let Some((i, at)) = found else {
            self.message = Some(format!("no match for \"{query}\""));
            return true;
        };
        let path = files[i].clone();
        self.open(&path);
        if let Some(f) = &self.file {
            let line = f.index.line_of(at);
            let col = at - f.index.start(line);
            self.goto_line(line);
            self.show_byte_col(col);
        }
        self.search_at = Some((path, at));
        self.focus = Focus::Source;
        true
    }
}

#[cfg(test)]
mod tests;
