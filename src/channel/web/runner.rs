//! Runs the WhatsApp Web connection while the settings choose this channel: starts the
//! library's client over [`KeyStore`], follows its link with the phone ([`LinkState`], shown in
//! the dashboard and in `/api/status`), hands customers' messages to intake ([`Receive`])
//! before they are acknowledged to WhatsApp, and hands the client to
//! [`WebChannel`] so the outbox can send. Switching the channel in Settings starts or stops it
//! without a restart. The library reconnects a dropped connection by itself, with backoff.

use super::inbound::{message_of, status_of};
use super::keystore::KeyStore;
use super::link::{self, LinkState};
use super::outbound::choice_for;
use super::sender::WebChannel;
use crate::channel::Inbound;
use crate::channel::InboundMessage;
use crate::conversations;
use crate::data::Data;
use crate::events::Events;
use crate::intake::Receive;
use crate::store::Store;
use crate::telemetry::Escaped;
use cocolu_core::events::ServerEvent;
use cocolu_core::log::LogRecord;
use cocolu_core::settings::ChannelKind;
use parking_lot::RwLock;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use tokio_util::sync::CancellationToken;
use whatsapp_rust::async_channel;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::transport::TokioWebSocketTransportFactory;
use whatsapp_rust::transport::{Transport, TransportEvent, TransportFactory};
use whatsapp_rust::types::durability_hook::InboundDurabilityHook;
use whatsapp_rust::wacore::types::events::Event;
use whatsapp_rust::{async_trait, Client, TokioRuntime};

/// Folder of the library's keys and sessions, inside the data folder.
pub const DIR: &str = "whatsapp-web";

/// Where and how to reach WhatsApp.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// WhatsApp Web's WebSocket (`wss://web.whatsapp.com/ws/chat`).
    pub url: String,
    /// The WhatsApp Web version to announce; `None` asks WhatsApp for the current one.
    pub version: Option<(u32, u32, u32)>,
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            url: "wss://web.whatsapp.com/ws/chat".into(),
            version: None,
        }
    }
}

/// The WhatsApp Web connection: its state, its client while it runs, and the channel the
/// outbox sends through.
pub struct WebLink {
    store: Arc<Store>,
    data: Arc<Data>,
    events: Events,
    /// Where what arrives is handed over.
    intake: Arc<dyn Receive>,
    /// Cancelled when the server shuts down.
    shutdown: CancellationToken,
    config: WebConfig,
    channel: WebChannel,
    /// `None` while the channel is not in use.
    state: RwLock<Option<LinkState>>,
    keys: RwLock<Option<Arc<KeyStore>>>,
    running: tokio::sync::Mutex<Option<BotHandle>>,
}

/// What went wrong with an action on the link, said for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("WhatsApp Web is not the channel in use; choose it in Settings first")]
    NotInUse,
    #[error("the phone is already linked; unlink it first")]
    AlreadyLinked,
    #[error("{0}")]
    Refused(String),
    #[error("cannot use {path}: {message}")]
    Storage { path: PathBuf, message: String },
}

impl WebLink {
    pub fn new(
        store: Arc<Store>,
        data: Arc<Data>,
        events: Events,
        config: WebConfig,
        channel: WebChannel,
        intake: Arc<dyn Receive>,
        shutdown: CancellationToken,
    ) -> Arc<WebLink> {
        Arc::new(WebLink {
            store,
            data,
            events,
            intake,
            shutdown,
            config,
            channel,
            state: RwLock::new(None),
            keys: RwLock::new(None),
            running: tokio::sync::Mutex::new(None),
        })
    }

    /// The link as it stands; `None` while the channel is not in use.
    pub fn state(&self) -> Option<LinkState> {
        self.state.read().clone()
    }

    fn set(&self, next: Option<LinkState>) {
        {
            let mut state = self.state.write();
            if *state == next {
                return;
            }
            state.clone_from(&next);
        }
        match &next {
            Some(link) => tracing::info!(state = ?link_name(link), "WhatsApp Web link changed"),
            None => tracing::info!("WhatsApp Web stopped"),
        }
        if let Some(link) = next {
            self.events.publish(ServerEvent::LinkChanged { link });
        }
    }

