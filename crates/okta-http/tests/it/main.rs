//! Integration tests of okta-http through its public API: proxies and TLS failures, on loopback.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on a broken loopback setup")]

mod proxy;
mod support;
mod tls;
