//! Small helpers shared across modules.

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Escape text that came from a package before it reaches a terminal: C0 and C1 controls,
/// DEL, bidi controls, zero-width and other invisible format characters, Unicode tags and
/// line/paragraph separators become visible `\u{…}` escapes (tab, newline kept only if asked).
pub fn escape_for_terminal(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\t' if keep_newlines => out.push('\t'),
            '\\' => out.push('\\'),
            c if needs_escape(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that must never reach a terminal raw.
pub fn needs_escape(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..=0x9f).contains(&u)
        || matches!(u,
            0x00ad            // soft hyphen
            | 0x034f          // combining grapheme joiner
            | 0x061c          // arabic letter mark
            | 0x115f | 0x1160 | 0x3164 | 0xffa0 // hangul fillers
            | 0x180e          // mongolian vowel separator
            | 0x200b..=0x200f // zero-width, LRM/RLM
            | 0x2028..=0x202e // separators, bidi embeddings/overrides
            | 0x2060..=0x206f // word joiner, invisible operators, bidi isolates
            | 0xfe00..=0xfe0f // variation selectors
            | 0xfeff          // BOM / zero-width no-break space
            | 0xfff9..=0xfffb // interlinear annotations
            | 0xe0000..=0xe007f // tag characters
            | 0xe0100..=0xe01ef // variation selectors supplement
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(escape_for_terminal("a\x1b[31mb", false), "a\\u{1b}[31mb");
        assert_eq!(escape_for_terminal("x\u{202e}y", false), "x\\u{202e}y");
        assert_eq!(escape_for_terminal("\u{9b}2J", false), "\\u{9b}2J");
        assert_eq!(escape_for_terminal("t\u{e0041}", false), "t\\u{e0041}");
        assert_eq!(escape_for_terminal("l1\nl2", true), "l1\nl2");
        assert_eq!(escape_for_terminal("l1\nl2", false), "l1\\u{a}l2");
        assert_eq!(escape_for_terminal("café ✓", false), "café ✓");
    }
}
