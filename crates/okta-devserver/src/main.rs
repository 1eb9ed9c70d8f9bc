//! The `okta-devserver` binary: a local Okta-compatible authorization server on a fixed port.

use std::io::IsTerminal as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use okta_devserver::{AuthServerId, DevServer, DevServerConfig, TlsConfig};
use tracing_subscriber::EnvFilter;

/// A local Okta-compatible authorization server for development and tests.
#[derive(Debug, Parser)]
#[command(name = "okta-devserver", version)]
#[allow(clippy::struct_excessive_bools, reason = "each is one command-line switch")]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8900)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = Ipv4Addr::LOCALHOST.into())]
    host: std::net::IpAddr,
    /// A TOML configuration file (see crates/okta-devserver/devserver.example.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Expose the fault-injection and inspection routes under /devserver/.
    #[arg(long)]
    admin: bool,
    /// Serve HTTPS with a local CA (generated on first start, kept in --tls-dir).
    #[arg(long)]
    tls: bool,
    /// Serve the console at /devserver/console: recent requests, decoded tokens, refusal
    /// reasons and fault switches (development only; loopback only unless
    /// --console-allow-remote).
    #[arg(long)]
    console: bool,
    /// Let the console run on an address other than loopback.
    #[arg(long, requires = "console")]
    console_allow_remote: bool,
    /// Where the local CA and the server certificate are kept.
    #[arg(long, default_value = ".okta-devserver/tls", requires = "tls")]
    tls_dir: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person watching: not in a file, a pipe or a CI log.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<DevServerConfig>(&text)
                .with_context(|| format!("parsing {}", path.display()))?
        }
        None => DevServerConfig::default(),
    };
    let mut builder =
        DevServer::builder().bind(SocketAddr::new(args.host, args.port)).config(config);
    if args.admin {
        builder = builder.admin_routes(true);
    }
    if args.console {
        builder = builder.console(true);
    }
    if args.console_allow_remote {
        builder = builder.console_allow_remote(true);
    }
    if args.tls {
        let directory = std::path::absolute(&args.tls_dir)
            .with_context(|| format!("resolving {}", args.tls_dir.display()))?;
        builder = builder.tls(TlsConfig::in_directory(directory));
    }
    let server = builder.start().await.context("starting okta-devserver")?;
    print_banner(&server);

    // Generate the signing keys in the background so the first sign-in does not wait for them.
    let keys = server.keys();
    let ids: Vec<AuthServerId> = server.issuers().into_iter().map(|(id, _)| id).collect();
    tokio::task::spawn_blocking(move || {
        for id in ids {
            if let Err(error) = keys.warm_up(id) {
                tracing::warn!(%error, "could not generate signing keys");
            }
        }
    });

    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

