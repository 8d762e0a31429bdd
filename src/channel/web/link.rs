//! The state of the link between Cocolu and the shop's phone, as the dashboard shows it:
//! connecting, waiting for the QR code (or the pairing code) to be entered on the phone,
//! connected with the linked number, disconnected (the library reconnects on its own), or
//! logged out (unlinked from the phone, or refused by WhatsApp: pairing again is needed).
//!
//! [`next`] is the pure rule that turns the library's events into states.

use whatsapp_rust::wacore::types::events::{ConnectFailureReason, Event};

pub use cocolu_core::model::LinkState;

/// Words for why WhatsApp ended the link.
fn logout_reason(reason: ConnectFailureReason) -> String {
    match reason {
        ConnectFailureReason::LoggedOut => "unlinked from the phone".into(),
        ConnectFailureReason::TempBanned => "temporarily banned by WhatsApp".into(),
        ConnectFailureReason::AccountLocked => "the account is locked by WhatsApp".into(),
        ConnectFailureReason::ClientOutdated => {
            "this version of the WhatsApp Web library is too old; update Cocolu".into()
        }
        other => format!("refused by WhatsApp ({other:?})"),
    }
}

/// The state after `event`, or `None` when the event does not change it. `now` is in ms since
/// the epoch; `number` is the linked number when the store knows it (after pairing).
pub fn next(
    current: &LinkState,
    event: &Event,
    now: i64,
    number: Option<&str>,
) -> Option<LinkState> {
    let (qr, code) = match current {
        LinkState::Pairing { qr, code, .. } => (qr.clone(), code.clone()),
        _ => (None, None),
    };
    let until = |timeout: std::time::Duration| {
        now.saturating_add(i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX))
    };
    Some(match event {
        Event::PairingQrCode(e) => LinkState::Pairing {
            qr: Some(e.code.clone()),
            code,
            expires_at: until(e.timeout),
        },
        Event::PairingCode(e) => LinkState::Pairing {
            qr,
            code: Some(e.code.clone()),
            expires_at: until(e.timeout),
        },
        Event::PairSuccess(_) => LinkState::Connecting,
        Event::PairError(e) => LinkState::LoggedOut {
            reason: format!("pairing failed: {}", e.error),
        },
        Event::PairingQrCodesExhausted(_) => LinkState::LoggedOut {
            reason: "the QR codes ran out before one was scanned; start pairing again".into(),
        },
        Event::Connected(_) => LinkState::Connected {
            number: number.map(str::to_string),
        },
        Event::Disconnected(e) => LinkState::Disconnected {
            reason: e.reason.to_string(),
            since: now,
        },
        Event::LoggedOut(e) => LinkState::LoggedOut {
            reason: logout_reason(e.reason),
        },
        Event::ClientOutdated(_) => LinkState::LoggedOut {
            reason: logout_reason(ConnectFailureReason::ClientOutdated),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use whatsapp_rust::wacore::net::DisconnectReason;
    use whatsapp_rust::wacore::types::events::{
        Connected, Disconnected, LoggedOut, PairingCode, PairingQrCode, PairingQrCodesExhausted,
        QrScannedWithoutMultidevice,
    };

    #[test]
    fn pairing_shows_the_rotating_qr_and_the_code_until_connected() {
        let qr = |code: &str| {
            Event::PairingQrCode(
                PairingQrCode::builder()
                    .code(code.to_string())
                    .timeout(Duration::from_secs(60))
                    .build(),
            )
        };
        let first = next(&LinkState::Connecting, &qr("2@first"), 1_000, None).expect("pairing");
        assert_eq!(
            first,
            LinkState::Pairing {
                qr: Some("2@first".into()),
                code: None,
                expires_at: 61_000
            }
        );
        let code = Event::PairingCode(
            PairingCode::builder()
                .code("ABCD-EFGH".to_string())
                .timeout(Duration::from_secs(180))
                .build(),
        );
        let with_code = next(&first, &code, 2_000, None).expect("code");
        let rotated = next(&with_code, &qr("2@second"), 21_000, None).expect("rotated");
        assert_eq!(
            rotated,
            LinkState::Pairing {
                qr: Some("2@second".into()),
                code: Some("ABCD-EFGH".into()),
                expires_at: 81_000
            },
            "a new QR keeps the pairing code"
        );
        let connected = next(
            &rotated,
            &Event::Connected(Connected::builder().build()),
            30_000,
            Some("584121234567"),
        )
        .expect("connected");
        assert_eq!(
            connected,
            LinkState::Connected {
                number: Some("584121234567".into())
            }
        );
    }

    #[test]
    fn drops_and_logouts_say_why() {
        let connected = LinkState::Connected { number: None };
        let dropped = next(
            &connected,
            &Event::Disconnected(
                Disconnected::builder()
                    .reason(DisconnectReason::StreamEnded)
                    .build(),
            ),
            5_000,
            None,
        )
        .expect("dropped");
        assert!(
            matches!(&dropped, LinkState::Disconnected { since: 5_000, reason } if !reason.is_empty()),
            "{dropped:?}"
        );
        let out = next(
            &connected,
            &Event::LoggedOut(
                LoggedOut::builder()
                    .on_connect(false)
                    .reason(ConnectFailureReason::LoggedOut)
                    .build(),
            ),
            6_000,
            None,
        )
        .expect("logged out");
        assert_eq!(
            out,
            LinkState::LoggedOut {
                reason: "unlinked from the phone".into()
            }
        );
        let exhausted = next(
            &LinkState::Connecting,
            &Event::PairingQrCodesExhausted(
                PairingQrCodesExhausted::builder()
                    .disconnected(true)
                    .build(),
            ),
            7_000,
            None,
        )
        .expect("exhausted");
        assert!(matches!(exhausted, LinkState::LoggedOut { .. }));
        // Other events leave the state as it is.
        let other =
            Event::QrScannedWithoutMultidevice(QrScannedWithoutMultidevice::builder().build());
        assert_eq!(next(&connected, &other, 8_000, None), None);
        // The dashboard reads the state as JSON tagged by `state`.
        assert_eq!(
            serde_json::to_value(&connected).expect("json"),
            serde_json::json!({"state": "connected", "number": null})
        );
    }
}
