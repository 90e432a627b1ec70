//! Progress reports from slow work (fetch, unpack, analysis) to whoever shows them (the TUI).
//! The lowest layer: fetch, analyze and scan call it; nothing here knows about any UI.

/// What a scan is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Fetching,
    Unpacking,
    Analysing,
    Dependencies,
    Done,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Fetching => "fetching",
            Stage::Unpacking => "unpacking",
            Stage::Analysing => "analysing",
            Stage::Dependencies => "resolving dependencies of",
            Stage::Done => "done",
        }
    }
}

/// Called from worker threads and async tasks; implementations must be cheap and non-blocking.
pub trait Progress: Send + Sync {
    fn stage(&self, _stage: Stage, _what: &str) {}
    /// Bytes of one download received so far, and its announced length.
    fn bytes(&self, _url: &str, _received: u64, _total: Option<u64>) {}
    /// Files analysed so far out of `total`.
    fn files(&self, _done: usize, _total: usize) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}
