//! The `okta` command.
//!
//! This crate is not built yet (issue #7). It will hold the `okta` binary: `okta login` to sign
//! in from a terminal, `okta verify` to see exactly why a token is accepted or refused, and
//! `okta decode` and `okta discover` for quick inspection.
