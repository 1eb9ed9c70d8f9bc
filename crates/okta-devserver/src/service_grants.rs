//! The `/token` grants of service apps: `client_credentials` (custom servers by access policy,
//! the org server for Okta API scopes with `private_key_jwt`) and token exchange on behalf of a
//! user (RFC 8693).

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

use crate::access_policy::{self, Refusal};
use crate::authorization_servers::{AuthServerId, ServerInfo};
use crate::config::{Client, ClientAuthMethod, GrantType, USER_SCOPES};
use crate::crypto::random_token;
use crate::error::{Failure, OAuthError};
use crate::form::Params;
use crate::minting::{self, Grant, GrantKind};
use crate::state::Shared;
use crate::store::{TokenKind, TokenRecord};

/// `subject_token_type` and `issued_token_type` of an access token (RFC 8693 §3).
pub(crate) const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The other token types of RFC 8693 and Okta's list (SPEC L5425): known, but not exchanged here.
const OTHER_TOKEN_TYPES: [&str; 8] = [
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:refresh_token",
    "urn:ietf:params:oauth:token-type:saml1",
    "urn:ietf:params:oauth:token-type:saml2",
    "urn:okta:oauth:token-type:web_sso_token",
    "urn:x-oath:params:oauth:token-type:device-secret",
    "urn:okta:params:oauth:token-type:interclient_token",
];

/// The org server's access tokens live exactly one hour, whatever is configured.
const ORG_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_hours(1);

const ORG_NEEDS_PRIVATE_KEY_JWT: &str = "Client Credentials requests to the Org Authorization \
                                         Server must use the private_key_jwt \
                                         token_endpoint_auth_method";
const OPENID_SCOPES_REFUSED: &str = "Cannot request 'openid' scopes using client credentials.";
const SCOPES_NOT_CONFIGURED: &str =
    "One or more scopes are not configured for the authorization server resource.";

