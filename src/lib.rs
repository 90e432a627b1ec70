//! mcpvet: vet MCP servers before a team installs them.
//!
//! The library does all the work; `src/main.rs` is a thin CLI over it. Modules depend
//! downward only (DESIGN §6): `spec` → `fetch` → `archive` → `analyze` → `report` → `scan`.

pub mod allowlist;
pub mod analyze;
pub mod archive;
pub mod cli;
pub mod config;
pub mod deps;
pub mod fetch;
pub mod finding;
pub mod progress;
pub mod provenance;
pub mod report;
pub mod review;
pub mod risk;
pub mod scan;
pub mod settings;
pub mod spec;
pub mod tui;
pub mod util;
