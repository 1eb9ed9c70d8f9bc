//! The metrics okta-verify records through the `metrics` facade. Every name and label is
//! `&'static str` and every key is a `static`, so recording allocates nothing; without an
//! installed recorder each call is a no-op. `docs/verify.md` ("Metrics") lists them.

use std::time::Duration;

use metrics::{Key, Label, Level, Metadata};

use crate::error::VerifyError;

/// The names of the metrics okta-verify records, with their labels (`docs/verify.md`, "Metrics").
pub mod metric_names {
    /// Counter: verifications, by `verifier` (`access`, `introspection`), `outcome` (`accepted`,
    /// `refused`) and `reason` (`ok`, or [`VerifyError::kind`](crate::VerifyError::kind)).
    pub const VERIFICATIONS: &str = "okta_verify_verifications_total";
    /// Histogram, seconds: the time of a verification that did the full work (no cache hit), by
    /// `verifier`. Cache hits are counted by `TOKEN_CACHE` and not timed, to keep them cheap.
    pub const VERIFICATION_SECONDS: &str = "okta_verify_verification_seconds";
    /// Counter: lookups in the verified-token cache, by `verifier` and `result` (`hit`, `miss`).
    pub const TOKEN_CACHE: &str = "okta_verify_token_cache_total";
    /// Counter: key-set fetches, by `result` (`ok`, `error`).
    pub const JWKS_FETCHES: &str = "okta_verify_jwks_fetches_total";
    /// Gauge, seconds since the Unix epoch: when the key set was last fetched successfully (the
    /// keys' age is `time() - okta_verify_jwks_fetched_timestamp_seconds`).
    pub const JWKS_FETCHED_AT: &str = "okta_verify_jwks_fetched_timestamp_seconds";
    /// Counter: calls to the introspection endpoint, by `result` (`active`, `refused`, `failed`,
    /// `busy`).
    pub const INTROSPECTION_CALLS: &str = "okta_verify_introspection_calls_total";
    /// Histogram, seconds: the time of one call to the introspection endpoint.
    pub const INTROSPECTION_SECONDS: &str = "okta_verify_introspection_seconds";

    /// Every metric with its labels, in the order `docs/verify.md` lists them.
    pub const ALL: &[(&str, &[&str])] = &[
        (VERIFICATIONS, &["verifier", "outcome", "reason"]),
        (VERIFICATION_SECONDS, &["verifier"]),
        (TOKEN_CACHE, &["verifier", "result"]),
        (JWKS_FETCHES, &["result"]),
        (JWKS_FETCHED_AT, &[]),
        (INTROSPECTION_CALLS, &["result"]),
        (INTROSPECTION_SECONDS, &[]),
    ];
}

use metric_names::{
    INTROSPECTION_CALLS, INTROSPECTION_SECONDS, JWKS_FETCHED_AT, JWKS_FETCHES, TOKEN_CACHE,
    VERIFICATION_SECONDS, VERIFICATIONS,
};

static METADATA: Metadata<'static> =
    Metadata::new("okta_verify", Level::INFO, Some(module_path!()));

/// Which verifier records.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Verifier {
    Access,
    Introspection,
}

/// A key with static labels (the labels live in a `static` of their own).
macro_rules! key {
    ($name:expr) => {
        Key::from_static_name($name)
    };
    ($name:expr, $($label:literal => $value:expr),+ $(,)?) => {{
        static LABELS: [Label; [$($label),+].len()] = [$(Label::from_static_parts($label, $value)),+];
        Key::from_static_parts($name, &LABELS)
    }};
}

/// The refusal keys of one verifier, one per [`VerifyError::kind`] (the one list of kinds).
macro_rules! refused_keys {
    ($verifier:literal) => {
        refused_keys!(
            $verifier,
            [
                "malformed",
                "token_too_large",
                "jwe_unsupported",
                "nested_jwt_unsupported",
                "unsupported_header",
                "algorithm_not_allowed",
                "key_not_found",
                "ambiguous_key",
                "key_unusable",
                "invalid_signature",
                "jwks_unavailable",
                "expired",
                "not_yet_valid",
                "issued_in_future",
                "too_old",
                "wrong_issuer",
                "audience_mismatch",
                "azp_mismatch",
                "client_id_not_allowed",
                "insufficient_scope",
                "missing_claim",
                "invalid_claim_type",
                "wrong_token_kind",
                "nonce_mismatch",
                "at_hash_mismatch",
                "subject_mismatch",
                "org_server_token",
                "rule_violation",
                "introspection_busy",
                "introspection_inactive",
                "introspection_failed",
            ]
        )
    };
    ($verifier:literal, [$($reason:literal),* $(,)?]) => {
        [$(($reason, key!(VERIFICATIONS, "verifier" => $verifier, "outcome" => "refused", "reason" => $reason))),*]
    };
}

/// How many [`VerifyError::kind`]s the tables below name.
const REASONS: usize = 31;

static ACCESS_REFUSED: [(&str, Key); REASONS] = refused_keys!("access");
static INTROSPECTION_REFUSED: [(&str, Key); REASONS] = refused_keys!("introspection");

