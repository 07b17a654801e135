use reqwest::StatusCode;

use crate::helpers::*;

fn base<'a>(client: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "xyz"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn with<'a>(
    mut p: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    p.retain(|(k, _)| *k != key);
    if !value.is_empty() {
        p.push((key, value));
    }
    p
}

async fn error_redirect(
    app: &TestApp,
    params: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    let r = app.authorize(params).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let loc = location(r.headers());
    assert!(
        loc.starts_with(REDIRECT),
        "error goes to the registered redirect URI: {loc}"
    );
    let q = query_of(&loc);
    assert_eq!(
        q.get("state").map(String::as_str),
        Some("xyz"),
        "state is echoed"
    );
    q
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_shows_a_page_and_never_redirects() {
    let app = spawn_app().await;
    app.confidential();
    let (_, ch) = pkce();
    for params in [
        with(base("rp", &ch), "redirect_uri", "https://evil.example/cb"),
        with(base("rp", &ch), "redirect_uri", "http://127.0.0.1:8765/cb/"),
        with(base("rp", &ch), "redirect_uri", ""),
        with(base("nope", &ch), "client_id", "nope"),
        with(base("rp", &ch), "client_id", ""),
    ] {
        let r = app.authorize(&params).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("could not complete"));
    }
}

#[tokio::test]
async fn invalid_parameters_redirect_with_the_oauth_error_and_state() {
    let app = spawn_app().await;
    app.confidential();
    app.public();
    let (_, ch) = pkce();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            with(base("rp", &ch), "response_type", "token"),
            "unsupported_response_type",
        ),
        (
            with(base("rp", &ch), "response_type", ""),
            "invalid_request",
        ),
        (
            with(base("rp", &ch), "scope", "openid bogus"),
            "invalid_scope",
        ),
        (with(base("rp", &ch), "scope", "email"), "invalid_scope"),
        (
            with(base("rp", &ch), "code_challenge_method", "S512"),
            "invalid_request",
        ),
        (
            with(base("rp", &ch), "code_challenge_method", "plain"),
            "invalid_request",
        ),
        (
            with(base("rp", &ch), "prompt", "none login"),
            "invalid_request",
        ),
        (with(base("rp", &ch), "max_age", "-1"), "invalid_request"),
        (
            with(base("rp", &ch), "claims", "{not json"),
            "invalid_request",
        ),
        (
            with(base("rp", &ch), "request", "eyJhbGciOiJub25lIn0.e30."),
            "request_not_supported",
        ),
        (
            with(base("rp", &ch), "request_uri", "https://rp.example/req"),
            "request_uri_not_supported",
        ),
        (
            with(base("rp", &ch), "id_token_hint", "not-a-token"),
            "invalid_request",
        ),
        (with(base("rp", &ch), "prompt", "none"), "login_required"),
        (
            with(
                with(base("pub", &ch), "code_challenge", ""),
                "code_challenge_method",
                "",
            ),
            "invalid_request",
        ),
    ];
    for (params, expected) in cases {
        let q = error_redirect(&app, &params).await;
        assert_eq!(
            q.get("error").map(String::as_str),
            Some(expected),
            "params {params:?}"
        );
        assert!(q.get("error_description").is_some_and(|d| !d.is_empty()));
    }
    // Duplicated parameter
    let mut dup = base("rp", &ch);
    dup.push(("scope", "openid"));
    assert_eq!(error_redirect(&app, &dup).await["error"], "invalid_request");
    // An essential acr we cannot satisfy fails instead of silently downgrading.
    let claims =
        r#"{"id_token":{"acr":{"essential":true,"values":["urn:visage:acr:passkey+face"]}}}"#;
    assert_eq!(
        error_redirect(&app, &with(base("rp", &ch), "claims", claims)).await["error"],
        "unmet_authentication_requirements"
    );
}

#[tokio::test]
async fn code_flow_with_pkce_issues_verifiable_tokens() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let user_id = app.user();
    let (code, verifier, nonce) = app.code_for("rp", &[]).await;
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    assert_eq!(t.headers["cache-control"], "no-store");
    assert_eq!(t.body["token_type"], "Bearer");
    assert!(t.body["refresh_token"].is_string());
    // The ID token verifies against the published JWKS.
    let id_token = t.body["id_token"].as_str().unwrap();
    let header = jwt_header(id_token);
    assert_eq!(header["alg"], "RS256");
    let jwks: serde_json::Value = app.get("/jwks").await.json().await.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap();
    let jwk = josekit::jwk::Jwk::from_bytes(jwk.to_string()).unwrap();
    let verifier_rs = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jws::deserialize_compact(id_token, &verifier_rs).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["iss"], app.issuer);
    assert_eq!(claims["aud"], "rp");
    assert_eq!(claims["sub"], user_id);
    assert_eq!(claims["nonce"], nonce);
    assert_eq!(claims["acr"], "urn:visage:acr:password");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert!(
        claims["auth_time"].is_i64() && claims["sid"].is_string() && claims["at_hash"].is_string()
    );
    // The access token is an RFC 9068 JWT.
    let at = t.body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(at)["typ"], "at+jwt");
    let atc = jwt_claims(at);
    assert_eq!(atc["client_id"], "rp");
    assert!(atc["jti"].is_string());
}

