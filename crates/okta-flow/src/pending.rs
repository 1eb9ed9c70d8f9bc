//! A login in progress, and its sealed form: what the callback must check, carried in a cookie so
//! that any replica of a service can finish the login it did not start.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce as AeadNonce, RandomizedNonceKey};
use aws_lc_rs::hkdf;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_config::CookieSecret;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier};
use serde::{Deserialize, Serialize};

/// How long a pending login may wait for its callback: the lifetime of an Okta authorization
/// code, which the sign-in must produce and the callback redeem within (plus clock leeway).
pub const PENDING_LOGIN_LIFETIME: Duration = Duration::from_mins(5);

/// The largest sealed login accepted by [`PendingLogin::unseal`]; browsers keep cookies of up
/// to 4096 bytes, name and attributes included.
pub const MAX_SEALED_LEN: usize = 3072;

/// The largest `return_to` kept in a pending login, so that the sealed form fits in a cookie.
pub const MAX_RETURN_TO_LEN: usize = 1024;

const VERSION_PREFIX: &str = "v1.";
const AAD: &[u8] = b"okta-flow pending-login v1";
const TAG_LEN: usize = 16;

/// What the callback must check for one login: the `state`, the `nonce`, the PKCE verifier, the
/// redirect URI and when it all started. Created by [`OktaClient::authorize`](crate::OktaClient::authorize).
///
/// Keep it server-side (a session), or [`seal`](Self::seal) it into a short-lived cookie. Its
/// `Debug` output redacts the secrets.
#[derive(Debug)]
pub struct PendingLogin {
    pub(crate) state: CsrfToken,
    pub(crate) nonce: Nonce,
    pub(crate) pkce_verifier: PkceCodeVerifier,
    pub(crate) redirect_uri: String,
    pub(crate) issued_at: u64,
    pub(crate) max_age: Option<u64>,
    pub(crate) return_to: Option<String>,
}

impl PendingLogin {
    /// Starts a login: a fresh 256-bit `state` and `nonce`, and a PKCE verifier of 32 random
    /// octets (43 characters, RFC 7636 §4.1), whose S256 challenge is returned alongside.
    pub(crate) fn start(
        redirect_uri: &str,
        now: SystemTime,
        max_age: Option<Duration>,
    ) -> (Self, PkceCodeChallenge) {
        let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256_len(32);
        let pending = Self {
            state: CsrfToken::new_random_len(32),
            nonce: Nonce::new_random_len(32),
            pkce_verifier,
            redirect_uri: redirect_uri.to_owned(),
            issued_at: now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs(),
            max_age: max_age.map(|age| age.as_secs()),
            return_to: None,
        };
        (pending, challenge)
    }

    /// The redirect URI the authorization request used; the code exchange must send it again.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// When the authorization URL was built.
    pub fn issued_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.issued_at)
    }

    /// The `max_age` requested, if any: the ID token's `auth_time` must honour it.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age.map(Duration::from_secs)
    }

    /// Where the application wants to send the user once signed in, if it said so.
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }

    /// Remembers where to send the user after sign-in (kept only if at most
    /// [`MAX_RETURN_TO_LEN`] bytes). Validate it as a same-origin path before using it.
    #[must_use]
    pub fn with_return_to(mut self, return_to: impl Into<String>) -> Self {
        let return_to = return_to.into();
        self.return_to = (return_to.len() <= MAX_RETURN_TO_LEN).then_some(return_to);
        self
    }

    /// Encrypts and authenticates this login into a URL-safe string of at most
    /// [`MAX_SEALED_LEN`] bytes, for a cookie. Only [`unseal`](Self::unseal) with the same key
    /// can read it, and only for [`PENDING_LOGIN_LIFETIME`] after it was issued.
    pub fn seal(&self, key: &SealingKey) -> Result<String, SealError> {
        let sealed = SealedForm {
            state: self.state.secret().clone(),
            nonce: self.nonce.secret().clone(),
            verifier: self.pkce_verifier.secret().clone(),
            redirect_uri: self.redirect_uri.clone(),
            issued_at: self.issued_at,
            max_age: self.max_age,
            return_to: self.return_to.clone(),
        };
        let mut buffer = serde_json::to_vec(&sealed).map_err(|_| SealError::Encrypt)?;
        let nonce = key
            .0
            .seal_in_place_append_tag(Aad::from(AAD), &mut buffer)
            .map_err(|_| SealError::Encrypt)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + buffer.len());
        bytes.extend_from_slice(nonce.as_ref());
        bytes.extend_from_slice(&buffer);
        let text = format!("{VERSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        if text.len() > MAX_SEALED_LEN {
            return Err(SealError::TooLarge { len: text.len() });
        }
        Ok(text)
    }

    /// Opens a login sealed by [`seal`](Self::seal), refusing anything altered, sealed with
    /// another key, or older than [`PENDING_LOGIN_LIFETIME`] plus `leeway`.
    pub fn unseal(
        key: &SealingKey,
        sealed: &str,
        now: SystemTime,
        leeway: Duration,
    ) -> Result<Self, UnsealError> {
        if sealed.len() > MAX_SEALED_LEN {
            return Err(UnsealError::Malformed);
        }
        let encoded = sealed.strip_prefix(VERSION_PREFIX).ok_or(UnsealError::Malformed)?;
        let mut bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| UnsealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(UnsealError::Malformed);
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce =
            AeadNonce::try_assume_unique_for_key(&bytes).map_err(|_| UnsealError::Malformed)?;
        let plaintext = key
            .0
            .open_in_place(nonce, Aad::from(AAD), &mut ciphertext)
            .map_err(|_| UnsealError::Tampered)?;
        let sealed: SealedForm =
            serde_json::from_slice(plaintext).map_err(|_| UnsealError::Malformed)?;

        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        if sealed.issued_at > now.saturating_add(leeway.as_secs()) {
            return Err(UnsealError::IssuedInFuture);
        }
        let deadline = sealed
            .issued_at
            .saturating_add(PENDING_LOGIN_LIFETIME.as_secs())
            .saturating_add(leeway.as_secs());
        if now > deadline {
            return Err(UnsealError::Expired);
        }
        Ok(Self {
            state: CsrfToken::new(sealed.state),
            nonce: Nonce::new(sealed.nonce),
            pkce_verifier: PkceCodeVerifier::new(sealed.verifier),
            redirect_uri: sealed.redirect_uri,
            issued_at: sealed.issued_at,
            max_age: sealed.max_age,
            return_to: sealed.return_to,
        })
    }
}

