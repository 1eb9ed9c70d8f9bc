//! Fuzzes JWK Set parsing: hostile key sets are refused or ignored key by key, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = okta_verify::internal::parse_jwks(data);
});
