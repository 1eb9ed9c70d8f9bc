//! Tests of client authentication, one case per failure.

use http::HeaderValue;

use super::*;
use crate::form::form_encode;
use crate::testing::{TestSigner, assertion_claims, sign_jwt};

const AWKWARD_SECRET: &str = "s3cr+t/with=odd:chars%25 and ü";
const HMAC_SECRET: &str = "an-hmac-secret-of-at-least-32-characters";

fn clients(id: &str) -> Option<Client> {
    match id {
        "basic client" => Some(Client::confidential("basic client", AWKWARD_SECRET)),
        "post" => Some(
            Client::confidential("post", "post-secret")
                .with_auth_method(ClientAuthMethod::ClientSecretPost),
        ),
        "public" => Some(Client::public("public")),
        "raw+id" => Some(Client::confidential("raw+id", "50%off+more")),
        crate::DEMO_JWT_SERVICE_CLIENT_ID => Some(Client::demo_jwt_service()),
        "hmac" => Some(
            Client::service("hmac", HMAC_SECRET)
                .with_auth_method(ClientAuthMethod::ClientSecretJwt),
        ),
        _ => None,
    }
}

fn basic(id: &str, secret: &str) -> HeaderMap {
    let raw = format!("{}:{}", form_encode(id), form_encode(secret));
    let mut headers = HeaderMap::new();
    let value = format!("Basic {}", STANDARD.encode(raw));
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
    headers
}

/// The `/token` URL the assertions of these tests are for.
const TOKEN_URL: &str = "http://127.0.0.1:8900/oauth2/default/v1/token";

/// The time of these tests.
const NOW: u64 = 1_800_000_000;

fn context(jtis: &JtiCache) -> AuthContext<'_> {
    AuthContext {
        clients: &clients,
        endpoint_url: TOKEN_URL.to_owned(),
        client_id_basic: false,
        now: NOW,
        jtis,
    }
}

fn check(headers: &HeaderMap, body: &str) -> Result<String, AuthFailure> {
    Presented::from_request(headers, &Params::parse(body.as_bytes()))
        .authenticate(&context(&JtiCache::default()))
        .map(|client| client.id().to_owned())
}

/// As [`check`], at `/introspect` or `/revoke`.
fn check_at_revoke(headers: &HeaderMap, body: &str) -> Result<String, AuthFailure> {
    let jtis = JtiCache::default();
    let context = AuthContext { client_id_basic: true, ..context(&jtis) };
    Presented::from_request(headers, &Params::parse(body.as_bytes()))
        .authenticate(&context)
        .map(|client| client.id().to_owned())
}

/// `Authorization: Basic base64(credentials)`, with `credentials` as given (not form-encoded).
fn raw_basic(credentials: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!("Basic {}", STANDARD.encode(credentials));
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
    headers
}

#[test]
fn basic_credentials_count_form_encoded_or_raw() {
    assert_eq!(check(&basic("basic client", AWKWARD_SECRET), ""), Ok("basic client".to_owned()));
    assert_eq!(
        check(&raw_basic(&format!("basic client:{AWKWARD_SECRET}")), ""),
        Ok("basic client".to_owned()),
        "raw, as `curl -u` sends it: the `+` and `%25` are kept as sent"
    );
    assert_eq!(
        check(&raw_basic("raw+id:50%off+more"), ""),
        Ok("raw+id".to_owned()),
        "a raw id and a secret whose `%` does not form-decode"
    );
    assert_eq!(check(&basic("raw+id", "50%off+more"), ""), Ok("raw+id".to_owned()));
    for wrong in ["basic client:s3cr t/with=odd:chars% and ü", "basic client:S3cr+t/with=odd"] {
        assert_eq!(
            check(&raw_basic(wrong), ""),
            Err(AuthFailure::WrongSecret { basic: true }),
            "neither reading matches: {wrong}"
        );
    }
    assert_eq!(
        check(&raw_basic("raw+id:50%off more"), ""),
        Err(AuthFailure::WrongSecret { basic: true }),
        "a space is not a `+` when it was sent raw"
    );
}

