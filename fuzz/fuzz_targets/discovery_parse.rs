//! Fuzzes the discovery document checks (metadata parse, issuer, endpoint origins).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = okta_flow::internal::check_metadata(data);
});
