//! Minting tokens: Okta's access-token and ID-token claims, custom claims, and the token faults.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::authorization_servers::ServerInfo;
use crate::config::{ClaimTarget, ClaimValue, Client, User};
use crate::crypto::{b64url, random_token, sha256};
use crate::error::Failure;
use crate::faults::{Fault, TokenFault};
use crate::keys::{Signer, compact, corrupt_signature};
use crate::state::Shared;
use crate::store::{TokenKind, TokenRecord};

/// Which grant a token comes from (some faults apply to one grant only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GrantKind {
    AuthorizationCode,
    ClientCredentials,
    DeviceCode,
    RefreshToken,
    TokenExchange,
}

/// Everything the tokens of one `/token` response are about.
pub(crate) struct Grant<'a> {
    pub(crate) kind: GrantKind,
    pub(crate) server: &'a ServerInfo,
    pub(crate) client: &'a Client,
    pub(crate) user: Option<&'a User>,
    pub(crate) scopes: &'a [String],
    pub(crate) auth_time: Option<u64>,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) family: &'a str,
    /// The access-token lifetime, when an access policy rule or the org server fixes one;
    /// otherwise the server's configured lifetime.
    pub(crate) access_lifetime: Option<Duration>,
}

impl Grant<'_> {
    /// `sub` of access tokens: the username, or the client id for `client_credentials`.
    fn subject(&self) -> String {
        self.user.map_or_else(|| self.client.id().to_owned(), |user| user.username().to_owned())
    }

    /// The record of a token of this grant issued at `now`, as access and refresh tokens have
    /// it (ID tokens change the audience, subject and username).
    fn record(&self, kind: TokenKind, now: u64, lifetime: u64, jti: String) -> TokenRecord {
        TokenRecord {
            kind,
            server: self.server.id.clone(),
            client_id: self.client.id().to_owned(),
            username: self.user.map(|user| user.username().to_owned()),
            scopes: self.scopes.to_vec(),
            issued_at: now,
            expires_at: now + lifetime,
            jti,
            family: self.family.to_owned(),
            revoked: false,
            rotated_at: None,
            auth_time: self.auth_time,
            audience: self.server.audience.clone(),
            subject: self.subject(),
        }
    }
}

/// A signed token and its record.
pub(crate) struct Minted {
    pub(crate) token: String,
    pub(crate) record: TokenRecord,
}

/// Mints the access token of a grant.
pub(crate) fn access_token(shared: &Shared, grant: &Grant<'_>) -> Result<Minted, Failure> {
    let now = shared.now();
    let lifetime = grant.access_lifetime.unwrap_or(shared.lifetimes.access_token()).as_secs();
    let jti = format!("AT.{}", random_token(32));
    let mut claims = Map::new();
    claims.insert("ver".into(), json!(1));
    claims.insert("jti".into(), json!(jti));
    claims.insert("iss".into(), json!(grant.server.issuer));
    claims.insert("aud".into(), json!(grant.server.audience));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime));
    claims.insert("cid".into(), json!(grant.client.id()));
    if let Some(user) = grant.user {
        claims.insert("uid".into(), json!(user.id()));
    }
    claims.insert("scp".into(), json!(grant.scopes));
    if let Some(auth_time) = grant.auth_time {
        claims.insert("auth_time".into(), json!(auth_time));
    }
    claims.insert("sub".into(), json!(grant.subject()));
    add_custom_claims(&mut claims, grant, ClaimTarget::AccessToken);

    let faults: Vec<TokenFault> = shared.faults.take_all(|fault| match fault {
        Fault::AccessToken(token_fault) => Some(*token_fault),
        _ => None,
    });
    let mut claims = Value::Object(claims);
    apply_claim_faults(&mut claims, &faults, now, None);
    // The org server signs access tokens with a key it never publishes, as Okta does.
    let token = sign(shared, grant.server, &claims, &faults, grant.server.is_org())?;
    let record = grant.record(TokenKind::Access, now, lifetime, jti);
    Ok(Minted { token, record })
}

/// Mints the ID token of a grant, bound to `access_token` through `at_hash`.
pub(crate) fn id_token(
    shared: &Shared,
    grant: &Grant<'_>,
    user: &User,
    access_token: &str,
) -> Result<Minted, Failure> {
    let now = shared.now();
    let lifetime = shared.lifetimes.id_token().as_secs();
    let jti = format!("ID.{}", random_token(32));
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id()));
    claims.insert("ver".into(), json!(1));
    claims.insert("iss".into(), json!(grant.server.issuer));
    claims.insert("aud".into(), json!(grant.client.id()));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime));
    claims.insert("jti".into(), json!(jti));
    claims.insert("amr".into(), json!(["pwd"]));
    claims.insert("idp".into(), json!(shared.idp_id));
    if let Some(nonce) = grant.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(auth_time) = grant.auth_time {
        claims.insert("auth_time".into(), json!(auth_time));
    }
    claims.insert("at_hash".into(), json!(at_hash(access_token)));
    // Okta's ID tokens from `/token` are thin: beyond the base claims only `name` and
    // `preferred_username` (scope `profile`) and `email` (scope `email`); every other claim of
    // those scopes, and `groups`, comes from `/userinfo`.
    let granted = |wanted: &str| grant.scopes.iter().any(|scope| scope == wanted);
    if granted("profile") {
        if let Some(name) = user.name() {
            claims.insert("name".into(), json!(name));
        }
        claims.insert("preferred_username".into(), json!(user.username()));
    }
    if granted("email")
        && let Some(email) = user.email()
    {
        claims.insert("email".into(), json!(email));
    }
    add_custom_claims(&mut claims, grant, ClaimTarget::IdToken);

    let faults: Vec<TokenFault> = shared.faults.take_all(|fault| match fault {
        Fault::IdToken(token_fault) => Some(*token_fault),
        _ => None,
    });
    if grant.kind == GrantKind::RefreshToken {
        let refresh_faults = shared.faults.take_all(|fault| match fault {
            Fault::RefreshIdTokenWrongIssuer => Some("iss"),
            Fault::RefreshIdTokenWrongSubject => Some("sub"),
            _ => None,
        });
        for claim in refresh_faults {
            append(&mut claims, claim, "1");
        }
    }
    let mut claims = Value::Object(claims);
    apply_claim_faults(&mut claims, &faults, now, Some(access_token));
    let token = sign(shared, grant.server, &claims, &faults, false)?;
    let record = TokenRecord {
        username: Some(user.username().to_owned()),
        audience: grant.client.id().to_owned(),
        subject: user.id(),
        ..grant.record(TokenKind::Id, now, lifetime, jti)
    };
    Ok(Minted { token, record })
}

