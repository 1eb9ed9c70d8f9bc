//! Tests of client assertions: one case per check Okta makes, then the `jti` memory.

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;
use crate::testing::{TestSigner, assertion_claims, sign_jwt};
use crate::{
    Client, DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID, DEMO_JWT_SERVICE_RSA_KEY_PEM,
    DEMO_JWT_SERVICE_RSA_KID,
};

const NOW: u64 = 1_800_000_000;
const TOKEN_URL: &str = "http://127.0.0.1:8900/oauth2/default/v1/token";
const SECRET: &str = "hmac-secret-with-more-than-32-characters";

const RS256: TestSigner<'static> = TestSigner::Pem(DEMO_JWT_SERVICE_RSA_KEY_PEM, Algorithm::RS256);

/// The demo `private_key_jwt` client: an RSA and an EC key, so `kid` is required.
fn two_keys() -> Client {
    Client::demo_jwt_service()
}

fn one_key_without_kid() -> Client {
    let mut jwk = crate::public_jwk(DEMO_JWT_SERVICE_RSA_KEY_PEM, "unused").unwrap();
    jwk.as_object_mut().unwrap().remove("kid");
    Client::service_with_key("one-key", jwk)
}

fn hmac_client(secret: &str) -> Client {
    Client::service("hmac", secret).with_auth_method(ClientAuthMethod::ClientSecretJwt)
}

/// Verifies `claims` signed by `signer` under `header` as `client`'s assertion at `NOW`.
#[allow(clippy::needless_pass_by_value, reason = "the cases read best building values in place")]
fn check(
    client: &Client,
    header: Value,
    claims: Value,
    signer: &TestSigner<'_>,
) -> Result<(), AssertionFailure> {
    check_with(client, &sign_jwt(&header, &claims, signer), &JtiCache::default())
}

fn check_with(client: &Client, jwt: &str, jtis: &JtiCache) -> Result<(), AssertionFailure> {
    let assertion = Assertion::read(jwt).ok_or(AssertionFailure::Malformed)?;
    verify(&assertion, client, &Expectations { endpoint_url: TOKEN_URL, now: NOW, jtis })
}

fn rsa_header() -> Value {
    json!({"alg": "RS256", "kid": DEMO_JWT_SERVICE_RSA_KID})
}

/// Valid claims with one change: `(claim, Some(value))` sets, `(claim, None)` removes.
fn claims_with(changes: &[(&str, Option<Value>)]) -> Value {
    let mut claims = assertion_claims(crate::DEMO_JWT_SERVICE_CLIENT_ID, TOKEN_URL, NOW);
    for (name, value) in changes {
        match value {
            Some(value) => claims[*name] = value.clone(),
            None => drop(claims.as_object_mut().unwrap().remove(*name)),
        }
    }
    claims
}

#[test]
fn a_good_assertion_passes_with_either_registered_key() {
    assert_eq!(check(&two_keys(), rsa_header(), claims_with(&[]), &RS256), Ok(()));
    let es256 = TestSigner::Pem(DEMO_JWT_SERVICE_EC_KEY_PEM, Algorithm::ES256);
    let header = json!({"alg": "ES256", "kid": DEMO_JWT_SERVICE_EC_KID, "typ": "JWT"});
    assert_eq!(check(&two_keys(), header, claims_with(&[]), &es256), Ok(()));
    let single = one_key_without_kid();
    let claims = assertion_claims("one-key", TOKEN_URL, NOW);
    assert_eq!(
        check(&single, json!({"alg": "RS256"}), claims.clone(), &RS256),
        Ok(()),
        "one key: no kid needed"
    );
    assert_eq!(
        check(&single, json!({"alg": "RS256", "kid": "anything"}), claims, &RS256),
        Ok(()),
        "a single key without kid takes any kid"
    );
}

