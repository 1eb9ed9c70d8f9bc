//! Tests of client authentication, one case per failure.

use http::HeaderValue;

use super::*;
use crate::form::form_encode;

const AWKWARD_SECRET: &str = "s3cr+t/with=odd:chars%25 and ü";

fn clients(id: &str) -> Option<Client> {
    match id {
        "basic client" => Some(Client::confidential("basic client", AWKWARD_SECRET)),
        "post" => Some(
            Client::confidential("post", "post-secret")
                .with_auth_method(ClientAuthMethod::ClientSecretPost),
        ),
        "public" => Some(Client::public("public")),
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

fn check(headers: &HeaderMap, body: &str) -> Result<String, AuthFailure> {
    Presented::from_request(headers, &Params::parse(body.as_bytes()))
        .authenticate(clients)
        .map(|client| client.id().to_owned())
}

#[test]
fn basic_credentials_are_form_decoded_before_comparing() {
    assert_eq!(check(&basic("basic client", AWKWARD_SECRET), ""), Ok("basic client".to_owned()));
    let raw_not_encoded =
        format!("Basic {}", STANDARD.encode(format!("basic client:{AWKWARD_SECRET}")));
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&raw_not_encoded).unwrap());
    assert_eq!(
        check(&headers, ""),
        Err(AuthFailure::WrongSecret { basic: true }),
        "the `+` decodes to a space"
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
        check(&basic("post", "post-secret"), ""),
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
        Err(AuthFailure::AssertionUnsupported)
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
        (AuthFailure::WrongSecret { basic: true }, 401, "invalid_client"),
        (AuthFailure::UnknownClient { basic: false }, 401, "invalid_client"),
        (AuthFailure::AssertionUnsupported, 401, "invalid_client"),
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
