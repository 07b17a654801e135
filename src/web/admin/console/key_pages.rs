//! Console page for signing keys: list, rotate, retire.

use super::*;

pub async fn keys_page(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (now, cfg) = (state.clock.now(), state.config.keys.clone());
    let list = match state.db.run(move |db| keys::list(db, &cfg, now)).await {
        Ok(v) => v,
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    let (ch, cookie) = chrome(&req, &state, &c, "keys");
    let days = state.config.keys.rotate_after_days;
    Ok(show(
        Reply::Shown,
        &Keys {
            chrome: &ch,
            keys: list.into_iter().map(KeyRowView::from).collect(),
            schedule: if days > 0 {
                ch.n("admin.keys.every_days", days)
            } else {
                ch.t("admin.keys.rotation_off").to_owned()
            },
        },
        cookie,
    ))
}

pub async fn key_retire(
    ConsoleChange { console: c, .. }: ConsoleChange<SigningKeys, CsrfForm>,
    state: web::Data<AppState>,
    kid: web::Path<crate::ids::Kid>,
) -> Result<HttpResponse, WebError> {
    c.fresh_or_sign_in(&state, "/admin/keys")?;
    let kid = kid.into_inner();
    let (st, now) = (state.clone(), state.clock.now());
    match state
        .db
        .run(move |db| keys::retire(db, &st.master_key, &st.config.keys, &c.actor, &kid, now))
        .await
    {
        Ok(_) => {
            state.reload_keys().await;
            Ok(see_other("/admin/keys?done=retired"))
        }
        Err(e @ (KeyError::UnknownKey(_) | KeyError::AlreadyUnpublished(_))) => {
            Err(WebError::Page(Reply::Invalid, e.to_string()))
        }
        Err(e) => Err(WebError::internal_page(&e)),
    }
}

pub async fn keys_rotate(
    ConsoleChange { console: c, .. }: ConsoleChange<SigningKeys, CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    c.fresh_or_sign_in(&state, "/admin/keys")?;
    let (st, now) = (state.clone(), state.clock.now());
    match state
        .db
        .run(move |db| keys::rotate(db, &st.master_key, &st.config.keys, &c.actor, now))
        .await
    {
        Ok(_) => {
            state.reload_keys().await;
            Ok(see_other("/admin/keys?done=rotated"))
        }
        Err(e) => Err(WebError::internal_page(&e)),
    }
}
