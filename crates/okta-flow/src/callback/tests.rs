//! Tests of the callback check: parsing, the order of checks, and what each refusal says.

use std::time::{Duration, UNIX_EPOCH};

use super::*;

const ISSUER: &str = "https://dev-1.okta.com/oauth2/default";

fn pending() -> PendingLogin {
    PendingLogin::start("https://app.example/cb", UNIX_EPOCH + Duration::from_secs(1), None).0
}

fn run(query: &str, pending: &PendingLogin, iss_required: bool) -> Result<String, CallbackError> {
    check(query, pending, ISSUER, iss_required).map(|code| code.secret().to_owned())
}

fn state(pending: &PendingLogin) -> &str {
    pending.state.secret()
}

#[test]
fn a_good_callback_yields_the_code() {
    let p = pending();
    assert_eq!(run(&format!("code=abc123&state={}", state(&p)), &p, false), Ok("abc123".into()));
    // A leading `?`, unknown parameters and percent-encoding are fine.
    assert_eq!(
        run(&format!("?session_state=x&code=a%2Fb%3D&state={}", state(&p)), &p, false),
        Ok("a/b=".into())
    );
}

#[test]
fn sc026_no_state_is_refused_first() {
    let p = pending();
    assert_eq!(run("code=abc", &p, false), Err(CallbackError::StateMissing));
    assert_eq!(run("error=access_denied", &p, false), Err(CallbackError::StateMissing));
}

#[test]
fn sc027_another_sessions_state_is_refused() {
    let p = pending();
    let other = pending();
    assert_eq!(
        run(&format!("code=abc&state={}", state(&other)), &p, false),
        Err(CallbackError::StateMismatch)
    );
    // Prefixes, case changes and padding do not match.
    let s = state(&p);
    for forged in [&s[..42], &s.to_uppercase(), &format!("{s} "), &format!("{s}x"), ""] {
        assert_eq!(
            run(&format!("code=abc&state={}", forged.replace(' ', "+")), &p, false),
            Err(CallbackError::StateMismatch),
            "{forged:?}"
        );
    }
}

#[test]
fn sc029_an_error_with_our_state_is_typed() {
    let p = pending();
    let result = run(
        &format!("error=access_denied&error_description=User+cancelled&state={}", state(&p)),
        &p,
        false,
    );
    assert_eq!(
        result,
        Err(CallbackError::Authorization {
            code: AuthorizationErrorCode::AccessDenied,
            description: Some("User cancelled".into()),
            uri: None,
        })
    );
    assert_eq!(
        result.unwrap_err().to_string(),
        "Okta refused the sign-in: access_denied (User cancelled)"
    );
    for (code, expected) in [
        ("login_required", AuthorizationErrorCode::LoginRequired),
        ("consent_required", AuthorizationErrorCode::ConsentRequired),
        ("invalid_scope", AuthorizationErrorCode::InvalidScope),
        ("server_error", AuthorizationErrorCode::ServerError),
        ("weird_code", AuthorizationErrorCode::Other("weird_code".into())),
    ] {
        let Err(CallbackError::Authorization { code: parsed, .. }) =
            run(&format!("error={code}&state={}", state(&p)), &p, false)
        else {
            panic!("{code}")
        };
        assert_eq!(parsed, expected);
        assert_eq!(parsed.as_str(), code);
    }
}

#[test]
fn sc030_an_error_with_a_wrong_state_says_nothing_of_its_description() {
    let p = pending();
    let err = run("error=access_denied&error_description=Call+0800+EVIL&state=forged", &p, false)
        .unwrap_err();
    assert_eq!(err, CallbackError::StateMismatch);
    assert!(!err.to_string().contains("EVIL"));
}

