//! A stand-in for WhatsApp's chat server, for the WhatsApp Web channel: a WebSocket that
//! speaks WhatsApp's framing and the Noise XX handshake from the server's side, then sends
//! the `<pair-device>` request a real server sends to a device that is not linked yet. Its
//! `scan` plays the phone: the `<pair-success>` a phone's scan brings (the device identity
//! signed with a stand-in account key, sealed with the QR code's secret), then the `515` that
//! makes the device log in again, which is answered with `<success>`. Its `write` plays a
//! customer: a Signal session built on the pre-keys the device uploaded at login, and the
//! customer's text sent to the device encrypted with it, as WhatsApp relays a message.
//!
//! WhatsApp's certificate chain is signed with a key only WhatsApp has, so the tests build the
//! library with its `danger-skip-cert-chain-verify` feature (our `whatsapp-web-standin`
//! feature, never used for a release). Everything else is the library's real code.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::handshake::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::libsignal::protocol::{
    self as signal, IdentityKey, IdentityKeyPair, KeyPair, PrivateKey, ProtocolAddress, PublicKey,
    SessionRecord,
};
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::wacore_binary::marshal;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::wacore_binary::NodeRef;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::NodeBuilder;

/// What the stand-in does with each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Accepts the WebSocket and closes it at once (a server refusing us).
    CloseAtOnce,
    /// Completes the handshake and asks for pairing with these QR references.
    Pair,
}

/// The references of one `<pair-device>` (each becomes a QR code, rotated by the library).
pub const REFS: [&str; 3] = [
    "2@cocolu-test-ref-one",
    "2@cocolu-test-ref-two",
    "2@cocolu-test-ref-three",
];

pub struct FakeWhatsApp {
    /// `ws://127.0.0.1:PORT/ws/chat`
    pub url: String,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    shared: Arc<Shared>,
}

/// What the stand-in remembers across connections.
#[derive(Default)]
struct Shared {
    /// Where `scan` hands a QR code to the connection waiting for the phone.
    scans: Mutex<Option<tokio::sync::mpsc::UnboundedSender<String>>>,
    /// The `username` (phone number) of each login of a linked device, in order.
    logins: Mutex<Vec<u64>>,
    /// The `<message>` stanzas linked devices sent: (to, id).
    sent: Mutex<Vec<(String, String)>>,
    /// The keys the linked device uploaded at login.
    uploaded: Mutex<Option<Uploaded>>,
    /// Where `write` hands a stanza to the linked device's connection.
    to_device: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Node>>>,
    /// The numbers a device waiting for the phone asked pairing codes for.
    code_requests: Mutex<Vec<String>>,
    /// The customers who wrote, by phone number, with their Signal state.
    customers: tokio::sync::Mutex<HashMap<String, Customer>>,
}

/// A device's pre-key upload (`<iq xmlns="encrypt" type="set">`): what a customer's phone
/// gets from the server to start a session with it.
#[derive(Clone)]
struct Uploaded {
    registration: u32,
    identity: PublicKey,
    signed: (u32, PublicKey, Vec<u8>),
    /// One-time pre-keys not handed out yet.
    one_time: Vec<(u32, PublicKey)>,
}

/// The number the stand-in phone links, and its device's ids.
pub const PHONE: &str = "584121234567";
const DEVICE_JID: &str = "584121234567:7@s.whatsapp.net";
const DEVICE_LID: &str = "99887766554433:7@lid";

