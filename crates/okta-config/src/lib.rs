//! Typed Okta settings, layered from defaults, `okta.toml`, `OKTA_*` variables and code, and
//! validated up front.
//!
//! Every okta-oidc crate takes its configuration as [`Settings`]. This crate is the only one that
//! reads files or the environment, and it reads them once: a raw layer (kept private) is parsed
//! into validated newtypes, so code holding a `Settings` never re-checks it.
//!
//! - [Loading](#loading)
//! - [Sources and precedence](#sources-and-precedence)
//! - [Problems](#problems)
//!
//! # Loading
//!
//! ```no_run
//! use okta_config::{Role, Settings};
//!
//! // okta.toml (or $OKTA_CONFIG), the profile in $OKTA_PROFILE, then OKTA_* variables.
//! let settings = match Settings::load(Role::Client) {
//!     Ok(settings) => settings,
//!     Err(err) => {
//!         eprintln!("{err}"); // every problem, each with its key and where its value came from
//!         std::process::exit(2);
//!     }
//! };
//! println!("signing in at {}", settings.issuer());
//! ```
//!
//! # Sources and precedence
//!
//! Lowest first: built-in defaults; the TOML file (`okta.toml` in the working directory if it
//! exists, or the file named by `OKTA_CONFIG`, which must exist); the `[profiles.<name>]` table
//! selected by `OKTA_PROFILE` or [`SettingsLoader::profile`], which inherits the base and
//! overrides any key; `OKTA_*` environment variables (`OKTA_CLIENT_ID` → `client_id`,
//! `OKTA_HTTP__TIMEOUT_SECS` → `http.timeout_secs`, lists comma- or space-separated); and values
//! set from code with [`SettingsLoader::set`]. `docs/configuration.md` lists every key.
//!
//! ```
//! use okta_config::{Origin, Role, SettingsLoader};
//!
//! let settings = SettingsLoader::isolated()
//!     .env_vars([
//!         ("OKTA_DOMAIN", "dev-123456.okta.com"),
//!         ("OKTA_AUTHORIZATION_SERVER", "aus1payments"),
//!         ("OKTA_AUDIENCE", "api://payments"),
//!         ("OKTA_CLIENT_IDS", "0oa1orders 0oa2billing"),
//!         ("OKTA_LEEWAY_SECS", "30"),
//!     ])
//!     .set("leeway_secs", 60_i64) // code wins over the environment
//!     .role(Role::ResourceServer)
//!     .load()?;
//! assert_eq!(settings.issuer().as_str(), "https://dev-123456.okta.com/oauth2/aus1payments");
//! assert_eq!(settings.leeway().as_secs(), 60);
//! assert_eq!(settings.origin("leeway_secs"), Some(&Origin::Code));
//! # Ok::<(), okta_config::LoadError>(())
//! ```
//!
//! # Problems
//!
//! Loading checks everything and reports every problem at once, each naming the key and the
//! source of its value. Secrets are never printed.
//!
//! ```
//! use okta_config::{Role, SettingsLoader};
//!
//! let err = SettingsLoader::isolated()
//!     .set("issuer", "http://dev-123456.okta.com/oauth2/default")
//!     .set("client_secret", "{clientSecret}")
//!     .role(Role::Client)
//!     .load()
//!     .unwrap_err();
//! assert_eq!(err.problems().len(), 4); // issuer, client_id, client_secret, redirect_uri
//! assert!(err.to_string().contains("issuer (from set from code)"));
//! ```

mod error;
mod loader;
mod origin;
mod proxy;
mod raw;
mod session;
mod settings;
mod signing_key;
mod types;
mod validate;

// The public interface.
pub use crate::error::{LoadError, Problem, Problems};
pub use crate::loader::{DEFAULT_FILE, SettingValue, SettingsLoader};
pub use crate::origin::Origin;
pub use crate::proxy::{EnvironmentProxy, Proxy, ProxyUrl};
pub use crate::session::{RedisTopology, RedisUrl, SessionKey, SessionSettings};
pub use crate::settings::{
    ClientSettings, EnvironmentOverride, HttpSettings, JwksSettings, Role, SettingEntry, Settings,
};
pub use crate::signing_key::{ClientSigningKey, SigningAlgorithm};
pub use crate::types::{
    Audience, AuthorizationServer, CaCertificate, ClientAuthMethod, ClientId, ClientSecret,
    CookieSecret, InvalidValue, Issuer, RedirectUri, Scope, is_loopback_url,
};
