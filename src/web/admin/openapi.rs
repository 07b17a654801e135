//! `GET /admin/api/openapi.json`: the admin API described as OpenAPI 3.1.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::admin::roles::{KEYS, READ, ROLES, WRITE};
use crate::app::AppState;

fn op(summary: &str, scope: &str, params: &[&str], body: Option<&str>, ok: &str) -> Value {
    let mut o = json!({
        "summary": summary,
        "security": [{ "oauth2": [scope] }, { "bearer": [] }],
        "parameters": params.iter().map(|p| json!({ "$ref": format!("#/components/parameters/{p}") })).collect::<Vec<_>>(),
        "responses": {
            "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{ok}") } } } },
            "400": { "$ref": "#/components/responses/Error" },
            "401": { "$ref": "#/components/responses/Error" },
            "403": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" }
        }
    });
    if let (Some(b), Some(op)) = (body, o.as_object_mut()) {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{b}") } } } }),
        );
        let responses = op.get_mut("responses").and_then(|r| r.as_object_mut());
        if let (true, Some(r)) = (summary.starts_with("Create"), responses) {
            if let Some(ok) = r.remove("200") {
                r.insert("201".into(), ok);
            }
        }
    }
    o
}

fn object(props: Value) -> Value {
    json!({ "type": "object", "properties": props })
}

/// The document for this deployment (its issuer in `servers` and the token URL).
pub fn build(issuer: &str) -> Value {
    let mut doc = main(issuer);
    for (part, more) in [("paths", incident_paths()), ("schemas", incident_schemas())] {
        let at = if part == "paths" {
            doc.get_mut("paths")
        } else {
            doc.get_mut("components").and_then(|c| c.get_mut("schemas"))
        };
        if let (Some(at), Value::Object(more)) = (at.and_then(Value::as_object_mut), more) {
            at.extend(more);
        }
    }
    doc
}

/// The admin API's incident actions (`/incidents/*`).
fn incident_paths() -> Value {
    json!({
            "/alerts": { "get": op("Alerts of the alert rules, newest first (state: unresolved (default), open, acknowledged, resolved, all)", READ, &["state"], None, "AlertList") },
            "/alerts/{id}/acknowledge": { "post": op("Acknowledge an open alert", WRITE, &["id"], None, "Alert") },
            "/alerts/{id}/resolve": { "post": op("Resolve an alert (ends the approval hold on new passkeys or a review flag it caused)", WRITE, &["id"], None, "Alert") },
            "/registrations": { "get": op("Passkeys registered while a passkey_registrations alert held new registrations, waiting for approval, oldest first", READ, &[], None, "RegistrationList") },
            "/registrations/{id}/approve": { "post": op("Approve a waiting passkey: it signs in from now on (a sign-up's account is enabled); the person is mailed", WRITE, &["id"], None, "Decision") },
            "/registrations/{id}/reject": { "post": op("Reject a waiting passkey: it is removed (a sign-up's account is erased); the person is mailed", WRITE, &["id"], None, "Decision") },
            "/incidents": { "get": op("Incident controls in force: face sign-in, everyone's re-authentication floor, blocked address ranges", READ, &[], None, "Incidents") },
            "/incidents/clients/{id}/revoke-tokens": { "post": op("Revoke every token a client holds (a person's fresh sign-in)", WRITE, &["id"], Some("Reason"), "Revoked") },
            "/incidents/users/{id}/revoke-tokens": { "post": op("Revoke every token of a person's sign-ins", WRITE, &["id"], Some("Reason"), "Revoked") },
            "/incidents/users/{id}/reauthenticate": { "post": op("Make a person sign in again: sessions end, tokens are revoked, earlier sign-ins (codes, sessions in flight) stop counting", WRITE, &["id"], Some("Reason"), "Ended") },
            "/incidents/reauthenticate-everyone": { "post": op("Make everyone sign in again (administrators too); clients' own tokens stay", WRITE, &[], Some("Reason"), "Ended") },
            "/incidents/blocked-networks": { "post": op("Create a block: every request from the range is refused but the health checks (at most a /8 or a /24, never the caller's own address)", WRITE, &[], Some("BlockInput"), "Block") },
            "/incidents/blocked-networks/{id}/lift": { "post": op("Lift a block", WRITE, &["id"], Some("Reason"), "Block") },
            "/incidents/face-sign-in": { "put": op("Face sign-in on or off for the whole deployment", WRITE, &[], Some("FaceSwitch"), "Incidents") }
    })
}

