//! Tests of arming, consuming and clearing faults.

use super::*;

#[test]
fn a_fault_armed_once_fires_once() {
    let faults = Faults::default();
    faults.arm(Fault::InvalidGrant);
    let pick = |fault: &Fault| matches!(fault, Fault::InvalidGrant).then_some(());
    assert_eq!(faults.take(pick), Some(()));
    assert_eq!(faults.take(pick), None);
    assert_eq!(faults.fired(), [Fault::InvalidGrant]);
    assert!(faults.armed().is_empty());
}

#[test]
fn arm_times_counts_down_and_arm_always_does_not() {
    let faults = Faults::default();
    faults.arm_times(Fault::UserinfoSubMismatch, 2);
    faults.arm_always(Fault::DiscoveryIssuerMismatch);
    let userinfo = |fault: &Fault| matches!(fault, Fault::UserinfoSubMismatch).then_some(());
    let discovery = |fault: &Fault| matches!(fault, Fault::DiscoveryIssuerMismatch).then_some(());
    assert_eq!(faults.armed()[0].remaining(), Some(2));
    assert!(faults.take(userinfo).is_some());
    assert_eq!(faults.armed()[0].remaining(), Some(1));
    assert!(faults.take(userinfo).is_some());
    assert!(faults.take(userinfo).is_none());
    for _ in 0..5 {
        assert!(faults.take(discovery).is_some());
    }
    assert_eq!(faults.armed()[0].remaining(), None);
    faults.clear();
    assert!(faults.take(discovery).is_none());
    assert!(faults.fired().is_empty());
    faults.arm_times(Fault::InvalidGrant, 0);
    assert!(faults.armed().is_empty(), "arming zero times does nothing");
}

#[test]
fn take_all_consumes_each_matching_fault_once() {
    let faults = Faults::default();
    faults.arm(Fault::IdToken(TokenFault::WrongIssuer));
    faults.arm_times(Fault::IdToken(TokenFault::MissingSubject), 2);
    faults.arm(Fault::AccessToken(TokenFault::AlgNone));
    let id_faults = |fault: &Fault| match fault {
        Fault::IdToken(token_fault) => Some(*token_fault),
        _ => None,
    };
    assert_eq!(faults.take_all(id_faults), [TokenFault::WrongIssuer, TokenFault::MissingSubject]);
    assert_eq!(faults.take_all(id_faults), [TokenFault::MissingSubject]);
    assert!(faults.take_all(id_faults).is_empty());
    assert_eq!(faults.armed().len(), 1, "the access-token fault is untouched");
}

#[test]
fn sticky_faults_never_count_down() {
    let faults = Faults::default();
    faults.arm(Fault::JwksUnusableKeys);
    assert!(faults.take(|fault| matches!(fault, Fault::JwksUnusableKeys).then_some(())).is_none());
    assert!(faults.sticky_in_effect(&Fault::JwksUnusableKeys));
    assert!(faults.sticky_in_effect(&Fault::JwksUnusableKeys));
    assert!(!faults.sticky_in_effect(&Fault::JwksUriRandomPath));
    faults.clear();
    assert!(!faults.sticky_in_effect(&Fault::JwksUnusableKeys));
}

#[test]
fn armed_or_fired_sees_both_states() {
    let faults = Faults::default();
    let kid_absent =
        |fault: &Fault| matches!(fault, Fault::IdToken(TokenFault::KidAbsentSingleKey));
    assert!(!faults.armed_or_fired(kid_absent));
    faults.arm(Fault::IdToken(TokenFault::KidAbsentSingleKey));
    assert!(faults.armed_or_fired(kid_absent));
    faults.take(|fault| kid_absent(fault).then_some(()));
    assert!(faults.armed_or_fired(kid_absent), "still in effect after firing");
    faults.clear();
    assert!(!faults.armed_or_fired(kid_absent));
}

#[test]
fn faults_have_a_stable_json_form() {
    let cases = [
        (Fault::InvalidGrant, r#"{"fault":"invalid_grant"}"#),
        (Fault::IdToken(TokenFault::AlgNone), r#"{"fault":"id_token","with":"alg_none"}"#),
        (
            Fault::ServerError { endpoint: Endpoint::Keys, status: 503 },
            r#"{"fault":"server_error","with":{"endpoint":"keys","status":503}}"#,
        ),
        (
            Fault::Delay { endpoint: Endpoint::Token, duration: Duration::from_millis(1500) },
            r#"{"fault":"delay","with":{"endpoint":"token","millis":1500}}"#,
        ),
        (Fault::RateLimited(Endpoint::Authorize), r#"{"fault":"rate_limited","with":"authorize"}"#),
    ];
    for (fault, json) in cases {
        assert_eq!(serde_json::to_string(&fault).unwrap(), json);
        assert_eq!(serde_json::from_str::<Fault>(json).unwrap(), fault);
    }
}
