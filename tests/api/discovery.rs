use std::collections::HashSet;

use crate::helpers::*;

#[tokio::test]
async fn discovery_names_every_endpoint_and_jwks_has_unique_kids() {
    let app = spawn_app().await;
    let d: serde_json::Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], app.issuer);
    for k in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ] {
        let v = d[k].as_str().unwrap_or_else(|| panic!("{k} missing"));
        assert!(v.starts_with(&app.issuer), "{k} = {v}");
    }
    assert_eq!(d["code_challenge_methods_supported"][0], "S256");
    let algs: Vec<&str> = d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(algs, vec!["RS256", "ES256", "EdDSA"]);
    assert!(d["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "private_key_jwt"));

    let jwks: serde_json::Value = app.get("/jwks").await.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    let kids: HashSet<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 3);
    for k in keys {
        assert!(
            k.get("d").is_none() && k.get("p").is_none(),
            "private material published: {k}"
        );
        assert_eq!(k["use"], "sig");
    }
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let r = app.get("/").await;
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn key_rotation_publishes_new_keys_and_old_tokens_still_verify() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let before = app.tokens_for_rp(&secret).await;
    let old_kid = jwt_header(before["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = chrono::Utc::now().timestamp();
    let cfg = app.config.keys.clone();
    app.db
        .run_sync(|c| {
            visage::keys::rotate(
                c,
                &app.master_key,
                &cfg.algorithms,
                cfg.rsa_bits,
                cfg.retired_key_publish_seconds,
                now,
            )
        })
        .unwrap();
    app.clock.advance(61); // past the key ring's reload interval
    let jwks: serde_json::Value = app.get("/jwks").await.json().await.unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        6,
        "old and new keys are both published"
    );
    let after = app.tokens_for_rp(&secret).await;
    let new_kid = jwt_header(after["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(old_kid, new_kid, "new tokens are signed with the new key");
    let intro = app
        .introspect("rp", &secret, before["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        intro["active"], true,
        "a token signed by the retired key still verifies"
    );
}