#[test]
fn sc031_descriptions_are_escaped_and_truncated() {
    let p = pending();
    let description = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%0D%0AX-Injected:+1%1B[31m";
    let Err(CallbackError::Authorization { description: Some(text), .. }) = run(
        &format!("error=server_error&error_description={description}&state={}", state(&p)),
        &p,
        false,
    ) else {
        panic!("expected an authorization error")
    };
    assert_eq!(text, r"\u{3c}script\u{3e}alert(1)\u{3c}/script\u{3e}\r\nX-Injected: 1\u{1b}[31m");
    let long = "A".repeat(10_000);
    let Err(CallbackError::Authorization { description: Some(text), .. }) =
        run(&format!("error=server_error&error_description={long}&state={}", state(&p)), &p, false)
    else {
        panic!("expected an authorization error")
    };
    assert!(text.chars().count() <= MAX_DESCRIPTION_LEN + 1, "{}", text.len());
}

#[test]
fn sc032_duplicated_or_conflicting_parameters_are_malformed() {
    let p = pending();
    let s = state(&p);
    for query in [
        format!("code=a&code=b&state={s}"),
        format!("code=a&state={s}&state={s}"),
        format!("code=a&state={s}&iss={ISSUER}&iss={ISSUER}"),
        format!("code=a&error=access_denied&state={s}"),
        format!("error=a&error=b&state={s}"),
    ] {
        assert!(matches!(run(&query, &p, false), Err(CallbackError::Malformed(_))), "{query}");
    }
}

#[test]
fn sc033_sc034_sc035_the_iss_parameter() {
    let p = pending();
    let s = state(&p);
    let encoded = "https%3A%2F%2Fdev-1.okta.com%2Foauth2%2Fdefault";
    assert_eq!(run(&format!("code=a&state={s}&iss={encoded}"), &p, true), Ok("a".into()));
    for wrong in [
        "https://dev-1.okta.com/oauth2/default/",
        "https://DEV-1.okta.com/oauth2/default",
        "https://dev-1.okta.com:443/oauth2/default",
        "http://dev-1.okta.com/oauth2/default",
        "https://evil.example",
    ] {
        assert_eq!(
            run(&format!("code=a&state={s}&iss={wrong}"), &p, false),
            Err(CallbackError::IssuerMismatch),
            "{wrong}"
        );
    }
    // Absent: fine unless the metadata promises it.
    assert_eq!(run(&format!("code=a&state={s}"), &p, false), Ok("a".into()));
    assert_eq!(run(&format!("code=a&state={s}"), &p, true), Err(CallbackError::IssuerMismatch));
}

#[test]
fn sc036_bad_codes_and_encodings_are_malformed() {
    let p = pending();
    let s = state(&p);
    let long = "a".repeat(MAX_CODE_LEN + 1);
    for query in [
        format!("code=&state={s}"),
        format!("code={long}&state={s}"),
        format!("code=%C3%A9t%C3%A9&state={s}"),
        format!("code=a%ZZ&state={s}"),
        format!("code=a%2&state={s}"),
        format!("code=a%+1&state={s}"),
        format!("code=%FF&state={s}"),
        format!("state={s}"),
        "x".repeat(MAX_QUERY_LEN + 1),
    ] {
        let result = run(&query, &p, false);
        assert!(
            matches!(result, Err(CallbackError::Malformed(_))),
            "{}: {result:?}",
            &query[..query.len().min(60)]
        );
    }
}

#[test]
fn errors_never_carry_the_code_or_the_state() {
    let p = pending();
    let s = state(&p).to_owned();
    let outputs = [
        run(&format!("code=SECRETCODE&code=x&state={s}"), &p, false),
        run("code=SECRETCODE&state=other", &p, false),
        run(&format!("code=SECRETCODE&state={s}&iss=x"), &p, false),
    ];
    for output in outputs {
        let err = output.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("SECRETCODE") && !text.contains(&s), "{text}");
    }
}

mod properties {
    //! SC-120: the callback check never panics, and never accepts a state it was not given.
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_query_is_handled_without_panic(query in ".{0,300}") {
            let p = pending();
            let _ = run(&query, &p, false);
            let _ = run(&query, &p, true);
        }

        #[test]
        fn structured_queries_never_pass_without_the_state(
            code in "[ -~]{0,40}",
            state in "[A-Za-z0-9_-]{0,50}",
            extra in "[a-z_%=&+]{0,40}",
        ) {
            let p = pending();
            prop_assume!(state != p.state.secret().as_str());
            let query = format!("code={code}&state={state}&{extra}");
            prop_assert!(run(&query, &p, false).is_err());
        }

        #[test]
        fn the_right_state_with_any_printable_code_gives_that_code(code in "[!-~&&[^&%+]]{1,100}") {
            let p = pending();
            let query = format!("code={code}&state={}", state(&p));
            prop_assert_eq!(run(&query, &p, false), Ok(code));
        }
    }
}
