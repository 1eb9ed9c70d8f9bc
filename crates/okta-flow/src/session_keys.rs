//! [`SessionKeys`]: the keys that encrypt server-side sessions (AES-256-GCM) and key the digests
//! they are stored under (HMAC-SHA256), with older keys kept for rotation.

// The client holds the keys with or without the `axum` feature; only its sessions use them.
#![cfg_attr(not(feature = "axum"), allow(dead_code))]

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce as AeadNonce, RandomizedNonceKey};
use aws_lc_rs::{hkdf, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_config::Settings;

use crate::SealError;

/// The labels of the keys derived from one secret (HKDF-SHA256 `info`), so that one secret
/// never keys two algorithms.
const DATA_LABEL: &[u8] = b"session-data v1";
const DIGEST_LABEL: &[u8] = b"session-id v1";
const TAG_LABEL: &[u8] = b"session-key-tag v1";

/// The keys of server-side sessions: the current one, which encrypts every write, and the
/// previous ones (rotation), which still read what they wrote.
///
/// From each secret two keys are derived with HKDF-SHA256 (a label each): an AES-256-GCM key for
/// the session data and an HMAC-SHA256 key for the digest of the session id the data is stored
/// under, plus a one-byte tag that the session ids it issues carry, so a session finds its key
/// without trying every one. `Debug` shows how many keys there are, never a key.
#[derive(Clone)]
pub struct SessionKeys {
    /// Current first.
    keys: Vec<std::sync::Arc<DerivedKeys>>,
    ephemeral: bool,
}

struct DerivedKeys {
    data: RandomizedNonceKey,
    digest: hmac::Key,
    tag: u8,
}

impl SessionKeys {
    /// The keys of the settings: `session.key`, else `cookie_secret`, as the current key, and
    /// every `session.previous_keys` entry. `None` when neither `session.key` nor
    /// `cookie_secret` is set.
    pub fn from_settings(settings: &Settings) -> Option<Self> {
        let session = settings.session();
        let current = match (session.key(), settings.cookie_secret()) {
            (Some(key), _) => key.secret(),
            (None, Some(secret)) => secret.secret(),
            (None, None) => return None,
        };
        let previous: Vec<&[u8]> =
            session.previous_keys().iter().map(okta_config::SessionKey::secret).collect();
        Some(Self::from_secrets(current, &previous))
    }

    /// Keys derived from `current` (at least 32 random bytes) and the `previous` secrets.
    pub fn from_secrets(current: &[u8], previous: &[&[u8]]) -> Self {
        let keys = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(|secret| std::sync::Arc::new(DerivedKeys::derive(secret)))
            .collect();
        Self { keys, ephemeral: false }
    }

    /// A random key for this process alone: sessions do not survive a restart and cannot be
    /// shared with another replica.
    pub fn generate() -> Result<Self, SealError> {
        let mut secret = [0_u8; 32];
        aws_lc_rs::rand::fill(&mut secret).map_err(|_| SealError::Encrypt)?;
        Ok(Self { ephemeral: true, ..Self::from_secrets(&secret, &[]) })
    }

    /// Whether these keys were [generated](Self::generate) for this process.
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// How many keys (the current one and the previous ones).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always `false`: there is a current key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The tag of the current key, which the ids of new sessions carry.
    pub(crate) fn current_tag(&self) -> u8 {
        self.keys[0].tag
    }

    /// The indices of the keys whose tag is `tag`, current first.
    pub(crate) fn with_tag(&self, tag: u8) -> impl Iterator<Item = usize> + '_ {
        self.keys.iter().enumerate().filter(move |(_, key)| key.tag == tag).map(|(i, _)| i)
    }

    /// The keyed digest (first 16 bytes of HMAC-SHA256) of `message` under key `index`.
    pub(crate) fn digest(&self, index: usize, message: &[u8]) -> [u8; 16] {
        let tag = hmac::sign(&self.keys[index].digest, message);
        let mut digest = [0_u8; 16];
        digest.copy_from_slice(&tag.as_ref()[..16]);
        digest
    }

    /// Encrypts `plaintext` with the current key, bound to `aad`: base64url of nonce,
    /// ciphertext and tag.
    pub(crate) fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String, SealError> {
        let mut buffer = plaintext.to_vec();
        let nonce = self.keys[0]
            .data
            .seal_in_place_append_tag(Aad::from(aad), &mut buffer)
            .map_err(|_| SealError::Encrypt)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + buffer.len());
        bytes.extend_from_slice(nonce.as_ref());
        bytes.extend_from_slice(&buffer);
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Decrypts what [`seal`](Self::seal) made under any of the keys; `None` if no key opens
    /// it (altered, moved to another id, or sealed with a key that was removed).
    pub(crate) fn open(&self, sealed: &str, aad: &[u8]) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.keys.iter().find_map(|key| {
            let nonce = AeadNonce::try_assume_unique_for_key(nonce).ok()?;
            let mut buffer = ciphertext.to_vec();
            let plaintext = key.data.open_in_place(nonce, Aad::from(aad), &mut buffer).ok()?;
            Some(plaintext.to_vec())
        })
    }
}

impl DerivedKeys {
    fn derive(secret: &[u8]) -> Self {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"okta-flow").extract(secret);
        let expand = |label: &[u8], out: &mut [u8]| {
            struct Len(usize);
            impl hkdf::KeyType for Len {
                fn len(&self) -> usize {
                    self.0
                }
            }
            prk.expand(&[label], Len(out.len()))
                .and_then(|okm| okm.fill(out))
                .expect("HKDF-SHA256 can always expand 32 bytes");
        };
        let (mut data, mut digest, mut tag) = ([0_u8; 32], [0_u8; 32], [0_u8; 1]);
        expand(DATA_LABEL, &mut data);
        expand(DIGEST_LABEL, &mut digest);
        expand(TAG_LABEL, &mut tag);
        Self {
            data: RandomizedNonceKey::new(&AES_256_GCM, &data)
                .expect("32 bytes is the AES-256-GCM key length"),
            digest: hmac::Key::new(hmac::HMAC_SHA256, &digest),
            tag: tag[0],
        }
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("keys", &self.keys.len())
            .field("ephemeral", &self.ephemeral)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::SessionKeys;

    const OLD: &[u8] = b"an old secret of 32 bytes or more.....";
    const NEW: &[u8] = b"a new secret of 32 bytes or more......";

    #[test]
    fn data_sealed_under_an_old_key_opens_after_rotation_and_not_after_removal() {
        let old = SessionKeys::from_secrets(OLD, &[]);
        let sealed = old.seal(b"tokens", b"slot").expect("sealed");
        let rotated = SessionKeys::from_secrets(NEW, &[OLD]);
        assert_eq!(rotated.open(&sealed, b"slot").as_deref(), Some(&b"tokens"[..]));
        assert_eq!(rotated.open(&sealed, b"another slot"), None, "bound to its slot");
        let removed = SessionKeys::from_secrets(NEW, &[]);
        assert_eq!(removed.open(&sealed, b"slot"), None);
        assert!(!sealed.contains("tokens"));
    }

    #[test]
    fn digests_depend_on_the_key_and_debug_shows_no_key() {
        let keys = SessionKeys::from_secrets(NEW, &[OLD]);
        assert_ne!(keys.digest(0, b"id"), keys.digest(1, b"id"));
        assert_eq!(keys.digest(0, b"id"), SessionKeys::from_secrets(NEW, &[]).digest(0, b"id"));
        assert_eq!(format!("{keys:?}"), "SessionKeys { keys: 2, ephemeral: false, .. }");
    }
}
