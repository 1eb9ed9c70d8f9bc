//! Unit tests of the `Cache-Control` rules (the fetching behaviour is tested in `tests/it/jwks.rs`).

use std::time::Duration;

use http::HeaderMap;
use http::header::CACHE_CONTROL;

use crate::jwks::{JwksCacheOptions, cache_ttl};

fn ttl(values: &[&str]) -> u64 {
    let mut headers = HeaderMap::new();
    for value in values {
        headers.append(CACHE_CONTROL, value.parse().unwrap());
    }
    cache_ttl(&headers, &JwksCacheOptions::default()).as_secs()
}

#[test]
fn sc_092_cache_control_is_clamped() {
    let cases: &[(&[&str], u64)] = &[
        (&[], 300),
        (&["max-age=3832304, must-revalidate"], 86_400),
        (&["max-age=3600"], 3600),
        (&["public, MAX-AGE=7200"], 7200),
        (&["max-age=\"1800\""], 1800),
        (&["max-age=10"], 300),
        (&["no-cache"], 300),
        (&["no-store, max-age=3600"], 300),
        (&["max-age=abc"], 300),
        (&["max-age=-5"], 300),
        (&["private", "max-age=900"], 900),
    ];
    for (values, expected) in cases {
        assert_eq!(ttl(values), *expected, "{values:?}");
    }
}

#[test]
fn options_bound_the_ttl() {
    let options = JwksCacheOptions {
        min_ttl: Duration::from_mins(1),
        max_ttl: Duration::from_mins(2),
        ..JwksCacheOptions::default()
    };
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, "max-age=1000".parse().unwrap());
    assert_eq!(cache_ttl(&headers, &options), Duration::from_mins(2));
    headers.insert(CACHE_CONTROL, "max-age=1".parse().unwrap());
    assert_eq!(cache_ttl(&headers, &options), Duration::from_mins(1));
}