impl FakeWhatsApp {
    pub async fn start(behaviour: Behaviour) -> FakeWhatsApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/ws/chat", listener.local_addr().expect("addr"));
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let shared = serving.clone();
                tokio::spawn(async move {
                    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                        return;
                    };
                    match behaviour {
                        Behaviour::CloseAtOnce => {
                            let mut socket = socket;
                            let _ = socket.close(None).await;
                        }
                        Behaviour::Pair => {
                            if let Err(error) = serve_pairing(socket, &shared).await {
                                eprintln!("fake WhatsApp: {error}");
                            }
                        }
                    }
                });
            }
        });
        FakeWhatsApp {
            url,
            connections,
            shared,
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The phone scans `qr` (as the dashboard shows it); false when no device is waiting.
    pub fn scan(&self, qr: &str) -> bool {
        let waiting = self.shared.scans.lock().expect("lock").clone();
        waiting.is_some_and(|scans| scans.send(qr.to_string()).is_ok())
    }

    /// The phone numbers linked devices logged in with, in order.
    pub fn logins(&self) -> Vec<u64> {
        self.shared.logins.lock().expect("lock").clone()
    }

    /// The phone numbers devices asked pairing codes for, in order.
    pub fn code_requests(&self) -> Vec<String> {
        self.shared.code_requests.lock().expect("lock").clone()
    }

    /// The messages linked devices sent, as (to, id), in order.
    pub fn sent(&self) -> Vec<(String, String)> {
        self.shared.sent.lock().expect("lock").clone()
    }

    /// The phone's owner removes the linked device (WhatsApp › Linked devices › Log out):
    /// the server ends its connection with `<stream:error><conflict type="device_removed">`.
    /// False when no device is connected.
    pub fn remove_device(&self) -> bool {
        let removed = NodeBuilder::new("stream:error")
            .children([NodeBuilder::new("conflict")
                .attr("type", "device_removed")
                .build()])
            .build();
        let device = self.shared.to_device.lock().expect("lock").clone();
        device.is_some_and(|device| device.send(removed).is_ok())
    }

    /// The customer with the phone number `from` writes `text` to the linked device, as
    /// message `id`: the first time, a session is built on the device's uploaded pre-keys
    /// (a `pkmsg`). Fails when no device is connected or none uploaded its keys.
    pub async fn write(&self, from: &str, id: &str, text: &str) -> Result<(), String> {
        let err = |e: signal::SignalProtocolError| e.to_string();
        let device = ProtocolAddress::new(PHONE, 7.into());
        let mut customers = self.shared.customers.lock().await;
        let customer = customers
            .entry(from.to_string())
            .or_insert_with(Customer::new);
        if customer.sessions.0.is_empty() {
            let bundle = {
                let mut uploaded = self.shared.uploaded.lock().expect("lock");
                let uploaded = uploaded.as_mut().ok_or("no device uploaded its keys")?;
                let (id, key) = uploaded.one_time.pop().ok_or("no one-time key left")?;
                let (signed_id, signed, signature) = uploaded.signed.clone();
                signal::PreKeyBundle::new(
                    uploaded.registration,
                    7.into(),
                    Some((id.into(), key)),
                    signed_id.into(),
                    signed,
                    signature,
                    IdentityKey::new(uploaded.identity),
                )
                .map_err(err)?
            };
            signal::process_prekey_bundle(
                &device,
                &mut customer.sessions,
                &mut customer.identities,
                &bundle,
                &mut rand::make_rng::<rand::rngs::StdRng>(),
                signal::UsePQRatchet::No,
            )
            .await
            .map_err(err)?;
        }
        let message = wa::Message {
            conversation: Some(text.to_string()),
            ..Default::default()
        };
        let plain =
            whatsapp_rust::wacore::messages::MessageUtils::pad_message_v2(message.encode_to_vec());
        let sealed = signal::message_encrypt(
            &plain,
            &device,
            &mut customer.sessions,
            &mut customer.identities,
        )
        .await
        .map_err(err)?;
        let (kind, bytes) = match &sealed {
            signal::CiphertextMessage::PreKeySignalMessage(m) => ("pkmsg", m.serialized()),
            signal::CiphertextMessage::SignalMessage(m) => ("msg", m.serialized()),
            _ => return Err("unexpected ciphertext".into()),
        };
        let stanza = NodeBuilder::new("message")
            .attrs([
                ("from", format!("{from}@s.whatsapp.net")),
                ("id", id.to_string()),
                ("type", "text".to_string()),
                ("notify", "Cliente".to_string()),
                (
                    "t",
                    whatsapp_rust::chrono::Utc::now().timestamp().to_string(),
                ),
            ])
            .children([NodeBuilder::new("enc")
                .attrs([("v", "2"), ("type", kind)])
                .bytes(bytes.to_vec())
                .build()])
            .build();
        let device = self.shared.to_device.lock().expect("lock").clone();
        device
            .ok_or("no device connected")?
            .send(stanza)
            .map_err(|_| "the device's connection closed".to_string())
    }
}

/// A customer's phone: its identity, and its sessions with the devices it wrote to. The two
/// halves are apart because the Signal functions borrow them both mutably at once.
struct Customer {
    sessions: Sessions,
    identities: Identities,
}

