//! Named actions: what keys are bound to (keymaps name them with `run = "…"`).

/// Every action a key can run. Views never see keys, only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    NextScreen,
    PrevScreen,
    ScreenQueue,
    ScreenOverview,
    ScreenCode,
    ScreenTools,
    ScreenDeps,
    ScreenChecklist,
    ScreenVerdict,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Open,
    Back,
    ToggleFocus,
    Copy,
    MarkPass,
    MarkFail,
    MarkUncertain,
    MarkNotApplicable,
    ClearOutcome,
    AcceptSuggestion,
    EditNote,
    VerdictGo,
    VerdictNoGo,
    VerdictSandbox,
    EditReason,
    EditOverride,
    ClearVerdict,
    RecordVerdict,
    // The Code screen's own actions (forwarded to it).
    NextFinding,
    PrevFinding,
    NextFile,
    PrevFile,
    FocusTree,
    FocusSource,
    LineStart,
    Search,
    SearchNext,
    SearchPrev,
    GotoLine,
    ToggleHidden,
    ToggleFindings,
}

/// (name in keymaps, action, default description for the help overlay).
pub const ACTIONS: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("help", Action::Help),
    ("next-screen", Action::NextScreen),
    ("prev-screen", Action::PrevScreen),
    ("screen-queue", Action::ScreenQueue),
    ("screen-overview", Action::ScreenOverview),
    ("screen-code", Action::ScreenCode),
    ("screen-tools", Action::ScreenTools),
    ("screen-deps", Action::ScreenDeps),
    ("screen-checklist", Action::ScreenChecklist),
    ("screen-verdict", Action::ScreenVerdict),
    ("up", Action::Up),
    ("down", Action::Down),
    ("page-up", Action::PageUp),
    ("page-down", Action::PageDown),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("left", Action::Left),
    ("right", Action::Right),
    ("open", Action::Open),
    ("back", Action::Back),
    ("toggle-focus", Action::ToggleFocus),
    ("copy", Action::Copy),
    ("mark-pass", Action::MarkPass),
    ("mark-fail", Action::MarkFail),
    ("mark-uncertain", Action::MarkUncertain),
    ("mark-na", Action::MarkNotApplicable),
    ("clear-outcome", Action::ClearOutcome),
    ("accept-suggestion", Action::AcceptSuggestion),
    ("edit-note", Action::EditNote),
    ("verdict-go", Action::VerdictGo),
    ("verdict-no-go", Action::VerdictNoGo),
    ("verdict-sandbox", Action::VerdictSandbox),
    ("edit-reason", Action::EditReason),
    ("edit-override", Action::EditOverride),
    ("clear-verdict", Action::ClearVerdict),
    ("record-verdict", Action::RecordVerdict),
    ("next-finding", Action::NextFinding),
    ("prev-finding", Action::PrevFinding),
    ("next-file", Action::NextFile),
    ("prev-file", Action::PrevFile),
    ("focus-tree", Action::FocusTree),
    ("focus-source", Action::FocusSource),
    ("line-start", Action::LineStart),
    ("search", Action::Search),
    ("search-next", Action::SearchNext),
    ("search-prev", Action::SearchPrev),
    ("goto-line", Action::GotoLine),
    ("toggle-hidden", Action::ToggleHidden),
    ("toggle-findings", Action::ToggleFindings),
];

impl Action {
    pub fn parse(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    pub fn name(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("?", |(n, _)| n)
    }
}
