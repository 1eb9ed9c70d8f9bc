//! Which counts fail a chaos run: each rule on a small made-up run.

use std::time::Duration;

use super::{Action, Expected, Fault, FaultKind, Record, Seen, evaluate};

const EXPECTED: Expected = Expected { users: 2, max_recovery: Duration::from_secs(20) };

fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

fn record(user: usize, session: u64, action: Action, start: f64, end: f64, seen: Seen) -> Record {
    Record { user, session, action, start: secs(start), end: secs(end), replica: Some(0), seen }
}

fn on(replica: usize, mut record: Record) -> Record {
    record.replica = Some(replica);
    record
}

fn status(status: u16, retry_after: bool) -> Seen {
    Seen::Status { status, retry_after }
}

/// Redis down from 10 s to 13 s, replica B from 30 s to 33 s.
fn faults() -> Vec<Fault> {
    vec![
        Fault { kind: FaultKind::Redis, down_at: secs(10.0), up_at: Some(secs(13.0)) },
        Fault { kind: FaultKind::Replica(1), down_at: secs(30.0), up_at: Some(secs(33.0)) },
    ]
}

/// Two users who sign in, browse through both faults (503s during the Redis outage, one
/// request lost with replica B), recover on both replicas, sign out and replay their cookies.
fn clean_run() -> Vec<Record> {
    let mut records = Vec::new();
    for user in 0..2 {
        let session = user as u64;
        records.push(record(user, session, Action::SignIn, 0.0, 0.5, Seen::OwnIdentity));
        records.push(record(user, session, Action::Page, 5.0, 5.1, Seen::OwnIdentity));
        records.push(record(user, session, Action::Page, 11.0, 11.1, status(503, true)));
        // Redis is back, the replicas still reconnect: within the allowance.
        records.push(record(user, session, Action::Page, 14.0, 14.1, status(503, true)));
        records.push(record(user, session, Action::Page, 16.0, 16.1, Seen::OwnIdentity));
        records.push(on(1, record(user, session, Action::Page, 29.9, 30.2, status(502, false))));
        records.push(on(0, record(user, session, Action::Page, 31.0, 31.1, Seen::OwnIdentity)));
        records.push(on(1, record(user, session, Action::Page, 34.0, 34.1, Seen::OwnIdentity)));
        records.push(record(user, session, Action::SignOut, 40.0, 40.2, Seen::SignedOutPage));
        records.push(record(user, session, Action::Replay, 40.3, 40.4, Seen::SentToSignIn));
    }
    records
}

#[test]
fn a_run_within_the_rules_passes_and_reports_its_counts() {
    let verdict = evaluate(&clean_run(), &faults(), 7, EXPECTED);
    assert_eq!(verdict.failures, Vec::<String>::new());
    assert_eq!(verdict.users_signed_in, 2);
    assert_eq!(verdict.sessions, 2);
    assert_eq!(verdict.requests, 20);
    assert_eq!(verdict.by_status["200"], 12);
    assert_eq!(verdict.by_status["503 + Retry-After"], 4);
    assert_eq!(verdict.during_redis_outage["503 + Retry-After"], 2, "while Redis was down");
    assert_eq!(verdict.killed_replica_errors, 2);
    assert_eq!(verdict.recoveries.len(), 2);
    let (name, down, recovery) = &verdict.recoveries[0];
    assert_eq!(name, "Redis restart");
    assert_eq!(*down, Some(secs(3.0)));
    assert_eq!(*recovery, Some(secs(16.1).saturating_sub(secs(13.0))));
    let (name, _, recovery) = &verdict.recoveries[1];
    assert_eq!(name, "replica B restart");
    assert_eq!(
        *recovery,
        Some(secs(34.1).saturating_sub(secs(33.0))),
        "served by the restarted replica"
    );
    assert!(super::render(&verdict).ends_with("PASS"));
}

#[test]
fn another_users_identity_fails_the_run() {
    let mut records = clean_run();
    records[1].seen = Seen::OtherIdentity;
    let verdict = evaluate(&records, &faults(), 7, EXPECTED);
    assert_eq!(verdict.identity_mismatches, 1);
    assert_eq!(verdict.failures, ["1 page(s) showed another user's identity"]);
    assert!(super::render(&verdict).contains("FAIL:\n  - 1 page(s) showed another"));
}

