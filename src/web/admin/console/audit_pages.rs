//! Console audit viewer: filters, charts, pages of events.

use super::*;

#[derive(Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    outcome: String,
    hours: Option<i64>,
    page: Option<i64>,
}

pub async fn audit(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuditForm>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let hours = q.hours.unwrap_or(24).clamp(1, 24 * 90);
    let now = state.clock.now();
    let query = AuditQuery {
        category: opt(q.category.clone()),
        action: opt(q.action.clone()),
        user: opt(q.user.clone()),
        client: opt(q.client.clone()),
        outcome: opt(q.outcome.clone()),
        since: Some(now - hours * 3600),
        until: None,
        page: q.page,
        per_page: Some(50),
    };
    let res = state
        .db
        .run(move |db| -> Result<_, crate::db::DbError> {
            let page = audit_log::search(db, &query)?;
            Ok((page, audit_log::stats(db, now)?))
        })
        .await;
    let (found, stats) = match res {
        Ok(v) => v,
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    let href = |page: i64| {
        crate::web::admin::link(
            "/admin/audit",
            &[
                ("category", &q.category),
                ("action", &q.action),
                ("user", &q.user),
                ("client", &q.client),
                ("outcome", &q.outcome),
                ("hours", &hours.to_string()),
                ("page", &page.to_string()),
            ],
        )
    };
    let (ch, cookie) = chrome(&req, &state, &c, "audit");
    let page = Audit {
        chrome: &ch,
        filter: AuditFilterView {
            category: q.category.clone(),
            action: q.action.clone(),
            user: q.user.clone(),
            client: q.client.clone(),
            outcome: q.outcome.clone(),
            hours,
        },
        categories: ["", "auth", "account", "admin", "biometric", "token"],
        outcomes: ["", "success", "failure", "blocked", "rate_limited"],
        windows: [
            (1, "admin.audit.hour"),
            (24, "admin.audit.day"),
            (24 * 7, "admin.audit.week"),
            (24 * 30, "admin.audit.month"),
        ],
        charts: Charts::of(&stats),
        more: found.page * found.per_page < found.total,
        prev_href: href(found.page - 1),
        next_href: href(found.page + 1),
        total: found.total,
        page: found.page,
        events: found.items.into_iter().map(AuditRowView::from).collect(),
    };
    Ok(show(Reply::Shown, &page, cookie))
}
