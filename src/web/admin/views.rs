//! One askama struct per console page, and the chrome they share.

use askama::Template;

use crate::admin::audit_log::AuditEntry;
use crate::admin::clients::ClientView;
use crate::admin::face_policy::Rate;
use crate::admin::invitations::InvitationView;
use crate::admin::keys::KeyView;

use super::chart::Charts;
use super::policy_form::{PolicyForm, PolicyVersionView, PolicyView};
use crate::admin::users::UserDetail;

/// Header, navigation and messages of every console page.
pub struct Chrome<'t> {
    /// The console's strings in the reader's language (`i18n/admin.*.toml`).
    pub tr: crate::i18n::Tr<'t>,
    /// This page's path and query, for the language switch.
    pub here: String,
    pub who: String,
    pub role: &'static str,
    pub csrf: String,
    pub section: &'static str,
    pub can_write: bool,
    pub can_keys: bool,
    pub can_roles: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The deployment's themes, for a client's theme.
    pub themes: Vec<String>,
}

impl Chrome<'_> {
    /// The string for `key`.
    pub fn t(&self, key: &str) -> &str {
        self.tr.t(key)
    }

    /// `key` with `{n}` filled in.
    pub fn n(&self, key: &str, n: impl std::fmt::Display) -> String {
        self.tr.f(key, &[("n", &n.to_string())])
    }

    /// `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.tr.f(key, args)
    }

    /// "N in all · page P of Q" under a list.
    pub fn paging<N>(&self, total: N, page: N, pages: N) -> String
    where
        N: std::fmt::Display + PartialOrd + From<u8>,
    {
        let mut s = self.n("admin.list.total", total);
        if pages > N::from(1) {
            s.push_str(" · ");
            s.push_str(&self.f(
                "admin.list.page",
                &[("page", &page.to_string()), ("pages", &pages.to_string())],
            ));
        }
        s
    }

    /// Links to this page in the other languages.
    pub fn other_langs(&self) -> Vec<(&'static str, &'static str, String)> {
        crate::i18n::Lang::ALL
            .into_iter()
            .filter(|l| *l != self.tr.lang)
            .map(|l| {
                (
                    l.code(),
                    l.name(),
                    crate::web::ui::lang_href(&self.here, l.code()),
                )
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
pub struct Overview<'a> {
    pub chrome: &'a Chrome<'a>,
    pub clients: usize,
    pub users: i64,
    pub lockouts: i64,
    pub charts: Charts,
    pub discovery: String,
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
pub struct Clients<'a> {
    pub chrome: &'a Chrome<'a>,
    pub q: &'a str,
    pub clients: Vec<ClientView>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub prev_href: String,
    pub next_href: String,
}

#[derive(Template)]
#[template(path = "admin/client.html")]
pub struct ClientPage<'a> {
    pub chrome: &'a Chrome<'a>,
    pub c: ClientView,
    pub secret: Option<String>,
    pub families: Vec<crate::admin::sessions::Family>,
    /// Its administrator role (admin API with client credentials).
    pub role: Option<String>,
    pub issuer: &'a str,
    pub discovery: String,
}

pub struct UserRowView {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub disabled: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct Users<'a> {
    pub chrome: &'a Chrome<'a>,
    pub q: &'a str,
    pub users: Vec<UserRowView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub prev_href: String,
    pub next_href: String,
    pub invitation: Option<String>,
    pub pending: Vec<InvitationRowView>,
}

pub struct InvitationRowView {
    pub id: String,
    pub email: Option<String>,
    pub role: Option<String>,
    pub created_by: String,
    pub expires: String,
}

impl From<InvitationView> for InvitationRowView {
    fn from(i: InvitationView) -> Self {
        InvitationRowView {
            expires: utc(i.expires_at),
            id: i.id,
            email: i.email,
            role: i.role,
            created_by: i.created_by,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage<'a> {
    pub chrome: &'a Chrome<'a>,
    pub u: UserDetail,
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
pub struct Keys<'a> {
    pub chrome: &'a Chrome<'a>,
    pub keys: Vec<KeyRowView>,
    /// "every 90 days" or "off".
    pub schedule: String,
}

/// A signing key with its times as UTC dates.
pub struct KeyRowView {
    pub kid: crate::ids::Kid,
    pub alg: String,
    pub state: &'static str,
    pub created: String,
    pub published_until: String,
    pub rotates_at: String,
}

impl From<KeyView> for KeyRowView {
    fn from(k: KeyView) -> Self {
        let at = |t: Option<i64>| t.map(utc).unwrap_or_default();
        KeyRowView {
            created: utc(k.created_at),
            published_until: at(k.published_until),
            rotates_at: at(k.rotates_at),
            kid: k.kid,
            alg: k.alg,
            state: k.state,
        }
    }
}

pub struct AuditFilterView {
    pub category: String,
    pub action: String,
    pub user: String,
    pub client: String,
    pub outcome: String,
    pub hours: i64,
}

pub struct AuditRowView {
    pub seq: i64,
    pub when: String,
    pub category: String,
    pub action: String,
    pub outcome: String,
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub detail: String,
}

impl From<AuditEntry> for AuditRowView {
    fn from(e: AuditEntry) -> Self {
        AuditRowView {
            when: utc(e.at),
            detail: if e.detail.is_null() {
                String::new()
            } else {
                e.detail.to_string()
            },
            seq: e.seq,
            category: e.category,
            action: e.action,
            outcome: e.outcome,
            actor: e.actor,
            user_id: e.user_id,
            client_id: e.client_id,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct Audit<'a> {
    pub chrome: &'a Chrome<'a>,
    pub filter: AuditFilterView,
    pub categories: [&'static str; 6],
    pub outcomes: [&'static str; 5],
    pub windows: [(i64, &'static str); 4],
    pub charts: Charts,
    pub events: Vec<AuditRowView>,
    pub total: i64,
    pub page: i64,
    pub more: bool,
    pub prev_href: String,
    pub next_href: String,
}

pub struct EngineView {
    pub set: &'static str,
    pub match_threshold: f32,
    pub live_threshold: f32,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
pub struct Policy<'a> {
    pub chrome: &'a Chrome<'a>,
    pub engine: Option<EngineView>,
    pub in_force: PolicyView,
    pub rates: &'static [Rate],
    pub frames: String,
    pub history: Vec<PolicyVersionView>,
    /// Show the change form (people who may change it, after a fresh sign-in).
    pub edit: bool,
    pub form: PolicyForm,
}

#[derive(Template)]
#[template(path = "admin/signed_out.html")]
pub struct SignedOut<'a> {
    pub tr: crate::i18n::Tr<'a>,
}

pub use crate::clock::utc_minutes as utc;

/// A Unix time as a UTC date for templates (which pass values or references).
pub fn at(t: impl std::borrow::Borrow<i64>) -> String {
    utc(*t.borrow())
}
