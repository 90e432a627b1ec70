//! One line of package text as display cells: lossy UTF-8 decoding, tabs expanded, hidden
//! characters as markers (always for controls and bidi; `·` or `⟨U+XXXX⟩` for the quiet ones,
//! by the hidden toggle), column math with `unicode-width`, and column → byte checkpoints so a
//! horizontal window into a 7.9 MB line costs what the window shows, not what lies before it.

use crate::tui::escape::{classify, marker, CharClass};
use unicode_width::UnicodeWidthChar;

/// Tab stops in the source view.
pub const TAB: usize = 4;

/// How hidden characters are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HiddenMode {
    /// Controls and bidi as markers (they must never reach the terminal); zero-width, tag,
    /// variation selectors and other invisible characters as a subtle `·`.
    #[default]
    Quiet,
    /// Every hidden character as its marker (`⟨U+200B⟩`, tag characters decoded `⟨tag:i⟩`).
    Reveal,
}

/// What one decoded character becomes on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A printable character of the given width (0 for combining marks).
    Char(char, u8),
    /// A tab: this many spaces.
    Spaces(u8),
    /// A hidden character drawn as its marker text.
    Marker(char),
    /// A quiet hidden character drawn as `·`.
    Dot,
    /// Bytes that are not UTF-8: `�`.
    Invalid,
}

impl Piece {
    pub fn width(self) -> usize {
        match self {
            Piece::Char(_, w) => w as usize,
            Piece::Spaces(n) => n as usize,
            Piece::Marker(c) => marker_width(c),
            Piece::Dot | Piece::Invalid => 1,
        }
    }
    /// Drawn in the hidden-marker style.
    pub fn is_hidden(self) -> bool {
        matches!(self, Piece::Marker(_) | Piece::Dot | Piece::Invalid)
    }
}

/// Display width of [`marker`]`(c)` without building it.
pub fn marker_width(c: char) -> usize {
    let u = c as u32;
    match u {
        0x00..=0x1f | 0x7f => marker(c).chars().count(),
        0xe0020 => 11,
        0xe0021..=0xe007e => 7,
        _ => {
            let digits = (32 - u.leading_zeros()).div_ceil(4).max(4) as usize;
            4 + digits
        }
    }
}

/// Decode one character at `i` (lossy): the character or `None` for an invalid byte, and the
/// bytes it takes.
pub fn decode(bytes: &[u8], i: usize) -> (Option<char>, usize) {
    let Some(&b) = bytes.get(i) else {
        return (None, 0);
    };
    if b < 0x80 {
        return (Some(b as char), 1);
    }
    let n = match b {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (None, 1),
    };
    match bytes
        .get(i..i + n)
        .and_then(|s| std::str::from_utf8(s).ok())
    {
        Some(s) => (s.chars().next(), n),
        None => (None, 1),
    }
}

/// The piece for one decoded character at display column `col`.
pub fn piece(c: Option<char>, col: usize, mode: HiddenMode) -> Piece {
    let Some(c) = c else {
        return Piece::Invalid;
    };
    match classify(c) {
        CharClass::Plain => Piece::Char(c, c.width().unwrap_or(0).min(2) as u8),
        CharClass::Tab => Piece::Spaces((TAB - col % TAB) as u8),
        CharClass::Control | CharClass::Bidi => Piece::Marker(c),
        _ if mode == HiddenMode::Reveal => Piece::Marker(c),
        _ => Piece::Dot,
    }
}

/// One cell group of a line: where it starts (byte, column), its length in bytes, and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub byte: usize,
    pub len: usize,
    pub col: usize,
    pub piece: Piece,
}

/// The cells of `line` from byte `byte` (a character boundary) at display column `col`.
pub struct Cells<'a> {
    line: &'a [u8],
    byte: usize,
    col: usize,
    mode: HiddenMode,
}

impl<'a> Cells<'a> {
    pub fn new(line: &'a [u8], byte: usize, col: usize, mode: HiddenMode) -> Cells<'a> {
        Cells {
            line,
            byte,
            col,
            mode,
        }
    }
    pub fn position(&self) -> (usize, usize) {
        (self.byte, self.col)
    }
}

impl Iterator for Cells<'_> {
    type Item = Cell;
    fn next(&mut self) -> Option<Cell> {
        if self.byte >= self.line.len() {
            return None;
        }
        let (c, len) = decode(self.line, self.byte);
        let piece = piece(c, self.col, self.mode);
        let cell = Cell {
            byte: self.byte,
            len,
            col: self.col,
            piece,
        };
        self.byte += len;
        self.col += piece.width();
        Some(cell)
    }
}

/// Display width of a whole line.
pub fn line_width(line: &[u8], mode: HiddenMode) -> usize {
    let mut cells = Cells::new(line, 0, 0, mode);
    for _ in cells.by_ref() {}
    cells.position().1
}

/// Column checkpoints of one long line: `(col, byte)` every [`Checkpoints::STEP`] columns or
/// more, filled lazily as the window moves right.
#[derive(Debug, Clone, Default)]
pub struct Checkpoints {
    points: Vec<(usize, usize)>,
    /// The line's width once a walk reached its end.
    pub width: Option<usize>,
}

impl Checkpoints {
    pub const STEP: usize = 1024;

