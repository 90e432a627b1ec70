//! Package text on the reviewer's terminal: every string that came from a package, a registry
//! or a config (names, descriptions, evidence, hosts, paths, file contents) goes through here
//! before it is drawn. Control characters (C0, DEL, C1: escape sequences), bidi controls
//! (Trojan Source), zero-width and other invisible characters, Unicode tag characters and
//! variation selectors become visible markers such as `⟨ESC⟩`, `⟨U+202E⟩` or `⟨tag:i⟩`, so a
//! package can neither drive the terminal nor hide text from the reviewer.

use std::borrow::Cow;

/// Columns between tab stops when [`sanitize`] expands a tab.
pub const TAB_WIDTH: usize = 4;

/// What a character is, for display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharClass {
    /// Drawn as itself.
    Plain,
    /// `\t`: expanded to spaces.
    Tab,
    /// C0 controls (but tab), DEL and C1 controls: they drive terminals (escape sequences).
    Control,
    /// Bidi embeddings, overrides, isolates and marks: they reorder what the reviewer sees.
    Bidi,
    /// Zero-width spaces and joiners, word joiner, BOM.
    ZeroWidth,
    /// Unicode tag characters (U+E0000–E007F): invisible ASCII.
    Tag,
    /// Variation selectors (U+FE00–FE0F, U+E0100–E01EF).
    VariationSelector,
    /// Other invisible or layout-breaking format characters: soft hyphen, Hangul fillers,
    /// line and paragraph separators, invisible operators, interlinear annotations…
    Invisible,
}

impl CharClass {
    /// Characters that must never reach a terminal raw, whatever the display mode.
    pub fn is_dangerous(self) -> bool {
        matches!(self, CharClass::Control | CharClass::Bidi)
    }
    /// Anything but plain text and tabs.
    pub fn is_hidden(self) -> bool {
        !matches!(self, CharClass::Plain | CharClass::Tab)
    }
}

/// Classify one character.
pub fn classify(c: char) -> CharClass {
    let u = c as u32;
    if (0x20..0x7f).contains(&u) {
        return CharClass::Plain;
    }
    match u {
        0x09 => CharClass::Tab,
        0x00..=0x1f | 0x7f..=0x9f => CharClass::Control,
        0x061c | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069 => CharClass::Bidi,
        0x200b..=0x200d | 0x2060 | 0xfeff => CharClass::ZeroWidth,
        0xe0000..=0xe007f => CharClass::Tag,
        0xfe00..=0xfe0f | 0xe0100..=0xe01ef => CharClass::VariationSelector,
        0x00ad            // soft hyphen
        | 0x034f          // combining grapheme joiner
        | 0x115f | 0x1160 | 0x3164 | 0xffa0 // Hangul fillers
        | 0x180e          // Mongolian vowel separator
        | 0x2028 | 0x2029 // line / paragraph separator
        | 0x2061..=0x2065 // invisible operators
        | 0x206a..=0x206f // deprecated format characters
        | 0xfff9..=0xfffb // interlinear annotations
        => CharClass::Invisible,
        _ => CharClass::Plain,
    }
}

const C0_NAMES: [&str; 32] = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "FS", "GS", "RS", "US",
];

/// The visible marker for a hidden character: `⟨ESC⟩` for C0 controls and DEL, `⟨tag:i⟩` for
/// tag characters that hide an ASCII character, `⟨U+XXXX⟩` for everything else.
pub fn marker(c: char) -> String {
    let u = c as u32;
    match u {
        0x00..=0x1f => format!("⟨{}⟩", C0_NAMES[u as usize]),
        0x7f => "⟨DEL⟩".to_string(),
        0xe0020..=0xe007e => {
            let hidden = char::from_u32(u - 0xe0000).unwrap_or('?');
            if hidden == ' ' {
                "⟨tag:space⟩".to_string()
            } else {
                format!("⟨tag:{hidden}⟩")
            }
        }
        _ => format!("⟨U+{u:04X}⟩"),
    }
}

/// Append the marker for `c` to `out` (no allocation for the common names).
pub fn push_marker(out: &mut String, c: char) {
    let u = c as u32;
    match u {
        0x00..=0x1f => {
            out.push('⟨');
            out.push_str(C0_NAMES[u as usize]);
            out.push('⟩');
        }
        _ => out.push_str(&marker(c)),
    }
}

