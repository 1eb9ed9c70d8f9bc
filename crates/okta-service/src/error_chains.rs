//! Every public error of okta-service states each cause once (its message is a context sentence,
//! the cause comes through `source()`), and none contains a secret.

use std::error::Error;
use std::time::Duration;

use okta_config::ClientAuthMethod;
use okta_http::{BuildError, ClientAuthError, TransportError};

use crate::{OutgoingError, SetupError, TokenError};

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

fn every_error() -> Vec<Box<dyn Error>> {
    let mut errors: Vec<Box<dyn Error>> = Vec::new();
    errors.extend(every_variant![TokenError:
        InvalidClient { client_id: "0oa1svc".to_owned(), method: ClientAuthMethod::PrivateKeyJwt },
        InvalidScope { scopes: "orders:write".to_owned() },
        UnauthorizedClient { client_id: "0oa1svc".to_owned(), grant: "client_credentials" },
        Refused { status: 400, code: Some("invalid_request".to_owned()) },
        RateLimited { retry_after: Some(Duration::from_secs(30)) },
        Unavailable { status: 503 },
        Transport(TransportError::other("the connection was reset")),
        MalformedResponse { reason: "it has no access_token" },
        OrgServer { reason: "the org authorization server ..." },
        ClientAuth(ClientAuthError::MissingSigningKey),
    ]);
    errors.extend(every_variant![OutgoingError:
        ForeignOrigin { origin: "https://evil.example.com".to_owned() },
        Token(TokenError::Unavailable { status: 503 }),
    ]);
    errors.extend(every_variant![SetupError:
        Credentials(ClientAuthError::MissingClientId),
        HttpClient(BuildError::OutOfRange { name: "timeout", reason: "must be at least 1 s" }),
    ]);
    errors
}

/// The first link of the chain that says again what one of its sources says, if any.
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
    assert!(errors.iter().filter(|err| err.source().is_some()).count() >= 4);
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
    assert!(repeated_cause(&err).is_some());
}
