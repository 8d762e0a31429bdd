//! Who a customer is, as their messages said.

use serde::{Deserialize, Serialize};

/// Who a customer is. Meta keys users by a business-scoped user id (`user_id`, sent since
/// 2026); users with a username may have no phone number in the payload at all. Both are
/// kept when known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl ContactRef {
    /// The key of the customer's conversation: the business-scoped user id, else the phone
    /// number.
    pub fn key(&self) -> Option<&str> {
        self.user_id.as_deref().or(self.wa_id.as_deref())
    }

    /// The phone number (`+58...`) or the username (`@ana`), whichever is known.
    pub fn address(&self) -> Option<String> {
        self.wa_id
            .as_ref()
            .map(|phone| format!("+{phone}"))
            .or_else(|| self.username.as_ref().map(|u| format!("@{u}")))
    }

    /// The name to show: the customer's, else their number or username.
    pub fn shown_name(&self) -> Option<String> {
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| self.address())
    }
}
