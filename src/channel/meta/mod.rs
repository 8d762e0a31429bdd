//! The Meta WhatsApp Cloud API: webhooks in (signature, payload), Graph API out.

pub mod body;
pub mod graph;
pub mod signature;
pub mod webhook;

use crate::data::Data;
use cocolu_core::connection::{ConnectionField, SavedConnection};
use std::sync::Arc;

/// The Meta connection's settings, from the environment (or flags).
#[derive(Clone, Default)]
pub struct MetaConfig {
    pub access_token: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub graph_url: String,
    pub graph_version: String,
}

impl std::fmt::Debug for MetaConfig {
    /// Secrets are never printed, only whether they are set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "set" } else { "unset" };
        f.debug_struct("MetaConfig")
            .field("access_token", &set(&self.access_token))
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("app_secret", &set(&self.app_secret))
            .field("verify_token", &set(&self.verify_token))
            .field("graph_url", &self.graph_url)
            .field("graph_version", &self.graph_version)
            .finish()
    }
}

impl MetaConfig {
    /// One value of the connection.
    pub fn field(&self, field: ConnectionField) -> Option<&str> {
        field.among([
            &self.phone_number_id,
            &self.waba_id,
            &self.access_token,
            &self.app_secret,
            &self.verify_token,
        ])
    }

    /// These settings, with what `saved` has for each value they leave unset: the server's
    /// own configuration wins, value by value.
    pub fn over(&self, saved: &SavedConnection) -> MetaConfig {
        let pick = |field: ConnectionField| {
            self.field(field)
                .or_else(|| saved.field(field))
                .map(str::to_string)
        };
        MetaConfig {
            access_token: pick(ConnectionField::AccessToken),
            phone_number_id: pick(ConnectionField::PhoneNumberId),
            waba_id: pick(ConnectionField::WabaId),
            app_secret: pick(ConnectionField::AppSecret),
            verify_token: pick(ConnectionField::VerifyToken),
            graph_url: self.graph_url.clone(),
            graph_version: self.graph_version.clone(),
        }
    }
}

/// The Meta connection in force, read at each use: the server's configuration, and for what it
/// leaves unset, what the owner saved from the dashboard (`whatsapp.json`), so that a change
/// there takes effect without a restart.
#[derive(Clone)]
pub struct MetaLink {
    server: Arc<MetaConfig>,
    saved: Option<Arc<Data>>,
}

impl MetaLink {
    /// Always these settings (a candidate under test).
    pub fn fixed(config: MetaConfig) -> MetaLink {
        MetaLink {
            server: Arc::new(config),
            saved: None,
        }
    }

    /// The server's settings over what is saved in `data`.
    pub fn live(server: MetaConfig, data: Arc<Data>) -> MetaLink {
        MetaLink {
            server: Arc::new(server),
            saved: Some(data),
        }
    }

    /// The settings in force now.
    pub fn current(&self) -> MetaConfig {
        match &self.saved {
            Some(data) => self.server.over(&data.whatsapp.get()),
            None => (*self.server).clone(),
        }
    }

    /// What would be in force with `saved` instead of what is saved now.
    pub fn with(&self, saved: &SavedConnection) -> MetaConfig {
        self.server.over(saved)
    }

    /// The values the server's own configuration sets (the dashboard cannot change them).
    pub fn set_by_server(&self) -> Vec<ConnectionField> {
        ConnectionField::ALL
            .into_iter()
            .filter(|field| self.server.field(*field).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_configuration_wins_value_by_value() {
        let server = MetaConfig {
            access_token: Some("from-env".into()),
            graph_url: "https://graph.example".into(),
            ..MetaConfig::default()
        };
        let saved = SavedConnection {
            access_token: Some("from-file".into()),
            phone_number_id: Some("123".into()),
            ..SavedConnection::default()
        };
        let link = MetaLink::fixed(server);
        let merged = link.with(&saved);
        assert_eq!(merged.access_token.as_deref(), Some("from-env"));
        assert_eq!(merged.phone_number_id.as_deref(), Some("123"));
        assert_eq!(merged.app_secret, None);
        assert_eq!(merged.graph_url, "https://graph.example");
        assert_eq!(link.set_by_server(), vec![ConnectionField::AccessToken]);
    }
}
