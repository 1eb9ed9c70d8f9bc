//! Fuzzes full access-token verification against a fixed key set: anything but a token signed by
//! the fixture key must be refused, and nothing may panic.
#![no_main]

use std::sync::LazyLock;

use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache};

static VERIFIER: LazyLock<AccessTokenVerifier> = LazyLock::new(|| {
    let keys = JwksCache::from_json(include_bytes!("../../crates/okta-verify/tests/data/jwks.json"))
        .expect("the fixture key set parses");
    let issuer = okta_config::Issuer::parse("https://example.okta.com/oauth2/default").expect("a valid issuer");
    let audience = okta_config::Audience::parse("api://default").expect("a valid audience");
    let mut options = AccessTokenOptions::new(issuer, [audience]);
    options.any_client = true;
    options.clock = Clock::fixed_unix(1_700_000_000);
    AccessTokenVerifier::new(options, keys).expect("valid options")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        // A fixed key set never waits on the network: the future completes on its first poll.
        let mut future = std::pin::pin!(VERIFIER.verify(token));
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = future.as_mut().poll(&mut context);
    }
});
