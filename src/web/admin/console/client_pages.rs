//! Console pages for clients: list, create, detail, edit, and actions.

use super::*;

pub async fn clients(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let all = match state.db.run(client_admin::list).await {
        Ok(v) => v,
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    let found = matching(&all, &q.q);
    let total = found.len();
    let pages = total.div_ceil(PER_PAGE as usize).max(1);
    let page = (q.page.unwrap_or(1).max(1) as usize).min(pages);
    let (prev_href, next_href) = page_links("/admin/clients", &q.q, page as i64, pages as i64);
    let (ch, cookie) = chrome(&req, &state, &c, "clients");
    let list = Clients {
        chrome: &ch,
        q: &q.q,
        clients: found
            .iter()
            .skip((page - 1) * PER_PAGE as usize)
            .take(PER_PAGE as usize)
            .map(|k| ClientView::from(*k))
            .collect(),
        total,
        page,
        pages,
        prev_href,
        next_href,
    };
    Ok(show(Reply::Shown, &list, cookie))
}

async fn client_page(
    req: &HttpRequest,
    state: &AppState,
    c: &Console,
    id: crate::ids::ClientId,
    secret: Option<String>,
) -> HttpResponse {
    let now = state.clock.now();
    let found = state
        .db
        .run(move |db| -> Result<_, crate::db::DbError> {
            let families = sessions::families_of_client(db, &id, now)?;
            let role = crate::db::admin_roles::find(db, id.as_str())?.map(|r| r.role);
            Ok(Client::find(db, &id)?.map(|k| (k, families, role)))
        })
        .await;
    let (client, families, role) = match found {
        Ok(Some(v)) => v,
        Ok(None) => return error::page(Reply::Missing, "No such client."),
        Err(e) => return error::page_internal(&e),
    };
    let (ch, cookie) = chrome(req, state, c, "clients");
    let page = ClientPage {
        chrome: &ch,
        c: ClientView::from(&client),
        secret,
        families,
        role,
        issuer: &state.config.issuer,
        discovery: format!("{}/.well-known/openid-configuration", state.config.issuer),
    };
    show(Reply::Shown, &page, cookie)
}

pub async fn client(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    Ok(client_page(&req, &state, &c, id.into_inner(), None).await)
}

/// The new-client form (textareas hold one URI per line).
#[derive(Deserialize)]
pub struct ClientForm {
    csrf: Option<String>,
    client_name: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    token_endpoint_auth_method: String,
    id_token_signed_response_alg: String,
    face_policy: String,
    password_policy: String,
    #[serde(default)]
    required_acr: String,
    #[serde(default)]
    service_scopes: String,
    #[serde(default)]
    audiences: String,
    #[serde(default)]
    allowed_origins: String,
    #[serde(default)]
    allowed_networks: String,
    #[serde(default)]
    logo_uri: String,
    #[serde(default)]
    accent_color: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    policy_uri: String,
    #[serde(default)]
    tos_uri: String,
    first_party: Option<String>,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ClientForm {
    fn input(self) -> ClientInput {
        ClientInput {
            client_id: opt(self.client_id),
            client_name: self.client_name,
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            token_endpoint_auth_method: Some(self.token_endpoint_auth_method),
            id_token_signed_response_alg: Some(self.id_token_signed_response_alg),
            first_party: self.first_party.is_some(),
            branding: Branding {
                logo_uri: opt(self.logo_uri),
                policy_uri: opt(self.policy_uri),
                tos_uri: opt(self.tos_uri),
                accent_color: opt(self.accent_color),
                background_color: None,
                theme: opt(self.theme),
            },
            face_policy: Some(self.face_policy),
            password_policy: Some(self.password_policy),
            required_acr: opt(self.required_acr),
            service_scopes: lines(&self.service_scopes),
            audiences: lines(&self.audiences),
            allowed_origins: lines(&self.allowed_origins),
            allowed_networks: lines(&self.allowed_networks),
            ..ClientInput::default()
        }
    }
}

pub async fn client_create(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Writes, ClientForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (st, label, now) = (state.clone(), c.actor.label.clone(), state.clock.now());
    let input = form.input();
    let res = state
        .db
        .run(move |db| {
            let new = input.into_new().map_err(ClientAdminError::Invalid)?;
            st.themes
                .check(new.branding.theme.as_deref())
                .map_err(ClientAdminError::Invalid)?;
            client_admin::register(db, &st.master_key, new, &label, now)
        })
        .await;
    match res {
        Ok(reg) => Ok(client_page(&req, &state, &c, reg.client_id, reg.client_secret).await),
        Err(ClientAdminError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(
            Reply::Invalid,
            tr_of(&req, &state).f("admin.error.client_not_created", &[("why", &e.to_string())]),
        )),
    }
}

pub async fn client_edit(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Writes, ClientForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let (label, now, key) = (c.actor.label.clone(), state.clock.now(), id.clone());
    let actor = c.actor.clone();
    let input = form.input();
    let st = state.clone();
    let res = state
        .db
        .run(move |db| {
            crate::admin::clients::may_act_on(db, &actor, &key)?;
            let new = input.into_new().map_err(ClientAdminError::Invalid)?;
            st.themes
                .check(new.branding.theme.as_deref())
                .map_err(ClientAdminError::Invalid)?;
            client_admin::update(db, &key, new, &label, now)
        })
        .await;
    match res {
        Ok(()) => Ok(see_other(&format!("/admin/clients/{id}?done=saved"))),
        Err(ClientAdminError::NotFound(_)) => Err(WebError::Page(
            Reply::Missing,
            tr_of(&req, &state).t("admin.missing.client").to_owned(),
        )),
        Err(ClientAdminError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e @ (ClientAdminError::Protected(_) | ClientAdminError::Administrator(_))) => {
            Err(WebError::Page(Reply::Forbidden, e.to_string()))
        }
        Err(e) => Err(WebError::Page(
            Reply::Invalid,
            tr_of(&req, &state).f("admin.error.settings_not_saved", &[("why", &e.to_string())]),
        )),
    }
}

pub async fn client_action(
    ConsoleChange { console: c, .. }: ConsoleChange<Writes, CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(crate::ids::ClientId, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let back = format!("/admin/clients/{id}");
    if action == "delete" {
        c.fresh_or_sign_in(&state, &back)?;
    }
    let (st, label, now, key) = (
        state.clone(),
        c.actor.label.clone(),
        state.clock.now(),
        id.clone(),
    );
    let actor = c.actor.clone();
    let res = state
        .db
        .run(move |db| {
            crate::admin::clients::may_act_on(db, &actor, &key)?;
            match action.as_str() {
                "rotate" => {
                    client_admin::rotate_secret(db, &st.master_key, &key, &label, now).map(Some)
                }
                "disable" => client_admin::set_disabled(db, &key, true, &label, now).map(|()| None),
                "enable" => client_admin::set_disabled(db, &key, false, &label, now).map(|()| None),
                "delete" => client_admin::remove(db, &key, &label, now).map(|()| None),
                other => Err(ClientAdminError::Invalid(format!(
                    "unknown action '{other}'"
                ))),
            }
        })
        .await;
    match res {
        Ok(Some(secret)) => Ok(client_page(&req, &state, &c, id, Some(secret)).await),
        Ok(None) => match req.path().rsplit('/').next() {
            Some("delete") => Ok(see_other("/admin/clients?done=deleted")),
            Some(a) => Ok(see_other(&format!("{back}?done={a}d"))),
            None => Ok(see_other(&back)),
        },
        Err(ClientAdminError::NotFound(_)) => Err(WebError::Page(
            Reply::Missing,
            tr_of(&req, &state).t("admin.missing.client").to_owned(),
        )),
        Err(ClientAdminError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e @ (ClientAdminError::Protected(_) | ClientAdminError::Administrator(_))) => {
            Err(WebError::Page(Reply::Forbidden, e.to_string()))
        }
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

crate::csrf_field!(ClientForm);
