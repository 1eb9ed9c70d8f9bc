//! Loads the Okta settings exactly as a service would and prints them with their origins, or
//! every problem at once.
//!
//! Run with:
//!
//! ```sh
//! cargo run -p okta-config --example check-settings                 # okta.toml + OKTA_* (a client)
//! cargo run -p okta-config --example check-settings -- --role api   # as a resource server
//! OKTA_PROFILE=payments cargo run -p okta-config --example check-settings
//! ```
//!
//! With no `okta.toml` and no `OKTA_*` variables it shows the settings of the local development
//! server's demo client, so a fresh clone has something to look at.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "an example prints its result")]

use std::process::ExitCode;

use okta_config::{Role, SettingsLoader};

fn main() -> ExitCode {
    let role = match std::env::args().nth(1).as_deref() {
        Some("--role") => match std::env::args().nth(2).as_deref() {
            Some("api") => Role::ResourceServer,
            Some("client") | None => Role::Client,
            Some(other) => {
                eprintln!("unknown role {other:?}: use `client` or `api`");
                return ExitCode::from(2);
            }
        },
        _ => Role::Client,
    };
    let mut loader = SettingsLoader::new().role(role);
    if !has_own_settings() {
        println!(
            "No okta.toml and no OKTA_ISSUER/OKTA_DOMAIN: showing the local devserver's demo client.\n"
        );
        loader = loader
            .set("issuer", "http://127.0.0.1:8900/oauth2/default")
            .set("client_id", "demo-client")
            .set("client_secret", "demo-secret")
            .set("redirect_uri", "http://127.0.0.1:8080/authorization-code/callback");
    }
    match loader.load() {
        Ok(settings) => {
            println!("Okta settings ({role:?}), profile {:?}:", settings.profile());
            for entry in settings.entries() {
                let origin =
                    entry.origin().map_or_else(|| "derived".to_owned(), ToString::to_string);
                let value = if entry.value().is_empty() { "-" } else { entry.value() };
                println!("  {:<28} = {value:<60} ({origin})", entry.key());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(2)
        }
    }
}

#[allow(clippy::disallowed_methods, reason = "a quick look for the user's own settings")]
fn has_own_settings() -> bool {
    std::path::Path::new(okta_config::DEFAULT_FILE).exists()
        || ["OKTA_CONFIG", "OKTA_ISSUER", "OKTA_DOMAIN"]
            .iter()
            .any(|var| std::env::var_os(var).is_some())
}
