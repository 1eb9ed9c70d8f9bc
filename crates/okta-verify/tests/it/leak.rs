//! LEAK: no token, secret or nonce in `Debug` or `Display` output (SC-119).

use std::sync::Arc;

use okta_http::ClientCredentials;
use okta_verify::{IdTokenChecks, IntrospectionOptions, IntrospectionVerifier};

use crate::support::{access_token, access_verifier, block_on, id_verifier};

/// Asserts that no 16-character window of `secret` appears in `text`.
fn assert_absent(text: &str, secret: &str) {
    let window = 16.min(secret.len());
    for start in 0..=secret.len() - window {
        let piece = &secret[start..start + window];
        assert!(!text.contains(piece), "{piece:?} leaked into {text:?}");
    }
}

#[test]
fn sc_119_errors_and_results_never_contain_the_token() {
    let token = access_token();
    let (input, _) = token.rsplit_once('.').unwrap();
    let verifier = access_verifier();
    let mut outputs = Vec::new();
    // A valid token, and failures at each stage.
    let verified = block_on(verifier.verify(&token)).unwrap();
    outputs.push(format!("{verified:?}"));
    for bad in [
        format!("{input}.AAAA"),
        format!("{token}x"),
        token.replace('.', "!"),
        format!("{token}.{token}"),
    ] {
        let err = block_on(verifier.verify(&bad)).unwrap_err();
        outputs.push(format!("{err} {err:?}"));
        assert_absent(&format!("{err} {err:?}"), &bad);
    }
    // The ID-token verifier with a nonce and an access token to check.
    let err = block_on(
        id_verifier()
            .verify(&token, &IdTokenChecks::new("secret-nonce-value").with_access_token(&token)),
    )
    .unwrap_err();
    outputs.push(format!("{err} {err:?}"));
    outputs.push(format!("{verifier:?}"));
    for output in &outputs {
        assert_absent(output, &token);
        assert_absent(output, "secret-nonce-value");
    }
}

#[test]
fn sc_119_client_secret_is_redacted() {
    let secret = "very-secret-client-secret-value";
    let credentials = ClientCredentials::client_secret_basic(
        okta_config::ClientId::parse("0oa1client").unwrap(),
        okta_config::ClientSecret::parse(secret.to_owned()).unwrap(),
    );
    let http = Arc::new(|_request: http::Request<Vec<u8>>| async {
        Err::<http::Response<Vec<u8>>, _>(okta_http::TransportError::other("offline"))
    });
    let mut options =
        IntrospectionOptions::new("https://example.okta.com/oauth2/v1/introspect".parse().unwrap());
    options.audiences = vec![okta_config::Audience::parse("https://example.okta.com").unwrap()];
    options.any_client = true;
    let verifier = IntrospectionVerifier::new(options, credentials.clone(), http).unwrap();
    let err = block_on(verifier.verify(&access_token())).unwrap_err();
    let outputs = [format!("{credentials:?}"), format!("{verifier:?}"), format!("{err} {err:?}")];
    for output in &outputs {
        assert_absent(output, secret);
        assert_absent(output, &access_token());
    }
    assert!(outputs[0].contains("[redacted]"));
}
