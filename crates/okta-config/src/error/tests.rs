//! Every public error of okta-config states each cause once: its message is a context sentence
//! and the cause, if any, comes through `source()`.

use std::error::Error;
use std::path::PathBuf;

use crate::{InvalidValue, LoadError, Origin, Problem, Problems};

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

fn problems() -> Problems {
    Problems::new(vec![
        Problem::new("client_id", None, "is required".to_owned()),
        Problem::new(
            "issuer",
            Some(Origin::Environment { variable: "OKTA_ISSUER".to_owned() }),
            "must use https".to_owned(),
        ),
    ])
}

/// Every public error of okta-config.
fn every_error() -> Vec<Box<dyn Error>> {
    let mut errors: Vec<Box<dyn Error>> = Vec::new();
    errors.extend(every_variant![LoadError:
        File { path: PathBuf::from("okta.toml"), reason: "expected `=` at line 3".to_owned() },
        Invalid(problems()),
    ]);
    errors.push(Box::new(problems()));
    errors.push(Box::new(InvalidValue::new("must be an absolute https URL")));
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
    for err in &every_error() {
        assert!(!err.to_string().is_empty());
        assert_eq!(repeated_cause(err.as_ref()), None);
    }
}

#[test]
fn the_cause_check_catches_a_repeated_cause() {
    #[derive(Debug, thiserror::Error)]
    #[error("reading failed: {0}")]
    struct SaysItsCauseTwice(#[source] std::io::Error);

    let err = SaysItsCauseTwice(std::io::Error::other("denied"));
    assert_eq!(
        repeated_cause(&err).as_deref(),
        Some(r#""reading failed: denied" repeats its cause "denied""#)
    );
}
