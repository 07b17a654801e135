//! Passkeys with webauthn-rs: registration and discoverable (usernameless)
//! sign-in. Ceremony state lives in the database, bound to its owner, taken
//! once and short-lived, so any instance can finish what another started.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, Webauthn, WebauthnBuilder,
};

use crate::config::{Config, Requirement};
use crate::crypto;
use crate::db::ceremonies::{self, CeremonyRow};
use crate::db::passkeys::{self as repo, PasskeyRow};
use crate::db::{DbConnection, DbError};

use super::acr::passkey_amr;

/// How a credential is stored; versioned so the format can change.
#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum StoredPasskey {
    V1 { passkey: Passkey },
}

/// Who may finish a ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The login page of a login transaction (by the transaction token).
    Login(String),
    /// A signed-in person on the account page.
    User(crate::ids::UserId),
    /// A sign-up in progress (by its email-challenge token).
    Signup(String),
}

impl Owner {
    fn key(&self) -> String {
        match self {
            Owner::Login(tx) => format!("tx:{}", crypto::token_hash(tx)),
            Owner::User(id) => format!("user:{id}"),
            Owner::Signup(t) => format!("signup:{}", crypto::token_hash(t)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("the passkey request expired or was already used")]
    Ceremony,
    #[error("the passkey response is not valid: {0}")]
    Invalid(String),
    #[error("this passkey is not registered for any account")]
    UnknownCredential,
    #[error("this passkey is already registered")]
    Duplicate,
    #[error("passkeys are not available on this server")]
    Unavailable,
    #[error("this account is disabled")]
    Disabled,
    #[error("this passkey waits for an administrator's approval")]
    AwaitingApproval,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl PasskeyError {
    /// A short reason for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            PasskeyError::Ceremony => "stale_or_replayed",
            PasskeyError::Invalid(_) => "invalid_response",
            PasskeyError::UnknownCredential => "unknown_credential",
            PasskeyError::Duplicate => "duplicate",
            PasskeyError::Unavailable => "unavailable",
            PasskeyError::Disabled => "disabled",
            PasskeyError::AwaitingApproval => "awaiting_approval",
            PasskeyError::Db(_) => "storage",
        }
    }
}

/// A verified new credential, not yet stored.
pub struct NewPasskey {
    pub id: String,
    pub credential: String,
    pub backup_eligible: bool,
}

/// A verified passkey sign-in.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: crate::ids::UserId,
    pub passkey_id: String,
    pub amr: Vec<String>,
}

pub struct Passkeys {
    webauthn: Webauthn,
    uv: Requirement,
    resident_key: Requirement,
    ttl: i64,
    alerts: crate::config::AlertsConfig,
}

const REGISTER: &str = "register";
const AUTHENTICATE: &str = "authenticate";

impl Passkeys {
    /// `None` when the issuer has no domain name (WebAuthn needs one; use
    /// `http://localhost:PORT` for local work rather than an IP address).
    pub fn from_config(cfg: &Config) -> Result<Option<Passkeys>, String> {
        let Some(rp_id) = cfg.passkey_rp_id() else {
            return Ok(None);
        };
        let origin = Url::parse(&cfg.issuer).map_err(|e| e.to_string())?;
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .map_err(|e| format!("passkeys: rp_id '{rp_id}' does not match the issuer: {e}"))?
            .rp_name(&cfg.passkeys.rp_name)
            .build()
            .map_err(|e| format!("passkeys: {e}"))?;
        Ok(Some(Passkeys {
            webauthn,
            uv: cfg.passkeys.user_verification,
            resident_key: cfg.passkeys.resident_key,
            ttl: cfg.passkeys.ceremony_ttl_seconds,
            alerts: cfg.alerts.clone(),
        }))
    }

    fn save_state(
        &self,
        conn: &mut DbConnection,
        kind: &str,
        owner: &Owner,
        state: Value,
        now: i64,
    ) -> Result<String, PasskeyError> {
        let token = crypto::random_token(32);
        ceremonies::insert(
            conn,
            &CeremonyRow {
                id_hash: crypto::token_hash(&token),
                kind: kind.to_owned(),
                owner: owner.key(),
                state: state.to_string(),
                expires_at: now + self.ttl,
            },
        )?;
        Ok(token)
    }