impl Customer {
    fn new() -> Customer {
        let mut rng = rand::make_rng::<rand::rngs::StdRng>();
        Customer {
            sessions: Sessions(HashMap::new()),
            identities: Identities {
                own: IdentityKeyPair::generate(&mut rng),
                registration: rand::random_range(1..16380),
                known: HashMap::new(),
            },
        }
    }
}

struct Sessions(HashMap<String, SessionRecord>);

#[whatsapp_rust::async_trait]
impl signal::SessionStore for Sessions {
    async fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> signal::error::Result<Option<SessionRecord>> {
        Ok(self.0.get(&address.to_string()).cloned())
    }

    async fn has_session(&self, address: &ProtocolAddress) -> signal::error::Result<bool> {
        Ok(self.0.contains_key(&address.to_string()))
    }

    async fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: SessionRecord,
    ) -> signal::error::Result<()> {
        self.0.insert(address.to_string(), record);
        Ok(())
    }
}

struct Identities {
    own: IdentityKeyPair,
    registration: u32,
    known: HashMap<String, IdentityKey>,
}

#[whatsapp_rust::async_trait]
impl signal::IdentityKeyStore for Identities {
    async fn get_identity_key_pair(&self) -> signal::error::Result<IdentityKeyPair> {
        Ok(self.own.clone())
    }

    async fn get_local_registration_id(&self) -> signal::error::Result<u32> {
        Ok(self.registration)
    }

    async fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> signal::error::Result<signal::IdentityChange> {
        let before = self.known.insert(address.to_string(), *identity);
        Ok(signal::IdentityChange::from_changed(
            before.is_some_and(|b| b != *identity),
        ))
    }

    async fn is_trusted_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
        _direction: signal::Direction,
    ) -> signal::error::Result<bool> {
        Ok(self
            .known
            .get(&address.to_string())
            .is_none_or(|known| known == identity))
    }

    async fn get_identity(
        &self,
        address: &ProtocolAddress,
    ) -> signal::error::Result<Option<IdentityKey>> {
        Ok(self.known.get(&address.to_string()).copied())
    }
}

/// The pre-key upload in a device's request, if it is one.
fn uploaded(node: &NodeRef<'_>) -> Option<Uploaded> {
    let bytes = |path: &[&str]| node.get_optional_child_by_tag(path)?.content_bytes();
    let id = |key: &NodeRef<'_>| {
        let b = key.get_optional_child("id")?.content_bytes()?;
        Some(b.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)))
    };
    let key = |b: &[u8]| PublicKey::from_djb_public_key_bytes(b).ok();
    let registration = bytes(&["registration"])?;
    let skey = node.get_optional_child("skey")?;
    let one_time = node
        .get_optional_child("list")?
        .get_children_by_tag("key")
        .filter_map(|k| {
            Some((
                id(k)?,
                key(k.get_optional_child("value")?.content_bytes()?)?,
            ))
        })
        .collect();
    Some(Uploaded {
        registration: u32::from_be_bytes(registration.try_into().ok()?),
        identity: key(bytes(&["identity"])?)?,
        signed: (
            id(skey)?,
            key(skey.get_optional_child("value")?.content_bytes()?)?,
            skey.get_optional_child("signature")?
                .content_bytes()?
                .to_vec(),
        ),
        one_time,
    })
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A key pair from fresh random bytes.
fn key_pair() -> KeyPair {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).expect("random bytes");
    let private = PrivateKey::deserialize(&secret).expect("private key");
    let public = private.public_key().expect("public key");
    KeyPair::new(public, private)
}

fn public_bytes(pair: &KeyPair) -> Vec<u8> {
    pair.public_key.public_key_bytes().to_vec()
}

/// The server's certificate chain, naming `static_key` (its signatures are not checked by
/// a library built with `danger-skip-cert-chain-verify`).
fn cert_chain(static_key: &[u8]) -> Vec<u8> {
    use wa::cert_chain::{noise_certificate::Details, NoiseCertificate};
    let certificate = |serial: u32, issuer: u32, key: &[u8]| NoiseCertificate {
        details: Some(
            Details {
                serial: Some(serial),
                issuer_serial: Some(issuer),
                key: Some(key.to_vec()),
                not_before: Some(1_700_000_000),
                not_after: Some(4_000_000_000),
            }
            .encode_to_vec(),
        ),
        signature: Some(vec![0; 64]),
    };
    wa::CertChain {
        intermediate: MessageField::some(certificate(1, 0, &[0xCC; 32])),
        leaf: MessageField::some(certificate(2, 1, static_key)),
    }
    .encode_to_vec()
}

