//! The [`Channel`] the outbox sends through while WhatsApp Web is the shop's channel. It holds
//! the library's client while one is running; without one (not started, or unlinked) a send is
//! answered "try again later", so replies wait in the outbox until the phone is linked.

use super::inbound::jid_of;
use super::outbound::{failure_of, refusal, text_of};
use crate::channel::Channel;
use cocolu_core::contact::ContactRef;
use cocolu_core::log::{Failure, SendError};
use cocolu_core::outbound::Outbound;
use parking_lot::RwLock;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Client, Jid};

/// Customers' messages remembered for their read receipts (a receipt names the chat).
const REMEMBERED: usize = 2048;

/// Sends through the running WhatsApp Web client, when there is one.
#[derive(Clone, Default)]
pub struct WebChannel {
    client: Arc<RwLock<Option<Arc<Client>>>>,
    /// The chat of each recent customer's message, oldest first.
    chats: Arc<RwLock<VecDeque<(String, Jid)>>>,
}

impl WebChannel {
    /// Sends through `client` from now on.
    pub fn attach(&self, client: Arc<Client>) {
        *self.client.write() = Some(client);
    }

    /// Stops sending (the client stopped or was unlinked).
    pub fn detach(&self) {
        *self.client.write() = None;
    }

    fn current(&self) -> Option<Arc<Client>> {
        self.client.read().clone()
    }

    /// Remembers which chat a customer's message came from, for its read receipt.
    pub fn remember(&self, message_id: &str, from: &ContactRef) {
        let Some(jid) = jid_of(from) else { return };
        let mut chats = self.chats.write();
        if chats.len() == REMEMBERED {
            chats.pop_front();
        }
        chats.push_back((message_id.to_string(), jid));
    }

    fn chat_of(&self, message_id: &str) -> Option<Jid> {
        self.chats
            .read()
            .iter()
            .rev()
            .find(|(id, _)| id == message_id)
            .map(|(_, jid)| jid.clone())
    }

    async fn read_now(&self, message_id: &str) -> Result<(), SendError> {
        let chat = self.chat_of(message_id).ok_or_else(|| {
            SendError::local(
                Failure::Permanent,
                "that message did not come through this WhatsApp Web connection",
            )
        })?;
        let client = self
            .current()
            .ok_or_else(|| SendError::local(Failure::Retry, "WhatsApp Web is not connected"))?;
        client
            .mark_as_read(&chat, None, &[message_id])
            .await
            .map_err(|e| SendError::local(Failure::Retry, format!("WhatsApp Web: {e}")))
    }

    async fn send_now(&self, to: &ContactRef, message: &Outbound) -> Result<String, SendError> {
        if let Some(refused) = refusal(message) {
            return Err(refused);
        }
        let body = text_of(message).ok_or_else(|| {
            SendError::local(Failure::Permanent, "WhatsApp Web cannot send this message")
        })?;
        let jid = jid_of(to).ok_or_else(|| {
            SendError::local(
                Failure::Permanent,
                "the customer has no phone number or WhatsApp id to write to",
            )
        })?;
        let client = self.current().ok_or_else(|| {
            SendError::local(
                Failure::Retry,
                "WhatsApp Web is not connected; the reply waits until the phone is linked",
            )
        })?;
        let message = wa::Message {
            conversation: Some(body),
            ..Default::default()
        };
        client
            .send_message(jid, message)
            .await
            .map(|sent| sent.message_id)
            .map_err(|e| failure_of(&e))
    }
}

impl Channel for WebChannel {
    fn send<'a>(
        &'a self,
        to: &'a ContactRef,
        message: &'a Outbound,
    ) -> Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>> {
        Box::pin(self.send_now(to, message))
    }

    /// The blue ticks for a customer's message (its chat remembered when it came in). The
    /// typing indicator is Meta's; WhatsApp Web's own is not sent.
    fn mark_read<'a>(
        &'a self,
        message_id: &'a str,
        _typing: bool,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(self.read_now(message_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::web::keystore::KeyStore;
    use whatsapp_rust::bot::Bot;

    fn customer() -> ContactRef {
        ContactRef {
            wa_id: Some("584121234567".into()),
            ..Default::default()
        }
    }

    fn text(body: &str) -> Outbound {
        Outbound::Text { body: body.into() }
    }

    #[tokio::test]
    async fn without_a_client_replies_wait_and_templates_are_refused_at_once() {
        let channel = WebChannel::default();
        let waiting = channel
            .send(&customer(), &text("Hola"))
            .await
            .expect_err("not connected");
        assert_eq!(waiting.failure, Failure::Retry);
        assert!(
            waiting.message.contains("not connected"),
            "{}",
            waiting.message
        );
        let template = Outbound::Template {
            name: "bienvenida".into(),
            language: "es".into(),
            parameters: Vec::new(),
        };
        let refused = channel
            .send(&customer(), &template)
            .await
            .expect_err("templates are Meta's");
        assert_eq!(refused.failure, Failure::Permanent);
        let nobody = channel
            .send(&ContactRef::default(), &text("Hola"))
            .await
            .expect_err("no address");
        assert_eq!(nobody.failure, Failure::Permanent);
    }

    /// The library's own client, built over our key store and never connected: a send is
    /// refused as "not logged in", which the outbox retries.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unlinked_client_refuses_and_the_outbox_retries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = KeyStore::open(dir.path()).expect("store");
        let bot = Bot::builder()
            .with_backend(store)
            .skip_history_sync()
            .build()
            .await
            .expect("bot");
        let channel = WebChannel::default();
        channel.attach(bot.client());
        let refused = channel
            .send(&customer(), &text("Hola"))
            .await
            .expect_err("not linked");
        assert_eq!(refused.failure, Failure::Retry, "{}", refused.message);
        assert!(
            refused.message.contains("WhatsApp Web"),
            "{}",
            refused.message
        );
        channel.detach();
        assert!(channel.current().is_none());
    }

    #[tokio::test]
    async fn read_receipts_find_the_chat_their_message_came_from() {
        let channel = WebChannel::default();
        let unknown = channel
            .mark_read("3EB0UNKNOWN", false)
            .await
            .expect_err("unknown");
        assert_eq!(unknown.failure, Failure::Permanent);
        channel.remember("3EB0A", &customer());
        assert_eq!(
            channel.chat_of("3EB0A").map(|j| j.to_string()).as_deref(),
            Some("584121234567@s.whatsapp.net")
        );
        let offline = channel
            .mark_read("3EB0A", false)
            .await
            .expect_err("no client");
        assert_eq!(offline.failure, Failure::Retry);
        for n in 0..REMEMBERED {
            channel.remember(&format!("m{n}"), &customer());
        }
        assert!(
            channel.chat_of("3EB0A").is_none(),
            "the oldest is forgotten past the bound"
        );
        assert!(channel.chat_of(&format!("m{}", REMEMBERED - 1)).is_some());
    }
}
