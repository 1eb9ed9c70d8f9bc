//! Tests of pending logins: sealing round trips, and refusal of tampering, other keys and age.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_config::CookieSecret;

use super::*;

const LEEWAY: Duration = Duration::from_mins(2);

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn key(byte: u8) -> SealingKey {
    SealingKey::from_cookie_secret(&CookieSecret::from_bytes(vec![byte; 32]).unwrap())
}

fn login() -> PendingLogin {
    let (pending, _) = PendingLogin::start(
        "http://127.0.0.1:8080/authorization-code/callback",
        t(1_000_000),
        Some(Duration::from_secs(600)),
    );
    pending.with_return_to("/orders?id=42")
}

#[test]
fn a_sealed_login_opens_with_the_same_key_and_keeps_everything() {
    let pending = login();
    let sealed = pending.seal(&key(1)).unwrap();
    assert!(sealed.starts_with("v1."));
    assert!(sealed.len() < 600, "small enough for a cookie: {} bytes", sealed.len());
    let opened = PendingLogin::unseal(&key(1), &sealed, t(1_000_010), LEEWAY).unwrap();
    assert_eq!(opened.state.secret(), pending.state.secret());
    assert_eq!(opened.nonce.secret(), pending.nonce.secret());
    assert_eq!(opened.pkce_verifier.secret(), pending.pkce_verifier.secret());
    assert_eq!(opened.redirect_uri(), pending.redirect_uri());
    assert_eq!(opened.issued_at(), t(1_000_000));
    assert_eq!(opened.max_age(), Some(Duration::from_secs(600)));
    assert_eq!(opened.return_to(), Some("/orders?id=42"));
}