    fn take_state(
        &self,
        conn: &mut DbConnection,
        kind: &str,
        owner: &Owner,
        token: &str,
        now: i64,
    ) -> Result<Value, PasskeyError> {
        let row = ceremonies::take(conn, &crypto::token_hash(token))?
            .filter(|r| r.kind == kind && r.owner == owner.key() && r.expires_at > now)
            .ok_or(PasskeyError::Ceremony)?;
        serde_json::from_str(&row.state).map_err(|e| DbError::Corrupt(e.to_string()).into())
    }

    /// Apply the configured user-verification policy to a ceremony's state.
    fn with_policy(&self, mut state: Value, field: &str) -> Value {
        if self.uv == Requirement::Preferred {
            if let Some(inner) = state.get_mut(field) {
                inner["policy"] = Value::from("preferred");
            }
        }
        state
    }

    fn patch_options(&self, options: &mut Value) {
        let Some(pk) = options.get_mut("publicKey") else {
            return;
        };
        if self.uv == Requirement::Preferred {
            pk["userVerification"] = Value::from("preferred");
        }
        if let Some(sel) = pk.get_mut("authenticatorSelection") {
            if self.uv == Requirement::Preferred {
                sel["userVerification"] = Value::from("preferred");
            }
            let required = self.resident_key == Requirement::Required;
            sel["residentKey"] = Value::from(if required { "required" } else { "preferred" });
            sel["requireResidentKey"] = Value::from(required);
        }
    }

    /// Options for `navigator.credentials.create` and the ceremony token.
    pub fn start_registration(
        &self,
        conn: &mut DbConnection,
        owner: &Owner,
        user_id: &crate::ids::UserId,
        email: &str,
        display_name: &str,
        now: i64,
    ) -> Result<(String, Value), PasskeyError> {
        let uuid =
            Uuid::parse_str(user_id.as_str()).map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        let exclude = repo::for_user(conn, user_id)?
            .iter()
            .filter_map(|r| URL_SAFE_NO_PAD.decode(&r.id).ok())
            .collect::<Vec<_>>();
        let (ccr, state): (_, PasskeyRegistration) = self
            .webauthn
            .start_passkey_registration(uuid, email, display_name, Some(exclude))
            .map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        let mut options =
            serde_json::to_value(&ccr).map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        self.patch_options(&mut options);
        let state = serde_json::to_value(&state).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let token = self.save_state(conn, REGISTER, owner, self.with_policy(state, "rs"), now)?;
        Ok((token, options))
    }

    /// Count a stored passkey for the `passkey_registrations` alert rule.
    pub fn registered(
        &self,
        conn: &mut DbConnection,
        ip: Option<&str>,
        now: i64,
    ) -> Result<(), PasskeyError> {
        Ok(super::alerts::passkey_registered(
            conn,
            &self.alerts,
            ip,
            now,
        )?)
    }

