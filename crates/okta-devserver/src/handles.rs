//! Handles to a running server's clients, users and keys (cheap clones sharing its state).

use std::fmt;
use std::sync::PoisonError;

use crate::authorization_servers::AuthServerId;
use crate::config::{Client, User};
use crate::keys::{JwksShape, KeyError, Signer, compact};
use crate::state::AppState;

/// Why a client or user could not be added at run time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// One with the same id or username already exists.
    #[error("{0} is already registered")]
    Duplicate(String),
    /// The client or user is invalid.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// No client has this id.
    #[error("no client {0:?}")]
    UnknownClient(String),
}

/// The registered clients of a running server (clones share state).
#[derive(Clone)]
pub struct Clients {
    pub(crate) shared: AppState,
}

impl Clients {
    /// The client with this id.
    pub fn get(&self, id: &str) -> Option<Client> {
        self.shared.client(id)
    }

    /// Every client, ordered by id.
    pub fn list(&self) -> Vec<Client> {
        self.shared
            .clients
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Registers a client while the server runs.
    pub fn add(&self, client: Client) -> Result<(), RegisterError> {
        let problems = client.problems();
        if !problems.is_empty() {
            return Err(RegisterError::Invalid(problems));
        }
        let mut clients = self.shared.clients.write().unwrap_or_else(PoisonError::into_inner);
        if clients.contains_key(client.id()) {
            return Err(RegisterError::Duplicate(format!("client {}", client.id())));
        }
        clients.insert(client.id().to_owned(), client);
        Ok(())
    }

    /// Registers another public key (a JWK) for a `private_key_jwt` client while the server
    /// runs, as an administrator adds one in Okta before rotating: assertions signed with it
    /// verify from the next request on. The client's whole key set is checked again (at most
    /// 50 keys, unique `kid`s, RSA of at least 2048 bits).
    pub fn add_jwk(&self, client_id: &str, jwk: serde_json::Value) -> Result<(), RegisterError> {
        let mut clients = self.shared.clients.write().unwrap_or_else(PoisonError::into_inner);
        let client = clients
            .get_mut(client_id)
            .ok_or_else(|| RegisterError::UnknownClient(client_id.to_owned()))?;
        client.add_jwk(jwk).map_err(RegisterError::Invalid)
    }
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

/// The registered users of a running server (clones share state).
#[derive(Clone)]
pub struct Users {
    pub(crate) shared: AppState,
}

impl Users {
    /// The user with this username (case-insensitive, as Okta logins are).
    pub fn get(&self, username: &str) -> Option<User> {
        self.shared.user(username)
    }

    /// Every user, in registration order.
    pub fn list(&self) -> Vec<User> {
        self.shared.users.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Registers a user while the server runs.
    pub fn add(&self, user: User) -> Result<(), RegisterError> {
        let problems = user.problems();
        if !problems.is_empty() {
            return Err(RegisterError::Invalid(problems));
        }
        let mut users = self.shared.users.write().unwrap_or_else(PoisonError::into_inner);
        if users.iter().any(|known| known.username().eq_ignore_ascii_case(user.username())) {
            return Err(RegisterError::Duplicate(format!("user {}", user.username())));
        }
        users.push(user);
        Ok(())
    }
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

/// The signing keys of a running server (clones share state).
///
/// Keys are RSA-2048, generated on first use (about 50 ms each) unless loaded with
/// [`DevServerBuilder::signing_key_pem`](crate::DevServerBuilder::signing_key_pem). Every server publishes two; the first signs.
#[derive(Clone)]
pub struct Keys {
    pub(crate) shared: AppState,
}

impl Keys {
    /// Replaces the signing key of `server` by a brand-new one, keeping the previous signing
    /// key published so tokens it signed still verify. Returns the new `kid`.
    pub fn rotate(&self, server: impl Into<AuthServerId>) -> Result<String, KeyError> {
        self.shared.keys.rotate(&self.known(server)?)
    }

    /// The JWKS `server` publishes (without the changes faults make).
    pub fn jwks(&self, server: impl Into<AuthServerId>) -> Result<serde_json::Value, KeyError> {
        self.shared.keys.jwks(&self.known(server)?, JwksShape::default())
    }

    /// The `kid` of the key that signs `server`'s ID tokens.
    pub fn signing_kid(&self, server: impl Into<AuthServerId>) -> Result<String, KeyError> {
        Ok(self.shared.keys.active(&self.known(server)?)?.kid().to_owned())
    }

    /// Signs arbitrary claims as `server` would (header `{"kid":…,"alg":"RS256"}`), for tests
    /// that need a token the endpoints would never issue.
    pub fn sign(
        &self,
        server: impl Into<AuthServerId>,
        claims: &serde_json::Value,
    ) -> Result<String, KeyError> {
        let key = self.shared.keys.active(&self.known(server)?)?;
        compact(claims, &Signer::Key { key: &key, with_kid: true })
    }

    /// Generates `server`'s keys now instead of on first use (the binary does this in the
    /// background so the first sign-in is fast).
    pub fn warm_up(&self, server: impl Into<AuthServerId>) -> Result<(), KeyError> {
        self.shared.keys.warm_up(&self.known(server)?)
    }

    fn known(&self, server: impl Into<AuthServerId>) -> Result<AuthServerId, KeyError> {
        let server = server.into();
        if self.shared.servers.contains_key(&server) {
            Ok(server)
        } else {
            Err(KeyError::UnknownServer(server.to_string()))
        }
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys { .. }")
    }
}