#[allow(clippy::print_stdout, reason = "the banner is the binary's output")]
fn print_banner(server: &DevServer) {
    println!("okta-devserver listening on {}", server.base_url());
    println!();
    println!("Issuers:");
    for (id, issuer) in server.issuers() {
        let name = match id {
            AuthServerId::Org => "org".to_owned(),
            AuthServerId::Custom(id) => id,
        };
        println!("  {name:<10} {issuer}");
    }
    println!();
    println!("APIs (custom servers with their own scopes; * = default scope):");
    for api in server.authorization_servers() {
        if api.scopes().is_empty() {
            continue;
        }
        let scopes: Vec<String> = api
            .scopes()
            .iter()
            .map(|scope| {
                let default = api.default_scopes().contains(scope);
                if default { format!("{scope}*") } else { scope.clone() }
            })
            .collect();
        println!("  {:<10} audience {}  scopes {}", api.id(), api.audience(), scopes.join(" "));
        for policy in api.policies() {
            let clients = policy.clients().map_or("every client".to_owned(), |ids| ids.join(", "));
            for rule in policy.rules() {
                let grants: Vec<&str> =
                    rule.grant_types().iter().map(|grant| grant.as_str()).collect();
                let allowed =
                    rule.scopes().map_or("any scope".to_owned(), |scopes| scopes.join(" "));
                println!("    {clients}: {} -> {allowed}", grants.join(", "));
            }
        }
        if !api.trusted_servers().is_empty() {
            println!("    trusts tokens of: {}", api.trusted_servers().join(", "));
        }
    }
    println!();
    println!("Clients:");
    for client in server.clients().list() {
        let grants: Vec<&str> = client.grant_types().iter().map(|grant| grant.as_str()).collect();
        println!(
            "  {}  ({} app, {}; {})",
            client.id(),
            client.application_type().as_str(),
            client.auth_method().as_str(),
            grants.join(", ")
        );
        if let Some(secret) = client.secret() {
            // The dev server's own fixtures, printed on purpose so a developer can copy them.
            println!("    secret:        {secret}");
        }
        for uri in client.redirect_uris() {
            println!("    redirect_uri:  {uri}");
        }
        for jwk in client.jwks() {
            let kid = jwk.get("kid").and_then(serde_json::Value::as_str).unwrap_or("(no kid)");
            let kty = jwk.get("kty").and_then(serde_json::Value::as_str).unwrap_or("?");
            println!("    key:           {kid} ({kty})");
        }
        if client.id() == okta_devserver::DEMO_JWT_SERVICE_CLIENT_ID && client.jwks().len() == 2 {
            println!(
                "    private keys:  crates/okta-devserver/data/demo-service-jwt-{{rsa,ec}}.pem"
            );
        }
        if !client.okta_api_scopes().is_empty() {
            println!("    okta scopes:   {}", client.okta_api_scopes().join(" "));
        }
    }
    println!();
    println!("Users:");
    for user in server.users().list() {
        println!(
            "  {:<22} password: {:<30} groups: {}",
            user.username(),
            user.password(),
            user.groups().join(", ")
        );
    }
    if let Some(settings) = server.okta_settings("default", okta_devserver::DEMO_CLIENT_ID) {
        println!();
        println!("Settings for the demo client (paste into a shell; okta login, the examples):");
        for (key, value) in settings {
            println!("  export OKTA_{}={}", key.to_ascii_uppercase(), shell_quoted(&value));
        }
        if let Some(ca) = server.ca_certificate_path() {
            println!(
                "  export OKTA_HTTP__EXTRA_CA_FILE={}",
                shell_quoted(&ca.display().to_string())
            );
        }
    }
    if let Some(console) = server.console_url() {
        println!();
        println!("Console: {console}");
    }
    if let Some(ca) = server.ca_certificate_path() {
        print_tls_instructions(server.base_url(), &ca.display().to_string());
    }
    println!();
    println!("Press Ctrl-C to stop.");
}

#[allow(clippy::print_stdout, reason = "the banner is the binary's output")]
fn print_tls_instructions(base_url: &str, ca: &str) {
    println!();
    println!("TLS: clients must trust the local CA {ca}");
    println!("  curl     curl --cacert {ca} {base_url}/.well-known/openid-configuration");
    println!("  Node.js  NODE_EXTRA_CA_CERTS={ca} node app.js");
    println!("  Python   SSL_CERT_FILE={ca} REQUESTS_CA_BUNDLE={ca} python app.py");
    println!("  Go       SSL_CERT_FILE={ca} go run .");
    println!(
        "  Java     keytool -importcert -noprompt -alias okta-devserver -file {ca} -keystore \
         devserver.p12 -storepass changeit"
    );
    println!(
        "           java -Djavax.net.ssl.trustStore=devserver.p12 \
         -Djavax.net.ssl.trustStorePassword=changeit ..."
    );
    println!("  okta-oidc (Rust)  OKTA_HTTP__EXTRA_CA_FILE={ca}");
}

/// `value` as one shell word: as it is when it has only safe characters, else in single quotes.
fn shell_quoted(value: &str) -> String {
    let safe = !value.is_empty()
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if safe { value.to_owned() } else { format!("'{}'", value.replace('\'', r"'\''")) }
}