/// Frames arriving on the WebSocket, one at a time.
struct Frames {
    decoder: FrameDecoder,
    first: bool,
}

impl Frames {
    async fn next(&mut self, socket: &mut Socket) -> Result<Vec<u8>, String> {
        loop {
            if let Some(frame) = self.decoder.decode_frame() {
                return Ok(frame.to_vec());
            }
            let data = match socket.next().await {
                Some(Ok(Message::Binary(data))) => data,
                Some(Ok(Message::Close(_))) | None => return Err("the client closed".into()),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
            };
            let mut data: &[u8] = &data;
            if std::mem::take(&mut self.first) {
                data = data
                    .strip_prefix(&WA_CONN_HEADER[..])
                    .ok_or("the first message lacks WhatsApp's header")?;
            }
            self.decoder.feed(data);
        }
    }
}

async fn send_frame(socket: &mut Socket, payload: &[u8]) -> Result<(), String> {
    let framed = encode_frame(payload, None).map_err(|e| e.to_string())?;
    socket
        .send(Message::Binary(Bytes::from(framed)))
        .await
        .map_err(|e| e.to_string())
}

/// The server's side of Noise XX; answers the two ciphers (to read, to write) and the
/// client's payload (a registration, or a linked device's login).
async fn handshake(
    socket: &mut Socket,
    frames: &mut Frames,
) -> Result<(NoiseCipher, NoiseCipher, wa::ClientPayload), String> {
    let hello = wa::HandshakeMessage::decode_from_slice(&frames.next(socket).await?)
        .map_err(|e| e.to_string())?;
    let client_ephemeral = hello
        .client_hello
        .as_option()
        .and_then(|h| h.ephemeral.clone())
        .ok_or("no client hello")?;
    let server_static = key_pair();
    let ephemeral = key_pair();
    let err = |e: whatsapp_rust::wacore::handshake::HandshakeError| e.to_string();
    let mut noise = NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER).map_err(err)?;
    noise.authenticate(&client_ephemeral);
    noise.authenticate(&public_bytes(&ephemeral));
    noise
        .mix_shared_secret(ephemeral.private_key.serialize(), &client_ephemeral)
        .map_err(err)?;
    let sealed_static = noise.encrypt(&public_bytes(&server_static)).map_err(err)?;
    noise
        .mix_shared_secret(server_static.private_key.serialize(), &client_ephemeral)
        .map_err(err)?;
    let sealed_chain = noise
        .encrypt(&cert_chain(&public_bytes(&server_static)))
        .map_err(err)?;
    let server_hello = wa::HandshakeMessage {
        server_hello: MessageField::some(wa::handshake_message::ServerHello {
            ephemeral: Some(public_bytes(&ephemeral)),
            r#static: Some(sealed_static),
            payload: Some(sealed_chain),
            ..Default::default()
        }),
        ..Default::default()
    };
    send_frame(socket, &server_hello.encode_to_vec()).await?;

    let finish = wa::HandshakeMessage::decode_from_slice(&frames.next(socket).await?)
        .map_err(|e| e.to_string())?;
    let finish = finish.client_finish.as_option().ok_or("no client finish")?;
    let client_static = noise
        .decrypt(finish.r#static.as_deref().ok_or("no client static")?)
        .map_err(err)?;
    noise
        .mix_shared_secret(ephemeral.private_key.serialize(), &client_static)
        .map_err(err)?;
    let payload = noise
        .decrypt(finish.payload.as_deref().ok_or("no client payload")?)
        .map_err(err)?;
    let payload = wa::ClientPayload::decode_from_slice(&payload).map_err(|e| e.to_string())?;
    // The client writes with the first key and reads with the second.
    let (client_writes, client_reads) = noise.finish().map_err(err)?;
    Ok((client_writes, client_reads, payload))
}

/// Sends nodes over an established connection, counting for the cipher.
struct Sender {
    cipher: NoiseCipher,
    counter: u32,
}

