//! Every public error of okta-http states each cause once: its message is a context sentence and
//! the cause comes through `source()`, so `{:#}` and log lines with `error.sources` say it once.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use okta_config::ClientAuthMethod;

use crate::{BuildError, ClientAuthError, TransportError};

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

fn io_cause(text: &str) -> Arc<dyn Error + Send + Sync> {
    Arc::new(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, text.to_owned()))
}

fn http_error() -> Arc<http::Error> {
    // An `http::Error` can only be made by a failing builder: a header name with a space.
    Arc::new(http::Request::builder().header("bad name", "x").body(()).unwrap_err())
}

/// Every public error of okta-http, causes included.
fn every_error() -> Vec<Box<dyn Error>> {
    let url = "https://example.okta.com/oauth2/default/v1/token".to_owned();
    let mut errors: Vec<Box<dyn Error>> = Vec::new();
    errors.extend(every_variant![TransportError:
        Timeout { after: Duration::from_secs(10), url: url.clone() },
        Connect { url: url.clone(), source: io_cause("connection refused by the sample peer") },
        InsecureUrl { url: "http://example.okta.com/oauth2/default/v1/token".to_owned() },
        Redirect { status: 302, url: url.clone() },
        TooLarge { limit: 1024, url: url.clone() },
        Other { message: "the connection broke".to_owned(), source: Some(io_cause("reset")) },
    ]);
    errors.extend(every_variant![BuildError:
        OutOfRange { name: "max_response_bytes", reason: "must be at least 1" },
        Proxy {
            url: "http://[redacted]@proxy.example.com:3128".to_owned(),
            source: io_cause("unsupported proxy scheme"),
        },
        Tls { source: io_cause("no cipher suites") },
        Client { source: io_cause("the resolver failed") },
    ]);
    errors.extend(every_variant![ClientAuthError:
        MissingClientId,
        MissingClientSecret { method: ClientAuthMethod::ClientSecretPost },
        SecretTooShort { min: 32 },
        MissingSigningKey,
        InvalidSigningKey { algorithm: okta_config::SigningAlgorithm::Es256 },
        Signing,
        Request(http_error()),
    ]);
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
    assert!(errors.iter().filter(|err| err.source().is_some()).count() >= 6);
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
    let err = TransportError::Connect {
        url: "https://example.okta.com/oauth2/default/v1/token".to_owned(),
        source: io_cause("connection refused by the sample peer"),
    };
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    assert_eq!(
        chain,
        "cannot connect to https://example.okta.com/oauth2/default/v1/token: connection refused \
         by the sample peer"
    );
}
