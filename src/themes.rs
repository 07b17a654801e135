//! Themes of the hosted pages: `default`, `dark` and `high-contrast` built
//! in (`themes/` in the source tree), and any a deployment ships in
//! `themes.dir` — `NAME/theme.toml` (colours, brand name, logo, fonts from
//! local files) and an optional `NAME/theme.css`. Every theme is validated
//! when the server starts, served from this site only (`/themes/NAME/…`,
//! no CDN, the same Content-Security-Policy), and chosen per deployment
//! (`themes.default`) or per client (its branding's `theme`). A client's own
//! colours still apply on top.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

/// The colour variables a theme may set (`static/visage.css` reads them).
pub const VARIABLES: [&str; 17] = [
    "accent",
    "on-accent",
    "fg",
    "muted",
    "page",
    "card",
    "line",
    "error",
    "error-bg",
    "notice-bg",
    "notice-fg",
    "ok",
    "ok-bg",
    "input-bg",
    "input-line",
    "badge-bg",
    "danger-line",
];

/// Largest file a theme may ship (logo, font, stylesheet).
const MAX_FILE: u64 = 1024 * 1024;

const BUILT_IN: [(&str, &str, &str); 3] = [
    (
        "default",
        include_str!("../themes/default/theme.toml"),
        include_str!("../themes/default/theme.css"),
    ),
    (
        "dark",
        include_str!("../themes/dark/theme.toml"),
        include_str!("../themes/dark/theme.css"),
    ),
    (
        "high-contrast",
        include_str!("../themes/high-contrast/theme.toml"),
        include_str!("../themes/high-contrast/theme.css"),
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("theme '{theme}': {problem}")]
pub struct ThemeError {
    pub theme: String,
    pub problem: String,
}

/// `theme.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    label: Option<String>,
    /// Shown in the page header instead of "Visage".
    brand_name: Option<String>,
    /// A file of the theme shown in the header.
    logo: Option<String>,
    /// `font-family` of the pages, e.g. `"Inter", system-ui, sans-serif`.
    font_family: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
    /// Colours when the browser prefers a dark scheme.
    dark: Option<BTreeMap<String, String>>,
    /// Colours when the browser asks for more contrast.
    contrast: Option<BTreeMap<String, String>>,
    #[serde(default)]
    fonts: Vec<FontFace>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FontFace {
    family: String,
    file: String,
    #[serde(default = "normal")]
    weight: String,
    #[serde(default = "normal")]
    style: String,
}

fn normal() -> String {
    "normal".into()
}

/// A file a theme serves.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub label: String,
    pub brand_name: Option<String>,
    pub logo: Option<String>,
    /// The whole stylesheet: variables, fonts, then the theme's own CSS.
    pub css: String,
    files: HashMap<String, Asset>,
}

impl Theme {
    pub fn file(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }

    pub fn href(&self) -> String {
        format!("/themes/{}/theme.css", self.name)
    }

    pub fn logo_href(&self) -> Option<String> {
        self.logo
            .as_ref()
            .map(|f| format!("/themes/{}/files/{f}", self.name))
    }
}

/// Every theme of the deployment and the one used when none is asked for.
#[derive(Debug, Clone)]
pub struct Themes {
    themes: BTreeMap<String, Theme>,
    default: String,
}

