//! Dates and durations for people: RFC 3339 UTC dates and "in 2 hours 5 minutes" phrases.

/// Seconds since the epoch as an RFC 3339 UTC date, such as `2026-11-28T09:38:33Z`.
pub(crate) fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
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

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`), valid for every `i64` number of seconds divided by 86 400.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are small by construction (1..=31 and 1..=12).
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests;
