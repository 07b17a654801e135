//! Administration hierarchy, tried as an attacker would over the admin API
//! (issue 13): administrators and owners, the console client, fresh sign-in
//! for dangerous calls with a person's token.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A person (alice) who is an owner.
pub(crate) fn owner_of(app: &TestApp) -> String {
    use visage::admin::roles::{self, Role};
    let owner = app.user();
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| roles::grant(c, "user", &owner, Role::Owner, "test", now))
        .unwrap();
    owner
}

#[tokio::test]
async fn administrators_are_acted_on_only_by_owners_and_the_console_client_only_by_the_server() {
    use crate::admin_api::{admin_client, bearer, call};
    use visage::admin::roles::{self, Role};
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let now = chrono::Utc::now().timestamp();
    let secret = admin_client(&app, "helper", Some(Role::Admin));
    let admin = bearer(&app, "helper", &secret, "admin:read admin:write").await;
    for (method, path) in [
        ("DELETE", format!("/users/{owner}")),
        ("POST", format!("/users/{owner}/disable")),
        ("POST", format!("/users/{owner}/sign-out")),
    ] {
        let (s, b) = call(&app, method, &path, &admin, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
    }
    // Nor revoke the owner's token families.
    let rp_secret = app.confidential();
    app.tokens_for_rp(&rp_secret).await;
    let grant = app
        .db
        .run_sync(|c| visage::db::tokens::live_for_user(c, &owner.as_str().into(), now))
        .unwrap()
        .first()
        .map(|t| t.grant_id.clone())
        .expect("the owner's token family");
    let (s, _) = call(
        &app,
        "POST",
        &format!("/grants/{grant}/revoke"),
        &admin,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("users WHERE disabled = false"),
        1,
        "the owner is intact"
    );
    assert_eq!(app.count("admin_roles WHERE role = 'owner'"), 1);

    // Even an owner keeps the last owner, on every path.
    let actor = roles::Actor {
        label: "user:other".into(),
        subject: "other".into(),
        name: "other".into(),
        role: Role::Owner,
        scopes: roles::SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let erased = app
        .db
        .run_sync(|c| visage::admin::users::erase(c, &actor, &owner.as_str().into(), now));
    assert!(matches!(
        erased,
        Err(visage::admin::users::UserAdminError::LastOwner)
    ));
    let disabled = app.db.run_sync(|c| {
        visage::admin::users::set_disabled(c, &actor, &owner.as_str().into(), true, now)
    });
    assert!(matches!(
        disabled,
        Err(visage::admin::users::UserAdminError::LastOwner)
    ));
    assert_eq!(app.count("users WHERE disabled = false"), 1);

    // An owner *client* is an administrator too: an admin cannot take its
    // secret, change, disable or delete it.
    admin_client(&app, "boss", Some(Role::Owner));
    let boss = json!({ "client_name": "Boss", "redirect_uris": ["https://boss.example/cb"] });
    for (method, path, body) in [
        ("POST", "/clients/boss/secret", None),
        ("PUT", "/clients/boss", Some(boss)),
        ("POST", "/clients/boss/disable", None),
        ("DELETE", "/clients/boss", None),
    ] {
        let (s, b) = call(&app, method, path, &admin, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
    }
    assert_eq!(
        app.count("clients WHERE id = 'boss' AND disabled = false"),
        1
    );

    // The console client: no change through the API.
    let evil = json!({
        "client_name": "Visage console",
        "redirect_uris": [format!("{}/admin/callback", app.issuer), "https://evil.example/cb"],
        "token_endpoint_auth_method": "none"
    });
    let console = "/clients/visage-console";
    let (s, b) = call(&app, "PUT", console, &admin, Some(evil)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    for (method, path) in [
        ("DELETE", console.to_owned()),
        ("POST", format!("{console}/disable")),
        ("POST", format!("{console}/secret")),
    ] {
        let (s, _) = call(&app, method, &path, &admin, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}");
    }
    assert_eq!(
        app.count("clients WHERE id = 'visage-console' AND redirect_uris NOT LIKE '%evil%' AND disabled = false"),
        1
    );
}

/// A console access token of the person `uid`, whose passkey session started
/// `age` seconds ago (made in the database: the passkey itself is tested in
/// the browser tests).
pub(crate) async fn console_token(app: &TestApp, uid: &str, age: i64) -> String {
    let cookie = app.passkey_session_for(uid, age);
    let (verifier, challenge) = pkce();
    let callback = format!("{}/admin/callback", app.issuer);
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("client_id", "visage-console"),
        ("redirect_uri", callback.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .header(
            "Cookie",
            format!("{}={cookie}", visage::auth::session::COOKIE),
        )
        .send()
        .await
        .unwrap();
    let loc = location(r.headers());
    let code = query_of(&loc)
        .get("code")
        .unwrap_or_else(|| panic!("{loc}"))
        .clone();
    let t = app
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "visage-console"),
                ("code", &code),
                ("redirect_uri", &callback),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    t.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn dangerous_api_calls_with_a_persons_token_need_a_fresh_sign_in() {
    use crate::admin_api::call;
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let victim = app.user_with("bob@example.com", PASSWORD);
    let stale = console_token(&app, &owner, app.config.admin.step_up_seconds + 60).await;
    // Reading works with any live token...
    let (s, _) = call(&app, "GET", "/users", &stale, None).await;
    assert_eq!(s, StatusCode::OK);
    // ...deleting does not, and says how fresh the sign-in must be (RFC 9470).
    let r = app
        .http
        .delete(app.url(&format!("/admin/api/users/{victim}")))
        .bearer_auth(&stale)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.contains("insufficient_user_authentication"),
        "{challenge}"
    );
    assert!(challenge.contains("max_age="), "{challenge}");
    // Every dangerous call that takes no body (actix reads a JSON body
    // alongside the caller check, so a malformed one may answer first).
    let face = format!("/users/{victim}/face");
    for (method, path) in [
        ("POST", "/keys/rotate"),
        ("POST", "/keys/some-kid/retire"),
        ("DELETE", "/roles/someone"),
        ("DELETE", "/clients/some-client"),
        ("POST", "/clients/some-client/secret"),
        ("DELETE", face.as_str()),
    ] {
        let (s, b) = call(&app, method, path, &stale, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}: {b}");
    }
    // The dangerous calls with a body, whatever the body: the caller is
    // checked first. Inviting an administrator is managing roles, so it
    // needs the fresh sign-in too (a valid body, or it would not get there).
    use crate::admin_api::{call_raw, ODD_BODIES};
    for (method, path) in [("PUT", "/face-policy"), ("PUT", "/roles/someone")] {
        for raw in ODD_BODIES {
            let (s, b) = call_raw(&app, method, path, Some(&stale), raw).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path} {raw}: {b}");
        }
    }
    let invite = serde_json::json!({ "role": "owner" });
    let (s, b) = call(&app, "POST", "/invitations", &stale, Some(invite.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(app.count("invitations"), 0, "no administrator invited");
    assert_eq!(app.count("users"), 2, "nothing deleted");
    let (s, b) = call(
        &app,
        "POST",
        "/invitations",
        &stale,
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "a plain invitation needs no fresh sign-in: {b}"
    );
    let fresh_owner = console_token(&app, &owner, 0).await;
    let (s, b) = call(&app, "POST", "/invitations", &fresh_owner, Some(invite)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let fresh = console_token(&app, &owner, 0).await;
    let (s, b) = call(&app, "DELETE", &format!("/users/{victim}"), &fresh, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn inviting_an_administrator_in_the_console_needs_a_fresh_sign_in() {
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let invite = |token: String, role: &'static str| {
        let app = &app;
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(app.url("/admin/invitations"))
                .header(
                    "Cookie",
                    format!("visage_admin={token}; {}=c5rf", visage::web::cookies::CSRF),
                )
                .form(&[("csrf", "c5rf"), ("role", role), ("email", "")])
                .send()
                .await
                .unwrap()
        }
    };
    let stale = console_token(&app, &owner, app.config.admin.step_up_seconds + 60).await;
    // A stolen, stale console cookie cannot mint an owner (nor an admin)...
    for role in ["owner", "admin", "no-such-role"] {
        let r = invite(stale.clone(), role).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role}");
        let to = location(r.headers());
        assert!(to.starts_with("/admin/login?fresh=1"), "{role}: {to}");
    }
    assert_eq!(app.count("invitations"), 0);
    // ...a plain invitation it can make; after a fresh sign-in, an owner's.
    let r = invite(stale, "").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = invite(console_token(&app, &owner, 0).await, "owner").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(app.count("invitations"), 2);
}

#[tokio::test]
async fn a_console_change_checks_the_caller_before_it_reads_the_form() {
    use visage::admin::roles::{self, Role};
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let (admin, auditor) = (
        app.user_with("admin@example.com", "correct horse battery"),
        app.user_with("auditor@example.com", "correct horse battery"),
    );
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| {
            roles::grant(c, "user", &admin, Role::Admin, "test", now)?;
            roles::grant(c, "user", &auditor, Role::Auditor, "test", now)
        })
        .unwrap();
    let post = |cookie: Option<String>, path: String, form: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut jar = format!("{}=c5rf", visage::web::cookies::CSRF);
            if let Some(t) = cookie {
                jar = format!("visage_admin={t}; {jar}");
            }
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(app.url(&path))
                .header("Cookie", jar)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let role_of_owner = format!("/admin/roles/user/{owner}");
    // A role that does not exist, a form without its CSRF token: whoever may
    // not make the change hears only that, never how the form is wrong.
    let odd_forms = [
        vec![("csrf", "c5rf"), ("role", "no-such-role")],
        vec![("role", "")],
    ];
    for form in &odd_forms {
        let r = post(None, role_of_owner.clone(), form.clone()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out: {form:?}");
        assert!(location(r.headers()).starts_with("/admin/login"));
        for who in [&admin, &auditor] {
            let t = console_token(&app, who, 0).await;
            let r = post(Some(t), role_of_owner.clone(), form.clone()).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{form:?}");
        }
    }
    // An owner whose sign-in is stale signs in again before the role is read.
    let stale = console_token(&app, &owner, app.config.admin.step_up_seconds + 60).await;
    let r = post(Some(stale), role_of_owner.clone(), odd_forms[0].clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(r.headers()).starts_with("/admin/login?fresh=1"));
    // An auditor reads; it changes nothing, whatever the form.
    let t = console_token(&app, &auditor, 0).await;
    for path in [
        format!("/admin/users/{owner}/disable"),
        "/admin/keys/rotate".to_owned(),
        "/admin/invitations".to_owned(),
    ] {
        let r = post(Some(t.clone()), path.clone(), vec![("csrf", "c5rf")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count("invitations"), 0);
    let roles_now = app.db.run_sync(roles::list).unwrap().len();
    assert_eq!(roles_now, 3);
}

#[tokio::test]
async fn an_administrator_erases_the_face_of_someone_who_cannot_confirm_it() {
    use crate::admin_api::{admin_client, bearer, call};
    use visage::admin::roles::Role;
    let app = spawn_app().await;
    let uid = app.user();
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| -> Result<(), visage::db::DbError> {
            visage::auth::face::record_consent(c, &uid.as_str().into(), "v1", now)?;
            visage::db::face_templates::replace(
                c,
                &visage::db::face_templates::FaceTemplateRow {
                    id: "t1".into(),
                    user_id: uid.as_str().into(),
                    model_id: "m".into(),
                    sealed: vec![1, 2, 3],
                    frames: 3,
                    created_at: now,
                },
            )
        })
        .unwrap();
    let session = app.passkey_session_for(&uid, 0);
    let secret = admin_client(&app, "helper", Some(Role::Admin));
    let admin = bearer(&app, "helper", &secret, "admin:read admin:write").await;
    let (s, b) = call(&app, "DELETE", &format!("/users/{uid}/face"), &admin, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["templates_erased"], 1);
    assert_eq!(app.count("face_templates"), 0);
    assert_eq!(app.count("biometric_consents"), 0);
    let r = app
        .http
        .get(app.url("/account"))
        .header("Cookie", session_cookies(&session))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the person's sessions ended"
    );
    assert_eq!(app.audited("user.face_erase", "success"), 1);
    let (s, _) = call(&app, "DELETE", "/users/nobody/face", &admin, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_speaks_the_readers_language() {
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let token = console_token(&app, &owner, 0).await;
    let page = |path: &'static str, lang: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let r = reqwest::Client::new()
                .get(app.url(path))
                .header("Cookie", format!("visage_admin={token}"))
                .header("Accept-Language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    for path in [
        "/admin",
        "/admin/clients",
        "/admin/users",
        "/admin/keys",
        "/admin/policy",
        "/admin/audit",
    ] {
        let vi = page(path, "vi-VN,vi;q=0.9").await;
        assert!(vi.contains("<html lang=\"vi\">"), "{path}");
        assert!(
            vi.contains("Bảng điều khiển Visage") && vi.contains("Người dùng"),
            "{path}: {vi}"
        );
        assert!(
            !vi.contains(">Users<") && !vi.contains(">Sign out<"),
            "{path}"
        );
        // The switch back to English is offered, and English is the default.
        assert!(vi.contains("hreflang=\"en\""), "{path}");
        let en = page(path, "fr").await;
        assert!(
            en.contains("<html lang=\"en\">") && en.contains(">Users<"),
            "{path}"
        );
    }
    // So does the page after leaving the console.
    let signed_out = page("/admin/signed-out", "vi").await;
    assert!(
        signed_out.contains("Bạn đã rời bảng điều khiển"),
        "{signed_out}"
    );
}
