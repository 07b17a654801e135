//! The admin console (`/admin`) and the admin API (`/admin/api`, with its
//! OpenAPI document).

pub mod api;
pub mod auth;
pub mod chart;
pub mod console;
pub mod console_auth;
pub mod openapi;
pub mod policy_form;
pub mod views;

use actix_web::web;

/// `path?k=v&…`, form-encoded.
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    format!("{path}?{}", q.finish())
}

/// Largest admin API request body.
const BODY_LIMIT: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use api::*;
    let json = web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|err, _| {
            crate::web::error::WebError::from(crate::web::error::ApiFailure::unreadable_body(&err))
                .into()
        });
    cfg.service(
        web::scope("/admin/api")
            .app_data(json)
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/clients", web::get().to(clients_list))
            .route("/clients", web::post().to(clients_create))
            .route("/clients/{id}", web::get().to(clients_get))
            .route("/clients/{id}", web::put().to(clients_update))
            .route("/clients/{id}", web::delete().to(clients_delete))
            .route("/clients/{id}/secret", web::post().to(clients_rotate))
            .route(
                "/clients/{id}/{action:(?:disable|enable)}",
                web::post().to(clients_set_disabled),
            )
            .route("/clients/{id}/grants", web::get().to(clients_families))
            .route("/grants/{grant}/revoke", web::post().to(family_revoke))
            .route(
                "/users/{id}/sessions/{sid}/end",
                web::post().to(session_end),
            )
            .route("/users", web::get().to(users_list))
            .route("/users/{id}", web::get().to(users_get))
            .route("/users/{id}", web::delete().to(users_delete))
            .route(
                "/users/{id}/{action:(?:disable|enable)}",
                web::post().to(users_set_disabled),
            )
            .route("/users/{id}/sign-out", web::post().to(users_sign_out))
            .route("/users/{id}/face", web::delete().to(users_face_erase))
            .route("/invitations", web::post().to(invitations_create))
            .route("/invitations", web::get().to(invitations_list))
            .route(
                "/invitations/{id}/resend",
                web::post().to(invitations_resend),
            )
            .route("/invitations/{id}", web::delete().to(invitations_revoke))
            .route("/keys", web::get().to(keys_list))
            .route("/keys/rotate", web::post().to(keys_rotate))
            .route("/keys/{kid}/retire", web::post().to(keys_retire))
            .route("/face-policy", web::get().to(face_policy_get))
            .route("/face-policy", web::put().to(face_policy_put))
            .route("/audit", web::get().to(audit_list))
            .route("/stats", web::get().to(stats))
            .route("/roles", web::get().to(roles_list))
            .route("/roles/{subject}", web::put().to(roles_put))
            .route("/roles/{subject}", web::delete().to(roles_delete))
            .route("/alerts", web::get().to(alerts_list))
            .route("/alerts/{id}/{action}", web::post().to(alerts_handle))
            .route("/registrations", web::get().to(registrations_list))
            .route(
                "/registrations/{id}/{action}",
                web::post().to(registrations_decide),
            )
            .route("/incidents", web::get().to(incidents_get))
            .route(
                "/incidents/clients/{id}/revoke-tokens",
                web::post().to(incident_client_tokens),
            )
            .route(
                "/incidents/users/{id}/revoke-tokens",
                web::post().to(incident_user_tokens),
            )
            .route(
                "/incidents/users/{id}/reauthenticate",
                web::post().to(incident_user_reauthenticate),
            )
            .route(
                "/incidents/reauthenticate-everyone",
                web::post().to(incident_everyone_reauthenticate),
            )
            .route(
                "/incidents/blocked-networks",
                web::post().to(incident_block),
            )
            .route(
                "/incidents/blocked-networks/{id}/lift",
                web::post().to(incident_lift),
            )
            .route("/incidents/face-sign-in", web::put().to(incident_face)),
    );
    console_routes(cfg);
}

fn console_routes(cfg: &mut web::ServiceConfig) {
    use console::*;
    use console_auth::{callback, login, logout};
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/login", web::get().to(login))
        .route("/admin/callback", web::get().to(callback))
        .route("/admin/logout", web::post().to(logout))
        .route("/admin/signed-out", web::get().to(signed_out))
        .route("/admin/clients", web::get().to(clients))
        .route("/admin/clients", web::post().to(client_create))
        .route("/admin/clients/{id}", web::get().to(client))
        .route("/admin/clients/{id}/edit", web::post().to(client_edit))
        .route(
            "/admin/clients/{id}/{action}",
            web::post().to(client_action),
        )
        .route(
            "/admin/grants/{grant}/revoke",
            web::post().to(family_revoke),
        )
        .route(
            "/admin/users/{id}/sessions/{sid}/end",
            web::post().to(session_end),
        )
        .route("/admin/users", web::get().to(users_page))
        .route("/admin/users/{id}", web::get().to(user))
        .route("/admin/users/{id}/{action}", web::post().to(user_action))
        .route("/admin/invitations", web::post().to(invite))
        .route("/admin/roles/{kind}/{subject}", web::post().to(set_role))
        .route(
            "/admin/invitations/{id}/{action}",
            web::post().to(invitation_action),
        )
        .route("/admin/keys", web::get().to(keys_page))
        .route("/admin/keys/rotate", web::post().to(keys_rotate))
        .route("/admin/keys/{kid}/retire", web::post().to(key_retire))
        .route("/admin/alerts", web::get().to(alerts_page))
        .route("/admin/alerts/{id}/{action}", web::post().to(alert_action))
        .route(
            "/admin/registrations/{id}/{action}",
            web::post().to(registration_action),
        )
        .route("/admin/incidents", web::get().to(incidents_page))
        .route("/admin/incidents/{action}", web::post().to(incident_action))
        .route("/admin/audit", web::get().to(audit))
        .route("/admin/policy", web::get().to(policy))
        .route("/admin/policy", web::post().to(policy_change));
}