    /// The first cell at or after display column `col` may start before it (a wide character
    /// or marker straddling it): returns `(byte, col)` of the cell covering `col`, or the end of
    /// the line when `col` lies past it.
    pub fn seek(&mut self, line: &[u8], col: usize, mode: HiddenMode) -> (usize, usize) {
        if self.points.is_empty() {
            self.points.push((0, 0));
        }
        let i = self.points.partition_point(|&(c, _)| c <= col).max(1) - 1;
        let (mut at_col, mut at_byte) = self.points[i];
        let mut last_point = at_col;
        let extend = i + 1 == self.points.len();
        let mut cells = Cells::new(line, at_byte, at_col, mode);
        loop {
            let Some(cell) = cells.next() else {
                let (b, c) = cells.position();
                self.width = Some(c);
                return (b, c);
            };
            let w = cell.piece.width();
            if cell.col + w > col || (w == 0 && cell.col >= col) {
                return (cell.byte, cell.col);
            }
            at_col = cell.col + w;
            at_byte = cell.byte + cell.len;
            if extend && at_col >= last_point + Self::STEP {
                self.points.push((at_col, at_byte));
                last_point = at_col;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(line: &str, mode: HiddenMode) -> String {
        let mut out = String::new();
        for c in Cells::new(line.as_bytes(), 0, 0, mode) {
            match c.piece {
                Piece::Char(ch, _) => out.push(ch),
                Piece::Spaces(n) => out.extend(std::iter::repeat_n(' ', n as usize)),
                Piece::Marker(ch) => out.push_str(&marker(ch)),
                Piece::Dot => out.push('·'),
                Piece::Invalid => out.push('�'),
            }
        }
        out
    }

    #[test]
    fn hidden_markers_by_mode() {
        let s = "a\u{202e}b\u{200b}c\x1b[0m\u{e0069}";
        assert_eq!(show(s, HiddenMode::Quiet), "a⟨U+202E⟩b·c⟨ESC⟩[0m·");
        assert_eq!(
            show(s, HiddenMode::Reveal),
            "a⟨U+202E⟩b⟨U+200B⟩c⟨ESC⟩[0m⟨tag:i⟩"
        );
        assert_eq!(show("\tx\ty", HiddenMode::Quiet), "    x   y");
    }

    #[test]
    fn marker_width_matches_marker() {
        for u in (0..0x300u32)
            .chain(0x2000..0x2100)
            .chain(0xfe00..0xff00)
            .chain(0xe0000..0xe0200)
        {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(marker_width(c), marker(c).chars().count(), "{u:x}");
                assert_eq!(
                    marker(c)
                        .chars()
                        .map(|m| m.width().unwrap_or(0))
                        .sum::<usize>(),
                    marker_width(c)
                );
            }
        }
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let line = b"a\xffb\xe2\x82c";
        let pieces: Vec<Piece> = Cells::new(line, 0, 0, HiddenMode::Quiet)
            .map(|c| c.piece)
            .collect();
        assert_eq!(
            pieces,
            vec![
                Piece::Char('a', 1),
                Piece::Invalid,
                Piece::Char('b', 1),
                Piece::Invalid,
                Piece::Invalid,
                Piece::Char('c', 1)
            ]
        );
    }

    #[test]
    fn wide_characters_and_widths() {
        assert_eq!(line_width("日本x".as_bytes(), HiddenMode::Quiet), 5);
        assert_eq!(line_width("e\u{301}".as_bytes(), HiddenMode::Quiet), 1);
        assert_eq!(line_width(b"\x1b", HiddenMode::Quiet), 5);
    }

    #[test]
    fn horizontal_window_seeks_by_column() {
        // 5,000 repetitions of "a\t日xy": a, a tab to column 4 (3 spaces), 日 (2), x, y:
        // 8 columns and 7 bytes each.
        let line = "a\t日xy".repeat(5000);
        let bytes = line.as_bytes();
        let mut cp = Checkpoints::default();
        assert_eq!(cp.seek(bytes, 0, HiddenMode::Quiet), (0, 0));
        assert_eq!(cp.seek(bytes, 8000, HiddenMode::Quiet), (7000, 8000));
        // Columns inside the tab or the wide character give the cell that covers them.
        assert_eq!(cp.seek(bytes, 8001, HiddenMode::Quiet), (7001, 8001));
        assert_eq!(cp.seek(bytes, 8003, HiddenMode::Quiet), (7001, 8001));
        assert_eq!(cp.seek(bytes, 8005, HiddenMode::Quiet), (7002, 8004));
        assert_eq!(cp.seek(bytes, 8006, HiddenMode::Quiet), (7005, 8006));
        // Checkpoints were recorded and a seek backwards agrees with a fresh walk.
        assert!(cp.points.len() > 4);
        let mut fresh = Checkpoints::default();
        for col in [39_999, 12_345, 7, 20_000, 31_001] {
            assert_eq!(
                cp.seek(bytes, col, HiddenMode::Quiet),
                fresh.seek(bytes, col, HiddenMode::Quiet)
            );
        }
        // Past the end: the end, and the width is known.
        assert_eq!(
            cp.seek(bytes, 1 << 30, HiddenMode::Quiet),
            (bytes.len(), 40_000)
        );
        assert_eq!(cp.width, Some(40_000));
    }
}
