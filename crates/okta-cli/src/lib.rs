//! The `okta` command: sign in from a terminal, and see exactly why a token is accepted or
//! refused.
//!
//! This library is the binary's internals, kept apart so they can be unit-tested; the command
//! line and its output are the contract, documented in `docs/cli.md`:
//!
//! - `okta login`: the Authorization Code flow with state, nonce and PKCE through a loopback
//!   redirect (RFC 8252), ID and access tokens verified, tokens printed (`-o json`, `--token-file`);
//!   `okta login --device`: the device authorization grant (RFC 8628), for SSH sessions.
//! - `okta verify`: okta-verify's verdict on a token, `{"valid":true,"claims":{…}}` or
//!   `{"valid":false,"error":{"kind":…,"message":…}}`, exit code 0 or 1.
//! - `okta decode`: header and claims with dates, clearly unverified, offline.
//! - `okta discover`: an issuer's endpoints, methods and keys.
//!
//! Settings come from okta-config (`okta.toml`, `OKTA_*`, `--profile`), with the flags applied
//! as overrides from code, so the files and variables of a service work here unchanged.
//!
//! ```console
//! $ okta login -o json | jq -r .access_token
//! $ okta verify --audience api://default "$TOKEN"
//! {"valid":false,"error":{"kind":"expired","message":"token expired at 1764316713 (now 1764320313, leeway 120 s)"}}
//! $ okta decode "$TOKEN"
//! ```

mod app;
mod cli;
mod config;
mod decode;
mod device;
mod discover;
mod error;
mod generate;
mod login;
mod output;
mod settings;
mod signed_in;
mod time;
mod token;
mod verify;

// The public interface: what `main.rs` needs.
pub use crate::app::run;
pub use crate::cli::{
    Cli, ColorChoice, Command, CompletionArgs, CompletionShell, ConfigArgs, DecodeArgs,
    DiscoverArgs, GlobalArgs, IntrospectArgs, LoginArgs, OutputFormat, PromptArg, RefreshArgs,
    RevokeArgs, TokenArgs, TokenKindArg, TokenSourceArgs, UserinfoArgs, VerifyArgs, WhichToken,
};