#[test]
fn either_secret_method_authenticates_a_secret_client() {
    assert_eq!(
        check(
            &HeaderMap::new(),
            &format!("client_id=basic+client&client_secret={}", form_encode(AWKWARD_SECRET))
        ),
        Ok("basic client".to_owned()),
        "registered for client_secret_basic, secret in the body"
    );
    assert_eq!(
        check(&basic("post", "post-secret"), ""),
        Ok("post".to_owned()),
        "registered for client_secret_post, secret in Basic"
    );
    assert_eq!(
        check(&basic("post", "post-secret"), "client_id=post"),
        Ok("post".to_owned()),
        "Basic with the same client_id in the body"
    );
    assert_eq!(
        check(&HeaderMap::new(), "client_id=basic+client&client_secret=wrong"),
        Err(AuthFailure::WrongSecret { basic: false })
    );
}

#[test]
fn a_secret_from_a_public_or_jwt_client_is_refused() {
    assert_eq!(
        check(&basic("public", "x"), ""),
        Err(AuthFailure::MethodNotAllowed { basic: true })
    );
    for (id, secret) in [("hmac", HMAC_SECRET), (crate::DEMO_JWT_SERVICE_CLIENT_ID, "x")] {
        assert_eq!(
            check(&basic(id, secret), ""),
            Err(AuthFailure::MethodNotAllowed { basic: true }),
            "{id} in Basic"
        );
        let body = format!("client_id={}&client_secret={}", form_encode(id), form_encode(secret));
        assert_eq!(
            check(&HeaderMap::new(), &body),
            Err(AuthFailure::MethodNotAllowed { basic: false }),
            "{id} in the body"
        );
    }
}

#[test]
fn a_public_client_may_name_itself_in_basic_at_introspect_and_revoke() {
    let bare = raw_basic("public");
    assert_eq!(check_at_revoke(&bare, "token=abc"), Ok("public".to_owned()));
    assert_eq!(check_at_revoke(&bare, "token=abc&client_id=public"), Ok("public".to_owned()));
    assert_eq!(check_at_revoke(&bare, "client_id=other"), Err(AuthFailure::ClientIdMismatch));
    assert_eq!(check_at_revoke(&bare, "client_secret=x"), Err(AuthFailure::SeveralMethods));
    assert_eq!(check_at_revoke(&raw_basic("basic client"), ""), Err(AuthFailure::NoSecret));
    assert_eq!(
        check_at_revoke(&raw_basic("nobody"), ""),
        Err(AuthFailure::UnknownClient { basic: true })
    );
    assert_eq!(
        check(&bare, ""),
        Err(AuthFailure::MalformedBasic),
        "not at /token: no source shows a client sending it there"
    );
    assert_eq!(
        Presented::from_request(&bare, &Params::default()).summary(),
        ClientAuthentication::ClientIdBasic { client_id: "public".to_owned() }
    );
}

#[test]
fn each_failure_is_distinct() {
    assert_eq!(check(&HeaderMap::new(), ""), Err(AuthFailure::NoCredentials));
    assert_eq!(
        check(&basic("basic client", "wrong"), ""),
        Err(AuthFailure::WrongSecret { basic: true })
    );
    assert_eq!(check(&basic("nobody", "x"), ""), Err(AuthFailure::UnknownClient { basic: true }));
    assert_eq!(
        check(&basic("hmac", HMAC_SECRET), ""),
        Err(AuthFailure::MethodNotAllowed { basic: true })
    );
    assert_eq!(
        check(&basic("basic client", AWKWARD_SECRET), "client_secret=x&client_id=basic+client"),
        Err(AuthFailure::SeveralMethods)
    );
    assert_eq!(
        check(&basic("basic client", AWKWARD_SECRET), "client_id=other"),
        Err(AuthFailure::ClientIdMismatch)
    );
    assert_eq!(
        check(&HeaderMap::new(), "client_assertion=x&client_assertion_type=y"),
        Err(AuthFailure::AssertionType)
    );
    assert_eq!(check(&HeaderMap::new(), "client_id=basic+client"), Err(AuthFailure::NoCredentials));
    assert_eq!(
        check(&HeaderMap::new(), "client_id=post&client_secret=nope"),
        Err(AuthFailure::WrongSecret { basic: false })
    );
}

