//! The verdict of a chaos run: what the simulated users saw (one [`Record`] per navigation), the
//! faults and when they happened, and the rules that fail the run ([`evaluate`]). Pure: no
//! network, no clock, so the rules are tested on their own (`tests.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

/// How long after Redis answers again its 503s still count as the outage: the replicas reconnect
/// with a backoff of at most 10 s (`redis_store`), and a command in flight times out after 2 s.
pub(crate) const REDIS_RECONNECT_ALLOWANCE: Duration = Duration::from_secs(12);

/// What a user did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `/login` through Okta to the profile page.
    SignIn,
    /// A protected page of a signed-in session (`/profile` or `/`).
    Page,
    /// `POST /logout` (the sign-out form) through Okta back to the home page.
    SignOut,
    /// `/profile` with the session cookie of a session that signed out.
    Replay,
}

/// What the user saw at the end of a navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// A 200 page that shows the user's own identity.
    OwnIdentity,
    /// A 200 page that shows another user's identity.
    OtherIdentity,
    /// The 200 home page of nobody signed in.
    SignedOutPage,
    /// A redirect to sign in.
    SentToSignIn,
    /// Any other answer: its status and whether it had `Retry-After`.
    Status { status: u16, retry_after: bool },
    /// No HTTP answer at all (connection refused, timeout).
    NoAnswer,
}

/// One navigation of one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The user's index.
    pub(crate) user: usize,
    /// The sign-in session (one per sign-in attempt of a user, numbered across the run).
    pub(crate) session: u64,
    pub(crate) action: Action,
    /// When the navigation started and ended, from the start of the load.
    pub(crate) start: Duration,
    pub(crate) end: Duration,
    /// The replica that answered the last request (the proxy says), if any.
    pub(crate) replica: Option<usize>,
    pub(crate) seen: Seen,
}

/// What was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// The `redis-server` process killed (SIGKILL) and started again on the same port.
    Redis,
    /// One replica's process killed (SIGKILL) and started again on the same port.
    Replica(usize),
}

/// A fault: killed at `down_at`, answering again at `up_at` (`None`: it never came back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) kind: FaultKind,
    pub(crate) down_at: Duration,
    pub(crate) up_at: Option<Duration>,
}

impl Fault {
    /// The time during which users may see this fault: until the end of the run if it never
    /// came back.
    fn window(&self, run_end: Duration) -> (Duration, Duration) {
        let end = match (self.kind, self.up_at) {
            (_, None) => run_end,
            (FaultKind::Redis, Some(up)) => up + REDIS_RECONNECT_ALLOWANCE,
            (FaultKind::Replica(_), Some(up)) => up,
        };
        (self.down_at, end)
    }

    fn name(&self) -> String {
        match self.kind {
            FaultKind::Redis => "Redis restart".to_owned(),
            FaultKind::Replica(replica) => format!("replica {} restart", replica_name(replica)),
        }
    }
}

/// What the run was asked for, to check the counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Expected {
    /// Every user signs in at least once.
    pub(crate) users: usize,
    /// A fault that is not recovered from within this long fails the run.
    pub(crate) max_recovery: Duration,
}

/// The counts of a run and the reasons it failed (none: it passed).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) users_signed_in: usize,
    pub(crate) sessions: usize,
    pub(crate) requests: usize,
    /// Requests by what they ended with: a status, `sent to sign in` or `no answer`.
    pub(crate) by_status: BTreeMap<String, usize>,
    /// Answers to requests in flight while Redis was down, by status.
    pub(crate) during_redis_outage: BTreeMap<String, usize>,
    pub(crate) identity_mismatches: usize,
    pub(crate) signed_out_answered_200: usize,
    /// 5xx (or no answer) outside the outage windows, and from the replica that stayed up.
    pub(crate) errors_outside_outages: usize,
    /// During the Redis outage: anything but 503 with `Retry-After` among the failures.
    pub(crate) bad_outage_answers: usize,
    /// 5xx from the killed replica while it was down (its requests in flight).
    pub(crate) killed_replica_errors: usize,
    /// Sessions sent to sign in again (or shown as signed out) without signing out.
    pub(crate) sessions_lost: usize,
    /// Of those, sessions that had a request in flight when a fault struck (allowed).
    pub(crate) sessions_lost_in_flight: usize,
    /// Per fault: its name, how long it was down, and how long after it came back the first
    /// page with a user's identity was served (by the restarted replica for a replica).
    pub(crate) recoveries: Vec<(String, Option<Duration>, Option<Duration>)>,
    /// Refresh-token grants the authorization server answered.
    pub(crate) refreshes: usize,
    pub(crate) failures: Vec<String>,
}

