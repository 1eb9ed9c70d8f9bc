//! Every public error of okta-devserver states each cause once: its message is a context
//! sentence and the cause, if any, comes through `source()`.

use std::error::Error;

use crate::{KeyError, RegisterError, StartError, TlsError};

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

/// Every public error of okta-devserver.
fn every_error() -> Vec<Box<dyn Error>> {
    let mut errors: Vec<Box<dyn Error>> = Vec::new();
    errors.extend(every_variant![KeyError:
        UnknownServer("aus404".to_owned()),
        Generation,
        InvalidPem("no PEM section".to_owned()),
        Signing("the key was rejected".to_owned()),
    ]);
    errors.extend(every_variant![RegisterError:
        Duplicate("client demo".to_owned()),
        Invalid(vec!["the client id is empty".to_owned()]),
        UnknownClient("nobody".to_owned()),
    ]);
    errors.extend(every_variant![StartError:
        Bind {
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 8900)),
            source: std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use"),
        },
        InvalidConfig { problems: vec!["two users share a name".to_owned()] },
        Tls(TlsError::Unreadable { path: "/tmp/tls/ca-key.pem".into() }),
    ]);
    errors.extend(every_variant![TlsError:
        Io {
            path: "/tmp/tls".into(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied"),
        },
        Unreadable { path: "/tmp/tls/ca-key.pem".into() },
        Certificate("the key was refused".into()),
    ]);
    errors
}

/// The first link of the chain that says again what one of its sources says, if any: `{:#}` in
/// anyhow would print that cause twice.
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
    assert!(errors.iter().any(|err| err.source().is_some()));
    for err in &errors {
        assert_eq!(repeated_cause(err.as_ref()), None);
    }
}

#[test]
fn the_cause_check_catches_a_repeated_cause() {
    #[derive(Debug, thiserror::Error)]
    #[error("binding failed: {0}")]
    struct SaysItsCauseTwice(#[source] std::io::Error);

    let err = SaysItsCauseTwice(std::io::Error::other("in use"));
    assert_eq!(
        repeated_cause(&err).as_deref(),
        Some(r#""binding failed: in use" repeats its cause "in use""#)
    );
}
