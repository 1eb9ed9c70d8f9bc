//! The state shared by every request: configuration, clock, keys, faults, record and store.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::authorization_servers::{AuthServerId, ServerInfo};
use crate::client_assertion::JtiCache;
use crate::client_auth::{AuthContext, ClientDirectory};
use crate::clock::Clock;
use crate::config::{Client, TokenLifetimes, User};
use crate::faults::{Fault, Faults, TokenFault};
use crate::keys::{JwksShape, KeyStore};
use crate::rate::RateWindow;
use crate::recorder::Recorder;
use crate::store::{Store, TokenRecord};

/// What axum hands every handler.
pub(crate) type AppState = Arc<Shared>;

/// The server's state: what it was configured with and what it holds at run time.
#[derive(Debug)]
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`, no trailing slash: the org issuer.
    pub(crate) base_url: String,
    pub(crate) clock: Clock,
    pub(crate) lifetimes: TokenLifetimes,
    /// RFC 9207: advertise and send `iss` on the authorization response.
    pub(crate) iss_parameter: bool,
    pub(crate) admin_routes: bool,
    /// `/authorize` accepts only Okta's documented `state` characters.
    pub(crate) strict_state: bool,
    pub(crate) keys_max_age: Duration,
    /// The `idp` claim: Okta puts the org's id there for users of the Okta directory.
    pub(crate) idp_id: String,
    pub(crate) servers: BTreeMap<AuthServerId, Arc<ServerInfo>>,
    pub(crate) clients: RwLock<BTreeMap<String, Client>>,
    pub(crate) users: RwLock<Vec<User>>,
    pub(crate) keys: KeyStore,
    pub(crate) faults: Faults,
    pub(crate) recorder: Recorder,
    pub(crate) store: Store,
    pub(crate) rate: RateWindow,
    /// The `jti`s of accepted client assertions, each until its assertion expires.
    pub(crate) assertion_jtis: JtiCache,
    /// The console, when switched on.
    pub(crate) console: Option<ConsoleState>,
}

/// What the console keeps: the token its forms carry against cross-site requests.
#[derive(Debug)]
pub(crate) struct ConsoleState {
    pub(crate) csrf_token: String,
}

impl Shared {
    pub(crate) fn now(&self) -> u64 {
        self.clock.now_secs()
    }

    pub(crate) fn server(&self, id: &AuthServerId) -> Option<Arc<ServerInfo>> {
        self.servers.get(id).cloned()
    }

    pub(crate) fn client(&self, id: &str) -> Option<Client> {
        self.clients.read().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
    }

    /// What client authentication at `server`'s endpoint `name` (`token`, `introspect`,
    /// `revoke`) needs.
    pub(crate) fn auth_context(&self, server: &ServerInfo, name: &str) -> AuthContext<'_> {
        AuthContext {
            clients: self,
            endpoint_url: server.endpoint(name),
            client_id_basic: name != "token",
            now: self.now(),
            jtis: &self.assertion_jtis,
        }
    }

    /// Okta usernames are case-insensitive.
    pub(crate) fn user(&self, username: &str) -> Option<User> {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        users.iter().find(|user| user.username().eq_ignore_ascii_case(username)).cloned()
    }

    /// The record of `token` if it is an active token of `server` (for introspection and
    /// userinfo).
    pub(crate) fn active_token(&self, server: &ServerInfo, token: &str) -> Option<TokenRecord> {
        let now = self.now();
        let grace = self.lifetimes.refresh_rotation_grace().as_secs();
        self.store
            .with(|store| store.tokens.get(token).cloned())
            .filter(|record| record.server == server.id && record.is_active(now, grace))
    }

    /// The JWKS as the faults in effect bend it.
    pub(crate) fn jwks_shape(&self) -> JwksShape {
        let kid_absent = |wanted: TokenFault| move |fault: &Fault| matches!(fault, Fault::IdToken(found) | Fault::AccessToken(found) if *found == wanted);
        JwksShape {
            single_without_kid: self
                .faults
                .armed_or_fired(kid_absent(TokenFault::KidAbsentSingleKey)),
            all_without_kid: self
                .faults
                .armed_or_fired(kid_absent(TokenFault::KidAbsentMultipleKeys)),
            unusable_extras: self.faults.sticky_in_effect(&Fault::JwksUnusableKeys),
        }
    }

    /// Whether the JWKS moved to its random path.
    pub(crate) fn jwks_moved(&self) -> bool {
        self.faults.sticky_in_effect(&Fault::JwksUriRandomPath)
    }
}

impl ClientDirectory for Shared {
    fn client(&self, id: &str) -> Option<Client> {
        Shared::client(self, id)
    }
}