impl Sender {
    async fn send(
        &mut self,
        socket: &mut Socket,
        node: &whatsapp_rust::wacore_binary::Node,
    ) -> Result<(), String> {
        let plain = marshal(node).map_err(|e| e.to_string())?;
        let sealed = self
            .cipher
            .encrypt_with_counter(self.counter, &plain)
            .map_err(|e| e.to_string())?;
        self.counter += 1;
        send_frame(socket, &sealed).await
    }
}

/// The `<device-identity>` of a phone's `<pair-success>` for the QR code `qr`
/// (`ref,noise key,identity key,ADV secret,platform`): the device's identity details signed by
/// the account's key over the device's identity key, then sealed with the ADV secret.
fn device_identity(qr: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    use hmac::Mac as _;
    let fields: Vec<&str> = qr.split(',').collect();
    let decode = |i: usize| {
        fields
            .get(i)
            .and_then(|f| base64::engine::general_purpose::STANDARD.decode(f).ok())
            .ok_or_else(|| format!("field {i} of the QR code"))
    };
    let identity_key = decode(2)?;
    let adv_secret = decode(3)?;
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(7),
        timestamp: Some(u64::try_from(whatsapp_rust::chrono::Utc::now().timestamp()).unwrap_or(0)),
        key_index: Some(1),
        ..Default::default()
    }
    .encode_to_vec();
    let account = key_pair();
    let signed = [&[6u8, 0][..], &details, &identity_key].concat();
    let signature = account
        .private_key
        .calculate_signature(&signed, &mut rand::make_rng::<rand::rngs::StdRng>())
        .map_err(|e| e.to_string())?;
    let identity = wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(public_bytes(&account)),
        account_signature: Some(signature.to_vec()),
        ..Default::default()
    }
    .encode_to_vec();
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(&adv_secret).map_err(|e| e.to_string())?;
    mac.update(&identity);
    Ok(wa::ADVSignedDeviceIdentityHMAC {
        details: Some(identity),
        hmac: Some(mac.finalize().into_bytes().to_vec()),
        ..Default::default()
    }
    .encode_to_vec())
}

/// The users a request names (`<list><user jid>` of a device query, `<key><user jid>` of a
/// pre-key fetch).
fn users_in(node: &NodeRef<'_>, path: &[&str]) -> Vec<String> {
    node.get_optional_child_by_tag(path)
        .and_then(|list| list.children())
        .map(|users| users.iter().filter_map(|u| attr(u, "jid")).collect())
        .unwrap_or_default()
}

/// A stand-in contact's pre-key bundle, as the server hands it out: registration id, identity
/// key, signed pre-key (signed by the identity over its serialized form) and a one-time key.
fn bundle(jid: &str) -> Result<whatsapp_rust::wacore_binary::Node, String> {
    let identity = key_pair();
    let signed = key_pair();
    let one_time = key_pair();
    let signature = identity
        .private_key
        .calculate_signature(
            &signed.public_key.serialize(),
            &mut rand::make_rng::<rand::rngs::StdRng>(),
        )
        .map_err(|e| e.to_string())?;
    let key = |tag: &'static str, id: u8, pair: &KeyPair, signature: Option<Vec<u8>>| {
        let mut parts = vec![
            NodeBuilder::new("id").bytes(vec![0, 0, id]).build(),
            NodeBuilder::new("value").bytes(public_bytes(pair)).build(),
        ];
        if let Some(signature) = signature {
            parts.push(NodeBuilder::new("signature").bytes(signature).build());
        }
        NodeBuilder::new(tag).children(parts).build()
    };
    Ok(NodeBuilder::new("user")
        .attr("jid", jid.to_string())
        .children([
            NodeBuilder::new("registration")
                .bytes(vec![0, 0, 0x12, 0x34])
                .build(),
            NodeBuilder::new("type").bytes(vec![5]).build(),
            NodeBuilder::new("identity")
                .bytes(public_bytes(&identity))
                .build(),
            key("skey", 1, &signed, Some(signature.to_vec())),
            key("key", 2, &one_time, None),
        ])
        .build())
}

/// An attribute of `node`, as text.
fn attr(node: &NodeRef<'_>, name: &str) -> Option<String> {
    node.get_attr(name).map(|v| v.as_str().into_owned())
}

