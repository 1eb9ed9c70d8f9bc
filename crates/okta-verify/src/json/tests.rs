//! Unit tests of the strict JSON reader and `NumericDate` conversion.

use serde_json::Number;

use crate::json::{Claim, RawClaims, Rounding, StrictValue, numeric_date, parse_object};

#[test]
fn duplicates_are_refused_at_every_depth() {
    for json in [
        r#"{"a":1,"a":1}"#,
        r#"{"a":{"b":1,"b":2}}"#,
        r#"{"a":[{"b":1,"b":2}]}"#,
        r#"{"a":1,"\u0061":2}"#,
    ] {
        assert!(serde_json::from_str::<StrictValue>(json).is_err(), "{json}");
        assert!(RawClaims::parse(json.as_bytes()).is_err(), "{json}");
    }
    assert!(parse_object(br#"{"a":{"b":1},"c":[1,{"b":2}]}"#).is_ok());
    assert!(parse_object(b"[]").is_err());
}

#[test]
fn known_claims_are_sorted_from_the_rest() {
    let mut claims =
        RawClaims::parse(br#"{"iss":"i","groups":["g"],"exp":5,"nonce":"n"}"#).unwrap();
    assert!(claims.contains(Claim::Iss));
    assert!(claims.contains(Claim::Nonce));
    assert_eq!(claims.required_string(Claim::Iss).unwrap(), "i");
    assert_eq!(claims.date(Claim::Exp, Rounding::Down).unwrap(), Some(5));
    let extra = claims.into_extra();
    let mut names: Vec<&str> = extra.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["groups", "nonce"]);
}

#[test]
fn claim_types_are_enforced() {
    let mut claims =
        RawClaims::parse(br#"{"iss":1,"aud":[],"scp":"a b","exp":"5","sub":null}"#).unwrap();
    assert_eq!(claims.required_string(Claim::Iss).unwrap_err().kind(), "invalid_claim_type");
    assert_eq!(claims.audience().unwrap_err().kind(), "invalid_claim_type");
    assert_eq!(claims.string_array(Claim::Scp).unwrap_err().kind(), "invalid_claim_type");
    assert_eq!(claims.date(Claim::Exp, Rounding::Down).unwrap_err().kind(), "invalid_claim_type");
    assert_eq!(claims.string(Claim::Sub).unwrap_err().kind(), "invalid_claim_type");
    assert_eq!(claims.required_string(Claim::Jti).unwrap_err().kind(), "missing_claim");
}

#[test]
fn numeric_dates_round_towards_refusal_and_saturate() {
    let number = |text: &str| serde_json::from_str::<Number>(text).unwrap();
    assert_eq!(numeric_date(&number("10"), Rounding::Down), 10);
    assert_eq!(numeric_date(&number("-10"), Rounding::Up), -10);
    assert_eq!(numeric_date(&number("10.9"), Rounding::Down), 10);
    assert_eq!(numeric_date(&number("10.1"), Rounding::Up), 11);
    assert_eq!(numeric_date(&number("-10.5"), Rounding::Down), -11);
    assert_eq!(numeric_date(&number("18446744073709551615"), Rounding::Down), i64::MAX);
    assert_eq!(numeric_date(&number("1e308"), Rounding::Down), i64::MAX);
    assert_eq!(numeric_date(&number("-1e308"), Rounding::Up), i64::MIN);
    assert!(serde_json::from_str::<Number>("1e400").is_err());
}
