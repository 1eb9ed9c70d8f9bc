//! Unit tests of the date and duration phrases.

use crate::time::{duration, expiry, relative, rfc3339};

#[test]
fn dates_are_rfc3339_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z"); // a leap day of a century year
    assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z"); // 2100 is not a leap year
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    // Extremes (a hostile or broken claim) never panic: beyond year 9999 the raw number shows.
    assert_eq!(rfc3339(253_402_300_800), "@253402300800 (out of range)");
    assert_eq!(rfc3339(i64::MAX), format!("@{} (out of range)", i64::MAX));
    assert_eq!(rfc3339(i64::MIN), format!("@{} (out of range)", i64::MIN));
}

#[test]
fn durations_use_their_two_largest_units() {
    assert_eq!(duration(0), "0 seconds");
    assert_eq!(duration(1), "1 second");
    assert_eq!(duration(59), "59 seconds");
    assert_eq!(duration(61), "1 minute 1 second");
    assert_eq!(duration(3599), "59 minutes 59 seconds");
    assert_eq!(duration(3600), "1 hour");
    assert_eq!(duration(3600 + 3), "1 hour"); // the gap stops it: no "0 minutes"
    assert_eq!(duration(9000 + 30), "2 hours 30 minutes");
    assert_eq!(duration(86_400 * 3 + 7200), "3 days 2 hours");
    assert_eq!(duration(-90), "1 minute 30 seconds");
    assert!(duration(i64::MIN).ends_with("days"));
}

#[test]
fn expiries_and_relative_times_say_which_way() {
    assert_eq!(expiry(1000, 400), "expires in 10 minutes");
    assert_eq!(expiry(1000, 1000), "expired just now");
    assert_eq!(expiry(1000, 1300), "expired 5 minutes ago");
    assert_eq!(relative(1000, 1000), "now");
    assert_eq!(relative(1000, 4600), "1 hour ago");
    assert_eq!(relative(4600, 1000), "in 1 hour");
    assert_eq!(expiry(i64::MAX, i64::MIN), format!("expires in {}", duration(i64::MAX)));
}