/// The server's successful answer to request `id`, for its content to be added.
fn result(id: String) -> NodeBuilder {
    NodeBuilder::new("iq").attrs([
        ("from", "s.whatsapp.net".to_string()),
        ("type", "result".to_string()),
        ("id", id),
    ])
}

/// The answer to a linked device's request: each user has one device (the phone), with a
/// fresh stand-in pre-key bundle; the app-state collections asked for are up to date and
/// empty; anything else is granted with nothing in it.
fn answer_request(
    node: &NodeRef<'_>,
    id: String,
) -> Result<whatsapp_rust::wacore_binary::Node, String> {
    let answer = result(id);
    let xmlns = attr(node, "xmlns").unwrap_or_default();
    let content = match xmlns.as_str() {
        "usync" => {
            let users = users_in(node, &["usync", "list"]).into_iter().map(|jid| {
                NodeBuilder::new("user")
                    .attr("jid", jid)
                    .children([NodeBuilder::new("devices")
                        .children([NodeBuilder::new("device-list")
                            .children([NodeBuilder::new("device").attr("id", "0").build()])
                            .build()])
                        .build()])
                    .build()
            });
            Some(
                NodeBuilder::new("usync")
                    .children([NodeBuilder::new("list").children(users).build()])
                    .build(),
            )
        }
        "encrypt" if node.get_optional_child_by_tag(&["key"]).is_some() => {
            let bundles = users_in(node, &["key"])
                .iter()
                .map(|jid| bundle(jid))
                .collect::<Result<Vec<_>, _>>()?;
            Some(NodeBuilder::new("list").children(bundles).build())
        }
        "w:sync:app:state" => {
            let collections: Vec<_> = node
                .get_optional_child_by_tag(&["sync"])
                .and_then(|sync| sync.children())
                .map(|asked| {
                    asked
                        .iter()
                        .filter_map(|c| attr(c, "name"))
                        .map(|name| NodeBuilder::new("collection").attr("name", name).build())
                        .collect()
                })
                .unwrap_or_default();
            Some(NodeBuilder::new("sync").children(collections).build())
        }
        // The experiment settings: one, so that the answer is not empty.
        "abt" => Some(
            NodeBuilder::new("props")
                .attrs([("protocol", "1"), ("hash", "stand-in")])
                .children([NodeBuilder::new("prop")
                    .attrs([("config_code", "1"), ("config_value", "0")])
                    .build()])
                .build(),
        ),
        "privacy" => Some(
            NodeBuilder::new("privacy")
                .children(["last", "profile", "status", "readreceipts"].map(|name| {
                    NodeBuilder::new("category")
                        .attrs([("name", name), ("value", "all")])
                        .build()
                }))
                .build(),
        ),
        _ => None,
    };
    Ok(match content {
        Some(content) => answer.children([content]).build(),
        None => answer.build(),
    })
}

