//! Unit tests of the bearer-token reader (SC-110); the layer is tested in `tests/it/axum_layer.rs`.

use http::{HeaderMap, HeaderValue, Uri, header};

use crate::axum::{BearerError, bearer_token};

fn read(values: &[&str], uri: &str) -> Result<String, BearerError> {
    let mut headers = HeaderMap::new();
    for value in values {
        headers.append(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
    }
    let uri: Uri = uri.parse().unwrap();
    bearer_token(&headers, &uri).map(str::to_owned)
}

#[test]
fn sc_110_bearer_header_rules() {
    let cases: &[(&[&str], &str, Result<&str, BearerError>)] = &[
        (&["Bearer abc.def-ghi_jkl"], "/", Ok("abc.def-ghi_jkl")),
        (&["bearer abc"], "/", Ok("abc")),
        (&["BEARER abc"], "/", Ok("abc")),
        (&["Bearer a+b/c=="], "/", Ok("a+b/c==")),
        (&[], "/", Err(BearerError::Missing)),
        (&["Basic dXNlcjpwYXNz"], "/", Err(BearerError::Missing)),
        (&["Bearer abc", "Bearer abc"], "/", Err(BearerError::Duplicate)),
        (&["Bearer  abc"], "/", Err(BearerError::Malformed)),
        (&["Bearer abc "], "/", Err(BearerError::Malformed)),
        (&[" Bearer abc"], "/", Err(BearerError::Malformed)),
        (&["Bearer"], "/", Err(BearerError::Malformed)),
        (&["Bearer "], "/", Err(BearerError::Malformed)),
        (&["Bearer a b"], "/", Err(BearerError::Malformed)),
        (&["Bearer ==="], "/", Err(BearerError::Malformed)),
        (&["Bearer a=b"], "/", Err(BearerError::Malformed)),
        (&["Bearer abc"], "/?access_token=abc", Err(BearerError::InQuery)),
        (&[], "/?x=1&access_token=abc", Err(BearerError::InQuery)),
        (&["Bearer abc"], "/?access_tokens=1", Ok("abc")),
    ];
    for (values, uri, expected) in cases {
        let expected = expected.map(str::to_owned);
        assert_eq!(read(values, uri), expected, "{values:?} {uri}");
    }
}

#[test]
fn non_ascii_header_is_malformed() {
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, HeaderValue::from_bytes(b"Bearer \xff").unwrap());
    assert_eq!(bearer_token(&headers, &Uri::from_static("/")), Err(BearerError::Malformed));
}

#[test]
fn intro_busy_introspection_is_503_with_retry_after() {
    use axum::response::IntoResponse as _;

    use crate::VerifyError;
    use crate::axum::BearerRejection;

    let busy = BearerRejection::Token(VerifyError::IntrospectionBusy { limit: 32 }).into_response();
    assert_eq!(busy.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
    assert!(!busy.headers().contains_key(header::WWW_AUTHENTICATE));
    // A failed call is not momentary in the same way: 503 without a promise.
    let failed = BearerRejection::Token(VerifyError::IntrospectionFailed {
        reason: "the request failed".into(),
        source: Some(okta_http::TransportError::other("refused")),
    })
    .into_response();
    assert_eq!(failed.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert!(!failed.headers().contains_key(header::RETRY_AFTER));
}

/// The `b64token` scan works on 64-byte chunks without an early exit inside one: a character
/// outside the grammar is found wherever it sits, at the edges of a chunk as well as in the middle.
#[test]
fn a_bad_character_anywhere_in_a_long_token_is_malformed() {
    let good = "a".repeat(1000);
    assert_eq!(read(&[&format!("Bearer {good}==")], "/"), Ok(format!("{good}==")));
    for at in [0, 1, 62, 63, 64, 65, 127, 128, 500, 998, 999] {
        // `=` only pads the end; 0x7f cannot be in a header value at all.
        let padding = if at == 999 { None } else { Some(b'=') };
        for bad in [b'!', b' ', b'\t', b'%', b'"', b',', 0x80, 0xff].into_iter().chain(padding) {
            let mut value = format!("Bearer {good}").into_bytes();
            value["Bearer ".len() + at] = bad;
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_bytes(&value).unwrap());
            assert_eq!(
                bearer_token(&headers, &Uri::from_static("/")),
                Err(BearerError::Malformed),
                "byte {bad:#04x} at {at}"
            );
        }
    }
}

/// A refusal's future answers once; polled again (a caller's bug), it answers 500, not a panic.
#[test]
fn a_refusal_polled_after_it_finished_does_not_panic() {
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};

    use axum::response::IntoResponse as _;

    use crate::axum::BearerAuthFuture;

    let mut future = std::pin::pin!(BearerAuthFuture::<std::future::Pending<_>>::ready(
        http::StatusCode::UNAUTHORIZED.into_response()
    ));
    let mut context = Context::from_waker(Waker::noop());
    let status = |poll: Poll<Result<axum::response::Response, std::convert::Infallible>>| match poll
    {
        Poll::Ready(Ok(response)) => response.status(),
        Poll::Pending => panic!("a refusal is ready at once"),
    };
    assert_eq!(status(future.as_mut().poll(&mut context)), http::StatusCode::UNAUTHORIZED);
    assert_eq!(status(future.as_mut().poll(&mut context)), http::StatusCode::INTERNAL_SERVER_ERROR);
}
