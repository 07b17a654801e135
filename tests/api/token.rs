use reqwest::StatusCode;
use visage::oidc::types::TokenAuthMethod;

use crate::helpers::*;

#[tokio::test]
async fn client_credentials_issues_a_revocable_jwt_access_token() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let t = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.headers["cache-control"], "no-store");
    assert_eq!(t.body["token_type"], "Bearer");
    assert_eq!(t.body["scope"], "api:read");
    let at = t.body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(at)["typ"], "at+jwt");
    let intro = app.introspect("rp", &secret, at).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["client_id"], "rp");
    let r = app
        .http
        .post(app.url("/revoke"))
        .basic_auth("rp", Some(&secret))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.introspect("rp", &secret, at).await["active"], false);
    // People's scopes cannot be obtained by a client for itself.
    let t = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "client_credentials"), ("scope", "openid")],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_scope");
}

#[tokio::test]
async fn client_authentication_failures_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.public();
    let cc = [("grant_type", "client_credentials")];
    for (id, s) in [("rp", "wrong"), ("nobody", "x"), ("pub", "anything")] {
        let t = app.token(Some((id, s)), &cc).await;
        assert_eq!(t.status, StatusCode::UNAUTHORIZED, "{id}");
        assert_eq!(t.body["error"], "invalid_client");
        assert!(t.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
    }
    // No authentication at all.
    let t = app.token(None, &cc).await;
    assert_eq!(t.body["error"], "invalid_client");
    // client_secret_post works; two methods at once do not.
    let t = app
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "rp"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_request");
    // A disabled client is refused.
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::oidc::client_admin::set_disabled(c, &"rp".into(), true, "test", now))
        .unwrap();
    assert_eq!(
        app.token(Some(("rp", &secret)), &cc).await.body["error"],
        "invalid_client"
    );
    // A rotated secret replaces the old one at once.
    app.db
        .run_sync(|c| visage::oidc::client_admin::set_disabled(c, &"rp".into(), false, "test", now))
        .unwrap();
    let new_secret = app
        .db
        .run_sync(|c| {
            visage::oidc::client_admin::rotate_secret(c, &app.master_key, &"rp".into(), "test", now)
        })
        .unwrap();
    assert_eq!(
        app.token(Some(("rp", &secret)), &cc).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.token(Some(("rp", &new_secret)), &cc).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_token_requests_get_clear_oauth_errors() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let t = app
        .token(Some(("rp", &secret)), &[("grant_type", "password")])
        .await;
    assert_eq!(t.body["error"], "unsupported_grant_type");
    let t = app.token(Some(("rp", &secret)), &[]).await;
    assert_eq!(t.body["error"], "invalid_request");
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_request");
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_grant");
    // Wrong content type, invalid UTF-8, a huge body and a garbage Basic header.
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth("rp", Some(&secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth("rp", Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"grant_type=client_credentials&scope=%FF%FE".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let big = format!(
        "grant_type=client_credentials&scope={}",
        "a".repeat(200_000)
    );
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth("rp", Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = app
        .http
        .post(app.url("/token"))
        .header("authorization", "Basic !!!")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

fn assertion(app: &TestApp, key: &josekit::jwk::Jwk, jti: &str, exp_in: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut header = josekit::jws::JwsHeader::new();
    header.set_key_id("k1");
    let claims = serde_json::json!({ "iss": "pkj", "sub": "pkj", "aud": app.url("/token"), "jti": jti, "iat": now, "exp": now + exp_in });
    let signer = josekit::jws::ES256.signer_from_jwk(key).unwrap();
    josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
}

#[tokio::test]
async fn private_key_jwt_authenticates_and_refuses_replays() {
    let app = spawn_app().await;
    let mut key = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    key.set_key_id("k1");
    key.set_algorithm("ES256");
    let mut public = key.to_public_key().unwrap();
    public.set_key_id("k1");
    let mut c = new_client("pkj", TokenAuthMethod::PrivateKeyJwt);
    c.jwks = Some(
        serde_json::json!({ "keys": [serde_json::Value::Object(public.as_ref().clone())] })
            .to_string(),
    );
    app.register(c);
    let a = assertion(&app, &key, "jti-1", 120);
    let form = |a: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", a.to_owned()),
        ]
    };
    let (http, url) = (app.http.clone(), app.url("/token"));
    let send = |f: Vec<(&'static str, String)>| {
        let (http, url) = (http.clone(), url.clone());
        async move { http.post(url).form(&f).send().await.unwrap() }
    };
    let r = send(form(&a)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = send(form(&a)).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a replayed jti is refused"
    );
    let r = send(form(&assertion(&app, &key, "jti-2", -5))).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "an expired assertion is refused"
    );
    let other = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let r = send(form(&assertion(&app, &other, "jti-3", 60))).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a foreign key is refused"
    );
}

#[tokio::test]
async fn id_token_alg_follows_the_client_setting() {
    let app = spawn_app().await;
    app.user();
    for (id, alg) in [
        ("es", visage::keys::Alg::Es256),
        ("ed", visage::keys::Alg::EdDsa),
    ] {
        let mut c = new_client(id, TokenAuthMethod::ClientSecretBasic);
        c.id_token_alg = alg;
        let secret = app.register(c).client_secret.unwrap();
        let (code, verifier, _) = app.code_for(id, &[]).await;
        let t = app
            .token(
                Some((id, &secret)),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert_eq!(
            jwt_header(t.body["id_token"].as_str().unwrap())["alg"],
            alg.as_str()
        );
    }
}

/// `/introspect` reads the caller's client row and the token's row in one
/// statement (one database round trip). What that must not change: the
/// caller is still authenticated first, the row is used only for a token
/// whose signature holds, and revocation still shows at once.
#[tokio::test]
async fn introspection_in_one_statement_still_authenticates_and_verifies_first() {
    use base64::Engine;
    let app = spawn_app().await;
    let secret = app.confidential();
    let cc = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let at = app.token(Some(("rp", &secret)), &cc).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.token(Some(("rp", &secret)), &cc).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.introspect("rp", &secret, &at).await["active"], true);

    // A wrong secret or a disabled client learns nothing about a live token.
    let call = |id: &str, s: &str, token: &str| {
        app.http
            .post(app.url("/introspect"))
            .basic_auth(id, Some(s))
            .form(&[("token", token)])
            .send()
    };
    for (id, s) in [("rp", "wrong"), ("nobody", "x")] {
        let r = call(id, s, &at).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{id}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
        assert!(body.get("active").is_none(), "{body}");
    }
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::oidc::client_admin::set_disabled(c, &"rp".into(), true, "test", now))
        .unwrap();
    let r = call("rp", &secret, &at).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.db
        .run_sync(|c| visage::oidc::client_admin::set_disabled(c, &"rp".into(), false, "test", now))
        .unwrap();

    // A forged token naming the live token's jti, its signature taken from
    // another token: the row read for that jti does not make it active.
    let parts: Vec<&str> = at.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["scope"] = "api:read admin:users".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        other.split('.').nth(2).unwrap()
    );
    assert_eq!(
        app.introspect("rp", &secret, &forged).await["active"],
        false
    );

    // Revoked (a row is recorded for a client's own token): inactive at once.
    let r = app
        .http
        .post(app.url("/revoke"))
        .basic_auth("rp", Some(&secret))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.introspect("rp", &secret, &at).await["active"], false);
    assert_eq!(app.introspect("rp", &secret, &other).await["active"], true);
}