#[test]
fn a_503_without_retry_after_or_a_500_during_the_redis_outage_fails_the_run() {
    for seen in [status(503, false), status(500, false), Seen::NoAnswer] {
        let mut records = clean_run();
        records[2].seen = seen;
        let verdict = evaluate(&records, &faults(), 7, EXPECTED);
        assert_eq!(verdict.bad_outage_answers, 1, "{seen:?}");
        assert_eq!(verdict.failures.len(), 1, "{seen:?}: {:?}", verdict.failures);
    }
}

#[test]
fn a_5xx_after_the_reconnect_allowance_or_before_the_outage_fails_the_run() {
    let cases = [(26.0, status(503, true)), (5.0, status(503, true)), (27.0, status(500, false))];
    for (start, seen) in cases {
        let mut records = clean_run();
        records.push(record(0, 0, Action::Page, start, start + 0.1, seen));
        let verdict = evaluate(&records, &faults(), 7, EXPECTED);
        assert_eq!(verdict.errors_outside_outages, 1, "at {start}: {seen:?}");
        assert_eq!(verdict.failures.len(), 1);
    }
}

#[test]
fn a_5xx_from_the_replica_that_stayed_up_fails_the_run() {
    let mut records = clean_run();
    records.push(on(0, record(0, 0, Action::Page, 31.5, 31.6, status(502, false))));
    let verdict = evaluate(&records, &faults(), 7, EXPECTED);
    assert_eq!(verdict.errors_outside_outages, 1);
    assert_eq!(verdict.killed_replica_errors, 2);
}

#[test]
fn a_lost_session_fails_the_run_unless_a_request_was_in_flight_at_a_fault() {
    // A later session of user 0, with nothing in flight at either fault.
    let mut records = clean_run();
    records.push(record(0, 5, Action::SignIn, 19.0, 19.5, Seen::OwnIdentity));
    records.push(record(0, 5, Action::Page, 20.0, 20.1, Seen::SentToSignIn));
    let verdict = evaluate(&records, &faults(), 7, EXPECTED);
    assert_eq!((verdict.sessions_lost, verdict.sessions_lost_in_flight), (1, 0));
    assert_eq!(verdict.failures.len(), 1, "{:?}", verdict.failures);

    // Session 1 had a request in flight when replica B was killed (29.9 s to 30.2 s).
    // (A home page that shows nobody signed in is a lost session too.)
    let mut records = clean_run();
    records.push(record(1, 1, Action::Page, 35.0, 35.1, Seen::SignedOutPage));
    let verdict = evaluate(&records, &faults(), 7, EXPECTED);
    assert_eq!((verdict.sessions_lost, verdict.sessions_lost_in_flight), (0, 1));
    assert_eq!(verdict.failures, Vec::<String>::new());
}

#[test]
fn a_200_for_a_signed_out_session_fails_the_run() {
    let mut records = clean_run();
    let replay = records.iter_mut().rfind(|record| record.action == Action::Replay);
    replay.expect("a replay").seen = Seen::OwnIdentity;
    let verdict = evaluate(&records, &faults(), 7, EXPECTED);
    assert_eq!(verdict.signed_out_answered_200, 1);
    assert_eq!(verdict.failures.len(), 1);
}

#[test]
fn no_recovery_missing_users_or_no_refresh_fail_the_run() {
    // Nothing served by replica B after it came back.
    let records: Vec<Record> =
        clean_run().into_iter().filter(|r| r.start < secs(34.0) || r.replica != Some(1)).collect();
    let verdict = evaluate(&records, &faults(), 7, EXPECTED);
    assert_eq!(verdict.failures, ["no page was served after the replica B restart"]);

    let mut faults = faults();
    faults[0].up_at = None;
    let verdict = evaluate(&clean_run(), &faults, 7, EXPECTED);
    assert!(verdict.failures.contains(&"the Redis restart did not come back".to_owned()));

    let slow = Expected { max_recovery: Duration::from_secs(2), ..EXPECTED };
    let verdict = evaluate(&clean_run(), &self::faults(), 7, slow);
    assert_eq!(
        verdict.failures,
        ["the first page after the Redis restart took 3.1 s (at most 2 s)"]
    );

    let more_users = Expected { users: 3, ..EXPECTED };
    let verdict = evaluate(&clean_run(), &self::faults(), 0, more_users);
    assert_eq!(
        verdict.failures,
        [
            "only 2 of 3 users signed in (give the run a longer --duration or fewer --users)",
            "no access token was refreshed",
        ]
    );
}
