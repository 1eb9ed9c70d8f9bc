//! Fuzzes opening a sealed pending login: forged cookies are refused, never a panic.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use okta_flow::{PendingLogin, SealingKey};

static KEY: LazyLock<SealingKey> = LazyLock::new(|| SealingKey::generate().expect("randomness"));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(sealed) = std::str::from_utf8(data) {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        // Nothing but this key's own seal opens: random input never does.
        assert!(PendingLogin::unseal(&KEY, sealed, now, Duration::from_secs(120)).is_err());
    }
});
