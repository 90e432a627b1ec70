//! Drawing the Code screen into a buffer. Only what is on screen is decoded, coloured and laid
//! out: a visible row of a long line starts from its column checkpoint and stops at the pane's
//! right edge.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::highlight::{Status, SCOPES};
use super::text::{Cell, Cells, HiddenMode, Piece};
use super::{severity_slot, CodeState, CodeStyles, Focus, PromptKind, LONG_LINE};
use crate::tui::escape::{marker, sanitize};

/// Write `s` (already safe) at (x, y), at most `max` columns; returns the next x.
fn put(buf: &mut Buffer, x: u16, y: u16, s: &str, max: usize, style: Style) -> u16 {
    if max == 0 {
        return x;
    }
    buf.set_stringn(x, y, s, max, style).0
}

/// Fill a row with a style.
fn fill(buf: &mut Buffer, area: Rect, y: u16, style: Style) {
    buf.set_style(Rect::new(area.x, y, area.width, 1), style);
}

pub(super) fn render(s: &mut CodeState, buf: &mut Buffer, area: Rect, st: &CodeStyles) {
    buf.set_style(area, st.base);
    if area.width < 10 || area.height < 4 {
        put(
            buf,
            area.x,
            area.y,
            "too small",
            area.width as usize,
            st.base,
        );
        return;
    }
    let status_h = 1u16;
    let list_h = if s.list_open {
        (area.height.saturating_sub(status_h) / 3).clamp(3, 12)
    } else {
        0
    };
    let main_h = area.height - status_h - list_h;
    let tree_w = if area.width >= 60 {
        (area.width / 4).clamp(18, 40)
    } else {
        area.width / 3
    };
    let tree = Rect::new(area.x, area.y, tree_w, main_h);
    let source = Rect::new(area.x + tree_w + 1, area.y, area.width - tree_w - 1, main_h);
    for y in tree.y..tree.bottom() {
        put(buf, area.x + tree_w, y, "│", 1, st.line_number);
    }
    render_tree(s, buf, tree, st);
    render_source(s, buf, source, st);
    if list_h > 0 {
        render_list(
            s,
            buf,
            Rect::new(area.x, area.y + main_h, area.width, list_h),
            st,
        );
    }
    render_status(
        s,
        buf,
        Rect::new(area.x, area.bottom() - 1, area.width, 1),
        st,
    );
}

fn header(buf: &mut Buffer, area: Rect, text: &str, focused: bool, st: &CodeStyles) {
    let style = if focused {
        st.status.patch(st.selection)
    } else {
        st.status
    };
    fill(buf, area, area.y, style);
    put(buf, area.x, area.y, text, area.width as usize, style);
}

