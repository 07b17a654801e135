//! A software passkey for HTTP tests and the load tool
//! (webauthn-authenticator-rs `SoftPasskey`, RECIPES "Software passkeys").
//!
//! `SoftPasskey` keeps no resident keys and answers only for the
//! credentials it is asked about, so this key remembers what it made
//! (credential id and user handle): it registers without requiring a
//! resident key, names its credentials in a discoverable sign-in, and
//! returns the user handle with the assertion, as a passkey provider does.

use serde_json::{json, Value};
use url::Url;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

/// A software authenticator and the credentials it made: (credential id,
/// user handle), base64url.
pub struct Key {
    soft: SoftPasskey,
    made: Vec<(String, String)>,
}

impl Default for Key {
    fn default() -> Self {
        Key::new()
    }
}

fn text(v: &Value, what: &str) -> Result<String, String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {what} in {v}"))
}

impl Key {
    pub fn new() -> Key {
        Key {
            soft: SoftPasskey::new(true),
            made: Vec::new(),
        }
    }

    /// The credential (JSON) for `navigator.credentials.create` options.
    pub fn create(&mut self, origin: &Url, mut options: Value) -> Result<Value, String> {
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
            sel["requireResidentKey"] = Value::from(false);
            sel["residentKey"] = Value::from("discouraged");
        }
        let user = text(&options["publicKey"]["user"]["id"], "user id")?;
        let ccr: CreationChallengeResponse =
            serde_json::from_value(options).map_err(|e| e.to_string())?;
        let made = self
            .soft
            .do_registration(origin.clone(), ccr)
            .map_err(|e| format!("{e:?}"))?;
        let credential = serde_json::to_value(made).map_err(|e| e.to_string())?;
        self.made.push((text(&credential["id"], "id")?, user));
        Ok(credential)
    }

    /// The assertion (JSON) for discoverable `navigator.credentials.get`
    /// options.
    pub fn get(&mut self, origin: &Url, mut options: Value) -> Result<Value, String> {
        let allow: Vec<Value> = self
            .made
            .iter()
            .map(|(id, _)| json!({ "type": "public-key", "id": id }))
            .collect();
        options["publicKey"]["allowCredentials"] = Value::from(allow);
        let rcr: RequestChallengeResponse =
            serde_json::from_value(options).map_err(|e| e.to_string())?;
        let answer = self
            .soft
            .do_authentication(origin.clone(), rcr)
            .map_err(|e| format!("{e:?}"))?;
        let mut credential = serde_json::to_value(answer).map_err(|e| e.to_string())?;
        let id = text(&credential["id"], "id")?;
        let user = self
            .made
            .iter()
            .find(|(c, _)| *c == id)
            .map(|(_, u)| u.clone())
            .ok_or("an assertion by a credential this key did not make")?;
        credential["response"]["userHandle"] = Value::from(user);
        Ok(credential)
    }
}