    /// A connection could not be opened, or closed before WhatsApp answered; the library tries
    /// again with backoff. The library's own events say more once a connection is up, so
    /// this only speaks while the link is connecting or already down.
    fn failed(&self, reason: String) {
        let since = match self.state() {
            Some(LinkState::Connecting) => self.intake.now_ms(),
            Some(LinkState::Disconnected { since, .. }) => since,
            _ => return,
        };
        self.set(Some(LinkState::Disconnected { reason, since }));
    }

    async fn on_event(&self, event: &Event, client: &Client) {
        if let Event::Receipt(receipt) = event {
            let statuses: Vec<Inbound> = status_of(receipt)
                .into_iter()
                .map(Inbound::Status)
                .collect();
            if !statuses.is_empty() {
                if let Err(error) = self.intake.receive(statuses).await {
                    tracing::warn!(error = %Escaped(&error), "a WhatsApp Web receipt could not be stored");
                }
            }
            return;
        }
        // A late event of a client being stopped says nothing once the channel is off.
        let Some(current) = self.state() else { return };
        let number = client.pn().map(|jid| jid.user.to_string());
        if let Some(next) = link::next(&current, event, self.intake.now_ms(), number.as_deref()) {
            self.set(Some(next));
        }
    }

    /// Follows the settings for as long as the server runs: starts the connection when they
    /// choose WhatsApp Web, stops it when they choose another channel.
    pub async fn follow_settings(self: Arc<WebLink>) {
        let mut changes = self.data.settings.changes();
        loop {
            let wanted = self.data.settings.get().channel == ChannelKind::WhatsappWeb;
            let running = self.running.lock().await.is_some();
            if wanted && !running {
                self.start().await;
            } else if !wanted && running {
                self.stop().await;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break },
                () = self.shutdown.cancelled() => break,
            }
        }
        self.stop().await;
    }

    fn keys(&self) -> Result<Arc<KeyStore>, LinkError> {
        if let Some(keys) = self.keys.read().clone() {
            return Ok(keys);
        }
        let path = self.store.dir().join(DIR);
        let keys = KeyStore::open(&path)
            .map(Arc::new)
            .map_err(|e| LinkError::Storage {
                path,
                message: e.to_string(),
            })?;
        *self.keys.write() = Some(keys.clone());
        Ok(keys)
    }

    /// Starts the client (a no-op when it runs already).
    async fn start(self: &Arc<WebLink>) {
        let mut running = self.running.lock().await;
        self.start_held(&mut running).await;
    }

    /// Starts the client into `running` (held by the caller), unless one runs already.
    async fn start_held(self: &Arc<WebLink>, running: &mut Option<BotHandle>) {
        if running.is_some() {
            return;
        }
        self.set(Some(LinkState::Connecting));
        let keys = match self.keys() {
            Ok(keys) => keys,
            Err(error) => {
                tracing::error!(error = %Escaped(&error), "WhatsApp Web cannot start");
                self.set(Some(LinkState::LoggedOut {
                    reason: error.to_string(),
                }));
                return;
            }
        };
        let transport = Watched {
            inner: TokioWebSocketTransportFactory::new().with_url(self.config.url.clone()),
            link: Arc::downgrade(self),
        };
        let on_event = {
            let link = Arc::downgrade(self);
            move |event: Arc<Event>, client: Arc<Client>| {
                let link = link.clone();
                async move {
                    if let Some(link) = link.upgrade() {
                        link.on_event(&event, &client).await;
                    }
                }
            }
        };
        let mut builder = Bot::builder()
            .with_backend_arc(keys)
            .with_transport_factory(transport)
            .with_runtime(TokioRuntime)
            .skip_history_sync()
            .with_inbound_durability_hook(Durable {
                link: Arc::downgrade(self),
            })
            .on_event(on_event);
        if let Some(version) = self.config.version {
            builder = builder.with_version(version);
        }
        match builder.build().await {
            Ok(bot) => {
                let handle = bot.spawn();
                self.channel.attach(handle.client());
                *running = Some(handle);
                tracing::info!(url = %self.config.url, "WhatsApp Web started");
            }
            Err(error) => {
                tracing::error!(error = %Escaped(&error), "WhatsApp Web cannot start");
                self.set(Some(LinkState::LoggedOut {
                    reason: format!("cannot start: {error}"),
                }));
            }
        }
    }

    /// Stops the client (keys kept: the phone stays linked for the next start).
    async fn stop(&self) {
        let handle = self.running.lock().await.take();
        self.channel.detach();
        if let Some(handle) = handle {
            handle.shutdown().await;
        }
        self.set(None);
    }

    /// Takes in a batch of messages the library decrypted (called before WhatsApp is told they
    /// arrived): customers' messages become the neutral message, an answer to the last menu
    /// becomes a tap on its option, and each is stored once, answered and published.
    pub async fn deliver(
        &self,
        batch: &[whatsapp_rust::types::durability_hook::InboundMessage],
    ) -> anyhow::Result<()> {
        let mut messages: Vec<_> = batch
            .iter()
            .filter_map(|m| message_of(&m.info, &m.message))
            .collect();
        if messages.is_empty() {
            return Ok(());
        }
        let store = self.store.clone();
        let messages = tokio::task::spawn_blocking(move || {
            answer_menus(&store, &mut messages);
            messages
        })
        .await?;
        let events = messages
            .into_iter()
            .map(|m| {
                self.channel.remember(&m.id, &m.contact);
                Inbound::Message(m)
            })
            .collect();
        self.intake
            .receive(events)
            .await
            .map_err(anyhow::Error::msg)
    }

    /// Unlinks the phone: tells WhatsApp (when connected), forgets the keys, and starts again
    /// with a fresh pairing.
    pub async fn unlink(self: &Arc<WebLink>) -> Result<(), LinkError> {
        if self.data.settings.get().channel != ChannelKind::WhatsappWeb {
            return Err(LinkError::NotInUse);
        }
        // Held throughout, so the settings' follower cannot start a client on the old keys
        // between the logout and the clearing.
        let mut running = self.running.lock().await;
        self.channel.detach();
        if let Some(handle) = running.take() {
            handle.client().logout().await;
            handle.shutdown().await;
        }
        let keys = self.keys()?;
        keys.clear().await.map_err(|e| LinkError::Storage {
            path: self.store.dir().join(DIR),
            message: e.to_string(),
        })?;
        self.set(None);
        self.start_held(&mut running).await;
        Ok(())
    }

    /// Asks WhatsApp for an eight-character code to type on the phone (Linked devices > Link
    /// with phone number instead), for `phone` with its country code.
    pub async fn pair_code(&self, phone: &str) -> Result<String, LinkError> {
        let client = {
            let running = self.running.lock().await;
            running
                .as_ref()
                .map(BotHandle::client)
                .ok_or(LinkError::NotInUse)?
        };
        if client.is_logged_in() {
            return Err(LinkError::AlreadyLinked);
        }
        let options = PairCodeOptions {
            phone_number: phone.to_string(),
            ..PairCodeOptions::default()
        };
        client
            .pair_with_code(options)
            .await
            .map_err(|e| LinkError::Refused(format!("WhatsApp refused the pairing code: {e}")))
    }
}