#[test]
fn post_and_public_clients_authenticate() {
    assert_eq!(
        check(&HeaderMap::new(), "client_id=post&client_secret=post-secret"),
        Ok("post".to_owned())
    );
    assert_eq!(check(&HeaderMap::new(), "client_id=public"), Ok("public".to_owned()));
    assert_eq!(
        check(&HeaderMap::new(), "client_id=public&client_secret=anything"),
        Err(AuthFailure::MethodNotAllowed { basic: false })
    );
}

#[test]
fn malformed_basic_headers_are_invalid_requests() {
    for value in ["Basic !!!", "Basic Zm9v", "basic", "Basic OnNlY3JldA=="] {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        assert_eq!(check(&headers, ""), Err(AuthFailure::MalformedBasic), "{value}");
    }
    let mut headers = basic("basic client", AWKWARD_SECRET);
    headers.append(header::AUTHORIZATION, HeaderValue::from_static("Basic eDp5"));
    assert_eq!(check(&headers, ""), Err(AuthFailure::MalformedBasic), "two headers");
    let mut bearer = HeaderMap::new();
    bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
    assert_eq!(
        check(&bearer, ""),
        Err(AuthFailure::NoCredentials),
        "a bearer token is not client auth"
    );
}

#[test]
fn failures_map_to_fixed_statuses_and_errors() {
    let cases = [
        (AuthFailure::MalformedBasic, 400, "invalid_request"),
        (AuthFailure::SeveralMethods, 400, "invalid_request"),
        (AuthFailure::NoCredentials, 401, "invalid_client"),
        (AuthFailure::NoSecret, 401, "invalid_client"),
        (AuthFailure::WrongSecret { basic: true }, 401, "invalid_client"),
        (AuthFailure::UnknownClient { basic: false }, 401, "invalid_client"),
        (AuthFailure::AssertionType, 400, "invalid_request"),
        (AuthFailure::AssertionMissing, 400, "invalid_request"),
        (AuthFailure::Assertion(AssertionFailure::Kid), 401, "invalid_client"),
    ];
    for (failure, status, error) in cases {
        let oauth = OAuthError::from(failure);
        assert_eq!(oauth.error(), error);
        let response = axum::response::IntoResponse::into_response(oauth);
        assert_eq!(response.status().as_u16(), status);
    }
    let response =
        axum::response::IntoResponse::into_response(OAuthError::from(AuthFailure::WrongSecret {
            basic: true,
        }));
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
}

#[test]
fn the_summary_never_holds_the_secret() {
    let presented =
        Presented::from_request(&basic("basic client", AWKWARD_SECRET), &Params::default());
    let summary = presented.summary();
    assert_eq!(
        summary,
        ClientAuthentication::ClientSecretBasic { client_id: "basic client".to_owned() }
    );
    assert!(!format!("{summary:?}").contains("s3cr"));
}

/// A form body carrying a client assertion (plus `extra`, already encoded).
fn assertion_body(jwt: &str, extra: &str) -> String {
    format!(
        "grant_type=client_credentials&client_assertion_type={}&client_assertion={jwt}{extra}",
        form_encode(JWT_BEARER)
    )
}

fn rsa_assertion(client_id: &str) -> String {
    let header = serde_json::json!({"alg": "RS256", "kid": crate::DEMO_JWT_SERVICE_RSA_KID});
    let signer =
        TestSigner::Pem(crate::DEMO_JWT_SERVICE_RSA_KEY_PEM, jsonwebtoken::Algorithm::RS256);
    sign_jwt(&header, &assertion_claims(client_id, TOKEN_URL, NOW), &signer)
}

fn hmac_assertion(client_id: &str) -> String {
    let signer = TestSigner::Hmac(HMAC_SECRET, jsonwebtoken::Algorithm::HS256);
    sign_jwt(
        &serde_json::json!({"alg": "HS256"}),
        &assertion_claims(client_id, TOKEN_URL, NOW),
        &signer,
    )
}