    /// Verify the browser's answer to a registration ceremony.
    pub fn finish_registration(
        &self,
        conn: &mut DbConnection,
        owner: &Owner,
        token: &str,
        credential_json: &str,
        now: i64,
    ) -> Result<NewPasskey, PasskeyError> {
        let state = self.take_state(conn, REGISTER, owner, token, now)?;
        let state: PasskeyRegistration =
            serde_json::from_value(state).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let cred: RegisterPublicKeyCredential = serde_json::from_str(credential_json)
            .map_err(|e| PasskeyError::Invalid(format!("malformed credential: {e}")))?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&cred, &state)
            .map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        let raw: &[u8] = passkey.cred_id().as_ref();
        let id = URL_SAFE_NO_PAD.encode(raw);
        let stored = StoredPasskey::V1 { passkey };
        let credential =
            serde_json::to_string(&stored).map_err(|e| DbError::Corrupt(e.to_string()))?;
        Ok(NewPasskey {
            backup_eligible: backup_eligible(&credential),
            id,
            credential,
        })
    }

    /// Options for `navigator.credentials.get` (no account named: discoverable).
    pub fn start_authentication(
        &self,
        conn: &mut DbConnection,
        owner: &Owner,
        now: i64,
    ) -> Result<(String, Value), PasskeyError> {
        let (rcr, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        let mut options =
            serde_json::to_value(&rcr).map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        self.patch_options(&mut options);
        let state = serde_json::to_value(&state).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let token = self.save_state(
            conn,
            AUTHENTICATE,
            owner,
            self.with_policy(state, "ast"),
            now,
        )?;
        Ok((token, options))
    }

    /// Verify a sign-in: the credential names the account (user handle).
    pub fn finish_authentication(
        &self,
        conn: &mut DbConnection,
        owner: &Owner,
        token: &str,
        credential_json: &str,
        now: i64,
    ) -> Result<SignedIn, PasskeyError> {
        let state = self.take_state(conn, AUTHENTICATE, owner, token, now)?;
        let state: DiscoverableAuthentication =
            serde_json::from_value(state).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let cred: PublicKeyCredential = serde_json::from_str(credential_json)
            .map_err(|e| PasskeyError::Invalid(format!("malformed credential: {e}")))?;
        let (user, cred_id) = self
            .webauthn
            .identify_discoverable_authentication(&cred)
            .map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        let id = URL_SAFE_NO_PAD.encode(cred_id);
        let row = repo::find(conn, &id)?
            .filter(|r| r.user_id.as_str() == user.to_string())
            .ok_or(PasskeyError::UnknownCredential)?;
        if super::approvals::waiting(conn, &row.id)? {
            return Err(PasskeyError::AwaitingApproval);
        }
        // A disabled account has no session anywhere, whatever it proves.
        if crate::db::users::find(conn, &row.user_id)?.is_none_or(|u| u.disabled) {
            return Err(PasskeyError::Disabled);
        }
        let StoredPasskey::V1 { mut passkey } =
            serde_json::from_str(&row.credential).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(&cred, state, &passkey)
            .map_err(|e| PasskeyError::Invalid(e.to_string()))?;
        passkey.update_credential(&result);
        let stored = serde_json::to_string(&StoredPasskey::V1 { passkey })
            .map_err(|e| DbError::Corrupt(e.to_string()))?;
        repo::touch(conn, &row.id, &stored, now)?;
        Ok(SignedIn {
            user_id: row.user_id,
            passkey_id: row.id,
            amr: passkey_amr(result.backup_eligible(), result.user_verified()),
        })
    }
}

/// Store a verified credential for `user_id` under the person's chosen name.
pub fn save(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    new: NewPasskey,
    name: &str,
    now: i64,
) -> Result<PasskeyRow, PasskeyError> {
    let row = PasskeyRow {
        id: new.id,
        user_id: user_id.to_owned(),
        name: clean_name(name),
        credential: new.credential,
        backup_eligible: new.backup_eligible,
        created_at: now,
        last_used_at: None,
    };
    match repo::insert(conn, &row) {
        Err(e) if e.is_unique_violation() => Err(PasskeyError::Duplicate),
        other => other.map(|_| row).map_err(Into::into),
    }
}

/// A passkey name: trimmed, at most 60 characters, never empty.
pub fn clean_name(name: &str) -> String {
    let n: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(60)
        .collect();
    if n.is_empty() {
        "Passkey".to_owned()
    } else {
        n
    }
}

/// The backup-eligible flag recorded at registration (synced passkeys have it).
fn backup_eligible(stored: &str) -> bool {
    serde_json::from_str::<Value>(stored)
        .ok()
        .and_then(|v| {
            v.pointer("/passkey/cred/backup_eligible")
                .and_then(|b| b.as_bool())
        })
        .unwrap_or(false)
}

#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error("that passkey does not exist")]
    NotFound,
    #[error("this is your only passkey: add another one or keep your recovery codes first")]
    LastCredential,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Remove a passkey, never the last sign-in credential of the account (a
/// passkey waiting for approval is none yet).
pub fn remove(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    id: &str,
) -> Result<(), RemoveError> {
    conn_transaction(conn, |c| {
        if repo::find(c, id)?
            .filter(|r| r.user_id == user_id)
            .is_none()
        {
            return Err(RemoveError::NotFound);
        }
        let has_password =
            crate::db::users::find(c, user_id)?.is_some_and(|u| u.password_hash.is_some());
        let waiting = crate::db::registration_approvals::waiting_for(c, user_id)?;
        let usable = repo::count_for_user(c, user_id)? - waiting.len() as i64;
        let last = usable <= 1 && !waiting.iter().any(|w| w == id);
        if last && !has_password {
            return Err(RemoveError::LastCredential);
        }
        repo::delete(c, user_id, id)?;
        Ok(())
    })
}

fn conn_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, RemoveError>,
) -> Result<T, RemoveError> {
    conn.write_transaction(|c| f(c))
}

impl From<diesel::result::Error> for RemoveError {
    fn from(e: diesel::result::Error) -> Self {
        RemoveError::Db(e.into())
    }
}
