//! Reading one MCP client config file: JSON with comments (JSONC) or TOML (Codex), and the
//! server entries in it.
//!
//! The JSONC stripper blanks comments and trailing commas with spaces (newlines kept), so the
//! positions serde_json reports in the stripped text are the positions in the file.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Client, ConfigError, ServerEntry, Transport};

/// Files larger than this are refused (a client config is a few kilobytes).
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Blank `//` and `/* */` comments outside strings and commas before `}` or `]`, keeping every
/// other byte (and every newline) where it was.
pub fn strip_jsonc(text: &str) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = b.to_vec();
    let mut i = 0;
    let mut in_str = false;
    // Position of a comma not yet followed by a significant byte.
    let mut pending_comma: Option<usize> = None;
    // The last significant byte outside comments: a comma right after `{`, `[` or `,` is an
    // error to report, not a trailing comma.
    let mut last: u8 = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                pending_comma = None;
                in_str = true;
                last = c;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut j = i;
                let mut closed = false;
                while j < b.len() {
                    if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        out[j] = b' ';
                        out[j + 1] = b' ';
                        j += 2;
                        closed = true;
                        break;
                    }
                    if b[j] != b'\n' {
                        out[j] = b' ';
                    }
                    j += 1;
                }
                if !closed {
                    // Leave an unclosed comment for the parser to report.
                    out[i] = b'/';
                    if i + 1 < b.len() {
                        out[i + 1] = b'*';
                    }
                }
                i = j;
                continue;
            }
            b',' => {
                pending_comma = (!matches!(last, b'{' | b'[' | b',')).then_some(i);
                last = c;
            }
            b'}' | b']' => {
                if let Some(p) = pending_comma.take() {
                    out[p] = b' ';
                }
                last = c;
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                pending_comma = None;
                last = c;
            }
        }
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII spaces outside strings; multi-byte sequences
    // inside comments are blanked byte by byte, which keeps the text valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Parse a JSON (or JSONC) config.
pub fn parse_json(text: &str) -> Result<Value, ConfigError> {
    let stripped = strip_jsonc(text);
    serde_json::from_str(&stripped).map_err(|e| ConfigError::Syntax {
        line: e.line(),
        column: e.column(),
        message: plain_serde_message(&e.to_string()),
    })
}

/// serde_json appends " at line L column C": the position is shown separately.
fn plain_serde_message(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m.to_string(),
    }
}

/// Parse a TOML (Codex) config into a JSON value.
pub fn parse_toml(text: &str) -> Result<Value, ConfigError> {
    let v: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Syntax {
            line,
            column,
            message: e.message().to_string(),
        }
    })?;
    serde_json::to_value(v).map_err(|e| ConfigError::Shape(e.to_string()))
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

