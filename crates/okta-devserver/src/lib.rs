//! A local Okta-compatible authorization server for development and tests.
//!
//! This crate is not built yet (issue #3). It will serve Okta's org and custom authorization
//! servers (`/authorize`, `/token`, `/keys`, `/introspect`, `/revoke`, `/userinfo`, `/logout`
//! and the discovery documents) on a loopback port, with fault injection for client tests.
