//! What a run signs in to: the in-process devserver (with a client registered for the loopback
//! listener), or a real Okta org described by okta-config settings.

use std::fmt;
use std::fmt::Write as _;

use okta_config::{LoadError, RedirectUri, Role, Settings, SettingsLoader};
use okta_devserver::{Client, DevServer, DevServerBuilder, GrantType, StartError};
use okta_flow::loopback::{BindError, CallbackPage, LoopbackListener, LoopbackListenerBuilder};
use okta_verify::Clock;
use url::Url;

/// The client id registered on the devserver for end-to-end runs.
pub const E2E_CLIENT_ID: &str = "okta-e2e";
/// The callback path of that client's redirect URI.
pub const CALLBACK_PATH: &str = "/authorization-code/callback";
/// The path of that client's post-logout redirect URI.
pub const SIGNED_OUT_PATH: &str = "/signed-out";
/// The scopes an end-to-end run asks the devserver for.
pub const E2E_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// The id of an element on every page the loopback listener answers the browser with.
pub const CALLBACK_PAGE_ID: &str = CallbackPage::ELEMENT_ID;

/// Why a target could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The devserver did not start.
    #[error("the devserver did not start")]
    DevServer(#[source] StartError),
    /// The loopback listener could not listen at the redirect URI.
    #[error(transparent)]
    Listener(#[from] BindError),
    /// The devserver's signing keys could not be generated.
    #[error("the devserver's keys could not be generated: {0}")]
    Keys(String),
    /// No random client secret could be generated.
    #[error("cannot generate a client secret")]
    Random,
    /// The settings are wrong.
    #[error(transparent)]
    Settings(#[from] LoadError),
    /// The settings have no client (they must be loaded with `Role::Client`).
    #[error("the settings have no {0}: load them with Role::Client")]
    NoClient(&'static str),
}

/// An authorization server to run the flow against, with the listener at its redirect URI.
pub struct Target {
    settings: Settings,
    listener: Option<LoopbackListener>,
    devserver: Option<DevServer>,
    clock: Clock,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("issuer", &self.settings.issuer().as_str())
            .field("listener", &self.listener)
            .field("devserver", &self.devserver.is_some())
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Starts `okta-devserver` in-process on a free loopback port with its demo users, and
    /// registers client [`E2E_CLIENT_ID`] (random secret, `client_secret_basic`) whose redirect
    /// URIs point at a loopback listener on another free port.
    pub async fn devserver() -> Result<Self, TargetError> {
        Self::devserver_with(DevServer::builder(), Clock::system()).await
    }

    /// Like [`Target::devserver`], from a builder the caller prepared (a `ManualClock`, short
    /// lifetimes, extra users ...); `clock` is the clock the client checks times with.
    #[allow(clippy::missing_panics_doc, reason = "the only expect parses a constant URL")]
    pub async fn devserver_with(
        builder: DevServerBuilder,
        clock: Clock,
    ) -> Result<Self, TargetError> {
        // A constant URL: parsing cannot fail.
        let free_port = Url::parse(&format!("http://127.0.0.1:0{CALLBACK_PATH}")).expect("a URL");
        let listener = listener_builder(&free_port).also_catch(SIGNED_OUT_PATH).bind().await?;
        let redirect_uri = listener.redirect_uri().clone();
        let mut signed_out = redirect_uri.clone();
        signed_out.set_path(SIGNED_OUT_PATH);
        let secret = random_secret()?;
        let client = Client::confidential(E2E_CLIENT_ID, secret)
            .with_redirect_uri(redirect_uri.as_str())
            .with_post_logout_redirect_uri(signed_out.as_str())
            .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken]);
        let server = builder.client(client).start().await.map_err(TargetError::DevServer)?;
        // Generate the signing keys now, so that no step's time includes RSA key generation.
        let keys = server.keys();
        tokio::task::spawn_blocking(move || keys.warm_up(okta_devserver::DEFAULT_SERVER_ID))
            .await
            .map_err(|err| TargetError::Keys(err.to_string()))?
            .map_err(|err| TargetError::Keys(err.to_string()))?;
        let mut loader = SettingsLoader::isolated();
        for (key, value) in server
            .okta_settings(okta_devserver::DEFAULT_SERVER_ID, E2E_CLIENT_ID)
            .ok_or(TargetError::NoClient("e2e client on the devserver"))?
        {
            loader = loader.set(key, value);
        }
        let settings = loader.set("scopes", E2E_SCOPES).role(Role::Client).load()?;
        Ok(Self { settings, listener: Some(listener), devserver: Some(server), clock })
    }

    /// A real Okta org (or any server) described by `settings` (loaded with `Role::Client`).
    /// When the redirect URI is a loopback address, a listener starts there (catching the
    /// post-logout redirect URI too when it is on the same port); otherwise the redirect is read
    /// from the `Location` header and the listener step is skipped.
    pub async fn okta_org(settings: Settings) -> Result<Self, TargetError> {
        let client = settings.client().ok_or(TargetError::NoClient("client_id"))?;
        let redirect = client.redirect_uri().ok_or(TargetError::NoClient("redirect_uri"))?;
        let listener = if redirect.is_loopback() {
            let mut builder = listener_builder(redirect.url());
            if let Some(signed_out) = client.post_logout_redirect_uri().map(RedirectUri::url)
                && signed_out.scheme() == "http"
                && okta_config::is_loopback_url(signed_out)
                && signed_out.port_or_known_default() == redirect.url().port_or_known_default()
            {
                builder = builder.also_catch(signed_out.path());
            }
            Some(builder.bind().await?)
        } else {
            None
        };
        Ok(Self { settings, listener, devserver: None, clock: Clock::system() })
    }

    /// The client settings the run uses.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The devserver, for a devserver target.
    pub fn devserver_handle(&self) -> Option<&DevServer> {
        self.devserver.as_ref()
    }

    /// Whether this is the in-process devserver (where every step must pass).
    pub fn is_devserver(&self) -> bool {
        self.devserver.is_some()
    }

    /// The loopback listener at the redirect URI, if it is a loopback address.
    pub fn listener(&self) -> Option<&LoopbackListener> {
        self.listener.as_ref()
    }

    /// The clock the client checks times with.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The origin of the issuer (`https://dev-123456.okta.com`), where `/api/v1/authn` lives.
    pub fn origin(&self) -> Url {
        let mut origin = self.settings.issuer().url().clone();
        origin.set_path("/");
        origin.set_query(None);
        origin
    }

    /// One line saying what this target is.
    pub fn describe(&self) -> String {
        let issuer = self.settings.issuer().as_str();
        let listener = match &self.listener {
            Some(listener) => format!("listener on {}", listener.local_addr()),
            None => "no listener (redirect URI not on loopback)".to_owned(),
        };
        match &self.devserver {
            Some(_) => format!(
                "okta-devserver (in-process) at {issuer}, client {E2E_CLIENT_ID}, {listener}"
            ),
            None => format!("{issuer}, {listener}"),
        }
    }
}

/// A listener for `redirect_uri` that records every redirect and answers each at once with the
/// page the driver waits for ([`CALLBACK_PAGE_ID`]).
fn listener_builder(redirect_uri: &Url) -> LoopbackListenerBuilder {
    LoopbackListener::builder(redirect_uri).application("okta-e2e").answer_at_once(
        CallbackPage::success("You can close this window.").with_title("Back at the application"),
    )
}

/// 32 random bytes as 64 hex characters.
fn random_secret() -> Result<String, TargetError> {
    let mut bytes = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| TargetError::Random)?;
    Ok(bytes.iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    }))
}
