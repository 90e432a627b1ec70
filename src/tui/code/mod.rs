//! The Code screen: the package's file tree with finding counts, the source with findings
//! overlaid, search, go to line and a hidden-character toggle. A self-contained component: the
//! app loop owns a `CodeState`, maps keys to `CodeAction`s and calls `render`.

pub mod lines;