impl Themes {
    /// The built-in themes, then those in `dir` (a deployment's theme of
    /// the same name replaces the built-in one). Any problem stops the start.
    pub fn load(dir: Option<&Path>, default: &str) -> Result<Themes, ThemeError> {
        let mut themes = BTreeMap::new();
        for (name, toml, css) in BUILT_IN {
            themes.insert(name.to_owned(), build(name, toml, css, None)?);
        }
        if let Some(dir) = dir {
            for (name, path) in theme_dirs(dir)? {
                let err = |problem: String| ThemeError {
                    theme: name.clone(),
                    problem,
                };
                let toml = read_text(&path.join("theme.toml")).map_err(err)?;
                let css_path = path.join("theme.css");
                let css = if css_path.exists() {
                    read_text(&css_path).map_err(err)?
                } else {
                    String::new()
                };
                let theme = build(&name, &toml, &css, Some(&path))?;
                themes.insert(name, theme);
            }
        }
        if !themes.contains_key(default) {
            return Err(ThemeError {
                theme: default.to_owned(),
                problem: format!(
                    "themes.default names no theme (there are: {})",
                    themes.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        Ok(Themes {
            themes,
            default: default.to_owned(),
        })
    }

    pub fn get(&self, name: &str) -> Option<&Theme> {
        self.themes.get(name)
    }

    /// `wanted` when the deployment has it, else the deployment's default.
    pub fn pick(&self, wanted: Option<&str>) -> &Theme {
        wanted
            .and_then(|w| self.themes.get(w))
            .or_else(|| self.themes.get(&self.default))
            .or_else(|| self.themes.values().next())
            .unwrap_or_else(|| unreachable!("the built-in themes are always loaded"))
    }

    /// A theme a client asks for must be one of the deployment's.
    pub fn check(&self, wanted: Option<&str>) -> Result<(), String> {
        match wanted {
            Some(t) if !self.themes.contains_key(t) => Err(format!(
                "theme '{t}' is not a theme of this deployment (one of: {})",
                self.names().collect::<Vec<_>>().join(", ")
            )),
            _ => Ok(()),
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.themes.keys().map(String::as_str)
    }
}

/// A theme name: lower-case letters, digits and dashes, 1–40 characters.
pub fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

fn theme_dirs(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, ThemeError> {
    let err = |problem: String| ThemeError {
        theme: dir.display().to_string(),
        problem,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(format!("cannot read: {e}")))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(e.to_string()))?;
        if !entry.file_type().map_err(|e| err(e.to_string()))?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !valid_name(&name) {
            return Err(ThemeError {
                theme: name,
                problem: "a theme's folder name must be lower-case letters, digits and dashes"
                    .into(),
            });
        }
        out.push((name, entry.path()));
    }
    out.sort();
    Ok(out)
}

fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_FILE {
        return Err(format!("{} is larger than 1 MiB", path.display()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn content_type(file: &str) -> Option<&'static str> {
    let ext = file.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => return None,
    })
}

/// A file named in `theme.toml`: a plain name in the theme's own folder.
fn asset(name: &str, file: &str, dir: Option<&Path>) -> Result<Asset, ThemeError> {
    let err = |problem: String| ThemeError {
        theme: name.to_owned(),
        problem,
    };
    let plain = !file.is_empty()
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !file.starts_with('.');
    if !plain {
        return Err(err(format!(
            "'{file}' must be a file name in the theme's folder (letters, digits, . _ -)"
        )));
    }
    let content_type = content_type(file).ok_or_else(|| {
        err(format!(
            "'{file}': only png, jpg, webp, svg, woff2 and woff files are served"
        ))
    })?;
    let dir = dir.ok_or_else(|| err(format!("'{file}': built-in themes ship no files")))?;
    let path = dir.join(file);
    let meta = std::fs::symlink_metadata(&path).map_err(|e| err(format!("'{file}': {e}")))?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return Err(err(format!(
            "'{file}' must be a regular file of at most 1 MiB"
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| err(format!("'{file}': {e}")))?;
    Ok(Asset {
        bytes,
        content_type,
    })
}

fn valid_color(c: &str) -> bool {
    let hex = c.strip_prefix('#').unwrap_or("");
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn variables(
    name: &str,
    table: &str,
    colors: &BTreeMap<String, String>,
) -> Result<String, ThemeError> {
    let mut out = String::new();
    for (var, value) in colors {
        if !VARIABLES.contains(&var.as_str()) {
            return Err(ThemeError {
                theme: name.to_owned(),
                problem: format!(
                    "[{table}] {var}: not a colour of the pages (one of {})",
                    VARIABLES.join(", ")
                ),
            });
        }
        if !valid_color(value) {
            return Err(ThemeError {
                theme: name.to_owned(),
                problem: format!("[{table}] {var} = '{value}': a colour looks like #1a73e8"),
            });
        }
        out.push_str(&format!("--{var}:{value};"));
    }
    Ok(out)
}

/// Free text that ends up in CSS or HTML: printable, no markup, nothing
/// that ends a CSS value or block (quotes only where `quotes`).
fn plain_text(name: &str, field: &str, v: &str, quotes: bool) -> Result<(), ThemeError> {
    let ok = v.len() <= 200
        && v.chars()
            .all(|c| !c.is_control() && !"<>{};\\".contains(c) && (quotes || !"\"'".contains(c)));
    if ok {
        Ok(())
    } else {
        Err(ThemeError {
            theme: name.to_owned(),
            problem: format!("{field}: at most 200 characters, without < > {{ }} ; \\ (or quotes)"),
        })
    }
}

/// The theme's own CSS, its `url()`s pointed at the served files. It may
/// only use its own files: no `@import`, no `url()` to anything but a file
/// it lists, no `expression()` or markup.
fn served_css(name: &str, css: &str, files: &HashMap<String, Asset>) -> Result<String, ThemeError> {
    let err = |problem: String| ThemeError {
        theme: name.to_owned(),
        problem: format!("theme.css: {problem}"),
    };
    // ASCII lower-casing keeps every byte where it is: positions found in
    // `lower` hold in `css`.
    let lower = css.to_ascii_lowercase();
    if lower.contains("@import") {
        return Err(err("@import is not allowed (no other stylesheets)".into()));
    }
    if lower.contains("expression(") || lower.contains("</") {
        return Err(err("expression() and markup are not allowed".into()));
    }
    let mut out = String::with_capacity(css.len());
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|r| r.find("url(")) {
        let open = from + at + 4;
        let end = lower
            .get(open..)
            .and_then(|r| r.find(')'))
            .map_or(css.len(), |e| open + e);
        let target = css
            .get(open..end)
            .unwrap_or_default()
            .trim()
            .trim_matches(|c| c == '"' || c == '\'');
        if !files.contains_key(target) {
            return Err(err(format!(
                "url({target}) is not a file this theme lists (logo or fonts)"
            )));
        }
        out.push_str(css.get(from..open).unwrap_or_default());
        out.push_str(&format!("\"/themes/{name}/files/{target}\""));
        from = end;
    }
    out.push_str(css.get(from..).unwrap_or_default());
    Ok(out)
}

fn build(
    name: &str,
    toml_text: &str,
    own_css: &str,
    dir: Option<&Path>,
) -> Result<Theme, ThemeError> {
    let err = |problem: String| ThemeError {
        theme: name.to_owned(),
        problem,
    };
    let m: Manifest =
        toml::from_str(toml_text).map_err(|e| err(format!("theme.toml: {}", e.message())))?;
    let mut files = HashMap::new();
    for file in m.logo.iter().chain(m.fonts.iter().map(|f| &f.file)) {
        files.insert(file.clone(), asset(name, file, dir)?);
    }
    for (field, v) in [
        ("label", &m.label),
        ("brand_name", &m.brand_name),
        ("font_family", &m.font_family),
    ] {
        if let Some(v) = v {
            plain_text(name, field, v, field == "font_family")?;
        }
    }
    let own = served_css(name, own_css, &files)?;
    let mut css = format!(":root{{{}", variables(name, "colors", &m.colors)?);
    if let Some(f) = &m.font_family {
        css.push_str(&format!("--font:{f};"));
    }
    css.push_str("}\n");
    if let Some(dark) = &m.dark {
        let v = variables(name, "dark", dark)?;
        css.push_str(&format!(
            "@media (prefers-color-scheme: dark){{:root{{{v}}}}}\n"
        ));
    }
    if let Some(more) = &m.contrast {
        let v = variables(name, "contrast", more)?;
        css.push_str(&format!(
            "@media (prefers-contrast: more){{:root{{{v}}}}}\n"
        ));
    }
    for f in &m.fonts {
        for (field, v) in [
            ("fonts.family", &f.family),
            ("fonts.weight", &f.weight),
            ("fonts.style", &f.style),
        ] {
            plain_text(name, field, v, false)?;
        }
        css.push_str(&format!(
            "@font-face{{font-family:\"{}\";src:url(\"/themes/{name}/files/{}\");font-weight:{};font-style:{};font-display:swap}}\n",
            f.family, f.file, f.weight, f.style
        ));
    }
    css.push_str(&own);
    Ok(Theme {
        name: name.to_owned(),
        label: m.label.unwrap_or_else(|| name.to_owned()),
        brand_name: m.brand_name,
        logo: m.logo,
        css,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme_dir(toml: &str, css: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let t = dir.path().join("acme");
        std::fs::create_dir(&t).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(t.join("theme.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(t.join("theme.css"), css).unwrap_or_else(|e| panic!("{e}"));
        for (name, bytes) in files {
            std::fs::write(t.join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
        }
        dir
    }

    /// A theme's `theme.toml`, `theme.css` and other files.
    type Files<'a> = &'a [(&'a str, &'a [u8])];

    fn problem(toml: &str, css: &str, files: Files) -> String {
        let dir = theme_dir(toml, css, files);
        match Themes::load(Some(dir.path()), "default") {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_built_in_themes_load_and_dark_follows_the_browser() {
        let t = Themes::load(None, "default").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t.names().collect::<Vec<_>>(),
            ["dark", "default", "high-contrast"]
        );
        let d = t.pick(None);
        assert_eq!(d.name, "default");
        assert!(
            d.css.contains("@media (prefers-color-scheme: dark)"),
            "{}",
            d.css
        );
        assert!(d.css.contains("@media (prefers-contrast: more)"));
        assert_eq!(t.pick(Some("no-such")).name, "default");
        assert_eq!(t.pick(Some("dark")).name, "dark");
        assert!(Themes::load(None, "purple").is_err());
    }

    #[test]
    fn a_deployment_theme_with_its_own_logo_and_font_is_served_from_here() {
        let dir = theme_dir(
            "brand_name = \"Acme ID\"\nlogo = \"logo.svg\"\nfont_family = \"'Acme Sans', sans-serif\"\n\
             [colors]\naccent = \"#aa0000\"\n[[fonts]]\nfamily = \"Acme Sans\"\nfile = \"acme.woff2\"\n",
            ".brand { background: url('logo.svg') no-repeat; }",
            &[("logo.svg", b"<svg/>"), ("acme.woff2", b"wOF2")],
        );
        let t = Themes::load(Some(dir.path()), "acme").unwrap_or_else(|e| panic!("{e}"));
        let a = t.pick(None);
        assert_eq!(a.brand_name.as_deref(), Some("Acme ID"));
        assert_eq!(
            a.logo_href().as_deref(),
            Some("/themes/acme/files/logo.svg")
        );
        assert!(a.css.contains("--accent:#aa0000;"), "{}", a.css);
        assert!(a.css.contains("src:url(\"/themes/acme/files/acme.woff2\")"));
        assert!(a.css.contains("url(\"/themes/acme/files/logo.svg\")"));
        assert_eq!(
            a.file("logo.svg").map(|f| f.content_type),
            Some("image/svg+xml")
        );
        assert!(a.file("theme.toml").is_none());
    }

    #[test]
    fn a_file_name_in_capitals_is_found_and_served_as_written() {
        let css = problem(
            "logo = \"Logo.svg\"\n",
            "h1 { background: URL(Logo.svg) }",
            &[("Logo.svg", b"<svg/>")],
        );
        assert!(css.is_empty(), "{css}");
        let dir = theme_dir(
            "logo = \"Logo.svg\"\n",
            "h1 { background: URL(Logo.svg) }",
            &[("Logo.svg", b"<svg/>")],
        );
        let t = Themes::load(Some(dir.path()), "acme").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            t.pick(None)
                .css
                .contains("URL(\"/themes/acme/files/Logo.svg\")"),
            "{}",
            t.pick(None).css
        );
    }

    #[test]
    fn a_theme_that_reaches_outside_its_folder_or_this_site_stops_the_start() {
        let cases: [(&str, &str, Files, &str); 8] = [
            (
                "[colors]\naccent = \"red;}body{\"\n",
                "",
                &[],
                "a colour looks like",
            ),
            (
                "[colors]\nbackground = \"#fff\"\n",
                "",
                &[],
                "not a colour of the pages",
            ),
            (
                "logo = \"../../etc/passwd\"\n",
                "",
                &[],
                "must be a file name",
            ),
            (
                "logo = \"logo.exe\"\n",
                "",
                &[("logo.exe", b"x")],
                "only png",
            ),
            ("logo = \"missing.png\"\n", "", &[], "missing.png"),
            (
                "",
                "@import url(https://cdn.example/x.css);",
                &[],
                "@import",
            ),
            (
                "",
                "body { background: url(https://cdn.example/x.png) }",
                &[],
                "is not a file",
            ),
            ("brand_name = \"<script>\"\n", "", &[], "brand_name"),
        ];
        for (toml, css, files, expected) in cases {
            let p = problem(toml, css, files);
            assert!(p.contains(expected), "{toml} {css}: {p}");
            assert!(p.starts_with("theme 'acme'"), "{p}");
        }
        assert!(problem("[colors]\naccent = \"#123456\"\n", "", &[]).is_empty());
    }
}
