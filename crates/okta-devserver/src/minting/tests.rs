//! Tests of the token faults: each changes exactly what its conformance condition says.

use serde_json::{Value, json};

use crate::testing::{Harness, claims, expected_at_hash, jwt_header, verifies};
use crate::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Fault, TokenFault};

const NOW: u64 = 1_800_000_000;

/// Arms `fault`, runs a flow and returns (tokens, JWKS fetched after the flow).
async fn with_fault(harness: &Harness, fault: Fault) -> (Value, Value) {
    harness.server.faults().arm(fault);
    let tokens = harness.tokens("default", &[]).await;
    let jwks = harness.jwks("default").await;
    (tokens, jwks)
}

fn id_token(tokens: &Value) -> &str {
    tokens["id_token"].as_str().expect("an ID token")
}

fn access_token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("an access token")
}

#[tokio::test]
async fn claim_faults_change_one_claim_of_the_id_token() {
    let harness = Harness::new().await;
    let issuer = harness.server.issuer("default");
    let cases: [(TokenFault, &str, Option<Value>); 11] = [
        (TokenFault::WrongIssuer, "iss", Some(json!(format!("{issuer}1")))),
        (TokenFault::WrongAudience, "aud", Some(json!(format!("{DEMO_CLIENT_ID}1")))),
        (TokenFault::WrongNonce, "nonce", Some(json!("nonce-4561"))),
        (TokenFault::MissingAudience, "aud", None),
        (TokenFault::MissingIssuedAt, "iat", None),
        (TokenFault::MissingSubject, "sub", None),
        (TokenFault::MissingExpiry, "exp", None),
        (TokenFault::MissingNonce, "nonce", None),
        (TokenFault::MissingAtHash, "at_hash", None),
        (TokenFault::Expired, "exp", Some(json!(NOW - 3600))),
        (TokenFault::IssuedWeekAgo, "iat", Some(json!(NOW - 7 * 24 * 3600))),
    ];
    for (fault, claim, expected) in cases {
        let (tokens, jwks) = with_fault(&harness, Fault::IdToken(fault)).await;
        let id = claims(id_token(&tokens));
        assert_eq!(id.get(claim).cloned(), expected, "{fault:?}");
        assert!(verifies(id_token(&tokens), &jwks), "{fault:?} keeps a valid signature");
        let access = claims(access_token(&tokens));
        assert!(
            access["iss"] == issuer.as_str() && access["aud"] == "api://default",
            "{fault:?} leaves the access token alone"
        );
    }
    let (next, _) = with_fault(&harness, Fault::IdToken(TokenFault::WrongIssuer)).await;
    let clean = harness.tokens("default", &[]).await;
    assert_ne!(
        claims(id_token(&next))["iss"],
        claims(id_token(&clean))["iss"],
        "one fault, one token"
    );
}

#[tokio::test]
async fn a_wrong_at_hash_does_not_match_the_access_token() {
    let harness = Harness::new().await;
    let (tokens, _) = with_fault(&harness, Fault::IdToken(TokenFault::WrongAtHash)).await;
    let at_hash = claims(id_token(&tokens))["at_hash"].as_str().unwrap().to_owned();
    assert_eq!(at_hash.len(), 22);
    assert_ne!(at_hash, expected_at_hash(access_token(&tokens)));
}

#[tokio::test]
async fn signature_faults() {
    let harness = Harness::new().await;
    let (none, _) = with_fault(&harness, Fault::IdToken(TokenFault::AlgNone)).await;
    assert_eq!(jwt_header(id_token(&none)), json!({"alg": "none"}));
    assert!(id_token(&none).ends_with('.'));

    let (bad, jwks) = with_fault(&harness, Fault::IdToken(TokenFault::BadSignature)).await;
    assert!(jwt_header(id_token(&bad))["kid"].is_string());
    assert!(!verifies(id_token(&bad), &jwks));
    assert!(verifies(access_token(&bad), &jwks));

    let (hidden, jwks) = with_fault(&harness, Fault::IdToken(TokenFault::UnpublishedKey)).await;
    let kid = jwt_header(id_token(&hidden))["kid"].as_str().unwrap().to_owned();
    assert!(!jwks.to_string().contains(&kid), "the kid is not in the JWKS");
    assert!(!verifies(id_token(&hidden), &jwks));
}

#[tokio::test]
async fn rotation_just_before_signing_uses_a_kid_the_client_has_not_seen() {
    let harness = Harness::new().await;
    let before = harness.jwks("default").await;
    let (tokens, after) =
        with_fault(&harness, Fault::IdToken(TokenFault::RotateKeysBeforeSigning)).await;
    let kid = jwt_header(id_token(&tokens))["kid"].as_str().unwrap().to_owned();
    assert!(!before.to_string().contains(&kid));
    assert!(verifies(id_token(&tokens), &after));
    assert!(!verifies(id_token(&tokens), &before));
    assert!(
        verifies(access_token(&tokens), &after),
        "the access token was signed before the rotation"
    );
}

