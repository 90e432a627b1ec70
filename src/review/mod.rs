//! Review (DESIGN §5): checklists as data, the decision matrix that suggests a verdict, and
//! autosaved, resumable, locked review sessions. No terminal types here: the TUI builds on this.

pub mod checklist;
pub mod decision;
pub mod session;

use std::path::PathBuf;

pub use checklist::{Checklist, Evidence, EvidenceKind, Outcome, Step};
pub use decision::{Suggestion, Verdict};
pub use session::{Session, SessionLock, SessionStore, StepState, VerdictChoice};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// A checklist file that does not load or is not a valid checklist.
    #[error("{file}: {problem}")]
    Checklist { file: String, problem: String },
    /// A session file that is not a valid session (left in place unless quarantined).
    #[error("{}: corrupt review session: {problem}", path.display())]
    Corrupt { path: PathBuf, problem: String },
    /// Another live mcpvet holds this review open.
    #[error("this review is open in another mcpvet (pid {pid} on {host}) since {since}; lock file {}", path.display())]
    Locked {
        path: PathBuf,
        pid: u32,
        host: String,
        since: String,
    },
    /// A lock file just created by someone else (not yet readable) or unreadable and recent.
    #[error("{}: review lock is held but unreadable: {problem}", path.display())]
    LockUnreadable { path: PathBuf, problem: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid review session key {0:?}")]
    BadKey(String),
}

impl ReviewError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ReviewError {
        ReviewError::Io {
            path: path.into(),
            source,
        }
    }
}