fn incident_schemas() -> Value {
    let (str_, int, boolean, any) = (
        json!({ "type": "string" }),
        json!({ "type": "integer" }),
        json!({ "type": "boolean" }),
        json!({}),
    );
    json!({
                "Reason": { "type": "object", "required": ["reason"], "additionalProperties": false, "properties": { "reason": { "type": "string", "minLength": 1, "maxLength": 500 } } },
                "FaceSwitch": { "type": "object", "required": ["on", "reason"], "additionalProperties": false, "properties": { "on": boolean, "reason": { "type": "string", "minLength": 1, "maxLength": 500 } } },
                "BlockInput": { "type": "object", "required": ["network", "reason"], "additionalProperties": false, "properties": { "network": { "type": "string", "description": "CIDR or one address" }, "reason": { "type": "string", "minLength": 1, "maxLength": 500 }, "expires_in_seconds": { "type": ["integer", "null"], "minimum": 60, "maximum": 31622400 } } },
                "Block": object(json!({ "id": str_, "network": str_, "reason": str_, "actor": str_, "created_at": int, "expires_at": { "type": ["integer", "null"] }, "lifted_at": { "type": ["integer", "null"] }, "lifted_by": { "type": ["string", "null"] } })),
                "Alert": object(json!({ "id": str_, "rule": { "enum": ["failed_sign_ins", "passkey_registrations", "face_rejections"] }, "subject": { "enum": ["account", "address", "deployment"] }, "user_id": { "type": ["string", "null"] }, "address": { "type": ["string", "null"] }, "count": int, "window_seconds": int, "action": str_, "raised_at": int, "last_at": int, "repeats": int, "state": { "enum": ["open", "acknowledged", "resolved"] }, "acknowledged_by": { "type": ["string", "null"] }, "resolved_by": { "type": ["string", "null"] } })),
                "AlertList": object(json!({ "items": { "type": "array", "items": { "$ref": "#/components/schemas/Alert" } }, "open": int })),
                "Registration": object(json!({ "id": str_, "user_id": str_, "email": str_, "name": { "type": ["string", "null"] }, "passkey_name": str_, "new_account": boolean, "address": { "type": ["string", "null"] }, "alert_id": { "type": ["string", "null"] }, "created_at": int })),
                "RegistrationList": object(json!({ "items": { "type": "array", "items": { "$ref": "#/components/schemas/Registration" } }, "total": int })),
                "Decision": object(json!({ "decision": { "enum": ["approve", "reject"] }, "user_id": str_, "new_account": boolean })),
                "Revoked": object(json!({ "tokens_revoked": int })),
                "Ended": object(json!({ "sessions": int, "tokens": int, "floor": int })),
                "Incidents": object(json!({ "face_sign_in": boolean, "face_switch": any, "everyone_floor": { "type": ["integer", "null"] }, "blocked_networks": { "type": "array", "items": { "$ref": "#/components/schemas/Block" } } }))
    })
}