#[test]
fn every_claim_okta_checks_is_checked() {
    use AssertionFailure::*;
    let cases: Vec<(&str, Value, Result<(), AssertionFailure>)> = vec![
        (
            "aud is the issuer",
            claims_with(&[("aud", Some(json!("http://127.0.0.1:8900/oauth2/default")))]),
            Err(Audience),
        ),
        (
            "aud is another endpoint",
            claims_with(&[(
                "aud",
                Some(json!("http://127.0.0.1:8900/oauth2/default/v1/introspect")),
            )]),
            Err(Audience),
        ),
        (
            "aud with a trailing slash",
            claims_with(&[("aud", Some(json!(format!("{TOKEN_URL}/"))))]),
            Err(Audience),
        ),
        ("aud missing", claims_with(&[("aud", None)]), Err(Audience)),
        (
            "aud a list with the endpoint",
            claims_with(&[("aud", Some(json!(["https://other", TOKEN_URL])))]),
            Ok(()),
        ),
        ("exp missing", claims_with(&[("exp", None)]), Err(MissingExpiry)),
        ("exp now", claims_with(&[("exp", Some(json!(NOW)))]), Err(Expired)),
        ("exp a second ago", claims_with(&[("exp", Some(json!(NOW - 1)))]), Err(Expired)),
        ("exp exactly one hour ahead", claims_with(&[("exp", Some(json!(NOW + 3600)))]), Ok(())),
        (
            "exp an hour and a second ahead",
            claims_with(&[("exp", Some(json!(NOW + 3601)))]),
            Err(ExpiryTooFar),
        ),
        (
            "exp not a number",
            claims_with(&[("exp", Some(json!("tomorrow")))]),
            Err(InvalidClaim("exp")),
        ),
        ("exp with a fraction", claims_with(&[("exp", Some(json!(1_800_000_060.5_f64)))]), Ok(())),
        ("iat missing", claims_with(&[("iat", None)]), Ok(())),
        ("iat a minute ahead (leeway)", claims_with(&[("iat", Some(json!(NOW + 60)))]), Ok(())),
        (
            "iat beyond the leeway",
            claims_with(&[("iat", Some(json!(NOW + 61)))]),
            Err(IssuedInFuture),
        ),
        ("iat not a number", claims_with(&[("iat", Some(json!([])))]), Err(InvalidClaim("iat"))),
        ("nbf beyond the leeway", claims_with(&[("nbf", Some(json!(NOW + 61)))]), Err(NotYetValid)),
        ("nbf in the past", claims_with(&[("nbf", Some(json!(NOW - 10)))]), Ok(())),
        ("jti missing", claims_with(&[("jti", None)]), Ok(())),
        ("jti not a string", claims_with(&[("jti", Some(json!(42)))]), Err(InvalidClaim("jti"))),
    ];
    for (case, claims, expected) in cases {
        assert_eq!(check(&two_keys(), rsa_header(), claims, &RS256), expected, "{case}");
    }
}

#[test]
fn the_key_is_found_by_kid_and_the_signature_checked() {
    use AssertionFailure::*;
    let claims = claims_with(&[]);
    let cases: Vec<(&str, Value, TestSigner<'_>, Result<(), AssertionFailure>)> = vec![
        ("no kid with two keys", json!({"alg": "RS256"}), RS256, Err(Kid)),
        ("an unknown kid", json!({"alg": "RS256", "kid": "rotated-away"}), RS256, Err(Kid)),
        ("a kid that is not a string", json!({"alg": "RS256", "kid": 1}), RS256, Err(Kid)),
        (
            "the EC key's kid on an RSA signature",
            json!({"alg": "RS256", "kid": DEMO_JWT_SERVICE_EC_KID}),
            RS256,
            Err(Signature),
        ),
        (
            "the header says RS512, the signature is RS256",
            json!({"alg": "RS512", "kid": DEMO_JWT_SERVICE_RSA_KID}),
            RS256,
            Err(Signature),
        ),
        (
            "an HMAC with the public key's bytes",
            json!({"alg": "HS256", "kid": DEMO_JWT_SERVICE_RSA_KID}),
            TestSigner::Hmac(SECRET, jsonwebtoken::Algorithm::HS256),
            Err(SecretTooShort),
        ),
    ];
    for (case, header, signer, expected) in cases {
        assert_eq!(check(&two_keys(), header, claims.clone(), &signer), expected, "{case}");
    }
    let jwt = sign_jwt(&rsa_header(), &claims, &RS256);
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let mut bytes = signature.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{signed}.{}", String::from_utf8(bytes).unwrap());
    assert_eq!(check_with(&two_keys(), &tampered, &JtiCache::default()), Err(Signature));
}

#[test]
fn client_secret_jwt_needs_a_secret_of_32_characters() {
    let claims = assertion_claims("hmac", TOKEN_URL, NOW);
    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let header = json!({"alg": format!("{algorithm:?}")});
        let signer = TestSigner::Hmac(SECRET, algorithm);
        assert_eq!(
            check(&hmac_client(SECRET), header, claims.clone(), &signer),
            Ok(()),
            "{algorithm:?}"
        );
    }
    let short = "31-characters-is-one-too-short!";
    assert_eq!(short.chars().count(), 31);
    let signer = TestSigner::Hmac(short, Algorithm::HS256);
    assert_eq!(
        check(&hmac_client(short), json!({"alg": "HS256"}), claims.clone(), &signer),
        Err(AssertionFailure::SecretTooShort)
    );
    let wrong = TestSigner::Hmac("another-secret-with-more-than-32-characters", Algorithm::HS256);
    assert_eq!(
        check(&hmac_client(SECRET), json!({"alg": "HS256"}), claims, &wrong),
        Err(AssertionFailure::Signature)
    );
}