/// The server tables a config can hold, by the key that holds them.
fn server_maps(root: &Map<String, Value>) -> Vec<(&Map<String, Value>, Option<String>)> {
    let mut out = Vec::new();
    for key in ["mcpServers", "servers", "context_servers", "mcp_servers"] {
        if let Some(Value::Object(m)) = root.get(key) {
            out.push((m, None));
        }
    }
    // VS Code user settings: `"mcp": {"servers": …}` or a flat `"mcp.servers"` key.
    if let Some(Value::Object(mcp)) = root.get("mcp") {
        if let Some(Value::Object(m)) = mcp.get("servers") {
            out.push((m, None));
        }
    }
    if let Some(Value::Object(m)) = root.get("mcp.servers") {
        out.push((m, None));
    }
    // Claude Code `~/.claude.json`: per-project servers.
    if let Some(Value::Object(projects)) = root.get("projects") {
        for (project, p) in projects {
            if let Some(Value::Object(m)) = p.get("mcpServers") {
                out.push((m, Some(project.clone())));
            }
        }
    }
    out
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

/// The server entries of a parsed config. Entries that are not objects, or name neither a
/// command nor a URL, are skipped (clients ignore them too).
pub fn servers(root: &Value, client: Client, file: &str, text: &str) -> Vec<ServerEntry> {
    let Value::Object(root) = root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let keys = KeyLines::build(text, client);
    for (map, scope) in server_maps(root) {
        // Per-project servers: look for the name after the project's key.
        let after = scope.as_deref().and_then(|p| keys.line(p, 1)).unwrap_or(1);
        for (name, v) in map {
            let Value::Object(e) = v else { continue };
            // Zed: `"command": {"path", "args", "env"}`.
            let (command, mut args, mut env) = match e.get("command") {
                Some(Value::Object(c)) => (
                    str_of(c, "path").map(str::to_string),
                    string_list(c.get("args")),
                    string_map(c.get("env")),
                ),
                Some(Value::String(s)) => (Some(s.clone()), Vec::new(), BTreeMap::new()),
                Some(Value::Array(a)) => {
                    // `"command": ["npx", "-y", "pkg"]` (some clients accept a list).
                    let list = string_list(Some(&Value::Array(a.clone())));
                    let mut it = list.into_iter();
                    (it.next(), it.collect(), BTreeMap::new())
                }
                _ => (None, Vec::new(), BTreeMap::new()),
            };
            args.extend(string_list(e.get("args")));
            env.extend(string_map(e.get("env")));
            let url = ["url", "httpUrl", "serverUrl", "uri"]
                .iter()
                .find_map(|k| str_of(e, k))
                .map(str::to_string);
            if command.is_none() && url.is_none() {
                continue;
            }
            let declared = str_of(e, "type")
                .or_else(|| str_of(e, "transport"))
                .unwrap_or("")
                .to_ascii_lowercase();
            let transport = if command.is_some() && url.is_none() {
                Transport::Stdio
            } else if declared == "sse" {
                Transport::Sse
            } else if declared.contains("http") || e.contains_key("httpUrl") {
                Transport::Http
            } else if declared == "stdio" && command.is_some() {
                Transport::Stdio
            } else if url
                .as_deref()
                .is_some_and(|u| u.trim_end_matches('/').ends_with("/sse"))
            {
                Transport::Sse
            } else {
                Transport::Http
            };
            let mut headers = string_map(e.get("headers"));
            headers.extend(string_map(e.get("http_headers")));
            let line = keys.line(name, after);
            let mut entry = ServerEntry {
                client,
                file: file.to_string(),
                name: name.clone(),
                scope: scope.clone(),
                transport,
                command,
                args,
                env,
                url,
                headers,
                cwd: str_of(e, "cwd").map(str::to_string),
                line,
                spec: None,
                spec_error: None,
                findings: Vec::new(),
            };
            entry.derive_spec();
            out.push(entry);
        }
    }
    // serde_json maps are sorted by key: report servers in file order where lines are known.
    out.sort_by_key(|s| s.line.unwrap_or(u32::MAX));
    out
}

/// Lines of object keys, built in one pass (a file with thousands of servers must not cost a
/// search of the whole text per server): JSON `"key":` (comments blanked first) by the key's
/// decoded text, TOML `[mcp_servers.NAME]` headers by NAME.
pub struct KeyLines(std::collections::HashMap<String, Vec<u32>>);

impl KeyLines {
    pub fn build(text: &str, client: Client) -> KeyLines {
        let mut map: std::collections::HashMap<String, Vec<u32>> = Default::default();
        if client == Client::Codex {
            for (i, l) in text.lines().enumerate() {
                if let Some(h) = l
                    .trim()
                    .strip_prefix("[mcp_servers.")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    map.entry(h.trim_matches('"').to_string())
                        .or_default()
                        .push(i as u32 + 1);
                }
            }
            return KeyLines(map);
        }
        let stripped = strip_jsonc(text);
        let b = stripped.as_bytes();
        let mut line = 1u32;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => line += 1,
                b'"' => {
                    let start = i;
                    let start_line = line;
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' {
                            i += 1;
                        } else if b[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    let end = (i + 1).min(b.len());
                    let mut j = end;
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if b.get(j) == Some(&b':') {
                        if let Ok(key) = serde_json::from_str::<String>(&stripped[start..end]) {
                            map.entry(key).or_default().push(start_line);
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
        KeyLines(map)
    }

    /// The first line of `key` at or after `after`.
    pub fn line(&self, key: &str, after: u32) -> Option<u32> {
        self.0.get(key)?.iter().copied().find(|&l| l >= after)
    }
}

/// How far below its entry's first line a value is looked for.
const VALUE_WINDOW: usize = 200;

/// Config text with its line starts, for finding the line of a value without rescanning.
pub struct Source<'a> {
    pub text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Source<'a> {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Source { text, starts }
    }

    /// The first line at or after `from_line` (within [`VALUE_WINDOW`] lines) holding
    /// `needle` (as written, or JSON-escaped).
    pub fn find_value_line(&self, from_line: Option<u32>, needle: &str) -> Option<u32> {
        if needle.is_empty() {
            return None;
        }
        let escaped = serde_json::to_string(needle).ok();
        let escaped = escaped
            .as_deref()
            .map(|e| e.trim_matches('"'))
            .unwrap_or(needle);
        let first = from_line.unwrap_or(1).max(1) as usize - 1;
        let last = (first + VALUE_WINDOW).min(self.starts.len());
        for i in first..last {
            let a = self.starts[i];
            let b = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
            let l = self.text.get(a..b).unwrap_or("");
            if l.contains(needle) || l.contains(escaped) {
                return Some(i as u32 + 1);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_and_trailing_commas_in_place() {
        let src =
            "{\n  // a comment\n  \"a\": \"x // not a comment\", /* b */\n  \"b\": [1, 2,],\n}";
        let out = strip_jsonc(src);
        assert_eq!(out.len(), src.len());
        assert_eq!(out.lines().count(), src.lines().count());
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "x // not a comment");
        assert_eq!(v["b"], serde_json::json!([1, 2]));
    }

    #[test]
    fn only_trailing_commas_are_dropped() {
        assert!(parse_json("{,}").is_err());
        assert!(parse_json("[1,,]").is_err());
        assert!(parse_json("[,]").is_err());
        assert!(parse_json("[1, /* c */ ,]").is_err());
        assert!(parse_json("[1, // c\n]").is_ok());
    }

    #[test]
    fn escaped_quotes_and_commas_in_strings_survive() {
        let v = parse_json(r#"{"a": "q\"/*,}", "b": ",]",}"#).unwrap();
        assert_eq!(v["a"], "q\"/*,}");
        assert_eq!(v["b"], ",]");
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let e = parse_json("{\n  // c\n  \"a\": [1 2]\n}").unwrap_err();
        match e {
            ConfigError::Syntax { line, column, .. } => {
                assert_eq!(line, 3);
                assert_eq!(column, 11);
            }
            other => panic!("{other:?}"),
        }
        let e = parse_toml("[mcp_servers.x]\ncommand = \n").unwrap_err();
        assert!(matches!(e, ConfigError::Syntax { line: 2, .. }), "{e:?}");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let deep = "[".repeat(100_000);
        assert!(parse_json(&deep).is_err());
    }
}
