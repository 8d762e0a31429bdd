//! `X-Hub-Signature-256`: Meta signs each webhook body with HMAC-SHA256 keyed by the app
//! secret. It is checked on the raw bytes, in constant time, before anything is parsed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a signature was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not `sha256=` and 64 hex digits")]
    Malformed,
    #[error("the signature does not match the body and the app secret")]
    Mismatch,
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks `header` (the value of `X-Hub-Signature-256`) against `body`.
pub fn verify(app_secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex(hex)
        .filter(|b| b.len() == 32)
        .ok_or(SignatureError::Malformed)?;
    // HMAC accepts keys of any length, so this does not fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value for `body` (what Meta sends; used by tests and tools).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret) else {
        return String::new();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";

    #[test]
    fn a_body_signed_with_the_secret_passes() {
        let body = "{\"text\":\"¿Cuánto cuesta? 😀\"}".as_bytes();
        assert_eq!(verify(SECRET, body, Some(&sign(SECRET, body))), Ok(()));
    }

    #[test]
    fn one_changed_byte_fails() {
        let body = b"{\"a\":1}".to_vec();
        let header = sign(SECRET, &body);
        let mut changed = body.clone();
        changed[5] = b'2';
        assert_eq!(
            verify(SECRET, &changed, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_wrong_secret_fails() {
        let body = b"{}";
        assert_eq!(
            verify(b"other", body, Some(&sign(SECRET, body))),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        assert_eq!(verify(SECRET, b"{}", None), Err(SignatureError::Missing));
        assert_eq!(
            verify(SECRET, b"{}", Some("sha1=abc")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, b"{}", Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, b"{}", Some("sha256=abcd")),
            Err(SignatureError::Malformed)
        );
    }
}