/// Completes the handshake. A linked device's login is answered with `<success>`; a new
/// device is asked to pair, and when `scan` hands over its QR code the phone's
/// `<pair-success>` follows, then the `515` that makes it log in again. Whatever else the
/// client says is read and left unanswered.
async fn serve_pairing(mut socket: Socket, shared: &Shared) -> Result<(), String> {
    let mut frames = Frames {
        decoder: FrameDecoder::new(),
        first: true,
    };
    let (read, write, payload) = handshake(&mut socket, &mut frames).await?;
    let mut sender = Sender {
        cipher: write,
        counter: 0,
    };
    let mut scans = None;
    let mut writes = None;
    // A new device's requests are not answered (it is not linked yet).
    let scans_pending = payload.username.is_none();
    if let Some(username) = payload.username {
        shared.logins.lock().expect("lock").push(username);
        let (write, written) = tokio::sync::mpsc::unbounded_channel();
        *shared.to_device.lock().expect("lock") = Some(write);
        writes = Some(written);
        let success = NodeBuilder::new("success")
            .attrs([
                (
                    "t",
                    whatsapp_rust::chrono::Utc::now().timestamp().to_string(),
                ),
                ("lid", DEVICE_LID.to_string()),
            ])
            .build();
        sender.send(&mut socket, &success).await?;
        // Nothing waited for this device while it was away.
        let offline = NodeBuilder::new("ib")
            .children([NodeBuilder::new("offline").attr("count", "0").build()])
            .build();
        sender.send(&mut socket, &offline).await?;
    } else {
        let pair_device = NodeBuilder::new("iq")
            .attrs([
                ("from", "s.whatsapp.net"),
                ("type", "set"),
                ("id", "pair-1"),
                ("xmlns", "md"),
            ])
            .children([NodeBuilder::new("pair-device")
                .children(
                    REFS.iter()
                        .map(|r| NodeBuilder::new("ref").bytes(r.as_bytes().to_vec()).build()),
                )
                .build()])
            .build();
        sender.send(&mut socket, &pair_device).await?;
        let (scanned, waiting) = tokio::sync::mpsc::unbounded_channel();
        *shared.scans.lock().expect("lock") = Some(scanned);
        scans = Some(waiting);
    }
    let mut counter = 0;
    loop {
        let scan = async {
            match scans.as_mut() {
                Some(waiting) => waiting.recv().await,
                None => std::future::pending().await,
            }
        };
        let written = async {
            match writes.as_mut() {
                Some(written) => written.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(stanza) = written => sender.send(&mut socket, &stanza).await?,
            frame = frames.next(&mut socket) => {
                let mut frame = frame?;
                read.decrypt_in_place_with_counter(counter, &mut frame)
                    .map_err(|e| e.to_string())?;
                counter += 1;
                let Ok(plain) = whatsapp_rust::wacore_binary::util::unpack(&frame) else { continue };
                let Ok(node) = whatsapp_rust::wacore_binary::marshal::unmarshal_ref(&plain) else { continue };
                if std::env::var_os("FAKE_WA_TRACE").is_some() {
                    eprintln!("client> {node:?}");
                }
                if node.tag == "message" && !scans_pending {
                    let (to, id) = (attr(&node, "to").unwrap_or_default(), attr(&node, "id").unwrap_or_default());
                    shared.sent.lock().expect("lock").push((to.clone(), id.clone()));
                    let ack = NodeBuilder::new("ack")
                        .attrs([("class", "message".to_string()), ("id", id), ("from", to)])
                        .build();
                    sender.send(&mut socket, &ack).await?;
                    continue;
                }
                let kind = attr(&node, "type");
                // A device waiting for the phone asks for a pairing code: the server keeps
                // the request under a reference for when the phone's owner types the code.
                if let Some(hello) = node.get_optional_child("link_code_companion_reg") {
                    if scans_pending && attr(hello, "stage").as_deref() == Some("companion_hello") {
                        let number = attr(hello, "jid").unwrap_or_default();
                        shared.code_requests.lock().expect("lock").push(number);
                        let answer = result(attr(&node, "id").unwrap_or_default())
                            .children([NodeBuilder::new("link_code_companion_reg")
                                .children([NodeBuilder::new("link_code_pairing_ref")
                                    .bytes(b"cocolu-test-pairing-ref".to_vec())
                                    .build()])
                                .build()])
                            .build();
                        sender.send(&mut socket, &answer).await?;
                        continue;
                    }
                }
                // Every other request of a linked device is granted.
                if node.tag == "iq" && matches!(kind.as_deref(), Some("get" | "set")) && !scans_pending {
                    if let Some(keys) = uploaded(&node) {
                        *shared.uploaded.lock().expect("lock") = Some(keys);
                    }
                    let answer = answer_request(&node, attr(&node, "id").unwrap_or_default())?;
                    sender.send(&mut socket, &answer).await?;
                }
            }
            Some(qr) = scan => {
                let success = NodeBuilder::new("iq")
                    .attrs([("from", "s.whatsapp.net"), ("type", "set"), ("id", "pair-2")])
                    .children([NodeBuilder::new("pair-success")
                        .children([
                            NodeBuilder::new("device-identity").bytes(device_identity(&qr)?).build(),
                            NodeBuilder::new("device")
                                .attrs([("jid", DEVICE_JID), ("lid", DEVICE_LID)])
                                .build(),
                            NodeBuilder::new("platform").attr("name", "android").build(),
                        ])
                        .build()])
                    .build();
                sender.send(&mut socket, &success).await?;
                // Time for the device to sign and answer, then the server makes it log in.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                let restart = NodeBuilder::new("stream:error").attr("code", "515").build();
                sender.send(&mut socket, &restart).await?;
                let _ = socket.close(None).await;
                return Ok(());
            }
        }
    }
}