#[test]
fn client_assertions_authenticate_the_client_they_name() {
    let jwt_client = crate::DEMO_JWT_SERVICE_CLIENT_ID;
    assert_eq!(
        check(&HeaderMap::new(), &assertion_body(&rsa_assertion(jwt_client), "")),
        Ok(jwt_client.to_owned())
    );
    assert_eq!(
        check(&HeaderMap::new(), &assertion_body(&hmac_assertion("hmac"), "")),
        Ok("hmac".to_owned())
    );
}

#[test]
fn assertion_failures_are_distinct() {
    let jwt_client = crate::DEMO_JWT_SERVICE_CLIENT_ID;
    let good = rsa_assertion(jwt_client);
    let type_only = format!("client_assertion_type={}", form_encode(JWT_BEARER));
    let cases = [
        (format!("client_assertion={good}"), AuthFailure::AssertionType),
        (
            format!("client_assertion={good}&client_assertion_type=urn%3Aother"),
            AuthFailure::AssertionType,
        ),
        (type_only, AuthFailure::AssertionMissing),
        (assertion_body("not-a-jwt", ""), AuthFailure::Assertion(AssertionFailure::Malformed)),
        (
            assertion_body(&rsa_assertion("nobody"), ""),
            AuthFailure::Assertion(AssertionFailure::Client),
        ),
        (
            assertion_body(&hmac_assertion(jwt_client), ""),
            AuthFailure::Assertion(AssertionFailure::Client),
        ),
        (
            assertion_body(&rsa_assertion("hmac"), ""),
            AuthFailure::Assertion(AssertionFailure::Client),
        ),
        (
            assertion_body(&hmac_assertion("basic client"), ""),
            AuthFailure::Assertion(AssertionFailure::Client),
        ),
        (assertion_body(&good, &format!("&client_id={jwt_client}")), AuthFailure::SeveralMethods),
        (assertion_body(&good, "&client_secret=x"), AuthFailure::SeveralMethods),
    ];
    for (body, expected) in cases {
        assert_eq!(check(&HeaderMap::new(), &body), Err(expected), "{body}");
    }
    assert_eq!(
        check(&basic("basic client", AWKWARD_SECRET), &assertion_body(&good, "")),
        Err(AuthFailure::SeveralMethods),
        "Basic and an assertion"
    );
}

#[test]
fn an_assertion_is_used_once_across_requests() {
    let jtis = JtiCache::default();
    let body = assertion_body(&rsa_assertion(crate::DEMO_JWT_SERVICE_CLIENT_ID), "");
    let authenticate = || {
        Presented::from_request(&HeaderMap::new(), &Params::parse(body.as_bytes()))
            .authenticate(&context(&jtis))
            .map(|client| client.id().to_owned())
    };
    assert!(authenticate().is_ok());
    assert_eq!(authenticate(), Err(AuthFailure::Assertion(AssertionFailure::Replayed)));
}

#[test]
fn the_record_names_the_assertion_method_and_claimed_client_only() {
    let summary = |body: &str| {
        Presented::from_request(&HeaderMap::new(), &Params::parse(body.as_bytes())).summary()
    };
    let jwt = rsa_assertion("claimed");
    assert_eq!(
        summary(&assertion_body(&jwt, "")),
        ClientAuthentication::PrivateKeyJwt { client_id: "claimed".to_owned() }
    );
    assert_eq!(
        summary(&assertion_body(&hmac_assertion("mac"), "")),
        ClientAuthentication::ClientSecretJwt { client_id: "mac".to_owned() }
    );
    assert_eq!(summary(&assertion_body("garbage", "")), ClientAuthentication::ClientAssertion);
    assert_eq!(
        ClientAuthentication::PrivateKeyJwt { client_id: "c".to_owned() }.client_id(),
        Some("c")
    );
    assert_eq!(ClientAuthentication::Several.client_id(), None);
    assert!(!format!("{:?}", summary(&assertion_body(&jwt, ""))).contains(&jwt[..20]));
}

#[tokio::test]
async fn assertion_failures_are_401_with_a_challenge_and_okta_s_text() {
    let response = axum::response::IntoResponse::into_response(OAuthError::from(
        AuthFailure::Assertion(AssertionFailure::Expired),
    ));
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "error": "invalid_client",
            "error_description": "The client_assertion token is expired."
        })
    );
}
