//! The face factor: consent, server-issued liveness challenges, enrolment
//! and 1:1 verification. Frames are examined in memory and dropped; only the
//! sealed template, the consent record and audit scores are stored.

use crate::audit::{self, Event};
use crate::biometrics::challenge::{self, Capture, Challenge};
use crate::biometrics::engine::FaceEngine;
pub use crate::biometrics::pace::Paced;
use crate::biometrics::pace::{self, PaceError};
use crate::biometrics::quality::Hint;
use crate::biometrics::{image_in, screen_light, sensor_noise, template, BiometricError};
use crate::config::{FaceConfig, Rule};
use crate::crypto::{self, MasterKey};
use crate::db::biometric_consents::{self as consents, ConsentRow};
use crate::db::face_challenges::{self as challenges, FaceChallengeRow};
use crate::db::face_light_history as light_history;
use crate::db::face_templates::{self as templates, FaceTemplateRow};
use crate::db::{DbConnection, DbError};

use super::face_match::{self, Compared, Unusable};
use super::lockout;

pub const ENROL: &str = "enrol";
pub const VERIFY: &str = "verify";

#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("consent to face processing is needed first")]
    NoConsent,
    #[error("no face is enrolled")]
    NotEnrolled,
    /// Locked after too many failures, until the given time.
    #[error("the face check is locked after too many failures")]
    Locked(i64),
    #[error("the challenge expired or was already answered")]
    Challenge,
    #[error("{0}")]
    Refused(String),
    /// This failure locked the face factor until the given time.
    #[error("{0}; the face check is now locked")]
    LockedNow(Box<FaceError>, i64),
    /// Too many face checks started by this person or from this address.
    #[error("too many face checks were started; wait a few minutes")]
    Busy(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn lock_key(user_id: &crate::ids::UserId) -> String {
    format!("face:user:{user_id}")
}

/// Failed enrolments have their own counter (same rule): a person who
/// cannot enrol is not locked out of face sign-in, but nobody can retry an
/// enrolment without end.
fn enrol_key(user_id: &crate::ids::UserId) -> String {
    format!("face:enrol:{user_id}")
}

/// Challenges started per person and per address: each one is a promise of
/// expensive work, so both are capped (counted in the database, shared by
/// every instance). The address's cap is `face.starts_per_address` (this
/// rule's `max` is its default).
pub const STARTS_PER_PERSON: Rule = Rule {
    max: 20,
    window_seconds: 600,
    block_seconds: 600,
};
pub const STARTS_PER_ADDRESS: Rule = Rule {
    max: crate::config::face::STARTS_PER_ADDRESS,
    window_seconds: 600,
    block_seconds: 600,
};

fn key_of(user_id: &crate::ids::UserId, purpose: &str) -> String {
    if purpose == ENROL {
        enrol_key(user_id)
    } else {
        lock_key(user_id)
    }
}

fn rule(cfg: &FaceConfig) -> Rule {
    Rule {
        max: cfg.max_failures,
        window_seconds: cfg.failure_window_seconds,
        block_seconds: cfg.lock_seconds,
    }
}

/// Until when this person's face step (and, for `purpose` enrolment, their
/// enrolment) is locked, if it is.
pub fn locked(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    purpose: &str,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let face = lockout::blocked_until(conn, &lock_key(user_id), now)?;
    if face.is_some() || purpose != ENROL {
        return Ok(face);
    }
    lockout::blocked_until(conn, &enrol_key(user_id), now)
}

/// Whether the person consented, and when their template was made.
pub fn status(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<(bool, Option<i64>), DbError> {
    Ok((
        consents::find(conn, user_id)?.is_some(),
        templates::for_user(conn, user_id)?.map(|t| t.created_at),
    ))
}

pub fn record_consent(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    version: &str,
    now: i64,
) -> Result<(), DbError> {
    consents::save(
        conn,
        &ConsentRow {
            user_id: user_id.to_owned(),
            text_version: version.to_owned(),
            granted_at: now,
        },
    )?;
    audit::record(
        conn,
        &Event::new("biometric", "face.consent", "granted")
            .user(user_id)
            .detail(serde_json::json!({ "text_version": version })),
        now,
    )
}

/// Erase the person's template and consent at once (audited).
pub fn delete_all(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    actor: &str,
    now: i64,
) -> Result<usize, DbError> {
    let gone = templates::delete_for_user(conn, user_id)?;
    consents::delete(conn, user_id)?;
    audit::record(
        conn,
        &Event::new("biometric", "face.delete", "success")
            .user(user_id)
            .actor(actor)
            .detail(serde_json::json!({ "templates": gone })),
        now,
    )?;
    Ok(gone)
}

/// Issue a challenge bound to this person and purpose (`ip`: the client's
/// address, for the per-address cap).
pub fn start(
    conn: &mut DbConnection,
    cfg: &FaceConfig,
    user_id: &crate::ids::UserId,
    purpose: &str,
    ip: Option<&str>,
    now_ms: i64,
) -> Result<Challenge, FaceError> {
    let now = now_ms.div_euclid(1000);
    if let Some(until) = locked(conn, user_id, purpose, now)? {
        return Err(FaceError::Locked(until));
    }
    let mut caps = vec![(format!("face:start:user:{user_id}"), STARTS_PER_PERSON)];
    let per_address = Rule {
        max: cfg.starts_per_address,
        ..STARTS_PER_ADDRESS
    };
    caps.extend(ip.map(|ip| (format!("face:start:ip:{ip}"), per_address)));
    for (key, rule) in caps {
        if let Some(until) = lockout::blocked_until(conn, &key, now)? {
            return Err(FaceError::Busy(until));
        }
        // The max-th start is served; the next one finds the block.
        lockout::hit(conn, &key, rule, now)?;
    }
    let (has_consent, enrolled) = status(conn, user_id)?;
    if !has_consent {
        return Err(FaceError::NoConsent);
    }
    if purpose == VERIFY && enrolled.is_none() {
        return Err(FaceError::NotEnrolled);
    }
    let ttl = cfg.challenge_ttl_seconds;
    let earlier = answered_colours(conn, user_id)?;
    let ch = if cfg.challenge_actions.is_empty() {
        challenge::issue(now, ttl, true)
    } else {
        challenge::issue_with(now, ttl, cfg.challenge_actions.clone())
    }
    .planned_lit(capture(cfg), |n| {
        screen_light::unlike(&mut rand::thread_rng(), n, &earlier)
    });
    let ch = Challenge {
        revealed_at_ms: now_ms,
        ..ch
    };
    challenges::insert(
        conn,
        &FaceChallengeRow {
            id_hash: crypto::token_hash(&ch.nonce),
            user_id: user_id.to_owned(),
            purpose: purpose.to_owned(),
            challenge: serde_json::to_string(&ch).map_err(|e| DbError::Corrupt(e.to_string()))?,
            expires_at: ch.expires_at,
        },
        now,
    )?;
    Ok(ch)
}

/// How many of a person's answered colour sequences are remembered (each
/// new challenge is drawn unlike them; `screen_light::unlike`). Pushing the
/// oldest out takes as many answers, and failed ones lock the face factor.
pub const ANSWERS_REMEMBERED: i64 = 50;

/// The colour sequences of the person's latest answered challenges.
fn answered_colours(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<Vec<Vec<challenge::Colour>>, DbError> {
    Ok(light_history::recent(conn, user_id, ANSWERS_REMEMBERED)?
        .iter()
        .filter_map(|t| serde_json::from_str(t).ok())
        .collect())
}

fn capture(cfg: &FaceConfig) -> Capture {
    Capture {
        frames: cfg.frames,
        blink_frames: cfg.blink_frames,
        screen_light: cfg.screen_light,
        frame_interval_ms: cfg.frame_interval_ms,
        blink_interval_ms: cfg.blink_interval_ms,
    }
}

/// The most frames an answer under this configuration has (more are
/// refused before anything is decoded).
pub fn max_frames(cfg: &FaceConfig) -> usize {
    let actions: &[challenge::Action] = if cfg.challenge_actions.is_empty() {
        &challenge::DEFAULT_ACTIONS
    } else {
        &cfg.challenge_actions
    };
    capture(cfg).len(actions)
}

/// How a challenge row is read: left in place, or taken (single use).
type Read = fn(&mut DbConnection, &str) -> Result<Option<FaceChallengeRow>, DbError>;

/// This person's live challenge `nonce` for `purpose` read with `read`,
/// with its row text.
fn live(
    conn: &mut DbConnection,
    (user_id, purpose, nonce): (&crate::ids::UserId, &str, &str),
    read: Read,
    now: i64,
) -> Result<(Challenge, String), FaceError> {
    if let Some(until) = locked(conn, user_id, purpose, now)? {
        return Err(FaceError::Locked(until));
    }
    let row = read(conn, &crypto::token_hash(nonce))?
        .filter(|r| r.user_id == user_id && r.purpose == purpose && r.expires_at >= now)
        .ok_or(FaceError::Challenge)?;
    let ch = serde_json::from_str(&row.challenge).map_err(|e| DbError::Corrupt(e.to_string()))?;
    Ok((ch, row.challenge))
}

/// The page committed to step `index`'s frame (`biometrics::pace`): the
/// next step to reveal, or `Done`. A refused step ends the challenge; the
/// caller counts it as a failed check.
pub fn step(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    purpose: &str,
    nonce: &str,
    (index, sha256): (usize, &str),
    now_ms: i64,
) -> Result<(Paced, Challenge), FaceError> {
    let id_hash = crypto::token_hash(nonce);
    let who = (user_id, purpose, nonce);
    let (mut ch, old) = live(conn, who, challenges::get, now_ms.div_euclid(1000))?;
    match pace::commit(&mut ch, index, sha256, now_ms) {
        Ok(next) => {
            let new = serde_json::to_string(&ch).map_err(|e| DbError::Corrupt(e.to_string()))?;
            if !challenges::replace(conn, &id_hash, &old, &new)? {
                challenges::remove(conn, &id_hash)?;
                return Err(FaceError::Refused(
                    "a step of the check was sent twice".into(),
                ));
            }
            Ok((next, ch))
        }
        Err(e) => {
            challenges::remove(conn, &id_hash)?;
            Err(match e {
                PaceError::Slow => FaceError::Challenge,
                PaceError::Refused(m) => FaceError::Refused(m.into()),
            })
        }
    }
}

/// Take the challenge `nonce` (single use); it must be this person's, for
/// this purpose, every step committed, and `uploads` the committed frames
/// (they take the server's times).
pub fn take(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    purpose: &str,
    nonce: &str,
    uploads: &mut [Upload],
    now: i64,
) -> Result<Challenge, FaceError> {
    let (ch, _) = live(conn, (user_id, purpose, nonce), challenges::take, now)?;
    // Answered (or tried): a recording of it may exist from now on.
    let colours = ch.colours();
    if !colours.is_empty() {
        let text = serde_json::to_string(&colours).map_err(|e| DbError::Corrupt(e.to_string()))?;
        light_history::record(conn, user_id, &text, now, ANSWERS_REMEMBERED)?;
    }
    pace::bind(&ch, uploads).map_err(|e| FaceError::Refused(e.to_string()))?;
    Ok(ch)
}

pub use crate::biometrics::answer::{Evidence, Thresholds, Upload};

/// Examine the frames against the challenge (see `biometrics::answer`).
pub fn examine(
    engine: &FaceEngine,
    ch: &Challenge,
    uploads: &[Upload],
    thresholds: Thresholds,
    now: i64,
) -> Result<Evidence, FaceError> {
    let started = std::time::Instant::now();
    let evidence = crate::biometrics::answer::examine(engine, ch, uploads, thresholds, now);
    let (outcome, reason) = match &evidence {
        Ok(_) => ("examined", "none"),
        Err(e) => ("refused", e.kind()),
    };
    crate::telemetry::face_examined(outcome, reason, started.elapsed().as_secs_f64());
    evidence.map_err(|e| FaceError::Refused(e.to_string()))
}

/// Live guidance for one preview frame (no challenge, nothing stored).
pub fn preview(engine: &FaceEngine, bytes: &[u8]) -> Hint {
    let img = match engine.decode(bytes) {
        Ok(img) => img,
        Err(_) => return Hint::NoFace,
    };
    match engine.analyze(&img, false) {
        Ok(a)
            if sensor_noise::room_share(img.dimensions(), &a.face) < sensor_noise::ASK_FARTHER =>
        {
            Hint::Farther
        }
        Ok(a) => a.quality.hint(&engine.config.quality),
        Err(BiometricError::SeveralFaces(_)) => Hint::OneFaceOnly,
        Err(_) => Hint::NoFace,
    }
}

/// Make (or replace) the person's template from live evidence.
pub fn enrol(
    conn: &mut DbConnection,
    engine: &FaceEngine,
    mk: &MasterKey,
    user_id: &crate::ids::UserId,
    ev: &Evidence,
    now: i64,
) -> Result<(), FaceError> {
    if consents::find(conn, user_id)?.is_none() {
        return Err(FaceError::NoConsent);
    }
    if !ev.liveness.live {
        return Err(FaceError::Refused(
            ev.liveness.reason.clone().unwrap_or_default(),
        ));
    }
    let t = template::enrol(&ev.analysed, 1, &ev.turns)
        .map_err(|e| FaceError::Refused(e.to_string()))?;
    let id = uuid::Uuid::new_v4().to_string();
    let model = engine.embedder_id();
    let sealed = template::seal(mk, user_id, &id, model, &t)
        .map_err(|e| FaceError::Refused(e.to_string()))?;
    templates::replace(
        conn,
        &FaceTemplateRow {
            id,
            user_id: user_id.to_owned(),
            model_id: model.to_owned(),
            sealed,
            frames: t.frames as i64,
            created_at: now,
        },
    )?;
    Ok(())
}

/// Count a failed face check; audited with its reason and scores (never
/// images). Returns the error, wrapped in `LockedNow` when this failure
/// locked the face factor.
pub fn failed(
    conn: &mut DbConnection,
    cfg: &FaceConfig,
    user_id: &crate::ids::UserId,
    purpose: &str,
    error: FaceError,
    scores: serde_json::Value,
    now: i64,
) -> Result<FaceError, DbError> {
    let reason = error.to_string();
    audit::record(
        conn,
        &Event::new(
            "biometric",
            if purpose == ENROL {
                "face.enrol"
            } else {
                "face.verify"
            },
            "failure",
        )
        .user(user_id)
        .detail(serde_json::json!({ "reason": reason, "scores": scores })),
        now,
    )?;
    let until = lockout::hit(conn, &key_of(user_id, purpose), rule(cfg), now)?;
    if let Some(until) = until {
        super::alerts::face_locked(conn, user_id, rule(cfg), now)?;
        audit::record(
            conn,
            &Event::new("biometric", "face.locked", "blocked")
                .user(user_id)
                .detail(serde_json::json!({ "until": until })),
            now,
        )?;
    }
    Ok(match until {
        Some(until) => FaceError::LockedNow(Box::new(error), until),
        None => error,
    })
}

/// A successful check: forget earlier failures and audit the scores.
pub fn succeeded(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    purpose: &str,
    scores: serde_json::Value,
    now: i64,
) -> Result<(), DbError> {
    lockout::clear(conn, &key_of(user_id, purpose))?;
    if purpose == VERIFY {
        templates::touch(conn, user_id, now)?;
    }
    audit::record(
        conn,
        &Event::new(
            "biometric",
            if purpose == ENROL {
                "face.enrol"
            } else {
                "face.verify"
            },
            "success",
        )
        .user(user_id)
        .detail(serde_json::json!({ "scores": scores })),
        now,
    )
}

/// The scores an audit entry keeps.
pub fn scores(
    ev: &Evidence,
    compared: Option<&Compared>,
    match_threshold: f32,
) -> serde_json::Value {
    serde_json::json!({
        "passive": ev.liveness.passive_score,
        "passive_threshold": ev.liveness.passive_threshold,
        "active": ev.liveness.active_passed,
        "blink": ev.liveness.blink_observed,
        "same_person": ev.liveness.same_person,
        "same_person_threshold": ev.liveness.same_person_threshold,
        "screen_light": ev.liveness.screen_light,
        "screen_light_spill": ev.liveness.screen_light_spill,
        "background_changed": ev.liveness.background_changed,
        "background_flat_changed": ev.liveness.background_flat_changed,
        "background_after_motion": ev.liveness.background_after_motion,
        "room_turned": ev.liveness.room_turned,
        "room_reshaped": ev.liveness.room_reshaped,
        "similarity": compared.map(|c| c.similarity),
        "turn_similarity": compared.and_then(|c| c.turns),
        "match_threshold": match_threshold,
        "frames_analysed": ev.analysed.len(),
    })
}

/// Decide and record the outcome of a challenge: enrol the template, or
/// match it; audit either way (scores, never images); count failures.
#[allow(clippy::too_many_arguments)]
pub fn conclude(
    conn: &mut DbConnection,
    engine: &FaceEngine,
    mk: &MasterKey,
    cfg: &FaceConfig,
    user_id: &crate::ids::UserId,
    purpose: &str,
    evidence: Result<Evidence, FaceError>,
    now: i64,
) -> Result<Result<(), FaceError>, DbError> {
    let mt = cfg.match_threshold.unwrap_or(engine.match_threshold);
    let ev = match evidence {
        Ok(ev) => ev,
        Err(e) => {
            let reason = match e {
                FaceError::Challenge => "challenge_expired",
                _ => "answer_refused",
            };
            crate::telemetry::face_check(purpose, reason);
            let null = serde_json::Value::Null;
            return Ok(Err(failed(conn, cfg, user_id, purpose, e, null, now)?));
        }
    };
    // The comparison is made once (for a verification) and kept for the
    // audit and the template's refresh.
    let (outcome, compared) = if purpose == ENROL {
        let made = enrol(conn, engine, mk, user_id, &ev, now);
        let reason = if made.is_ok() {
            "enrolled"
        } else {
            "not_enrolled"
        };
        crate::telemetry::face_check(purpose, reason);
        (made, None)
    } else {
        let (compared, unusable) = match face_match::compare(conn, mk, user_id, &ev)? {
            Ok(c) => (Some(c), None),
            Err(Unusable::NotEnrolled) => (None, Some(FaceError::NotEnrolled)),
            Err(Unusable::Sealed(why)) => (None, Some(FaceError::Refused(why))),
        };
        let sp = cfg
            .same_person_threshold
            .unwrap_or(engine.same_person_threshold);
        let (outcome, reason) = if !ev.liveness.live {
            let why = ev.liveness.reason.clone().unwrap_or_default();
            (Err(FaceError::Refused(why)), "not_live")
        } else if let Some(e) = unusable {
            (Err(e), "template_unusable")
        } else if compared.as_ref().is_some_and(|c| c.matches(mt, sp)) {
            (Ok(()), "match")
        } else {
            // The score goes to the audit log only, never to the page.
            let e = FaceError::Refused("the face does not match".into());
            (Err(e), "no_match")
        };
        crate::telemetry::face_check(purpose, reason);
        (outcome, compared)
    };
    let audited = scores(&ev, compared.as_ref(), mt);
    match outcome {
        Ok(()) => {
            // The refreshed template and the audit event that says so
            // are written together.
            let refresh = compared.filter(|_| cfg.template_refresh);
            conn.write_transaction(|c| {
                let mut scores = audited.clone();
                let refreshed = match &refresh {
                    Some(cmp) => face_match::refresh(c, mk, user_id, cmp, mt)?,
                    None => false,
                };
                if let (true, Some(o)) = (refreshed, scores.as_object_mut()) {
                    o.insert("template_refreshed".into(), serde_json::Value::Bool(true));
                }
                succeeded(c, user_id, purpose, scores, now)
            })?;
            Ok(Ok(()))
        }
        Err(FaceError::Db(e)) => Err(e),
        Err(e) => Ok(Err(failed(conn, cfg, user_id, purpose, e, audited, now)?)),
    }
}

/// `amr` after the face step: the passkey's values plus `face` and `mfa`.
/// Refuse a frame whose header says it is larger than `max_side` pixels on
/// a side (or that has no readable header), before it is decoded.
pub fn check_size(bytes: &[u8], max_side: u32) -> Result<(), String> {
    match image_in::dimensions(bytes) {
        Ok((w, h)) if w <= max_side && h <= max_side => Ok(()),
        Ok((w, h)) => Err(format!(
            "a frame is {w}x{h}; at most {max_side} pixels per side"
        )),
        Err(e) => {
            // The decoder's own words stay in the log.
            tracing::info!("unreadable frame header: {e}");
            Err("a frame is not a readable JPEG, PNG or WebP image".to_owned())
        }
    }
}

pub fn amr_with_face(passkey_amr: &[String]) -> Vec<String> {
    let mut out: Vec<String> = passkey_amr.iter().take(1).cloned().collect();
    out.push("face".into());
    out.extend(
        passkey_amr
            .iter()
            .skip(1)
            .filter(|a| *a != "face" && *a != "mfa")
            .cloned(),
    );
    out.push("mfa".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_amr_order() {
        let amr = amr_with_face(&["hwk".into(), "user".into()]);
        assert_eq!(amr, ["hwk", "face", "user", "mfa"]);
    }
}
