//! Themes of the hosted pages: the built-in ones, a deployment's own (its
//! logo and brand name, served from this site only), a client's choice, and
//! a theme that would reach outside its folder or this site refused at start.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A folder with one theme `acme` (brand name, logo, accent colour).
fn acme_themes(css: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("acme");
    std::fs::create_dir(&t).unwrap();
    std::fs::write(
        t.join("theme.toml"),
        "label = \"Acme\"\nbrand_name = \"Acme ID\"\nlogo = \"logo.svg\"\n[colors]\naccent = \"#aa0011\"\n",
    )
    .unwrap();
    std::fs::write(t.join("theme.css"), css).unwrap();
    std::fs::write(
        t.join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::fs::write(t.join("secret.txt"), "not served").unwrap();
    dir
}

/// The sign-in page `client` sends people to.
async fn login_page_of(app: &TestApp, client: &str) -> String {
    let (_, challenge) = pkce();
    let r = app
        .authorize(&[
            ("client_id", client),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let to = location(r.headers());
    assert!(to.starts_with("/login"), "{to}");
    app.get(&to).await.text().await.unwrap()
}

#[tokio::test]
async fn the_built_in_themes_are_served_and_dark_follows_the_browser() {
    let app = spawn_app().await;
    for name in ["default", "dark", "high-contrast", "_"] {
        let r = app.get(&format!("/themes/{name}/theme.css")).await;
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css"));
        assert!(r.text().await.unwrap().contains("--accent:"), "{name}");
    }
    let default = app.get("/themes/_/theme.css").await.text().await.unwrap();
    assert!(default.contains("@media (prefers-color-scheme: dark)"));
    assert_eq!(
        app.get("/themes/purple/theme.css").await.status(),
        StatusCode::NOT_FOUND
    );
    // Every page links the theme after the base stylesheet.
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/themes/_/theme.css\""), "{home}");
}

#[tokio::test]
async fn a_deployments_own_theme_brands_its_pages_from_its_own_files() {
    let dir = acme_themes(".brand { letter-spacing: .02em; }");
    let path = dir.path().display().to_string();
    let app = spawn_with(move |c| {
        c.themes.dir = path;
        c.themes.default = "acme".into();
    })
    .await;
    app.confidential();
    let page = login_page_of(&app, "rp").await;
    assert!(page.contains("href=\"/themes/acme/theme.css\""), "{page}");
    assert!(
        page.contains("src=\"/themes/acme/files/logo.svg\""),
        "{page}"
    );
    assert!(page.contains("Acme ID"), "{page}");
    let css = app
        .get("/themes/acme/theme.css")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        css.contains("--accent:#aa0011;") && css.contains("letter-spacing"),
        "{css}"
    );
    let logo = app.get("/themes/acme/files/logo.svg").await;
    assert_eq!(logo.status(), StatusCode::OK);
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    // Only the files the theme lists: not its other files, not its manifest.
    for file in ["secret.txt", "theme.toml", "..%2Fsecret.txt"] {
        let r = app.get(&format!("/themes/acme/files/{file}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{file}");
    }
    // Nothing from another site: the policy stays this site's only.
    let csp = app.get("/").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in ["style-src 'self'", "font-src 'self'", "script-src 'self'"] {
        assert!(
            csp.split("; ").any(|d| d == directive),
            "{directive}: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test]
async fn a_client_picks_one_of_the_deployments_themes() {
    use crate::admin_api::{call, owner_token};
    let app = spawn_app().await;
    let t = owner_token(&app).await;
    let client = |theme: &str| {
        json!({
            "client_name": "Kiosk",
            "redirect_uris": [REDIRECT],
            "branding": { "theme": theme, "accent_color": "#0b7285" },
        })
    };
    let (s, b) = call(&app, "POST", "/clients", &t, Some(client("no-such-theme"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("high-contrast"),
        "{b}"
    );
    let (s, b) = call(&app, "POST", "/clients", &t, Some(client("high-contrast"))).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["client_id"].as_str().unwrap().to_owned();
    let page = login_page_of(&app, &id).await;
    assert!(
        page.contains("href=\"/themes/high-contrast/theme.css\""),
        "{page}"
    );
    // The client's own colour still applies, after the theme.
    let theme_at = page.find("/themes/high-contrast/theme.css").unwrap();
    let own_at = page
        .find("/theme.css?client=")
        .expect("the client's colours");
    assert!(own_at > theme_at, "the client's colours come last");
    // Another client without a theme gets the deployment's.
    app.confidential();
    let page = login_page_of(&app, "rp").await;
    assert!(
        page.contains("href=\"/themes/default/theme.css\""),
        "{page}"
    );
}

#[tokio::test]
async fn a_theme_reaching_outside_its_folder_or_this_site_stops_the_start() {
    for css in [
        "@import url(https://cdn.example/fonts.css);",
        "body { background: url(https://cdn.example/bg.png) }",
        "body { background: url(../../../etc/passwd) }",
    ] {
        let dir = acme_themes(css);
        let mut config = visage::config::Config {
            data_dir: dir.path().join("data"),
            ..visage::config::Config::default()
        };
        config.themes.dir = dir.path().display().to_string();
        config.face.enabled = false;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let clock = Arc::new(visage::clock::OffsetClock::default());
        match visage::Application::build_on(config, listener, clock) {
            Ok(_) => panic!("started with {css}"),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("theme 'acme'") && e.contains("theme.css"), "{e}");
            }
        }
    }
}

#[tokio::test]
async fn each_theme_is_what_a_browser_draws() {
    use crate::webdriver::Browser;
    let app = spawn_app().await;
    let b = Browser::start(&app.issuer).await;
    // The page colour each theme sets (themes/*/theme.toml), as the
    // browser computes it: the stylesheet loaded under the site's policy.
    for (theme, page_rgb) in [
        ("default", "rgb(244, 245, 248)"),
        ("dark", "rgb(16, 17, 19)"),
        ("high-contrast", "rgb(255, 255, 255)"),
    ] {
        let mut c = new_client(theme, visage::oidc::types::TokenAuthMethod::None);
        c.branding.theme = Some(theme.to_owned());
        app.register(c);
        let (_, challenge) = pkce();
        b.goto(&format!(
            "/authorize?client_id={theme}&redirect_uri={REDIRECT}&response_type=code&scope=openid\
             &code_challenge={challenge}&code_challenge_method=S256"
        ))
        .await;
        b.wait("main.card").await;
        let bg = b
            .run_async(
                "arguments[0](getComputedStyle(document.body).backgroundColor)",
                vec![],
            )
            .await;
        assert_eq!(bg, page_rgb, "{theme}");
        b.screenshot(&format!("theme-{theme}")).await;
    }
    b.quit().await;
}
