//! The terminal review workstation (DESIGN §7).

pub mod code;
pub mod escape;
