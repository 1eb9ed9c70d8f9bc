//! Unit tests of the compact-JWS parser (the attack catalogue runs in `tests/it/jose.rs`).

use crate::VerifyError;
use crate::jws::{Algorithm, parse};

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn kind(token: &str) -> &'static str {
    parse(token, &[Algorithm::Rs256], 1024, &mut crate::jws::Buffers::new())
        .map_or_else(|err| err.kind(), |_| "ok")
}

#[test]
fn a_well_formed_token_is_split() {
    let token = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","kid":"k","typ":"JWT","x5u":"u"}"#),
        b64("{}"),
        b64("sig")
    );
    let mut buffers = crate::jws::Buffers::new();
    let jws = parse(&token, &[Algorithm::Rs256], 1024, &mut buffers).unwrap();
    assert_eq!(jws.alg, Algorithm::Rs256);
    assert_eq!(jws.kid.as_deref(), Some("k"));
    assert_eq!(jws.typ.as_deref(), Some("JWT"));
    assert_eq!(jws.signature, b"sig");
    assert_eq!(&*jws.payload, b"{}");
    assert_eq!(jws.signing_input, token.rsplit_once('.').unwrap().0.as_bytes());
}

#[test]
fn escaped_member_names_and_values_are_decoded() {
    let header = r#"{"\u0061lg":"RS\u0032\u0035\u0036","kid":"a\"b"}"#;
    let token = format!("{}.{}.{}", b64(header), b64("{}"), b64("sig"));
    let mut buffers = crate::jws::Buffers::new();
    let jws = parse(&token, &[Algorithm::Rs256], 1024, &mut buffers).unwrap();
    assert_eq!(jws.kid.as_deref(), Some("a\"b"));
}

#[test]
fn length_cap_is_checked_first() {
    let token = "x".repeat(1025);
    assert!(matches!(
        parse(&token, &[Algorithm::Rs256], 1024, &mut crate::jws::Buffers::new()),
        Err(VerifyError::TokenTooLarge { len: 1025, max: 1024 })
    ));
    assert_eq!(kind(&"x".repeat(1024)), "malformed");
}

#[test]
fn algorithm_names_are_exact() {
    for name in ["RS256", "rs256", "Rs256", "RS256\u{0}", "HS256", "none", "EdDSA", "ES256K"] {
        let header = format!(r#"{{"alg":{}}}"#, serde_json::to_string(name).unwrap());
        let token = format!("{}.{}.{}", b64(&header), b64("{}"), b64("sig"));
        let expected = match name {
            "RS256" => "ok",
            "RS256\u{0}" => "malformed",
            _ => "algorithm_not_allowed",
        };
        assert_eq!(kind(&token), expected, "{name:?}");
    }
    assert_eq!(Algorithm::from_name("RS256"), Some(Algorithm::Rs256));
    assert_eq!(Algorithm::from_name("rs256"), None);
    for alg in Algorithm::ALL {
        assert_eq!(Algorithm::from_name(alg.as_str()), Some(alg));
        assert_eq!(Algorithm::ALL[alg.index()], alg);
    }
}

#[test]
fn five_segments_is_a_jwe_and_others_are_malformed() {
    assert_eq!(kind("a.b.c.d.e"), "jwe_unsupported");
    for token in ["a.b.c.d", "a.b.c.d.e.f", "abc", "a..b.c"] {
        assert_eq!(kind(token), "malformed", "{token}");
    }
}
