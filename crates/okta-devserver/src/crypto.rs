//! The cryptographic helpers the endpoints share: random tokens and identifiers from aws-lc's
//! CSPRNG, SHA-256, base64url (the JOSE encoding) and constant-time comparison of secrets.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A URL-safe random string carrying `n_bytes` bytes of entropy from the system CSPRNG.
pub(crate) fn random_token(n_bytes: usize) -> String {
    b64url(&random_bytes(n_bytes))
}

/// `n` lower-case ASCII letters, for paths and identifiers.
pub(crate) fn random_letters(n: usize) -> String {
    random_bytes(n).iter().map(|byte| char::from(b'a' + byte % 26)).collect()
}

/// `n` letters of RFC 8628 §6.1's user-code alphabet: upper-case consonants without `Y`,
/// easy to read aloud and type, which cannot spell words.
pub(crate) fn random_user_code(n: usize) -> String {
    const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
    random_bytes(n).iter().map(|byte| char::from(ALPHABET[usize::from(*byte) % 20])).collect()
}

/// Random bytes from aws-lc's CSPRNG.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    // aws-lc's generator only fails when the operating system cannot give entropy at all; a
    // dev server without entropy is broken beyond repair, and there is no caller to report to.
    aws_lc_rs::rand::fill(&mut bytes).expect("the operating system supplies random bytes");
    bytes
}

/// Base64url without padding, the JOSE encoding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of `input`.
pub(crate) fn sha256(input: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input).as_ref().to_vec()
}

/// Compares two secrets in constant time (for equal lengths).
pub(crate) fn secrets_equal(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests;