fn main(issuer: &str) -> Value {
    let str_ = json!({ "type": "string" });
    let strs = json!({ "type": "array", "items": { "type": "string" } });
    let int = json!({ "type": "integer" });
    let boolean = json!({ "type": "boolean" });
    let any = json!({});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Visage admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Everything the Visage console does. Authenticate with an access token from the token endpoint: client credentials for a client given an administrator role (scopes admin:read, admin:write, admin:keys, admin:roles), or the console's own sign-in."
        },
        "servers": [{ "url": format!("{issuer}/admin/api") }],
        "paths": {
            "/clients": {
                "get": op("List clients (search by id or name)", READ, &["q", "page", "per_page"], None, "ClientPage"),
                "post": op("Create a client (the secret is in the answer, once)", WRITE, &[], Some("ClientInput"), "Registered")
            },
            "/clients/{id}": {
                "get": op("One client", READ, &["id"], None, "Client"),
                "put": op("Change a client's settings (the whole client, as when creating; id, secret and state stay)", WRITE, &["id"], Some("ClientInput"), "Client"),
                "delete": op("Delete a client and everything issued to it", WRITE, &["id"], None, "Done")
            },
            "/clients/{id}/secret": { "post": op("New secret (shown once); the old one stops working", WRITE, &["id"], None, "Secret") },
            "/clients/{id}/disable": { "post": op("Refuse the client's authorizations and token requests", WRITE, &["id"], None, "Done") },
            "/clients/{id}/enable": { "post": op("Undo disable", WRITE, &["id"], None, "Done") },
            "/clients/{id}/grants": { "get": op("The client's live token families (grants) for people", READ, &["id"], None, "FamilyList") },
            "/grants/{grant}/revoke": { "post": op("Revoke a whole token family (its access and refresh tokens)", WRITE, &["grant"], None, "Done") },
            "/users/{id}/sessions/{sid}/end": { "post": op("End one session and the access tokens issued under it", WRITE, &["id", "sid"], None, "Done") },
            "/users": { "get": op("Search accounts by email or name", READ, &["q", "page", "per_page"], None, "UserPage") },
            "/users/{id}": {
                "get": op("Profile, passkeys, face enrolment (yes/no), sessions and tokens", READ, &["id"], None, "UserDetail"),
                "delete": op("Erase the account (GDPR): passkeys, face template and consent, codes, sessions, tokens", WRITE, &["id"], None, "Done")
            },
            "/users/{id}/disable": { "post": op("Disable: sessions end, tokens are revoked, sign-in refused", WRITE, &["id"], None, "Done") },
            "/users/{id}/enable": { "post": op("Undo disable", WRITE, &["id"], None, "Done") },
            "/users/{id}/sign-out": { "post": op("Force re-authentication: end every session, revoke every token", WRITE, &["id"], None, "Done") },
            "/users/{id}/face": { "delete": op("Erase the person's face template and biometric consent (their sessions end); a person's token needs a fresh sign-in", WRITE, &["id"], None, "Done") },
            "/invitations": {
                "get": op("Open invitations (unused, unexpired; never their links)", READ, &[], None, "InvitationList"),
                "post": op("Create a sign-up invitation (with a role: admin:roles and, for a person, a fresh sign-in; send: true mails the link to email)", WRITE, &[], Some("InvitationInput"), "Invitation")
            },
            "/invitations/{id}/resend": { "post": op("Mail an invitation again with a new link (the old link stops working)", WRITE, &["id"], None, "Invitation") },
            "/invitations/{id}": { "delete": op("Revoke an open invitation", WRITE, &["id"], None, "Done") },
            "/keys": { "get": op("Signing keys (public data and state)", READ, &[], None, "KeyList") },
            "/keys/rotate": { "post": op("New signing keys now; the old ones stay published for verification", KEYS, &[], None, "Done") },
            "/keys/{kid}/retire": { "post": op("Retire a key now and stop publishing it (a leaked key): tokens it signed stop verifying; an active key is replaced first", KEYS, &["kid"], None, "Retired") },
            "/face-policy": {
                "get": op("The face policy in force (thresholds, challenge, lockout), the models' own thresholds, the measured error rates and the change history", READ, &[], None, "FacePolicy"),
                "put": op("Change the face policy (the whole policy and a reason); every server applies it to the next face check", WRITE, &[], Some("FacePolicyChange"), "FacePolicy")
            },
            "/audit": { "get": op("Audit events, newest first", READ, &["category", "action", "user", "client", "outcome", "since", "until", "page", "per_page"], None, "AuditPage") },
            "/stats": { "get": op("Last 24 hours: sign-ins per hour by outcome and by method, face-check failures by reason, lockouts (and per hour: sign-in lockouts, face locks)", READ, &[], None, "Stats") },
            "/roles": { "get": op("Administrators and their roles", READ, &[], None, "RoleList") },
            "/roles/{subject}": {
                "put": op("Give a user or client a role", ROLES, &["subject"], Some("RoleInput"), "Done"),
                "delete": op("Remove a role (never the last owner's)", ROLES, &["subject"], None, "Done")
            }
        },
        "components": {
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": { "clientCredentials": {
                        "tokenUrl": format!("{issuer}/token"),
                        "scopes": {
                            READ: "read clients, users, sessions, keys and the audit log",
                            WRITE: "change clients, users and sessions",
                            KEYS: "rotate signing keys",
                            ROLES: "manage administrators"
                        }
                    } }
                },
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
            },
            "parameters": {
                "id": { "name": "id", "in": "path", "required": true, "schema": str_ },
                "subject": { "name": "subject", "in": "path", "required": true, "schema": str_ },
                "grant": { "name": "grant", "in": "path", "required": true, "schema": str_ },
                "sid": { "name": "sid", "in": "path", "required": true, "schema": str_ },
                "kid": { "name": "kid", "in": "path", "required": true, "schema": str_ },
                "q": { "name": "q", "in": "query", "schema": str_ },
                "page": { "name": "page", "in": "query", "schema": int },
                "per_page": { "name": "per_page", "in": "query", "schema": int },
                "category": { "name": "category", "in": "query", "schema": str_ },
                "action": { "name": "action", "in": "query", "schema": str_ },
                "user": { "name": "user", "in": "query", "schema": str_ },
                "client": { "name": "client", "in": "query", "schema": str_ },
                "outcome": { "name": "outcome", "in": "query", "schema": str_ },
                "state": { "name": "state", "in": "query", "schema": str_ },
                "since": { "name": "since", "in": "query", "description": "Unix seconds, inclusive", "schema": int },
                "until": { "name": "until", "in": "query", "description": "Unix seconds, exclusive", "schema": int }
            },
            "responses": {
                "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            },
            "schemas": {
                "Error": object(json!({ "error": str_, "error_description": str_ })),
                "Done": { "type": "object" },
                "Secret": object(json!({ "client_id": str_, "client_secret": str_ })),
                "ClientInput": {
                    "type": "object",
                    "required": ["client_name"],
                    "additionalProperties": false,
                    "properties": {
                        "client_id": str_, "client_name": str_, "redirect_uris": strs,
                        "post_logout_redirect_uris": strs, "grant_types": strs,
                        "token_endpoint_auth_method": { "enum": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] },
                        "id_token_signed_response_alg": { "enum": ["RS256", "ES256", "EdDSA"] },
                        "first_party": boolean, "allow_plain_pkce": boolean, "jwks": any,
                        "branding": object(json!({ "logo_uri": str_, "policy_uri": str_, "tos_uri": str_, "accent_color": str_, "background_color": str_, "theme": str_ })),
                        "face_policy": { "enum": ["default", "require", "off"] },
                        "password_policy": { "enum": ["default", "email_code", "off"] },
                        "required_acr": { "enum": ["password", "passkey", "passkey_face", "", null] },
                        "service_scopes": strs, "audiences": strs, "allowed_origins": strs, "allowed_networks": strs
                    }
                },
                "FaceSettings": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["require_for_enrolled", "challenge_actions", "max_failures", "failure_window_seconds", "lock_seconds"],
                    "properties": {
                        "match_threshold": { "type": ["number", "null"], "minimum": 0.3, "maximum": 0.9, "description": "cosine similarity; null = the measured default of the models in use" },
                        "live_threshold": { "type": ["number", "null"], "minimum": 0.05, "maximum": 0.99, "description": "passive liveness score; null = the model's default" },
                        "require_for_enrolled": boolean,
                        "challenge_actions": { "type": "array", "maxItems": 6, "items": { "enum": ["turn_left", "turn_right", "center", "blink"] }, "description": "empty = unpredictable" },
                        "max_failures": { "type": "integer", "minimum": 1, "maximum": 20 },
                        "failure_window_seconds": { "type": "integer", "minimum": 60, "maximum": 86400 },
                        "lock_seconds": { "type": "integer", "minimum": 60, "maximum": 86400 }
                    }
                },
                "FacePolicyChange": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["settings", "reason"],
                    "properties": { "settings": { "$ref": "#/components/schemas/FaceSettings" }, "reason": { "type": "string", "minLength": 1, "maxLength": 500 } }
                },
                "FacePolicy": object(json!({
                    "settings": { "$ref": "#/components/schemas/FaceSettings" },
                    "source": { "enum": ["visage.toml", "changed"] },
                    "model_match_threshold": { "type": ["number", "null"] },
                    "model_live_threshold": { "type": ["number", "null"] },
                    "measured": { "type": "array", "items": object(json!({ "set": str_, "split": str_, "pairs": str_, "threshold": str_, "fmr": str_, "fnmr": str_ })) },
                    "history": { "type": "array", "items": object(json!({ "at": int, "actor": str_, "reason": str_, "settings": { "$ref": "#/components/schemas/FaceSettings" } })) }
                })),
                "Retired": object(json!({ "kid": str_, "replacement": { "type": ["string", "null"] } })),
                "Registered": object(json!({ "client_id": str_, "client_secret": str_, "token_endpoint_auth_method": str_, "redirect_uris": strs, "grant_types": strs, "id_token_signed_response_alg": str_ })),
                "Client": object(json!({ "client_id": str_, "client_name": str_, "confidential": boolean, "redirect_uris": strs, "post_logout_redirect_uris": strs, "grant_types": strs, "token_endpoint_auth_method": str_, "id_token_signed_response_alg": str_, "first_party": boolean, "disabled": boolean, "branding": any, "face_policy": str_, "password_policy": str_, "service_scopes": strs, "audiences": strs, "allowed_origins": strs, "allowed_networks": strs, "required_acr": { "type": ["string", "null"] } })),
                "ClientPage": object(json!({ "items": { "type": "array", "items": { "$ref": "#/components/schemas/Client" } }, "total": int, "page": int, "per_page": int })),
                "User": object(json!({ "id": str_, "email": str_, "name": { "type": ["string", "null"] }, "disabled": boolean, "created_at": int })),
                "UserPage": object(json!({ "items": { "type": "array", "items": { "$ref": "#/components/schemas/User" } }, "total": int, "page": int, "per_page": int })),
                "UserDetail": object(json!({ "id": str_, "email": str_, "email_verified": boolean, "has_password": boolean, "passkeys": { "type": "array", "items": any }, "face_enrolled": boolean, "face_consent": boolean, "sessions": { "type": "array", "items": any }, "tokens": { "type": "array", "items": any }, "role": { "type": ["string", "null"] } })),
                "InvitationInput": { "type": "object", "additionalProperties": false, "properties": { "email": str_, "role": { "enum": ["owner", "admin", "auditor"] }, "send": boolean } },
                "Invitation": object(json!({ "invitation_url": str_, "expires_in": int, "sent_to": str_ })),
                "InvitationList": { "type": "array", "items": object(json!({ "id": str_, "email": { "type": ["string", "null"] }, "role": { "type": ["string", "null"] }, "created_by": str_, "created_at": int, "expires_at": int })) },
                "KeyList": { "type": "array", "items": object(json!({ "kid": str_, "alg": str_, "created_at": int, "state": { "enum": ["active", "retired", "expired"] }, "retired_at": { "type": ["integer", "null"] }, "published_until": { "type": ["integer", "null"] }, "rotates_at": { "type": ["integer", "null"] } })) },
                "AuditPage": object(json!({ "items": { "type": "array", "items": any }, "total": int, "page": int, "per_page": int })),
                "Stats": object(json!({ "sign_ins_per_hour": { "type": "array", "items": { "type": "array", "items": int } }, "sign_ins_by_method": { "type": "array", "items": { "type": "array" } }, "face_failures": { "type": "array", "items": { "type": "array" } }, "lockouts": int, "lockouts_per_hour": { "type": "array", "items": { "type": "array", "items": int } } })),
                "FamilyList": { "type": "array", "items": object(json!({ "grant_id": str_, "user_id": str_, "live_tokens": int, "expires_at": int })) },
                "RoleInput": { "type": "object", "required": ["kind", "role"], "additionalProperties": false, "properties": { "kind": { "enum": ["user", "client"] }, "role": { "enum": ["owner", "admin", "auditor"] } } },
                "RoleList": { "type": "array", "items": object(json!({ "subject": str_, "kind": str_, "role": str_ })) }
            }
        }
    })
}

pub async fn document(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(build(&state.config.issuer))
}
