//! mcpvet: vet MCP servers before a team installs them.
//!
//! The library does all the work; `src/main.rs` is a thin CLI over it. Modules depend
//! downward only (DESIGN §6): `spec` → `fetch` → `archive` → `report`.

pub mod archive;
pub mod finding;
pub mod spec;
pub mod util;