static ACCESS_ACCEPTED: Key =
    key!(VERIFICATIONS, "verifier" => "access", "outcome" => "accepted", "reason" => "ok");
static INTROSPECTION_ACCEPTED: Key =
    key!(VERIFICATIONS, "verifier" => "introspection", "outcome" => "accepted", "reason" => "ok");
static ACCESS_SECONDS: Key = key!(VERIFICATION_SECONDS, "verifier" => "access");
static INTROSPECTION_VERIFY_SECONDS: Key =
    key!(VERIFICATION_SECONDS, "verifier" => "introspection");
static ACCESS_HIT: Key = key!(TOKEN_CACHE, "verifier" => "access", "result" => "hit");
static ACCESS_MISS: Key = key!(TOKEN_CACHE, "verifier" => "access", "result" => "miss");
static INTROSPECTION_HIT: Key = key!(TOKEN_CACHE, "verifier" => "introspection", "result" => "hit");
static INTROSPECTION_MISS: Key =
    key!(TOKEN_CACHE, "verifier" => "introspection", "result" => "miss");
static JWKS_OK: Key = key!(JWKS_FETCHES, "result" => "ok");
static JWKS_ERROR: Key = key!(JWKS_FETCHES, "result" => "error");
static JWKS_AT: Key = key!(JWKS_FETCHED_AT);
static CALL_ACTIVE: Key = key!(INTROSPECTION_CALLS, "result" => "active");
static CALL_REFUSED: Key = key!(INTROSPECTION_CALLS, "result" => "refused");
static CALL_FAILED: Key = key!(INTROSPECTION_CALLS, "result" => "failed");
static CALL_BUSY: Key = key!(INTROSPECTION_CALLS, "result" => "busy");
static CALL_SECONDS: Key = key!(INTROSPECTION_SECONDS);

fn increment(key: &Key) {
    metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(1));
}

fn record(key: &Key, duration: Duration) {
    metrics::with_recorder(|recorder| {
        recorder.register_histogram(key, &METADATA).record(duration.as_secs_f64());
    });
}

/// One verification's outcome.
pub(crate) fn verification<T>(verifier: Verifier, result: &Result<T, VerifyError>) {
    match (verifier, result) {
        (Verifier::Access, Ok(_)) => increment(&ACCESS_ACCEPTED),
        (Verifier::Introspection, Ok(_)) => increment(&INTROSPECTION_ACCEPTED),
        (verifier, Err(err)) => refusal(verifier, err),
    }
}

/// One refusal, counted by its [`VerifyError::kind`].
pub(crate) fn refusal(verifier: Verifier, err: &VerifyError) {
    let keys: &[(&str, Key)] = match verifier {
        Verifier::Access => &ACCESS_REFUSED,
        Verifier::Introspection => &INTROSPECTION_REFUSED,
    };
    let reason = err.kind();
    match keys.iter().find(|(kind, _)| *kind == reason) {
        Some((_, key)) => increment(key),
        // A kind added to VerifyError but not to the tables above: counted all the same.
        None => {
            let verifier = match verifier {
                Verifier::Access => "access",
                Verifier::Introspection => "introspection",
            };
            metrics::counter!(VERIFICATIONS, "verifier" => verifier, "outcome" => "refused", "reason" => reason)
                .increment(1);
        }
    }
}

/// The time of a verification that did the full work.
pub(crate) fn verification_time(verifier: Verifier, duration: Duration) {
    match verifier {
        Verifier::Access => record(&ACCESS_SECONDS, duration),
        Verifier::Introspection => record(&INTROSPECTION_VERIFY_SECONDS, duration),
    }
}

/// A lookup in the verified-token cache.
pub(crate) fn token_cache(verifier: Verifier, hit: bool) {
    let key = match (verifier, hit) {
        (Verifier::Access, true) => &ACCESS_HIT,
        (Verifier::Access, false) => &ACCESS_MISS,
        (Verifier::Introspection, true) => &INTROSPECTION_HIT,
        (Verifier::Introspection, false) => &INTROSPECTION_MISS,
    };
    increment(key);
}

/// A finished key-set fetch; `now` is the clock's Unix seconds.
pub(crate) fn jwks_fetch(ok: bool, now: i64) {
    if ok {
        increment(&JWKS_OK);
        #[allow(clippy::cast_precision_loss, reason = "Unix seconds fit an f64 exactly until 2^53")]
        let now = now as f64;
        metrics::with_recorder(|recorder| recorder.register_gauge(&JWKS_AT, &METADATA).set(now));
    } else {
        increment(&JWKS_ERROR);
    }
}

/// One call to the introspection endpoint (`None` when the concurrency cap refused it).
pub(crate) fn introspection_call<T>(result: &Result<T, VerifyError>, duration: Option<Duration>) {
    let key = match result {
        Ok(_) => &CALL_ACTIVE,
        Err(VerifyError::IntrospectionBusy { .. }) => &CALL_BUSY,
        Err(VerifyError::IntrospectionFailed { .. }) => &CALL_FAILED,
        Err(_) => &CALL_REFUSED,
    };
    increment(key);
    if let Some(duration) = duration {
        record(&CALL_SECONDS, duration);
    }
}