/// Applies the rules to what the users saw. `run_end` is when the last navigation ended;
/// `refreshes` is the number of refresh-token grants the authorization server counted.
pub(crate) fn evaluate(
    records: &[Record],
    faults: &[Fault],
    refreshes: usize,
    expected: Expected,
) -> Verdict {
    let run_end = records.iter().map(|record| record.end).max().unwrap_or_default();
    let overlaps = |record: &Record, (start, end): (Duration, Duration)| {
        record.start < end && record.end > start
    };
    let mut verdict = Verdict {
        requests: records.len(),
        refreshes,
        sessions: records.iter().map(|record| record.session).collect::<BTreeSet<_>>().len(),
        ..Verdict::default()
    };
    let mut signed_in = BTreeSet::new();
    let mut lost = BTreeSet::new();
    for record in records {
        *verdict.by_status.entry(label(record.seen)).or_default() += 1;
        let in_redis_outage = faults
            .iter()
            .any(|fault| fault.kind == FaultKind::Redis && overlaps(record, fault.window(run_end)));
        let from_killed_replica = faults.iter().any(|fault| match fault.kind {
            FaultKind::Replica(replica) => {
                record.replica == Some(replica) && overlaps(record, fault.window(run_end))
            }
            FaultKind::Redis => false,
        });
        let while_redis_down = faults.iter().any(|fault| {
            fault.kind == FaultKind::Redis
                && overlaps(record, (fault.down_at, fault.up_at.unwrap_or(run_end)))
        });
        if while_redis_down {
            *verdict.during_redis_outage.entry(label(record.seen)).or_default() += 1;
        }
        match (record.action, record.seen) {
            (Action::SignIn, Seen::OwnIdentity) => {
                signed_in.insert(record.user);
            }
            (Action::Replay, Seen::OwnIdentity | Seen::OtherIdentity) => {
                verdict.signed_out_answered_200 += 1;
            }
            (Action::Page | Action::SignIn, Seen::SentToSignIn | Seen::SignedOutPage) => {
                lost.insert(record.session);
            }
            _ => {}
        }
        if record.seen == Seen::OtherIdentity {
            verdict.identity_mismatches += 1;
        }
        let failed = match record.seen {
            Seen::Status { status, .. } => status >= 500,
            Seen::NoAnswer => true,
            _ => false,
        };
        if !failed {
            continue;
        }
        if from_killed_replica {
            verdict.killed_replica_errors += 1;
        } else if in_redis_outage {
            if record.seen != (Seen::Status { status: 503, retry_after: true }) {
                verdict.bad_outage_answers += 1;
            }
        } else {
            verdict.errors_outside_outages += 1;
        }
    }
    verdict.users_signed_in = signed_in.len();
    for session in &lost {
        let in_flight = records.iter().filter(|record| record.session == *session).any(|record| {
            faults.iter().any(|fault| record.start < fault.down_at && record.end > fault.down_at)
        });
        if in_flight {
            verdict.sessions_lost_in_flight += 1;
        } else {
            verdict.sessions_lost += 1;
        }
    }
    for fault in faults {
        let recovery = fault.up_at.and_then(|up| {
            records
                .iter()
                .filter(|record| record.start >= up && record.seen == Seen::OwnIdentity)
                .filter(|record| match fault.kind {
                    FaultKind::Redis => true,
                    FaultKind::Replica(replica) => record.replica == Some(replica),
                })
                .map(|record| record.end.saturating_sub(up))
                .min()
        });
        let down = fault.up_at.map(|up| up.saturating_sub(fault.down_at));
        verdict.recoveries.push((fault.name(), down, recovery));
    }
    verdict.failures = failures(&verdict, faults, expected);
    verdict
}

