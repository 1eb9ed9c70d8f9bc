//! Cross-crate end-to-end tests of the okta-oidc workspace.
//!
//! Not built yet (issue #6): the whole Authorization Code flow will run here as integration
//! tests against the in-process `okta-devserver`, under plain `cargo test --workspace`.
