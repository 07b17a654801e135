//! Console pages for accounts: list, detail, actions, sessions and token families.

use super::*;

pub async fn users_page(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    users_render(&c, req, state, q.into_inner(), None).await
}

pub(super) async fn users_render(
    c: &Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: ListQuery,
    invitation: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (text, page, now) = (q.q.clone(), q.page.unwrap_or(1), state.clock.now());
    let found = match state
        .db
        .run(move |db| {
            let found = users::search(db, &text, page, PER_PAGE)?;
            Ok::<_, crate::db::DbError>((found, invitations::pending(db, now)?))
        })
        .await
    {
        Ok(v) => v,
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    let (found, pending) = found;
    let pages = (found.total + PER_PAGE - 1) / PER_PAGE;
    let (prev_href, next_href) = page_links("/admin/users", &q.q, found.page, pages);
    let (ch, cookie) = chrome(&req, &state, c, "users");
    let list = Users {
        chrome: &ch,
        q: &q.q,
        users: found
            .items
            .into_iter()
            .map(|u| UserRowView {
                created: utc(u.created_at),
                id: u.id.to_string(),
                email: u.email,
                name: u.name,
                disabled: u.disabled,
            })
            .collect(),
        total: found.total,
        page: found.page,
        pages: pages.max(1),
        prev_href,
        next_href,
        invitation,
        pending: pending.into_iter().map(InvitationRowView::from).collect(),
    };
    Ok(show(Reply::Shown, &list, cookie))
}

pub async fn user(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let (id, now) = (id.into_inner(), state.clock.now());
    let detail = match state.db.run(move |db| users::detail(db, &id, now)).await {
        Ok(d) => d,
        Err(users::UserAdminError::NotFound(_)) => {
            return Err(WebError::Page(
                Reply::Missing,
                tr_of(&req, &state).t("admin.missing.account").to_owned(),
            ))
        }
        Err(users::UserAdminError::Db(e)) => return Err(WebError::internal_page(&e)),
        Err(e) => return Err(WebError::Page(Reply::Forbidden, e.to_string())),
    };
    let (ch, cookie) = chrome(&req, &state, &c, "users");
    Ok(show(
        Reply::Shown,
        &UserPage {
            chrome: &ch,
            u: detail,
        },
        cookie,
    ))
}

pub async fn user_action(
    ConsoleChange { console: c, .. }: ConsoleChange<Writes, CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(crate::ids::UserId, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let back = format!("/admin/users/{id}");
    if matches!(action.as_str(), "delete" | "erase-face") {
        c.fresh_or_sign_in(&state, &back)?;
    }
    let now = state.clock.now();
    let (actor, key, act) = (c.actor.clone(), id.clone(), action.clone());
    let res = state
        .db
        .run(move |db| match act.as_str() {
            "disable" => users::set_disabled(db, &actor, &key, true, now).map(|()| "disabled"),
            "enable" => users::set_disabled(db, &actor, &key, false, now).map(|()| "enabled"),
            "sign-out" => users::sign_out_everywhere(db, &actor, &key, now).map(|_| "signed_out"),
            "delete" => users::erase(db, &actor, &key, now).map(|()| "deleted"),
            "erase-face" => users::erase_face(db, &actor, &key, now).map(|_| "face_erased"),
            _ => Err(users::UserAdminError::NotFound(format!("action {act}"))),
        })
        .await;
    match res {
        Ok("deleted") => Ok(see_other("/admin/users?done=deleted")),
        Ok(done) => Ok(see_other(&format!("{back}?done={done}"))),
        Err(users::UserAdminError::NotFound(_)) => Err(WebError::Page(
            Reply::Missing,
            tr_of(&req, &state)
                .t("admin.missing.account_or_action")
                .to_owned(),
        )),
        Err(e @ users::UserAdminError::Administrator) => {
            Err(WebError::Page(Reply::Forbidden, e.to_string()))
        }
        Err(e @ (users::UserAdminError::LastOwner | users::UserAdminError::AwaitingApproval)) => {
            Err(WebError::Page(Reply::Conflict, e.to_string()))
        }
        Err(users::UserAdminError::Db(e)) => Err(WebError::internal_page(&e)),
    }
}

pub async fn session_end(
    ConsoleChange { console: c, .. }: ConsoleChange<Writes, CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(crate::ids::UserId, crate::ids::SessionId)>,
) -> Result<HttpResponse, WebError> {
    let (user, sid) = path.into_inner();
    let (now, uid) = (state.clock.now(), user.clone());
    match state
        .db
        .run(move |db| sessions::end_session(db, &c.actor, &uid, &sid, now))
        .await
    {
        Ok(true) => Ok(see_other(&format!(
            "/admin/users/{user}?done=session_ended"
        ))),
        Ok(false) => Err(WebError::Page(
            Reply::Missing,
            tr_of(&req, &state).t("admin.missing.session").to_owned(),
        )),
        Err(users::UserAdminError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(Reply::Forbidden, e.to_string())),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
    back: String,
}

pub async fn family_revoke(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Writes, RevokeForm>,
    state: web::Data<AppState>,
    grant: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (now, grant) = (state.clock.now(), grant.into_inner());
    match state
        .db
        .run(move |db| sessions::revoke_family(db, &c.actor, &grant, now))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}?done=revoked",
            local_path(&form.back)
        ))),
        Err(users::UserAdminError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(Reply::Forbidden, e.to_string())),
    }
}

crate::csrf_field!(RevokeForm);
