//! Keymaps: TOML per mode (`{ on = ["]", "f"], run = "next-finding", desc = "…" }`), multi-key
//! sequences, layered: an embedded keymap (default or vim), then the user's file. Views never
//! see key codes; this module turns keys into [`Action`]s.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::action::Action;

pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
pub const VIM_TOML: &str = include_str!("../../keymaps/vim.toml");

/// One key press, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("cr", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("s-tab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("bs", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("space", KeyCode::Char(' ')),
    ("lt", KeyCode::Char('<')),
];

impl Key {
    pub fn char(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: false,
            alt: false,
        }
    }

    pub fn code(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// Parse one key: `j`, `J`, `?`, `<enter>`, `<c-c>`, `<a-x>`, `<f1>`, `<space>`, `<lt>`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => return Ok(Key::char(c)),
            (None, _) => return Err("empty key".into()),
            _ => {}
        }
        let inner = s
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .ok_or_else(|| format!("unknown key {s:?} (write one character or <name>)"))?;
        let mut key = Key::char(' ');
        let mut rest = inner;
        loop {
            let lower = rest.to_ascii_lowercase();
            if lower.starts_with("c-") && rest.len() > 2 {
                key.ctrl = true;
                rest = &rest[2..];
            } else if (lower.starts_with("a-") || lower.starts_with("m-")) && rest.len() > 2 {
                key.alt = true;
                rest = &rest[2..];
            } else {
                break;
            }
        }
        let mut cs = rest.chars();
        key.code = match (cs.next(), cs.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    KeyCode::F(n)
                } else {
                    return Err(format!("unknown key {s:?}"));
                }
            }
        };
        Ok(key)
    }

    /// Parse a space-separated key string: `"j j <enter> ?"`.
    pub fn parse_seq(s: &str) -> Result<Vec<Key>, String> {
        s.split_whitespace().map(Key::parse).collect()
    }

    /// How the help overlay shows it.
    pub fn display(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            other => NAMED
                .iter()
                .find(|(_, c)| *c == other)
                .map_or("?".to_string(), |(n, _)| n.to_string()),
        };
        let mut s = String::new();
        if self.ctrl {
            s.push_str("Ctrl-");
        }
        if self.alt {
            s.push_str("Alt-");
        }
        s.push_str(&base);
        s
    }

    pub fn from_crossterm(ev: &crossterm::event::KeyEvent) -> Option<Key> {
        use crossterm::event::{KeyCode as C, KeyModifiers as M};
        let code = match ev.code {
            C::Char(c) => KeyCode::Char(c),
            C::Enter => KeyCode::Enter,
            C::Esc => KeyCode::Esc,
            C::Tab => KeyCode::Tab,
            C::BackTab => KeyCode::BackTab,
            C::Backspace => KeyCode::Backspace,
            C::Delete => KeyCode::Delete,
            C::Up => KeyCode::Up,
            C::Down => KeyCode::Down,
            C::Left => KeyCode::Left,
            C::Right => KeyCode::Right,
            C::PageUp => KeyCode::PageUp,
            C::PageDown => KeyCode::PageDown,
            C::Home => KeyCode::Home,
            C::End => KeyCode::End,
            C::F(n) => KeyCode::F(n),
            _ => return None,
        };
        let mut ctrl = ev.modifiers.contains(M::CONTROL);
        // Ctrl-letter arrives as the letter with CONTROL; keep the letter lower-case.
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        if matches!(code, KeyCode::BackTab) {
            ctrl = false;
        }
        Some(Key {
            code,
            ctrl,
            alt: ev.modifiers.contains(M::ALT),
        })
    }
}

/// The modes a keymap has bindings for. `global` applies on every screen after the screen's own.
pub const MODES: &[&str] = &[
    "global",
    "queue",
    "overview",
    "code",
    "tools",
    "deps",
    "checklist",
    "verdict",
    "help",
];

