//! Themes: a palette and dotted scopes (`risk.critical` → `risk` → `base`), embedded defaults
//! (dark, light, high-contrast) overridable from the user's config dir; colour depth from the
//! terminal (`COLORTERM`, `TERM`) and `NO_COLOR` honoured (modifiers only).

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub const DARK_TOML: &str = include_str!("../../themes/dark.toml");
pub const LIGHT_TOML: &str = include_str!("../../themes/light.toml");
pub const HIGH_CONTRAST_TOML: &str = include_str!("../../themes/high-contrast.toml");

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    None,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl Depth {
    /// From the environment: `NO_COLOR` (any non-empty value) → none; `COLORTERM=truecolor|24bit`
    /// → true colour; `TERM` containing `256color` → 256; `TERM=dumb` → none; else 16.
    pub fn detect(no_color: Option<&str>, colorterm: Option<&str>, term: Option<&str>) -> Depth {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Depth::None;
        }
        if colorterm
            .is_some_and(|c| c.eq_ignore_ascii_case("truecolor") || c.eq_ignore_ascii_case("24bit"))
        {
            return Depth::TrueColor;
        }
        match term {
            Some("dumb") => Depth::None,
            Some(t) if t.contains("256color") => Depth::Ansi256,
            Some(t) if t.contains("direct") => Depth::TrueColor,
            _ => Depth::Ansi16,
        }
    }

    pub fn from_env() -> Depth {
        let get = |k: &str| std::env::var(k).ok();
        Depth::detect(
            get("NO_COLOR").as_deref(),
            get("COLORTERM").as_deref(),
            get("TERM").as_deref(),
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    dim: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTheme {
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    styles: BTreeMap<String, FileStyle>,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<String, Style>,
    depth: Depth,
}

impl Theme {
    pub fn parse(text: &str, name: &str, depth: Depth) -> Result<Theme, String> {
        let raw: FileTheme = toml::from_str(text)
            .map_err(|e| format!("{name}: {}", super::keymap::toml_error(text, &e)))?;
        let mut styles = BTreeMap::new();
        for (scope, s) in &raw.styles {
            let colour = |v: &Option<String>| -> Result<Option<Color>, String> {
                match v {
                    None => Ok(None),
                    Some(v) => {
                        let resolved = raw.palette.get(v).map_or(v.as_str(), String::as_str);
                        parse_color(resolved)
                            .map(|c| Some(downgrade(c, depth)))
                            .ok_or_else(|| {
                                format!("{name}: [styles] {scope}: unknown colour {v:?}")
                            })
                    }
                }
            };
            let mut style = Style::default();
            if depth != Depth::None {
                if let Some(c) = colour(&s.fg)? {
                    style = style.fg(c);
                }
                if let Some(c) = colour(&s.bg)? {
                    style = style.bg(c);
                }
            } else {
                // Still validate colours so a broken file is caught under NO_COLOR too.
                colour(&s.fg)?;
                colour(&s.bg)?;
            }
            let mut m = Modifier::empty();
            for (on, bit) in [
                (s.bold, Modifier::BOLD),
                (s.italic, Modifier::ITALIC),
                (s.underline, Modifier::UNDERLINED),
                (s.reversed, Modifier::REVERSED),
                (s.dim, Modifier::DIM),
            ] {
                if on {
                    m |= bit;
                }
            }
            styles.insert(scope.clone(), style.add_modifier(m));
        }
        let mut theme = Theme {
            name: name.to_string(),
            styles,
            depth,
        };
        if depth == Depth::None {
            // Without colour the cursor and severities must still stand out.
            for (scope, m) in [
                ("selection", Modifier::REVERSED),
                ("cursor-line", Modifier::REVERSED),
                ("tab.active", Modifier::REVERSED),
                ("risk.critical", Modifier::BOLD | Modifier::UNDERLINED),
                ("risk.high", Modifier::BOLD),
                ("status.error", Modifier::BOLD),
            ] {
                let s = theme.style(scope).add_modifier(m);
                theme.styles.insert(scope.to_string(), s);
            }
        }
        Ok(theme)
    }

    pub fn embedded(name: &str, depth: Depth) -> Option<Theme> {
        let text = match name {
            "dark" => DARK_TOML,
            "light" => LIGHT_TOML,
            "high-contrast" => HIGH_CONTRAST_TOML,
            _ => return None,
        };
        Theme::parse(text, name, depth).ok()
    }

    /// `name` (embedded or `<dir>/<name>.toml` in the user's themes dir); on any error the
    /// embedded dark theme and the error.
    pub fn load(name: &str, user_dir: Option<&Path>, depth: Depth) -> (Theme, Vec<String>) {
        let mut errors = Vec::new();
        if let Some(dir) = user_dir {
            let path = dir.join(format!("{name}.toml"));
            match std::fs::read_to_string(&path) {
                Ok(text) => match Theme::parse(&text, &path.display().to_string(), depth) {
                    Ok(t) => return (t, errors),
                    Err(e) => errors.push(format!("{e}; using the built-in theme")),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => errors.push(format!("{}: {e}", path.display())),
            }
        }
        if let Some(t) = Theme::embedded(name, depth) {
            return (t, errors);
        }
        if errors.is_empty() {
            errors.push(format!(
                "theme {name:?} is not one of: dark, light, high-contrast; using dark"
            ));
        }
        (Theme::fallback(depth), errors)
    }

    pub fn fallback(depth: Depth) -> Theme {
        Theme::embedded("dark", depth).unwrap_or(Theme {
            name: "plain".into(),
            styles: BTreeMap::new(),
            depth,
        })
    }

    pub fn depth(&self) -> Depth {
        self.depth
    }

    /// The style for a dotted scope, falling back to its parents, then `base`.
    pub fn style(&self, scope: &str) -> Style {
        let mut s = scope;
        loop {
            if let Some(st) = self.styles.get(s) {
                return *st;
            }
            match s.rfind('.') {
                Some(i) => s = &s[..i],
                None => break,
            }
        }
        self.styles.get("base").copied().unwrap_or_default()
    }

    /// `risk.<severity>`.
    pub fn severity(&self, sev: crate::finding::Severity) -> Style {
        self.style(&format!("risk.{}", sev.as_str()))
    }
}

/// `#rrggbb`, a 0–255 index, or an ANSI name (`red`, `lightred`, `darkgray`, `reset`).
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    if let Ok(n) = s.parse::<u8>() {
        return Some(Color::Indexed(n));
    }
    Some(
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "reset" | "default" => Color::Reset,
            "black" => Color::Black,
            "red" => Color::Red,
            "green" => Color::Green,
            "yellow" => Color::Yellow,
            "blue" => Color::Blue,
            "magenta" => Color::Magenta,
            "cyan" => Color::Cyan,
            "gray" | "grey" => Color::Gray,
            "darkgray" | "darkgrey" => Color::DarkGray,
            "lightred" => Color::LightRed,
            "lightgreen" => Color::LightGreen,
            "lightyellow" => Color::LightYellow,
            "lightblue" => Color::LightBlue,
            "lightmagenta" => Color::LightMagenta,
            "lightcyan" => Color::LightCyan,
            "white" => Color::White,
            _ => return None,
        },
    )
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2) as u32;
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

fn rgb_of_index(n: u8) -> (u8, u8, u8) {
    match n {
        0..=15 => ANSI16[n as usize].1,
        16..=231 => {
            let i = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let g = 8 + (n - 232) * 10;
            (g, g, g)
        }
    }
}

/// Fit a colour to the terminal's depth (nearest match).
pub fn downgrade(c: Color, depth: Depth) -> Color {
    match (c, depth) {
        (_, Depth::None) => Color::Reset,
        (Color::Rgb(r, g, b), Depth::Ansi256) => {
            let best = (16u8..=255)
                .min_by_key(|&n| dist(rgb_of_index(n), (r, g, b)))
                .unwrap_or(16);
            Color::Indexed(best)
        }
        (Color::Rgb(r, g, b), Depth::Ansi16) => nearest16((r, g, b)),
        (Color::Indexed(n), Depth::Ansi16) => nearest16(rgb_of_index(n)),
        (c, _) => c,
    }
}

fn nearest16(rgb: (u8, u8, u8)) -> Color {
    ANSI16
        .iter()
        .min_by_key(|(_, v)| dist(*v, rgb))
        .map_or(Color::Reset, |(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_themes_parse_at_every_depth() {
        for name in ["dark", "light", "high-contrast"] {
            for d in [Depth::None, Depth::Ansi16, Depth::Ansi256, Depth::TrueColor] {
                let text = match name {
                    "dark" => DARK_TOML,
                    "light" => LIGHT_TOML,
                    _ => HIGH_CONTRAST_TOML,
                };
                if let Err(e) = Theme::parse(text, name, d) {
                    panic!("{name} {d:?}: {e}");
                }
            }
        }
    }

    #[test]
    fn scopes_fall_back() {
        let t = Theme::parse(
            "[palette]\nred = \"#ff0000\"\n[styles]\nbase = { fg = \"white\" }\nrisk = { fg = \"red\", bold = true }\n",
            "t",
            Depth::TrueColor,
        )
        .unwrap();
        assert_eq!(t.style("risk.critical").fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(t.style("other.thing").fg, Some(Color::White));
        let t16 = Theme::parse(
            "[styles]\nrisk = { fg = \"#ff1010\" }\n",
            "t",
            Depth::Ansi16,
        )
        .unwrap();
        assert_eq!(t16.style("risk").fg, Some(Color::LightRed));
        let t256 = Theme::parse(
            "[styles]\nrisk = { fg = \"#ff0000\" }\n",
            "t",
            Depth::Ansi256,
        )
        .unwrap();
        assert!(matches!(t256.style("risk").fg, Some(Color::Indexed(_))));
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::embedded("dark", Depth::None).unwrap();
        assert_eq!(t.style("risk.critical").fg, None);
        assert!(t
            .style("selection")
            .add_modifier
            .contains(Modifier::REVERSED));
        assert_eq!(
            Depth::detect(Some("1"), Some("truecolor"), None),
            Depth::None
        );
        assert_eq!(
            Depth::detect(None, Some("truecolor"), None),
            Depth::TrueColor
        );
        assert_eq!(
            Depth::detect(None, None, Some("xterm-256color")),
            Depth::Ansi256
        );
        assert_eq!(Depth::detect(None, None, Some("screen")), Depth::Ansi16);
    }

    #[test]
    fn broken_user_theme_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("dark.toml"),
            "[styles]\nbase = { fg = \"nocolour\" }\n",
        )
        .unwrap();
        let (t, errors) = Theme::load("dark", Some(dir.path()), Depth::TrueColor);
        assert_eq!(t.name, "dark");
        assert!(errors[0].contains("nocolour"), "{errors:?}");
    }
}