/// `grant_type=client_credentials`.
pub(crate) fn client_credentials(
    shared: &Shared,
    server: &ServerInfo,
    client: &Client,
    form: &Params,
) -> Result<Value, Failure> {
    let requested = scopes(form.get("scope"));
    let (scopes, lifetime) = if server.is_org() {
        (org_scopes(client, requested)?, Some(ORG_ACCESS_TOKEN_LIFETIME))
    } else {
        if has_user_scope(&requested) {
            return Err(OAuthError::invalid_scope(OPENID_SCOPES_REFUSED).into());
        }
        let granted = custom_scopes(server, client, GrantType::ClientCredentials, &requested)?;
        tracing::debug!(client_id = client.id(), rule = granted.rule, "client credentials granted");
        (granted.scopes, granted.lifetime)
    };
    let family = random_token(16);
    let grant = Grant {
        kind: GrantKind::ClientCredentials,
        server,
        client,
        user: None,
        scopes: &scopes,
        auth_time: None,
        nonce: None,
        family: &family,
        access_lifetime: lifetime,
    };
    let access = minting::access_token(shared, &grant)?;
    let body = json!({
        "token_type": "Bearer",
        "expires_in": access.record.expires_at.saturating_sub(access.record.issued_at),
        "access_token": access.token,
        "scope": scopes.join(" "),
    });
    minting::remember(shared, [access]);
    Ok(body)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`: a user's access token, issued
/// by this server or one it trusts, for one of this server's audience, on behalf of that user.
pub(crate) fn token_exchange(
    shared: &Shared,
    server: &ServerInfo,
    client: &Client,
    form: &Params,
) -> Result<Value, Failure> {
    if server.is_org() {
        return Err(OAuthError::invalid_request(
            "Token exchange on behalf of a user needs a custom authorization server; the org \
             authorization server does not exchange access tokens.",
        )
        .into());
    }
    let required = |name: &'static str| {
        form.get(name).filter(|value| !value.is_empty()).ok_or_else(|| {
            OAuthError::invalid_request(format!("The '{name}' parameter is required."))
        })
    };
    let subject_type = required("subject_token_type")?;
    if subject_type != ACCESS_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(if OTHER_TOKEN_TYPES.contains(&subject_type) {
            format!(
                "The 'subject_token_type' {subject_type} is not supported: only \
                 {ACCESS_TOKEN_TYPE} is exchanged on behalf of a user."
            )
        } else {
            "The 'subject_token_type' is invalid.".to_owned()
        })
        .into());
    }
    let subject_token = required("subject_token")?;
    if form.get("actor_token").is_some() || form.get("actor_token_type").is_some() {
        return Err(OAuthError::invalid_request(
            "The 'actor_token' parameter is not supported for an exchange on behalf of a user.",
        )
        .into());
    }
    if form.get("requested_token_type").is_some_and(|wanted| wanted != ACCESS_TOKEN_TYPE) {
        return Err(OAuthError::invalid_request("The 'requested_token_type' is invalid.").into());
    }
    if required("audience")? != server.audience {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "The 'audience' is not the audience of this authorization server.",
        )
        .into());
    }
    let subject = subject_record(shared, server, subject_token)?;
    let requested = scopes(form.get("scope"));
    if let Some(scope) = requested.iter().find(|scope| USER_SCOPES.contains(&scope.as_str())) {
        return Err(OAuthError::invalid_scope(not_allowed(std::slice::from_ref(scope))).into());
    }
    let granted = custom_scopes(server, client, GrantType::TokenExchange, &requested)?;
    let user =
        subject.username.as_deref().and_then(|username| shared.user(username)).ok_or_else(
            || OAuthError::invalid_grant("The subject token was not issued to a user."),
        )?;
    let family = random_token(16);
    let grant = Grant {
        kind: GrantKind::TokenExchange,
        server,
        client,
        user: Some(&user),
        scopes: &granted.scopes,
        auth_time: subject.auth_time,
        nonce: None,
        family: &family,
        access_lifetime: granted.lifetime,
    };
    let access = minting::access_token(shared, &grant)?;
    tracing::info!(
        client_id = client.id(),
        user = user.id(),
        subject_server = %subject.server,
        rule = granted.rule,
        "token exchanged on behalf of a user"
    );
    let body = json!({
        "token_type": "Bearer",
        "expires_in": access.record.expires_at.saturating_sub(access.record.issued_at),
        "access_token": access.token,
        "scope": granted.scopes.join(" "),
        "issued_token_type": ACCESS_TOKEN_TYPE,
    });
    minting::remember(shared, [access]);
    Ok(body)
}

/// The record of a subject token: an active access token of this server or of one it trusts,
/// issued to a user.
fn subject_record(
    shared: &Shared,
    server: &ServerInfo,
    token: &str,
) -> Result<TokenRecord, OAuthError> {
    let now = shared.now();
    let grace = shared.lifetimes.refresh_rotation_grace().as_secs();
    let record = shared
        .store
        .with(|store| store.tokens.get(token).cloned())
        .filter(|record| record.kind == TokenKind::Access && record.is_active(now, grace))
        .ok_or_else(|| OAuthError::invalid_grant("The 'subject_token' is invalid or expired."))?;
    let trusted = record.server == server.id || server.trusted_servers.contains(&record.server);
    if !trusted {
        let issuer = match &record.server {
            AuthServerId::Org => "the org authorization server".to_owned(),
            AuthServerId::Custom(id) => format!("authorization server {id}"),
        };
        return Err(OAuthError::invalid_grant(format!(
            "The 'subject_token' was issued by {issuer}, which is not a trusted server of this \
             authorization server."
        )));
    }
    if record.username.is_none() {
        return Err(OAuthError::invalid_grant("The subject token was not issued to a user."));
    }
    Ok(record)
}

/// The scopes of a custom server's policy for a grant without (or on behalf of) a user.
fn custom_scopes(
    server: &ServerInfo,
    client: &Client,
    grant: GrantType,
    requested: &[String],
) -> Result<access_policy::Granted, OAuthError> {
    if requested.iter().any(|scope| !server.custom_scopes.contains(scope)) {
        return Err(OAuthError::invalid_scope(SCOPES_NOT_CONFIGURED));
    }
    access_policy::evaluate(server, client.id(), grant, requested).map_err(|refusal| {
        tracing::info!(
            client_id = client.id(),
            grant = grant.as_str(),
            ?refusal,
            "access policy refused"
        );
        match refusal {
            Refusal::NoRule => OAuthError::new(
                StatusCode::BAD_REQUEST,
                "access_denied",
                "Policy evaluation failed for this request, please check the policy \
                 configurations.",
            ),
            Refusal::NoScopes => OAuthError::invalid_scope("No scopes were requested."),
            Refusal::ScopesNotAllowed(scopes) => OAuthError::invalid_scope(not_allowed(&scopes)),
        }
    })
}

/// The org server's `client_credentials`: `private_key_jwt` only, Okta API scopes granted to
/// the app only.
fn org_scopes(client: &Client, requested: Vec<String>) -> Result<Vec<String>, OAuthError> {
    if client.auth_method() != ClientAuthMethod::PrivateKeyJwt {
        return Err(OAuthError::invalid_client(ORG_NEEDS_PRIVATE_KEY_JWT).with_basic_challenge());
    }
    if requested.is_empty() {
        return Err(OAuthError::invalid_scope("No scopes were requested."));
    }
    if has_user_scope(&requested) {
        return Err(OAuthError::invalid_scope(OPENID_SCOPES_REFUSED));
    }
    if requested.iter().any(|scope| !scope.starts_with("okta.")) {
        return Err(OAuthError::invalid_scope(SCOPES_NOT_CONFIGURED));
    }
    let refused: Vec<String> = requested
        .iter()
        .filter(|scope| !client.okta_api_scopes().contains(scope))
        .cloned()
        .collect();
    if refused.is_empty() {
        Ok(requested)
    } else {
        Err(OAuthError::invalid_scope(not_allowed(&refused)))
    }
}

/// Whether a scope is about a user (a service app never gets one).
fn has_user_scope(scopes: &[String]) -> bool {
    scopes.iter().any(|scope| USER_SCOPES.contains(&scope.as_str()))
}

/// Okta's `invalid_scope` description for scopes a policy does not grant.
fn not_allowed(scopes: &[String]) -> String {
    format!("The following scopes are not allowed for this request: [{}].", scopes.join(", "))
}

/// The space-separated `scope` parameter, duplicates dropped.
fn scopes(scope: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in scope.unwrap_or_default().split(' ').filter(|scope| !scope.is_empty()) {
        if !scopes.iter().any(|known| known == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

#[cfg(test)]
mod tests;