#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: String,
}

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    /// Mode → bindings, earlier ones win.
    pub modes: BTreeMap<String, Vec<Binding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBinding {
    on: OneOrMany,
    run: String,
    #[serde(default)]
    desc: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMode {
    #[serde(default)]
    keymap: Vec<FileBinding>,
}

/// What a key press means once the pending sequence is taken into account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Run(Action),
    /// The keys so far start a longer binding: wait for the next.
    Pending,
    Unbound,
}

impl Keymap {
    /// Parse one keymap file; `name` is used in errors.
    pub fn parse(text: &str, name: &str) -> Result<Keymap, String> {
        let raw: BTreeMap<String, FileMode> =
            toml::from_str(text).map_err(|e| format!("{name}: {}", toml_error(text, &e)))?;
        let mut map = Keymap::default();
        for (mode, m) in raw {
            if !MODES.contains(&mode.as_str()) {
                return Err(format!(
                    "{name}: unknown mode [{mode}] (modes: {})",
                    MODES.join(", ")
                ));
            }
            let mut out = Vec::new();
            for b in m.keymap {
                let keys = match b.on {
                    OneOrMany::One(s) => vec![Key::parse(&s)],
                    OneOrMany::Many(v) => v.iter().map(|s| Key::parse(s)).collect(),
                }
                .into_iter()
                .collect::<Result<Vec<Key>, String>>()
                .map_err(|e| format!("{name}: [{mode}]: {e}"))?;
                if keys.is_empty() {
                    return Err(format!("{name}: [{mode}]: a binding with no keys"));
                }
                let action = Action::parse(&b.run)
                    .ok_or_else(|| format!("{name}: [{mode}]: unknown action {:?}", b.run))?;
                let desc = if b.desc.is_empty() {
                    b.run.clone()
                } else {
                    b.desc
                };
                out.push(Binding { keys, action, desc });
            }
            map.modes.insert(mode, out);
        }
        Ok(map)
    }

    /// An embedded keymap by name (`default`, `vim`).
    pub fn embedded(name: &str) -> Option<Keymap> {
        let text = match name {
            "default" => DEFAULT_TOML,
            "vim" => VIM_TOML,
            _ => return None,
        };
        Keymap::parse(text, &format!("keymaps/{name}.toml")).ok()
    }

    /// User bindings go first in each mode (they win); the base's stay behind them.
    pub fn layer(mut self, user: Keymap) -> Keymap {
        for (mode, mut bindings) in user.modes {
            let base = self.modes.remove(&mode).unwrap_or_default();
            bindings.extend(base);
            self.modes.insert(mode, bindings);
        }
        self
    }

    /// The embedded `base`, then `user_file` if it exists. A broken user file (or an unknown
    /// base name) is reported and the embedded default used instead.
    pub fn load(base: &str, user_file: Option<&Path>) -> (Keymap, Vec<String>) {
        let mut errors = Vec::new();
        let mut map = match Keymap::embedded(base) {
            Some(m) => m,
            None => {
                errors.push(format!(
                    "keymap {base:?} is not one of: default, vim; using default"
                ));
                Keymap::embedded("default").unwrap_or_default()
            }
        };
        if let Some(path) = user_file {
            match std::fs::read_to_string(path) {
                Ok(text) => match Keymap::parse(&text, &path.display().to_string()) {
                    Ok(user) => map = map.layer(user),
                    Err(e) => errors.push(format!("{e}; using the built-in keymap")),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => errors.push(format!("{}: {e}", path.display())),
            }
        }
        (map, errors)
    }

    /// Resolve `keys` (the pending sequence plus the new key) in `mode`, then `global`.
    pub fn resolve(&self, mode: &str, keys: &[Key]) -> Resolved {
        let mut pending = false;
        for m in [mode, "global"] {
            for b in self.modes.get(m).map(Vec::as_slice).unwrap_or_default() {
                if b.keys == keys {
                    return Resolved::Run(b.action);
                }
                if b.keys.len() > keys.len() && b.keys.starts_with(keys) {
                    pending = true;
                }
            }
        }
        if pending {
            Resolved::Pending
        } else {
            Resolved::Unbound
        }
    }

    /// Bindings for the help overlay: the mode's own, then global ones not shadowed.
    pub fn help(&self, mode: &str) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for m in [mode, "global"] {
            for b in self.modes.get(m).map(Vec::as_slice).unwrap_or_default() {
                if !seen.insert(b.keys.clone()) {
                    continue;
                }
                let keys: Vec<String> = b.keys.iter().map(Key::display).collect();
                out.push((m.to_string(), keys.join(" "), b.desc.clone()));
            }
        }
        out
    }

