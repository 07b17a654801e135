//! Hosted-page strings in English and Vietnamese, chosen by `?lang=`, the
//! language cookie, `ui_locales` or `Accept-Language`, in that order.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Vi,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// The language's own name, for a language switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Vi => "Tiếng Việt",
        }
    }

    /// A BCP 47 tag (`vi-VN`, `en`) to a supported language.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "vi" => Some(Lang::Vi),
            _ => None,
        }
    }

    /// The first supported of space-separated `ui_locales`.
    pub fn from_ui_locales(list: &str) -> Option<Lang> {
        list.split_whitespace().find_map(Lang::from_tag)
    }

    /// The supported language with the highest `q` in an Accept-Language header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let Some(lang) = it.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// Both catalogues, parsed once at start-up.
#[derive(Debug)]
pub struct Catalog {
    en: HashMap<String, String>,
    vi: HashMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the {0} string catalogue is broken: {1}")]
pub struct CatalogError(&'static str, String);

impl Catalog {
    pub fn load() -> Result<Catalog, CatalogError> {
        let parse = |name: &'static str, text: &str| {
            toml::from_str::<HashMap<String, String>>(text)
                .map_err(|e| CatalogError(name, e.to_string()))
        };
        // The hosted pages' strings and the admin console's, one catalogue
        // per language.
        let mut en = parse("English", include_str!("../../i18n/en.toml"))?;
        en.extend(parse(
            "English console",
            include_str!("../../i18n/admin.en.toml"),
        )?);
        let mut vi = parse("Vietnamese", include_str!("../../i18n/vi.toml"))?;
        vi.extend(parse(
            "Vietnamese console",
            include_str!("../../i18n/admin.vi.toml"),
        )?);
        Ok(Catalog { en, vi })
    }

    pub fn tr(&self, lang: Lang) -> Tr<'_> {
        Tr {
            lang,
            strings: match lang {
                Lang::En => &self.en,
                Lang::Vi => &self.vi,
            },
            fallback: &self.en,
        }
    }
}

/// The strings of one language, for one page.
#[derive(Debug, Clone, Copy)]
pub struct Tr<'a> {
    pub lang: Lang,
    strings: &'a HashMap<String, String>,
    fallback: &'a HashMap<String, String>,
}

impl<'a> Tr<'a> {
    /// The string for `key` (English when missing; the key itself as a last resort).
    pub fn t(&self, key: &str) -> &'a str {
        self.strings
            .get(key)
            .or_else(|| self.fallback.get(key))
            .map(String::as_str)
            .unwrap_or_else(|| {
                tracing::warn!("missing string {key}");
                ""
            })
    }

    /// `t(key)` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys_and_no_empty_string() {
        let c = Catalog::load().unwrap_or_else(|e| panic!("{e}"));
        let mut en: Vec<_> = c.en.keys().collect();
        let mut vi: Vec<_> = c.vi.keys().collect();
        en.sort();
        vi.sort();
        assert_eq!(en, vi);
        assert!(c
            .en
            .values()
            .chain(c.vi.values())
            .all(|v| !v.trim().is_empty()));
        assert_eq!(c.tr(Lang::Vi).t("login.title"), "Đăng nhập");
        assert_eq!(
            c.tr(Lang::En).f("login.to_continue", &[("client", "Shop")]),
            "to continue to Shop"
        );
    }

    #[test]
    fn negotiation() {
        assert_eq!(Lang::from_ui_locales("fr-CA vi-VN en"), Some(Lang::Vi));
        assert_eq!(
            Lang::from_accept_language("fr;q=0.9, en;q=0.5, vi-VN;q=0.8"),
            Some(Lang::Vi)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::from_accept_language("vi;q=0, en"), Some(Lang::En));
    }
}