#[test]
fn secrets_are_fresh_random_and_long_enough() {
    let (a, challenge) = PendingLogin::start("https://a.example/cb", t(0), None);
    let (b, _) = PendingLogin::start("https://a.example/cb", t(0), None);
    // 32 random octets, base64url: 43 characters, 256 bits (RFC 6749 §10.10, RFC 7636 §4.1).
    for value in [a.state.secret(), a.nonce.secret(), a.pkce_verifier.secret()] {
        assert_eq!(value.len(), 43);
        assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
    assert_ne!(a.state.secret(), b.state.secret());
    assert_ne!(a.nonce.secret(), b.nonce.secret());
    assert_ne!(a.state.secret(), a.nonce.secret());
    assert_eq!(challenge.method().as_str(), "S256");
}

#[test]
fn sealing_twice_gives_different_strings() {
    let pending = login();
    assert_ne!(pending.seal(&key(1)).unwrap(), pending.seal(&key(1)).unwrap());
}

#[test]
fn another_key_is_refused() {
    let sealed = login().seal(&key(1)).unwrap();
    assert_eq!(
        PendingLogin::unseal(&key(2), &sealed, t(1_000_010), LEEWAY).unwrap_err(),
        UnsealError::Tampered
    );
}

#[test]
fn any_changed_byte_is_refused() {
    let sealed = login().seal(&key(1)).unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
    for i in 0..bytes.len() {
        let mut altered = bytes.clone();
        altered[i] ^= 0x01;
        let altered = format!("v1.{}", URL_SAFE_NO_PAD.encode(altered));
        assert_eq!(
            PendingLogin::unseal(&key(1), &altered, t(1_000_010), LEEWAY).unwrap_err(),
            UnsealError::Tampered,
            "byte {i}"
        );
    }
}

#[test]
fn age_past_five_minutes_plus_leeway_is_refused() {
    let sealed = login().seal(&key(1)).unwrap();
    let open = |now| PendingLogin::unseal(&key(1), &sealed, t(now), LEEWAY).map(|_| ());
    assert_eq!(open(1_000_000 + 300 + 120), Ok(()));
    assert_eq!(open(1_000_000 + 300 + 121), Err(UnsealError::Expired));
    assert_eq!(open(1_000_000 - 120), Ok(()));
    assert_eq!(open(1_000_000 - 121), Err(UnsealError::IssuedInFuture));
}

#[test]
fn garbage_is_malformed_not_a_panic() {
    let long = "v1.".to_owned() + &"A".repeat(MAX_SEALED_LEN);
    for input in [
        "",
        "v1.",
        "v2.AAAA",
        "v1.!!!!",
        "v1.AAAA",
        "v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        long.as_str(),
    ] {
        assert_eq!(
            PendingLogin::unseal(&key(1), input, t(1_000_010), LEEWAY).unwrap_err(),
            UnsealError::Malformed,
            "{input:?}"
        );
    }
}

#[test]
fn nothing_secret_in_debug_or_errors() {
    let pending = login();
    let debug = format!("{pending:?} {:?}", key(1));
    for secret in [pending.state.secret(), pending.nonce.secret(), pending.pkce_verifier.secret()] {
        assert!(!debug.contains(secret.as_str()), "{debug}");
    }
    assert!(debug.contains("SealingKey([redacted])"));
    let sealed = pending.seal(&key(1)).unwrap();
    let err = PendingLogin::unseal(&key(2), &sealed, t(1_000_010), LEEWAY).unwrap_err();
    assert!(!err.to_string().contains(&sealed[3..20]));
}

#[test]
fn an_overlong_return_to_is_dropped_rather_than_breaking_the_cookie() {
    let pending = login().with_return_to("/".repeat(MAX_RETURN_TO_LEN + 1));
    assert_eq!(pending.return_to(), None);
    let pending = login().with_return_to("/".repeat(MAX_RETURN_TO_LEN));
    assert!(pending.seal(&key(1)).unwrap().len() <= MAX_SEALED_LEN);
}

#[test]
fn replicas_sharing_the_cookie_secret_share_the_key() {
    let secret = CookieSecret::from_bytes((0..32).collect()).unwrap();
    let sealed = login().seal(&SealingKey::from_cookie_secret(&secret)).unwrap();
    let other_replica = SealingKey::from_cookie_secret(&secret);
    assert!(PendingLogin::unseal(&other_replica, &sealed, t(1_000_001), LEEWAY).is_ok());
    let random = SealingKey::generate().unwrap();
    assert_eq!(
        PendingLogin::unseal(&random, &sealed, t(1_000_001), LEEWAY).unwrap_err(),
        UnsealError::Tampered
    );
}

mod properties {
    //! SC-120: the sealed-state format never panics and never opens what it did not seal.
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn random_text_never_opens(text in ".{0,400}") {
            prop_assert!(PendingLogin::unseal(&key(1), &text, t(1_000_010), LEEWAY).is_err());
        }

        #[test]
        fn random_v1_payloads_never_open(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes));
            prop_assert!(PendingLogin::unseal(&key(1), &text, t(1_000_010), LEEWAY).is_err());
        }

        #[test]
        fn any_bit_flip_of_a_sealed_login_is_refused(position in any::<prop::sample::Index>(), bit in 0_u8..8) {
            let sealed = login().seal(&key(1)).unwrap();
            let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
            let index = position.index(bytes.len());
            bytes[index] ^= 1 << bit;
            let altered = format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes));
            prop_assert_eq!(
                PendingLogin::unseal(&key(1), &altered, t(1_000_010), LEEWAY).unwrap_err(),
                UnsealError::Tampered
            );
        }
    }
}

#[test]
fn sc020_states_and_nonces_are_unique_over_100k_logins() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100_000 {
        let (pending, _) = PendingLogin::start("https://a.example/cb", t(0), None);
        assert!(seen.insert(pending.state.secret().clone()), "a repeated state");
        assert!(seen.insert(pending.nonce.secret().clone()), "a repeated nonce");
    }
}

#[test]
fn sc022_pkce_s256_matches_the_rfc_7636_known_answer() {
    // RFC 7636 Appendix B, through the same openidconnect function our logins use.
    let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    assert_eq!(challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_eq!(challenge.method().as_str(), "S256");
}
