//! Line starts of one file, computed once (memchr), so go-to-line and scrolling are O(1).

/// Byte offsets where each line starts. A file always has at least one line (possibly empty);
/// a final `\n` does not open a further empty line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = Vec::with_capacity(bytes.len() / 40 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        if starts.len() > 1 && starts.last() == Some(&bytes.len()) {
            starts.pop();
        }
        LineIndex {
            starts,
            len: bytes.len(),
        }
    }

    /// Number of lines (at least 1).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of line `i` (0-based) without its `\n` or `\r\n`; empty past the end.
    pub fn range(&self, bytes: &[u8], i: usize) -> std::ops::Range<usize> {
        let Some(&start) = self.starts.get(i) else {
            return self.len..self.len;
        };
        let mut end = self.starts.get(i + 1).map_or(self.len, |&n| n - 1);
        end = end.min(bytes.len()).max(start);
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end
    }

    /// The 0-based line holding byte `offset` (the last line for offsets past the end).
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset where line `i` starts (the end of the file past the last line).
    pub fn start(&self, i: usize) -> usize {
        self.starts.get(i).copied().unwrap_or(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_ranges() {
        let b = b"one\r\ntwo\n\nfour";
        let ix = LineIndex::new(b);
        assert_eq!(ix.count(), 4);
        let line = |i| &b[ix.range(b, i)];
        assert_eq!(line(0), b"one");
        assert_eq!(line(1), b"two");
        assert_eq!(line(2), b"");
        assert_eq!(line(3), b"four");
        assert_eq!(line(9), b"");
        assert_eq!(ix.line_of(0), 0);
        assert_eq!(ix.line_of(5), 1);
        assert_eq!(ix.line_of(8), 1);
        assert_eq!(ix.line_of(10), 3);
        assert_eq!(ix.line_of(100), 3);
    }

    #[test]
    fn trailing_newline_and_empty_file() {
        let b = b"a\nb\r\n";
        let ix = LineIndex::new(b);
        assert_eq!(ix.count(), 2);
        assert_eq!(&b[ix.range(b, 1)], b"b");
        assert_eq!(LineIndex::new(b"").count(), 1);
        assert_eq!(LineIndex::new(b"\n").count(), 1);
        assert_eq!(LineIndex::new(b"\n\n").count(), 2);
        let ix = LineIndex::new(b"");
        assert_eq!(ix.range(b"", 0), 0..0);
    }
}
