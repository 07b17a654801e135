//! Typed identifiers: an account's id, a client's id, a sign-in session's
//! id and a signing key's id are different things, so a function that takes
//! one cannot be handed another by mistake. Each is text on the wire and in
//! the database (`db::typed_ids` reads and writes them); `as_str` gives the
//! text where a protocol or a template needs it.

use std::fmt;

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                Ok($name(s.to_owned()))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<&$name> for $name {
            fn eq(&self, other: &&$name) -> bool {
                self == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

identifier!(
    /// An account (`users.id`; the `sub` claim of its tokens).
    UserId
);

impl UserId {
    /// A new, random account id.
    pub fn new_random() -> UserId {
        UserId(uuid::Uuid::new_v4().to_string())
    }

    /// No account: what an emailed challenge to an address without one
    /// carries (recovery answers the same either way). Also the default.
    pub fn nobody() -> UserId {
        UserId(String::new())
    }

    pub fn is_nobody(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for UserId {
    fn default() -> UserId {
        UserId::nobody()
    }
}

identifier!(
    /// A relying party registered at Visage (`client_id`).
    ClientId
);

identifier!(
    /// A browser's sign-in session (the `sid` claim), not the cookie's
    /// secret.
    SessionId
);

identifier!(
    /// A signing key (`kid` in a JWS header and the JWKS).
    Kid
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_its_text_on_the_wire() {
        let id = ClientId::from("app-1");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"app-1\"")
        );
        let back: Option<ClientId> = serde_json::from_str("\"app-1\"").ok();
        assert_eq!(back, Some(id.clone()));
        assert_eq!(id.to_string(), "app-1");
        assert!(id == "app-1");
        assert_ne!(UserId::new_random(), UserId::new_random());
    }
}
