//! Tests of the demo service apps, the demo APIs and `public_jwk`.

use super::*;

#[test]
fn the_demo_keys_read_and_match_their_constants() {
    let rsa = public_jwk(DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID).unwrap();
    let ec = public_jwk(DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID).unwrap();
    assert_eq!(
        (&rsa["kty"], &rsa["kid"], &rsa["use"]),
        (&json!("RSA"), &json!(DEMO_JWT_SERVICE_RSA_KID), &json!("sig"))
    );
    assert_eq!(
        (&ec["kty"], &ec["crv"], &ec["kid"]),
        (&json!("EC"), &json!("P-256"), &json!(DEMO_JWT_SERVICE_EC_KID))
    );
    for jwk in [&rsa, &ec] {
        assert!(jwk.get("d").is_none(), "public halves only: {jwk}");
    }
    let client = Client::demo_jwt_service();
    assert_eq!(client.jwks(), [rsa, ec]);
    assert_eq!(client.keys().len(), 2);
}

#[test]
fn the_demo_service_apps_and_apis_are_valid() {
    for client in
        [Client::demo_service(), Client::demo_jwt_service(), Client::demo_exchange_service()]
    {
        assert_eq!(client.problems(), Vec::<String>::new(), "{client:?}");
    }
    for server in [AuthorizationServer::demo_orders(), AuthorizationServer::demo_shipping()] {
        assert_eq!(server.problems(), Vec::<String>::new(), "{server:?}");
    }
    assert_eq!(Client::demo_exchange_service().grant_types(), [GrantType::TokenExchange]);
    assert_eq!(AuthorizationServer::demo_shipping().trusted_servers(), [DEMO_ORDERS_SERVER_ID]);
    assert_eq!(AuthorizationServer::demo_orders().default_scopes(), ["orders:read"]);
}

#[test]
fn public_jwk_reads_rsa_and_ec_keys_and_refuses_the_rest() {
    let p384 = aws_lc_rs::signature::EcdsaKeyPair::generate(
        &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
    )
    .unwrap();
    let der = p384.to_pkcs8v1().unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der.as_ref())
    );
    assert_eq!(public_jwk(&pem, "p384").unwrap()["crv"], "P-384");
    for not_a_key in ["", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "hello"]
    {
        assert!(
            matches!(public_jwk(not_a_key, "k"), Err(KeyError::InvalidPem(_))),
            "{not_a_key:?}"
        );
    }
    let public_only = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    assert!(public_jwk(public_only, "k").is_err(), "a public key where a private one belongs");
}
