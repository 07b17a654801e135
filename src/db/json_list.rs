//! A list of strings kept in one Text column as a JSON array (redirect
//! URIs, grant types, scopes, `amr`): read and written as a typed value, so
//! no repository or domain module serialises it by hand.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

#[derive(Debug, Clone, Default, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct JsonList(pub Vec<String>);

impl JsonList {
    fn encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.0)
    }

    fn decode(text: &str) -> deserialize::Result<JsonList> {
        serde_json::from_str(text)
            .map(JsonList)
            .map_err(|e| format!("a stored list is not a JSON array of strings: {e}").into())
    }
}

impl From<Vec<String>> for JsonList {
    fn from(v: Vec<String>) -> JsonList {
        JsonList(v)
    }
}

impl From<&[String]> for JsonList {
    fn from(v: &[String]) -> JsonList {
        JsonList(v.to_vec())
    }
}

impl ToSql<Text, Sqlite> for JsonList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.encode()?);
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Sqlite> for JsonList {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        JsonList::decode(&text)
    }
}

impl ToSql<Text, Pg> for JsonList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(self.encode()?.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Pg> for JsonList {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(value)?;
        JsonList::decode(&text)
    }
}

/// The deployment's backend, chosen at start-up (`DbConnection`): the value
/// is handed to the inner backend's impl above.
type Multi = super::multi_connection_impl::MultiBackend;

impl ToSql<Text, Multi> for JsonList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Multi>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Multi> for JsonList {
    fn from_sql(
        value: <Multi as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, Text>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_survives_the_round_trip_and_a_damaged_one_is_an_error() {
        let l = JsonList(vec!["https://a.example/cb".into(), "x\"y".into()]);
        let text = l.encode().unwrap_or_default();
        assert_eq!(JsonList::decode(&text).ok(), Some(l));
        assert!(JsonList::decode("not json").is_err());
        assert!(JsonList::decode("[1, 2]").is_err());
    }
}
