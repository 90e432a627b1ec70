//! Language guess by extension, then shebang, then content.

/// The language name used in reports (`javascript`, `typescript`, `tsx`, `python`, …).
pub fn guess(path: &str, bytes: &[u8]) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.ends_with(".d.ts") {
        return "typescript";
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let by_ext = match ext {
        "js" | "mjs" | "cjs" | "jsx" => Some("javascript"),
        "ts" | "mts" | "cts" => Some("typescript"),
        "tsx" => Some("tsx"),
        "py" | "pyi" | "pyw" => Some("python"),
        "json" | "jsonc" | "json5" => Some("json"),
        "yaml" | "yml" => Some("yaml"),
        "toml" => Some("toml"),
        "md" | "markdown" | "mdx" => Some("markdown"),
        "sh" | "bash" | "zsh" | "ksh" => Some("shell"),
        "ps1" | "psm1" => Some("powershell"),
        "bat" | "cmd" => Some("batch"),
        "html" | "htm" => Some("html"),
        "css" | "scss" | "less" => Some("css"),
        "map" => Some("source-map"),
        "txt" | "rst" | "cfg" | "ini" | "in" => Some("text"),
        "pth" => Some("pth"),
        "node" | "so" | "dylib" | "dll" | "exe" | "bin" => Some("native"),
        "wasm" => Some("wasm"),
        "pyc" | "pyo" => Some("python-bytecode"),
        "png" | "jpg" | "jpeg" | "gif" | "ico" | "webp" | "svg" => Some("image"),
        _ => None,
    };
    if let Some(l) = by_ext {
        return l;
    }
    match name.as_str() {
        "license" | "licence" | "readme" | "changelog" | "notice" | "authors" | "pkg-info"
        | "metadata" | "record" | "wheel" => return "text",
        "makefile" => return "makefile",
        "dockerfile" => return "dockerfile",
        _ => {}
    }
    if let Some(first) = bytes.strip_prefix(b"#!") {
        let line_end = first
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(first.len())
            .min(200);
        let line = String::from_utf8_lossy(&first[..line_end]);
        if line.contains("node") || line.contains("deno") || line.contains("bun") {
            return "javascript";
        }
        if line.contains("python") {
            return "python";
        }
        if line.contains("sh") {
            return "shell";
        }
    }
    if bytes.starts_with(b"\x7fELF")
        || bytes.starts_with(b"MZ")
        || bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe])
    {
        return "native";
    }
    if bytes.starts_with(b"\0asm") {
        return "wasm";
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0)
        || std::str::from_utf8(head).is_err()
            && String::from_utf8_lossy(head).matches('\u{fffd}').count() > 8
    {
        "binary"
    } else {
        "text"
    }
}

#[cfg(test)]
mod tests {
    use super::guess;

    #[test]
    fn guesses() {
        assert_eq!(guess("dist/index.js", b""), "javascript");
        assert_eq!(guess("src/a.mts", b""), "typescript");
        assert_eq!(guess("types/a.d.ts", b""), "typescript");
        assert_eq!(guess("App.TSX", b""), "tsx");
        assert_eq!(guess("pkg/__init__.py", b""), "python");
        assert_eq!(
            guess("bin/cli", b"#!/usr/bin/env node\nconsole.log(1)"),
            "javascript"
        );
        assert_eq!(guess("bin/tool", b"#!/usr/bin/python3\n"), "python");
        assert_eq!(guess("bin/run", b"#!/bin/sh\n"), "shell");
        assert_eq!(guess("LICENSE", b"MIT"), "text");
        assert_eq!(guess("blob", b"\x7fELF\x02\x01"), "native");
        assert_eq!(guess("data", b"a\0b"), "binary");
        assert_eq!(guess("notes", b"plain words"), "text");
    }
}
