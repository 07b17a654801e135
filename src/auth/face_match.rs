//! A verification's face against the person's template: the similarity
//! of the frontal frames, that of each turn to the enrolled view of its
//! side, and the template's refresh after a confident match
//! (`face.template_refresh`, docs/face.md "Template refresh").

use crate::biometrics::answer::Evidence;
use crate::biometrics::template;
use crate::crypto::MasterKey;
use crate::db::face_templates::{self as templates, FaceTemplateRow};
use crate::db::{DbConnection, DbError};

/// The person's template opened, and the check's face (fused,
/// `template::probe`) with its similarity to it.
pub struct Compared {
    row: FaceTemplateRow,
    template: template::Template,
    probe: Vec<f32>,
    pub similarity: f32,
    /// The lowest similarity of the check's turns (and blink) to the
    /// template's view of the same pose (`Template::turns_similarity`).
    pub turns: Option<f32>,
}

impl Compared {
    /// A match: the frontal frames reach the match threshold and every
    /// other action of the check the same-person threshold against the
    /// enrolled view of its pose, so no part of the answer shows someone
    /// other than the person enrolled.
    pub fn matches(&self, match_threshold: f32, same_person: f32) -> bool {
        self.similarity >= match_threshold && self.turns.is_none_or(|t| t >= same_person)
    }
}

/// Why there is nothing to compare with.
pub enum Unusable {
    NotEnrolled,
    /// The template does not open (another model, key or person).
    Sealed(String),
}

pub fn compare(
    conn: &mut DbConnection,
    mk: &MasterKey,
    user_id: &crate::ids::UserId,
    ev: &Evidence,
) -> Result<Result<Compared, Unusable>, DbError> {
    let Some(row) = templates::for_user(conn, user_id)? else {
        return Ok(Err(Unusable::NotEnrolled));
    };
    let t = match template::open(mk, user_id, &row.id, &row.model_id, &row.sealed) {
        Ok(t) => t,
        Err(e) => return Ok(Err(Unusable::Sealed(e.to_string()))),
    };
    let probe = template::probe(&ev.analysed);
    Ok(Ok(Compared {
        similarity: template::similarity(&t, &probe),
        turns: t.turns_similarity(&ev.turns),
        row,
        template: t,
        probe,
    }))
}

/// After a confident match, with `face.template_refresh`: the template a
/// step closer to this face (`template::refreshed`), sealed in place of
/// the old one. Whether it moved (a template that cannot be sealed stays
/// as it was: the check has passed either way).
pub fn refresh(
    conn: &mut DbConnection,
    mk: &MasterKey,
    user_id: &crate::ids::UserId,
    c: &Compared,
    threshold: f32,
) -> Result<bool, DbError> {
    let Some(t) = template::refreshed(&c.template, &c.probe, c.similarity, threshold) else {
        return Ok(false);
    };
    match template::seal(mk, user_id, &c.row.id, &c.row.model_id, &t) {
        Ok(sealed) => {
            templates::reseal(conn, &c.row.id, &sealed)?;
            Ok(true)
        }
        Err(e) => {
            tracing::error!("face template refresh not sealed: {e}");
            Ok(false)
        }
    }
}
