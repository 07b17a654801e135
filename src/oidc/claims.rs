//! Standard claims of a person, released by scope (OIDC Core §5.4) or by the
//! `claims` request parameter (§5.5).

use serde_json::{Map, Value};

use crate::db::users::UserRow;

fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &["name", "given_name", "family_name", "locale", "updated_at"],
        "email" => &["email", "email_verified"],
        "phone" => &["phone_number", "phone_number_verified"],
        "address" => &["address"],
        _ => &[],
    }
}

fn claim_value(user: &UserRow, name: &str) -> Option<Value> {
    match name {
        "name" => user.name.clone().map(Value::from),
        "given_name" => user.given_name.clone().map(Value::from),
        "family_name" => user.family_name.clone().map(Value::from),
        "locale" => user.locale.clone().map(Value::from),
        "updated_at" => Some(Value::from(user.updated_at)),
        "email" => Some(Value::from(user.email.clone())),
        "email_verified" => Some(Value::from(user.email_verified)),
        "phone_number" => user.phone_number.clone().map(Value::from),
        "phone_number_verified" => user
            .phone_number
            .as_ref()
            .map(|_| Value::from(user.phone_number_verified)),
        "address" => user
            .address
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok()),
        _ => None,
    }
}

/// Claims for `sub` given the granted scope and the `claims` member
/// (`userinfo` or `id_token`) of the request.
pub fn for_user(user: &UserRow, scope: &[String], requested: Option<&Value>) -> Map<String, Value> {
    let mut names: Vec<&str> = scope
        .iter()
        .flat_map(|s| scope_claims(s).iter().copied())
        .collect();
    if let Some(Value::Object(req)) = requested {
        names.extend(req.keys().map(String::as_str));
    }
    let mut out = Map::new();
    out.insert("sub".into(), Value::from(user.id.as_str()));
    for n in names {
        if let Some(v) = claim_value(user, n) {
            out.insert(n.to_owned(), v);
        }
    }
    out
}