fn failures(verdict: &Verdict, faults: &[Fault], expected: Expected) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |bad: bool, reason: String| {
        if bad {
            failures.push(reason);
        }
    };
    check(
        verdict.identity_mismatches > 0,
        format!("{} page(s) showed another user's identity", verdict.identity_mismatches),
    );
    check(
        verdict.signed_out_answered_200 > 0,
        format!(
            "{} request(s) with the cookie of a signed-out session got a 200 page",
            verdict.signed_out_answered_200
        ),
    );
    check(
        verdict.errors_outside_outages > 0,
        format!(
            "{} request(s) got a 5xx or no answer outside the outage windows (or from the replica \
             that stayed up)",
            verdict.errors_outside_outages
        ),
    );
    check(
        verdict.bad_outage_answers > 0,
        format!(
            "{} failed request(s) during the Redis outage were not a 503 with Retry-After",
            verdict.bad_outage_answers
        ),
    );
    check(
        verdict.sessions_lost > 0,
        format!(
            "{} session(s) were sent to sign in again without signing out, with no request in \
             flight when a fault struck",
            verdict.sessions_lost
        ),
    );
    check(
        verdict.users_signed_in < expected.users,
        format!(
            "only {} of {} users signed in (give the run a longer --duration or fewer --users)",
            verdict.users_signed_in, expected.users
        ),
    );
    check(verdict.refreshes == 0, "no access token was refreshed".to_owned());
    for (name, _, recovery) in &verdict.recoveries {
        match recovery {
            None => failures.push(format!("no page was served after the {name}")),
            Some(took) if *took > expected.max_recovery => failures.push(format!(
                "the first page after the {name} took {:.1} s (at most {} s)",
                took.as_secs_f64(),
                expected.max_recovery.as_secs()
            )),
            Some(_) => {}
        }
    }
    if let Some(fault) = faults.iter().find(|fault| fault.up_at.is_none()) {
        failures.push(format!("the {} did not come back", fault.name()));
    }
    failures
}

/// `200`, `503 + Retry-After`, `sent to sign in` ...
fn label(seen: Seen) -> String {
    match seen {
        Seen::OwnIdentity | Seen::OtherIdentity | Seen::SignedOutPage => "200".to_owned(),
        Seen::SentToSignIn => "sent to sign in".to_owned(),
        Seen::Status { status, retry_after: true } => format!("{status} + Retry-After"),
        Seen::Status { status, retry_after: false } => status.to_string(),
        Seen::NoAnswer => "no answer".to_owned(),
    }
}

/// `A` or `B`.
pub(crate) fn replica_name(replica: usize) -> char {
    if replica == 0 { 'A' } else { 'B' }
}

/// The counts, one per line, then `PASS` or the reasons.
pub(crate) fn render(verdict: &Verdict) -> String {
    let counts = |map: &BTreeMap<String, usize>| {
        if map.is_empty() {
            return "none".to_owned();
        }
        map.iter().map(|(label, count)| format!("{label}: {count}")).collect::<Vec<_>>().join(", ")
    };
    let seconds = |value: Option<Duration>| {
        value.map_or_else(|| "never".to_owned(), |value| format!("{:.1} s", value.as_secs_f64()))
    };
    let mut out = String::new();
    let _ = writeln!(out, "users signed in:                 {}", verdict.users_signed_in);
    let _ = writeln!(out, "sessions:                        {}", verdict.sessions);
    let _ = writeln!(out, "requests:                        {}", verdict.requests);
    let _ = writeln!(out, "  by answer:                     {}", counts(&verdict.by_status));
    let _ = writeln!(out, "access-token refreshes:          {}", verdict.refreshes);
    let _ = writeln!(
        out,
        "identity mismatches:             {} (must be 0)",
        verdict.identity_mismatches
    );
    let _ = writeln!(
        out,
        "200s for signed-out sessions:    {} (must be 0)",
        verdict.signed_out_answered_200
    );
    let _ = writeln!(
        out,
        "5xx outside the outages:         {} (must be 0)",
        verdict.errors_outside_outages
    );
    let _ =
        writeln!(out, "answers while Redis was down:    {}", counts(&verdict.during_redis_outage));
    let _ = writeln!(
        out,
        "  failures not 503+Retry-After:  {} (must be 0; until {} s after Redis came back)",
        verdict.bad_outage_answers,
        REDIS_RECONNECT_ALLOWANCE.as_secs()
    );
    let _ = writeln!(
        out,
        "5xx from the killed replica:     {} (its requests in flight; allowed)",
        verdict.killed_replica_errors
    );
    let _ = writeln!(out, "sessions lost:                   {} (must be 0)", verdict.sessions_lost);
    let _ = writeln!(
        out,
        "  with a request in flight at a fault: {} (allowed)",
        verdict.sessions_lost_in_flight
    );
    for (name, down, recovery) in &verdict.recoveries {
        let _ = writeln!(
            out,
            "{name}: down {}, first page {} after it came back",
            seconds(*down),
            seconds(*recovery)
        );
    }
    if verdict.failures.is_empty() {
        out.push_str("PASS");
    } else {
        out.push_str("FAIL:");
        for failure in &verdict.failures {
            let _ = write!(out, "\n  - {failure}");
        }
    }
    out
}

#[cfg(test)]
mod tests;
