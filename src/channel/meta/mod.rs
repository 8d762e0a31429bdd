//! The Meta WhatsApp Cloud API: webhooks in (signature, payload), Graph API out.

pub mod body;
pub mod graph;
pub mod signature;
pub mod webhook;

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