fn link_name(link: &LinkState) -> &'static str {
    match link {
        LinkState::Connecting => "connecting",
        LinkState::Pairing { .. } => "pairing",
        LinkState::Connected { .. } => "connected",
        LinkState::Disconnected { .. } => "disconnected",
        LinkState::LoggedOut { .. } => "logged_out",
    }
}

/// Customers' messages are stored (and answered) before WhatsApp is told they arrived: an
/// error here leaves them unacknowledged, and WhatsApp delivers them again.
struct Durable {
    link: Weak<WebLink>,
}

#[async_trait]
impl InboundDurabilityHook for Durable {
    async fn on_messages(
        &self,
        _client: Arc<Client>,
        batch: &[whatsapp_rust::types::durability_hook::InboundMessage],
    ) -> anyhow::Result<()> {
        match self.link.upgrade() {
            Some(link) => link.deliver(batch).await,
            None => Err(anyhow::anyhow!("the server is shutting down")),
        }
    }
}

/// How many of a conversation's latest records are looked through for the last message sent.
const MENU_LOOKBACK: usize = 16;

/// An ordinary WhatsApp account has no reply buttons or lists, so menus go out as numbered
/// text: when the last message sent to a customer was a menu, an answer with an option's
/// number (or its title) counts as a tap on that option, for the engine (blocking: reads the
/// log).
fn answer_menus(store: &Store, messages: &mut [InboundMessage]) {
    for message in messages.iter_mut().filter(|m| m.choice_id.is_none()) {
        let (Some(text), Some(key)) = (message.text.as_deref(), message.contact.key()) else {
            continue;
        };
        let Ok(records) = conversations::latest(store, key, MENU_LOOKBACK) else {
            continue;
        };
        let sent = records.into_iter().rev().find_map(|record| match record {
            LogRecord::MessageOut(out) => Some(out.message),
            _ => None,
        });
        if let Some(choice) = sent.as_ref().and_then(|sent| choice_for(sent, text)) {
            message.choice_id = Some(choice.id.clone());
        }
    }
}