#[tokio::test]
async fn reused_code_is_refused_and_revokes_its_tokens() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let (code, verifier, _) = app.code_for("rp", &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let first = app.token(Some(("rp", &secret)), &form).await;
    assert_eq!(first.status, StatusCode::OK);
    let second = app.token(Some(("rp", &secret)), &form).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(second.body["error"], "invalid_grant");
    let at = first.body["access_token"].as_str().unwrap();
    assert_eq!(app.introspect("rp", &secret, at).await["active"], false);
    let rt = first.body["refresh_token"].as_str().unwrap();
    let r = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(r.body["error"], "invalid_grant");
}

#[tokio::test]
async fn code_checks_pkce_redirect_uri_client_and_expiry() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let other = app
        .register(new_client(
            "other",
            visage::oidc::types::TokenAuthMethod::ClientSecretBasic,
        ))
        .client_secret
        .unwrap();
    app.user();
    let cases: Vec<(&str, &str, Option<&str>, i64)> = vec![
        (
            "rp",
            REDIRECT,
            Some("wrong-verifier-wrong-verifier-wrong-verifier-0"),
            0,
        ),
        ("rp", REDIRECT, None, 0),
        ("rp", "http://127.0.0.1:8765/other", Some(""), 0),
        ("other", REDIRECT, Some(""), 0),
        ("rp", REDIRECT, Some(""), 61),
    ];
    for (client, redirect, verifier_override, advance) in cases {
        let (code, verifier, _) = app.code_for("rp", &[]).await;
        app.clock.advance(advance);
        let v = match verifier_override {
            Some("") => Some(verifier.as_str()),
            other => other,
        };
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
        ];
        if let Some(v) = v {
            form.push(("code_verifier", v));
        }
        let s = if client == "rp" {
            secret.as_str()
        } else {
            other.as_str()
        };
        let t = app.token(Some((client, s)), &form).await;
        assert_eq!(
            t.body["error"], "invalid_grant",
            "case {client} {redirect} {verifier_override:?} +{advance}s"
        );
    }
}

#[tokio::test]
async fn consent_is_remembered_and_prompt_and_max_age_are_honoured() {
    let app = spawn_app().await;
    app.confidential();
    app.user();
    app.code_for("rp", &[]).await;
    let (_, ch) = pkce();
    // Signed in and consented: a code comes back without any page.
    let r = app.authorize(&base("rp", &ch)).await;
    assert!(location(r.headers()).starts_with(REDIRECT));
    let r = app
        .authorize(&with(base("rp", &ch), "prompt", "none"))
        .await;
    assert!(
        query_of(&location(r.headers())).contains_key("code"),
        "prompt=none succeeds with a session"
    );
    // prompt=login and max_age=0 ask for the password again; prompt=consent asks for consent.
    let r = app
        .authorize(&with(base("rp", &ch), "prompt", "login"))
        .await;
    assert!(location(r.headers()).starts_with("/login"));
    app.clock.advance(5);
    let r = app.authorize(&with(base("rp", &ch), "max_age", "1")).await;
    assert!(location(r.headers()).starts_with("/login"));
    let r = app
        .authorize(&with(base("rp", &ch), "prompt", "consent"))
        .await;
    assert!(location(r.headers()).starts_with("/consent"));
    // Declining consent reports access_denied to the client.
    let loc = location(r.headers());
    let r = app.submit(&loc, &[("decision", "deny")]).await;
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "xyz");
}

#[tokio::test]
async fn form_post_response_mode_renders_an_auto_submitting_form() {
    let app = spawn_app().await;
    app.confidential();
    app.user();
    app.code_for("rp", &[]).await;
    let (_, ch) = pkce();
    let r = app
        .authorize(&with(base("rp", &ch), "response_mode", "form_post"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let (action, fields) = form_of(&html);
    assert_eq!(action, REDIRECT);
    assert!(fields.iter().any(|(k, _)| k == "code"));
    assert!(fields.iter().any(|(k, v)| k == "state" && v == "xyz"));
    assert!(html.contains("/static/form_post.js") && !html.contains("<script>"));
}

#[tokio::test]
async fn wrong_password_and_missing_csrf_are_refused() {
    let app = spawn_app().await;
    app.confidential();
    app.user();
    let (_, ch) = pkce();
    let r = app.authorize(&base("rp", &ch)).await;
    let login = location(r.headers());
    let r = app.login(&login, EMAIL, "wrong password").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("incorrect"));
    let r = app.login(&login, "nobody@example.com", PASSWORD).await;
    assert!(
        r.text().await.unwrap().contains("incorrect"),
        "unknown accounts get the same answer"
    );
    let html = app.get(&login).await.text().await.unwrap();
    let (_, fields) = form_of(&html);
    let tx = fields.iter().find(|(k, _)| k == "tx").unwrap().1.clone();
    let r = app
        .http
        .post(app.url("/login"))
        .form(&[
            ("tx", tx.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let audit = app.db.run_sync(visage::db::audit::all).unwrap();
    assert!(
        audit
            .iter()
            .filter(|e| e.action == "login.password" && e.outcome == "failure")
            .count()
            >= 2
    );
    assert_eq!(
        app.db
            .run_sync(|c| visage::audit::verify(c, &app.master_key))
            .unwrap()
            .broken_at,
        None,
        "audit chain intact"
    );
}

#[tokio::test]
async fn failed_logins_are_limited_per_ip() {
    let app = spawn_with(|c| {
        c.lockout.ip.max = 3;
        c.lockout.account.max = 100;
    })
    .await;
    app.confidential();
    app.user();
    let (_, ch) = pkce();
    let login = location(app.authorize(&base("rp", &ch)).await.headers());
    for _ in 0..3 {
        assert_eq!(
            app.login(&login, EMAIL, "wrong").await.status(),
            StatusCode::OK
        );
    }
    let r = app.login(&login, EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}
