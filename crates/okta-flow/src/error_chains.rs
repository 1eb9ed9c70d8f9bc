//! Every public error of okta-flow states each cause once: its message is a context sentence and
//! the cause comes through `source()`, so `{:#}` and log lines with `error.sources` say it once.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use okta_http::TransportError;
use okta_verify::{JwksError, VerifyError};

use crate::{
    AuthorizationErrorCode, AuthorizeError, CallbackError, DiscoveryError, LoginError, LogoutError,
    RevokeError, SealError, SetupError, TokenError, TokenErrorCode, UnsealError, UserInfoError,
};

/// The samples of an enum, one per variant. The same list also builds a `match` without `_`, so
/// a new variant does not compile until it has a sample here.
macro_rules! every_variant {
    ($enum:ident: $($variant:ident $({ $($named:tt)* })? $(( $($positional:tt)* ))?),+ $(,)?) => {{
        let samples: Vec<$enum> =
            vec![$($enum::$variant $({ $($named)* })? $(( $($positional)* ))?),+];
        for sample in &samples {
            match sample {
                $($enum::$variant { .. } => {})+
            }
        }
        samples.into_iter().map(|sample| Box::new(sample) as Box<dyn Error>)
    }};
}

/// A transport failure with an operating-system cause, two links deep.
fn connect_failure() -> TransportError {
    TransportError::Connect {
        url: "https://example.okta.com/oauth2/default/v1/token".to_owned(),
        source: Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused by the sample peer",
        )),
    }
}

fn keys_unavailable() -> VerifyError {
    VerifyError::JwksUnavailable { source: JwksError::Transport(connect_failure()) }
}

fn token_transport() -> TokenError {
    TokenError::Transport(connect_failure())
}

/// Every public error of okta-flow (with the features compiled in), causes included.
fn every_error() -> Vec<Box<dyn Error>> {
    let mut errors: Vec<Box<dyn Error>> = Vec::new();
    errors.extend(every_variant![AuthorizeError:
        InvalidRedirectUri,
        ReservedParameter("state".to_owned()),
    ]);
    errors.extend(every_variant![CallbackError:
        Authorization {
            code: AuthorizationErrorCode::AccessDenied,
            description: Some("User is not assigned to the client application.".to_owned()),
            uri: None,
        },
        IssuerMismatch,
        Malformed("a duplicated parameter"),
        StateMismatch,
        StateMissing,
    ]);
    errors.extend(every_variant![DiscoveryError:
        Transport(connect_failure()),
        Status { status: 404 },
        Malformed { reason: "the document is not JSON".to_owned() },
        IssuerMismatch {
            expected: "https://a.example.com".to_owned(),
            found: "https://b.example.com".to_owned(),
        },
        MissingEndpoint { name: "token_endpoint" },
        UntrustedEndpoint { name: "jwks_uri", url: "http://internal.example/keys".to_owned() },
        Unsupported("PKCE with S256"),
    ]);
    errors.extend(every_variant![LoginError:
        Callback(CallbackError::StateMismatch),
        Token(token_transport()),
    ]);
    errors.extend(every_variant![LogoutError: NotSupported]);
    errors.extend(every_variant![RevokeError:
        Configuration("no revocation endpoint".to_owned()),
        Rejected { status: 401, code: Some("invalid_client".to_owned()) },
        Transport(connect_failure()),
    ]);
    errors.extend(every_variant![SealError: Encrypt, TooLarge { len: 5000 }]);
    errors.extend(every_variant![SetupError:
        Settings("no client_id"),
        Config(okta_verify::ConfigError::InsecureUrl { url: "http://example.com/keys".to_owned() }),
        Discovery(DiscoveryError::Transport(connect_failure())),
        HttpClient(okta_http::BuildError::OutOfRange {
            name: "max_response_bytes",
            reason: "must be at least 1",
        }),
        Seal(SealError::Encrypt),
        ClientCredentials(okta_http::ClientAuthError::MissingClientId),
    ]);
    errors.extend(every_variant![TokenError:
        Configuration("no client secret".to_owned()),
        IdToken(keys_unavailable()),
        MalformedResponse("no access_token".to_owned()),
        RateLimited { reset: Some(1_700_000_000) },
        Rejected {
            code: TokenErrorCode::InvalidGrant,
            description: Some("The refresh token is invalid or expired.".to_owned()),
            status: 400,
        },
        ServerFailure { status: 502 },
        Transport(connect_failure()),
        UnsupportedTokenType("mac".to_owned()),
    ]);
    errors.extend(every_variant![UnsealError: Expired, IssuedInFuture, Malformed, Tampered]);
    errors.extend(every_variant![UserInfoError:
        MalformedResponse,
        NotSupported,
        Rejected { status: 401 },
        SubjectMismatch,
        Transport(connect_failure()),
    ]);
    #[cfg(feature = "loopback")]
    {
        use crate::loopback::{BindError, WaitError};
        errors.extend(every_variant![BindError:
            NotHttp { uri: "https://127.0.0.1:8765/callback".to_owned() },
            NotLoopback { uri: "http://example.com/callback".to_owned() },
            NotAbsolutePath { path: "callback".to_owned() },
            Listen {
                address: std::net::SocketAddr::from(([127, 0, 0, 1], 8765)),
                uri: "http://127.0.0.1:8765/callback".to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use"),
            },
        ]);
        errors.extend(every_variant![WaitError:
            Timeout { path: "/callback".to_owned(), timeout: Duration::from_mins(5) },
            NotCaught { path: "/other".to_owned() },
            Closed,
        ]);
    }
    #[cfg(feature = "axum")]
    {
        use crate::axum::AuthSetupError;
        errors.extend(every_variant![AuthSetupError:
            InvalidPath { name: "login", path: "login".to_owned(), reason: "must start with /" },
            InvalidDuration { name: "refresh_margin", reason: "at most 5 minutes" },
        ]);
    }
    #[cfg(feature = "redis")]
    {
        use crate::axum::RedisConnectError;
        errors.extend(every_variant![RedisConnectError:
            Url("unknown scheme".to_owned()),
            NotConfigured,
            Tls("no root certificates".to_owned()),
            UntrustedCertificate("invalid peer certificate: UnknownIssuer".to_owned()),
            Auth("WRONGPASS invalid username-password pair".to_owned()),
            Connect("connection refused".to_owned()),
        ]);
    }
    errors
}

