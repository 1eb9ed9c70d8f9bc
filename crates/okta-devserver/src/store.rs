//! In-memory state of the protocol: sign-in transactions, sessions, session tokens, codes and
//! issued tokens.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::authorization_servers::AuthServerId;

/// How the redirect back to the client carries its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    FormPost,
    Fragment,
    Query,
}

/// A validated `/authorize` request.
#[derive(Clone, Debug)]
pub(crate) struct AuthRequest {
    pub(crate) server: AuthServerId,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) response_mode: ResponseMode,
    pub(crate) scopes: Vec<String>,
    pub(crate) state: String,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) consent: bool,
    pub(crate) login_hint: Option<String>,
}

/// An `/authorize` request waiting for the sign-in form or the consent page.
#[derive(Clone, Debug)]
pub(crate) struct Transaction {
    pub(crate) request: AuthRequest,
    /// Set once the user signed in (then only consent is missing).
    pub(crate) signed_in: Option<SignedIn>,
    pub(crate) expires_at: u64,
}

/// Who signed in and when.
#[derive(Clone, Debug)]
pub(crate) struct SignedIn {
    pub(crate) username: String,
    pub(crate) auth_time: u64,
}

/// A browser session (the `sid` cookie).
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) auth_time: u64,
    pub(crate) expires_at: u64,
}

/// A one-time `sessionToken` from `/api/v1/authn`.
#[derive(Clone, Debug)]
pub(crate) struct SessionTokenGrant {
    pub(crate) username: String,
    pub(crate) expires_at: u64,
}

/// An authorization code.
#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    pub(crate) request: AuthRequest,
    pub(crate) signed_in: SignedIn,
    pub(crate) expires_at: u64,
    pub(crate) redeemed: bool,
    /// Every token issued from this code (and its refreshes) shares it, so a replayed code can
    /// revoke them all.
    pub(crate) family: String,
}

/// A device authorization (RFC 8628) waiting for its user, or decided.
#[derive(Clone, Debug)]
pub(crate) struct DeviceGrant {
    pub(crate) server: AuthServerId,
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    /// What the user types on the activation page (eight letters, compared without case or
    /// hyphen).
    pub(crate) user_code: String,
    pub(crate) expires_at: u64,
    /// The polling interval in seconds; `slow_down` adds 5.
    pub(crate) interval: u64,
    /// When the device last polled `/token`.
    pub(crate) last_poll: Option<u64>,
    pub(crate) decision: DeviceDecision,
}

/// What the user said on the activation page.
#[derive(Clone, Debug)]
pub(crate) enum DeviceDecision {
    /// Approved by this user.
    Approved(SignedIn),
    /// Denied.
    Denied,
    /// Not yet asked.
    Pending,
}

/// What kind of token a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Access,
    Id,
    Refresh,
}

/// A token the server issued.
#[derive(Clone, Debug)]
pub(crate) struct TokenRecord {
    pub(crate) kind: TokenKind,
    pub(crate) server: AuthServerId,
    pub(crate) client_id: String,
    /// The username, for tokens issued to a user.
    pub(crate) username: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: u64,
    pub(crate) jti: String,
    pub(crate) family: String,
    pub(crate) revoked: bool,
    /// For refresh tokens: when a rotation replaced it (it then works for the grace period).
    pub(crate) rotated_at: Option<u64>,
    pub(crate) auth_time: Option<u64>,
    /// `aud` as issued (the client id for ID tokens).
    pub(crate) audience: String,
    /// `sub` as issued.
    pub(crate) subject: String,
}

impl TokenRecord {
    /// Whether the token is usable at `now` (not revoked, not expired, not rotated out).
    pub(crate) fn is_active(&self, now: u64, rotation_grace: u64) -> bool {
        let rotated_out =
            self.rotated_at.is_some_and(|rotated| now >= rotated.saturating_add(rotation_grace));
        !self.revoked && now < self.expires_at && !rotated_out
    }
}

/// All of the above behind one lock (no request holds it across an `.await`).
#[derive(Debug, Default)]
pub(crate) struct Store {
    inner: Mutex<StoreInner>,
}

#[derive(Debug, Default)]
pub(crate) struct StoreInner {
    pub(crate) transactions: HashMap<String, Transaction>,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) session_tokens: HashMap<String, SessionTokenGrant>,
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) tokens: HashMap<String, TokenRecord>,
    /// Device authorizations by device code.
    pub(crate) device_grants: HashMap<String, DeviceGrant>,
}

/// Expired entries are swept when a map grows past this size.
const SWEEP_AT: usize = 10_000;

impl Store {
    pub(crate) fn with<T>(&self, action: impl FnOnce(&mut StoreInner) -> T) -> T {
        action(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl StoreInner {
    /// Drops expired entries once the maps are large.
    pub(crate) fn sweep(&mut self, now: u64) {
        if self.tokens.len() > SWEEP_AT {
            self.tokens.retain(|_, token| token.expires_at > now);
        }
        if self.codes.len() > SWEEP_AT {
            self.codes.retain(|_, code| code.expires_at > now);
        }
        if self.transactions.len() > SWEEP_AT {
            self.transactions.retain(|_, transaction| transaction.expires_at > now);
        }
        if self.sessions.len() > SWEEP_AT {
            self.sessions.retain(|_, session| session.expires_at > now);
        }
        if self.device_grants.len() > SWEEP_AT {
            self.device_grants.retain(|_, grant| grant.expires_at > now);
        }
        if self.session_tokens.len() > SWEEP_AT {
            self.session_tokens.retain(|_, grant| grant.expires_at > now);
        }
    }

    /// Revokes every token of a family (a replayed code, a revoked refresh token).
    pub(crate) fn revoke_family(&mut self, family: &str) {
        for token in self.tokens.values_mut().filter(|token| token.family == family) {
            token.revoked = true;
        }
    }
}
