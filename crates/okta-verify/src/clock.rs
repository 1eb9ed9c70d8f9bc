//! The injected clock: okta-http's [`Clock`], the one clock type of okta-oidc, re-exported here
//! where verification reads time.

pub use okta_http::Clock;
