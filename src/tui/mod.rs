//! The terminal review workstation (DESIGN §7): one loop over one channel (terminal input,
//! worker results), `update(state, msg) -> effects`, views that borrow the state, keymaps and
//! themes as data.

pub mod action;
pub mod app;
pub mod code;
pub mod demo;
pub mod deps;
pub mod escape;
pub mod keymap;
pub mod state;
pub mod theme;
pub mod views;

pub use app::{run, Options, TuiError};