/// The plaintext inside a sealed login; short field names keep the cookie small.
#[derive(Serialize, Deserialize)]
struct SealedForm {
    #[serde(rename = "s")]
    state: String,
    #[serde(rename = "n")]
    nonce: String,
    #[serde(rename = "v")]
    verifier: String,
    #[serde(rename = "r")]
    redirect_uri: String,
    #[serde(rename = "t")]
    issued_at: u64,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    max_age: Option<u64>,
    #[serde(rename = "rt", default, skip_serializing_if = "Option::is_none")]
    return_to: Option<String>,
}

/// The AES-256-GCM key that seals pending logins, derived from the `cookie_secret` setting.
pub struct SealingKey(RandomizedNonceKey);

impl SealingKey {
    /// Derives the key from the service's cookie secret (HKDF-SHA256, with a label of its own, so
    /// the same secret can key other cookies without reuse). Every replica derives the same key.
    ///
    /// # Panics
    ///
    /// Never: the derivation fails only for lengths this function does not use.
    pub fn from_cookie_secret(secret: &CookieSecret) -> Self {
        Self::derive(secret.secret())
    }

    /// A random key for a single process (development, or one replica): logins started before a
    /// restart cannot be finished after it.
    pub fn generate() -> Result<Self, SealError> {
        let mut bytes = [0_u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SealError::Encrypt)?;
        Ok(Self::derive(&bytes))
    }

    fn derive(secret: &[u8]) -> Self {
        struct KeyLen;
        impl hkdf::KeyType for KeyLen {
            fn len(&self) -> usize {
                32
            }
        }
        let mut key = [0_u8; 32];
        hkdf::Salt::new(hkdf::HKDF_SHA256, b"okta-flow")
            .extract(secret)
            .expand(&[b"pending-login v1"], KeyLen)
            .and_then(|okm| okm.fill(&mut key))
            .expect("HKDF-SHA256 can always expand 32 bytes");
        Self(
            RandomizedNonceKey::new(&AES_256_GCM, &key)
                .expect("32 bytes is the AES-256-GCM key length"),
        )
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

/// Why a pending login could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The cryptographic library failed (no randomness available).
    #[error("the pending login could not be encrypted")]
    Encrypt,
    /// The sealed form would not fit in a cookie (a very long redirect URI).
    #[error("the sealed pending login is {len} bytes, more than a cookie can carry")]
    TooLarge {
        /// The sealed length in bytes.
        len: usize,
    },
}

/// Why a sealed pending login was refused. None of these says more, so that a probing client
/// learns nothing about the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsealError {
    /// It was sealed more than five minutes (plus leeway) ago: start the sign-in again.
    #[error("the pending login has expired; start the sign-in again")]
    Expired,
    /// It claims to be issued in the future: the clocks of the replicas disagree.
    #[error("the pending login was issued in the future; check the replicas' clocks")]
    IssuedInFuture,
    /// It is not a sealed pending login (wrong version, encoding or length).
    #[error("the pending login is malformed")]
    Malformed,
    /// It was altered, or sealed with another key.
    #[error("the pending login was altered or sealed with another key")]
    Tampered,
}

#[cfg(test)]
mod tests;
