//! What a signed-in session holds on the server (claims, user info, tokens, CSRF token), and how
//! it is kept fresh: the access token refreshed before it expires, the idle expiry extended.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use okta_verify::OktaIdTokenClaims;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tower_sessions::Session;

use crate::axum::OktaAuth;
use crate::{AccessToken, IdToken, RefreshToken, TokenError, TokenSet, UserInfo};

/// The session key under which the signed-in user is kept.
pub(crate) const USER_KEY: &str = "okta.user";

/// How often an active session's idle expiry is pushed back (each push is a store write).
const TOUCH_INTERVAL: Duration = Duration::from_mins(1);

/// How long a refresh holds its lock in the store at most (the lock is released when the
/// refresh ends; this bounds a replica that died while refreshing).
const REFRESH_LOCK: Duration = Duration::from_secs(30);

/// How long a request whose access token has expired waits for another replica's refresh.
const REFRESH_WAIT: Duration = Duration::from_secs(5);

/// The signed-in user, as stored in the session. Tokens never leave the server.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    pub(crate) claims: OktaIdTokenClaims,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) userinfo: Option<Map<String, Value>>,
    pub(crate) id_token: String,
    pub(crate) access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    /// When the access token expires, in seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<u64>,
    pub(crate) scopes: Vec<String>,
    /// The token `POST /logout` must present.
    pub(crate) csrf: String,
    /// When the user signed in, in seconds since the epoch.
    pub(crate) signed_in_at: u64,
    /// When the idle expiry was last pushed back, in seconds since the epoch.
    pub(crate) touched_at: u64,
}

impl UserRecord {
    /// The record of a fresh sign-in.
    pub(crate) fn new(
        tokens: TokenSet,
        claims: OktaIdTokenClaims,
        userinfo: Option<&UserInfo>,
        now: SystemTime,
    ) -> Self {
        let now = unix(now);
        Self {
            claims,
            userinfo: userinfo.map(|info| info.to_json().clone()),
            id_token: tokens.id_token.map(|token| token.0).unwrap_or_default(),
            access_token: tokens.access_token.into_secret(),
            refresh_token: tokens.refresh_token.map(RefreshToken::into_secret),
            expires_at: tokens.expires_at.map(unix),
            scopes: tokens.scopes,
            csrf: crate::OktaClient::new_logout_state(),
            signed_in_at: now,
            touched_at: now,
        }
    }

    pub(crate) fn id_token(&self) -> IdToken {
        IdToken(self.id_token.clone())
    }

    /// Takes the tokens of a refresh; a new ID token (already checked to name the same subject)
    /// replaces the claims.
    fn apply_refresh(&mut self, tokens: TokenSet) {
        self.access_token = tokens.access_token.into_secret();
        self.expires_at = tokens.expires_at.map(unix);
        if !tokens.scopes.is_empty() {
            self.scopes = tokens.scopes;
        }
        if let Some(refresh_token) = tokens.refresh_token {
            self.refresh_token = Some(refresh_token.into_secret());
        }
        if let (Some(id_token), Some(claims)) = (tokens.id_token, tokens.id_token_claims) {
            self.id_token = id_token.0;
            self.claims = claims;
        }
    }
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("sub", &self.claims.sub)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// What [`load`] found.
pub(crate) enum Loaded {
    /// A signed-in user, refreshed if needed.
    User(Box<UserRecord>),
    /// Nobody is signed in (no session, or it ended: expired, refused refresh, lifetime over).
    SignedOut,
    /// The access token has expired and Okta could not be reached to refresh it.
    OktaUnavailable,
}

/// Why the session store could not be used.
#[derive(Debug)]
pub(crate) struct StoreFailure(pub(crate) tower_sessions::session::Error);

/// Loads the signed-in user of `session`, ending the session when its lifetime is over or its
/// tokens can no longer be used, and refreshing the access token `refresh_margin` before it
/// expires when there is a refresh token.
pub(crate) async fn load(auth: &OktaAuth, session: &Session) -> Result<Loaded, StoreFailure> {
    let record = match session.get::<UserRecord>(USER_KEY).await {
        Ok(Some(record)) => record,
        Ok(None) => return Ok(Loaded::SignedOut),
        Err(
            tower_sessions::session::Error::SerdeJson(_)
            | tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Decode(_)),
        ) => {
            // A record from an incompatible version: the user signs in again.
            tracing::warn!("the session's user record cannot be read; ending the session");
            session.flush().await.map_err(StoreFailure)?;
            return Ok(Loaded::SignedOut);
        }
        Err(err) => return Err(StoreFailure(err)),
    };
    let config = &auth.inner;
    let client = &config.client;
    let now = client.clock().now();
    let now_secs = unix(now);
    let mut record = record;
    let mut modified = false;