    /// The first key sequence bound to `action` in `mode` or global (for hints).
    pub fn key_for(&self, mode: &str, action: Action) -> Option<String> {
        for m in [mode, "global"] {
            for b in self.modes.get(m).map(Vec::as_slice).unwrap_or_default() {
                if b.action == action {
                    let keys: Vec<String> = b.keys.iter().map(Key::display).collect();
                    return Some(keys.join(" "));
                }
            }
        }
        None
    }
}

/// A TOML error as one line with its line number.
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let msg = e.message().trim().replace('\n', " ");
    match line {
        Some(l) => format!("line {l}: {msg}"),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keys() {
        assert_eq!(Key::parse("j").unwrap(), Key::char('j'));
        assert_eq!(Key::parse("<enter>").unwrap(), Key::code(KeyCode::Enter));
        let c = Key::parse("<c-c>").unwrap();
        assert!(c.ctrl && c.code == KeyCode::Char('c'));
        assert_eq!(Key::parse("<F1>").unwrap(), Key::code(KeyCode::F(1)));
        assert!(Key::parse("<nope>").is_err());
        assert!(Key::parse("ab").is_err());
        assert_eq!(Key::parse_seq("j j <enter> ?").unwrap().len(), 4);
    }

    #[test]
    fn embedded_keymaps_load() {
        for name in ["default", "vim"] {
            let text = if name == "vim" {
                VIM_TOML
            } else {
                DEFAULT_TOML
            };
            Keymap::parse(text, name).unwrap();
        }
    }

    #[test]
    fn sequences_and_layering() {
        let base = Keymap::parse(
            "[global]\nkeymap = [{ on = \"q\", run = \"quit\" }]\n[code]\nkeymap = [{ on = [\"]\", \"f\"], run = \"next-finding\" }]\n",
            "t",
        )
        .unwrap();
        assert_eq!(base.resolve("code", &[Key::char(']')]), Resolved::Pending);
        assert_eq!(
            base.resolve("code", &[Key::char(']'), Key::char('f')]),
            Resolved::Run(Action::NextFinding)
        );
        assert_eq!(
            base.resolve("queue", &[Key::char('q')]),
            Resolved::Run(Action::Quit)
        );
        assert_eq!(base.resolve("queue", &[Key::char('x')]), Resolved::Unbound);
        let user =
            Keymap::parse("[global]\nkeymap = [{ on = \"q\", run = \"help\" }]\n", "u").unwrap();
        let layered = base.layer(user);
        assert_eq!(
            layered.resolve("queue", &[Key::char('q')]),
            Resolved::Run(Action::Help)
        );
    }

    #[test]
    fn broken_user_file_falls_back_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keymap.toml");
        std::fs::write(
            &p,
            "[global]\nkeymap = [{ on = \"q\", run = \"explode\" }]\n",
        )
        .unwrap();
        let (map, errors) = Keymap::load("default", Some(&p));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("keymap.toml") && errors[0].contains("explode"),
            "{errors:?}"
        );
        assert!(map.modes.contains_key("global"));
        std::fs::write(&p, "[global\n").unwrap();
        let (_, errors) = Keymap::load("default", Some(&p));
        assert!(errors[0].contains("line 1"), "{errors:?}");
    }
}