fn render_tree(s: &mut CodeState, buf: &mut Buffer, area: Rect, st: &CodeStyles) {
    let files = s.tree.files().len();
    header(
        buf,
        area,
        &format!(" Files ({files})"),
        s.focus == Focus::Tree,
        st,
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    s.tree_h = body.height as usize;
    s.keep_tree_visible();
    let open = s.file.as_ref().map(|f| f.path.as_str());
    for (k, row) in s
        .tree
        .rows()
        .iter()
        .enumerate()
        .skip(s.tree_top)
        .take(body.height as usize)
    {
        let y = body.y + (k - s.tree_top) as u16;
        let selected = k == s.tree_sel;
        let mut base = if row.is_dir {
            st.tree_dir
        } else {
            st.tree_file
        };
        if !row.is_dir && open == Some(row.path.as_str()) {
            base = base.add_modifier(ratatui::style::Modifier::BOLD);
        }
        let row_style = if selected && s.focus == Focus::Tree {
            st.selection
        } else if selected {
            st.cursor_line
        } else {
            Style::default()
        };
        fill(buf, body, y, st.base.patch(row_style));
        let count = row.total();
        let count_txt = if count > 0 {
            format!(" {count}")
        } else {
            String::new()
        };
        let cw = count_txt.len();
        let indent = "  ".repeat(row.depth.min(12));
        let icon = match (row.is_dir, row.expanded) {
            (true, true) => "▾ ",
            (true, false) => "▸ ",
            _ => "  ",
        };
        let name = sanitize(&row.name);
        let avail = (body.width as usize).saturating_sub(cw);
        let label = format!("{indent}{icon}{name}");
        put(
            buf,
            body.x,
            y,
            &label,
            avail,
            st.base.patch(base).patch(row_style),
        );
        if let Some(w) = row.worst() {
            let x = body.right().saturating_sub(cw as u16);
            put(
                buf,
                x,
                y,
                &count_txt,
                cw,
                st.base.patch(row_style).patch(st.gutter[severity_slot(w)]),
            );
        }
    }
}

/// What to draw over one row's cells: syntax spans, finding spans, search matches (absolute
/// byte ranges, in order).
struct Layers {
    syntax: std::sync::Arc<Vec<(Range<usize>, u8)>>,
    findings: Vec<(Range<usize>, usize)>,
    matches: Vec<Range<usize>>,
}

/// Find the style piece covering `at` in a sorted list, advancing `i`.
fn covering<T: Copy>(list: &[(Range<usize>, T)], i: &mut usize, at: usize) -> Option<T> {
    while *i < list.len() && list[*i].0.end <= at {
        *i += 1;
    }
    list.get(*i).filter(|(r, _)| r.start <= at).map(|(_, v)| *v)
}

fn render_source(s: &mut CodeState, buf: &mut Buffer, area: Rect, st: &CodeStyles) {
    let focused = s.focus == Focus::Source;
    let Some(file) = &s.file else {
        header(buf, area, " (no file)", focused, st);
        return;
    };
    let path = file.path.clone();
    let binary = file.binary;
    let count = s.line_count();
    let status = s.highlighter.status(&path);
    let pf_size = s.package.get(&path).map_or(0, |f| f.size);
    let truncated = s.package.get(&path).is_some_and(|f| f.truncated);
    let colours = match status {
        Status::Ready => "",
        Status::Parsing => " · colouring…",
        Status::Plain | Status::Failed => " · plain",
    };
    let hidden = match s.hidden {
        HiddenMode::Quiet => "",
        HiddenMode::Reveal => " · hidden shown",
    };
    let trunc = if truncated { " · TRUNCATED" } else { "" };
    let right = format!(" {}/{} ", s.cursor + 1, count);
    let left = format!(" {}{colours}{hidden}{trunc}", sanitize(&path));
    header(buf, area, &left, focused, st);
    let rw = right.width() as u16;
    if area.width > rw + 10 {
        let style = if focused {
            st.status.patch(st.selection)
        } else {
            st.status
        };
        put(buf, area.right() - rw, area.y, &right, rw as usize, style);
    }
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    s.body_h = body.height as usize;
    if binary {
        s.text_w = body.width as usize;
        put(
            buf,
            body.x + 1,
            body.y,
            &format!("binary file, {pf_size} bytes"),
            body.width as usize,
            st.hidden_marker,
        );
        return;
    }
    s.clamp_top();
    s.keep_cursor_visible();
    let digits = count.to_string().len().max(3);
    let gutter_w = digits + 2;
    if body.width as usize <= gutter_w + 1 {
        return;
    }
    let text_w = body.width as usize - gutter_w;
    s.text_w = text_w;
    let syntax: Vec<Style> = SCOPES.iter().map(|n| (st.syntax)(n)).collect();

    let end = (s.top + body.height as usize).min(count);
    for line_no in s.top..end {
        let y = body.y + (line_no - s.top) as u16;
        draw_line(s, buf, body, y, line_no, gutter_w, text_w, &syntax, st);
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_line(
    s: &mut CodeState,
    buf: &mut Buffer,
    body: Rect,
    y: u16,
    line_no: usize,
    gutter_w: usize,
    text_w: usize,
    syntax: &[Style],
    st: &CodeStyles,
) {
    let Some(file) = &s.file else {
        return;
    };
    let Some(pf) = s.package.get(&file.path) else {
        return;
    };
    let bytes = &pf.bytes[..];
    let range = file.index.range(bytes, line_no);
    let line = &bytes[range.clone()];
    let is_cursor = line_no == s.cursor;
    let row_base = if is_cursor {
        st.base.patch(st.cursor_line)
    } else {
        st.base
    };
    fill(buf, body, y, row_base);

    // Findings touching this line: gutter mark (worst), spans, and the cursor line's message.
    let mut worst: Option<usize> = None;
    let mut spans: Vec<(Range<usize>, usize)> = Vec::new();
    let mut first_msg: Option<usize> = None;
    let ln = line_no as u32 + 1;
    for i in file.findings_on(&s.report, ln) {
        let f = &s.report.findings[i];
        let start = f.line.unwrap_or(1).max(1);
        let slot = severity_slot(f.severity);
        worst = Some(worst.map_or(slot, |w: usize| w.max(slot)));
        if first_msg.is_none() || s.nav_pos.and_then(|p| s.nav.get(p)) == Some(&i) {
            first_msg = Some(i);
        }
        let span = if ln == start {
            let from = f.column.unwrap_or(1).max(1) as usize - 1;
            let from = from.min(line.len());
            (range.start + from)..(range.start + token_end(line, from))
        } else {
            range.clone()
        };
        spans.push((span, slot));
    }
    spans.sort_by_key(|(r, _)| r.start);

    // Gutter: line number and severity mark.
    let num = format!("{:>w$} ", line_no + 1, w = gutter_w - 2);
    let mut x = put(
        buf,
        body.x,
        y,
        &num,
        gutter_w,
        row_base.patch(st.line_number),
    );
    if let Some(w) = worst {
        x = put(buf, x, y, "●", 1, row_base.patch(st.gutter[w]));
    } else {
        x += 1;
    }
    let text_x = x;

    // The visible cells: from the checkpoint of the window's left edge to its right edge.
    let (start_byte, start_col) = if line.len() > LONG_LINE {
        s.long_lines
            .entry(line_no)
            .or_default()
            .seek(line, s.hscroll, s.hidden)
    } else {
        (0, 0)
    };
    let right_edge = s.hscroll + text_w;
    let mut cells: Vec<Cell> = Vec::with_capacity(text_w);
    let mut walker = Cells::new(line, start_byte, start_col, s.hidden);
    let mut reached_end = true;
    for c in walker.by_ref() {
        if c.col >= right_edge {
            reached_end = false;
            break;
        }
        if c.col + c.piece.width() > s.hscroll || (c.piece.width() == 0 && c.col >= s.hscroll) {
            cells.push(c);
        }
    }
    let end_col = if reached_end {
        walker.position().1
    } else {
        right_edge
    };

    let win = match (cells.first(), cells.last()) {
        (Some(a), Some(b)) => (range.start + a.byte)..(range.start + b.byte + b.len),
        _ => range.start..range.start,
    };
    let syntax_spans = if s.highlighter.status(&file.path) == Status::Ready && !win.is_empty() {
        let path = file.path.clone();
        s.highlighter.spans(&path, win.clone())
    } else {
        std::sync::Arc::new(Vec::new())
    };
    let matches = match &s.search {
        Some(search) if !win.is_empty() => {
            // A little past the window so matches that start inside it are whole.
            let lo = win.start;
            let hi = (win.end + 256).min(range.end);
            search
                .re
                .find_iter(&bytes[lo..hi])
                .map(|m| (lo + m.start())..(lo + m.end()))
                .filter(|r| r.start < win.end)
                .collect()
        }
        _ => Vec::new(),
    };
    let layers = Layers {
        syntax: syntax_spans,
        findings: spans,
        matches,
    };

    let (mut si, mut fi, mut mi) = (0usize, 0usize, 0usize);
    let mut prev: Option<(u16, String)> = None;
    for c in &cells {
        let at = range.start + c.byte;
        let mut style = row_base;
        if let Some(sc) = covering(&layers.syntax, &mut si, at) {
            if let Some(sy) = syntax.get(sc as usize) {
                style = style.patch(*sy);
            }
        }
        if let Some(slot) = covering(&layers.findings, &mut fi, at) {
            style = style.patch(st.span[slot]);
        }
        while mi < layers.matches.len() && layers.matches[mi].end <= at {
            mi += 1;
        }
        if layers.matches.get(mi).is_some_and(|r| r.start <= at) {
            style = style.patch(st.search_match);
        }
        if c.piece.is_hidden() {
            style = style.patch(st.hidden_marker);
        }
        // Columns of this cell that are inside the window.
        let skip = s.hscroll.saturating_sub(c.col);
        let cx = text_x + (c.col + skip - s.hscroll) as u16;
        let room = right_edge.saturating_sub(c.col + skip);
        match c.piece {
            Piece::Char(ch, w) => {
                if w == 0 {
                    // A combining mark joins the previous cell.
                    if let Some((px, sym)) = &mut prev {
                        sym.push(ch);
                        buf[(*px, y)].set_symbol(sym);
                    }
                    continue;
                }
                if skip > 0 || (w as usize) > room {
                    let n = (w as usize).saturating_sub(skip).min(room);
                    put(buf, cx, y, &" ".repeat(n), n, style);
                    prev = None;
                } else {
                    buf[(cx, y)].set_char(ch).set_style(style);
                    if w == 2 {
                        buf[(cx + 1, y)].reset();
                        buf[(cx + 1, y)].set_style(style);
                    }
                    prev = Some((cx, ch.to_string()));
                }
            }
            Piece::Spaces(n) => {
                let n = (n as usize).saturating_sub(skip).min(room);
                put(buf, cx, y, &" ".repeat(n), n, style);
                prev = None;
            }
            Piece::Marker(ch) => {
                let m = marker(ch);
                let visible: String = m.chars().skip(skip).take(room).collect();
                put(buf, cx, y, &visible, room, style);
                prev = None;
            }
            Piece::Dot => {
                buf[(cx, y)].set_char('·').set_style(style);
                prev = None;
            }
            Piece::Invalid => {
                buf[(cx, y)].set_char('\u{fffd}').set_style(style);
                prev = None;
            }
        }
    }

    // The cursor line's finding message after the text, when there is room.
    if is_cursor {
        if let Some(i) = first_msg {
            let f = &s.report.findings[i];
            let from = end_col.max(s.hscroll) + 2;
            if from + 8 < right_edge {
                let msg = format!("◀ {}", sanitize(&f.message));
                let x = text_x + (from - s.hscroll) as u16;
                put(
                    buf,
                    x,
                    y,
                    &msg,
                    right_edge - from,
                    row_base.patch(st.gutter[severity_slot(f.severity)]),
                );
            }
        }
    }
}

/// End of the token a finding's column points at: an identifier or member chain
/// (`child_process.exec`), else the rest of a quoted string, else one character.
fn token_end(line: &[u8], from: usize) -> usize {
    let ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.') || b >= 0x80;
    let mut i = from;
    while i < line.len() && ident(line[i]) && i - from < 200 {
        i += 1;
    }
    if i > from {
        return i;
    }
    if let Some(&q) = line.get(from) {
        if matches!(q, b'"' | b'\'' | b'`') {
            let limit = (from + 200).min(line.len());
            if let Some(e) = line[from + 1..limit].iter().position(|&b| b == q) {
                return from + e + 2;
            }
        }
    }
    (from + 1).min(line.len())
}

fn render_list(s: &mut CodeState, buf: &mut Buffer, area: Rect, st: &CodeStyles) {
    let n = s.report.findings.len();
    header(
        buf,
        area,
        &format!(" Findings ({n})"),
        s.focus == Focus::Findings,
        st,
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    s.list_h = body.height as usize;
    let h = s.list_h.max(1);
    if s.list_sel < s.list_top {
        s.list_top = s.list_sel;
    } else if s.list_sel >= s.list_top + h {
        s.list_top = s.list_sel + 1 - h;
    }
    for (k, f) in s
        .report
        .findings
        .iter()
        .enumerate()
        .skip(s.list_top)
        .take(body.height as usize)
    {
        let y = body.y + (k - s.list_top) as u16;
        let selected = k == s.list_sel;
        let row = if selected && s.focus == Focus::Findings {
            st.base.patch(st.selection)
        } else if selected {
            st.base.patch(st.cursor_line)
        } else {
            st.base
        };
        fill(buf, body, y, row);
        let sev = format!(" {:<9}", f.severity.as_str());
        let x = put(
            buf,
            body.x,
            y,
            &sev,
            body.width as usize,
            row.patch(st.gutter[severity_slot(f.severity)]),
        );
        let at = match f.line {
            Some(l) => format!("{}:{l}", sanitize(&f.path)),
            None => sanitize(&f.path).into_owned(),
        };
        let rest = format!("{at}  {}  {}", f.rule, sanitize(&f.message));
        let used = (x - body.x) as usize;
        put(
            buf,
            x,
            y,
            &rest,
            (body.width as usize).saturating_sub(used),
            row,
        );
    }
}

fn render_status(s: &mut CodeState, buf: &mut Buffer, area: Rect, st: &CodeStyles) {
    fill(buf, area, area.y, st.status);
    let w = area.width as usize;
    if let Some(p) = &s.prompt {
        let lead = match p.kind {
            PromptKind::Search => "/",
            PromptKind::Goto => ":",
        };
        let text = format!("{lead}{}", sanitize(&p.text));
        put(buf, area.x, area.y, &text, w, st.status);
        return;
    }
    if let Some(m) = &s.message {
        put(buf, area.x, area.y, &format!(" {m}"), w, st.status);
        return;
    }
    // The findings on the cursor line, the current one first.
    let Some(file) = &s.file else {
        return;
    };
    let ln = s.cursor as u32 + 1;
    let on_line: Vec<usize> = file.findings_on(&s.report, ln).collect();
    let current = s.nav_pos.and_then(|p| s.nav.get(p).copied());
    let Some(&show) = current
        .as_ref()
        .filter(|c| on_line.contains(c))
        .or(on_line.first())
    else {
        let n = file.findings.len();
        let txt = if n == 0 {
            " no findings in this file".to_string()
        } else {
            format!(" {n} finding{} in this file", if n == 1 { "" } else { "s" })
        };
        put(buf, area.x, area.y, &txt, w, st.status);
        return;
    };
    let f = &s.report.findings[show];
    let pos = on_line.iter().position(|&i| i == show).unwrap_or(0) + 1;
    let more = if on_line.len() > 1 {
        format!(" ({pos}/{})", on_line.len())
    } else {
        String::new()
    };
    let evidence: Vec<String> = f
        .evidence
        .iter()
        .take(3)
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let v: String = v.chars().take(80).collect();
            format!("{}={}", sanitize(k), sanitize(&v))
        })
        .collect();
    let tool = f
        .tool
        .as_deref()
        .map(|t| format!(" [tool {}]", sanitize(t)))
        .unwrap_or_default();
    let x = put(
        buf,
        area.x,
        area.y,
        &format!(" ● {}", f.severity.as_str().to_uppercase()),
        w,
        st.status.patch(st.gutter[severity_slot(f.severity)]),
    );
    let rest = format!(
        " {}{more}{tool} — {}  {}",
        f.rule,
        sanitize(&f.message),
        evidence.join(" ")
    );
    put(
        buf,
        x,
        area.y,
        &rest,
        w.saturating_sub((x - area.x) as usize),
        st.status,
    );
}