    if now_secs.saturating_sub(record.signed_in_at) >= config.max_lifetime.as_secs() {
        tracing::info!("the session reached its maximum lifetime");
        session.flush().await.map_err(StoreFailure)?;
        return Ok(Loaded::SignedOut);
    }

    if let Some(expires_at) = record.expires_at {
        let refresh_from = expires_at.saturating_sub(config.refresh_margin.as_secs());
        if now_secs >= refresh_from {
            match refresh(auth, session, &mut record, now_secs >= expires_at, now_secs).await {
                // The refresh stored the record itself, unless the store failed: then it is
                // stored again below, where a failure is reported.
                Refreshed::Yes { stored } => modified = !stored,
                Refreshed::NotNeeded => {}
                // Another request refreshes: writing this (older) record could undo its work.
                Refreshed::Elsewhere => return Ok(Loaded::User(Box::new(record))),
                Refreshed::Ended => {
                    session.flush().await.map_err(StoreFailure)?;
                    return Ok(Loaded::SignedOut);
                }
                Refreshed::Unavailable => return Ok(Loaded::OktaUnavailable),
            }
        }
    }

    if modified || now_secs.saturating_sub(record.touched_at) >= TOUCH_INTERVAL.as_secs() {
        record.touched_at = now_secs;
        session.insert(USER_KEY, &record).await.map_err(StoreFailure)?;
    }
    Ok(Loaded::User(Box::new(record)))
}

enum Refreshed {
    /// New tokens; `stored` says whether the session holds them already.
    Yes {
        stored: bool,
    },
    NotNeeded,
    /// Another request (on any replica) is refreshing; the access token is still valid.
    Elsewhere,
    Ended,
    Unavailable,
}

/// Refreshes the access token of `record` and stores the new tokens in `session`; `expired`
/// says whether the access token is already unusable.
///
/// Drop-safe: the refresh runs on a task of its own, which stores its outcome and saves the
/// session. Once Okta has answered, the new tokens are kept even if the request that started the
/// refresh is dropped (a browser that goes away): with refresh-token rotation the old refresh
/// token stops working, and reusing it after the grace period makes Okta revoke the session's
/// tokens.
async fn refresh(
    auth: &OktaAuth,
    session: &Session,
    record: &mut UserRecord,
    expired: bool,
    now_secs: u64,
) -> Refreshed {
    let Some(refresh_token) = record.refresh_token.clone() else {
        if expired {
            tracing::info!("the access token expired and there is no refresh token");
            return Refreshed::Ended;
        }
        return Refreshed::NotNeeded;
    };
    // One refresh per refresh token across replicas: with rotation, a second use of the same
    // refresh token after the grace period makes Okta revoke the sign-in's tokens.
    let marks = auth.login_marks();
    let marker = [b"refresh:".as_slice(), refresh_token.as_bytes()].concat();
    if let Some(marks) = &marks {
        let until = tower_sessions::cookie::time::OffsetDateTime::now_utc() + REFRESH_LOCK;
        match marks.mark_used(&marker, until).await {
            Ok(true) => {
                // The record may have changed between its load and the lock.
                if let Some(current) = stored_record(session).await
                    && current.refresh_token.as_deref() != Some(refresh_token.as_str())
                {
                    let _ = marks.unmark(&marker).await;
                    *record = current;
                    return Refreshed::Yes { stored: true };
                }
            }
            Ok(false) => {
                tracing::debug!(expired, "another request is refreshing this session");
                if !expired {
                    return Refreshed::Elsewhere;
                }
                return wait_for_refresh(session, &refresh_token, record).await;
            }
            Err(err) => tracing::warn!(
                error = &err as &dyn std::error::Error,
                "the refresh lock is unavailable; refreshing without it"
            ),
        }
    }
    let refreshed = refresh_now(auth, session, record, refresh_token, expired, now_secs).await;
    if let Some(marks) = &marks {
        let _ = marks.unmark(&marker).await;
    }
    refreshed
}

