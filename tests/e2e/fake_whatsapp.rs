//! A stand-in for WhatsApp's chat server, for the WhatsApp Web channel: a WebSocket that
//! speaks WhatsApp's framing and the Noise XX handshake from the server's side, then sends
//! the `<pair-device>` request a real server sends to a device that is not linked yet.
//!
//! WhatsApp's certificate chain is signed with a key only WhatsApp has, so the tests build the
//! library with its `danger-skip-cert-chain-verify` feature (our `whatsapp-web-standin`
//! feature, never used for a release). Everything else is the library's real code.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::handshake::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PrivateKey};
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::wacore_binary::marshal;
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
}

impl FakeWhatsApp {
    pub async fn start(behaviour: Behaviour) -> FakeWhatsApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/ws/chat", listener.local_addr().expect("addr"));
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
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
                            if let Err(error) = serve_pairing(socket).await {
                                eprintln!("fake WhatsApp: {error}");
                            }
                        }
                    }
                });
            }
        });
        FakeWhatsApp { url, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
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

/// The server's side of Noise XX; answers the two ciphers (to read, to write).
async fn handshake(
    socket: &mut Socket,
    frames: &mut Frames,
) -> Result<(NoiseCipher, NoiseCipher), String> {
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
    noise
        .decrypt(finish.payload.as_deref().ok_or("no client payload")?)
        .map_err(err)?;
    // The client writes with the first key and reads with the second.
    let (client_writes, client_reads) = noise.finish().map_err(err)?;
    Ok((client_writes, client_reads))
}

/// Completes the handshake, asks for pairing, then reads (and ignores) what the client says
/// until it goes.
async fn serve_pairing(mut socket: Socket) -> Result<(), String> {
    let mut frames = Frames {
        decoder: FrameDecoder::new(),
        first: true,
    };
    let (read, write) = handshake(&mut socket, &mut frames).await?;
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
    let plain = marshal(&pair_device).map_err(|e| e.to_string())?;
    let sealed = write
        .encrypt_with_counter(0, &plain)
        .map_err(|e| e.to_string())?;
    send_frame(&mut socket, &sealed).await?;
    let mut counter = 0;
    loop {
        let mut frame = frames.next(&mut socket).await?;
        read.decrypt_in_place_with_counter(counter, &mut frame)
            .map_err(|e| e.to_string())?;
        counter += 1;
    }
}
