//! Fuzzes the compact-JWS parser and the strict claim reader: no panic, bounded work.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = okta_verify::internal::parse_compact(token);
    }
    let _ = okta_verify::internal::parse_claims(data);
});
