//! Protocol checks an attacker probes (issue 13): a stolen code with the
//! wrong verifier, reuse without grace, and `id_token_hint` that is not an
//! ID token.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_code_with_the_wrong_verifier_or_redirect_uri_is_not_burned() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let (code, verifier, _) = app.code_for("rp", &[]).await;
    let wrong_verifier = "x".repeat(43);
    for (uri, v) in [
        (REDIRECT, wrong_verifier.as_str()),
        ("http://127.0.0.1:8765/other", verifier.as_str()),
    ] {
        let t = app
            .token(
                Some(("rp", &secret)),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", uri),
                    ("code_verifier", v),
                ],
            )
            .await;
        assert_eq!(t.status, StatusCode::BAD_REQUEST);
        assert_eq!(t.body["error"], "invalid_grant");
    }
    // The client that owns the code still redeems it.
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
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
}

#[tokio::test]
async fn no_grace_means_a_reuse_in_the_same_second_revokes_the_family() {
    let app = spawn_with(|c| c.tokens.refresh_grace_seconds = 0).await;
    let secret = app.confidential();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let refresh = |rt: String| {
        let app = &app;
        let secret = secret.clone();
        async move {
            app.token(
                Some(("rp", &secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            )
            .await
        }
    };
    let r1 = refresh(rt1.to_owned()).await;
    assert_eq!(r1.status, StatusCode::OK);
    // Same second, no clock advance.
    let reuse = refresh(rt1.to_owned()).await;
    assert_eq!(reuse.body["error"], "invalid_grant", "{}", reuse.body);
    let r2 = refresh(r1.body["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(r2.body["error"], "invalid_grant", "the family is revoked");
}

#[tokio::test]
async fn an_access_token_is_not_an_id_token_hint() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let tokens = app.tokens_for_rp(&secret).await;
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let (_, ch) = pkce();
    let base = [
        ("client_id", "rp"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // The real ID token is accepted as a hint (the same person: no new sign-in).
    let mut with_id = base.to_vec();
    with_id.push(("id_token_hint", id_token));
    with_id.push(("prompt", "none"));
    let r = app.authorize(&with_id).await;
    let loc = location(r.headers());
    assert!(loc.starts_with(REDIRECT) && loc.contains("code="), "{loc}");
    // An access token (typ at+jwt) is not.
    let r = app.get(&format!("/logout?id_token_hint={access}")).await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("was not issued by this provider"),
        "an access token is refused as id_token_hint"
    );
}

/// A password sign-in with this raw `Cookie` header and form token.
async fn login_with(app: &TestApp, cookie: &str, csrf: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login").replace("https://", "http://"))
        .header("Cookie", cookie)
        .form(&[("csrf", csrf), ("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn over_https_a_planted_csrf_cookie_without_the_host_prefix_is_refused() {
    // Served over plain HTTP here, but configured as an https issuer: the
    // cookies are the ones a TLS deployment uses.
    let app = spawn_with(|c| c.issuer = c.issuer.replace("http://", "https://")).await;
    app.user();
    let planted = "p".repeat(43);
    // A sibling subdomain can set `visage_csrf` for the parent domain...
    let r = login_with(&app, &format!("visage_csrf={planted}"), &planted).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a non-__Host- cookie is not trusted"
    );
    // ...but not a `__Host-` cookie; with the real one the sign-in works and
    // the token is replaced at once.
    let r = login_with(&app, &format!("__Host-visage_csrf={planted}"), &planted).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let fresh = set
        .iter()
        .find(|c| c.starts_with("__Host-visage_csrf="))
        .unwrap_or_else(|| panic!("a new CSRF cookie at sign-in: {set:?}"));
    assert!(!fresh.contains(&planted), "the token changed at sign-in");
    assert!(fresh.contains("Secure") && fresh.contains("Path=/") && !fresh.contains("Domain"));
}

#[tokio::test]
async fn concurrent_refreshes_rotate_once_and_all_get_the_same_pair() {
    let app = spawn_with(|c| c.server.workers = 4).await;
    let secret = app.confidential();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    let before = app.count("tokens");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let calls = (0..8).map(|_| app.token(Some(("rp", &secret)), &form));
    let answers = futures_util::future::join_all(calls).await;
    let mut pairs = std::collections::HashSet::new();
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "no error and no 500: {}", a.body);
        pairs.insert(a.body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(pairs.len(), 1, "every retry gets the one new pair");
    // One rotation: one new refresh token and its access token, nothing else.
    assert_eq!(app.count("tokens"), before + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_transactions_racing_for_the_next_audit_number_both_commit() {
    use visage::audit::{self, Event};
    let app = spawn_app().await;
    // Today, not 1970: the server's retention purge must not find them expired.
    let now = chrono::Utc::now().timestamp();
    let pg = app.db.backend() == visage::db::Backend::Postgres;
    let (a_db, b_db) = (app.db.clone(), app.db.clone());
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let a = std::thread::spawn(move || {
        a_db.run_sync(|c| {
            c.write_transaction(|c| {
                audit::record(c, &Event::new("test", "race.a", "success"), now)?;
                tx.send(()).ok();
                // Hold the new row until B is waiting on it (PostgreSQL).
                while pg && !waiting(c) {
                    std::thread::yield_now();
                }
                Ok::<_, visage::db::DbError>(())
            })
        })
    });
    rx.recv().unwrap();
    let b = std::thread::spawn(move || {
        b_db.run_sync(|c| {
            c.write_transaction(|c| {
                audit::record(c, &Event::new("test", "race.b", "success"), now)?;
                Ok::<_, visage::db::DbError>(())
            })
        })
    });
    a.join().unwrap().unwrap();
    b.join()
        .unwrap()
        .expect("the second transaction commits too");
    assert_eq!(app.count("audit_events WHERE category = 'test'"), 2);
    let report = app
        .db
        .run_sync(|c| audit::verify(c, &app.master_key))
        .unwrap();
    assert_eq!(report.broken_at, None, "chain intact");
}

/// A burst of transactions that each record an event and then go on
/// working (as a sign-in does: the session, the browser, the login
/// transaction) all commit, in one unbroken chain. On PostgreSQL each
/// waits its turn for the log's tail (before: they raced for the next
/// number, and under a load of 32 browsers signing in with passkeys one in
/// 20 sign-ins failed with "could not append after 5 attempts").
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_transactions_appending_to_the_audit_log_all_commit() {
    use visage::audit::{self, Event};
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let writers: Vec<_> = (0..32)
        .map(|i| {
            let db = app.db.clone();
            std::thread::spawn(move || {
                db.run_sync(|c| {
                    c.write_transaction(|c| {
                        let ev = Event::new("test", "burst", "success")
                            .detail(serde_json::json!({ "writer": i }));
                        audit::record(c, &ev, now)?;
                        for _ in 0..30 {
                            visage::db::audit::last(c)?;
                        }
                        Ok::<_, visage::db::DbError>(())
                    })
                })
            })
        })
        .collect();
    let failed: Vec<String> = writers
        .into_iter()
        .filter_map(|w| w.join().unwrap().err().map(|e| e.to_string()))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 32 failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(app.count("audit_events WHERE action = 'burst'"), 32);
    let report = app
        .db
        .run_sync(|c| audit::verify(c, &app.master_key))
        .unwrap();
    assert_eq!(report.broken_at, None, "chain intact");
}

/// The shape of every "read, then write what the read decided" operation (the
/// next audit number, a counter, a single-use row): A reads, B commits a
/// write, then A writes. On SQLite a deferred transaction fails here with
/// "database is locked" (its snapshot is stale); a write transaction takes the
/// lock first, so B waits for A and both commit.
#[tokio::test(flavor = "multi_thread")]
async fn a_write_after_another_transaction_committed_still_commits() {
    use visage::audit::{self, Event};
    let app = spawn_app().await;
    // Today, not 1970: the server's retention purge must not find them expired.
    let now = chrono::Utc::now().timestamp();
    let (a_db, b_db, mk) = (app.db.clone(), app.db.clone(), app.master_key.clone());
    let (a_read, b_may_start) = std::sync::mpsc::channel::<()>();
    let (b_done, a_may_go_on) = std::sync::mpsc::channel::<()>();
    let a = std::thread::spawn(move || {
        a_db.run_sync(|c| {
            c.write_transaction(|c| {
                let before = audit::verify(c, &mk)?.events;
                a_read.send(()).ok();
                // Where B can commit first (a deferred transaction, or
                // PostgreSQL), it has done so by now; where A holds the write
                // lock, B is waiting and this gives up after a moment.
                let _ = a_may_go_on.recv_timeout(std::time::Duration::from_millis(300));
                audit::record(c, &Event::new("test", "race.a", "success"), now)?;
                Ok::<_, visage::db::DbError>(before)
            })
        })
    });
    b_may_start.recv().unwrap();
    let b = std::thread::spawn(move || {
        let out = b_db.run_sync(|c| {
            c.write_transaction(|c| audit::record(c, &Event::new("test", "race.b", "success"), now))
        });
        b_done.send(()).ok();
        out
    });
    a.join()
        .unwrap()
        .expect("the transaction that read first commits");
    b.join().unwrap().expect("the other one commits too");
    assert_eq!(app.count("audit_events WHERE category = 'test'"), 2);
    let report = app
        .db
        .run_sync(|c| audit::verify(c, &app.master_key))
        .unwrap();
    assert_eq!(report.broken_at, None, "chain intact");
}

#[tokio::test]
async fn rewriting_sealed_audit_history_is_detected_without_the_master_key() {
    use diesel::RunQueryDsl;
    use visage::audit::{self, Event};
    let app = spawn_app().await;
    // Today, not 1970: the server's retention purge must not find them expired.
    let now = chrono::Utc::now().timestamp();
    let mk = app.master_key.clone();
    app.db
        .run_sync(|c| -> Result<(), visage::db::DbError> {
            for action in ["one", "two", "three"] {
                audit::record(
                    c,
                    &Event::new("test", action, "success").user(&"u1".into()),
                    now,
                )?;
            }
            audit::seal(c, &mk, now + 1)?;
            audit::record(c, &Event::new("test", "four", "success"), now + 2)?;
            Ok(())
        })
        .unwrap();
    let report = app.db.run_sync(|c| audit::verify(c, &mk)).unwrap();
    assert!(report.intact());
    let (sealed_seq, _) = report.sealed.clone().unwrap();
    // An attacker with write access to the database hides an event and
    // recomputes every plain hash after it.
    app.db
        .run_sync(|c| -> Result<(), visage::db::DbError> {
            diesel::sql_query(
                "UPDATE audit_events SET user_id = 'someone-else' WHERE action = 'two'",
            )
            .execute(c)?;
            rehash(c)
        })
        .unwrap();
    let report = app.db.run_sync(|c| audit::verify(c, &mk)).unwrap();
    assert_eq!(report.broken_at, Some(sealed_seq), "{report:?}");
}

/// Recompute every row's plain chain hash, as someone without the master
/// key can (the same function the server uses, through a fresh append).
fn rehash(c: &mut visage::db::DbConnection) -> Result<(), visage::db::DbError> {
    use diesel::RunQueryDsl;
    let rows = visage::db::audit::all(c)?;
    diesel::sql_query("DELETE FROM audit_events").execute(c)?;
    for r in rows {
        let detail = visage::audit::detail_of(&r);
        let ev = visage::audit::Event {
            category: leak(r.category),
            action: leak(r.action),
            outcome: leak(r.outcome),
            actor: r.actor,
            user_id: r.user_id,
            client_id: r.client_id,
            ip: r.ip,
            detail,
        };
        visage::audit::record(c, &ev, r.at)?;
    }
    Ok(())
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Whether another PostgreSQL session waits for a lock.
fn waiting(c: &mut visage::db::DbConnection) -> bool {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted")
        .get_result::<N>(c)
        .is_ok_and(|r| r.n > 0)
}

#[tokio::test]
async fn a_client_gets_only_its_own_service_scopes_and_audiences() {
    let app = spawn_app().await;
    let secret = app.confidential(); // service scope api:read, audience urn:visage:test-api
    let cc = |extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(extra);
        let (app, secret) = (&app, secret.clone());
        async move { app.token(Some(("rp", &secret)), &form).await }
    };
    for scope in ["payments:write", "api:read payments:write"] {
        let t = cc(vec![("scope", scope)]).await;
        assert_eq!(t.status, StatusCode::BAD_REQUEST, "{scope}");
        assert_eq!(t.body["error"], "invalid_scope", "{scope}");
    }
    let t = cc(vec![
        ("scope", "api:read"),
        ("resource", "https://bank.example/"),
    ])
    .await;
    assert_eq!(t.body["error"], "invalid_target");
    let t = cc(vec![
        ("scope", "api:read"),
        ("resource", "urn:visage:test-api"),
    ])
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let claims = jwt_claims(t.body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "urn:visage:test-api");
    assert_eq!(claims["scope"], "api:read");
}
