//! Console face-policy page: the policy in force, measured rates, the change form, history.

use super::*;

#[derive(Deserialize)]
pub struct PolicyQuery {
    edit: Option<String>,
}

pub async fn policy(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<PolicyQuery>,
) -> Result<HttpResponse, WebError> {
    let edit = q.edit.is_some() && c.actor.may(WRITE);
    // The form opens only after a fresh sign-in, so nothing typed is lost to it.
    if edit && !c.fresh(&state) {
        let to = crate::web::admin::link(
            "/admin/login",
            &[("fresh", "1"), ("next", "/admin/policy?edit=1")],
        );
        return Ok(see_other(&to));
    }
    Ok(policy_page(&req, &state, &c, edit, None, None).await)
}

/// The face policy page; `draft` (the rejected form) and `error` after a bad change.
async fn policy_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    c: &Console,
    edit: bool,
    draft: Option<PolicyForm>,
    error: Option<String>,
) -> HttpResponse {
    let (st, base) = (state.clone(), state.config.face.clone());
    let view = match state
        .db
        .run(move |db| face_policy::view(db, &base, st.face.as_deref()))
        .await
    {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    let (mut ch, cookie) = chrome(req, state, c, "policy");
    ch.error = error;
    let f = &state.config.face;
    let form = draft.unwrap_or_else(|| PolicyForm::of(&view.settings));
    let page = Policy {
        chrome: &ch,
        engine: state.face.as_ref().map(|e| EngineView {
            set: e.model_set,
            match_threshold: e.match_threshold,
            live_threshold: e.live_threshold,
        }),
        in_force: PolicyView::of(&view),
        rates: view.measured,
        frames: format!(
            "{} every {} ms; blink burst {} every {} ms; {} analysed in full",
            f.frames, f.frame_interval_ms, f.blink_frames, f.blink_interval_ms, f.analysed_frames
        ),
        history: view.history.iter().map(PolicyVersionView::of).collect(),
        edit,
        form,
    };
    show(Reply::Shown, &page, cookie)
}

pub async fn policy_change(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Writes, PolicyForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    c.fresh_or_sign_in(&state, "/admin/policy?edit=1")?;
    let change = match form.change() {
        Ok(ch) => ch,
        Err(m) => return Ok(policy_page(&req, &state, &c, true, Some(form), Some(m)).await),
    };
    let (st, now, actor) = (state.clone(), state.clock.now(), c.actor.clone());
    match state
        .db
        .run(move |db| face_policy::change(db, &st.config.face, &actor, change, now))
        .await
    {
        Ok(_) => Ok(see_other("/admin/policy?done=saved")),
        Err(face_policy::PolicyError::Invalid(m)) => {
            Ok(policy_page(&req, &state, &c, true, Some(form), Some(m)).await)
        }
        Err(e) => Err(WebError::internal_page(&e)),
    }
}
