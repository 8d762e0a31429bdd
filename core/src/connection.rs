//! `whatsapp.json`: the Meta Cloud API connection the owner entered in the dashboard (ids and
//! secrets). The server's environment (`META_*`) wins over it field by field. The file holds
//! secrets: it is written 0600 like every document, and nothing here is ever printed whole.

use crate::document::{Context, HandEdited, Problem};
use crate::fault::Fault;
use serde::{Deserialize, Serialize};

/// Longest token or secret accepted (Meta's access tokens are about 200-300 characters).
pub const SECRET_MAX: usize = 1024;
/// Longest id accepted (Meta's ids are 15-17 digits).
pub const ID_MAX: usize = 40;

/// The contents of `whatsapp.json`. Every field is optional: a missing one is unset (or comes
/// from the server's environment).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SavedConnection {
    /// Lets editors find this file's JSON Schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of this file.
    pub version: u32,
    /// The WhatsApp business phone number's id (digits, from Meta's app dashboard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// The WhatsApp Business Account id (digits), for the approved templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    /// A system user's permanent access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The app secret: webhooks are accepted only when signed with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<String>,
    /// The token Meta sends back when it verifies the webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
}

impl std::fmt::Debug for SavedConnection {
    /// Secrets are never printed, only whether they are set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "set" } else { "unset" };
        f.debug_struct("SavedConnection")
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("access_token", &set(&self.access_token))
            .field("app_secret", &set(&self.app_secret))
            .field("verify_token", &set(&self.verify_token))
            .finish()
    }
}

/// One value of the connection, as the API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionField {
    PhoneNumberId,
    WabaId,
    AccessToken,
    AppSecret,
    VerifyToken,
}

impl ConnectionField {
    /// Every field, in the order a form shows them.
    pub const ALL: [ConnectionField; 5] = [
        ConnectionField::PhoneNumberId,
        ConnectionField::WabaId,
        ConnectionField::AccessToken,
        ConnectionField::AppSecret,
        ConnectionField::VerifyToken,
    ];

    /// The JSON name (`phone_number_id`).
    pub fn key(self) -> &'static str {
        match self {
            ConnectionField::PhoneNumberId => "phone_number_id",
            ConnectionField::WabaId => "waba_id",
            ConnectionField::AccessToken => "access_token",
            ConnectionField::AppSecret => "app_secret",
            ConnectionField::VerifyToken => "verify_token",
        }
    }

    /// This field's value among the five of a connection, given in the order of
    /// [`ConnectionField::ALL`] (the saved file, a change, the server's configuration).
    pub fn among(self, values: [&Option<String>; 5]) -> Option<&str> {
        values[self as usize].as_deref()
    }

    /// Whether the value is a secret (never shown whole).
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            ConnectionField::AccessToken | ConnectionField::AppSecret
        )
    }

    /// Whether the value is one of Meta's numeric ids.
    pub fn is_id(self) -> bool {
        matches!(
            self,
            ConnectionField::PhoneNumberId | ConnectionField::WabaId
        )
    }

    /// What is wrong with `value` for this field, if anything.
    pub fn check(self, value: &str) -> Option<Fault> {
        if self.is_id() {
            let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            (!digits || value.len() > ID_MAX).then_some(Fault::NotAMetaId)
        } else {
            let fine = !value.is_empty()
                && value.len() <= SECRET_MAX
                && value.chars().all(|c| !c.is_whitespace() && !c.is_control());
            (!fine).then_some(Fault::BadSecret)
        }
    }
}

impl SavedConnection {
    /// The value of one field.
    pub fn field(&self, field: ConnectionField) -> Option<&str> {
        field.among([
            &self.phone_number_id,
            &self.waba_id,
            &self.access_token,
            &self.app_secret,
            &self.verify_token,
        ])
    }

    /// Sets (or, with `None`, clears) one field.
    pub fn set(&mut self, field: ConnectionField, value: Option<String>) {
        let slot = match field {
            ConnectionField::PhoneNumberId => &mut self.phone_number_id,
            ConnectionField::WabaId => &mut self.waba_id,
            ConnectionField::AccessToken => &mut self.access_token,
            ConnectionField::AppSecret => &mut self.app_secret,
            ConnectionField::VerifyToken => &mut self.verify_token,
        };
        *slot = value;
    }
}

impl HandEdited for SavedConnection {
    const FILE: &'static str = "whatsapp.json";
    const VERSION: u32 = 1;

    fn defaults() -> SavedConnection {
        SavedConnection {
            version: Self::VERSION,
            ..SavedConnection::default()
        }
    }

    crate::stamped_by_fields!();

    fn validate(&self, _context: &Context) -> Vec<Problem> {
        ConnectionField::ALL
            .into_iter()
            .filter_map(|field| {
                let fault = field.check(self.field(field)?)?;
                Some(Problem::new(format!("/{}", field.key()), fault))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_and_secrets_have_no_spaces() {
        assert_eq!(
            ConnectionField::PhoneNumberId.check("106540352242922"),
            None
        );
        for bad in ["", "12a", " 123", "1".repeat(ID_MAX + 1).as_str()] {
            assert_eq!(
                ConnectionField::WabaId.check(bad),
                Some(Fault::NotAMetaId),
                "{bad:?}"
            );
        }
        assert_eq!(ConnectionField::AccessToken.check("EAAG-x_y"), None);
        for bad in [
            "",
            "two words",
            "tab\there",
            "x".repeat(SECRET_MAX + 1).as_str(),
        ] {
            assert_eq!(
                ConnectionField::AppSecret.check(bad),
                Some(Fault::BadSecret),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_saved_connection_never_prints_its_secrets() {
        let saved = SavedConnection {
            access_token: Some("EAAGsecret".into()),
            app_secret: Some("appsecret".into()),
            verify_token: Some("verify".into()),
            ..SavedConnection::defaults()
        };
        let shown = format!("{saved:?}");
        for secret in ["EAAGsecret", "appsecret", "\"verify\""] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn each_field_reads_its_own_value() {
        let saved = SavedConnection {
            phone_number_id: Some("1".into()),
            waba_id: Some("2".into()),
            access_token: Some("3".into()),
            app_secret: Some("4".into()),
            verify_token: Some("5".into()),
            ..SavedConnection::default()
        };
        let read: Vec<_> = ConnectionField::ALL
            .into_iter()
            .map(|field| saved.field(field))
            .collect();
        assert_eq!(read, ["1", "2", "3", "4", "5"].map(Some));
    }

    #[test]
    fn a_bad_value_is_reported_at_its_field() {
        let saved = SavedConnection {
            phone_number_id: Some("+58 412".into()),
            ..SavedConnection::defaults()
        };
        let problems = saved.validate(&Context::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].pointer, "/phone_number_id");
    }
}