/// The first link of the chain that says again what one of its sources says, if any: `{:#}` in
/// anyhow, or a log line with `error.sources`, would print that cause twice.
fn repeated_cause(err: &(dyn Error + 'static)) -> Option<String> {
    let mut link: &(dyn Error + 'static) = err;
    while let Some(next) = link.source() {
        let text = link.to_string();
        let mut cause = Some(next);
        while let Some(current) = cause {
            let cause_text = current.to_string();
            if cause_text.is_empty() || text.contains(&cause_text) {
                return Some(format!("{text:?} repeats its cause {cause_text:?}"));
            }
            cause = current.source();
        }
        link = next;
    }
    None
}

#[test]
fn every_error_states_each_cause_once() {
    let errors = every_error();
    assert!(errors.iter().filter(|err| err.source().is_some()).count() >= 8);
    for err in &errors {
        assert_eq!(repeated_cause(err.as_ref()), None);
    }
}

#[test]
fn the_cause_check_catches_a_repeated_cause() {
    #[derive(Debug, thiserror::Error)]
    #[error("fetching failed: {0}")]
    struct SaysItsCauseTwice(#[source] std::io::Error);

    let err = SaysItsCauseTwice(std::io::Error::other("refused"));
    assert_eq!(
        repeated_cause(&err).as_deref(),
        Some(r#""fetching failed: refused" repeats its cause "refused""#)
    );
}

#[test]
fn the_chain_still_says_the_cause() {
    let err = LoginError::Token(TokenError::IdToken(keys_unavailable()));
    let chain = format!("{:#}", anyhow::Error::new(err));
    assert_eq!(
        chain,
        "the ID token was refused: signing keys unavailable: fetching the key set failed: \
         cannot connect to https://example.okta.com/oauth2/default/v1/token: connection refused \
         by the sample peer"
    );
}
