//! Dates and durations for people: RFC 3339 UTC dates and "in 2 hours 5 minutes" phrases.

/// Seconds since the epoch as an RFC 3339 UTC date, such as `2026-11-28T09:38:33Z`; a time
/// beyond the years 1 to 9999 (a hostile or broken claim) is shown as its raw number.
pub(crate) fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|date| date.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| format!("@{seconds} (out of range)"))
}

/// A duration in its two largest units, rounded down: `2 hours 5 minutes`, `3 days`,
/// `45 seconds`. Negative durations are described by their magnitude.
pub(crate) fn duration(seconds: i64) -> String {
    const UNITS: [(u64, &str); 5] =
        [(365 * 86_400, "year"), (86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")];
    let mut rest = seconds.unsigned_abs();
    if rest == 0 {
        return "0 seconds".to_owned();
    }
    let mut parts = Vec::with_capacity(2);
    for (size, name) in UNITS {
        if parts.len() == 2 {
            break;
        }
        let count = rest / size;
        if count > 0 {
            parts.push(format!("{count} {name}{}", if count == 1 { "" } else { "s" }));
            rest -= count * size;
        } else if !parts.is_empty() {
            // "2 hours" rather than "2 hours 0 minutes 3 seconds": stop at the first gap.
            break;
        }
    }
    parts.join(" ")
}

/// `expires in …` or `expired … ago`, for an expiry `exp` at time `now`.
pub(crate) fn expiry(exp: i64, now: i64) -> String {
    let delta = exp.saturating_sub(now);
    if delta > 0 { format!("expires in {}", duration(delta)) } else { expired_ago(delta) }
}

/// `… ago` or `in …` for a time that is normally in the past (`iat`, `auth_time`, `nbf`).
pub(crate) fn relative(time: i64, now: i64) -> String {
    let delta = time.saturating_sub(now);
    match delta {
        0 => "now".to_owned(),
        1.. => format!("in {}", duration(delta)),
        _ => format!("{} ago", duration(delta)),
    }
}

fn expired_ago(delta: i64) -> String {
    if delta == 0 {
        "expired just now".to_owned()
    } else {
        format!("expired {} ago", duration(delta))
    }
}

#[cfg(test)]
mod tests;