#[tokio::test]
async fn kid_absent_with_a_single_key() {
    let harness = Harness::new().await;
    let (tokens, jwks) = with_fault(&harness, Fault::IdToken(TokenFault::KidAbsentSingleKey)).await;
    assert_eq!(jwt_header(id_token(&tokens)), json!({"alg": "RS256"}));
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].get("kid").is_none());
    assert!(verifies(id_token(&tokens), &jwks));
    harness.server.faults().clear();
    assert_eq!(
        harness.jwks("default").await["keys"].as_array().unwrap().len(),
        2,
        "clear restores the key set"
    );
}

#[tokio::test]
async fn kid_absent_with_several_keys_and_the_jwks_is_kid_less_before_the_token_too() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::IdToken(TokenFault::KidAbsentMultipleKeys));
    let early = harness.jwks("default").await;
    assert!(early["keys"].as_array().unwrap().iter().all(|jwk| jwk.get("kid").is_none()));
    let tokens = harness.tokens("default", &[]).await;
    assert!(jwt_header(id_token(&tokens)).get("kid").is_none());
    let jwks = harness.jwks("default").await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert!(verifies(id_token(&tokens), &jwks), "one of the keys verifies");
    let later = harness.tokens("default", &[]).await;
    assert!(jwt_header(id_token(&later))["kid"].is_string(), "the token half counted down");
}

#[tokio::test]
async fn access_token_faults_apply_to_access_tokens_only() {
    let harness = Harness::new().await;
    let (tokens, jwks) = with_fault(&harness, Fault::AccessToken(TokenFault::WrongAudience)).await;
    assert_eq!(claims(access_token(&tokens))["aud"], "api://default1");
    assert_eq!(claims(id_token(&tokens))["aud"], DEMO_CLIENT_ID);
    assert!(verifies(access_token(&tokens), &jwks));
    let (none, _) = with_fault(&harness, Fault::AccessToken(TokenFault::AlgNone)).await;
    assert_eq!(jwt_header(access_token(&none)), json!({"alg": "none"}));
    // at_hash binds the token as sent, faults included.
    assert_eq!(claims(id_token(&none))["at_hash"], expected_at_hash(access_token(&none)).as_str());
}

#[tokio::test]
async fn refresh_faults_change_only_id_tokens_from_a_refresh() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::RefreshIdTokenWrongIssuer);
    harness.server.faults().arm(Fault::RefreshIdTokenWrongSubject);
    let tokens = harness.tokens("default", &[]).await;
    let original = claims(id_token(&tokens));
    assert_eq!(
        original["iss"],
        harness.server.issuer("default").as_str(),
        "the code exchange is untouched"
    );
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        tokens["refresh_token"].as_str().unwrap()
    );
    let refreshed = harness
        .post_form("/oauth2/default/v1/token", &body, Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)))
        .await
        .json();
    let refreshed = claims(id_token(&refreshed));
    assert_eq!(refreshed["iss"], format!("{}1", original["iss"].as_str().unwrap()));
    assert_eq!(refreshed["sub"], format!("{}1", original["sub"].as_str().unwrap()));
}

#[tokio::test]
async fn code_flow_id_tokens_are_thin_as_oktas() {
    let harness = Harness::new().await;
    let names = |tokens: &Value| -> Vec<String> {
        let mut names: Vec<String> =
            claims(id_token(tokens)).as_object().unwrap().keys().cloned().collect();
        names.sort();
        names
    };
    let base = [
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "exp",
        "iat",
        "idp",
        "iss",
        "jti",
        "nonce",
        "sub",
        "ver",
    ];
    let openid = harness.tokens("default", &[("scope", "openid")]).await;
    assert_eq!(names(&openid), base);

    for server in ["default", "org"] {
        let scopes = if server == "org" {
            "openid profile email address phone groups"
        } else {
            "openid profile email address phone"
        };
        let full = harness.tokens(server, &[("scope", scopes)]).await;
        let mut expected: Vec<&str> =
            base.iter().copied().chain(["email", "name", "preferred_username"]).collect();
        expected.sort_unstable();
        assert_eq!(names(&full), expected, "{server}: only name, preferred_username and email");
        let id = claims(id_token(&full));
        assert_eq!(id["name"], "Alice Liddell");
        assert_eq!(id["preferred_username"], crate::DEMO_USERNAME);
        assert_eq!(id["email"], crate::DEMO_USERNAME);
    }
    let profile_only = harness.tokens("default", &[("scope", "openid profile")]).await;
    assert!(claims(id_token(&profile_only)).get("email").is_none());
    assert!(claims(id_token(&profile_only)).get("name").is_some());
}