/// The user record as the store holds it now (another replica may have written it).
async fn stored_record(session: &Session) -> Option<UserRecord> {
    session.load().await.ok()?;
    session.get::<UserRecord>(USER_KEY).await.ok().flatten()
}

/// Waits (at most [`REFRESH_WAIT`]) for another request's refresh to store new tokens.
async fn wait_for_refresh(session: &Session, old: &str, record: &mut UserRecord) -> Refreshed {
    let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match stored_record(session).await {
            Some(current) if current.refresh_token.as_deref() != Some(old) => {
                *record = current;
                return Refreshed::Yes { stored: true };
            }
            Some(_) => {}
            None => return Refreshed::Ended,
        }
    }
    tracing::warn!("another request's refresh did not finish in time");
    Refreshed::Unavailable
}

/// Runs the refresh on a task of its own and stores its outcome (see [`refresh`]).
async fn refresh_now(
    auth: &OktaAuth,
    session: &Session,
    record: &mut UserRecord,
    refresh_token: String,
    expired: bool,
    now_secs: u64,
) -> Refreshed {
    let client = auth.inner.client.clone();
    let session = session.clone();
    let mut refreshed = record.clone();
    let task = tokio::spawn(async move {
        let tokens =
            client.refresh(&RefreshToken::new(refresh_token), &refreshed.claims.sub).await?;
        refreshed.apply_refresh(tokens);
        refreshed.touched_at = now_secs;
        let stored = match session.insert(USER_KEY, &refreshed).await {
            Ok(()) => session.save().await,
            Err(err) => Err(err),
        };
        if let Err(err) = &stored {
            tracing::error!(
                error = err as &dyn std::error::Error,
                "storing the refreshed tokens failed"
            );
        }
        Ok::<_, TokenError>((refreshed, stored.is_ok()))
    });
    let outcome = match task.await {
        Ok(outcome) => outcome,
        Err(err) => {
            tracing::error!(error = &err as &dyn std::error::Error, "the refresh task failed");
            return if expired { Refreshed::Unavailable } else { Refreshed::NotNeeded };
        }
    };
    match outcome {
        Ok((refreshed, stored)) => {
            *record = refreshed;
            Refreshed::Yes { stored }
        }
        Err(
            err @ (TokenError::Transport(_)
            | TokenError::RateLimited { .. }
            | TokenError::ServerFailure { .. }),
        ) => {
            tracing::warn!(kind = err.kind(), expired, "refreshing the access token failed");
            if expired { Refreshed::Unavailable } else { Refreshed::NotNeeded }
        }
        Err(err) => {
            // Refused (revoked, expired refresh token), or an answer that cannot be trusted.
            tracing::info!(kind = err.kind(), "the refresh was refused; ending the session");
            Refreshed::Ended
        }
    }
}

/// Seconds since the epoch (0 before it).
pub(crate) fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// The stored access token as openidconnect's type.
pub(crate) fn access_token(record: &UserRecord) -> AccessToken {
    AccessToken::new(record.access_token.clone())
}
