//! Fuzzes the callback query check: strict parse, state, iss and code rules.
#![no_main]

use std::sync::LazyLock;

use okta_flow::PendingLogin;

static PENDING: LazyLock<PendingLogin> = LazyLock::new(okta_flow::internal::pending_login);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        // A random query cannot know the 256-bit state: it must never be accepted.
        assert!(okta_flow::internal::check_callback(query, &PENDING).is_err());
    }
});
