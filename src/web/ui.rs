//! What every hosted page shares: language, client branding, CSRF token.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;

use crate::web::error::Reply;
use actix_web::{HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::i18n::{Lang, Tr};
use crate::oidc::client::Client;

use super::{cookies, pages};

pub const LANG_COOKIE: &str = "visage_lang";

/// Branding of the client a page is shown for.
#[derive(Debug, Clone)]
pub struct Brand {
    pub client_id: crate::ids::ClientId,
    pub client_name: String,
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub themed: bool,
    /// The theme the client picked, if any.
    pub theme: Option<String>,
}

impl Brand {
    pub fn of(client: &Client) -> Brand {
        let b = &client.branding;
        Brand {
            client_id: client.id.clone(),
            client_name: client.name.clone(),
            logo_uri: b.logo_uri.clone(),
            policy_uri: b.policy_uri.clone(),
            tos_uri: b.tos_uri.clone(),
            themed: b.accent_color.is_some() || b.background_color.is_some(),
            theme: b.theme.clone(),
        }
    }

    /// The client's stylesheet URL (colours as CSS variables).
    pub fn theme_href(&self) -> String {
        let id: String =
            url::form_urlencoded::byte_serialize(self.client_id.as_str().as_bytes()).collect();
        format!("/theme.css?client={id}")
    }
}

/// The shared part of every page.
pub struct Ui<'a> {
    pub tr: Tr<'a>,
    pub brand: Option<Brand>,
    /// The client's theme, or the deployment's.
    pub theme: &'a crate::themes::Theme,
    pub csrf: String,
    /// This page's path and query, for the language switch.
    pub here: String,
    new_csrf: Option<Cookie<'static>>,
}

impl<'a> Ui<'a> {
    /// `ui_locales` of the authorization request, when there is one.
    pub fn new(
        req: &HttpRequest,
        state: &'a AppState,
        brand: Option<Brand>,
        ui_locales: Option<&str>,
    ) -> Ui<'a> {
        let (csrf, new_csrf) = cookies::csrf_token(req, state.config.secure_cookies());
        let theme = state
            .themes
            .pick(brand.as_ref().and_then(|b| b.theme.as_deref()));
        Ui {
            tr: state.i18n.tr(negotiate(req, ui_locales)),
            theme,
            brand,
            csrf,
            here: here(req),
            new_csrf,
        }
    }

    pub fn lang_href(&self, lang: &str) -> String {
        lang_href(&self.here, lang)
    }

    pub fn other_langs(&self) -> Vec<(&'static str, &'static str)> {
        Lang::ALL
            .into_iter()
            .filter(|l| *l != self.tr.lang)
            .map(|l| (l.code(), l.name()))
            .collect()
    }

    /// Render `page`, setting the CSRF cookie when it is new.
    pub fn render(&self, status: Reply, page: &dyn askama::DynTemplate) -> HttpResponse {
        let mut resp = pages::render(status, page);
        if let Some(c) = &self.new_csrf {
            let _ = resp.add_cookie(c);
        }
        resp
    }
}

/// The request's path and query, to come back to.
pub fn here(req: &HttpRequest) -> String {
    req.uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

/// The link that switches to `lang` and comes back to `here`.
pub fn lang_href(here: &str, lang: &str) -> String {
    let back: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("/lang?set={lang}&back={back}")
}

/// `?lang=`, then the language cookie, then `ui_locales`, then Accept-Language.
pub fn negotiate(req: &HttpRequest, ui_locales: Option<&str>) -> Lang {
    let query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::from_tag(&v));
    query
        .or_else(|| {
            req.cookie(LANG_COOKIE)
                .and_then(|c| Lang::from_tag(c.value()))
        })
        .or_else(|| ui_locales.and_then(Lang::from_ui_locales))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

pub fn lang_cookie(lang: Lang, secure: bool) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// A local path to go back to (never another site). Only visible ASCII
/// without backslashes is accepted (browsers drop tabs and newlines and read
/// a backslash as `/`, so `/<TAB>/evil.example` would leave the site), it must start
/// with one `/`, and resolved against this site it must stay on it.
pub fn local_path(p: &str) -> &str {
    const HOME: &str = "/account";
    let visible = p.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\');
    let rooted = p.starts_with('/') && !p.starts_with("//");
    let stays = url::Url::parse("https://visage.invalid/")
        .and_then(|base| base.join(p))
        .is_ok_and(|u| u.host_str() == Some("visage.invalid"));
    if visible && rooted && stays {
        p
    } else {
        HOME
    }
}

/// 303 to a local path.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// `path?tx=…` (or just `path`).
pub fn with_tx(path: &str, tx: Option<&str>) -> String {
    match tx {
        Some(t) => {
            let t: String = url::form_urlencoded::byte_serialize(t.as_bytes()).collect();
            format!("{path}?tx={t}")
        }
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod local_path_tests {
    use super::local_path;

    #[test]
    fn only_paths_of_this_site_are_kept() {
        for ok in ["/account", "/login?tx=abc&x=%2F", "/a/b#c"] {
            assert_eq!(local_path(ok), ok);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example/",
            "evil.example",
            "/\u{3000}/evil.example",
            "",
        ] {
            assert_eq!(local_path(bad), "/account", "{bad:?}");
        }
    }
}