/// A new opaque refresh token.
pub(crate) fn refresh_token(shared: &Shared, grant: &Grant<'_>) -> Minted {
    let now = shared.now();
    let token = random_token(32);
    let lifetime = shared.lifetimes.refresh_token().as_secs();
    let record =
        grant.record(TokenKind::Refresh, now, lifetime, format!("RT.{}", random_token(16)));
    Minted { token, record }
}

/// `at_hash`: the left half of SHA-256 of the access token, base64url (OIDC Core 3.1.3.6).
pub(crate) fn at_hash(access_token: &str) -> String {
    let digest = sha256(access_token.as_bytes());
    b64url(&digest[..digest.len() / 2])
}

fn add_custom_claims(claims: &mut Map<String, Value>, grant: &Grant<'_>, kind: ClaimTarget) {
    for claim in &grant.server.claims {
        let target = claim.target();
        if (target != kind && target != ClaimTarget::Both) || !claim.applies_to(grant.scopes) {
            continue;
        }
        let value = match claim.value() {
            ClaimValue::Groups => json!(grant.user.map(User::groups).unwrap_or_default()),
            ClaimValue::Static(value) => value.clone(),
        };
        claims.insert(claim.name().to_owned(), value);
    }
}

fn apply_claim_faults(
    claims: &mut Value,
    faults: &[TokenFault],
    now: u64,
    access_token: Option<&str>,
) {
    let Some(claims) = claims.as_object_mut() else { return };
    for fault in faults {
        match fault {
            TokenFault::WrongIssuer => append(claims, "iss", "1"),
            TokenFault::WrongAudience => append(claims, "aud", "1"),
            TokenFault::WrongNonce => append(claims, "nonce", "1"),
            TokenFault::WrongAtHash if access_token.is_some() => {
                let other = format!("{}-not-this-one", access_token.unwrap_or_default());
                claims.insert("at_hash".into(), json!(at_hash(&other)));
            }
            TokenFault::MissingAudience => drop(claims.remove("aud")),
            TokenFault::MissingIssuedAt => drop(claims.remove("iat")),
            TokenFault::MissingSubject => drop(claims.remove("sub")),
            TokenFault::MissingExpiry => drop(claims.remove("exp")),
            TokenFault::MissingNonce => drop(claims.remove("nonce")),
            TokenFault::MissingAtHash => drop(claims.remove("at_hash")),
            TokenFault::Expired => {
                claims.insert("iat".into(), json!(now.saturating_sub(7200)));
                claims.insert("exp".into(), json!(now.saturating_sub(3600)));
            }
            TokenFault::IssuedWeekAgo => {
                claims.insert("iat".into(), json!(now.saturating_sub(7 * 24 * 3600)));
            }
            _ => {}
        }
    }
}

/// Appends `suffix` to a string claim (or sets it to `suffix` when absent).
fn append(claims: &mut Map<String, Value>, name: &str, suffix: &str) {
    let current = claims.get(name).and_then(Value::as_str).unwrap_or_default();
    let changed = format!("{current}{suffix}");
    claims.insert(name.to_owned(), json!(changed));
}

fn sign(
    shared: &Shared,
    server: &ServerInfo,
    claims: &Value,
    faults: &[TokenFault],
    unpublished_key: bool,
) -> Result<String, Failure> {
    let has = |wanted: TokenFault| faults.contains(&wanted);
    if has(TokenFault::AlgNone) {
        return Ok(compact(claims, &Signer::AlgNone)?);
    }
    if has(TokenFault::RotateKeysBeforeSigning) {
        shared.keys.rotate(&server.id)?;
    }
    let key = if unpublished_key || has(TokenFault::UnpublishedKey) {
        shared.keys.unpublished(&server.id)?
    } else {
        shared.keys.active(&server.id)?
    };
    let with_kid = !has(TokenFault::KidAbsentSingleKey) && !has(TokenFault::KidAbsentMultipleKeys);
    let token = compact(claims, &Signer::Key { key: &key, with_kid })?;
    Ok(if has(TokenFault::BadSignature) { corrupt_signature(&token) } else { token })
}

/// Keeps the records of minted tokens (for introspection, revocation and refresh).
pub(crate) fn remember(shared: &Shared, minted: impl IntoIterator<Item = Minted>) {
    let now = shared.now();
    shared.store.with(|store| {
        store.sweep(now);
        for Minted { token, record } in minted {
            store.tokens.insert(token, record);
        }
    });
}

#[cfg(test)]
mod tests;
