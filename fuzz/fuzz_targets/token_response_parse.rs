//! Fuzzes the token-response parse of the code exchange.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = okta_flow::internal::parse_token_response(data);
});
