//! Static files (no CDN), health and the home page.

use actix_web::http::header;

use crate::web::error::Reply;
use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::i18n::Lang;
use crate::oidc::client::Client;
use crate::web::pages;
use crate::web::ui::{lang_cookie, local_path, see_other};

const CSS: &str = include_str!("../../../static/visage.css");
const FORM_POST_JS: &str = include_str!("../../../static/form_post.js");
const PASSKEY_JS: &str = include_str!("../../../static/passkey.js");
const FACE_JS: &str = include_str!("../../../static/face.js");
const ADMIN_CSS: &str = include_str!("../../../static/admin.css");

pub async fn file(name: web::Path<String>) -> HttpResponse {
    let (body, ct) = match name.as_str() {
        "visage.css" => (CSS, "text/css; charset=utf-8"),
        "form_post.js" => (FORM_POST_JS, "text/javascript; charset=utf-8"),
        "passkey.js" => (PASSKEY_JS, "text/javascript; charset=utf-8"),
        "face.js" => (FACE_JS, "text/javascript; charset=utf-8"),
        "admin.css" => (ADMIN_CSS, "text/css; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    cached(ct, body)
}

/// A file of this site, cached by browsers for an hour.
fn cached(content_type: &str, body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    pages::render(
        Reply::Shown,
        &pages::HomePage {
            issuer: &state.config.issuer,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    set: String,
    back: Option<String>,
}

/// `GET /lang?set=vi&back=/login?tx=…`: remember the language, go back.
pub async fn set_lang(state: web::Data<AppState>, q: web::Query<LangQuery>) -> HttpResponse {
    let back = local_path(q.back.as_deref().unwrap_or("/account"));
    let mut resp = see_other(back);
    if let Some(lang) = Lang::from_tag(&q.set) {
        let _ = resp.add_cookie(&lang_cookie(lang, state.config.secure_cookies()));
    }
    resp
}

/// `GET /themes/NAME/theme.css`: a theme's stylesheet (`_`: the
/// deployment's default theme, for pages shown for no client).
pub async fn theme_css(state: web::Data<AppState>, name: web::Path<String>) -> HttpResponse {
    let theme = match name.as_str() {
        "_" => Some(state.themes.pick(None)),
        n => state.themes.get(n),
    };
    match theme {
        Some(t) => cached("text/css; charset=utf-8", t.css.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /themes/NAME/files/FILE`: a logo or font the theme lists (nothing
/// else of its folder is served).
pub async fn theme_file(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (name, file) = path.into_inner();
    match state.themes.get(&name).and_then(|t| t.file(&file)) {
        Some(a) => cached(a.content_type, a.bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

#[derive(serde::Deserialize)]
pub struct ThemeQuery {
    client: crate::ids::ClientId,
}

/// `GET /theme.css?client=ID`: the client's colours as CSS variables.
pub async fn theme(state: web::Data<AppState>, q: web::Query<ThemeQuery>) -> HttpResponse {
    let id = q.client.clone();
    let css = match state.db.run(move |c| Client::find(c, &id)).await {
        Ok(Some(c)) => c.branding.css(),
        Ok(None) => String::new(),
        Err(e) => {
            tracing::error!("theme: {e}");
            String::new()
        }
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(css)
}
