//! Typed Okta settings, layered and validated up front.
//!
//! Being built (issue #2): defaults < `okta.toml` < `OKTA_*` environment < code, with profiles,
//! every problem reported at once with where its value came from.
