//! `OAuthError`: the only error protocol endpoints return. Its `Display` is
//! the RFC error code; the description is safe to show to the client.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    // RFC 6749 §4.1.2.1 and §5.2
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    // OIDC Core §3.1.2.6
    InteractionRequired,
    LoginRequired,
    AccountSelectionRequired,
    ConsentRequired,
    InvalidRequestUri,
    InvalidRequestObject,
    RequestNotSupported,
    RequestUriNotSupported,
    RegistrationNotSupported,
    // OpenID Connect Core Unmet Authentication Requirements 1.0
    UnmetAuthenticationRequirements,
    // RFC 6750 §3.1
    InvalidToken,
    InsufficientScope,
    // RFC 9470 §3 (step-up authentication)
    InsufficientUserAuthentication,
    // RFC 7009 §2.2.1
    UnsupportedTokenType,
    // RFC 8707 §2
    InvalidTarget,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            InvalidScope => "invalid_scope",
            AccessDenied => "access_denied",
            UnsupportedResponseType => "unsupported_response_type",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
            InteractionRequired => "interaction_required",
            LoginRequired => "login_required",
            AccountSelectionRequired => "account_selection_required",
            ConsentRequired => "consent_required",
            InvalidRequestUri => "invalid_request_uri",
            InvalidRequestObject => "invalid_request_object",
            RequestNotSupported => "request_not_supported",
            RequestUriNotSupported => "request_uri_not_supported",
            RegistrationNotSupported => "registration_not_supported",
            UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            InvalidToken => "invalid_token",
            InsufficientScope => "insufficient_scope",
            InsufficientUserAuthentication => "insufficient_user_authentication",
            UnsupportedTokenType => "unsupported_token_type",
            InvalidTarget => "invalid_target",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> OAuthError {
        OAuthError {
            code,
            description: description.into(),
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidScope, d)
    }
    pub fn invalid_token(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidToken, d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::UnauthorizedClient, d)
    }
    /// An unexpected failure: the cause is logged with an id, never sent.
    pub fn server_error(cause: &dyn fmt::Display) -> OAuthError {
        let id = crate::crypto::random_token(6);
        tracing::error!(error_id = %id, "internal error: {cause}");
        OAuthError::new(ErrorCode::ServerError, format!("internal error (id {id})"))
    }
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.code.as_str(), "error_description": self.description })
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())
    }
}

impl std::error::Error for OAuthError {}

impl From<crate::db::DbError> for OAuthError {
    fn from(e: crate::db::DbError) -> Self {
        OAuthError::server_error(&e)
    }
}

impl From<crate::keys::KeyError> for OAuthError {
    fn from(e: crate::keys::KeyError) -> Self {
        OAuthError::server_error(&e)
    }
}

impl From<crate::crypto::CryptoError> for OAuthError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        OAuthError::server_error(&e)
    }
}

impl From<diesel::result::Error> for OAuthError {
    fn from(e: diesel::result::Error) -> Self {
        OAuthError::server_error(&e)
    }
}
