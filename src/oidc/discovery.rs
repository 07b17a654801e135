//! OpenID Provider metadata (Discovery 1.0, RFC 8414), built once with the
//! `openidconnect` types and served as pre-serialised bytes.

use openidconnect::core::{
    CoreClaimName, CoreClientAuthMethod, CoreGrantType, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, IssuerUrl, JsonWebKeySetUrl, ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde_json::{json, Value};

use crate::keys::Alg;

use super::types::USER_SCOPES;

/// Endpoint paths, relative to the issuer.
pub mod paths {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
    pub const AUTHORIZE: &str = "/authorize";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const JWKS: &str = "/jwks";
    pub const INTROSPECT: &str = "/introspect";
    pub const REVOKE: &str = "/revoke";
    pub const END_SESSION: &str = "/logout";
}

fn core_alg(a: Alg) -> CoreJwsSigningAlgorithm {
    match a {
        Alg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Alg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        Alg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("discovery document: {0}")]
pub struct DiscoveryError(String);

/// The discovery JSON for `issuer`, signing with `algs`.
pub fn document(
    issuer: &str,
    algs: &[Alg],
    acr_values: &[String],
) -> Result<String, DiscoveryError> {
    let err = |e: &dyn std::fmt::Display| DiscoveryError(e.to_string());
    let url = |p: &str| format!("{issuer}{p}");
    let core_algs: Vec<CoreJwsSigningAlgorithm> = algs.iter().map(|a| core_alg(*a)).collect();
    let meta = CoreProviderMetadata::new(
        IssuerUrl::new(issuer.to_owned()).map_err(|e| err(&e))?,
        AuthUrl::new(url(paths::AUTHORIZE)).map_err(|e| err(&e))?,
        JsonWebKeySetUrl::new(url(paths::JWKS)).map_err(|e| err(&e))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        core_algs.clone(),
        Default::default(),
    )
    .set_token_endpoint(Some(TokenUrl::new(url(paths::TOKEN)).map_err(|e| err(&e))?))
    .set_userinfo_endpoint(Some(
        UserInfoUrl::new(url(paths::USERINFO)).map_err(|e| err(&e))?,
    ))
    .set_scopes_supported(Some(
        USER_SCOPES
            .iter()
            .map(|s| Scope::new((*s).to_owned()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![
        CoreResponseMode::Query,
        CoreResponseMode::Fragment,
        CoreResponseMode::FormPost,
    ]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
        CoreGrantType::ClientCredentials,
    ]))
    .set_acr_values_supported(Some(
        acr_values
            .iter()
            .map(|a| openidconnect::AuthenticationContextClass::new(a.clone()))
            .collect(),
    ))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::PrivateKeyJwt,
        CoreClientAuthMethod::None,
    ]))
    .set_token_endpoint_auth_signing_alg_values_supported(Some(core_algs))
    .set_claims_supported(Some(
        [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "azp",
            "sid",
            "at_hash",
            "name",
            "given_name",
            "family_name",
            "locale",
            "updated_at",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "address",
        ]
        .iter()
        .map(|c| CoreClaimName::new((*c).to_owned()))
        .collect(),
    ))
    .set_claims_parameter_supported(Some(true))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false))
    .set_require_request_uri_registration(Some(false))
    .set_ui_locales_supported(Some(vec![
        openidconnect::LanguageTag::new("en".into()),
        openidconnect::LanguageTag::new("vi".into()),
    ]));
    let mut doc: Value = serde_json::to_value(&meta).map_err(|e| err(&e))?;
    if let Value::Object(m) = &mut doc {
        let endpoint_auth = json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ]);
        m.insert(
            "introspection_endpoint".into(),
            json!(url(paths::INTROSPECT)),
        );
        m.insert(
            "introspection_endpoint_auth_methods_supported".into(),
            endpoint_auth.clone(),
        );
        m.insert("revocation_endpoint".into(), json!(url(paths::REVOKE)));
        m.insert(
            "revocation_endpoint_auth_methods_supported".into(),
            endpoint_auth,
        );
        m.insert(
            "end_session_endpoint".into(),
            json!(url(paths::END_SESSION)),
        );
        m.insert(
            "code_challenge_methods_supported".into(),
            json!(["S256", "plain"]),
        );
        m.insert(
            "authorization_response_iss_parameter_supported".into(),
            json!(true),
        );
        m.insert(
            "prompt_values_supported".into(),
            json!(["none", "login", "consent", "select_account"]),
        );
        m.insert("claim_types_supported".into(), json!(["normal"]));
    }
    Ok(doc.to_string())
}
