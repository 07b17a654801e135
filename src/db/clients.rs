//! `clients` rows.

use diesel::prelude::*;

use super::schema::clients::dsl as c;
use super::{DbConnection, DbError, JsonList};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = super::schema::clients, treat_none_as_null = true)]
pub struct ClientRow {
    pub id: crate::ids::ClientId,
    pub name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: JsonList,
    pub post_logout_redirect_uris: JsonList,
    pub grant_types: JsonList,
    pub token_endpoint_auth_method: String,
    pub id_token_alg: String,
    pub allow_plain_pkce: bool,
    pub first_party: bool,
    pub jwks: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub branding: Option<String>,
    pub face_policy: String,
    pub password_policy: String,
    pub required_acr: Option<String>,
    pub service_scopes: JsonList,
    pub audiences: JsonList,
    pub allowed_origins: JsonList,
    pub allowed_networks: JsonList,
}

pub fn insert(conn: &mut DbConnection, row: &ClientRow) -> Result<(), DbError> {
    diesel::insert_into(c::clients)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// A client's row and the row of token `token_id`, in one statement
/// (`/introspect`: one database round trip per request). The token is None
/// when it has no row.
pub fn find_with_token(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
    token_id: &str,
) -> Result<Option<(ClientRow, Option<super::tokens::TokenRow>)>, DbError> {
    use super::schema::tokens::dsl as t;
    Ok(c::clients
        .left_join(t::tokens.on(t::id.eq(token_id)))
        .filter(c::id.eq(id))
        .select((
            ClientRow::as_select(),
            Option::<super::tokens::TokenRow>::as_select(),
        ))
        .first(conn)
        .optional()?)
}

pub fn find(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
) -> Result<Option<ClientRow>, DbError> {
    Ok(c::clients
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether some enabled client lists `origin` among its allowed origins
/// (a CORS preflight): only that column is read.
pub fn any_allows_origin(conn: &mut DbConnection, origin: &str) -> Result<bool, DbError> {
    let lists: Vec<JsonList> = c::clients
        .filter(c::disabled.eq(false))
        .select(c::allowed_origins)
        .load(conn)?;
    Ok(lists.iter().any(|l| l.0.iter().any(|o| o == origin)))
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<ClientRow>, DbError> {
    Ok(c::clients
        .order(c::created_at.asc())
        .select(ClientRow::as_select())
        .load(conn)?)
}

/// Replace every column of the row `row.id`.
pub fn replace(conn: &mut DbConnection, row: &ClientRow) -> Result<bool, DbError> {
    Ok(diesel::update(c::clients.find(&row.id))
        .set(row.clone())
        .execute(conn)?
        > 0)
}

pub fn delete(conn: &mut DbConnection, id: &crate::ids::ClientId) -> Result<bool, DbError> {
    Ok(diesel::delete(c::clients.find(id)).execute(conn)? > 0)
}

pub fn set_secret_hash(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
    hash: &str,
) -> Result<bool, DbError> {
    Ok(diesel::update(c::clients.find(id))
        .set(c::secret_hash.eq(hash))
        .execute(conn)?
        > 0)
}

pub fn set_disabled(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
    disabled: bool,
) -> Result<bool, DbError> {
    Ok(diesel::update(c::clients.find(id))
        .set(c::disabled.eq(disabled))
        .execute(conn)?
        > 0)
}
