//! Okta's `X-Rate-Limit-*` response headers, recorded on the request's span.

/// Below this share of the bucket left, a warning is logged.
const LOW_RATE_LIMIT_PERCENT: u64 = 10;

/// Records `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` on `span`, and warns when less than
/// a tenth of the bucket is left.
pub(crate) fn record_rate_limits(span: &tracing::Span, headers: &http::HeaderMap, url: &str) {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let limit = number("x-rate-limit-limit");
    let remaining = number("x-rate-limit-remaining");
    let reset = number("x-rate-limit-reset");
    if let Some(limit) = limit {
        span.record("rate_limit_limit", limit);
    }
    if let Some(remaining) = remaining {
        span.record("rate_limit_remaining", remaining);
    }
    if let Some(reset) = reset {
        span.record("rate_limit_reset", reset);
    }
    if let (Some(limit), Some(remaining)) = (limit, remaining)
        && remaining.saturating_mul(100) < limit.saturating_mul(LOW_RATE_LIMIT_PERCENT)
    {
        tracing::warn!(url, limit, remaining, reset, "Okta rate limit nearly exhausted");
    }
}
