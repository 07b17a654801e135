//! The admin API over HTTP with client-credentials tokens: roles and scopes,
//! every endpoint, bad input, and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::{json, Value};
use visage::admin::roles::{self, Role};
use visage::oidc::types::TokenAuthMethod;

use crate::helpers::*;

/// A confidential client `id` with `role` (if any); returns its secret.
pub(crate) fn admin_client(app: &TestApp, id: &str, role: Option<Role>) -> String {
    let secret = app
        .register(new_client(id, TokenAuthMethod::ClientSecretBasic))
        .client_secret
        .expect("secret");
    if let Some(role) = role {
        let now = chrono::Utc::now().timestamp();
        app.db
            .run_sync(|c| roles::grant(c, "client", id, role, "test", now))
            .expect("grant");
    }
    secret
}

async fn token(app: &TestApp, id: &str, secret: &str, scope: &str) -> Tokens {
    app.token(
        Some((id, secret)),
        &[("grant_type", "client_credentials"), ("scope", scope)],
    )
    .await
}

pub(crate) async fn bearer(app: &TestApp, id: &str, secret: &str, scope: &str) -> String {
    let t = token(app, id, secret, scope).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    t.body["access_token"].as_str().unwrap().to_owned()
}

/// (status, JSON body) of an admin API call.
pub(crate) async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let url = app.url(&format!("/admin/api{path}"));
    let mut req = app
        .http
        .request(method.parse().unwrap(), url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// (status, JSON body) of an admin API call whose body is `raw` as sent,
/// with a JSON content type (`token` none: no Authorization header).
pub(crate) async fn call_raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    raw: &'static str,
) -> (StatusCode, Value) {
    let url = app.url(&format!("/admin/api{path}"));
    let mut req = app
        .http
        .request(method.parse().unwrap(), url)
        .header("content-type", "application/json")
        .body(raw);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Every admin API call that reads a JSON body.
pub(crate) const CALLS_WITH_A_BODY: [(&str, &str); 12] = [
    ("POST", "/clients"),
    ("PUT", "/clients/rp"),
    ("PUT", "/face-policy"),
    ("PUT", "/roles/someone"),
    ("POST", "/invitations"),
    ("POST", "/incidents/clients/rp/revoke-tokens"),
    ("POST", "/incidents/users/someone/revoke-tokens"),
    ("POST", "/incidents/users/someone/reauthenticate"),
    ("POST", "/incidents/reauthenticate-everyone"),
    ("POST", "/incidents/blocked-networks"),
    ("POST", "/incidents/blocked-networks/some-id/lift"),
    ("PUT", "/incidents/face-sign-in"),
];

/// Bodies an attacker sends to learn from the refusal or to cost parsing:
/// not JSON, the wrong shape, and a wrong role.
pub(crate) const ODD_BODIES: [&str; 3] = [
    "{not json",
    "[1, 2, 3]",
    r#"{"role": "emperor", "kind": "user", "redirect_uris": 7}"#,
];

/// A token of a new owner client `ops` with every admin scope.
pub(crate) async fn owner_token(app: &TestApp) -> String {
    let secret = admin_client(app, "ops", Some(Role::Owner));
    bearer(
        app,
        "ops",
        &secret,
        "admin:read admin:write admin:keys admin:roles",
    )
    .await
}

fn client_count(app: &TestApp) -> usize {
    app.db
        .run_sync(visage::oidc::client_admin::list)
        .expect("list")
        .len()
}

#[tokio::test]
async fn roles_and_scopes_decide_who_may_call_what() {
    let app = spawn_app().await;
    let ops = admin_client(&app, "ops", Some(Role::Admin));
    let aud = admin_client(&app, "aud", Some(Role::Auditor));
    let rp = admin_client(&app, "rp", None);

    let r = app.get("/admin/api/clients").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));

    // Only clients with a role obtain admin scopes, and only their role's.
    let t = token(&app, "rp", &rp, "admin:read").await;
    assert_eq!(t.body["error"], "invalid_scope", "{}", t.body);
    let t = token(&app, "aud", &aud, "admin:write").await;
    assert_eq!(t.body["error"], "invalid_scope", "{}", t.body);
    // A plain token of a client without a role is no admin token.
    let plain = bearer(&app, "rp", &rp, "").await;
    let (s, b) = call(&app, "GET", "/clients", &plain, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");

    let read = bearer(&app, "aud", &aud, "admin:read").await;
    let (s, b) = call(&app, "GET", "/clients", &read, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["total"], 4, "ops, aud, rp and the console's own client");
    // The auditor cannot change anything.
    let before = client_count(&app);
    let (s, b) = call(
        &app,
        "POST",
        "/clients",
        &read,
        Some(json!({ "client_name": "X", "redirect_uris": [REDIRECT] })),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"], "insufficient_scope");
    // No call that changes anything is open to admin:read (the calls that
    // take a body are checked with valid bodies elsewhere).
    for (method, path) in [
        ("POST", "/clients/rp/disable"),
        ("DELETE", "/clients/rp"),
        ("POST", "/clients/rp/secret"),
        ("POST", "/users/someone/disable"),
        ("POST", "/users/someone/sign-out"),
        ("DELETE", "/users/someone"),
        ("DELETE", "/users/someone/face"),
        ("POST", "/users/someone/sessions/sid/end"),
        ("POST", "/grants/some-grant/revoke"),
        ("POST", "/invitations"),
        ("POST", "/invitations/some-id/resend"),
        ("DELETE", "/invitations/some-id"),
        ("POST", "/keys/rotate"),
        ("POST", "/keys/some-kid/retire"),
        ("DELETE", "/roles/someone"),
    ] {
        let (s, b) = call(&app, method, path, &read, Some(json!({}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
    }
    assert_eq!(client_count(&app), before);
    // The caller is refused before its body is read: however odd the body,
    // no token gets 401 and a token without the scope 403, never a 400
    // that would tell the caller about the body or cost the parse.
    for (method, path) in CALLS_WITH_A_BODY {
        for raw in ODD_BODIES {
            let (s, b) = call_raw(&app, method, path, None, raw).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path} {raw}: {b}");
            let (s, b) = call_raw(&app, method, path, Some(&read), raw).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path} {raw}: {b}");
            assert_eq!(b["error"], "insufficient_scope", "{method} {path}: {b}");
            let (s, b) = call_raw(&app, method, path, Some(&plain), raw).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path} {raw}: {b}");
        }
    }

    // An admin token narrowed to admin:read cannot write either.
    let narrow = bearer(&app, "ops", &ops, "admin:read").await;
    let (s, _) = call(&app, "POST", "/clients/rp/disable", &narrow, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Managing administrators is the owner's.
    let write = bearer(&app, "ops", &ops, "admin:read admin:write admin:keys").await;
    let (s, _) = call(
        &app,
        "PUT",
        "/roles/rp",
        &write,
        Some(json!({ "kind": "client", "role": "admin" })),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &app,
        "POST",
        "/invitations",
        &write,
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A disabled admin client's tokens stop working. Disabling an
    // administrator (here an auditor client) is managing administrators: an
    // admin may not, an owner may.
    let (s, _) = call(&app, "POST", "/clients/aud/disable", &write, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let boss = admin_client(&app, "boss", Some(Role::Owner));
    let owner = bearer(&app, "boss", &boss, "admin:read admin:write admin:roles").await;
    let (s, _) = call(&app, "POST", "/clients/aud/disable", &owner, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "GET", "/clients", &read, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn clients_are_created_rotated_disabled_and_deleted_with_clear_errors() {
    let app = spawn_app().await;
    let ops = admin_client(&app, "ops", Some(Role::Admin));
    let t = bearer(&app, "ops", &ops, "admin:read admin:write").await;
    let (s, b) = call(
        &app,
        "POST",
        "/clients",
        &t,
        Some(json!({
            "client_id": "shop",
            "client_name": "Shop",
            "redirect_uris": ["https://shop.example/cb"],
            "branding": { "accent_color": "#0b7285" },
            "password_policy": "email_code"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let secret = b["client_secret"].as_str().unwrap().to_owned();
    let (s, b) = call(&app, "GET", "/clients/shop", &t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["password_policy"], "email_code");
    assert!(b.get("client_secret").is_none() && !b.to_string().contains("secret_hash"));
    let (_, b) = call(&app, "GET", "/clients?q=sho", &t, None).await;
    assert_eq!(b["total"], 1);

    // Bad input: 400 with a clear message, nothing written.
    let before = client_count(&app);
    let bad = [
        (
            json!({ "client_id": "shop", "client_name": "Again", "redirect_uris": ["https://a.example/cb"] }),
            "already exists",
        ),
        (
            json!({ "client_name": "Frag", "redirect_uris": ["https://a.example/cb#x"] }),
            "fragment",
        ),
        (
            json!({ "client_name": "x".repeat(300), "redirect_uris": ["https://a.example/cb"] }),
            "1 to 200 characters",
        ),
        (
            json!({ "client_name": "Long", "redirect_uris": [format!("https://a.example/{}", "a".repeat(3000))] }),
            "at most 2000",
        ),
        (
            json!({ "client_name": "Typo", "redirect_uri": ["https://a.example/cb"] }),
            "unknown field",
        ),
        (
            json!({ "client_name": "Alg", "redirect_uris": ["https://a.example/cb"], "id_token_signed_response_alg": "HS256" }),
            "HS256",
        ),
        (
            json!({ "client_name": "Huge", "redirect_uris": ["https://a.example/cb"], "jwks": { "keys": [], "pad": "p".repeat(70_000) } }),
            "larger than allowed",
        ),
    ];
    for (body, msg) in bad {
        let (s, b) = call(&app, "POST", "/clients", &t, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        let d = b["error_description"].as_str().unwrap_or("").to_lowercase();
        assert!(d.contains(&msg.to_lowercase()), "{msg:?} in {d:?}");
    }
    assert_eq!(client_count(&app), before, "nothing half-written");

    // Edit: the whole client as when creating; id, secret and state stay.
    let edit = json!({
        "client_name": "Shop 2",
        "redirect_uris": ["https://shop.example/cb", "https://shop.example/cb2"],
        "face_policy": "require"
    });
    let (s, b) = call(&app, "PUT", "/clients/shop", &t, Some(edit.clone())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["client_name"], "Shop 2");
    assert_eq!(b["face_policy"], "require");
    assert_eq!(b["password_policy"], "default");
    assert_eq!(
        token(&app, "shop", &secret, "").await.status,
        StatusCode::OK,
        "the secret stays"
    );
    let mut public = edit.clone();
    public["token_endpoint_auth_method"] = json!("none");
    let (s, b) = call(&app, "PUT", "/clients/shop", &t, Some(public)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error_description"]
        .as_str()
        .unwrap()
        .contains("register a new client"));
    let mut renamed = edit.clone();
    renamed["client_id"] = json!("other");
    let (s, _) = call(&app, "PUT", "/clients/shop", &t, Some(renamed)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&app, "PUT", "/clients/nope", &t, Some(edit)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Rotate: the new secret works, the old one stops.
    let (s, b) = call(&app, "POST", "/clients/shop/secret", &t, None).await;
    assert_eq!(s, StatusCode::OK);
    let new = b["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        token(&app, "shop", &secret, "").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(token(&app, "shop", &new, "").await.status, StatusCode::OK);

    // Disable: token requests and authorizations are refused.
    let (s, _) = call(&app, "POST", "/clients/shop/disable", &t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        token(&app, "shop", &new, "").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .authorize(&[
            ("client_id", "shop"),
            ("redirect_uri", "https://shop.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an error page, never a redirect"
    );
    assert!(r.text().await.unwrap().contains("disabled"));
    let (s, _) = call(&app, "POST", "/clients/shop/enable", &t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(token(&app, "shop", &new, "").await.status, StatusCode::OK);

    // Every change is audited with the actor.
    let (_, b) = call(&app, "GET", "/audit?category=admin&client=shop", &t, None).await;
    let actions: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "client.enable",
            "client.disable",
            "client.rotate_secret",
            "client.update",
            "client.create"
        ]
    );
    assert!(b["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == "client:ops"));

    let (s, _) = call(&app, "DELETE", "/clients/shop", &t, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call(&app, "GET", "/clients/shop", &t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"], "not_found");
}

#[tokio::test]
async fn users_keys_and_roles_through_the_api() {
    let app = spawn_app().await;
    let ops = admin_client(&app, "ops", Some(Role::Owner));
    let t = bearer(
        &app,
        "ops",
        &ops,
        "admin:read admin:write admin:keys admin:roles",
    )
    .await;
    let uid = app.user();
    let secret = app.confidential();
    app.tokens_for_rp(&secret).await;

    let (_, b) = call(&app, "GET", "/stats", &t, None).await;
    let hours = b["sign_ins_per_hour"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[23][1], 1, "the password sign-in of this hour: {b}");
    assert_eq!(b["lockouts"], 0);
    assert_eq!(b["sign_ins_by_method"], json!([["password", 1, 0]]));

    let (s, b) = call(&app, "GET", "/users?q=ALICE", &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["total"], 1);
    for q in ["Alice%20EXAMPLE", "ALICE@example.com"] {
        let (_, b) = call(&app, "GET", &format!("/users?q={q}"), &t, None).await;
        assert_eq!(b["total"], 1, "name (any case) and whole address: {q}");
    }
    let (_, b) = call(&app, "GET", "/users?q=nobody", &t, None).await;
    assert_eq!(b["total"], 0);
    let (_, b) = call(&app, "GET", &format!("/users/{uid}"), &t, None).await;
    assert_eq!(b["email"], EMAIL);
    assert_eq!(b["face_enrolled"], false);
    assert_eq!(b["sessions"].as_array().unwrap().len(), 1);
    assert!(!b["tokens"].as_array().unwrap().is_empty());
    assert!(!b.to_string().contains("password_hash"));

    // One token family of the client, revoked as a whole.
    let (_, fams) = call(&app, "GET", "/clients/rp/grants", &t, None).await;
    let fams = fams.as_array().unwrap().clone();
    assert_eq!(fams.len(), 1, "{fams:?}");
    assert_eq!(fams[0]["user_id"], uid.as_str());
    assert!(
        fams[0]["live_tokens"].as_i64().unwrap() >= 2,
        "access + refresh"
    );
    let grant = fams[0]["grant_id"].as_str().unwrap();
    let (s, b) = call(&app, "POST", &format!("/grants/{grant}/revoke"), &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = call(&app, "GET", &format!("/users/{uid}"), &t, None).await;
    assert!(b["tokens"].as_array().unwrap().is_empty());
    assert_eq!(
        b["sessions"].as_array().unwrap().len(),
        1,
        "the session stays"
    );

    // End one session; an unknown one is 404.
    let sid = b["sessions"][0]["sid"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &app,
        "POST",
        &format!("/users/{uid}/sessions/{sid}/end"),
        &t,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &app,
        "POST",
        &format!("/users/{uid}/sessions/{sid}/end"),
        &t,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.audited("session.end", "success"), 1);

    // Force re-authentication: sessions end, tokens are revoked.
    app.tokens_for_rp(&secret).await;
    let (s, b) = call(&app, "POST", &format!("/users/{uid}/sign-out"), &t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["sessions_ended"], 1);
    let (_, b) = call(&app, "GET", &format!("/users/{uid}"), &t, None).await;
    assert!(
        b["sessions"].as_array().unwrap().is_empty() && b["tokens"].as_array().unwrap().is_empty()
    );

    // Disable, then erase.
    let (s, _) = call(&app, "POST", &format!("/users/{uid}/disable"), &t, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "DELETE", &format!("/users/{uid}"), &t, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "GET", &format!("/users/{uid}"), &t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.audited("user.delete", "success"), 1);

    // Keys: rotation publishes the new key at once.
    let (_, before) = call(&app, "GET", "/keys", &t, None).await;
    let (s, b) = call(&app, "POST", "/keys/rotate", &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let kid = b["created"][0].as_str().unwrap().to_owned();
    let jwks = app.get("/jwks").await.text().await.unwrap();
    assert!(jwks.contains(&kid));
    let (_, after) = call(&app, "GET", "/keys", &t, None).await;
    assert!(after.as_array().unwrap().len() > before.as_array().unwrap().len());
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["state"] == "retired"));

    // Roles: the owner names an auditor; the last owner cannot be demoted.
    let (s, _) = call(
        &app,
        "PUT",
        "/roles/rp",
        &t,
        Some(json!({ "kind": "client", "role": "auditor" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call(
        &app,
        "PUT",
        "/roles/ops",
        &t,
        Some(json!({ "kind": "client", "role": "admin" })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error_description"]
        .as_str()
        .unwrap()
        .contains("last owner"));
    let (s, b) = call(
        &app,
        "POST",
        "/invitations",
        &t,
        Some(json!({ "email": "new-admin@example.com", "role": "admin" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert!(b["invitation_url"]
        .as_str()
        .unwrap()
        .contains("/signup?invitation="));
}

#[tokio::test]
async fn bootstrap_gives_one_owner_invitation_until_an_owner_exists() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let token = app
        .db
        .run_sync(|c| visage::admin::bootstrap::bootstrap(c, 3600, now))
        .expect("first bootstrap");
    let page = app.get(&format!("/signup?invitation={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let uid = app.user();
    app.db
        .run_sync(|c| roles::grant(c, "user", &uid, Role::Owner, "test", now))
        .unwrap();
    let again = app
        .db
        .run_sync(|c| visage::admin::bootstrap::bootstrap(c, 3600, now));
    assert!(again.unwrap_err().to_string().contains("an owner exists"));
}

#[tokio::test]
async fn the_openapi_document_validates() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/admin/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/clients"]["post"].is_object());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let python = format!("{}/target/venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e} (run scripts/setup.sh --test)"));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
