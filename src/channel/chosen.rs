//! The channel replies go out through: the one the settings choose, looked up at every send, so
//! switching channels in Settings takes effect at once, for replies already waiting too.

use super::meta::graph::GraphClient;
use super::Channel;
use crate::data::Data;
use cocolu_core::contact::ContactRef;
use cocolu_core::log::SendError;
use cocolu_core::outbound::Outbound;
use cocolu_core::settings::ChannelKind;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, SendError>> + Send + 'a>>;

/// Sends through Meta's Cloud API or WhatsApp Web, as the settings say.
pub struct Chosen {
    data: Arc<Data>,
    meta: GraphClient,
    #[cfg(feature = "whatsapp-web")]
    web: super::web::sender::WebChannel,
}

impl Chosen {
    pub fn new(
        data: Arc<Data>,
        meta: GraphClient,
        #[cfg(feature = "whatsapp-web")] web: super::web::sender::WebChannel,
    ) -> Chosen {
        Chosen {
            data,
            meta,
            #[cfg(feature = "whatsapp-web")]
            web,
        }
    }

    fn current(&self) -> Result<&dyn Channel, SendError> {
        match self.data.settings.get().channel {
            ChannelKind::Meta => Ok(&self.meta),
            #[cfg(feature = "whatsapp-web")]
            ChannelKind::WhatsappWeb => Ok(&self.web),
            // Settings validation refuses this choice in a build without the channel.
            #[cfg(not(feature = "whatsapp-web"))]
            ChannelKind::WhatsappWeb => Err(SendError::local(
                cocolu_core::log::Failure::Permanent,
                "this Cocolu was built without the WhatsApp Web channel",
            )),
        }
    }
}

impl Channel for Chosen {
    fn send<'a>(&'a self, to: &'a ContactRef, message: &'a Outbound) -> Answer<'a, String> {
        match self.current() {
            Ok(channel) => channel.send(to, message),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }

    fn mark_read<'a>(&'a self, message_id: &'a str, typing: bool) -> Answer<'a, ()> {
        match self.current() {
            Ok(channel) => channel.mark_read(message_id, typing),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}
