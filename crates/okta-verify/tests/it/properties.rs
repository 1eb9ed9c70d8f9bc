//! Properties checked with `proptest` (SC-120): every single-bit flip of a valid token is refused,
//! and the time claims switch from accepted to refused exactly at their leeway boundaries.

use proptest::prelude::*;
use serde_json::json;

use crate::support::{Key, NOW, access_claims, access_token, access_verifier, patched, token};

/// One runtime for every case: a current-thread runtime per case would dominate the run time.
fn verify(token: &str) -> Result<(), String> {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime =
            tokio::runtime::Builder::new_current_thread().build().unwrap();
    }
    let verifier = access_verifier();
    RUNTIME
        .with(|runtime| runtime.block_on(verifier.verify(token)))
        .map(|_| ())
        .map_err(|err| err.kind().to_owned())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any single-bit flip of a valid token, anywhere in the header, payload or signature, is
    /// refused (bits 0 to 6: a flipped bit 7 is not UTF-8, so no caller can even pass it).
    #[test]
    fn a_single_bit_flip_is_always_refused(position in any::<prop::sample::Index>(), bit in 0_u8..7) {
        let valid = access_token();
        prop_assume!(verify(&valid).is_ok());
        let mut bytes = valid.into_bytes();
        let index = position.index(bytes.len());
        bytes[index] ^= 1 << bit;
        let flipped = String::from_utf8(bytes).expect("flipping bits 0-6 of ASCII stays ASCII");
        prop_assert!(verify(&flipped).is_err(), "accepted a flip of bit {} at {}", bit, index);
    }

    /// `exp`: accepted while `now < exp + leeway` (120 s), refused from then on.
    #[test]
    fn exp_switches_at_the_leeway(offset in -1_000_i64..1_000) {
        let exp = NOW + offset;
        let claims = patched(access_claims(), &json!({ "exp": exp, "iat": NOW - 3000 }));
        let result = verify(&token(Key::RsaA, &claims));
        if NOW < exp + 120 {
            prop_assert_eq!(result, Ok(()));
        } else {
            prop_assert_eq!(result, Err("expired".to_owned()));
        }
    }

    /// `nbf`: refused while `nbf > now + leeway`.
    #[test]
    fn nbf_switches_at_the_leeway(offset in -1_000_i64..1_000) {
        let nbf = NOW + offset;
        let claims = patched(access_claims(), &json!({ "nbf": nbf }));
        let result = verify(&token(Key::RsaA, &claims));
        if nbf > NOW + 120 {
            prop_assert_eq!(result, Err("not_yet_valid".to_owned()));
        } else {
            prop_assert_eq!(result, Ok(()));
        }
    }

    /// `iat`: refused when after `now + leeway`.
    #[test]
    fn iat_switches_at_the_leeway(offset in -1_000_i64..1_000) {
        let iat = NOW + offset;
        let claims = patched(access_claims(), &json!({ "iat": iat, "exp": NOW + 3600 }));
        let result = verify(&token(Key::RsaA, &claims));
        if iat > NOW + 120 {
            prop_assert_eq!(result, Err("issued_in_future".to_owned()));
        } else {
            prop_assert_eq!(result, Ok(()));
        }
    }

    /// A fractional `exp` is rounded down (conservative): `now + leeway` itself is refused.
    #[test]
    fn fractional_exp_is_rounded_down(fraction in 0.0_f64..0.999) {
        let exp = f64::from(i32::try_from(NOW - 120).expect("NOW fits in i32")) + fraction;
        let claims = patched(access_claims(), &json!({ "exp": exp, "iat": NOW - 3000 }));
        prop_assert_eq!(verify(&token(Key::RsaA, &claims)), Err("expired".to_owned()));
    }
}

#[test]
fn the_valid_token_of_these_properties_is_accepted() {
    // Guards the `prop_assume!`: if the fixture stopped verifying, the properties would prove nothing.
    assert_eq!(verify(&access_token()), Ok(()));
}