/// The WebSocket transport, watched: a connection that cannot be opened, or that closes
/// before the link is up, shows in the link's state with the reason.
struct Watched {
    inner: TokioWebSocketTransportFactory,
    link: Weak<WebLink>,
}

#[async_trait]
impl TransportFactory for Watched {
    async fn create_transport(
        &self,
    ) -> anyhow::Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        let (transport, events) = match self.inner.create_transport().await {
            Ok(opened) => opened,
            Err(error) => {
                if let Some(link) = self.link.upgrade() {
                    link.failed(format!("cannot reach WhatsApp: {error:#}"));
                }
                return Err(error);
            }
        };
        let (forward, watched) = async_channel::bounded(64);
        let link = self.link.clone();
        tokio::spawn(async move {
            let mut answered = false;
            while let Ok(event) = events.recv().await {
                match &event {
                    TransportEvent::DataReceived(_) => answered = true,
                    TransportEvent::Disconnected(reason) if !answered => {
                        if let Some(link) = link.upgrade() {
                            link.failed(format!(
                                "the connection closed before WhatsApp answered: {reason}"
                            ));
                        }
                    }
                    _ => {}
                }
                if forward.send(event).await.is_err() {
                    break;
                }
            }
        });
        Ok((transport, watched))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;
    use cocolu_core::contact::ContactRef;
    use cocolu_core::outbound::Choice;
    use cocolu_core::outbound::Outbound;
    use serde_json::json;

    fn said(text: &str) -> InboundMessage {
        InboundMessage {
            id: format!("in-{text}"),
            contact: ContactRef {
                wa_id: Some("584121234567".into()),
                ..ContactRef::default()
            },
            sent_at_ms: 1,
            kind: "text".into(),
            text: Some(text.into()),
            choice_id: None,
            phone_number_id: None,
            raw: json!({}),
        }
    }

    async fn sent(store: &Store, at: i64, message: &Outbound) {
        let record = LogRecord::MessageOut(cocolu_core::log::MessageOut {
            conversation: "584121234567".into(),
            outbox: format!("o{at}"),
            at,
            to: ContactRef {
                wa_id: Some("584121234567".into()),
                ..ContactRef::default()
            },
            origin: cocolu_core::log::Origin::Bot { rule: None },
            text: message.summary(),
            message: message.clone(),
        });
        store.append(vec![record.to_line()]).await.expect("stored");
    }

    #[tokio::test]
    async fn a_numbered_answer_to_the_last_menu_is_a_tap_on_that_option() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("data"), &StoreOptions::default()).expect("store");
        let choice = Choice::new;
        let menu = Outbound::Buttons {
            body: "¿Qué necesitas?".into(),
            header: None,
            footer: None,
            buttons: vec![choice("menu", "Menú"), choice("horario", "Horario")],
        };
        sent(&store, 10, &menu).await;
        let mut messages = vec![said("2"), said("menu"), said("7"), said("hola")];
        answer_menus(&store, &mut messages);
        let picked: Vec<_> = messages.iter().map(|m| m.choice_id.as_deref()).collect();
        assert_eq!(picked, [Some("horario"), Some("menu"), None, None]);

        // Once plain text has gone out since, a number is just a number.
        sent(
            &store,
            20,
            &Outbound::Text {
                body: "Listo".into(),
            },
        )
        .await;
        let mut messages = vec![said("2")];
        answer_menus(&store, &mut messages);
        assert_eq!(messages[0].choice_id, None);
    }
}
