//! Services calling services over loopback: a user's token for the orders API, exchanged by a
//! service app for the shipping API, and a batch job's own token with `private_key_jwt`.

use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use okta_devserver::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET,
    DEMO_JWT_SERVICE_CLIENT_ID, DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID,
    DEMO_PASSWORD, DEMO_USERNAME, DevServer, GrantType,
};
use serde_json::{Value, json};

use crate::{client, param};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The claims of a JWT, unverified.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn a_user_token_is_exchanged_and_a_batch_job_signs_its_own_request() {
    let server = DevServer::builder().start().await.expect("the server starts");
    let http = client();
    let orders = server.issuer("orders");
    let shipping = server.issuer("shipping");

    // The web app signs the user in for the orders API (headless: /api/v1/authn).
    let authn: Value = http
        .post(format!("{}/api/v1/authn", server.base_url()))
        .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorize = http
        .get(format!("{orders}/v1/authorize"))
        .query(&[
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("scope", "openid orders:read"),
            ("redirect_uri", "http://localhost:8080"),
            ("state", "s-1"),
            ("sessionToken", authn["sessionToken"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), StatusCode::FOUND);
    let location = authorize.headers()[http::header::LOCATION].to_str().unwrap().to_owned();
    let user_tokens: Value = http
        .post(format!("{orders}/v1/token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://localhost:8080"),
            ("code", &param(&location, "code").unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_token = user_tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(user_token)["aud"], "api://orders");

    // The orders API exchanges it to call the shipping API on the user's behalf.
    let exchanged = http
        .post(format!("{shipping}/v1/token"))
        .basic_auth(DEMO_EXCHANGE_CLIENT_ID, Some(DEMO_EXCHANGE_CLIENT_SECRET))
        .form(&[
            ("grant_type", GrantType::TokenExchange.as_str()),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("subject_token", user_token),
            ("audience", "api://shipping"),
            ("scope", "shipping:read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.status(), StatusCode::OK);
    let exchanged: Value = exchanged.json().await.unwrap();
    assert_eq!(exchanged["issued_token_type"], ACCESS_TOKEN_TYPE);
    let exchanged_claims = claims(exchanged["access_token"].as_str().unwrap());
    assert_eq!(
        (&exchanged_claims["aud"], &exchanged_claims["sub"], &exchanged_claims["cid"]),
        (&json!("api://shipping"), &json!(DEMO_USERNAME), &json!(DEMO_EXCHANGE_CLIENT_ID))
    );

    // A batch job calls the orders API as itself, signing its request with its private key.
    let token_url = format!("{orders}/v1/token");
    let now = jsonwebtoken::get_current_timestamp();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(DEMO_JWT_SERVICE_RSA_KID.to_owned());
    let key = EncodingKey::from_rsa_pem(DEMO_JWT_SERVICE_RSA_KEY_PEM.as_bytes()).unwrap();
    let assertion_claims = json!({
        "iss": DEMO_JWT_SERVICE_CLIENT_ID,
        "sub": DEMO_JWT_SERVICE_CLIENT_ID,
        "aud": token_url,
        "iat": now,
        "exp": now + 300,
        "jti": format!("batch-{now}"),
    });
    let assertion = jsonwebtoken::encode(&header, &assertion_claims, &key).unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders:read orders:write"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    let own = http.post(&token_url).form(&form).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["scope"], "orders:read orders:write");
    let replay = http.post(&token_url).form(&form).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert!(replay.headers().contains_key(http::header::WWW_AUTHENTICATE));

    assert_eq!(server.count_token_requests(GrantType::TokenExchange, DEMO_EXCHANGE_CLIENT_ID), 1);
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID),
        2
    );
    assert_eq!(server.count_token_requests(GrantType::AuthorizationCode, DEMO_CLIENT_ID), 1);
}
