//! Published vectors: RFC 7515 Appendix A.2 (RS256) and A.3 (ES256), RFC 7520 §4.1 (RS256, with
//! an independent signer reproducing it), and a transcribed subset of
//! Wycheproof's JSON Web Signature tests (`tests/data/wycheproof-jws-subset.json`), checked at the
//! JWS level since their payloads are not JWT claim sets.

use std::fmt::Write as _;

use expect_test::expect;
use okta_verify::internal::verify_jws;
use okta_verify::{Algorithm, JwksCache};
use serde_json::{Value, json};

use crate::support::{block_on, data_dir};

/// RFC 7515 A.2.1: the RSA public key (also RFC 7517 A.1), its JWS and payload.
const RFC7515_RSA_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const RFC7515_PAYLOAD_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const RFC7515_A2_SIGNATURE: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
/// RFC 7515 A.3.1: the P-256 public key and the ES256 signature.
const RFC7515_EC_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const RFC7515_EC_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const RFC7515_A3_SIGNATURE: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

#[test]
fn rfc7515_a2_rs256() {
    let keys = JwksCache::from_json(
        json!({ "keys": [{ "kty": "RSA", "n": RFC7515_RSA_N, "e": "AQAB" }] })
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let token = format!("eyJhbGciOiJSUzI1NiJ9.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE}");
    let payload = block_on(verify_jws(&token, &keys, &[Algorithm::Rs256])).unwrap();
    assert_eq!(
        payload,
        b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    );
    // One payload character changed: refused.
    let changed = token.replacen("eyJpc3Mi", "eyJpc3Ni", 1);
    assert_eq!(
        block_on(verify_jws(&changed, &keys, &[Algorithm::Rs256])).unwrap_err().kind(),
        "invalid_signature"
    );
}

#[test]
fn rfc7515_a3_es256() {
    let jwk = json!({ "kty": "EC", "crv": "P-256", "x": RFC7515_EC_X, "y": RFC7515_EC_Y });
    let keys = JwksCache::from_json(json!({ "keys": [jwk] }).to_string().as_bytes()).unwrap();
    let token = format!("eyJhbGciOiJFUzI1NiJ9.{RFC7515_PAYLOAD_B64}.{RFC7515_A3_SIGNATURE}");
    assert!(block_on(verify_jws(&token, &keys, &[Algorithm::Es256])).is_ok());
    assert_eq!(
        block_on(verify_jws(&token, &keys, &[Algorithm::Rs256])).unwrap_err().kind(),
        "algorithm_not_allowed"
    );
}

#[test]
fn wycheproof_jws_subset() {
    let text = std::fs::read_to_string(data_dir().join("wycheproof-jws-subset.json")).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    let mut out = String::new();
    for group in document["groups"].as_array().unwrap() {
        let alg = Algorithm::from_name(group["alg"].as_str().unwrap()).unwrap();
        let keys =
            JwksCache::from_json(json!({ "keys": [group["public"]] }).to_string().as_bytes())
                .unwrap();
        for test in group["tests"].as_array().unwrap() {
            let jws = test["jws"].as_str().unwrap();
            let result = block_on(verify_jws(jws, &keys, &[alg]));
            let expected_valid = test["result"] == "valid";
            assert_eq!(result.is_ok(), expected_valid, "tcId {} {}", test["tcId"], test["comment"]);
            let outcome = match &result {
                Ok(payload) => format!("valid, payload {:?}", String::from_utf8_lossy(payload)),
                Err(err) => err.kind().to_owned(),
            };
            writeln!(out, "{} {} => {outcome}", test["tcId"], test["comment"].as_str().unwrap())
                .unwrap();
        }
    }
    expect![[r#"
        18 acceptsValid => valid, payload "foo"
        19 rejectsModifiedSignature => invalid_signature
        20 rejectsMissingSignature => malformed
        21 rejectsMissingSignatureAndSeparator => malformed
        22 rejectsModifiedPayload => invalid_signature
        23 rejectsMissingPayload => malformed
        25 rejectsModifiedHeader => key_not_found
        26 rejectsMissingHeader => malformed
        28 rejectsMissingHeaderAndSignature => malformed
        29 rejectsMissingHeaderSignatureAndSeparators => malformed
        30 rejectsEmptyString => malformed
        31 rejectsSymmetryConfusionAttacks_aesKeyFromEcVerificationKeyBytes => algorithm_not_allowed
        32 rejectsAttackerProvidedEmbeddedJwk => invalid_signature
        33 acceptsValid => valid, payload "foo"
        34 rejectsModifiedSignature => invalid_signature
        35 rejectsMissingSignature => malformed
        37 rejectsModifiedPayload => invalid_signature
        40 rejectsModifiedHeader => key_not_found
        46 lengthOfSequenceUsesLongFormEncoding => invalid_signature
        47 lengthOfSequenceContainsALeading0 => invalid_signature
        57 incorrectLengthOfSequence => invalid_signature
        59 removingSequence => invalid_signature
        61 appending0'sToSequence => invalid_signature
        65 prependingGarbageToSequence => invalid_signature
        67 appendingGarbageToSequence => invalid_signature
    "#]]
    .assert_eq(&out);
}

/// RFC 7520 §4.1 ("RSA v1.5 Signature", the JOSE cookbook): the RFC's signed JWS verifies with
/// the RFC's public key (§3.3), and an independent signer (`jsonwebtoken`) given the RFC's
/// private key (§3.4, in PEM) reproduces the signature byte for byte (RS256 is deterministic).
/// The files are transcribed in `tests/data/rfc7520/`.
#[test]
fn rfc7520_4_1_rs256_known_answer() {
    let dir = data_dir().join("rfc7520");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let token = read("4.1-rs256.jws").trim().to_owned();
    let jwk: Value = serde_json::from_str(&read("3.3-rsa-public.jwk.json")).unwrap();
    let keys = JwksCache::from_json(json!({ "keys": [jwk] }).to_string().as_bytes()).unwrap();
    let payload = block_on(verify_jws(&token, &keys, &[Algorithm::Rs256])).unwrap();
    assert_eq!(
        String::from_utf8(payload).unwrap(),
        "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, \
         and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to."
    );

    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(read("3.4-rsa-private.pem").as_bytes()).unwrap();
    let signed =
        jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, jsonwebtoken::Algorithm::RS256)
            .unwrap();
    assert_eq!(signed, signature, "the independent signer reproduces the RFC's signature");
}
