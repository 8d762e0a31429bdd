//! Random secrets and their stored form: session ids, API tokens, invitation and setup codes
//! are random, shown once, and only their SHA-256 digest is kept on disk.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source does not fail on Linux after boot; if it ever did, continuing
    // with predictable secrets would be worse than stopping.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A new secret of 160 random bits, as `prefix` followed by hex.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", hex(&random_bytes::<20>()))
}

/// The stored form of a high-entropy secret.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Characters of a code a person types: no 0/O, 1/I/L confusion.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A code a person reads from a log and types: `XXXX-XXXX-XXXX` (about 59 bits).
pub fn new_code() -> String {
    let bytes = random_bytes::<12>();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed code in its canonical form: upper case, without spaces or dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_long() {
        let a = new_token("ccl_");
        let b = new_token("ccl_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 40);
        assert!(a.starts_with("ccl_"));
    }

    #[test]
    fn codes_read_well_and_compare_loosely() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalize_code(&typed), normalize_code(&code));
    }

    #[test]
    fn digests_are_stable_and_comparison_is_exact() {
        assert_eq!(digest("x"), digest("x"));
        assert_ne!(digest("x"), digest("y"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