/// Text from a package made safe to draw: every hidden character (see [`CharClass`]) becomes
/// its [`marker`], tabs become spaces up to the next stop of [`TAB_WIDTH`] columns (counted in
/// characters from the start of `s`). Newlines are markers too (`⟨LF⟩`): split multi-line text
/// first (see [`sanitize_lines`]). Borrows when nothing needs changing.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s);
    }
    if !s.chars().any(|c| classify(c) != CharClass::Plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut col = 0usize;
    for c in s.chars() {
        match classify(c) {
            CharClass::Plain => {
                out.push(c);
                col += 1;
            }
            CharClass::Tab => {
                let n = TAB_WIDTH - col % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            _ => {
                let before = out.len();
                push_marker(&mut out, c);
                col += out[before..].chars().count();
            }
        }
    }
    Cow::Owned(out)
}

/// Multi-line package text, one sanitized string per line (`\n`, `\r\n` and lone `\r` end a
/// line), for descriptions and other prose shown over several rows.
pub fn sanitize_lines(s: &str) -> Vec<Cow<'_, str>> {
    s.split('\n')
        .map(|l| sanitize(l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("hello world"), Cow::Borrowed(_)));
        assert!(matches!(sanitize("café ✓ 日本"), Cow::Borrowed(_)));
        assert_eq!(sanitize(""), "");
    }

    #[test]
    fn controls_become_named_markers() {
        assert_eq!(sanitize("a\x1b[31mb"), "a⟨ESC⟩[31mb");
        assert_eq!(sanitize("\0\x07\x7f"), "⟨NUL⟩⟨BEL⟩⟨DEL⟩");
        assert_eq!(sanitize("l1\nl2\r"), "l1⟨LF⟩l2⟨CR⟩");
        // C1 CSI: a one-character escape sequence introducer.
        assert_eq!(sanitize("\u{9b}2J"), "⟨U+009B⟩2J");
        assert_eq!(sanitize("\u{85}"), "⟨U+0085⟩");
    }

    #[test]
    fn bidi_zero_width_and_selectors_are_visible() {
        assert_eq!(sanitize("x\u{202e}y"), "x⟨U+202E⟩y");
        for c in [
            '\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert_eq!(classify(c), CharClass::Bidi, "{:x}", c as u32);
            assert!(sanitize(&c.to_string()).starts_with("⟨U+"));
        }
        for c in ['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}'] {
            assert_eq!(classify(c), CharClass::ZeroWidth);
        }
        assert_eq!(sanitize("a\u{200b}b"), "a⟨U+200B⟩b");
        assert_eq!(sanitize("\u{fe0f}"), "⟨U+FE0F⟩");
        assert_eq!(sanitize("\u{e0100}"), "⟨U+E0100⟩");
        assert_eq!(sanitize("\u{2028}"), "⟨U+2028⟩");
        assert_eq!(sanitize("\u{ad}"), "⟨U+00AD⟩");
    }

    #[test]
    fn tag_characters_are_decoded() {
        let hidden: String = "hi there"
            .chars()
            .map(|c| char::from_u32(0xe0000 + c as u32).unwrap())
            .collect();
        assert_eq!(
            sanitize(&format!("ok{hidden}")),
            "ok⟨tag:h⟩⟨tag:i⟩⟨tag:space⟩⟨tag:t⟩⟨tag:h⟩⟨tag:e⟩⟨tag:r⟩⟨tag:e⟩"
        );
        assert_eq!(sanitize("\u{e0001}\u{e007f}"), "⟨U+E0001⟩⟨U+E007F⟩");
    }

    #[test]
    fn tabs_expand_to_stops() {
        assert_eq!(sanitize("\tx"), "    x");
        assert_eq!(sanitize("ab\tx"), "ab  x");
        assert_eq!(sanitize("abcd\tx"), "abcd    x");
        // A marker counts its own width toward the next stop.
        assert_eq!(sanitize("\x1b\tx"), "⟨ESC⟩   x");
    }

    #[test]
    fn output_never_contains_a_hidden_character() {
        let mut all = String::new();
        for u in (0..0x3000u32).chain(0xe0000..0xe0200).chain(0xfe00..0xff00) {
            if let Some(c) = char::from_u32(u) {
                all.push(c);
            }
        }
        let out = sanitize(&all);
        assert!(out.chars().all(|c| !classify(c).is_hidden() && c != '\t'));
    }

    #[test]
    fn lines_are_split_and_sanitized() {
        let v = sanitize_lines("one\r\ntwo\x1b\nthree");
        assert_eq!(v, vec!["one", "two⟨ESC⟩", "three"]);
    }
}
