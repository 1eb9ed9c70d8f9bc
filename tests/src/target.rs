//! What a run signs in to: the in-process devserver (with a client registered for the loopback
//! listener), or a real Okta org described by okta-config settings.

use std::fmt;
use std::fmt::Write as _;

use okta_config::{LoadError, Role, Settings, SettingsLoader};
use okta_devserver::{Client, DevServer, DevServerBuilder, GrantType, StartError};
use okta_verify::Clock;
use url::Url;

use crate::listener::{CallbackListener, ListenerError};

/// The client id registered on the devserver for end-to-end runs.
pub const E2E_CLIENT_ID: &str = "okta-e2e";
/// The callback path of that client's redirect URI.
pub const CALLBACK_PATH: &str = "/authorization-code/callback";
/// The path of that client's post-logout redirect URI.
pub const SIGNED_OUT_PATH: &str = "/signed-out";
/// The scopes an end-to-end run asks the devserver for.
pub const E2E_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Why a target could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The devserver did not start.
    #[error("the devserver did not start: {0}")]
    DevServer(#[source] StartError),
    /// The loopback listener could not listen at the redirect URI.
    #[error(transparent)]
    Listener(#[from] ListenerError),
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
    listener: Option<CallbackListener>,
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
    pub async fn devserver_with(
        builder: DevServerBuilder,
        clock: Clock,
    ) -> Result<Self, TargetError> {
        let listener = CallbackListener::bind_free_port().await?;
        let base = listener.base_url();
        let secret = random_secret()?;
        let client = Client::confidential(E2E_CLIENT_ID, secret)
            .with_redirect_uri(format!("{base}{CALLBACK_PATH}"))
            .with_post_logout_redirect_uri(format!("{base}{SIGNED_OUT_PATH}"))
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
    /// When the redirect URI is a loopback address, a listener starts there; otherwise the
    /// redirect is read from the `Location` header and the listener step is skipped.
    pub async fn okta_org(settings: Settings) -> Result<Self, TargetError> {
        let client = settings.client().ok_or(TargetError::NoClient("client_id"))?;
        let redirect = client.redirect_uri().ok_or(TargetError::NoClient("redirect_uri"))?;
        let listener = if redirect.is_loopback() {
            Some(CallbackListener::bind_for(redirect.url()).await?)
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
    pub fn listener(&self) -> Option<&CallbackListener> {
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
            Some(listener) => format!("listener on {}", listener.addr()),
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

/// 32 random bytes as 64 hex characters.
fn random_secret() -> Result<String, TargetError> {
    let mut bytes = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| TargetError::Random)?;
    Ok(bytes.iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    }))
}
