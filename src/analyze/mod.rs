//! Analysis of a package tree. For now: language detection per file.

pub mod lang;
