//! The master key's rows: stable key material, rotations, and the sealed
//! fields a rotation re-seals (read in batches by row id, replaced only if
//! unchanged since they were read).

use diesel::prelude::*;

use super::schema::master_key_material::dsl as m;
use super::schema::master_key_rotations::dsl as r;
use super::{DbConnection, DbError};

pub fn material(conn: &mut DbConnection, name: &str) -> Result<Option<Vec<u8>>, DbError> {
    Ok(m::master_key_material
        .filter(m::name.eq(name))
        .select(m::sealed)
        .first(conn)
        .optional()?)
}

/// Store `sealed` under `name` unless a row is there (another server's).
pub fn insert_material(conn: &mut DbConnection, name: &str, sealed: &[u8]) -> Result<(), DbError> {
    let res = conn.write_transaction(|c| {
        diesel::insert_into(m::master_key_material)
            .values((m::name.eq(name), m::sealed.eq(sealed)))
            .execute(c)
            .map_err(DbError::from)
    });
    match res {
        Ok(_) => Ok(()),
        Err(e) if e.is_unique_violation() => Ok(()),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::master_key_rotations)]
pub struct RotationRow {
    pub new_id: String,
    pub old_id: String,
    pub new_under_old: Option<Vec<u8>>,
    pub old_under_new: Option<Vec<u8>>,
    pub running: Option<i64>,
    pub field: String,
    pub after_id: String,
    pub resealed: i64,
    pub actor: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// The latest rotation (the one running, else the last finished).
pub fn latest(conn: &mut DbConnection) -> Result<Option<RotationRow>, DbError> {
    Ok(r::master_key_rotations
        .order((r::running.is_null(), r::started_at.desc()))
        .select(RotationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Start `row`; false when another rotation is running (unique `running`).
pub fn start(conn: &mut DbConnection, row: &RotationRow) -> Result<bool, DbError> {
    let res = conn.write_transaction(|c| {
        diesel::insert_into(r::master_key_rotations)
            .values(row.clone())
            .execute(c)
            .map_err(DbError::from)
    });
    match res {
        Ok(_) => Ok(true),
        Err(e) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Where the re-sealing of rotation `new_id` got to.
pub fn advance(
    conn: &mut DbConnection,
    new_id: &str,
    field: &str,
    after_id: &str,
    resealed: i64,
) -> Result<(), DbError> {
    diesel::update(r::master_key_rotations.filter(r::new_id.eq(new_id)))
        .set((
            r::field.eq(field),
            r::after_id.eq(after_id),
            r::resealed.eq(resealed),
        ))
        .execute(conn)?;
    Ok(())
}

/// The rotation is over: the keys sealed under each other are erased.
pub fn finish(conn: &mut DbConnection, new_id: &str, now: i64) -> Result<(), DbError> {
    diesel::update(r::master_key_rotations.filter(r::new_id.eq(new_id)))
        .set((
            r::running.eq(None::<i64>),
            r::new_under_old.eq(None::<Vec<u8>>),
            r::old_under_new.eq(None::<Vec<u8>>),
            r::finished_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A column sealed under the master key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedField {
    MasterKeyMaterial,
    AuditDetails,
    SigningKeys,
    FaceTemplates,
    RefreshGrace,
}

impl SealedField {
    /// Every sealed column, in the order a rotation re-seals them.
    pub const ALL: [SealedField; 5] = [
        SealedField::MasterKeyMaterial,
        SealedField::AuditDetails,
        SealedField::SigningKeys,
        SealedField::FaceTemplates,
        SealedField::RefreshGrace,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SealedField::MasterKeyMaterial => "master_key_material.sealed",
            SealedField::AuditDetails => "audit_events.sealed_detail",
            SealedField::SigningKeys => "signing_keys.private_key",
            SealedField::FaceTemplates => "face_templates.sealed",
            SealedField::RefreshGrace => "tokens.grace_response",
        }
    }

    pub fn named(name: &str) -> Option<SealedField> {
        SealedField::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One sealed value and what its associated data is made of.
#[derive(Debug, Clone)]
pub struct SealedRow {
    pub id: String,
    /// `face_templates`: the person and the model.
    pub user_id: String,
    pub model_id: String,
    pub sealed: Vec<u8>,
}

fn plain(rows: Vec<(String, Vec<u8>)>) -> Vec<SealedRow> {
    rows.into_iter()
        .map(|(id, sealed)| SealedRow {
            id,
            user_id: String::new(),
            model_id: String::new(),
            sealed,
        })
        .collect()
}

/// Up to `limit` values of `field` in rows with an id after `after`, by id
/// (`audit_events`: by event number, `after` its decimal text).
pub fn batch(
    conn: &mut DbConnection,
    field: SealedField,
    after: &str,
    limit: i64,
) -> Result<Vec<SealedRow>, DbError> {
    use super::schema::{audit_events::dsl as a, face_templates::dsl as f};
    use super::schema::{signing_keys::dsl as k, tokens::dsl as t};
    Ok(match field {
        SealedField::AuditDetails => a::audit_events
            .filter(a::seq.gt(after.parse::<i64>().unwrap_or(0)))
            .filter(a::sealed_detail.is_not_null())
            .order(a::seq)
            .limit(limit)
            .select((a::seq, a::sealed_detail))
            .load::<(i64, Option<Vec<u8>>)>(conn)?
            .into_iter()
            .map(|(seq, sealed)| SealedRow {
                id: seq.to_string(),
                user_id: String::new(),
                model_id: String::new(),
                sealed: sealed.unwrap_or_default(),
            })
            .collect(),
        SealedField::MasterKeyMaterial => plain(
            m::master_key_material
                .filter(m::name.gt(after))
                .order(m::name)
                .limit(limit)
                .select((m::name, m::sealed))
                .load(conn)?,
        ),
        SealedField::SigningKeys => plain(
            k::signing_keys
                .filter(k::kid.gt(after))
                .order(k::kid)
                .limit(limit)
                .select((k::kid, k::private_key))
                .load(conn)?,
        ),
        SealedField::RefreshGrace => t::tokens
            .filter(t::id.gt(after).and(t::grace_response.is_not_null()))
            .order(t::id)
            .limit(limit)
            .select((t::id, t::grace_response))
            .load::<(String, Option<Vec<u8>>)>(conn)?
            .into_iter()
            .map(|(id, sealed)| SealedRow {
                id,
                user_id: String::new(),
                model_id: String::new(),
                sealed: sealed.unwrap_or_default(),
            })
            .collect(),
        SealedField::FaceTemplates => f::face_templates
            .filter(f::id.gt(after))
            .order(f::id)
            .limit(limit)
            .select((f::id, f::user_id, f::model_id, f::sealed))
            .load::<(String, String, String, Vec<u8>)>(conn)?
            .into_iter()
            .map(|(id, user_id, model_id, sealed)| SealedRow {
                id,
                user_id,
                model_id,
                sealed,
            })
            .collect(),
    })
}

/// Replace the value of `field` in row `id` with `new` if it is still `old`;
/// false when the row changed or went since it was read.
pub fn replace(
    conn: &mut DbConnection,
    field: SealedField,
    id: &str,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    use super::schema::{audit_events::dsl as a, face_templates::dsl as f};
    use super::schema::{signing_keys::dsl as k, tokens::dsl as t};
    let n = match field {
        SealedField::AuditDetails => {
            let seq: i64 = id.parse().unwrap_or(-1);
            diesel::update(a::audit_events.filter(a::seq.eq(seq).and(a::sealed_detail.eq(old))))
                .set(a::sealed_detail.eq(new))
                .execute(conn)?
        }
        SealedField::MasterKeyMaterial => {
            diesel::update(m::master_key_material.filter(m::name.eq(id).and(m::sealed.eq(old))))
                .set(m::sealed.eq(new))
                .execute(conn)?
        }
        SealedField::SigningKeys => {
            diesel::update(k::signing_keys.filter(k::kid.eq(id).and(k::private_key.eq(old))))
                .set(k::private_key.eq(new))
                .execute(conn)?
        }
        SealedField::FaceTemplates => {
            diesel::update(f::face_templates.filter(f::id.eq(id).and(f::sealed.eq(old))))
                .set(f::sealed.eq(new))
                .execute(conn)?
        }
        SealedField::RefreshGrace => {
            diesel::update(t::tokens.filter(t::id.eq(id).and(t::grace_response.eq(old))))
                .set(t::grace_response.eq(new))
                .execute(conn)?
        }
    };
    Ok(n == 1)
}