#[test]
fn an_assertion_is_read_before_it_is_trusted() {
    for jwt in ["", "a.b", "a.b.c.d", "!!.e30.sig", "e30.W10.sig", "bnVsbA.e30.sig"] {
        assert!(Assertion::read(jwt).is_none(), "{jwt:?}");
    }
    let read = |header: Value, claims: Value| {
        Assertion::read(&sign_jwt(&header, &claims, &RS256)).expect("a JWS")
    };
    let none = read(json!({"alg": "none"}), claims_with(&[]));
    assert_eq!((none.alg(), none.method()), (None, None));
    assert_eq!(
        verify(
            &none,
            &two_keys(),
            &Expectations { endpoint_url: TOKEN_URL, now: NOW, jtis: &JtiCache::default() }
        ),
        Err(AssertionFailure::Algorithm)
    );
    assert_eq!(
        read(json!({"alg": "HS512"}), json!({})).method(),
        Some(ClientAuthMethod::ClientSecretJwt)
    );
    assert_eq!(
        read(json!({"alg": "ES384"}), json!({})).method(),
        Some(ClientAuthMethod::PrivateKeyJwt)
    );

    let id = |claims: Value| read(json!({"alg": "RS256"}), claims).client_id().map(str::to_owned);
    assert_eq!(id(json!({"iss": "c", "sub": "c"})), Ok("c".to_owned()));
    for claims in [
        json!({"iss": "c", "sub": "d"}),
        json!({"iss": "c"}),
        json!({"sub": "c"}),
        json!({"iss": "", "sub": ""}),
        json!({"iss": 1, "sub": 1}),
    ] {
        assert_eq!(id(claims.clone()), Err(AssertionFailure::IssuerSubject), "{claims}");
    }
}

#[test]
fn a_jti_is_single_use_until_its_assertion_expires() {
    let jtis = JtiCache::default();
    let client = two_keys();
    let claims = claims_with(&[("jti", Some(json!("once"))), ("exp", Some(json!(NOW + 120)))]);
    let jwt = sign_jwt(&rsa_header(), &claims, &RS256);
    assert_eq!(check_with(&client, &jwt, &jtis), Ok(()));
    assert_eq!(check_with(&client, &jwt, &jtis), Err(AssertionFailure::Replayed));
    let fresh = sign_jwt(&rsa_header(), &claims_with(&[("jti", Some(json!("once")))]), &RS256);
    assert_eq!(
        check_with(&client, &fresh, &jtis),
        Err(AssertionFailure::Replayed),
        "same jti, new assertion"
    );
    assert_eq!(
        jtis.consume("another-client", "once", NOW + 120, NOW),
        Ok(()),
        "jtis are per client"
    );
    assert_eq!(
        jtis.consume(client.id(), "once", NOW + 500, NOW + 120),
        Ok(()),
        "free again once expired"
    );

    let failing = sign_jwt(
        &rsa_header(),
        &claims_with(&[("jti", Some(json!("kept"))), ("aud", Some(json!("x")))]),
        &RS256,
    );
    assert_eq!(check_with(&client, &failing, &jtis), Err(AssertionFailure::Audience));
    assert_eq!(
        jtis.consume(client.id(), "kept", NOW + 60, NOW),
        Ok(()),
        "a refused assertion consumes nothing"
    );
}

#[test]
fn the_jti_memory_is_bounded_and_never_forgets_a_live_jti() {
    let jtis = JtiCache::with_capacity(2);
    assert_eq!(jtis.consume("c", "a", NOW + 10, NOW), Ok(()));
    assert_eq!(jtis.consume("c", "b", NOW + 100, NOW), Ok(()));
    assert_eq!(jtis.consume("c", "c", NOW + 100, NOW), Err(AssertionFailure::TooManyJtis));
    assert_eq!(jtis.consume("c", "c", NOW + 100, NOW + 10), Ok(()), "`a` expired and was swept");
    assert_eq!(
        jtis.consume("c", "b", NOW + 200, NOW + 10),
        Err(AssertionFailure::Replayed),
        "`b` is still remembered"
    );
}

#[test]
fn every_failure_has_a_description() {
    use AssertionFailure::*;
    let all = [
        Algorithm,
        Audience,
        Client,
        Expired,
        ExpiryTooFar,
        InvalidClaim("exp"),
        InvalidClaim("iat"),
        InvalidClaim("nbf"),
        InvalidClaim("jti"),
        IssuedInFuture,
        IssuerSubject,
        Kid,
        Malformed,
        MissingExpiry,
        NotYetValid,
        Replayed,
        SecretTooShort,
        Signature,
        TooManyJtis,
    ];
    let descriptions: Vec<&str> = all.iter().map(|failure| failure.description()).collect();
    for (failure, description) in all.iter().zip(&descriptions) {
        assert!(description.ends_with('.'), "{failure:?}");
        assert_eq!(
            descriptions.iter().filter(|other| *other == description).count(),
            1,
            "{failure:?}"
        );
    }
    assert_eq!(
        Audience.description(),
        "The audience claim for client_assertion must be the endpoint invoked for the request."
    );
    assert_eq!(Kid.description(), "The client_assertion JWT kid is invalid.");
    assert_eq!(Replayed.description(), "The client_assertion token has already been used.");
}
