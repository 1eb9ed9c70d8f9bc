//! Integration tests of okta-verify: the security catalogue (`docs/conformance.md`, categories
//! JOSE, TIME, JWKS, AT, IDT, INTRO) through the public API, with tokens minted by an independent
//! implementation (`jsonwebtoken`) from the committed fixtures in `tests/data/`.
//!
//! Every test names the catalog case it covers (`sc_0xx_...`).

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on broken fixtures")]
#![allow(
    clippy::needless_pass_by_value,
    reason = "data-driven `check` helpers take their tables and snapshots"
)]

mod access;
mod api_example;
mod axum_layer;
mod fixtures;
mod id_token;
mod jose;
mod jwks;
mod leak;
mod observability;
mod properties;
mod rules_and_claims;
mod support;
mod time;
mod vectors;
